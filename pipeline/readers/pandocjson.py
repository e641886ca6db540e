"""Pandoc JSON reader: a page as pandoc's JSON AST (`pandoc -t json`) in, a Document out.

In: a RawPage whose text is pandoc's JSON document (`{"pandoc-api-version": …, "blocks": …}`,
API 1.17 to 1.23). Out: a Document, as the Markdown reader would give for the same page.
- Title: the page's metadata title, else a level-1 header, else the lead's first bold run.
- Headers give the section path (a level-1 header is the title when there is none yet);
  Para/Plain/LineBlock become paragraphs; bullet, ordered and definition lists become list
  blocks (nested lists deepen the items); tables, old (API < 1.21) and new (row and column
  spans), go through the span grid; Div, BlockQuote and Figure are read through.
- Links become anchor text plus Link records, spelled by `links.classify` like every reader's;
  category links become categories. Raw `mediawiki` blocks and inlines (what pandoc could not
  convert, e.g. templates) are read by the wikitext reader, whose dropped templates are counted
  in `dropped_templates` as usual; raw HTML keeps its text and its tables.
- Dropped on purpose: footnotes (`Note`: MediaWiki <ref> bodies, which the wikitext reader also
  drops), images (as in the Markdown reader), horizontal rules. A node type this reader does
  not know keeps the text of its `Str` leaves as a paragraph or inline text: nothing is lost.
Malformed JSON or a document that is not pandoc's raises ValueError naming the position, which
`run.process_page` records as a parse error for the page. A block in a shape this reader does
not know keeps its words as a paragraph and adds an `unexpected-pandoc-node` row to errors.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace

from ..convert import HAN
from ..grid import GridCell, build_table
from ..model import Block, Document, Link, ListBlock, ListItem, Paragraph, Problem, RawPage, Table
from . import links as wl
from .document import document, enter_heading

_SKIP_BLOCKS = {"HorizontalRule", "Null"}
_WRAP = re.compile(f"(?<=[{HAN}])\n(?=[{HAN}])")
_QUOTES = {"DoubleQuote": ("“", "”"), "SingleQuote": ("‘", "’")}


def is_pandoc_json(text: str) -> bool:
    head = text.lstrip()[:4096]
    return head.startswith("{") and '"pandoc-api-version"' in head


def _join(parts: list[str]) -> str:
    """Inline pieces as one line. A soft break ("\n") between two Han characters is pandoc's
    wrapping of the source line, not a space; elsewhere it is one."""
    text = _WRAP.sub("", "".join(parts))
    return " ".join(text.split())


def _strings(node) -> list[str]:
    """The words under a node of a type this reader does not know: its Str leaves, spaced."""
    if isinstance(node, dict):
        t, c = node.get("t"), node.get("c")
        if t == "Str":
            return [c] if isinstance(c, str) else []
        if t in ("Space", "SoftBreak", "LineBreak"):
            return [" "]
        return _strings(c)
    if isinstance(node, list):
        return [s for x in node for s in _strings(x)]
    return []


class _Reader:
    def __init__(self, page: RawPage):
        self.page = page
        self.section: list[str] = []
        self.blocks: list[Block] = []
        self.category_links: list[Link] = []
        self.dropped: Counter = Counter()
        self.problems: list[Problem] = []
        self.title: str | None = None

    def section_path(self) -> tuple[str, ...]:
        return tuple(s for s in self.section if s)

    # -- inlines ------------------------------------------------------------------------
    def inlines(self, nodes) -> tuple[str, list[Link]]:
        parts: list[str] = []
        links: list[Link] = []
        self._inlines(nodes or [], parts, links)
        body = [x for x in links if x.kind != "category"]
        self.category_links += [x for x in links if x.kind == "category"]
        return _join(parts), body

    def _inlines(self, nodes, parts: list[str], links: list[Link]) -> None:
        for node in nodes:
            t, c = node.get("t"), node.get("c")
            if t == "Str":
                parts.append(c)
            elif t in ("Space", "LineBreak"):
                parts.append(" ")
            elif t == "SoftBreak":
                parts.append("\n")
            elif t in ("Emph", "Strong", "Strikeout", "Superscript", "Subscript", "SmallCaps",
                       "Underline"):
                self._inlines(c, parts, links)
            elif t in ("Span", "Cite"):
                self._inlines(c[1] if t == "Span" else c[1], parts, links)
            elif t == "Quoted":
                left, right = _QUOTES.get(c[0].get("t"), ('"', '"'))
                parts.append(left)
                self._inlines(c[1], parts, links)
                parts.append(right)
            elif t in ("Code", "Math"):
                parts.append(c[1])
            elif t == "Link":
                sub: list[str] = []
                self._inlines(c[1], sub, links)
                anchor = _join(sub)
                link = wl.classify(c[2][0], anchor)
                if link.kind != "external" and wl.is_file(link.target):
                    continue  # an image linked as a page ("fig:"): its anchor is a file name
                links.append(link)
                if link.kind != "category":  # category links show no text on the page
                    parts.append(anchor)
            elif t == "RawInline":
                text, raw_links = self.raw_inline(c[0], c[1])
                parts.append(text)
                links.extend(raw_links)
            elif t in ("Note", "Image"):
                continue
            else:
                parts.extend(_strings(c))

    def raw_inline(self, fmt: str, text: str) -> tuple[str, list[Link]]:
        if fmt == "html":
            return (" " if text.lower().startswith("<br") else ""), []
        if fmt != "mediawiki" or not text.strip():
            return "", []
        doc = self.wikitext(text)
        parts, links = [], []
        for block in doc.blocks:
            if isinstance(block, Paragraph):
                parts.append(block.text_original)
                links += block.links
        return " ".join(parts), links

    # -- blocks -------------------------------------------------------------------------
    def read(self) -> Document:
        try:
            data = json.loads(self.page.text)
        except json.JSONDecodeError as e:
            raise ValueError(f"not valid pandoc JSON: {e}") from None
        if not isinstance(data, dict) or not isinstance(data.get("blocks"), list):
            raise ValueError("not a pandoc JSON document: no top-level \"blocks\" list")
        meta = data.get("meta")
        title = meta.get("title") if isinstance(meta, dict) else None
        if isinstance(title, dict):
            self.title = _join(_strings(title)) or None
        for n, node in enumerate(data["blocks"], 1):
            before = len(self.blocks)
            try:
                self.block(node)
            except (AttributeError, IndexError, KeyError, TypeError, ValueError) as e:
                # A node not in the shape this reader knows (a newer pandoc, a hand-made AST):
                # keep its words, record it, go on with the next block.
                del self.blocks[before:]
                kind = node.get("t") if isinstance(node, dict) else type(node).__name__
                self.problems.append(Problem(
                    self.page.source, self.page.doc_id, "parse", "unexpected-pandoc-node",
                    f"{self.page.source}: {self.page.title or self.page.doc_id}: block {n} ({kind}) "
                    f"is not in a shape this reader knows ({type(e).__name__}: {e}); kept its text"))
                text = _join(_strings(node))
                if text:
                    self.blocks.append(Paragraph(self.section_path(), text))
        return self.document()

    def block(self, node) -> None:
        t, c = node.get("t"), node.get("c")
        if t == "Header":
            level = c[0]
            text, _ = self.inlines(c[2])
            self.title = enter_heading(self.section, self.title, level, text)
        elif t in ("Para", "Plain"):
            self.paragraph(c)
        elif t == "LineBlock":
            for line in c:
                self.paragraph(line)
        elif t in ("BulletList", "OrderedList", "DefinitionList"):
            items: list[ListItem] = []
            self.list_items(node, 1, items)
            if items:
                self.blocks.append(ListBlock(self.section_path(), tuple(items)))
        elif t == "Table":
            self.blocks.append(self.table(c))
        elif t in ("Div", "BlockQuote", "Figure"):
            inner = c if t == "BlockQuote" else c[-1]
            if t == "Figure":
                self.blocks_of(c[1][1])  # the caption's blocks
            self.blocks_of(inner)
        elif t == "CodeBlock":
            if c[1].strip():
                self.blocks.append(Paragraph(self.section_path(), c[1].strip()))
        elif t == "RawBlock":
            self.raw_block(c[0], c[1])
        elif t not in _SKIP_BLOCKS:
            text = _join(_strings(c))
            if text:
                self.blocks.append(Paragraph(self.section_path(), text))

    def blocks_of(self, nodes) -> None:
        for node in nodes or []:
            self.block(node)

    def paragraph(self, inlines) -> None:
        text, links = self.inlines(inlines)
        if text and not self.blocks and self.title is None:
            # The lead's first bold run names the article, as in the Markdown reader.
            bold = next((x for x in inlines if x.get("t") == "Strong"), None)
            self.title = _join(_strings(bold)) if bold is not None else None
        if text:
            self.blocks.append(Paragraph(self.section_path(), text, tuple(links)))

    def list_items(self, node, depth: int, items: list[ListItem]) -> None:
        t, c = node.get("t"), node.get("c")
        if t == "DefinitionList":
            for term, definitions in c:
                text, links = self.inlines(term)
                if text:
                    items.append(ListItem(";", depth, text, tuple(links)))
                for body in definitions:
                    self.item_blocks(body, ":", depth + 1, items)
            return
        marker = "*" if t == "BulletList" else "#"
        for item in (c if t == "BulletList" else c[1]):
            self.item_blocks(item, marker, depth, items)

    def item_blocks(self, blocks, marker: str, depth: int, items: list[ListItem]) -> None:
        """One list item's blocks: its text, nested lists one level deeper; a table inside an
        item stays a table block of its own."""
        texts, links = [], []

        def flush():
            text = " ".join(x for x in texts if x)
            if text:
                items.append(ListItem(marker, depth, text, tuple(links)))
            texts.clear()
            links.clear()

        for b in blocks:
            if b.get("t") in ("BulletList", "OrderedList", "DefinitionList"):
                flush()
                self.list_items(b, depth + 1, items)
            elif b.get("t") == "Table":
                self.blocks.append(self.table(b.get("c")))
            else:
                text, found = self.block_text(b)
                texts.append(text)
                links += found
        flush()

    def block_text(self, block) -> tuple[str, list[Link]]:
        """A block inside a list item or a table cell, as one line of text."""
        if block.get("t") in ("Para", "Plain"):
            return self.inlines(block.get("c"))
        return _join(_strings(block)), []

    def cell_text(self, blocks) -> tuple[str, list[Link]]:
        texts, links = [], []
        for b in blocks:
            text, found = self.block_text(b)
            texts.append(text)
            links += found
        return " ".join(x for x in texts if x), links

    def table(self, c) -> Table:
        if len(c) == 5:  # API < 1.21: caption, aligns, widths, header cells, rows of cells
            caption, _ = self.inlines(c[0])
            rows = [[self.grid_cell(cell, header=True) for cell in c[3]]] if any(c[3]) else []
            rows += [[self.grid_cell(cell) for cell in row] for row in c[4]]
            return build_table(rows, self.section_path(), caption)
        _attr, (_short, caption_blocks), _specs, head, bodies, foot = c
        caption, caption_links = self.cell_text(caption_blocks)
        rows = [self.row(r, header=True) for r in head[1]]
        for _battr, _row_heads, inter, body in bodies:
            rows += [self.row(r, header=True) for r in inter] + [self.row(r) for r in body]
        rows += [self.row(r) for r in foot[1]]
        return build_table(rows, self.section_path(), caption, caption_links)

    def row(self, row, header: bool = False) -> list[GridCell]:
        cells = []
        for _attr, _align, rowspan, colspan, blocks in row[1]:
            text, links = self.cell_text(blocks)
            cells.append(GridCell(text, tuple(links), header, rowspan, colspan))
        return cells

    def grid_cell(self, blocks, header: bool = False) -> GridCell:
        text, links = self.cell_text(blocks)
        return GridCell(text, tuple(links), header)

    def raw_block(self, fmt: str, text: str) -> None:
        if not text.strip():
            return
        if fmt == "mediawiki":
            doc = self.wikitext(text)
            path = self.section_path()
            self.blocks += [_in_section(b, path) for b in doc.blocks]
        elif fmt == "html":
            from .htmltable import html_blocks

            self.blocks += html_blocks(text, self.section_path(), self.dropped)

    def wikitext(self, text: str) -> Document:
        """Raw MediaWiki markup pandoc left in place, read by the wikitext reader."""
        from .wikitext import parse_wikitext

        doc = parse_wikitext(RawPage(self.page.source, self.page.doc_id, "wikitext", text,
                                     title=self.page.title or "-"))
        self.dropped.update(dict(doc.dropped_templates))
        self.category_links += doc.category_links
        return doc

    def document(self) -> Document:
        return document(self.page, "pandoc-json", self.title, self.blocks, self.category_links,
                        dropped_templates=tuple(sorted(self.dropped.items())),
                        problems=tuple(self.problems))


def _in_section(block: Block, section: tuple[str, ...]) -> Block:
    return replace(block, section=section + block.section)


def parse_pandoc_json(page: RawPage) -> Document:
    return _Reader(page).read()
