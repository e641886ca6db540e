"""Normalise: a parsed Document in, the same Document with every `text` field filled out.

- `text`: target variant (default zh-hans), whitespace collapsed (and dropped next to full-width
  brackets and punctuation), ASCII `, : ; ( ) ! ?` next to
  Han characters turned full width (Chinese punctuation is full width; the ASCII forms in
  some sources are typing shortcuts, and mixed forms split tokens and dedup keys).
- `text_original`: the author's own script and punctuation, `-{…}-` resolved to the author's
  branch, whitespace collapsed. Nothing is translated.
- `script` per document: hans / hant / mixed / none, or ja for a Japanese page, whose `text` is
  its `text_original`: its kanji are not Chinese to convert (記事 is not 记事).
Nothing is dropped here: hidden converter markup (`-{H|…}-`) shows no text on the wiki either.
The string functions are idempotent: normalising a normalised text changes nothing (tested).
"""

from __future__ import annotations

import re
from functools import lru_cache

from .convert import (CODE_END, CODE_START, HAN, Markup, class_counts, is_han, strip_markup,
                      to_original, to_variant, unmark_code)
from .model import Cell, Document, Link, ListBlock, Paragraph, Table
from .rows import evolve

_WS = re.compile(r"\s+")
# Not next to ASCII punctuation: whether fullwidth_punct converts that depends on its neighbours,
# and removing the space would change them on a second pass. The space comes first and the
# lookbehinds look back over it (`(?<=X )` after it is `(?<=X)` before it): a pattern that starts
# with a literal is searched for that character, one starting with a lookbehind is tried at
# every position (seven times slower over a run's texts).
_PUNCT_SPACE = re.compile(r" (?:(?<![,:;!?()] )(?=[，。、；：！？）」』】》〉])|(?<=[（「『【《〈] )(?![,:;!?()])"
                          f"|(?<=[{HAN}] )(?=（))")  # 南市 （上海）; not Latin: G7 （…）
_BRACKET_SEPARATORS = re.compile(r"(?<=（)[；，、]+|[；，、]+(?=）)")
_EMPTY_BRACKETS = re.compile(r"（）")
_FULL = {",": "，", ":": "：", ";": "；", "!": "！", "?": "？", "(": "（", ")": "）"}
_ASCII_PUNCT = re.compile(r"[,:;!?()]")
_PUNCT_OR_CODE = re.compile(f"[,:;!?(){CODE_START}{CODE_END}]")


def collapse(text: str) -> str:
    """Whitespace runs as one space, none inside full-width brackets or before full-width
    punctuation: what is left there is the gap of removed markup (an image in `（[[File:…]]
    [[西班牙]]）`), since Chinese text puts no space next to them. Likewise separators left at
    the edge of full-width brackets, and brackets left empty, by templates that were dropped
    (`（{{IPAc-en|…}}；{{IPA-es|…}}；IBEX是…）` -> `（IBEX是…）`)."""
    if text.isprintable() and "  " not in text:
        # The only whitespace a printable text can hold is " " (every other \s character is a
        # separator or control, not printable: tested), so there is no run to collapse; the
        # check is a quarter of the regex's scan, and most texts pass it.
        text = text.strip()
    else:
        text = _WS.sub(" ", text).strip()
    if " " in text:
        text = _PUNCT_SPACE.sub("", text)
    if "（" in text:
        text = _EMPTY_BRACKETS.sub("", _BRACKET_SEPARATORS.sub("", text))
    return text


@lru_cache(maxsize=8192)  # a paragraph is classified for its document and again for its row
def _script_counts(text: str) -> tuple[int, int, int]:
    """(Han characters, Traditional ones, Simplified ones: the shared 里 counts as Simplified)."""
    return class_counts(text)


def script_of(*texts: str) -> str:
    """hans / hant / mixed / none of the texts together, by which characters OpenCC would change
    (one character at a time, cached: a text's script is a property of its characters, not of
    its phrases).

    `mixed` needs both kinds, the rarer at least a tenth of the commoner, so one one-to-many
    character (里, 于, 干) in a long Traditional text does not make it mixed.
    Han text with neither kind (中文) is valid Simplified and counts as `hans`.
    """
    han = trad = simp = 0
    for text in texts:
        h, t, s = _script_counts(text)
        han, trad, simp = han + h, trad + t, simp + s
    return _script(han, trad, simp)


