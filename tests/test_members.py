"""Member lists from definition lists, nested bullets, tables and infoboxes; status and ISO codes."""

from __future__ import annotations

from pipeline.extract import extract
from pipeline.members import split_names, status_of
from pipeline.model import RawPage
from pipeline.normalise import normalise_document
from pipeline.parse import parse


def _members(text: str, fmt: str = "wikitext", variant: str = "zh-hans"):
    doc = normalise_document(parse(RawPage("t.wiki", "t", fmt, text)), variant)
    return extract(doc).members


def test_definition_list_terms_are_groups():
    rows = _members("'''某联盟'''是一个组织。\n== 成员 ==\n; 正式成员\n* [[智利]]\n* 秘鲁\n; 观察员国\n: 日本、[[韩国]]和土耳其\n")
    got = [(r.group, r.status, r.member, r.iso3166, r.link_target) for r in rows]
    assert got == [
        ("正式成员", "member", "智利", "CL", "智利"),
        ("正式成员", "member", "秘鲁", "PE", None),
        ("观察员国", "observer", "日本", "JP", None),
        ("观察员国", "observer", "韩国", "KR", "韩国"),
        ("观察员国", "observer", "土耳其", "TR", None),
    ]
    assert rows[0].organization == "某联盟" and rows[0].found_in == "list"


def test_nested_bullets_give_groups_and_traditional_names_fold():
    rows = _members("== 會員 ==\n* 創始會員\n** 澳洲\n** 紐西蘭\n* 前會員\n** 東盟六國\n")
    got = [(r.group, r.group_original, r.status, r.member, r.member_original, r.iso3166)
           for r in rows]
    assert got == [
        ("创始会员", "創始會員", "member", "澳洲", "澳洲", "AU"),
        ("创始会员", "創始會員", "member", "纽西兰", "紐西蘭", "NZ"),  # zh-hans folds script, not vocabulary
        ("前会员", "前會員", "former", "东盟六国", "東盟六國", None),
    ]


def test_prose_under_member_heading_is_not_a_member():
    rows = _members("== 成员 ==\n* 成员国以其国名字母顺序出任轮值主席国，任期一年。\n* 智利\n")
    assert [r.member for r in rows] == ["智利"]


def test_lists_elsewhere_are_not_members():
    assert _members("== 参见 ==\n* [[南方共同市场]]\n* 智利\n") == []


def test_ambiguous_country_needs_its_link():
    rows = _members("== 成员 ==\n* 多米尼加\n* [[多米尼加共和国|多米尼加]]\n")
    assert [(r.member, r.iso3166) for r in rows] == [("多米尼加", None), ("多米尼加", "DO")]


def test_member_table_keeps_other_columns_and_join_date():
    text = ("== 成員 ==\n{| class=wikitable\n! 國家 !! 加入時間 !! 備註\n|-\n| {{CHI}} || 2012年6月 || 創始\n"
            "|-\n| [[祕魯]] || 2012年6月6日 || \n|}\n")
    rows = _members(text)
    assert [(r.member, r.iso3166, r.joined, r.found_in) for r in rows] == [
        ("智利", "CL", "2012-06-01", "table"), ("秘鲁", "PE", "2012-06-06", "table")]
    assert rows[0].attributes == '{"加入时间": "2012年6月", "备注": "创始"}'


def test_tables_without_member_header_or_heading_are_not_members():
    text = "== 峰會 ==\n{| class=wikitable\n! 屆 !! 國家\n|-\n| 1 || 智利\n|}\n"
    assert _members(text) == []


def test_infobox_membership_field():
    rows = _members("{{Infobox organization\n| name = 某组织\n| members = 智利、秘鲁\n}}\n某组织是一个组织。\n")
    assert [(r.group, r.member, r.iso3166, r.found_in) for r in rows] == [
        ("members", "智利", "CL", "infobox"), ("members", "秘鲁", "PE", "infobox")]


