"""What the readers that walk a page's body themselves (Markdown, pandoc JSON) share: how a
heading moves the section path, and the Document they hand on (the title falls back to the
dump title, then to what the reader found, then to the last part of the doc_id; categories
come from the category links)."""

from __future__ import annotations

import hashlib

from ..model import Block, Document, Link, RawPage
from . import links as wl


def enter_heading(section: list[str], title: str | None, level: int, text: str) -> str | None:
    """Update `section` (heading texts, "" for a skipped level) for a heading; return the title,
    which a level-1 heading sets when there is none yet."""
    section[:] = section[: level - 2] if level > 1 else []
    while len(section) < max(level - 2, 0):
        section.append("")
    if level > 1:
        section.append(text)
    elif not title:
        return text
    else:  # a second top-level heading is a section, not a second title
        section[:] = [text]
    return title


def document(page: RawPage, fmt: str, title: str | None, blocks: list[Block],
             category_links: list[Link], **extra) -> Document:
    cats = tuple(dict.fromkeys(wl.category_name(x.target) for x in category_links))
    return Document(
        doc_id=page.doc_id,
        source=page.source,
        format=fmt,
        title_original=page.title or title or page.doc_id.rsplit("/", 1)[-1],
        blocks=tuple(blocks),
        categories=cats,
        category_links=tuple(category_links),
        meta=page.meta,
        content_sha256=hashlib.sha256(page.text.encode("utf-8")).hexdigest(),
        **extra,
    )