def _script(han: int, trad: int, simp: int) -> str:
    if not han:
        return "none"
    if trad and simp and min(trad, simp) * 10 >= max(trad, simp):
        return "mixed"
    return "hant" if trad > simp else "hans"


def fullwidth_punct(text: str) -> str:
    """ASCII punctuation next to Han characters becomes full width; a `(` so converted takes its
    matching `)` along, so `(英語:APEC)` becomes `（英語：APEC）`."""
    if not _ASCII_PUNCT.search(text):
        return text
    chars = list(text)
    opened: list[bool] = []
    code = False
    for m in _PUNCT_OR_CODE.finditer(text):  # the characters the loop acts on, not every one
        i = m.start()
        c = chars[i]
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
            # `,` joins Han on either side; `:` `;` `!` `?` belong to the text before them
            # ("英語:APEC" yes, "Category:名" no).
            chars[i] = _FULL[c]
    return "".join(chars)


def _original(text: str, source_variant: str) -> str:
    return collapse(unmark_code(to_original(text, source_variant)))


def _target(text: str, variant: str, rules: tuple, source_variant: str) -> str:
    text = collapse(to_variant(text, variant, rules, source_variant))
    wide = fullwidth_punct(text)
    if CODE_START in wide:  # code marks go last: fullwidth_punct needed them
        return collapse(unmark_code(wide))
    return text if wide is text else collapse(wide)  # "A ,亞" -> "A ，亞" -> "A，亞"


# Link anchors, cell values and headings repeat a lot within and across pages (half of the
# short texts of the bench dump are repeats); the functions are pure, so their results are kept.
# Long texts (paragraphs) seldom repeat and would only push the short ones out.
SHORT = 120
_short_original = lru_cache(maxsize=1 << 16)(_original)
_short_target = lru_cache(maxsize=1 << 16)(_target)


@lru_cache(maxsize=1 << 15)  # links repeat across pages (a country, a year) about 2:1
def _link(anchor_original: str, target: str, kind: str, variant: str, rules: tuple,
          source_variant: str) -> Link:
    """A link normalised: its anchor as written and in the target variant. Cached by its
    fields rather than by the Link (a dataclass's __hash__ and __eq__ are Python calls), and
    its parsed `anchor` (None) is not one of them: normalising sets it."""
    n = Normaliser(variant, source_variant, rules)
    return Link(n.original(anchor_original), target, kind, n.target(anchor_original))


class Normaliser:
    """Holds the per-document settings so each text field is one call."""

    def __init__(self, variant: str, source_variant: str, rules):
        self.variant = variant
        self.source_variant = source_variant
        self.rules = rules if type(rules) is tuple else tuple(rules)

    def original(self, text: str) -> str:
        return (_short_original if len(text) <= SHORT else _original)(text, self.source_variant)

    def target(self, text: str) -> str:
        if self.source_variant == "ja":
            return self.original(text)
        return (_short_target if len(text) <= SHORT else _target)(text, self.variant, self.rules,
                                                                 self.source_variant)

    def link(self, link: Link) -> Link:
        return _link(link.anchor_original, link.target, link.kind, self.variant, self.rules,
                     self.source_variant)

    def links(self, links) -> tuple[Link, ...]:
        if not links:
            return ()
        variant, rules, source = self.variant, self.rules, self.source_variant
        return tuple([_link(x.anchor_original, x.target, x.kind, variant, rules, source) for x in links])

    def block(self, block):
        if isinstance(block, Paragraph):
            return evolve(block, text_original=self.original(block.text_original),
                           text=self.target(block.text_original), links=self.links(block.links))
        if isinstance(block, ListBlock):
            return evolve(block, items=tuple(
                evolve(it, text_original=self.original(it.text_original),
                        text=self.target(it.text_original), links=self.links(it.links))
                for it in block.items))
        if isinstance(block, Table):
            return evolve(
                block,
                caption_original=self.original(block.caption_original),
                caption=self.target(block.caption_original),
                columns_original=tuple(self.original(c) for c in block.columns_original),
                columns=tuple(self.target(c) for c in block.columns_original),
                rows=tuple(tuple(self.cell(c) for c in row) for row in block.rows),
                links=self.links(block.links),
            )
        raise TypeError(f"unknown block {type(block).__name__}")

    def cell(self, cell: Cell) -> Cell:
        return evolve(cell, text_original=self.original(cell.text_original),
                       text=self.target(cell.text_original), links=self.links(cell.links))


