"""`make golden`: rewrite tests/golden/<case>/ from the current code. Only on purpose:
read `git diff tests/golden` afterwards and explain every changed expectation in the commit."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from tests.golden_cases import GOLDEN, cases, run_case


def main() -> int:
    for name in cases():
        with tempfile.TemporaryDirectory() as tmp:
            files = run_case(name, Path(tmp) / "out")
        target = GOLDEN / name
        shutil.rmtree(target, ignore_errors=True)
        for rel, text in files.items():
            path = target / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        print(f"golden: {name}: {len(files)} files", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
