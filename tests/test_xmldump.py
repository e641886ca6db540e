"""XML dump reader: real and synthetic exports, compressed, truncated, malformed, and big.

Expectations come from reading the files under tests/data/corpus/xml (see PROVENANCE.md there).
"""

from __future__ import annotations

import bz2
import gzip
import io
import re
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.model import PageMeta, Problem, RawPage, Redirect
from pipeline.readers.xmldump import SkippedNamespace, read_dump

DATA = Path(__file__).parent / "data" / "corpus" / "xml"
VIWIKI = DATA / "wikiextractor_pr_viwiki_10pages.xml"
MWXML = DATA / "mwxml_synthetic_dump.xml"
VI_SRC = "xml/viwiki.xml"

# (page id, title, revision id, timestamp) of the viwiki articles in namespace 0.
VI_ARTICLES = [
    (2, "Trang Chính", 69670100, "2023-02-12T08:09:12Z"),
    (4, "Internet Society", 69358207, "2022-11-27T18:52:25Z"),
    (13, "Tiếng Việt", 70632223, "2023-08-31T04:26:59Z"),
    (24, "Ohio", 70487534, "2023-07-26T14:40:33Z"),
    (26, "California", 69958921, "2023-05-07T19:05:20Z"),
    (33, "Thụy Điển", 70559380, "2023-08-13T18:22:32Z"),
]
VI_REDIRECTS = [
    Redirect(VI_SRC, "viwiki", 1, "Alexandre De Rhodes", "Alexandre de Rhodes"),
    Redirect(VI_SRC, "viwiki", 5, "ISOC Vietnam", "Internet Society"),
    Redirect(VI_SRC, "viwiki", 25, "Ca Li", "California"),
]
VI_ORDER = [1, 2, 4, 5, 13, 24, 25, 26, 33]  # page ids in file order, namespace 0


def read(data: bytes, namespaces=frozenset({0}), source=VI_SRC) -> list:
    return list(read_dump(io.BytesIO(data), source, namespaces))


def split(records: list) -> tuple[list, list, list]:
    """(pages and redirects, problems, skipped-namespace records)."""
    pages = [r for r in records if isinstance(r, (RawPage, Redirect))]
    problems = [r for r in records if isinstance(r, Problem)]
    skipped = [r for r in records if isinstance(r, SkippedNamespace)]
    assert len(pages) + len(problems) + len(skipped) == len(records)
    return pages, problems, skipped


def page_id(r) -> int:
    return r.meta.page_id if isinstance(r, RawPage) else r.page_id


# --- the real viwiki export ---------------------------------------------------------------

def test_viwiki_pages_redirects_and_truncation():
    records = read(VIWIKI.read_bytes())
    pages, problems, skipped = split(records)
    assert [page_id(r) for r in pages] == VI_ORDER
    assert [r for r in pages if isinstance(r, Redirect)] == VI_REDIRECTS
    articles = [r for r in pages if isinstance(r, RawPage)]
    assert [(r.meta.page_id, r.title, r.meta.revision_id, r.meta.timestamp) for r in articles] == VI_ARTICLES
    for r in articles:
        assert r.doc_id == f"viwiki/{r.meta.page_id}"
        assert r.format == "wikitext" and r.source == VI_SRC
        assert r.meta.wiki == "viwiki" and r.meta.namespace == 0
    # The whole text, not a prefix: compare with the sizes the dump itself declares.
    sizes = dict(zip([1, 2, 4, 5, 13, 24, 25, 26, 28, 33],
                     map(int, re.findall(rb'<text bytes="(\d+)"', VIWIKI.read_bytes()))))
    for r in articles:
        assert len(r.text.encode()) == sizes[r.meta.page_id]
    assert articles[-1].text.endswith("[[Thể loại:Quốc gia thành viên Liên minh Địa Trung Hải]]")
    assert articles[0].text.startswith('<templatestyles src="Wiki2021/')

    # All 10 pages were complete; only the closing </mediawiki> is missing.
    assert len(problems) == 1
    p = problems[0]
    assert (p.source, p.doc_id, p.stage, p.kind) == (VI_SRC, None, "read", "truncated-dump")
    assert VI_SRC in p.message and "'Thụy Điển' (id 33)" in p.message
    assert "10 complete page(s)" in p.message and "line 2378" in p.message
    # The Wikipedia: page is the only one outside namespace 0; it is counted, last.
    assert skipped == [SkippedNamespace(VI_SRC, "viwiki", 4, 1)]
    assert records[-1] == skipped[0]


