"""`python -m pipeline.bench.fidelity PATH…` (`make fidelity`): how faithfully a folder of real pages is read.

In: files or folders of pages in any input format (e.g. ../shared/corpus/real/). Out: a Markdown
report on stdout, and with `--json FILE` the raw counts. Nothing is written anywhere else.

What it counts:
- Template occurrences, by name, by position (table cell, list item, paragraph, infobox, heading;
  "own line" for a template alone on its line, where navboxes and banners sit; "other" for image
  captions and the like) and by fate, as `templates.classify` decides it for the renderer:
  rendered, read into a field (infobox, noteTA), dropped with a class (citation, navbox, …) or
  dropped as unknown. Wikitext pages are walked with mwparserfromhell; in Markdown only the
  templates pandoc left as text are seen, placed by the line they start on. Templates inside a
  dropped template or a <ref> are not counted: they are never shown.
- Markup leaks (`LEAKS`) in every text the pipeline outputs: paragraphs, cells, captions, column
  names, infobox values, members.
- Suspect member rows (`suspect_member`): labels, totals, notes and counts taken for members.
The pipeline runs in-process, page by page (parse, normalise, extract), as `run.process_page` does.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import mwparserfromhell
from mwparserfromhell.nodes import ExternalLink, Heading, Tag, Template, Wikilink

from ..extract import extract
from ..members import MEMBER_WORDS, STATUS_WORDS, _TOTAL
from ..model import Problem, RawPage
from ..normalise import normalise_document
from ..parse import parse
from ..read import discover, read_file
from ..rows import MemberRow
from ..readers import templates as T
from ..readers.wikirender import SKIP_TAGS, _fields_on_own_lines, is_file_link
from ..readers.wikitext import close_tables, open_template_tables, protect_converter_pipes

CONTENT = ("table cell", "list item", "paragraph", "infobox", "heading")
POSITIONS = CONTENT + ("own line", "other")

# Markup that must never reach output text, with what it is.
LEAKS = {
    "{{": "template start", "}}": "template end", "[[": "wikilink start", "]]": "wikilink end",
    "-{": "converter start", "}-": "converter end", "{|": "table start", "|}": "table end",
    "rowspan=": "cell attribute", "colspan=": "cell attribute", "style=": "style attribute",
    "align=": "cell attribute", "<ref": "footnote tag", "&nbsp;": "entity", "&amp;": "entity",
    "<br": "line break tag", "'''": "bold quotes", "\ue020": "code mark", "\ue021": "code mark", "<!--": "comment", "__TOC__": "magic word",
}
_LEAK = re.compile("|".join(re.escape(k) for k in sorted(LEAKS, key=len, reverse=True)))
_COUNT = re.compile(r"^\d+\s*[个個国國名位]")
_NOTE_START = re.compile(r"^[（(\[【]|^\d{3,4}年")
# A column name taken for a member: the header row of a group inside a member table ("国家").
_HEADER_WORD = re.compile(r"国家|國家|名称|名稱|成员国|成員國|会员|會員|country|name|state|member", re.I)


def _line_position(text: str, offset: int, length: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset + length)
    line = text[start:end if end >= 0 else len(text)]
    head = line.lstrip()[:1]
    if head and head in "*#:;":
        return "list item"
    if line.strip() == text[offset:offset + length].strip():
        return "own line"
    return "paragraph"


class Census:
    """Template occurrences: (name, position, fate) -> count."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self.pages: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        self.page = ""

    def record(self, name: str, position: str, fate: str) -> None:
        self.counts[(name, position, fate)] += 1
        self.pages[(name, position, fate)].add(self.page)

    # -- wikitext ----------------------------------------------------------------------
    def wikitext(self, text: str) -> None:
        text = close_tables(open_template_tables(protect_converter_pipes(text)))
        offset = 0
        for node in mwparserfromhell.parse(text).nodes:
            raw = str(node)
            self.visit(node, _line_position(text, offset, len(raw)))
            offset += len(raw)

    def visit(self, node, position: str) -> None:
        if isinstance(node, Template):
            fate, kind = T.classify(str(node.name), lambda: _fields_on_own_lines(node))
            name = T.normalise_name(str(node.name))
            if fate == "dropped":
                self.record(name, position, f"dropped: {kind}")
                return
            self.record(name, position, fate if fate != "read" else f"read: {kind}")
            inner = "infobox" if fate == "infobox" else position
            if fate != "read":
                for p in node.params:
                    self.code(p.value, inner)
        elif isinstance(node, Heading):
            self.code(node.title, "heading")
        elif isinstance(node, Tag):
            name = str(node.tag).strip().lower()
            if name in SKIP_TAGS or node.contents is None:
                return
            inner = "table cell" if name in ("td", "th", "caption") else position
            self.code(node.contents, inner)
        elif isinstance(node, Wikilink) and node.text is not None:
            self.code(node.text, "other" if is_file_link(node) else position)
        elif isinstance(node, ExternalLink) and node.title is not None:
            self.code(node.title, position)

    def code(self, code, position: str) -> None:
        for node in code.nodes:
            self.visit(node, position)

    # -- markdown ----------------------------------------------------------------------
    def markdown(self, text: str) -> None:
        """Templates pandoc left as text, placed by the Markdown line they start on."""
        offset = 0
        for node in mwparserfromhell.parse(text).nodes:
            raw = str(node)
            if isinstance(node, Template):
                start = text.rfind("\n", 0, offset) + 1
                head = text[start:offset + 1].lstrip()
                position = ("table cell" if head.startswith(("|", "<t")) else
                            "list item" if re.match(r"[-*+]\s|\d+\.\s", head) else
                            "heading" if head.startswith("#") else _line_position(text, offset, len(raw)))
                self.visit(node, position if position != "list item" or head[:1] != "|" else "table cell")
            offset += len(raw)


