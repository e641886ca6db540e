"""The parallel dedup pass decides exactly what the sequential one (`dedup.Dedup`, kept as
tests/dedup_reference.py) decides: on generated key tables (repeated keys across and within
pages, repeated doc ids, near signatures with chains and ties), on the golden inputs, for any
number of partitions, chunk size and workers, on both engines."""

from __future__ import annotations

import pickle
import random
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pipeline.run
from pipeline import dedup_parts
from pipeline import dedup_pass as dedup_pass_module
from pipeline.dedup_pass import DUPLICATE_PAGE, dedup_pass
from pipeline.executors import Local
from pipeline.neardup import NearOptions, band_keys
from tests.dedup_reference import sequential_pass
from tests.golden_cases import ROOT, cases

NEAR = NearOptions(num_perm=8, threshold=0.5)
BANDS, ROWS = 4, 2  # band layout of the generated 8-value signatures
KEYS = ["", "00000000000000a1", "00000000000000a2", "00000000000000a3", "8000000000000000", "ffffffffffffffff"]


def _write(work: Path, shards: dict[int, list]) -> None:
    work.mkdir(parents=True, exist_ok=True)
    for no, pages in shards.items():
        with open(work / f"{no:05d}.keys", "wb") as f:
            for page in pages:
                pickle.dump(page, f)


def _dups(work: Path, shards) -> dict:
    return {no: pickle.loads((work / f"{no:05d}.dups").read_bytes()) for no in shards}


def _both(shards: dict[int, list], near: NearOptions, parts: int, runner=None) -> tuple:
    """(sequential, parallel) results: the stats and every shard's decisions."""
    with tempfile.TemporaryDirectory() as tmp:
        out = []
        for name in ("sequential", "parallel"):
            work = Path(tmp) / name
            _write(work, shards)
            if name == "sequential":
                stats = sequential_pass(work, list(shards), near)
            else:
                stats = dedup_pass(runner or Local(1), work, list(shards), near, min_parts=parts)
                assert sorted(p.name for p in work.iterdir()) == sorted(
                    f"{no:05d}.{kind}" for no in shards for kind in ("keys", "dups"))  # its scratch is gone
            out.append((stats, _dups(work, shards)))
        return tuple(out)


def _signature(values: list[int]) -> tuple[bytes, list[int]]:
    sig = np.array(values, dtype=np.uint32)
    return sig.tobytes(), band_keys(sig[None, :], BANDS, ROWS)[0]


paragraph = st.tuples(
    st.sampled_from(KEYS),
    st.none() | st.lists(st.integers(0, 2), min_size=8, max_size=8),  # few values: many near pairs
    st.none() | st.lists(st.integers(-2, 2), min_size=BANDS, max_size=BANDS),  # band keys that collide
)
page = st.tuples(st.sampled_from("abcdefg"), st.sampled_from(["new", "changed", "unchanged"]),
                 st.none() | st.lists(paragraph, max_size=6))


def _table(shards: list[list]) -> dict[int, list]:
    """Key tables as the map stage writes them, from drawn pages; shard numbers with gaps and
    para_index not the paragraph's place in its page, so neither can stand in for the other."""
    out = {}
    for s, pages in enumerate(shards):
        rows = []
        for no, (doc_id, cached, paras) in enumerate(pages):
            keyed = None
            if paras is not None:
                keyed = []
                for n, (key, values, odd_bands) in enumerate(paras):
                    sig = bands = None
                    if values is not None:
                        sig, bands = _signature(values)
                        bands = odd_bands if odd_bands is not None else bands
                    keyed.append((3 * n + 1, key, sig, bands))
            rows.append((no, doc_id, f"{s}:{no}", cached, keyed))
        out[2 * s + 1] = rows
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(page, max_size=5), min_size=1, max_size=4), st.integers(1, 5),
       st.sampled_from([1, 3, 1 << 15]), st.sampled_from([0.25, 0.5, 0.75]), st.booleans())
def test_parallel_pass_equals_the_sequential_one_on_generated_key_tables(shards, parts, chunk, threshold,
                                                                          enabled):
    near = NearOptions(enabled=enabled, num_perm=8, threshold=threshold)
    with _chunk(chunk):
        (stats, expected), (got_stats, got) = _both(_table(shards), near, parts)
    assert got == expected
    assert got_stats == stats


