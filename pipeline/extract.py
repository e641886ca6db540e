"""Extract: a normalised Document in, its output rows (DocResult) out.

Paragraphs and list items become `paragraphs` rows (list items keep their kind and depth, so a
list is never flattened away); tables become `tables`, `table_cells` and a wide grid; member
lists become `members` (see members.py); every link and category becomes a `links` row;
infobox parameters become `infobox` rows. Empty paragraphs, and those of punctuation only (what a dropped template
left: "{{PRC admin/children}}。"), carry nothing and are skipped.
Dedup happens later: each paragraph's key and MinHash (`dedup.page_keys`, with the page chain)
and then the global pass across documents (dedup_pass.py).
"""

from __future__ import annotations

import math
import re

from .grid import unique_columns
from .members import member_rows
from .model import DocResult, Document, ListBlock, Paragraph, Table
from .rows import DocumentRow, InfoboxRow, KeywordRow, LinkRow, ParagraphRow, TableCellRow, TableRow, evolve
from .normalise import script_of
from .outdir import wide_csv_path
from .tokens import Entities, keywords, tokenize
from .values import infer_dtype, parse_date, parse_number

KIND = {"*": "item", "#": "numbered", ";": "term", ":": "definition"}
_PLAIN_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


def extract(doc: Document) -> DocResult:
    headings = {raw: (original, target) for raw, original, target in doc.headings}

    def section(path: tuple[str, ...], original: bool = False) -> str:
        return " > ".join(headings.get(h, (h, h))[0 if original else 1] for h in path)

    result = DocResult(doc_id=doc.doc_id, document=None, problems=list(doc.problems))
    drafts: list[tuple] = []  # paragraphs until their tokens are known (see _paragraph)
    table_index = 0
    for block in doc.blocks:
        target = section(block.section)  # once per block, not per item and cell
        if isinstance(block, Paragraph):
            _paragraph(drafts, target, section(block.section, True),
                       "paragraph", 0, block.text, block.text_original)
            _links(result, doc.doc_id, target, block.links)
        elif isinstance(block, ListBlock):
            original = section(block.section, True)
            for item in block.items:
                _paragraph(drafts, target, original,
                           KIND.get(item.marker, "item"), item.depth, item.text, item.text_original)
                _links(result, doc.doc_id, target, item.links)
        elif isinstance(block, Table):
            _table(result, doc.doc_id, table_index, target, block)
            _links(result, doc.doc_id, target, block.links)
            for row in block.rows:
                for cell in row:
                    if not cell.from_span and cell.links:  # a spanned cell's copies repeat its links
                        _links(result, doc.doc_id, target, cell.links)
            table_index += 1
    for f in doc.infobox:
        _links(result, doc.doc_id, "", f.links)
    _links(result, doc.doc_id, "", doc.category_links)
    result.members.extend(member_rows(doc, lambda h: headings.get(h, (h, h))[1]))
    _tokens(result, doc, drafts)
    result.infobox.extend(
        InfoboxRow(doc_id=doc.doc_id, template=f.template, key=f.key,
                   value=f.value, value_original=f.value_original)
        for f in doc.infobox
    )
    meta = doc.meta
    # Every paragraph counts as kept until dedup.apply decides.
    return evolve(result, document=DocumentRow(
        doc_id=doc.doc_id, source=doc.source, format=doc.format,
        title=doc.title, title_original=doc.title_original, script=doc.script,
        categories=doc.categories, categories_display=doc.categories_display,
        n_paragraphs=len(result.paragraphs), n_duplicates=0, n_tables=table_index,
        n_members=len(result.members), content_sha256=doc.content_sha256,
        wiki=meta.wiki if meta else None, page_id=meta.page_id if meta else None,
        revision_id=meta.revision_id if meta else None,
        timestamp=meta.timestamp if meta else None,
    ))


_CONTENT = re.compile(r"[^\W_]")  # a letter, digit or Han character


def _paragraph(drafts: list[tuple], section: str, section_original: str, kind: str, depth: int,
               text: str | None, text_original: str) -> None:
    """A paragraph's values before its tokens, which need the page's entity names (members and
    links, known at the end): the row is built in _tokens."""
    if not _CONTENT.search(text_original):
        return  # nothing, or only the punctuation a dropped template left ("{{PRC admin/children}}。")
    drafts.append((section, section_original, kind, depth, text, text_original))


