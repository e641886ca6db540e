"""Ordered, bounded parallel map over pages: the per-page work on `jobs` processes.

In: an iterator of items and a picklable function. Out: the function's results in input order.
Processes, not threads, because the parsers hold the GIL. At most `jobs * AHEAD` batches are in
flight, so memory stays bounded however long the input is (a plain Pool.imap would read the
whole dump ahead into its task queue). Results come back in input order, so outputs are the same
with any number of jobs.

Workers never outlive the run: they ask the kernel to SIGKILL them when their parent dies
(Linux `PR_SET_PDEATHSIG`; elsewhere a thread watches the parent id), so even a SIGKILLed run
leaves no workers behind; when the run stops on an exception (SIGTERM, Ctrl-C) the workers are
terminated rather than waited for. They ignore SIGINT: Ctrl-C in a terminal reaches the whole
process group, and the parent alone decides how to stop.
"""

from __future__ import annotations

import ctypes
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

AHEAD = 4
BATCH_PAGES = 16
BATCH_BYTES = 2 * 1024 * 1024


def _batches(items: Iterable, size_of: Callable) -> Iterator[list]:
    batch, size = [], 0
    for item in items:
        batch.append(item)
        size += size_of(item)
        if len(batch) >= BATCH_PAGES or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _worker_start(parent: int) -> None:
    """Runs first in every worker process (see the module docstring)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the run's handler, inherited by fork
    if not _die_with_parent():
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before we asked
        os._exit(1)


def _die_with_parent() -> bool:
    try:
        # The process's own symbols hold libc's prctl: no find_library (it runs ldconfig in a
        # subprocess, in every worker's start).
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):  # not Linux
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _pool(jobs: int, ctx):
    return ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_start,
                               initargs=(os.getpid(),))


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop the workers now: a SIGTERMed run should not wait for their batches to finish."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            process.terminate()
        except (OSError, AttributeError):
            pass
    pool.shutdown(wait=True, cancel_futures=True)


def _apply(fn: Callable, batch: list) -> list:
    return [fn(x) for x in batch]


def ordered_map(fn: Callable, items: Iterable, jobs: int, needs_work: Callable = lambda x: True,
                size_of: Callable = lambda x: 1, on_crash: Callable | None = None,
                isolate: bool = False) -> Iterator:
    """fn(item) for items that need work, the item itself for the rest, all in input order.

    Items that need no work (cache hits, problems) never cross a process boundary.
    With jobs <= 1 everything runs in this process, unless `isolate` (then in one child). If a worker dies (a crash in a C extension,
    the OOM killer), the items of the batches in flight are retried one per fresh process, and
    an item that kills its process again gives `on_crash(item)` instead of stopping the run.
    """
    if jobs <= 1 and not isolate:
        for item in items:
            yield fn(item) if needs_work(item) else item
        return
    import multiprocessing

    # fork shares the already loaded dictionaries (OpenCC, jieba) with the workers for free.
    ctx = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    jobs = max(jobs, 1)
    state = {"pool": _kept(jobs, ctx) if isolate else _pool(jobs, ctx)}
    pending: deque = deque()

    def drain() -> Iterator:
        batch, work, future = pending.popleft()
        try:
            done = future.result() if future is not None else []
        except BrokenProcessPool:
            state["pool"].shutdown(wait=False, cancel_futures=True)
            done = [_isolated(fn, x, on_crash, ctx) for x in work]
            state["pool"] = _kept(jobs, ctx, renew=True) if isolate else _pool(jobs, ctx)
            for i, (b, w, _) in enumerate(pending):  # they died with the pool: run them again
                pending[i] = (b, w, state["pool"].submit(_apply, fn, w) if w else None)
        results = iter(done)
        for item in batch:
            yield next(results) if needs_work(item) else item

    try:
        for batch in _batches(items, size_of):
            work = [x for x in batch if needs_work(x)]
            pending.append((batch, work, state["pool"].submit(_apply, fn, work) if work else None))
            while len(pending) >= jobs * AHEAD:
                yield from drain()
        while pending:
            yield from drain()
    except BaseException:
        _terminate(state["pool"])
        _KEPT.pop((os.getpid(), jobs), None)
        raise
    finally:
        if not isolate:
            state["pool"].shutdown(wait=True, cancel_futures=True)


# An isolating child is kept for the life of the process that started it (a Dask worker runs
# many shards): a child per shard started with cold per-process caches (jieba's runs, OpenCC's
# and normalise's by-value caches) on every shard, which cost a Dask run about 40% more CPU than
# the local engine on the 10 MB bench dump. Keyed by pid, so a forked process never reuses its
# parent's; it dies with its parent (PR_SET_PDEATHSIG, see _worker_start).
_KEPT: dict[tuple[int, int], ProcessPoolExecutor] = {}


def forget_children() -> None:
    """Stop the kept children: the next isolated map forks new ones from this process as it is
    now (tests that patch a worker's code need that; a run never does)."""
    while _KEPT:
        _KEPT.popitem()[1].shutdown(wait=True, cancel_futures=True)


def _kept(jobs: int, ctx, renew: bool = False) -> ProcessPoolExecutor:
    key = (os.getpid(), jobs)
    if renew or key not in _KEPT:
        _KEPT[key] = _pool(jobs, ctx)
    return _KEPT[key]


def in_kept_child(fn: Callable, *args):
    """fn(*args) run in this process's kept child (forked on first use, see _KEPT), so it runs
    on a main thread (the page timer needs one) and cannot take this process down. Raises
    BrokenProcessPool if the child died; the next call forks a fresh one."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    try:
        return _kept(1, ctx).submit(fn, *args).result()
    except BrokenProcessPool:
        _KEPT.pop((os.getpid(), 1)).shutdown(wait=False, cancel_futures=True)
        raise


def _isolated(fn: Callable, item, on_crash: Callable | None, ctx):
    """fn(item) in a process of its own, so one bad item cannot take others down with it."""
    with _pool(1, ctx) as pool:
        try:
            return pool.submit(fn, item).result()
        except BrokenProcessPool:
            if on_crash is None:
                raise
            return on_crash(item)
