"""Span grid: rows of source cells (with rowspan/colspan) in, one rectangular model.Table out.

In: rows of `GridCell` as a reader found them (wikitext `{| |}` or an HTML `<table>`), in source
order, each with its text, links, header flag and spans.
Out: `build_table` -> `model.Table` whose every row has len(columns) cells. A cell covered by a
span of another cell is a copy of it with `from_span=True` (links included, so consumers that
count links should skip `from_span` cells). Short rows are padded with empty cells.

Header rows: the leading rows made only of header cells become the column names. A column
whose stacked header texts differ gets them joined with " / " outermost first
("預安裝於Windows / 客戶端版"); equal texts (a rowspan copy) appear once. A full-width header
row before them (a title banner, `! colspan=7 | 地图`, or a bold `|` one above bold column names)
is joined onto the caption, and an empty
full-width row there (a map or image that rendered to nothing) is skipped: neither loses text.
Full-width rows at the bottom (a legend, `! colspan=3 | "—" 表示未上榜`, or a source note) are
joined onto the caption too, instead of repeating in every column of a body row.
Leading rows of bold cells only (`| '''年份''' || '''得票'''`) are header rows too when the table
has no `!` header row: the page wrote a header without `!`. Under a `!` header row a bold row is
data (award tables bold the winner: `| '''《秋決》''' || '''大眾電影公司'''`).
Rows inside the body that are not data: a full-width row (one cell across all columns, "观察员国"
above the observer states) labels the rows below it, so it becomes the value of a first column
named `GROUP_COLUMN` for those rows instead of a body row (a single one above all the rows is a
title, joined onto the caption; one with no rows after it stays a row). A plain full-width row (not `!`,
not bold) after rows that have no group, holding a date or a clause (`_NOTE`), is a note among them
("1974年12月－1975年5月空缺" in a list of officeholders): it stays a row of its own. A repeat of the header row (long
tables repeat it) is skipped, and so is a row of `!` cells right after a label row (the header of
that group: "原成員國", then "! 国家 !! 签署 !! 宣布退出"); rows the reader marks as totals (class="sortbottom") stay, listed in
`Table.totals`.
Dropped: source rows with no cells at all (MediaWiki drops them too); spans reaching past the
last row are cut at the table's end.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .model import Cell, Link, Section, Table
from .normalise import collapse
from .rows import frozen

# MediaWiki's own caps; they also stop a hostile colspan="999999" from eating memory.
MAX_COLSPAN = 1000
MAX_ROWSPAN = 65534
# The column that holds the label of a full-width label row for the rows below it.
GROUP_COLUMN = "group"
# A full-width row that says something (a date, a clause: "1974年12月－1975年5月空缺", "由于…，…停止")
# is a note; a label names a group ("韓國", "观察员国", "即将到来的对话伙伴").
_NOTE = re.compile(r"[\d，。；]")


@frozen
class GridCell:
    text: str
    links: tuple[Link, ...] = ()
    header: bool = False
    rowspan: int = 1  # 0 means "to the end of the table", as in HTML
    colspan: int = 1
    bold: bool = False  # the whole text is bold: a header cell written as a data cell


def span_value(raw: object, default: int = 1) -> int:
    """An attribute value as a span: leading digits, as browsers read `colspan="2;"`."""
    digits = ""
    for ch in str(raw or "").strip().strip("\"'").strip():
        if not ch.isdigit():
            break
        digits += ch
    return int(digits) if digits else default


def fill(rows: Sequence[Sequence[GridCell]]) -> tuple[list[list[Cell]], list[list[int]]]:
    """The rectangular grid and, per position, the id of the source cell it came from
    (-1 for padding)."""
    rows = [r for r in rows if r]
    placed: dict[tuple[int, int], tuple[Cell, int]] = {}
    width = 0
    next_id = 0
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in placed:
                c += 1
            colspan = min(max(cell.colspan, 1), MAX_COLSPAN)
            rowspan = cell.rowspan if cell.rowspan > 0 else len(rows) - r
            rowspan = min(rowspan, MAX_ROWSPAN, len(rows) - r)
            for dr in range(rowspan):
                for dc in range(colspan):
                    copy = dr > 0 or dc > 0
                    placed.setdefault((r + dr, c + dc), (
                        Cell(cell.text, cell.links, cell.header, from_span=copy), next_id))
            next_id += 1
            c += colspan
            width = max(width, c)
    grid = [[placed.get((r, c), (Cell(""), -1))[0] for c in range(width)] for r in range(len(rows))]
    ids = [[placed.get((r, c), (None, -1))[1] for c in range(width)] for r in range(len(rows))]
    return grid, ids


def _is_header(row: list[Cell], ids: list[int]) -> bool:
    return all(cell.header for cell, i in zip(row, ids) if i >= 0) and any(i >= 0 for i in ids)


def _is_banner(ids: list[int]) -> bool:
    """One source cell covering a row of more than one column."""
    return len(ids) > 1 and ids[0] >= 0 and all(i == ids[0] for i in ids)


def column_names(header_rows: Sequence[Sequence[Cell]], width: int) -> tuple[str, ...]:
    names = []
    for c in range(width):
        seen: list[str] = []
        for row in header_rows:
            text = collapse(row[c].text_original)
            if text and text not in seen:
                seen.append(text)
        names.append(" / ".join(seen))
    return tuple(names)


def _is_bold(ids: list[int], sources: list[GridCell]) -> bool:
    """A row of bold cells only, at least two of them with text (one bold name beside empty cells
    is a data row)."""
    filled = [sources[i] for i in dict.fromkeys(ids) if i >= 0 and sources[i].text]
    return len(filled) >= 2 and all(c.bold or c.header for c in filled)


def _bold_title(r: int, grid: list[list[Cell]], ids: list[list[int]], sources: list[GridCell]) -> bool:
    """A bold full-width row written with `|`, above a row of bold column names, is a title as a
    `!` one is (1995年香港立法局選舉：選舉委員會 above 政黨 … 票數, all bold). Above data rows it
    labels a group and stays in the body."""
    nxt = r + 1
    return (sources[ids[r][0]].bold and nxt < len(grid) and not _is_banner(ids[nxt])
            and (_is_header(grid[nxt], ids[nxt]) or _is_bold(ids[nxt], sources)))


def build_table(rows: Sequence[Sequence[GridCell]], section: Section, caption: str = "",
                caption_links: Sequence[Link] = (), totals: Sequence[bool] = ()) -> Table:
    """`totals[i]` says source row i sums up the others (class="sortbottom")."""
    totals = [i < len(totals) and bool(totals[i]) for i, r in enumerate(rows) if r]
    sources = [cell for row in rows if row for cell in row]  # source cell by id, as fill numbers them
    grid, ids = fill(rows)
    width = len(grid[0]) if grid else 0
    captions = [collapse(caption)] if collapse(caption) else []
    header_rows: list[list[Cell]] = []
    header_ids: list[list[int]] = []
    start = 0
    for r, (row, row_ids) in enumerate(zip(grid, ids)):
        banner = _is_banner(row_ids)
        if banner and not header_rows and not collapse(row[0].text_original):
            start += 1
        elif banner and not header_rows and (row[0].header or _bold_title(r, grid, ids, sources)):
            text = collapse(row[0].text_original)
            if text not in captions:
                captions.append(text)
            start += 1
        elif not banner and (_is_header(row, row_ids) or (
                _is_bold(row_ids, sources) and not any(_is_header(h, i) for h, i in zip(header_rows, header_ids)))):
            header_rows.append(row)
            header_ids.append(row_ids)
            start += 1
        else:
            break
    # Full-width rows at the bottom (a legend, a source note) are about the table, not a row of it.
    end = len(grid)
    while end - 1 > start and _is_banner(ids[end - 1]) and ids[end - 1][0] not in ids[end - 2]:
        end -= 1
    notes = [collapse(row[0].text_original) for row in grid[end:]]
    # Links in the caption, a banner, a header row or a note: their cells became names, not rows.
    seen: set[int] = set()
    head_links = list(caption_links)
    for row, row_ids in zip(grid[:start] + grid[end:], ids[:start] + ids[end:]):
        for cell, cell_id in zip(row, row_ids):
            if cell_id not in seen:
                seen.add(cell_id)
                head_links.extend(cell.links)
    columns = column_names(header_rows, width)
    body, groups, total_rows = [], [], []
    group: Cell | None = None
    labels: list[tuple[list[Cell], list[int]]] = []  # label rows not yet followed by a data row
    for r in range(start, end):
        row, row_ids = grid[r], ids[r]
        if _is_banner(row_ids):
            if collapse(row[0].text_original) and (r == start or ids[r - 1][0] != row_ids[0]):
                if (group is None and body and not labels and not row[0].header and not sources[row_ids[0]].bold
                        and _NOTE.search(row[0].text_original)):
                    body.append(row)  # a note between rows of no group: a row of its own
                    groups.append(None)
                    total_rows.append(totals[r])
                    continue
                labels.append((row, row_ids))  # (a rowspan copy of the row above adds nothing)
            continue  # an empty one is a spacer: the group goes on
        if header_rows and _is_header(row, row_ids) and (labels or column_names([row], width) == columns):
            continue  # the header row repeated inside a long table, or a group's own header row
        if labels:  # labels in a row ("亚洲", "东亚") make one group
            group = Cell(" / ".join(collapse(x[0].text_original) for x, _ in labels),
                         tuple(link for x, _ in labels for link in x[0].links), labels[0][0][0].header)
            head_links.extend(group.links)
            labels = []
        body.append(row)
        groups.append(group)
        total_rows.append(totals[r])
    for row, _ in labels:  # a full-width row with no data row after it is itself data
        body.append(row)
        groups.append(None)
        total_rows.append(False)
    if groups and groups[0] is not None and all(g is groups[0] for g in groups):
        # one label above every row is the table's title, not a group among others
        captions += [groups[0].text_original] if groups[0].text_original not in captions else []
        groups = [None] * len(groups)
    captions += [text for text in notes if text and text not in captions]
    if any(g is not None for g in groups):
        columns = (GROUP_COLUMN,) + columns
        body = [[Cell(g.text_original, g.links, g.header, from_span=True) if g else Cell("")] + row
                for g, row in zip(groups, body)]
    return Table(
        section=section,
        caption_original=" / ".join(captions),
        columns_original=columns,
        rows=tuple(tuple(row) for row in body),
        links=tuple(head_links),
        totals=tuple(i for i, t in enumerate(total_rows) if t),
    )


def unique_columns(columns) -> list[str]:
    """Column names usable as keys: empty ones named by position, repeats numbered
    (版本, 版本 (2)), as in the wide CSVs and member attributes."""
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(columns):
        name = name or f"column {i + 1}"
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out
