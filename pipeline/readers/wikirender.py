"""Wikitext nodes to a flat stream of text pieces and block markers.

In: mwparserfromhell nodes. Out: `Piece`s (text with the links it carries) and markers
(`ListMark`, `HeadingMark`, `TableMark`, `Break`, `Dropped`) in document order, which
`wikitext.py` assembles into blocks; `inline()` flattens the same stream into one string for
cells, infobox values, anchors and headings.

Dropped from the text, and where it is recorded:
- templates not on the allow-list (`templates.py`): counted in `Renderer.dropped`;
  infoboxes go to `Renderer.infobox`, {{noteTA}} to `Renderer.noteta`, {{DISPLAYTITLE}} to
  `Renderer.displaytitle`;
- `[[Category:…]]` links: `Renderer.categories`;
- <ref> and <references/> (footnotes), comments, files/images, interlanguage links, magic words
  (`__TOC__`), `<gallery>`, `<inputbox>`, `<timeline>`, `<score>` and similar non-text tags: not
  recorded (they carry no article text, or, for refs, only citations).
`-{…}-` converter markup is plain text to mwparserfromhell and stays in the text.
Link targets are page titles as `links.title_of` spells them for every reader: `_` as space,
fragment dropped, first ASCII letter upper case (MediaWiki's canonical title).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache

from mwparserfromhell.nodes import (Argument, Comment, ExternalLink, Heading, HTMLEntity, Tag,
                                    Template, Text, Wikilink)

from ..convert import protect_code
from ..model import InfoboxField, Link
from . import leantree
from .leantree import source
from . import templates as T
from .templates import CATEGORY_NS, CODE_TAGS, FILE_NS, LIST_TAGS, RAW_TAGS, SKIP_TAGS
from .links import title_of

PIPE = "\ue000"  # stands for "|" inside -{…}- while mwparserfromhell reads the page

_MAGIC = re.compile(r"__[A-Z]{3,}(?:[A-Z_]*[A-Z])?__")
_INTERLANG = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$")
# `&#xD800;` names a UTF-16 surrogate, which no UTF-8 output can hold; HTML shows U+FFFD.
_SURROGATE = re.compile("[\ud800-\udfff]")
# Raw tag content is masked with private-use characters until finish(), so that its `}}`,
# `[[` or `''` are not taken for markup that failed to parse.
_MASK = str.maketrans({"{": "\ue011", "}": "\ue012", "[": "\ue013", "]": "\ue014", "'": "\ue015"})
_UNMASK = str.maketrans({v: chr(k) for k, v in _MASK.items()})
_MASKED = re.compile("[\ue011-\ue015]")
# A character some step of finish() acts on (tag, magic word, stray markup, pipe, mask).
_UNFINISHED = re.compile("[<_{}\\[\\]'\ue000\ue011-\ue015]")
_SCRIPTABLE = re.compile(r"[0-9+\-−=()]{1,6}")
_SUPER = str.maketrans("0123456789+-−=()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾")
_SUB = str.maketrans("0123456789+-−=()", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎")
_STRAY = re.compile(r"\{\{+|\}\}+|\[\[+|\]\]+|'{2,}")
# Tags mwparserfromhell left as text (unclosed, or nested past its depth limit). Only known
# tag names: "System.Lazy <T>" in a sentence is text.
_LEFTOVER_TAG = re.compile(
    r"</?(?:div|span|small|big|center|font|sup|sub|br|p|ref|references|table|tr|td|th|caption|"
    r"tbody|thead|tfoot|b|i|u|s|strike|del|ins|code|pre|nowiki|gallery|math|poem|blockquote|"
    r"abbr|cite|q|em|strong|tt|var|kbd|samp|ruby|rb|rt|rp|hr|li|ul|ol|dl|dt|dd|includeonly|"
    r"noinclude|onlyinclude|syntaxhighlight|source|score|timeline|inputbox|imagemap|"
    r"templatestyles|section|mark|bdi|wbr)\b[^<>]*>", re.I)


# Not frozen: a Piece is made for every text node of every page (frozen dataclasses set each
# field through object.__setattr__, about three times the cost), and lives only until the
# assembler reads it. Nothing changes one after it is made (`replace` makes a new one).
@dataclass(slots=True)
class Piece:
    text: str
    links: tuple[Link, ...] = ()


@dataclass(slots=True)
class LineBreak(Piece):
    """`<br>`: a space in running text; between the entries of an infobox value, a separator."""

    text: str = " "


@dataclass(frozen=True)
class ListMark:
    char: str  # "*", "#", ";" or ":"


@dataclass(frozen=True)
class HeadingMark:
    level: int
    text: str


@dataclass(frozen=True)
class TableMark:
    drafts: tuple  # wikitables.TableDraft, outer table first, nested ones after


@dataclass(frozen=True)
class Break:
    """A horizontal rule: ends the paragraph like a blank line."""


@dataclass(frozen=True)
class Dropped:
    """Something was on this line, so an otherwise empty line does not end a paragraph."""


def finish(text: str) -> str:
    """Last clean-up of any output string: converter pipes restored; magic words and markup
    that did not parse (unbalanced `{{`, `]]`, `'''`, known tags) removed. The content of
    <math>, <code>, <nowiki> and the like is not markup: its braces, brackets and quotes
    (`\\frac{\\overline{HB}}{a}`, `f''`) arrive masked and are restored here."""
    if not _UNFINISHED.search(text):  # most text: one scan instead of four
        return text
    text = _LEFTOVER_TAG.sub("", text) if "<" in text else text
    text = _STRAY.sub("", _MAGIC.sub("", text)).replace(PIPE, "|")
    return text.translate(_UNMASK) if _MASKED.search(text) else text


def _fields_on_own_lines(node: Template) -> int:
    """How many named parameters start a line of their own (`\n| key = value`): the layout of
    an infobox, not of an inline template."""
    if sum(p.showkey for p in node.params) < T.INFOBOX_MIN_FIELDS:
        return 0  # too few to be an infobox: no need to write the node out as text
    return len(_OWN_LINE_FIELD.findall(str(node)))


_OWN_LINE_FIELD = re.compile(r"\n\s*\|\s*[^=|{}\[\]\n]+=")


def _colon_argument(node: Template) -> Template:
    """{{formatnum:647500}} as {{formatnum|647500}}: the argument after the colon is parameter 1."""
    head, _, rest = str(node.name).partition(":")
    rebuilt = Template(leantree.parse(head))
    rebuilt.add("1", rest, showkey=False)
    return rebuilt


def _trimmed(items: list) -> list:
    """A named template parameter as MediaWiki passes it: without surrounding whitespace
    (`|title = 23國 |` is "23國"); positional ones keep theirs."""
    texts = [i for i, x in enumerate(items) if type(x) is Piece]
    if texts:
        first, last = texts[0], texts[-1]
        items = list(items)
        items[first] = replace(items[first], text=items[first].text.lstrip())
        items[last] = replace(items[last], text=items[last].text.rstrip())
    return items


_ENDS_CLAUSE = "，。、；：,;:"


def _namespace(node: Wikilink) -> tuple[str, bool]:
    """A wikilink's namespace (lower case, "_" as space, "" for none) and whether it starts
    with ":"."""
    return _namespace_of(source(node.title).replace(PIPE, "|").strip())


def _namespace_of(raw: str) -> tuple[str, bool]:
    prefix, sep, _ = raw.lstrip(":").partition(":")
    return (" ".join(prefix.replace("_", " ").split()).lower() if sep else ""), raw.startswith(":")


def is_file_link(node: Wikilink, names: frozenset[str] = FILE_NS) -> bool:
    """[[File:…]]/[[Image:…]]: an image on the page, not a link in the text."""
    ns, colon = _namespace(node)
    return ns in names and not colon


@lru_cache(maxsize=1 << 15)  # the same titles recur within and across pages (countries, years)
def _title_parts(raw: str) -> tuple[str, bool, str, bool, str]:
    """What `Renderer.wikilink` reads off a link's title (pipes restored, stripped): its
    namespace and leading colon (`_namespace_of`), the part after the first colon, whether
    the prefix is a language code and the link not to a page here (an interlanguage link,
    unless the prefix is a namespace of the renderer's), and its `link_target`."""
    ns, colon = _namespace_of(raw)
    prefix, sep, rest = raw.lstrip(":").partition(":")
    interlang = bool(sep and not colon and _INTERLANG.match(prefix.strip()))
    return ns, colon, rest, interlang, link_target(raw)


def link_target(title: str) -> str:
    """A wikilink target as a page title, spelled as every reader spells it (links.title_of)."""
    title = " ".join(title.replace(PIPE, "|").split()).lstrip(":").strip()
    return title_of(title) if not title.startswith("#") else ""


@dataclass
class Renderer:
    dropped: Counter = field(default_factory=Counter)
    infobox: list[InfoboxField] = field(default_factory=list)
    noteta: list[Template] = field(default_factory=list)
    displaytitle: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    tables: list | None = None  # where nested tables go while rendering a cell
    file_ns: frozenset[str] = FILE_NS
    category_ns: frozenset[str] = CATEGORY_NS
    title: str = ""  # the page's title, shown by {{PAGENAME}} and {{PAGENAMEBASE}}

    @classmethod
    def for_names(cls, names: tuple[tuple[str, int], ...] = ()) -> Renderer:
        """A renderer that also knows a dump's own names of File (6) and Category (14)."""
        return cls(file_ns=FILE_NS | {n for n, key in names if key == 6},
                   category_ns=CATEGORY_NS | {n for n, key in names if key == 14})

    # -- entry points -------------------------------------------------------------------
    def stream(self, code, out: list) -> None:
        node = self.node
        for n in code._nodes:  # Wikicode.nodes without its property call (106k a run)
            node(n, out)

    def streamed(self, code) -> list:
        out: list = []
        self.stream(code, out)
        return out

    def inline(self, code) -> tuple[str, tuple[Link, ...]]:
        """One string: list markers vanish, headings and tables inside become their text."""
        out: list = []
        self.stream(code, out)
        return self.flatten(out)

    def flatten(self, out: list) -> tuple[str, tuple[Link, ...]]:
        texts, links = [], []
        for item in out:
            if isinstance(item, Piece):
                texts.append(item.text)
                links.extend(item.links)
            elif isinstance(item, HeadingMark):
                texts.append("\n" + item.text + "\n")
            elif isinstance(item, TableMark) and self.tables is not None:
                self.tables.extend(item.drafts)
            elif isinstance(item, Break):
                texts.append("\n")
        return finish("".join(texts)), tuple(links)

    def text_of(self, code) -> str:
        return self.inline(code)[0]

    # -- nodes --------------------------------------------------------------------------
    def node(self, node, out: list) -> None:
        if isinstance(node, Text):
            out.append(Piece(node._value))  # Text.value without its property call
        elif isinstance(node, Wikilink):
            self.wikilink(node, out)
        elif isinstance(node, Template):
            self.template(node, out)
        elif isinstance(node, Tag):
            self.tag(node, out)
        elif isinstance(node, ExternalLink):
            self.external(node, out)
        elif isinstance(node, HTMLEntity):
            out.append(Piece(_SURROGATE.sub("\ufffd", node.normalize())))
        elif isinstance(node, Heading):
            out.append(HeadingMark(node.level, self.text_of(node.title).strip()))
        elif isinstance(node, Argument):
            if node.default is not None:
                self.stream(node.default, out)
            else:
                out.append(Dropped())
        elif isinstance(node, Comment):
            out.append(Dropped())
        else:  # a node type added by a later mwparserfromhell: keep its text
            out.append(Piece(str(node)))

    def wikilink(self, node: Wikilink, out: list) -> None:
        raw = source(node.title).replace(PIPE, "|").strip()
        ns, colon, rest, interlang, target = _title_parts(raw)
        if ns in self.file_ns and not colon:
            out.append(Dropped())
            return
        if ns in self.category_ns and not colon:
            self.categories.append(link_target(rest))
            out.append(Dropped())
            return
        if interlang and ns not in self.file_ns:
            out.append(Dropped())  # interlanguage link: shown in the sidebar, not the text
            return
        anchor = self.text_of(node.text) if node.text is not None else ""
        if not anchor.strip():
            anchor = raw.lstrip(":").replace("_", " ")
        out.append(Piece(anchor, (Link(anchor, target, "internal"),) if target else ()))

    def external(self, node: ExternalLink, out: list) -> None:
        url = str(node.url).strip()
        if node.title is not None:
            text = self.text_of(node.title).strip()
        else:
            text = "" if node.brackets else url  # "[url]" shows only a number on the wiki
        out.append(Piece(text, (Link(text, url, "external"),)))

    def tag(self, node: Tag, out: list) -> None:
        name = source(node.tag).strip().lower()
        markup = node.wiki_markup
        if name in LIST_TAGS and markup:
            out.append(ListMark(markup))
        elif name == "table":
            from .wikitables import drafts_from_tag  # the table reader calls back into us
            out.append(TableMark(tuple(drafts_from_tag(node, self))))
        elif name == "hr":
            out.append(Break())
        elif name == "br":
            out.append(LineBreak())
        elif name in SKIP_TAGS:
            out.append(Dropped())
        elif name == "sup" and node.contents is not None and T.NOTE_MARK.fullmatch(str(node.contents)):
            out.append(Dropped())  # a footnote mark glued to a name: "基里巴斯<sup>b</sup>"
        elif name in ("sup", "sub") and node.contents is not None and _SCRIPTABLE.fullmatch(str(node.contents)):
            # km<sup>2</sup> -> km², H<sub>2</sub>O -> H₂O, and a table's note mark 14<sup>3</sup>
            # -> 14³ instead of the number 143
            out.append(Piece(str(node.contents).translate(_SUPER if name == "sup" else _SUB)))
        elif name in CODE_TAGS and node.contents is not None and str(node.contents).strip():
            out.append(Piece(protect_code(str(node.contents), str(node.contents).translate(_MASK))))
        elif name in RAW_TAGS:
            out.append(Piece(str(node.contents).translate(_MASK) if node.contents is not None else ""))
        elif node.contents is not None:
            self.stream(node.contents, out)

    def template(self, node: Template, out: list) -> None:
        name = source(node.name)
        if ":" in name and T.key_of(name) in T.COLON_FUNCTIONS:
            node = _colon_argument(node)
            name = source(node.name)
        key = T.key_of(name)
        if key in T.TITLE_WORDS and self.title:
            out.append(Piece(T.page_name(key, self.title)))
            return
        fate, kind = T.classify(name, lambda: _fields_on_own_lines(node))
        if kind == "noteta":
            self.noteta.append(node)
        elif kind == "displaytitle":
            value = name.split(":", 1)[1] if ":" in name else ""
            self.displaytitle.append(self.text_of(leantree.parse(value)).strip())
        elif fate == "infobox":
            self.read_infobox(node)
        else:
            render = T.renderer_of(name)
            parts = render(self.args(node)) if render else None
            if parts is None:
                self.dropped[T.normalise_name(name)] += 1
                out.append(Dropped())
                return
            for part in parts:
                if isinstance(part, T.Param) and not part.key.isdigit():
                    out.extend(_trimmed(self.streamed(node.get(part.key).value)))
                elif isinstance(part, T.Param):
                    self.stream(node.get(part.key).value, out)
                else:
                    out.append(Piece(part))
            return
        out.append(Dropped())

    def args(self, node: Template) -> T.Args:
        names = {source(p.name).strip() for p in node.params}
        positional = max((int(n) for n in names if n.isdigit() and len(n) < 4), default=0)
        cache: dict[str, str] = {}

        def text(key: str) -> str:
            if key not in cache:
                # a throwaway: a param read here is rendered again
                sub = Renderer(tables=[], file_ns=self.file_ns, category_ns=self.category_ns,
                               title=self.title)
                cache[key] = sub.text_of(node.get(key).value)
            return cache[key]

        return T.Args(positional, names, text)

    def entries(self, code) -> tuple[str, tuple[Link, ...]]:
        """An infobox value on one line, with its links. `<br>` and list items separate its
        entries (members, former names), so they are joined with "、", as Chinese writes a list
        inline, unless an entry already ends in punctuation."""
        out: list = []
        self.stream(code, out)
        value, links, segment = "", [], []
        for item in out + [LineBreak()]:
            if not isinstance(item, (LineBreak, ListMark)):
                segment.append(item)
                continue
            text, found = self.flatten(segment)
            text, segment = " ".join(text.split()), []
            links += found
            if text:
                value += ("" if not value or value[-1] in _ENDS_CLAUSE else "、") + text
        return value, tuple(links)

    def read_infobox(self, node: Template) -> None:
        template = T.normalise_name(str(node.name))
        for param in node.params:
            if not param.showkey:
                continue  # positional: a Geobox type, not a field
            key = finish(T.COMMENT.sub("", str(param.name))).strip()
            value, links = self.entries(param.value)
            if key and value:
                self.infobox.append(InfoboxField(template, key, value, links=links))
