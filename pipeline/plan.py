"""Plan: the discovered input files in, shards out, in input order, before anything is read.

A shard is the unit every per-shard stage (map, finalize) works on, on whatever executor. Its
number is its place in the input order, so (shard, item in shard, paragraph) is a global
position with no counter shared between machines, and part files named by it come out in input
order whatever finishes first.

- Loose files (and plain .xml/.bz2/.gz dumps, which cannot be cut without reading them) are
  taken whole, consecutive ones grouped up to LOOSE_FILES files or LOOSE_BYTES bytes a shard.
- A Wikimedia multistream dump (`…-multistream.xml.bz2` with its `…-multistream-index.txt.bz2`
  beside it) is cut by the index into ranges of STREAMS_PER_SHARD streams (100 pages each), or
  fewer for a small dump, so it has MIN_SHARDS shards if it can (the layout depends on the dump
  alone, never on --jobs or the engine);
  each worker decompresses its own range. The index is paired with its dump and never read as
  a document; an index whose dump is not among the inputs is skipped (listed in the manifest).
  A damaged index leaves the dump whole, with an `errors` row.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from . import multistream
from .model import Problem
from .read import InputFile

LOOSE_FILES = 256
LOOSE_BYTES = 8 * 1024 * 1024
STREAMS_PER_SHARD = 10  # at most 1000 pages a shard: zhwiki's ~4 M pages are about 4,000 shards
MIN_SHARDS = 32  # a smaller dump gets shorter ranges (down to one stream), so workers stay busy


@dataclass(frozen=True)
class Piece:
    """A whole file, or streams [start, end) of a multistream dump (end None: to its end)."""

    file: InputFile
    header_end: int = 0  # multistream: length of the header stream (<mediawiki>, <siteinfo>)
    start: int = 0
    end: int | None = None
    part: int = 0  # multistream: which range of its dump, 0 first
    ranged: bool = False


@dataclass(frozen=True)
class Shard:
    no: int
    pieces: tuple[Piece, ...]
    notes: tuple[Problem, ...] = ()  # what planning found (a damaged index), reported by map

    @property
    def name(self) -> str:
        return f"{self.no:05d}"


@dataclass
class Plan:
    shards: list[Shard] = field(default_factory=list)
    files: list[InputFile] = field(default_factory=list)  # documents' files (indexes not included)
    indexes: dict[str, str] = field(default_factory=dict)  # dump source -> index source
    skipped: list[str] = field(default_factory=list)


def plan(files: list[InputFile], skipped: list[str] = ()) -> Plan:
    by_path = {f.path.resolve(): f for f in files}
    out = Plan(skipped=list(skipped))
    paired: dict[str, Path] = {}  # dump source -> its index
    for f in files:
        index = multistream.index_for(f.path)
        if index is not None and index.resolve() in by_path:
            paired[f.source] = index.resolve()
            out.indexes[f.source] = by_path[index.resolve()].source
    indexes = set(paired.values())
    loose: list[Piece] = []
    size = 0

    def flush() -> None:
        nonlocal loose, size
        if loose:
            out.shards.append(Shard(len(out.shards), tuple(loose)))
        loose, size = [], 0

    for f in files:
        f = replace(f, path=f.path.absolute())  # workers elsewhere do not share our working folder
        if f.path.resolve() in indexes:
            continue
        if multistream.is_index(f.path.name):  # an index without its dump: not a document
            out.skipped.append(f.source)
            continue
        out.files.append(f)
        if f.source in out.indexes:
            flush()
            _cut(out, f, paired[f.source])
            continue
        loose.append(Piece(f))
        size += _size(f.path)
        if len(loose) >= LOOSE_FILES or size >= LOOSE_BYTES:
            flush()
    flush()
    out.skipped.sort()
    return out


def _cut(out: Plan, f: InputFile, index: Path) -> None:
    """The shards of one multistream dump, ranges of streams in file order (module docstring)."""
    try:
        offsets = multistream.stream_offsets(index)
    except (OSError, EOFError, ValueError) as e:
        note = Problem(f.source, None, "read", "bad-multistream-index",
                       f"{f.source}: its index {index.name} cannot be used ({e}); the dump is read whole")
        out.shards.append(Shard(len(out.shards), (Piece(f),), (note,)))
        return
    if not offsets or offsets[0] == 0:  # no separate header stream to give every range
        out.shards.append(Shard(len(out.shards), (Piece(f),)))
        return
    per = max(1, min(STREAMS_PER_SHARD, len(offsets) // MIN_SHARDS))
    starts = offsets[::per]
    for part, start in enumerate(starts):
        end = starts[part + 1] if part + 1 < len(starts) else None
        piece = Piece(f, header_end=offsets[0], start=start, end=end, part=part, ranged=True)
        out.shards.append(Shard(len(out.shards), (piece,)))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
