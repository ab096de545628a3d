"""Red/yellow/blue visit tiers that fit the visit capacity, and their comparison across schemes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from relapse_models.outcome.relapse import as_float_label

TIER_VISITS_PER_MONTH: dict[str, float] = {"red": 2.0, "yellow": 1.0, "blue": 1.0 / 3.0}
"""Visits per household per month by tier: red every half month, yellow monthly, blue
quarterly (the XX县 practice, docs/domain.md section 4)."""


TIER_ORDER: tuple[str, ...] = ("red", "yellow", "blue", "none")


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
