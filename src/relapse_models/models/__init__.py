"""Relapse-risk models behind one scikit-learn-like API.

Every model has ``__init__(**params)``, ``fit(X, y, groups=None) -> self`` and
``predict_proba(X) -> ndarray (n, 2)``, so :mod:`relapse_models.models.evaluation` and
:mod:`relapse_models.warning.thresholds` treat them alike. ``X`` is a feature frame (see
:data:`relapse_models.outcome.features.FEATURE_COLUMNS`); ``groups`` are village ids, used for
cluster-robust standard errors (logit, hazard, vulnerability) and grouped calibration folds
(gbm). The vulnerability model also reads ``income_pc_4q`` and ``line`` from X (its outcome is
income, not the label; see :mod:`relapse_models.models.vulnerability`).
"""

from __future__ import annotations

from relapse_models.models.gbm import GBMModel
from relapse_models.models.hazard import HazardModel
from relapse_models.models.logit import LOGIT_FEATURES, LogitModel
from relapse_models.models.rule import RULE_INPUTS, IncomeRatioModel, RuleModel
from relapse_models.models.vulnerability import VULNERABILITY_FEATURES, VulnerabilityModel
from relapse_models.outcome.features import FEATURE_COLUMNS

MODELS: dict[str, type] = {
    "rule": RuleModel,
    "income_ratio": IncomeRatioModel,
    "logit": LogitModel,
    "hazard": HazardModel,
    "gbm": GBMModel,
    "vulnerability": VulnerabilityModel,
}
"""Model name (as used in config and reports) -> class."""

BASELINES: tuple[str, ...] = ("rule", "income_ratio")
"""The fair baselines every model is compared with: the official rule as counties apply it
and the income ratio alone."""

MODEL_INPUTS: dict[str, list[str]] = {
    "rule": list(RULE_INPUTS),
    "income_ratio": ["income_ratio"],
    "logit": list(LOGIT_FEATURES),
    "hazard": [*LOGIT_FEATURES],
    "gbm": list(FEATURE_COLUMNS),
    "vulnerability": [*VULNERABILITY_FEATURES, "income_pc_4q", "line", "household_id"],
}
"""The allow-list: the only columns each model is given (those present in the data). No
label-derived column (:data:`relapse_models.outcome.features.LABEL_DERIVED_COLUMNS`) is
among them; the vulnerability model reads the household id only to group its rows (within-household
variance), never as a covariate."""


def model_inputs(name: str, available: list[str] | None = None) -> list[str]:
    """The allow-listed input columns of model ``name`` (those in ``available`` if given)."""
    cols = MODEL_INPUTS[name]
    return cols if available is None else [c for c in cols if c in set(available)]


__all__ = [
    "BASELINES", "MODELS", "MODEL_INPUTS", "GBMModel", "HazardModel", "IncomeRatioModel",
    "LogitModel", "RuleModel", "VulnerabilityModel", "model_inputs",
]
