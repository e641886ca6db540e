"""Normalise stage: converter markup, OpenCC, punctuation, script, idempotence."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.convert import parse_markup, rules_from_markup, split_markup, to_original, to_variant
from pipeline.model import ConversionRule, Document, Paragraph
from pipeline.normalise import Normaliser, fullwidth_punct, normalise_document, script_of


def test_branch_for_each_variant_with_fallback():
    text = "-{zh-hans:软件;zh-hant:軟體;zh-hk:軟件}-"
    assert to_variant(text, "zh-hans") == "软件"
    assert to_variant(text, "zh-tw") == "軟體"  # zh-tw falls back to zh-hant
    assert to_variant(text, "zh-hk") == "軟件"


def test_markup_text_is_protected_from_opencc():
    # 乾 would become 干 under t2s; inside -{ }- it must stay as written.
    assert to_variant("-{乾隆}-年間", "zh-hans") == "乾隆年间"


def test_hidden_flags_show_nothing_and_declare_rules():
    text = "-{H|zh-hans:鼠标;zh-hant:滑鼠}-使用滑鼠"
    rules = tuple(rules_from_markup(text))
    assert rules == (ConversionRule((("zh-hans", "鼠标"), ("zh-hant", "滑鼠"))),)
    assert to_variant(text, "zh-hans", rules) == "使用鼠标"
    assert to_original(text, "zh-hant") == "使用滑鼠"


def test_page_rule_wins_over_opencc():
    rules = (ConversionRule((("zh-hans", "网络"), ("zh-hant", "網路"))),)
    assert to_variant("網路應用", "zh-hans", rules) == "网络应用"


def test_original_keeps_authors_branch_and_script():
    text = "-{zh-hans:.NET框架;zh-hant:.NET Framework}-是由微軟開發"
    assert to_original(text, "zh-hant") == ".NET Framework是由微軟開發"
    assert to_variant(text, "zh-hans") == ".NET框架是由微软开发"


def test_unclosed_markup_stays_literal():
    assert split_markup("a -{ b") == ["a -{ b"]
    assert parse_markup("R|x;y").plain == "x;y"


def test_fullwidth_punct_between_han_only():
    assert fullwidth_punct("亞太經濟合作組織(英語:Asia-Pacific Economic Cooperation,縮寫:APEC),簡稱") == \
        "亞太經濟合作組織（英語：Asia-Pacific Economic Cooperation，縮寫：APEC），簡稱"
    assert fullwidth_punct("Category:名字") == "Category:名字"
    assert fullwidth_punct("version 1.0, (beta)") == "version 1.0, (beta)"


def test_script_of():
    assert script_of("亞太經濟合作組織") == "hant"
    assert script_of("亚太经济合作组织") == "hans"
    assert script_of("並签署") == "mixed"
    assert script_of("Common Language Runtime") == "none"
    assert script_of("中文") == "hans"  # no variant-specific character: valid Simplified


def test_document_gets_title_and_script():
    doc = Document("d", "d.txt", "plaintext", "亞太經濟合作組織", (Paragraph((), "亞太經合組織"),))
    out = normalise_document(doc)
    assert (out.title, out.title_original, out.script) == ("亚太经济合作组织", "亞太經濟合作組織", "hant")
    assert out.blocks[0].text == "亚太经合组织"


def test_noteta_title_rule_sets_title():
    doc = Document("d", "d", "wikitext", ".NET框架", (),
                   title_rules=(("zh-hans", ".NET框架"), ("zh-hant", ".NET Framework")))
    assert normalise_document(doc, "zh-tw").title == ".NET Framework"
    assert normalise_document(doc, "zh-hans").title == ".NET框架"


text_strategy = st.text(
    alphabet=st.sampled_from(list("亞太经济合作組織的,:;()!? abcAPEC-{}|zh-hans:漢汉\n\t　，。")), max_size=60)


@settings(max_examples=300, deadline=None)
@given(text_strategy)
def test_normalising_twice_changes_nothing(text):
    n = Normaliser("zh-hans", "zh-hant", ())
    once = n.target(text)
    assert n.target(once) == once
    original = n.original(text)
    assert n.original(original) == original


def test_no_space_is_left_next_to_full_width_brackets_and_punctuation():
    """The gap a removed image leaves in `（[[File:…]] [[西班牙]]）`; ASCII text keeps its spaces."""
    from pipeline.normalise import collapse

    assert collapse("皇家馬德里（ 西班牙 ）") == "皇家馬德里（西班牙）"
    assert collapse("南市 （上海）") == "南市（上海）"  # a page title "南市 (上海)" as link text
    assert collapse("新增System.Lazy ，做為延遲 。") == "新增System.Lazy，做為延遲。"
    assert collapse("Visual Basic .NET  (VB)") == "Visual Basic .NET (VB)"


def test_zh_tw_and_zh_hk_convert_script_and_country_names_not_words():
    """From a real page: s2twp turned 布爾戈斯 into 布林戈斯 and 聲明 into 宣告. Country names
    follow CLDR's regional names, all of them matched longest first."""
    from pipeline.convert import to_variant

    text = "南段至布爾戈斯止，簽署的文件即《巴西利亞聲明》，獲支持。新西兰、意大利和法属圭亚那，黑山县，朝鲜半岛。"
    assert to_variant(text, "zh-tw") == ("南段至布爾戈斯止，簽署的文件即《巴西利亞聲明》，獲支持。"
                                         "紐西蘭、義大利和法屬圭亞那，黑山縣，朝鮮半島。")
    assert to_variant("新西兰和意大利", "zh-hk") == "紐西蘭和意大利"
    assert to_variant("新西兰和意大利", "zh-hans") == "新西兰和意大利"


