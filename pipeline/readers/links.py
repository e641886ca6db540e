"""Link targets as page titles: one place that knows how exports spell a wiki link.

In: an href (pandoc `../Page/X.md`, `https://zh.wikipedia.org/wiki/X`, `/wiki/X`, a URL) or a
wikilink target. Out: a Link kind and a normalised target (URL-decoded, `_` as space, no
fragment). Category namespace prefixes in any of the spellings zhwiki accepts count as category.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from ..model import Link
from .templates import CATEGORY_NS, FILE_NS

CATEGORY_PREFIXES = tuple(f"{ns}:" for ns in sorted(CATEGORY_NS))
FILE_PREFIXES = tuple(f"{ns}:" for ns in sorted(FILE_NS))  # the namespaces of templates.py
_WIKI_URL = re.compile(r"^(?:https?:)?//[a-z\-]+\.(?:m\.)?wikipedia\.org/(?:wiki/|zh-[a-z]+/)(?P<t>.+)$", re.I)
# MediaWiki's $wgUrlProtocols: any other "prefix:" is a namespace (Category:, Wikipedia:, Help:).
_URL_SCHEMES = frozenset({"http", "https", "ftp", "ftps", "sftp", "mailto", "news", "irc", "ircs",
                          "gopher", "nntp", "telnet", "worldwind", "svn", "git", "mms", "ssh",
                          "xmpp", "sip", "sips", "tel", "sms", "bitcoin", "magnet", "urn", "geo",
                          "matrix"})
_PAGE_MD = re.compile(r"^(?:\.\./)*Page/(?P<t>.+?)\.md$")


def title_of(target: str) -> str:
    """A wiki page title as MediaWiki stores it: spaces not underscores, no fragment."""
    target = unquote(target).split("#", 1)[0]
    target = target.replace("_", " ").strip()
    return target[:1].upper() + target[1:] if target[:1].isascii() else target


def is_category(title: str) -> bool:
    return title.lower().startswith(CATEGORY_PREFIXES)


def is_file(title: str) -> bool:
    return title.lstrip(":").lower().startswith(FILE_PREFIXES)


def category_name(title: str) -> str:
    return title.split(":", 1)[1].strip()


def classify(href: str, anchor: str) -> Link:
    """A Link from an href as pandoc or an HTML export writes it."""
    href = href.strip()
    for rx in (_WIKI_URL, _PAGE_MD):
        m = rx.match(href)
        if m:
            return wiki_link(m.group("t"), anchor)
    if href.startswith("/wiki/"):
        return wiki_link(href[len("/wiki/"):], anchor)
    if urlsplit(href).scheme.lower() in _URL_SCHEMES or href.startswith("//"):
        return Link(anchor_original=anchor, target=href, kind="external")
    return wiki_link(href, anchor)


def wiki_link(target: str, anchor: str) -> Link:
    title = title_of(target.replace("\\", ""))
    kind = "category" if is_category(title) else "internal"
    return Link(anchor_original=anchor, target=title, kind=kind)
