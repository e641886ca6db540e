"""Read: input paths in, RawPage records (or Problems) out, in a deterministic order.

- Folders are read recursively; files are taken in sorted order of their path under the root,
  whatever order the file system lists them in. Hidden files and README/LICENSE-like files
  are skipped (they document a folder; they are not pages) and listed in the manifest, each
  with its reason. Linked folders are followed; one met a second time (a link loop, or a
  second name for a folder) is read once and listed. The run's output and cache folders are
  listed, never read back. A folder that cannot be listed is an `unreadable` Problem.
- A file that is not a dump is read whole only up to MAX_DOCUMENT bytes (decompressed); one
  that has NUL bytes in its first MAX_SNIFF bytes is known to be binary without reading on.
  Memory stays bounded whatever a compressed file expands to.
- A file that is no longer the one discovery found once it has been read (replaced, written
  to) gets an `input-changed` Problem.
- Bytes are decoded as UTF-8 (a BOM is dropped, CRLF becomes LF); UTF-16 when it starts with
  a byte-order mark. GB18030/GBK and Big5 are detected with charset-normalizer and decoded only
  when the decoding is clean and reads as CJK text; otherwise the file is rejected with an
  `errors` row. Invalid UTF-8 bytes inside an otherwise UTF-8 page (or UTF-16 code units in a
  UTF-16 one) are replaced by U+FFFD and recorded with the line. NUL bytes mean binary.
- The format comes from the content, never the extension: MediaWiki XML dumps (plain, bz2,
  gz; a `<mediawiki>` root after any prolog), wikitext, pandoc Markdown, pandoc's JSON AST,
  or plain text.
"""

from __future__ import annotations

import bz2
import gzip
import io
import os
import re
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from .model import Problem, RawPage

SKIP_NAMES = re.compile(r"^(README|LICENSE|LICENCE|COPYING|NOTICE|PROVENANCE)(\.[A-Za-z]+)?$"
                        # a corpus folder's file list (MANIFEST.tsv, MANIFEST-a.tsv): not a page
                        r"|^MANIFEST([-_.][A-Za-z0-9]+)?\.(tsv|csv|txt|json|md)$", re.I)
MAX_SNIFF = 64 * 1024  # bytes read to tell a dump, a binary file and the text encoding apart
# A file that is not a dump is one document (a WikiExtractor file a few). MediaWiki refuses to
# save a page over 2 MiB of wikitext ($wgMaxArticleSize), and pandoc's JSON of one is about ten
# times its text: a file over this, once decompressed, is not a page, and reading it whole
# would take memory without bound (a 1 kB .bz2 can hold gigabytes). It is refused, `too-large`.
MAX_DOCUMENT = 64 * 1024 * 1024
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


@dataclass(frozen=True)
class InputFile:
    path: Path
    source: str  # path under its root, "/" separated
    doc_id: str = ""  # set by discover: the source without extension, unless that collides
    identity: tuple[int, ...] | None = None  # file_identity when discover found it


def _add(found: dict[str, InputFile], root: Path, path: Path, source: str) -> None:
    """Two roots holding the same relative path: the later one is named with its root."""
    if source in found:
        source = f"{root.name}/{source}"
    n = 2
    base = source
    while source in found:
        source, n = f"{base}~{n}", n + 1
    found[source] = InputFile(path, source, identity=file_identity(path))


