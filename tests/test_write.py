"""The writer's Arrow columns are what pa.Table.from_pylist makes, and its CSV matches them;
parts of several shards assemble into one table and one CSV, in shard order."""

from __future__ import annotations

import csv

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.rows import VALUES, ParagraphRow, TableCellRow
from pipeline.schemas import SCHEMAS
from pipeline.write import OutputWriter, PartWriter, _array

ROWS = [
    ParagraphRow(doc_id="a", para_index=0, section="", section_original="", kind="paragraph",
                 depth=0, text="太平洋联盟", text_original="太平洋聯盟", script="hant",
                 norm_hash="00", tokens=("太平洋", "联盟"), tokens_original=("太平洋", "聯盟")),
    ParagraphRow(doc_id="b", para_index=1, section="x", section_original="x", kind="item",
                 depth=1, text="", text_original="", script="none", norm_hash="",
                 tokens=(), tokens_original=None),
    ParagraphRow(doc_id="c", para_index=2, section="", section_original="", kind="paragraph", depth=0,
                 text=None, text_original="", script="none", norm_hash=None,
                 tokens=["元组", 'quote"d'], tokens_original=None),  # a list is a list column's value too
]
CELL = TableCellRow(doc_id="a", table_index=0, row=0, col=0, column="", text="5", text_original="5", links=(),
                    date_start=None, date_end=None, date_precision=None, number=5, header=True,
                    from_span=False, total=False)


def test_columns_equal_from_pylist():
    schema = SCHEMAS["paragraphs"]
    columns = list(zip(*map(VALUES[ParagraphRow], map(vars, ROWS))))
    built = pa.Table.from_arrays([_array(c, f.type) for c, f in zip(columns, schema)], schema=schema)
    assert built.equals(pa.Table.from_pylist([vars(r) for r in ROWS], schema=schema))


@pytest.mark.parametrize("value", ["太平洋", 5, {"太平洋"}])
def test_a_list_column_rejects_a_scalar(value):
    with pytest.raises((TypeError, pa.ArrowInvalid, pa.ArrowTypeError)):
        _array([value], pa.list_(pa.string()))


def test_parquet_and_csv_hold_the_same_rows(tmp_path):
    out = OutputWriter(tmp_path)
    writer = PartWriter(out.tmp, 0)
    writer.add("paragraphs", ROWS)
    writer.add("table_cells", [CELL])
    writer.close()
    out.commit({})
    table = pq.read_table(tmp_path / "paragraphs.parquet")
    assert table.column("tokens").to_pylist() == [["太平洋", "联盟"], [], ["元组", 'quote"d']]
    assert table.column("tokens_original").to_pylist() == [["太平洋", "聯盟"], None, None]
    with open(tmp_path / "csv/paragraphs.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["tokens"] for r in rows] == ['["太平洋", "联盟"]', "[]", '["元组", "quote\\"d"]']
    assert [r["tokens_original"] for r in rows] == ['["太平洋", "聯盟"]', "", ""]
    assert rows[2]["text"] == "" and rows[0]["depth"] == "0"
    with open(tmp_path / "csv/table_cells.csv", encoding="utf-8-sig", newline="") as f:
        cell = next(csv.DictReader(f))
    assert cell["number"] == "5.0" and cell["header"] == "True" and cell["links"] == "[]"


