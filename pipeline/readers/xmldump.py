"""XML dump reader: a MediaWiki export (any schema version) -> one record per page, streamed.

In: a binary stream of `<mediawiki>` XML, already decompressed (read.py opens bz2, including
Wikimedia's multistream files, and gzip), the input's `source`, and the namespaces to keep.
Out, in document order:
- `RawPage` (format "wikitext") for each page in a wanted namespace, with the text, id and
  timestamp of its LAST revision in the file (full-history dumps list them oldest first);
- `Redirect` for a page that only redirects: a `<redirect title=…/>` element, or, for exports
  without it, text starting `#REDIRECT [[X]]` / `#重定向 [[X]]` (zhwiki's magic words);
- `Problem` (stage "read") for a page without an id, title or text, or with a page id beyond
  int64 (`bad-page-id`; the page is skipped, the next page is read; a revision id beyond int64
  is a `bad-revision-id` row and the page is kept without it), and
  once for a dump that stops being readable: "truncated-dump", "malformed-xml",
  "corrupt-compression", or "too-large" (over MAX_STRETCH bytes inside one element's text).
  Every page completed before that point has already been yielded; nothing after it is read,
  and nothing is raised.
- `SkippedNamespace` last, one per namespace with pages outside `namespaces`: those pages yield
  nothing else, and the caller records these counts in the manifest.
Dropped on purpose: older revisions, contributors, comments, sha1s, `<upload>` and log items.
The `<siteinfo>` names of the File and Category namespaces go with each page
(`PageMeta.namespace_names`), so the wikitext reader knows `[[Kategorie:…]]` on a dewiki page.

The wiki name (the `doc_id` prefix, `{wiki}/{page_id}`) is `<siteinfo><dbname>`, else derived
from the `<base>` URL ("https://vi.wikipedia.org/…" -> "viwiki"), else "wiki".

Memory does not grow with the number of pages: the stream is fed in fixed-size chunks to an
XMLPullParser, each revision is dropped from the tree as soon as it is read (only the latest
one's fields are kept), and each page is removed from the root once it has been turned into a
record. mwxml was not used: it lets the parser's exceptions (and the decompressor's) escape
from inside its page iterator with no position, and it keeps the cleared pages in the root.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urlsplit

from ..model import PageMeta, Problem, RawPage, Redirect

CHUNK = 64 * 1024  # bytes fed to the parser at a time; bounds how far a read runs ahead
# Ids are int64 columns in the outputs (MediaWiki's own are unsigned 32-bit, page_id int(10)):
# a larger one is damage, and would stop the writer.
MAX_ID = 2**63 - 1
# The parser holds an element's text until the element ends, so one endless <text> (a bz2 bomb
# of a dump) would take memory without bound. MediaWiki stores at most 2 MiB of text per
# revision ($wgMaxArticleSize); even escaped as &quot;… six times over it is far below this.
MAX_STRETCH = 64 * 1024 * 1024  # uncompressed bytes with no element starting or ending
FILE_NS, CATEGORY_NS = 6, 14  # MediaWiki's fixed numbers; their names differ by wiki

# Leading "#REDIRECT [[X]]" as MediaWiki recognises it: only at the very start of the text.
# The Chinese words are zhwiki's aliases (zh-hans and zh-hant message files).
_REDIRECT_TEXT = re.compile(r"\s*#\s*(?:REDIRECT|重定向|重新導向|重新定向)\s*:?\s*\[\[([^\]|\n]+)", re.I)
_WIKIMEDIA_HOST = re.compile(
    r"^([a-z0-9-]+)\.(wikipedia|wiktionary|wikibooks|wikinews|wikiquote|wikisource|"
    r"wikiversity|wikivoyage)\.org$"
)


@dataclass(frozen=True)
class SkippedNamespace:
    """Pages of one namespace that a dump held and the run did not want (manifest row)."""

    source: str
    wiki: str
    namespace: int
    pages: int


DumpRecord = RawPage | Redirect | Problem | SkippedNamespace


def read_dump(stream: BinaryIO, source: str, namespaces: frozenset[int],
              scan: "_Scan | None" = None) -> Iterator[DumpRecord]:
    """Records of one dump, in order; never raises for bad input (see the module docstring).
    `scan` (a `new_scan()`), if given, tells the caller afterwards where reading ended."""
    scan = scan or _Scan(source, namespaces)
    parser = ET.XMLPullParser(events=("start", "end"))
    # read1: one decompressor call at a time, so the bytes decoded before a damaged block reach
    # the parser; read(n) would discard them when the error surfaces later in the same call.
    read = getattr(stream, "read1", stream.read)
    while True:
        try:
            chunk = read(CHUNK)
        except (EOFError, OSError, zlib.error) as e:
            # bz2/gzip raise these for a stream cut short or damaged; what was fed is done.
            yield scan.stop("corrupt-compression", f"compressed stream is damaged or cut short ({e})")
            break
        if not chunk:
            try:
                parser.close()
            except ET.ParseError as e:
                # Input ended inside an element: the end of the file is missing.
                yield from scan.drain(parser)
                yield scan.stop("truncated-dump", f"dump ends before </mediawiki> ({e})")
                break
            try:
                yield from scan.drain(parser)
            except ET.ParseError as e:
                yield scan.stop("malformed-xml", f"malformed XML: {e}")
            break
        parser.feed(chunk)
        scan.advance(chunk)
        try:
            yield from scan.drain(parser)
        except ET.ParseError as e:
            yield scan.stop("malformed-xml", f"malformed XML: {e}")
            break
        if scan.bytes - scan.mark > MAX_STRETCH:
            yield scan.stop("too-large", f"more than {MAX_STRETCH >> 20} MiB without an element "
                            "starting or ending (no page's text is that long); not read further")
            break
    yield from scan.skipped()


def new_scan(source: str, namespaces: frozenset[int]) -> "_Scan":
    return _Scan(source, namespaces)


class _Scan:
    """The state of one dump between chunks: site name, open elements, last page done."""

    def __init__(self, source: str, namespaces: frozenset[int]) -> None:
        self.source = source
        self.namespaces = namespaces
        self.wiki = "wiki"
        self.ns_names: dict[str, int] = {}  # "Talk" -> 1, for schemas without <ns>
        self.link_ns: tuple[tuple[str, int], ...] = ()  # PageMeta.namespace_names
        self.root: ET.Element | None = None
        self.page: ET.Element | None = None
        self.latest: ET.Element | None = None  # last <revision> of the open page
        self.depth = 0
        self.bytes = 0  # uncompressed bytes fed so far
        self.mark = 0  # self.bytes when the parser last reported an element starting or ending
        self.lines = 1
        self.pages_done = 0
        self.last_done = "no complete page"
        self.skip = Counter[int]()

    def advance(self, chunk: bytes) -> None:
        self.bytes += len(chunk)
        self.lines += chunk.count(b"\n")

    def drain(self, parser: ET.XMLPullParser) -> Iterator[DumpRecord]:
        for event, elem in parser.read_events():
            self.mark = self.bytes
            if event == "start":
                self.depth += 1
                if self.depth == 1:
                    if _local(elem.tag) != "mediawiki":  # read.py sniffs a bounded prefix only
                        raise ET.ParseError(f"the root element is <{_local(elem.tag)}>, not <mediawiki>")
                    self.root = elem
                elif self.depth == 2 and _local(elem.tag) == "page":
                    self.page, self.latest = elem, None
                continue
            depth, self.depth = self.depth, self.depth - 1
            if depth == 3 and self.page is not None and _local(elem.tag) == "revision":
                # Keep only the newest revision: a full-history page can hold thousands.
                if self.latest is not None:
                    self.page.remove(self.latest)
                self.latest = elem
            elif depth == 2 and self.root is not None:
                name = _local(elem.tag)
                if name == "siteinfo":
                    self._siteinfo(elem)
                elif name == "page":
                    yield from self._page(elem)
                    self.page = self.latest = None
                # Nothing under the root is needed once read; keeping it would grow with the dump.
                del self.root[:]

    def _siteinfo(self, elem: ET.Element) -> None:
        dbname = (_child_text(elem, "dbname") or "").strip()
        self.wiki = dbname or _wiki_from_base(_child_text(elem, "base")) or "wiki"
        for child in elem:
            if _local(child.tag) == "namespaces":
                for ns in child:
                    key = ns.get("key")
                    if key is not None and key.lstrip("-").isdecimal() and ns.text:
                        self.ns_names[ns.text.strip()] = int(key)
        self.link_ns = tuple(sorted({(name.lower(), key) for name, key in self.ns_names.items()
                                     if key in (FILE_NS, CATEGORY_NS)}))

    def _page(self, page: ET.Element) -> Iterator[DumpRecord]:
        title = _child_text(page, "title")
        id_text = _child_text(page, "id")
        page_id = _number(id_text)
        doc_id = f"{self.wiki}/{page_id}" if page_id is not None else None
        self.pages_done += 1
        self.last_done = f"last complete page {title!r} (id {id_text})"
        where = f"{self.source}: page {title!r} near line {self.lines}"

        ns_text = _child_text(page, "ns")
        if ns_text is not None:
            try:
                namespace = int(ns_text)
            except ValueError:
                yield Problem(self.source, doc_id, "read", "bad-namespace",
                              f"{where}: <ns> is not a number: {ns_text!r}")
                return
        else:
            # Schemas before 0.6 have no <ns>: the title's prefix names the namespace.
            prefix, colon, _ = (title or "").partition(":")
            namespace = self.ns_names.get(prefix, 0) if colon else 0
        if namespace not in self.namespaces:
            self.skip[namespace] += 1
            return
        if page_id is None:
            yield Problem(self.source, None, "read", "missing-page-id",
                          f"{where}: page has no numeric <id> ({id_text!r})")
            return
        if page_id > MAX_ID:
            yield Problem(self.source, None, "read", "bad-page-id",
                          f"{where}: page id {page_id} is beyond the 64-bit range of the outputs; "
                          "page skipped")
            return
        if not title:
            yield Problem(self.source, doc_id, "read", "missing-title",
                          f"{where}: page {page_id} has no <title>")
            return

        redirect = next((c for c in page if _local(c.tag) == "redirect"), None)
        rev = self.latest
        text_elem = None if rev is None else next((c for c in rev if _local(c.tag) == "text"), None)
        # <text deleted="deleted"/>: the revision's text was suppressed, so there is no text.
        text = None if text_elem is None or text_elem.get("deleted") is not None else text_elem.text or ""

        target = redirect.get("title") if redirect is not None else None
        if target is None and text is not None:
            m = _REDIRECT_TEXT.match(text)
            if m:
                # The <redirect> element names the page without "#section"; match it.
                target = m.group(1).split("#", 1)[0].replace("_", " ").strip() or title
        if target is not None:
            yield Redirect(self.source, self.wiki, page_id, title, target)
            return
        if text is None:
            yield Problem(self.source, doc_id, "read", "missing-text",
                          f"{where}: page {page_id} has no revision text")
            return
        rev_text = _child_text(rev, "id") if rev is not None else None
        revision_id = _number(rev_text)
        if revision_id is not None and revision_id > MAX_ID:
            yield Problem(self.source, doc_id, "read", "bad-revision-id",
                          f"{where}: revision id {revision_id} is beyond the 64-bit range of the "
                          "outputs; page kept with no revision id")
            revision_id = None
        meta = PageMeta(
            wiki=self.wiki,
            page_id=page_id,
            revision_id=revision_id,
            timestamp=_child_text(rev, "timestamp") if rev is not None else None,
            namespace=namespace,
            namespace_names=self.link_ns,
        )
        yield RawPage(self.source, doc_id, "wikitext", text, title=title, meta=meta)

    def stop(self, kind: str, what: str) -> Problem:
        """The one Problem that ends a dump: where it stopped and what was kept."""
        doc_id = None
        if self.page is not None:  # the page being read when the dump broke is lost
            page_id = _number(_child_text(self.page, "id"))
            if page_id is not None:
                doc_id = f"{self.wiki}/{page_id}"
        return Problem(
            self.source, doc_id, "read", kind,
            f"{self.source}: {what}; stopped near line {self.lines}, byte {self.bytes} "
            f"(uncompressed) after {self.pages_done} complete page(s), {self.last_done}",
        )

    def skipped(self) -> Iterator[SkippedNamespace]:
        for ns in sorted(self.skip):
            yield SkippedNamespace(self.source, self.wiki, ns, self.skip[ns])


def _number(text: str | None) -> int | None:
    """An <id>'s value; None when it is missing or not a whole number."""
    return int(text) if text and text.strip().isdecimal() else None


def _local(tag: str) -> str:
    """Tag name without its schema namespace: "{…export-0.10/}page" -> "page"."""
    return tag.rpartition("}")[2]


def _child_text(elem: ET.Element, name: str) -> str | None:
    for child in elem:
        if _local(child.tag) == name:
            return child.text or ""
    return None


def _wiki_from_base(base: str | None) -> str | None:
    """Wikimedia's dbname from a site URL ("zh-yue.wikipedia.org" -> "zh_yuewiki"), else the host."""
    host = (urlsplit(base.strip()).hostname or "") if base else ""
    m = _WIKIMEDIA_HOST.match(host)
    if m:
        project = "wiki" if m.group(2) == "wikipedia" else m.group(2)
        return m.group(1).replace("-", "_") + project
    return host or None
