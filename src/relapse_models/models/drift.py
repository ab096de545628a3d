"""Model drift across years: population shift per feature, logistic recalibration, and the
rule that says whether a model may be kept, should be recalibrated or must be refitted.

A model trained on the years up to T meets later years whose households differ (incomes
grow, the line rises, a disaster strikes). The population stability index measures how far
a feature's distribution moved from the training years; logistic recalibration (an
intercept and a slope on the score's log-odds, fitted on the latest labelled year) repairs a
score whose ranking still holds but whose level no longer does; a shift in the inputs or a
loss of recall calls for a refit instead. The metrics themselves come from
:mod:`relapse_models.models.evaluation` (no metric is re-implemented here).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import statsmodels.api as sm
from numpy.typing import ArrayLike

PSI_MODERATE = 0.10
"""PSI above this: a moderate shift (the usual credit-scoring convention)."""
PSI_MAJOR = 0.25
"""PSI above this: a major shift, flagged (the usual credit-scoring convention)."""
_EPS = 1e-4
"""Floor on a bin's share, so that an empty bin gives a large but finite PSI term."""


def population_stability_index(
    expected: ArrayLike, actual: ArrayLike, n_bins: int = 10,
    expected_weights: ArrayLike | None = None,
) -> float:
    """PSI = sum over bins of (a - e) x ln(a / e), where e and a are the shares of the
    reference (``expected``: the training years) and of the later year in each bin.

    Bins are the reference's quantiles (equal-count bins; a feature with few distinct
    values, such as a 0/1 indicator, gets one bin per value), so the index does not depend on
    the later year's own spread. Shares below 1e-4 are floored (an empty bin would give
    infinity). ``expected_weights`` reweight the reference's shares (not its bins), e.g. to
    the later year's mix of quarters. Missing values are dropped; NaN when either side has
    no value."""
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    w = np.ones(len(e)) if expected_weights is None else np.asarray(expected_weights, float)
    keep = ~np.isnan(e) & (w > 0)
    e, w, a = e[keep], w[keep], a[~np.isnan(a)]
    if not len(e) or not len(a):
        return float("nan")
    edges = np.unique(np.quantile(e, np.linspace(0, 1, n_bins + 1)[1:-1]))
    k = len(edges) + 1
    e_share = np.bincount(np.searchsorted(edges, e, side="right"), weights=w,
                          minlength=k) / w.sum()
    a_share = np.bincount(np.searchsorted(edges, a, side="right"), minlength=k) / len(a)
    e_share, a_share = np.maximum(e_share, _EPS), np.maximum(a_share, _EPS)
    return float(np.sum((a_share - e_share) * np.log(a_share / e_share)))


CALENDAR_INPUTS = frozenset({"years_since_exit"})
"""Inputs that move with the calendar by construction (every household's count rises by one
a year): their PSI is reported but never advises a refit, which it would every year without
repairing anything."""


def psi_table(
    features: pd.DataFrame,
    reference: ArrayLike,
    later: dict[int, ArrayLike],
    columns: list[str],
    n_bins: int = 10,
    threshold: float = PSI_MAJOR,
    strata: ArrayLike | None = None,
) -> pd.DataFrame:
    """PSI of each column between the ``reference`` rows (a boolean mask: the training
    years) and each later year's rows (year -> mask): columns ``year, feature, psi,
    calendar, flagged`` (PSI above ``threshold``, calendar inputs never flagged).

    With ``strata`` (the quarter of the year) like is compared with like: the later year's
    rows of strata the reference lacks are left out, and the reference rows are reweighted to
    the later year's mix of strata. A training window that starts mid-year over-represents
    some quarters, which a seasonal input would otherwise read as a shift."""
    ref = np.asarray(reference, dtype=bool)
    layer = np.zeros(len(ref), dtype=int) if strata is None else np.asarray(strata)
    parts = [psi_between(features.loc[ref, columns], features.loc[np.asarray(mask, bool), columns],
                         int(year), columns, n_bins, threshold,
                         layer[ref], layer[np.asarray(mask, dtype=bool)])
             for year, mask in later.items()]
    return pd.concat(parts, ignore_index=True) if parts else _psi_frame([])


