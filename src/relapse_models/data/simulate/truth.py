"""Ground truth: the relapse definition, the exact oracle probability, and the ``logit`` mode.

Relapse (default ``H = monitoring.horizon_quarters = 4``): household-quarter ``t`` is a case if
in some quarter ``t+1 .. t+H`` its rolling 4-quarter per-capita net income is below that
quarter's year's line, or it is newly identified (an ``identified`` event dated in that
quarter) -- the definition of :mod:`relapse_models.outcome.relapse`.

``realistic`` mode: the label emerges from the income and spending process (:mod:`.engine`)
and the monitoring system's identification rules; ``true_prob`` is its exact probability given
the state at ``t`` (:mod:`.oracle`: an enumeration of the shock paths and a closed-form integral
over next year's income factor -- no Monte Carlo).

Truth rows: origins ``t`` from the panel's 4th quarter (the first with a complete 4-quarter
window at ``t``) to ``end - H`` (the last with a complete horizon). Earlier and later quarters
are left out, not marked.

``logit`` mode: the observable tables are the same; the outcome is drawn from a logistic model
in features computed from them by :func:`logit_features` with :data:`TRUE_COEFFICIENTS`, so a
logistic regression on a large sample must recover the coefficients.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from relapse_models.core.quarters import quarter_index

TRUE_COEFFICIENTS: dict[str, float] = {
    "const": -2.0,
    "log_income_ratio": -1.5,
    "oop_share": 1.2,
    "disaster_share": 1.0,
    "chronic": 0.4,
    "disabled": 0.5,
    "elderly_share": 0.8,
    "labour_share": -0.9,
    "poverty_alleviated": 0.3,
}
"""Coefficients of the ``logit`` mode (log-odds per unit of each feature of
:func:`logit_features`)."""

LOGIT_FEATURES: tuple[str, ...] = tuple(k for k in TRUE_COEFFICIENTS if k != "const")


def logit_features(households: pd.DataFrame, panel: pd.DataFrame,
                   lines: Mapping[int, float]) -> pd.DataFrame:
    """Features of the ``logit`` mode at every household-quarter with a complete 4-quarter
    window, from observable tables only.

    - ``log_income_ratio``: log of rolling 4-quarter per-capita net income over the year's
      line (income floored at 5 % of the line);
    - ``oop_share`` / ``disaster_share``: 4-quarter out-of-pocket medical cost / disaster loss
      over 4-quarter gross income (floored at 1000 yuan), capped at 3;
    - ``chronic``, ``disabled``: any member; ``elderly_share``, ``labour_share``: of members;
      ``poverty_alleviated``: 脱贫户.
    """
    hh = households.set_index("household_id")
    df = panel[["household_id", "year", "quarter"]].copy()
    df["household_id"] = df["household_id"].astype(str)
    gross = panel[["income_wage", "income_operating", "income_property", "income_transfer"]].sum(axis=1)
    df["_net"] = (gross - panel["production_cost"]).to_numpy()
    df["_gross"] = gross.to_numpy()
    df["_oop"] = panel["medical_oop"].to_numpy()
    df["_loss"] = panel["disaster_loss"].to_numpy()
    df["_q"] = quarter_index(df["year"], df["quarter"])
    df = df.sort_values(["household_id", "_q"], kind="stable")
    g = df.groupby("household_id", sort=False)
    roll = {c: g[c].rolling(4).sum().reset_index(level=0, drop=True) for c in ("_net", "_gross", "_oop", "_loss")}
    span = g["_q"].diff(3)
    ok = span.eq(3)
    size = df["household_id"].map(hh["household_size"]).astype(float)
    line = df["year"].astype(int).map(lambda y: float(lines[int(y)]))
    out = df[["household_id", "year", "quarter"]].copy()
    inc = np.maximum(roll["_net"] / size, 0.05 * line)
    out["log_income_ratio"] = np.log(inc / line)
    den = np.maximum(roll["_gross"], 1000.0)
    out["oop_share"] = np.minimum(roll["_oop"] / den, 3.0)
    out["disaster_share"] = np.minimum(roll["_loss"] / den, 3.0)
    h = hh.loc[out["household_id"]]
    s = h["household_size"].to_numpy(float)
    out["chronic"] = (h["n_chronic_ill"].to_numpy() > 0).astype(float)
    out["disabled"] = (h["n_disabled"].to_numpy() > 0).astype(float)
    out["elderly_share"] = h["n_elderly"].to_numpy() / s
    out["labour_share"] = h["n_labour"].to_numpy() / s
    out["poverty_alleviated"] = (h["category"].to_numpy() == "poverty_alleviated").astype(float)
    return out[ok.to_numpy()].reset_index(drop=True)


def logit_probability(features: pd.DataFrame, coefficients: Mapping[str, float] = TRUE_COEFFICIENTS) -> np.ndarray:
    """P(relapse) of the ``logit`` mode for each row of :func:`logit_features`."""
    eta = np.full(len(features), coefficients["const"])
    for k in LOGIT_FEATURES:
        eta = eta + coefficients[k] * features[k].to_numpy(float)
    return 1.0 / (1.0 + np.exp(-eta))
