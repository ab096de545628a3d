"""Quarters: the config's text, (year, quarter) and the consecutive index agree."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relapse_models.core.quarters import parse_quarter, quarter_index, year_quarter


def test_parse_quarter():
    assert parse_quarter("2021Q3") == (2021, 3)
    assert parse_quarter("2024q1") == (2024, 1)


def test_quarter_index_is_consecutive_across_years():
    idx = quarter_index(pd.Series([2020, 2020, 2021]), np.array([3, 4, 1]))
    assert idx.dtype == np.int64
    assert np.diff(idx).tolist() == [1, 1]
    assert int(quarter_index(2021, 1)) == 2021 * 4


def test_year_quarter_inverts_quarter_index():
    years = np.repeat(np.arange(2019, 2026), 4)
    quarters = np.tile(np.arange(1, 5), 7)
    y, q = year_quarter(quarter_index(years, quarters))
    assert (y == years).all() and (q == quarters).all()
    assert year_quarter(int(quarter_index(2023, 4))) == (2023, 4)
