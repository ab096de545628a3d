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
from relapse_models.models.logit import LogitModel
from relapse_models.models.rule import RuleModel
from relapse_models.models.vulnerability import VulnerabilityModel

MODELS: dict[str, type] = {
    "rule": RuleModel,
    "logit": LogitModel,
    "hazard": HazardModel,
    "gbm": GBMModel,
    "vulnerability": VulnerabilityModel,
}
"""Model name (as used in config and reports) -> class."""

__all__ = ["MODELS", "GBMModel", "HazardModel", "LogitModel", "RuleModel", "VulnerabilityModel"]
