"""Executors: run a stage's function over shards, results in shard order. Stages never know which.

- `Local` (`--engine local`, the default): a bounded pool of `jobs` forked processes (jobs <= 1:
  this process). A task whose process dies (a page crashing C code, the OOM killer) is run once
  more, with `retry_args` if given (for the map stage: pages isolated in a child, so the page
  becomes a `worker-crash` row), else as it was, as Dask reruns a dead worker's tasks; the tasks
  that died with it run again as they were. Never imports Dask.
- `Dask` (`--engine dask`): `dask.distributed`; `--scheduler ADDRESS` joins a running cluster,
  otherwise a LocalCluster of `jobs` worker processes with one thread each. Dask reruns the
  tasks of a worker that dies; every task writes files named by its shard, so a rerun overwrites
  and nothing is lost or written twice.
Results are small (counts, names); rows travel through files under the output folder.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from .parallel import _pool, _terminate

AHEAD = 2  # tasks in flight per worker process: bounds what is queued, not what is done

# The run's own LocalCluster, idle between its tasks, spent 3.1 CPU-s every 20 s with Dask's
# defaults (scheduler and nannies in the run's process 1.3, each worker 0.9), about 6 of the
# 7 CPU-s a 10 MB run cost more than the local engine; with these 0.3. None changes what a task
# does or when it runs. A cluster the user started (--scheduler) keeps its own settings.
QUIET = {
    "distributed.worker.profile.enabled": False,  # a stack sample every 10 ms, for the dashboard we do not start
    "distributed.admin.tick.interval": "1s",  # event loop health check (default 20 ms): warns after 3 s blocked
    "distributed.worker.memory.monitor-interval": "1s",  # RSS polled by each nanny and worker (default 100 ms)
    "distributed.admin.system-monitor.interval": "5s",  # host CPU, disk and network counters (dashboard)
}


class Unreachable(Exception):
    """The Dask scheduler given with --scheduler cannot be reached (the CLI's one line, exit 2)."""


class Local:
    name = "local"

    def __init__(self, jobs: int = 1):
        self.jobs = max(1, jobs)
        self.pool: ProcessPoolExecutor | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        import multiprocessing

        # fork shares the already loaded dictionaries (OpenCC, jieba) with the workers for free;
        # the workers die with this process and ignore Ctrl-C (parallel.py).
        ctx = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
        return _pool(self.jobs, ctx)

    def map(self, fn: Callable, items: Iterable, args: tuple = (), retry_args: tuple | None = None) -> Iterator:
        if self.jobs <= 1:
            for item in items:
                yield fn(item, *args)
            return
        if self.pool is None:
            self.pool = self._new_pool()
        pending: deque = deque()

        def take():
            item, future = pending.popleft()
            try:
                return future.result()
            except BrokenProcessPool:
                self._renew()
                for i, (other, _) in enumerate(pending):  # they died with the pool: run them again
                    pending[i] = (other, self.pool.submit(fn, other, *args))
                return self.pool.submit(fn, item, *(args if retry_args is None else retry_args)).result()

        for item in items:
            pending.append((item, self.pool.submit(fn, item, *args)))
            while len(pending) >= self.jobs * AHEAD:
                yield take()
        while pending:
            yield take()

    def call(self, fn: Callable, *args):
        """One task (a global pass): on a worker when there are workers, so the coordinator
        only coordinates."""
        if self.jobs <= 1:
            return fn(*args)
        if self.pool is None:
            self.pool = self._new_pool()
        try:
            return self.pool.submit(fn, *args).result()
        except BrokenProcessPool:  # its process died: once more, as map does
            self._renew()
            return self.pool.submit(fn, *args).result()

    def _renew(self) -> None:
        """A fresh pool for one whose process died (the others are stopped with it)."""
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._new_pool()

    def close(self, abort: bool = False) -> None:
        if self.pool is not None:
            if abort:
                _terminate(self.pool)
            else:
                self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


class Dask:
    name = "dask"

    def __init__(self, jobs: int = 1, scheduler: str | None = None, scratch: Path | None = None):
        import dask
        from dask.distributed import Client, LocalCluster

        self.cluster = self.scratch = None
        self.futures: list = []
        if scheduler:
            try:
                self.client = Client(scheduler)
            except OSError as e:  # distributed's time-out and refusals: not our output folder's fault
                raise Unreachable(f"cannot reach the Dask scheduler {scheduler}: {e}") from None
        else:
            # Not daemonic: a map task runs its shard in a child process (shardmap.py), and
            # multiprocessing refuses children to daemonic processes. Forked, not spawned: a
            # spawned worker imports everything and loads the dictionaries again (about 2.5 s
            # of wall and CPU per run on 2 workers, measured on the seed pages), a forked one
            # starts warm; daskworker.py resets what it inherits (signal handlers).
            dask.config.set({"distributed.worker.daemon": False,
                             "distributed.worker.multiprocessing-method": "fork", **QUIET})
            # The scheduler's and workers' folders (and Dask's lock files, which stay) go under
            # `scratch`, not the system's temporary folder: a run writes nothing outside --out.
            # Given back at close: the folder goes with the run.
            self.scratch = dask.config.set({"temporary-directory": str(scratch)}) if scratch else None
            # No dashboard; the scheduler's HTTP server (health checks) still starts, on a free
            # port: on its default 8787 a second run at the same time printed a warning.
            self.cluster = LocalCluster(n_workers=max(1, jobs), threads_per_worker=1, processes=True,
                                        dashboard_address=None, scheduler_kwargs={"dashboard_address": ":0"},
                                        silence_logs=logging.ERROR, preload=["pipeline.daskworker"])
            self.client = Client(self.cluster)

    def map(self, fn: Callable, items: Iterable, args: tuple = (), retry_args: tuple | None = None) -> Iterator:
        # Every task at once: the scheduler queues them (and keeps what a worker holds small);
        # results are taken in shard order, each released once read.
        futures = self.futures = [self.client.submit(fn, item, *args, pure=False) for item in items]
        for i, future in enumerate(futures):
            yield future.result()
            futures[i] = None
            future.release()

    def call(self, fn: Callable, *args):
        return self.client.submit(fn, *args, pure=False).result()

    def close(self, abort: bool = False) -> None:
        if abort:  # tasks of this run still queued or running on the cluster
            self.client.cancel([f for f in self.futures if f is not None], force=True)
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        if self.scratch is not None:
            self.scratch.__exit__(None, None, None)


def executor(engine: str, jobs: int, scheduler: str | None = None, scratch: Path | None = None):
    """`scratch`: a folder the run's own Dask cluster may use (removed by the caller, after close)."""
    if engine == "local":
        return Local(jobs)
    if engine == "dask":
        return Dask(jobs, scheduler, scratch)
    raise ValueError(f"unknown engine {engine!r} (local or dask)")
