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
from dataclasses import dataclass
from functools import lru_cache

import opencc

from .model import ConversionRule

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


def opencc_convert(text: str, variant: str) -> str:
    if not text:
        return text
    converted = converter(OPENCC_CONFIG[variant]).convert(text)
    names = regional_names(variant)
    return converted if names is None else names[0].sub(lambda m: names[1][m.group()], converted)


# Country names that are words or other places as well: 黑山 (also a county), 朝鮮 (朝鮮半島),
# 韓國 (韓國語), 突尼斯 (also the capital), 臺灣 (the official spelling; CLDR has 台灣).
_NOT_RENAMED = frozenset({"ME", "KP", "KR", "TN", "TW"})
REGIONAL_LOCALES = {"zh-tw": "zh_Hant_TW", "zh-hk": "zh_Hant_HK"}


@lru_cache(maxsize=None)
def regional_names(variant: str) -> tuple[re.Pattern, dict[str, str]] | None:
    """zh-tw and zh-hk name countries differently (新西蘭 -> 紐西蘭, 意大利 -> 義大利): CLDR's
    regional names, from the mainland name as the variant's OpenCC config writes it. Every
    country's name is in the pattern, renamed or not, longest first, so 法屬圭亞那 stays whole
    rather than having its 圭亞那 renamed. None for the other variants."""
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


@dataclass(frozen=True)
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


def to_variant(text: str, variant: str, rules: tuple[ConversionRule, ...] = ()) -> str:
    """The text as a reader of `variant` sees it on the wiki."""
    pattern, mapping = _rule_pattern(rules, variant)
    out = []
    for part in split_markup(text):
        if isinstance(part, Markup):
            if part.shown():
                chosen = part.branch(variant)
                out.append(part.plain if chosen is None else chosen)  # protected from OpenCC
            continue
        if pattern is None:
            out.append(opencc_convert(part, variant))
            continue
        pos = 0
        for m in pattern.finditer(part):
            out.append(opencc_convert(part[pos:m.start()], variant))
            out.append(mapping[m.group(0)])
            pos = m.end()
        out.append(opencc_convert(part[pos:], variant))
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
