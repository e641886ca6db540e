"""The wiki vocabulary the readers consult, as data with a reason per entry (as wikitextparser's
`_config.py`): namespaces and tags (below the imports), and which templates show text and what
text (the allow-list of the wikitext reader), and what every other template is (`classify`).

In: a template's name and its parameters (`Args`). Out: a list of parts, each literal text or a
`Param` to be rendered in place (so links inside it survive), or None when the template is not
on the list. The reader drops every template not listed here from the text and counts it in
`Document.dropped_templates`; infoboxes, {{noteTA}} and {{DISPLAYTITLE}} are read by the reader
itself into their own fields and are not counted.

Choices (MediaWiki would show more; we keep the words a reader would quote):
- `{{lang|en|Foo}}` -> "Foo"; `{{lang-en|Foo}}` -> "英语：Foo", the label zhwiki shows (CLDR's
  Chinese name of the language); {{jpn|j=…}}, {{kor|k=…}}, {{nihongo|中文|日本語|rōmaji}} and
  {{zh|s=…|t=…}} likewise show their labels. Han text in a language other than Chinese is
  wrapped in `-{…}-`, as zhwiki's template does, so it is never script-converted (Japanese 楽譜
  stays 楽譜).
- Numbers: `{{nts|647500}}`, `{{formatnum:647500}}` -> "647,500"; `{{val|1.5|0.2|e=3|u=m}}` ->
  "1.5±0.2×10³ m".
- Flags of entities with no ISO code ({{EU}}, {{SMOM}}, {{TRNC}}, {{flagcountry|EU}}, {{USSR}})
  show their name (`NON_ISO_ENTITIES`); {{flagIOC2|UZB|…}} like {{flagIOC}};
  {{flagIOCathlete|[[A]]|CHN}} -> "A（中国）". `{{legend|#color|label}}` -> the label.
- Biography infoboxes: {{height|m=1.75}} -> "1.75米", {{weight|lb=175}} -> "175磅", medal-table
  rows ({{Medal|Sport|足球}} -> 足球, {{MedalGold|2008年北京|花剑}} -> "金牌 2008年北京 花剑"),
  {{birth year and age|1959}} -> "1959年"; {{配音2|JP|A|TW|B}} -> "A（日本）、B（台湾）";
  {{站|合肥}} -> 合肥站; {{airport codes|PEK|ZBAA}} -> "IATA：PEK，ICAO：ZBAA"; {{Jct|country=TWN|PH|1}}
  -> 台1線 (`JCT_ROUTES`).
- `{{tsl|en|Foreign|中文|顯示}}` -> the 4th param (the text shown), else the 3rd (the Chinese
  title), else the 2nd.
- `{{le|中文|English|顯示}}`, `{{link-xx|…}}` -> 3rd param if given, else the 1st; `{{ill|…}}`
  -> `lt=` if given, else the 1st (the Chinese title in every case).
- Table-cell status templates (`n/a`, `yes`, `no`, `partial`, `won`, `nom`, …) -> their param, else
  the text zhwiki shows (N/A, 是, 否, 部分, 获奖, 提名). In a cell they also expand to attributes on the wiki; the
  table reader keeps a span written before them (see `CELL_TEMPLATES`).
- `{{flag|China}}`, `{{flagcountry|…}}`, `{{flagu|…}}`, `{{esc|…}}` (Eurovision entries) -> `name=` if given, else the country's
  CLDR Chinese name (中国) when the 1st param is an English name or code, else the 1st param.
  Country-data templates named by IOC-style code (`{{CHI}}`, `{{PRC}}`, `{{HKG-CHN}}`) -> the
  CLDR Chinese name (智利). `{{flagicon}}`/`{{flagdeco}}` show only an image: dropped, counted.
  National-team templates of sports tables (`{{fb|CHN}}`, `{{ih18|FIN}}`, `{{vbwu|23|TUR}}`,
  `SPORT_TEAMS`) show the country's name likewise; {{ENG}}, {{SCO}}, {{WAL}}, {{NIR}} are the home
  nations (英格兰 …), not 英国.
- Dates (`start date`, `birth date and age`, …) -> "2002年2月13日"; `convert` -> "10 km"
  (a range "10–20 km"); `bd` -> "1900年1月1日—2000年1月1日".
- `ruby…` -> the base text (the annotation is a pronunciation gloss), so '''{{ruby-py|鄞|…}}州区'''
  still reads 鄞州区.
- Wrappers (`nowrap`, `center`, `small`, `color`, `font color`, `abbr`, `resize`, …) -> their text;
  `hlist`/`ubl` -> items joined with " · " as displayed; `collapsible list` -> its title, "：",
  then its items joined with " · "; `columns-list` -> its list; `{{!}}` -> "|".
- Quotations (`cquote`, `quote`, `quotation`, `blockquote`) -> the quoted text.
- `{{percentage|1|3|2}}` -> "33.33%" (computed); `{{As of|2012}}` -> "截至2012年";
  `{{color box|#9E9|自民党}}` -> its text; `{{\\}}` -> " / "; `{{PAGENAMEBASE}}` -> the page's title
  without its bracketed disambiguator, when the reader knows the title (`TITLE_WORDS`).
- A `<sup>` or `{{sup}}` that is a footnote mark (a letter, *, †) is dropped (`NOTE_MARK`).
- `{{nbafy|1991}}` -> "1990–91" (a season), `{{nbay|1991}}` -> "1991"; `{{chem|H|2|O}}` -> "H2O".
- `{{地區用詞|cn=…|tw=…|…}}` -> `-{zh-cn:…;zh-tw:…}-` markup, resolved per variant by normalise.
Every other template is dropped and counted; `DROPPED` names the classes of those that are
dropped on purpose (citation, reference-list, maintenance, hatnote, navbox, authority, image,
external-link, layout, language-icon, parser-function), each with its reason, and `classify`
is the one place that says what a template is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from .. import countries
from ..convert import HAN

COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)  # also unclosed, to the end

# -- Namespaces and tags ------------------------------------------------------------------------
# File namespace: MediaWiki's canonical File, its aliases Image and Media, and the localised names
# zhwiki accepts (Chinese in both scripts) and jawiki's (its pages come through the same exports).
FILE_NS = frozenset({"file", "image", "media", "文件", "檔案", "档案", "图像", "圖像", "媒体", "媒體",
                     "图片", "圖片", "ファイル", "画像"})
# Category namespace: MediaWiki's canonical name and zhwiki's localised ones.
CATEGORY_NS = frozenset({"category", "分类", "分類", "类别", "類別"})
# Tags whose content is not article text: footnotes (Cite's <ref>, <references>), galleries and
# other media or widgets, template machinery, styles and scripts.
SKIP_TAGS = frozenset({"ref", "references", "gallery", "inputbox", "timeline", "score", "imagemap",
                       "templatedata", "templatestyles", "graph", "mapframe", "maplink",
                       "categorytree", "indicator", "style", "script", "includeonly", "section",
                       "charinsert", "hiero"})
# Tags whose content MediaWiki does not parse as wikitext: it is shown as written.
RAW_TAGS = frozenset({"nowiki", "math", "chem", "ce", "code", "syntaxhighlight", "source", "pre"})
# Code: never script-converted, its ASCII punctuation kept (convert.protect_code).
CODE_TAGS = frozenset({"code", "syntaxhighlight", "source", "pre"})
# HTML list-item tags mwparserfromhell gives for `*`, `#`, `;`, `:` lines.
LIST_TAGS = frozenset({"li", "dt", "dd"})
# A superscript that is a footnote mark, not text: one Latin letter or *, †, ‡ ("基里巴斯<sup>b</sup>",
# "{{KIR}}{{sup|b}}": the note is given below the list or table). Glued to a name it would hide
# the country. Digits stay (km<sup>2</sup> -> km²), and so does a word such as 注.
NOTE_MARK = re.compile(r"\s*(?:[A-Za-z]|[*†‡§]{1,3})\s*")
# Parser functions written `{{name:argument}}` whose argument is shown (formatted, recased): the
# renderer passes the argument as parameter 1. (MediaWiki's Help:Magic words.)
COLON_FUNCTIONS = ("formatnum", "lc", "uc", "lcfirst", "ucfirst")


@dataclass(frozen=True)
class Param:
    key: str  # "1", "2", … for positional parameters, else the name


class Args:
    """A template's parameters: `text(key)` is the cleaned text, `has` says it is non-empty."""

    def __init__(self, positional: int, names: set[str], text: Callable[[str], str]):
        self.positional = positional  # highest positional index present
        self.names = names
        self._text = text

    def text(self, key: str | int) -> str:
        key = str(key)
        return self._text(key).strip() if key in self.names else ""

    def has(self, key: str | int) -> bool:
        return bool(self.text(key))

    def present(self, key: str | int) -> bool:
        return str(key) in self.names

    def first(self, *keys: str | int) -> Param | None:
        """The first non-empty of `keys`, else the first present one (rendering an empty
        parameter still counts the templates dropped inside it)."""
        for k in keys:
            if self.has(k):
                return Param(str(k))
        for k in keys:
            if self.present(k):
                return Param(str(k))
        return None


