"""The dedup pass's keyed steps (see dedup_pass.py): exact by key partition, near by band partition.

In and out: the files of dedup_files.py, keys and positions only. Each step's result is a
function of positions, so any partitioning and any finishing order give the same result.

Near candidates are all pairs (later, earlier) of members sharing a band key, as in the
sequential index, so a band key shared by n members costs n(n-1)/2 verifications, as it did
there; nothing is pruned, because any pruning (say, only the earliest K roots of a bucket) can
miss the best match and change a result. What is avoided: verifying a pair once per band key it
shares (a near-identical pair shares most of its 14 band keys): a pair is verified only under
the smallest band key it shares at the same band number, or, if it shares none there, under each
key it shares (only possible through a 64-bit key collision). Memory: a task holds its
partition's keys (dedup_pass.BYTES_PER_PART), and pairs CHUNK at a time, each with its two
signatures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .dedup_files import KEYED, MATCH, REPEAT, SHIFT, Appender, Shards, dropped_pages, folder, load_file, \
    load_parts, part_file, part_of, save, split_by, task_file

PAIRS = 1 << 21  # candidate pairs per task (about 2 s of one core)
STEP = 1 << 20  # paragraphs of a shard scattered at once
CHUNK = 1 << 14  # candidate pairs verified at once: 2 x CHUNK signatures (16 MB at 128 values)


def _scatter(out: Appender, work: Path, kind: str, source, records: np.ndarray, parts: int) -> None:
    for part, rows in split_by(records, part_of(records["key"], parts)):
        out.write(part_file(work, kind, source, part), rows.tobytes())


def _band_records(tables: Shards, pos: np.ndarray, row: np.ndarray) -> np.ndarray:
    """One record per band key of each member at `pos` (signature table `row`)."""
    bands = tables.rows("bands", pos, row)
    out = np.empty(bands.size, KEYED)
    out["key"], out["pos"], out["row"] = bands.ravel(), np.repeat(pos, bands.shape[1]), np.repeat(row, bands.shape[1])
    return out


def _firsts(keys: np.ndarray) -> np.ndarray:
    """For sorted `keys`, the index of the first row with each row's key."""
    new = np.ones(len(keys), bool)
    new[1:] = keys[1:] != keys[:-1]
    return np.maximum.accumulate(np.where(new, np.arange(len(keys)), 0))


def scatter_keys(ordinal: int, work: Path, parts: int) -> None:
    """The shard's paragraphs on kept pages, STEP at a time: keyed ones by key partition;
    keyless ones with a signature (members with no key to repeat) by band partition."""
    tables, out = Shards(work), Appender()
    pageno, pstart, paras = (tables.table(ordinal, kind) for kind in ("pageno", "pstart", "paras"))
    dropped = np.isin(pageno, np.array([no for no, _ in dropped_pages(work, ordinal, parts)], np.int64))
    try:
        for at in range(0, len(paras), STEP):
            f = np.arange(at, min(at + STEP, len(paras)), dtype=np.int64)
            chunk = paras[at:at + STEP]
            kept = ~dropped[np.searchsorted(pstart, f, side="right") - 1]
            pos = np.int64(ordinal) << SHIFT | f
            keyed = kept & chunk["haskey"]
            records = np.empty(int(keyed.sum()), KEYED)
            records["key"], records["pos"], records["row"] = chunk["key"][keyed], pos[keyed], chunk["row"][keyed]
            _scatter(out, work, "key", ordinal, records, parts)
            loose = kept & ~chunk["haskey"] & (chunk["row"] >= 0)
            if loose.any():
                _scatter(out, work, "band", f"s{ordinal:05d}",
                         _band_records(tables, pos[loose], chunk["row"][loose]), parts)
    finally:
        out.close()


def exact_part(part: int, work: Path, nshards: int, parts: int) -> None:
    """First position per key: later ones are repeats of it (`rep`, by their shard); first ones
    with a signature are the near index's members (their band keys, by band partition)."""
    records = load_parts([part_file(work, "key", o, part) for o in range(nshards)], KEYED)
    records = records[np.lexsort((records["pos"], records["key"]))]
    firsts = _firsts(records["key"])
    later = firsts != np.arange(len(records))
    repeats = np.empty(int(later.sum()), REPEAT)
    repeats["pos"], repeats["first"] = records["pos"][later], records["pos"][firsts[later]]
    members = records[~later & (records["row"] >= 0)]
    out = Appender()
    try:
        for ordinal, rows in split_by(repeats, repeats["pos"] >> SHIFT):
            out.write(part_file(work, "rep", part, ordinal), rows.tobytes())
        _scatter(out, work, "band", f"k{part:05d}", _band_records(Shards(work), members["pos"], members["row"]), parts)
    finally:
        out.close()


