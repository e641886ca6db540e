"""Whole-shard reuse (shardcache.py): an unchanged shard is neither read, decided nor written
again, and every rerun's outputs equal a clean run's (CSV bytes, Parquet tables)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline import dedup_pass, finalize, pages, shardcache, shardmap
from pipeline.model import Problem
from pipeline.run import Options, run
from pipeline.schemas import SCHEMAS
from tests import multistream_dump

PAGES = 450  # five streams of 100 pages: five shards (plan.MIN_SHARDS cuts a small dump finer)


def _dump(folder: Path, monkeypatch, changed: dict[int, str] | None = None) -> Path:
    """The generated multistream dump, with some pages' wikitext replaced."""
    original = multistream_dump.page_text
    with monkeypatch.context() as m:
        m.setattr(multistream_dump, "page_text", lambda i: (changed or {}).get(i) or original(i))
        multistream_dump.write(folder, pages=PAGES)
    return folder


def _same(a: Path, b: Path) -> None:
    for name in SCHEMAS:  # CSVs byte for byte, Parquet tables equal, wide tables byte for byte
        assert (a / "csv" / f"{name}.csv").read_bytes() == (b / "csv" / f"{name}.csv").read_bytes(), name
        assert pq.read_table(a / f"{name}.parquet").equals(pq.read_table(b / f"{name}.parquet")), name
    wide = sorted(p.relative_to(a) for p in (a / "tables").rglob("*.csv"))
    assert wide and wide == sorted(p.relative_to(b) for p in (b / "tables").rglob("*.csv"))
    assert all((a / p).read_bytes() == (b / p).read_bytes() for p in wide)


@pytest.fixture
def calls(monkeypatch):
    """The shards each stage really ran on (not taken from the cache)."""
    seen: dict[str, list[int]] = {"map": [], "dedup": [], "finalize": []}
    real_map, real_pass, real_final = shardmap.map_shard, dedup_pass.dedup_pass, finalize.finalize_shard

    def mapped(shard, job):
        seen["map"].append(shard.no)
        return real_map(shard, job)

    def decided(runner, work, shards, *args, **kw):
        seen["dedup"].append(len(shards))
        return real_pass(runner, work, shards, *args, **kw)

    def finalized(shard, *args, **kw):
        seen["finalize"].append(shard.no)
        return real_final(shard, *args, **kw)

    monkeypatch.setattr(shardmap, "map_shard", mapped)
    monkeypatch.setattr(dedup_pass, "dedup_pass", decided)
    monkeypatch.setattr(finalize, "finalize_shard", finalized)
    return seen


def _reset(seen: dict) -> None:
    for v in seen.values():
        v.clear()


def test_an_unchanged_rerun_reads_decides_and_writes_nothing_again(tmp_path, monkeypatch, calls):
    raw = _dump(tmp_path / "raw", monkeypatch)
    cache = tmp_path / "cache"
    run([raw], tmp_path / "first", cache_dir=cache, quiet=True)
    assert calls == {"map": [0, 1, 2, 3, 4], "dedup": [5], "finalize": [0, 1, 2, 3, 4]}
    _reset(calls)
    summary = run([raw], tmp_path / "again", cache_dir=cache, quiet=True)
    assert calls == {"map": [], "dedup": [], "finalize": []}
    c = summary.cache
    assert (c.new, c.changed, c.unchanged, c.removed) == (0, 0, summary.documents, 0)
    assert c.unchanged > 400
    run([raw], tmp_path / "clean", quiet=True)
    _same(tmp_path / "again", tmp_path / "clean")
    manifest = (tmp_path / "again" / "manifest.json").read_text()
    assert f'"unchanged": {c.unchanged}' in manifest
    # Only this run's stored shards stay, with the packs their pages point at.
    assert len(list((cache / shardcache.SHARDS).iterdir())) == 5
    assert list((cache / "packs").glob("*.pack"))


