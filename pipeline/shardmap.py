"""Map: one shard in (plan.py), its page outcomes and its dedup key table out, as files.

Per shard, on any worker: read the shard's pieces, probe the cache (pagecache.py), run the
per-page chain (pages.py) on what is not cached, and write
- `<work>/<shard>.items`: every record in input order (a `PageOutcome` per page, its paragraphs'
  MinHash data removed; redirects, problems, skipped-namespace counts), gzip'd pickles;
- `<work>/<shard>.keys`: per page its number in the shard, doc_id, where it was read, what the
  cache found, and per paragraph (para_index, norm_hash, signature, band keys): all that the
  global pass (dedup_pass.py) reads;
- `<work>/<shard>.cache`: the cache entries of its pages, for the run's new cache index.
Returns a small MapInfo. Nothing is shared with other shards while it runs.

`Job.page_jobs` > 1 spreads the pages of the shard over that many processes (the local engine,
when there are fewer shards than --jobs: a plain .xml.bz2 dump is one shard).
`Job.isolate` runs the pages in a child process of this one (one page at a time in flight,
batched): a page that kills the process (a crash in C code, the OOM killer) becomes a
`worker-crash` row instead of killing the worker, and the page timer (SIGALRM, main thread
only) works even when this task runs on a worker thread, as it does under Dask.
"""

from __future__ import annotations

import gc
import gzip
import pickle
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from .cache import page_key
from .model import Problem, RawPage
from .pagecache import CacheStats, ShardCache
from .pages import GC_THRESHOLD, TRANSIENT, Options, process_page
from .parallel import ordered_map
from .plan import Shard
from .read import RangeRead, read_piece
from .tokens import initialise as initialise_tokens


@dataclass(frozen=True)
class Job:
    """What every per-shard task of a run needs (picklable, sent to the workers)."""

    options: Options
    work: Path  # intermediates (under the output's temporary folder: shared storage on a cluster)
    cache: Path | None
    run_id: str
    isolate: bool = False
    page_jobs: int = 1  # processes for the pages of one shard (a run with fewer shards than --jobs)


@dataclass
class MapInfo:
    shard: int
    stats: CacheStats = field(default_factory=CacheStats)
    ranges: list[RangeRead] = field(default_factory=list)
    documents: int = 0


@dataclass(frozen=True)
class PageOutcome:
    """One page's outcome, (DocResult, dropped templates) or a Problem, with what names it."""

    no: int  # the page's number in its shard
    source: str
    doc_id: str
    title: str | None
    outcome: object


def place(page: RawPage) -> str:
    """Where a page was read, for a later copy's duplicate-page message."""
    meta = page.meta
    when = f", revision {meta.revision_id} of {meta.timestamp}" if meta and meta.timestamp else ""
    return f"{page.source} ({page.title or page.doc_id}{when})"


@dataclass(frozen=True)
class _Todo:
    """A page to process, with its cache key; anything else the readers yield passes through."""

    page: RawPage
    key: str


def _from_cache(hit, page: RawPage):
    """A cached outcome, told which file the page now comes from (dumps are renamed monthly)."""
    if isinstance(hit, Problem):
        return replace(hit, source=page.source)
    result, templates, keys = hit
    return replace(result, document=replace(result.document, source=page.source),
                   problems=[replace(p, source=page.source) for p in result.problems]), templates, keys


def _crashed(todo: _Todo):
    page = todo.page
    return todo, Problem(page.source, page.doc_id, "parse", "worker-crash",
                         f"{page.source}: {page.title or page.doc_id}: the worker process died on "
                         "this page twice (a crash in a parser's C code, or out of memory)")


def _work(options: Options, todo: _Todo):
    return todo, process_page(todo.page, options)


def path(job: Job, shard: int, kind: str) -> Path:
    return job.work / f"{shard:05d}.{kind}"


def _allow_children() -> None:
    """Dask's workers are daemonic processes unless configured otherwise
    (DASK_DISTRIBUTED__WORKER__DAEMON=False, as our LocalCluster is), and multiprocessing
    refuses them children, lest they outlive it. The child here is kept for the worker's life
    (parallel._kept) and dies with it (PR_SET_PDEATHSIG), which is what the rule protects, so
    the flag is lifted."""
    import multiprocessing

    process = multiprocessing.current_process()
    if process.daemon:
        process._config["daemon"] = False


def map_shard(shard: Shard, job: Job) -> MapInfo:
    info = MapInfo(shard.no)
    cache = ShardCache(job.cache, job.run_id, shard.name)
    token = job.options.token()

    pages: list[tuple] = []  # (place, what the cache found) per page, in order

    def items():
        yield from shard.notes
        for piece in shard.pieces:
            for item in read_piece(piece, job.options.namespaces):
                if isinstance(item, RawPage):
                    key = page_key(item, token) if cache.enabled else ""
                    hit = cache.get(item.doc_id, key)
                    yield from _drain(cache.problems)
                    pages.append((place(item), cache.last))
                    yield _Todo(item, key) if hit is None else (item, _from_cache(hit, item))
                elif isinstance(item, RangeRead):
                    info.ranges.append(item)
                else:
                    yield item

    gc_before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    if job.isolate:
        initialise_tokens()  # once here, shared with the child by fork
        _allow_children()
    job.work.mkdir(parents=True, exist_ok=True)
    try:
        with gzip.open(path(job, shard.no, "items"), "wb", compresslevel=1) as out, \
                open(path(job, shard.no, "keys"), "wb") as keys:
            for item in ordered_map(partial(_work, job.options), items(), job.page_jobs,
                                    needs_work=lambda x: isinstance(x, _Todo),
                                    size_of=lambda x: len(x.page.text) if isinstance(x, _Todo) else 1,
                                    on_crash=_crashed, isolate=job.isolate):
                if isinstance(item, tuple) and isinstance(item[0], _Todo):
                    todo, outcome = item
                    # A timeout or a crash may not happen next time (a longer --page-timeout, a
                    # fix): only real outcomes are cached.
                    if not (isinstance(outcome, Problem) and outcome.kind in TRANSIENT):
                        cache.put(todo.page.doc_id, todo.key, outcome)
                    item = todo.page, outcome
                if isinstance(item, tuple):  # (RawPage, outcome)
                    page, outcome = item
                    no = info.documents
                    where, found = pages[no]
                    paras = None
                    if isinstance(outcome, tuple):  # the key table goes to the global pass
                        result, templates, paras = outcome
                        outcome = result, templates
                    pickle.dump((no, page.doc_id, where, found, paras), keys, protocol=pickle.HIGHEST_PROTOCOL)
                    item = PageOutcome(no, page.source, page.doc_id, page.title, outcome)
                    info.documents += 1
                for record in [*_drain(cache.problems), item]:
                    pickle.dump(record, out, protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        gc.set_threshold(*gc_before)
        entries = cache.close()
    path(job, shard.no, "cache").write_bytes(pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL))
    info.stats = cache.stats
    return info


def _drain(problems: list) -> list:
    out = problems[:]
    problems.clear()
    return out


def records(file: Path):
    """The pickles of an intermediate file, in order (gzip'd or not, by name)."""
    opener = gzip.open if file.suffix == ".items" else open
    with opener(file, "rb") as f:
        while True:
            try:
                yield pickle.load(f)
            except EOFError:
                return
