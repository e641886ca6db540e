"""Country names and codes -> ISO 3166-1 alpha-2, from maintained data.

In: a country name as a page writes it (Simplified or Traditional, e.g. 韩国, 南韓, 紐西蘭), with
its link target if it has one; a zhwiki country-data template code (`PRC`, `{{BOL}}`); or the
English name a `{{flag|Russia}}` template takes.
Out: a two-letter ISO 3166-1 code such as 'KR', or None.

Where the names come from:
- Chinese: CLDR territory names as Babel ships them (zh, zh_Hant, zh_Hant_HK, zh_Hant_MO,
  zh_Hans_SG), each folded to Simplified with OpenCC t2s, so 南韓 (CLDR zh_Hant) finds KR.
  Babel drops CLDR's short and variant names (香港 for HK, 刚果民主共和国 for CD), so the few
  the pages use are in `ZH_ALIASES` below, each with its reason.
- IOC codes and English names: the data file country_converter (coco) ships. We read the file,
  not coco's API: `coco.CountryConverter()` 1.3.2 fails under pandas 3 (Namibia's 'NA' is read
  as missing and its regex table then raises TypeError).
- Which codes are real ISO 3166-1: coco's ISO2 column, current entries only. That leaves out
  CLDR's EU, EZ, UN, QO, XA, XB, ZZ, numeric regions (001, 419) and the "exceptionally
  reserved" AC, CP, DG, EA, IC, TA. Kosovo's XK is also left out: it is a user-assigned code,
  not part of ISO 3166-1, so 科索沃 gives None rather than a code no ISO table has.

What gives None, on purpose (never a wrong code):
- names that are not countries (a person, 欧盟, 东盟六国): no CLDR entry;
- ambiguous names: 多米尼加 (DO 多米尼加共和国 or DM 多米尼克), 刚果 — unless the link target
  decides: `iso_code('多米尼加', '多米尼加共和国')` is 'DO';
- a name and a link target that resolve to different codes;
- 中华民国 as a name: it can mean the state of 1912–1949 as well as Taiwan today. (The
  template `{{ROC}}` is the Taiwan flag template, so `ioc_to_iso('ROC')` is 'TW'.)
- English names that only partly match a country (`Georgia (U.S. state)`, `Brazilian Empire`).
"""

from __future__ import annotations

import csv
import importlib.util
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import opencc
from babel import Locale

_LOCALES = ("zh", "zh_Hant", "zh_Hant_HK", "zh_Hant_MO", "zh_Hans_SG")

# Names the pages use that CLDR (as Babel ships it) lacks. Keys in Simplified: lookups fold to
# Simplified first, so 中華台北 and 澳門 find these too. A test checks none is already in CLDR.
ZH_ALIASES = {
    # CLDR's alt="short" names, dropped by Babel
    "香港": "HK",
    "澳门": "MO",
    "巴勒斯坦": "PS",
    # CLDR's alt="variant" names, dropped by Babel
    "刚果民主共和国": "CD",
    "刚果共和国": "CG",
    # the names APEC and the Olympics use for their members (seed 002 is about APEC)
    "中华台北": "TW",
    "中国台北": "TW",
    "中国香港": "HK",
    "中国澳门": "MO",
    # official names, which are the zhwiki page titles and so the link targets
    "中华人民共和国": "CN",
    "大韩民国": "KR",
    "朝鲜民主主义人民共和国": "KP",
    # common short forms of long CLDR names
    "阿联酋": "AE",
    "沙特": "SA",
    "波黑": "BA",
}

# zhwiki country-data templates that are not IOC codes, or whose IOC code coco lacks.
IOC_ALIASES = {
    "PRC": "CN",  # {{PRC}}: People's Republic of China
    "ROC": "TW",  # {{ROC}}: the Republic of China flag template, used for Taiwan
    "ROK": "KR",
    "DPRK": "KP",
    "HKG-CHN": "HK",  # flag with "China" suffix, used for sports delegations
    "MAC-CHN": "MO",
    "MAC": "MO",  # Macau is not an IOC member, so coco has no IOC code for it
    "HKSAR": "HK",  # {{HKSAR}}: the Hong Kong SAR flag template (constituency infoboxes)
    "UK": "GB",
    "SIN": "SG",  # Singapore's IOC code until 2016, still the name of zhwiki's {{SIN}}
    "LIB": "LB",  # zhwiki's {{LIB}} is Lebanon (the Asian Games medal tables); coco gives LBN
    "LEB": "LB",  # {{LEB}}, another Lebanon flag template (Miss Universe 1971, Georgina Rizk)
    "SPA": "ES",  # {{SPA}}: Spain by an old code (Miss Universe 1974, Amparo Muñoz)
}

