"""Members: a normalised Document in, member rows out, wherever the page lists them.

Three places a page names members (`found_in` column):
- `list`: a list under a member-like heading, or whose group labels are member-like
  (成员/成員/会员/會員/成员国/观察员/締約國 …, MEMBER_WORDS). Groups come from definition terms
  (`; 正式成员国`), from a bullet with deeper bullets under it, or from a short paragraph of its
  own right above the list (zhwiki's bold '观察员' label, MAX_LIST_LABEL); items without a group
  take the section's name. Items are split on 、，,；; " · " and a final 和/及/与. An item that opens
  with a linked name, a comma and a description ("[[陳志全]]，別名慢必，畢業於…。", a party's or a
  band's members) is that member, the description its note. Other items that read as prose
  (a sentence mark, or a piece longer than MAX_NAME) are not members; they stay in `paragraphs`.
  An item "名 - 1945年3月22日（創始國）" is a name, its join date and a note.
  A linked name or a country with a bracketed note (皇家馬德里（西班牙）, 泰国（创始国）) is the
  name; the note goes to `attributes`.
  A paragraph in a member section that is a member-like label, a colon and names
  ("常任成员国：安道尔，澳大利亚，…。") is such a list written inline (found_in `list` too).
- `table`: a table whose header names members (成员国/會員/member …), or a table under a
  member-like heading with a name-like column (国家/經濟體/country …). One row per body row; the
  other columns are kept in `attributes` (JSON), a join-date column becomes `joined` (ISO).
  A totals row (總和, 合计, Total) is not a member. A table with no column names under a member-like
  caption or heading whose cells nearly all name countries is a grid of members, one per cell.
- `infobox`: an infobox field whose key is member-like (成员/members …), split like list items
  (the reader joins `<br>`-separated entries with 、); a label before a colon is the group when
  it says what the members are ("1个候选国：", "4个峰会主席国客人："), else ("23國：", "东盟十国：")
  the field's key is; a key that labels the field (membership_type) is not a member field.
Which names are listed never matters. `status` is a coarse reading of the group label
(STATUS_WORDS); `iso3166` comes from countries.iso_code and is null for anything that is not
unambiguously a country (a person, 东盟六国, 多米尼加 without a deciding link).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache

from .convert import converter
from .countries import is_country_name, iso_code
from .grid import GROUP_COLUMN, unique_columns
from .model import Document, ListBlock, ListItem, Paragraph, Table
from .rows import MemberRow
from .values import parse_date

@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Text folded to Simplified (OpenCC t2s), so each word list below is written once."""
    return converter("t2s.json").convert(text)


class Words:
    """A word list written in Simplified; `search` folds the text first (成員 finds 成员)."""

    def __init__(self, pattern: str, flags: int = re.I):
        self.rx = re.compile(pattern, flags)

    def search(self, text: str | None) -> re.Match | None:
        return self.rx.search(fold(text or ""))


# Length limits, in characters.
MAX_NAME = 30  # a longer piece of a list item is prose, not a member's name
MAX_LABEL = 20  # "正式成员：…": the label before the colon of an item
MAX_GROUP_LABEL = 15  # "东盟十国：…": a label inside an infobox value
MAX_LIST_LABEL = 12  # "峰会主席国客人": a paragraph of its own that labels the list below it

# 候选 is a candidate state (候选国, 候选成员), not an election's candidate (候选人: a person).
MEMBER_WORDS = Words(r"成员|会员|加盟国|缔约|观察员|候选(?!人)|参与国|伙伴|member|observer|partner")
NAME_HEADER = Words(r"国家|经济体|地区|名称|country|state|name")
JOINED_HEADER = Words(r"加入|入会|成为|日期|时间|年份|joined|admission|date")
# First match wins, so "前成员" is former and "候选成员" candidate before the plain "成员".
STATUS_WORDS = (
    # "…中的前独联体集体安全条约成员国": 前 before the member word, a few words apart
    ("former", Words(r"^前|^原(?!始|创|創)|(?<!目)前(?:成|会|任|缔)|(?<!目)前[^，,。；;：:]{1,15}?(?:成员|会员)|"
                     r"原(?:成|会)|退出|已退|former|withdrawn|suspended|暂停")),
    ("candidate", Words(r"候选|申请|即将|待加入|candidate|applicant|accession|prospective")),
    ("observer", Words(r"观察|observer")),
    # 准成员 (associate member: ESCAP's Hong Kong, Macau) takes part without a vote, like "associate"
    ("partner", Words(r"伙伴|对话|联系|准成员|准会员|partner|dialogue|associate")),
    ("member", Words(r"成员|会员|创始|缔约|加盟|member|founding")),
)
# A column about membership, not naming members: 会员资格 (完全 / 準會員國), member status.
_ABOUT_MEMBERS = Words(r"资格|身份|类型|性质|状态|status|type")
_GROUP_LABEL = re.compile(rf"(?:^|(?<=\s))([^\s：:、，,·;；]{{1,{MAX_GROUP_LABEL}}})[：:]\s*")
_DATED = re.compile(rf"^(?P<name>[^，,、；;。：:（(\-–—]{{1,{MAX_NAME}}}?)\s*[-–—]\s*"
                    r"(?P<date>\d{3,4}年(?:\d{1,2}月(?:\d{1,2}日)?)?)(?P<note>.*)$")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_SPLIT = re.compile(r"\s*[、，,；;]\s*|\s+·\s+")  # " · " of {{hlist}}; 萨帝亚·纳德拉 is one name
