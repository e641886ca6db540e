"""Baseline loops, each run as its own measured process: a dump in, one JSON line of counts out.

`python -m pipeline.bench.loops MODE DUMP`, MODE one of:
- `floor`:  bz2 decompression plus stdlib XML streaming (iterparse, elements cleared), the least
  any tool reading this dump must spend;
- `reader`: our own reader (`pipeline.read.read_file`) alone, no parsing: the floor plus what the
  reader adds;
- `mwph`:   the bare mwparserfromhell loop of the Hugging Face wikipedia builder:
  `mwparserfromhell.parse(text).strip_code()` per ns-0 page that is not a redirect;
- `parse`:  `mwparserfromhell.parse(text)` alone on the same pages: the part of the peer loop
  that our pipeline also has to do, so it bounds how close to the loop we can get.
"""

from __future__ import annotations

import bz2
import json
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path


def pages(path: Path) -> Iterator[tuple[int, bool, str]]:
    """(namespace, is_redirect, text) per page, streamed with elements cleared as they end."""
    with bz2.open(path, "rb") as f:
        ns, redirect, text = 0, False, ""
        for _, elem in ET.iterparse(f, events=("end",)):
            tag = elem.tag.rpartition("}")[2]
            if tag == "ns":
                ns = int(elem.text or 0)
            elif tag == "redirect":
                redirect = True
            elif tag == "text":
                text = elem.text or ""
            elif tag == "page":
                yield ns, redirect, text
                ns, redirect, text = 0, False, ""
                elem.clear()


def floor(path: Path) -> dict:
    n = size = 0
    for ns, redirect, text in pages(path):
        n += 1
        size += len(text)
    return {"pages": n, "chars": size}


def reader(path: Path) -> dict:
    from pipeline.model import RawPage
    from pipeline.read import InputFile, read_file

    n = size = 0
    for item in read_file(InputFile(path, path.name)):
        if isinstance(item, RawPage):
            n += 1
            size += len(item.text)
    return {"pages": n, "chars": size}


def mwph(path: Path) -> dict:
    import mwparserfromhell

    n = size = 0
    for ns, redirect, text in pages(path):
        if ns != 0 or redirect:
            continue
        size += len(mwparserfromhell.parse(text).strip_code())
        n += 1
    return {"pages": n, "plain_chars": size}


def parse(path: Path) -> dict:
    import mwparserfromhell

    n = size = 0
    for ns, redirect, text in pages(path):
        if ns != 0 or redirect:
            continue
        size += len(mwparserfromhell.parse(text).nodes)
        n += 1
    return {"pages": n, "nodes": size}


if __name__ == "__main__":
    mode, dump = sys.argv[1], Path(sys.argv[2])
    started = time.perf_counter()
    counts = {"floor": floor, "reader": reader, "mwph": mwph, "parse": parse}[mode](dump)
    print(json.dumps({"mode": mode, **counts, "seconds": round(time.perf_counter() - started, 3)}))
