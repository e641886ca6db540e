"""The command line as a user runs it: outputs, exit codes, determinism."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

import pipeline
from pipeline.schemas import SCHEMAS

ROOT = Path(__file__).resolve().parent.parent


def _run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "pipeline", "run", "--no-cache", *args], cwd=cwd,
                          capture_output=True, text=True)


def _seeds_as_raw(folder: Path) -> Path:
    """A working folder whose raw/ holds the seeds, as a fresh clone's does."""
    shutil.copytree(ROOT / "tests" / "data" / "seeds", folder / "raw")
    return folder


def test_run_writes_every_output_with_schema(tmp_path):
    out = tmp_path / "output"
    proc = _run(cwd=_seeds_as_raw(tmp_path))  # the defaults: raw/ in, output/ out
    assert proc.returncode == 0, proc.stderr
    assert "documents   2" in proc.stderr and "10 duplicates" in proc.stderr
    for name, schema in SCHEMAS.items():
        assert pq.read_table(out / f"{name}.parquet").schema.equals(schema, check_metadata=False), name
        assert (out / "csv" / f"{name}.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (out / "tables" / "000_b725adc4755d8a28__0.csv").exists()
    frames = pipeline.load(str(out))
    assert len(frames["redirects"]) == 0 and list(frames["redirects"].columns) == SCHEMAS["redirects"].names
    assert not list(out.glob(".tmp-*"))


def test_two_runs_give_identical_outputs(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    seeds = str(ROOT / "tests" / "data" / "seeds")
    assert _run("--raw", seeds, "--out", str(a), "--quiet").returncode == 0
    assert _run("--raw", seeds, "--out", str(b), "--quiet").returncode == 0
    for name in SCHEMAS:
        assert pq.read_table(a / f"{name}.parquet").equals(pq.read_table(b / f"{name}.parquet")), name
        assert (a / "csv" / f"{name}.csv").read_bytes() == (b / "csv" / f"{name}.csv").read_bytes()


def test_exit_codes(tmp_path):
    empty_dir = tmp_path / "none"
    empty_dir.mkdir()
    proc = _run("--raw", str(empty_dir), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "no input files" in proc.stderr
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "ok.txt").write_text("一段文字。\n", encoding="utf-8")
    proc = _run("--raw", str(bad), "--out", str(tmp_path / "o2"))
    assert proc.returncode == 0 and "empty.txt: file is empty" in proc.stderr
    errors = pipeline.load(str(tmp_path / "o2"))["errors"]
    assert errors[["source", "kind"]].values.tolist() == [["empty.txt", "empty-file"]]
    assert _run("--raw", str(bad), "--out", str(tmp_path / "o3"), "--strict", "--quiet").returncode == 1


def test_each_output_folder_keeps_its_own_cache(tmp_path):
    """A run forgets cached pages that are not in its inputs, so a run on other inputs into
    another folder must not evict this folder's pages (the cache defaults to OUT/.cache)."""
    seeds, other = str(ROOT / "tests" / "data" / "seeds"), tmp_path / "other"
    other.mkdir()
    (other / "one.txt").write_text("另一個頁面。\n", encoding="utf-8")

    def run(raw, out):
        proc = subprocess.run([sys.executable, "-m", "pipeline", "run", "--raw", raw, "--out", str(out)],
                              cwd=tmp_path, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        return proc.stderr

    assert "2 new" in run(seeds, tmp_path / "a")
    assert "(1 new, 0 changed, 0 unchanged, 0 removed)" in run(str(other), tmp_path / "b")
    assert "(0 new, 0 changed, 2 unchanged, 0 removed)" in run(seeds, tmp_path / "a")
    assert (tmp_path / "a" / ".cache").is_dir() and not (tmp_path / ".cache").exists()
