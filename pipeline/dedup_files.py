"""The dedup pass's intermediates: file names under `<work>/dedup/`, writing and reading them.

Keys only, never texts. A paragraph's position is one int64, `ordinal << 40 | f`: the shard's
ordinal in the run's input order and the paragraph's number in its shard (pages in order, a
page's paragraphs in order), so positions order paragraphs as the input does, with no counter
shared between tasks. Per shard, raw arrays written as the key table is read (memory flat in the
shard's size) and memory-mapped by any task that looks positions up (a few pages read, not the
files): `s<ordinal>.<kind>.bin` for the kinds of `KINDS`, and their sizes in `s<ordinal>.meta`.
Partitioned records (raw arrays, or pickles of page rows) go from the task that writes them to
the task of their partition: each writing task has one file per kind (`<kind>.<from>.bin`) with
its partitions' records in chunks, and beside it an index of where each partition's chunks are
(`….idx`, written when the task closes its files). So the files number tasks × kinds, not
tasks × partitions: partitions can be small (a task's memory) on a whole dump's thousands of
shards without millions of files. A task that has nothing for a partition writes no chunk for
it, and a task run again overwrites what it wrote.
"""

from __future__ import annotations

import mmap
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SHIFT = 40  # paragraphs per shard < 2**40; shards < 2**23
LOW = (1 << SHIFT) - 1
PARA = np.dtype([("pidx", np.int64), ("key", np.int64), ("haskey", np.bool_), ("row", np.int64)])
KEYED = np.dtype([("key", np.int64), ("pos", np.int64), ("row", np.int64)])  # a key, or a band key
REPEAT = np.dtype([("pos", np.int64), ("first", np.int64)])  # an exact repeat: its key's first position
MATCH = np.dtype([("pos", np.int64), ("root", np.int64), ("count", np.int64)])  # a near match
SPAN = np.dtype([("target", np.int64), ("offset", np.int64), ("length", np.int64)])  # a partition's chunk
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


@dataclass(frozen=True)
class Part:
    """Partition `target`'s records in the file a task wrote for all its partitions."""

    path: Path
    target: int


def part_file(work: Path, kind: str, source, target: int, suffix: str = "bin") -> Part:
    return Part(folder(work) / f"{kind}.{source}.{suffix}", target)


def task_file(work: Path, kind: str, a, b: int) -> Path:
    """A file of one task for one reader (a partition's sorted candidates, a task's matches)."""
    return folder(work) / f"{kind}.{a}.{b:05d}.bin"


def _index(path: Path) -> Path:
    return path.with_name(path.name + ".idx")


def chunks(parts: list[Part]):
    """The bytes of each chunk written for these parts, in order (none where nothing was).
    The index is looked up, not read: a file written for thousands of partitions is read by
    each of them."""
    for part in parts:
        index = load_file(_index(part.path), SPAN)
        if not len(index):
            continue
        lo, hi = np.searchsorted(index["target"], [part.target, part.target + 1])
        if lo == hi:
            continue
        with open(part.path, "rb") as f:
            for offset, length in zip(index["offset"][lo:hi].tolist(), index["length"][lo:hi].tolist()):
                f.seek(offset)
                yield f.read(length)


def load_parts(parts: list[Part], dtype: np.dtype) -> np.ndarray:
    """The records of `parts`, one after the other."""
    arrays = [np.frombuffer(chunk, dtype) for chunk in chunks(parts)]
    return np.concatenate(arrays) if arrays else np.empty(0, dtype)


def load_file(path: Path, dtype: np.dtype) -> np.ndarray:
    """The records of a file `save` wrote (none if it was not written or is empty), mapped."""
    return np.memmap(path, dtype, "r") if path.exists() and path.stat().st_size else np.empty(0, dtype)


def save(path: Path, records: np.ndarray) -> None:
    path.write_bytes(records.tobytes())


