"""The record model every stage shares: frozen dataclasses (`rows.frozen`: the same, with a
quicker __init__), no untyped metadata bags.

In: nothing (definitions only). Out: the types below.

Flow of records:
    RawPage (reader) -> Document (parser) -> Document with `text` filled (normalise)
    -> DocResult of output rows (extract; rows.py) -> rows minus duplicates (dedup) -> files (write).

Text fields come in pairs. A parser sets `text_original`: markup removed, the source's own
script, language-converter markup `-{…}-` still in place. `normalise` resolves that markup,
sets `text` (target variant) and rewrites `text_original` to the author's own branch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

# The rows of errors.parquet and redirects.parquet are records every stage makes; declared with
# the other output rows.
from .rows import (DocumentRow, InfoboxRow, KeywordRow, LinkRow, MemberRow, ParagraphRow, Problem,
                   Redirect, TableCellRow, TableRow, frozen, pack, unpack)

Section = tuple[str, ...]  # heading path, outermost first; () for the lead


@frozen
class Link:
    anchor_original: str
    target: str  # page title (internal/category) or URL (external); never script-converted
    kind: str  # "internal" | "external" | "category"
    anchor: str | None = None


@frozen
class Paragraph:
    section: Section
    text_original: str
    links: tuple[Link, ...] = ()
    text: str | None = None


@frozen
class ListItem:
    """One item of a bulleted, numbered or definition list.

    marker: "*" bullet, "#" numbered, ";" definition term, ":" definition body.
    depth: 1 for a top-level item; nested items count up.
    """

    marker: str
    depth: int
    text_original: str
    links: tuple[Link, ...] = ()
    text: str | None = None


@frozen
class ListBlock:
    section: Section
    items: tuple[ListItem, ...]


@frozen
class Cell:
    text_original: str
    links: tuple[Link, ...] = ()
    header: bool = False
    from_span: bool = False  # copied from a rowspan/colspan of the cell above or to the left
    text: str | None = None


@frozen
class Table:
    """A rectangular grid: every row has len(columns) cells, spans already filled in."""

    section: Section
    caption_original: str
    columns_original: tuple[str, ...]  # header text per column ("" where none)
    rows: tuple[tuple[Cell, ...], ...]  # body rows only; header rows became columns
    links: tuple[Link, ...] = ()  # links in the caption and header rows (body cells keep their own)
    totals: tuple[int, ...] = ()  # body rows that sum up the others (class="sortbottom"): not data rows
    caption: str | None = None
    columns: tuple[str, ...] | None = None


@frozen
class InfoboxField:
    template: str
    key: str
    value_original: str
    value: str | None = None
    links: tuple[Link, ...] = ()


Block = Union[Paragraph, ListBlock, Table]


@frozen
class ConversionRule:
    """A page-wide language-converter rule ({{noteTA}}, -{H|…}-, -{A|…}-): variant -> text."""

    variants: tuple[tuple[str, str], ...]  # (("zh-hans", "X"), ("zh-hant", "Y"))


@frozen
class PageMeta:
    """What a dump says about a page; None for loose files."""

    wiki: str
    page_id: int
    revision_id: int | None
    timestamp: str | None
    namespace: int
    # The dump's own names (its <siteinfo>, lower case) of the File (6) and Category (14)
    # namespaces, e.g. (("datei", 6), ("kategorie", 14)): so [[Kategorie:X]] on a dewiki page
    # is a category as [[Category:X]] and [[分类:X]] are everywhere.
    namespace_names: tuple[tuple[str, int], ...] = ()


@frozen
class RawPage:
    """One page as a reader found it: decoded text plus where it came from."""

    source: str  # input file, relative to its input root, with "/" separators
    doc_id: str
    format: str  # "markdown" | "pandoc-json" | "plaintext" | "wikitext" (a dump's pages are wikitext)
    text: str
    title: str | None = None  # from dump metadata; parsers fall back to the content
    meta: PageMeta | None = None


@frozen
class Document:
    doc_id: str
    source: str
    format: str
    title_original: str
    blocks: tuple[Block, ...]
    categories: tuple[str, ...] = ()  # as written: category names are page titles
    category_links: tuple[Link, ...] = ()
    infobox: tuple[InfoboxField, ...] = ()
    rules: tuple[ConversionRule, ...] = ()
    title_rules: tuple[tuple[str, str], ...] = ()  # noteTA T=: (variant, title)
    dropped_templates: tuple[tuple[str, int], ...] = ()  # template name -> times dropped
    meta: PageMeta | None = None
    content_sha256: str = ""
    title: str | None = None
    script: str | None = None
    problems: tuple[Problem, ...] = ()  # kept the page, but something is worth a row in errors
    # set by normalise: (heading as parsed, author's branch, target variant), for section columns
    headings: tuple[tuple[str, str, str], ...] = ()
    categories_display: tuple[str, ...] = ()  # set by normalise: the categories in the target variant


@dataclass(frozen=True)
class DocResult:
    """Everything one document contributes to the outputs, before cross-document dedup.

    Rows are the frozen records of `pipeline.rows`, one class per output table. A paragraph's
    `norm_hash` is None until `dedup.page_keys` (the per-page half of dedup, after extract)
    replaces the paragraphs; `document`'s n_paragraphs and n_duplicates count every paragraph as
    kept until `dedup.apply` replaces it.
    """

    doc_id: str
    document: DocumentRow | None  # None only while extract builds the other rows
    paragraphs: list[ParagraphRow] = field(default_factory=list)
    tables: list[TableRow] = field(default_factory=list)
    table_cells: list[TableCellRow] = field(default_factory=list)
    wide_tables: list[tuple[int, list[str], list[list[str]]]] = field(default_factory=list)
    members: list[MemberRow] = field(default_factory=list)
    links: list[LinkRow] = field(default_factory=list)
    infobox: list[InfoboxRow] = field(default_factory=list)
    keywords: list[KeywordRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def __reduce__(self):
        # Each list of rows as tuples (rows.pack): DocResults are pickled into the intermediate
        # files and the page cache, and rows pickled one by one made that much slower.
        return _docresult, (self.doc_id, self.document, self.wide_tables, self.problems,
                            *(pack(getattr(self, name)) for name in _ROW_LISTS))


_ROW_LISTS = ("paragraphs", "tables", "table_cells", "members", "links", "infobox", "keywords")


def _docresult(doc_id, document, wide_tables, problems, *packed) -> DocResult:
    return DocResult(doc_id, document, wide_tables=wide_tables, problems=problems,
                     **{name: unpack(rows) for name, rows in zip(_ROW_LISTS, packed)})