def test_a_change_in_one_shard_maps_and_writes_that_shard_only(tmp_path, monkeypatch, calls):
    cache = tmp_path / "cache"
    run([_dump(tmp_path / "a", monkeypatch)], tmp_path / "out", cache_dir=cache, quiet=True)
    changed = _dump(tmp_path / "b", monkeypatch, {250: "'''条目250'''改写过的内容。\n\n另一段新写的文字，用来测试。\n"})
    _reset(calls)
    summary = run([changed], tmp_path / "out", cache_dir=cache, quiet=True)
    assert calls["map"] == [2] and calls["finalize"] == [2] and calls["dedup"] == [5]
    assert (summary.cache.changed, summary.cache.new) == (1, 0)
    run([changed], tmp_path / "clean", quiet=True)
    _same(tmp_path / "out", tmp_path / "clean")
    # The stored shard of the old page 250 is gone; the new one is kept.
    assert len(list((cache / shardcache.SHARDS).iterdir())) == 5


def test_an_earlier_change_that_makes_a_later_paragraph_a_duplicate_rewrites_its_parts(
        tmp_path, monkeypatch, calls):
    cache = tmp_path / "cache"
    run([_dump(tmp_path / "a", monkeypatch)], tmp_path / "out", cache_dir=cache, quiet=True)
    # Page 50 (shard 0) now holds page 350's own paragraph: 350's copy (shard 3) is a duplicate.
    later = "第350段独有的内容，说明这个条目的特点。"
    changed = _dump(tmp_path / "b", monkeypatch, {50: f"'''条目50'''是改过的条目。\n\n{later}\n"})
    _reset(calls)
    run([changed], tmp_path / "out", cache_dir=cache, quiet=True)
    assert calls["map"] == [0]  # shard 3's own pages are unchanged
    assert 3 in calls["finalize"]  # but its decisions are not: its parts are written again
    run([changed], tmp_path / "clean", quiet=True)
    _same(tmp_path / "out", tmp_path / "clean")
    dups = pq.read_table(tmp_path / "out" / "duplicates.parquet").to_pylist()
    assert any(d["doc_id"] == "zhwiki/350" and d["dup_of_doc_id"] == "zhwiki/50" for d in dups)


@pytest.mark.parametrize("damage", ["items", "map", "part"])
def test_a_damaged_stored_shard_is_a_miss_with_a_cache_corrupt_row(tmp_path, monkeypatch, calls, damage):
    raw = _dump(tmp_path / "raw", monkeypatch)
    cache = tmp_path / "cache"
    run([raw], tmp_path / "clean", cache_dir=cache, quiet=True)
    stored = sorted((cache / shardcache.SHARDS).iterdir())
    target = stored[1] / {"items": "items", "map": "map", "part": "final"}[damage]
    data, mid = target.read_bytes(), target.stat().st_size // 2
    target.write_bytes(data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1:])  # one byte flipped
    _reset(calls)
    run([raw], tmp_path / "out", cache_dir=cache, quiet=True)
    assert len(calls["map"]) == (1 if damage != "part" else 0)
    errors = pq.read_table(tmp_path / "out" / "errors.parquet").to_pylist()
    corrupt = [e for e in errors if e["kind"] == "cache-corrupt"]
    assert len(corrupt) == 1 and corrupt[0]["message"].startswith(str(cache / shardcache.SHARDS))
    # All else equals the clean run, and the next run is clean again.
    run([raw], tmp_path / "out2", cache_dir=cache, quiet=True)
    _same(tmp_path / "out2", tmp_path / "clean")
    _reset(calls)
    run([raw], tmp_path / "out3", cache_dir=cache, quiet=True)
    assert calls == {"map": [], "dedup": [], "finalize": []}


