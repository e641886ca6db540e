"""The README's column reference is generated from the declared schemas; keep it in sync."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.schemas import markdown_reference

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"(<!-- schema:begin -->\n)(.*?)(<!-- schema:end -->)", re.S)


def test_readme_column_reference_matches_schemas():
    text = README.read_text(encoding="utf-8")
    m = BLOCK.search(text)
    assert m, "README lacks the schema markers"
    assert m.group(2) == markdown_reference(), "run `python -m tests.test_readme` to refresh the README"


def test_readme_shows_the_two_commands_first():
    text = README.read_text(encoding="utf-8")
    assert text.index("make run") < text.index("## Inputs") and "make test" in text[:600]


if __name__ == "__main__":
    text = README.read_text(encoding="utf-8")
    README.write_text(BLOCK.sub(lambda m: m.group(1) + markdown_reference() + m.group(3), text), encoding="utf-8")


PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def test_readme_python_examples_run(tmp_path, monkeypatch):
    """Every ```python block of the README runs as written, in a folder holding `output/` from the
    seeds. A block that imports polars or duckdb (not dependencies) runs where they are installed."""
    import importlib.util

    from pipeline import cli

    seeds = Path(__file__).resolve().parent / "data" / "seeds"
    assert cli.main(["run", "--raw", str(seeds), "--out", str(tmp_path / "output"), "--quiet", "--no-cache"]) == 0
    monkeypatch.chdir(tmp_path)
    blocks = PYTHON_BLOCK.findall(README.read_text(encoding="utf-8"))
    assert any("duckdb.sql" in b for b in blocks)
    for block in blocks:
        missing = [m for m in ("polars", "duckdb") if f"import {m}" in block and not importlib.util.find_spec(m)]
        if not missing:
            exec(compile(block, "README.md", "exec"), {})
