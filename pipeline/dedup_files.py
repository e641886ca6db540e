"""The dedup pass's intermediates: file names under `<work>/dedup/`, and reading them back.

Keys only, never texts. A paragraph's position is one int64, `ordinal << 40 | f`: the shard's
ordinal in the run's input order and the paragraph's number in its shard (pages in order, a
page's paragraphs in order), so positions order paragraphs as the input does, with no counter
shared between tasks. Per shard (written once, read by any task through a memory map, so a task
that looks up a few positions of another shard reads a few pages of its files, not the files):
- `s<ordinal>.docs.npy`: doc id per page (utf-8, fixed width); `.pstart.npy`: the number of
  the page's first paragraph (one more entry at the end); `.pageno.npy`: the page's number in
  the shard's key table;
- `.paras.npy`: per paragraph para_index, key (int64; `haskey` false for an empty key) and
  `row`, its signature's row in `.sigs.npy` (num_perm uint32 values) and `.bands.npy` (LSH band
  keys, int64), or -1 without one.
Partitioned files (`<kind>.<from>.<to>.npy`, or pickles for page rows) are written by one task
and read by another; a task that has nothing for a partition writes no file for it.
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
MATCH = np.dtype([("pos", np.int64), ("root", np.int64), ("count", np.int64)])  # a near duplicate


def folder(work: Path) -> Path:
    return work / "dedup"


def shard_file(work: Path, ordinal: int, kind: str) -> Path:
    return folder(work) / f"s{ordinal:05d}.{kind}.npy"


def part_file(work: Path, kind: str, source, target: int, suffix: str = "npy") -> Path:
    return folder(work) / f"{kind}.{source}.{target:05d}.{suffix}"


def save(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as f:  # np.save(path) would add ".npy" to a name without it
        np.save(f, array, allow_pickle=False)


def load(path: Path, mmap: bool = False) -> np.ndarray:
    """A saved array (memory-mapped if asked: numpy cannot map an empty one, read that)."""
    if mmap:
        try:
            return np.load(path, mmap_mode="r")
        except ValueError:
            pass
    return np.load(path, allow_pickle=False)


def load_parts(paths: list[Path], dtype: np.dtype) -> np.ndarray:
    """The concatenation of those of `paths` that exist."""
    arrays = [load(p) for p in paths if p.exists()]
    return np.concatenate(arrays) if arrays else np.empty(0, dtype)


def save_pickle(path: Path, value) -> None:
    path.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def load_pickle(path: Path, default=None):
    return pickle.loads(path.read_bytes()) if path.exists() else default


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

    def table(self, ordinal: int, kind: str) -> np.ndarray:
        if (ordinal, kind) not in self.maps:
            self.maps[(ordinal, kind)] = load(shard_file(self.work, ordinal, kind), mmap=True)
        return self.maps[(ordinal, kind)]

    def rows(self, kind: str, pos: np.ndarray, row: np.ndarray) -> np.ndarray:
        """The `kind` (sigs or bands) rows of paragraphs at `pos` with those table `row`s."""
        ordinal = pos >> SHIFT
        first = self.table(int(ordinal[0]), kind) if len(pos) else None
        out = np.empty((len(pos), *(first.shape[1:] if first is not None else ())),
                       first.dtype if first is not None else np.int64)
        for o in np.unique(ordinal).tolist():
            at = np.flatnonzero(ordinal == o)
            out[at] = self.table(o, kind)[row[at]]
        return out
