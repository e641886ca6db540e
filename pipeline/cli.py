"""Command line: `python -m pipeline run [--raw PATH ...] [--out DIR] [--variant zh-hans] …`.

The only module that reads argv or decides paths. Exit codes: 0 when the run finished (even with
recorded problems, unless --strict), 1 when --strict and problems were recorded, 2 when the run
could not happen at all (no inputs, unwritable output, a full disk, another run writing to the
same --out, files there the tool did not write), with a one-line reason on stderr; 130 after
Ctrl-C (SIGINT) and 143 after SIGTERM, with the previous outputs untouched.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from .convert import VARIANTS


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="read inputs, write Parquet and CSV")
    run.add_argument("--raw", type=Path, action="append",
                     help="input file or folder (read recursively); repeatable; default raw/")
    run.add_argument("--out", type=Path, default=Path("output"), help="output folder (default output/)")
    run.add_argument("--variant", choices=VARIANTS, default="zh-hans",
                     help="script of `text` columns (default zh-hans)")
    run.add_argument("--namespaces", default="0",
                     help="dump namespaces to read, comma separated (default 0, articles)")
    run.add_argument("--cache", type=Path,
                     help="per-document cache folder, reused by reruns (default OUT/.cache/: one per "
                          "output folder, since a run forgets cached pages that are not in its inputs)")
    run.add_argument("--no-cache", action="store_true", help="process every page from scratch")
    run.add_argument("--jobs", type=int, default=1,
                     help="worker processes (default 1); with --engine dask and no --scheduler, "
                          "the local cluster's workers")
    run.add_argument("--engine", choices=("local", "dask"), default="local",
                     help="executor of the per-shard stages: local (default, a process pool) or "
                          "dask (dask.distributed; `pip install pipeline[dask]`)")
    run.add_argument("--scheduler", metavar="ADDRESS",
                     help="with --engine dask: join this cluster (tcp://host:8786) instead of "
                          "starting a local one")
    run.add_argument("--page-timeout", type=float, default=60.0,
                     help="seconds of work per page before it is recorded in errors and skipped")
    run.add_argument("--no-near-dup", action="store_true",
                     help="exact dedup only (saves the near-duplicate index: up to about 0.25 GB)")
    run.add_argument("--near-threshold", type=float, default=0.8,
                     help="Jaccard similarity of character 5-grams above which paragraphs are near duplicates")
    run.add_argument("--strict", action="store_true", help="exit 1 if any problem was recorded")
    run.add_argument("--quiet", action="store_true", help="no progress output")
    sub.add_parser("schema", help="print the output column reference (Markdown, as in the README)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "schema":
        from .schemas import markdown_reference

        print(markdown_reference(), end="")
        return 0
    import sqlite3

    from .neardup import NearOptions
    from .outdir import OutputConflict
    from .run import Interrupted, Options, run

    try:
        namespaces = frozenset(int(x) for x in args.namespaces.split(",") if x.strip())
    except ValueError:
        print(f"pipeline: --namespaces must be integers, got {args.namespaces!r}", file=sys.stderr)
        return 2
    if not 0 < args.near_threshold <= 1:
        print(f"pipeline: --near-threshold must be in (0, 1], got {args.near_threshold}", file=sys.stderr)
        return 2
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
    options = Options(variant=args.variant, namespaces=namespaces, page_timeout=args.page_timeout, near=near)
    paths = args.raw or [Path("raw")]
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        print(f"pipeline: cannot write output {args.out}: {e.strerror or e}", file=sys.stderr)
        return 2
    try:
        summary = run(paths, args.out, options, quiet=args.quiet,
                      cache_dir=None if args.no_cache else args.cache or args.out / ".cache", jobs=max(1, args.jobs),
                      engine=args.engine, scheduler=args.scheduler)
    except FileNotFoundError as e:
        print(f"pipeline: cannot run: {e}", file=sys.stderr)
        return 2
    except OutputConflict as e:
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
    if not args.quiet:
        print("\n".join(["", f"pipeline: wrote {args.out}/"] + ["  " + x for x in summary.lines()]),
              file=sys.stderr)
    return 1 if args.strict and summary.problems else 0


if __name__ == "__main__":
    sys.exit(main())