@contextmanager
def _chunk(size: int):
    """Pairs verified, pages split and paragraphs scattered `size` at a time, pairs handed out
    2 * `size` per task (streaming, and chunk and task boundaries inside a page or a bucket)."""
    saved = dedup_parts.CHUNK, dedup_parts.STEP, dedup_parts.PAIRS, dedup_pass_module.FLUSH
    dedup_parts.CHUNK = dedup_parts.STEP = dedup_pass_module.FLUSH = size
    dedup_parts.PAIRS = 2 * size  # a bucket's pairs over several tasks, in two chunks each
    try:
        yield
    finally:
        dedup_parts.CHUNK, dedup_parts.STEP, dedup_parts.PAIRS, dedup_pass_module.FLUSH = saved


def _boilerplate(members: int, seed: int = 5) -> dict[int, list]:
    """One doc per paragraph, variations of one signature: one band key shared by all (a
    boilerplate sentence in every page), each also repeating a short paragraph exactly."""
    rng = random.Random(seed)
    base = [rng.randrange(4) for _ in range(8)]
    shards: dict[int, list] = {0: [], 1: []}
    for i in range(members):
        values = [v if rng.random() < 0.7 else rng.randrange(4) for v in base]
        values[:2] = base[:2]
        sig, bands = _signature(values)
        shards[i % 2].append((len(shards[i % 2]), f"d{i}", f"p{i}", "new",
                              [(0, f"{i + 1:016x}", sig, bands), (1, KEYS[1 + i % 3], None, None)]))
    return shards


def test_a_band_key_shared_by_every_member_is_decided_exactly_in_small_chunks():
    shards = _boilerplate(120)
    with _chunk(7):
        (stats, expected), (_, got) = _both(shards, NearOptions(num_perm=8, threshold=0.75), parts=3)
    assert got == expected
    near = [d for page in expected.values() for paras in page.values() for d in paras.values() if d[2] == "near"]
    assert len(near) > 50  # the case is what it claims: many near duplicates
    assert len({d[:2] for d in near}) > 1  # and more than one root


def test_scratch_files_grow_with_tasks_not_with_tasks_times_partitions(monkeypatch):
    """Each task writes one file per kind for all its partitions (with an index), so small
    partitions (a task's memory) on thousands of shards do not make millions of files."""
    seen, rmtree = {}, shutil.rmtree

    def listing(path, *args, **kwargs):
        if Path(path).name == "dedup":  # the pass's scratch folder, just before it goes
            seen[parts] = sorted(p.name for p in Path(path).iterdir())
        rmtree(path, *args, **kwargs)

    monkeypatch.setattr(dedup_pass_module.shutil, "rmtree", listing)
    shards = {no: pages for no, pages in enumerate(_boilerplate(120).values())} | \
        {2 + no: pages for no, pages in enumerate(_boilerplate(120, seed=6).values())}
    for parts in (1, 16):
        (_, expected), (_, got) = _both(shards, NearOptions(num_perm=8, threshold=0.75), parts=parts)
        assert got == expected
    tasks = len(shards) + 16  # per shard and per partition
    assert len(seen[16]) <= 12 * tasks < len(shards) * 16 * 4, seen[16]


def test_duplicate_pages_are_decided_before_their_paragraphs_are_seen():
    sig, bands = _signature([1] * 8)
    shards = {0: [(0, "a", "first a", "new", None), (1, "b", "b", "new", [(0, KEYS[1], sig, bands)])],
              1: [(0, "a", "second a", "changed", [(0, KEYS[2], sig, bands)]),
                  (1, "c", "c", "unchanged", [(0, KEYS[2], sig, bands), (4, KEYS[1], None, None)])]}
    (stats, expected), (got_stats, got) = _both(shards, NEAR, parts=2)
    assert got == expected == {0: {}, 1: {0: (DUPLICATE_PAGE, "first a"),
                                          1: {0: ("b", 0, "near", 1.0), 4: ("b", 0, "exact", 1.0)}}}
    assert got_stats == stats and (stats.new, stats.changed, stats.unchanged) == (2, 0, 1)


