"""The global dedup pass: every shard's key table in, per shard decisions out, as parallel tasks.

Keys only, never texts: per paragraph its norm_hash, MinHash signature and band keys (written
by the map stage, `<shard>.keys`). The decisions are exactly those of the sequential
`dedup.Dedup` fed the key tables in input order (tests/test_dedup_pass.py compares them):
- a page whose doc id was read before (a page in two monthly dumps, or twice in one dump) is a
  `duplicate-page`: the first copy in input order is kept, a later one's paragraphs are never
  seen; the cache's new/changed/unchanged counts are taken over the kept copies only;
- exact: a paragraph whose key occurred earlier repeats the key's first occurrence, or that
  one's near root if the first occurrence is itself a near duplicate;
- near: first occurrences with a signature ("members") are compared with every earlier member
  sharing an LSH band; the best verified one (most equal signature values, at least the
  threshold; ties: the earliest) is the best match, and a member points at the root reached by
  following best matches (a member without one is a root). Never connected components.
Every step is a function of positions (dedup_files.py), never of the order in which tasks
finish or rows arrive, so the outputs do not depend on the sharding, the partitions or the engine.

Steps, each a set of tasks on the run's executor joined by files under `<work>/dedup/`:
1. per shard (`split_shard`): the key table as arrays, and its pages by doc id partition;
2. per doc id partition (`first_pages`): the first copy of each doc id; later copies listed;
3. per shard (`scatter_keys`, dedup_parts.py): kept paragraphs' keys by key partition;
4. per key partition (`exact_part`): first position per key; repeats; members' band keys;
5. per band partition (`near_part`): members sorted by band key; per range of their candidate
   pairs (`near_pairs`: a very common band key is spread over tasks) pairs verified, each
   member's best earlier one;
6. one task (`roots`): best matches merged, roots by pointer jumping;
7. per shard (`write_dups`): `<shard>.dups`, {page number in the shard: {para_index: (kept
   doc_id, kept para_index, method, similarity)}, or ("duplicate-page", where the first copy
   was read)}, read by finalize.py.
The coordinator only hands out tasks and adds up counts.
"""

from __future__ import annotations

import math
import shutil
import zlib
from pathlib import Path

import numpy as np

from . import dedup_parts
from .dedup_files import KINDS, LOW, MATCH, REPEAT, SHIFT, Appender, Shards, batches, dropped_pages, folder, \
    load_file, load_parts, part_file, save_pickle, shard_file
from .dedup_parts import exact_part, near_pairs, near_part, roots, scatter_keys
from .neardup import NearOptions, lsh_keys
from .pagecache import CacheStats
from .shardmap import records

DUPLICATE_PAGE = "duplicate-page"
# Of key tables per partition. A task of the pass holds about 2 x its partition's share
# (sorted band keys and their copies): on a 200 MB dump (203 MB of key tables) one partition of
# 256 MB took a one-job run's process from 410 to 780 MB, more than everything else it does.
BYTES_PER_PART = 32 << 20


def dedup_pass(runner, work: Path, shards: list[int], near: NearOptions, min_parts: int = 1,
               reused: frozenset[int] = frozenset()) -> CacheStats:
    """Decide every shard's duplicates (pages and paragraphs); the cache's counts.
    `shards`: the shard numbers in input order; `min_parts`: partitions at least (workers);
    `reused`: shards taken whole from the cache (shardcache.py), whose pages are all unchanged."""
    size = sum((work / f"{no:05d}.keys").stat().st_size for no in shards)
    parts = max(1, min_parts, math.ceil(size / BYTES_PER_PART))
    ordinals = range(len(shards))
    folder(work).mkdir(parents=True, exist_ok=True)
    try:
        longs = sum(runner.map(split_shard, ordinals, (work, shards, near, parts)))
        stats = CacheStats()
        unchanged = frozenset(i for i, no in enumerate(shards) if no in reused)
        for part in runner.map(first_pages, range(parts), (work, len(shards), unchanged)):
            stats.add(part)
        list(runner.map(scatter_keys, ordinals, (work, parts)))
        list(runner.map(exact_part, range(parts), (work, len(shards), parts)))
        if longs:
            pairs = list(runner.map(near_part, range(parts), (work, len(shards), parts)))
            tasks = [(part, start, min(start + dedup_parts.PAIRS, n))
                     for part, n in enumerate(pairs) for start in range(0, n, dedup_parts.PAIRS)]
            list(runner.map(near_pairs, tasks, (work, near.threshold)))
            runner.call(roots, work, len(shards), tasks)
        list(runner.map(write_dups, ordinals, (work, shards, parts)))
    finally:
        shutil.rmtree(folder(work), ignore_errors=True)
    return stats


FLUSH = 4096  # pages whose arrays are written at once


