"""Output schemas: the Arrow schema of every output table, built from its row record (rows.py),
where each column is declared once with its type and meaning. The writer builds every batch
with its schema (values of the wrong type fail) and the README's column reference is generated
from the columns' docs (`python -m pipeline schema`).

Lists are Arrow list<string>; only `doc_id` (where it names the row's document) is never null.
"""

from __future__ import annotations

from dataclasses import fields

import pyarrow as pa

from .rows import ROWS

# The Arrow type of each annotation a row's field may carry ("| None" only says the value may be
# missing); an annotation not listed here fails at import, so no column is typed by guesswork.
ARROW: dict[str, pa.DataType] = {
    "str": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "tuple[str, ...]": pa.list_(pa.string()),
}


def schema_of(row: type) -> pa.Schema:
    """A row class's Arrow schema: its fields in order, their docs as field metadata."""
    return pa.schema([
        pa.field(f.name, ARROW[f.type.removesuffix(" | None")], nullable=f.metadata["nullable"],
                 metadata={"doc": f.metadata["doc"]})
        for f in fields(row)
    ])


SCHEMAS: dict[str, pa.Schema] = {name: schema_of(row) for name, row in ROWS.items()}

OUTPUTS = tuple(SCHEMAS)


def markdown_reference() -> str:
    """The column reference the README carries between its schema markers."""
    out = []
    for name, schema in SCHEMAS.items():
        out.append(f"\n#### {name}\n\n| column | type | meaning |\n|---|---|---|\n")
        for f in schema:
            meaning = f.metadata[b'doc'].decode().replace('|', '\\|')
            out.append(f"| `{f.name}` | {f.type} | {meaning} |\n")
    return "".join(out).lstrip("\n")