def _tokens(result: DocResult, doc: Document, drafts: list[tuple]) -> None:
    """Paragraph rows with their tokens; keywords per document."""
    names = [doc.title or ""] + [row.member for row in result.members]
    names += [row.anchor or "" for row in result.links if row.kind == "internal"]
    entities = Entities(names)
    all_tokens: list[str] = []
    for index, (section, section_original, kind, depth, text, text_original) in enumerate(drafts):
        tokens, tokens_original = tokenize(text or "", text_original, entities)
        # One tuple for both columns when tokenize gave the same list (text == text_original,
        # most paragraphs): pickled once, into the map's items file and the cache, and read
        # back once (a second, equal tuple was a memo look-up per token; the items file is 11%
        # smaller).
        as_tuple = tuple(tokens)
        original = as_tuple if tokens_original is tokens else (
            None if tokens_original is None else tuple(tokens_original))
        result.paragraphs.append(ParagraphRow(
            doc_id=doc.doc_id, para_index=index, section=section,
            section_original=section_original, kind=kind, depth=depth,
            text=text, text_original=text_original, script=script_of(text_original),
            norm_hash=None,  # set by dedup.page_keys
            tokens=as_tuple, tokens_original=original,
        ))
        all_tokens.extend(tokens)
    result.keywords.extend(
        KeywordRow(doc_id=doc.doc_id, rank=rank, keyword=word, weight=weight)
        for rank, (word, weight) in enumerate(keywords(all_tokens), 1)
    )


def _links(result: DocResult, doc_id: str, section: str, links) -> None:
    result.links.extend(
        LinkRow(doc_id=doc_id, section=section, anchor=x.anchor,
                anchor_original=x.anchor_original, target=x.target, kind=x.kind)
        for x in links
    )


def _table(result: DocResult, doc_id: str, index: int, section: str, table: Table) -> None:
    columns = list(table.columns or table.columns_original)
    dtypes = [infer_dtype([row[c].text_original for row in table.rows]) for c in range(len(columns))]
    result.tables.append(TableRow(
        doc_id=doc_id, table_index=index, section=section,
        caption=table.caption, caption_original=table.caption_original,
        n_rows=len(table.rows), n_cols=len(columns), columns=tuple(columns),
        columns_original=table.columns_original, column_types=tuple(dtypes),
        wide_csv=wide_csv_path(doc_id, index),
    ))
    wide = []
    for r, row in enumerate(table.rows):
        wide_row = []
        for c, cell in enumerate(row):
            date, number = parse_date(cell.text_original), parse_number(cell.text_original)
            result.table_cells.append(TableCellRow(
                doc_id=doc_id, table_index=index, row=r, col=c,
                column=columns[c] if c < len(columns) else "",
                text=cell.text, text_original=cell.text_original,
                links=tuple([x.target for x in cell.links]),
                date_start=date.start if date else None, date_end=date.end if date else None,
                date_precision=date.precision if date else None,
                number=number.value if number else None,
                header=cell.header, from_span=cell.from_span, total=r in table.totals,
            ))
            wide_row.append(_wide_value(dtypes[c], cell.text or "", date, number))
        wide.append(wide_row)
    result.wide_tables.append((index, unique_columns(columns), wide))


def _wide_value(dtype: str, text: str, date, number) -> str:
    """A typed column's value as ISO date (reduced precision, ranges as start/end) or number;
    a cell that does not parse keeps its text, so nothing is lost."""
    if dtype == "date" and date is not None:
        cut = {"day": 10, "month": 7, "year": 4}[date.precision]
        start = date.start[:cut]
        end = date.end[:cut] if date.end else ""
        return start if end == start else f"{start}/{end}"
    if dtype == "number" and number is not None:
        if _PLAIN_NUMBER.match(text):
            return text  # as written: a version column keeps 1.0 and 1.10 apart
        value = number.value
        if not math.isfinite(value):
            return text
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else format(value, ".15g")
    return text
