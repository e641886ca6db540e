"""HTML `<table>` markup to model.Table, for readers whose tables arrive as HTML (pandoc Markdown).

In: an HTML string holding one or more tables, and the section they sit in. Out: one Table per
`<table>`, outer tables before the tables nested in their cells (nested text stays out of the
outer cell), spans filled by `grid.build_table`.

Cell text is the visible text: tags unwrapped, `<br>` as a space, entities decoded; `-{…}-`
converter markup is plain text and stays. Links come from `<a href>`, classified by
`links.classify` like the Markdown reader's inline links: wiki article URLs
(`https://zh.wikipedia.org/wiki/X`) and pandoc page paths (`../Page/X.md`) are internal links
to the title X; URLs with a scheme are external.
Wiki markup a converter left as text is cleaned as in Markdown paragraphs (`clean_leftovers`,
which the Markdown reader shares): `{{…}}` templates rendered by the wikitext renderer (dropped
ones counted into the caller's `dropped`), stray `{{ }} [[ ]]`, <gallery> file names. Pandoc
splits a template inside a wikitext table row at its `|` into cells (`{{collapsible list` |
`titlestyle = …` | `}}`): those cells are rejoined and rendered into the first one, the others
left empty, so the grid keeps its shape. An infobox-shaped table stays a table. A caption that
starts with the wiki caption's attributes (`style="…" | 早期西里尔字母`) loses them.
Dropped unrecorded: image/file links (`<a href=".../File:X.svg">X.svg</a>`: neither the file
name nor a link), footnote markers left as text (`[1]`), the content of `<style>`, `<script>`
and `<ref>`/footnote `<sup class=reference>` (citations, not cell text), text between cells,
and the `ⓦ` marker some converters append to wiki links. Unclosed `<td>`/`<tr>` are closed the
way browsers do. (Wikitext pages do not come through here: mwparserfromhell parses their HTML
tables into the same Tag nodes as `{| |}` tables, so wiki links inside cells survive.)
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser

from ..grid import GridCell, build_table, span_value
from ..model import Block, Link, Paragraph, Section, Table
from .links import FILE_PREFIXES, classify, is_file

_TAGS = re.compile(r"<[^>]+>")
_TABLES = re.compile(r"<table\b.*</table\s*>", re.I | re.S)  # first to last: nested tables stay whole
# A footnote marker pandoc left as text ("[1]", "[注 2]", "[a]"): the note bodies are not in
# these exports, so the marker is noise in a cell as in a paragraph.
FOOTNOTE = re.compile(r"\[(?:注\s*|note\s*)?\d{1,3}\]|\[[a-z]\]", re.I)
WIKI_MARK = "ⓦ"  # appended to wiki links by some wikitext-to-Markdown converters; not text
_SKIP = {"style", "script", "ref"}
_BLOCK = {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6"}

# What a converter left of wiki markup it did not convert: `]]` of a nested image caption
# (`\]\]`), `****` of an empty bold, `'''` and backticks it escaped. Braces are the template
# renderer's (it strips strays too).
_STRAY = re.compile(r"\[\[+|\]\]+|\*{4,}|'{3,}|`+")
# **bold** markdown-it could not parse (its content was -{…}- markup, or it spans a link)
_LEFT_BOLD = re.compile(r"\*\*(\S(?:.*?\S)?)\*\*")
_FILE_NS = "|".join(re.escape(p[:-1]) for p in FILE_PREFIXES)
_IMAGE = r"[^|\n]{0,240}?\.(?:jpe?g|png|svg|gif|tiff?|webp|bmp)\s*"
# A <gallery> line kept as text: "File:X.jpg|caption ファイル:Y.JPG|caption". Every file piece
# goes, captions stay. At the very start the namespace may already be gone (pandoc made
# "<File:X>" an autolink, dropped as an image link), so there the name before a `|` is enough,
# unless a namespaced piece comes first (then the text before it is a caption).
# A piece starts a word: ".../wiki/File:X.svg" inside a URL left as text is not one.
GALLERY_FILE = re.compile(rf"(?<!\S)(?:{_FILE_NS})\s*:{_IMAGE}(?:\||(?=\s)|$)|^(?![^|\n]*:){_IMAGE}\|", re.I)
# "<File:Shanghai> Cooperation Summit.jpg|2007會場": the first word of a gallery line in
# autolink brackets, which markdown-it left as text; unwrapped, the line is a gallery piece.
_AUTOLINKED_FILE = re.compile(rf"<((?:{_FILE_NS}):[^<>\s]*)>", re.I)
# A whole text that is a template's style parameter (`titlestyle = background:…;`): CSS, not text.
# A wiki caption's attributes pandoc kept as text: `<caption>style="font-size:smaller;" | 早期…`.
_CAPTION_ATTRS = re.compile(r"""^(?:[\w-]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'|]+)\s*)+\|(?!\|)\s*""")
_STYLE_PARAM = re.compile(r"^\s*[\w-]*style\s*=\s*(?:[a-z-]+\s*:[^;|]*;?\s*)+$", re.I)


def is_file_link(link: Link) -> bool:
    """An image or media link: its anchor is a file name, not text."""
    return link.kind != "external" and is_file(link.target)


def clean_leftovers(text: str, dropped: Counter | None = None) -> str:
    """Text without the wiki markup a converter left in it (see the module docstring); the
    templates the renderer drops are counted into `dropped`."""
    if "{{" in text or "}}" in text:
        from .wikitext import render_templates

        text, gone = render_templates(text)
        if dropped is not None:
            dropped.update(gone)
    if "<" in text:
        text = _AUTOLINKED_FILE.sub(r"\1", text)
    if "**" in text:
        text = _LEFT_BOLD.sub(r"\1", text)
    text = GALLERY_FILE.sub("", _STRAY.sub("", text))
    return "" if _STYLE_PARAM.match(text) else text


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
    dropped: Counter = field(default_factory=Counter)

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
            self.rows.append(_clean_row(self.row, self.dropped))
        self.row = None


def _open_braces(text: str) -> int:
    return text.count("{{") - text.count("}}")


def _clean_row(row: list[GridCell], dropped: Counter) -> list[GridCell]:
    """A row's cells cleaned; a template pandoc split at its `|` into cells is rejoined first (to
    the row's end if it never closes: the row is all pandoc kept of it) and rendered into its
    first cell, with the links of all its cells; the cells it took are left empty."""
    out: list[GridCell] = []
    i = 0
    while i < len(row):
        cell, j = row[i], i
        if _open_braces(cell.text) > 0:
            parts, links = [cell.text], list(cell.links)
            while j + 1 < len(row) and _open_braces("|".join(parts)) > 0:
                j += 1
                parts += [row[j].text] if row[j].text else []  # empty cells: no parameter
                links += row[j].links
            text = "|".join(parts)
            cell = replace(cell, text=text + "}}" * max(_open_braces(text), 0), links=tuple(links))
        out.append(replace(cell, text=clean_leftovers(cell.text, dropped).strip()))
        out += [replace(c, text="", links=()) for c in row[i + 1:j + 1]]
        i = j + 1
    return out


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[_Table] = []
        self.done: list[_Table] = []
        self.skip = 0  # depth inside a skipped element
        self.skip_tag = ""
        self.anchors: list[tuple[str, int, list[str] | None]] = []  # (href, text start, sink)
        self.count = 0
        self.dropped: Counter = Counter()  # templates the clean-up dropped, by name

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
            self.stack.append(_Table(self.count, dropped=self.dropped))
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
            self.anchors.append((a["href"], len("".join(sink or [])), sink))

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
            href, start, sink = self.anchors.pop()
            if sink is None or sink is not self._sink():
                return  # the anchor crossed a cell boundary: no text of its own to read
            text = "".join(sink)
            link = classify(href, " ".join(text[start:].replace(WIKI_MARK, "").split()))
            if is_file_link(link):  # an image: its file name is not cell text
                sink[:] = [text[:start]]
            elif t.cell is not None:
                t.cell.links.append(link)  # as the Markdown reader does

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


def parse_html_tables(html: str, section: Section = (), dropped: Counter | None = None) -> list[Table]:
    """Every <table> in `html` as a rectangular Table, outer tables first. Templates the
    clean-up dropped are counted into `dropped` if given (else only stripped)."""
    parser = _Parser()
    parser.feed(html)
    parser.close()
    tables = [build_table(t.rows, section, _CAPTION_ATTRS.sub("", clean_leftovers(
                  " ".join("".join(t.caption).split()), parser.dropped).strip()))
              for t in parser.tables()]
    if dropped is not None:
        dropped.update(parser.dropped)
    return tables


def html_blocks(html: str, section: Section = (), dropped: Counter | None = None) -> list[Block]:
    """An HTML block as a reader meets it: its tables as Tables, the text around them as
    paragraphs (tags removed). Dropped templates as in `parse_html_tables`."""
    m = _TABLES.search(html)
    if m is None:
        return _html_text(html, section, dropped)
    return (_html_text(html[:m.start()], section, dropped)
            + parse_html_tables(m.group(0), section, dropped)
            + _html_text(html[m.end():], section, dropped))


def _html_text(html: str, section: Section, dropped: Counter | None) -> list[Block]:
    text = clean_leftovers(_TAGS.sub(" ", html), dropped).strip()
    return [Paragraph(section, text)] if text else []
