"""Is acting on a warning worth it? Net benefit, decision curves and expected costs.

A flag costs visits whether or not the household relapses; a missed relapse costs more. The
decision curve (Vickers & Elkin 2006, *Med Decis Making* 26:565) weighs the two by the
threshold probability ``p_t`` at which a decision maker is indifferent between visiting and not:

    net benefit(p_t) = TP / n - FP / n * p_t / (1 - p_t)

in true positives per household-quarter, a false alarm counting ``p_t / (1 - p_t)`` of a true
case. A probability score is applied at its own ``p_t`` (flag = ``score >= p_t``); a fixed
decision (the official rule's "any trigger") keeps its flags at every ``p_t``. References:
"visit all" (``prevalence - (1 - prevalence) * p_t / (1 - p_t)``) and "visit none" (0).

The cost version prices the same trade-off in yuan (:class:`DecisionCosts`): a flag costs
``visit_cost`` per visit for the quarter's visits; a relapse costs ``missed_relapse_cost``, of
which a timely visit averts the share ``visit_effect``. Per household-quarter

    cost = (flagged * cost_per_flag + FN * c_miss + TP * (1 - effect) * c_miss) / n
         = prevalence * c_miss - (effect * c_miss - cost_per_flag) * net benefit(p_t*),

with ``p_t* = cost_per_flag / (effect * c_miss)``: minimising cost is maximising net benefit
at ``p_t*`` (the identity is checked in the tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from relapse_models.core.config import default_config
from relapse_models.outcome.relapse import as_float_label

DEFAULT_PT_GRID: np.ndarray = np.round(np.arange(0.01, 0.5001, 0.01), 4)
"""Threshold probabilities 1 % .. 50 %: beyond that, a visit would need to be worth less than
a relapse averted, which no county assumes."""


def threshold_odds(pt: ArrayLike) -> np.ndarray:
    """``p_t / (1 - p_t)``: how many false alarms one true case is worth at ``p_t``."""
    p = np.asarray(pt, dtype=float)
    if np.any((p <= 0) | (p >= 1)):
        raise ValueError("threshold probabilities must lie strictly between 0 and 1")
    return p / (1.0 - p)


def net_benefit(tp: ArrayLike, fp: ArrayLike, n: ArrayLike, pt: ArrayLike) -> np.ndarray:
    """Vickers & Elkin (2006): ``TP/n - FP/n * p_t/(1-p_t)`` (element-wise, broadcast)."""
    tp, fp, n = (np.asarray(a, dtype=float) for a in (tp, fp, n))
    return tp / n - fp / n * threshold_odds(pt)


def net_benefit_all(prevalence: float, pt: ArrayLike) -> np.ndarray:
    """Net benefit of visiting every household: ``prev - (1 - prev) * p_t / (1 - p_t)``."""
    return prevalence - (1.0 - prevalence) * threshold_odds(pt)


def decision_curve(
    y_true: ArrayLike,
    scores: Mapping[str, ArrayLike] | None = None,
    fixed: Mapping[str, ArrayLike] | None = None,
    pt: ArrayLike | None = None,
) -> pd.DataFrame:
    """Net benefit against threshold probability for probability ``scores`` (flag where
    ``score >= p_t``), fixed decisions ``fixed`` (boolean flags), "visit_all" and "visit_none".

    Rows with a missing label are dropped; a missing score is never flagged. Long format:
    ``score, threshold_probability, n, n_pos, flagged_n, flagged_share, tp, fp, net_benefit,
    standardised_net_benefit`` (net benefit / prevalence: the share of the best achievable).
    """
    y = as_float_label(y_true)
    keep = ~np.isnan(y)
    yk = y[keep]
    n, n_pos = int(keep.sum()), float(yk.sum())
    pts = DEFAULT_PT_GRID if pt is None else np.asarray(pt, dtype=float)
    odds = threshold_odds(pts)
    rows: list[pd.DataFrame] = []

    def part(name: str, flagged: np.ndarray, tp: np.ndarray) -> pd.DataFrame:
        fp = flagged - tp
        return pd.DataFrame(
            {
                "score": name,
                "threshold_probability": pts,
                "n": n,
                "n_pos": n_pos,
                "flagged_n": flagged,
                "flagged_share": flagged / n if n else np.nan,
                "tp": tp,
                "fp": fp,
                "net_benefit": tp / n - fp / n * odds if n else np.nan,
            }
        )

    for name, values in (scores or {}).items():
        s = np.asarray(values, dtype=float)[keep]
        s = np.where(np.isnan(s), -np.inf, s)
        order = np.sort(s)
        flagged = (n - np.searchsorted(order, pts, side="left")).astype(float)
        pos = np.sort(s[yk == 1])
        tp = (len(pos) - np.searchsorted(pos, pts, side="left")).astype(float)
        rows.append(part(name, flagged, tp))
    for name, values in (fixed or {}).items():
        f = np.asarray(values, dtype=bool)[keep]
        rows.append(
            part(name, np.full(len(pts), float(f.sum())), np.full(len(pts), float(yk[f].sum())))
        )
    rows.append(part("visit_all", np.full(len(pts), float(n)), np.full(len(pts), n_pos)))
    rows.append(part("visit_none", np.zeros(len(pts)), np.zeros(len(pts))))
    out = pd.concat(rows, ignore_index=True)
    prevalence = n_pos / n if n else np.nan
    out["standardised_net_benefit"] = (
        out["net_benefit"] / prevalence if prevalence and prevalence > 0 else np.nan
    )
    return out


# --- costs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionCosts:
    """Prices of the two errors, in yuan (assumed: the config schema's ``thresholds`` section).

    ``visit_cost``: one household visit (a grid worker's time and travel);
    ``missed_relapse_cost``: a household-quarter that relapses within the horizon without a
    visit in that quarter (income gap, emergency relief, later remedial assistance);
    ``visit_effect``: share of that cost a timely visit averts; a flagged household is visited
    ``visits_per_flag_per_month`` times in each of the quarter's ``months_per_period`` months.
    """

    visit_cost: float
    missed_relapse_cost: float
    visit_effect: float
    visits_per_flag_per_month: float = 1.0
    months_per_period: float = 3.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> DecisionCosts:
        """From the config's ``thresholds`` section (the schema's defaults when None)."""
        section = (default_config() if config is None else config)["thresholds"]
        keys = ("visit_cost", "missed_relapse_cost", "visit_effect")
        return cls(**{k: float(section[k]) for k in keys})

    @property
    def cost_per_flag(self) -> float:
        """Yuan spent on one flagged household-quarter."""
        return self.visit_cost * self.visits_per_flag_per_month * self.months_per_period

    @property
    def threshold_probability(self) -> float:
        """``p_t*`` where visiting and not visiting cost the same: ``cost_per_flag /
        (visit_effect * missed_relapse_cost)``; NaN when a visit can never pay off."""
        averted = self.visit_effect * self.missed_relapse_cost
        return self.cost_per_flag / averted if averted > self.cost_per_flag else float("nan")


def expected_cost(
    tp: ArrayLike, flagged: ArrayLike, n_pos: ArrayLike, n: ArrayLike, costs: DecisionCosts
) -> np.ndarray:
    """Expected cost per household-quarter (yuan): visits to the flagged, plus the relapses
    not averted (missed ones in full, caught ones by ``1 - visit_effect``)."""
    tp, flagged, n_pos, n = (np.asarray(a, dtype=float) for a in (tp, flagged, n_pos, n))
    miss = (n_pos - tp) * costs.missed_relapse_cost
    caught = tp * (1.0 - costs.visit_effect) * costs.missed_relapse_cost
    return (flagged * costs.cost_per_flag + miss + caught) / n


def add_costs(table: pd.DataFrame, costs: DecisionCosts) -> pd.DataFrame:
    """A threshold table (``tp, flagged_n, n_pos, n``) with ``cost_per_household`` and the
    references ``cost_visit_all``, ``cost_visit_none``, plus ``net_benefit_at_cost`` (net
    benefit at the implied ``p_t*``; NaN if visits never pay off)."""
    out = table.copy()
    out["cost_per_household"] = expected_cost(
        out["tp"], out["flagged_n"], out["n_pos"], out["n"], costs
    )
    out["cost_visit_all"] = expected_cost(out["n_pos"], out["n"], out["n_pos"], out["n"], costs)
    out["cost_visit_none"] = expected_cost(0.0, 0.0, out["n_pos"], out["n"], costs)
    pt = costs.threshold_probability
    out["net_benefit_at_cost"] = (
        net_benefit(out["tp"], out["fp"], out["n"], pt) if np.isfinite(pt) else np.nan
    )
    return out


def min_cost_thresholds(table: pd.DataFrame, capacity_share: float | None = None) -> pd.DataFrame:
    """Per (county, score): the threshold with the lowest expected cost (after
    :func:`add_costs`), among all thresholds or only those within ``capacity_share``."""
    t = table
    if capacity_share is not None:
        t = t[t["flagged_share"] <= capacity_share + 1e-12]
    if t.empty:
        return t.copy()
    idx = t.groupby(["county_id", "score"], sort=False)["cost_per_household"].idxmin()
    return t.loc[idx.dropna().astype(int)].reset_index(drop=True)
