"""Markdown reader on the seed and real pandoc exports; expectations written by reading the pages."""

from __future__ import annotations

from pathlib import Path

from pipeline.model import ListBlock, Paragraph, RawPage, Table
from pipeline.normalise import normalise_document
from pipeline.read import detect_format
from pipeline.readers.markdown import parse_markdown

ROOT = Path(__file__).resolve().parent.parent
MD = ROOT / "tests/data/corpus/pandoc_md"


def _doc(path: Path):
    text = path.read_text(encoding="utf-8")
    assert detect_format(text) == "markdown"
    return normalise_document(parse_markdown(RawPage(path.name, path.stem, "markdown", text)))


def _blocks(doc, kind):
    return [b for b in doc.blocks if isinstance(b, kind)]


def test_seed_title_table_and_links():
    doc = _doc(ROOT / "tests/data/seeds/000_b725adc4755d8a28.txt")
    assert doc.title == "太平洋联盟"
    lead = doc.blocks[0]
    assert lead.text.startswith("太平洋联盟是一个拉丁美洲的贸易集团")
    assert "[1]" not in lead.text and "\\" not in lead.text  # footnote marker \[1\] dropped
    assert [x.target for x in lead.links][:2] == ["拉丁美洲", "贸易集团"]
    (table,) = _blocks(doc, Table)
    assert table.columns == ("届", "日期", "举行地点/方式", "内容")
    assert table.columns_original == ("屆", "日期", "舉行地點/方式", "内容")
    assert len(table.rows) == 8 and all(len(r) == 4 for r in table.rows)
    assert [c.text for c in table.rows[0]][:3] == ["1.", "2011年4月28日", "秘鲁利马"]
    assert [x.target for x in table.rows[4][2].links] == ["加的斯", "伊比利亚美洲峰会"]
    assert doc.categories == ("美洲国际性组织", "2012年建立的組織", "2012年南美洲", "區域主義 (國際關係)")


def test_seed_member_definition_list():
    doc = _doc(ROOT / "tests/data/seeds/000_b725adc4755d8a28.txt")
    lists = [b for b in _blocks(doc, ListBlock) if b.section == ("成员",)]
    items = [(i.marker, i.text) for i in lists[0].items]
    assert items[0] == (";", "正式成员国")
    assert items[1] == (":", "智利、哥伦比亚、墨西哥、秘鲁")
    assert [m for m, _ in items] == [";", ":", ";", ":", ";", ":"]
    # The empty numbered reference list at the end carries nothing and is not a block.
    assert all(i.text for b in _blocks(doc, ListBlock) for i in b.items)


def test_dragonfly_bsd():
    doc = _doc(MD / "maszh_Page_DragonFly_BSD.md")
    assert doc.title_original == "DragonFly BSD"
    assert doc.script == "mixed"
    first = _blocks(doc, Paragraph)[0]
    assert first.text_original == "DragonFly BSD是一套開放原始碼的類Unix作業系統，自FreeBSD 4.8分支。"
    (table,) = _blocks(doc, Table)
    assert table.columns_original == ("版本", "發佈日期")
    assert len(table.rows) == 26
    assert [c.text for c in table.rows[0]] == ["1.0", "2004年7月12日"]
    assert [c.text for c in table.rows[-1]] == ["5.4", "2018年12月3日"]
    assert doc.categories == ("BSD", "自由作業系統", "FreeBSD")
    see_also = [b for b in _blocks(doc, ListBlock) if b.section == ("參見",) or b.section == ("参见",)]
    assert [i.text for i in see_also[0].items] == ["FreeBSD", "NetBSD", "OpenBSD"]
    links = {x.target: x.kind for b in doc.blocks if isinstance(b, ListBlock) for i in b.items for x in i.links}
    assert links["FreeBSD"] == "internal" and links["http://www.dragonflybsd.org"] == "external"


def test_gan_river_keeps_converter_markup_text():
    doc = _doc(MD / "m2g_2_Gan_River.gfm.md")
    assert doc.title == "赣江"
    texts = [b.text for b in _blocks(doc, Paragraph)]
    # -{贑}- is a character the page wants shown as is; the braces go, the character stays.
    assert any("构成“贑”字" in t for t in texts)
    assert not any("ⓦ" in t or "-{" in t or "[^" in t for t in texts)