# FIFA's codes of the United Kingdom's home nations, which play apart (football, rugby): coco gives
# the UK's FIFA code as ENG, but {{ENG}} is England (英格兰), not the UK; none has an ISO code.
HOME_NATIONS = frozenset({"ENG", "SCO", "WAL", "NIR"})

# English names coco's regexes map to a country although no ISO 3166-1 code covers them.
_ENGLISH_NOT_ISO = frozenset({"england"})
# CLDR's English alt="variant" names, dropped by Babel; coco's regex matches only part of them.
EN_ALIASES = {"ivory coast": "CI"}


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s.json")


def _key(name: str) -> str:
    # NFKC: full-width parentheses and digits; no spaces: '中华 台北' and link titles alike
    return _t2s().convert(re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)))


@lru_cache(maxsize=1)
def _coco_rows() -> tuple[dict[str, str], ...]:
    # find_spec locates the package without importing it (its __init__ pulls in pandas)
    spec = importlib.util.find_spec("country_converter")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("country_converter is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "country_data.tsv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = []
        for row in csv.DictReader(f, delimiter="\t"):
            if row["obsolete"]:
                continue
            # a few ISO2 cells are regexes ('^GB$|^UK$'): the first alternative is the code
            row["ISO2"] = re.sub(r"[^A-Z]", "", row["ISO2"].split("|")[0])
            rows.append(row)
    return tuple(rows)


@lru_cache(maxsize=1)
def iso_codes() -> frozenset[str]:
    """The ISO 3166-1 alpha-2 codes this module will return."""
    return frozenset(r["ISO2"] for r in _coco_rows() if len(r["ISO2"]) == 2) - {"XK"}


def _unique(pairs) -> dict[str, str]:
    """name -> code, leaving out names that lead to two codes."""
    seen: dict[str, set[str]] = {}
    for name, code in pairs:
        seen.setdefault(name, set()).add(code)
    return {name: codes.pop() for name, codes in seen.items() if len(codes) == 1}


@lru_cache(maxsize=1)
def cldr_index() -> dict[str, str]:
    """Simplified-folded CLDR name -> code, over the Chinese locales in _LOCALES."""
    codes = iso_codes()
    return _unique(
        (_key(name), code)
        for loc in _LOCALES
        for code, name in Locale.parse(loc).territories.items()
        if code in codes
    )


@lru_cache(maxsize=1)
def _zh_index() -> dict[str, str]:
    index = dict(cldr_index())
    for name, code in ZH_ALIASES.items():
        index.setdefault(_key(name), code)
    return index


def is_country_name(name: str) -> bool:
    """The whole string is a country's name (刚果（金） is; 泰国（创始国） is not)."""
    return bool(name) and _key(name) in _zh_index()


def _lookup(name: str | None) -> str | None:
    if not name or not name.strip():
        return None
    index = _zh_index()
    key = _key(name.replace("_", " "))
    if key in index:
        return index[key]
    # '智利（创始成员）', '格鲁吉亚 (国家)': the note is not part of the name. Tried second
    # because some names have brackets of their own (刚果（布）).
    bare = re.sub(r"\([^()]*\)$", "", key)
    if bare and bare != key and bare in index:
        return index[bare]
    return _qualified(bare or key, index)


# Official long forms and region-qualified names, tried after the exact name: the part left when
# the form is taken away must itself be a name we know (哥斯达黎加共和国 -> 哥斯达黎加, 俄罗斯联邦 ->
# 俄罗斯, 中国香港 -> 香港, 香港特别行政区 -> 香港), so 中国 never becomes 中.
OFFICIAL_SUFFIXES = ("民主共和国", "人民共和国", "联邦共和国", "共和国", "联邦", "王国", "大公国", "公国",
                     "合众国", "特别行政区", "地区", "国")
REGION_PREFIXES = ("中国", "中华", "英属", "法属", "美属", "荷属")


def _qualified(key: str, index: dict[str, str]) -> str | None:
    for suffix in OFFICIAL_SUFFIXES:
        stem = key.removesuffix(suffix)
        if stem != key and len(stem) >= 2 and stem in index:
            return index[stem]
    for prefix in REGION_PREFIXES:
        rest = key.removeprefix(prefix)
        if rest != key and len(rest) >= 2 and rest in index:
            return index[rest]
    return None


def iso_code(name: str, link_target: str | None = None) -> str | None:
    """ISO 3166-1 alpha-2 code of a Chinese country name, or None.

    The name is tried first, then the link target (a page title). When both give a code and
    the codes differ, the cell contradicts itself and the answer is None.
    """
    by_name = _lookup(name)
    by_link = _lookup(link_target)
    if by_name and by_link and by_name != by_link:
        return None
    return by_name or by_link


@lru_cache(maxsize=1)
def _ioc_index() -> dict[str, str]:
    """Three-letter code -> ISO alpha-2. zhwiki's country-data templates are named by ISO
    3166-1 alpha-3 ({{PHL}}, {{VNM}}), IOC ({{CHI}}, {{GER}}) or FIFA codes; where two schemes
    give one code to different countries (BRN: ISO Brunei, IOC Bahrain) ISO wins, as the
    templates do."""
    codes = iso_codes()
    index: dict[str, str] = {}
    for scheme in ("ISO3", "IOC", "FIFA"):
        pairs = _unique((r[scheme], r["ISO2"]) for r in _coco_rows() if r[scheme] and r["ISO2"] in codes)
        index.update((k, v) for k, v in pairs.items() if k not in index and k not in HOME_NATIONS)
    index.update(IOC_ALIASES)
    return index


@lru_cache(maxsize=1)
def _olympic_index() -> dict[str, str]:
    """IOC code -> ISO alpha-2, IOC first: {{flagIOC|BRN}} is Bahrain (IOC), where the
    country-data template {{BRN}} is Brunei (ISO alpha-3)."""
    codes = iso_codes()
    pairs = _unique((r["IOC"], r["ISO2"]) for r in _coco_rows() if r["IOC"] and r["ISO2"] in codes)
    return {**_ioc_index(), **pairs}


def olympic_to_iso(code: str) -> str | None:
    """ISO code for an IOC code as {{flagIOC}} and {{flagIOCathlete}} take it, or None."""
    return _olympic_index().get(code.strip().upper())


def ioc_to_iso(code: str) -> str | None:
    """ISO code for a country-data template code ('CHI', 'PHL', '{{PRC}}'), or None."""
    code = code.strip().removeprefix("{{").removesuffix("}}").strip().upper()
    return _ioc_index().get(code)


def _english_key(name: str) -> str:
    # 'São Tomé & Príncipe' and 'Sao Tome and Principe' are one name; so are 'The Bahamas'
    # and 'Bahamas'
    name = unicodedata.normalize("NFKD", name)
    name = "".join(ch for ch in name if not unicodedata.combining(ch))
    name = name.replace("’", "'").replace("_", " ").replace("&", " and ")
    name = re.sub(r"\s+", " ", name).strip().casefold()
    return name.removeprefix("the ")


@lru_cache(maxsize=1)
def _english_index() -> tuple[dict[str, str], tuple[tuple[re.Pattern, str], ...]]:
    codes = iso_codes()
    rows = [r for r in _coco_rows() if r["ISO2"] in codes]
    names = [(r[col], r["ISO2"]) for r in rows for col in ("name_short", "name_official")]
    names += [
        (name, code) for code, name in Locale.parse("en").territories.items() if code in codes
    ]
    exact = _unique((_english_key(n), c) for n, c in names if n)
    exact.update(EN_ALIASES)
    regexes = tuple((re.compile(r["regex"], re.IGNORECASE), r["ISO2"]) for r in rows)
    return exact, regexes


def english_to_iso(name: str) -> str | None:
    """ISO code for an English country name as `{{flag|…}}` takes it ('Russia'), or None.

    Exact names (coco's short and official names, CLDR's English names) first; then coco's
    regexes, accepted only when exactly one country matches and its match covers the whole
    name, so 'Brazilian Empire' or 'Mexico national football team' are not Brazil or Mexico.
    """
    key = _english_key(name)
    if not key or key in _ENGLISH_NOT_ISO or "(" in key:
        return None
    exact, regexes = _english_index()
    if key in exact:
        return exact[key]
    hits = set()
    for pattern, code in regexes:
        m = pattern.search(key)
        if m and m.span() == (0, len(key)):
            hits.add(code)
        elif m:
            return None  # part of the name is a country: a team, a state, a former empire
    return hits.pop() if len(hits) == 1 else None


def zh_name(iso: str) -> str:
    """CLDR Simplified Chinese name of an ISO code ('KR' -> '韩国'); KeyError if not ISO."""
    if iso not in iso_codes():
        raise KeyError(iso)
    return Locale.parse("zh").territories[iso]