def suspect_member(row: MemberRow) -> str | None:
    """Why a member row looks like something else (a label, a total, a note, a count, a column
    name), or None."""
    name = (row.member_original or "").strip()
    if row.iso3166:
        return None
    if _TOTAL.search(name) or (row.organization and row.organization in name):
        return "total"
    if _COUNT.match(name):
        return "count"
    if _NOTE_START.match(name):
        return "note"
    if _HEADER_WORD.fullmatch(name):
        return "header"
    if MEMBER_WORDS.search(name) or any(rx.search(name) for _, rx in STATUS_WORDS):
        return "label"
    return None


def _texts(result) -> list[tuple[str, str]]:
    """(where, text) of every text the pipeline wrote for one document."""
    out = []
    for row in result.paragraphs:
        out += [("paragraph", row.text or ""), ("paragraph", row.text_original)]
    for row in result.table_cells:
        out += [("cell", row.text or ""), ("cell", row.text_original)]
    for row in result.tables:
        out += [("caption", row.caption or ""), ("caption", row.caption_original)]
        out += [("column", c) for c in (*row.columns, *row.columns_original)]
    for row in result.infobox:
        out += [("infobox", row.value or ""), ("infobox", row.value_original)]
    for row in result.members:
        out += [("member", row.member), ("member", row.member_original)]
    return out


def measure(paths: list[Path]) -> dict:
    census = Census()
    leaks: Counter = Counter()
    leak_examples: dict[str, list[str]] = defaultdict(list)
    suspects: list[dict] = []
    pages = problems = 0
    members = no_iso = 0
    files = discover(paths)[0]
    for f in files:
        for page in read_file(f):
            if not isinstance(page, RawPage):
                problems += isinstance(page, Problem)
                continue
            pages += 1
            census.page = page.source
            if page.format == "wikitext":
                census.wikitext(page.text)
            elif page.format == "markdown":
                census.markdown(page.text)
            try:
                result = extract(normalise_document(parse(page)))
            except Exception as e:  # a bug: show it in the report, go on
                problems += 1
                print(f"{page.source}: {type(e).__name__}: {e}", file=sys.stderr)
                continue
            problems += len(result.problems)
            seen = set()
            for where, text in _texts(result):
                for m in _LEAK.finditer(text):
                    key = (where, m.group())
                    leaks[key] += 1
                    if (key, text) not in seen and len(leak_examples[f"{where} {m.group()}"]) < 3:
                        seen.add((key, text))
                        s = max(0, m.start() - 25)
                        leak_examples[f"{where} {m.group()}"].append(f"{page.source}: …{text[s:m.end() + 25]}…")
            members += len(result.members)
            no_iso += sum(1 for row in result.members if not row.iso3166)
            for row in result.members:
                why = suspect_member(row)
                if why:
                    suspects.append({"source": page.source, "why": why, "group": row.group_original,
                                     "member": row.member_original})
    return {"pages": pages, "problems": problems, "members": members, "members_without_iso": no_iso,
            "templates": [{"name": n, "position": p, "fate": fate, "count": c,
                           "pages": len(census.pages[(n, p, fate)])}
                          for (n, p, fate), c in sorted(census.counts.items())],
            "leaks": [{"where": w, "markup": m, "count": c} for (w, m), c in sorted(leaks.items())],
            "leak_examples": dict(leak_examples), "suspect_members": suspects}


