"""A plain `.xml.bz2` bench dump in, the same pages as a Wikimedia multistream dump + index out.

As Wikimedia publishes `…-pages-articles-multistream.xml.bz2`: one bz2 stream for the header
(`<mediawiki>`, `<siteinfo>`), one per 100 pages, one for `</mediawiki>`; the index
`…-multistream-index.txt.bz2` has `offset:page_id:title` per page. The pipeline cuts such a dump
into shards by its index (pipeline/plan.py), so the bench's --jobs and --engine runs use it.
"""

from __future__ import annotations

import bz2
import re
from html import unescape
from pathlib import Path

PER_STREAM = 100
_ID = re.compile(rb"<id>(\d+)</id>")
_TITLE = re.compile(rb"<title>(.*?)</title>", re.S)


def convert(plain: Path, folder: Path, name: str) -> tuple[Path, Path]:
    """(dump, index) written under `folder` as `<name>-multistream.xml.bz2` and its index."""
    folder.mkdir(parents=True, exist_ok=True)
    data = bz2.decompress(plain.read_bytes())
    first = data.index(b"<page>")
    first = data.rindex(b"\n", 0, first) + 1
    last = data.rindex(b"</page>") + len(b"</page>\n")
    pages = data[first:last].split(b"<page>")
    pages = [b"<page>" + p for p in pages[1:]]
    pages[0] = data[first:data.index(b"<page>")] + pages[0]  # the first page's indentation
    dump = folder / f"{name}-multistream.xml.bz2"
    lines = []
    with open(dump, "wb") as f:
        f.write(bz2.compress(data[:first], 9))
        for at in range(0, len(pages), PER_STREAM):
            offset = f.tell()
            group = pages[at:at + PER_STREAM]
            for page in group:
                title = unescape(_TITLE.search(page).group(1).decode("utf-8"))
                lines.append(f"{offset}:{int(_ID.search(page).group(1))}:{title}")
            f.write(bz2.compress(b"".join(group), 9))
        f.write(bz2.compress(data[last:], 9))
    index = folder / f"{name}-multistream-index.txt.bz2"
    index.write_bytes(bz2.compress(("\n".join(lines) + "\n").encode("utf-8"), 9))
    return dump, index
