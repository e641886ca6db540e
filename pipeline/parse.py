"""Parse: a RawPage in, a Document out, by the page's detected format.

Everything after this stage sees only Documents and never asks where a page came from.
A parser that raises is a bug in that parser; `run.process_page` records it in `errors`
(stage "parse") and goes on with the next page.
"""

from __future__ import annotations

from .model import Document, RawPage


def parse(page: RawPage) -> Document:
    if page.format == "markdown":
        from .readers.markdown import parse_markdown

        return parse_markdown(page)
    if page.format == "wikitext":
        from .readers.wikitext import parse_wikitext

        return parse_wikitext(page)
    if page.format == "pandoc-json":
        from .readers.pandocjson import parse_pandoc_json

        return parse_pandoc_json(page)
    if page.format == "plaintext":
        from .readers.plaintext import parse_plaintext

        return parse_plaintext(page)
    raise ValueError(f"no parser for format {page.format!r}")
