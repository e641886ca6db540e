"""Write: output rows (the records of rows.py) in, Parquet + CSV files out, atomically.

`PartWriter` (one per shard, on any worker) streams a shard's rows in batches into
`<tmp>/<name>.parquet/part-<shard>.parquet` (row groups of BATCH_ROWS) and the same rows into
`<tmp>/csv-parts/<name>/<shard>.csv` (no header); wide tables into `<tmp>/tables/`. Memory holds
one batch per output. Part names depend on the shard only, so a retried task overwrites its own
parts, and they sort in input order: pyarrow, pandas, polars and duckdb read a folder as one
table. `assemble` (at commit) gives a table no shard had rows for one empty part with its
schema, and writes each `csv/<name>.csv` (UTF-8 with BOM so Excel shows Chinese; list columns
as JSON arrays) as BOM, header, then the parts in order.

`OutputWriter` owns the output folder: it holds its lock, replaces only what an earlier run
wrote (see outdir.py), and on `commit()` renames everything into place with the manifest last
(which lists the files it wrote): a killed run leaves the previous outputs or a stray `.tmp-*`
folder (removed by the next run), never a half-written file under a final name.

CSV cells that Excel or LibreOffice would run as a formula (text starting with `=`, `+`, `-`,
`@`, a tab or a carriage return) get a leading `'`, as OWASP advises against CSV injection;
numbers such as `-3.5` and dash placeholders (`-`, `--`) are left alone. Parquet keeps the text
as it is.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shutil
from itertools import islice
from json.encoder import encode_basestring
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import arrays
from .outdir import Lock, check_ownership, inside, wide_csv_path
from .rows import ROWS, VALUES
from .schemas import SCHEMAS

# A run's temporary names in the output folder, `.tmp-<pid>` and `.old-<output>-<pid>`
# (_replace_dir): only these are a killed run's, never a folder of the user's named alike.
_TEMPORARY = re.compile(r"\.tmp-\d+|\.old-.+-\d+")
# `--raw -`: standard input is copied into `<out>/.stdin-<pid>-<random>/` (cli.py).
STDIN_SPOOL = ".stdin-"
BATCH_ROWS = 5_000  # rows per output held before a row group is written
# Written by hand, not with the utf-8-sig codec: that codec's Python-level encoder ran for every
# row csv.writer wrote (about a tenth of a rerun's time).
BOM = "\ufeff"
# What a spreadsheet reads as the start of a formula (OWASP "CSV Injection"), and what it reads as
# a number or a plain dash, which stay as they are.
_FORMULA_START = r"^[=+\-@\t\r]"
_HARMLESS = re.compile(r"[+-]?(\d[\d,]*\.?\d*|\.\d+)([eE][+-]?\d+)?%?|-+")


class OutputWriter:
    def __init__(self, out: Path):
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        self.lock = Lock(out)
        try:
            check_ownership(out, self.outputs())
            # We hold the lock, so every .tmp-<pid>/.old-*-<pid> is a killed run's (SIGKILL, a power
            # cut); so is a copy of standard input whose process is gone (a live one's run is this
            # one, or one still copying its input, which asks for the lock afterwards).
            for stale in [*(p for p in out.iterdir() if _TEMPORARY.fullmatch(p.name)),
                          *filter(_dead_spool, out.glob(f"{STDIN_SPOOL}*"))]:
                shutil.rmtree(stale, ignore_errors=True)
            self.tmp = out / f".tmp-{os.getpid()}"
            (self.tmp / "tables").mkdir(parents=True)
            (self.tmp / "csv").mkdir()
        except BaseException:
            self.lock.release()
            raise

    @staticmethod
    def outputs() -> list[str]:
        """The top-level files and table folders a run writes (besides csv/ and tables/)."""
        return [f"{name}.parquet" for name in SCHEMAS] + ["manifest.json"]

    def commit(self, manifest: dict, finishing=contextlib.nullcontext) -> None:
        """The parts in the temporary folder (PartWriter) become the outputs, the manifest last.
        `finishing`: the context the renames and what follows run in (run.py's: a stop no longer
        interrupts them)."""
        assemble(self.tmp)
        manifest = {**manifest, "files": sorted(
            self.outputs() + [f"csv/{name}.csv" for name in SCHEMAS])}
        manifest_tmp = self.tmp / "manifest.json"
        manifest_tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        with finishing():
            for folder in [f"{name}.parquet" for name in SCHEMAS] + ["csv", "tables"]:
                _replace_dir(self.tmp / folder, self.out / folder)
            os.replace(manifest_tmp, self.out / "manifest.json")
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.lock.release()

    def abort(self) -> None:
        """Drop this run's temporary files (on any failure, a full disk included) and unlock."""
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.lock.release()


