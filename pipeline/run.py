"""Run: input paths and options in, the output folder written, a Summary out.

Orchestration only; the stages are passes over sharded, on-disk intermediates:
plan (plan.py, here) -> map per shard (shardmap.py: read, cache probe, parse -> normalise ->
extract, key table) -> one global dedup pass over keys (dedup_pass.py) -> finalize per shard
(finalize.py: part files) -> commit here (parts assembled, cache index, manifest last).
Per-shard stages run on an executor (executors.py: local process pool or Dask) that the stages
know nothing about; the outputs are the same on either, for any --jobs.
Nothing here touches argv.

The same doc id twice (a page in two monthly dumps, or twice in one dump): the first copy in
input order is the one kept; each later copy is a `duplicate-page` row in `errors` naming both
places, and gives no other rows (decided by the global pass, dedup_pass.py).

SIGTERM and SIGINT stop a run cleanly: workers are stopped, the cache keeps the pages done so
far, temporary files go, the previous outputs stay, and `Interrupted` reaches the caller.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from . import __version__, fragments, pagecache, pages, shardcache
from .cache import dependency_versions
from .executors import executor
from .pagecache import CacheStats
from .pages import Options, process_page  # noqa: F401  (the per-page chain's public names)
from .plan import plan
from .progress import Progress
from .read import discover, file_identity
from .schemas import SCHEMAS
from .shardmap import Job
from .write import OutputWriter


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


class Interrupted(BaseException):
    """SIGTERM or SIGINT arrived: the run stopped, its outputs were not replaced.

    A BaseException, as KeyboardInterrupt is: raised in the main thread wherever it happens to
    be, which with --jobs 1 is mostly inside a page, and every `except Exception` that turns a
    page's or a file's failure into an errors row would otherwise take the stop for one (a
    SIGTERM became a normalise-error row and the run went on to its end)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class _Signals:
    """SIGTERM/SIGINT raise Interrupted in this process while a run is on (main thread only:
    Python delivers signals there); the handlers the caller had come back afterwards.

    Once the outputs start being renamed into place (`finishing`, OutputWriter.commit), a stop
    no longer raises: it would leave some tables of this run beside some of the run before.
    The run finishes and reports that it did; the late signal is ignored."""

    def __enter__(self):
        self.saved, self.done = {}, False
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self.saved[sig] = signal.signal(sig, self._interrupt)
        return self

    def _interrupt(self, signum, frame):
        if not self.done:
            stop = Interrupted(signum)
            pages.STOPS.append(stop)  # for a page whose C code turns it into another exception
            raise stop

    @contextmanager
    def finishing(self):
        self.done = True
        try:
            yield
        except BaseException:  # a rename failed: the run did not finish, a stop counts again
            self.done = False
            raise

    def __exit__(self, *exc):
        pages.STOPS.clear()
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)


def run(paths: list[Path], out: Path, options: Options = Options(), quiet: bool = False,
        cache_dir: Path | None = None, jobs: int = 1, engine: str = "local",
        scheduler: str | None = None) -> Summary:
    with _Signals() as signals:  # listing a large tree takes a while: a stop then is one line too
        # An output or cache folder inside an input folder holds last run's outputs, not inputs.
        files, skipped, unlisted = discover(paths, {out: "the output folder", cache_dir: "the cache folder"})
        if not files:
            raise FileNotFoundError("no input files under " + ", ".join(map(str, paths)))
        started = time.time()
        return _run(files, skipped, unlisted, out, options, quiet, cache_dir, jobs, engine, scheduler,
                    started, signals.finishing)


