"""Script conversion: MediaWiki language-converter markup, page rules, then OpenCC.

In: a string that may hold `-{…}-` markup, the page's rules, a target variant.
Out: the string in the target variant (`to_variant`) or in the author's own branch
(`to_original`). Nothing else is dropped; `-{H|…}-`, `-{T|…}-` and `-{-|…}-` show no text
on the page in MediaWiki either, so they show none here (their rules are read by the parser).

The order matters and mirrors MediaWiki: markup chooses a branch, page rules (noteTA, `A`/`H`
flags) replace their phrases, and only the remaining text goes through OpenCC, so OpenCC never
re-converts what a rule or a branch chose.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import opencc

from .model import ConversionRule
from .rows import frozen

# The OpenCC config for each target: script and regional character forms, not vocabulary.
# OpenCC's phrase configs (s2twp, tw2sp) also swap words from an IT-centred dictionary, and on
# real prose they rewrite far more than MediaWiki's own variants do: 布爾戈斯 -> 布林戈斯,
# 聲明 -> 宣告, 文件 -> 檔案, 支持 -> 支援, 擴展 -> 擴充套件 (34 such words on 15 real pages).
# Vocabulary a page wants comes from its own rules ({{noteTA}}, -{…}-), as on the wiki.
OPENCC_CONFIG = {
    "zh-hans": "t2s.json",
    "zh-cn": "tw2s.json",  # also reads Taiwan character forms (裡) back
    "zh-hant": "s2t.json",
    "zh-tw": "s2tw.json",
    "zh-hk": "s2hk.json",
}
VARIANTS = tuple(OPENCC_CONFIG)
# The s2* configs read every character as Simplified, so on text already in Traditional they
# rewrite the characters both scripts share: 里 (公里; 峇里島, 歐幾里得) becomes 裡, as the
# Simplified form of 裡 would. For such text only the regional forms change (t2tw, t2hk);
# zh-hant leaves it as written.
FROM_TRADITIONAL = {"zh-hant": None, "zh-tw": "t2tw.json", "zh-hk": "t2hk.json"}

# Which branch of -{zh-hans:…;zh-hant:…}- to show when the target has none of its own:
# MediaWiki's fallback chains.
FALLBACK = {
    "zh-hans": ("zh-hans", "zh-cn", "zh-sg", "zh-my", "zh"),
    "zh-cn": ("zh-cn", "zh-hans", "zh-sg", "zh-my", "zh"),
    "zh-hant": ("zh-hant", "zh-tw", "zh-hk", "zh-mo", "zh"),
    "zh-tw": ("zh-tw", "zh-hant", "zh-hk", "zh-mo", "zh"),
    "zh-hk": ("zh-hk", "zh-hant", "zh-mo", "zh-tw", "zh"),
}

_BRANCH = re.compile(r"(?:^|;)\s*(zh(?:-[a-z]{2,4})?)\s*:", re.I)
_FLAGS = re.compile(r"^\s*([A-Za-z\-;\s]{1,20}?)\s*\|")


@lru_cache(maxsize=None)
def converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


# Code (<code>, <pre>, <source>, <syntaxhighlight>) is not prose: never script-converted, its
# ASCII punctuation kept. The reader wraps it as -{R|…}- (raw: no conversion, as MediaWiki's R
# flag) with these marks inside, which normalise uses to leave its punctuation alone and then
# removes.
CODE_START, CODE_END = "\ue020", "\ue021"
_CODE_MARKS = str.maketrans("", "", CODE_START + CODE_END)


def protect_code(text: str, placed: str | None = None) -> str:
    """`placed` (default `text`) wrapped as code; the reader passes it masked (wikirender)."""
    marked = CODE_START + (text if placed is None else placed) + CODE_END
    # code holding -{ or }- would end the span early: then only the punctuation is kept
    return marked if "-{" in text or "}-" in text else "-{R|" + marked + "}-"


def unmark_code(text: str) -> str:
    return text.translate(_CODE_MARKS) if CODE_START in text else text


HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"  # Han characters, as a class body
_HAN = re.compile(f"[{HAN}]")


def is_han(ch: str) -> bool:
    return bool(_HAN.match(ch))


# 里 is both a Simplified form (of 裡) and a Traditional character that Traditional text uses all
# the time (公里, 萬里, 鄰里, and names: 峇里島, 歐幾里得, 道格·里弗斯), and s2t's phrases protect
# it only next to Simplified characters (万里 -> 萬里, but 萬里 -> 萬裡). Other such characters
# (于 后 并 几 干) are, on real zhwiki pages, mostly Simplified words typed into Traditional text
# (二戰后, 于是, 并且), so they stay Simplified-only and are converted.
_SHARED = "里"


def _char_class(ch: str) -> str:  # cached by CLASSES, its one caller
    """"1": a Traditional form (t2s changes it). "2": Simplified only (s2t changes it, and
    OpenCC does not know it as a Taiwan or Hong Kong form, like 台 or 着). "3": Simplified,
    and also a Traditional character of its own (`_SHARED`). "0": both or neither. "-": not Han."""
    if not is_han(ch):
        return "-"
    if converter("t2s.json").convert(ch) != ch:
        return "1"
    if converter("s2t.json").convert(ch) != ch and converter("tw2t.json").convert(ch) == ch \
            and converter("hk2t.json").convert(ch) == ch:
        return "3" if ch in _SHARED else "2"
    return "0"


class _Classes(dict):
    """A `str.translate` table from each character to its `_char_class`, so a text's classes
    line up with its characters. Filled in as characters are first seen."""

    def __missing__(self, code: int) -> str:
        self[code] = _char_class(chr(code))
        return self[code]


CLASSES = _Classes()
# The same classes by code point (0: not yet looked up; else the class character's code), so a
# long text is counted in a few numpy passes instead of a dictionary look-up per character.
_CLASS_CODES = np.zeros(0x110000, dtype=np.uint8)
_NUMPY_FROM = 200  # characters; below, `str.translate` is the quicker


def class_counts(text: str) -> tuple[int, int, int]:
    """(Han characters, Traditional ones, Simplified ones) of `text`, as counted in
    `text.translate(CLASSES)`: the characters not "-", those "1", those "2" or "3"."""
    if len(text) < _NUMPY_FROM:
        classes = text.translate(CLASSES)
        return len(classes) - classes.count("-"), classes.count("1"), classes.count("2") + classes.count("3")
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    found = _CLASS_CODES[codes]
    if not found.all():
        for code in np.unique(codes[found == 0]).tolist():
            _CLASS_CODES[code] = ord(CLASSES[code])
        found = _CLASS_CODES[codes]
    counts = np.bincount(found, minlength=ord("3") + 1)
    return (len(codes) - int(counts[ord("-")]), int(counts[ord("1")]),
            int(counts[ord("2")] + counts[ord("3")]))
# A shared character next to a Traditional-only one belongs to a Traditional word written into
# Simplified text (峇里島 in 在峇里島举行, 歐幾里得 beside 给出): it is not converted.
_KEEP = re.compile(r"(?<=1)3+|3+(?=1)")


def opencc_convert(text: str, variant: str, source: str = "zh-hans") -> str:
    if not text:
        return text
    converted = _opencc(text, variant, source)
    names = regional_names(variant)
    return converted if names is None else names[0].sub(lambda m: names[1][m.group()], converted)


def _opencc(text: str, variant: str, source: str) -> str:
    """OpenCC for `variant`; `source` is the page's own variant. For a Traditional target, text
    with no Simplified-only character is already Traditional when it has a Traditional-only one
    or the page is Traditional (道格·里弗斯, a list item of a Traditional page, has neither)."""
    convert = converter(OPENCC_CONFIG[variant]).convert
    if variant not in FROM_TRADITIONAL:
        return convert(text)
    config = FROM_TRADITIONAL[variant]
    as_written = converter(config).convert if config else str
    classes = text.translate(CLASSES)
    if "2" not in classes and ("1" in classes or source == "zh-hant"):
        return as_written(text)
    out, pos = [], 0
    for m in _KEEP.finditer(classes):
        out += [convert(text[pos:m.start()]), as_written(text[m.start():m.end()])]
        pos = m.end()
    return "".join(out) + convert(text[pos:])


# Country names that are words or other places as well: 黑山 (also a county), 朝鮮 (朝鮮半島),
# 韓國 (韓國語), 突尼斯 (also the capital), 臺灣 (the official spelling; CLDR has 台灣).
_NOT_RENAMED = frozenset({"ME", "KP", "KR", "TN", "TW"})
REGIONAL_LOCALES = {"zh-tw": "zh_Hant_TW", "zh-hk": "zh_Hant_HK"}


@lru_cache(maxsize=None)
def regional_names(variant: str) -> tuple[re.Pattern, dict[str, str]] | None:
    """zh-tw and zh-hk name countries differently (新西蘭 -> 紐西蘭, 意大利 -> 義大利): CLDR's
    regional names, from the mainland name as the variant's OpenCC config writes it. Every
    country's name is in the pattern, renamed or not, longest first, so 法屬圭亞那 stays whole
    rather than having its 圭亞那 renamed. None for the other variants. The same names serve
    text read as Traditional (`FROM_TRADITIONAL`): t2tw/t2hk of the s2t name is, for every
    CLDR name, what s2tw/s2hk makes of it (新西蘭 -> 紐西蘭 on a Traditional page too)."""
    if variant not in REGIONAL_LOCALES:
        return None
    from babel import Locale

    mainland = Locale.parse("zh").territories
    regional = Locale.parse(REGIONAL_LOCALES[variant]).territories
    to_variant = converter(OPENCC_CONFIG[variant]).convert
    mapping: dict[str, str] = {}
    for code, name in mainland.items():
        if len(code) == 2 and code.isalpha() and code in regional and len(name) > 1:
            source = to_variant(name)
            target = source if code in _NOT_RENAMED else regional[code]
            mapping[source] = target if mapping.get(source, target) == target else source
    pattern = re.compile("|".join(map(re.escape, sorted(mapping, key=lambda k: (-len(k), k)))))
    return pattern, mapping


@frozen
class Markup:
    """One parsed -{…}- span."""

    flags: str  # upper-cased flag letters, "" for none
    branches: tuple[tuple[str, str], ...]  # (variant, text); empty when `plain` is used
    plain: str  # the body when it has no variant branches

    def shown(self) -> bool:
        return not ({"H", "T", "-"} & set(self.flags))

    def branch(self, variant: str) -> str | None:
        """The text for `variant` by MediaWiki's fallback, None if the markup has no branches."""
        if not self.branches:
            return None
        found = dict(self.branches)
        for v in FALLBACK.get(variant, (variant,)):
            if v in found:
                return found[v]
        return self.branches[0][1]


