"""Relapse label: hand-derived values on the tiny fixture (tests/conftest.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relapse_models.core.lines import MonitoringLineError, line_for_years, lines_for_province
from relapse_models.core.panel import shift, sort_panel
from relapse_models.outcome import relapse as lab

NA = None
# household -> labels for 2021Q1..2023Q4 (C has no 2022Q2 row), H = 4, lines 6000/6000/7000.
# A: rolling pc income 8000 until 2022Q2, 6000 in 2022Q3 (not below: strict <), then
#    4000, 4000, 4000, 6000 (< 7000 in 2023), 8000 -> state in 2022Q4..2023Q3.
# B: never below, identified in 2022Q2 -> state in 2022Q2 only.
# C: a missing 2022Q2 row leaves every horizon touching 2022Q2..2023Q1 unknown.
# D: 6500 per person: state in 2023 only (line 7000).
EXPECTED = {
    "A": [NA, NA, False, True, True, True, True, True, NA, NA, NA, NA],
    "B": [NA, NA, True, True, True, False, False, False, NA, NA, NA, NA],
    "C": [NA] * 11,
    "D": [NA, NA, False, False, True, True, True, True, NA, NA, NA, NA],
}
EXPECTED_IN_Q = {
    "A": [NA, NA, NA, 4, 3, 2, 1, 1, NA, NA, NA, NA],
    "B": [NA, NA, 3, 2, 1, NA, NA, NA, NA, NA, NA, NA],
    "D": [NA, NA, NA, NA, 4, 3, 2, 1, NA, NA, NA, NA],
}


def _labels(tables, lines, horizon=4):
    out = lab.relapse_label(tables["households"], tables["panel"], tables["events"], lines, horizon)
    return pd.concat([tables["panel"][["household_id", "year", "quarter"]], out], axis=1)


def test_label_by_hand(tiny_tables, tiny_lines):
    got = _labels(tiny_tables, tiny_lines)
    for hid, expected in EXPECTED.items():
        values = got.loc[got["household_id"] == hid, "relapse"].tolist()
        assert [None if pd.isna(v) else bool(v) for v in values] == expected, hid
    for hid, expected in EXPECTED_IN_Q.items():
        values = got.loc[got["household_id"] == hid, "relapse_in_quarters"].tolist()
        assert [None if pd.isna(v) else int(v) for v in values] == expected, hid
    assert str(got["relapse"].dtype) == "boolean"


def test_rolling_income_and_state_by_hand(tiny_tables, tiny_lines):
    got = _labels(tiny_tables, tiny_lines)
    a = got[got["household_id"] == "A"]
    np.testing.assert_allclose(
        a["income_pc_4q"].to_numpy()[3:],
        [8000, 8000, 8000, 6000, 4000, 4000, 4000, 6000, 8000],
    )
    assert a["income_pc_4q"].iloc[:3].isna().all()
    assert a["relapse_event"].tolist()[3:] == [False] * 4 + [True] * 4 + [False]
    np.testing.assert_allclose(a["line"], [6000] * 8 + [7000] * 4)


def test_label_missing_at_horizon_end_not_negative(tiny_tables, tiny_lines):
    got = _labels(tiny_tables, tiny_lines)
    last_year = got[got["year"] == 2023]
    assert last_year["relapse"].isna().all()  # horizon runs into 2024: missing, not False


def test_horizon_one(tiny_tables, tiny_lines):
    got = _labels(tiny_tables, tiny_lines, horizon=1)
    a = got[got["household_id"] == "A"].set_index(["year", "quarter"])["relapse"]
    assert bool(a[(2022, 3)]) is True  # state in 2022Q4
    assert bool(a[(2023, 3)]) is False  # 2023Q4 back above the line
    assert pd.isna(a[(2023, 4)])  # last quarter: horizon past the data end
    assert pd.isna(a[(2021, 2)])  # 2021Q3 income window incomplete


def test_row_order_and_index_preserved(tiny_tables, tiny_lines):
    panel = tiny_tables["panel"].sample(frac=1.0, random_state=3)
    panel.index = panel.index + 100
    shuffled = dict(tiny_tables, panel=panel)
    got = lab.relapse_label(shuffled["households"], panel, shuffled["events"], tiny_lines)
    assert got.index.equals(panel.index)
    ref = _labels(tiny_tables, tiny_lines).set_index(["household_id", "year", "quarter"])
    mine = pd.concat([panel[["household_id", "year", "quarter"]], got], axis=1).set_index(
        ["household_id", "year", "quarter"]
    )
    pd.testing.assert_series_equal(mine["relapse"].sort_index(), ref["relapse"].sort_index())


def test_lines_for_province_uses_its_entry_or_a_named_default():
    monitoring = {
        "line_by_province_year": {
            "national_assumed": {2021: 6000, 2022: 6600},
            "yunnan": {"2022": 7000, "2024": 8700},
        }
    }
    assert lines_for_province(monitoring, "yunnan") == {2022: 7000, 2024: 8700}
    with pytest.raises(MonitoringLineError, match="'shaanxi'"):
        lines_for_province(monitoring, "shaanxi")
    opted = {**monitoring, "default_line": "national_assumed"}
    assert lines_for_province(opted, "shaanxi") == {2021: 6000, 2022: 6600}
    np.testing.assert_allclose(
        line_for_years([2022, 2021, 2022], {2021: 1, 2022: 2}), [2, 1, 2]
    )
    np.testing.assert_allclose(line_for_years(np.array([2021]), lambda y: y - 2000.0), [21.0])
    with pytest.raises(KeyError, match="2023"):
        line_for_years([2023], {2021: 1.0})


def test_shift_respects_gaps_and_households():
    hh = np.array([0, 0, 0, 1, 1])
    q = np.array([10, 11, 13, 11, 12])
    v = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_array_equal(shift(v, hh, q, 1), [np.nan, 1.0, np.nan, np.nan, 4.0])
    np.testing.assert_array_equal(shift(v, hh, q, -1), [2.0, np.nan, np.nan, 5.0, np.nan])
    np.testing.assert_array_equal(shift(v, hh, q, 2), [np.nan, np.nan, np.nan, np.nan, np.nan])


def test_duplicate_household_quarter_rejected(tiny_tables):
    panel = pd.concat([tiny_tables["panel"], tiny_tables["panel"].iloc[[0]]])
    with pytest.raises(ValueError, match="duplicate"):
        sort_panel(panel, tiny_tables["households"])


@pytest.mark.parametrize("y", [
    np.array([True, False, True]),
    pd.Series([1, 0, 1], dtype="int64"),
    np.array([1.0, np.nan, 0.0]),
    pd.array([True, None, False], dtype="boolean"),
    pd.Series([1, None, 0], dtype="Int64"),
    [1, 0, None],
    np.array([True, None, False], dtype=object),
])
def test_as_float_label_is_pandas_float64_with_nan(y):
    """Every label form gives what pandas' nullable Float64 gives (NA -> NaN), whether it
    takes the direct cast (numpy bool/int/float) or the detour."""
    want = pd.Series(np.asarray(y, dtype=object)).astype("Float64").to_numpy(
        dtype=float, na_value=np.nan
    )
    got = lab.as_float_label(y)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, want)


def test_relapse_state_below_line_or_identified():
    """Below the line or identified: 1; above: 0; unknown income and not identified: NaN
    (identification decides even without income)."""
    inc = np.array([5000.0, 7000.0, np.nan, np.nan, 9000.0, 6000.0])
    line = np.array([6000.0, 6000.0, 6000.0, 6000.0, 6000.0, 6000.0])
    ident = np.array([False, False, False, True, True, False])
    got = lab.relapse_state(inc, line, ident)
    np.testing.assert_array_equal(got, [1.0, 0.0, np.nan, 1.0, 1.0, 0.0])
