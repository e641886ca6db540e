"""Command line: `pipeline run [--raw PATH ...] [--out DIR] [--variant zh-hans] …` (also
`python -m pipeline`).

The only module that reads argv or decides paths. Exit codes: see EXIT_CODES (130 and 143 leave
the previous outputs untouched). A bad option value is refused before anything is read or
written, with a one-line reason (argparse's own errors are shortened to one line too). `--raw -`
reads standard input: it is copied in chunks to a file in a temporary folder inside --out
(memory stays flat; the disk holds the stream as it came, so a compressed stream stays
compressed), read as the input named `stdin`, and removed afterwards.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from . import __version__
from .convert import VARIANTS

DESCRIPTION = """Turn Chinese Wikipedia-style pages (MediaWiki XML dumps, wikitext, pandoc Markdown
or JSON, plain text) into Parquet and CSV tables: paragraphs, tables, members, links, infoboxes,
keywords, and an errors table."""
EXIT_CODES = """exit codes:
  0  the run finished (problems met on the way are rows of errors.parquet)
  1  --strict was given and problems were recorded
  2  the run could not happen: a bad option value, no inputs, an unwritable output folder or a
     full disk, another run writing to the same --out, files there the tool did not write, a
     --scheduler that cannot be reached
  130, 143  stopped by Ctrl-C (SIGINT) or SIGTERM; the previous outputs are untouched"""
STDIN_CHUNK = 1 << 20


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """One line, not argparse's usage block: `pipeline: <reason> (see pipeline run --help)`."""
        self.exit(2, f"pipeline: {message} (see {self.prog} --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {text!r}")
    return value


def _float(text: str) -> float:
    """A number, or NaN for text that is not one (which every range check then refuses)."""
    try:
        return float(text)
    except ValueError:
        return math.nan


def _seconds(text: str) -> float:
    value = _float(text)
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, 0 or more (0: no limit), got {text!r}")
    return value


def _threshold(text: str) -> float:
    value = _float(text)
    if not 0 < value <= 1:  # NaN fails too
        raise argparse.ArgumentTypeError(f"must be a number above 0 and at most 1, got {text!r}")
    return value


