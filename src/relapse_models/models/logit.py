"""Logistic regression with village-clustered inference (see :mod:`relapse_models.models.glm`
for the inference by number of clusters and the handling of degenerate fits)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

from relapse_models.models.glm import (
    CR1_MIN_CLUSTERS,
    LOGIT_FEATURES,
    MIN_CLUSTERS,
    PENALTY_C,
    FormulaGLM,
    ModelNotFitted,
    collinear_columns,
    cr2_covariance,
    separated_columns,
    separation_direction,
)

__all__ = ["CR1_MIN_CLUSTERS", "LOGIT_FEATURES", "MIN_CLUSTERS", "LogitModel", "ModelNotFitted",
           "collinear_columns", "cr2_covariance", "separated_columns", "separation_direction"]


class LogitModel(FormulaGLM):
    """statsmodels ``logit`` (formula API); cluster-robust SEs by ``groups`` (villages).

    Parameters: ``features`` (default: every :data:`LOGIT_FEATURES` column present in X),
    or a full ``formula`` (its left-hand side names the response), ``cov_type``
    (``"cluster"`` when groups are given, else the model-based covariance), ``maxiter``.
    """

    def _penalised(self, Z: np.ndarray, y: np.ndarray) -> np.ndarray:
        from sklearn.linear_model import LogisticRegression

        mean, sd = Z.mean(axis=0), Z.std(axis=0)
        sd = np.where(sd > 0, sd, 1.0)
        m = LogisticRegression(C=PENALTY_C, max_iter=1000).fit((Z - mean) / sd, y.astype(int))
        b = m.coef_[0] / sd
        return np.concatenate([[m.intercept_[0] - float(b @ mean)], b])

    def _fit_formula(self, formula: str, data: pd.DataFrame, fit_kw: dict):
        # the binomial GLM (IRLS) gives the logit MLE but survives near-separation, which a
        # small county or a held-out fold meets, where Newton's Hessian turns singular
        return smf.glm(formula, data, family=sm.families.Binomial()).fit(**fit_kw)

    def odds_ratios(self, alpha: float = 0.05) -> pd.DataFrame:
        """term, coef, se, odds_ratio, ci_low, ci_high (odds-ratio scale), p_value."""
        return self._effects_table("odds_ratio", alpha)
