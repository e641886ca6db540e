"""The command line as a new user meets it: --version, --help, refused option values, standard
input, the summary, and what `pipeline.load` gives a notebook."""

from __future__ import annotations

import bz2
import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import pipeline
from pipeline import cli

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "tests" / "data" / "seeds"
DUMP = ROOT / "tests" / "data" / "corpus" / "xml" / "mwxml_synthetic_dump.xml"


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.strip() == f"pipeline {pipeline.__version__}"


def test_help_shows_every_default_and_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for default in ("(default: raw)", "(default: output)", "(default: zh-hans)", "(default: 0, articles)",
                    "(default: OUT/.cache", "(default: 1)", "(default: 60)", "0 for no limit",
                    "(default: 0.8)"):
        assert default in text, default
    assert "exit codes: 0 the run finished" in text and "1 --strict" in text and "2 the run could not" in text
    assert "`" not in text  # plain text, not a docstring


def test_the_console_script_is_installed():
    script = Path(sys.executable).parent / "pipeline"
    proc = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("pipeline ")


@pytest.mark.parametrize("args, reason", [
    (["--jobs", "-3"], "--jobs: must be 1 or more"),
    (["--jobs", "0"], "--jobs: must be 1 or more"),
    (["--jobs", "two"], "--jobs: must be a whole number"),
    (["--page-timeout", "nan"], "--page-timeout: must be a number of seconds"),
    (["--page-timeout", "-1"], "--page-timeout: must be a number of seconds"),
    (["--page-timeout", "inf"], "--page-timeout: must be a number of seconds"),
    (["--namespaces", ","], "--namespaces: must be namespace numbers"),
    (["--namespaces", "0,x"], "--namespaces: must be namespace numbers"),
    (["--near-threshold", "nan"], "--near-threshold: must be a number above 0"),
    (["--near-threshold", "0"], "--near-threshold: must be a number above 0"),
])
def test_bad_option_values_are_refused_in_one_line(tmp_path, capsys, args, reason):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as e:
        cli.main(["run", "--raw", str(SEEDS), "--out", str(out), *args])
    err = capsys.readouterr().err
    assert e.value.code == 2 and reason in err and err.count("\n") == 1, err
    assert not out.exists()  # refused before anything was written


def test_page_timeout_zero_means_no_limit(monkeypatch):
    import signal

    from pipeline.model import RawPage
    from pipeline.run import Options, process_page

    armed = []
    monkeypatch.setattr(signal, "setitimer", lambda which, seconds, *a: armed.append(seconds))
    page = RawPage(source="a.txt", doc_id="a", title="a", text="一段文字。", format="plaintext")
    result, _, _ = process_page(page, Options(page_timeout=0))
    assert result.paragraphs and armed == []
    process_page(page, Options(page_timeout=5))
    assert armed == [5, 0]


def _stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_raw_dash_reads_a_compressed_dump_from_standard_input(tmp_path, monkeypatch, capsys):
    _stdin(monkeypatch, bz2.compress(DUMP.read_bytes()))
    out = tmp_path / "out"
    assert cli.main(["run", "--raw", "-", "--out", str(out), "--no-cache"]) == 0
    documents = pipeline.load(str(out), ["documents"])["documents"]
    assert len(documents) and set(documents["source"]) == {"stdin"}
    assert [p.name for p in out.iterdir() if p.name.startswith(".stdin")] == []  # spool removed
    assert "reading standard input" in capsys.readouterr().err


def test_raw_dash_beside_a_folder(tmp_path, monkeypatch):
    _stdin(monkeypatch, "一段新的文字，來自標準輸入。\n".encode())
    out = tmp_path / "out"
    assert cli.main(["run", "--raw", str(SEEDS), "--raw", "-", "--out", str(out), "--quiet", "--no-cache"]) == 0
    sources = set(pipeline.load(str(out), ["documents"])["documents"]["source"])
    assert "stdin" in sources and len(sources) == 3


