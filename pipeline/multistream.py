"""Wikimedia multistream dumps: `…-multistream.xml.bz2` cut by its `…-multistream-index.txt.bz2`.

In: a dump made of many bz2 streams (the first holds `<mediawiki>` and `<siteinfo>`, then one
stream per 100 pages, the last `</mediawiki>`), and its index, one line per page
`offset:page_id:title` where offset is the byte offset of the stream holding the page.
Out: the stream offsets (`stream_offsets`), and for a range of them the XML a worker reads
(`range_xml`): the header stream, the range's streams, and a closing tag unless the range runs
to the end of the file. Each worker decompresses its own streams; nobody reads the whole dump.

The index is never a document of its own: `index_for` pairs it with its dump (plan.py), and an
index without a dump beside it is skipped and listed in the manifest's skipped files.
"""

from __future__ import annotations

import bz2
import io
from pathlib import Path

DUMP_SUFFIX = "-multistream.xml.bz2"
INDEX_SUFFIX = "-multistream-index.txt.bz2"
# The index's offsets: `offset:page_id:title` (titles may hold colons, so split twice at most).
# A line longer than this (a title is at most 255 bytes) is damage, or a decompression bomb
# that would otherwise be read whole as one line.
MAX_LINE = 64 * 1024


def is_index(name: str) -> bool:
    return name.endswith(INDEX_SUFFIX) or name.endswith(INDEX_SUFFIX.removesuffix(".bz2"))


def index_for(dump: Path) -> Path | None:
    """The index beside a multistream dump (compressed or not), if there is one."""
    if not dump.name.endswith(DUMP_SUFFIX):
        return None
    stem = dump.name.removesuffix(DUMP_SUFFIX)
    for suffix in (INDEX_SUFFIX, INDEX_SUFFIX.removesuffix(".bz2")):
        candidate = dump.with_name(stem + suffix)
        if candidate.is_file():
            return candidate
    return None


def stream_offsets(index: Path) -> list[int]:
    """The distinct stream offsets the index names, ascending; ValueError for a damaged line."""
    opener = bz2.open if index.name.endswith(".bz2") else open
    offsets: set[int] = set()
    with opener(index, "rb") as f:
        for n, line in enumerate(iter(lambda: f.readline(MAX_LINE), b""), 1):
            if len(line) == MAX_LINE and not line.endswith(b"\n"):
                raise ValueError(f"{index.name}: line {n} is longer than {MAX_LINE} bytes")
            head = line.split(b":", 1)[0].strip()
            if not line.strip():
                continue
            if not head.isdigit():
                raise ValueError(f"{index.name}: line {n} is not offset:page_id:title")
            offsets.add(int(head))
    return sorted(offsets)


def range_xml(path: Path, header_end: int, start: int, end: int | None) -> "RangeStream":
    """The XML of streams [start, end) of `path` (end None: to the end of the file), after the
    header stream [0, header_end), closed with `</mediawiki>` when the range stops early."""
    return RangeStream(path, header_end, start, end)


class RangeStream(io.RawIOBase):
    """Decompressed on demand, one compressed block at a time, so a damaged stream raises
    (EOFError/OSError, as BZ2File does) only after everything before it has been read."""

    BLOCK = 256 * 1024

    def __init__(self, path: Path, header_end: int, start: int, end: int | None):
        self.f = open(path, "rb")
        self.chunks = self._chunks([(0, header_end), (start, end)], closing=end is not None)
        self.pending = b""
        # newlines, bytes and pages of the range itself (not the header), which the run adds to
        # the positions the reader of a later range reports, so they stay global (shardmap.py)
        self.lines = self.bytes = self.pages = 0
        self._tail = b""

    def _count(self, out: bytes) -> None:
        self.lines += out.count(b"\n")
        self.bytes += len(out)
        joined = self._tail + out  # a tag cut between two chunks; 6 bytes never hold a whole one
        self.pages += joined.count(b"</page>")
        self._tail = joined[-6:]

    def readable(self) -> bool:
        return True

    def _chunks(self, spans, closing: bool):
        for span, (at, stop) in enumerate(spans):
            self.f.seek(at)
            left = None if stop is None else stop - at
            d = None
            while left is None or left > 0:
                data = self.f.read(self.BLOCK if left is None else min(self.BLOCK, left))
                if not data:
                    break
                if left is not None:
                    left -= len(data)
                while data:
                    d = d or bz2.BZ2Decompressor()
                    out = d.decompress(data)
                    data = b""
                    if out:
                        if span:
                            self._count(out)
                        yield out
                    if d.eof:  # the next stream starts in what is left over
                        data, d = d.unused_data, None
            if d is not None:
                raise EOFError("Compressed file ended before the end-of-stream marker was reached")  # as BZ2File says
        if closing:
            yield b"</mediawiki>\n"

    def read1(self, n: int = -1) -> bytes:
        if not self.pending:
            self.pending = next(self.chunks, b"")
        if n < 0 or n >= len(self.pending):
            out, self.pending = self.pending, b""
        else:
            out, self.pending = self.pending[:n], self.pending[n:]
        return out

    def read(self, n: int = -1) -> bytes:
        if n >= 0:
            return self.read1(n)
        return b"".join(iter(self.read1, b""))

    def close(self) -> None:
        self.f.close()
        super().close()
