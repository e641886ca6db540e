"""The span grid (pipeline.grid) and the HTML table reader built on it."""

from pipeline.grid import GridCell, build_table, fill, span_value
from pipeline.model import Link
from pipeline.readers.htmltable import parse_html_tables
from pipeline.readers.links import classify as link_for


def texts(table):
    return [[c.text_original for c in row] for row in table.rows]


def test_rowspan_and_colspan_are_filled_and_marked():
    rows = [
        [GridCell("a", rowspan=2), GridCell("b", colspan=2)],
        [GridCell("c"), GridCell("d")],
    ]
    grid, _ = fill(rows)
    assert [[c.text_original for c in r] for r in grid] == [["a", "b", "b"], ["a", "c", "d"]]
    assert [[c.from_span for c in r] for r in grid] == [[False, False, True], [True, False, False]]


def test_short_rows_are_padded_and_grid_is_rectangular():
    table = build_table([[GridCell("x")], [GridCell("a"), GridCell("b"), GridCell("c")]], ())
    assert texts(table) == [["x", "", ""], ["a", "b", "c"]]
    assert all(len(r) == len(table.columns_original) for r in table.rows)


def test_two_row_header_joins_stacked_texts():
    rows = [
        [GridCell("版本", header=True, rowspan=2), GridCell("預安裝於Windows", header=True, colspan=2)],
        [GridCell("客戶端版", header=True), GridCell("伺服器版", header=True)],
        [GridCell("1.0"), GridCell("N/A"), GridCell("2003")],
    ]
    table = build_table(rows, ("版本",), "cap")
    assert table.columns_original == ("版本", "預安裝於Windows / 客戶端版", "預安裝於Windows / 伺服器版")
    assert texts(table) == [["1.0", "N/A", "2003"]]
    assert table.caption_original == "cap"


def test_title_banner_goes_to_caption_and_empty_banner_is_skipped():
    rows = [
        [GridCell("地图", header=True, colspan=3)],
        [GridCell("", colspan=3)],
        [GridCell("a", header=True), GridCell("b", header=True), GridCell("c", header=True)],
        [GridCell("1"), GridCell("2"), GridCell("3")],
    ]
    table = build_table(rows, ())
    assert table.caption_original == "地图"
    assert table.columns_original == ("a", "b", "c")
    assert texts(table) == [["1", "2", "3"]]


def test_full_width_rows_at_the_bottom_are_notes_on_the_caption():
    """The legend under the I.O.I discography tables: `! colspan="3" | <small>"—" 表示…</small>`.
    A full-width row in the middle labels the rows below it (a `group` column); one row alone is
    never a note, and stays a row."""
    link = Link("Oricon", "Oricon", "internal")
    rows = [
        [GridCell("年份", header=True), GridCell("歌曲", header=True), GridCell("排名", header=True)],
        [GridCell("2016年"), GridCell("Dream Girls"), GridCell("1")],
        [GridCell("韓國", colspan=3)],
        [GridCell("2017年"), GridCell("Whatta Man"), GridCell("—")],
        [GridCell('"—" 表示未上榜', header=True, colspan=3)],
        [GridCell("資料來源：Oricon", (link,), colspan=3)],
    ]
    table = build_table(rows, (), "單曲")
    assert table.caption_original == '單曲 / "—" 表示未上榜 / 資料來源：Oricon'
    assert table.columns_original == ("group", "年份", "歌曲", "排名")
    assert texts(table) == [["", "2016年", "Dream Girls", "1"], ["韓國", "2017年", "Whatta Man", "—"]]
    assert table.links == (link,)
    alone = build_table([[GridCell("a", header=True), GridCell("b", header=True)], [GridCell("x", colspan=2)]], ())
    assert texts(alone) == [["x", "x"]]


def test_row_headers_stay_in_body():
    rows = [[GridCell("h1", header=True), GridCell("h2", header=True)],
            [GridCell("1", header=True), GridCell("x")]]
    table = build_table(rows, ())
    assert table.columns_original == ("h1", "h2")
    assert table.rows[0][0].header and not table.rows[0][1].header


def test_rowspan_past_the_end_and_huge_spans_are_cut():
    table = build_table([[GridCell("a", rowspan=9), GridCell("b", colspan=10**9)]], ())
    assert len(table.rows) == 1
    assert len(table.columns_original) == 1001


def test_no_rows_gives_empty_table():
    table = build_table([], ())
    assert table.rows == () and table.columns_original == ()


def test_span_value():
    assert span_value('"2"') == 2
    assert span_value("3;") == 3
    assert span_value("x") == 1
    assert span_value(None) == 1


def test_links_from_hrefs():
    assert link_for("https://zh.wikipedia.org/wiki/Windows_98#x", "98") == Link("98", "Windows 98", "internal")
    assert link_for("../Page/%E5%BE%AE%E8%BD%AF.md", "微软") == Link("微软", "微软", "internal")
    assert link_for("http://example.com/a", "e").kind == "external"


def test_html_table_with_spans_nested_table_and_refs():
    html = """<table><caption>C</caption>
    <tr><th colspan="2">A</th><th rowspan="2">B</th></tr><tr><th>a1</th><th>a2</th></tr>
    <tr><td rowspan="2"><a href="https://zh.wikipedia.org/wiki/Foo_bar">Foo bar</a><sup class="reference">[1]</sup></td>
        <td>x<br>y</td><td style="color:red">z<style>.q{}</style></td></tr>
    <tr><td><table><tr><td>inner</td></tr></table>after</td><td>-{zh-hans:软件;zh-hant:軟體}-</td></tr>
    </table>"""
    outer, inner = parse_html_tables(html, ("s",))
    assert outer.section == ("s",) and outer.caption_original == "C"
    assert outer.columns_original == ("A / a1", "A / a2", "B")
    assert texts(outer) == [["Foo bar", "x y", "z"], ["Foo bar", "after", "-{zh-hans:软件;zh-hant:軟體}-"]]
    assert outer.rows[1][0].from_span
    assert outer.rows[0][0].links == (Link("Foo bar", "Foo bar", "internal"),)
    assert texts(inner) == [["inner"]]


def test_html_unclosed_cells_are_closed_like_browsers():
    (table,) = parse_html_tables("<table><tr><td>a<td>b<tr><td>c</table>")
    assert texts(table) == [["a", "b"], ["c", ""]]


def test_html_cells_clean_wiki_leftovers():
    """A template pandoc split across cells is rejoined and rendered into its first cell (links
    kept), the cells it took left empty; images leave no text or link; stray `}}` and a style
    parameter go; known templates render, others are counted."""
    from collections import Counter

    dropped = Counter()
    (table,) = parse_html_tables(
        "<table><tr><td><code>{{collapsible list</code></td><td>title = 成员</td>"
        "<td><a href=\"../Page/丹麦.md\">丹麦</a></td><td></td><td><code>}}</code></td></tr>"
        "<tr><td>a }}</td><td>{{lang|en|Foo}}{{Coord|1|N}}</td>"
        "<td><a href=\"https://ja.wikipedia.org/wiki/ファイル:X.jpg\">X.jpg</a>b</td>"
        "<td>liststyle = text-align:center;font-size:90%;</td><td>ok</td></tr></table>", (), dropped)
    assert texts(table) == [["成员：丹麦", "", "", "", ""], ["a", "Foo", "b", "", "ok"]]
    assert table.rows[0][0].links == (Link("丹麦", "丹麦", "internal"),)
    assert all(not c.links for c in table.rows[1])
    assert dropped == Counter({"Coord": 1})
