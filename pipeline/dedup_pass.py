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
5. per band partition (`near_part`): candidate pairs verified, each member's best earlier one;
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

from .dedup_files import LOW, PARA, SHIFT, Shards, folder, load, load_pickle, part_file, save, \
    save_pickle, shard_file
from .dedup_parts import exact_part, near_part, roots, scatter_keys
from .neardup import NearOptions, lsh_keys
from .pagecache import CacheStats
from .shardmap import records

DUPLICATE_PAGE = "duplicate-page"
BYTES_PER_PART = 256 << 20  # of key tables per partition: what one task holds of a step's keys


def dedup_pass(runner, work: Path, shards: list[int], near: NearOptions, min_parts: int = 1) -> CacheStats:
    """Decide every shard's duplicates (pages and paragraphs); the cache's counts.
    `shards`: the shard numbers in input order; `min_parts`: partitions at least (workers)."""
    size = sum((work / f"{no:05d}.keys").stat().st_size for no in shards)
    parts = max(1, min_parts, math.ceil(size / BYTES_PER_PART))
    ordinals = range(len(shards))
    folder(work).mkdir(parents=True, exist_ok=True)
    try:
        longs = sum(runner.map(split_shard, ordinals, (work, shards, near, parts)))
        stats = CacheStats()
        for part in runner.map(first_pages, range(parts), (work, len(shards))):
            stats.add(part)
        list(runner.map(scatter_keys, ordinals, (work, parts)))
        list(runner.map(exact_part, range(parts), (work, len(shards), parts)))
        if longs:
            list(runner.map(near_part, range(parts), (work, len(shards), parts, near.threshold)))
            runner.call(roots, work, len(shards), parts)
        list(runner.map(write_dups, ordinals, (work, shards, parts)))
    finally:
        shutil.rmtree(folder(work), ignore_errors=True)
    return stats


def split_shard(ordinal: int, work: Path, shards: list[int], near: NearOptions, parts: int) -> int:
    """One shard's key table as arrays (dedup_files.py), and (doc id, page number, where it was
    read, what the cache found) per page, by doc id partition; the number of signatures."""
    docs, pstart, pageno, paras, sigs, bands, ids = [], [0], [], [], [], [], {}
    for page_no, doc_id, place, cached, page in records(work / f"{shards[ordinal]:05d}.keys"):
        part = zlib.crc32(doc_id.encode("utf-8")) % parts  # not hash(): it differs by process
        ids.setdefault(part, []).append((doc_id, page_no, place, cached))
        docs.append(doc_id.encode("utf-8"))
        pageno.append(page_no)
        for para_index, norm_hash, sig, keys in page or ():
            row = -1
            if sig is not None and near.enabled:
                row = len(sigs)
                sigs.append(sig)
                bands.append(lsh_keys([sig], near)[0] if keys is None else keys)
            key = int.from_bytes(bytes.fromhex(norm_hash), "big", signed=True) if norm_hash else 0
            paras.append((para_index, key, bool(norm_hash), row))
        pstart.append(len(paras))
    for part, rows in ids.items():
        save_pickle(part_file(work, "ids", ordinal, part, "pickle"), rows)
    save(shard_file(work, ordinal, "docs"), np.array(docs, dtype=bytes) if docs else np.empty(0, "S1"))
    save(shard_file(work, ordinal, "pstart"), np.array(pstart, dtype=np.int64))
    save(shard_file(work, ordinal, "pageno"), np.array(pageno, dtype=np.int64))
    save(shard_file(work, ordinal, "paras"), np.array(paras, dtype=PARA))
    width = len(sigs[0]) // 4 if sigs else 0
    save(shard_file(work, ordinal, "sigs"),
         np.frombuffer(b"".join(sigs), dtype=np.uint32).reshape(len(sigs), width))
    save(shard_file(work, ordinal, "bands"), np.array(bands, dtype=np.int64).reshape(len(sigs), -1 if sigs else 0))
    return len(sigs)


