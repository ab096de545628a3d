"""Calendar quarters: ``"2021Q3"`` in config, (year, quarter) in tables, and one consecutive
integer per quarter for arithmetic. One definition for every module."""

from __future__ import annotations

import numpy as np
import pandas as pd


def parse_quarter(text: str) -> tuple[int, int]:
    """``"2021Q3"`` -> ``(2021, 3)``."""
    year, quarter = str(text).upper().split("Q")
    return int(year), int(quarter)


def quarter_index(year: np.ndarray | pd.Series, quarter: np.ndarray | pd.Series) -> np.ndarray:
    """Consecutive integer per calendar quarter (``year * 4 + quarter - 1``)."""
    return np.asarray(year, dtype=np.int64) * 4 + np.asarray(quarter, dtype=np.int64) - 1


def year_quarter(index: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """The inverse of :func:`quarter_index`: (year, quarter 1-4)."""
    return index // 4, index % 4 + 1


def period_index(year: np.ndarray | pd.Series, quarter: np.ndarray | pd.Series,
                 ppy: int = 4) -> np.ndarray:
    """Consecutive integer per period: the quarter index for quarterly panels, the year
    for annual ones (``ppy`` = 1, whose rows sit in quarter 4)."""
    if ppy == 1:
        return np.asarray(year, dtype=np.int64)
    return quarter_index(year, quarter)
