"""One loader for the golden cases in tests/golden/cases.json (used by the test and by `make golden`)."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.run import Options, run

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"


def cases() -> dict[str, dict]:
    data = json.loads((GOLDEN / "cases.json").read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def run_case(name: str, out: Path) -> dict[str, str]:
    """Run one case into `out`; return its CSV outputs as {relative path: text}."""
    case = cases()[name]
    options = Options(**case.get("options", {}))
    run([ROOT / p for p in case["inputs"]], out, options, quiet=True)
    return csv_files(out)


def csv_files(out: Path) -> dict[str, str]:
    files = sorted((out / "csv").glob("*.csv")) + sorted((out / "tables").rglob("*.csv"))
    return {f.relative_to(out).as_posix(): f.read_text(encoding="utf-8-sig") for f in files}
