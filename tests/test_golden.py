"""Every output of every golden case matches its reviewed CSV under tests/golden/."""

from __future__ import annotations

import difflib

import pytest

from tests.golden_cases import GOLDEN, cases, run_case


@pytest.mark.parametrize("name", sorted(cases()))
def test_golden(name, tmp_path):
    actual = run_case(name, tmp_path / "out")
    expected_dir = GOLDEN / name
    assert expected_dir.is_dir(), f"no golden files for {name}: run `make golden` and review them"
    expected = {p.relative_to(expected_dir).as_posix(): p.read_text(encoding="utf-8")
                for p in sorted(expected_dir.rglob("*.csv"))}
    assert sorted(actual) == sorted(expected), "set of output files differs"
    for rel in expected:
        if actual[rel] != expected[rel]:
            diff = "\n".join(difflib.unified_diff(
                expected[rel].splitlines(), actual[rel].splitlines(),
                f"golden/{name}/{rel}", "actual", lineterm="", n=1))
            pytest.fail(f"{name}/{rel} differs from golden:\n" + "\n".join(diff.splitlines()[:60]))