def discover(paths: list[Path], exclude: Mapping[Path | None, str] | None = None
             ) -> tuple[list[InputFile], list[str], list[Problem]]:
    """Every input file under `paths`, sorted by source; what was skipped on purpose, each as
    "path (reason)": hidden files and folders, README-like files, anything that is not a
    regular file, the folders in `exclude` (folder -> why: the run's output), a folder reached a
    second time through a symbolic link (a loop, or a second name); and an `unreadable`
    Problem for each folder that could not be listed. Linked folders are followed."""
    found: dict[str, InputFile] = {}
    skipped: list[str] = []
    problems: list[Problem] = []
    excluded = {key: why for path, why in (exclude or {}).items()
                if path is not None and (key := _identity(path)) is not None}
    for root in paths:
        if root.is_file():
            _add(found, root.parent, root, root.name)
            continue
        if not root.is_dir():
            raise FileNotFoundError(f"input not found: {root}")
        if _identity(root) in excluded:
            skipped.append(f"{root.as_posix()}/ ({excluded[_identity(root)]})")
            continue
        seen = {_identity(root): "the input folder itself"}

        def unlistable(e: OSError, root: Path = root) -> None:
            rel = Path(e.filename or root).relative_to(root).as_posix()
            where = f"{root.as_posix() if rel == '.' else rel}/"
            problems.append(Problem(where, None, "read", "unreadable",
                                    f"{where}: cannot list this folder ({e.strerror or e}); "
                                    "nothing under it was read"))

        for dirpath, dirnames, filenames in os.walk(root, onerror=unlistable, followlinks=True):
            rel = Path(dirpath).relative_to(root)
            kept = []
            for name in sorted(dirnames):  # sorted: the first of two names for a folder wins
                sub, key = (rel / name).as_posix() + "/", _identity(Path(dirpath) / name)
                if name.startswith("."):
                    skipped.append(f"{sub} (hidden)")
                elif key in excluded:
                    skipped.append(f"{sub} ({excluded[key]})")
                elif key in seen:  # a link to a folder above it (a loop) or to one read elsewhere
                    skipped.append(f"{sub} (the same folder as {seen[key]}, read there)")
                else:
                    seen[key] = sub
                    kept.append(name)
            dirnames[:] = kept
            for name in filenames:
                path = Path(dirpath) / name
                source = path.relative_to(root).as_posix()
                if name.startswith("."):
                    skipped.append(f"{source} (hidden)")
                elif SKIP_NAMES.match(name):
                    skipped.append(f"{source} (documents its folder)")
                elif not path.is_file():  # a FIFO would block, a broken link cannot be read
                    skipped.append(f"{source} (not a regular file)")
                else:
                    _add(found, root, path, source)
    files = [found[k] for k in sorted(found)]
    # a.md and a.wiki would both be doc_id "a": such files keep their extension instead.
    ids = [doc_id_for(f.source) for f in files]
    clash = {i for i in ids if ids.count(i) > 1}
    files = [replace(f, doc_id=f.source if i in clash else i) for f, i in zip(files, ids)]
    return files, sorted(skipped), sorted(problems, key=lambda p: p.source)


