"""Page fragments (fragments.py): a rerun copies the finished rows of every page whose outcome
and dedup decisions are unchanged, encodes the others, and writes what a clean run writes."""

from __future__ import annotations

import csv
import io

import pyarrow.parquet as pq
import pytest

from pipeline import fragments
from pipeline.run import run
from pipeline.write import OutputWriter, PartWriter, encode
from tests.golden_cases import csv_files
from tests.test_rerun import _page, _write
from tests.test_write import CELL, ROWS


@pytest.fixture
def made(monkeypatch):
    """The doc ids whose fragment was encoded (not copied), in order (jobs=1 runs in-process)."""
    seen: list[str] = []
    real = fragments.make

    def counting(pages):
        seen.extend(result.doc_id for result, _, _ in pages)
        return real(pages)

    monkeypatch.setattr(fragments, "make", counting)
    return seen


def _pages(n: int) -> dict[str, str]:
    return {f"p{i:02d}.md": _page(i) for i in range(n)}


def test_a_rerun_encodes_only_pages_whose_rows_changed(tmp_path, made):
    inputs, cache = tmp_path / "raw", tmp_path / "cache"
    a = _pages(6)
    _write(inputs, a)
    run([inputs], tmp_path / "out", cache_dir=cache, quiet=True)
    assert len(made) == 6
    made.clear()
    b = dict(a)
    b["p02.md"] = _page(2).replace("测试组织", "改过的组织")
    del b["p03.md"]
    b["p09.md"] = _page(9)
    _write(inputs, b)
    run([inputs], tmp_path / "out", cache_dir=cache, quiet=True)
    # The other pages' repeated paragraphs still point at p00's: their decisions are unchanged.
    assert sorted(made) == ["p02", "p09"]
    run([inputs], tmp_path / "clean", quiet=True)
    assert csv_files(tmp_path / "out") == csv_files(tmp_path / "clean")
    assert pq.read_table(tmp_path / "out/paragraphs.parquet").equals(
        pq.read_table(tmp_path / "clean/paragraphs.parquet"))


def test_a_page_whose_decisions_changed_is_encoded_again(tmp_path, made):
    """p00 holds the first copy of the paragraphs every page shares; once it is gone, p01's
    copies are the first ones and every later page's duplicates point there: the same outcomes,
    new decisions, so new rows (n_duplicates, dup_of_doc_id)."""
    inputs, cache = tmp_path / "raw", tmp_path / "cache"
    a = _pages(4)
    _write(inputs, a)
    run([inputs], tmp_path / "out", cache_dir=cache, quiet=True)
    made.clear()
    del a["p00.md"]
    _write(inputs, a)
    run([inputs], tmp_path / "out", cache_dir=cache, quiet=True)
    assert sorted(made) == ["p01", "p02", "p03"]
    run([inputs], tmp_path / "clean", quiet=True)
    assert csv_files(tmp_path / "out") == csv_files(tmp_path / "clean")


def test_a_damaged_fragment_is_a_miss_with_an_errors_row(tmp_path, made):
    inputs, cache = tmp_path / "raw", tmp_path / "cache"
    _write(inputs, _pages(3))
    run([inputs], tmp_path / "out", cache_dir=cache, quiet=True)
    # Damage every fragment pack in two places (a page's entry is CRC-checked).
    for pack in (cache / fragments.FOLDER / "packs").glob("*.pack"):
        data = bytearray(pack.read_bytes())
        data[len(data) // 2] ^= 0xFF
        data[-1] ^= 0xFF
        pack.write_bytes(bytes(data))
    # The pages and shards are unchanged: drop the whole-shard stores, so finalize runs again.
    for stored in (cache / "shards").glob("*/final"):
        stored.unlink()
    made.clear()
    run([inputs], tmp_path / "out", cache_dir=cache, quiet=True)
    assert made  # the damaged ones were encoded again
    run([inputs], tmp_path / "clean", quiet=True)
    out, clean = csv_files(tmp_path / "out"), csv_files(tmp_path / "clean")
    errors = out.pop("csv/errors.csv")
    clean.pop("csv/errors.csv")
    assert out == clean
    assert "cache-corrupt" in errors and f"{fragments.FOLDER}/packs" in errors


def test_encoded_rows_are_the_rows_add_writes(tmp_path):
    """Rows given as records and the same rows encoded (one page at a time) make the same Parquet
    table and the same CSV bytes."""
    outs = {}
    for how in ("records", "encoded"):
        folder = tmp_path / how
        out = OutputWriter(folder)
        writer = PartWriter(out.tmp, 0)
        pages = [ROWS[:1], [], ROWS[1:]]
        if how == "records":
            for rows in pages + [ROWS[2:]]:
                writer.add("paragraphs", rows)
            writer.add("table_cells", [CELL] * 3)
        else:
            for encoded in encode("paragraphs", pages) + encode("paragraphs", [ROWS[2:]]):
                writer.add_encoded("paragraphs", encoded)
            for encoded in encode("table_cells", [[CELL]] * 3):
                writer.add_encoded("table_cells", encoded)
        writer.close()
        out.commit({})
        outs[how] = folder
    for name in ("paragraphs", "table_cells"):
        a, b = (pq.read_table(outs[h] / f"{name}.parquet") for h in ("records", "encoded"))
        assert a.equals(b)
        assert (outs["records"] / f"csv/{name}.csv").read_bytes() == (outs["encoded"] / f"csv/{name}.csv").read_bytes()
    rows = list(csv.reader(io.StringIO((outs["encoded"] / "csv/paragraphs.csv").read_text("utf-8-sig"))))
    assert len(rows) == 1 + len(ROWS) + 1


def test_records_and_encoded_rows_never_mix_in_one_table(tmp_path):
    out = OutputWriter(tmp_path)
    writer = PartWriter(out.tmp, 0)
    writer.add("paragraphs", ROWS[:1])
    with pytest.raises(ValueError, match="encoded rows after records"):
        writer.add_encoded("paragraphs", encode("paragraphs", [ROWS[1:]])[0])
    writer.abort()
    out.abort()


def test_every_golden_input_with_a_cache_gives_what_a_run_without_one_gives(tmp_path, monkeypatch, made):
    """Encoded in small batches (so problems, redirects and pages wait in the queue across
    batches), then copied on a second run of a changed shard: the same rows in the same order."""
    from tests.test_scale import GOLDEN_INPUTS

    from tests.golden_cases import ROOT

    monkeypatch.setattr(fragments.Pages, "BATCH", 3)
    inputs = [ROOT / p for p in GOLDEN_INPUTS]
    run(inputs, tmp_path / "clean", quiet=True)
    clean = csv_files(tmp_path / "clean")
    cache = tmp_path / "cache"
    run(inputs, tmp_path / "out", cache_dir=cache, quiet=True)
    assert csv_files(tmp_path / "out") == clean and len(made) > 10
    for stored in (cache / "shards").glob("*/final"):  # finalize again, from the fragments
        stored.unlink()
    made.clear()
    run(inputs, tmp_path / "out", cache_dir=cache, quiet=True)
    assert csv_files(tmp_path / "out") == clean and made == []
