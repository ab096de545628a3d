"""Relapse-risk models behind one scikit-learn-like API.

Every model has ``__init__(**params)``, ``fit(X, y, groups=None) -> self`` and
``predict_proba(X) -> ndarray (n, 2)``, so :mod:`relapse_models.evaluate` and
:mod:`relapse_models.thresholds` treat them alike. ``X`` is a feature frame (see
:data:`relapse_models.features.FEATURE_COLUMNS`); ``groups`` are village ids, used for
cluster-robust standard errors (logit, hazard) and grouped calibration folds (gbm).
"""

from __future__ import annotations

from relapse_models.models.gbm import GBMModel
from relapse_models.models.hazard import HazardModel
from relapse_models.models.logit import LogitModel
from relapse_models.models.rule import RuleModel

MODELS: dict[str, type] = {
    "rule": RuleModel,
    "logit": LogitModel,
    "hazard": HazardModel,
    "gbm": GBMModel,
}
"""Model name (as used in config and reports) -> class."""

__all__ = ["MODELS", "GBMModel", "HazardModel", "LogitModel", "RuleModel"]