def file_identity(path: Path) -> tuple[int, ...] | None:
    """(device, inode, size, modified ns): a file replaced or written to since has another."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _identity(path: Path) -> tuple[int, ...] | None:
    """What a folder is, whatever it is called (links followed): None if it cannot be told."""
    identity = file_identity(path)
    return identity[:2] if identity else None


def doc_id_for(source: str) -> str:
    """The path under the input root without its extension(s): stable across reruns."""
    for ext in (".xml.bz2", ".xml.gz", ".bz2", ".gz"):
        if source.endswith(ext):
            return source[: -len(ext)]
    stem, dot, ext = source.rpartition(".")
    return stem if dot and "/" not in ext and stem else source


def open_stream(path: Path) -> tuple[io.BufferedIOBase, str, io.BufferedIOBase]:
    """A binary stream of the file's content, decompressed by magic bytes (not extension),
    and the raw file under it (whose position tells how much of the file has been read)."""
    with open(path, "rb") as f:
        magic = f.read(10)
    raw = open(path, "rb")
    # "BZh", a block-size digit, then a block (pi) or end-of-stream (sqrt pi) marker: a text
    # file that merely starts with "BZh" is text.
    if magic[:3] == b"BZh" and magic[3:4].isdigit() and magic[4:10] in (b"1AY&SY", b"\x17rE8P\x90"):
        # BZ2File reads concatenated streams, as in Wikimedia's multistream dumps.
        return bz2.BZ2File(raw, "rb"), "bz2", raw
    if magic[:3] == b"\x1f\x8b\x08":  # gzip magic + deflate, the only method gzip defines
        return gzip.GzipFile(fileobj=raw, mode="rb"), "gzip", raw
    return raw, "", raw


# What may stand before a dump's root element: whitespace, the XML declaration and other
# processing instructions, comments, a DOCTYPE (its internal subset in brackets).
_PROLOG = re.compile(rb"(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>)*", re.S)
_PROLOG_START = (b"<?", b"<!--", b"<!DOCTYPE")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def is_xml_dump(head: bytes) -> bool:
    """The first bytes of a MediaWiki export: a `<mediawiki` root after any prolog. A prolog
    still open at the end of a full MAX_SNIFF prefix counts too; the dump reader then checks
    the root and records a file whose root is something else."""
    head = head.removeprefix(b"\xef\xbb\xbf")
    rest = head[_PROLOG.match(head).end():]
    if rest.startswith(b"<mediawiki") and (rest[10:11].isspace() or rest[10:11] in (b">", b"/", b"")):
        return True
    return len(head) >= MAX_SNIFF and rest.startswith(_PROLOG_START)


def _is_binary(data: bytes) -> bool:
    return not data.startswith(_UTF16_BOMS) and b"\x00" in data[:MAX_SNIFF]


def decode(data: bytes, source: str) -> tuple[str | None, list[Problem]]:
    """Text of a file, or None with the reason. Never returns mojibake."""
    doc_id = doc_id_for(source)
    if not data.strip():
        return None, [Problem(source, doc_id, "read", "empty-file", f"{source}: file is empty")]
    if data.startswith(_UTF16_BOMS):
        return _decode_utf16(data, source)
    if _is_binary(data):
        return None, [Problem(source, doc_id, "read", "binary-file",
                              f"{source}: binary file (NUL bytes), not text "
                              f"(UTF-16 text needs a byte-order mark)")]
    try:
        return _newlines(data.decode("utf-8-sig")), []
    except UnicodeDecodeError as e:
        utf8_error = e
    # Mostly UTF-8 with a few broken bytes: keep the page, mark the bytes, record it. Checked
    # before GB18030, which decodes much UTF-8 Chinese cleanly into the wrong characters; a
    # GB18030/Big5 file read as UTF-8 has fewer valid multi-byte sequences than broken ones
    # (at most 0.8 per broken one over the corpus pages), a damaged UTF-8 page far more.
    text = data.decode("utf-8-sig", errors="replace")
    bad = text.count("\ufffd")
    valid = sum(1 for c in text if c > "\x7f") - bad
    few_bad = bad <= max(8, len(text) // 1000)
    line = data[: utf8_error.start].count(b"\n") + 1
    broken = Problem(source, doc_id, "read", "invalid-utf8",
                     f"{source}: line {line}: {bad} invalid UTF-8 byte sequence(s) replaced by U+FFFD")
    if few_bad and valid >= 2 * bad:
        return _newlines(text), [broken]
    legacy = _decode_legacy(data)
    if legacy is not None:
        return _newlines(legacy), []
    if few_bad:
        return _newlines(text), [broken]
    return None, [Problem(source, doc_id, "read", "unknown-encoding",
                          f"{source}: not UTF-8 and no confident GB18030/Big5 decoding "
                          f"(first bad byte at offset {utf8_error.start})")]


def _decode_utf16(data: bytes, source: str) -> tuple[str | None, list[Problem]]:
    """UTF-16 with a BOM; a few broken code units (an odd final byte, a lone surrogate) become
    U+FFFD and are recorded, more mean the file is not UTF-16 text (a binary that starts with
    FF FE) and it is rejected."""
    doc_id = doc_id_for(source)
    try:
        return _newlines(data.decode("utf-16")), []
    except UnicodeDecodeError as e:
        text = data.decode("utf-16", errors="replace")
        bad = text.count("\ufffd")
        if bad <= max(8, len(text) // 1000):
            line = data[: e.start - e.start % 2].decode("utf-16", errors="replace").count("\n") + 1
            return _newlines(text), [Problem(
                source, doc_id, "read", "invalid-utf16",
                f"{source}: line {line}: {bad} invalid UTF-16 code unit(s) replaced by U+FFFD")]
        return None, [Problem(source, doc_id, "read", "unknown-encoding",
                              f"{source}: starts with a UTF-16 byte-order mark but is not UTF-16 "
                              f"text (first bad byte at offset {e.start})")]


def _decode_legacy(data: bytes) -> str | None:
    """GB18030 or Big5, when the decoding is clean and reads as CJK text."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 1024 * 1024], cp_isolation=["gb18030", "big5", "cp950", "gbk"]).best()
    candidates = [best.encoding] if best is not None else []
    candidates += [c for c in ("gb18030", "big5") if c not in candidates]
    for enc in candidates:
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        if _PRIVATE_USE.search(text):
            continue  # GB18030 maps stray byte pairs there; real text does not use them
        letters = [c for c in text if c.isalpha()]
        cjk = sum(1 for c in letters if "\u4e00" <= c <= "\u9fff")
        if letters and cjk / len(letters) > 0.3:
            return text
    return None


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


