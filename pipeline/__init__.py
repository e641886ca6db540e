"""pipeline: Chinese Wikipedia-style pages into analysis-ready Parquet and CSV."""

__version__ = "0.1.0"
