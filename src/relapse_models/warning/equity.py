"""Who does the warning miss? Recall and misses by subgroup and by town at one threshold.

A threshold with good overall recall can still miss most relapses among the elderly or the
disabled, the households the policy names first. For each group this module reports, at a
given flag (``score >= threshold``), over household-quarters with a known label:

- ``n_pos``, ``tp``, ``fn`` (misses), ``recall`` and its village-clustered bootstrap interval;
- ``share_of_cases`` = the group's positives / all positives, ``share_of_misses`` = the
  group's misses / all misses: a group whose share of misses exceeds its share of cases is
  under-served by the threshold;
- ``recall_rest`` (everyone outside the group) and ``recall_gap`` = recall - recall_rest with
  its interval (paired: both from the same replicates).

Subgroups overlap (an elderly household can also be disabled), so their shares do not add up;
towns partition the county and do. Small cells are flagged: ``suppress`` is True when the group
has fewer than ``min_cell`` households, or 1 .. ``min_cell - 1`` households behind its cases or
its misses (those few could be recognised). In a partition (towns) a single suppressed cell
could be recovered from the total, so the next smallest is suppressed too.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from relapse_models.models.evaluation import cluster_bootstrap_counts
from relapse_models.outcome.relapse import as_float_label
from relapse_models.warning.lead_times import episodes as case_codes

SUBGROUP_COLUMNS: list[str] = [
    "any_chronic_ill", "any_disabled", "elderly_share", "relocated", "poverty_alleviated",
]
"""Feature columns (``features.parquet``) the subgroups are read from."""

COUNT_COLUMNS: list[str] = [
    "n", "households", "n_pos", "tp", "fn", "flagged_n", "households_pos", "households_missed",
]
EPISODE_COUNT_COLUMNS: list[str] = ["cases_n", "cases_detected", "cases_missed"]
EPISODE_VALUE_COLUMNS: list[str] = ["case_recall", "share_of_missed_cases"]
VALUE_COLUMNS: list[str] = [
    "flagged_share", "share_of_cases", "share_of_misses", "recall", "recall_ci_low",
    "recall_ci_high", "precision", "recall_rest", "recall_gap", "recall_gap_ci_low",
    "recall_gap_ci_high",
]


def subgroup_membership(attrs: pd.DataFrame) -> pd.DataFrame:
    """Boolean membership per row: ``all``; ``elderly`` (any member 60+, ``elderly_share >
    0``), ``disabled``, ``chronic_ill``, ``relocated`` (易地扶贫搬迁), ``poverty_alleviated``
    (脱贫户) and ``general`` (一般农户: not poverty-alleviated). A missing attribute is no
    membership."""
    def flag(col: str) -> np.ndarray:
        return np.nan_to_num(pd.to_numeric(attrs[col], errors="coerce").to_numpy(float)) > 0

    pa = flag("poverty_alleviated")
    return pd.DataFrame(
        {
            "all": np.ones(len(attrs), dtype=bool),
            "elderly": flag("elderly_share"),
            "disabled": flag("any_disabled"),
            "chronic_ill": flag("any_chronic_ill"),
            "relocated": flag("relocated"),
            "poverty_alleviated": pa,
            "general": ~pa,
        },
        index=attrs.index,
    )


def partition_membership(values: ArrayLike, prefix: str = "") -> pd.DataFrame:
    """One boolean column per distinct value (e.g. towns), in order of appearance."""
    v = pd.Series(np.asarray(values, dtype=object)).astype(str)
    # integer codes compared, not strings; a missing value (kept by astype(str)) is in no
    # column, as ``v == NaN`` is nowhere true
    codes, cats = pd.factorize(v, use_na_sentinel=False)
    return pd.DataFrame({
        f"{prefix}{c}": (codes == i) if not pd.isna(c) else np.zeros(len(v), dtype=bool)
        for i, c in enumerate(cats)
    })


def _id_codes(ids: ArrayLike) -> np.ndarray:
    """Non-negative integer codes, equal where the ids are: integer ids (e.g. codes already)
    shifted to start at 0 (fast), other ids factorized (strings are slow)."""
    ids = np.asarray(ids)
    if ids.dtype.kind in "iu" and len(ids) and int(ids.max()) - int(ids.min()) < 4 * len(ids):
        return ids.astype(np.int64) - int(ids.min())
    return pd.factorize(ids, use_na_sentinel=False)[0]


def _distinct_cells(
    codes: np.ndarray, cells: list[np.ndarray], rows: np.ndarray | None = None
) -> np.ndarray:
    """Distinct ``codes`` (from :func:`_id_codes`) per group, a group given by its row
    positions (``cells``), among ``rows`` when given: each group's codes marked in a table of
    all codes, counted, and unmarked (work in proportion to the groups' rows, no sort)."""
    seen = np.zeros(int(codes.max()) + 1 if len(codes) else 0, dtype=bool)
    out = np.zeros(len(cells), dtype=np.int64)
    for j, idx in enumerate(cells):  # a loop over groups, vectorised over rows
        c = codes[idx if rows is None else idx[rows[idx]]]
        seen[c] = True
        out[j] = np.count_nonzero(seen)
        seen[c] = False
    return out


def equity_table(
    y_true: ArrayLike,
    flag: ArrayLike,
    groups: pd.DataFrame,
    household_id: ArrayLike,
    clusters: ArrayLike | None = None,
    dimension: str = "subgroup",
    partition: bool = False,
    min_cell: int = 5,
    n_boot: int = 200,
    seed: int = 0,
    level: float = 0.95,
    episodes: ArrayLike | None = None,
) -> pd.DataFrame:
    """Recall and misses per group (columns of the boolean frame ``groups``, aligned with
    ``y_true``) for the boolean ``flag``; intervals from a bootstrap clustered by ``clusters``
    (villages). Rows with a missing label are dropped. ``partition``: the groups split the rows
    (towns), which triggers complementary suppression. Columns: ``dimension, group`` then
    :data:`COUNT_COLUMNS`, :data:`VALUE_COLUMNS` and ``suppress``.

    ``episodes`` (a relapse-episode code per row, -1 for rows that foresee no onset:
    :func:`relapse_models.warning.lead_times.episodes`) adds the same by case rather than by row: ``cases_n`` episodes
    seen from the group's rows, ``cases_detected`` (one of those rows flagged),
    ``cases_missed``, ``case_recall`` and ``share_of_missed_cases``: a household relapsing
    once counts once however many quarters foresaw it."""
    y_all = as_float_label(y_true)
    keep = ~np.isnan(y_all)
    y = y_all[keep]
    f = np.asarray(flag, dtype=bool)[keep].astype(float)
    # each group as the positions of its rows: work in proportion to the cells, not rows x
    # groups (towns: one cell per row)
    cells = [np.flatnonzero(groups.iloc[:, j].to_numpy(dtype=bool)[keep])
             for j in range(groups.shape[1])]
    ids = _id_codes(np.asarray(household_id)[keep])
    yf = y * f

    def stats(pos: np.ndarray, tp: np.ndarray, all_pos: np.ndarray, all_tp: np.ndarray):
        with np.errstate(divide="ignore", invalid="ignore"):
            return tp / pos, (all_tp - tp) / (all_pos - pos)

    def sums(w: np.ndarray) -> np.ndarray:
        return np.array([w[idx].sum() for idx in cells], dtype=float)

    # counts of 0/1 rows (and replicate weights are integers): every sum below is exact, so
    # summing per village first and weighting villages by their draw counts changes nothing
    # (nor does the order of summation)
    pos, tp = sums(y), sums(yf)
    recall, rest = stats(pos, tp, float(y.sum()), float(yf.sum()))
    n = np.array([len(idx) for idx in cells], dtype=np.int64)
    flagged = sums(f)
    fn = pos - tp
    total_pos, total_fn = float(y.sum()), float(y.sum() - (y * f).sum())
    codes = (np.arange(len(y)) if clusters is None
             else pd.factorize(np.asarray(clusters)[keep], use_na_sentinel=False)[0])
    counts = cluster_bootstrap_counts(codes, n_boot, seed)  # the replicates' village draws
    reps_r: list[np.ndarray] = []
    reps_g: list[np.ndarray] = []
    if len(counts):
        n_vil = counts.shape[1]

        def by_vil(w: np.ndarray, idx: np.ndarray | None = None) -> np.ndarray:
            c, v = (codes, w) if idx is None else (codes[idx], w[idx])
            return np.bincount(c, weights=v, minlength=n_vil).astype(float)

        by_village = np.column_stack([by_vil(y, idx) for idx in cells]
                                     + [by_vil(yf, idx) for idx in cells])
        totals = np.column_stack([by_vil(y), by_vil(yf)])
        k = len(cells)
        rep, rep_all = counts @ by_village, counts @ totals
        r, rr = stats(rep[:, :k], rep[:, k:], rep_all[:, [0]], rep_all[:, [1]])
        reps_r, reps_g = list(r), list(r - rr)
    alpha = (1 - level) / 2

    def ci(reps: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        if not reps:
            return np.full(len(n), np.nan), np.full(len(n), np.nan)
        a = np.vstack(reps)
        with warnings.catch_warnings():  # a group without positives in a replicate is NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanquantile(a, alpha, axis=0), np.nanquantile(a, 1 - alpha, axis=0)

    r_lo, r_hi = ci(reps_r)
    g_lo, g_hi = ci(reps_g)
    is_pos, is_miss = y == 1, (y == 1) & (f == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame(
            {
                "dimension": dimension,
                "group": list(groups.columns),
                "n": n,
                "households": _distinct_cells(ids, cells),
                "n_pos": pos,
                "tp": tp,
                "fn": fn,
                "flagged_n": flagged,
                "households_pos": _distinct_cells(ids, cells, is_pos),
                "households_missed": _distinct_cells(ids, cells, is_miss),
                "flagged_share": flagged / n,
                "share_of_cases": pos / total_pos if total_pos else np.nan,
                "share_of_misses": fn / total_fn if total_fn else np.nan,
                "recall": recall,
                "recall_ci_low": r_lo,
                "recall_ci_high": r_hi,
                "precision": tp / flagged,
                "recall_rest": rest,
                "recall_gap": recall - rest,
                "recall_gap_ci_low": g_lo,
                "recall_gap_ci_high": g_hi,
            }
        )
    if episodes is not None:
        ep = np.asarray(episodes)[keep]
        has = ep >= 0
        ep_codes = _id_codes(ep)
        cases = _distinct_cells(ep_codes, cells, has)
        detected = _distinct_cells(ep_codes, cells, has & (f == 1))
        missed_all = len(pd.unique(ep[has])) - len(pd.unique(ep[has & (f == 1)]))
        out["cases_n"] = cases
        out["cases_detected"] = detected
        out["cases_missed"] = cases - detected
        with np.errstate(divide="ignore", invalid="ignore"):
            out["case_recall"] = np.where(cases > 0, detected / np.maximum(cases, 1), np.nan)
        out["share_of_missed_cases"] = (
            out["cases_missed"] / missed_all if missed_all else np.nan
        )
    out["suppress"] = small_cells(out, min_cell)
    if partition:
        out["suppress"] = complementary_suppression(out["suppress"], out["households"])
    return out


def small_cells(table: pd.DataFrame, min_cell: int) -> pd.Series:
    """True where the group or the households behind its cases or misses are too few."""
    def few(col: str) -> pd.Series:
        return (table[col] > 0) & (table[col] < min_cell)

    return (table["households"] < min_cell) | few("households_pos") | few("households_missed")


def complementary_suppression(suppress: pd.Series, size: pd.Series) -> pd.Series:
    """In a partition, one suppressed cell is recovered as total minus the rest: when exactly
    one is suppressed, suppress the smallest other cell as well."""
    s = suppress.to_numpy(dtype=bool).copy()
    if s.sum() == 1 and len(s) > 1:
        others = np.where(s, np.inf, size.to_numpy(dtype=float))
        s[int(np.argmin(others))] = True
    return pd.Series(s, index=suppress.index)


def county_equity(
    df: pd.DataFrame,
    flags: Mapping[str, ArrayLike],
    label_col: str = "relapse",
    town_col: str = "town_id",
    cluster_col: str = "village_id",
    min_cell: int = 5,
    n_boot: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """Equity tables for several flags (name -> boolean array aligned with ``df``) on one
    county's rows: subgroups when ``df`` has :data:`SUBGROUP_COLUMNS`, towns when it has
    ``town_col``. Long format with a leading ``score`` column."""
    has_sub = set(SUBGROUP_COLUMNS).issubset(df.columns)
    has_ep = {"relapse_in_quarters", "at_risk"}.issubset(df.columns)
    episodes = case_codes(df)[0] if has_ep else None
    parts = []
    # the same ids, villages and groups for every flag: converted once (strings are slow)
    common = dict(
        household_id=pd.factorize(df["household_id"])[0],
        clusters=(pd.factorize(df[cluster_col], use_na_sentinel=False)[0]
                  if cluster_col in df else None),
        min_cell=min_cell, n_boot=n_boot, seed=seed, episodes=episodes,
    )
    subgroups = subgroup_membership(df) if has_sub else None
    towns = partition_membership(df[town_col]) if town_col in df else None
    label = df[label_col]
    for name, flag in flags.items():
        if subgroups is not None:
            parts.append(
                equity_table(label, flag, subgroups, **common).assign(score=name)
            )
        if towns is not None:
            parts.append(
                equity_table(
                    label, flag, towns, dimension="town", partition=True, **common
                ).assign(score=name)
            )
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    return out[["score", *[c for c in out.columns if c != "score"]]]


def recall_grid(
    y_true: ArrayLike,
    scores: Mapping[str, ArrayLike],
    thresholds: Mapping[str, ArrayLike],
    groups: pd.DataFrame,
    household_id: ArrayLike,
    min_cell: int = 5,
) -> pd.DataFrame:
    """Recall of every group (columns of the boolean frame ``groups``) at every threshold of
    every score (``score >= threshold`` flags a row), for a page that lets its reader move the
    threshold. Rows with a missing label are dropped, as in :func:`equity_table`. A group with
    fewer than ``min_cell`` households, or fewer than ``min_cell`` households behind its cases,
    has ``recall`` NaN and ``suppress`` True (the same households rule as the equity table).

    Columns: ``score, threshold, group, households, flagged_share, recall, suppress``."""
    y_all = as_float_label(y_true)
    keep = ~np.isnan(y_all)
    y = y_all[keep] == 1
    ids = _id_codes(np.asarray(household_id)[keep])
    cells = {name: np.flatnonzero(groups[name].to_numpy(dtype=bool)[keep])
             for name in groups.columns}
    households = dict(zip(cells, _distinct_cells(ids, list(cells.values())), strict=True))
    households_pos = dict(zip(cells, _distinct_cells(ids, list(cells.values()), y), strict=True))
    parts = []
    for score, values in scores.items():
        s = np.nan_to_num(np.asarray(values, dtype=float)[keep], nan=-np.inf)
        thr = np.asarray(thresholds[score], dtype=float)
        for name, idx in cells.items():
            in_group = np.sort(s[idx])
            positives = np.sort(s[idx][y[idx]])
            flagged = len(in_group) - np.searchsorted(in_group, thr, side="left")
            caught = len(positives) - np.searchsorted(positives, thr, side="left")
            small = households[name] < min_cell or households_pos[name] < min_cell
            with np.errstate(divide="ignore", invalid="ignore"):
                recall = np.where(small or not len(positives), np.nan,
                                  caught / max(len(positives), 1))
            parts.append(pd.DataFrame({
                "score": score, "threshold": thr, "group": name,
                "households": households[name],
                "flagged_share": flagged / max(len(in_group), 1),
                "recall": recall, "suppress": bool(small),
            }))
    columns = ["score", "threshold", "group", "households", "flagged_share", "recall", "suppress"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
