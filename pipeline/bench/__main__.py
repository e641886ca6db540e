"""`python -m pipeline.bench --mb 20 --out output/bench`: the whole benchmark session.

In: a dump size (MB of wikitext), an output folder, the number of repeats (BENCH_REPEATS, 3).
Out: `<out>/results.json` and `BENCHMARKS.md` at the repository root (see report.py); the dumps
stay in `<out>/data/` for the next session, WikiExtractor in its own venv `<out>/peers-venv/`.

Steps: generate (or reuse) the dump and its update, and their multistream form with an index
(what Wikimedia publishes, and what the pipeline cuts into shards: its runs read that; the peers
and loops read the plain dump); snapshot `pipeline/` so edits made by others
during the session cannot change the code under test (the cache key digests the source); install
WikiExtractor into the separate venv (a failure is recorded, not fatal); fill one cache; then
`repeats` rounds, each running every kind once in a rotated order (so drift in machine load
spreads over all kinds); check that --jobs 1, --jobs 2, --engine dask and the warm rerun wrote identical outputs;
profile one cold --jobs 1 run; write the report.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from . import measure, multistream, report
from .generate import REPO, generate

WIKIEXTRACTOR = "wikiextractor==3.1.0"
KINDS = ["cold_j1", "cold_j2", "dask_j2", "warm_same", "update", "mwph", "parse", "wikiextractor", "floor",
         "reader", "startup", "imports"]
SEEDS = REPO / "tests" / "data" / "seeds"  # the start-up run: two small pages, so it is almost all start-up


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m pipeline.bench", description=__doc__.splitlines()[0])
    p.add_argument("--mb", type=float, default=20, help="MB of wikitext in the dump (default 20)")
    p.add_argument("--out", type=Path, default=REPO / "output" / "bench")
    p.add_argument("--repeats", type=int, default=int(os.environ.get("BENCH_REPEATS", 3)))
    p.add_argument("--no-peers", action="store_true", help="skip WikiExtractor (no venv install)")
    p.add_argument("--no-profile", action="store_true")
    p.add_argument("--kinds", default=os.environ.get("BENCH_KINDS", ",".join(KINDS)),
                   help="comma-separated run kinds (BENCH_KINDS; default all), e.g. cold_j1 alone "
                        "for the memory of a large dump")
    p.add_argument("--generate-only", action="store_true")
    p.add_argument("--profile-only", action="store_true",
                   help="redo only the profile of the stored session of this size, then the report")
    p.add_argument("--markdown", type=Path, default=REPO / "BENCHMARKS.md")
    args = p.parse_args()
    out = args.out.resolve()
    meta = generate(out / "data", args.mb, log=say)
    if args.generate_only:
        return 0
    dump, update = out / "data" / meta["dump"]["file"], out / "data" / meta["update"]["file"]
    # The pipeline's runs read the multistream form (a folder: the dump and its index), one
    # folder per dump size: a run reads every dump in its folder.
    stem = dump.name.removesuffix(".xml.bz2")
    ms, ms_update = out / "data" / f"{stem}-multistream", out / "data" / f"{stem}-multistream-update"
    for plain, folder in ((dump, ms), (update, ms_update)):
        if not (folder / f"{stem}-multistream-index.txt.bz2").exists() or \
                (folder / f"{stem}-multistream-index.txt.bz2").stat().st_mtime < plain.stat().st_mtime:
            multistream.convert(plain, folder, stem)
    work = out / "work"
    shutil.rmtree(work, ignore_errors=True)
    src = work / "src"
    shutil.copytree(REPO / "pipeline", src / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1"}
    py = sys.executable
    entry = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
             "machine": machine(), "code": code_state(), "dump": meta, "repeats": args.repeats,
             "peers": {}, "runs": {}}
    if args.profile_only:
        stored = json.loads((out / "results.json").read_text())["sizes"][f"{args.mb:g}"]
        stored["profile"] = {**profile(py, dump, work, src, env), "code": code_state(), "date": entry["date"]}
        report.write(out / "results.json", args.markdown, stored)
        return 0
    chosen = [k for k in KINDS if k in args.kinds.split(",")]
    if not chosen:
        p.error(f"--kinds: none of {args.kinds!r} is one of {', '.join(KINDS)}")
    wanted = "wikiextractor" in chosen and not args.no_peers
    we_python = install_wikiextractor(out / "peers-venv", entry) if wanted else None

    def pipeline(raw: Path, jobs: int, cache: Path | None, target: Path, engine: str = "local") -> list[str]:
        return [py, "-m", "pipeline", "run", "--raw", str(raw), "--out", str(target), "--quiet",
                "--jobs", str(jobs), "--engine", engine] + (["--cache", str(cache)] if cache else ["--no-cache"])

    samples: dict[str, list[dict]] = {k: [] for k in ["cold_cache_write"] + KINDS}
    kept: dict[str, Path] = {}

    def once(kind: str, repeat: int) -> None:
        target = work / f"out-{kind}-{repeat}"
        if kind in ("warm_same", "update"):
            cache = work / f"cache-{kind}"
            shutil.rmtree(cache, ignore_errors=True)
            shutil.copytree(work / "cache-base", cache)  # not timed
        argv = {
            "cold_cache_write": lambda: pipeline(ms, 1, work / "cache-base", target),
            "cold_j1": lambda: pipeline(ms, 1, None, target),
            "cold_j2": lambda: pipeline(ms, 2, None, target),
            "dask_j2": lambda: pipeline(ms, 2, None, target, engine="dask"),
            "warm_same": lambda: pipeline(ms, 1, work / "cache-warm_same", target),
            "update": lambda: pipeline(ms_update, 1, work / "cache-update", target),
            "mwph": lambda: [py, "-m", "pipeline.bench.loops", "mwph", str(dump)],
            "parse": lambda: [py, "-m", "pipeline.bench.loops", "parse", str(dump)],
            "floor": lambda: [py, "-m", "pipeline.bench.loops", "floor", str(dump)],
            "reader": lambda: [py, "-m", "pipeline.bench.loops", "reader", str(dump)],
            "wikiextractor": lambda: [str(we_python), "-m", "wikiextractor.WikiExtractor", "--no-templates",
                                      "--processes", "1", "-q", "-o", str(target), str(dump)],
            "startup": lambda: pipeline(SEEDS, 1, None, target),
            "imports": lambda: [py, "-c", "import pandas, pyarrow"],
        }[kind]()
        # Start-up is measured as a user meets it, with compiled bytecode (written by the warm-up).
        m = measure.run(argv, cwd=src, env=startup_env if kind in report.STARTUP else env)
        say(f"bench: {kind:<16} repeat {repeat}: {m.wall:8.2f} s wall {m.cpu:8.2f} s CPU "
            f"(coordinator {m.coordinator_cpu:.2f} s) {max(m.maxrss_mb, m.tree_mb):7.0f} MB" + ("" if m.returncode == 0 else f"  FAILED ({m.returncode})"))
        if m.returncode != 0:
            say(m.stderr[-1500:])
        samples[kind].append(m.as_dict())
        if kind in ("cold_cache_write", "warm_same", "update") and (target / "manifest.json").exists():
            manifest = json.loads((target / "manifest.json").read_text())
            entry.setdefault("cache", {})[kind] = manifest.get("documents")
            entry.setdefault("rows", {})[kind] = manifest.get("rows")
        if repeat == 0 and kind in ("cold_j1", "cold_j2", "dask_j2", "warm_same", "cold_cache_write"):
            kept[kind] = target
        else:
            shutil.rmtree(target, ignore_errors=True)

    if {"warm_same", "update"} & set(chosen):
        once("cold_cache_write", 0)
    startup_env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if report.STARTUP & set(chosen):  # not timed: compiles the snapshot's bytecode, warms the OS caches
        measure.run(pipeline(SEEDS, 1, None, work / "out-warmup"), cwd=src, env=startup_env)
        shutil.rmtree(work / "out-warmup", ignore_errors=True)
    kinds = [k for k in chosen if k != "wikiextractor" or we_python]
    for r in range(args.repeats):
        for kind in kinds[r % len(kinds):] + kinds[:r % len(kinds)]:
            once(kind, r)
    entry["identical"] = {name: same_outputs(kept.get(a), kept.get(b)) for name, a, b in (
        ("jobs1_vs_jobs2", "cold_j1", "cold_j2"), ("local_vs_dask", "cold_j2", "dask_j2"),
        ("cold_vs_warm_rerun", "cold_j1", "warm_same"),
        ("no_cache_vs_cache", "cold_j1", "cold_cache_write"))}
    for path in kept.values():
        shutil.rmtree(path, ignore_errors=True)
    for kind, s in samples.items():
        if not s:
            continue
        entry["runs"][kind] = report.summarise(kind, s, meta["update" if kind == "update" else "dump"])
        entry["runs"][kind]["samples"] = s
    if not args.no_profile:
        entry["profile"] = profile(py, dump, work, src, env)
    report.write(out / "results.json", args.markdown, entry)
    say(f"bench: wrote {out / 'results.json'} and {args.markdown}")
    for t in entry["targets"]:
        say(f"  {t['status']:<5} {t['target']}: {t['value']} (goal {t['goal']})")
    return 0


def profile(py: str, dump: Path, work: Path, src: Path, env: dict) -> dict:
    say("bench: profiling one cold --jobs 1 run in process …")
    m = measure.run([py, "-m", "pipeline.bench.profile", str(dump), str(work / "profile.json")], cwd=src, env=env)
    return json.loads((work / "profile.json").read_text()) if m.returncode == 0 else {"error": m.stderr[-1500:]}


def same_outputs(a: Path | None, b: Path | None) -> bool | str:
    """True if both runs wrote the same CSV files byte for byte and the same row counts."""
    if a is None or b is None:
        return "not run"

    def digest(folder: Path) -> dict:
        files = {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                 for p in sorted(folder.rglob("*.csv"))}
        files["rows"] = json.dumps(json.loads((folder / "manifest.json").read_text())["rows"], sort_keys=True)
        return files

    da, db = digest(a), digest(b)
    if da == db:
        return True
    differ = sorted(k for k in da.keys() | db.keys() if da.get(k) != db.get(k))
    return f"differ: {', '.join(differ[:5])}"


def install_wikiextractor(venv: Path, entry: dict) -> Path | None:
    """WikiExtractor in its own venv (never a project dependency); None, recorded, if it fails."""
    python = venv / "bin" / "python"
    try:
        if not python.exists():
            say(f"bench: installing {WIKIEXTRACTOR} into {venv} …")
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, capture_output=True)
            subprocess.run([str(python), "-m", "pip", "install", "--quiet", WIKIEXTRACTOR], check=True,
                           capture_output=True, text=True)
        check = subprocess.run([str(python), "-m", "wikiextractor.WikiExtractor", "--version"],
                               capture_output=True, text=True, timeout=60)
        if check.returncode != 0:
            raise RuntimeError(check.stderr.strip()[-500:])
        entry["peers"]["wikiextractor"] = f"{WIKIEXTRACTOR}, {(check.stdout + check.stderr).strip()}, " \
                                          f"Python {platform.python_version()}"
        return python
    except (subprocess.CalledProcessError, RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        detail = getattr(e, "stderr", None) or str(e)
        entry["peers"]["wikiextractor"] = f"could not install or run {WIKIEXTRACTOR}: {str(detail).strip()[-500:]}"
        say(f"bench: {entry['peers']['wikiextractor']}")
        shutil.rmtree(venv, ignore_errors=True)
        return None


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform(), "load_before": round(os.getloadavg()[0], 2),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}


def code_state() -> dict:
    def git(*a: str) -> str:
        r = subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else ""

    dirty = [line[3:] for line in git("status", "--porcelain", "--", "pipeline").splitlines()
             if "pipeline/bench" not in line]
    return {"commit": git("rev-parse", "HEAD") or "unknown", "dirty": dirty}


if __name__ == "__main__":
    sys.exit(main())
