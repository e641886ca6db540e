"""BENCHMARKS.md leads with the fullest stored session, not with whichever size is the default:
a one-kind memory session at 20 MB had pushed the full 10 MB session into "Other stored sizes"."""

from __future__ import annotations

from pipeline.bench.report import lead


def test_the_fullest_session_leads_and_of_equals_the_current_one():
    full = {"runs": {"cold_j1": {}, "cold_j2": {}, "update": {}}}
    memory = {"runs": {"cold_j1": {}}}
    assert lead({"10": full, "20": memory, "200": memory}, "20") == "10"
    assert lead({"10": full, "20": memory, "200": memory}, "10") == "10"
    assert lead({"20": memory, "200": memory}, "200") == "200"