_WIKI_SIGNS = (
    (re.compile(r"\[\[[^\]\n]+\]\]"), 2),
    (re.compile(r"\{\{[^}\n]*"), 2),
    (re.compile(r"^==+[^=\n]+==+\s*$", re.M), 3),
    (re.compile(r"^\{\|", re.M), 3),
    (re.compile(r"'''[^'\n]+'''"), 2),
    (re.compile(r"<ref[ >]"), 2),
)
_MD_SIGNS = (
    (re.compile(r"\]\([^)\s]+(?: \"wikilink\")?\)"), 2),
    (re.compile(r"^#{1,6} \S", re.M), 3),
    (re.compile(r"^\|?\s*:?-{3,}:?\s*\|", re.M), 3),
    (re.compile(r"\*\*[^*\n]+\*\*"), 1),
    (re.compile(r"\\\[\d+\\\]"), 2),
    (re.compile(r"^\s*[-*] \S", re.M), 1),
)


def detect_format(text: str) -> str:
    """pandoc-json / wikitext / markdown / plaintext, by which markup the content actually uses."""
    from .readers.pandocjson import is_pandoc_json

    if is_pandoc_json(text):
        return "pandoc-json"
    head = text[:MAX_SNIFF]
    wiki = sum(w for rx, w in _WIKI_SIGNS if rx.search(head))
    md = sum(w for rx, w in _MD_SIGNS if rx.search(head))
    if max(wiki, md) < 2:
        return "plaintext"
    return "wikitext" if wiki > md else "markdown"


def _sniff(stream) -> tuple[bytes, Exception | None]:
    """Up to MAX_SNIFF bytes from the start of a stream, and the error that cut them short if
    one did (read1: what decompressed before a damaged block is kept)."""
    parts, size = [], 0
    try:
        while size < MAX_SNIFF:
            chunk = stream.read1(MAX_SNIFF - size)
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
    except (OSError, EOFError, zlib.error) as e:
        return b"".join(parts), e
    return b"".join(parts), None


class _Replay:
    """A stream whose first bytes were read to sniff it: those bytes again, then the error
    that stopped the sniffing (if one did), then the rest of the stream."""

    def __init__(self, head: bytes, error: Exception | None, stream) -> None:
        self.head, self.error, self.stream = head, error, stream

    def read1(self, size: int = -1) -> bytes:
        if self.head:
            out, self.head = self.head, b""
            return out
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        return self.stream.read1(size)

    read = read1  # all the dump reader needs: it reads in chunks


