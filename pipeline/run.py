"""Run: input paths and options in, the output folder written, a Summary out.

The per-page chain (parse -> normalise -> extract) is pure and runs in `process_page`; a page
whose chain raises becomes an `errors` row (stage named) and the run goes on. Dedup is the one
cross-document pass and sees pages in input order. Nothing here touches argv.

The same doc id twice (a page in two monthly dumps, or twice in one dump): the first copy in
input order is the one processed; each later copy is a `duplicate-page` row in `errors` naming
both places, and gives no other rows. (Keeping the first needs no look-ahead, so rows stream;
to keep a newer dump's pages, give only that dump.)

SIGTERM and SIGINT stop a run cleanly: workers are stopped, the cache keeps the pages done so
far, temporary files go, the previous outputs stay, and `Interrupted` reaches the caller.
"""

from __future__ import annotations

import gc
import hashlib
import signal
import sqlite3
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path

from . import __version__
from .cache import Cache, CacheStats, dependency_versions, page_key
from .dedup import dedup
from .extract import extract
from .neardup import NearOptions
from .model import DocResult, Problem, RawPage, Redirect
from .normalise import normalise_document
from .parallel import ordered_map
from .parse import parse
from .progress import Progress
from .tokens import initialise as initialise_tokens
from .read import discover, file_identity, read_file
from .readers.xmldump import SkippedNamespace
from .write import OutputWriter


@dataclass(frozen=True)
class Options:
    variant: str = "zh-hans"
    namespaces: frozenset[int] = frozenset({0})
    page_timeout: float = 60.0  # seconds of work per page before it is recorded and skipped
    near: NearOptions = NearOptions()

    def token(self) -> str:
        """The options that change a page's rows (for the cache key)."""
        return f"variant={self.variant};near={self.near!r}"


@dataclass
class Summary:
    documents: int = 0
    paragraphs: int = 0
    duplicates: int = 0
    tables: int = 0
    members: int = 0
    links: int = 0
    infobox: int = 0
    keywords: int = 0
    redirects: int = 0
    problems: int = 0
    seconds: float = 0.0
    cache: CacheStats = field(default_factory=CacheStats)
    skipped_files: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        c = self.cache
        return [
            f"documents   {self.documents} ({c.new} new, {c.changed} changed, {c.unchanged} unchanged, "
            f"{c.removed} removed)",
            f"paragraphs  {self.paragraphs} kept, {self.duplicates} duplicates",
            f"tables      {self.tables}",
            f"members     {self.members}",
            f"links       {self.links}",
            f"infobox     {self.infobox} fields",
            f"keywords    {self.keywords}",
            f"redirects   {self.redirects}",
            f"problems    {self.problems}" + (" (see errors.parquet)" if self.problems else ""),
            f"time        {self.seconds:.1f} s",
        ]


TRANSIENT = frozenset({"timeout", "too-deep", "parse-error", "normalise-error", "extract-error",
                       "worker-crash"})


# Python's default (700, 10, 10) runs a young-generation collection every 700 container objects;
# parsing builds millions of short-lived ones (mwparserfromhell nodes, frozen records), and those
# collections were about a sixth of a cold run's CPU time (20 MB dump: 55 s default, 45.6 s with
# this, 44.9 s with no collector at all; peak memory the same). Cycles are still collected.
GC_THRESHOLD = (10_000, 10, 10)


class PageTimeout(Exception):
    pass