def parse_markup(body: str) -> Markup:
    flags = ""
    m = _FLAGS.match(body)
    if m and ":" not in m.group(1):
        flags = "".join(c for c in m.group(1).upper() if c.isalpha() or c == "-")
        body = body[m.end():]
    if "R" in flags or not _BRANCH.match(body):
        return Markup(flags, (), body)
    starts = list(_BRANCH.finditer(body))
    branches = []
    for i, s in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(body)
        branches.append((s.group(1).lower(), body[s.end():end].strip().rstrip(";").strip()))
    return Markup(flags, tuple(branches), "")


_BRACES = re.compile(r"-\{|\}-")


def markup_end(text: str, start: int, limit: int | None = None) -> int:
    """Index just past the `}-` that closes the `-{` at `start` (nesting counted), or -1."""
    depth = 0
    for m in _BRACES.finditer(text, start, len(text) if limit is None else limit):
        if m.group() == "-{":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return m.end()
    return -1


def split_markup(text: str) -> list[str | Markup]:
    """Plain strings and Markup spans in order. Unclosed `-{` stays literal text."""
    out: list[str | Markup] = []
    pos = 0
    while True:
        start = text.find("-{", pos)
        if start < 0:
            break
        end = markup_end(text, start)
        if end < 0:
            break
        if start > pos:
            out.append(text[pos:start])
        # Nested markup inside a branch is rare; its inner braces are kept flattened.
        out.append(parse_markup(text[start + 2:end - 2].replace("-{", "").replace("}-", "")))
        pos = end
    if pos < len(text):
        out.append(text[pos:])
    return out


