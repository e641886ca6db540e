"""The global dedup pass: every shard's key table in input order in, per shard decisions out.

Keys only, never texts: per paragraph its position, norm_hash, MinHash signature and band keys
(written by the map stage). The decisions are exactly those of the sequential `dedup.Dedup`
(it is the same code, `Dedup.decide`): exact = the first position per key; near = the best
verified earlier candidate sharing an LSH band, pointing at that one's root. So the outputs do
not depend on the sharding, the engine or the order tasks finish in.
The same doc id twice (a page in two monthly dumps, or twice in one dump): the first copy in
input order is kept, a later copy becomes a `duplicate-page` row naming where the first was read
(finalize.py), and its paragraphs are never seen here. The cache's new/changed/unchanged counts
are taken here too, over the kept copies only.
Out: `<shard>.dups`, {page number in the shard: {para_index: (kept doc_id, kept para_index,
method, similarity)}, or ("duplicate-page", where the first copy was read)}, read by finalize;
the run's CacheStats. State (keys, doc ids) lives in an SQLite scratch file, never in memory.
"""

from __future__ import annotations

import pickle
from pathlib import Path

from .dedup import Dedup
from .neardup import NearOptions
from .pagecache import CacheStats
from .shardmap import records

DUPLICATE_PAGE = "duplicate-page"


def dedup_pass(work: Path, shards: list[int], near: NearOptions, reused: frozenset[int] = frozenset()) -> CacheStats:
    """Decide every shard's duplicates (pages and paragraphs); the cache's counts (the pages of
    `reused` shards, taken whole from the cache by shardcache.py, are all unchanged)."""
    step = Dedup(near, scratch=work / "dedup.sqlite")
    step.db.execute("CREATE TABLE ids (doc_id TEXT PRIMARY KEY, place TEXT)")
    stats = CacheStats()
    try:
        for no in shards:
            found = {}
            for page_no, doc_id, place, cached, paras in records(work / f"{no:05d}.keys"):
                if not step.db.execute("INSERT OR IGNORE INTO ids VALUES (?, ?)", (doc_id, place)).rowcount:
                    first = step.db.execute("SELECT place FROM ids WHERE doc_id = ?", (doc_id,)).fetchone()[0]
                    found[page_no] = (DUPLICATE_PAGE, first)
                    continue
                cached = "unchanged" if no in reused else cached
                setattr(stats, cached, getattr(stats, cached) + 1)
                decided = step.decide(doc_id, paras) if paras is not None else None
                if decided:
                    found[page_no] = decided
            (work / f"{no:05d}.dups").write_bytes(pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        step.close()
        (work / "dedup.sqlite").unlink(missing_ok=True)
    return stats
