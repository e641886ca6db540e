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