def test_two_worker_processes_decide_the_same():
    shards = _boilerplate(60, seed=9)
    runner = Local(2)
    try:
        (_, expected), (_, got) = _both(shards, NEAR, parts=4, runner=runner)
    finally:
        runner.close()
    assert got == expected


def test_dask_decides_the_same():
    distributed = pytest.importorskip("dask.distributed")
    from pipeline.executors import Dask

    # worker threads in this process start in a second (worker processes: tests/test_scale.py)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster:
        runner = Dask(scheduler=cluster.scheduler_address)
        try:
            (_, expected), (_, got) = _both(_boilerplate(60, seed=11), NEAR, parts=3, runner=runner)
        finally:
            runner.close()
    assert got == expected


def test_parallel_pass_equals_the_sequential_one_on_the_golden_inputs(tmp_path, monkeypatch):
    """All golden inputs in one run (pages repeated across cases: duplicate pages, exact and near
    repeats across documents); each partition count's decisions compared with the reference's."""
    real = pipeline.dedup_pass.dedup_pass
    compared = []

    def both(runner, work, shards, near, min_parts=1, reused=frozenset()):
        reference = tmp_path / "reference"
        reference.mkdir()
        for no in shards:
            shutil.copy(work / f"{no:05d}.keys", reference)
        stats = sequential_pass(reference, shards, near)
        expected = _dups(reference, shards)
        for parts in (1, 2, 5):
            assert real(runner, work, shards, near, parts) == stats
            assert _dups(work, shards) == expected
        compared.append(sum(len(d) if isinstance(d, dict) else 1 for page in expected.values() for d in page.values()))
        return stats

    monkeypatch.setattr(pipeline.dedup_pass, "dedup_pass", both)
    inputs = sorted({ROOT / p for case in cases().values() for p in case["inputs"]})
    pipeline.run.run(inputs, tmp_path / "out", quiet=True)
    assert compared and compared[0] > 10, compared  # duplicates were compared


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_released_tables_stop_counting_as_the_task_s_memory(tmp_path):
    """near_pairs reads signature rows all over every shard's table; the pages it read counted
    as its memory (RSS) until the task ended: 190 MB more on a 200 MB dump."""
    from pipeline.dedup_files import Shards, folder, save_pickle, shard_file

    def file_rss_mb() -> float:
        line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("RssFile:"))
        return int(line.split()[1]) / 1024

    folder(tmp_path).mkdir()
    save_pickle(folder(tmp_path) / "s00000.meta", {"width": 128, "nbands": 14})
    shard_file(tmp_path, 0, "sigs").write_bytes(np.arange(64 << 18, dtype=np.uint32).tobytes())  # 64 MB
    tables = Shards(tmp_path)
    before = file_rss_mb()
    rows = np.arange(0, 1 << 17, 7)  # one row in seven: every page
    got = tables.rows("sigs", rows, rows)
    assert got.shape == (len(rows), 128) and got[1, 0] == 7 * 128
    assert file_rss_mb() < before + 8
    assert tables.rows("sigs", rows[:2], rows[:2])[1, 0] == 7 * 128  # and it reads again


def test_a_tie_goes_to_the_earliest_candidate_and_a_chain_to_its_root():
    """c is as close to b as to a (half its values each): b came first, so c joins b's root; d
    matches c best, and joins the root of c's best match, not c."""
    a, b, c = _signature([1] * 8), _signature([0] * 8), _signature([0] * 4 + [1] * 4)
    d = _signature([0] * 3 + [1] * 5)
    shards = {0: [(0, "p", "p", "new", [(0, KEYS[1], *b)])],
              3: [(0, "q", "q", "new", [(0, KEYS[2], *a), (2, KEYS[3], *c)]),
                  (1, "r", "r", "new", [(5, KEYS[4], *d)])]}
    (_, expected), (_, got) = _both(shards, NEAR, parts=2)
    assert got == expected == {0: {}, 3: {0: {2: ("p", 0, "near", 0.5)}, 1: {5: ("p", 0, "near", 0.875)}}}
