"""Finalize: one shard's map output and the dedup pass's decisions in, its part files out.

Per shard, on any worker: every record of `<shard>.items` in order; a document's duplicates
(decided by the global pass, `<shard>.dups`) leave `paragraphs` for `duplicates`; problems,
redirects and rows go to their tables (write.PartWriter). With a cache, each page's rows are
encoded once and kept (fragments.py), so a later run copies an unchanged page's rows. What the manifest and the summary need comes
back in a small FinalInfo: row counts, dropped templates, skipped namespaces, the first problems.

Positions inside a multistream range (line, byte, pages read) are the reader's, counted from
the range's start; `offsets` (what the earlier ranges of the same dump held, known once every
map is done) makes them global again, so a message names the same line whatever the sharding.
"""

from __future__ import annotations

import pickle
import re
from collections import Counter
from dataclasses import dataclass, field, replace

from . import fragments
from .dedup import apply
from .dedup_pass import DUPLICATE_PAGE
from .model import Problem, Redirect
from .pages import few_collections
from .rows import DuplicateRow
from .write import PartWriter
from .readers.xmldump import SkippedNamespace
from .shardmap import Job, PageOutcome, outcome, path, records

SHOW_PROBLEMS = 100  # problem messages per shard passed back for the progress output


@dataclass
class FinalInfo:
    shard: int
    counts: dict[str, int] = field(default_factory=dict)
    dropped: Counter = field(default_factory=Counter)
    skipped_ns: Counter = field(default_factory=Counter)
    problems: int = 0
    messages: list[str] = field(default_factory=list)
    summary: Counter = field(default_factory=Counter)
    files: list[str] = field(default_factory=list)  # what it wrote, relative to the run's folder
    read_problems: int = 0  # rows whose positions depend on `offsets` (shardcache.py)


_POSITIONS = (
    (re.compile(r"(near line )(\d+)()"), 0),
    (re.compile(r"(byte )(\d+)( \(uncompressed\))"), 1),
    (re.compile(r"(after )(\d+)( complete page)"), 2),
)


def globalise(problem: Problem, offset: tuple[int, int, int, str] | None) -> Problem:
    """A reader's message with its line, byte and page count shifted by what came before (and
    the last complete page named, if the range itself completed none)."""
    if not offset or not any(offset[:3]) or problem.stage != "read":
        return problem
    message = problem.message
    for rx, i in _POSITIONS:
        message = rx.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + offset[i]}{m.group(3)}", message, count=1)
    if offset[3] and message.endswith(", no complete page"):
        message = message.removesuffix("no complete page") + offset[3]
    return replace(problem, message=message)


def finalize_shard(shard, job: Job, offsets: dict[tuple[str, int], tuple], notes: tuple = ()) -> FinalInfo:
    """`offsets`: (source, range) -> (lines, bytes, pages, last page) of the dump before it;
    `notes`: problems to record first (a damaged stored shard, shardcache.py)."""
    with few_collections():
        return _finalize_shard(shard, job, offsets, notes)


def _finalize_shard(shard, job: Job, offsets: dict, notes: tuple) -> FinalInfo:
    info = FinalInfo(shard.no)
    offsets = {p.file.source: offsets.get((p.file.source, p.part)) for p in shard.pieces if p.ranged}
    dups_file = path(job, shard.no, "dups")
    decisions = pickle.loads(dups_file.read_bytes()) if dups_file.exists() else {}
    writer = PartWriter(job.work.parent, shard.no)
    frags = fragments.Fragments(job.cache, job.run_id, shard.name)

    def problem(p: Problem) -> None:
        p = globalise(p, offsets.get(p.source))
        info.problems += 1
        info.read_problems += p.stage == "read"
        if len(info.messages) < SHOW_PROBLEMS:
            info.messages.append(p.message)
        writer.add("errors", [p])

    # With a cache, pages are encoded in batches (fragments.Pages): every output goes through
    # its queue, so rows and problems keep their order.
    pages = fragments.Pages(frags, writer, info.summary, info.dropped, problem) if frags.store is not None else None
    act = pages.later if pages is not None else (lambda fn, *args: fn(*args))
    try:
        for note in notes:
            act(problem, note)
        for item in records(path(job, shard.no, "items")):
            if isinstance(item, Problem):
                act(problem, item)
            elif isinstance(item, Redirect):
                info.summary["redirects"] += 1
                act(writer.add, "redirects", [item])
            elif isinstance(item, SkippedNamespace):
                info.skipped_ns[f"{item.source} ns={item.namespace}"] += item.pages
            else:
                decision = decisions.get(item.no, {})
                if isinstance(decision, tuple) and decision[0] == DUPLICATE_PAGE:
                    act(problem, duplicate_page(item, decision[1]))
                elif pages is not None:
                    pages.page(item, decision)
                elif isinstance(found := outcome(item), Problem):
                    problem(found)
                else:
                    result, templates = found
                    info.dropped.update(dict(templates))
                    for p in result.problems:  # the page was read, with something worth knowing
                        problem(p)
                    result, dups = apply(result, decision)
                    _write(writer, result, dups, info.summary)
        if pages is not None:
            pages.flush()
        info.counts = writer.close()
        info.files = writer.files()
        if frags.close(path(job, shard.no, "frags")):  # stored with the parts (shardcache.py)
            info.files.append(f"{job.work.name}/{shard.name}.frags")
    except BaseException:
        writer.abort()
        frags.close(path(job, shard.no, "frags"))
        raise
    return info


def duplicate_page(page: PageOutcome, first: str) -> Problem:
    return Problem(page.source, page.doc_id, "read", "duplicate-page",
                   f"{page.source}: {page.title or page.doc_id}: doc id {page.doc_id} was already "
                   f"read from {first}; the first copy is kept, this one is skipped")


def _write(writer: PartWriter, result, dups: list[DuplicateRow], summary: Counter) -> None:
    """A page's rows as records (without a cache; with one, fragments.Pages encodes them)."""
    summary.update(fragments.counts(result, dups))
    writer.add("documents", [result.document])
    for name in fragments.TABLES:
        writer.add(name, fragments.rows(name, result, dups))
    for index, columns, rows in result.wide_tables:
        writer.add_wide_table(result.doc_id, index, columns, rows)
