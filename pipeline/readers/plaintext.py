"""Plain-text reader: one paragraph per non-empty line -> Document.

In: a RawPage of plain text (also WikiExtractor's `<doc id url title>` output, split into one
RawPage per `<doc>` by `split_extractor_docs`). Out: a Document of Paragraphs in the lead
section. Nothing is dropped but blank lines (and text outside every `<doc>`, a `malformed-doc`
Problem).

Title: the page's own title if the input had one; else the term before the first `(`/`（` of
the first paragraph when that term is short (≤ 30 characters, no sentence punctuation), as in
`亞太經濟合作組織(英語:…)`; else the file stem.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

from ..model import Document, Paragraph, Problem, RawPage

_LEAD_TERM = re.compile(r"^([^()（）。，,；;：:\n]{1,30}?)\s*[(（]")
_DOC = re.compile(r'<doc\b([^>]*)>\n?(.*?)(?:</doc>|(?=<doc\b)|\Z)', re.S)
_ATTR = re.compile(r'(\w+)="([^"]*)"')


def lead_term(first_paragraph: str) -> str | None:
    m = _LEAD_TERM.match(first_paragraph.strip())
    return m.group(1).strip() if m else None


def parse_plaintext(page: RawPage) -> Document:
    paragraphs = [line.strip() for line in page.text.split("\n") if line.strip()]
    title = page.title
    if paragraphs and page.title and paragraphs[0] == page.title:
        paragraphs = paragraphs[1:]  # WikiExtractor repeats the title as the first line
    if not title and paragraphs:
        title = lead_term(paragraphs[0])
    return Document(
        doc_id=page.doc_id,
        source=page.source,
        format="plaintext",
        title_original=title or page.doc_id.rsplit("/", 1)[-1],
        blocks=tuple(Paragraph((), p) for p in paragraphs),
        meta=page.meta,
        content_sha256=hashlib.sha256(page.text.encode("utf-8")).hexdigest(),
    )


def split_extractor_docs(text: str, source: str, doc_id: str) -> Iterator[RawPage | Problem]:
    """WikiExtractor output: `<doc id=".." url=".." title="..">…</doc>` records, without the
    title line WikiExtractor writes first; text outside every record is a Problem, not read."""
    end = 0
    for m in _DOC.finditer(text):
        yield from _outside(text, end, m.start(), source, doc_id)
        end = m.end()
        attrs = dict(_ATTR.findall(m.group(1)))
        page_id = attrs.get("id")
        if not page_id:
            yield Problem(source, doc_id, "read", "malformed-doc", f"{source}: <doc> without id")
            continue
        title = attrs.get("title")
        body = m.group(2)
        first, newline, rest = body.lstrip("\n").partition("\n")
        if title and first.strip() == title.strip():
            body = rest  # WikiExtractor repeats the title as the first line: not a paragraph
        yield RawPage(source=source, doc_id=f"{doc_id}/{page_id}", format="plaintext",
                      text=body, title=title)
    yield from _outside(text, end, len(text), source, doc_id)


def _outside(text: str, start: int, stop: int, source: str, doc_id: str) -> Iterator[Problem]:
    """Text between two `<doc>` records, or after the last: part of no document."""
    gap = text[start:stop]
    if gap.strip():
        line = text.count("\n", 0, start + len(gap) - len(gap.lstrip())) + 1
        yield Problem(source, doc_id, "read", "malformed-doc",
                      f"{source}: line {line}: text outside <doc>…</doc>, not read: {gap.strip()[:40]!r}")