def save_pickle(path: Path, value) -> None:
    path.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def load_pickle(path: Path, default=None):
    return pickle.loads(path.read_bytes()) if path.exists() else default


class Appender:
    """Files of one task, each created on its first write and appended to after: raw arrays
    (`write`) or pickled batches of rows (`add`, read back by `batches`), to a shard's own file
    (a Path) or to a partition's chunks of the task's file (a Part), indexed on `close`."""

    def __init__(self):
        self.files: dict[Path, object] = {}
        self.spans: dict[Path, dict[int, list[tuple[int, int]]]] = {}

    def write(self, where: Path | Part, data: bytes) -> None:
        path = where.path if isinstance(where, Part) else where
        if path not in self.files:
            self.files[path] = open(path, "wb")
        f = self.files[path]
        if isinstance(where, Part):  # every such file gets an index, an empty one too
            spans = self.spans.setdefault(path, {})
            if data:
                spans.setdefault(where.target, []).append((f.tell(), len(data)))
        f.write(data)

    def add(self, where: Part, rows: list) -> None:
        self.write(where, pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL))

    def close(self) -> None:
        for f in self.files.values():
            f.close()
        for path, spans in self.spans.items():
            index = np.array([(t, *span) for t, ss in spans.items() for span in ss], SPAN)
            save(_index(path), index[np.lexsort((index["offset"], index["target"]))])


def batches(part: Part):
    """The rows `Appender.add` wrote for `part`, in order (none if nothing was)."""
    for chunk in chunks([part]):
        yield from pickle.loads(chunk)


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
        self.mmaps: dict[tuple[int, str], mmap.mmap] = {}

    def meta(self, ordinal: int) -> dict:
        if (ordinal, "meta") not in self.maps:
            self.maps[(ordinal, "meta")] = load_pickle(folder(self.work) / f"s{ordinal:05d}.meta")
        return self.maps[(ordinal, "meta")]

    def table(self, ordinal: int, kind: str) -> np.ndarray:
        if (ordinal, kind) not in self.maps:
            dtype, width = KINDS[kind]
            path = shard_file(self.work, ordinal, kind)
            if path.stat().st_size:
                with open(path, "rb") as f:
                    self.mmaps[(ordinal, kind)] = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
                table = np.frombuffer(self.mmaps[(ordinal, kind)], dtype)
            else:  # an empty file cannot be mapped
                table = np.empty(0, dtype)
            if width:
                width = self.meta(ordinal)[width]
                table = table.reshape(table.size // width if width else 0, width)
            self.maps[(ordinal, kind)] = table
        return self.maps[(ordinal, kind)]

    def rows(self, kind: str, pos: np.ndarray, row: np.ndarray) -> np.ndarray:
        """The `kind` (sigs or bands) rows of paragraphs at `pos` with those table `row`s, copied.
        The pages they were read from are let go at once (they stay in the page cache, where
        the next read finds them): rows all over every shard's tables (near_pairs) would
        otherwise count as the task's memory until it ends, up to the tables' size."""
        ordinal = pos >> SHIFT
        if not len(pos):
            return np.empty((0, 0), KINDS[kind][0])
        first = self.table(int(ordinal[0]), kind)
        out = np.empty((len(pos), first.shape[1]), first.dtype)
        for o in np.unique(ordinal).tolist():
            at = np.flatnonzero(ordinal == o)
            out[at] = self.table(o, kind)[row[at]]
            if (o, kind) in self.mmaps and hasattr(mmap, "MADV_DONTNEED"):  # Linux, most Unix
                self.mmaps[(o, kind)].madvise(mmap.MADV_DONTNEED)
        return out

    def doc_ids(self, ordinal: int, pages: np.ndarray) -> list[str]:
        docs, offsets = self.table(ordinal, "docs"), self.table(ordinal, "docoff")
        return [bytes(docs[a:b]).decode("utf-8") for a, b in zip(offsets[pages].tolist(), offsets[pages + 1].tolist())]
