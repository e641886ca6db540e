"""A lean tree builder over mwparserfromhell's C tokenizer: `parse(text)` = `mwparserfromhell.parse`.

Why: on real zhwiki pages the library's C tokenizer takes about a sixth of `parse()`; the rest is
its pure-Python `Builder`, and most of that is not building but checking: every node attribute
goes through a property setter that calls `utils.parse_anything` (four imports per call) and
every child list is wrapped in a `SmartList`. The token stream already says exactly what each
node holds, so this builder makes the same node classes (`Template`, `Tag`, `Wikilink`, …, the
renderer's `isinstance` checks and properties work unchanged) and fills their fields directly,
with plain lists as child lists. Our readers only read trees, never edit them, which is what a
SmartList is for.

What it covers: every token type of mwparserfromhell 0.7.2's tokenizer (the pinned version).
It follows `mwparserfromhell/parser/builder.py` handler by handler, including what the property
setters would have stored (a tag's `contents=None` becomes an empty Wikicode, `closing_tag`
defaults to the tag name, `closing_wiki_markup` to `wiki_markup`). Anything else (the pure-Python
tokenizer, an unknown token, a token stream that does not close) goes to the library's own
`Builder`, the reference: `tests/test_leantree.py` checks that both give the same tree (node
types, every field, `str()`) on every corpus and test page and on generated wikitext, and that the
tokenizer still emits the token stream this module was written against.
"""

from __future__ import annotations

import mwparserfromhell
from mwparserfromhell.nodes import (Argument, Comment, ExternalLink, Heading, HTMLEntity, Tag,
                                    Template, Text, Wikilink)
from mwparserfromhell.nodes.extras import Attribute, Parameter
from mwparserfromhell.parser import tokens as tk
from mwparserfromhell.wikicode import Wikicode

try:
    from mwparserfromhell.parser._tokenizer import CTokenizer
except ImportError:  # a build without the C extension: the library does everything
    CTokenizer = None

_new = object.__new__
_TEXT = tk.Text


class Unsupported(Exception):
    """The token stream holds something this builder does not know: use the library's."""


def parse(text: str) -> Wikicode:
    """The same tree as `mwparserfromhell.parse(text)` (see the module docstring)."""
    if CTokenizer is None or not mwparserfromhell.parser.use_c:
        return mwparserfromhell.parse(text)
    tokens = CTokenizer().tokenize(text, 0, False)
    try:
        return _Builder(tokens).build()
    except (Unsupported, LookupError):  # an unknown token; a stream that ends early
        # Not `Exception`: the page timer's exception must reach the caller.
        return mwparserfromhell.parse(text)


def source(code: Wikicode) -> str:
    """`str(code)`, without a call per node for what is usually one Text node (a tag's,
    template's or parameter's name, a link's title): the renderer asks for those all the time."""
    nodes = code._nodes
    if len(nodes) == 1 and type(nodes[0]) is Text:
        return nodes[0]._value
    return str(code)


def _code(nodes: list) -> Wikicode:
    code = _new(Wikicode)
    code._nodes = nodes
    return code


def _text(value: str) -> Text:
    node = _new(Text)
    node._value = value
    return node


