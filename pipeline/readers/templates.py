"""Which wikitext templates show text, and what text: the allow-list of the wikitext reader.

In: a template's name and its parameters (`Args`). Out: a list of parts, each literal text or a
`Param` to be rendered in place (so links inside it survive), or None when the template is not
on the list. The reader drops every template not listed here from the text and counts it in
`Document.dropped_templates`; infoboxes, {{noteTA}} and {{DISPLAYTITLE}} are read by the reader
itself into their own fields and are not counted.

Choices (MediaWiki would show more; we keep the words a reader would quote):
- `{{lang|en|Foo}}` and `{{lang-en|Foo}}` -> "Foo": the "英語：" label of lang-xx is boilerplate.
  Han text in a language other than Chinese is wrapped in `-{…}-`, as zhwiki's template does,
  so it is never script-converted (Japanese 楽譜 stays 楽譜).
- `{{tsl|en|Foreign|中文|顯示}}` -> the 4th param (the text shown), else the 3rd (the Chinese
  title), else the 2nd.
- `{{le|中文|English|顯示}}`, `{{link-xx|…}}` -> 3rd param if given, else the 1st; `{{ill|…}}`
  -> `lt=` if given, else the 1st (the Chinese title in every case).
- Table-cell status templates (`n/a`, `yes`, `no`, `partial`, …) -> their param, else the text
  zhwiki shows (N/A, 是, 否, 部分). In a cell they also expand to attributes on the wiki; the
  table reader keeps a span written before them (see `CELL_TEMPLATES`).
- `{{flag|China}}`, `{{flagcountry|…}}`, `{{flagu|…}}`, `{{esc|…}}` (Eurovision entries) -> `name=` if given, else the country's
  CLDR Chinese name (中国) when the 1st param is an English name or code, else the 1st param.
  Country-data templates named by IOC-style code (`{{CHI}}`, `{{PRC}}`, `{{HKG-CHN}}`) -> the
  CLDR Chinese name (智利). `{{flagicon}}`/`{{flagdeco}}` show only an image: dropped, counted.
- Dates (`start date`, `birth date and age`, …) -> "2002年2月13日"; `convert` -> "10 km"
  (a range "10–20 km"); `bd` -> "1900年1月1日—2000年1月1日".
- `ruby…` -> the base text (the annotation is a pronunciation gloss), so '''{{ruby-py|鄞|…}}州区'''
  still reads 鄞州区.
- Wrappers (`nowrap`, `center`, `small`, `color`, `font color`, `abbr`, `resize`, …) -> their text;
  `hlist`/`ubl` -> items joined with " · " as displayed; `collapsible list` -> its title, "：",
  then its items joined with " · "; `columns-list` -> its list; `{{!}}` -> "|".
- Quotations (`cquote`, `quote`, `quotation`, `blockquote`) -> the quoted text.
- `{{nbafy|1991}}` -> "1990–91" (a season), `{{nbay|1991}}` -> "1991"; `{{chem|H|2|O}}` -> "H2O".
- `{{地區用詞|cn=…|tw=…|…}}` -> `-{zh-cn:…;zh-tw:…}-` markup, resolved per variant by normalise.
Footnote and citation templates (`efn`, `sfn`, `refn`, `rp`, `cite …`, `citation needed`) and
maintenance, navbox and reference-list templates are simply not listed: dropped and counted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .. import countries
from ..convert import HAN

COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)  # also unclosed, to the end


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


def normalise_name(raw: str) -> str:
    """MediaWiki's spelling of a template name: comments and `Template:` removed, `_` = space,
    whitespace collapsed, first letter upper case; parser functions keep only their name
    (`{{#if:…}}` -> "#if", `{{DISPLAYTITLE:x}}` -> "DISPLAYTITLE")."""
    name = " ".join(COMMENT.sub("", raw).replace("_", " ").split())
    if ":" in name:
        head, _, _rest = name.partition(":")
        if head.lower() in ("template", "模板", "t"):
            name = _rest.strip()
        elif head.startswith("#") or head.isupper() or head.lower() in ("subst", "safesubst", "msgnw"):
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


_RANGE = {"to", "-", "–", "and", "or", "~", "x", "by", "+/-", "to(-)"}


def _convert(a: Args) -> list:
    value, second = a.text(1), a.text(2)
    if second in _RANGE and a.has(3):
        return [f"{value}–{a.text(3)} {a.text(4)}".strip()]
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
    return [p]


_COUNTRY_DATA = re.compile(r"^[A-Z]{3,4}(?:-[A-Z]{2,4})?$")  # CHI, HKG-CHN, DPRK-PRK, ROC-TW


def country_template(raw_name: str) -> Callable[[Args], list] | None:
    """zhwiki's country-data templates show a flag and the country's name. Named by a code
    ({{CHI}}, {{PRC}}, {{HKG-CHN}}, {{US}}) they render as the CLDR Chinese name; named by the
    country ({{奥地利}}, {{斯洛伐克}}) as that name."""
    name = normalise_name(raw_name)
    if _COUNTRY_DATA.match(name):
        iso = countries.ioc_to_iso(name) or countries.ioc_to_iso(name.split("-")[0])
    elif len(name) == 2 and name.isupper() and name in countries.iso_codes():
        iso = name
    elif countries.is_country_name(name):
        return lambda a: [name]
    else:
        return None
    return (lambda a: [countries.zh_name(iso)]) if iso else None


def _flag_ioc(a: Args) -> list:
    """{{flagIOC|USA|1896年夏季|11}}: the country, and a medal count in brackets if given."""
    iso = countries.ioc_to_iso(a.text(1))
    if not iso:
        return [Param("1")] if a.has(1) else []
    return [countries.zh_name(iso)] + ([f" ({a.text(3)})"] if a.has(3) else [])


_CHINESE_CODES = ("zh", "lzh", "yue", "wuu", "gan", "hak", "nan", "cdo")


_HAN = re.compile(f"[{HAN}]")


def _in_language(code: str, part: Param, text: str) -> list:
    """Han text in another language (Japanese, Korean hanja, Vietnamese chữ Hán) is shown as
    written, never script-converted, as zhwiki's {{lang}} does by wrapping it in -{…}-
    ({{lang|ja|天皇陛下ヲ祝スル楽譜}} keeps 楽譜). Chinese text (zh, zh-hant, yue, lzh …) is
    converted like the page; text without Han characters has nothing to convert."""
    if code.lower().startswith(_CHINESE_CODES) or not _HAN.search(text):
        return [part]
    return ["-{", part, "}-"]


def _lang(a: Args) -> list:
    return _in_language(a.text(1), Param("2"), a.text(2)) if a.present(2) else []


# Status templates of comparison tables: the text zhwiki shows when no parameter is given.
CELL_TEMPLATES = {
    "n/a": "N/A", "na": "N/A", "yes": "是", "no": "否", "partial": "部分", "yes2": "",
    "no2": "", "dunno": "?", "unknown": "未知",
}

RENDER: dict[str, Callable[[Args], list]] = {
    **{k: _param_or(1, v) for k, v in CELL_TEMPLATES.items()},
    "lang": _lang,
    "flagioc": _flag_ioc, "flagiocteam": _flag_ioc,
    "tsl": lambda a: [a.first(4, 3, 2)] if a.first(4, 3, 2) else [],
    "le": _link_xx,
    "ill": _ill,
    "nowrap": _param(1), "nobr": _param(1), "center": _param(1), "small": _param(1),
    "big": _param(1), "larger": _param(1), "smaller": _param(1), "sup": _param(1),
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
        return lambda a: _in_language(key[5:], Param("1"), a.text(1)) if a.present(1) else []
    for prefix, fn in PREFIXES:
        if key.startswith(prefix):
            return fn
    return None


_INFOBOX_NAMES = {"geobox", "taxobox", "automatic taxobox", "speciesbox"}
# Templates with many named parameters that are not infoboxes: citations and navigation boxes.
_NOT_INFOBOX = re.compile(r"^(?:cite|citation|vcite|chú thích|引用)|navbox|sidebar|image|map|census|"
                         r"导航|導航|/", re.I)
INFOBOX_MIN_FIELDS = 4


def is_infobox(key: str) -> bool:
    """Infobox-like templates by name, whose named parameters become InfoboxField rows:
    Infobox …, … infobox, 信息框, Chembox and its Section templates."""
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
     r"disambig|消歧义|消歧義|dab$|short description|pagenamebase|defaultsort|displaytitle|"
     r"expand language)",
     "maintenance banners, stub notices, disambiguation markers and page metadata"),
    ("hatnote",
     r"^(?:main|main list|see also|seealso|further|details|about|otheruses|other uses|for$|"
     r"distinguish|redirect|主条目|主條目|另见|另見|參見|参见|相关条目)",
     "hatnotes above a section: navigation between pages"),
    ("navbox",
     r"navbox|導航|导航|^s-|succession box|start box|end box|start rail box|adjacent stations|"
     r"portal|bar$|行政区划$|行政區劃$|^prc admin/",
     "navigation boxes and succession boxes: lists of related pages below the text"),
    ("authority",
     r"^(?:authority control|權威控制|权威控制|taxonbar|persondata|normdaten|coord|"
     r"geographic location)",
     "authority control, coordinates and other machine data"),
    ("image",
     r"^(?:image|multiple image|wide image|location map|flagicon|flagdeco|increase|decrease|"
     r"steady|color box|legend inline|composition bar)|image label",
     "images and image overlays: no words of the text"),
    ("external-link",
     r"^(?:commons|commonscat|wikisource|wikiquote|wiktionary|wikibooks|wikinews|gutenberg|"
     r"official|official website|imdb|youtube|facebook|twitter|instagram|sinaweibo|douban|"
     r"soccerway|external media|internal link helper|translink)",
     "links to other sites and sister projects, shown in the links section"),
    ("layout",
     r"^(?:-|clear|clr|clear left|clear right|div col|divcol|div col end|col-|columns|toc|"
     r"tocright|nowrap begin|nowrap end|end$|break|br$|nbsp$|\\.$)",
     "layout helpers: columns, clearing floats, line breaks"),
    ("parser-function",
     r"^#",
     "parser functions compute text from parameters we do not expand; counted so they show"),
))


def drop_class(key: str) -> str:
    """The class of a dropped template (citation, navbox, maintenance, image, …) or "unknown"."""
    for cls, rx, _why in DROPPED:
        if rx.search(key):
            return cls
    return "unknown"


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
    if renderer_for(key) or country_template(raw_name):
        return "rendered", ""
    return "dropped", drop_class(key)
