"""Where the CPU goes: a dump in, each stage's share of one cold `--jobs 1` run out (JSON).

`python -m pipeline.bench.profile DUMP OUT_JSON [CACHE_DIR]` runs `pipeline.run.run` in this process
(no cache, or a rerun with CACHE_DIR; one job) under a small sampling profiler: a SIGPROF timer interrupts the process every
few milliseconds of CPU time and the handler looks at the stack. (A sampling *thread* would be
wrong here: it can only look when the main thread releases the GIL, so it over-counts numpy,
bz2 and file writes and hardly sees pure-Python code such as jieba.) A sample is charged to the innermost frame that belongs to one of our
modules (library code such as jieba, OpenCC or mwparserfromhell counts for the stage of ours
that called it), and that module's stage (STAGES). Sampling rather than cProfile because
cProfile's per-call cost inflates call-heavy code (parsers, tokenizers) and skews the shares.
Also out: the top functions of ours (time in them and in the libraries they call directly,
and cumulative time with everything below them) and the top innermost functions overall.
"""

from __future__ import annotations

import json
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

INTERVAL = 0.005  # seconds of CPU time between samples
STAGES = {  # module (under pipeline.) -> stage
    "read": "read/xml", "readers.xmldump": "read/xml",
    "parse": "parse", "readers.wikitext": "parse", "readers.wikirender": "parse",
    "readers.wikitables": "parse", "readers.templates": "parse", "readers.links": "parse",
    "readers.htmltable": "parse", "readers.markdown": "parse", "readers.plaintext": "parse",
    # the lean tree builder and mwparserfromhell's C tokenizer it calls (12-13% of a cold run,
    # counted as orchestration before it was listed here)
    "readers.leantree": "parse", "readers.pandocjson": "parse", "readers.document": "parse",
    "normalise": "normalise/convert", "convert": "normalise/convert",
    "extract": "extract", "members": "extract", "grid": "extract", "values": "extract",
    "countries": "extract",
    "tokens": "tokens",
    "neardup": "neardup/dedup", "dedup": "neardup/dedup",
    "write": "write", "schemas": "write", "arrays": "write",
    "cache": "cache",
    # the map's hand-off to finalize: each page's outcome pickled (pagecache.pack_outcome) and
    # read back (model._docresult, which rebuilds a DocResult's rows)
    "pagecache": "hand-off", "model": "hand-off",
}


def _module(filename: str, root: str) -> str | None:
    if not filename.startswith(root) or filename.startswith(root + "bench/"):
        return None
    return filename[len(root):].removesuffix(".py").replace("/", ".")


def profile(dump: Path, cache: Path | None = None) -> dict:
    """A cold run's profile; with `cache`, of a rerun with that cache (filled first if empty)."""
    import pipeline
    from pipeline import pagecache
    from pipeline.run import Options, run

    root = str(Path(pipeline.__file__).parent) + "/"
    stages, inner, cumulative, leaf = Counter(), Counter(), Counter(), Counter()
    samples = [0]

    def sample(signum, frame) -> None:
        if frame is None:
            return
        samples[0] += 1
        code = frame.f_code
        leaf[f"{code.co_filename.rpartition('site-packages/')[2]}:{code.co_name}"] += 1
        ours, seen = None, set()
        while frame is not None:
            module = _module(frame.f_code.co_filename, root)
            if module is not None:
                key = f"{module}.{frame.f_code.co_name}:{frame.f_code.co_firstlineno}"
                if ours is None:
                    ours = (module, key)
                if key not in seen:
                    seen.add(key)
                    cumulative[key] += 1
            frame = frame.f_back
        if ours is None:
            stages["other"] += 1
        else:
            stages[STAGES.get(ours[0], "orchestration")] += 1
            inner[ours[1]] += 1

    with tempfile.TemporaryDirectory() as tmp:
        if cache is not None and not (cache / pagecache.INDEX).exists():
            run([dump], Path(tmp) / "fill", Options(), quiet=True, cache_dir=cache, jobs=1)
        previous = signal.signal(signal.SIGPROF, sample)
        started, cpu = time.perf_counter(), time.process_time()
        signal.setitimer(signal.ITIMER_PROF, INTERVAL, INTERVAL)
        try:
            summary = run([dump], Path(tmp) / "out", Options(), quiet=True, cache_dir=cache, jobs=1)
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0, 0)
            signal.signal(signal.SIGPROF, previous)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    n = max(1, samples[0])

    def top(counter: Counter, k: int) -> list[dict]:
        return [{"function": f, "share": round(c / n, 4)} for f, c in counter.most_common(k)]

    return {
        "wall": round(wall, 2), "cpu": round(cpu, 2), "samples": samples[0], "documents": summary.documents,
        "stages": {s: round(c / n, 4) for s, c in stages.most_common()},
        "top_ours_self": top(inner, 20),  # in the function or a library it calls directly
        "top_ours_cumulative": top(cumulative, 25),
        "top_leaf": top(leaf, 20),  # innermost Python frame, any code
    }


if __name__ == "__main__":
    result = profile(Path(sys.argv[1]), Path(sys.argv[3]) if len(sys.argv) > 3 else None)
    Path(sys.argv[2]).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result["stages"]))
