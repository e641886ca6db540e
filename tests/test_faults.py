"""Hostile inputs that aim at the output folder, and faults around a run (issue 12).

Nothing escapes `--out`; a page id seen twice is kept once; a damaged cache is rebuilt; a second
run into the same folder, a full disk, SIGTERM and SIGKILL end in one line with no leftovers;
the user's own files in `--out` are never deleted; CSV cells never run as spreadsheet formulas.
Signal and disk cases run the CLI in a subprocess, as a user would.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import pipeline
from pipeline import pagecache
from pipeline.outdir import Lock, OutputConflict, wide_csv_path
from pipeline.run import run
from tests.golden_cases import csv_files

ROOT = Path(__file__).resolve().parent.parent
DUMP = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10">
<siteinfo><dbname>{dbname}</dbname></siteinfo>
{pages}
</mediawiki>
"""
PAGE = """<page><title>{title}</title><ns>0</ns><id>{id}</id><revision><id>{rev}</id>
<timestamp>{when}</timestamp><text xml:space="preserve">'''{title}'''是一个组织。
{{| class="wikitable"
! 国家 !! 加入
|-
| 智利 || 2011年
|}}
</text></revision></page>"""


def _dump(dbname: str, pages: list[tuple[int, str]], when="2026-10-01T00:00:00Z") -> str:
    return DUMP.format(dbname=dbname, pages="\n".join(
        PAGE.format(id=i, title=t, rev=100 + i, when=when) for i, t in pages))


def _all_files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def _cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "pipeline", "run", *args], cwd=ROOT,
                          capture_output=True, text=True, **kw)


# -- 1. paths: data never steers where a file goes -------------------------------------------

@pytest.mark.parametrize("dbname", ["../../escaped", "/tmp/pipeline-escape-test", "a" * 400,
                                    "..", "x/../../y", "名" * 90])
def test_dbname_never_leaves_the_output_folder(tmp_path, dbname):
    base = tmp_path / "base"
    raw, out = base / "raw", base / "out"
    raw.mkdir(parents=True)
    (raw / "dump.xml").write_text(_dump(dbname, [(1, "亚太经合组织")]), encoding="utf-8")
    before = _all_files(tmp_path) | set(Path("/tmp").glob("pipeline-escape-test*"))
    run([raw], out, quiet=True)
    new = (_all_files(tmp_path) | set(Path("/tmp").glob("pipeline-escape-test*"))) - before
    assert new and all(p.resolve().is_relative_to(out.resolve()) for p in new), new
    tables = pq.read_table(out / "tables.parquet").to_pylist()
    (wide,) = [t["wide_csv"] for t in tables]
    assert (out / wide).is_file() and ".." not in wide.split("/")
    assert all(len(part.encode()) <= 255 for part in wide.split("/"))


