"""Markdown reader: pandoc-converted Wikipedia pages (markdown-it-py tokens) -> Document.

In: a RawPage whose text is pandoc Markdown (GFM or pandoc's own flavour). Out: a Document.
- Headings give the section path; paragraphs, lists, pipe tables and HTML `<table>` blocks
  become blocks. Links become anchor text plus Link records; category links become categories.
- Pandoc writes a MediaWiki definition list (`; 正式成员国` / `: 智利、…`) as a bullet whose
  first line is the term and whose continuation lines are the body. A continuation line is a
  real break, not pandoc's line wrapping, when the next word would have fit on the first line
  (pandoc wraps at 72 columns, CJK characters counting two) or when the break falls between two
  Han characters (pandoc wraps only at spaces); such an item becomes a `;` term and a `:` body.
- Pandoc writes a term with no body (`;1998年創始成員` before the list it labels) as a one-item
  list followed by `<!-- end list -->`; such an item, if it reads as a label, becomes the `;`
  term of the next list.
- Wiki markup pandoc left as text goes as in HTML table cells (`htmltable.clean_leftovers`):
  templates rendered (dropped ones counted in `dropped_templates`), stray brackets, <gallery>
  file names (captions stay). A `:*` line (a bullet in a definition body, kept as text with the
  bullet escaped: `:\\* - 人民広場駅 - 南京東路駅 -`) loses its markers and dangling dashes.
- A lead paragraph that is the tail of an infobox pandoc left (`border | caption = …}}`,
  `|utc_offset = …`) is dropped, counted in `dropped_templates` as "(infobox tail)".
- Dropped on purpose: footnote markers `\\[1\\]` (the reference bodies are not in these exports),
  empty list items (pandoc's empty reference list), images, the `ⓦ` marker some converters add
  to link text. Nothing else.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from ..model import Block, Cell, Document, Link, ListBlock, ListItem, Paragraph, RawPage, Table
from ..normalise import is_han
from . import links as wl
from .document import document, enter_heading
from .htmltable import FOOTNOTE, clean_leftovers, html_blocks, is_file_link

# A wikitext `:*`/`::` line pandoc kept as a paragraph: its list markers and a leading or
# trailing "-" (the separator next to an entry that rendered to nothing) are not text.
_DEFINITION_BULLET = re.compile(r"^:[:*#]*\s*(?:-(?:\s+|$))?|\s+-$")
WRAP_COLUMNS = 72
# The tail of an infobox pandoc could not convert, left as a lead paragraph: `border | caption =
# …}}`, `|utc_offset = +8`: a few words at most, then `| key =`. Counted under this name in
# `dropped_templates`.
_INFOBOX_TAIL = re.compile(r"^[^|=\n]{0,30}\|\s*[^\s|=]{1,30}(?:[ _][^\s|=]{1,30}){0,3}\s*=")
INFOBOX_TAIL = "(infobox tail)"
_END_LIST = "<!-- end list -->"  # pandoc's separator between two adjacent lists
_SENTENCE_END = re.compile(r"[。！？!?]")

# Pandoc's `[^1]` footnotes: markers leave the text; the plugin moves the bodies to the end of
# the document, where they are kept as paragraphs of the last section.
_md = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough").use(footnote_plugin)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


class _Inline:
    """Renders one inline token's children to (text, links, leading bold text)."""

    def __init__(self, token: Token):
        self.parts: list[str] = []
        self.links: list[Link] = []
        self.bold: list[str] = []
        self._render(token.children or [])

    def _render(self, children: list[Token]) -> None:
        href = None
        anchor: list[str] = []
        strong_depth = 0
        strong_seen = 0  # only the first bold run can be a lead term
        for t in children:
            out = anchor if href is not None else self.parts
            if t.type == "text":
                text = t.content.replace("ⓦ", "")
                out.append(text if href is not None else FOOTNOTE.sub("", text))
                if strong_depth and strong_seen == 1 and href is None:
                    self.bold.append(text)
            elif t.type in ("softbreak", "hardbreak"):
                out.append(" ")
                if strong_depth and strong_seen == 1 and href is None:
                    self.bold.append(" ")
            elif t.type == "code_inline":
                out.append(t.content)
            elif t.type == "html_inline":
                if t.content.lower().startswith("<br"):
                    out.append(" ")
            elif t.type == "strong_open":
                strong_depth += 1
                strong_seen += 1
            elif t.type == "strong_close":
                strong_depth -= 1
            elif t.type == "link_open":
                href, anchor = t.attrGet("href") or "", []
            elif t.type == "link_close" and href is not None:
                text = "".join(anchor).strip()
                link = wl.classify(href, text)
                href = None
                if is_file_link(link):
                    continue  # an image ("fig:" links): its anchor is the file name, not text
                self.links.append(link)
                if link.kind != "category":  # category links show no text on the page
                    self.parts.append(text)

    @property
    def text(self) -> str:
        return "".join(self.parts).strip()