def _ok(fate: str) -> bool:
    return not fate.endswith(": unknown")


def report(data: dict, title: str) -> str:
    rows = data["templates"]
    by_pos: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        group = "dropped: unknown" if not _ok(r["fate"]) else r["fate"].split(":")[0]
        by_pos[r["position"]][group] += r["count"]
    content = [r for r in rows if r["position"] in CONTENT]
    total = sum(r["count"] for r in content)
    good = sum(r["count"] for r in content if _ok(r["fate"]))
    every = sum(r["count"] for r in rows)
    every_good = sum(r["count"] for r in rows if _ok(r["fate"]))
    leaks = sum(r["count"] for r in data["leaks"])
    out = [f"# Fidelity on {title}", "",
           f"- pages: {data['pages']}; problems recorded: {data['problems']}",
           f"- template occurrences in content positions ({', '.join(CONTENT)}): {total}; rendered, read "
           f"or dropped by a documented class: {good} ({100 * good / max(total, 1):.1f}%)",
           f"- all template occurrences: {every}; rendered, read or classified: {every_good} "
           f"({100 * every_good / max(every, 1):.1f}%)",
           f"- markup leaks in output text: {leaks}",
           f"- member rows: {data['members']}; suspect (label, total, note, count, column name): "
           f"{len(data['suspect_members'])}; with no ISO code: {data.get('members_without_iso', 0)}", "",
           "## Template fate by position", "",
           "| position | rendered | infobox | read | dropped by class | dropped: unknown |",
           "|---|---|---|---|---|---|"]
    for pos in POSITIONS:
        c = by_pos.get(pos, Counter())
        out.append(f"| {pos} | {c['rendered']} | {c['infobox']} | {c['read']} | {c['dropped']} | "
                   f"{c['dropped: unknown']} |")
    classes = Counter()
    for r in rows:
        if r["fate"].startswith("dropped") and _ok(r["fate"]):
            classes[r["fate"].split(": ")[1]] += r["count"]
    out += ["", "Dropped by class: " + ", ".join(f"{k} {v}" for k, v in classes.most_common()), "",
            "## Unknown templates in content positions (most frequent first)", "",
            "| template | position | occurrences | pages |", "|---|---|---|---|"]
    unknown = sorted((r for r in content if not _ok(r["fate"])), key=lambda r: (-r["count"], r["name"]))
    out += [f"| {r['name']} | {r['position']} | {r['count']} | {r['pages']} |" for r in unknown[:40]]
    if len(unknown) > 40:
        out.append(f"| … {len(unknown) - 40} more | | {sum(r['count'] for r in unknown[40:])} | |")
    out += ["", "## Markup leaks", "", "| where | markup | count |", "|---|---|---|"]
    out += [f"| {r['where']} | `{r['markup']}` | {r['count']} |" for r in data["leaks"]]
    for key, examples in sorted(data["leak_examples"].items()):
        out += [f"- {key}: " + " ".join(f"`{e}`" for e in examples)]
    out += ["", "## Suspect member rows", ""]
    out += [f"- {s['source']}: {s['why']}: {s['member']} (group {s['group']})" for s in data["suspect_members"]]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pipeline.bench.fidelity", description=__doc__.splitlines()[0])
    p.add_argument("paths", nargs="+", type=Path, help="files or folders of pages")
    p.add_argument("--json", type=Path, help="also write the raw counts here")
    args = p.parse_args(argv)
    data = measure(args.paths)
    if args.json:
        args.json.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    sys.stdout.write(report(data, ", ".join(str(x) for x in args.paths)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
