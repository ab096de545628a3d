"""The one table a county page reads its recall, precision and lead time from.

Every number about "what a threshold catches at the county's visit capacity" on a page (the
plain summary, the threshold table, the explorer's starting position) comes from
:func:`at_capacity`, so each model has one recall figure per page.
"""

from __future__ import annotations

import math

import pandas as pd

OFFICIAL = "rule"
"""The official screening rule's score, thresholded at the county's capacity: the baseline a
model is compared with at equal load."""

OFFICIAL_DECISION = "rule_official"
"""The official rule as a yes/no decision (any trigger fires): its load is its own."""

SIMPLE = "income_ratio"
"""The one-variable baseline: income relative to the monitoring line alone."""

ORACLE = "oracle"

COLUMNS = [
    "score", "role", "threshold", "flagged_share", "recall", "recall_ci_low", "recall_ci_high",
    "recall_diff", "recall_diff_ci_low", "recall_diff_ci_high", "reference",
    "recall_vs_baseline", "recall_vs_baseline_ci_low", "recall_vs_baseline_ci_high", "precision",
    "lead_time_median", "fits_capacity", "recommended",
]


def role(score: str) -> str:
    """``official``, ``official_decision``, ``simple``, ``oracle`` or ``model``."""
    return {OFFICIAL: "official", OFFICIAL_DECISION: "official_decision", SIMPLE: "simple",
            ORACLE: "oracle"}.get(score, "model")


def _pair(values: object) -> tuple[float, float]:
    if isinstance(values, list | tuple) and len(values) == 2:
        return tuple(math.nan if v is None else float(v) for v in values)  # type: ignore[return-value]
    return math.nan, math.nan


def _num(value: object) -> float:
    return math.nan if value is None else float(value)


def at_capacity(recommended: dict) -> pd.DataFrame:
    """One row per score at its threshold within the county's capacity (``recommended/<county>
    .json``: ``by_score`` and ``intervals.threshold``), the official decision (any trigger) as
    a row of its own, models in the file's order, then the baselines. Scores the file does not
    name are not invented: a new baseline in the file appears here without code changes."""
    by_score = recommended.get("by_score") or {}
    intervals = (recommended.get("intervals") or {}).get("threshold") or {}
    best = recommended.get("best_score")
    names = list(dict.fromkeys([*by_score, *intervals]))
    rows = []
    for name in names:
        point = by_score.get(name, {})
        iv = intervals.get(name, {})
        lo, hi = _pair(iv.get("recall_ci"))
        dlo, dhi = _pair(iv.get("recall_diff_ci"))
        blo, bhi = _pair(iv.get("recall_vs_baseline_ci"))
        rows.append({
            "score": name,
            "role": role(name),
            "threshold": _num(point.get("threshold", iv.get("threshold"))),
            "flagged_share": _num(point.get("flagged_share", iv.get("flagged_share"))),
            "recall": _num(iv.get("recall", point.get("recall"))),
            "recall_ci_low": lo,
            "recall_ci_high": hi,
            "recall_diff": _num(iv.get("recall_diff")),
            "recall_diff_ci_low": dlo,
            "recall_diff_ci_high": dhi,
            "reference": iv.get("reference"),
            "recall_vs_baseline": _num(iv.get("recall_vs_baseline")),
            "recall_vs_baseline_ci_low": blo,
            "recall_vs_baseline_ci_high": bhi,
            "precision": _num(iv.get("precision", point.get("precision"))),
            "lead_time_median": _num(point.get("lead_time_median")),
            "fits_capacity": point.get("fits_capacity"),
            "recommended": name == best,
        })
    out = pd.DataFrame(rows, columns=COLUMNS)
    order = {"model": 0, "official": 1, "official_decision": 2, "simple": 3, "oracle": 4}
    out["_order"] = out["role"].map(order)
    return out.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