def test_a_list_two_columns_share_is_written_in_both(tmp_path):
    """extract gives tokens and tokens_original one tuple when the texts agree; the CSV writes
    its JSON once and uses it for both cells (by the tuple's id: rows that only hold equal
    tuples, or other lists, get their own)."""
    from pipeline.rows import evolve

    shared = ("太平洋", "联盟")
    rows = [evolve(ROWS[0], tokens=shared, tokens_original=shared),
            evolve(ROWS[0], tokens=("a",), tokens_original=("b",)),
            evolve(ROWS[0], tokens=shared, tokens_original=("太平洋", "聯盟"))]
    out = OutputWriter(tmp_path)
    writer = PartWriter(out.tmp, 0)
    writer.add("paragraphs", rows)
    writer.close()
    out.commit({})
    with open(tmp_path / "csv/paragraphs.csv", encoding="utf-8-sig", newline="") as f:
        cells = [(r["tokens"], r["tokens_original"]) for r in csv.DictReader(f)]
    assert cells == [('["太平洋", "联盟"]', '["太平洋", "联盟"]'), ('["a"]', '["b"]'),
                     ('["太平洋", "联盟"]', '["太平洋", "聯盟"]')]


def test_wide_tables_are_csv_with_a_bom(tmp_path):
    out = OutputWriter(tmp_path)
    writer = PartWriter(out.tmp, 0)
    writer.add_wide_table("zhwiki/1", 0, ["國家", "a,b"], [["智利", '1"2'], ["", None]])
    writer.close()
    out.commit({})
    assert (tmp_path / "tables/zhwiki/1__0.csv").read_bytes() == \
        '\ufeff國家,"a,b"\r\n智利,"1""2"\r\n,\r\n'.encode("utf-8")


def test_parts_of_several_shards_are_one_table_and_one_csv_in_shard_order(tmp_path):
    out = OutputWriter(tmp_path)
    for part, rows in ((1, ROWS[1:]), (0, ROWS[:1]), (2, [])):  # finishing order does not matter
        writer = PartWriter(out.tmp, part)
        writer.add("paragraphs", rows)
        writer.close()
    out.commit({})
    folder = tmp_path / "paragraphs.parquet"
    assert sorted(p.name for p in folder.iterdir()) == ["part-00000.parquet", "part-00001.parquet"]
    assert pq.read_table(folder).column("doc_id").to_pylist() == ["a", "b", "c"]
    with open(tmp_path / "csv/paragraphs.csv", encoding="utf-8-sig", newline="") as f:
        assert [r["doc_id"] for r in csv.DictReader(f)] == ["a", "b", "c"]
    empty = pq.read_table(tmp_path / "members.parquet")  # no shard had rows: one empty part
    assert empty.num_rows == 0 and empty.schema.equals(SCHEMAS["members"], check_metadata=False)


@pytest.mark.parametrize("kernel", ["copies", "stops", "absent"])
def test_append_copies_every_byte_whatever_the_kernel_does(tmp_path, monkeypatch, kernel):
    """copy_file_range, a kernel copy that fails part way (a file system without it), or none."""
    import os

    from pipeline import write

    real = os.copy_file_range
    if kernel == "stops":
        calls = []

        def partial(src, dst, count):
            calls.append(count)
            if len(calls) > 1:
                raise OSError(18, "Invalid cross-device link")
            return real(src, dst, 5)  # five bytes, then the kernel refuses

        monkeypatch.setattr(os, "copy_file_range", partial)
    elif kernel == "absent":
        monkeypatch.delattr(os, "copy_file_range")
    data = "太平洋联盟,1\r\n".encode() * 10_000
    (tmp_path / "part").write_bytes(data)
    with open(tmp_path / "out", "wb") as out:
        out.write(b"head\n")  # buffered, not yet written: append must not overtake it
        with open(tmp_path / "part", "rb") as f:
            write.append(f, out)
        out.write(b"tail")
    assert (tmp_path / "out").read_bytes() == b"head\n" + data + b"tail"


@pytest.mark.parametrize("name, rows", [
    ("paragraphs", [vars(ROWS[0])]),  # a dict, as rows were before records
    ("duplicates", ROWS[:1]),  # a record of another table
    ("paragraphs", [ROWS[0], CELL]),
])
def test_a_table_takes_only_its_own_records(tmp_path, name, rows):
    out = OutputWriter(tmp_path)
    writer = PartWriter(out.tmp, 0)
    writer.add(name, rows)
    with pytest.raises(TypeError, match=f"{name} rows must be"):
        writer.close()
    writer.abort()
    out.abort()


