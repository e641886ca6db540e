"""The bench profile charges every reader module to a stage (pipeline/bench/profile.py)."""

from __future__ import annotations

from pathlib import Path

from pipeline.bench.profile import STAGES


def test_every_reader_is_a_stage_of_its_own_not_orchestration():
    """A module missing from STAGES is counted as orchestration: the lean tree builder (and the
    C tokenizer it calls, 12-13% of a cold run) was, which made orchestration look like a
    quarter of the run."""
    readers = Path(__file__).resolve().parents[1] / "pipeline" / "readers"
    modules = {f"readers.{p.stem}" for p in readers.glob("*.py") if p.stem != "__init__"}
    assert modules - STAGES.keys() == set()
    assert STAGES["readers.leantree"] == "parse" and STAGES["arrays"] == "write"
