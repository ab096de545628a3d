"""Baselines a model must beat: the official screening rule as counties apply it, and the
household's income relative to the line alone (docs/domain.md section 3).

The rule flags a household when any trigger fires (all over the last 4 quarters, as in the
features):

- ``income``: per-capita income below the line x ``income_multiple``. Counties screen the
  edge range (``monitoring.edge_multiple`` x the line), not only those already below it: an
  early warning is for households still above the line, where a 1.0 x trigger never fires;
- ``drop``: a year-on-year income drop of at least ``income_drop``;
- ``oop``: out-of-pocket medical spending at least ``oop_share`` of the income of the last
  12 months (Binzhou: 50 % of last year's income; the quarterly pull's 12-month look-back);
- ``medical_burden``: the household's out-of-pocket medical spending after the three layers
  of insurance above ``medical_burden_low_income`` yuan for low-income households
  (poverty-alleviated, dibao or under monitoring) or ``medical_burden_other`` for the others
  (Xi'an: 1万 / 2.6万);
- ``disaster``: disaster loss at least ``disaster_loss_share`` of income.

Score: the share of the enabled triggers met (0, 1/k, ..., 1). The official rule flags at
score > 0 (any trigger); higher thresholds require several triggers. Rows with unknown
income score NaN. The score is a count, not a probability: its Brier score and ECE are not
meaningful.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from relapse_models.models.logit import ModelNotFitted
from relapse_models.outcome.features import LOW_INCOME_COLUMNS, RULE_INPUTS, TRIGGER_COLUMNS
from relapse_models.outcome.relapse import as_float_label

__all__ = ["RULE_INPUTS", "TRIGGERS", "TRIGGER_COLUMNS", "IncomeRatioModel", "RuleModel",
           "rule_params"]

TRIGGERS: tuple[str, ...] = tuple(TRIGGER_COLUMNS)
"""Every trigger the rule knows, in the order of :data:`TRIGGER_COLUMNS`."""


class RuleModel:
    """Official screening rule; ``fit`` learns nothing (it checks the trigger columns).

    ``triggers``: the enabled triggers (default all of :data:`TRIGGERS`). A trigger whose
    column is absent from the data (a domain the export does not have) is left out with a
    warning and listed in ``unavailable_triggers_``; the income trigger is required.
    """

    def __init__(
        self,
        income_multiple: float = 1.5,
        income_drop: float = 0.30,
        oop_share: float = 0.50,
        medical_burden_low_income: float = 10000.0,
        medical_burden_other: float = 26000.0,
        disaster_loss_share: float = 0.30,
        triggers: list[str] | tuple[str, ...] | None = None,
    ) -> None:
        self.income_multiple = income_multiple
        self.income_drop = income_drop
        self.oop_share = oop_share
        self.medical_burden_low_income = medical_burden_low_income
        self.medical_burden_other = medical_burden_other
        self.disaster_loss_share = disaster_loss_share
        self.triggers = triggers

    def fit(
        self, X: pd.DataFrame, y: ArrayLike | None = None, groups: ArrayLike | None = None
    ) -> RuleModel:
        """No parameters to learn; checks the trigger columns exist."""
        wanted = list(TRIGGERS if self.triggers is None else self.triggers)
        unknown = [t for t in wanted if t not in TRIGGER_COLUMNS]
        if unknown:
            raise ValueError(f"rule: unknown trigger(s) {unknown}; known: {list(TRIGGERS)}")
        if "income" in wanted and TRIGGER_COLUMNS["income"] not in X.columns:
            raise KeyError(f"rule needs the feature column {TRIGGER_COLUMNS['income']!r}")
        self.unavailable_triggers_ = [t for t in wanted if TRIGGER_COLUMNS[t] not in X.columns]
        if self.unavailable_triggers_:
            warnings.warn(
                f"rule: trigger(s) {self.unavailable_triggers_} left out: the data have no "
                f"column {[TRIGGER_COLUMNS[t] for t in self.unavailable_triggers_]}",
                RuntimeWarning, stacklevel=2,
            )
        self.triggers_ = [t for t in wanted if t not in self.unavailable_triggers_]
        if not self.triggers_:
            raise ValueError("rule: no trigger left to evaluate")
        self.feature_names_in_ = [TRIGGER_COLUMNS[t] for t in self.triggers_]
        return self

    def _low_income(self, X: pd.DataFrame) -> np.ndarray:
        cols = [c for c in LOW_INCOME_COLUMNS if c in X.columns]
        if not cols:
            return np.zeros(len(X), dtype=bool)
        return (X[cols].to_numpy(dtype=float) > 0).any(axis=1)

    def triggers_met(self, X: pd.DataFrame) -> pd.DataFrame:
        """Which enabled trigger fires on each row (bool frame; a missing value never fires)."""
        c = TRIGGER_COLUMNS

        def col(name: str) -> np.ndarray:
            return X[c[name]].to_numpy(dtype=float)

        with np.errstate(invalid="ignore"):
            rules = {
                "income": lambda: col("income") < self.income_multiple,
                "drop": lambda: col("drop") >= self.income_drop,
                "oop": lambda: col("oop") >= self.oop_share,
                "medical_burden": lambda: col("medical_burden") > np.where(
                    self._low_income(X), self.medical_burden_low_income,
                    self.medical_burden_other),
                "disaster": lambda: col("disaster") >= self.disaster_loss_share,
            }
            return pd.DataFrame({t: rules[t]() for t in self.triggers_}, index=X.index)


    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Column 1: share of triggers met; column 0: one minus it. NaN where income is
        unknown (incomplete 4-quarter window): such a household cannot be screened."""
        s = self.triggers_met(X).to_numpy().mean(axis=1)
        s[np.isnan(X[TRIGGER_COLUMNS["income"]].to_numpy(float))] = np.nan
        return np.column_stack([1.0 - s, s])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The official decision: flag when any trigger fires."""
        return self.triggers_met(X).to_numpy().any(axis=1)


class IncomeRatioModel:
    """One-variable baseline: rank households by income relative to the line (lower = more
    at risk). The probability is a one-variable logit in ``ln(income / line)`` (floored at
    ``floor``) fitted on the training rows, so observed/expected and the Brier score can be
    read; the ranking is that of the income ratio whenever the slope is negative (checked:
    ``slope_`` is kept and a non-negative slope is an error, since the baseline then ranks
    the wrong way round: not fitted)."""

    column = "income_ratio"

    def __init__(self, floor: float = 0.05) -> None:
        self.floor = floor

    def _x(self, X: pd.DataFrame) -> np.ndarray:
        r = X[self.column].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            return np.log(np.maximum(r, self.floor))

    def fit(
        self, X: pd.DataFrame, y: ArrayLike, groups: ArrayLike | None = None
    ) -> IncomeRatioModel:
        """Logit of the label on ``ln(income ratio)`` (statsmodels GLM, binomial)."""
        import statsmodels.api as sm

        if self.column not in X.columns:
            raise KeyError(f"income_ratio baseline needs the feature column {self.column!r}")
        x = self._x(X)
        yy = as_float_label(y)
        keep = ~np.isnan(x) & ~np.isnan(yy)
        if not keep.any() or yy[keep].min() == yy[keep].max():
            raise ModelNotFitted("income_ratio baseline: the training rows hold one outcome only")
        res = sm.GLM(yy[keep], sm.add_constant(x[keep]), family=sm.families.Binomial()).fit()
        self.intercept_, self.slope_ = (float(v) for v in np.asarray(res.params))
        if not self.slope_ < 0:
            raise ModelNotFitted(
                f"income_ratio baseline: slope {self.slope_:.3g} >= 0 on the training rows "
                "(risk does not fall with income there): it cannot serve as a baseline"
            )
        self.feature_names_in_ = [self.column]
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Column 1: the fitted probability (NaN where income is unknown)."""
        eta = self.intercept_ + self.slope_ * self._x(X)
        p = 1.0 / (1.0 + np.exp(-eta))
        return np.column_stack([1.0 - p, p])


def rule_params(config: dict) -> dict:
    """:class:`RuleModel` parameters from a run's config: the ``rule`` section, with
    ``income_multiple: null`` meaning the edge range (``monitoring.edge_multiple``)."""
    params = dict(config["rule"])
    if params.get("income_multiple") is None:
        params["income_multiple"] = float(config["monitoring"]["edge_multiple"])
    return params