def test_dropped_templates_leave_no_separators_or_empty_brackets():
    """IBEX 35: '''IBEX 35'''（{{IPAc-en|…}}；{{IPA-es|…}}；IBEX是…）; pandoc: **G20**（英語：****）.
    ASCII brackets are code as often as not (main()): they stay."""
    from pipeline.normalise import collapse

    assert collapse("IBEX 35（；；IBEX是縮寫）是指數。") == "IBEX 35（IBEX是縮寫）是指數。"
    assert collapse("西班牙（、，）和 main() 函數（甲；）") == "西班牙和 main() 函數（甲）"


def _doc(*paragraphs: str, title: str = "d", rules=()) -> Document:
    return Document("d", "d", "wikitext", title, tuple(Paragraph((), p) for p in paragraphs), rules=rules)


def test_traditional_text_keeps_li_for_zh_tw_zh_hk_and_zh_hant():
    """Real pages: s2tw read 里 as the Simplified form of 裡 (峇里島 -> 峇裡島). Text already in
    Traditional only gets its regional forms (t2tw, t2hk); zh-hant leaves it as written."""
    doc = _doc("在歐幾里得的《幾何原本》一書中。", "峇里島", "道格·里弗斯")  # the last: no Traditional-only character
    for variant in ("zh-tw", "zh-hk", "zh-hant"):
        out = normalise_document(doc, variant)
        assert [b.text for b in out.blocks] == ["在歐幾里得的《幾何原本》一書中。", "峇里島", "道格·里弗斯"]
    assert normalise_document(_doc("台式的傳統月餅"), "zh-hant").blocks[0].text == "台式的傳統月餅"
    assert normalise_document(_doc("台式的傳統月餅"), "zh-tw").blocks[0].text == "台式的傳統月餅"


def test_li_next_to_traditional_characters_kept_in_simplified_text():
    """Mixed text: 里 touching a Traditional-only character is part of a Traditional word; the
    Simplified rest is still converted."""
    text = "在峇里島举行，在歐幾里得的一書中给出，重要里程碑"
    assert to_variant(text, "zh-tw") == "在峇里島舉行，在歐幾里得的一書中給出，重要里程碑"


def test_simplified_page_to_zh_tw_converts_as_before():
    doc = _doc("这里是东南亚国家联盟，新西兰和意大利。", "道格·里弗斯")
    out = normalise_document(doc, "zh-tw")
    assert [b.text for b in out.blocks] == ["這裡是東南亞國家聯盟，紐西蘭和義大利。", "道格·裡弗斯"]
    assert out.script == "hans"


def test_stray_simplified_in_traditional_page_still_converted():
    """A Traditional page's text with a Simplified-only character goes through s2tw as before
    (二戰后, 给出 are Simplified typed into Traditional prose)."""
    doc = _doc("北歐各國為加強合作。", "二戰后，北歐各國", "一書中给出")
    assert [b.text for b in normalise_document(doc, "zh-tw").blocks] == \
        ["北歐各國為加強合作。", "二戰後，北歐各國", "一書中給出"]


def test_regional_names_on_traditional_page():
    doc = _doc("紐約與新西蘭、意大利的關係。")
    assert normalise_document(doc, "zh-tw").blocks[0].text == "紐約與紐西蘭、義大利的關係。"
    assert normalise_document(doc, "zh-hk").blocks[0].text == "紐約與紐西蘭、意大利的關係。"