def first_pages(part: int, work: Path, nshards: int) -> CacheStats:
    """The first copy of each doc id of this partition, in input order; later copies go to
    their shard's `drop` list as (page number, where the first copy was read)."""
    first: dict[str, str] = {}
    stats = CacheStats()
    for ordinal in range(nshards):
        dropped = []
        for doc_id, page_no, place, cached in load_pickle(part_file(work, "ids", ordinal, part, "pickle"), []):
            if doc_id in first:
                dropped.append((page_no, first[doc_id]))
                continue
            first[doc_id] = place
            setattr(stats, cached, getattr(stats, cached) + 1)
        if dropped:
            save_pickle(part_file(work, "drop", part, ordinal, "pickle"), dropped)
    return stats


def write_dups(ordinal: int, work: Path, shards: list[int], parts: int) -> None:
    """`<shard>.dups` (see the module doc): duplicate pages, exact repeats pointing at their
    key's first occurrence or its near root, near duplicates pointing at their root."""
    found: dict[int, object] = {}
    for part in range(parts):
        for page_no, place in load_pickle(part_file(work, "drop", part, ordinal, "pickle"), []):
            found[page_no] = (DUPLICATE_PAGE, place)
    pos, target, count = [], [], []
    root_table = load(folder(work) / "roots.npy", mmap=True) if (folder(work) / "roots.npy").exists() else None
    for part in range(parts):
        path = part_file(work, "rep", part, ordinal)
        if path.exists():
            rep = load(path)
            first = rep["first"]
            if root_table is not None and len(root_table):  # a first occurrence that is a near duplicate
                at = np.minimum(np.searchsorted(root_table["pos"], first), len(root_table) - 1)
                first = np.where(root_table["pos"][at] == first, root_table["root"][at], first)
            pos.append(rep["pos"]), target.append(first), count.append(np.full(len(rep), -1))
    path = folder(work) / f"near.{ordinal:05d}.npy"
    if path.exists():
        matched = load(path)
        pos.append(matched["pos"]), target.append(matched["root"]), count.append(matched["count"])
    if pos:
        pos, target, count = np.concatenate(pos), np.concatenate(target), np.concatenate(count)
        order = np.argsort(pos, kind="stable")
        pos, target, count = pos[order], target[order], count[order]
        tables = Shards(work)
        num_perm = tables.table(ordinal, "sigs").shape[1] or 1
        pages = np.searchsorted(tables.table(ordinal, "pstart"), pos & LOW, side="right") - 1
        page_nos = tables.table(ordinal, "pageno")[pages].tolist()
        indexes = tables.table(ordinal, "paras")["pidx"][pos & LOW].tolist()
        kept = _refs(tables, target)
        for page_no, index, (doc_id, kept_index), n in zip(page_nos, indexes, kept, count.tolist()):
            method, similarity = ("exact", 1.0) if n < 0 else ("near", round(n / num_perm, 4))
            found.setdefault(page_no, {})[index] = (doc_id, kept_index, method, similarity)
    save_pickle(work / f"{shards[ordinal]:05d}.dups", dict(sorted(found.items())))


def _refs(tables: Shards, pos: np.ndarray) -> list[tuple[str, int]]:
    """(doc id, para_index) of the paragraphs at `pos`, read from their shards' tables."""
    out: list = [None] * len(pos)
    ordinal = pos >> SHIFT
    for o in np.unique(ordinal).tolist():
        at = np.flatnonzero(ordinal == o)
        f = pos[at] & LOW
        pages = np.searchsorted(tables.table(o, "pstart"), f, side="right") - 1
        docs = tables.table(o, "docs")[pages].tolist()
        indexes = tables.table(o, "paras")["pidx"][f].tolist()
        for i, doc, index in zip(at.tolist(), docs, indexes):
            out[i] = (doc.decode("utf-8"), index)
    return out
