"""Output schemas, declared once. The writer builds every batch with its schema (values of the
wrong type fail; a column a row lacks is null, so extract.py must fill every one) and the
README's column reference is generated from the `doc=` strings here (`python -m pipeline schema`).

Conventions: `*_original` is the same value in the source's own script; `section` is the heading
path joined with " > " ("" for the lead); indexes start at 0; lists are Arrow list<string>.
"""

from __future__ import annotations

import pyarrow as pa

STR = pa.string()
INT = pa.int64()
LIST = pa.list_(pa.string())


def _f(name: str, type_: pa.DataType, doc: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"doc": doc})


DOC_ID = _f("doc_id", STR, "stable id: file path under the input root without extension, or wiki/page_id (e.g. zhwiki/123) for dumps", False)
SECTION = _f("section", STR, "heading path, outermost first, joined with ' > '; '' for the lead")

SCHEMAS: dict[str, pa.Schema] = {
    "documents": pa.schema([
        DOC_ID,
        _f("source", STR, "input file, relative to its input root"),
        _f("format", STR, "markdown | pandoc-json | wikitext | plaintext (dump pages are wikitext)"),
        _f("title", STR, "title in the target variant"),
        _f("title_original", STR, "title as the source wrote it"),
        _f("script", STR, "hans | hant | mixed | none (no Han characters), over the document's own text; "
                          "ja for a Japanese page, whose text is its text_original"),
        _f("categories", LIST, "category names without the namespace prefix, in page order, as written: "
                               "they are page titles, so they keep the source's script whatever --variant says"),
        _f("categories_display", LIST, "the same names in the target variant, for reading and grouping "
                                       "(not page titles: a zh-hant page's category converted to zh-hans "
                                       "may not exist under that name)"),
        _f("n_paragraphs", INT, "paragraphs and list items kept"),
        _f("n_duplicates", INT, "paragraphs and list items dropped as duplicates"),
        _f("n_tables", INT, "tables"),
        _f("n_members", INT, "member rows"),
        _f("content_sha256", STR, "sha256 of the page's source text"),
        _f("wiki", STR, "dump database name (zhwiki …); null for loose files"),
        _f("page_id", INT, "dump page id; null for loose files"),
        _f("revision_id", INT, "dump revision id; null for loose files"),
        _f("timestamp", STR, "dump revision timestamp (ISO 8601); null for loose files"),
    ]),
    "paragraphs": pa.schema([
        DOC_ID,
        _f("para_index", INT, "position among the document's paragraphs and list items, before dedup"),
        SECTION,
        _f("section_original", STR, "heading path as written"),
        _f("kind", STR, "paragraph | item (bullet) | numbered | term (;) | definition (:)"),
        _f("depth", INT, "list nesting depth; 0 for paragraphs"),
        _f("text", STR, "cleaned text in the target variant"),
        _f("text_original", STR, "cleaned text in the source's script"),
        _f("script", STR, "hans | hant | mixed | none, of text_original"),
        _f("norm_hash", STR, "dedup key: sha1 of the NFKC, Simplified-folded text without whitespace and punctuation (16 hex)"),
        _f("tokens", LIST, "jieba tokens of text (entity names on the page and accented Latin, Cyrillic or Greek words kept whole; no whitespace tokens)"),
        _f("tokens_original", LIST, "the same token boundaries as slices of text_original; null when the two texts do not align"),
    ]),
    "duplicates": pa.schema([
        DOC_ID,
        _f("para_index", INT, "position of the dropped paragraph in its document"),
        SECTION,
        _f("text_original", STR, "the dropped paragraph, source script"),
        _f("dup_of_doc_id", STR, "document of the kept first occurrence"),
        _f("dup_of_para_index", INT, "para_index of the kept first occurrence"),
        _f("method", STR, "exact (same norm_hash) | near (MinHash/LSH, see README)"),
        _f("similarity", pa.float64(), "1.0 for exact; estimated Jaccard of character 4-grams for near"),
    ]),
    "tables": pa.schema([
        DOC_ID,
        _f("table_index", INT, "position of the table in its document"),
        SECTION,
        _f("caption", STR, "caption in the target variant ('' if none)"),
        _f("caption_original", STR, "caption as written"),
        _f("n_rows", INT, "body rows (header rows became column names)"),
        _f("n_cols", INT, "columns"),
        _f("columns", LIST, "column names in the target variant (stacked headers joined with ' / ')"),
        _f("columns_original", LIST, "column names as written"),
        _f("column_types", LIST, "per column: date | number | text (≥ 80% of non-empty cells parse as that type)"),
        _f("wide_csv", STR, "path of the wide CSV under the output folder (date columns as ISO dates, number columns as numbers, unparsed cells as text)"),
    ]),
    "table_cells": pa.schema([
        DOC_ID,
        _f("table_index", INT, "table position in its document"),
        _f("row", INT, "body row, from 0"),
        _f("col", INT, "column, from 0"),
        _f("column", STR, "column name in the target variant"),
        _f("text", STR, "cell text in the target variant"),
        _f("text_original", STR, "cell text as written"),
        _f("links", LIST, "targets of the links in the cell"),
        _f("date_start", STR, "first day the cell's date covers (ISO YYYY-MM-DD); null if the cell is not a date"),
        _f("date_end", STR, "last day covered (inclusive); null for an open end (2015年－) or no date"),
        _f("date_precision", STR, "day | month | year; null if no date"),
        _f("number", pa.float64(), "the cell's number (28名 -> 28, 第8届 -> 8, 3.5万 -> 35000, 12.5% -> 12.5); null if not a number"),
        _f("header", pa.bool_(), "a header (!) cell inside the body, e.g. a row header"),
        _f("from_span", pa.bool_(), "filled from a rowspan/colspan of another cell, or from a full-width label row (column 'group')"),
        _f("total", pa.bool_(), "in a totals row (class=\"sortbottom\"): it sums up the rows above, it is not one of them"),
    ]),
    "members": pa.schema([
        DOC_ID,
        _f("organization", STR, "the document's title (target variant)"),
        _f("found_in", STR, "list | table | infobox: where the page names the member"),
        SECTION,
        _f("group", STR, "group label (target variant), e.g. 正式成员国; the section name when there is none"),
        _f("group_original", STR, "group label as written"),
        _f("status", STR, "member | candidate | observer | partner | former | other, read from the group label"),
        _f("position", INT, "1-based position within the group"),
        _f("member", STR, "member name (target variant)"),
        _f("member_original", STR, "member name as written"),
        _f("link_target", STR, "page the member's name links to, if it does"),
        _f("iso3166", STR, "ISO 3166-1 alpha-2 code when the name (or its link) is unambiguously a country (CLDR via Babel); else null"),
        _f("joined", STR, "join date from a member table's date column (ISO, first day covered); else null"),
        _f("attributes", STR, "a member table's other columns as a JSON object {column: text}; "
                                  "for a list item written `[[Name]]（note）`, {\"note\": note}; else null"),
    ]),
    "links": pa.schema([
        DOC_ID,
        SECTION,
        _f("anchor", STR, "link text in the target variant"),
        _f("anchor_original", STR, "link text as written"),
        _f("target", STR, "page title (spaces, no fragment) or URL"),
        _f("kind", STR, "internal | external | category"),
    ]),
    "infobox": pa.schema([
        DOC_ID,
        _f("template", STR, "infobox template name"),
        _f("key", STR, "parameter name"),
        _f("value", STR, "cleaned value in the target variant"),
        _f("value_original", STR, "cleaned value as written"),
    ]),
    "keywords": pa.schema([
        DOC_ID,
        _f("rank", INT, "1 = strongest"),
        _f("keyword", STR, "keyword (target variant)"),
        _f("weight", pa.float64(), "jieba TF-IDF weight over the document's tokens"),
    ]),
    "redirects": pa.schema([
        _f("source", STR, "dump file"),
        _f("wiki", STR, "dump database name"),
        _f("page_id", INT, "redirect page id"),
        _f("title", STR, "redirect page title"),
        _f("target", STR, "title it redirects to"),
    ]),
    "errors": pa.schema([
        _f("source", STR, "input file"),
        _f("doc_id", STR, "document, when the problem concerns one"),
        _f("stage", STR, "read | parse | normalise | extract | dedup | cache | write"),
        _f("kind", STR, "machine-readable reason, e.g. empty-file, truncated-dump, parse-error"),
        _f("message", STR, "what happened, naming the file (and page or line)"),
    ]),
}

OUTPUTS = tuple(SCHEMAS)


def markdown_reference() -> str:
    """The column reference the README carries between its schema markers."""
    out = []
    for name, schema in SCHEMAS.items():
        out.append(f"\n#### {name}\n\n| column | type | meaning |\n|---|---|---|\n")
        for f in schema:
            meaning = f.metadata[b'doc'].decode().replace('|', '\\|')
            out.append(f"| `{f.name}` | {f.type} | {meaning} |\n")
    return "".join(out).lstrip("\n")