def test_a_long_han_file_name_is_read(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    name = "亚" * 83 + ".wiki"  # 249 bytes: fine for the file system, too long with "__0.csv"
    (raw / name).write_text("'''亚太'''是组织。\n{|\n! 国家\n|-\n| 智利\n|}\n", encoding="utf-8")
    run([raw], tmp_path / "out", quiet=True)
    (wide,) = pq.read_table(tmp_path / "out/tables.parquet").column("wide_csv").to_pylist()
    assert (tmp_path / "out" / wide).is_file()


def test_safe_names_keep_ordinary_ids_and_never_collide():
    assert wide_csv_path("zhwiki/1", 0) == "tables/zhwiki/1__0.csv"
    assert wide_csv_path("m2g_1_dotNET_framework.gfm", 2) == "tables/m2g_1_dotNET_framework.gfm__2.csv"
    assert wide_csv_path("中文/頁面", 1) == "tables/中文/頁面__1.csv"
    assert wide_csv_path("a:b", 0) != wide_csv_path("a_b", 0)
    assert wide_csv_path("x" * 300, 0) != wide_csv_path("x" * 301, 0)


# -- 2. the same page id twice ---------------------------------------------------------------

def test_the_same_page_twice_is_kept_once_and_recorded(tmp_path):
    raw, cache = tmp_path / "raw", tmp_path / "cache"
    raw.mkdir()
    (raw / "zhwiki-20261001.xml").write_text(_dump("zhwiki", [(1, "甲"), (2, "乙")]), encoding="utf-8")
    (raw / "zhwiki-20261101.xml").write_text(
        _dump("zhwiki", [(2, "乙"), (2, "乙"), (3, "丙")], when="2026-11-01T00:00:00Z"), encoding="utf-8")
    run([raw], tmp_path / "out", cache_dir=cache, quiet=True)
    frames = pipeline.load(str(tmp_path / "out"))
    docs = frames["documents"]
    assert list(docs.doc_id) == ["zhwiki/1", "zhwiki/2", "zhwiki/3"]
    assert docs.set_index("doc_id").loc["zhwiki/2"].source == "zhwiki-20261001.xml"
    dups = frames["errors"][frames["errors"].kind == "duplicate-page"]
    assert list(dups.doc_id) == ["zhwiki/2", "zhwiki/2"]
    assert all(m.startswith("zhwiki-20261101.xml: 乙: ") and "already read from zhwiki-20261001.xml"
               in m for m in dups.message)
    again = run([raw], tmp_path / "out", cache_dir=cache, quiet=True).cache
    assert (again.new, again.changed, again.unchanged) == (0, 0, 3)


# -- 3. a damaged cache is rebuilt, never a traceback ----------------------------------------

def _good_run(raw: Path, out: Path, cache: Path):
    summary = run([raw], out, cache_dir=cache, quiet=True)
    errors = pipeline.load(str(out), ["errors"])["errors"]
    return summary, errors


@pytest.mark.parametrize("damage", ["garbled", "truncated", "damaged-inside", "bad-blob"])
def test_a_damaged_cache_is_detected_and_rebuilt(tmp_path, damage):
    """damaged-inside: the index's first page (its schema, a first row) reads, the rest does
    not ("database disk image is malformed"): the cache was switched off on every later run,
    never rebuilt."""
    raw, cache = tmp_path / "raw", tmp_path / "cache"
    raw.mkdir()
    for i in range(30):
        (raw / f"p{i:02d}.wiki").write_text(f"'''组织{i}'''是第{i}个组织。\n", encoding="utf-8")
    run([raw], tmp_path / "clean", cache_dir=cache, quiet=True)
    db = cache / "index.sqlite"  # pagecache.py: the index, and the packs it points into
    if damage == "garbled":
        db.write_bytes(os.urandom(db.stat().st_size))
    elif damage == "truncated":
        data = db.read_bytes()
        db.write_bytes(data[: len(data) // 3])
    elif damage == "damaged-inside":  # rows of pages gone from the inputs behind this run's
        with sqlite3.connect(db) as con:
            con.executemany("INSERT INTO pages VALUES (?, ?, 'gone', 0, 1)",
                            [(f"gone/{i:05d}", "0" * 64) for i in range(2000)])
        data = db.read_bytes()
        db.write_bytes(data[: len(data) // 2] + os.urandom(len(data) - len(data) // 2))
    else:
        with sqlite3.connect(db) as con:
            pack, offset, length = con.execute(
                "SELECT pack, offset, length FROM pages WHERE doc_id = 'p07'").fetchone()
        with open(cache / "packs" / f"{pack}.pack", "r+b") as f:
            f.seek(offset)
            f.write(b"\x00\xff" * (length // 2))
    summary, errors = _good_run(raw, tmp_path / "out", cache)
    assert summary.documents == 30
    corrupt = errors[errors.kind == "cache-corrupt"]
    assert len(corrupt) >= 1 and all(m.startswith(str(cache)) for m in corrupt.message)
    if damage == "bad-blob":
        assert list(corrupt.doc_id) == ["p07"]
    # What came out equals a clean run but for the cache's own rows, and the next run is clean.
    summary, errors = _good_run(raw, tmp_path / "out2", cache)
    assert errors.empty and summary.cache.unchanged >= 29
    assert csv_files(tmp_path / "out2") == csv_files(tmp_path / "clean")


def test_an_unusable_cache_folder_runs_without_a_cache(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.wiki").write_text("'''组织'''是组织。\n", encoding="utf-8")
    (tmp_path / "file").write_text("x")  # no folder can be made under a file, even as root
    summary, errors = _good_run(raw, tmp_path / "out", tmp_path / "file" / "cache")
    assert summary.documents == 1
    assert list(errors.kind) == ["cache-unusable"]


@pytest.mark.parametrize("fault", [KeyboardInterrupt, sqlite3.OperationalError])
def test_a_fault_while_the_cache_index_is_written_leaves_no_temporary_file(tmp_path, fault):
    """The index is written to `.index.sqlite.tmp-<pid>` and renamed: a stop or a full disk
    ("database or disk is full") in between left that file, as large as the index, and no run
    ever removed it (each removes only its own pid's)."""
    raw, cache = _tiny_raw(tmp_path), tmp_path / "cache"
    run([raw], tmp_path / "out", cache_dir=cache, quiet=True)
    index = (cache / "index.sqlite").read_bytes()

    def entries():
        yield ("b", "key", "pack", 0, 1)
        raise fault("database or disk is full")

    with pytest.raises(fault):  # as pagecache.commit calls it, with this run's entries
        pagecache._rebuild(cache, entries(), keep_old=False)
    assert sorted(p.name for p in cache.iterdir()) == ["fragments", "index.sqlite", "packs", "shards"]
    assert (cache / "index.sqlite").read_bytes() == index


def test_a_cache_folder_holding_other_files_is_left_alone(tmp_path):
    """`--cache` given a folder of the user's: a complete run deleted every file in its `packs/`
    and every folder in its `shards/` that the cache did not point at, and replaced its
    `index.sqlite` (moved aside as damaged, then deleted)."""
    raw = _tiny_raw(tmp_path)
    mine = tmp_path / "mine"
    (mine / "packs").mkdir(parents=True)
    (mine / "packs" / "notes.txt").write_text("my notes")
    (mine / "shards" / "photos").mkdir(parents=True)
    (mine / "shards" / "photos" / "a.jpg").write_bytes(b"\xff\xd8")
    with sqlite3.connect(mine / "index.sqlite") as con:
        con.execute("CREATE TABLE t (x)")
    before = {p: p.read_bytes() for p in _all_files(mine)}
    summary, errors = _good_run(raw, tmp_path / "out", mine)
    assert summary.documents == 1
    assert list(errors.kind) == ["cache-unusable"] and "did not write" in errors.message[0]
    assert {p: p.read_bytes() for p in _all_files(mine)} == before
    # The cache's own folder, from a run before, is used as ever (an older release's file too).
    cache = tmp_path / "cache"
    run([raw], tmp_path / "out1", cache_dir=cache, quiet=True)
    (cache / "documents.sqlite").write_bytes(b"")
    summary, errors = _good_run(raw, tmp_path / "out2", cache)
    assert errors.empty and summary.cache.unchanged == 1


# -- 4. one run per folder; faults end in one line and leave nothing behind -------------------

def _tiny_raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    (raw / "a.wiki").write_text("'''组织'''是组织。\n", encoding="utf-8")
    return raw


def test_a_second_run_into_the_same_folder_stops_with_one_line(tmp_path):
    raw, out = _tiny_raw(tmp_path), tmp_path / "out"
    out.mkdir()
    lock = Lock(out)  # as a running run holds it
    try:
        with pytest.raises(OutputConflict, match="another run"):
            run([raw], out, quiet=True)
        proc = _cli("--raw", str(raw), "--out", str(out), "--quiet")
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1
        assert proc.stderr.startswith("pipeline: cannot run: another run (pid ")
    finally:
        lock.release()
    assert not list(out.glob(".tmp-*"))
    run([raw], out, quiet=True)  # and once it is done, the folder is free again


def _limit_file_size():
    """In the child: files may not grow past 16 kB, as on a full disk (EFBIG instead of ENOSPC)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, 16 * 1024))


def test_a_full_disk_is_one_line_and_leaves_no_temporary_files(tmp_path):
    out = tmp_path / "out"
    proc = _cli("--raw", str(ROOT / "tests/data/seeds"), "--out", str(out), "--quiet",
                preexec_fn=_limit_file_size)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith(f"pipeline: cannot write output {out}")
    assert [p.name for p in out.iterdir() if p.name != ".lock"] in ([], [".cache"])


# -- 5. signals: stop cleanly, keep the cache, leave no workers --------------------------------

def _pages(raw: Path, n: int) -> None:
    raw.mkdir()
    seed = (ROOT / "tests/data/seeds/000_b725adc4755d8a28.txt").read_text(encoding="utf-8")
    for i in range(n):
        (raw / f"p{i:04d}.md").write_text(f"**组织{i}**是第{i}个测试组织。\n\n" + seed, encoding="utf-8")


def _children(pid: int) -> set[int]:
    kids = set()
    for task in Path("/proc").glob("[0-9]*"):
        try:
            if int((task / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                kids.add(int(task.name))
        except (OSError, IndexError, ValueError):
            pass
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _busy(worker: int) -> float:
    """CPU seconds of a worker and its children (a Dask worker runs its shards in a child)."""
    return _cpu_seconds(worker) + sum(map(_cpu_seconds, _children(worker)))


def _start(tmp_path: Path, busy: float = 0.0, engine: str = "local", group: bool = False
           ) -> tuple[subprocess.Popen, set[int]]:
    """A --jobs 2 run, once both workers exist and have each spent `busy` CPU seconds (jieba's
    dictionary takes about 1.5 s, a page a few ms): CPU time, not wall time, so a loaded
    machine only makes the test slower, never wrong."""
    _pages(tmp_path / "raw", 1500)
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "run", "--raw", str(tmp_path / "raw"),
                             "--out", str(tmp_path / "out"), "--jobs", "2", "--quiet", "--engine", engine],
                            cwd=ROOT, stderr=subprocess.PIPE, text=True, start_new_session=group)
    deadline = time.monotonic() + 180  # a loaded machine is slow, never wrong
    workers: set[int] = set()
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        workers = _children(proc.pid)
        time.sleep(0.05)
    while min(map(_busy, workers), default=0) < busy and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None and len(workers) >= 2, "the run ended before it could be stopped"
    assert min(map(_busy, workers)) >= busy, "the workers never got busy"
    return proc, workers


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("engine", ["local", "dask"])
def test_sigterm_stops_workers_keeps_the_cache_and_says_one_line(tmp_path, engine):
    if engine == "dask":
        pytest.importorskip("distributed")
    proc, workers = _start(tmp_path, busy=4.0, engine=engine)
    workers |= {kid for w in workers for kid in _children(w)}  # a Dask worker's page child too
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr
    assert stderr.strip().count("\n") == 0 and "stopped by SIGTERM" in stderr, stderr
    time.sleep(0.5)
    assert not [w for w in workers if _alive(w)]
    out = tmp_path / "out"
    assert not list(out.glob(".tmp-*")) and not (out / "manifest.json").exists()
    kept = sum(len(pagecache._entries(f)) for f in (out / ".cache/packs").glob("*.entries"))
    assert kept > 0  # the pages done so far, for the next run (pagecache.prepare)


def test_a_stop_inside_a_page_stops_the_run_not_just_the_page(monkeypatch):
    """With --jobs 1 the signal handler raises in the middle of a page, whose `except
    Exception` used to record the stop as the page's error and go on with the run."""
    from pipeline import pages
    from pipeline.model import RawPage
    from pipeline.run import Interrupted, Options

    def stopped(page):
        raise Interrupted(signal.SIGTERM)

    monkeypatch.setattr(pages, "parse", stopped)
    with pytest.raises(Interrupted):
        pages.process_page(RawPage("a.txt", "a", "plaintext", "一段文字。"), Options())


def test_a_stop_inside_the_c_tokenizer_stops_the_run(tmp_path, monkeypatch):
    """mwparserfromhell's C tokenizer turns an exception raised by a signal handler while it
    runs into a ParserError ("C tokenizer exited with non-empty token stack"; 2 of 30 timed
    stops in a tokenize loop came out so), which the page recorded as its parse-error, and the
    --jobs 1 run went on to exit 0. The fake parse below does what the tokenizer does."""
    from mwparserfromhell.parser import ParserError

    from pipeline import pages
    from pipeline.run import Interrupted

    raw = tmp_path / "raw"
    raw.mkdir()
    for i in range(3):
        (raw / f"p{i}.wiki").write_text(f"'''组织{i}'''是一个组织。\n", encoding="utf-8")
    real = pages.parse

    def parse(page):
        try:
            os.kill(os.getpid(), signal.SIGTERM)  # Python runs the run's handler right after this
            return real(page)
        except Interrupted:
            raise ParserError("C tokenizer exited with non-empty token stack") from None

    monkeypatch.setattr(pages, "parse", parse)
    with pytest.raises(Interrupted):
        run([raw], tmp_path / "out", quiet=True, cache_dir=None)
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_a_stop_just_after_the_output_folder_is_taken_leaves_no_temporary_folder(tmp_path, monkeypatch):
    """Between taking the output folder (its lock and `.tmp-<pid>/`) and the stage loop, a
    stop (here while the progress bar is set up, which stats every input file) skipped the
    handler that removes the temporary folder."""
    from pipeline import run as run_module
    from pipeline.run import Interrupted

    raw = _tiny_raw(tmp_path)

    def progress(**kw):
        os.kill(os.getpid(), signal.SIGTERM)  # Python runs the run's handler right after this
        raise AssertionError("not stopped")

    monkeypatch.setattr(run_module, "Progress", progress)
    with pytest.raises(Interrupted):
        run([raw], tmp_path / "out", quiet=True)
    assert not list((tmp_path / "out").glob(".tmp-*"))
    Lock(tmp_path / "out").release()  # and the folder is free


def test_a_stop_while_outputs_are_renamed_into_place_lets_the_run_finish(tmp_path, monkeypatch):
    """Stopping between two of commit's renames left some tables of the new run beside some of
    the old one, under the old manifest."""
    from pipeline import write

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("第一次。\n", encoding="utf-8")
    run([raw], tmp_path / "out", quiet=True, cache_dir=None)
    (raw / "a.txt").write_text("第二次。\n", encoding="utf-8")
    renames = []
    real = write._replace_dir

    def replace_dir(new, final):
        renames.append(final.name)
        if len(renames) == 3:
            os.kill(os.getpid(), signal.SIGTERM)  # Python runs its handler right after this
        real(new, final)

    monkeypatch.setattr(write, "_replace_dir", replace_dir)
    summary = run([raw], tmp_path / "out", quiet=True, cache_dir=None)
    assert len(renames) > 3 and summary.documents == 1
    texts = pq.read_table(tmp_path / "out/paragraphs.parquet").column("text").to_pylist()
    assert texts == ["第二次。"]
    assert "第二次" in (tmp_path / "out/csv/paragraphs.csv").read_text(encoding="utf-8-sig")
    assert not list((tmp_path / "out").glob(".tmp-*"))


def test_sigterm_while_the_inputs_are_listed_says_one_line(tmp_path):
    """The run's SIGTERM handler was installed after the inputs were listed (a large tree on
    shared storage takes a while): a SIGTERM then killed the process with no line at all, and
    a `--raw -` run's copy of standard input stayed in --out."""
    raw = _tiny_raw(tmp_path)
    code = ("import os, signal, sys\nfrom pipeline import cli, run\nreal = run.discover\n"
            "def discover(*a, **kw):\n    os.kill(os.getpid(), signal.SIGTERM)\n    return real(*a, **kw)\n"
            f"run.discover = discover\nsys.exit(cli.main(['run', '--raw', {str(raw)!r}, '--out', "
            f"{str(tmp_path / 'out')!r}, '--quiet']))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 143, (proc.returncode, proc.stderr)
    assert proc.stderr.strip().count("\n") == 0 and "stopped by SIGTERM" in proc.stderr, proc.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == []


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_sigterm_stops_a_one_job_run_in_the_middle_of_its_pages(tmp_path):
    _pages(tmp_path / "raw", 1500)
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "run", "--raw", str(tmp_path / "raw"),
                             "--out", str(tmp_path / "out"), "--jobs", "1", "--quiet"],
                            cwd=ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    while _cpu_seconds(proc.pid) < 4.0 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)  # past start-up: pages are being processed (1,500 take far longer)
    assert proc.poll() is None, "the run ended before it could be stopped"
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr
    assert stderr.strip().count("\n") == 0 and "stopped by SIGTERM" in stderr, stderr
    assert not (tmp_path / "out" / "manifest.json").exists()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("engine", ["local", "dask"])
def test_ctrl_c_in_a_terminal_stops_the_run_with_one_line(tmp_path, engine):
    """Ctrl-C reaches the whole process group, workers included: they ignore it (a Dask worker
    forked from the run would otherwise inherit the run's handler and print its own traceback)."""
    if engine == "dask":
        pytest.importorskip("distributed")
    proc, workers = _start(tmp_path, busy=4.0, engine=engine, group=True)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert stderr.strip().count("\n") == 0 and "stopped by SIGINT" in stderr, stderr


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("engine", ["local", "dask"])
def test_workers_die_with_a_sigkilled_run(tmp_path, engine):
    if engine == "dask":
        pytest.importorskip("distributed")
    proc, workers = _start(tmp_path, busy=1.0 if engine == "dask" else 0.0, engine=engine)
    workers |= {kid for w in workers for kid in _children(w)}  # a Dask worker's page child too
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while [w for w in workers if _alive(w)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [w for w in workers if _alive(w)]


@pytest.mark.parametrize("dictionary_cache, engine", [("installed", "local"), ("missing", "local"),
                                                     ("installed", "dask")])
def test_a_run_writes_nothing_in_the_temporary_folder(tmp_path, dictionary_cache, engine):
    """jieba writes its dictionary cache to the temporary folder (/tmp/jieba.cache) when it
    finds none; the pipeline reads the one make setup left in .venv, or builds it in memory.
    The run's own Dask cluster put its workers' folders and two lock files, left behind, in
    `dask-scratch-space/` there; they go under the run's temporary folder in --out now."""
    if engine == "dask":
        pytest.importorskip("distributed")
    tmp, out = tmp_path / "tmp", tmp_path / "out"
    tmp.mkdir()
    code = ("import sys; from pathlib import Path; from pipeline import tokens, cli\n"
            + ("tokens.dictionary_cache = lambda: Path('/nonexistent/jieba.cache')\n"
               if dictionary_cache == "missing" else "")
            + f"sys.exit(cli.main(['run', '--raw', 'tests/data/seeds', '--out', {str(out)!r}, '--quiet', "
            f"'--engine', {engine!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "TMPDIR": str(tmp)})
    assert proc.returncode == 0, proc.stderr
    assert list(tmp.iterdir()) == []
    assert (out / "csv" / "paragraphs.csv").stat().st_size > 0
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [".cache", ".lock"]


def test_a_dask_run_gives_dask_its_temporary_folder_setting_back(tmp_path):
    """The run points Dask's temporary-directory into its own temporary folder, which it then
    removes: left set, Dask work the caller does later in the same process (a notebook) wrote
    there, inside the old run's --out."""
    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    before = dask.config.get("temporary-directory", None)
    run([ROOT / "tests/data/seeds"], tmp_path / "out", quiet=True, engine="dask", cache_dir=None)
    assert dask.config.get("temporary-directory", None) == before


# -- 6. the user's own files in --out ---------------------------------------------------------

@pytest.mark.parametrize("mine", ["csv/my_notes.txt", "tables/analysis.xlsx", "documents.parquet"])
def test_files_the_tool_did_not_write_are_never_removed(tmp_path, mine):
    raw, out = _tiny_raw(tmp_path), tmp_path / "out"
    (out / mine).parent.mkdir(parents=True, exist_ok=True)
    (out / mine).write_text("mine")
    proc = _cli("--raw", str(raw), "--out", str(out), "--quiet", "--no-cache")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "did not write" in proc.stderr and mine in proc.stderr
    assert (out / mine).read_text() == "mine"


def test_own_files_named_like_temporary_ones_are_never_removed(tmp_path):
    """A run removes a killed run's temporary folders (`.tmp-<pid>`, `.old-<output>-<pid>`); it
    removed every folder starting `.tmp-` or `.old-`, such as the user's own `.old-drafts/`."""
    raw, out = _tiny_raw(tmp_path), tmp_path / "out"
    out.mkdir()
    for mine in (".tmp-scratch", ".old-drafts"):
        (out / mine).mkdir()
        (out / mine / "notes.txt").write_text("mine")
    for killed in (".tmp-4242", ".old-csv-4242"):
        (out / killed).mkdir()
        (out / killed / "part-00000.csv").write_text("x")
    run([raw], out, quiet=True, cache_dir=None)
    assert sorted(p.name for p in out.glob(".[to][ml][pd]-*")) == [".old-drafts", ".tmp-scratch"]
    assert (out / ".old-drafts" / "notes.txt").read_text() == "mine"


def test_an_output_folder_of_an_older_version_is_ours(tmp_path):
    """A manifest written before it listed its files still vouches for the fixed names."""
    raw, out = _tiny_raw(tmp_path), tmp_path / "out"
    run([raw], out, quiet=True)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    del manifest["files"]
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    run([raw], out, quiet=True)


def test_the_tools_own_outputs_are_replaced_on_a_rerun(tmp_path):
    raw, out = _tiny_raw(tmp_path), tmp_path / "out"
    (raw / "b.wiki").write_text("'''表'''\n{|\n! 国家\n|-\n| 智利\n|}\n", encoding="utf-8")
    run([raw], out, quiet=True)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "csv/documents.csv" in manifest["files"] and "documents.parquet" in manifest["files"]
    run([raw], out, quiet=True)
    assert (out / "tables/b__0.csv").is_file()
    (out / "tables/b__0.csv").unlink()
    (out / "tables/extra.csv").write_text("mine")
    with pytest.raises(OutputConflict, match="tables/extra.csv"):
        run([raw], out, quiet=True)


# -- 9. spreadsheet formulas ------------------------------------------------------------------

def test_csv_cells_never_start_a_formula_and_parquet_keeps_the_text(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "f.wiki").write_text(
        "'''公式'''测试。\n\n@提及某人的段落。\n\n"
        "{|\n! =名 !! 值\n|-\n| =HYPERLINK(\"http://x\",\"y\") || -3.5\n|-\n| @SUM(A1) || +86\n"
        "|-\n| -2+3+cmd || -\n|}\n", encoding="utf-8")
    run([raw], tmp_path / "out", quiet=True)
    out = tmp_path / "out"
    cells = pq.read_table(out / "table_cells.parquet").column("text_original").to_pylist()
    assert '=HYPERLINK("http://x","y")' in cells and "@SUM(A1)" in cells
    with open(out / "csv/table_cells.csv", encoding="utf-8-sig", newline="") as f:
        csv_cells = [r["text_original"] for r in csv.DictReader(f)]
    assert '\'=HYPERLINK("http://x","y")' in csv_cells and "'@SUM(A1)" in csv_cells
    assert "-3.5" in csv_cells and "+86" in csv_cells and "-" in csv_cells
    assert "'-2+3+cmd" in csv_cells
    with open(out / "csv/paragraphs.csv", encoding="utf-8-sig", newline="") as f:
        texts = [r["text_original"] for r in csv.DictReader(f)]
    assert "'@提及某人的段落。" in texts
    with open(out / "tables/f__0.csv", encoding="utf-8-sig", newline="") as f:
        wide = list(csv.reader(f))
    assert wide[0][0] == "'=名" and wide[1] == ['\'=HYPERLINK("http://x","y")', "-3.5"]
    for path in (out / "csv").glob("*.csv"):
        with open(path, encoding="utf-8-sig", newline="") as f:
            for row in csv.reader(f):
                for cell in row:
                    assert not cell[:1] in ("=", "@", "\t", "\r") or cell == "", (path.name, cell)
