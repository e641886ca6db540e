"""Output rows: one frozen record per output table, declared once.

In: nothing (definitions only). Out: `ROWS`, table name -> record class, in output order. A
record's fields are its table's columns, in order; each field's annotation gives the column's
type and its `doc` the README's column reference. `schemas.py` builds the Arrow schemas from
these (see `schemas.ARROW` for the types an annotation may name), so a column is declared here
and nowhere else. Stages build a row once, with its final values (keyword arguments); a later
stage that changes one (dedup's counts, a cached page's new file name) makes a new one.

Conventions: `*_original` is the same value in the source's own script; `section` is the heading
path joined with " > " ("" for the lead); indexes start at 0; list columns are tuples of strings.
"""

from __future__ import annotations

from collections import deque
from dataclasses import MISSING, dataclass, field, fields, replace
from itertools import repeat
from operator import itemgetter

DOC_ID = ("stable id: file path under the input root without extension, or wiki/page_id "
          "(e.g. zhwiki/123) for dumps")
SECTION = "heading path, outermost first, joined with ' > '; '' for the lead"


def frozen(cls: type) -> type:
    """A frozen dataclass whose __init__ sets the instance's whole __dict__ in one step.

    dataclasses' own frozen __init__ calls object.__setattr__ once per field (the frozen
    __setattr__ refuses plain assignment): about four times the cost of the dict literal a row
    used to be, and a cold run builds some 200,000 rows and a million parsed records (links,
    cells, list items). The same signature (every field by keyword or in order, the same plain
    defaults; a `default_factory` is refused); everything else (eq, hash, repr, `replace`,
    pickling) is dataclasses'. `evolve` is its `dataclasses.replace`.
    """
    cls = dataclass(frozen=True, init=False)(cls)
    names, defaults = [], {}
    for f in fields(cls):
        if f.default_factory is not MISSING:
            raise TypeError(f"{cls.__name__}.{f.name}: a default_factory needs dataclasses' __init__")
        if f.default is not MISSING:
            defaults[f"_default_{f.name}"] = f.default
        names.append(f.name if f.default is MISSING else f"{f.name}=_default_{f.name}")
    fieldnames = [f.name for f in fields(cls)]
    code = (f"def __init__(self, {', '.join(names)}):\n"
            f"    _set(self, '__dict__', {{{', '.join(f'{n!r}: {n}' for n in fieldnames)}}})\n")
    namespace: dict = {}
    exec(code, {"_set": object.__setattr__, **defaults}, namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = init
    FIELDS[cls] = frozenset(fieldnames)
    return cls


# `frozen` class -> its field names, for `evolve`
FIELDS: dict[type, frozenset[str]] = {}
_new, _set = object.__new__, object.__setattr__


def evolve(obj, **changes):
    """`dataclasses.replace(obj, **changes)` for a `frozen` record: a new instance given the
    old one's __dict__ with `changes` over it, as its __init__ would set it (replace reads
    every field by getattr and calls __init__ by keyword: about three times the cost, for
    some 100,000 records a cold run changes in normalise and dedup). Other dataclasses go to
    `replace`."""
    cls = type(obj)
    names = FIELDS.get(cls)
    if names is None:
        return replace(obj, **changes)
    if not names.issuperset(changes):
        raise TypeError(f"{cls.__name__} has no field {sorted(set(changes) - names)[0]!r}")
    new = _new(cls)
    _set(new, "__dict__", {**obj.__dict__, **changes})
    return new


def record(cls: type) -> type:
    """An output row: a `frozen` record (every column given), its values readable in order."""
    cls = frozen(cls)
    VALUES[cls] = itemgetter(*(f.name for f in fields(cls)))
    return cls


# record class -> a row's values in column order, as a tuple, from its __dict__ (`vars(row)`):
# a dict lookup per field, cheaper than attribute lookup, which searches the class first.
VALUES: dict[type, itemgetter] = {}


def pack(rows: list) -> tuple[type, list[dict]] | None:
    """Rows of one record class as (class, each row's __dict__): how a list of rows is pickled
    (DocResult). A record pickled as itself costs several times the dict it replaced (a NEWOBJ
    and a BUILD per row); this way, about the same."""
    if not rows:
        return None
    cls = type(rows[0])
    if len(set(map(type, rows))) > 1:
        raise TypeError(f"rows of several kinds: {sorted({type(r).__name__ for r in rows})}")
    return cls, list(map(vars, rows))


def unpack(packed: tuple[type, list[dict]] | None) -> list:
    """The rows again: each a new instance given its __dict__, as its __init__ does."""
    if packed is None:
        return []
    cls, states = packed
    rows = list(map(object.__new__, repeat(cls, len(states))))
    deque(map(object.__setattr__, rows, repeat("__dict__"), states), maxlen=0)  # C-level loops
    return rows


def described(doc: str, nullable: bool = True):
    """A column: its meaning, and whether Arrow may hold a null in it (doc_id never)."""
    return field(metadata={"doc": doc, "nullable": nullable})


@record
class DocumentRow:
    doc_id: str = described(DOC_ID, nullable=False)
    source: str = described("input file, relative to its input root")
    format: str = described("markdown | pandoc-json | wikitext | plaintext (dump pages are wikitext)")
    title: str | None = described("title in the target variant")
    title_original: str = described("title as the source wrote it")
    script: str | None = described("hans | hant | mixed | none (no Han characters), over the document's own text; "
                                   "ja for a Japanese page, whose text is its text_original")
    categories: tuple[str, ...] = described(
        "category names without the namespace prefix, in page order, as written: "
        "they are page titles, so they keep the source's script whatever --variant says")
    categories_display: tuple[str, ...] = described(
        "the same names in the target variant, for reading and grouping "
        "(not page titles: a zh-hant page's category converted to zh-hans may not exist under that name)")
    n_paragraphs: int = described("paragraphs and list items kept")
    n_duplicates: int = described("paragraphs and list items dropped as duplicates")
    n_tables: int = described("tables")
    n_members: int = described("member rows")
    content_sha256: str = described("sha256 of the page's source text")
    wiki: str | None = described("dump database name (zhwiki …); null for loose files")
    page_id: int | None = described("dump page id; null for loose files")
    revision_id: int | None = described("dump revision id; null for loose files")
    timestamp: str | None = described("dump revision timestamp (ISO 8601); null for loose files")


@record
class ParagraphRow:
    doc_id: str = described(DOC_ID, nullable=False)
    para_index: int = described("position among the document's paragraphs and list items, before dedup")
    section: str = described(SECTION)
    section_original: str = described("heading path as written")
    kind: str = described("paragraph | item (bullet) | numbered | term (;) | definition (:)")
    depth: int = described("list nesting depth; 0 for paragraphs")
    text: str | None = described("cleaned text in the target variant")
    text_original: str = described("cleaned text in the source's script")
    script: str = described("hans | hant | mixed | none, of text_original")
    norm_hash: str | None = described("dedup key: sha1 of the NFKC, Simplified-folded text without whitespace "
                                      "and punctuation (16 hex)")  # None until dedup.page_keys
    tokens: tuple[str, ...] = described("jieba tokens of text (entity names on the page and accented Latin, "
                                        "Cyrillic or Greek words kept whole; no whitespace tokens)")
    tokens_original: tuple[str, ...] | None = described(
        "the same token boundaries as slices of text_original; null when the two texts do not align")


@record
class DuplicateRow:
    doc_id: str = described(DOC_ID, nullable=False)
    para_index: int = described("position of the dropped paragraph in its document")
    section: str = described(SECTION)
    text_original: str = described("the dropped paragraph, source script")
    dup_of_doc_id: str = described("document of the kept first occurrence")
    dup_of_para_index: int = described("para_index of the kept first occurrence")
    method: str = described("exact (same norm_hash) | near (MinHash/LSH, see README)")
    similarity: float = described("1.0 for exact; estimated Jaccard of character 4-grams for near")


@record
class TableRow:
    doc_id: str = described(DOC_ID, nullable=False)
    table_index: int = described("position of the table in its document")
    section: str = described(SECTION)
    caption: str | None = described("caption in the target variant ('' if none)")
    caption_original: str = described("caption as written")
    n_rows: int = described("body rows (header rows became column names)")
    n_cols: int = described("columns")
    columns: tuple[str, ...] = described("column names in the target variant (stacked headers joined with ' / ')")
    columns_original: tuple[str, ...] = described("column names as written")
    column_types: tuple[str, ...] = described(
        "per column: date | number | text (≥ 80% of non-empty cells parse as that type)")
    wide_csv: str = described("path of the wide CSV under the output folder (date columns as ISO dates, "
                              "number columns as numbers, unparsed cells as text)")


@record
class TableCellRow:
    doc_id: str = described(DOC_ID, nullable=False)
    table_index: int = described("table position in its document")
    row: int = described("body row, from 0")
    col: int = described("column, from 0")
    column: str = described("column name in the target variant")
    text: str | None = described("cell text in the target variant")
    text_original: str = described("cell text as written")
    links: tuple[str, ...] = described("targets of the links in the cell")
    date_start: str | None = described(
        "first day the cell's date covers (ISO YYYY-MM-DD); null if the cell is not a date")
    date_end: str | None = described("last day covered (inclusive); null for an open end (2015年－) or no date")
    date_precision: str | None = described("day | month | year; null if no date")
    number: float | None = described("the cell's number (28名 -> 28, 第8届 -> 8, 3.5万 -> 35000, 12.5% -> 12.5); "
                                     "null if not a number")
    header: bool = described("a header (!) cell inside the body, e.g. a row header")
    from_span: bool = described("filled from a rowspan/colspan of another cell, or from a full-width label row "
                                "(column 'group')")
    total: bool = described("in a totals row (class=\"sortbottom\"): it sums up the rows above, it is not one of them")


@record
class MemberRow:
    doc_id: str = described(DOC_ID, nullable=False)
    organization: str | None = described("the document's title (target variant)")
    found_in: str = described("list | table | infobox: where the page names the member")
    section: str = described(SECTION)
    group: str = described("group label (target variant), e.g. 正式成员国; the section name when there is none")
    group_original: str = described("group label as written")
    status: str = described("member | candidate | observer | partner | former | other, read from the group label")
    position: int = described("1-based position within the group")
    member: str = described("member name (target variant)")
    member_original: str = described("member name as written")
    link_target: str | None = described("page the member's name links to, if it does")
    iso3166: str | None = described("ISO 3166-1 alpha-2 code when the name (or its link) is unambiguously a "
                                    "country (CLDR via Babel); else null")
    joined: str | None = described("join date from a member table's date column (ISO, first day covered); else null")
    attributes: str | None = described("a member table's other columns as a JSON object {column: text}; "
                                       "for a list item written `[[Name]]（note）`, {\"note\": note}; else null")


@record
class LinkRow:
    doc_id: str = described(DOC_ID, nullable=False)
    section: str = described(SECTION)
    anchor: str | None = described("link text in the target variant")
    anchor_original: str = described("link text as written")
    target: str = described("page title (spaces, no fragment) or URL")
    kind: str = described("internal | external | category")


@record
class InfoboxRow:
    doc_id: str = described(DOC_ID, nullable=False)
    template: str = described("infobox template name")
    key: str = described("parameter name")
    value: str | None = described("cleaned value in the target variant")
    value_original: str = described("cleaned value as written")


@record
class KeywordRow:
    doc_id: str = described(DOC_ID, nullable=False)
    rank: int = described("1 = strongest")
    keyword: str = described("keyword (target variant)")
    weight: float = described("jieba TF-IDF weight over the document's tokens")


@record
class Redirect:
    """A dump page that only redirects: recorded in redirects.parquet, not parsed as an article."""

    source: str = described("dump file")
    wiki: str = described("dump database name")
    page_id: int = described("redirect page id")
    title: str = described("redirect page title")
    target: str = described("title it redirects to")


@record
class Problem:
    """A row of errors.parquet: something went wrong, and the run went on."""

    source: str = described("input file")
    doc_id: str | None = described("document, when the problem concerns one")
    stage: str = described("read | parse | normalise | extract | dedup | cache | write")
    kind: str = described("machine-readable reason, e.g. empty-file, truncated-dump, parse-error")
    message: str = described("what happened, naming the file (and page or line)")


ROWS: dict[str, type] = {
    "documents": DocumentRow,
    "paragraphs": ParagraphRow,
    "duplicates": DuplicateRow,
    "tables": TableRow,
    "table_cells": TableCellRow,
    "members": MemberRow,
    "links": LinkRow,
    "infobox": InfoboxRow,
    "keywords": KeywordRow,
    "redirects": Redirect,
    "errors": Problem,
}