# Magic words that show the page's own title (MediaWiki's Help:Magic words): {{PAGENAME}} the
# title, {{PAGENAMEBASE}} the title without a last " (…)" disambiguator (zhwiki's town and county
# pages open with a bold {{PAGENAMEBASE}}). The renderer needs the title: with none (a loose
# file), they are dropped as page metadata.
TITLE_WORDS = frozenset({"pagename", "pagenamebase", "fullpagename", "subpagename", "basepagename"})


def page_name(key: str, title: str) -> str:
    title = title.replace("_", " ").strip()
    if key == "pagenamebase":
        title = re.sub(r"\s*[（(][^（）()]*[）)]$", "", title)
    return title


def normalise_name(raw: str) -> str:
    """MediaWiki's spelling of a template name: comments and `Template:` removed, `_` = space,
    whitespace collapsed, first letter upper case; parser functions keep only their name
    (`{{#if:…}}` -> "#if", `{{DISPLAYTITLE:x}}` -> "DISPLAYTITLE")."""
    name = " ".join(COMMENT.sub("", raw).replace("_", " ").split())
    if ":" in name:
        head, _, _rest = name.partition(":")
        if head.lower() in ("template", "模板", "t"):
            name = _rest.strip()
        elif (head.startswith("#") or head.isupper()
              or head.lower() in ("subst", "safesubst", "msgnw") + COLON_FUNCTIONS):
            name = head.strip()
    name = name[:100]
    return name[:1].upper() + name[1:]


def key_of(name: str) -> str:
    """The lookup key: the normalised name in lower case (the allow-list ignores case)."""
    return normalise_name(name).lower()


def _param(key: str | int) -> Callable[[Args], list]:
    return lambda a: [Param(str(key))] if a.present(key) else []


def _param_or(key: str | int, default: str) -> Callable[[Args], list]:
    return lambda a: [Param(str(key))] if a.has(key) else [default]


def _last_positional(a: Args) -> list:
    for i in range(a.positional, 0, -1):
        if a.has(i):
            return [Param(str(i))]
    return []


def _date(a: Args, offset: int = 0) -> list:
    y, m, d = (a.text(offset + i) for i in (1, 2, 3))
    if not y.isdigit():
        return [" ".join(p for p in (y, m, d) if p)]
    out = f"{int(y)}年"
    if m.isdigit():
        out += f"{int(m)}月"
        if d.isdigit():
            out += f"{int(d)}日"
    return [out]