class _Reader:
    def __init__(self, page: RawPage):
        self.page = page
        self.lines = page.text.split("\n")
        self.section: list[str] = []
        self.blocks: list[Block] = []
        self.category_links: list[Link] = []
        self.dropped: Counter = Counter()
        self.title: str | None = None

    def section_path(self) -> tuple[str, ...]:
        return tuple(s for s in self.section if s)

    def inline(self, token: Token) -> _Inline:
        rendered = _Inline(token)
        text = clean_leftovers(rendered.text, self.dropped)
        if text != rendered.text:
            rendered.parts = [text]
        self.category_links += [x for x in rendered.links if x.kind == "category"]
        rendered.links = [x for x in rendered.links if x.kind != "category"]
        return rendered

    def read(self) -> Document:
        tokens = _md.parse(self.page.text)
        i = 0
        while i < len(tokens):
            i = self.block(tokens, i)
        return self.document()

    def block(self, tokens: list[Token], i: int) -> int:
        t = tokens[i]
        if t.type == "heading_open":
            level = int(t.tag[1])
            text = self.inline(tokens[i + 1]).text
            self.title = enter_heading(self.section, self.title, level, text)
            return i + 3
        if t.type == "paragraph_open":
            rendered = self.inline(tokens[i + 1])
            if rendered.text.startswith(":"):
                rendered.parts = [_DEFINITION_BULLET.sub("", rendered.text)]
            if self.title is None and not self.section and rendered.bold:
                # The lead's first bold term names the article, even after images or a table.
                self.title = "".join(rendered.bold).strip()
            if not self.section and _INFOBOX_TAIL.match(rendered.text):
                self.dropped[INFOBOX_TAIL] += 1  # recorded with the dropped templates
                return i + 3
            if rendered.text:
                self.blocks.append(Paragraph(self.section_path(), rendered.text, tuple(rendered.links)))
            return i + 3
        if t.type in ("bullet_list_open", "ordered_list_open"):
            end = _close(tokens, i)
            items = self.list_items(tokens[i:end + 1])
            label = self.group_label(tokens, i)
            if label is not None:  # the label's one-item list becomes the term of this one
                self.blocks.pop()
                items = [label] + items
            if items:
                self.blocks.append(ListBlock(self.section_path(), tuple(items)))
            return end + 1
        if t.type == "table_open":
            end = _close(tokens, i)
            self.blocks.append(self.table(tokens[i:end + 1]))
            return end + 1
        if t.type == "html_block":
            self.html(t.content)
            return i + 1
        if t.type in ("fence", "code_block"):
            if t.content.strip():
                self.blocks.append(Paragraph(self.section_path(), t.content.strip()))
            return i + 1
        return i + 1

    def group_label(self, tokens: list[Token], i: int) -> ListItem | None:
        """Pandoc writes a wikitext term with no body (`;1998年創始成員` before a bullet list) as
        a one-item list, then `<!-- end list -->`, then the list it labels. That item, if it
        reads as a label (short, no sentence, linked only if it ends in a colon), as a term."""
        if i == 0 or tokens[i - 1].type != "html_block" or _END_LIST not in tokens[i - 1].content:
            return None
        last = self.blocks[-1] if self.blocks else None
        if not isinstance(last, ListBlock) or len(last.items) != 1 or last.section != self.section_path():
            return None
        (item,) = last.items
        text = item.text_original
        if (item.depth != 1 or len(text) > 30 or _SENTENCE_END.search(text)
                or (item.links and not text.endswith(("：", ":")))):
            return None
        return ListItem(";", 1, text, item.links)

    def html(self, html: str) -> None:
        self.blocks.extend(html_blocks(html, self.section_path(), self.dropped))

    def list_items(self, tokens: list[Token]) -> list[ListItem]:
        items: list[ListItem] = []
        depth = 0
        markers: list[str] = []
        for j, t in enumerate(tokens):
            if t.type in ("bullet_list_open", "ordered_list_open"):
                depth += 1
                markers.append("*" if t.type.startswith("bullet") else "#")
            elif t.type in ("bullet_list_close", "ordered_list_close"):
                depth -= 1
                markers.pop()
            elif t.type == "inline" and tokens[j - 1].type == "paragraph_open":
                items.extend(self.item(t, markers[-1], depth))
        return items

    def item(self, token: Token, marker: str, depth: int) -> list[ListItem]:
        term = self.definition_term(token)
        if term is not None:
            head, rest = term
            t1, t2 = self.inline(head), self.inline(rest)
            out = [ListItem(";", depth, t1.text, tuple(t1.links))]
            if t2.text:
                out.append(ListItem(":", depth + 1, t2.text, tuple(t2.links)))
            return out
        rendered = self.inline(token)
        return [ListItem(marker, depth, rendered.text, tuple(rendered.links))] if rendered.text else []

    def definition_term(self, token: Token) -> tuple[Token, Token] | None:
        """(term, body) inline tokens when the item's first line break is structural."""
        children = token.children or []
        brk = next((k for k, c in enumerate(children) if c.type == "softbreak"), None)
        if brk is None or token.map is None:
            return None
        opened = sum(c.type == "link_open" for c in children[:brk])
        if opened != sum(c.type == "link_close" for c in children[:brk]):
            return None  # the break wraps a link's anchor: one item, not a term and its body
        first = self.lines[token.map[0]].rstrip()
        following = self.lines[token.map[0] + 1].strip() if token.map[0] + 1 < len(self.lines) else ""
        next_word = following.split(" ", 1)[0]
        fits = _width(first) + 1 + _width(next_word) <= WRAP_COLUMNS
        # Pandoc wraps only at spaces, and Chinese prose has none between two Han characters.
        between_han = bool(first and following and is_han(first[-1]) and is_han(following[0]))
        if fits or between_han:
            head, rest = Token("inline", "", 0), Token("inline", "", 0)
            head.children, rest.children = children[:brk], children[brk + 1:]
            return head, rest
        return None

    def table(self, tokens: list[Token]) -> Table:
        header: list[str] = []
        rows: list[list[Cell]] = []
        for j, t in enumerate(tokens):
            if t.type == "tr_open":
                rows.append([])
            elif t.type == "inline":
                rendered = self.inline(t)
                if tokens[j - 1].type == "th_open":
                    header.append(rendered.text)
                else:
                    rows[-1].append(Cell(rendered.text, tuple(rendered.links)))
        body = [r for r in rows if r]
        width = max([len(header)] + [len(r) for r in body])
        columns = tuple(header + [""] * (width - len(header)))
        grid = tuple(tuple(r + [Cell("")] * (width - len(r))) for r in body)
        return Table(self.section_path(), "", columns, grid)

    def document(self) -> Document:
        return document(self.page, "markdown", self.title, self.blocks, self.category_links,
                        dropped_templates=tuple(sorted(self.dropped.items())))


def _close(tokens: list[Token], i: int) -> int:
    """Index of the token closing tokens[i] (same nesting level)."""
    level = tokens[i].level
    close = tokens[i].type.replace("_open", "_close")
    for j in range(i + 1, len(tokens)):
        if tokens[j].type == close and tokens[j].level == level:
            return j
    return len(tokens) - 1


def parse_markdown(page: RawPage) -> Document:
    return _Reader(page).read()
