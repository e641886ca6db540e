"""pipeline: Chinese Wikipedia-style pages into analysis-ready Parquet and CSV.

In a notebook:
    >>> import pipeline
    >>> frames = pipeline.load("output")        # {"documents": DataFrame, "paragraphs": …}
    >>> frames["members"].groupby("group").size()
"""

from __future__ import annotations

__version__ = "0.1.0"


def load(out: str = "output", names: list[str] | None = None) -> dict:
    """The pipeline's outputs as pandas DataFrames, by name (documents, paragraphs, …).

    Integer columns are pandas' nullable Int64, so ids stay integers where some are missing
    (`page_id` of loose files): pandas' default would make such a column float64 (1234.0, NaN)."""
    from pathlib import Path

    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .schemas import OUTPUTS

    folder = Path(out)
    integers = {pa.int64(): pd.Int64Dtype()}.get
    return {name: pq.read_table(folder / f"{name}.parquet").to_pandas(types_mapper=integers)
            for name in (names or OUTPUTS)}