def _run(files, skipped, unlisted, out: Path, options: Options, quiet: bool, cache_dir: Path | None,
         jobs: int, engine: str, scheduler: str | None, started: float, finishing) -> Summary:
    planned = plan(files, skipped)
    writer = OutputWriter(out)
    runner = None
    try:  # from here on, any way out of the run removes its temporary folder (below)
        cache_dir, notes = pagecache.prepare(cache_dir)
        if cache_dir is not None:  # pages' finished rows (fragments.py), kept the same way
            notes += pagecache.prepare(fragments.folder(cache_dir))[1]
        # Folders that could not be listed and the cache's own problems: rows of the first shard's errors.
        notes = [*unlisted, *notes]
        if notes and planned.shards:
            planned.shards[0] = replace(planned.shards[0], notes=tuple(notes) + planned.shards[0].notes)
        # Absolute paths: a worker on another machine does not share this process's working folder.
        job = Job(options, writer.tmp.absolute() / "work", cache_dir.absolute() if cache_dir else None,
                  run_id=f"{time.time_ns():x}-{os.getpid()}",
                  isolate=engine != "local")  # Dask runs tasks on threads: pages go to a child process
        summary = Summary(skipped_files=planned.skipped)
        progress = Progress(total_bytes=sum(_size(f.path) for f in files), total_files=len(planned.shards),
                            quiet=quiet)
        shard_jobs = jobs
        if engine == "local" and 1 < jobs and len(planned.shards) < jobs:
            # Too few shards to spread (a plain .xml.bz2 dump is one): the shards run here one
            # after the other, each spreading its pages over `jobs` processes, as before sharding.
            shard_jobs, job = 1, replace(job, page_jobs=jobs)
        runner = executor(engine, shard_jobs, scheduler, scratch=writer.tmp.absolute() / "dask")
        # jieba's dictionary is loaded by the first page that needs it (tokens.initialise), so a
        # rerun that processes no page never loads it.
        shards = planned.shards
        infos, ranges = [], []
        # A shard whose input is unchanged takes its outputs from the cache (shardcache.py).
        for shard, info in zip(shards, runner.map(shardcache.map_shard, shards, (job,),
                                                  (replace(job, isolate=True, crashed=True),))):
            progress.shard_done(sum(_piece_bytes(p) for p in shard.pieces), len(shard.pieces), info.documents)
            infos.append(info)
            ranges += info.ranges
        # Counted by the global pass: a later copy of a page is no page of this run's.
        summary.cache = shardcache.decide(runner, job, infos, options.near, min_parts=jobs)
        dropped: Counter[str] = Counter()
        skipped_ns: Counter[str] = Counter()
        counts = Counter()
        for final in runner.map(shardcache.finalize_shard, list(zip(shards, infos)), (job, _offsets(ranges))):
            for message in final.messages:
                progress.say(f"problem: {message}")
            summary.problems += final.problems
            for name, n in final.summary.items():
                setattr(summary, name, getattr(summary, name) + n)
            dropped.update(final.dropped)
            skipped_ns.update(final.skipped_ns)
            counts.update(final.counts)
        progress.close()
        runner.close()  # before commit removes the temporary folder, its Dask workers' folders too
        runner = None
        keep = shardcache.commit(cache_dir, infos)
        summary.cache.removed = pagecache.commit(cache_dir, [job.work / f"{s.name}.cache" for s in shards], keep)
        pagecache.commit(fragments.folder(cache_dir),
                         [f for s in shards if (f := job.work / f"{s.name}.frags").exists()])
        shutil.rmtree(job.work, ignore_errors=True)
        rows = {name: counts.get(name, 0) for name in SCHEMAS}
        writer.commit(_manifest(files, planned, options, rows, dropped, skipped_ns, summary.cache, jobs,
                                engine, started), finishing)
    except BaseException:
        if runner is not None:
            runner.close(abort=True)  # a stopped run does not wait for its workers
            runner = None
        writer.abort()
        raise
    finally:
        if runner is not None:
            runner.close()
    summary.seconds = time.time() - started
    return summary


def _piece_bytes(piece) -> int:
    """The input bytes a piece stands for, for the progress bar."""
    if not piece.ranged:
        return _size(piece.file.path)
    end = piece.end if piece.end is not None else _size(piece.file.path)
    return end - piece.start + (piece.header_end if piece.part == 0 else 0)


def _offsets(ranges) -> dict[tuple[str, int], tuple[int, int, int, str]]:
    """(source, range) -> (lines, bytes, pages, last complete page) of the dump's earlier ranges
    (see finalize.py)."""
    out, before = {}, {}
    for r in sorted(ranges, key=lambda r: (r.source, r.part)):
        lines, size, pages, last = before.get(r.source, (0, 0, 0, ""))
        out[(r.source, r.part)] = (lines, size, pages, last)
        before[r.source] = (lines + r.lines, size + r.bytes, pages + r.pages, r.last or last)
    return out


def _manifest(files, planned, options: Options, counts, dropped: Counter, skipped_ns: Counter,
              cache: CacheStats, jobs: int, engine: str, started: float) -> dict:
    versions = dependency_versions()
    return {
        "pipeline_version": __version__,
        "python": sys.version.split()[0],
        "packages": versions,
        "options": {"variant": options.variant, "namespaces": sorted(options.namespaces),
                    "page_timeout": options.page_timeout, "jobs": jobs, "engine": engine,
                    "near": asdict(options.near)},
        "documents": asdict(cache),
        "inputs": [_input_entry(f) for f in files],
        "multistream_indexes": planned.indexes,
        "shards": len(planned.shards),
        "skipped_files": planned.skipped,
        "skipped_namespaces": dict(sorted(skipped_ns.items())),
        "rows": counts,
        "dropped_templates": dict(sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0]))),
        "seconds": round(time.time() - started, 3),
    }
