"""HTML `<table>` markup to model.Table, for readers whose tables arrive as HTML (pandoc Markdown).

In: an HTML string holding one or more tables, and the section they sit in. Out: one Table per
`<table>`, outer tables before the tables nested in their cells (nested text stays out of the
outer cell), spans filled by `grid.build_table`.

Cell text is the visible text: tags unwrapped, `<br>` as a space, entities decoded; `-{…}-`
converter markup is plain text and stays. Links come from `<a href>`, classified by
`links.classify` like the Markdown reader's inline links: wiki article URLs
(`https://zh.wikipedia.org/wiki/X`) and pandoc page paths (`../Page/X.md`) are internal links
to the title X; URLs with a scheme are external.
Dropped unrecorded: footnote markers left as text (`[1]`), the content of `<style>`, `<script>` and `<ref>`/footnote `<sup class=reference>`
(citations, not cell text), text between cells, and the `ⓦ` marker some converters append to
wiki links. Unclosed `<td>`/`<tr>` are closed the way
browsers do. (Wikitext pages do not come through here: mwparserfromhell parses their HTML
tables into the same Tag nodes as `{| |}` tables, so wiki links inside cells survive.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from ..grid import GridCell, build_table, span_value
from ..model import Block, Link, Paragraph, Section, Table
from .links import classify

_TAGS = re.compile(r"<[^>]+>")
_TABLES = re.compile(r"<table\b.*</table\s*>", re.I | re.S)  # first to last: nested tables stay whole
# A footnote marker pandoc left as text ("[1]", "[注 2]", "[a]"): the note bodies are not in
# these exports, so the marker is noise in a cell as in a paragraph.
FOOTNOTE = re.compile(r"\[(?:注\s*|note\s*)?\d{1,3}\]|\[[a-z]\]", re.I)
WIKI_MARK = "ⓦ"  # appended to wiki links by some wikitext-to-Markdown converters; not text
_SKIP = {"style", "script", "ref"}
_BLOCK = {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6"}


@dataclass
class _Cell:
    header: bool
    rowspan: int
    colspan: int
    texts: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)


@dataclass
class _Table:
    order: int
    caption: list[str] = field(default_factory=list)
    rows: list[list[GridCell]] = field(default_factory=list)
    row: list[GridCell] | None = None
    cell: _Cell | None = None
    in_caption: bool = False

    def close_cell(self) -> None:
        if self.cell is not None:
            c = self.cell
            if self.row is None:
                self.row = []
            text = FOOTNOTE.sub("", "".join(c.texts).replace(WIKI_MARK, "")).strip()
            self.row.append(GridCell(text, tuple(c.links), c.header, c.rowspan, c.colspan))
            self.cell = None

    def close_row(self) -> None:
        self.close_cell()
        if self.row:
            self.rows.append(self.row)
        self.row = None


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[_Table] = []
        self.done: list[_Table] = []
        self.skip = 0  # depth inside a skipped element
        self.skip_tag = ""
        self.anchors: list[tuple[str, int]] = []  # (href, where the anchor text starts)
        self.count = 0

    def _sink(self) -> list[str] | None:
        if not self.stack:
            return None
        t = self.stack[-1]
        if t.in_caption:
            return t.caption
        return t.cell.texts if t.cell is not None else None

    def handle_starttag(self, tag, attrs):
        a = {k.lower(): (v or "") for k, v in attrs}
        if self.skip:
            self.skip += tag == self.skip_tag
            return
        if tag in _SKIP or (tag == "sup" and "reference" in a.get("class", "")):
            self.skip, self.skip_tag = 1, tag
            return
        if tag == "table":
            self.stack.append(_Table(self.count))
            self.count += 1
        elif not self.stack:
            return
        elif tag == "tr":
            self.stack[-1].close_row()
            self.stack[-1].row = []
        elif tag in ("td", "th"):
            t = self.stack[-1]
            t.close_cell()
            t.cell = _Cell(tag == "th", span_value(a.get("rowspan")), span_value(a.get("colspan")))
        elif tag == "caption":
            self.stack[-1].in_caption = True
        elif tag == "br" or tag in _BLOCK:
            self._text(" " if tag == "br" else "\n")
        elif tag == "a" and "href" in a:
            sink = self._sink()
            if sink is not None:
                self.anchors.append((a["href"], len("".join(sink))))

    def handle_endtag(self, tag):
        if self.skip:
            self.skip -= tag == self.skip_tag
            return
        if not self.stack:
            return
        t = self.stack[-1]
        if tag == "table":
            t.close_row()
            self.done.append(self.stack.pop())
            if self.stack and self.stack[-1].cell is not None:
                self.stack[-1].cell.texts.append(" ")
        elif tag == "tr":
            t.close_row()
        elif tag in ("td", "th"):
            t.close_cell()
        elif tag == "caption":
            t.in_caption = False
        elif tag in _BLOCK:
            self._text("\n")
        elif tag == "a" and self.anchors:
            href, start = self.anchors.pop()
            sink = self._sink()
            if sink is not None and t.cell is not None:
                anchor = " ".join("".join(sink)[start:].replace(WIKI_MARK, "").split())
                t.cell.links.append(classify(href, anchor))  # as the Markdown reader does

    def handle_data(self, data):
        if not self.skip:
            self._text(data)

    def _text(self, text: str) -> None:
        sink = self._sink()
        if sink is not None:
            sink.append(text)

    def tables(self) -> list[_Table]:
        while self.stack:  # unclosed tables at the end of input
            self.stack[-1].close_row()
            self.done.append(self.stack.pop())
        return sorted(self.done, key=lambda t: t.order)


def parse_html_tables(html: str, section: Section = ()) -> list[Table]:
    """Every <table> in `html` as a rectangular Table, outer tables first."""
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return [build_table(t.rows, section, " ".join("".join(t.caption).split()))
            for t in parser.tables()]


def html_blocks(html: str, section: Section = ()) -> list[Block]:
    """An HTML block as a reader meets it: its tables as Tables, the text around them as
    paragraphs (tags removed)."""
    m = _TABLES.search(html)
    if m is None:
        return _html_text(html, section)
    return (_html_text(html[:m.start()], section) + parse_html_tables(m.group(0), section)
            + _html_text(html[m.end():], section))


def _html_text(html: str, section: Section) -> list[Block]:
    text = _TAGS.sub(" ", html).strip()
    return [Paragraph(section, text)] if text else []