def _dead_spool(path: Path) -> bool:
    """Whether a copy of standard input (cli.py names it by its process) outlived its process."""
    pid = path.name.removeprefix(STDIN_SPOOL).split("-", 1)[0]
    if not pid.isdigit():  # an older release's, named by no process
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        pass
    return False


class PartWriter:
    """One shard's rows -> its part files under the run's temporary folder (module docstring)."""

    def __init__(self, tmp: Path, part: int):
        self.tmp = tmp
        self.part = f"{part:05d}"
        self.buffers: dict[str, list] = {name: [] for name in SCHEMAS}  # rows.ROWS[name] records
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.csv_files: dict[str, tuple] = {}  # name -> (open file, csv.writer)
        self.counts: dict[str, int] = {name: 0 for name in SCHEMAS}
        self.made: set[Path] = set()
        self.wide: list[str] = []  # wide tables written, relative to `tmp`
        self.encoded: dict[str, list[pa.RecordBatch]] = {}  # add_encoded's batches not yet written
        self.pending: dict[str, int] = {}  # and their rows

    def add(self, name: str, rows: list) -> None:
        """Rows of table `name`: records of its class in rows.ROWS (anything else fails at the flush)."""
        if not rows:
            return
        self.buffers[name].extend(rows)
        self.counts[name] += len(rows)
        if len(self.buffers[name]) >= BATCH_ROWS:
            self._flush(name)

    def add_wide_table(self, doc_id: str, index: int, columns: list[str], rows: list[list[str]]) -> None:
        self.add_wide_bytes(*wide_table(doc_id, index, columns, rows))

    def add_wide_bytes(self, rel: str, data: bytes) -> None:
        """A wide table's CSV file (`wide_table`) at `rel`, under tables/."""
        path = self.tmp / rel
        if path.parent not in self.made:  # one mkdir (and one check) per folder, not per table
            if not inside(self.tmp / "tables", path.parent):  # never, by construction: a guard
                raise ValueError(f"table path outside the output folder: {path}")
            path.parent.mkdir(parents=True, exist_ok=True)
            self.made.add(path.parent)
        path.write_bytes(data)
        self.wide.append(rel)

    def add_encoded(self, name: str, encoded: tuple[int, bytes, bytes]) -> None:
        """Rows of table `name` as `encode` made them (a page's rows kept in the cache,
        fragments.py): their Arrow batch joins the next row group, their CSV text is copied.
        A table takes either records (`add`) or encoded rows from one writer, not both, so its
        rows stay in the order they came."""
        n, batch, text = encoded
        if not n:
            return
        if self.buffers[name]:
            raise ValueError(f"{name}: encoded rows after records in the same part")
        self.encoded.setdefault(name, []).append(pa.ipc.read_record_batch(pa.py_buffer(batch), SCHEMAS[name]))
        self.counts[name] += n
        self._open(name)[0].buffer.write(text)  # never mixed with text writes: see above
        self.pending[name] = self.pending.get(name, 0) + n
        if self.pending[name] >= BATCH_ROWS:  # row groups as `add` cuts them: at the same rows
            self._flush_encoded(name)

    def _flush_encoded(self, name: str) -> None:
        self.writers[name].write_table(pa.Table.from_batches(self.encoded.pop(name), SCHEMAS[name]))
        self.pending[name] = 0

    def _open(self, name: str) -> tuple:
        """The table's Parquet part and CSV part, opened on its first rows."""
        if name not in self.writers:
            folder = self.tmp / f"{name}.parquet"
            folder.mkdir(parents=True, exist_ok=True)
            self.writers[name] = pq.ParquetWriter(folder / f"part-{self.part}.parquet", SCHEMAS[name])
            folder = self.tmp / "csv-parts" / name
            folder.mkdir(parents=True, exist_ok=True)
            f = open(folder / f"{self.part}.csv", "w", encoding="utf-8", newline="")
            self.csv_files[name] = f, csv.writer(f)  # csv.writer writes None as an empty field
        return self.csv_files[name]

    def _flush(self, name: str) -> None:
        if name in self.encoded:
            raise ValueError(f"{name}: records after encoded rows in the same part")
        table, fields = _table(name, self.buffers[name])
        self._open(name)
        self.writers[name].write_table(table)
        self.buffers[name] = []
        self.csv_files[name][1].writerows(fields)

    def close(self) -> dict[str, int]:
        for name in SCHEMAS:
            if self.buffers[name]:
                self._flush(name)
            if name in self.encoded:
                self._flush_encoded(name)
        for closable in [*self.writers.values(), *(f for f, _ in self.csv_files.values())]:
            closable.close()
        return self.counts

    def files(self) -> list[str]:
        """Every file this writer made, relative to `tmp` (parts first, then wide tables)."""
        return ([f"{name}.parquet/part-{self.part}.parquet" for name in self.writers]
                + [f"csv-parts/{name}/{self.part}.csv" for name in self.csv_files] + self.wide)

    def abort(self) -> None:
        for closable in [*self.writers.values(), *(f for f, _ in self.csv_files.values())]:
            try:
                closable.close()
            except Exception:  # a full disk fails the close too; the files go with the folder
                pass