def test_target_cache_is_keyed_on_source_variant():
    assert Normaliser("zh-tw", "zh-hant", ()).target("道格·里弗斯") == "道格·里弗斯"
    assert Normaliser("zh-tw", "zh-hans", ()).target("道格·里弗斯") == "道格·裡弗斯"


JA = ("この記事は黄浦区から翻訳されています。黄浦区は今の上海の中心商業区で、区内には上海市人民政府や"
      "上海外灘、豫園など歴史人文景観、さらに人民広場、南京路歩行街など現代都市景観が位置する。")


def test_japanese_page_is_left_as_written():
    """ja.wikipedia's 黄浦区 (pandoc Markdown): its kanji are not Chinese (記事 is not 记事)."""
    rules = (ConversionRule((("zh-hans", "区"), ("zh-hant", "區"))),)
    doc = _doc(JA, "上海軌道交通2号線", title="黄浦区", rules=rules)
    for variant in ("zh-hans", "zh-tw"):
        out = normalise_document(doc, variant)
        assert out.script == "ja"
        assert out.title == out.title_original == "黄浦区"
        assert [b.text for b in out.blocks] == [b.text_original for b in out.blocks] == [JA, "上海軌道交通2号線"]


def test_chinese_pages_with_kana_are_not_japanese():
    """G.G.佐藤 (zhwiki): katakana names and one reading in hiragana; 村井良大: Japanese titles,
    but Chinese prose around them."""
    from pipeline.normalise import is_japanese

    sato = ("G.G.佐藤（ジー・ジー・さとう、本名：佐藤 隆彦（さとう たかひこ），1978年8月9日）、"
            "千葉縣市川市出身的職業棒球選手外野手。曾經效力於太平洋聯盟埼玉西武獅。")
    assert not is_japanese(sato)
    out = normalise_document(_doc(sato), "zh-hans")
    assert out.script != "ja" and "千叶县" in out.blocks[0].text
    murai = ("村井良大是日本男演員。隸屬於ヴァーサタイルエンタテインメント旗下的藝人。"
             "戦国鍋祭〜あんまり近づきすぎると斬られちゃうよ〜、醒めながら見る夢、魔法のiらんど 幼なじみ")
    assert not is_japanese(murai)  # 28 hiragana (38% of Han and kana), but 是 於 的: 28 < 3 * 20
    assert is_japanese(murai.replace("是", "").replace("於", "").replace("的", ""))
    assert is_japanese(JA)


def test_categories_stay_as_written_and_are_converted_beside():
    """Category names are page titles: `categories` keeps them as written (a zh-hans run must not
    rename 2012年建立的組織), `categories_display` has them in the target variant."""
    doc = Document("d", "d.wiki", "wikitext", "組織", (Paragraph((), "一段文字。"),),
                   categories=("2012年建立的組織", "區域主義 (國際關係)"))
    out = normalise_document(doc, "zh-hans")
    assert out.categories == ("2012年建立的組織", "區域主義 (國際關係)")
    assert out.categories_display == ("2012年建立的组织", "区域主义（国际关系）")
    assert normalise_document(doc, "zh-tw").categories_display == ("2012年建立的組織", "區域主義（國際關係）")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("中国國里裡于於后後台臺着著發发這这 aé1，\U00020000\ud800"), max_size=600))
def test_class_counts_are_those_of_the_translated_classes(text):
    """convert.class_counts (numpy over code points for long texts) counts what
    text.translate(CLASSES) shows, for short and long texts alike."""
    from pipeline.convert import CLASSES, class_counts

    for t in (text, text * 3):
        classes = t.translate(CLASSES)
        assert class_counts(t) == (len(classes) - classes.count("-"), classes.count("1"),
                                   classes.count("2") + classes.count("3"))


