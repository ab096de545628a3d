"""Relapse cases (episodes) and how early a score flags them.

A case is a household's *onset* quarter ``e`` (relapse state at ``e``, not at ``e-1``), seen
from the rows ``t`` whose first relapse-state quarter within the horizon is ``e``; a case is
detected if one of those rows is flagged, and its **lead time** is ``e - t`` for the earliest
flagged row, in quarters (1 .. H).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relapse_models.core.quarters import quarter_index


def episodes(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(episode code per row or -1, quarters to onset) for rows that foresee an onset."""
    if not {"relapse_in_quarters", "at_risk"}.issubset(df.columns):
        return np.full(len(df), -1), np.full(len(df), np.nan)
    k = pd.to_numeric(df["relapse_in_quarters"], errors="coerce").to_numpy(dtype=float)
    at_risk = df["at_risk"].fillna(False).to_numpy(dtype=bool)
    # a row sees an onset if the state is False at t (at risk) or the first state quarter is
    # at least 2 ahead (so the quarter before it is not in the state)
    ok = ~np.isnan(k) & (at_risk | (k >= 2))
    q = quarter_index(df["year"], df["quarter"])
    onset = np.where(ok, q + np.nan_to_num(k), -1).astype(np.int64)
    # one integer per (household, onset) pair: factorizing it keeps the order of first
    # appearance, so the codes are those of the pairs themselves (tuples of strings are slow)
    hh = pd.factorize(df["household_id"], use_na_sentinel=False)[0].astype(np.int64)
    lo = int(onset.min()) if len(onset) else 0
    span = int(onset.max()) - lo + 1 if len(onset) else 1
    codes = np.where(ok, pd.factorize(hh * span + (onset - lo))[0], -1)
    return codes, np.where(ok, k, np.nan)


def lead_times(df: pd.DataFrame, score_col: str, threshold: float) -> pd.Series:
    """Lead time of every case (quarters from the earliest flag to the onset, as in
    :func:`threshold_table`) at ``score >= threshold``; NaN for a case never flagged. The
    distribution behind ``lead_time_median``."""
    s = df[score_col].to_numpy(dtype=float)
    ep, lead = episodes(df)
    cases = pd.Series(ep[ep >= 0]).unique()
    m = (ep >= 0) & (np.nan_to_num(s, nan=-np.inf) >= threshold)
    best = pd.Series(lead[m]).groupby(ep[m]).max()
    return best.reindex(cases).rename("lead_time").reset_index(drop=True)
