"""Ordered, bounded parallel map over pages: the per-page work on `jobs` processes.

In: an iterator of items and a picklable function. Out: the function's results in input order.
Processes, not threads, because the parsers hold the GIL. At most `jobs * AHEAD` batches are in
flight, so memory stays bounded however long the input is (a plain Pool.imap would read the
whole dump ahead into its task queue). Results come back in input order, so outputs are the same
with any number of jobs.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor

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


def _apply(fn: Callable, batch: list) -> list:
    return [fn(x) for x in batch]


def ordered_map(fn: Callable, items: Iterable, jobs: int, needs_work: Callable = lambda x: True,
                size_of: Callable = lambda x: 1) -> Iterator:
    """fn(item) for items that need work, the item itself for the rest, all in input order.

    Items that need no work (cache hits, problems) never cross a process boundary.
    With jobs <= 1 everything runs in this process.
    """
    if jobs <= 1:
        for item in items:
            yield fn(item) if needs_work(item) else item
        return
    import multiprocessing

    # fork shares the already loaded dictionaries (OpenCC, jieba) with the workers for free.
    ctx = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        pending: deque = deque()
        for batch in _batches(items, size_of):
            work = [x for x in batch if needs_work(x)]
            pending.append((batch, pool.submit(_apply, fn, work) if work else None))
            while len(pending) >= jobs * AHEAD:
                yield from _merge(*pending.popleft(), needs_work)
        while pending:
            yield from _merge(*pending.popleft(), needs_work)


def _merge(batch: list, future, needs_work: Callable) -> Iterator:
    done = iter(future.result() if future is not None else ())
    for item in batch:
        yield next(done) if needs_work(item) else item
