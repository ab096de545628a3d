"""Early-warning thresholds: what a score flags, what it catches, how early, and at what load.

Counties choose which score and threshold trigger a visit and how often each tier is visited.
This module evaluates any score column (official rule, model probability) on a feature frame
from :func:`relapse_models.features.build_features`, scored and restricted to the rows to
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

Capacity model (:func:`capacity_share`): grid workers per 1000 households times visits per
worker per month gives monthly visits; a flagged household takes ``visits_per_flag_per_month``
visits (1 by default: monthly), so the share of households that can be flagged is
``workers_per_1000 * visits_per_worker / 1000 / visits_per_flag``, capped at 1. The default
config (4 workers, 30 visits each) gives 0.12. Routine visits to all households are outside
this budget: capacity here is what is left for risk-driven visits.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from relapse_models.labels import as_float_label

log = logging.getLogger(__name__)

TIER_VISITS_PER_MONTH: dict[str, float] = {"red": 2.0, "yellow": 1.0, "blue": 1.0 / 3.0}
"""Visits per household per month by tier: red every half month, yellow monthly, blue
quarterly (the XX县 practice, DOMAIN.md section 4)."""

TIER_ORDER: tuple[str, ...] = ("red", "yellow", "blue", "none")

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


# --- capacity -------------------------------------------------------------------------------


def monthly_visit_capacity(n_households: float, capacity_config: Mapping) -> float:
    """Risk-driven visits per month the county's grid workers can make."""
    workers = n_households / 1000.0 * float(capacity_config["grid_workers_per_1000_households"])
    return workers * float(capacity_config["visits_per_worker_per_month"])


def capacity_share(
    n_households: float, capacity_config: Mapping, visits_per_flag_per_month: float = 1.0
) -> float:
    """Share of households that can be flagged (each visited ``visits_per_flag_per_month``
    times a month) within the monthly visit capacity; at most 1."""
    if n_households <= 0:
        raise ValueError("n_households must be positive")
    visits = monthly_visit_capacity(n_households, capacity_config)
    return float(min(1.0, visits / (n_households * visits_per_flag_per_month)))


# --- the threshold table --------------------------------------------------------------------


def _f_beta(recall: np.ndarray, precision: np.ndarray, beta: float) -> np.ndarray:
    b2 = beta * beta
    den = b2 * precision + recall
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, (1 + b2) * precision * recall / den, 0.0)