def encode(name: str, groups: list[list]) -> list[tuple[int, bytes, bytes]]:
    """Groups of rows of table `name` (a page's each) as PartWriter.add_encoded takes them:
    (rows, their Arrow record batch serialised, their CSV text without a header) per group. The
    same cells as `add` writes. Converted together, then cut: converting each page's few rows on
    its own cost about twice as much (a call per column per table per page)."""
    rows = [row for group in groups for row in group]
    if not rows:
        return [(0, b"", b"")] * len(groups)
    table, fields = _table(name, rows)
    batch = table.combine_chunks().to_batches()[0]
    out, start = [], 0
    for group in groups:
        n = len(group)
        if not n:
            out.append((0, b"", b""))
            continue
        text = io.StringIO()
        csv.writer(text).writerows(islice(fields, n))
        # A slice serialises only its own rows' bytes.
        out.append((n, batch.slice(start, n).serialize().to_pybytes(), text.getvalue().encode("utf-8")))
        start += n
    return out


def wide_table(doc_id: str, index: int, columns: list[str], rows: list[list[str]]) -> tuple[str, bytes]:
    """A wide table's path under the output folder and its CSV file's bytes."""
    text = io.StringIO()
    text.write(BOM)
    w = csv.writer(text)
    w.writerow([defuse(c) for c in columns])
    w.writerows([[defuse(c) for c in row] for row in rows])
    return wide_csv_path(doc_id, index), text.getvalue().encode("utf-8")  # no text-file layer per table


def _table(name: str, rows: list) -> tuple[pa.Table, object]:
    """Records of table `name` as an Arrow table and as CSV fields (an iterator of rows)."""
    wrong = set(map(type, rows)) - {ROWS[name]}
    if wrong:
        raise TypeError(f"{name} rows must be {ROWS[name].__name__} records, got "
                        + ", ".join(sorted(t.__name__ for t in wrong)))
    schema = SCHEMAS[name]
    columns = list(zip(*map(VALUES[ROWS[name]], map(vars, rows))))  # each row's values, transposed
    table = pa.Table.from_arrays([_array(c, f.type) for c, f in zip(columns, schema)], schema=schema)
    return table, _csv_rows(table, columns)


