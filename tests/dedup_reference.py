"""The sequential dedup pass the parallel one replaced (the project's code until then), kept as
the reference its results are compared with (tests/test_dedup_pass.py): one process reads every
shard's key table in input order and decides with `dedup.Dedup` (SQLite state)."""

from __future__ import annotations

import pickle
from pathlib import Path

from pipeline.dedup import Dedup
from pipeline.dedup_pass import DUPLICATE_PAGE
from pipeline.neardup import NearOptions
from pipeline.pagecache import CacheStats
from pipeline.shardmap import records


def sequential_pass(work: Path, shards: list[int], near: NearOptions) -> CacheStats:
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
                setattr(stats, cached, getattr(stats, cached) + 1)
                decided = step.decide(doc_id, paras) if paras is not None else None
                if decided:
                    found[page_no] = decided
            (work / f"{no:05d}.dups").write_bytes(pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        step.close()
        (work / "dedup.sqlite").unlink(missing_ok=True)
    return stats
