"""Discrete-time hazard: complementary log-log GLM (grouped-time proportional hazards).

If the per-quarter hazard of entering the relapse state is ``h`` with
``cloglog(h) = x'b`` and covariates are held at their quarter-``t`` values over the horizon,
the probability of relapse within ``H`` quarters is ``1 - (1 - h)^H`` and

    cloglog(P(relapse within H)) = log(H) + x'b.

So a cloglog GLM on the H-quarter label estimates the same ``b`` as a person-period hazard
model, and ``exp(b)`` are per-quarter hazard ratios; the intercept absorbs ``log(H)``.
Duration enters through ``years_since_exit`` and ``quarters_since_elimination``. Fit it on the
at-risk rows (``features.at_risk``: not in the relapse state at t) for a hazard of *entry*.
A person-period version with time-varying covariates is left for a later round.
"""

from __future__ import annotations

import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

from relapse_models.models.logit import _FormulaGLM


class HazardModel(_FormulaGLM):
    """Binomial GLM with cloglog link; cluster-robust SEs by ``groups`` (villages)."""

    def _fit_formula(self, formula: str, data: pd.DataFrame, fit_kw: dict):
        fit_kw = {k: v for k, v in fit_kw.items() if k != "disp"}
        family = sm.families.Binomial(link=sm.families.links.CLogLog())
        return smf.glm(formula, data, family=family).fit(**fit_kw)

    def hazard_ratios(self, alpha: float = 0.05) -> pd.DataFrame:
        """term, coef, se, hazard_ratio, ci_low, ci_high, p_value (per-quarter hazard ratios)."""
        return self._effects_table("hazard_ratio", alpha)