def source_variant_of(doc: Document) -> str:
    """The variant the author wrote in: "ja" for a Japanese page, else Traditional when the
    page's own text has more Traditional-only than Simplified characters."""
    texts, seen = [], 0
    for text in _texts(doc):
        texts.append(strip_markup(text))
        seen += len(text)
        if seen > 20000:  # the start of a page tells its script as well as the whole
            break
    text = "".join(texts)
    if is_japanese(text):
        return "ja"
    _, trad, simp = class_counts(text)
    return "zh-hant" if trad > simp else "zh-hans"


_HIRAGANA = re.compile(r"[\u3041-\u309f]")
_KANA = re.compile(r"[\u3041-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
# Chinese function words and Chinese forms Japanese does not write (it has 対 and 与, not 對 and
# 與): 1-9% of the Han characters of real zhwiki pages, next to none on Japanese ones.
_CHINESE_WORDS = re.compile(r"[的是這这們们說说她个嗎吗呢於于與對对沒没]")


def is_japanese(text: str) -> bool:
    """Japanese writes its grammar in hiragana, while Chinese pages about Japan quote names and
    titles, mostly in katakana, so the share of kana does not tell: the Chinese page G.G.佐藤
    is 19% kana but 3.9% hiragana; ja.wikipedia's 黄浦区, mostly tables of Chinese place names,
    is 7% kana, all hiragana. Japanese needs hiragana to be at least 5% of the Han and kana, and
    20 times the Chinese words: the Chinese page 村井良大, a list of Japanese titles, is 11%
    hiragana but has one Chinese word per 13 hiragana; 黄浦区 has one (是, in a place name) per 90.
    And 10 hiragana at least, so one quoted reading (さとう) does not make a short page Japanese."""
    hiragana = len(_HIRAGANA.findall(text))
    if hiragana < 10:
        return False
    han_kana = len(_KANA.findall(text)) + sum(map(is_han, text))
    return hiragana * 20 >= han_kana and hiragana >= 20 * len(_CHINESE_WORDS.findall(text))


def _texts(doc: Document):
    yield doc.title_original
    for b in doc.blocks:
        if isinstance(b, Paragraph):
            yield b.text_original
        elif isinstance(b, ListBlock):
            yield from (i.text_original for i in b.items)
        elif isinstance(b, Table):
            yield from (c.text_original for row in b.rows for c in row)


def _document_script(doc: Document) -> str:
    """`script_of(*_texts(doc))`. The counts of texts add up, so the title and the table cells
    (many short texts, not asked for again) are counted as one joined text; the paragraphs and
    list items one by one, through the cache their rows' `script` reads (extract)."""
    han, trad, simp = class_counts("".join(_cell_texts(doc)))
    for b in doc.blocks:
        if isinstance(b, Paragraph):
            h, t, s = _script_counts(b.text_original)
            han, trad, simp = han + h, trad + t, simp + s
        elif isinstance(b, ListBlock):
            for i in b.items:
                h, t, s = _script_counts(i.text_original)
                han, trad, simp = han + h, trad + t, simp + s
    return _script(han, trad, simp)


def _cell_texts(doc: Document):
    yield doc.title_original
    for b in doc.blocks:
        if isinstance(b, Table):
            yield from (c.text_original for row in b.rows for c in row)


def title_for(doc: Document, variant: str, source_variant: str, n: Normaliser) -> tuple[str, str]:
    """(title, title_original). noteTA's T= rule sets the title in the variants it names."""
    original = n.original(doc.title_original)
    if doc.title_rules and source_variant != "ja":
        chosen = Markup("", doc.title_rules, "").branch(variant)
        if chosen:
            return collapse(chosen), original
    return n.target(doc.title_original), original


def normalise_document(doc: Document, variant: str = "zh-hans") -> Document:
    src = source_variant_of(doc)
    n = Normaliser(variant, src, doc.rules)
    blocks = tuple(n.block(b) for b in doc.blocks)
    title, title_original = title_for(doc, variant, src, n)
    infobox = tuple(evolve(f, value_original=n.original(f.value_original),
                            value=n.target(f.value_original), links=n.links(f.links)) for f in doc.infobox)
    normalised = evolve(doc, blocks=blocks, title=title, title_original=title_original,
                         infobox=infobox, category_links=n.links(doc.category_links),
                         categories_display=tuple(n.target(c) for c in doc.categories))
    script = "ja" if src == "ja" else _document_script(normalised)
    headings = sorted({h for b in doc.blocks for h in b.section})
    return evolve(normalised, script=script,
                   headings=tuple((h, n.original(h), n.target(h)) for h in headings))