# -- arrays.py: pa.array's arrays without pandas -------------------------------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

from pipeline import arrays  # noqa: E402

_TEXT = st.text(max_size=6)
_VALUES = {  # what rows hold, and what they must not (which pa.array converts or refuses)
    pa.string(): st.one_of(st.none(), _TEXT, st.integers(), st.binary(max_size=3)),
    pa.int64(): st.one_of(st.none(), st.integers(-2 ** 64, 2 ** 64), st.booleans(), st.floats(), _TEXT),
    pa.float64(): st.one_of(st.none(), st.floats(), st.integers(-2 ** 60, 2 ** 60), st.booleans()),
    pa.bool_(): st.one_of(st.none(), st.booleans(), st.integers(0, 1)),
    pa.list_(pa.string()): st.one_of(st.none(), st.lists(st.one_of(_TEXT, st.none(), st.integers()), max_size=3),
                                     st.tuples(_TEXT, _TEXT), st.lists(_TEXT, max_size=4)),
}


def _outcome(fn):
    try:
        return fn()
    except (TypeError, ValueError, OverflowError, pa.ArrowException) as e:
        return type(e).__name__


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(_VALUES, key=str)).flatmap(
    lambda t: st.tuples(st.just(t), st.lists(_VALUES[t], max_size=8))))
def test_arrays_are_what_pa_array_makes_or_refuses(case):
    type_, values = case
    ours, theirs = _outcome(lambda: arrays.array(values, type_)), _outcome(lambda: pa.array(values, type_))
    if isinstance(theirs, str):
        assert ours == theirs
    else:
        ours.validate(full=True)
        a, b = ours.to_pylist(), theirs.to_pylist()
        assert ours.type == theirs.type and len(a) == len(b), (values, ours, theirs)
        assert all(x == y or x != x and y != y for x, y in zip(a, b)), (values, a, b)  # NaN is NaN


# Long enough columns for the join-and-split path (arrays._JOIN_FROM), with its separator inside
# some values (then the builder's path), empty strings and empty lists.
_JOINABLE = st.text(alphabet=st.one_of(st.characters(), st.just(arrays.SEP)), max_size=4)


@settings(max_examples=150, deadline=None)
@given(st.one_of(
    st.tuples(st.just(pa.string()), st.lists(st.one_of(st.none(), _JOINABLE), max_size=90)),
    st.tuples(st.just(pa.list_(pa.string())), st.lists(st.one_of(
        st.none(), st.lists(_JOINABLE, max_size=5), st.lists(_JOINABLE, max_size=5).map(tuple)), max_size=40))))
def test_joined_strings_are_what_pa_array_makes(case):
    type_, values = case
    ours, theirs = arrays.array(values, type_), pa.array(values, type_)
    ours.validate(full=True)
    assert ours.equals(theirs) and ours.to_pylist() == theirs.to_pylist()


def test_a_run_never_imports_pandas_or_pkg_resources(tmp_path):
    """pa.array and Schema.empty_table import pandas to ask whether they were given a pandas
    object: 0.3 s of every run (arrays.py); jieba imports pkg_resources only to open its data
    files, which it opens by path without it (tokens.py): 0.09 s."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    code = ("import sys\nfrom pathlib import Path\nfrom pipeline.run import run\n"
            f"run([Path({str(root / 'tests/data/seeds')!r})], Path({str(tmp_path / 'o')!r}), quiet=True)\n"
            f"run([Path({str(root / 'tests/data/seeds')!r})], Path({str(tmp_path / 'o')!r}), quiet=True,"
            f" cache_dir=Path({str(tmp_path / 'c')!r}))\n"
            "import jieba\nassert jieba.dt.get_dict_file().read(4)  # its data files still open\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pandas', 'pkg_resources')))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
