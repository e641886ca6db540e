"""Parts: one shard's output rows in, its part files out; then all parts assembled at commit.

A finalize task writes, under the run's temporary folder,
- `<name>.parquet/part-<shard>.parquet` for each table the shard has rows for (Parquet, row
  groups of write.BATCH_ROWS), so a table is a folder that pyarrow, pandas, polars and duckdb
  read as one table, in input order (part names sort as the shards do);
- `csv-parts/<name>/<shard>.csv`: the same rows as CSV lines without header or BOM;
- `tables/<doc_id>__<n>.csv`: wide tables, as write.py writes them.
Names depend on the shard only, so a retried task overwrites its own parts and nothing depends
on which task finished first. `assemble` (the coordinator, at commit) writes an empty part for a
table no shard had rows for, and each `csv/<name>.csv` as BOM, header, then the parts in order.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .schemas import SCHEMAS
from .write import BATCH_ROWS, BOM, OutputWriter, _array, _csv_rows


class PartWriter:
    def __init__(self, tmp: Path, part: int):
        self.tmp = tmp
        self.part = f"{part:05d}"
        self.buffers: dict[str, list[dict]] = {name: [] for name in SCHEMAS}
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.csv_files: dict[str, tuple] = {}
        self.counts: dict[str, int] = {name: 0 for name in SCHEMAS}
        self.made: set[Path] = set()

    def add(self, name: str, rows: list[dict]) -> None:
        if not rows:
            return
        self.buffers[name].extend(rows)
        self.counts[name] += len(rows)
        if len(self.buffers[name]) >= BATCH_ROWS:
            self._flush(name)

    add_wide_table = OutputWriter.add_wide_table

    def _flush(self, name: str) -> None:
        schema = SCHEMAS[name]
        columns = [[row.get(n) for row in self.buffers[name]] for n in schema.names]
        table = pa.Table.from_arrays([_array(c, f.type) for c, f in zip(columns, schema)], schema=schema)
        if name not in self.writers:
            folder = self.tmp / f"{name}.parquet"
            folder.mkdir(parents=True, exist_ok=True)
            self.writers[name] = pq.ParquetWriter(folder / f"part-{self.part}.parquet", schema)
            folder = self.tmp / "csv-parts" / name
            folder.mkdir(parents=True, exist_ok=True)
            f = open(folder / f"{self.part}.csv", "w", encoding="utf-8", newline="")
            self.csv_files[name] = f, csv.writer(f)
        self.writers[name].write_table(table)
        self.buffers[name] = []
        self.csv_files[name][1].writerows(_csv_rows(table, columns))

    def close(self) -> dict[str, int]:
        for name in SCHEMAS:
            if self.buffers[name]:
                self._flush(name)
        self.abort()
        return self.counts

    def abort(self) -> None:
        for w in self.writers.values():
            w.close()
        for f, _ in self.csv_files.values():
            f.close()


def assemble(tmp: Path) -> None:
    """Every table's folder (an empty part if it has none) and its one CSV, in part order."""
    (tmp / "csv").mkdir(exist_ok=True)
    (tmp / "tables").mkdir(exist_ok=True)
    for name, schema in SCHEMAS.items():
        folder = tmp / f"{name}.parquet"
        folder.mkdir(exist_ok=True)
        if not any(folder.glob("part-*.parquet")):
            pq.write_table(schema.empty_table(), folder / "part-00000.parquet")
        head = io.StringIO()
        head.write(BOM)
        csv.writer(head).writerow(schema.names)
        with open(tmp / "csv" / f"{name}.csv", "wb") as out:
            out.write(head.getvalue().encode("utf-8"))
            for part in sorted((tmp / "csv-parts" / name).glob("*.csv")):
                with open(part, "rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
    shutil.rmtree(tmp / "csv-parts", ignore_errors=True)