def test_infobox_member_lists_from_real_pages():
    """G20 developing nations: a {{Collapsible list}} of {{flagcountry}}; its membership_type
    field labels the list and is not a member. G5: names separated by <br>."""
    rows = _members("{{Infobox Geopolitical organization\n|membership_type = 會員\n|membership =\n"
                    " {{Collapsible list\n  |title = 23國\n  |{{flagcountry|Brazil}} |\n{{flagcountry|Mexico}} |\n"
                    "  |{{flagcountry|Egypt}}\n }}\n}}\n'''G20'''是集體性稱呼。\n")
    assert [(r.group, r.member, r.iso3166) for r in rows] == [
        ("membership", "巴西", "BR"), ("membership", "墨西哥", "MX"), ("membership", "埃及", "EG")]
    rows = _members("{{Infobox organization\n|membership = [[牛津大学|牛津大学]]<br>[[剑桥大学|剑桥大学]]}}\n正文。\n")
    assert [r.member for r in rows] == ["牛津大学", "剑桥大学"]


def test_a_linked_member_with_a_note_in_brackets():
    """G14: '''[[皇家马德里|皇家馬德里]]'''（[[File:Flag_of_Spain.svg|20px]] [[西班牙]]）: the member is
    the linked club; the bracket is its note. A name that is a country in brackets stays whole."""
    rows = _members("== 成員 ==\n;1998年創始成員\n"
                    "* '''[[皇家马德里|皇家馬德里]]'''（[[File:Flag_of_Spain.svg|20px]] [[西班牙|西班牙]]）\n"
                    "* [[刚果民主共和国|刚果（金）]]\n")
    assert [(r.member_original, r.link_target, r.attributes) for r in rows] == [
        ("皇家馬德里", "皇家马德里", '{"note": "西班牙"}'), ("刚果（金）", "刚果民主共和国", None)]


def test_a_totals_row_is_not_a_member():
    rows = _members("== 成员国 ==\n{| class=wikitable\n! 国家 !! 人口\n|-\n| 哈萨克斯坦 || 1800万\n"
                    "|-\n| 總和 (國際排名) || 6000万\n|}\n")
    assert [r.member for r in rows] == ["哈萨克斯坦"]


def test_markdown_seed_style_definition_bullets():
    md = "## 成员\n\n  - 正式成员国\n    智利、哥伦比亚\n  - 候选成员国\n    哥斯达黎加\n"
    rows = _members(md, "markdown")
    assert [(r.group, r.member, r.status) for r in rows] == [
        ("正式成员国", "智利", "member"), ("正式成员国", "哥伦比亚", "member"), ("候选成员国", "哥斯达黎加", "candidate")]


def test_split_and_status_helpers():
    assert split_names("澳大利亚、新西兰，加拿大及乌拉圭") == ["澳大利亚", "新西兰", "加拿大", "乌拉圭"]
    assert [status_of(x) for x in ("正式成员国", "候选成员国", "观察员国", "对话伙伴", "前成员", "主唱")] == [
        "member", "candidate", "observer", "partner", "former", "other"]


def test_infobox_links_name_members_and_are_links():
    doc = normalise_document(parse(RawPage("t.wiki", "t", "wikitext",
                                           "{{Infobox organization\n|membership = [[牛津大学|牛津]]<br>[[剑桥大学]]}}\n正文。\n")))
    result = extract(doc)
    assert [(r.member, r.link_target) for r in result.members] == [("牛津", "牛津大学"), ("剑桥大学", "剑桥大学")]
    assert [(r.section, r.anchor, r.target) for r in result.links] == [("", "牛津", "牛津大学"), ("", "剑桥大学", "剑桥大学")]


def test_country_templates_with_a_note_in_brackets():
    """ASEAN: ** {{THA}}（创始国）, ** {{SIN}}（创始国）<ref>…</ref>, ** {{BRN}}."""
    rows = _members("== 成员国 ==\n* 成员国（合称东盟十国）\n** {{THA}}（创始国）\n** {{SIN}}（创始国）<ref>x</ref>\n"
                    "** {{BRN}}\n")
    assert [(r.member, r.iso3166, r.attributes) for r in rows] == [
        ("泰国", "TH", '{"note": "创始国"}'), ("新加坡", "SG", '{"note": "创始国"}'), ("文莱", "BN", None)]