def psi_between(
    reference: pd.DataFrame,
    later: pd.DataFrame,
    year: int,
    columns: list[str],
    n_bins: int = 10,
    threshold: float = PSI_MAJOR,
    reference_strata: ArrayLike | None = None,
    later_strata: ArrayLike | None = None,
) -> pd.DataFrame:
    """The rows of :func:`psi_table` for one later ``year``, from the reference rows and that
    year's rows as two frames (each with its strata, or none): a province's years need not
    be concatenated into one frame to be compared."""
    ref_layer = (np.zeros(len(reference), dtype=int) if reference_strata is None
                 else np.asarray(reference_strata))
    layer = (np.zeros(len(later), dtype=int) if later_strata is None
             else np.asarray(later_strata))
    m = np.isin(layer, ref_layer)
    kinds, ref_counts = np.unique(ref_layer, return_counts=True)
    later_counts = np.array([(m & (layer == k)).sum() for k in kinds], dtype=float)
    ratio = (later_counts / max(later_counts.sum(), 1)) / (ref_counts / ref_counts.sum())
    weights = ratio[np.searchsorted(kinds, ref_layer)]
    rows = []
    for col in columns:
        e = reference[col].to_numpy(dtype=float)
        a = later[col].to_numpy(dtype=float)[m]
        psi = population_stability_index(e, a, n_bins, expected_weights=weights)
        calendar = col in CALENDAR_INPUTS
        rows.append({"year": int(year), "feature": col, "psi": psi, "calendar": calendar,
                     "flagged": bool(psi > threshold) and not calendar})
    return _psi_frame(rows)


def _psi_frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["year", "feature", "psi", "calendar", "flagged"])


class Recalibration(NamedTuple):
    """Logistic recalibration ``logit(p') = intercept + slope x logit(p)`` with the
    model-based standard errors of both (perfect calibration: intercept 0, slope 1)."""

    intercept: float
    slope: float
    intercept_se: float
    slope_se: float
    n: int


class RecalibrationRefused(ValueError):
    """Nothing to recalibrate on: ``code`` names why (``one_outcome``, ``constant_score``)
    so a page can say it in its own language; the message says it with the counts."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(q / (1 - q))


def fit_recalibration(y_true: ArrayLike, prob: ArrayLike) -> Recalibration:
    """Fit the intercept and slope of :class:`Recalibration` by maximum likelihood, a
    logistic regression (statsmodels ``Logit``, Newton) of the outcome on the score's
    log-odds: the binomial GLM's estimates and standard errors, in an eighth of its memory
    on a province's year. Raises with the reason when the year holds no row, a single
    outcome or a constant score (nothing to fit)."""
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(prob, dtype=float)
    ok = ~np.isnan(y) & ~np.isnan(p)
    y, p = y[ok], p[ok]
    if not len(y) or y.min() == y.max():
        raise RecalibrationRefused("one_outcome", f"recalibration needs both outcomes: "
                                   f"{len(y)} row(s), {int(y.sum())} relapse(s)")
    x = _logit(p)
    if np.ptp(x) == 0:
        raise RecalibrationRefused("constant_score",
                                   "recalibration needs a score that varies: every score is equal")
    fit = sm.Logit(y, sm.add_constant(x, has_constant="add")).fit(disp=0)
    (a, b), (sa, sb) = fit.params, fit.bse
    return Recalibration(float(a), float(b), float(sa), float(sb), int(len(y)))


def apply_recalibration(prob: ArrayLike, recal: Recalibration) -> np.ndarray:
    """The recalibrated probability ``expit(intercept + slope x logit(p))``."""
    p = np.asarray(prob, dtype=float)
    z = recal.intercept + recal.slope * _logit(p)
    return 1.0 / (1.0 + np.exp(-z))


def drift_action(
    o_e_ci: list[float],
    recall: float,
    reference_recall_ci: list[float],
    max_psi: float,
    psi_threshold: float = PSI_MAJOR,
) -> tuple[str, str]:
    """The documented rule (``docs/evaluation.md``, Drift): ``refit`` when a model input's
    PSI exceeds ``psi_threshold`` or the year's recall at capacity falls below the interval
    of the first later year's (``reference_recall_ci``); otherwise ``recalibrate`` when the
    interval of observed/expected excludes 1; otherwise ``keep``. Returns the action and its
    reason (English keys; the page words them)."""
    if not np.isnan(max_psi) and max_psi > psi_threshold:
        return "refit", "psi"
    lo = reference_recall_ci[0] if reference_recall_ci else float("nan")
    if not np.isnan(lo) and not np.isnan(recall) and recall < lo:
        return "refit", "recall"
    o_lo, o_hi = o_e_ci if o_e_ci else (float("nan"), float("nan"))
    if not np.isnan(o_lo) and (o_lo > 1 or o_hi < 1):
        return "recalibrate", "o_e"
    return "keep", "none"
