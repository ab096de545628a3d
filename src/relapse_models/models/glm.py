"""Formula GLMs with village-clustered standard errors: the plumbing the logit and the
discrete-time hazard share (column choice, missing rows, separated and collinear columns,
the clustered fit, effect tables)."""

from __future__ import annotations

import warnings
from typing import Any, Self

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from relapse_models.outcome.features import model_columns
from relapse_models.outcome.relapse import as_float_label


def collinear_columns(X: pd.DataFrame, tol: float = 1e-8) -> list[str]:
    """Columns that are (numerically) linear combinations of the intercept and the columns
    before them, found by a QR decomposition of the standardised design: a zero on R's
    diagonal marks a column in the span of its predecessors. Such a column is not identified
    (e.g. ``ever_identified = monitored_now + eliminated_now`` where every identified
    household is one or the other) and makes the Hessian singular."""
    if X.empty or not len(X.columns):
        return []
    Z = X.to_numpy(dtype=float)
    sd = Z.std(axis=0)
    Z = (Z - Z.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    r = np.linalg.qr(np.column_stack([np.ones(len(Z)), Z]), mode="r")
    diag = np.abs(np.diag(r))[1:]
    return [c for c, d in zip(X.columns, diag, strict=True) if d < tol * np.sqrt(len(Z))]


def drop_training_data(result: Any) -> Any:
    """A fitted formula GLM without most copies of the training data (the working arrays and
    the cluster ids; the formula's frame stays, prediction evaluates the formula in it), which made the saved logit 220 MB at the default scale. Estimates, their (cluster-robust) covariance, hence
    standard errors, intervals and prediction, stay (the formula keeps the term names);
    statistics computed from residuals must be read before."""
    result.remove_data()
    inner = getattr(result, "_results", result)
    inner.cov_kwds = {k: v for k, v in (inner.cov_kwds or {}).items() if k != "groups"}
    return result


def separated_columns(X: pd.DataFrame, y: np.ndarray) -> list[str]:
    """Columns that separate the outcomes on their own, completely or quasi-completely: every
    positive lies at or below every negative (or at or above it). The coefficient's MLE is then
    infinite and the Hessian (hence the clustered covariance) singular. A small county or a
    held-out fold meets this (e.g. no household that was under monitoring relapsed, or no
    positive with an elderly member); such a column carries no estimable effect there. For a
    two-valued column this is: its less common value occurs with one outcome only."""
    values = X.to_numpy(dtype=float)
    positive = np.asarray(y) == 1
    if positive.all() or not positive.any():
        return []
    pos, neg = values[positive], values[~positive]
    below = pos.max(axis=0) <= neg.min(axis=0)
    above = pos.min(axis=0) >= neg.max(axis=0)
    return [col for col, sep in zip(X.columns, below | above, strict=True) if sep]


class FormulaGLM:
    """Shared plumbing: column choice, missing rows, constant columns, clustered fit."""

    response = "relapse"

    def __init__(
        self,
        features: list[str] | None = None,
        formula: str | None = None,
        cov_type: str = "cluster",
        maxiter: int = 100,
    ) -> None:
        self.features = features
        self.formula = formula
        self.cov_type = cov_type
        self.maxiter = maxiter

    # -- to be provided by subclasses
    def _fit_formula(self, formula: str, data: pd.DataFrame, fit_kw: dict):
        raise NotImplementedError

    def _columns(self, X: pd.DataFrame) -> list[str]:
        return model_columns(X, self.features)

    def fit(self, X: pd.DataFrame, y: ArrayLike, groups: ArrayLike | None = None) -> Self:
        """Fit on rows with complete data; constant, separated (see
        :func:`separated_columns`) and collinear columns are dropped (``dropped_``) since
        their coefficients are not identified next to the intercept and the others."""
        y = as_float_label(y)
        if self.formula is not None:
            lhs = self.formula.split("~", 1)[0].strip()
            data = X.copy()
            data[lhs] = y
            formula = self.formula
            cols = list(X.columns)
            self.dropped_ = []
        else:
            cols = self._columns(X)
            data = X[cols].astype(float).copy()
            nunique = data.nunique(dropna=True)
            self.dropped_ = [c for c in cols if nunique[c] <= 1]
            cols = [c for c in cols if c not in self.dropped_]
            complete = data[cols].notna().all(axis=1).to_numpy() & ~np.isnan(y)
            separated = separated_columns(data.loc[complete, cols], y[complete])
            self.dropped_ += separated
            cols = [c for c in cols if c not in separated]
            collinear = collinear_columns(data.loc[complete, cols])
            self.dropped_ += collinear
            cols = [c for c in cols if c not in collinear]
            data = data[cols]
            data[self.response] = y
            formula = f"{self.response} ~ " + (" + ".join(cols) if cols else "1")
        keep = data.notna().all(axis=1).to_numpy() & ~np.isnan(y)
        if groups is not None:
            g = pd.Series(np.asarray(groups))
            keep = keep & g.notna().to_numpy()
        data = data.loc[keep]
        fit_kw: dict = {"disp": False, "maxiter": self.maxiter}
        if groups is not None and self.cov_type == "cluster":
            codes = pd.factorize(np.asarray(groups)[keep])[0]
            fit_kw.update(cov_type="cluster", cov_kwds={"groups": codes})
        elif self.cov_type not in ("cluster", "nonrobust"):
            fit_kw.update(cov_type=self.cov_type)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            self.result_ = drop_training_data(self._fit_formula(formula, data, fit_kw))
        self.formula_ = formula
        self.feature_names_in_ = cols
        self.n_obs_ = int(keep.sum())
        self.clustered_ = "cov_type" in fit_kw and fit_kw["cov_type"] == "cluster"
        return self

    def _linear_predictor(self, data: pd.DataFrame) -> np.ndarray:
        """x'b for a frame of the fitted columns, straight from the coefficients: the
        formula path (patsy) builds a design copy per call and is the cost at large n."""
        params = self.result_.params
        eta = np.full(len(data), float(params.get("Intercept", 0.0)))
        for name in self.feature_names_in_:
            eta += float(params[name]) * data[name].to_numpy(dtype=float)
        return eta

    def _predict_p(self, X: pd.DataFrame) -> np.ndarray:
        if self.formula is not None:
            return np.asarray(self.result_.predict(X), dtype=float)
        eta = self._linear_predictor(X)
        return np.asarray(self.result_.model.family.link.inverse(eta), dtype=float)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Column 1: predicted probability of relapse within the horizon (NaN for rows with
        missing features)."""
        p = self._predict_p(X)
        return np.column_stack([1.0 - p, p])

    def _effects_table(self, name: str, alpha: float = 0.05) -> pd.DataFrame:
        res = self.result_
        ci = res.conf_int(alpha=alpha)
        z = stats.norm.ppf(1 - alpha / 2)
        tab = pd.DataFrame(
            {
                "term": res.params.index,
                "coef": res.params.to_numpy(),
                "se": res.bse.to_numpy(),
                name: np.exp(res.params.to_numpy()),
                "ci_low": np.exp(ci.iloc[:, 0].to_numpy()),
                "ci_high": np.exp(ci.iloc[:, 1].to_numpy()),
                "p_value": res.pvalues.to_numpy(),
            }
        )
        tab.attrs.update(alpha=alpha, z=z, clustered=self.clustered_, n_obs=self.n_obs_)
        return tab.reset_index(drop=True)