def _number(text: str) -> str:
    """"647500" -> "647,500", "-1234.5" -> "-1,234.5", as {{nts}} and {{formatnum:}} show a
    number (thousands separated by commas, the decimal part as written); anything that is not a
    plain number is returned unchanged."""
    m = re.fullmatch(r"([-−+]?)(\d+)((?:\.\d+)?)", text.replace(",", "").strip())
    if not m:
        return text
    return m.group(1) + f"{int(m.group(2)):,}" + m.group(3)


def _nts(a: Args) -> list:
    return [_number(a.text(1))] if a.has(1) else []


def _val(a: Args) -> list:
    """{{val|1.5|0.2|e=3|u=m}} -> "1.5±0.2×10³ m" (the number, its uncertainty, exponent, unit)."""
    out = _number(a.text(1))
    if a.has(2):
        out += ("±" + a.text(2)) if not a.has(3) else f"+{a.text(2)}−{a.text(3).lstrip('-')}"
    if a.has("e"):
        out += "×10" + a.text("e").translate(str.maketrans("0123456789-−", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁻"))
    unit = a.text("u") or a.text("ul")
    return [out + (" " + unit if unit else "")]


_RANGE = {"to", "-", "–", "and", "or", "~", "x", "by", "+/-", "to(-)"}


def _convert(a: Args) -> list:
    """{{convert|1730000|m2|ha}} -> "1,730,000 m2": the value as Module:Convert writes it (thousands
    separated), its unit as given; a range {{convert|10|to|20|km}} -> "10–20 km"."""
    value, second = _number(a.text(1)), a.text(2)
    if second in _RANGE and a.has(3):
        return [f"{value}–{_number(a.text(3))} {a.text(4)}".strip()]
    return [f"{value} {second}".strip()]


def _bd(a: Args) -> list:
    born, died = a.text(1) + a.text(2), a.text(3) + a.text(4)
    return [f"{born}—{died}" if died else born]


def _joined(a: Args) -> list:
    parts: list = []
    for i in range(1, a.positional + 1):
        if a.has(i):
            parts += ([" · "] if parts else []) + [Param(str(i))]
    return parts


def _season(a: Args) -> list:
    """{{nbafy|1991}}: the season that ended in 1991, written 1990–91."""
    year = a.text(1)
    return [f"{int(year) - 1}–{year[-2:]}" if year.isdigit() and len(year) == 4 else year]


_REGIONS = ("cn", "tw", "hk", "mo", "sg", "my")


def _regional_term(a: Args) -> list:
    """{{地區用詞|cn=东盟|tw=東協|hk=cn|…|start=…}}: the term each region uses (a value naming
    another region, hk=cn, means its term), written as -{…}- converter markup so normalise
    picks the branch of the target variant like any other; `start` follows in brackets."""
    terms = {r: a.text(r) for r in _REGIONS if a.has(r)}
    branches = [f"zh-{r}:{terms.get(t, t)}" for r, t in terms.items()]
    parts: list = ["-{" + ";".join(branches) + "}-"] if branches else []
    return parts + (["（", Param("start"), "）"] if a.has("start") else [])


def _titled_list(a: Args) -> list:
    """{{Collapsible list|title=23國|A|B}}: the title labels the items, as on the page."""
    items = _joined(a)
    return ([Param("title"), "："] if a.has("title") and items else []) + items


def _link_xx(a: Args) -> list:
    return [a.first(3, 1)] if a.first(3, 1) else []


def _ill(a: Args) -> list:
    return [a.first("lt", 1)] if a.first("lt", 1) else []


def _flag(a: Args) -> list:
    """`{{flag|Russia}}` shows the country's name: in Chinese, from CLDR, when the parameter is an
    English name or a code we know; `name=` (the page's own wording) or the raw value otherwise."""
    p = a.first("name", 1)
    if p is None:
        return []
    if p.key == "1":
        iso = countries.english_to_iso(a.text(1)) or countries.ioc_to_iso(a.text(1))
        if iso:
            return [countries.zh_name(iso)]
        if entity_name(a.text(1)):
            return [entity_name(a.text(1))]
    return [p]


# Hong Kong party templates ({{DAB/short}} 民建联): the party's name as election and officeholder
# tables show it; the names are the ones the same pages link to beside them (选举委员会界别's results
# table, 非建制派, 选民力量). /short variants are the short names zhwiki shows.
HK_PARTIES = {
    "dab/short": "民建联", "ftu/short": "工联会", "dphk": "民主党", "cphk": "公民党", "lphk": "工党",
    "adpl/short": "民协", "hkpa/short": "港进联", "ldf/short": "自民联", "libp/1993": "自由党",
    "npp": "新民党", "bpa/short": "经民联", "ppw": "人民力量", "lsd": "社会民主连线",
    "lsd/short": "社民连", "hkf": "新民主同盟", "dg": "香港众志",
    "tsp": "时代力量",  # Taiwan's New Power Party, named beside Hong Kong's localists
}


# Flag and country-data templates of entities that have no ISO 3166-1 code: they show the name
# (a member list names them), and countries.iso_code gives them no code. Keys are the template
# code or the English name {{flag}} takes, in lower case. Names as zhwiki's templates show them.
NON_ISO_ENTITIES = {
    "eu": "欧洲联盟", "european union": "欧洲联盟",  # {{EU}}, {{flag|European Union}}
    "smom": "马耳他骑士团", "sovereign military order of malta": "马耳他骑士团",  # {{SMOM}}
    "trnc": "北塞浦路斯", "northern cyprus": "北塞浦路斯",  # {{TRNC}}: recognised by Turkey only
    "ussr": "苏联", "urs": "苏联", "soviet union": "苏联",  # dissolved 1991, code withdrawn
    "frg": "西德", "brd": "西德", "west germany": "西德",
    "gdr": "东德", "ddr": "东德", "east germany": "东德",
    # dissolved or divided since their codes were given: CLDR has no Chinese name for them
    "eun": "独立国家联合体",  # the Unified Team of 1992 ({{EUN}} in medal tables)
    "aho": "荷属安的列斯", "netherlands antilles": "荷属安的列斯",  # dissolved 2010
    "scg": "塞尔维亚和黑山", "serbia and montenegro": "塞尔维亚和黑山",  # 2003–2006
    "yug": "南斯拉夫", "yugoslavia": "南斯拉夫",
    "tch": "捷克斯洛伐克", "czechoslovakia": "捷克斯洛伐克",
    "kos": "科索沃", "kosovo": "科索沃",  # XK is user-assigned, not ISO (see countries.py)
    # the UK's home nations play apart ({{ENG}}, {{fb|SCO}}, {{flag|Wales}}): not 英国
    "eng": "英格兰", "england": "英格兰", "sco": "苏格兰", "scotland": "苏格兰",
    "wal": "威尔士", "wales": "威尔士", "nir": "北爱尔兰", "northern ireland": "北爱尔兰",
    # {{CHNML}}: the PRC without Hong Kong and Macau, as statistics and GDP tables list it
    "chnml": "中国大陆",
    "qing": "清朝", "un": "联合国", "uno": "联合国", "united nations": "联合国",  # {{UNO}}
    # organisations that take part as a whole ({{Flag|ASEAN}} as a summit guest)
    "asean": "东南亚国家联盟", "cis": "独立国家联合体", "nato": "北大西洋公约组织",
    "arab league": "阿拉伯国家联盟", "african union": "非洲联盟",
    # party templates show the party's name: {{KMT}}, {{DPP}}, {{CPC}}
    "kmt": "中国国民党", "dpp": "民主进步党", "cpc": "中国共产党",
}


def entity_name(code_or_name: str) -> str | None:
    return NON_ISO_ENTITIES.get(code_or_name.strip().lower())


# CHI, HKG-CHN, DPRK-PRK, ROC-TW; a year names a historical flag of the country ({{USA-1912}}, the
# 48-star flag; {{ZAF-1961}}): the country is the same
_COUNTRY_DATA = re.compile(r"^[A-Z]{3,5}(?:-[A-Z]{2,4}|-\d{4})?$")  # HKSAR: 5 letters


def country_template(raw_name: str) -> Callable[[Args], list] | None:
    """zhwiki's country-data templates show a flag and the country's name. Named by a code
    ({{CHI}}, {{PRC}}, {{HKG-CHN}}, {{US}}) they render as the CLDR Chinese name; named by the
    country ({{奥地利}}, {{斯洛伐克}}) as that name."""
    name = normalise_name(raw_name)
    if entity_name(name) and name.isupper():
        return lambda a: [entity_name(name)]
    if _COUNTRY_DATA.match(name):
        iso = countries.ioc_to_iso(name) or countries.ioc_to_iso(name.split("-")[0])
    elif len(name) == 2 and name.isupper() and (name in countries.iso_codes() or countries.ioc_to_iso(name)):
        iso = name if name in countries.iso_codes() else countries.ioc_to_iso(name)  # {{UK}}: GB
    elif countries.is_country_name(name):
        return lambda a: [name]
    else:
        return None
    return (lambda a: [countries.zh_name(iso)]) if iso else None


# National-team templates (zhwiki copies enwiki's): a flag and the country's name, linked to the
# country's team in one sport ({{fb|ENG}} is 英格兰 linked to its football team, {{ih18|FIN}} 芬兰 linked
# to its under-18 ice-hockey team). Results and medal tables of sports pages are written with them.
# The value is the parameter that holds the country code: age-group templates take the age first
# ({{vbwu|23|TUR}}, {{fbu|20|ARG}}).
SPORT_TEAMS = {
    # football (soccer): men, women, their age groups
    "fb": 1, "fbw": 1, "fb-rt": 1, "fbw-rt": 1, "fbu": 2, "fbwu": 2,
    # basketball
    "bk": 1, "bkw": 1, "bku": 2, "bkwu": 2,
    # volleyball, with the large-flag variants of results tables
    "vb": 1, "vbw": 1, "vb-big": 1, "vbw-big": 1, "vbu": 2, "vbwu": 2,
    # ice hockey: men, women, under-18 and under-20 championships
    "ih": 1, "ihw": 1, "ih18": 1, "ih20": 1,
    # handball, field hockey, water polo
    "hb": 1, "hbw": 1, "fh": 1, "fhw": 1, "wp": 1, "wpw": 1,
    # rugby union: sevens, women ({{ru}} alone is the Russian language icon, "(俄文)", not a team)
    "ru7": 1, "ruw": 1, "ru7w": 1,
}


def _team(key: int) -> Callable[[Args], list]:
    """{{ih18|FIN}} -> "芬兰": the country of the code (a home nation or a dissolved state by its
    name), `name=` if the page gives one, else the code as written."""
    def render(a: Args) -> list:
        if a.has("name"):
            return [Param("name")]
        code = a.text(key)
        iso = countries.ioc_to_iso(code)
        name = entity_name(code) or (countries.zh_name(iso) if iso else "")
        return [name] if name else ([Param(str(key))] if a.has(key) else [])
    return render


def _flag_ioc(a: Args) -> list:
    """{{flagIOC|USA|1896年夏季|11}}, {{flagIOC2|UZB|…}}: the country, and a medal count in
    brackets if given."""
    iso = countries.olympic_to_iso(a.text(1))
    name = countries.zh_name(iso) if iso else entity_name(a.text(1))
    if not name:
        return [Param("1")] if a.has(1) else []
    return [name] + ([f" ({a.text(3)})"] if a.has(3) else [])


def _flag_athlete(a: Args) -> list:
    """{{flagIOCathlete|[[姓名]]|CHN|…}}: the athlete, then the country in brackets."""
    iso = countries.olympic_to_iso(a.text(2))
    name = countries.zh_name(iso) if iso else entity_name(a.text(2)) or a.text(2)
    return ([Param("1")] if a.present(1) else []) + ([f"（{name}）"] if name else [])


_CHINESE_CODES = ("zh", "lzh", "yue", "wuu", "gan", "hak", "nan", "cdo")


_HAN = re.compile(f"[{HAN}]")


def _in_language(code: str, part: Param, text: str) -> list:
    """Han text in another language (Japanese, Korean hanja, Vietnamese chữ Hán) is shown as
    written, never script-converted, as zhwiki's {{lang}} does by wrapping it in -{…}-
    ({{lang|ja|天皇陛下ヲ祝スル楽譜}} keeps 楽譜). Chinese text (zh, zh-hant, yue, lzh …) is
    converted like the page; text without Han characters has nothing to convert."""
    if code.lower().startswith(_CHINESE_CODES) or not _HAN.search(text) or "\n" in text:
        # (-{…}- cannot span lines: the reader splits list items after rendering, and a wrap
        # around three items, as 香取慎吾's {{lang|ja|…}} is, left a bare -{ in one and }- in another)
        return [part]
    return ["-{", part, "}-"]


@lru_cache(maxsize=1)
def _language_names() -> dict[str, str]:
    from babel import Locale

    return dict(Locale.parse("zh").languages)


def language_label(code: str) -> str:
    """zhwiki's label of a language code (CLDR's Chinese name, as Babel ships it): en -> 英语."""
    names = _language_names()
    return names.get(code) or names.get(code.split("-")[0], "")


def _lang_xx(code: str) -> Callable[[Args], list]:
    """{{lang-en|Foo}} shows "英语：Foo" (the label is the template's own text); Han text of a
    language other than Chinese is not converted (`_in_language`)."""
    label = language_label(code)

    def render(a: Args) -> list:
        if not a.present(1):
            return []
        return ([label + "："] if label else []) + _in_language(code, Param("1"), a.text(1))
    return render


def _labelled(label: str, code: str, *keys: str | int) -> Callable[[Args], list]:
    """{{jpn|j=西15丁目停留場|rm=…}} -> "日语：西15丁目停留場": the first given key, labelled."""
    def render(a: Args) -> list:
        p = a.first(*keys)
        return [label + "："] + _in_language(code, p, a.text(p.key)) if p else []
    return render


# {{zh|s=…|t=…|p=…}}: each given form with the label zhwiki shows before it.
_ZH_FORMS = (("c", "中文"), ("s", "简化字"), ("t", "繁体字"), ("p", "汉语拼音"), ("w", "威妥玛拼音"),
             ("j", "粤拼"), ("y", "耶鲁拼音"), ("poj", "白话字"))


def _zh(a: Args) -> list:
    """The simplified and traditional forms are shown as written (the template wraps them in
    -{…}-): converting them would make the two the same."""
    parts: list = []
    for key, label in _ZH_FORMS:
        if a.has(key):
            shown = ["-{", Param(key), "}-"] if key in ("s", "t") else [Param(key)]
            parts += (["，"] if parts else []) + [label + "："] + shown
    return parts


def _nihongo(a: Args) -> list:
    """{{nihongo|中文|日本語|rōmaji}} -> "中文（日语：日本語，rōmaji）"."""
    inner = _in_language("ja", Param("2"), a.text(2)) if a.has(2) else []
    inner += ([("，" if inner else "")] + [Param("3")]) if a.has(3) else []
    return ([Param("1")] if a.has(1) else []) + (["（日语："] + inner + ["）"] if inner else [])


def _pairs(a: Args) -> list:
    """{{vgrelease|NA|2001年|JP|2002年}} -> "NA：2001年 JP：2002年"."""
    parts: list = []
    for i in range(1, a.positional + 1, 2):
        if a.has(i + 1):
            parts += ([" "] if parts else []) + [Param(str(i)), "：", Param(str(i + 1))]
    return parts


def _measure(units: tuple[tuple[str, str], ...]) -> Callable[[Args], list]:
    """{{height|m=1.75}} -> "1.75米", {{height|ft=5|in=11}} -> "5英尺11英寸": each given unit."""
    return lambda a: ["".join(a.text(k) + name for k, name in units if a.has(k))]


_MEDALS = {"gold": "金牌", "silver": "银牌", "bronze": "铜牌"}


def _medal_row(label: str) -> Callable[[Args], list]:
    """{{MedalGold|2008年北京|个人花剑}} -> "金牌 2008年北京 个人花剑", a row of a medal table."""
    def render(a: Args) -> list:
        parts: list = [label] if label else []
        for i in range(1, a.positional + 1):
            if a.has(i):
                parts += ([" "] if parts else []) + [Param(str(i))]
        return parts
    return render


def _medal(a: Args) -> list:
    """{{Medal|Sport|足球}}, {{Medal|Gold|2008年北京|…}}: the kind of row, then its text."""
    kind = a.text(1).lower()
    if kind in _MEDALS:
        parts: list = [_MEDALS[kind]]
        for i in range(2, a.positional + 1):
            if a.has(i):
                parts += [" ", Param(str(i))]
        return parts
    return [Param("2")] if a.present(2) else []


def _voices(a: Args) -> list:
    """{{配音2|JP|[[本名陽子]]|TW|[[劉如蘋]]}}: voice actors by region, "本名陽子（日本）、劉如蘋（台湾）"
    (an ISO region code as its CLDR Chinese name, anything else as written)."""
    parts: list = []
    for i in range(1, a.positional + 1, 2):
        if a.has(i + 1):
            code = a.text(i).upper()
            region = countries.zh_name(code) if code in countries.iso_codes() else a.text(i)
            parts += (["、"] if parts else []) + [Param(str(i + 1))] + ([f"（{region}）"] if region else [])
    return parts


# {{Jct|country=TWN|PH|1|NH|3}}: road junctions, shown as each route's name (zhwiki's road
# naming for the country); a route type not listed here is shown as "type number".
JCT_ROUTES = {
    ("TWN", "PH"): "台{}線",  # 省道 (provincial highway)
    ("TWN", "NH"): "國道{}號",  # 國道 (national freeway)
    ("TWN", "CH"): "縣道{}號",  # 縣道 (county road)
    ("CHN", "G"): "G{}",  # 国家高速公路 / 国道: written by their code
    ("CHN", "S"): "S{}",
}


def _junction(a: Args) -> list:
    country = a.text("country").upper()
    names = []
    for i in range(1, a.positional, 2):
        kind, number = a.text(i).upper().removesuffix("-ALL"), a.text(i + 1)
        if number:
            pattern = JCT_ROUTES.get((country, kind))
            names.append(pattern.format(number) if pattern else f"{a.text(i)} {number}")
    return ["、".join(names)] if names else []


def _year(a: Args) -> list:
    """{{Birth year and age|1959}} -> "1959年"."""
    year = next((a.text(i) for i in range(1, a.positional + 1) if a.text(i).isdigit()), "")
    return [f"{year}年"] if year else []


def _lang(a: Args) -> list:
    return _in_language(a.text(1), Param("2"), a.text(2)) if a.present(2) else []


def _percentage(a: Args) -> list:
    """{{percentage|214711|12701834|2}} -> "1.69%": part over whole, rounded to the 3rd
    parameter's decimals (0 by default), as zhwiki's #expr computes it; `pad=` keeps trailing
    zeros. Anything that is not two numbers shows nothing (the wiki shows an expression error)."""
    try:
        part, whole = (float(a.text(i).replace(",", "")) for i in (1, 2))
        decimals = int(a.text(3) or 0)
        value = round(100 * part / whole, decimals)
    except (ValueError, ZeroDivisionError):
        return []
    text = f"{value:.{decimals}f}" if a.has("pad") or decimals else f"{value:g}"
    return [text + "%"]


def _as_of(a: Args) -> list:
    """{{As of|2012|5}} -> "截至2012年5月", the words zhwiki's template shows before a figure."""
    date = _date(a)[0]
    return ["截至" + date] if date else []


# Status templates of comparison tables: the text zhwiki shows when no parameter is given.
CELL_TEMPLATES = {
    "n/a": "N/A", "na": "N/A", "yes": "是", "no": "否", "partial": "部分", "yes2": "",
    "no2": "", "dunno": "?", "unknown": "未知",
    # award tables (金曲獎, 金馬獎 …): zhwiki's {{won}} shows 获奖, {{nom}} 提名, {{pending}} 待定
    "won": "获奖", "nom": "提名", "nominated": "提名", "pending": "待定", "tba": "待定",
}

RENDER: dict[str, Callable[[Args], list]] = {
    **{k: _param_or(1, v) for k, v in CELL_TEMPLATES.items()},
    "lang": _lang,
    "flagioc": _flag_ioc, "flagiocteam": _flag_ioc,
    "tsl": lambda a: [a.first(4, 3, 2)] if a.first(4, 3, 2) else [],
    "le": _link_xx,
    "ill": _ill,
    "nowrap": _param(1), "nobr": _param(1), "center": _param(1), "small": _param(1),
    "big": _param(1), "larger": _param(1), "smaller": _param(1),
    "sup": lambda a: [] if NOTE_MARK.fullmatch(a.text(1)) else _param(1)(a),
    "sub": _param(1), "abbr": _param(1), "resize": _last_positional, "bold": _param(1),
    "color": _param(2), "colour": _param(2), "font color": _last_positional,
    "font": lambda a: [a.first("text", 1)] if a.first("text", 1) else [],
    "flag": _flag, "flagcountry": _flag, "flagu": _flag, "flag country": _flag, "esc": _flag,
    "url": lambda a: [a.first(2, 1)] if a.first(2, 1) else [],
    "start date": _date, "start date and age": _date, "end date": _date,
    "end date and age": _date, "birth date": _date, "birth date and age": _date,
    "death date": _date, "death date and age": _date, "release date": _date,
    "release date and age": _date, "film date": _date, "dts": _date,
    "convert": _convert, "cvt": _convert,
    "bd": _bd,
    "nbafy": _season, "nbay": _param(1),
    "chem": lambda a: ["".join(a.text(i) for i in range(1, a.positional + 1))],
    "columns-list": _last_positional, "col-list": _last_positional,
    "cquote": lambda a: [a.first(1, "quote", "text")] if a.first(1, "quote", "text") else [],
    "quote": lambda a: [a.first("text", "quote", 1)] if a.first("text", "quote", 1) else [],
    "quotation": _param(1), "blockquote": lambda a: [a.first("text", 1)] if a.first("text", 1) else [],
    "地區用詞": _regional_term, "地区用词": _regional_term,
    "hlist": _joined, "ubl": _joined, "unbulleted list": _joined, "plainlist": _param(1),
    "flatlist": _param(1), "collapsible list": _titled_list,
    "!": lambda a: ["|"], "=": lambda a: ["="],
    # numbers as zhwiki formats them: {{nts|647500}} -> 647,500
    "nts": _nts, "ntsh": _nts, "nts-nc": _nts, "formatnum": _nts, "val": _val,
    "lc": _param(1), "uc": _param(1), "lcfirst": _param(1), "ucfirst": _param(1),
    "flagioc2": _flag_ioc, "flagioc2team": _flag_ioc, "flagiocathlete": _flag_athlete,
    "flagioc2athlete": _flag_athlete, "flagathlete": _flag_athlete,
    # language templates that show their label: {{jpn|j=…}} -> 日语：…
    "nihongo": _nihongo, "jpn": _labelled("日语", "ja", "j", 1), "kor": _labelled("韩语", "ko", "k", "hangul", 1),
    "zh": _zh, "bo": _labelled("藏语", "bo", "t", 1), "mong": _last_positional,
    "transl": _last_positional, "coptic": _param(1), "smallsup": _param(1),
    # {{legend|#color|label}}: a colour swatch and its label
    "legend": _param(2), "legend2": _param(2),
    # {{columns|col1=…|col2=…}}: its columns' content, one after the other
    "columns": lambda a: [p for i in range(1, 11) if a.present(f"col{i}") for p in ("\n", Param(f"col{i}"))],
    # colour and styling wrappers show their text
    **{c: _param(1) for c in ("red", "blue", "green", "orange", "purple", "gray", "grey", "yellow",
                              "pink", "brown", "maroon", "navy", "white", "black")},
    "wrap": _param(1), "no italic": _param(1), "plain list": _param(1), "cas": _param(1),
    "s": _last_positional,  # {{s|Title|shown}}: a Wikisource link shows its title
    "vgrelease": _pairs, "vgrelease new": _pairs,
    # units and medal tables of biography infoboxes
    "height": _measure((("m", "米"), ("cm", "厘米"), ("ft", "英尺"), ("in", "英寸"))),
    "weight": _measure((("kg", "公斤"), ("lb", "磅"), ("st", "英石"))),
    "medal": _medal, **{f"medal{k}": _medal_row(v) for k, v in _MEDALS.items()},
    "medalsport": _param(1), "medalcountry": _param(1), "medalcompetition": _param(1),
    "配音2": _voices, "jct": _junction,
    "birth year and age": _year, "death year and age": _year,
    "站": lambda a: [Param("1"), "站"] if a.has(1) else [],  # {{站|合肥}}: a station link, 合肥站
    "車站編號": _last_positional, "车站编号": _last_positional,  # {{車站編號|色|色|I115}}: the number
    "percentage": _percentage, "as of": _as_of,
    # {{color box|#9E9|自民党}}: a swatch and, when given, its text (an election table's legend)
    "color box": _param(2), "colorbox": _param(2), "colour box": _param(2),
    "\\": lambda a: [" / "],  # {{\}}: the separator zhwiki shows between inline items
    "unicode": _param(1), "script": _last_positional,  # the text, in a font that can show it
    **{name: _team(key) for name, key in SPORT_TEAMS.items()},
    **{key: (lambda a, party=party: [party]) for key, party in HK_PARTIES.items()},
    # {{zy|坊|fáng}}: a character with its pinyin as ruby (注音); the text is the character
    "zy": _param(1),
    # {{Tooltip|Rds|Rounds}}: the shown text; the second is the hover text
    "tooltip": _param(1),
    # {{Infobox political party/seats|0|70|hex=…}}: seats held of the seats there are, with a bar
    "infobox political party/seats": lambda a: [Param("1"), " / ", Param("2")] if a.has(1) and a.has(2) else [],
    "airport codes": lambda a: (["IATA：", Param("1")] if a.has(1) else [])
                               + (["，ICAO：", Param("2")] if a.has(2) else []),
}

# Prefix families: lang-en, link-en, ruby-py, …
PREFIXES: tuple[tuple[str, Callable[[Args], list]], ...] = (
    ("lang-", _param(1)),
    ("link-", _link_xx),
    ("ruby", _param(1)),
)


def renderer_for(key: str) -> Callable[[Args], list] | None:
    if key in RENDER:
        return RENDER[key]
    if key.startswith("lang-"):  # lang-ja, lang-en: the language is in the name
        return _lang_xx(key[5:])
    if key.endswith("-link") and _LANG_CODE.match(key[:-5]):  # {{en-link|中文|English}}
        return _link_xx
    for prefix, fn in PREFIXES:
        if key.startswith(prefix):
            return fn
    return None


_LANG_CODE = re.compile(r"^[a-z]{2,3}$")

_INFOBOX_NAMES = {"geobox", "taxobox", "automatic taxobox", "speciesbox"}
# Templates with many named parameters that are not infoboxes: citations and navigation boxes.
_NOT_INFOBOX = re.compile(r"^(?:cite|citation|vcite|chú thích|引用)|navbox|sidebar|image|map|census|"
                         r"导航|導航|/", re.I)
INFOBOX_MIN_FIELDS = 4


def is_infobox(key: str) -> bool:
    """Infobox-like templates by name, whose named parameters become InfoboxField rows:
    Infobox …, … infobox, 信息框, Chembox and its Section templates."""
    if key in RENDER:  # a part an infobox shows ({{Infobox political party/seats}}), not an infobox
        return False
    return (key.startswith(("infobox", "chembox", "drugbox", "信息框", "資訊框")) or key in _INFOBOX_NAMES
            or key.endswith((" infobox", "信息框", "資訊框")))


def may_be_infobox(key: str) -> bool:
    """A template the allow-list does not render may be an infobox by its shape: zhwiki has many
    Chinese-named ones ({{藝人}}, {{城市}}), written one `|key = value` per line,
    INFOBOX_MIN_FIELDS or more of them (the caller counts). Citations, navigation boxes, image
    and map helpers and subpage templates (a `/` in the name: page frames) have that shape too
    and are left out by name."""
    return renderer_for(key) is None and not _NOT_INFOBOX.search(key)


# What a template the allow-list does not render is, by name: a class of things that are not
# article text, each with why. Checked in this order; the first match names the class.
DROPPED: tuple[tuple[str, re.Pattern, str], ...] = tuple((cls, re.compile(rx, re.I), why) for cls, rx, why in (
    ("citation",
     r"^(?:cite|citation|vcite|cita |cite\b|引用|citeweb|cascite|chemspidercite|ebicite|stdinchicite|"
     r"sfn|harv|efn|refn|rp$|r$|ref$|ref label|note label|notetag|notefoot|note$|fn$|fnb$|nom$|"
     r"wayback|webarchive|webcite|dead link|deadlink|失效|citation needed|fact$|来源请求|來源請求|"
     r"pdflink|isbn$|doi$|usbill|onesource|open access|linktext)",
     "footnotes and citations: a superscript mark or an entry of the reference list"),
    ("reference-list",
     r"^(?:reflist|references|refbegin|refend|refs$|notelist|參考|参考|脚注|腳註)",
     "the reference list itself; its entries are citations"),
    ("maintenance",
     r"小作品$|stub$|^(?:expand|擴充|扩充|unreferenced|refimprove|multiple issues|primarysources|"
     r"blpsources|expert|copyedit|清理|cleanup|orphan|孤立|notability|关注度|關注度|update|"
     r"请求翻译|請求翻譯|translation|rough translation|advert|pov|wikify|current|"
     r"disambig|消歧义|消歧義|dab$|short description|pagenamebase|pagename$|defaultsort|displaytitle|"
     r"clarify|which$|when$|who$|vague|huh|需要解释|"
     r"expand language)",
     "maintenance banners, stub notices, disambiguation markers and page metadata"),
    ("hatnote",
     r"^(?:main|main list|see also|seealso|further|details|about|otheruses|other uses|for$|"
     r"distinguish|redirect|主条目|主條目|另见|另見|參見|参见|相关条目)",
     "hatnotes above a section: navigation between pages"),
    ("navbox",
     r"navbox|導航|导航|^s-|succession box|start box|end box|start rail box|adjacent stations|"
     r"portal|bar$|nav$|行政区划$|行政區劃$|^prc admin/",
     "navigation boxes and succession boxes: lists of related pages below the text"),
    ("authority",
     r"^(?:authority control|權威控制|权威控制|taxonbar|persondata|normdaten|coord|"
     r"geographic location)",
     "authority control, coordinates and other machine data"),
    ("image",
     r"^(?:image|multiple image|wide image|location map|flagicon|flagdeco|increase|decrease|"
     r"steady|legend inline|composition bar|rint$|routemap|ahn-|goca$|sica$|brca$)|image label",
     "images and image overlays: no words of the text ({{goca}}, {{sica}}, {{brca}}: medal icons)"),
    ("external-link",
     r"^(?:commons|commonscat|wikisource|wikiquote|wiktionary|wikibooks|wikinews|gutenberg|"
     r"official|official website|imdb|youtube|facebook|twitter|instagram|sinaweibo|douban|"
     r"soccerway|external media|internal link helper|translink)",
     "links to other sites and sister projects, shown in the links section"),
    ("layout",
     r"^(?:-|clear|clr|clear left|clear right|div col|divcol|div col end|col-|toc|"
     r"tocright|nowrap begin|nowrap end|end$|break|br$|nbsp$|\\.$|display none$|0$)",
     "layout helpers: columns, clearing floats, line breaks; hidden sort keys ({{Display none|01代/}}) "
     "and {{0}}, an invisible digit that aligns numbers"),
    ("language-icon",
     r"^[a-z]{2,3}(?:-[a-z]{2,4})?(?: icon)?$",
     "{{en}}, {{ja icon}} (a CLDR language code): the language of a cited source, '(英文)' after a reference"),
    ("parser-function",
     r"^#",
     "parser functions compute text from parameters we do not expand; counted so they show"),
))


def drop_class(key: str) -> str:
    """The class of a dropped template (citation, navbox, maintenance, image, …) or "unknown"."""
    for cls, rx, _why in DROPPED:
        if rx.search(key) and (cls != "language-icon" or language_label(key.removesuffix(" icon"))):
            return cls
    return "unknown"


def renderer_of(raw_name: str) -> Callable[[Args], list] | None:
    """How a template renders. A name in capitals is a country-data template first: MediaWiki
    names differ by case after the first letter, so {{JPN}} is Japan and {{jpn|j=…}} Japanese.
    Country-data templates are written bare, so one given positional parameters whose name is
    also on the allow-list is that template ({{BD|1900年|…}}: a lifespan, not Bangladesh)."""
    name = normalise_name(raw_name)
    if name.isupper() and country_template(raw_name):
        country, other = country_template(raw_name), renderer_for(name.lower())
        if other:  # {{BD|?||1653年}} is zhwiki's lifespan template, {{BD}} alone Bangladesh's flag
            return lambda a: other(a) if a.positional else country(a)
        return country
    return renderer_for(name.lower()) or country_template(raw_name)


def classify(raw_name: str, own_line_fields: Callable[[], int] = lambda: 0) -> tuple[str, str]:
    """What one template is, the one place that decides it (the renderer and the fidelity
    report both ask): ("read", "noteta"|"displaytitle") for templates the reader reads into
    fields, ("infobox", "") for infoboxes, ("rendered", "") for the allow-list and
    country-data templates, else ("dropped", class). `own_line_fields` counts the named
    parameters that start a line (the shape of an infobox with a name we do not know)."""
    key = key_of(raw_name)
    if key in ("noteta", "displaytitle"):
        return "read", key
    if is_infobox(key) or (may_be_infobox(key) and own_line_fields() >= INFOBOX_MIN_FIELDS):
        return "infobox", ""
    if renderer_of(raw_name):
        return "rendered", ""
    return "dropped", drop_class(key)
