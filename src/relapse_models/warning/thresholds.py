"""Early-warning thresholds: what a score flags, what it catches, how early, and at what load.

Counties choose which score and threshold trigger a visit and how often each tier is visited.
This module evaluates any score column (official rule, model probability) on a feature frame
from :func:`relapse_models.outcome.features.build_features`, scored and restricted to the rows to
evaluate (e.g. the out-of-time test year).

Definitions (flag = ``score >= threshold``; rows with a missing label or score are dropped):

- row level (household-quarters, the unit models are scored on): ``tp, fp, fn``, ``recall``,
  ``precision``, ``f_beta``, ``flagged_share`` = flagged rows / rows;
- cases (relapse episodes): a case is a household's *onset* quarter ``e`` (relapse state at
  ``e``, not at ``e-1``), seen from the rows ``t`` whose first relapse-state quarter within the
  horizon is ``e``; a case is detected if one of those rows is flagged, and its **lead time**
  is ``e - t`` for the earliest flagged row, in quarters (1 .. H);
- ``false_alarms_per_case`` = flagged rows without relapse / detected cases: wasted visits per
  relapse caught.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from relapse_models.outcome.relapse import as_float_label
from relapse_models.warning.lead_times import episodes

TABLE_COLUMNS: list[str] = [
    "county_id",
    "score",
    "threshold",
    "n",
    "n_pos",
    "flagged_n",
    "flagged_share",
    "tp",
    "fp",
    "fn",
    "recall",
    "precision",
    "f_beta",
    "cases_n",
    "cases_detected",
    "case_recall",
    "lead_time_median",
    "lead_time_mean",
    "false_alarms_per_case",
    "visits_per_worker_month",
]


def _f_beta(recall: np.ndarray, precision: np.ndarray, beta: float) -> np.ndarray:
    b2 = beta * beta
    den = b2 * precision + recall
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, (1 + b2) * precision * recall / den, 0.0)


def _table_one(
    y: np.ndarray,
    s: np.ndarray,
    ep: np.ndarray,
    lead: np.ndarray,
    thr: np.ndarray,
    beta: float,
) -> dict[str, np.ndarray]:
    n, n_pos = len(y), int(y.sum())
    order = np.sort(s)
    flagged = n - np.searchsorted(order, thr, side="left")  # count of s >= thr
    pos_scores = np.sort(s[y == 1])
    tp = n_pos - np.searchsorted(pos_scores, thr, side="left")
    fp = flagged - tp
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = tp / n_pos if n_pos else np.full(len(thr), np.nan)
        precision = np.where(flagged > 0, tp / np.maximum(flagged, 1), np.nan)
    in_ep = ep >= 0
    codes, ep_lead, ep_s = ep[in_ep], lead[in_ep], s[in_ep]
    n_cases = len(np.unique(codes))
    det = np.zeros(len(thr))
    med = np.full(len(thr), np.nan)
    mean = np.full(len(thr), np.nan)
    for i, t in enumerate(thr):  # loop over thresholds, vectorised over rows
        m = ep_s >= t
        if not m.any():
            continue
        best = pd.Series(ep_lead[m]).groupby(codes[m]).max().to_numpy()
        det[i] = len(best)
        med[i] = float(np.median(best))
        mean[i] = float(best.mean())
    with np.errstate(divide="ignore", invalid="ignore"):
        fapc = np.where(det > 0, fp / np.maximum(det, 1), np.nan)
        case_recall = det / n_cases if n_cases else np.full(len(thr), np.nan)
    return {
        "n": np.full(len(thr), n),
        "n_pos": np.full(len(thr), n_pos),
        "flagged_n": flagged,
        "flagged_share": flagged / n if n else np.full(len(thr), np.nan),
        "tp": tp,
        "fp": fp,
        "fn": n_pos - tp,
        "recall": recall,
        "precision": precision,
        "f_beta": _f_beta(np.nan_to_num(recall), np.nan_to_num(precision), beta),
        "cases_n": np.full(len(thr), n_cases),
        "cases_detected": det,
        "case_recall": case_recall,
        "lead_time_median": med,
        "lead_time_mean": mean,
        "false_alarms_per_case": fapc,
    }


def default_thresholds(score: np.ndarray, n: int = 101) -> np.ndarray:
    """Distinct score values at ``n`` quantiles (every value for coarse scores)."""
    s = np.asarray(score, dtype=float)
    s = s[~np.isnan(s)]
    uniq = np.unique(s)
    if len(uniq) <= n:
        return uniq
    return np.unique(np.quantile(s, np.linspace(0, 1, n)))


def threshold_table(
    df: pd.DataFrame,
    score_col: str,
    thresholds: Sequence[float] | np.ndarray | None = None,
    label_col: str = "relapse",
    by: str | None = "county_id",
    pooled: bool = True,
    beta: float = 1.0,
    capacity_config: Mapping | None = None,
    visits_per_flag_per_month: float = 1.0,
    score_name: str | None = None,
) -> pd.DataFrame:
    """One row per (county, threshold) and, with ``pooled``, per threshold for all counties
    (``county_id == "all"``); columns :data:`TABLE_COLUMNS` (definitions in the module doc).

    ``df`` needs ``household_id, year, quarter``, ``score_col`` and ``label_col``; lead times
    and cases also need ``at_risk`` and ``relapse_in_quarters`` (from ``build_features``),
    otherwise they are NaN. ``visits_per_worker_month`` needs ``capacity_config``.
    """
    y_raw = as_float_label(df[label_col])
    s_all = df[score_col].to_numpy(dtype=float)
    keep = ~np.isnan(y_raw) & ~np.isnan(s_all)
    # only the columns read below: copying the whole frame per score is slow at scale
    read = ["household_id", "year", "quarter", "relapse_in_quarters", "at_risk", by]
    d = df.loc[keep, [c for c in dict.fromkeys(read) if c is not None and c in df.columns]]
    y, s = y_raw[keep], s_all[keep]
    thr = default_thresholds(s) if thresholds is None else np.asarray(thresholds, dtype=float)
    ep, lead = episodes(d)
    groups: list[tuple[str, np.ndarray]] = []
    if by is not None:
        gv = d[by].astype(str).to_numpy()
        groups += [(str(g), gv == g) for g in pd.unique(gv)]
    if pooled or by is None:
        groups.append(("all", np.ones(len(d), dtype=bool)))
    parts = []
    for name, m in groups:
        cols = _table_one(y[m], s[m], ep[m], lead[m], thr, beta)
        part = pd.DataFrame(
            {"county_id": name, "score": score_name or score_col, "threshold": thr, **cols}
        )
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    if capacity_config is not None:
        per_1000 = float(capacity_config["grid_workers_per_1000_households"])
        out["visits_per_worker_month"] = (
            out["flagged_share"] * visits_per_flag_per_month * 1000.0 / per_1000
        )
    else:
        out["visits_per_worker_month"] = np.nan
    out.attrs["beta"] = beta
    return out[TABLE_COLUMNS]


def best_threshold_within_capacity(
    table: pd.DataFrame, capacity_share: float | Mapping[str, float]
) -> pd.DataFrame:
    """Per (county, score): the threshold with the highest recall among those whose flagged
    share fits ``capacity_share`` (ties: higher precision, then higher threshold).

    Returns one row per (county_id, score) with the table's columns plus ``capacity_share`` and
    ``fits_capacity``; when no threshold fits, the one flagging the fewest rows, with
    ``fits_capacity = False``. For one county and score use ``.iloc[0]`` (or ``.to_dict``).
    ``capacity_share`` may be a mapping county_id -> share (``"all"`` for the pooled rows).
    """
    rows = []
    for (county, score), g in table.groupby(["county_id", "score"], sort=False):
        cap = capacity_share[county] if isinstance(capacity_share, Mapping) else capacity_share
        fits = g["flagged_share"] <= cap + 1e-12
        if fits.any():
            c = g[fits].sort_values(
                ["recall", "precision", "threshold"], ascending=False, na_position="last"
            )
            row = c.iloc[0].copy()
        else:
            row = g.sort_values(["flagged_share", "threshold"], ascending=[True, False]).iloc[0]
            row = row.copy()
        row["capacity_share"] = float(cap)
        row["fits_capacity"] = bool(fits.any())
        row["county_id"], row["score"] = county, score
        rows.append(row)
    return pd.DataFrame(rows).reset_index(drop=True)
