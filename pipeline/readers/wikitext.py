"""Wikitext parser: a RawPage of MediaWiki markup in, a Document out (a pure function).

In: `RawPage.text` as wikitext. Out: `Document` with blocks (Paragraph, ListBlock, Table) in
document order, each carrying its heading path; categories; infobox fields; conversion rules
from {{noteTA}} and inline `-{A|…}-`/`-{H|…}-`; noteTA's title rule (T=) and inline `-{T|…}-`.
Only `*_original` fields are set; `-{…}-` markup stays in the text for `normalise`.

Title: `page.title`, else {{DISPLAYTITLE}}, else the first bold term of the lead's first
paragraph, else the last part of the doc_id.

Dropped, and where it is recorded: templates off the allow-list (templates.py) ->
`dropped_templates`; infobox templates -> `infobox`; categories -> `categories`; refs,
comments, files, magic words and non-text tags are dropped unrecorded (see wikirender.py).
If mwparserfromhell's tree is too deep for Python's recursion limit the page falls back to a
crude markup strip (paragraphs only), recorded as a `too-deep-fallback` row in errors (the page
is kept); any other exception is a bug
and propagates to the caller, which records it as a parse error.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

from mwparserfromhell.nodes import Heading, Tag, Template, Text, Wikilink

from ..convert import Markup, markup_end, parse_markup, rules_from_markup, split_markup
from ..grid import build_table
from . import leantree
from . import templates as T
from ..model import (ConversionRule, Document, Link, ListBlock, ListItem, Paragraph, Problem, RawPage,
                     Section)
from .wikirender import (PIPE, Break, Dropped, HeadingMark, ListMark, Piece, Renderer,
                         TableMark, finish, is_file_link)




def protect_converter_pipes(text: str) -> str:
    """`|` inside a closed `-{…}-` span (outside templates and links there) becomes PIPE, so
    `-{H|…}-` in a table cell or a template parameter is not split by mwparserfromhell.
    An unclosed or implausibly long span is left alone rather than guessed at."""
    if "-{" not in text:
        return text
    out, pos = [], 0
    while (start := text.find("-{", pos)) >= 0:
        end = _span_end(text, start)
        if end < 0:
            break
        out.append(text[pos:start])
        out.append(_protect_span(text[start:end]))
        pos = end
    out.append(text[pos:])
    return "".join(out)


MAX_SPAN = 4000
_TABLE_LINE = re.compile(r"^[ \t]*:*[ \t]*(\{\||\|\})", re.M)


def close_tables(text: str) -> str:
    """`{|` tables left open at the end of the page are closed there, as MediaWiki does;
    mwparserfromhell would otherwise read an unclosed table as text and its markup would leak."""
    if "{|" not in text:
        return text
    depth = 0
    for m in _TABLE_LINE.finditer(T.COMMENT.sub("", text)):
        depth = depth + 1 if m.group(1) == "{|" else max(0, depth - 1)
    return text + "\n|}" * depth if depth else text


_INDENTED_TABLE = re.compile(r"^[ \t]*:+[ \t]*(?=\{\|)", re.M)
_TEMPLATE_LINE = re.compile(r"^\s*\{\{.*\}\}\s*$")


def _tableish(line: str) -> bool:
    return line.lstrip().startswith(("|", "!", "{{"))


def open_template_tables(text: str) -> str:
    """Tables whose `{|` and `|}` come from templates ({{start box}} … {{end box}},
    {{Football player club statistics 1}} …): rows (`|-`) outside any table get the `{|`
    MediaWiki would have from the template, placed before the run of template lines that opens
    them, and a `|}` before the first line that is not table markup, so their cells are read as
    cells, not leaked as paragraph text. An indented table (`:{|`) is a table: its indent is
    layout, and mwparserfromhell reads tables only at the start of a line."""
    if "{|" in text:
        text = _INDENTED_TABLE.sub("", text)
    if "\n|-" not in text:
        return text
    lines = text.split("\n")
    out: list[str] = []
    depth, opened = 0, False
    for line in lines:
        bare = line.strip()
        if opened and not _tableish(line):
            out.append("|}")
            opened = False
        if bare.startswith("{|"):
            depth += 1
        elif bare.startswith("|}"):
            if opened:
                opened = False
            else:
                depth = max(0, depth - 1)
        elif bare.startswith("|-") and depth == 0 and not opened:
            start = len(out)
            while start and _TEMPLATE_LINE.match(out[start - 1]):
                start -= 1
            out.insert(start, "{|")
            opened = True
        out.append(line)
    if opened:
        out.append("|}")
    return "\n".join(out)


def _span_end(text: str, start: int) -> int:
    return markup_end(text, start, min(len(text), start + MAX_SPAN))


def _protect_span(span: str) -> str:
    out, inner, i = [], 0, 0
    while i < len(span):
        pair = span[i:i + 2]
        if pair in ("{{", "[["):
            inner += 1
        elif pair in ("}}", "]]") and inner:
            inner -= 1
        else:
            out.append(PIPE if span[i] == "|" and inner == 0 else span[i])
            i += 1
            continue
        out.append(pair)
        i += 2
    return "".join(out)


@dataclass
class _Line:
    prefix: str = ""
    texts: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    touched: bool = False  # something (even dropped) was written on this line

    def text(self) -> str:
        return "".join(self.texts)


class _Assembler:
    """Lines and markers to blocks: paragraphs, list runs, tables, headings."""

    def __init__(self) -> None:
        self.blocks: list = []
        self.path: list[tuple[int, str]] = []
        self.para: list[_Line] = []
        self.items: list[ListItem] = []
        self.line = _Line()

    @property
    def section(self) -> Section:
        return tuple(t for _, t in self.path)

    def feed(self, stream: list) -> None:
        for item in stream:
            if isinstance(item, Piece):
                text = item.text
                if "\n" not in text:  # most pieces: _write inline
                    line = self.line
                    line.texts.append(text)
                    if item.links:
                        line.links.extend(item.links)
                        line.touched = True
                    elif not line.touched and text.strip():
                        line.touched = True
                    continue
                first, *rest = text.split("\n")
                self._write(first, item.links)
                for part in rest:
                    self._end_line()
                    self._write(part, ())
            elif isinstance(item, ListMark):
                if self.line.text().strip():  # "; term : definition" on one line
                    prefix = self.line.prefix[:-1]
                    self._end_line()
                    self.line.prefix = prefix
                self.line.prefix += item.char
                self.line.touched = True
            elif isinstance(item, Dropped):
                self.line.touched = True
            elif isinstance(item, HeadingMark):
                self._end_line()
                self._flush()
                while self.path and self.path[-1][0] >= item.level:
                    self.path.pop()
                self.path.append((item.level, " ".join(item.text.split())))
            elif isinstance(item, TableMark):
                self._end_line()
                self._flush()
                for d in item.drafts:
                    self.blocks.append(build_table(d.rows, self.section, d.caption, d.caption_links, d.totals))
            elif isinstance(item, Break):
                self._end_line()
                self._flush()
        self._end_line()
        self._flush()

    def _write(self, text: str, links) -> None:
        self.line.texts.append(text)
        self.line.links.extend(links)
        if text.strip() or links:
            self.line.touched = True

    def _end_line(self) -> None:
        line, self.line = self.line, _Line()
        text = finish(line.text())
        if line.prefix:
            self._flush_para()
            if text.strip():
                self.items.append(ListItem(line.prefix[-1], len(line.prefix), text.strip(),
                                           tuple(line.links)))
        elif text.strip():
            self._flush_list()
            self.para.append(line)
        elif not line.touched:
            self._flush()  # a blank line ends the paragraph and the list

    def _flush_para(self) -> None:
        if self.para:
            text = "\n".join(finish(x.text()).strip() for x in self.para)
            links = tuple(link for x in self.para for link in x.links)
            self.blocks.append(Paragraph(self.section, text, links))
            self.para = []

    def _flush_list(self) -> None:
        if self.items:
            self.blocks.append(ListBlock(self.section, tuple(self.items)))
            self.items = []

    def _flush(self) -> None:
        self._flush_para()
        self._flush_list()


def _bold_lead(code, file_ns: frozenset[str]) -> str:
    """The first bold term of the lead's first paragraph (before any blank line that follows
    text, and before the first heading)."""
    seen = False
    for node in code.nodes:
        if isinstance(node, Heading):
            return ""
        if isinstance(node, Tag) and str(node.tag).lower() == "b" and node.contents is not None:
            return Renderer(tables=[]).text_of(node.contents).strip()
        if isinstance(node, Text):
            head, blank, _ = node.value.partition("\n\n")
            seen = seen or bool(head.strip())
            if blank and seen:
                return ""
        elif isinstance(node, Wikilink) and not is_file_link(node, file_ns):
            seen = True  # an image before the lead is not its text
    return ""


def _noteta(templates) -> tuple[list[ConversionRule], list[tuple[str, str]]]:
    """Numbered rules (1=, 2=, … in numeric order) and the title rule T= of {{noteTA}};
    G1= group names refer to wiki-side conversion tables we do not have and are ignored."""
    rules, title = [], []
    for t in templates:
        numbered = []
        for p in t.params:
            name = str(p.name).strip()
            body = finish(T.COMMENT.sub("", str(p.value))).strip()
            if not body:
                continue
            if name.isdigit():
                m = parse_markup(body)
                if m.branches:
                    numbered.append((int(name), ConversionRule(m.branches)))
            elif name.upper() == "T" and not title:
                title = list(parse_markup(body).branches)
        rules += [r for _, r in sorted(numbered, key=lambda x: x[0])]
    return rules, title


def _inline_title_rules(text: str) -> list[tuple[str, str]]:
    for part in split_markup(text):
        if isinstance(part, Markup) and "T" in part.flags and part.branches:
            return list(part.branches)
    return []


def _categories(names: list[str]) -> tuple[tuple[str, ...], tuple[Link, ...]]:
    seen: list[str] = []
    for name in names:
        if name and name not in seen:
            seen.append(name)
    return tuple(seen), tuple(Link(n, f"Category:{n}", "category") for n in seen)


def render_templates(text: str) -> tuple[str, Counter]:
    """Text another converter left with MediaWiki templates in it (pandoc Markdown keeps
    `{{-}}`, `{{Wikisource|…}}`): each template rendered as the wikitext reader renders it
    (allow-listed ones give their text, the others are dropped), everything else unchanged.
    Returns the text and the dropped templates by name."""
    renderer = Renderer()
    out = []
    for node in leantree.parse(protect_converter_pipes(text)).nodes:
        if isinstance(node, Template):
            out.append(renderer.inline(leantree.parse(str(node)))[0])
        else:
            out.append(str(node))
    return finish("".join(out)), renderer.dropped


def _crude(text: str) -> list[Paragraph]:
    """Fallback for a tree too deep to walk: strip markup by pattern, keep paragraphs."""
    text = T.COMMENT.sub("", text)
    text = re.sub(r"<ref[^>]*/>|<ref[^>]*>.*?</ref>", "", text, flags=re.S | re.I)
    for _ in range(50):
        new = re.sub(r"\{\{[^{}]*\}\}", "", text)
        if new == text:
            break
        text = new
    text = re.sub(r"\[\[(?:[^|\]]*\|)?([^\]]*)\]\]", r"\1", text)
    text = re.sub(r"\[https?://\S+\s*([^\]]*)\]", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    paras = [finish(p).strip() for p in re.split(r"\n\s*\n", text)]
    return [Paragraph((), p) for p in paras if p]


def parse_wikitext(page: RawPage) -> Document:
    text = page.text
    renderer = Renderer.for_names(page.meta.namespace_names if page.meta else ())
    renderer.title = page.title or ""
    problems: list[Problem] = []
    try:
        code = leantree.parse(close_tables(open_template_tables(protect_converter_pipes(text))))
        stream: list = []
        renderer.stream(code, stream)
        assembler = _Assembler()
        assembler.feed(stream)
        blocks = assembler.blocks
        bold = _bold_lead(code, renderer.file_ns)
    except RecursionError:
        problems.append(Problem(page.source, page.doc_id, "parse", "too-deep-fallback",
                                f"{page.source}: {page.title or page.doc_id}: markup nested too deeply "
                                "to parse; kept as text with the markup crudely stripped"))
        renderer, blocks, bold = Renderer(), _crude(text), ""
    uncommented = T.COMMENT.sub("", text)
    note_rules, title_rules = _noteta(renderer.noteta)
    if not title_rules:
        title_rules = _inline_title_rules(uncommented)
    categories, category_links = _categories(renderer.categories)
    title = (page.title or (renderer.displaytitle[0] if renderer.displaytitle else "")
             or bold or page.doc_id.rsplit("/", 1)[-1])
    return Document(
        doc_id=page.doc_id,
        source=page.source,
        format="wikitext",
        title_original=title,
        blocks=tuple(blocks),
        categories=categories,
        category_links=category_links,
        infobox=tuple(renderer.infobox),
        rules=tuple(note_rules + rules_from_markup(uncommented)),
        title_rules=tuple(title_rules),
        dropped_templates=tuple(sorted(renderer.dropped.items())),
        meta=page.meta,
        content_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        problems=tuple(problems),
    )
