"""The global dedup pass: every shard's key table in input order in, per shard decisions out.

Keys only, never texts: per paragraph its position, norm_hash, MinHash signature and band keys
(written by the map stage). The decisions are exactly those of the sequential `dedup.Dedup`
(it is the same code, `Dedup.decide`): exact = the first position per key; near = the best
verified earlier candidate sharing an LSH band, pointing at that one's root. So the outputs do
not depend on the sharding, the engine or the order tasks finish in.
Out: `<shard>.dups`, {document number in the shard: {para_index: (kept doc_id, kept
para_index, method, similarity)}}, read by finalize. State lives in an SQLite scratch file.
"""

from __future__ import annotations

import pickle
from pathlib import Path

from .dedup import Dedup
from .neardup import NearOptions
from .shardmap import records


def dedup_pass(work: Path, shards: list[int], near: NearOptions) -> int:
    """Decide every shard's duplicates; the number of duplicate paragraphs."""
    step = Dedup(near, scratch=work / "dedup.sqlite")
    total = 0
    try:
        for no in shards:
            found = {}
            for doc_no, doc_id, paras in records(work / f"{no:05d}.keys"):
                decided = step.decide(doc_id, paras)
                if decided:
                    found[doc_no] = decided
                    total += len(decided)
            (work / f"{no:05d}.dups").write_bytes(pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        step.close()
        (work / "dedup.sqlite").unlink(missing_ok=True)
    return total