def test_a_killed_runs_copy_of_standard_input_is_removed_by_the_next_run(tmp_path, monkeypatch):
    """A run killed (SIGKILL, the OOM killer) while it read `--raw -` left its `.stdin-*` copy
    of the whole stream in --out: the next run removed a killed run's `.tmp-*` folder, never
    that. The next run's own copy must survive the clean-up, which runs once it has been made."""
    out = tmp_path / "out"
    gone = subprocess.Popen(["true"])
    gone.wait()
    # a killed run's (an older release's names no process); one still copying its input
    for name in (".stdin-k1ll3d", f".stdin-{gone.pid}-x1y2", f".stdin-{os.getppid()}-a3b4"):
        (out / name).mkdir(parents=True)
        (out / name / "stdin").write_bytes(b"BZh9" + bytes(4096))
    _stdin(monkeypatch, "一段新的文字，來自標準輸入。\n".encode())
    assert cli.main(["run", "--raw", "-", "--out", str(out), "--quiet", "--no-cache"]) == 0
    assert [p.name for p in out.iterdir() if p.name.startswith(".stdin")] == [f".stdin-{os.getppid()}-a3b4"]
    assert list(pipeline.load(str(out), ["documents"])["documents"]["source"]) == ["stdin"]


def test_a_scheduler_that_cannot_be_reached_is_one_line_naming_it(tmp_path, capsys):
    """Dask's connection time-out is an OSError, which the CLI reported as "cannot write output
    OUT: Timed out trying to connect …", blaming the output folder."""
    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = cli.main(["run", "--raw", str(SEEDS), "--out", str(tmp_path / "o"), "--quiet",
                         "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith("pipeline: cannot run: cannot reach the Dask scheduler tcp://127.0.0.1:9"), err


def test_raw_dash_from_a_terminal_is_refused(tmp_path, monkeypatch, capsys):
    class Terminal(io.TextIOWrapper):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdin", Terminal(io.BytesIO(b"")))
    assert cli.main(["run", "--raw", "-", "--out", str(tmp_path / "o")]) == 2
    assert "it is a terminal" in capsys.readouterr().err


def test_summary_counts_infobox_and_keywords_and_says_what_next(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["run", "--raw", str(SEEDS), "--out", str(out), "--no-cache"]) == 0
    err = capsys.readouterr().err
    frames = pipeline.load(str(out))
    assert f"infobox     {len(frames['infobox'])} fields" in err
    assert f"keywords    {len(frames['keywords'])}\n" in err and len(frames["keywords"]) > 0
    assert "time        " in err
    assert f"pipeline.load({str(out)!r})" in err.splitlines()[-1] and "errors.parquet" in err.splitlines()[-1]


def test_load_gives_nullable_integers_for_ids(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "loose.txt").write_text("一段文字。\n", encoding="utf-8")
    (raw / "dump.xml").write_bytes(DUMP.read_bytes())
    out = tmp_path / "out"
    assert cli.main(["run", "--raw", str(raw), "--out", str(out), "--quiet", "--no-cache"]) == 0
    documents = pipeline.load(str(out))["documents"]
    assert documents["page_id"].dtype == pd.Int64Dtype() and documents["revision_id"].dtype == pd.Int64Dtype()
    assert documents["page_id"].isna().sum() == 1 and documents["page_id"].dropna().map(type).eq(int).all()
    assert pd.read_parquet(out / "documents.parquet")["page_id"].dtype == "float64"  # what load avoids


def test_sigterm_while_reading_standard_input_leaves_nothing(tmp_path):
    import signal
    import time

    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "run", "--raw", "-", "--out", str(out)],
                            cwd=ROOT, stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdin.write("一段文字。\n")  # the stream stays open: the copy is under way
    proc.stdin.flush()
    deadline = time.monotonic() + 60
    while not list(out.glob(".stdin-*/stdin")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and "stopped by SIGTERM" in err, err
    assert not list(out.glob(".stdin-*"))