def split_shard(ordinal: int, work: Path, shards: list[int], near: NearOptions, parts: int) -> int:
    """One shard's key table as arrays (dedup_files.py), and (doc id, page number, where it was
    read, what the cache found) per page, by doc id partition; the number of signatures.
    Written as it is read, FLUSH pages at a time."""
    out, meta = Appender(), {"width": 0, "nbands": 0}
    for kind in KINDS:  # every table exists, empty or not; offsets start at 0
        out.write(shard_file(work, ordinal, kind), b"\0" * 8 if kind in ("docoff", "pstart") else b"")
    sizes = {"docs": 0, "paras": 0, "sigs": 0}
    table: dict[str, list] = {}
    try:
        for page_no, doc_id, place, cached, page in records(work / f"{shards[ordinal]:05d}.keys"):
            part = zlib.crc32(doc_id.encode("utf-8")) % parts  # not hash(): it differs by process
            table.setdefault(("ids", part), []).append((doc_id, page_no, place, cached))
            doc = doc_id.encode("utf-8")
            sizes["docs"] += len(doc)
            table.setdefault("docs", []).append(doc)
            table.setdefault("docoff", []).append(sizes["docs"])
            table.setdefault("pageno", []).append(page_no)
            for para_index, norm_hash, sig, keys in page or ():
                row = -1
                if sig is not None and near.enabled:
                    row, sizes["sigs"] = sizes["sigs"], sizes["sigs"] + 1
                    keys = lsh_keys([sig], near)[0] if keys is None else keys
                    meta["width"], meta["nbands"] = len(sig) // 4, len(keys)
                    table.setdefault("sigs", []).append(sig)
                    table.setdefault("bands", []).append(np.array(keys, np.int64).tobytes())
                key = int.from_bytes(bytes.fromhex(norm_hash), "big", signed=True) if norm_hash else 0
                table.setdefault("paras", []).append((para_index, key, bool(norm_hash), row))
            sizes["paras"] += len(page or ())
            table.setdefault("pstart", []).append(sizes["paras"])
            if len(table["pageno"]) >= FLUSH:
                _flush(out, work, ordinal, table)
        _flush(out, work, ordinal, table)
    finally:
        out.close()
    save_pickle(folder(work) / f"s{ordinal:05d}.meta", meta)
    return sizes["sigs"]


def _flush(out: Appender, work: Path, ordinal: int, table: dict) -> None:
    for what, rows in table.items():
        if isinstance(what, tuple):
            out.add(part_file(work, "ids", ordinal, what[1], "pickle"), rows)
        elif what in ("docs", "sigs", "bands"):
            out.write(shard_file(work, ordinal, what), b"".join(rows))
        else:
            out.write(shard_file(work, ordinal, what), np.array(rows, KINDS[what][0]).tobytes())
    table.clear()


def first_pages(part: int, work: Path, nshards: int, unchanged: frozenset[int] = frozenset()) -> CacheStats:
    """The first copy of each doc id of this partition, in input order; later copies go to
    their shard's `drop` list as (page number, where the first copy was read). The pages of
    the `unchanged` shards (ordinals) count as unchanged, whatever their key table says."""
    first: dict[str, str] = {}
    stats = CacheStats()
    out = Appender()
    try:
        for ordinal in range(nshards):
            dropped = []
            for doc_id, page_no, place, cached in batches(part_file(work, "ids", ordinal, part, "pickle")):
                if doc_id in first:
                    dropped.append((page_no, first[doc_id]))
                    if len(dropped) >= FLUSH:
                        out.add(part_file(work, "drop", part, ordinal, "pickle"), dropped)
                        dropped = []
                    continue
                first[doc_id] = place
                cached = "unchanged" if ordinal in unchanged else cached
                setattr(stats, cached, getattr(stats, cached) + 1)
            if dropped:
                out.add(part_file(work, "drop", part, ordinal, "pickle"), dropped)
    finally:
        out.close()
    return stats


def write_dups(ordinal: int, work: Path, shards: list[int], parts: int) -> None:
    """`<shard>.dups` (see the module doc): duplicate pages, exact repeats pointing at their
    key's first occurrence or its near root, near duplicates pointing at their root."""
    found: dict[int, object] = {page_no: (DUPLICATE_PAGE, place)
                                for page_no, place in dropped_pages(work, ordinal, parts)}
    repeats = load_parts([part_file(work, "rep", part, ordinal) for part in range(parts)], REPEAT)
    first = repeats["first"]
    roots_file = folder(work) / "roots.bin"
    if roots_file.exists() and roots_file.stat().st_size:  # first occurrences that are near duplicates
        known = np.memmap(roots_file, MATCH, "r")
        at = np.minimum(np.searchsorted(known["pos"], first), len(known) - 1)
        first = np.where(known["pos"][at] == first, known["root"][at], first)
    matched = load_file(folder(work) / f"near.{ordinal:05d}.bin", MATCH)
    pos = np.concatenate([repeats["pos"], matched["pos"]])
    target = np.concatenate([first, matched["root"]])
    count = np.concatenate([np.full(len(repeats), -1), matched["count"]])
    order = np.argsort(pos, kind="stable")
    pos, target, count = pos[order], target[order], count[order]
    tables = Shards(work)
    num_perm = tables.meta(ordinal)["width"] or 1
    pages = np.searchsorted(tables.table(ordinal, "pstart"), pos & LOW, side="right") - 1
    page_nos = tables.table(ordinal, "pageno")[pages].tolist()
    indexes = tables.table(ordinal, "paras")["pidx"][pos & LOW].tolist()
    for page_no, index, kept, n in zip(page_nos, indexes, _refs(tables, target), count.tolist()):
        method, similarity = ("exact", 1.0) if n < 0 else ("near", round(n / num_perm, 4))
        found.setdefault(page_no, {})[index] = (*kept, method, similarity)
    save_pickle(work / f"{shards[ordinal]:05d}.dups", dict(sorted(found.items())))


def _refs(tables: Shards, pos: np.ndarray) -> list[tuple[str, int]]:
    """(doc id, para_index) of the paragraphs at `pos`, read from their shards' tables."""
    out: list = [None] * len(pos)
    ordinal = pos >> SHIFT
    for o in np.unique(ordinal).tolist():
        at = np.flatnonzero(ordinal == o)
        f = pos[at] & LOW
        pages = np.searchsorted(tables.table(o, "pstart"), f, side="right") - 1
        indexes = tables.table(o, "paras")["pidx"][f].tolist()
        for i, doc, index in zip(at.tolist(), tables.doc_ids(o, pages), indexes):
            out[i] = (doc, index)
    return out
