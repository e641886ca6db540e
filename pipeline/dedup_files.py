"""The dedup pass's intermediates: file names under `<work>/dedup/`, writing and reading them.

Keys only, never texts. A paragraph's position is one int64, `ordinal << 40 | f`: the shard's
ordinal in the run's input order and the paragraph's number in its shard (pages in order, a
page's paragraphs in order), so positions order paragraphs as the input does, with no counter
shared between tasks. Per shard, raw arrays written as the key table is read (memory flat in the
shard's size) and memory-mapped by any task that looks positions up (a few pages read, not the
files): `s<ordinal>.<kind>.bin` for the kinds of `KINDS`, and their sizes in `s<ordinal>.meta`.
Partitioned records (`<kind>.<from>.<to>.bin`, or pickles of page rows) are written by one task
and read by another; a task that has nothing for a partition writes no file for it, and a task
run again overwrites what it wrote.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

SHIFT = 40  # paragraphs per shard < 2**40; shards < 2**23
LOW = (1 << SHIFT) - 1
PARA = np.dtype([("pidx", np.int64), ("key", np.int64), ("haskey", np.bool_), ("row", np.int64)])
KEYED = np.dtype([("key", np.int64), ("pos", np.int64), ("row", np.int64)])  # a key, or a band key
REPEAT = np.dtype([("pos", np.int64), ("first", np.int64)])  # an exact repeat: its key's first position
MATCH = np.dtype([("pos", np.int64), ("root", np.int64), ("count", np.int64)])  # a near match
KINDS = {  # per shard: dtype, and the meta entry giving the row width (for 2-d tables)
    "docs": (np.uint8, None),  # every page's doc id, utf-8, one after the other
    "docoff": (np.int64, None),  # where each page's doc id starts in docs (one more at the end)
    "pstart": (np.int64, None),  # the number of each page's first paragraph (one more at the end)
    "pageno": (np.int64, None),  # each page's number in the shard's key table
    "paras": (PARA, None),  # per paragraph: para_index, key, whether it has one, its signature's row
    "sigs": (np.uint32, "width"),  # MinHash signatures, one row per paragraph that has one
    "bands": (np.int64, "nbands"),  # their LSH band keys
}


def folder(work: Path) -> Path:
    return work / "dedup"


def shard_file(work: Path, ordinal: int, kind: str) -> Path:
    return folder(work) / f"s{ordinal:05d}.{kind}.bin"


def part_file(work: Path, kind: str, source, target: int, suffix: str = "bin") -> Path:
    return folder(work) / f"{kind}.{source}.{target:05d}.{suffix}"


def load_parts(paths: list[Path], dtype: np.dtype) -> np.ndarray:
    """The records of those of `paths` that exist, one after the other."""
    arrays = [np.fromfile(p, dtype) for p in paths if p.exists()]
    return np.concatenate(arrays) if arrays else np.empty(0, dtype)


def save(path: Path, records: np.ndarray) -> None:
    path.write_bytes(records.tobytes())


def save_pickle(path: Path, value) -> None:
    path.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def load_pickle(path: Path, default=None):
    return pickle.loads(path.read_bytes()) if path.exists() else default


class Appender:
    """Files of one task, each created on its first write and appended to after: partitioned
    rows (`add`: pickled batches, read back by `batches`) or raw arrays (`write`)."""

    def __init__(self):
        self.files: dict[Path, object] = {}

    def write(self, path: Path, data: bytes) -> None:
        if path not in self.files:
            self.files[path] = open(path, "wb")
        self.files[path].write(data)

    def add(self, path: Path, rows: list) -> None:
        self.write(path, pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL))

    def close(self) -> None:
        for f in self.files.values():
            f.close()


def batches(path: Path):
    """The rows `Appender.add` wrote to `path`, in order (none if it was not written)."""
    if not path.exists():
        return
    with open(path, "rb") as f:
        while True:
            try:
                yield from pickle.load(f)
            except EOFError:
                return


def dropped_pages(work: Path, ordinal: int, parts: int):
    """(page number, where the first copy was read) of the shard's pages that are later copies."""
    for part in range(parts):
        yield from batches(part_file(work, "drop", part, ordinal, "pickle"))


def split_by(values: np.ndarray, target: np.ndarray):
    """(target, rows of `values` going there) for each target that gets any, rows in order."""
    order = np.argsort(target, kind="stable")
    targets, starts = np.unique(target[order], return_index=True)
    for t, rows in zip(targets.tolist(), np.split(order, starts[1:])):
        yield t, values[rows]


def part_of(keys: np.ndarray, parts: int) -> np.ndarray:
    """The partition of each (already hashed) int64 key."""
    return (keys.view(np.uint64) % np.uint64(parts)).astype(np.int64)


class Shards:
    """A task's read-only view of every shard's tables, each mapped on first use."""

    def __init__(self, work: Path):
        self.work = work
        self.maps: dict[tuple[int, str], np.ndarray] = {}

    def meta(self, ordinal: int) -> dict:
        if (ordinal, "meta") not in self.maps:
            self.maps[(ordinal, "meta")] = load_pickle(folder(self.work) / f"s{ordinal:05d}.meta")
        return self.maps[(ordinal, "meta")]

    def table(self, ordinal: int, kind: str) -> np.ndarray:
        if (ordinal, kind) not in self.maps:
            dtype, width = KINDS[kind]
            path = shard_file(self.work, ordinal, kind)
            # numpy cannot map an empty file
            table = np.memmap(path, dtype, "r") if path.stat().st_size else np.empty(0, dtype)
            if width:
                width = self.meta(ordinal)[width]
                table = table.reshape(table.size // width if width else 0, width)
            self.maps[(ordinal, kind)] = table
        return self.maps[(ordinal, kind)]

    def rows(self, kind: str, pos: np.ndarray, row: np.ndarray) -> np.ndarray:
        """The `kind` (sigs or bands) rows of paragraphs at `pos` with those table `row`s."""
        ordinal = pos >> SHIFT
        if not len(pos):
            return np.empty((0, 0), KINDS[kind][0])
        first = self.table(int(ordinal[0]), kind)
        out = np.empty((len(pos), first.shape[1]), first.dtype)
        for o in np.unique(ordinal).tolist():
            at = np.flatnonzero(ordinal == o)
            out[at] = self.table(o, kind)[row[at]]
        return out

    def doc_ids(self, ordinal: int, pages: np.ndarray) -> list[str]:
        docs, offsets = self.table(ordinal, "docs"), self.table(ordinal, "docoff")
        return [bytes(docs[a:b]).decode("utf-8") for a, b in zip(offsets[pages].tolist(), offsets[pages + 1].tolist())]