class _Builder:
    """mwparserfromhell's Builder, handler for handler, without setters or SmartLists."""

    def __init__(self, tokens: list):
        tokens.reverse()
        self.tokens = tokens
        self.handlers = {
            tk.Text: lambda token: _text(token["text"]),
            tk.TemplateOpen: self.template,
            tk.ArgumentOpen: self.argument,
            tk.WikilinkOpen: self.wikilink,
            tk.ExternalLinkOpen: self.external_link,
            tk.HTMLEntityStart: self.entity,
            tk.HeadingStart: self.heading,
            tk.CommentStart: self.comment,
            tk.TagOpenOpen: self.tag,
        }

    def build(self) -> Wikicode:
        nodes, pop, handle = [], self.tokens.pop, self.handle
        while self.tokens:
            nodes.append(handle(pop()))
        return _code(nodes)

    def handle(self, token):
        handler = self.handlers.get(type(token))
        if handler is None:
            raise Unsupported(type(token).__name__)
        return handler(token)

    def until(self, stops: tuple) -> tuple[Wikicode, dict]:
        """Nodes up to the next token of a type in `stops`, and that token (consumed)."""
        nodes: list = []
        append, pop, handle = nodes.append, self.tokens.pop, self.handle
        while True:
            token = pop()
            kind = type(token)
            if kind is _TEXT:  # most tokens (never a stop): `_text` inline, no dispatch
                node = _new(Text)
                node._value = token["text"]
                append(node)
            elif kind in stops:
                code = _new(Wikicode)
                code._nodes = nodes
                return code, token
            else:
                append(handle(token))

    # -- templates and their parameters ------------------------------------------------------

    _TEMPLATE_STOPS = (tk.TemplateParamSeparator, tk.TemplateClose)
    _PARAM_STOPS = (tk.TemplateParamEquals, tk.TemplateParamSeparator, tk.TemplateClose)

    def template(self, _token) -> Template:
        params, default = [], 1
        name, stop = self.until(self._TEMPLATE_STOPS)
        while type(stop) is tk.TemplateParamSeparator:
            param, stop = self.parameter(default)
            params.append(param)
            if not param._showkey:
                default += 1
        node = _new(Template)
        node._name, node._params = name, params
        return node

    def parameter(self, default: int) -> tuple[Parameter, dict]:
        value, stop = self.until(self._PARAM_STOPS)
        if type(stop) is tk.TemplateParamEquals:
            key, showkey = value, True
            value, stop = self.until(self._TEMPLATE_STOPS)
        else:
            key, showkey = _code([_text(str(default))]), False
        param = _new(Parameter)
        param._name, param._value, param._showkey = key, value, showkey
        return param, stop

    # -- links, arguments, headings, comments, entities --------------------------------------

    def two_parts(self, separator, close) -> tuple[Wikicode, Wikicode | None]:
        """`first` or `first|second` up to `close` (an argument, a wikilink)."""
        first, stop = self.until((separator, close))
        second = None
        if type(stop) is separator:
            second, _ = self.until((close,))
        return first, second

    def argument(self, _token) -> Argument:
        node = _new(Argument)
        node._name, node._default = self.two_parts(tk.ArgumentSeparator, tk.ArgumentClose)
        return node

    def wikilink(self, _token) -> Wikilink:
        node = _new(Wikilink)
        node._title, node._text = self.two_parts(tk.WikilinkSeparator, tk.WikilinkClose)
        return node

    def external_link(self, token) -> ExternalLink:
        brackets = bool(token.get("brackets"))
        url, stop = self.until((tk.ExternalLinkSeparator, tk.ExternalLinkClose))
        title, suppress_space = None, None
        if type(stop) is tk.ExternalLinkSeparator:
            suppress_space = stop.get("suppress_space")
            title, _ = self.until((tk.ExternalLinkClose,))
        node = _new(ExternalLink)
        node._url, node._title = url, title
        node._brackets, node.suppress_space = brackets, suppress_space is True  # a plain attribute
        return node

    def heading(self, token) -> Heading:
        level = int(token["level"])
        if not 1 <= level <= 6:
            raise Unsupported("heading level")
        title, _ = self.until((tk.HeadingEnd,))
        node = _new(Heading)
        node._title, node._level = title, level
        return node

    def comment(self, _token) -> Comment:
        contents, _ = self.until((tk.CommentEnd,))
        node = _new(Comment)
        node._contents = str(contents)
        return node

    def entity(self, _token) -> HTMLEntity:
        pop = self.tokens.pop
        token = pop()
        node = _new(HTMLEntity)
        node._hex_char = "x"
        if type(token) is tk.HTMLEntityNumeric:
            token = pop()
            if type(token) is tk.HTMLEntityHex:
                text = pop()
                node._value, node._named, node._hexadecimal = str(text["text"]), False, True
                node._hex_char = token.get("char")
            else:
                node._value, node._named, node._hexadecimal = str(token["text"]), False, False
        else:
            node._value, node._named, node._hexadecimal = str(token["text"]), True, False
        if type(pop()) is not tk.HTMLEntityEnd:
            raise Unsupported("entity")
        return node

    # -- tags and their attributes -----------------------------------------------------------

    _ATTR_STOPS = (tk.TagAttrEquals, tk.TagAttrQuote, tk.TagAttrStart, tk.TagCloseOpen,
                   tk.TagCloseSelfclose)
    _ATTR_ENDS = (tk.TagAttrStart, tk.TagCloseOpen, tk.TagCloseSelfclose)

    def attribute(self, start) -> Attribute:
        name = quotes = None
        tokens = self.tokens
        nodes, stop = self.until(self._ATTR_STOPS)
        while True:
            kind = type(stop)
            if kind is tk.TagAttrEquals:
                name = nodes
                nodes, stop = self.until(self._ATTR_STOPS)
            elif kind is tk.TagAttrQuote:
                quotes = stop.get("char")
                more, stop = self.until(self._ATTR_STOPS)
                nodes._nodes.extend(more._nodes)
            else:
                tokens.append(stop)  # the next attribute's or the tag's token
                break
        # `if name:` as the library's builder: an empty name (`=x`) keeps the text as the name.
        value = nodes if name else None
        if not name:
            name = nodes
        attr = _new(Attribute)
        attr._name, attr._value = name, value
        attr._quotes = str(quotes) if quotes else None
        if attr._quotes not in (None, '"', "'"):
            raise Unsupported("quotes")
        attr._pad_first = _pad(start.get("pad_first"))
        attr._pad_before_eq = _pad(start.get("pad_before_eq"))
        attr._pad_after_eq = _pad(start.get("pad_after_eq"))
        return attr

    _TAG_STOPS = (tk.TagAttrStart, tk.TagCloseOpen, tk.TagOpenClose, tk.TagCloseSelfclose,
                  tk.TagCloseClose)

    def tag(self, token) -> Tag:
        wiki_markup = token.get("wiki_markup")
        invalid = token.get("invalid") or False
        attrs, contents, closing_tag, tag = [], None, None, None
        padding, implicit, self_closing = None, False, False
        wiki_style_separator, closing_wiki_markup = None, wiki_markup
        nodes, stop = self.until(self._TAG_STOPS)
        while True:
            kind = type(stop)
            if kind is tk.TagAttrStart:
                attrs.append(self.attribute(stop))
                more, stop = self.until(self._TAG_STOPS)
                nodes._nodes.extend(more._nodes)
                continue
            if kind is tk.TagCloseOpen:
                wiki_style_separator = stop.get("wiki_markup")
                padding = stop.get("padding") or ""
                tag = nodes
            elif kind is tk.TagOpenClose:
                closing_wiki_markup = stop.get("wiki_markup")
                contents = nodes
            elif kind is tk.TagCloseSelfclose:
                closing_wiki_markup = stop.get("wiki_markup")
                tag = nodes
                self_closing = True
                padding = stop.get("padding") or ""
                implicit = stop.get("implicit") or False
                break
            else:  # TagCloseClose
                closing_tag = nodes
                break
            nodes, stop = self.until(self._TAG_STOPS)
        if tag is None or padding is None:
            raise Unsupported("tag")
        if padding and not padding.isspace():
            raise Unsupported("padding")
        node = _new(Tag)
        node._tag = tag
        node._closing_tag = closing_tag if closing_tag is not None else tag
        node._contents = contents if contents is not None else _code([])
        node._attrs = attrs
        node._wiki_markup = str(wiki_markup) if wiki_markup else None
        node._closing_wiki_markup = (str(closing_wiki_markup) if closing_wiki_markup
                                     else None) if closing_wiki_markup is not None else node._wiki_markup
        node._self_closing = self_closing
        node._invalid = bool(invalid)
        node._implicit = bool(implicit)
        node._padding = padding
        node._wiki_style_separator = str(wiki_style_separator) if wiki_style_separator else None
        return node


def _pad(value) -> str:
    if not value:
        return ""
    value = str(value)
    if not value.isspace():
        raise Unsupported("padding")
    return value
