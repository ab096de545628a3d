"""Logistic regression with cluster-robust standard errors by village (statsmodels).

The model researchers publish: coefficients as odds ratios with 95 % intervals whose standard
errors allow for correlation within villages (shared shocks, shared cadres). The fitted
statsmodels Results object is kept in ``result_`` so ``summary()``, ``conf_int()`` and
``summary_col`` work as usual.
"""

from __future__ import annotations

import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

from relapse_models.models.glm import FormulaGLM


class LogitModel(FormulaGLM):
    """statsmodels ``logit`` (formula API); cluster-robust SEs by ``groups`` (villages).

    Parameters: ``features`` (default: every :data:`FEATURE_COLUMNS` column present in X),
    or a full ``formula`` (its left-hand side names the response), ``cov_type``
    (``"cluster"`` when groups are given, else the model-based covariance), ``maxiter``.
    """

    def _fit_formula(self, formula: str, data: pd.DataFrame, fit_kw: dict):
        # the binomial GLM (IRLS) gives the logit MLE but survives near-separation, which a
        # small county or a held-out fold meets, where Newton's Hessian turns singular
        return smf.glm(formula, data, family=sm.families.Binomial()).fit(**fit_kw)

    def odds_ratios(self, alpha: float = 0.05) -> pd.DataFrame:
        """term, coef, se, odds_ratio, ci_low, ci_high (odds-ratio scale), p_value."""
        return self._effects_table("odds_ratio", alpha)