def test_a_membership_status_column_is_not_the_member_column():
    """Nordic Council: 国家 names the members, 会员资格 (完全 / 準會員國) is their status."""
    rows = _members("== 会员 ==\n{| class=wikitable\n! 国家 !! 会员资格 !! 加入时间\n|-\n! [[丹麦]]\n| 完全 || 1952\n"
                    "|-\n! [[奥兰]]\n| 準會員國 || 1970\n|}\n")
    assert [(r.member, r.joined, r.attributes) for r in rows] == [
        ("丹麦", "1952-01-01", '{"会员资格": "完全", "加入时间": "1952"}'),
        ("奥兰", "1970-01-01", '{"会员资格": "准会员国", "加入时间": "1970"}')]


def test_labelled_groups_in_one_infobox_field():
    """ASEAN: three {{Collapsible list}}s in one membership field, titled 东盟十国, 1个候选国, 1个观察国."""
    rows = _members("{{Infobox geopolitical organization\n|membership = {{Collapsible list\n | title = 东盟十国\n"
                    " | {{Flag|Thailand}}\n | {{Flag|Cambodia}}\n}}\n{{Collapsible list\n | title = 1个候选国\n"
                    " | {{Flag|East Timor}}\n}}\n{{Collapsible list\n | title = 1个观察国\n | {{Flag|Papua New Guinea}}\n}}\n}}\n正文。\n")
    assert [(r.group, r.status, r.member, r.iso3166) for r in rows] == [
        ("membership", "member", "泰国", "TH"), ("membership", "member", "柬埔寨", "KH"),
        ("1个候选国", "candidate", "东帝汶", "TL"), ("1个观察国", "observer", "巴布亚新几内亚", "PG")]


def test_a_paragraph_of_punctuation_only_is_not_a_row():
    doc = normalise_document(parse(RawPage("t.wiki", "t", "wikitext", "今辖10个街道：\n\n{{PRC admin/children|31}}。\n")))
    assert [r.text_original for r in extract(doc).paragraphs] == ["今辖10个街道："]


def test_a_member_with_its_join_date_and_a_note():
    """Arab League: * {{EGY}} - 1945年3月22日（創始國，…）; a note with a full stop is still a member."""
    rows = _members("== 会员国 ==\n* {{EGY}} - 1945年3月22日（創始國）\n"
                    "* {{flag|Syria}} - 1945年3月22日（創始國，自2011年起資格被中止。）\n* [[索马里]] - 1974年2月14日\n")
    assert [(r.member, r.iso3166, r.joined, r.link_target, r.attributes) for r in rows] == [
        ("埃及", "EG", "1945-03-22", None, '{"note": "创始国"}'),
        ("叙利亚", "SY", "1945-03-22", None, '{"note": "创始国，自2011年起资格被中止。"}'),
        ("索马里", "SO", "1974-02-14", "索马里", None)]


def test_non_member_sections_and_total_rows_give_no_members():
    """OPEC: the list under 非成員產油國 and the rows OPEC總量, 世界總量, OPEC佔百分比."""
    rows = _members("== 成员国 ==\n{| class=wikitable\n! 国家 !! 产量\n|-\n| 伊朗 || 3.5\n|-\n| OPEC總量 || 30\n"
                    "|-\n| OPEC佔百分比 || 40%\n|}\n== 非成員產油國 ==\n* [[非洲]]：埃及、苏丹\n")
    assert [r.member for r in rows] == ["伊朗"]


def test_country_templates_with_two_codes():
    rows = _members("== 成员国 ==\n* {{DPRK-PRK}}\n* {{ROC-TW}}\n")
    assert [(r.member, r.iso3166) for r in rows] == [("朝鲜", "KP"), ("台湾", "TW")]
