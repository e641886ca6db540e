"""Real-page cases as data: tests/data/fidelity/*.mwtest, read by this one parametrised test.

A file holds cases separated by a line `---`, each written as mwparserfromhell's .mwtest files are:

    name: nts_in_a_cell                 (unique in its file)
    label: what the case shows and why  (the rule, the page it was seen on)
    format: wikitext                    (or markdown; default wikitext)
    show: tables                        (text, tables or members: which output rows to compare)
    input:
    …the page source…
    output:
    …the expected rows, one a line, as `shown()` writes them (trailing spaces ignored)…

The expected rows were written by reading the source and zhwiki's rendering, not by running the
pipeline. The page goes through parse, normalise (zh-hans) and extract, as in a run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.extract import extract
from pipeline.model import RawPage
from pipeline.normalise import normalise_document
from pipeline.parse import parse

CASES = Path(__file__).parent / "data" / "fidelity"


def load(path: Path) -> list[dict]:
    cases = []
    for chunk in path.read_text("utf-8").split("\n---\n"):
        head, _, rest = chunk.partition("\ninput:\n")
        source, _, expected = rest.rpartition("\noutput:\n")
        case = dict(line.split(": ", 1) for line in head.strip().splitlines() if ": " in line)
        case.update(input=source, output=[x.rstrip() for x in expected.strip("\n").splitlines()])
        cases.append(case)
    return cases


def _all() -> list:
    return [pytest.param(c, id=f"{p.stem}:{c['name']}") for p in sorted(CASES.glob("*.mwtest")) for c in load(p)]


def shown(result, what: str) -> list[str]:
    if what == "text":
        return [f"{row.kind}: {row.text}" for row in result.paragraphs]
    if what == "tables":
        out = []
        for t in result.tables:
            out.append(f"table {t.table_index}: {t.caption or ''} | " + " | ".join(t.columns))
            cells: dict[int, list[str]] = {}
            for c in result.table_cells:
                if c.table_index == t.table_index:
                    cells.setdefault(c.row, []).append(c.text)
            out += ["row: " + " | ".join(v) for _, v in sorted(cells.items())]
        return out
    if what == "members":
        return [f"{m.group} [{m.status}] {m.member} {m.iso3166 or '-'}" for m in result.members]
    raise ValueError(f"unknown show: {what}")


@pytest.mark.parametrize("case", _all())
def test_case(case):
    page = RawPage(source=f"{case['name']}.txt", doc_id=case["name"], format=case.get("format", "wikitext"),
                   text=case["input"], title=case.get("title"))
    result = extract(normalise_document(parse(page)))
    assert [x.rstrip() for x in shown(result, case.get("show", "text"))] == case["output"], case.get("label")