def near_part(part: int, work: Path, nshards: int, parts: int) -> int:
    """The band records of this partition sorted by (band key, position), one per member and
    key (`cand`); the number of candidate pairs (later, earlier) among them."""
    sources = [f"s{o:05d}" for o in range(nshards)] + [f"k{p:05d}" for p in range(parts)]
    records = load_parts([part_file(work, "band", s, part) for s in sources], KEYED)
    records = records[np.lexsort((records["pos"], records["key"]))]
    same = np.zeros(len(records), bool)  # a band key twice in one signature: one candidate
    same[1:] = (records["key"][1:] == records["key"][:-1]) & (records["pos"][1:] == records["pos"][:-1])
    records = records[~same]
    save(task_file(work, "cand", "n", part), records)
    return int((np.arange(len(records)) - _firsts(records["key"])).sum())


def near_pairs(task: tuple[int, int, int], work: Path, threshold: float) -> None:
    """Pairs `start` to `end` of a band partition (numbered bucket by bucket, each later member
    with its earlier ones in order) verified; per later member its best match among them
    (`best`: most equal signature values, then the earliest). A bucket shared by many members
    is spread over several such tasks."""
    part, start, end = task
    records = np.fromfile(task_file(work, "cand", "n", part), KEYED)
    firsts = _firsts(records["key"])
    earlier = np.arange(len(records)) - firsts  # candidates of each record in its bucket
    ends = np.cumsum(earlier)
    tables, best = Shards(work), np.empty(0, MATCH)
    for at in range(start, end, CHUNK):
        k = np.arange(at, min(at + CHUNK, end))
        late = np.searchsorted(ends, k, side="right")
        early = firsts[late] + k - (ends[late] - earlier[late])
        best = _best(np.concatenate([best, _verify(tables, records, late, early, threshold)]))
    save(task_file(work, "best", part, start), best)


def _verify(tables: Shards, records: np.ndarray, late: np.ndarray, early: np.ndarray,
            threshold: float) -> np.ndarray:
    """The pairs (records late[i], early[i]) that are near duplicates, verified once each."""
    rows = np.unique(np.concatenate([late, early]))
    bands = tables.rows("bands", records["pos"][rows], records["row"][rows])
    li, ei = np.searchsorted(rows, late), np.searchsorted(rows, early)
    shared = bands[li] == bands[ei]
    smaller = shared & (bands[li] < records["key"][late][:, None])
    here = ~smaller.any(axis=1)  # not verified under a smaller band key they share
    li, ei, late, early = li[here], ei[here], late[here], early[here]
    sigs = tables.rows("sigs", records["pos"][rows], records["row"][rows])
    count = (sigs[li] == sigs[ei]).sum(axis=1)
    # as the sequential index decides: similarity = count / num_perm >= threshold, and above 0
    ok = (count / sigs.shape[1] >= threshold) & (count > 0)
    out = np.empty(int(ok.sum()), MATCH)
    out["pos"], out["root"], out["count"] = records["pos"][late[ok]], records["pos"][early[ok]], count[ok]
    return out


def _best(matches: np.ndarray) -> np.ndarray:
    """One match per position: the most equal values, then the earliest candidate."""
    matches = matches[np.lexsort((matches["root"], -matches["count"], matches["pos"]))]
    keep = np.ones(len(matches), bool)
    keep[1:] = matches["pos"][1:] != matches["pos"][:-1]
    return matches[keep]


def roots(work: Path, nshards: int, tasks: list[tuple[int, int, int]]) -> None:
    """Every member's best match over all band partitions, then its root: follow best matches
    (always to an earlier member) to one that has none, by pointer jumping (p -> best(p) ->
    best(best(p)) …, doubling each round). `roots.bin` (position, root, equal values of the best
    match), sorted, and the same rows per shard (`near.<ordinal>.bin`).

    One task: it holds one row per near duplicate (24 bytes), not per paragraph, and one
    `near_pairs` task's file at a time."""
    best = np.empty(0, MATCH)
    for part, start, _ in tasks:  # one file at a time: a member is in up to one file per band
        best = _best(np.concatenate([best, load_file(task_file(work, "best", part, start), MATCH)]))
    pos, ptr = best["pos"], best["root"].copy()
    while len(pos):
        at = np.minimum(np.searchsorted(pos, ptr), len(pos) - 1)
        jumped = np.where(pos[at] == ptr, ptr[at], ptr)
        if np.array_equal(jumped, ptr):
            break
        ptr = jumped
    best["root"] = ptr
    save(folder(work) / "roots.bin", best)
    for ordinal, rows in split_by(best, best["pos"] >> SHIFT):
        save(folder(work) / f"near.{ordinal:05d}.bin", rows)