def rules_from_markup(text: str) -> list[ConversionRule]:
    """Page-wide rules declared inline with -{A|…}- or -{H|…}-."""
    rules = []
    for part in split_markup(text):
        if isinstance(part, Markup) and part.branches and ({"A", "H"} & set(part.flags)):
            rules.append(ConversionRule(part.branches))
    return rules


@lru_cache(maxsize=4096)
def _rule_pattern(rules: tuple[ConversionRule, ...], variant: str):
    """One regex over every phrase any rule knows, longest first, mapped to its target form."""
    mapping: dict[str, str] = {}
    for rule in rules:
        target = Markup("", rule.variants, "").branch(variant)
        if not target:
            continue
        for _, phrase in rule.variants:
            if phrase and phrase not in mapping:
                mapping[phrase] = target
    if not mapping:
        return None, mapping
    alts = sorted(mapping, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, alts))), mapping


def to_variant(text: str, variant: str, rules: tuple[ConversionRule, ...] = (),
               source: str = "zh-hans") -> str:
    """The text as a reader of `variant` sees it on the wiki; `source` is the page's own
    variant (see `_opencc`)."""
    pattern, mapping = _rule_pattern(rules, variant)
    if pattern is None and "-{" not in text:  # most texts: no markup, no page rules
        return opencc_convert(text, variant, source)
    out = []
    for part in split_markup(text):
        if isinstance(part, Markup):
            if part.shown():
                chosen = part.branch(variant)
                out.append(part.plain if chosen is None else chosen)  # protected from OpenCC
            continue
        if pattern is None:
            out.append(opencc_convert(part, variant, source))
            continue
        pos = 0
        for m in pattern.finditer(part):
            out.append(opencc_convert(part[pos:m.start()], variant, source))
            out.append(mapping[m.group(0)])
            pos = m.end()
        out.append(opencc_convert(part[pos:], variant, source))
    return "".join(out)


def to_original(text: str, source_variant: str) -> str:
    """Markup resolved to the author's own branch; no conversion of anything else."""
    if "-{" not in text:
        return text
    out = []
    for part in split_markup(text):
        if isinstance(part, Markup):
            if part.shown():
                chosen = part.branch(source_variant)
                out.append(part.plain if chosen is None else chosen)
        else:
            out.append(part)
    return "".join(out)


def strip_markup(text: str) -> str:
    """Text with every -{…}- span removed (used to judge a page's own script)."""
    if "-{" not in text:
        return text
    return "".join(p for p in split_markup(text) if isinstance(p, str))