def assemble(tmp: Path) -> None:
    """Every table's folder (an empty part if it has none) and its one CSV, in part order."""
    for name, schema in SCHEMAS.items():
        folder = tmp / f"{name}.parquet"
        folder.mkdir(exist_ok=True)
        if not any(folder.glob("part-*.parquet")):
            # Not pq.write_table(schema.empty_table()): empty_table imports pandas (arrays.py).
            with pq.ParquetWriter(folder / "part-00000.parquet", schema) as empty:
                empty.write_table(pa.Table.from_arrays([arrays.array([], f.type) for f in schema], schema=schema))
        head = io.StringIO()
        head.write(BOM)
        csv.writer(head).writerow(schema.names)
        with open(tmp / "csv" / f"{name}.csv", "wb") as out:
            out.write(head.getvalue().encode("utf-8"))
            for part in sorted((tmp / "csv-parts" / name).glob("*.csv")):
                with open(part, "rb") as f:
                    append(f, out)
    shutil.rmtree(tmp / "csv-parts", ignore_errors=True)


def append(src, out) -> None:
    """File `src` (opened, nothing read) written after what `out` holds, in the kernel where it
    can (copy_file_range: the coordinator copies every CSV byte of a run, gigabytes on a whole
    dump, without passing them through Python), else in chunks, from wherever that stopped.
    Both are plain files: the kernel copy works on their descriptors' positions."""
    copy = getattr(os, "copy_file_range", None)
    if copy is not None:
        out.flush()
        try:
            while copy(src.fileno(), out.fileno(), 1 << 30):
                pass
            return
        except OSError:  # a file system or kernel without it (EXDEV, ENOSYS, EINVAL)
            pass
    shutil.copyfileobj(src, out, 1 << 20)


def defuse(value):
    """A CSV cell that a spreadsheet would not run as a formula (see the module docstring)."""
    if isinstance(value, str) and value and value[0] in "=+-@\t\r" and not _HARMLESS.fullmatch(value):
        return "'" + value
    return value


def _replace_dir(new: Path, final: Path) -> None:
    old = final.with_name(f".old-{final.name}-{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    os.replace(new, final)
    if old.is_dir():
        shutil.rmtree(old, ignore_errors=True)
    else:  # an older release wrote single files: name.parquet
        old.unlink(missing_ok=True)


def _array(values: tuple | list, type_: pa.DataType) -> pa.Array:
    """A column of row values as an Arrow array, as `pa.Table.from_pylist` would make it (a wrong
    type fails, None is null), but a column at a time: from_pylist's row-by-row conversion of
    dicts was most of the writer's time on paragraphs. A list column takes lists or tuples only:
    Arrow would read a string as a list of its characters, and a set in no fixed order."""
    if pa.types.is_list(type_):
        for v in values:
            if v is not None and not isinstance(v, (list, tuple)):
                raise TypeError(f"expected a list for a {type_} column, got {type(v).__name__}")
    return arrays.array(values, type_)  # pa.array's arrays, without importing pandas


def _csv_rows(table: pa.Table, columns: list[tuple]):
    """The table's rows as CSV fields: scalars as Arrow holds them (an int in a float column is
    written 5.0), nulls as None; list columns, from the row values, as JSON arrays. Strings are
    the row values themselves (what Arrow holds, without reading each back: 0.17 s a cold run)."""
    cols = []
    # A list held by two columns of a row (tokens and tokens_original, when the paragraph's two
    # texts agree: extract.py) is written as JSON once: by its id, which is stable while the
    # rows are alive (this call).
    written: dict[int, str] = {}
    for i, field in enumerate(table.schema):
        if pa.types.is_list(field.type):
            cols.append(["" if v is None else written.get(id(v)) or written.setdefault(id(v), _json_strings(v))
                         for v in columns[i]])
        elif pa.types.is_string(field.type):
            values = columns[i]
            if pc.any(pc.match_substring_regex(table.column(i), _FORMULA_START)).as_py():
                values = [defuse(v) for v in values]
            cols.append(values)
        else:
            cols.append(table.column(i).to_pylist())
    return zip(*cols)


def _json_strings(values: list[str]) -> str:
    """json.dumps(values, ensure_ascii=False) for a list of strings, without building an encoder
    per call (list columns were most of the CSV conversion's time)."""
    try:
        return "[" + ", ".join(map(encode_basestring, values)) + "]"
    except TypeError:  # a null element
        return json.dumps(values, ensure_ascii=False)
