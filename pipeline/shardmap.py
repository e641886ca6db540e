"""Map: one shard in (plan.py), its page outcomes and its dedup key table out, as files.

Per shard, on any worker: read the shard's pieces, probe the cache (pagecache.py), run the
per-page chain (pages.py) on what is not cached, and write
- `<work>/<shard>.items`: every record in input order (a `PageOutcome` per page, its paragraphs'
  MinHash data removed, its outcome packed as the cache holds it; redirects, problems,
  skipped-namespace counts), pickles;
- `<work>/<shard>.keys`: per page its number in the shard, doc_id, where it was read, what the
  cache found, and per paragraph (para_index, norm_hash, signature, band keys): all that the
  global pass (dedup_pass.py) reads;
- `<work>/<shard>.cache`: the cache entries of its pages, for the run's new cache index.
Returns a small MapInfo. Nothing is shared with other shards while it runs.

`Job.page_jobs` > 1 spreads the pages of the shard over that many processes (the local engine,
when there are fewer shards than --jobs: a plain .xml.bz2 dump is one shard).
`Job.isolate` (Dask, which runs tasks on worker threads) runs the shard in a child process of
this one, kept for the worker's life: there the page timer (SIGALRM, main thread only) works,
and a page that kills the process (a crash in C code, the OOM killer) kills the child, not the
worker. The whole shard goes to the child and only the small MapInfo comes back (sending each
page there and its rows back cost a Dask run about a third more CPU than the local engine).
If the child dies, the shard is done again with each page isolated (batches of pages in flight
to the child), so the page that killed it becomes a `worker-crash` row and the rest are kept.
"""

from __future__ import annotations

import pickle
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from .cache import page_key
from .model import Problem, RawPage
from .pagecache import CacheStats, ShardCache, pack_outcome, unpack_outcome
from .pages import TRANSIENT, Options, few_collections, process_page
from .parallel import in_kept_child, ordered_map
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
    crashed: bool = False  # a process died on this shard before: isolate each page at once
    page_jobs: int = 1  # processes for the pages of one shard (a run with fewer shards than --jobs)


@dataclass
class MapInfo:
    shard: int
    stats: CacheStats = field(default_factory=CacheStats)
    ranges: list[RangeRead] = field(default_factory=list)
    documents: int = 0
    storable: bool = False  # no transient outcome, no cache problem: may be stored (shardcache.py)
    key: str = ""  # the shard's identity (shardcache.py), "" without a cache
    stored: bool = False  # its outputs are in the cache under `key` (stored or reused)
    reused: bool = False  # taken from the cache, nothing read
    packs: tuple[str, ...] = ()  # the cache packs its pages' entries point at


@dataclass(frozen=True)
class PageOutcome:
    """One page's outcome, (DocResult, dropped templates) or a Problem, with what names it; the
    outcome packed (pagecache.pack_outcome: a cache hit is written through as it was read), read
    with `outcome`."""

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


def outcome(page: PageOutcome):
    """A page's outcome unpacked, told which file the page now comes from (a cached outcome may
    be from last month's dump, under another name)."""
    found = unpack_outcome(page.outcome)
    if isinstance(found, Problem):
        return found if found.source == page.source else replace(found, source=page.source)
    result, templates = found
    if result.document.source != page.source:
        result = replace(result, document=replace(result.document, source=page.source),
                         problems=[replace(p, source=page.source) for p in result.problems])
    return result, templates


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
    if job.isolate:
        initialise_tokens()  # once here, shared with the child by fork
        _allow_children()
        if job.page_jobs <= 1 and not job.crashed:
            try:
                return in_kept_child(_map_shard, shard, replace(job, isolate=False))
            except BrokenProcessPool:  # a page killed the child: again, page by page
                pass
    return _map_shard(shard, job)


def _map_shard(shard: Shard, job: Job) -> MapInfo:
    info = MapInfo(shard.no)
    cache = ShardCache(job.cache, job.run_id, shard.name)
    token = job.options.token()

    pages: list[tuple] = []  # (place, what the cache found) per page, in order
    # Whether this shard's outputs may be stored whole (shardcache.py): not if a page timed out
    # or crashed (it may not next time) or the cache had a problem (its row is in the items).
    clean = True

    def items():
        yield from shard.notes
        for piece in shard.pieces:
            for item in read_piece(piece, job.options.namespaces):
                if isinstance(item, RawPage):
                    key = page_key(item, token) if cache.enabled else ""
                    hit = cache.get(item.doc_id, key)
                    yield from _drain(cache.problems)
                    pages.append((place(item), cache.last))
                    yield _Todo(item, key) if hit is None else (item, hit)  # (keys, packed outcome)
                elif isinstance(item, RangeRead):
                    info.ranges.append(item)
                else:
                    yield item

    job.work.mkdir(parents=True, exist_ok=True)
    try:
        with few_collections(), open(path(job, shard.no, "items"), "wb") as out, \
                open(path(job, shard.no, "keys"), "wb") as keys:
            for item in ordered_map(partial(_work, job.options), items(), job.page_jobs,
                                    needs_work=lambda x: isinstance(x, _Todo),
                                    size_of=lambda x: len(x.page.text) if isinstance(x, _Todo) else 1,
                                    on_crash=_crashed, isolate=job.isolate):
                if isinstance(item, tuple) and isinstance(item[0], _Todo):
                    todo, done = item
                    paras = None
                    if isinstance(done, tuple):  # the key table goes to the global pass
                        result, templates, paras = done
                        done = result, templates
                    packed = pack_outcome(done, 1 if cache.pack is not None else 0)
                    # A timeout or a crash may not happen next time (a longer --page-timeout, a
                    # fix): only real outcomes are cached.
                    if not (isinstance(done, Problem) and done.kind in TRANSIENT):
                        cache.put(todo.page.doc_id, todo.key, paras, packed)
                    else:
                        clean = False
                    item = todo.page, (paras, packed)
                if isinstance(item, tuple):  # (RawPage, (dedup keys, packed outcome))
                    page, (paras, packed) = item
                    no = info.documents
                    where, found = pages[no]
                    pickle.dump((no, page.doc_id, where, found, paras), keys, protocol=pickle.HIGHEST_PROTOCOL)
                    item = PageOutcome(no, page.source, page.doc_id, page.title, packed)
                    info.documents += 1
                for record in [*_drain(cache.problems), item]:
                    if isinstance(record, Problem) and record.stage == "cache":
                        clean = False
                    pickle.dump(record, out, protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        entries = cache.close()
    path(job, shard.no, "cache").write_bytes(pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL))
    info.stats = cache.stats
    info.storable = clean and cache.pack is not None and not cache.problems
    return info


def _drain(problems: list) -> list:
    out = problems[:]
    problems.clear()
    return out


def records(file: Path):
    """The pickles of an intermediate file, in order."""
    with open(file, "rb") as f:
        while True:
            try:
                yield pickle.load(f)
            except EOFError:
                return