def test_namespaced_wiki_links_are_not_urls():
    """Pandoc's own output links `[X](Category:Y "wikilink")`: a "prefix:" that is not one of
    MediaWiki's URL protocols is a namespace, so the link is a category or an internal page."""
    text = ("# 页\n\n见[格式手册](Wikipedia:格式手册 \"wikilink\")和[邮件](mailto:a@b.org)。\n\n"
            "[分类](Category:区域组织 \"wikilink\")\n")
    doc = parse_markdown(RawPage("p.md", "p", "markdown", text))
    (para,) = doc.blocks
    assert [(x.target, x.kind) for x in para.links] == [("Wikipedia:格式手册", "internal"),
                                                        ("mailto:a@b.org", "external")]
    assert doc.categories == ("区域组织",)


def _md(text: str):
    return normalise_document(parse_markdown(RawPage("p.md", "p", "markdown", text)))


def test_image_links_templates_and_gallery_lines_leave_no_text():
    """Excerpts of zhwiki pages converted by pandoc (chinapedia/wikipedia.zh): image links are
    `[X.svg](…/File:X.svg "fig:…")`, unconverted templates stay as `{{…}}` text, a <gallery>
    line is "File:X.jpg|caption", a nested caption leaves `\\]\\]`."""
    doc = _md(
        "  - **[皇家馬德里](https://zh.wikipedia.org/wiki/皇家马德里 \"wikilink\")**（[Flag_of_Spain.svg]"
        "(https://zh.wikipedia.org/wiki/File:Flag_of_Spain.svg \"fig:Flag_of_Spain.svg\")\n"
        "    [西班牙](../Page/西班牙.md \"wikilink\")）\n\n"
        "<File:SCO> Summit Ekaterinburg\n2009.jpg|2009年上海合作組織會議的各國領導人\n\n"
        "{{ Wikisource|上海合作组织宪章}}\n\n{{-}}\n\n前文{{lang|en|Foo}}后文。\n\n"
        "[Map.svg](https://zh.wikipedia.org/wiki/File:Map.svg \"fig:Map.svg\")集團的分佈圖\\]\\]\n")
    items, *paras = doc.blocks
    assert [i.text_original for i in items.items] == ["皇家馬德里（西班牙）"]
    assert [x.target for x in items.items[0].links] == ["皇家马德里", "西班牙"]
    assert [p.text_original for p in paras] == ["2009年上海合作組織會議的各國領導人", "前文Foo后文。", "集團的分佈圖"]
    assert dict(doc.dropped_templates) == {"-": 1, "Wikisource": 1}


def test_a_line_break_inside_a_link_is_not_a_definition_term():
    doc = _md("  - [G20 press release on 19th of\n    March, 2005](https://example.org/g20)\n"
              "    — 包含該團體的標章\n")
    (items,) = doc.blocks
    assert [(i.marker, i.text_original) for i in items.items] == [
        ("*", "G20 press release on 19th of March, 2005 — 包含該團體的標章")]


def test_the_title_is_the_lead_bold_term_after_images_and_tables():
    doc = _md("[G20-logo.png](https://zh.wikipedia.org/wiki/File:G20-logo.png \"fig:G20-logo.png\")\n\n"
              "<table><tr><td>截至2009年4月</td></tr></table>\n\n**G20**是發展中國家的集體性稱呼。\n\n"
              "## 歷史\n\n**不是標題**的粗體。\n")
    assert doc.title_original == "G20"


def test_footnote_markers_leave_html_table_cells():
    doc = _md("<table><tr><td><a href=\"https://zh.wikipedia.org/wiki/上海市\">上海</a>[11]</td>"
              "<td>獎項[20][21]</td></tr></table>\n")
    (table,) = doc.blocks
    assert [c.text_original for c in table.rows[0]] == ["上海", "獎項"]


def test_a_one_item_list_before_end_list_labels_the_next_list():
    """G14 as pandoc wrote it: `;2000年創始成員` became a one-item list. A linked item without a
    colon is an entry of its own, not a label."""
    doc = _md("## 成員\n\n  - 2000年創始成員\n\n<!-- end list -->\n\n  - [皇家馬德里](../Page/皇家马德里.md \"wikilink\")\n"
              "  - [曼聯](../Page/曼联.md \"wikilink\")\n\n## 外部連結\n\n  - [G20網站](http://g-20.mre.gov.br/)\n\n"
              "<!-- end list -->\n\n  - [鎖定與透視](http://example.com/)\n")
    members, site, other = doc.blocks
    assert [(i.marker, i.text_original) for i in members.items] == [
        (";", "2000年創始成員"), ("*", "皇家馬德里"), ("*", "曼聯")]
    assert [[i.text_original for i in b.items] for b in (site, other)] == [["G20網站"], ["鎖定與透視"]]