def test_viwiki_wanted_project_namespace():
    pages, _, skipped = split(read(VIWIKI.read_bytes(), frozenset({0, 4})))
    assert skipped == []
    project = [r for r in pages if isinstance(r, RawPage) and r.meta.namespace == 4]
    assert [(r.doc_id, r.title, r.meta.revision_id) for r in project] == [
        ("viwiki/28", "Wikipedia:Nhật trình tải lên", 11458607)]


# --- the synthetic mwxml fixture: several revisions, schema 0.8 -----------------------------

def test_mwxml_latest_revision_and_namespaces():
    records = read(MWXML.read_bytes(), source="dump.xml")
    assert records == [
        RawPage("dump.xml", "enwiki/1", "wikitext", "Revision 2 text", title="Foo",
                meta=PageMeta("enwiki", 1, 2, "2004-08-10T09:04:08Z", 0)),
        SkippedNamespace("dump.xml", "enwiki", 1, 1),
    ]  # complete file: no Problem
    both = read(MWXML.read_bytes(), frozenset({0, 1}), source="dump.xml")
    assert [(r.title, r.meta.revision_id, r.text, r.meta.namespace) for r in both] == [
        ("Foo", 2, "Revision 2 text", 0), ("Bar", 3, "Revision 3 text", 1)]


# --- compression ----------------------------------------------------------------------------

def test_bz2_multistream_and_gzip_read_like_plain(tmp_path):
    raw = VIWIKI.read_bytes()
    expected = read(raw)
    cut = len(raw) // 3  # a stream boundary in the middle of a page's text
    variants = {
        "one.xml.bz2": bz2.compress(raw),
        "two.xml.bz2": bz2.compress(raw[:cut]) + bz2.compress(raw[cut:]),
        "one.xml.gz": gzip.compress(raw),
    }
    for name, data in variants.items():
        path = tmp_path / name
        path.write_bytes(data)
        opener = bz2.open if name.endswith(".bz2") else gzip.open
        with opener(path, "rb") as stream:
            assert list(read_dump(stream, VI_SRC, frozenset({0}))) == expected, name


def _page_streams(raw: bytes) -> list[bytes]:
    """The dump cut as Wikimedia's multistream files are: header, one stream per page, footer."""
    starts = [m.start() for m in re.finditer(rb"  <page>", raw)]
    bounds = [0, *starts, len(raw)]
    return [raw[a:b] for a, b in zip(bounds, bounds[1:])]


