"""Report: one session's measurements in, `results.json` (per dump size) and `BENCHMARKS.md` out.

`summarise` turns the raw samples of each run kind into medians and min–max, throughput
(MB of wikitext per second, per core, per CPU-second; pages per second) and peak memory.
`targets` checks the issue's targets against those numbers, PASS/FAIL, never rounded in our
favour. `results.json` keeps one entry per dump size, so a `BENCH_MB=200` session can be
compared with a stored 20 MB one (memory flatness); `BENCHMARKS.md` is rendered from it.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

LABELS = {  # run kind -> (label, processes of ours)
    "cold_j1": ("pipeline, cold, --jobs 1", 1),
    "cold_j2": ("pipeline, cold, --jobs 2", 2),
    "dask_j2": ("pipeline, cold, --engine dask (LocalCluster), --jobs 2", 2),
    "cold_cache_write": ("pipeline, cold, filling the cache, --jobs 1", 1),
    "warm_same": ("pipeline, rerun same dump, warm cache, --jobs 1", 1),
    "update": ("pipeline, rerun updated dump (5%/1%/1%), warm cache, --jobs 1", 1),
    "mwph": ("peer: bare mwparserfromhell parse()+strip_code() loop", 1),
    "parse": ("mwparserfromhell parse() alone (no strip_code)", 1),
    "wikiextractor": ("peer: WikiExtractor --no-templates --processes 1", 1),
    "floor": ("floor: bz2 + XML streaming (stdlib iterparse)", 1),
    "reader": ("our reader alone (read_file, no parsing)", 1),
    "startup": ("pipeline on the two seed pages (start-up), --no-cache, --jobs 1", 1),
    "imports": ("python -c 'import pandas, pyarrow' (start-up's yardstick)", 1),
}
STARTUP = {"startup", "imports"}  # not runs over the dump: no throughput


def summarise(kind: str, samples: list[dict], dump: dict) -> dict:
    ok = [s for s in samples if s["returncode"] == 0]
    out = {"label": LABELS[kind][0], "repeats": len(samples), "failed": len(samples) - len(ok)}
    if not ok:
        out["error"] = (samples[-1]["stderr"] or samples[-1]["stdout"])[-800:] if samples else "not run"
        return out
    walls = [s["wall"] for s in ok]
    wall = statistics.median(walls)
    if kind in STARTUP:
        peak = max(max(s["maxrss_mb"], s["tree_mb"]) for s in ok)
        return {**out, "wall_median": round(wall, 2), "wall_min": round(min(walls), 2),
                "wall_max": round(max(walls), 2), "cpu_median": round(statistics.median(s["cpu"] for s in ok), 2),
                "peak_mb": peak}
    mb = dump["wikitext_bytes"] / 1e6
    procs = LABELS[kind][1]
    out.update({
        "wall_median": round(wall, 2), "wall_min": round(min(walls), 2), "wall_max": round(max(walls), 2),
        "cpu_median": round(statistics.median(s["cpu"] for s in ok), 2),
        "mb": round(mb, 2), "pages": dump["articles"],
        "mb_per_s": round(mb / wall, 3),
        "mb_per_s_per_core": round(mb / wall / procs, 3),
        "mb_per_cpu_s": round(mb / statistics.median(s["cpu"] for s in ok), 3),
        "pages_per_s": round(dump["articles"] / wall, 1),
        "maxrss_mb": max(s["maxrss_mb"] for s in ok),
        "tree_pss_mb": max(s["tree_mb"] for s in ok),
        "peak_mb": max(max(s["maxrss_mb"], s["tree_mb"]) for s in ok),
    })
    shares = [s["coordinator_cpu"] / s["cpu"] for s in ok if s.get("coordinator_cpu") and s["cpu"]]
    if shares and kind not in ("wikiextractor",) and procs > 1:
        out["coordinator_share"] = round(statistics.median(shares), 3)
    return out


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def targets(entry: dict, sizes: dict) -> list[dict]:
    runs = entry["runs"]

    def get(kind: str, field: str):
        return runs.get(kind, {}).get(field)

    rows = []

    def check(name: str, value, goal: str, ok) -> None:
        rows.append({"target": name, "value": value, "goal": goal,
                     "status": "n/a" if value is None else ("PASS" if ok(value) else "FAIL")})

    check("cold 1-core throughput / mwparserfromhell loop",
          _ratio(get("cold_j1", "mb_per_s"), get("mwph", "mb_per_s")), "≥ 0.5", lambda v: v >= 0.5)
    identical = entry.get("identical", {}).get("jobs1_vs_jobs2")
    speedup = _ratio(get("cold_j1", "wall_median"), get("cold_j2", "wall_median"))
    check("--jobs 2 / --jobs 1 throughput (identical outputs)", speedup, "≥ 1.7",
          lambda v: v >= 1.7 and identical is True)
    check("rerun after update / WikiExtractor time",
          _ratio(get("update", "wall_median"), get("wikiextractor", "wall_median")), "≤ 0.25",
          lambda v: v <= 0.25)
    # Issue 13 (scale out): the coordinator's share of all CPU, scaling, Dask beside local, reruns.
    check("coordinator's share of the run's CPU, --jobs 2", get("cold_j2", "coordinator_share"), "≤ 0.05",
          lambda v: v <= 0.05)
    check("--jobs 2 / --jobs 1 throughput (issue 13)", speedup, "≥ 1.8", lambda v: v >= 1.8 and identical is True)
    dask_same = entry.get("identical", {}).get("local_vs_dask")
    check("Dask LocalCluster (2 workers) / local engine throughput, --jobs 2 (identical outputs)",
          _ratio(get("cold_j2", "wall_median"), get("dask_j2", "wall_median")), "≥ 0.9",
          lambda v: v >= 0.9 and dask_same is True)
    check("rerun of an unchanged input / cold run (--jobs 1)",
          _ratio(get("warm_same", "wall_median"), get("cold_j1", "wall_median")), "≤ 0.1", lambda v: v <= 0.1)
    check("rerun after the 5%/1%/1% update / cold run (--jobs 1)",
          _ratio(get("update", "wall_median"), get("cold_j1", "wall_median")), "≤ 0.2", lambda v: v <= 0.2)
    peaks = [r.get("peak_mb") for k, r in runs.items() if k in ("cold_j1", "cold_j2", "dask_j2", "cold_cache_write",
                                                               "warm_same", "update") and r.get("peak_mb")]
    check("peak memory of our runs (MB)", max(peaks) if peaks else None, "< 1024", lambda v: v < 1024)
    small, big = sizes.get("20"), sizes.get("200")
    flat = None
    if small and big:
        flat = _ratio(big["runs"].get("cold_j1", {}).get("peak_mb"), small["runs"].get("cold_j1", {}).get("peak_mb"))
    check("peak memory 200 MB dump / 20 MB dump (cold, --jobs 1)", flat, "≤ 1.2", lambda v: v <= 1.2)
    # Medians are of runs taken in turn with everything else, so machine load hits both sides.
    check("start-up: seeds run / import pandas+pyarrow (wall)",
          _ratio(get("startup", "wall_median"), get("imports", "wall_median")), "≤ 3", lambda v: v <= 3)
    return rows


def write(results_path: Path, md_path: Path, entry: dict) -> dict:
    results = json.loads(results_path.read_text()) if results_path.exists() else {"sizes": {}}
    key = f"{entry['dump']['mb']:g}"
    results["sizes"][key] = entry
    for e in results["sizes"].values():  # flatness needs both sizes: recheck every stored entry
        e["targets"] = targets(e, results["sizes"])
    results_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    # The fullest session leads (most run kinds; of equals, this one): a session of one kind for
    # memory (`BENCH_KINDS=cold_j1`, at 20 or 200 MB) is listed under "Other stored sizes".
    # Hand-written notes after NOTES are kept.
    notes = ""
    if md_path.exists() and NOTES in (old := md_path.read_text()):
        notes = "\n" + old[old.index(NOTES):]
    md_path.write_text(markdown(results, lead(results["sizes"], key)) + notes)
    return results


def lead(sizes: dict, key: str) -> str:
    """The stored size whose session BENCHMARKS.md shows in full."""
    return max(sizes, key=lambda k: (len(sizes[k]["runs"]), k == key))


# Everything after this line of BENCHMARKS.md is written by hand (measurements of single steps,
# what was tried and dropped) and survives the next `make bench`.
NOTES = "<!-- hand-written notes: kept by make bench -->"


def markdown(results: dict, key: str) -> str:
    e = results["sizes"][key]
    m, d = e["machine"], e["dump"]
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`python -m pipeline.bench`); raw numbers in `output/bench/results.json`.",
        "Regenerate with `make bench` (`BENCH_MB=200` for the large dump, `BENCH_REPEATS=n`).",
        "",
        f"- **Date**: {e['date']}",
        f"- **Machine**: {m['nproc']} cores ({m['cpu']}), {m['memory_gb']} GB RAM, Python {m['python']}, "
        f"load average {m['load_before']} before the session",
        f"- **Code**: {e['code']['commit'][:10]}{' + uncommitted changes in ' + ', '.join(e['code']['dirty']) if e['code']['dirty'] else ''}"
        " (a snapshot of `pipeline/` taken at the start, so concurrent edits cannot mix into one session)",
        f"- **Dump**: `{d['dump']['file']}`, {d['dump']['wikitext_bytes'] / 1e6:.1f} MB of wikitext "
        f"({d['dump']['compressed_bytes'] / 1e6:.1f} MB bz2), {d['dump']['articles']} articles, "
        f"{d['dump']['redirects']} redirects, {d['dump']['other_ns']} category pages; update: "
        f"{d['update']['changed']} changed, {d['update']['added']} added, {d['update']['removed']} removed",
        f"- **Repeats**: {e['repeats']}, run kinds alternating within each repeat; medians with min–max",
        "",
        "## Targets",
        "",
        "| target | measured | goal | status |",
        "|---|---|---|---|",
    ]
    for t in e["targets"]:
        value = "not measured" if t["value"] is None else t["value"]
        lines.append(f"| {t['target']} | {value} | {t['goal']} | **{t['status']}** |")
    floor, we = e["runs"].get("floor", {}).get("wall_median"), e["runs"].get("wikiextractor", {}).get("wall_median")
    if floor and we:
        lines += ["", f"For scale: the floor alone (bz2 decompression and XML streaming, no processing) takes "
                  f"{floor} s, {floor / we:.2f}× WikiExtractor's time; any rerun must read the whole updated dump."]
    parse, loop, cold = (e["runs"].get(k, {}).get("wall_median") for k in ("parse", "mwph", "cold_j1"))
    if parse and loop and cold:
        lines += ["", f"mwparserfromhell's `parse()` alone, which the pipeline cannot skip, takes {parse} s, "
                  f"{parse / loop:.2f}× the loop's {loop} s. At 0.5× the loop's throughput (a cold run of "
                  f"{2 * loop:.1f} s) everything else the pipeline does would have to fit in "
                  f"{2 * loop - parse:.1f} s; it takes about {cold - parse:.1f} s."]
    lines += [
        "",
        "Ratios are of medians from this session. The memory flatness target needs a stored 20 MB and",
        "200 MB session (`make bench`, then `BENCH_MB=200 BENCH_KINDS=cold_j1 make bench`); until both",
        "exist it is n/a.",
        "",
        "## Runs",
        "",
        "- Cold runs use `--no-cache`. The cache runs copy one cache filled by the first run before each",
        "  measurement (copy not timed). The updated dump keeps the original's file name; the cache",
        "  key does not include it, so a dump under a new name reuses the cache just the same.",
        "- WikiExtractor with `--processes 1` still runs a reader, one extract process and an output",
        "  process, so its CPU time can exceed its wall time.",
        "- The machine may be shared: the load average before the session is stated above.",
        "",
        "MB = 10^6 bytes of wikitext (`<text>` of ns-0 pages); MB/s per core divides by `--jobs`;",
        "MB/CPU-s divides by user+system CPU of all the run's processes. Peak memory: largest single",
        "process (`/usr/bin/time` %M, else wait4 ru_maxrss) and summed PSS of the process tree (sampled every 0.2 s).",
        "",
        "Coordinator share: CPU of the run's main process alone (sampled from /proc every 0.1 s) over",
        "the CPU of all its processes; with --engine dask the main process also hosts the scheduler.",
        "",
        "| run | wall s (min–max) | CPU s | MB/s | MB/s per core | MB/CPU-s | pages/s | max RSS MB | tree PSS MB | coordinator share |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, r in e["runs"].items():
        if "wall_median" not in r:
            lines.append(f"| {r['label']} | failed: {r.get('error', '')[:120]!r} | | | | | | | | |")
            continue
        if kind in STARTUP:
            lines.append(f"| {r['label']} | {r['wall_median']} ({r['wall_min']}–{r['wall_max']}) | "
                         f"{r['cpu_median']} | – | – | – | – | {r['peak_mb']} | – |")
            continue
        lines.append(
            f"| {r['label']} | {r['wall_median']} ({r['wall_min']}–{r['wall_max']}) | {r['cpu_median']} | "
            f"{r['mb_per_s']} | {r['mb_per_s_per_core']} | {r['mb_per_cpu_s']} | {r['pages_per_s']} | "
            f"{r['maxrss_mb']} | {r['tree_pss_mb']} | {r.get('coordinator_share', '')} |")
    peers = e.get("peers", {})
    lines += ["", f"WikiExtractor: {peers.get('wikiextractor', 'not run')}.", ""]
    if e.get("cache"):
        lines += ["Cache on the reruns (documents): " + "; ".join(
            f"{k}: {v}" for k, v in e["cache"].items()), ""]
    if e.get("identical"):
        lines += ["Outputs identical (all CSV files and row counts): " + ", ".join(
            f"{k} {'yes' if v is True else v}" for k, v in e["identical"].items()), ""]
    p = e.get("profile")
    if p and "stages" in p:
        lines += [
            "## Where the time goes (cold, `--jobs 1`, sampling profiler)",
            "",
            f"One in-process run of the same dump ({p['wall']} s wall, {p['cpu']} s CPU, {p['samples']} samples)"
            + (f", redone later with `--profile-only` on {p['code']['commit'][:10]}"
               + (f" + uncommitted changes in {', '.join(p['code']['dirty'])}" if p['code']['dirty'] else "")
               if p.get("code") else "") + ".",
            "A sample counts for the innermost function of ours on the stack, so library time (jieba,",
            "OpenCC, mwparserfromhell, datasketch, pyarrow) is charged to the stage that called it.",
            "",
            "| stage | share of CPU |",
            "|---|---|",
        ]
        lines += [f"| {s} | {v * 100:.1f}% |" for s, v in p["stages"].items()]
        lines += ["", "Top functions of ours (self plus the library calls they make directly):", "",
                  "| function | share |", "|---|---|"]
        lines += [f"| `{f['function']}` | {f['share'] * 100:.1f}% |" for f in p["top_ours_self"][:12]]
        lines.append("")
    others = [k for k in results["sizes"] if k != key]
    if others:
        lines += ["## Other stored sizes", "", "| dump | cold --jobs 1 MB/s | peak MB (cold --jobs 1) | runs | date | code |",
                  "|---|---|---|---|---|---|"]
        for k in sorted(others, key=float):
            o = results["sizes"][k]
            c = o["runs"].get("cold_j1", {})
            lines.append(f"| {k} MB | {c.get('mb_per_s')} | {c.get('peak_mb')} | {', '.join(o['runs'])} "
                         f"× {o['repeats']} | {o['date']} | {o['code']['commit'][:10]} |")
        lines.append("")
    return "\n".join(lines)