def test_every_gallery_file_piece_goes_and_captions_stay():
    """huangpu_district_ja.md: a <gallery> kept as one line, with jawiki's ファイル: namespace.
    Every `<namespace>:<name>.<ext>|` piece goes, not only the first; a URL is not a piece."""
    doc = _md("ファイル:Shanghaiviewpic6.jpg|外灘の夜景 ファイル:Yu Gardens 20090724-18.JPG|豫園 "
              "File:NanjingRoad2.jpg|夜の南京路 画像:Shanghai opera.jpg|上海大劇院\n\n"
              "見 https://en.wikipedia.org/wiki/File:CLR_diag.svg 图\n")
    assert [b.text_original for b in doc.blocks] == [
        "外灘の夜景 豫園 夜の南京路 上海大劇院", "見 https://en.wikipedia.org/wiki/File:CLR_diag.svg 图"]


def test_definition_bullet_line_loses_its_markers():
    """huangpu_district_ja.md: a wikitext `:*` route line pandoc kept as text, bullet escaped."""
    doc = _md("  - [上海軌道交通2号線](../Page/上海軌道交通2号線.md \"wikilink\")\n\n"
              ":\\* - 人民広場駅 - [南京東路駅](https://ja.wikipedia.org/wiki/南京東路駅 \"wikilink\") -\n")
    items, para = doc.blocks
    assert para.text_original == "人民広場駅 - 南京東路駅"
    assert [x.target for x in para.links] == ["南京東路駅"]


def test_infobox_html_table_cells_are_clean():
    """nordic_council_pandoc.md: an infobox pandoc made an HTML table; a {{collapsible list}} it
    split at its `|` into cells, and the map image. It stays a table (same shape), cells clean."""
    doc = _md("""<table>
<tbody>
<tr class="odd">
<td style="text-align: center;"><p><code>{{collapsible list</code></p></td>
<td><p>titlestyle = background:transparent;text-align:center;font-size:90%;</p></td>
<td><p>title = </p></td>
<td><p><code>}}</code></p></td>
</tr>
<tr class="even">
<td style="text-align: center;"><p><a href="https://zh.wikipedia.org/wiki/File:Location_Nordic_Council.svg" title="fig:Location_Nordic_Council.svg">Location_Nordic_Council.svg</a><br />
成员国</p></td>
<td><p>{{Coord|55|N}}<a href="../Page/丹麦.md" title="wikilink">丹麦</a></p></td>
<td></td>
<td></td>
</tr>
</tbody>
</table>
""")
    (table,) = doc.blocks
    assert [[c.text_original for c in r] for r in table.rows] == [["", "", "", ""], ["成员国", "丹麦", "", ""]]
    assert [x.target for r in table.rows for c in r for x in c.links] == ["丹麦"]
    assert dict(doc.dropped_templates) == {"Coord": 1}  # counted as in paragraphs


def test_a_gallery_line_with_autolinked_file_names_keeps_every_caption():
    """SCO (pandoc): `<File:Shanghai> Cooperation Summit Bishkek 2007.jpg|2007會場` mid-paragraph."""
    doc = _md("2009年的各國領導人 <File:Shanghai> Cooperation Summit Bishkek 2007.jpg|2007會場\n"
              "<File:SCO> Observers.jpg|2005年集會場面\n")
    (para,) = doc.blocks
    assert para.text_original == "2009年的各國領導人 2007會場 2005年集會場面"


def test_leftover_bold_quotes_and_backticks_go():
    """OPEC (pandoc): **-{A|zh-tw:油組;zh-cn:油组}-** is not parsed as bold; flag lists keep ''' and `."""
    doc = _md("简称**欧佩克**或**-{A|zh-tw:油組;zh-cn:油组}-**。\n\n  - 北美洲：'''、和\\`。\n")
    para, items = doc.blocks
    assert para.text_original == "简称欧佩克或油组。"
    assert items.items[0].text_original == "北美洲：、和。"
