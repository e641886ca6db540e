"""pipeline: Chinese Wikipedia-style pages into analysis-ready Parquet and CSV.

In a notebook:
    >>> import pipeline
    >>> frames = pipeline.load("output")        # {"documents": DataFrame, "paragraphs": …}
    >>> frames["members"].groupby("group").size()
"""

from __future__ import annotations

__version__ = "0.1.0"


def load(out: str = "output", names: list[str] | None = None) -> dict:
    """The pipeline's outputs as pandas DataFrames, by name (documents, paragraphs, …)."""
    from pathlib import Path

    import pandas as pd

    from .schemas import OUTPUTS

    folder = Path(out)
    return {name: pd.read_parquet(folder / f"{name}.parquet") for name in (names or OUTPUTS)}