def _namespaces(text: str) -> frozenset[int]:
    parts = [x.strip() for x in text.split(",")]
    try:
        namespaces = frozenset(int(x) for x in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be namespace numbers separated by commas (e.g. 0,14), "
                                         f"got {text!r}") from None
    return namespaces


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="pipeline", description=DESCRIPTION, epilog=EXIT_CODES,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"pipeline {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="{run,schema}")
    run = sub.add_parser("run", help="read inputs, write Parquet and CSV", description=DESCRIPTION,
                         epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("--raw", type=Path, action="append", metavar="PATH",
                     help="input file or folder (read recursively), or - for standard input "
                          "(e.g. bzcat dump.xml.bz2 | pipeline run --raw -); repeatable (default: raw)")
    run.add_argument("--out", type=Path, default=Path("output"), metavar="DIR",
                     help="output folder (default: %(default)s)")
    run.add_argument("--variant", choices=VARIANTS, default="zh-hans",
                     help="script of the text columns (default: %(default)s)")
    run.add_argument("--namespaces", type=_namespaces, default=frozenset({0}), metavar="N,N",
                     help="dump namespaces to read, comma separated (default: 0, articles)")
    run.add_argument("--cache", type=Path, metavar="DIR",
                     help="per-document cache folder, reused by reruns (default: OUT/.cache: one per "
                          "output folder, since a run forgets cached pages that are not in its inputs)")
    run.add_argument("--no-cache", action="store_true", help="process every page from scratch")
    run.add_argument("--jobs", type=_positive_int, default=1, metavar="N",
                     help="worker processes; with --engine dask and no --scheduler, the local "
                          "cluster's workers (default: %(default)s)")
    run.add_argument("--engine", choices=("local", "dask"), default="local",
                     help="executor of the per-shard stages: local, a process pool, or dask "
                          "(dask.distributed, the dask extra) (default: %(default)s)")
    run.add_argument("--scheduler", metavar="ADDRESS",
                     help="with --engine dask: join this cluster (tcp://host:8786) instead of "
                          "starting a local one")
    run.add_argument("--page-timeout", type=_seconds, default=60.0, metavar="S",
                     help="seconds of work per page before it is recorded in errors and skipped; "
                          "0 for no limit (default: %(default)g)")
    run.add_argument("--no-near-dup", action="store_true",
                     help="exact dedup only (saves the near-duplicate index: up to about 0.25 GB)")
    run.add_argument("--near-threshold", type=_threshold, default=0.8, metavar="J",
                     help="Jaccard similarity of character 4-grams from which paragraphs are near "
                          "duplicates (default: %(default)g)")
    run.add_argument("--strict", action="store_true", help="exit 1 if any problem was recorded")
    run.add_argument("--quiet", action="store_true", help="no progress output, no summary")
    sub.add_parser("schema", help="print the output column reference (Markdown, as in the README)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "schema":
        from .schemas import markdown_reference

        print(markdown_reference(), end="")
        return 0
    import sqlite3

    from .executors import Unreachable
    from .neardup import NearOptions
    from .outdir import OutputConflict
    from .run import Interrupted, Options, run
    from .write import STDIN_SPOOL

    if args.scheduler and args.engine != "dask":
        print("pipeline: --scheduler needs --engine dask", file=sys.stderr)
        return 2
    if args.engine == "dask":
        try:
            import distributed  # noqa: F401
        except ImportError:
            print("pipeline: --engine dask needs dask.distributed: pip install 'pipeline[dask]' "
                  "(make setup installs it)", file=sys.stderr)
            return 2
    near = NearOptions(enabled=not args.no_near_dup, threshold=args.near_threshold)
    options = Options(variant=args.variant, namespaces=args.namespaces, page_timeout=args.page_timeout,
                      near=near)
    paths = args.raw or [Path("raw")]
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        print(f"pipeline: cannot write output {args.out}: {e.strerror or e}", file=sys.stderr)
        return 2
    if Path("-") in paths and sys.stdin.isatty():
        print("pipeline: --raw - reads standard input, but it is a terminal: pipe a file into it "
              "(bzcat dump.xml.bz2 | pipeline run --raw -)", file=sys.stderr)
        return 2
    spool = None
    try:
        if Path("-") in paths:
            # Named by this process: a run removes the copies of processes that are gone (write.py).
            spool = Path(tempfile.mkdtemp(prefix=f"{STDIN_SPOOL}{os.getpid()}-", dir=args.out))
            paths = [_spool_stdin(spool / "stdin", args.quiet, Interrupted) if p == Path("-") else p
                     for p in paths]
        summary = run(paths, args.out, options, quiet=args.quiet,
                      cache_dir=None if args.no_cache else args.cache or args.out / ".cache", jobs=args.jobs,
                      engine=args.engine, scheduler=args.scheduler)
    except FileNotFoundError as e:
        print(f"pipeline: cannot run: {e}", file=sys.stderr)
        return 2
    except (OutputConflict, Unreachable) as e:
        print(f"pipeline: cannot run: {e}", file=sys.stderr)
        return 2
    except (OSError, sqlite3.Error) as e:  # a full disk shows up in SQLite's scratch files too
        reason = getattr(e, "strerror", None) or e
        print(f"pipeline: cannot write output {args.out}: {reason}", file=sys.stderr)
        return 2
    except (Interrupted, KeyboardInterrupt) as e:
        signum = getattr(e, "signum", signal.SIGINT)
        print(f"\npipeline: stopped by {signal.Signals(signum).name}; {args.out}/ keeps its previous "
              "outputs, the cache keeps the pages done", file=sys.stderr)
        return 128 + signum
    finally:
        if spool is not None:
            shutil.rmtree(spool, ignore_errors=True)
    if not args.quiet:
        print("\n".join(["", f"pipeline: wrote {args.out}/"]
                        + ["  " + x for x in summary.lines()] + _next_steps(args.out, summary.problems)),
              file=sys.stderr)
    return 1 if args.strict and summary.problems else 0


def _next_steps(out: Path, problems: int) -> list[str]:
    where = f"{out}/errors.parquet (or csv/errors.csv)"
    return [f"next: in Python, frames = pipeline.load({str(out)!r}) gives a DataFrame per table; "
            + (f"the problems are in {where}" if problems else f"problems would be in {where}")]


def _spool_stdin(target: Path, quiet: bool, interrupted: type[Exception]) -> Path:
    """Standard input copied to `target` chunk by chunk, so memory stays flat for any stream.
    SIGTERM while copying raises `interrupted`, so the caller removes the copy (as for Ctrl-C)."""
    if not quiet:
        print(f"[pipeline] reading standard input into {target.parent}/", file=sys.stderr, flush=True)

    def stop(signum, frame):
        raise interrupted(signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        with open(target, "wb") as f:
            shutil.copyfileobj(sys.stdin.buffer, f, STDIN_CHUNK)
    finally:
        signal.signal(signal.SIGTERM, previous)
    return target


if __name__ == "__main__":
    sys.exit(main())