class Interrupted(Exception):
    """SIGTERM or SIGINT arrived: the run stopped, its outputs were not replaced."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _interrupt(signum, frame):
    raise Interrupted(signum)


class _Signals:
    """SIGTERM/SIGINT raise Interrupted in this process while a run is on (main thread only:
    Python delivers signals there); the handlers the caller had come back afterwards."""

    def __enter__(self):
        self.saved = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self.saved[sig] = signal.signal(sig, _interrupt)
        return self

    def __exit__(self, *exc):
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)


class _PageIds:
    """Which doc ids this run has seen, and where first: one row per page in a scratch SQLite
    file, so memory stays flat for a whole dump."""

    def __init__(self, path: Path):
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE ids (doc_id TEXT PRIMARY KEY, place TEXT)")

    def first_seen(self, page: RawPage) -> str | None:
        """None for a new doc id; where it was first seen for a repeated one."""
        place = _place(page)
        if self.db.execute("INSERT OR IGNORE INTO ids VALUES (?, ?)", (page.doc_id, place)).rowcount:
            return None
        return self.db.execute("SELECT place FROM ids WHERE doc_id = ?", (page.doc_id,)).fetchone()[0]

    def close(self) -> None:
        self.db.close()


def _place(page: RawPage) -> str:
    meta = page.meta
    when = f", revision {meta.revision_id} of {meta.timestamp}" if meta and meta.timestamp else ""
    return f"{page.source} ({page.title or page.doc_id}{when})"


def _duplicate_page(page: RawPage, first: str) -> Problem:
    return Problem(page.source, page.doc_id, "read", "duplicate-page",
                   f"{page.source}: {page.title or page.doc_id}: doc id {page.doc_id} was already "
                   f"read from {first}; the first copy is kept, this one is skipped")


class _Alarm:
    """The page timer's signal handler. It remembers that it fired because the PageTimeout it
    raises does not always arrive as itself: raised inside mwparserfromhell's C tokenizer it can
    come out as a ParserError ("C tokenizer exited with non-empty token stack")."""

    def __init__(self):
        self.fired = False

    def __call__(self, signum, frame):
        self.fired = True
        raise PageTimeout()


def process_page(page: RawPage, options: Options):
    """parse -> normalise -> extract for one page: (DocResult, dropped templates), or a Problem
    naming the stage that failed. Bounded in time by options.page_timeout."""
    stage = "parse"
    label = f"{page.source}: {page.title or page.doc_id}"
    timer = (options.page_timeout > 0 and hasattr(signal, "setitimer")
             and threading.current_thread() is threading.main_thread())  # signals need it
    alarm = _Alarm()
    if timer:
        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, options.page_timeout)
    try:
        doc = parse(page)
        stage = "normalise"
        doc = normalise_document(doc, options.variant)
        stage = "extract"
        return extract(doc, options.near), doc.dropped_templates
    except Exception as e:
        if not (isinstance(e, PageTimeout) or alarm.fired):
            return _failed(page, stage, label, e)
        return Problem(page.source, page.doc_id, stage, "timeout",
                       f"{label}: gave up after {options.page_timeout:g}s in {stage}")
    finally:
        if timer:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _failed(page: RawPage, stage: str, label: str, e: Exception) -> Problem:
    """A stage raised (a bug, or markup too deep to recurse into): record it, go on with the next page."""
    if isinstance(e, RecursionError):
        return Problem(page.source, page.doc_id, stage, "too-deep",
                       f"{label}: markup nested too deeply to {stage}")
    return Problem(page.source, page.doc_id, stage, f"{stage}-error",
                   f"{label}: {type(e).__name__}: {e}")


@dataclass(frozen=True)
class _Todo:
    """A page to process, with its cache key; anything else the readers yield passes through."""

    page: RawPage
    key: str


def _from_cache(hit, page: RawPage):
    """A cached outcome, told which file the page now comes from (dumps are renamed monthly)."""
    if isinstance(hit, Problem):
        return replace(hit, source=page.source)
    result, templates = hit
    result.document["source"] = page.source
    return replace(result, problems=[replace(p, source=page.source) for p in result.problems]), templates


def _crashed(todo: _Todo):
    page = todo.page
    return todo, Problem(page.source, page.doc_id, "parse", "worker-crash",
                         f"{page.source}: {page.title or page.doc_id}: the worker process died on "
                         "this page twice (a crash in a parser's C code, or out of memory)")


def _work(options: Options, todo: _Todo):
    return todo, process_page(todo.page, options)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _input_entry(f) -> dict:
    """An input's identity for the manifest; a file gone or changed since it was found (recorded
    in errors by the reader) gets nulls: its hash now is not the hash of what was read."""
    try:
        sha256 = _sha256(f.path)
        if f.identity is None or file_identity(f.path) == f.identity:
            return {"source": f.source, "sha256": sha256, "bytes": f.path.stat().st_size}
    except OSError:
        pass
    return {"source": f.source, "sha256": None, "bytes": None}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run(paths: list[Path], out: Path, options: Options = Options(), quiet: bool = False,
        cache_dir: Path | None = None, jobs: int = 1) -> Summary:
    # An output or cache folder inside an input folder holds last run's outputs, not inputs.
    files, skipped, unlisted = discover(paths, {out: "the output folder", cache_dir: "the cache folder"})
    if not files:
        raise FileNotFoundError("no input files under " + ", ".join(map(str, paths)))
    started = time.time()
    with _Signals():
        return _run(files, skipped, unlisted, out, options, quiet, cache_dir, jobs, started)


def _run(files, skipped, unlisted, out: Path, options: Options, quiet: bool, cache_dir: Path | None,
         jobs: int, started: float) -> Summary:
    writer = OutputWriter(out)
    try:
        cache = Cache(cache_dir)
        page_ids = _PageIds(writer.tmp / "pages.sqlite")
    except BaseException:
        writer.abort()
        raise
    summary = Summary(skipped_files=skipped, cache=cache.stats)
    dropped: Counter[str] = Counter()
    skipped_ns: Counter[str] = Counter()
    progress = Progress(total_bytes=sum(_size(f.path) for f in files), total_files=len(files),
                        quiet=quiet)
    token = options.token()

    def items() -> Iterator:
        yield from unlisted  # folders that could not be listed: Problems
        for f in files:
            progress.file(f.source, _size(f.path))
            for item in read_file(f, options.namespaces, watch=progress.watch):
                if isinstance(item, RawPage):
                    first = page_ids.first_seen(item)
                    if first is not None:
                        yield _duplicate_page(item, first)
                        continue
                    key = page_key(item, token) if cache.enabled else ""
                    hit = cache.get(item.doc_id, key)
                    yield _Todo(item, key) if hit is None else _from_cache(hit, item)
                else:
                    yield item

    def results() -> Iterator[DocResult]:
        work = ordered_map(partial(_work, options), progress.reading(items()), jobs,
                           needs_work=lambda x: isinstance(x, _Todo),
                           size_of=lambda x: len(x.page.text) if isinstance(x, _Todo) else 1,
                           on_crash=_crashed)
        for item in progress.finishing(work):
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], _Todo):
                todo, item = item
                # A timeout or a crash may not happen next time (a longer --page-timeout, a fix):
                # only real outcomes are cached.
                if not (isinstance(item, Problem) and item.kind in TRANSIENT):
                    cache.put(todo.page.doc_id, todo.key, item)
            _cache_problems()
            if isinstance(item, Problem):
                _problem(item)
            elif isinstance(item, Redirect):
                summary.redirects += 1
                writer.add("redirects", [asdict(item)])
            elif isinstance(item, SkippedNamespace):
                skipped_ns[f"{item.source} ns={item.namespace}"] += item.pages
            else:
                progress.page()
                result, templates = item
                dropped.update(dict(templates))
                for p in result.problems:  # the page was read, with something worth knowing
                    _problem(p)
                yield result

    def _problem(p: Problem) -> None:
        summary.problems += 1
        progress.say(f"problem: {p.message}")
        writer.add("errors", [asdict(p)])

    def _cache_problems() -> None:
        while cache.problems:
            _problem(cache.problems.pop(0))

    complete = False
    gc_before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)  # inherited by forked workers
    try:
        # With workers, each loads jieba's dictionary itself on its first page, at the same time,
        # rather than this process loading it for them while they wait (~2 s of a run with
        # nothing else going on); a page served from the cache never needs it.
        _cache_problems()
        progress.loading("dictionaries")  # the bar shows before the wait, not after it
        if jobs <= 1:
            initialise_tokens()
        for result, dups in dedup(results(), options.near, scratch=writer.tmp / "dedup.sqlite"):
            summary.documents += 1
            summary.paragraphs += len(result.paragraphs)
            summary.duplicates += len(dups)
            summary.tables += len(result.tables)
            summary.members += len(result.members)
            summary.links += len(result.links)
            summary.infobox += len(result.infobox)
            summary.keywords += len(result.keywords)
            writer.add("documents", [result.document])
            writer.add("paragraphs", result.paragraphs)
            writer.add("duplicates", dups)
            for name in ("tables", "table_cells", "members", "links", "infobox", "keywords"):
                writer.add(name, getattr(result, name))
            for index, columns, rows in result.wide_tables:
                writer.add_wide_table(result.doc_id, index, columns, rows)
        progress.close()
        complete = True
        cache.close(complete=True)
        _cache_problems()
        page_ids.close()
        writer.commit(_manifest(files, skipped, options, writer.counts, dropped, skipped_ns,
                                cache.stats, jobs, started))
    except BaseException:
        if not complete:
            cache.close(complete=False)  # keeps every page done so far for the next run
        page_ids.close()
        writer.abort()
        raise
    finally:
        gc.set_threshold(*gc_before)  # the caller's process, as it was
    summary.seconds = time.time() - started
    return summary


def _manifest(files, skipped, options: Options, counts, dropped: Counter, skipped_ns: Counter,
              cache: CacheStats, jobs: int, started: float) -> dict:
    versions = dependency_versions()
    return {
        "pipeline_version": __version__,
        "python": sys.version.split()[0],
        "packages": versions,
        "options": {"variant": options.variant, "namespaces": sorted(options.namespaces),
                    "page_timeout": options.page_timeout, "jobs": jobs, "near": asdict(options.near)},
        "documents": asdict(cache),
        "inputs": [_input_entry(f) for f in files],
        "skipped_files": skipped,
        "skipped_namespaces": dict(sorted(skipped_ns.items())),
        "rows": counts,
        "dropped_templates": dict(sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0]))),
        "seconds": round(time.time() - started, 3),
    }