def read_file(f: InputFile, namespaces: frozenset[int] = frozenset({0}),
              watch: Callable[[Callable[[], int]], None] | None = None) -> Iterator:
    """RawPages of one input file (dumps also yield Redirect and SkippedNamespace records);
    Problems for what could not be read, and `input-changed` last if the file is no longer the
    one discover found (replaced or written to while the run read it). Never raises for bad
    input. `watch`, if given, receives a function telling how many bytes of the file have been
    read."""
    yield from _read_file(f, namespaces, watch)
    if f.identity is not None and file_identity(f.path) != f.identity:
        yield Problem(f.source, None, "read", "input-changed",
                      f"{f.source}: the file changed while the run read it (size, time or inode "
                      "differ from when it was found): its rows may come from either version or "
                      "both, and the manifest gives no sha256 for it")


def _read_file(f: InputFile, namespaces: frozenset[int],
               watch: Callable[[Callable[[], int]], None] | None) -> Iterator:
    doc_id = f.doc_id or doc_id_for(f.source)
    try:
        stream, compression, raw = open_stream(f.path)
    except OSError as e:
        yield Problem(f.source, None, "read", "unreadable", f"{f.source}: {e}")
        return
    if watch is not None:
        watch(raw.tell)
    with raw, stream:
        head, error = _sniff(stream)
        if error is not None and not head:
            # Not even the first block decompresses (bz2 blocks are up to 900 kB).
            yield Problem(f.source, doc_id, "read", "corrupt-compression",
                          f"{f.source}: {compression} stream is damaged or cut short before its "
                          f"first complete block; nothing could be read ({error})")
            return
        if is_xml_dump(head):
            from .readers.xmldump import new_scan, read_dump

            yield from read_dump(_Replay(head, error, stream), f.source, namespaces)
            return
        data = head
        # A binary file (or a bomb of zeros) is known from its first bytes: the rest is not read.
        if error is None and len(head) == MAX_SNIFF and not _is_binary(head):
            try:
                data += stream.read(MAX_DOCUMENT + 1 - len(head))
            except (OSError, EOFError, zlib.error) as e:
                error = e
        if error is not None:
            yield Problem(f.source, doc_id, "read", "corrupt-compression",
                          f"{f.source}: {compression} stream is damaged or truncated: {error}")
            return
        if len(data) > MAX_DOCUMENT:
            unpacked = f" once {compression}-decompressed" if compression else ""
            yield Problem(f.source, doc_id, "read", "too-large",
                          f"{f.source}: more than {MAX_DOCUMENT >> 20} MiB of text{unpacked} and "
                          "not a dump: too large to be one page; not read")
            return
    text, problems = decode(data, f.source)
    yield from problems
    if text is None:
        return
    fmt = detect_format(text)
    if fmt == "plaintext" and text.lstrip().startswith("<doc "):
        from .readers.plaintext import split_extractor_docs

        yield from split_extractor_docs(text, f.source, doc_id)
        return
    yield RawPage(source=f.source, doc_id=doc_id, format=fmt, text=text)


@dataclass(frozen=True)
class RangeRead:
    """The end of a multistream range: how much of the dump it held (for global positions)."""

    source: str
    part: int
    lines: int
    bytes: int
    pages: int
    last: str  # the range's last complete page, as the dump reader names it ("" if none)


def read_piece(piece, namespaces: frozenset[int] = frozenset({0})) -> Iterator:
    """`read_file` for a whole file; for a multistream range (plan.Piece), the records of its
    pages, then a RangeRead. Never raises for bad input."""
    if not piece.ranged:
        yield from read_file(piece.file, namespaces)
        return
    from .multistream import range_xml
    from .readers.xmldump import new_scan, read_dump

    f = piece.file
    try:
        stream = range_xml(f.path, piece.header_end, piece.start, piece.end)
    except OSError as e:
        yield Problem(f.source, None, "read", "unreadable", f"{f.source}: {e}")
        return
    scan = new_scan(f.source, namespaces)
    with stream:
        yield from read_dump(stream, f.source, namespaces, scan)
    last = scan.last_done if scan.pages_done else ""
    yield RangeRead(f.source, piece.part, stream.lines, stream.bytes, stream.pages, last)
