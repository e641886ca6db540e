"""`make run` reruns exactly when something a run depends on changed: inputs (also names with
spaces, deleted files), options (VARIANT, JOBS, ARGS), code. Asked with `make -q`, in a copy of
the Makefile with a stand-in .venv, so nothing is run."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")


@pytest.fixture
def clone(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path)
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "pipeline").mkdir()
    (tmp_path / "pipeline" / "run.py").write_text("", encoding="utf-8")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / ".installed").touch()  # set up, as far as Make can tell
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "a.txt").write_text("一段文字。\n", encoding="utf-8")
    (tmp_path / "raw" / "my file.txt").write_text("另一段。\n", encoding="utf-8")
    return tmp_path


def _make(clone: Path, *args: str) -> subprocess.CompletedProcess:
    # Not the flags of a `make test` this may run under (-q or -n there would change the answer).
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=clone, capture_output=True, text=True,
                          env=env)


def _up_to_date(clone: Path, *args: str) -> bool:
    """Whether `make run ARGS` would do nothing; afterwards, as if it had just run (every file
    older than a fresh manifest)."""
    proc = _make(clone, "-q", "run", *args)
    assert proc.returncode in (0, 1), proc.stderr  # 2: make itself failed
    _ran(clone)
    return proc.returncode == 0


def _ran(clone: Path) -> None:
    past = time.time() - 100  # inputs keep their times: those are part of what Make compares
    for path in clone.rglob("*"):
        if "raw" not in path.relative_to(clone).parts:
            os.utime(path, (past, past))
    (clone / "output" / "manifest.json").touch()


def test_make_run_reruns_when_an_option_changes(clone):
    assert not _up_to_date(clone)  # no outputs yet
    assert _up_to_date(clone)
    assert not _up_to_date(clone, "VARIANT=zh-hk")
    assert _up_to_date(clone, "VARIANT=zh-hk")
    assert not _up_to_date(clone, "VARIANT=zh-hk", "JOBS=2")
    assert not _up_to_date(clone, "VARIANT=zh-hk", "JOBS=2", "ARGS=--no-near-dup")
    assert _up_to_date(clone, "VARIANT=zh-hk", "JOBS=2", "ARGS=--no-near-dup")
    assert not _up_to_date(clone)  # back to the defaults
    proc = _make(clone, "-n", "run", "VARIANT=zh-tw", "ARGS=--no-near-dup")
    assert "--variant zh-tw --jobs 1 --engine local --no-near-dup" in proc.stdout


def test_make_run_follows_inputs_with_spaces_and_deletions(clone):
    assert not _up_to_date(clone)
    assert _up_to_date(clone)  # before: "No rule to make target 'raw/my'"
    (clone / "raw" / "my file.txt").write_text("改了。\n", encoding="utf-8")
    assert not _up_to_date(clone)
    (clone / "raw" / "a.txt").unlink()  # a deletion is older than the manifest, yet a change
    assert not _up_to_date(clone)
    (clone / "raw" / "sub dir").mkdir()
    (clone / "raw" / "sub dir" / "b c.txt").write_text("新。\n", encoding="utf-8")
    assert not _up_to_date(clone)
    assert _up_to_date(clone)
    (clone / "pipeline" / "run.py").write_text("# changed\n", encoding="utf-8")
    assert not _up_to_date(clone)


def test_other_goals_leave_the_stamps_alone(clone):
    assert _make(clone, "help").returncode == 0
    assert not (clone / "output").exists()
