"""The ordered parallel map: order kept, memory bounded, a dying worker does not stop the run."""

from __future__ import annotations

import os

from pipeline.parallel import ordered_map


def _double(x: int) -> int:
    return 2 * x


def _die_on_7(x: int) -> int:
    if x == 7:
        os._exit(3)  # what a segfault or the OOM killer looks like to the pool
    return 2 * x


def test_results_in_input_order_and_passthrough():
    items = list(range(100))
    out = list(ordered_map(_double, items, jobs=2, needs_work=lambda x: x % 3 != 0))
    assert out == [x if x % 3 == 0 else 2 * x for x in items]


def test_a_worker_that_dies_costs_only_its_item():
    out = list(ordered_map(_die_on_7, range(60), jobs=2, on_crash=lambda x: ("crashed", x)))
    assert out == [("crashed", 7) if x == 7 else 2 * x for x in range(60)]


def _pid(_):
    return os.getpid()


def test_an_isolating_child_is_kept_across_maps():
    """A Dask worker runs many shards: one page child for all of them keeps its warm caches
    (a child per shard cost about 40% more CPU); a new child only after forget_children()."""
    from pipeline import parallel

    parallel.forget_children()
    first = list(ordered_map(_pid, range(3), 1, isolate=True))
    second = list(ordered_map(_pid, range(3), 1, isolate=True))
    assert len(set(first + second)) == 1 and first[0] != os.getpid()
    parallel.forget_children()
    assert list(ordered_map(_pid, range(1), 1, isolate=True)) != first[:1]
    parallel.forget_children()
