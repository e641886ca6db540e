"""Property: whatever text comes in, read -> parse -> normalise -> extract never lets an
exception escape, and every input document ends up as a DocResult or a recorded Problem.

Inputs are real corpus pages (tests/data/corpus/) cut at random points, with markup fragments
inserted (`{{ [[ {| -{ <ref` …) and lines duplicated or deleted, or random strings over a
markup-heavy alphabet; some get a few broken bytes. They are kept small so the test stays fast.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.model import DocResult, Problem, RawPage
from pipeline.read import decode, detect_format
from pipeline.readers.plaintext import split_extractor_docs
from pipeline.run import Options, process_page

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
PAGES = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*/*"))
         if p.suffix in (".wikitext", ".md") and p.name != "PROVENANCE.md"]
FRAGMENTS = ["{{", "}}", "[[", "]]", "{|", "|}", "|-", "||", "!!", "-{", "}-", "-{H|zh-hans:甲;zh-hant:乙}-",
             "<ref>", "</ref>", "<ref name=a/>", "<!--", "-->", "'''", "''", "\n== 節 ==\n", "\n* ",
             "\n# ", "\n; 詞\n: ", "{{lang|en|", "{{Infobox x|a=", "[[Category:", "[[File:", "<table>",
             "<td rowspan=9999>", "&#xD800;", "&#0;", "|", "=", "\n|}\n", "\n{|\n", "<doc id=\"1\">",
             "</doc>", "](../Page/X.md \"wikilink\")", "\n| a | b |\n|---|\n", "\\[1\\]", "**", "\n> ",
             "```", "<br>", "\u3000", "\ufeff", "\r\n", "\x0b", "\u2028"]
OPTIONS = Options(page_timeout=20)


@st.composite
def mutated_page(draw) -> str:
    page = draw(st.sampled_from(PAGES))
    start = draw(st.integers(0, len(page)))
    text = page[start:start + draw(st.integers(0, 1500))]
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["insert", "cut", "dup", "delete"]))
        pos = draw(st.integers(0, len(text)))
        if op == "insert":
            text = text[:pos] + draw(st.sampled_from(FRAGMENTS)) * draw(st.integers(1, 30)) + text[pos:]
        elif op == "cut":
            text = text[:pos] if draw(st.booleans()) else text[pos:]
        else:
            lines = text.split("\n")
            i = draw(st.integers(0, max(0, len(lines) - 1)))
            lines[i:i + 1] = [lines[i]] * 2 if op == "dup" else []
            text = "\n".join(lines)
    return text


random_markup = st.lists(st.sampled_from(list("{}[]|-!=*#:;'<>/&\n 甲乙丙abc()（）。，") + FRAGMENTS),
                         max_size=120).map("".join)


def _pages(data: bytes) -> list:
    """What read.py makes of a file's bytes: RawPages and Problems (no file system needed)."""
    text, problems = decode(data, "fuzz.txt")
    if text is None:
        return problems
    fmt = detect_format(text)
    if fmt == "plaintext" and text.lstrip().startswith("<doc "):
        return problems + list(split_extractor_docs(text, "fuzz.txt", "fuzz"))
    return problems + [RawPage("fuzz.txt", "fuzz", fmt, text)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(mutated_page(), random_markup),
       forced=st.sampled_from([None, "wikitext", "markdown", "plaintext"]),
       damage=st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from([0xff, 0xc0, 0x80, 0xe4])),
                       max_size=2))
def test_any_text_becomes_a_document_or_a_problem(text, forced, damage):
    data = bytearray(text.encode("utf-8"))
    for pos, byte in damage:
        if data:
            data[pos % len(data)] = byte
    items = _pages(bytes(data))
    pages = [x for x in items if isinstance(x, RawPage)]
    assert all(isinstance(x, (RawPage, Problem)) for x in items)
    assert pages or any(p.stage == "read" for p in items)
    if forced and pages:  # every reader sees every text, whatever its detected format
        pages = [RawPage(p.source, p.doc_id, forced, p.text, p.title) for p in pages]
    for page in pages:
        result = process_page(page, OPTIONS)
        if isinstance(result, Problem):
            # A recorded problem is allowed, but a crash caught as one is a bug to look at.
            assert result.kind in ("timeout", "too-deep"), result.message
            assert result.message.startswith("fuzz.txt: ")
        else:
            doc, _templates, _keys = result
            assert isinstance(doc, DocResult) and doc.doc_id == page.doc_id
            assert doc.document.source == "fuzz.txt"
