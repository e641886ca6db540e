"""Wikitext tables (`{| … |}` and HTML `<table>` as mwparserfromhell Tag nodes) to grid input.

In: a `table` Tag and the Renderer (cells are rendered like paragraph text). Out: `TableDraft`s,
the table first and then every table nested in its cells (their text does not leak into the
outer cell). `grid.build_table` turns a draft into a model.Table once the section is known.

Attributes never reach the text: mwparserfromhell separates `| rowspan="2" | text`; a status
template in attribute position (`| rowspan="2" {{n/a}} ||`, which on the wiki expands to
`style=… | N/A`) is handled here: the words before it are read as attributes, so the span is
kept and the text is "N/A". A literal `</tr>` at the end of a cell ends the row (the next cells,
written without `|-`, start a new one, as the browser shows them). Text between rows that is not in a cell (MediaWiki would show it
above the table) is dropped; templates in it are still counted by the Renderer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mwparserfromhell.nodes import Tag, Template, Text
from mwparserfromhell.wikicode import Wikicode

from ..grid import GridCell, span_value
from ..model import Link
from . import templates as T
from .leantree import source

# "| {{KIR}} || {{MHL}} </tr>": a row ended by a literal </tr> and the next cells written without
# "|-". MediaWiki passes the tag through and the browser starts a new row at the next cell.
_ROW_END = re.compile(r"</tr\s*>\s*$", re.I)
_ATTRS = re.compile(r"""\s*(?:[\w:-]+\s*(?:=\s*(?:"[^"]*"|'[^']*'|[^\s"'|]+))?\s*)*""")
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'|]+))""")


@dataclass
class TableDraft:
    caption: str
    caption_links: tuple[Link, ...]
    rows: list[list[GridCell]]
    totals: list[bool] = field(default_factory=list)  # per row: class="sortbottom"


def _children(tag: Tag) -> list:
    return list(tag.contents.nodes) if tag.contents is not None else []


def _is_tag(node, *names: str) -> bool:
    return isinstance(node, Tag) and source(node.tag).strip().lower() in names


def _attr(tag: Tag, name: str) -> str | None:
    for a in tag.attributes:
        if source(a.name).strip().lower() == name:
            return str(a.value) if a.value is not None else ""
    return None


def _ends_row(cell: Tag) -> bool:
    kids = _children(cell)
    return bool(kids) and isinstance(kids[-1], Text) and bool(_ROW_END.search(kids[-1].value))


def _bold(nodes: list) -> bool:
    """The cell's whole text is one bold run (a header written as a data cell)."""
    content = [n for n in nodes if not (isinstance(n, Text) and not n.value.strip())]
    return len(content) == 1 and _is_tag(content[0], "b")


def _status_template_split(nodes: list) -> tuple[dict[str, str], list] | None:
    """(attributes, content nodes) when a status template sits after attribute-like text."""
    for i, node in enumerate(nodes):
        if isinstance(node, Template) and T.key_of(source(node.name)) in T.CELL_TEMPLATES:
            before = nodes[:i]
            if not all(isinstance(n, Text) for n in before):
                return None
            raw = "".join(n.value for n in before)
            if not raw.strip() or not _ATTRS.fullmatch(raw):
                return None
            attrs = {m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
                     for m in _ATTR.finditer(raw)}
            return attrs, nodes[i:]
        if not isinstance(node, Text):
            return None
    return None


class _TableReader:
    def __init__(self, renderer):
        self.r = renderer
        self.nested: list[TableDraft] = []

    def render(self, nodes: list) -> tuple[str, tuple[Link, ...]]:
        saved, self.r.tables = self.r.tables, self.nested
        try:
            return self.r.inline(Wikicode(nodes))
        finally:
            self.r.tables = saved

    def cell(self, tag: Tag) -> GridCell:
        nodes = _children(tag)
        if _ends_row(tag):  # the </tr> ends the row; it is not text
            nodes = nodes[:-1] + [Text(_ROW_END.sub("", nodes[-1].value))]
        rowspan, colspan = _attr(tag, "rowspan"), _attr(tag, "colspan")
        if not tag.attributes:
            split = _status_template_split(nodes)
            if split:
                attrs, nodes = split
                rowspan, colspan = attrs.get("rowspan"), attrs.get("colspan")
        text, links = self.render(nodes)
        header = source(tag.tag).strip().lower() == "th"
        return GridCell(text.strip(), links, header, span_value(rowspan), span_value(colspan), _bold(nodes))

    def caption(self, tag: Tag) -> tuple[str, tuple[Link, ...]]:
        nodes = _children(tag)
        if tag.wiki_markup and nodes and isinstance(nodes[0], Text) and not tag.attributes:
            nodes = [Text(nodes[0].value.lstrip()[1:])] + nodes[1:]  # "|+cap": drop the "+"
        text, links = self.render(nodes)
        return text.strip(), links

    def read(self, table: Tag) -> TableDraft:
        caption, caption_links = "", ()
        rows: list[list[GridCell]] = [[]]
        totals = [False]
        for node in self._flat_rows(_children(table)):
            if _is_tag(node, "caption") or self._wiki_caption(node):
                caption, caption_links = self.caption(node)
            elif _is_tag(node, "tr"):
                cells = []
                total = "sortbottom" in (_attr(node, "class") or "").split()
                for c in self._flat_cells(_children(node)):
                    if self._wiki_caption(c):  # "|-\n|+ 标题": still the caption, as MediaWiki shows it
                        caption, caption_links = self.caption(c)
                    else:
                        cells.append(self.cell(c))
                        if _ends_row(c):
                            rows.append(cells)
                            totals.append(total)
                            cells = []
                rows.append(cells)
                totals.append(total)
            elif _is_tag(node, "td", "th"):
                rows[-1].append(self.cell(node))  # cells before the first |- form a row
                if _ends_row(node):
                    rows.append([])
                    totals.append(False)
            else:
                self.render([node])  # stray text: dropped, but templates in it are counted
        kept = [i for i, r in enumerate(rows) if r]
        return TableDraft(caption, caption_links, [rows[i] for i in kept], [totals[i] for i in kept])

    @staticmethod
    def _wiki_caption(node) -> bool:
        if not (_is_tag(node, "td") and node.wiki_markup == "|"):
            return False
        if node.attributes and str(node.attributes[0].name).strip() == "+":
            return True
        kids = _children(node)
        return bool(kids) and isinstance(kids[0], Text) and kids[0].value.startswith("+")

    @staticmethod
    def _flat_rows(nodes: list) -> list:
        """HTML tables may wrap rows in thead/tbody/tfoot."""
        out = []
        for n in nodes:
            if _is_tag(n, "thead", "tbody", "tfoot"):
                out.extend(_TableReader._flat_rows(_children(n)))
            else:
                out.append(n)
        return out

    def _flat_cells(self, nodes: list) -> list:
        out = []
        for n in nodes:
            if _is_tag(n, "td", "th"):
                out.append(n)
            elif not (isinstance(n, Text) and not n.value.strip()):
                self.render([n])  # not a cell: dropped, templates in it counted
        return out


def drafts_from_tag(table: Tag, renderer) -> list[TableDraft]:
    """The table, then the tables nested in its cells (depth first, in source order)."""
    reader = _TableReader(renderer)
    draft = reader.read(table)
    return [draft, *reader.nested]
