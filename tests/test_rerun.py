"""Reruns: the cache gives the same rows as a clean run, a killed run recovers, --jobs changes nothing."""

from __future__ import annotations

import os
import shutil
import signal
import pickle
import subprocess
import sys
import time
from pathlib import Path

from pipeline.run import run
from tests.golden_cases import csv_files

ROOT = Path(__file__).resolve().parent.parent
SEED_MD = (ROOT / "tests/data/seeds/000_b725adc4755d8a28.txt").read_text(encoding="utf-8")
SEED_TXT = (ROOT / "tests/data/seeds/002_f60a54659c60a256.txt").read_text(encoding="utf-8")


def _page(i: int) -> str:
    """A distinct Markdown page per i, sharing some paragraphs with the others (for dedup)."""
    return f"**组织{i}**是第{i}个测试组织。\n\n## 成员\n\n  - 正式成员国\n    成员{i}甲、成员{i}乙\n\n" + SEED_MD


def _write(folder: Path, pages: dict[str, str]) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, text in pages.items():
        (folder / name).write_text(text, encoding="utf-8")


def test_incremental_rerun_equals_clean_run(tmp_path):
    a = {f"p{i:02d}.md": _page(i) for i in range(6)} | {"apec.txt": SEED_TXT}
    b = dict(a)
    b["p01.md"] = _page(1).replace("测试组织", "改过的组织")  # changed
    b["p02.md"] = _page(2) + "\n新增的一段。\n"  # changed
    del b["p03.md"]  # removed
    b["p09.md"] = _page(9)  # new
    inputs, cache = tmp_path / "raw", tmp_path / "cache"
    _write(inputs, a)
    run([inputs], tmp_path / "out", cache_dir=cache, quiet=True)
    _write(inputs, b)
    summary = run([inputs], tmp_path / "out", cache_dir=cache, quiet=True)
    c = summary.cache
    assert (c.new, c.changed, c.unchanged, c.removed) == (1, 2, 4, 1)
    run([inputs], tmp_path / "clean", quiet=True)
    assert csv_files(tmp_path / "out") == csv_files(tmp_path / "clean")
    # A third run over the same inputs parses nothing.
    again = run([inputs], tmp_path / "out", cache_dir=cache, quiet=True)
    assert (again.cache.new, again.cache.changed, again.cache.unchanged) == (0, 0, 7)


def test_jobs_do_not_change_outputs(tmp_path):
    _write(tmp_path / "raw", {f"p{i:02d}.md": _page(i) for i in range(40)})
    run([tmp_path / "raw"], tmp_path / "one", quiet=True, jobs=1)
    run([tmp_path / "raw"], tmp_path / "two", quiet=True, jobs=2)
    assert csv_files(tmp_path / "one") == csv_files(tmp_path / "two")


def _cached_rows(cache: Path) -> int:
    """Pages in finished cache packs (pagecache.py): a shard's pack appears when it is done."""
    total = 0
    for entries in (cache / "packs").glob("*.entries"):
        try:
            total += len(pickle.loads(entries.read_bytes()))
        except (OSError, EOFError, pickle.UnpicklingError):
            pass
    return total


def test_sigkill_then_rerun_gives_the_uninterrupted_outputs(tmp_path):
    _write(tmp_path / "raw", {f"p{i:03d}.md": _page(i) for i in range(1500)})
    cmd = [sys.executable, "-m", "pipeline", "run", "--raw", str(tmp_path / "raw"),
           "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache"), "--quiet"]
    proc = subprocess.Popen(cmd, cwd=ROOT)
    deadline = time.monotonic() + 120
    while _cached_rows(tmp_path / "cache") == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert killed, "the run finished before it could be killed; make the input larger"
    assert not (tmp_path / "out" / "manifest.json").exists()
    assert not list((tmp_path / "out").glob("*.parquet")), "a killed run left a final-named file"
    reused = _cached_rows(tmp_path / "cache")
    assert 0 < reused < 1500
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    run([tmp_path / "raw"], tmp_path / "clean", quiet=True)
    assert csv_files(tmp_path / "out") == csv_files(tmp_path / "clean")


DUMP = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10">
<siteinfo><dbname>zhwiki</dbname></siteinfo>
{pages}
</mediawiki>
"""
PAGE = """<page><title>条目{i}</title><ns>0</ns><id>{i}</id><revision><id>{rev}</id>
<timestamp>2026-10-01T00:00:00Z</timestamp><text xml:space="preserve">'''条目{i}'''是第{i}个条目。{extra}</text></revision></page>"""


def _dump(path: Path, changed: int | None = None) -> None:
    pages = "\n".join(PAGE.format(i=i, rev=100 + i + (1000 if i == changed else 0),
                                  extra="内容改了。" if i == changed else "") for i in range(1, 4))
    path.write_text(DUMP.format(pages=pages), encoding="utf-8")


def test_next_months_dump_under_a_new_name_reuses_the_cache(tmp_path, monkeypatch):
    from pipeline import fragments

    made = []  # pages whose finished rows were encoded, not copied (fragments.py)
    real = fragments.make
    monkeypatch.setattr(fragments, "make", lambda pages: made.extend(r.doc_id for r, _, _ in pages) or real(pages))
    raw, cache = tmp_path / "raw", tmp_path / "cache"
    raw.mkdir()
    _dump(raw / "zhwiki-20261001.xml")
    run([raw], tmp_path / "out", cache_dir=cache, quiet=True)
    (raw / "zhwiki-20261001.xml").unlink()
    _dump(raw / "zhwiki-20261101.xml", changed=2)
    made.clear()
    summary = run([raw], tmp_path / "out", cache_dir=cache, quiet=True)
    assert made == ["zhwiki/2"]
    c = summary.cache
    assert (c.new, c.changed, c.unchanged, c.removed) == (0, 1, 2, 0)
    run([raw], tmp_path / "clean", quiet=True)
    assert csv_files(tmp_path / "out") == csv_files(tmp_path / "clean")
    assert "zhwiki-20261101.xml" in csv_files(tmp_path / "out")["csv/documents.csv"]