def _episodes(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(episode code per row or -1, quarters to onset) for rows that foresee an onset."""
    if not {"relapse_in_quarters", "at_risk"}.issubset(df.columns):
        return np.full(len(df), -1), np.full(len(df), np.nan)
    k = pd.to_numeric(df["relapse_in_quarters"], errors="coerce").to_numpy(dtype=float)
    at_risk = df["at_risk"].fillna(False).to_numpy(dtype=bool)
    # a row sees an onset if the state is False at t (at risk) or the first state quarter is
    # at least 2 ahead (so the quarter before it is not in the state)
    ok = ~np.isnan(k) & (at_risk | (k >= 2))
    q = df["year"].to_numpy() * 4 + df["quarter"].to_numpy() - 1
    onset = np.where(ok, q + np.nan_to_num(k), -1).astype(np.int64)
    # one integer per (household, onset) pair: factorizing it keeps the order of first
    # appearance, so the codes are those of the pairs themselves (tuples of strings are slow)
    hh = pd.factorize(df["household_id"], use_na_sentinel=False)[0].astype(np.int64)
    lo = int(onset.min()) if len(onset) else 0
    span = int(onset.max()) - lo + 1 if len(onset) else 1
    codes = np.where(ok, pd.factorize(hh * span + (onset - lo))[0], -1)
    return codes, np.where(ok, k, np.nan)


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
    ep, lead = _episodes(d)
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


# --- tiers ----------------------------------------------------------------------------------


def tiers(
    score: pd.Series | np.ndarray,
    capacity_share: float,
    ratios: tuple[float, float, float] = (1.0, 2.0, 4.0),
    visits_per_month: Mapping[str, float] = TIER_VISITS_PER_MONTH,
    visits_per_flag_per_month: float = 1.0,
) -> pd.DataFrame:
    """Red/yellow/blue tiers for one cross-section (one county, one quarter) that fit capacity.

    The monthly visit budget is ``capacity_share * n * visits_per_flag_per_month`` (the same
    budget as a single threshold at ``capacity_share``). Tier sizes keep the proportions
    ``ratios`` (red : yellow : blue) and are as large as the budget allows:
    ``u = budget / sum(ratio_i * visits_i)`` units, ``floor(u * ratio_i)`` households per tier,
    so the load never exceeds the budget. Households are ranked by score (highest first; ties
    in row order) and fill red, then yellow, then blue; the rest are ``none``.

    Returns a frame aligned with ``score``: ``tier`` (ordered categorical) and
    ``visits_per_month``; ``attrs`` hold ``budget``, ``load``, ``sizes`` and ``cutoffs`` (lowest
    score in each tier).
    """
    s = pd.Series(score)
    sv = s.to_numpy(dtype=float)
    n = len(sv)
    names = ("red", "yellow", "blue")
    r = np.asarray(ratios, dtype=float)
    v = np.array([visits_per_month[t] for t in names], dtype=float)
    budget = capacity_share * n * visits_per_flag_per_month
    units = min(budget / float(r @ v), n / r.sum()) if n else 0.0
    sizes = np.floor(units * r + 1e-9).astype(int)
    order = np.argsort(-np.nan_to_num(sv, nan=-np.inf), kind="stable")
    # tier codes in TIER_ORDER (``none`` last) and visits filled slice by slice: no strings
    code = np.full(n, TIER_ORDER.index("none"), dtype=np.int8)
    visits = np.zeros(n, dtype=float)
    start = 0
    cutoffs = {}
    for name, size in zip(names, sizes, strict=True):
        idx = order[start : start + size]
        code[idx] = TIER_ORDER.index(name)
        visits[idx] = float(visits_per_month[name])
        cutoffs[name] = float(sv[idx].min()) if size else float("nan")
        start += size
    out = pd.DataFrame(
        {
            "tier": pd.Categorical.from_codes(code, categories=list(TIER_ORDER), ordered=True),
            "visits_per_month": visits,
        },
        index=s.index,
    )
    out.attrs.update(
        budget=float(budget),
        load=float(visits.sum()),
        sizes=dict(zip(names, sizes.tolist(), strict=True)),
        cutoffs=cutoffs,
    )
    return out


def tier_table(
    tier: pd.Series, y_true: ArrayLike, visits_per_month: pd.Series | None = None
) -> pd.DataFrame:
    """Per tier: households, positives, share of all positives caught in the tier, observed
    rate, and the monthly visit load (needs ``visits_per_month`` from :func:`tiers`)."""
    y = as_float_label(y_true)
    t = pd.Series(pd.Categorical(np.asarray(tier), categories=list(TIER_ORDER), ordered=True))
    d = pd.DataFrame({"tier": t, "y": y})
    d["visits"] = 0.0 if visits_per_month is None else np.asarray(visits_per_month, dtype=float)
    g = d.groupby("tier", observed=False)
    out = pd.DataFrame({"n": g.size(), "n_pos": g["y"].sum(min_count=0), "load": g["visits"].sum()})
    total_pos = np.nansum(y)
    out["share_of_cases"] = out["n_pos"] / total_pos if total_pos else np.nan
    out["rate"] = out["n_pos"] / out["n"].where(out["n"] > 0)
    return out.reset_index()


# --- settings -------------------------------------------------------------------------------

OFFICIAL_TIER_MIN_TRIGGERS: dict[str, int] = {"red": 3, "yellow": 2, "blue": 1}
"""Official tiers by the number of screening triggers met (of 4): assumed, no seed publishes
the card criteria (DOMAIN.md section 4 gives only the visit frequencies)."""

THRESHOLD_DEFAULTS: dict[str, Any] = {
    "visit_cost": 50.0,
    "missed_relapse_cost": 3000.0,
    "visit_effect": 1.0,
    "decision_max_probability": 0.5,
    "line_multipliers": [1.0, 1.1, 1.2],
    "official_tier_min_triggers": dict(OFFICIAL_TIER_MIN_TRIGGERS),
    "tier_ratios": [1.0, 2.0, 4.0],
}
"""Defaults of the config's ``thresholds`` section (the schema repeats them)."""


def threshold_settings(config: Mapping | None) -> dict[str, Any]:
    """The ``thresholds`` section over :data:`THRESHOLD_DEFAULTS`, with the edge-household
    multiple (``monitoring.edge_multiple``) added to the line multipliers: a config written
    before the section existed still runs."""
    config = config or {}
    out = {**THRESHOLD_DEFAULTS, **(config.get("thresholds") or {})}
    mults = [float(m) for m in out["line_multipliers"]]
    edge = (config.get("monitoring") or {}).get("edge_multiple")
    if edge is not None and not any(abs(m - float(edge)) < 1e-9 for m in mults):
        mults.append(float(edge))
    out["line_multipliers"] = sorted(mults)
    return out


# --- intervals for chosen flags -------------------------------------------------------------


def flag_intervals(
    y_true: ArrayLike,
    flags: Mapping[str, ArrayLike],
    clusters: ArrayLike | None = None,
    reference: str | None = None,
    pt: float | None = None,
    n_boot: int = 200,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """Recall, precision and flagged share of each boolean flag (a threshold chosen, a tier
    assignment: name -> flag aligned with ``y_true``) with percentile intervals from a
    bootstrap clustered by ``clusters`` (villages; :func:`evaluate.cluster_bootstrap_weights`).

    With ``pt``, also the net benefit at that threshold probability. With ``reference`` (a
    name in ``flags``), each metric's difference from the reference with its interval from the
    same replicates (paired). One row per flag; rows with a missing label are dropped.
    """
    from scipy import sparse

    from relapse_models.evaluate import cluster_bootstrap_counts

    y_all = as_float_label(y_true)
    keep = ~np.isnan(y_all)
    y = y_all[keep]
    names = list(flags)
    F = np.column_stack([np.asarray(flags[k], dtype=bool)[keep] for k in names]).astype(float)
    odds = pt / (1.0 - pt) if pt is not None else None

    def stats(tp, flagged, total, pos) -> dict[str, np.ndarray]:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = {
                "recall": tp / pos,
                "precision": tp / flagged,
                "flagged_share": flagged / total,
            }
        if odds is not None:
            out["net_benefit"] = tp / total - (flagged - tp) / total * odds
        return out

    point = stats(F.T @ y, F.sum(axis=0), float(len(y)), float(y.sum()))
    metrics = list(point)
    reps: dict[str, list[np.ndarray]] = {m: [] for m in metrics}
    # 0/1 rows and integer draw counts: every sum is exact, so summing per village first and
    # weighting villages by the replicates' draw counts gives the row-weighted sums exactly
    codes = (np.arange(len(y)) if clusters is None
             else pd.factorize(np.asarray(clusters)[keep], use_na_sentinel=False)[0])
    counts = cluster_bootstrap_counts(codes, n_boot, seed)
    if len(counts):
        village = sparse.csr_matrix(
            (np.ones(len(y)), (codes, np.arange(len(y)))), shape=(counts.shape[1], len(y))
        )
        k = len(names)
        sums = counts @ (village @ np.column_stack([F * y[:, None], F, np.ones(len(y)), y]))
        rep = stats(sums[:, :k], sums[:, k:2 * k], sums[:, [2 * k]], sums[:, [2 * k + 1]])
        reps = {m: list(v) for m, v in rep.items()}
    ref = names.index(reference) if reference is not None else None
    alpha = (1 - level) / 2
    out = pd.DataFrame({
        "name": names,
        "n": len(y),
        "n_pos": float(y.sum()),
        "flagged_n": F.sum(axis=0),
        "tp": F.T @ y,
    })

    def ci(a: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        if a is None:
            return np.full(len(names), np.nan), np.full(len(names), np.nan)
        with warnings.catch_warnings():  # all-NaN columns (no positives in a replicate)
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanquantile(a, alpha, axis=0), np.nanquantile(a, 1 - alpha, axis=0)

    for m in metrics:
        a = np.vstack(reps[m]) if reps[m] else None
        out[m] = point[m]
        out[f"{m}_ci_low"], out[f"{m}_ci_high"] = ci(a)
        if ref is not None:
            out[f"{m}_diff"] = point[m] - point[m][ref]
            out[f"{m}_diff_ci_low"], out[f"{m}_diff_ci_high"] = ci(
                None if a is None else a - a[:, [ref]]
            )
    out.attrs.update(n_boot=int(len(reps[metrics[0]])), level=level, reference=reference, pt=pt)
    return out


# --- official tiers and the comparison with model tiers ------------------------------------


def official_tiers(
    rule_score: ArrayLike,
    min_triggers: Mapping[str, int] = OFFICIAL_TIER_MIN_TRIGGERS,
    n_triggers: int = 4,
    visits_per_month: Mapping[str, float] = TIER_VISITS_PER_MONTH,
) -> pd.DataFrame:
    """The official rule's tiers from the number of triggers met (``rule_score`` is the share
    of ``n_triggers`` met, as :class:`relapse_models.models.RuleModel` gives it): red at
    ``min_triggers["red"]`` or more, then yellow, then blue; ``none`` below blue or when the
    score is missing. Same frame as :func:`tiers` (``tier``, ``visits_per_month``; ``attrs``
    ``sizes`` and ``load``); the load is whatever the rule gives, capacity or not."""
    s = pd.Series(rule_score)
    met = np.rint(s.to_numpy(dtype=float) * n_triggers)
    tier = np.full(len(s), "none", dtype=object)
    # assign from the lowest tier up so the highest qualifying tier wins
    for name in ("blue", "yellow", "red"):
        tier[np.nan_to_num(met, nan=-1) >= min_triggers[name]] = name
    visits = pd.Series(tier).map(dict(visits_per_month, none=0.0)).to_numpy(dtype=float)
    out = pd.DataFrame(
        {
            "tier": pd.Categorical(tier, categories=list(TIER_ORDER), ordered=True),
            "visits_per_month": visits,
        },
        index=s.index,
    )
    out.attrs.update(
        load=float(visits.sum()),
        sizes={t: int((tier == t).sum()) for t in ("red", "yellow", "blue")},
    )
    return out


def tiers_by_period(
    df: pd.DataFrame,
    score_col: str,
    capacity_share: float,
    ratios: Sequence[float] = (1.0, 2.0, 4.0),
    period_cols: Sequence[str] = ("year", "quarter"),
) -> pd.DataFrame:
    """:func:`tiers` applied to each period's cross-section (tiers are reassigned every
    quarter as new data arrive); frame aligned with ``df`` with a ``period`` column. A missing
    score ranks last. ``attrs``: mean monthly ``budget`` and ``load`` per period."""
    period = _period_codes(df, period_cols)
    score = df[score_col].to_numpy(dtype=float)
    code = np.full(len(df), TIER_ORDER.index("none"), dtype=np.int8)
    visits = np.zeros(len(df), dtype=float)
    budgets, loads = [], []
    for p in np.unique(period):  # a loop over quarters
        rows = np.flatnonzero(period == p)
        tr = tiers(score[rows], capacity_share, tuple(ratios))
        code[rows] = tr["tier"].cat.codes.to_numpy()
        visits[rows] = tr["visits_per_month"].to_numpy()
        budgets.append(tr.attrs["budget"])
        loads.append(tr.attrs["load"])
    out = pd.DataFrame(
        {
            "tier": pd.Categorical.from_codes(code, categories=list(TIER_ORDER), ordered=True),
            "visits_per_month": visits,
            "period": period.astype(np.int64),
        },
        index=df.index,
    )
    out.attrs.update(budget=float(np.mean(budgets)), load=float(np.mean(loads)))
    return out


def _period_codes(df: pd.DataFrame, period_cols: Sequence[str]) -> np.ndarray:
    """Code of each row's period (the combination of ``period_cols``) in order of first
    appearance, as factorizing a MultiIndex of them gives, from one integer key per row."""
    key = np.zeros(len(df), dtype=np.int64)
    for col in period_cols:  # a handful of columns; re-coding keeps the key below len(df)
        c, uniq = pd.factorize(df[col], use_na_sentinel=False)
        key = pd.factorize(key * max(len(uniq), 1) + c)[0].astype(np.int64)
    return key


def _tier_categorical(tier: ArrayLike) -> pd.Categorical:
    """Tiers as an ordered categorical over :data:`TIER_ORDER`: as they are when they already
    are one (from :func:`tiers`), else from their strings (a value outside is missing)."""
    dtype = getattr(tier, "dtype", None)
    if (isinstance(dtype, pd.CategoricalDtype) and dtype.ordered
            and list(dtype.categories) == list(TIER_ORDER)):
        return pd.Categorical(tier)
    return pd.Categorical(np.asarray(pd.Series(tier).astype(str)),
                          categories=list(TIER_ORDER), ordered=True)


def compare_tiers(
    y_true: ArrayLike,
    schemes: Mapping[str, pd.DataFrame],
    period: ArrayLike,
    budget_per_month: float | None = None,
) -> pd.DataFrame:
    """Per scheme (name -> frame with ``tier`` and ``visits_per_month``, aligned with
    ``y_true``) and tier: household-quarters ``n`` and per period, cases ``n_pos``, their
    ``share_of_cases``, observed ``rate`` and the monthly visit ``load`` (mean per period);
    plus a ``tiered`` row (red + yellow + blue: its share of cases is the recall of visiting
    every tiered household) with ``budget`` and ``fits_capacity``. Rows with a missing label
    count in the load but not in the cases."""
    y = as_float_label(y_true)
    n_periods = max(len(pd.unique(np.asarray(period))), 1)
    total_pos = np.nansum(y)
    rows = []
    for name, tr in schemes.items():
        visits = tr["visits_per_month"].to_numpy(dtype=float)
        d = pd.DataFrame({"tier": _tier_categorical(tr["tier"]), "y": y, "visits": visits})
        g = d.groupby("tier", observed=False)
        t = pd.DataFrame(
            {"n": g.size(), "n_pos": g["y"].sum(min_count=0), "visits": g["visits"].sum()}
        ).reset_index()
        t["tier"] = t["tier"].astype(str)
        tiered = t[t["tier"] != "none"][["n", "n_pos", "visits"]].sum()
        t = pd.concat([t, pd.DataFrame([{"tier": "tiered", **tiered.to_dict()}])])
        t.insert(0, "scheme", name)
        rows.append(t)
    out = pd.concat(rows, ignore_index=True)
    out["n_per_period"] = out["n"] / n_periods
    out["load"] = out.pop("visits") / n_periods
    out["share_of_cases"] = out["n_pos"] / total_pos if total_pos else np.nan
    out["rate"] = out["n_pos"] / out["n"].where(out["n"] > 0)
    is_total = out["tier"] == "tiered"
    budget = np.nan if budget_per_month is None else float(budget_per_month)
    out["budget"] = np.where(is_total, budget, np.nan)
    fits = pd.array([pd.NA] * len(out), dtype="boolean")
    if budget_per_month is not None:
        fits[is_total.to_numpy()] = out.loc[is_total, "load"].to_numpy() <= budget + 1e-9
    out["fits_capacity"] = fits
    return out


# --- monitoring-line sensitivity ------------------------------------------------------------


def scale_lines(lines: Mapping[int, float], multiplier: float) -> dict[int, float]:
    """Every year's line times ``multiplier``."""
    return {int(y): float(v) * multiplier for y, v in lines.items()}


LINE_BLOCK_ROWS = 1_000_000
"""Panel rows per block of households in :func:`line_sensitivity` (bounds its memory)."""


def _features_at_lines(
    households: pd.DataFrame,
    panel: pd.DataFrame,
    events: pd.DataFrame,
    lines: Mapping[int, float],
    multipliers: Sequence[float],
    config: Mapping | None,
    year: int | None = None,
    max_rows: int = LINE_BLOCK_ROWS,
    base_features: pd.DataFrame | None = None,
) -> list[tuple[float, pd.DataFrame]]:
    """``(multiplier, features)`` in the order of ``multipliers``: the rows of ``year`` (all if
    None) of the features at the scaled line, with the columns :func:`line_sensitivity` reads:
    the keys, the rule's triggers and those that move with the line (``income_ratio``,
    ``line``, ``relapse_event``, ``at_risk``, ``relapse_in_quarters``, ``relapse``), the latter
    recomputed as ``build_features`` computes them (relapse state and label from
    :mod:`relapse_models.labels` on the scaled lines, ratio to the scaled line). The same
    numbers as a full rebuild per line (tested) for a fraction of the work. Every column read
    is within-household, so the features are built in blocks of whole households of at most
    about ``max_rows`` panel rows (bounded memory).

    ``base_features``: the county's features (``household_id, year, quarter`` and the rule's
    trigger columns, any row order, e.g. ``features.parquet``): the triggers that do not move
    with the line are taken from it instead of rebuilding every feature; the first row per
    key counts. When it lacks a needed row or column, the features are rebuilt."""
    from relapse_models import labels as lab
    from relapse_models.models.rule import TRIGGER_COLUMNS

    horizon = int(((config or {}).get("monitoring") or {}).get("horizon_quarters", 4))
    triggers = list(TRIGGER_COLUMNS.values())
    columns = ["household_id", "year", "quarter", *triggers, "line", "relapse_event", "at_risk",
               "relapse_in_quarters", "relapse"]
    # blocks of whole households in id order (the row order of one build on all of them)
    code, ids = pd.factorize(panel["household_id"], sort=True)
    rows_per_hh = np.bincount(code[code >= 0]) if len(code) else np.zeros(0, int)
    start = np.cumsum(rows_per_hh) - rows_per_hh
    cuts = np.flatnonzero(np.diff(start // max(int(max_rows), 1), prepend=-1))
    bounds = list(zip(cuts, [*cuts[1:], len(rows_per_hh)], strict=True))
    at_base = (None if base_features is None
               else _base_rows(base_features, panel, code, ids, triggers, year))
    if at_base is not None:  # only the columns the relapse state reads (copies are slow)
        from relapse_models.schema import INCOME_COLUMNS

        panel = panel[["household_id", "year", "quarter", *INCOME_COLUMNS, "production_cost"]]
    parts: list[list[pd.DataFrame]] = [[] for _ in multipliers]
    for lo, hi in bounds or [(0, 0)]:
        in_block = (code >= lo) & (code < hi)
        block = panel[in_block] if len(bounds) > 1 else panel
        df, fixed = _block_at_base_line(households, block, events, lines, config, triggers,
                                        None if at_base is None
                                        else (at_base[0], at_base[1][in_block]))
        sel = (np.ones(len(df), dtype=bool) if year is None
               else df["year"].to_numpy() == year)
        fixed = fixed[sel].reset_index(drop=True)
        inc = df["income_pc_4q"].to_numpy()
        identified = df["identified_now"].to_numpy(dtype=bool)
        for i, m in enumerate(multipliers):  # a handful of lines; each is vectorised
            # the relapse state (labels.relapse_state) on the scaled line (the
            # income and identifications do not move with the line: computed once per block)
            line = lab.line_for_years(df["year"], scale_lines(lines, float(m)))
            state = lab.relapse_state(inc, line, identified)
            df["line"], df["relapse_event"] = line, state
            df = lab.add_label(df, horizon)
            event = lab.float_to_boolean(state[sel])
            f = fixed.copy()
            f["income_ratio"] = inc[sel] / line[sel]
            f["line"] = line[sel]
            f["relapse_event"] = event
            f["at_risk"] = (pd.Series(event) == False).fillna(False).astype(bool)  # noqa: E712
            f["relapse_in_quarters"] = df["relapse_in_quarters"].array[sel]
            f["relapse"] = df["relapse"].array[sel]
            parts[i].append(f[columns])
    return [(float(m), pd.concat(p, ignore_index=True)) for m, p in zip(multipliers, parts,
                                                                         strict=True)]


def _block_at_base_line(
    households: pd.DataFrame,
    block: pd.DataFrame,
    events: pd.DataFrame,
    lines: Mapping[int, float],
    config: Mapping | None,
    triggers: list[str],
    base_rows: tuple[pd.DataFrame, np.ndarray] | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A block of the panel sorted as ``build_features`` sorts it, with its relapse state on
    ``lines``, and the keys and line-free triggers (all but ``income_ratio``) in that order:
    from the base features (``base_rows``: the frame and its row per block row) or rebuilt."""
    from relapse_models import labels as lab
    from relapse_models.features import build_features
    from relapse_models.schema import INCOME_COLUMNS

    keys = ["household_id", "year", "quarter"]
    line_free = [c for c in triggers if c != "income_ratio"]
    df = lab.sort_panel(block[[*keys, *INCOME_COLUMNS, "production_cost"]], households)
    if base_rows is None:
        fixed = build_features(households, block, events, lines, config)[keys + line_free]
    else:
        base, rows = base_rows
        at = rows[df["_row"].to_numpy()]
        fixed = df[keys].copy()
        for c in line_free:  # NaN on rows the base lacks (outside the year evaluated)
            fixed[c] = np.where(at >= 0, base[c].to_numpy(dtype=float)[at], np.nan)
    df = lab.add_relapse_state(df, events, lines)
    return df, fixed.reset_index(drop=True)


def _base_rows(
    base: pd.DataFrame,
    panel: pd.DataFrame,
    code: np.ndarray,
    ids: pd.Index,
    triggers: list[str],
    year: int | None,
) -> tuple[pd.DataFrame, np.ndarray] | None:
    """``(base, row of base per panel row)`` matched on the keys by integer codes (``code``,
    ``ids``: the panel's household codes and ids); the first base row per key. None (features
    rebuilt) when the base lacks a trigger column or a row of ``year`` (any year if None)."""
    from relapse_models import labels as lab

    missing = [c for c in ["household_id", "year", "quarter", *triggers] if c not in base]
    if missing:
        log.warning("base features lack %s: line sensitivity rebuilds them", missing)
        return None
    # only the base rows of the year evaluated are read: match those (ids are slow to hash)
    sub = (np.arange(len(base)) if year is None
           else np.flatnonzero(base["year"].to_numpy() == year))
    b = base.iloc[sub]
    b_code = pd.Index(ids).get_indexer(b["household_id"])
    b_key = b_code * lab.KEY_STRIDE + lab.quarter_index(b["year"], b["quarter"])
    p_key = code * lab.KEY_STRIDE + lab.quarter_index(panel["year"], panel["quarter"])
    order = np.argsort(b_key, kind="stable")  # stable: the first base row per key
    pos = np.clip(np.searchsorted(b_key[order], p_key), 0, max(len(order) - 1, 0))
    found = (b_key[order][pos] == p_key) & (code >= 0) if len(order) else code < -1
    need = np.ones(len(panel), bool) if year is None else panel["year"].to_numpy() == year
    if (need & ~found).any():
        log.warning("base features miss %d panel rows: line sensitivity rebuilds them",
                    int((need & ~found).sum()))
        return None
    return base, np.where(found, sub[order[pos]] if len(order) else -1, -1)


def line_sensitivity(
    households: pd.DataFrame,
    panel: pd.DataFrame,
    events: pd.DataFrame,
    lines: Mapping[int, float],
    multipliers: Sequence[float] = (1.0, 1.1, 1.2, 1.5),
    config: Mapping | None = None,
    year: int | None = None,
    flags: pd.DataFrame | None = None,
    base_features: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """How the label and the official rule move when the monitoring line moves.

    For each multiplier ``m`` the features and label are rebuilt with every line times ``m``
    (:func:`relapse_models.features.build_features`, vectorised): the relapse state, the label
    and the rule's income trigger all use the scaled line. On the rows of ``year`` (all years if
    None) with a known label and income:

    - ``below_line_share``: share already in the relapse state (out of the early-warning
      population), ``rule_flagged_share_all``: share the official rule (any trigger,
      ``config["rule"]``) flags among all of them: the screening load the line implies;
    - among the at-risk rows: ``n``, ``n_pos``, ``prevalence``, and per score ``flagged_n``,
      ``flagged_share``, ``recall``, ``precision``: score ``rule`` is the official rule on the
      scaled line; ``flags`` (``household_id, year, quarter`` and boolean columns, e.g. each
      model's flag at its threshold on the base line) are judged against the scaled label on
      the rows they cover (``n_scored``).

    ``base_features``: the county's features at the base line (keys and the rule's trigger
    columns, e.g. ``features.parquet``): the triggers that do not move with the line are read
    from it rather than rebuilt (same numbers, much faster).

    Long format: one row per (multiplier, score); ``line`` is ``year``'s scaled line.
    """
    from relapse_models.models import RuleModel

    rule = RuleModel(**dict((config or {}).get("rule") or {}))
    rows = []
    keys = ["household_id", "year", "quarter"]
    at_lines = _features_at_lines(households, panel, events, lines, multipliers, config, year,
                                  base_features=base_features)
    for m, f in at_lines:
        scaled = scale_lines(lines, float(m))
        f = f[f["relapse"].notna() & f["income_ratio"].notna()].reset_index(drop=True)
        at_risk = f["at_risk"].to_numpy(dtype=bool)
        y = f["relapse"].astype(bool).to_numpy()
        rule_flag = rule.fit(f).predict(f)
        base = {
            "multiplier": float(m),
            "line": scaled.get(int(year), np.nan) if year is not None else np.nan,
            "rows": len(f),
            "below_line_share": float(np.mean(~at_risk)) if len(f) else np.nan,
            "rule_flagged_share_all": float(np.mean(rule_flag)) if len(f) else np.nan,
            "n": int(at_risk.sum()),
            "n_pos": int(y[at_risk].sum()),
            "prevalence": float(y[at_risk].mean()) if at_risk.any() else np.nan,
        }
        scored: dict[str, tuple[np.ndarray, np.ndarray]] = {
            "rule": (rule_flag[at_risk], np.ones(int(at_risk.sum()), dtype=bool))
        }
        if flags is not None:
            merged = f.loc[at_risk, keys].merge(flags, on=keys, how="left")
            for col in (c for c in flags.columns if c not in keys):
                v = merged[col]
                scored[col] = (v.fillna(False).astype(bool).to_numpy(), v.notna().to_numpy())
        ya = y[at_risk]
        for name, (flag, covered) in scored.items():
            fl, yy = flag[covered], ya[covered]
            tp = int((fl & yy).sum())
            rows.append({
                **base,
                "score": name,
                "n_scored": int(covered.sum()),
                "flagged_n": int(fl.sum()),
                "flagged_share": float(fl.mean()) if len(fl) else np.nan,
                "recall": tp / yy.sum() if yy.sum() else np.nan,
                "precision": tp / fl.sum() if fl.sum() else np.nan,
            })
    return pd.DataFrame(rows)


def lead_times(df: pd.DataFrame, score_col: str, threshold: float) -> pd.Series:
    """Lead time of every case (quarters from the earliest flag to the onset, as in
    :func:`threshold_table`) at ``score >= threshold``; NaN for a case never flagged. The
    distribution behind ``lead_time_median``."""
    s = df[score_col].to_numpy(dtype=float)
    ep, lead = _episodes(df)
    cases = pd.Series(ep[ep >= 0]).unique()
    m = (ep >= 0) & (np.nan_to_num(s, nan=-np.inf) >= threshold)
    best = pd.Series(lead[m]).groupby(ep[m]).max()
    return best.reindex(cases).rename("lead_time").reset_index(drop=True)