_LAST_AND = re.compile(rf"^(.{{1,{MAX_NAME}}}?)(?:以及|和|及|与|與)(.{{1,{MAX_NAME}}})$")
_SENTENCE = re.compile(r"[。！？!?]")
# Not names, whatever list they are in: a count ("8个成员国", the infobox's number of members),
# a note whose name pandoc dropped ("（1975年加入", "(前政府)": a bracket left open, holding a year
# or the whole text; the band "(G)I-DLE" is a name), a bare group label ("观察员国", "目前成员国").
_NOT_A_NAME = Words(r"^\d+\s*个|^[（(][^）)]*(?:\d|$|[）)]$)|^(?:目前|现任|正式|原|前|创始)?(?:成员|会员|观察员|候选|伙伴|缔约|加盟)"
                    r"[国方组织经济体]*(?:列表|名单)?$")
# "4个峰会主席国客人": a count, a measure word, then a noun that says what is counted.
_COUNTED_NOUN = re.compile(r"^\d+\s*[个個名位]\s*\S{2,}")
# "…、文莱 8个观察员国": a count from the next list that pandoc ran into the last item.
_TRAILING_COUNT = re.compile(r"\s+\d+\s*[个個][^\s、，,]{0,10}$")


def status_of(label: str) -> str:
    for status, rx in STATUS_WORDS:
        if rx.search(label or ""):
            return status
    return "other"


def split_names(text: str, whole: Callable[[str], bool] = lambda name: False) -> list[str]:
    """Names in a list item. A final `A和B` is split unless `whole` says it is one name
    (特立尼达和多巴哥, a linked title)."""
    names = [n.strip(" ：:。") for n in _SPLIT.split(text) if n.strip(" ：:。")]
    if len(names) > 1:
        m = _LAST_AND.match(names[-1])
        if m and not whole(names[-1]):
            names[-1:] = [m.group(1), m.group(2)]
    return names


def _one_name(links) -> Callable[[str], bool]:
    anchors = {link.anchor_original for link in links} | {link.anchor for link in links}
    return lambda name: name in anchors or iso_code(name) is not None


_LABEL = re.compile(rf"^([^：:，,、]{{1,{MAX_LABEL}}})[：:]\s*(.+)$")
# "皇家馬德里（西班牙）": a linked name and a note on it (its country); the note goes to attributes.
_NOTE = re.compile(r"^(.+?)\s*[（(]([^（）()]+)[）)]$")
# A table's totals row is not a member.
_TOTAL = Words(r"^(?:总计|合计|总和|总数|共计|total|sum)\b|(?:总量|总计|合计|总和|百分比)$")  # OPEC总量
# "非成員產油國" (non-member producers) is about members but lists none.
_NOT_MEMBERS = Words(r"非(?:成员|会员|缔约)|non-?member")
# "membership_type = 會員" labels the membership field; it is not a member.
_LABEL_KEY = Words(r"(?:type|label|类型)$")


