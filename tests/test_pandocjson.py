"""The pandoc JSON reader: the corpus page against the wikitext reader on the same article, and
ASTs built here in the shape pandoc 1.23 writes (pandoc itself is not installed)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import pipeline
from pipeline.model import ListBlock, Paragraph, RawPage, Table
from pipeline.read import detect_format
from pipeline.readers.pandocjson import parse_pandoc_json
from pipeline.run import run

CORPUS = Path(__file__).parent / "data" / "corpus"


# -- builders for pandoc's AST ------------------------------------------------------------
def S(text):
    """Inlines for a string: words separated by Space nodes, as pandoc splits them."""
    out = []
    for i, word in enumerate(text.split(" ")):
        if i:
            out.append({"t": "Space"})
        out.append({"t": "Str", "c": word})
    return out


def para(*inlines):
    return {"t": "Para", "c": [x for part in inlines for x in (S(part) if isinstance(part, str) else [part])]}


def plain(text):
    return {"t": "Plain", "c": S(text)}


def link(text, url):
    return {"t": "Link", "c": [["", [], []], S(text), [url, "wikilink"]]}


def header(level, text):
    return {"t": "Header", "c": [level, ["", [], []], S(text)]}


def cell(text, rowspan=1, colspan=1):
    blocks = [plain(text)] if text else []
    return [["", [], []], {"t": "AlignDefault"}, rowspan, colspan, blocks]


def row(*cells):
    return [["", [], []], list(cells)]


def table(head_rows, body_rows, caption=""):
    cap = [plain(caption)] if caption else []
    width = max(sum(c[3] for c in r[1]) for r in head_rows + body_rows)
    return {"t": "Table", "c": [
        ["", [], []], [None, cap], [[{"t": "AlignDefault"}, {"t": "ColWidthDefault"}]] * width,
        [["", [], []], head_rows], [[["", [], []], 0, [], body_rows]], [["", [], []], []]]}


def doc(*blocks, title=None):
    meta = {"title": {"t": "MetaInlines", "c": S(title)}} if title else {}
    return json.dumps({"pandoc-api-version": [1, 23, 1], "meta": meta, "blocks": list(blocks)},
                      ensure_ascii=False)


def parse(text):
    return parse_pandoc_json(RawPage("p.json", "p", "pandoc-json", text))


# -- tests --------------------------------------------------------------------------------
def test_the_corpus_page_reads_as_its_wikitext_does(tmp_path):
    """綠豆椪 as pandoc JSON and as the wikitext it was converted from: the same title,
    paragraph and links (the JSON's <ref> is a Note; the wikitext reader drops refs too)."""
    frames = {}
    for name, path in (("json", "pandoc_json/m2g_5_mung_bean_mooncake.pandoc.json"),
                       ("wiki", "wikitext/m2g_5_mung_bean_mooncake.wikitext")):
        run([CORPUS / path], tmp_path / name, quiet=True)
        frames[name] = pipeline.load(str(tmp_path / name))
    j, w = frames["json"], frames["wiki"]
    assert list(j["documents"].format) == ["pandoc-json"]
    assert list(j["documents"].title) == list(w["documents"].title) == ["绿豆椪"]
    assert list(j["paragraphs"].text) == list(w["paragraphs"].text)
    assert j["paragraphs"].text[0].startswith("绿豆椪是台式的传统月饼，内馅是由绿豆泥甜馅")
    cols = ["anchor_original", "target", "kind"]
    assert j["links"][cols].values.tolist() == w["links"][cols].values.tolist()
    assert len(j["links"]) == 6 and j["errors"].empty


def test_sections_lists_and_links():
    d = parse(doc(
        para({"t": "Strong", "c": S("太平洋联盟")}, "是一个", link("拉丁美洲", "拉丁美洲"), "的区域组织。"),
        header(2, "成员"),
        {"t": "BulletList", "c": [
            [plain("智利"), {"t": "BulletList", "c": [[plain("圣地亚哥")]]}],
            [para("秘鲁"), para("利马")],
        ]},
        header(3, "观察员"),
        {"t": "OrderedList", "c": [[1, {"t": "Decimal"}, {"t": "Period"}], [[plain("日本")]]]},
        {"t": "DefinitionList", "c": [[S("正式成员国"), [[plain("智利、秘鲁")]]]]},
        para(link("", "Category:区域组织")),
    ))
    assert d.title_original == "太平洋联盟"
    lead, members, observers, terms = d.blocks
    assert lead == Paragraph((), "太平洋联盟是一个拉丁美洲的区域组织。", lead.links)
    assert [(x.target, x.kind) for x in lead.links] == [("拉丁美洲", "internal")]
    assert isinstance(members, ListBlock) and members.section == ("成员",)
    assert [(i.marker, i.depth, i.text_original) for i in members.items] == [
        ("*", 1, "智利"), ("*", 2, "圣地亚哥"), ("*", 1, "秘鲁 利马")]
    assert observers.section == ("成员", "观察员")
    assert [(i.marker, i.depth, i.text_original) for i in observers.items] == [("#", 1, "日本")]
    assert [(i.marker, i.depth, i.text_original) for i in terms.items] == [
        (";", 1, "正式成员国"), (":", 2, "智利、秘鲁")]
    assert d.categories == ("区域组织",)


def test_a_table_with_row_and_column_spans():
    d = parse(doc(table(
        [row(cell("版本", rowspan=2), cell("发布", colspan=2)), row(cell("年"), cell("月"))],
        [row(cell("1.0", rowspan=2), cell("2002"), cell("2")), row(cell("2003"), cell(""))],
        caption="版本历史")))
    (t,) = d.blocks
    assert isinstance(t, Table)
    assert t.caption_original == "版本历史"
    assert t.columns_original == ("版本", "发布 / 年", "发布 / 月")
    assert [[c.text_original for c in r] for r in t.rows] == [["1.0", "2002", "2"], ["1.0", "2003", ""]]
    assert [c.from_span for c in t.rows[1]] == [True, False, False]


def test_a_table_in_the_shape_of_pandoc_api_1_20():
    old = {"t": "Table", "c": [S("表"), [{"t": "AlignDefault"}] * 2, [0, 0],
                               [[plain("国家")], [plain("首都")]],
                               [[[plain("智利")], [plain("圣地亚哥")]]]]}
    (t,) = parse(doc(old)).blocks
    assert (t.caption_original, t.columns_original) == ("表", ("国家", "首都"))
    assert [[c.text_original for c in r] for r in t.rows] == [["智利", "圣地亚哥"]]


def test_raw_mediawiki_goes_through_the_wikitext_reader_and_notes_images_are_dropped():
    d = parse(doc(
        para("墨西哥", {"t": "RawInline", "c": ["mediawiki", "{{lang|es|México}}"]},
             {"t": "Note", "c": [para("引用")]},
             {"t": "Image", "c": [["", [], []], S("旗"), ["flag.svg", ""]]}, "是成员。"),
        {"t": "RawBlock", "c": ["mediawiki", "{{未知模板|x}}\n'''哥伦比亚'''也是成员。"]},
        {"t": "Div", "c": [["", [], []], [para("在", {"t": "RawInline", "c": ["html", "<br>"]}, "框内")]]},
    ))
    texts = [b.text_original for b in d.blocks]
    assert texts == ["墨西哥México是成员。", "哥伦比亚也是成员。", "在 框内"]
    assert d.dropped_templates == (("未知模板", 1),)


def test_soft_breaks_and_unknown_nodes_keep_their_text():
    d = parse(doc(
        {"t": "Para", "c": [{"t": "Str", "c": "亚太"}, {"t": "SoftBreak"}, {"t": "Str", "c": "经合"},
                            {"t": "SoftBreak"}, {"t": "Str", "c": "APEC"}]},
        {"t": "FutureBlock", "c": [["", [], []], [{"t": "Str", "c": "新节点"}]]},
    ))
    assert [b.text_original for b in d.blocks] == ["亚太经合 APEC", "新节点"]


def test_broken_json_is_a_parse_error_naming_the_file_and_the_run_goes_on(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "cut.json").write_text(doc(para("被截断的页面。"))[:-20], encoding="utf-8")
    (raw / "good.txt").write_text("好的页面。\n", encoding="utf-8")
    run([raw], tmp_path / "out", quiet=True)
    frames = pipeline.load(str(tmp_path / "out"))
    (row_,) = frames["errors"].itertuples()
    assert (row_.source, row_.stage, row_.kind) == ("cut.json", "parse", "parse-error")
    assert row_.message.startswith("cut.json: cut: ValueError: not valid pandoc JSON: ")
    assert list(frames["documents"].doc_id) == ["good"]


def test_detection():
    assert detect_format(doc(para("字"))) == "pandoc-json"
    assert detect_format('{"pandoc-api-version":[1,22],"blocks":[]}') == "pandoc-json"
    assert detect_format('{"title": "不是 pandoc"}') == "plaintext"
    assert detect_format('说明：pandoc 写 {"pandoc-api-version": …}') == "plaintext"


def test_a_block_in_an_unknown_shape_keeps_its_words_and_is_recorded():
    bad = {"t": "Table", "c": [S("表 一")]}  # not a table of any pandoc API
    d = parse(doc(para("前文。"), bad, para("后文。")))
    assert [b.text_original for b in d.blocks] == ["前文。", "表 一", "后文。"]
    (problem,) = d.problems
    assert problem.kind == "unexpected-pandoc-node"
    assert problem.message.startswith("p.json: p: block 2 (Table) is not in a shape this reader knows (")


NODE_TYPES = ["Str", "Space", "SoftBreak", "Para", "Plain", "Header", "BulletList", "OrderedList",
              "DefinitionList", "Table", "Div", "BlockQuote", "Figure", "Link", "Note", "Image",
              "RawBlock", "RawInline", "Strong", "Quoted", "Span", "Code", "LineBlock", "Future"]
json_values = st.recursive(
    st.one_of(st.none(), st.integers(-3, 5), st.sampled_from(["", "字", "mediawiki", "html", "{{x|"])),
    lambda inner: st.one_of(
        st.lists(inner, max_size=6),
        st.fixed_dictionaries({"t": st.sampled_from(NODE_TYPES), "c": inner})),
    max_leaves=40)


@settings(max_examples=200, deadline=None)
@given(blocks=st.lists(json_values, max_size=6))
def test_any_ast_shape_gives_a_document_with_its_problems_recorded(blocks):
    """Whatever the blocks hold, the reader returns a Document: a block it cannot read keeps its
    words and is one `unexpected-pandoc-node` problem."""
    d = parse(json.dumps({"pandoc-api-version": [1, 23], "meta": {}, "blocks": blocks}))
    assert len(d.problems) <= len(blocks)
    assert all(p.kind == "unexpected-pandoc-node" for p in d.problems)


def test_a_link_to_a_file_page_is_an_image_not_text():
    d = parse(doc(para(link("Flag_of_Spain.svg", "File:Flag_of_Spain.svg"), "西班牙")))
    (p,) = d.blocks
    assert (p.text_original, p.links) == ("西班牙", ())