def test_bz2_cut_in_half_keeps_pages_before_the_cut(tmp_path):
    streams = [bz2.compress(part) for part in _page_streams(VIWIKI.read_bytes())]
    data = b"".join(streams)
    # Cut inside the stream of the 6th page (Ohio, id 24): pages 1–5 are whole before it.
    start = sum(len(s) for s in streams[:6])
    path = tmp_path / "cut.xml.bz2"
    path.write_bytes(data[: start + len(streams[6]) // 2])
    with bz2.open(path, "rb") as stream:
        pages, problems, _ = split(list(read_dump(stream, VI_SRC, frozenset({0}))))
    assert [page_id(r) for r in pages] == [1, 2, 4, 5, 13]
    assert [p.kind for p in problems] == ["corrupt-compression"]
    assert "'Tiếng Việt' (id 13)" in problems[0].message and VI_SRC in problems[0].message


def test_gzip_cut_short_keeps_pages_before_the_cut(tmp_path):
    raw = VIWIKI.read_bytes()
    data = gzip.compress(raw)
    path = tmp_path / "cut.xml.gz"
    path.write_bytes(data[: len(data) // 2])
    with gzip.open(path, "rb") as stream:
        pages, problems, _ = split(list(read_dump(stream, VI_SRC, frozenset({0}))))
    full, _, _ = split(read(raw))
    assert 0 < len(pages) < len(full) and pages == full[: len(pages)]
    assert [p.kind for p in problems] == ["corrupt-compression"]


def test_through_read_file(tmp_path):
    """read.py opens the file, sniffs the dump and hands the stream over."""
    from pipeline.read import InputFile, read_file

    path = tmp_path / "vi.xml.bz2"
    path.write_bytes(bz2.compress(VIWIKI.read_bytes()))
    assert list(read_file(InputFile(path, VI_SRC))) == read(VIWIKI.read_bytes())


# --- synthetic dumps ------------------------------------------------------------------------

def page_xml(i: int, ns: int = 0, text: str | None = None, extra: str = "") -> str:
    body = f"Text of page {i}." if text is None else text
    return (f"  <page>\n    <title>P{i}</title>\n    <ns>{ns}</ns>\n    <id>{i}</id>{extra}\n"
            f"    <revision>\n      <id>{1000 + i}</id>\n      <timestamp>2024-01-01T00:00:00Z</timestamp>\n"
            f'      <text bytes="{len(body.encode())}" xml:space="preserve">{body}</text>\n'
            f"    </revision>\n  </page>\n")


def dump_xml(pages: list[str], siteinfo: str = "<dbname>testwiki</dbname>") -> bytes:
    head = ('<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="zh">\n'
            f"  <siteinfo>{siteinfo}</siteinfo>\n")
    return (head + "".join(pages) + "</mediawiki>\n").encode()


def test_malformed_in_the_middle_keeps_earlier_pages():
    pages = [page_xml(i) for i in range(1, 6)]
    pages[2] = pages[2].replace("</text>", "</txet>")  # page 3 of 5
    got, problems, _ = split(read(dump_xml(pages)))
    assert [r.title for r in got] == ["P1", "P2"]
    assert len(problems) == 1
    p = problems[0]
    assert (p.kind, p.doc_id) == ("malformed-xml", "testwiki/3")  # the page that was lost
    assert "mismatched tag" in p.message and "'P2' (id 2)" in p.message


def test_page_without_id_or_text_is_a_problem_and_reading_goes_on():
    pages = [page_xml(1), page_xml(2).replace("    <id>2</id>", ""),
             re.sub(r"<text [^<]*</text>", '<text deleted="deleted" />', page_xml(3)),
             page_xml(4).replace("<id>4</id>", "<id>x4</id>"), page_xml(5)]
    got, problems, _ = split(read(dump_xml(pages)))
    assert [r.doc_id for r in got] == ["testwiki/1", "testwiki/5"]
    assert [(p.kind, p.doc_id) for p in problems] == [
        ("missing-page-id", None), ("missing-text", "testwiki/3"), ("missing-page-id", None)]
    assert all("P" in p.message for p in problems)


def test_empty_text_is_an_empty_page_not_a_problem():
    got = read(dump_xml([page_xml(1).replace("Text of page 1.", "")]))
    assert [(r.doc_id, r.text) for r in got] == [("testwiki/1", "")]


def test_text_redirects_without_the_element():
    pages = [page_xml(1, text="#重定向 [[北京市#历史|北京]]"),
             page_xml(2, text="  #redirect:[[Foo_bar]]\n{{R from move}}"),
             page_xml(3, text="#重新導向 [[臺北市]]"),
             page_xml(4, text="見 #REDIRECT [[X]]"),  # not at the start: an article
             page_xml(5, text="#REDIRECT [[Ignored]]", extra='\n    <redirect title="Wins" />')]
    got = read(dump_xml(pages))
    assert [(type(r).__name__, getattr(r, "target", None)) for r in got] == [
        ("Redirect", "北京市"), ("Redirect", "Foo bar"), ("Redirect", "臺北市"),
        ("RawPage", None), ("Redirect", "Wins")]


def test_full_history_takes_the_last_revision():
    rev = '    <revision><id>{0}</id><timestamp>2024-0{0}-01T00:00:00Z</timestamp><text>v{0}</text></revision>\n'
    page = ("  <page><title>H</title><ns>0</ns><id>7</id>\n"
            + "".join(rev.format(n) for n in (3, 1, 2)) + "  </page>\n")
    (r,) = read(dump_xml([page]))
    # Order of appearance, not the largest id: dumps list revisions oldest first.
    assert (r.text, r.meta.revision_id, r.meta.timestamp) == ("v2", 2, "2024-02-01T00:00:00Z")


@pytest.mark.parametrize("siteinfo, wiki", [
    ("<dbname>zhwiki</dbname><base>https://vi.wikipedia.org/wiki/X</base>", "zhwiki"),
    ("<base>https://vi.wikipedia.org/wiki/Trang_Ch%C3%ADnh</base>", "viwiki"),
    ("<base>https://zh-yue.wikipedia.org/wiki/X</base>", "zh_yuewiki"),
    ("<base>https://zh.wiktionary.org/wiki/X</base>", "zhwiktionary"),
    ("<base>https://wiki.example.org/Main</base>", "wiki.example.org"),
    ("", "wiki"),
])
def test_wiki_name(siteinfo, wiki):
    (r,) = read(dump_xml([page_xml(1)], siteinfo))
    assert r.doc_id == f"{wiki}/1" and r.meta.wiki == wiki


def test_old_schema_without_ns_takes_namespace_from_title():
    site = '<namespaces><namespace key="0" /><namespace key="1">Talk</namespace></namespaces>'
    pages = [page_xml(1).replace("    <ns>0</ns>\n", ""),
             page_xml(2).replace("    <ns>0</ns>\n", "").replace("<title>P2", "<title>Talk:P2")]
    got, _, skipped = split(read(dump_xml(pages, site)))
    assert [r.title for r in got] == ["P1"]
    assert skipped == [SkippedNamespace(VI_SRC, "wiki", 1, 1)]


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_any_cut_gives_a_prefix_and_one_problem(cut):
    raw = dump_xml([page_xml(i, ns=i % 2) for i in range(1, 31)], "<dbname>t</dbname>")
    cut = min(cut, len(raw) - 2)  # keep at least the final "</mediawiki>" off
    full, _, _ = split(read(raw, frozenset({0, 1})))
    got, problems, _ = split(read(raw[:cut], frozenset({0, 1})))
    assert got == full[: len(got)]
    assert len(problems) == 1 and problems[0].kind == "truncated-dump"


# --- memory ---------------------------------------------------------------------------------

class GeneratedDump(io.RawIOBase):
    """A dump of `n` small pages made on demand: never the whole file in memory or on disk."""

    def __init__(self, n: int, revisions: int = 0) -> None:
        self._parts = (p.encode() for p in self._xml(n, revisions))
        self._buf = b""

    @staticmethod
    def _xml(n: int, revisions: int):
        yield '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10">\n'
        yield "  <siteinfo><dbname>zhwiki</dbname></siteinfo>\n"
        if revisions:  # one page with a long history, as in a pages-meta-history dump
            yield "  <page><title>H</title><ns>0</ns><id>1</id>\n"
            for r in range(1, revisions + 1):
                yield f"    <revision><id>{r}</id><text>第{r}版。{'字' * 100}</text></revision>\n"
            yield "  </page>\n"
        for i in range(1, n + 1):
            yield page_xml(i, ns=0 if i % 10 else 1, text=f"第{i}页。'''粗体''' [[链接{i}]]" * 3)
        yield "</mediawiki>\n"

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buf) < size:
            part = next(self._parts, None)
            if part is None:
                break
            self._buf += part
        out, self._buf = (self._buf, b"") if size < 0 else (self._buf[:size], self._buf[size:])
        return out


def _peak(n: int, revisions: int = 0) -> tuple[int, int]:
    stream = GeneratedDump(n, revisions)
    tracemalloc.start()
    try:
        count = sum(1 for r in read_dump(stream, "big.xml", frozenset({0})) if isinstance(r, RawPage))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak


def test_memory_does_not_grow_with_page_count():
    small_count, small = _peak(5_000)
    big_count, big = _peak(20_000)
    assert (small_count, big_count) == (4_500, 18_000)
    assert big < 1.5 * small, (small, big)
    assert big < 4 * 1024 * 1024, big  # a few chunks and one page, whatever the dump size


def test_memory_does_not_grow_with_revision_count():
    (one, small), (also_one, big) = _peak(0, 2_000), _peak(0, 8_000)
    assert one == also_one == 1
    assert big < 1.5 * small, (small, big)


def test_ids_beyond_int64_are_problems_not_crashes():
    pages = [page_xml(1).replace("<id>1</id>", "<id>99999999999999999999</id>", 1),
             page_xml(2).replace("<id>1002</id>", "<id>18446744073709551616</id>"),
             page_xml(3).replace("<id>3</id>", f"<id>{2**63 - 1}</id>", 1)]
    got, problems, _ = split(read(dump_xml(pages)))
    assert [(r.meta.page_id, r.meta.revision_id) for r in got] == [(2, None), (2**63 - 1, 1003)]
    assert [(p.kind, p.doc_id) for p in problems] == [("bad-page-id", None),
                                                      ("bad-revision-id", "testwiki/2")]
    assert "'P1' near line" in problems[0].message and "99999999999999999999" in problems[0].message


def test_a_root_other_than_mediawiki_is_a_problem():
    (problem,) = read(b"<!-- " + b"x" * 70_000 + b" -->\n<root><page><id>1</id></page></root>\n")
    assert problem.kind == "malformed-xml" and "the root element is <root>, not <mediawiki>" in problem.message


class EndlessText(io.RawIOBase):
    """A dump whose one page's <text> goes on for `mib` MiB: a bomb, never held whole."""

    def __init__(self, mib: int) -> None:
        head = b"<mediawiki><page><title>B</title><ns>0</ns><id>1</id><revision><text>"
        self._parts = iter([head] + ["炸".encode() * (1 << 18)] * (mib * 4 // 3))
        self.fed = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        part = next(self._parts, b"")
        self.fed += len(part)
        return part


def test_one_endless_text_element_stops_the_dump_with_bounded_memory():
    from pipeline.readers.xmldump import MAX_STRETCH

    stream = EndlessText(mib=3 * (MAX_STRETCH >> 20))
    tracemalloc.start()
    try:
        (problem,) = read_dump(stream, "bomb.xml", frozenset({0}))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert problem.kind == "too-large" and problem.message.startswith("bomb.xml: more than 64 MiB")
    assert stream.fed < 1.1 * MAX_STRETCH  # it stopped reading there
    assert peak < 3 * MAX_STRETCH, peak  # the text held so far, a few copies at most


def test_the_dumps_own_category_and_file_names_are_namespaces():
    from pipeline.readers.wikitext import parse_wikitext

    site = ('<dbname>dewiki</dbname><namespaces><namespace key="0" /><namespace key="6">Datei'
            '</namespace><namespace key="14">Kategorie</namespace></namespaces>')
    text = ("'''Donau''' ist ein Fluss.[[Datei:Donau.jpg|mini|Die Donau]]\n\n"
            "[[Kategorie:Fluss in Europa]]\n[[kategorie:Donau| ]]\n[[:Kategorie:Flüsse]]\n[[分类:中文]]")
    (raw,) = read(dump_xml([page_xml(1, text=text)], site))
    assert raw.meta.namespace_names == (("datei", 6), ("kategorie", 14))
    doc = parse_wikitext(raw)
    assert doc.categories == ("Fluss in Europa", "Donau", "中文")
    texts = [b.text_original for b in doc.blocks]
    assert texts == ["Donau ist ein Fluss.", "Kategorie:Flüsse"]  # ":" before a namespace: a link
    # The same page from a dump that does not name them: the names are text, as before.
    (plain,) = read(dump_xml([page_xml(1, text=text)]))
    assert "Fluss in Europa" not in parse_wikitext(plain).categories
