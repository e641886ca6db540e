"""Write: output rows in, Parquet + CSV files out, atomically.

Rows stream in batches into Parquet row groups and, batch by batch, into `csv/<name>.csv` (UTF-8
with BOM so Excel shows Chinese; list columns as JSON arrays) under `<out>/.tmp-<pid>/`: memory
holds one batch per output, not the run, and with `--jobs` the CSV work overlaps the workers'
instead of waiting for the end. On `commit()` everything is renamed into place with the
manifest last: a killed run leaves the previous outputs or a stray `.tmp-*` folder, never a
half-written file under a final name. Zero-row outputs are written with their schema.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from json.encoder import encode_basestring
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .schemas import SCHEMAS

BATCH_ROWS = 5_000  # rows per output held before a row group is written
# Written by hand, not with the utf-8-sig codec: that codec's Python-level encoder ran for every
# row csv.writer wrote (about a tenth of a rerun's time).
BOM = "\ufeff"


class OutputWriter:
    def __init__(self, out: Path):
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        for stale in out.glob(".tmp-*"):
            if not _alive(stale.name.removeprefix(".tmp-")):  # a killed run's; not a running one's
                shutil.rmtree(stale, ignore_errors=True)
        self.tmp = out / f".tmp-{os.getpid()}"
        (self.tmp / "tables").mkdir(parents=True)
        (self.tmp / "csv").mkdir()
        self.buffers: dict[str, list[dict]] = {name: [] for name in SCHEMAS}
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.csv_files: dict[str, tuple] = {}  # name -> (open file, csv.writer)
        self.counts: dict[str, int] = {name: 0 for name in SCHEMAS}
        self.made: set[Path] = {self.tmp / "tables"}

    def add(self, name: str, rows: list[dict]) -> None:
        if not rows:
            return
        self.buffers[name].extend(rows)
        self.counts[name] += len(rows)
        if len(self.buffers[name]) >= BATCH_ROWS:
            self._flush(name)

    def add_wide_table(self, doc_id: str, index: int, columns: list[str], rows: list[list[str]]) -> None:
        path = self.tmp / "tables" / f"{doc_id}__{index}.csv"
        if path.parent not in self.made:  # one mkdir per folder, not per table
            path.parent.mkdir(parents=True, exist_ok=True)
            self.made.add(path.parent)
        text = io.StringIO()
        text.write(BOM)
        w = csv.writer(text)
        w.writerow(columns)
        w.writerows(rows)
        path.write_bytes(text.getvalue().encode("utf-8"))  # no text-file layer (codec set-up) per table

    def _flush(self, name: str) -> None:
        schema = SCHEMAS[name]
        columns = [[row.get(n) for row in self.buffers[name]] for n in schema.names]
        table = pa.Table.from_arrays([_array(c, f.type) for c, f in zip(columns, schema)], schema=schema)
        if name not in self.writers:
            self.writers[name] = pq.ParquetWriter(self.tmp / f"{name}.parquet", schema)
        self.writers[name].write_table(table)
        self.buffers[name] = []
        if name not in self.csv_files:
            f = open(self.tmp / "csv" / f"{name}.csv", "w", encoding="utf-8", newline="")
            f.write(BOM)
            self.csv_files[name] = f, csv.writer(f)  # csv.writer writes None as an empty field
            self.csv_files[name][1].writerow(schema.names)
        self.csv_files[name][1].writerows(_csv_rows(table, columns))

    def commit(self, manifest: dict) -> None:
        for name in SCHEMAS:
            if self.buffers[name] or name not in self.writers:
                self._flush(name)
            self.writers[name].close()
            self.csv_files[name][0].close()
        manifest_tmp = self.tmp / "manifest.json"
        manifest_tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        for name in SCHEMAS:
            os.replace(self.tmp / f"{name}.parquet", self.out / f"{name}.parquet")
        for folder in ("csv", "tables"):
            _replace_dir(self.tmp / folder, self.out / folder)
        os.replace(manifest_tmp, self.out / "manifest.json")
        shutil.rmtree(self.tmp, ignore_errors=True)

    def commit_parts(self, manifest: dict) -> None:
        """The sharded run's commit: the temporary folder holds every table as a folder of
        parts (parts.py), csv/ and tables/; they replace the old outputs, the manifest last."""
        for name in self.writers:  # nothing was added through this writer
            self.writers[name].close()
        manifest_tmp = self.tmp / "manifest.json"
        manifest_tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        for folder in [f"{name}.parquet" for name in SCHEMAS] + ["csv", "tables"]:
            _replace_dir(self.tmp / folder, self.out / folder)
        os.replace(manifest_tmp, self.out / "manifest.json")
        shutil.rmtree(self.tmp, ignore_errors=True)

    def abort(self) -> None:
        for w in self.writers.values():
            w.close()
        for f, _ in self.csv_files.values():
            f.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _replace_dir(new: Path, final: Path) -> None:
    old = final.with_name(f".old-{final.name}-{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    os.replace(new, final)
    if old.is_dir():
        shutil.rmtree(old, ignore_errors=True)
    else:  # an older release wrote single files: name.parquet
        old.unlink(missing_ok=True)


def _array(values: list, type_: pa.DataType) -> pa.Array:
    """A column of row values as an Arrow array, as `pa.Table.from_pylist` would make it (a wrong
    type fails, None is null), but a column at a time: from_pylist's row-by-row conversion of
    dicts was most of the writer's time on paragraphs. A list column takes lists or tuples only:
    Arrow would read a string as a list of its characters, and a set in no fixed order."""
    if pa.types.is_list(type_):
        for v in values:
            if v is not None and not isinstance(v, (list, tuple)):
                raise TypeError(f"expected a list for a {type_} column, got {type(v).__name__}")
    return pa.array(values, type_)


def _csv_rows(table: pa.Table, columns: list[list]):
    """The table's rows as CSV fields: scalars as Arrow holds them (an int in a float column is
    written 5.0), nulls as None; list columns, from the row values, as JSON arrays."""
    cols = []
    for i, field in enumerate(table.schema):
        if pa.types.is_list(field.type):
            cols.append(["" if v is None else _json_strings(v) for v in columns[i]])
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
