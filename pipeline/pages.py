"""The per-page chain: a RawPage in, (DocResult, dropped templates, dedup keys) or a Problem out.

parse -> normalise -> extract -> the per-page half of dedup (`dedup.page_keys`: each
paragraph's key, MinHash signature and LSH bands, for the global pass), pure, bounded in time by `Options.page_timeout` (SIGALRM, so it
must run on a process's main thread: the map stage runs it in a child process where it is not,
see shardmap.py). A page whose chain raises becomes a Problem naming the stage; the run goes on.
"""

from __future__ import annotations

import gc
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass

from .dedup import page_keys
from .extract import extract
from .model import Problem, RawPage
from .neardup import NearOptions
from .normalise import normalise_document
from .parse import parse
from .rows import evolve
from .tokens import initialise as initialise_tokens


@dataclass(frozen=True)
class Options:
    variant: str = "zh-hans"
    namespaces: frozenset[int] = frozenset({0})
    page_timeout: float = 60.0  # seconds of work per page before it is recorded and skipped
    near: NearOptions = NearOptions()

    def token(self) -> str:
        """The options that change a page's rows (for the cache key)."""
        return f"variant={self.variant};near={self.near!r}"


TRANSIENT = frozenset({"timeout", "too-deep", "parse-error", "normalise-error", "extract-error", "dedup-error",
                       "worker-crash"})


# Python's default (700, 10, 10) runs a young-generation collection every 700 container objects;
# parsing builds millions of short-lived ones (mwparserfromhell nodes, frozen records), and those
# collections were about a sixth of a cold run's CPU time (20 MB dump: 55 s default, 45.6 s with
# this, 44.9 s with no collector at all; peak memory the same). Cycles are still collected.
GC_THRESHOLD = (10_000, 10, 10)


@contextmanager
def few_collections():
    """GC_THRESHOLD while a shard's stage runs (map, finalize), the caller's own afterwards.
    Finalize builds rows by the hundred thousand too: under the default its full collections
    were 1.1 of a cold run's 22.5 CPU-s (10 MB dump), 0.04 s with this."""
    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)


class PageTimeout(Exception):
    pass


# The run's stop (run.Interrupted, raised by its SIGTERM/SIGINT handler) once it has been raised
# in this process, set by run.py. Raised inside mwparserfromhell's C tokenizer it can come out as
# a ParserError, as the page timer's can (_Alarm), and the page would record it as its failure.
STOPS: list[BaseException] = []


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
    # The dictionaries a process loads once (jieba's, ~2 s) are not the page's work: loaded
    # before the timer starts, so a fresh worker's first page is not charged for them.
    initialise_tokens()
    if timer:
        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, options.page_timeout)
    try:
        doc = parse(page)
        stage = "normalise"
        doc = normalise_document(doc, options.variant)
        stage = "extract"
        result = extract(doc)
        stage = "dedup"
        paragraphs, keys = page_keys(result.paragraphs, options.near)
        return evolve(result, paragraphs=paragraphs), doc.dropped_templates, keys
    except Exception as e:
        if STOPS:  # the run's stop, turned into another exception on its way here
            raise STOPS[0] from None
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