class _Rows:
    """Collects rows for one document, numbering positions per group."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.rows: list[MemberRow] = []
        self.positions: dict[str, int] = {}

    def add(self, source: str, section: str, group: str, group_original: str, member: str,
            member_original: str, link_target: str | None = None, joined: str | None = None,
            attributes: dict | None = None) -> None:
        if not _HAS_LETTER.search(member_original) or _NOT_A_NAME.search(member_original.strip()):
            return  # a count, a year ("membership = 100.000"), a note or a label: not a name
        if fold(member_original.strip()) == fold(self.doc.title_original or ""):
            return  # the organisation itself, in a totals row
        self.positions[group] = self.positions.get(group, 0) + 1
        self.rows.append(MemberRow(
            doc_id=self.doc.doc_id, organization=self.doc.title, found_in=source,
            section=section, group=group, group_original=group_original,
            status=status_of(group_original), position=self.positions[group],
            member=member, member_original=member_original, link_target=link_target,
            iso3166=iso_code(member, link_target),
            joined=joined,
            attributes=json.dumps(attributes, ensure_ascii=False) if attributes else None,
        ))


def _is_member_list(block: ListBlock) -> bool:
    if block.section and _NOT_MEMBERS.search(block.section[-1]):
        return False
    if any(MEMBER_WORDS.search(s) for s in block.section):
        return True
    return any(it.marker == ";" and MEMBER_WORDS.search(it.text_original) for it in block.items)


def _labels(items: tuple[ListItem, ...]) -> list[bool]:
    """Which items are group labels: terms, and bullets with deeper bullets right after."""
    out = []
    for i, it in enumerate(items):
        nxt = items[i + 1] if i + 1 < len(items) else None
        out.append(it.marker == ";" or (nxt is not None and nxt.depth > it.depth and nxt.marker != ";"))
    return out


def _label_paragraph(block) -> Paragraph | None:
    """A paragraph that only labels the list after it, and so names its group ('''观察员''' with its footnote gone, or
    "对话伙伴：", "峰会主席国客人"): short and no sentence. It makes a list a member list when it is
    member-like; in a member section it names the group whatever it says (guests are not members)."""
    if not isinstance(block, Paragraph):
        return None
    text = block.text_original.strip().rstrip("：:").strip()
    if (not text or len(text) > MAX_LIST_LABEL or _SENTENCE.search(text) or re.search(r"[\d\n：:，,]", text)
            or _INTRODUCES.search(text)):
        return None  # "亞太經合組織現有21個成員經濟體：", "成员包括：" introduce a list, they do not label it
    return block


# The end of a phrase that introduces what follows rather than naming it.
_INTRODUCES = Words(r"(?:包括|包含|如下|以下|下表|下列|分别|有|为|是|即)$")


def _from_list(rows: _Rows, block: ListBlock, heading: Callable[[str], str],
               label: Paragraph | None = None) -> None:
    fallback = block.section[-1] if block.section else ""
    section = " > ".join(map(heading, block.section))
    group = group_original = None
    if label is not None:  # the paragraph right above the list names its group
        group = (label.text or "").strip().rstrip("：:").strip()
        group_original = label.text_original.strip().rstrip("：:").strip()

    def add(name: str, original: str, target: str | None, joined: str | None = None,
            note: str | None = None) -> None:
        rows.add("list", section,
                 group if group is not None else heading(fallback),
                 group_original if group_original is not None else fallback,
                 name, original, target, joined, {"note": note} if note else None)

    for item, is_label in zip(block.items, _labels(block.items)):
        if is_label:
            group, group_original = item.text, item.text_original
            continue
        targets = {link.anchor_original: link.target for link in item.links}
        dated = _DATED.match(item.text or ""), _DATED.match(item.text_original)
        if dated[0] and dated[1]:  # "{{EGY}} - 1945年3月22日（創始國，…）": a name, its join date, a note
            value = parse_date(dated[1].group("date"))
            note = dated[0].group("note").strip().removeprefix("（").removesuffix("）").strip()
            original = dated[1].group("name")
            add(dated[0].group("name"), original, targets.get(original), value.start if value else None, note)
            continue
        lead = _lead_name(item)
        if lead:  # "[[陳志全]]，別名慢必，畢業於…": the linked name, then what the page says of it
            add(*lead)
            continue
        if _SENTENCE.search(item.text_original):
            continue
        text, text_original = _TRAILING_COUNT.sub("", item.text or ""), _TRAILING_COUNT.sub("", item.text_original)
        inline = _LABEL.match(text), _LABEL.match(text_original)
        if inline[0] and inline[1] and MEMBER_WORDS.search(inline[1].group(1)):
            # "正式成员：智利、秘鲁": the label before the colon is the group of this item
            group, group_original = inline[0].group(1), inline[1].group(1)
            text, text_original = inline[0].group(2), inline[1].group(2)
        whole = _one_name(item.links)
        names, originals = split_names(text, whole), split_names(text_original, whole)
        if len(names) != len(originals) or any(len(n) > MAX_NAME for n in originals):
            continue
        for name, original in zip(names, originals):
            name, original, note = _without_note(name, original, targets)
            add(name, original, targets.get(original), note=note)


# "[[陳志全]]，別名慢必，…。": a linked name at the start of an item, a comma, and prose about it.
_LEAD_SEPARATOR = "，,"


def _lead_name(item: ListItem) -> tuple[str, str, str, None, str] | None:
    """An item that opens with a linked name followed by a comma and a description (a sentence,
    or longer than a name) is that member; the description is its note. Lists of names
    ("[[A]]，[[B]]") are split as usual."""
    if not item.links or item.links[0].kind != "internal":
        return None
    link, text, original = item.links[0], (item.text or "").strip(), item.text_original.strip()
    anchor, anchor_original = link.anchor or link.anchor_original, link.anchor_original
    if not (original.startswith(anchor_original) and text.startswith(anchor)) or len(anchor_original) > MAX_NAME:
        return None
    rest, rest_original = text[len(anchor):], original[len(anchor_original):]
    if rest_original[:1] not in _LEAD_SEPARATOR or rest[:1] not in _LEAD_SEPARATOR:
        return None
    note = rest[1:].strip()
    if not (_SENTENCE.search(rest_original) or len(rest_original) > MAX_NAME):
        return None
    return anchor, anchor_original, link.target, None, note


def _from_paragraph(rows: _Rows, block: Paragraph, heading: Callable[[str], str]) -> None:
    """"常任成员国：安道尔，澳大利亚，…，英国。" in a member section: a list written inline after
    its member-like label (联合国区域集团 names its 193 members so); the label is the group."""
    if not any(MEMBER_WORDS.search(s) for s in block.section):
        return
    m = _LABEL.match((block.text or "").strip().rstrip("。"))
    m_original = _LABEL.match(block.text_original.strip().rstrip("。"))
    if not (m and m_original and MEMBER_WORDS.search(m_original.group(1))) or _SENTENCE.search(m_original.group(2)):
        return
    whole = _one_name(block.links)
    names, originals = split_names(m.group(2), whole), split_names(m_original.group(2), whole)
    if len(names) != len(originals) or any(len(n) > MAX_NAME for n in originals):
        return
    targets = {link.anchor_original: link.target for link in block.links}
    section = " > ".join(map(heading, block.section))
    for name, original in zip(names, originals):
        name, original, note = _without_note(name, original, targets)
        rows.add("list", section, m.group(1), m_original.group(1), name, original, targets.get(original),
                 attributes={"note": note} if note else None)


def _without_note(name: str, original: str, targets: dict[str, str]) -> tuple[str, str, str | None]:
    """"皇家馬德里（西班牙）" -> ("皇家馬德里", …, "西班牙") when the part before the brackets is a
    linked name or a country ({{THA}}（创始国）); a linked or known name that ends in brackets
    (刚果（金）) stays whole."""
    if original in targets or is_country_name(original):
        return name, original, None
    m, m_original = _NOTE.match(name), _NOTE.match(original)
    if m and m_original and (m_original.group(1) in targets or iso_code(m_original.group(1)) is not None):
        return m.group(1), m_original.group(1), m.group(2)
    return name, original, None


def _member_column(table: Table) -> int | None:
    if table.section and _NOT_MEMBERS.search(table.section[-1]):
        return None
    headers = table.columns_original
    for i, h in enumerate(headers):
        if MEMBER_WORDS.search(h) and not _ABOUT_MEMBERS.search(h):
            return i
    if any(MEMBER_WORDS.search(s) for s in table.section + headers):
        for i, h in enumerate(headers):
            if NAME_HEADER.search(h):
                return i
    return None


def _from_table(rows: _Rows, table: Table, heading: Callable[[str], str],
                above: Paragraph | None = None) -> None:
    col = _member_column(table)
    if col is None:
        _from_grid(rows, table, heading)
        return
    columns = table.columns or table.columns_original
    joined_col = next((i for i, h in enumerate(table.columns_original)
                       if i != col and JOINED_HEADER.search(h)), None)
    names = unique_columns(columns)
    label_original = table.section[-1] if table.section else table.columns_original[col]
    label = heading(label_original) if table.section else columns[col]
    if above is not None:  # a label paragraph right above the table names its group
        label = (above.text or "").strip().rstrip("：:").strip()
        label_original = above.text_original.strip().rstrip("：:").strip()
    section = " > ".join(map(heading, table.section))
    grouped = table.columns_original[:1] == (GROUP_COLUMN,) and col != 0
    for r, row in enumerate(table.rows):
        cell = row[col]
        if (r in table.totals or not cell.text_original or _SENTENCE.search(cell.text_original)
                or _TOTAL.search(cell.text_original)):
            continue
        joined = None
        if joined_col is not None:
            text = row[joined_col].text_original.strip()
            # a bare year is a date in a join-date column (it is only a number elsewhere)
            value = parse_date(text + "年" if re.fullmatch(r"1[5-9]\d\d|20\d\d", text) else text)
            joined = value.start if value else None
        attributes = {names[i]: c.text for i, c in enumerate(row) if i != col and not (grouped and i == 0)}
        target = cell.links[0].target if cell.links else None
        if grouped and row[0].text_original:  # the label row above ("观察员国") is the group
            rows.add("table", section, row[0].text or "", row[0].text_original, cell.text or "",
                     cell.text_original, target, joined, attributes)
            continue
        rows.add("table", section, label, label_original, cell.text or "", cell.text_original,
                 target, joined, attributes)


# A grid of members: most of its cells name countries (the rest: 欧洲联盟, 联合国).
MIN_GRID_COUNTRIES = 0.8


def _from_grid(rows: _Rows, table: Table, heading: Callable[[str], str]) -> None:
    """A member table with no column names, one member per cell, four or five to a row
    (太平洋岛国论坛's dialogue partners: "| {{CAN}} || {{PRC}} || {{CUB}} || {{EU}}"). Read only
    under a member-like caption or heading, and only when nearly every filled cell is a country;
    the caption (对话伙伴), else the heading, is the group."""
    if any(table.columns_original) or table.totals:
        return
    caption = table.caption_original.strip()
    if MEMBER_WORDS.search(caption):
        label, label_original = table.caption or caption, caption
    elif table.section and MEMBER_WORDS.search(table.section[-1]) and not caption:
        label, label_original = heading(table.section[-1]), table.section[-1]
    else:
        return
    cells = [c for row in table.rows for c in row if c.text_original.strip() and not c.from_span]
    if not cells or sum(iso_code(c.text or "") is not None for c in cells) < MIN_GRID_COUNTRIES * len(cells):
        return
    section = " > ".join(map(heading, table.section))
    for c in cells:
        rows.add("table", section, label, label_original, c.text or "", c.text_original,
                 c.links[0].target if c.links else None)


def _groups(text: str) -> list[tuple[str | None, str]]:
    """An infobox value as (label, names) pieces: "东盟十国：泰国 · 马来西亚 1个候选国：东帝汶"
    (several {{Collapsible list}}s in one field) -> [("东盟十国", …), ("1个候选国", "东帝汶")]."""
    parts = _GROUP_LABEL.split(text)
    pieces = [(None, parts[0])] if parts[0].strip() else []
    return pieces + [(parts[i], parts[i + 1]) for i in range(1, len(parts), 2)]


def _from_infobox(rows: _Rows, doc: Document) -> None:
    for field in doc.infobox:
        if (not MEMBER_WORDS.search(field.key) or _LABEL_KEY.search(field.key)
                or _SENTENCE.search(field.value_original)):
            continue
        groups, groups_original = _groups(field.value or ""), _groups(field.value_original)
        if len(groups) != len(groups_original):
            continue
        whole = _one_name(field.links)
        targets = {link.anchor_original: link.target for link in field.links}
        for (label, value), (label_original, value_original) in zip(groups, groups_original):
            names, originals = split_names(value, whole), split_names(value_original, whole)
            if len(names) != len(originals) or any(len(n) > MAX_NAME for n in originals):
                continue
            # a label that says what the members are (1个候选国, 4个峰会主席国客人: a count, a measure
            # word and a noun) is their group; a bare count or a name (东盟十国, 23國) is not, and
            # the field's key is
            if label is None or label_original is None or (
                    status_of(label_original) == "other" and not _COUNTED_NOUN.match(label_original)):
                label = label_original = field.key
            for name, original in zip(names, originals):
                rows.add("infobox", "", label, label_original, name, original, targets.get(original))


def member_rows(doc: Document, heading: Callable[[str], str]) -> list[MemberRow]:
    """Rows of members.parquet; `heading` maps a heading as parsed to the target variant."""
    rows = _Rows(doc)
    label = None
    for block in doc.blocks:
        if isinstance(block, ListBlock) and (_is_member_list(block) or (
                label is not None and MEMBER_WORDS.search(label.text_original))):
            _from_list(rows, block, heading, label)
        elif isinstance(block, Paragraph):
            _from_paragraph(rows, block, heading)
        elif isinstance(block, Table):  # a table's label must say what its rows are
            _from_table(rows, block, heading, label if label and status_of(label.text_original) != "other" else None)
        label = _label_paragraph(block)
    _from_infobox(rows, doc)
    return rows.rows