def test_a_documents_script_counts_its_cells_and_title_as_one_text():
    """normalise counts the title and the table cells joined (`_document_script`): the same as
    counting every text on its own (`script_of` over `_texts`), on every wikitext page under
    tests/data (tables, Traditional and Simplified pages) and on made-up mixes."""
    from pathlib import Path

    from pipeline.model import Cell, ListBlock, ListItem, RawPage, Table
    from pipeline.normalise import _document_script, _texts
    from pipeline.parse import parse
    from pipeline.read import discover, read_file

    files = discover([Path(__file__).parent / "data"])[0]
    docs = [normalise_document(parse(p)) for f in files for p in read_file(f)
            if isinstance(p, RawPage) and p.format == "wikitext"]
    assert sum(any(isinstance(b, Table) for b in d.blocks) for d in docs) > 10
    assert {_document_script(d) for d in docs} >= {"hans", "hant"}
    for d in docs:
        assert _document_script(d) == script_of(*_texts(d)), d.doc_id
    long = "國" * 150 + "里" * 40 + "于" * 30  # over the numpy path's length, when joined
    for cells in ([], ["國"], ["国", "里"], ["國"] * 30, [long[:100], long[100:]], ["abc", "\ud800", "汉"]):
        for paras in ((), ("国家",), ("國家", "乾隆")):
            doc = Document("d", "d", "wikitext", "題", (
                *(Paragraph((), t) for t in paras),
                ListBlock((), (ListItem("*", 1, "里"),)),
                Table((), "", ("a",), tuple((Cell(c),) for c in cells))))
            assert _document_script(doc) == script_of(*_texts(doc))


@given(text_strategy, st.sampled_from(["internal", "external", "category"]), st.none() | text_strategy)
def test_a_normalised_link_is_its_anchor_normalised_whatever_it_was_cached_under(anchor, kind, parsed):
    """Links are cached by their fields, not as Link objects, and not by the parsed `anchor`
    (normalising sets it): the result is the link with both anchors normalised."""
    from dataclasses import replace

    from pipeline.model import Link

    n = Normaliser("zh-hans", "zh-hant", ())
    link = Link(anchor, "目標", kind, parsed)
    expected = replace(link, anchor_original=n.original(anchor), anchor=n.target(anchor))
    assert n.link(link) == expected and n.links((link, link)) == (expected, expected)
    assert n.links(()) == ()


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(" ,:;!?()，。、；：！？）」』】》〉（「『【《〈漢a1")), max_size=30))
def test_the_space_pattern_is_the_lookbehind_first_one(text):
    """`_PUNCT_SPACE` starts with its space (searched quickly) and looks back over it: the same
    matches as the plain form with the lookbehinds first."""
    import re

    from pipeline.convert import HAN
    from pipeline.normalise import _PUNCT_SPACE

    plain = re.compile(r"(?<![,:;!?()]) (?=[，。、；：！？）」』】》〉])|(?<=[（「『【《〈]) (?![,:;!?()])"
                       f"|(?<=[{HAN}]) (?=（)")
    assert [m.span() for m in _PUNCT_SPACE.finditer(text)] == [m.span() for m in plain.finditer(text)]


def test_the_only_printable_whitespace_is_the_space():
    """collapse skips its whitespace regex for a printable text without a double space: right
    only while no other whitespace character (of `\\s` or `str.strip`) is printable."""
    import re
    import sys

    ws = re.compile(r"\s")
    assert [c for c in map(chr, range(sys.maxunicode + 1))
            if (ws.match(c) or c.isspace()) and c.isprintable()] == [" "]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(" \t\n\u3000\xa0\u2028a漢，（）")), max_size=20))
def test_collapse_is_the_regex_collapse(text):
    """The quick path (a printable text) gives what the whitespace regex gives."""
    from pipeline import normalise as N

    def reference(text: str) -> str:
        text = N._WS.sub(" ", text).strip()
        text = N._PUNCT_SPACE.sub("", text)
        return N._EMPTY_BRACKETS.sub("", N._BRACKET_SEPARATORS.sub("", text)) if "（" in text else text

    assert N.collapse(text) == reference(text)


def _fullwidth_every_character(text: str) -> str:
    """fullwidth_punct as it was: the loop over every character (the reference)."""
    from pipeline.convert import CODE_END, CODE_START, is_han
    from pipeline.normalise import _FULL

    chars = list(text)
    opened: list[bool] = []
    code = False
    for i, c in enumerate(chars):
        if c in (CODE_START, CODE_END):
            code = c == CODE_START
        if c not in _FULL or code:
            continue
        prev = chars[i - 1] if i > 0 else ""
        nxt = chars[i + 1] if i + 1 < len(chars) else ""
        near_han = is_han(prev) or is_han(nxt)
        if c == "(":
            opened.append(near_han)
            if opened[-1]:
                chars[i] = "（"
        elif c == ")":
            if opened.pop() if opened else near_han:
                chars[i] = "）"
        elif (c == "," and near_han) or is_han(prev) or prev in _FULL.values():
            chars[i] = _FULL[c]
    return "".join(chars)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(",:;!?()，（a 漢語\ue020\ue021")), max_size=30))
def test_fullwidth_punct_visits_only_the_characters_it_acts_on(text):
    assert fullwidth_punct(text) == _fullwidth_every_character(text)
