"""Panel plumbing: a household-quarter panel sorted by household and quarter, and lags,
leads and rolling sums that check the household and the quarter distance, so gaps in a
household's panel give ``NaN`` instead of silently pairing non-adjacent quarters."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relapse_models.core.quarters import period_index

KEYS: tuple[str, ...] = ("household_id", "year", "quarter")



def periods_per_year(panel: pd.DataFrame) -> int:
    """The panel's frequency: 4 (quarterly) or 1 (annual rows, in quarter 4), from its
    ``periods_per_year`` column (absent: quarterly). One frequency per panel."""
    if "periods_per_year" not in panel.columns or panel.empty:
        return 4
    values = pd.unique(panel["periods_per_year"])
    if len(values) != 1 or int(values[0]) not in (1, 4):
        raise ValueError(f"panel has periods_per_year {sorted(map(int, values))}: one "
                         "frequency per panel, 1 (annual) or 4 (quarterly)")
    return int(values[0])


def horizon_periods(horizon_quarters: int, ppy: int) -> int:
    """The label horizon (configured in quarters) in the panel's periods."""
    if (horizon_quarters * ppy) % 4 or horizon_quarters * ppy < 4:
        raise ValueError(
            f"a horizon of {horizon_quarters} quarters is not a whole number of this panel's "
            f"periods ({'years' if ppy == 1 else 'quarters'}): set "
            "monitoring.horizon_quarters to a multiple of 4 for annual data")
    return horizon_quarters * ppy // 4


def sort_panel(panel: pd.DataFrame, households: pd.DataFrame | None = None) -> pd.DataFrame:
    """Panel sorted by household and period, with ``qidx`` (the period index, see
    :func:`relapse_models.core.quarters.period_index`), ``_hh`` (int code),
    ``household_size`` (from ``households`` when given; income per person needs it) and
    ``_row`` (original position). The frequency is in ``df.attrs["periods_per_year"]``."""
    df = panel.copy()
    df["_row"] = np.arange(len(df))
    if households is not None:
        pos = pd.Index(households["household_id"]).get_indexer(df["household_id"])
        if (pos < 0).any():
            missing = df.loc[pos < 0, "household_id"].unique()[:5]
            raise ValueError(f"panel households missing from the households table: {list(missing)}")
        if "household_size" not in households.columns:
            raise ValueError(
                "households have no household_size (家庭人口数): income per person, compared "
                "with the monitoring line per person, needs it; add the column to the export")
        df["household_size"] = pd.to_numeric(households["household_size"], errors="coerce"
                                              ).to_numpy(dtype=float)[pos]
    ppy = periods_per_year(df)
    df["qidx"] = period_index(df["year"], df["quarter"], ppy)
    df = df.sort_values(["household_id", "qidx"], kind="stable").reset_index(drop=True)
    df["_hh"] = pd.factorize(df["household_id"])[0]
    if (np.diff(df["qidx"].to_numpy())[np.diff(df["_hh"].to_numpy()) == 0] <= 0).any():
        raise ValueError("panel has duplicate household-periods")
    df.attrs["periods_per_year"] = ppy
    return df


KEY_STRIDE = 1 << 20
"""Combines a household code and a quarter index into one int64 key (quarters < 2**20)."""


def household_codes(df: pd.DataFrame, ids: pd.Series | np.ndarray) -> np.ndarray:
    """Code ``_hh`` of each id in a frame from :func:`sort_panel`; -1 if not in the panel."""
    hh = df["_hh"].to_numpy()
    starts = np.flatnonzero(np.r_[True, hh[1:] != hh[:-1]]) if len(hh) else np.array([], int)
    index = pd.Index(df["household_id"].to_numpy()[starts])
    return index.get_indexer(pd.Index(np.asarray(ids)))


def shift(values: np.ndarray, hh: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    """Value of the same household ``k`` quarters earlier (``k > 0``) or later (``k < 0``).

    Arrays must be sorted by household and quarter. Where that quarter is absent (gap, start
    or end of the household's panel) the result is ``NaN``.
    """
    values = np.asarray(values, dtype=float)
    n = len(values)
    out = np.full(n, np.nan)
    if k == 0:
        return values.copy()
    # k rows back is the k-quarter lag only if same household and exactly k quarters apart;
    # with unique sorted quarters a gap makes the k-th row lie further back, never closer.
    a = abs(k)
    if a >= n:
        return out
    if k > 0:
        ok = (hh[a:] == hh[:-a]) & (q[a:] - q[:-a] == a)
        out[a:][ok] = values[:-a][ok]
    else:
        ok = (hh[:-a] == hh[a:]) & (q[a:] - q[:-a] == a)
        out[:-a][ok] = values[a:][ok]
    return out


def rolling_sum(values: np.ndarray, hh: np.ndarray, q: np.ndarray, window: int = 4) -> np.ndarray:
    """Sum over the last ``window`` quarters including the current one; ``NaN`` if any is
    missing (an incomplete window would understate annual income)."""
    total = np.asarray(values, dtype=float).copy()
    for k in range(1, window):
        total = total + shift(values, hh, q, k)
    return total