def test_a_shard_with_a_timeout_is_not_stored(tmp_path, monkeypatch):
    raw = _dump(tmp_path / "raw", monkeypatch)

    def timed_out(page, options):
        if page.doc_id == "zhwiki/120":
            return Problem(page.source, page.doc_id, "parse", "timeout", f"{page.source}: gave up")
        return real(page, options)

    real = pages.process_page
    monkeypatch.setattr(shardmap, "process_page", timed_out)
    run([raw], tmp_path / "out", cache_dir=tmp_path / "cache", quiet=True)
    stored = list((tmp_path / "cache" / shardcache.SHARDS).iterdir())
    assert len(stored) == 4  # shard 1 (pages 101-200) had a timeout: it is done again next time


def test_decisions_are_reused_only_for_the_same_shards_before(tmp_path, monkeypatch, calls):
    """Dropping the first input changes what every later page is a duplicate of."""
    cache = tmp_path / "cache"
    raw = _dump(tmp_path / "raw", monkeypatch)
    extra = tmp_path / "raw" / "aaa.txt"  # sorts first: shard 0, and holds a shared paragraph
    extra.write_text(multistream_dump.SHARED[0] + "\n", encoding="utf-8")
    run([raw], tmp_path / "out", cache_dir=cache, quiet=True)
    extra.unlink()
    _reset(calls)
    run([raw], tmp_path / "out", cache_dir=cache, quiet=True)
    assert calls["map"] == [] and calls["dedup"] == [5] and calls["finalize"]
    run([raw], tmp_path / "clean", quiet=True)
    _same(tmp_path / "out", tmp_path / "clean")


def test_entries_files_of_reused_shards_feed_the_page_cache(tmp_path, monkeypatch):
    """After a reused run the page index still knows every page, so a later change of one page
    in every shard is served from the page cache for the rest."""
    cache = tmp_path / "cache"
    raw = _dump(tmp_path / "raw", monkeypatch)
    run([raw], tmp_path / "out", cache_dir=cache, quiet=True)
    run([raw], tmp_path / "out", cache_dir=cache, quiet=True)  # all reused; commit rebuilds the index
    changed = _dump(tmp_path / "b", monkeypatch, {i: f"'''条目{i}'''改了。\n" for i in (10, 110, 210, 310, 410)})
    summary = run([changed], tmp_path / "out", cache_dir=cache, quiet=True)
    assert (summary.cache.changed, summary.cache.new) == (5, 0)
    errors = pq.read_table(tmp_path / "out" / "errors.parquet").to_pylist()
    assert not [e for e in errors if e["stage"] == "cache"]
    run([changed], tmp_path / "clean", quiet=True)
    _same(tmp_path / "out", tmp_path / "clean")


def test_stored_shard_files_are_never_the_output_files(tmp_path, monkeypatch):
    """Outputs a user may write to are copies, not second names of the cache's files."""
    cache = tmp_path / "cache"
    raw = _dump(tmp_path / "raw", monkeypatch)
    run([raw], tmp_path / "out", cache_dir=cache, quiet=True)
    run([raw], tmp_path / "out", cache_dir=cache, quiet=True)
    outputs = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert outputs and all(p.stat().st_nlink == 1 for p in outputs)
    _, info, files = shardcache._load(next((cache / shardcache.SHARDS).iterdir()) / "final")
    assert info.files and len(files) == len(info.files)  # FinalInfo lists what finalize wrote


def test_packs_only_stored_shards_point_at_are_kept(tmp_path, monkeypatch, calls):
    """Two months' dumps holding the same pages: the later copies' cache entries lose to the
    first copies' in the page index, but their stored shards still point at them."""
    raw, cache = tmp_path / "raw", tmp_path / "cache"
    multistream_dump.write(raw, name="zhwiki-20261101-pages-articles")
    multistream_dump.write(raw, name="zhwiki-20261201-pages-articles")
    run([raw], tmp_path / "out", cache_dir=cache, quiet=True)
    _reset(calls)
    summary = run([raw], tmp_path / "out", cache_dir=cache, quiet=True)
    assert calls == {"map": [], "dedup": [], "finalize": []}
    assert summary.cache.unchanged == summary.documents == 404  # the first copies
    run([raw], tmp_path / "clean", quiet=True)
    _same(tmp_path / "out", tmp_path / "clean")
