"""Formula GLMs (the logit and the hazard) with village-clustered inference that holds with
few clusters.

The models researchers publish: coefficients as odds (or hazard) ratios with 95 % intervals whose standard
errors allow for correlation within villages (shared shocks, shared cadres). The fitted
statsmodels Results object is kept in ``result_`` (``summary()`` works as usual); the
published table (``odds_ratios``, ``hazard_ratios``) uses the covariance chosen by the number of
clusters (``inference_``):

- at least :data:`CR1_MIN_CLUSTERS` villages: the usual cluster-robust covariance (CR1,
  statsmodels), normal reference;
- from :data:`MIN_CLUSTERS` up to that: the bias-reduced CR2 covariance (Bell & McCaffrey
  2002; Pustejovsky & Tipton 2018) with a t reference on G - 1 degrees of freedom, since CR1
  is too small with few clusters (Cameron & Miller 2015, J. Human Resources 50(2));
- fewer: no interval (withheld, with the reason).

Degenerate fits are caught, not printed: a linear programme looks for a direction that
separates the outcomes (complete or quasi-complete separation in any combination of columns,
Konis 2007; not solved when the fit's own probabilities prove that none exists, see
:func:`overlap_proven`), and fitted probabilities at 0 or 1, a fit that
did not converge or a coefficient beyond :data:`UNSTABLE_COEF` on the standardised scale mark
the maximum-likelihood fit as degenerate. The model then falls back to an L2-penalised fit
(scikit-learn, standardised columns), records the warning in ``warnings_`` and withholds the
intervals (a penalised estimate has no Wald interval). A model with no estimable column left
raises :class:`ModelNotFitted`: it is reported as not fitted, never scored with a constant.
"""

from __future__ import annotations

import warnings
from typing import Any, Self

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from relapse_models.outcome.features import FEATURE_COLUMNS, model_columns
from relapse_models.outcome.relapse import as_float_label

LOGIT_FEATURES: list[str] = [c for c in FEATURE_COLUMNS if c != "income_ratio"]
"""The logit's and hazard's inputs: every feature but ``income_ratio``, which would enter
twice next to ``log_income_ratio`` (the risk is a power of the ratio)."""

CR1_MIN_CLUSTERS = 50
"""Fewest clusters for the plain cluster-robust (CR1) covariance; below it, CR2 with t(G-1)."""

MIN_CLUSTERS = 5
"""Fewest clusters for any clustered interval: below it intervals are withheld."""

UNSTABLE_COEF = 15.0
"""A coefficient beyond this many standard deviations of its column per log-odds unit (or a
standard error beyond it) marks an unstable estimate: flagged, its odds ratio not shown."""

PENALTY_C = 1.0
"""Inverse L2 strength of the fallback fit (scikit-learn ``C``, standardised columns)."""


class ModelNotFitted(RuntimeError):
    """A model that could not be estimated on the data given (reported, never scored)."""


def _separation_matrix(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``A`` of the separation programme: each row's standardised columns (intercept first),
    signed by its outcome, so that ``A b >= 0`` on every row is a separating ``b``."""
    Z = np.asarray(X, dtype=float)
    sd = Z.std(axis=0)
    Z = (Z - Z.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    Z = np.column_stack([np.ones(len(Z)), Z])
    sign = np.where(np.asarray(y) == 1, 1.0, -1.0)
    return sign[:, None] * Z


def separation_direction(X: np.ndarray, y: np.ndarray, tol: float = 1e-7) -> np.ndarray | None:
    """A direction ``b`` (intercept first) with ``x_i'b >= 0`` for every positive and
    ``<= 0`` for every negative, not zero on every row, if one exists: then the outcomes are
    (quasi-)completely separated by a combination of the columns and the logit's MLE does
    not exist. Found by a linear programme (scipy HiGHS) on standardised columns; ``None``
    when the data overlap."""
    from scipy.optimize import linprog

    A = _separation_matrix(X, y)  # separation: A b >= 0 for every row, sum(A b) > 0
    res = linprog(-A.sum(axis=0), A_ub=-A, b_ub=np.zeros(len(A)),
                  bounds=[(-1, 1)] * A.shape[1], method="highs")
    if res.status != 0 or -res.fun <= tol * len(A):
        return None
    return res.x


def overlap_proven(X: np.ndarray, y: np.ndarray, weights: np.ndarray, tol: float = 1e-7) -> bool:
    """True when ``weights`` prove that :func:`separation_direction` (same ``tol``) finds no
    direction, so that its linear programme need not be solved.

    Stiemke's alternative: for weights ``w > 0`` on every row and any ``b`` of the programme
    (``A b >= 0``, ``|b| <= 1``), ``sum(A b) <= w'A b / min(w) = (A'w)'b / min(w) <=
    |A'w|_1 / min(w)``. The logit's fitted probabilities give such weights,
    ``w = |y - mu|``: at the maximum-likelihood estimate the score ``A'w`` is zero, which
    exists only when the outcomes overlap. ``A'w`` is summed in extended precision and its
    worst-case rounding added to the bound, which must stay under half the programme's
    threshold ``tol * n`` (the other half: room for the solver's own tolerances). False
    (solve the programme) whenever the bound is not met."""
    A = _separation_matrix(X, y)
    w = np.asarray(weights, dtype=float)
    if not len(A) or w.shape != (len(A),) or not (np.isfinite(w) & (w > 0)).all():
        return False
    wide = np.longdouble
    unit = np.finfo(wide).eps / 2  # unit roundoff of the sums below
    n = len(A)
    if n * unit >= 0.5:
        return False
    score = A.astype(wide).T @ w.astype(wide)
    rounding = n * unit / (1 - n * unit) * (np.abs(A).astype(wide).T @ w.astype(wide))
    bound = float((np.abs(score).sum() + 2 * rounding.sum()) / wide(w.min()))
    return bound <= 0.5 * tol * n


def cr2_covariance(
    X: np.ndarray, w: np.ndarray, resid: np.ndarray, codes: np.ndarray
) -> np.ndarray:
    """Bias-reduced (CR2) cluster-robust covariance of a GLM with working weights ``w``
    (``mu (1 - mu)`` for the logit) and response residuals ``y - mu``: the sandwich with each
    cluster's scores adjusted by ``(I - H_gg)^{-1/2}``, ``H_gg`` the cluster's block of the
    weighted hat matrix (Bell & McCaffrey 2002). Computed per cluster from a thin SVD of its
    ``n_g x k`` block, so the cost is linear in the rows."""
    Xw = X * np.sqrt(w)[:, None]
    bread = np.linalg.pinv(Xw.T @ Xw)
    lam, Q = np.linalg.eigh(bread)
    root = Q * np.sqrt(np.clip(lam, 0.0, None))  # root @ root.T = bread
    u = resid / np.sqrt(np.where(w > 0, w, 1.0))  # scores are Xw * u
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order], prepend=-1, append=-2))
    meat = np.zeros_like(bread)
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        rows = order[lo:hi]
        Xg, ug = Xw[rows], u[rows]
        U, sv, _ = np.linalg.svd(Xg @ root, full_matrices=False)  # H_gg = U diag(sv^2) U'
        lev = np.clip(sv**2, 0.0, 1.0 - 1e-12)
        # (I - H_gg)^{-1/2} u = u + U ((1 - lev)^{-1/2} - 1) U'u
        adj = ug + U @ (((1.0 - lev) ** -0.5 - 1.0) * (U.T @ ug))
        sg = Xg.T @ adj
        meat += np.outer(sg, sg)
    return bread @ meat @ bread


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
    """Shared plumbing: column choice, missing rows, degenerate columns and fits, inference
    by the number of clusters."""

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

    def _penalised(self, Z: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Coefficients (intercept first) of the L2-penalised fallback on ``Z``."""
        raise NotImplementedError

    def _columns(self, X: pd.DataFrame) -> list[str]:
        if self.features is not None:
            return model_columns(X, self.features)
        return model_columns(X, [c for c in LOGIT_FEATURES if c in X.columns])

    def fit(self, X: pd.DataFrame, y: ArrayLike, groups: ArrayLike | None = None) -> Self:
        """Fit on rows with complete data; constant, separated (see
        :func:`separated_columns`) and collinear columns are dropped (``dropped_``) since
        their coefficients are not identified next to the intercept and the others. A
        combination of columns that separates the outcomes, or a degenerate fit, switches to
        the penalised fallback (``penalised_``, ``warnings_``); nothing left to estimate
        raises :class:`ModelNotFitted`."""
        y = as_float_label(y)
        self.warnings_: list[str] = []
        self.penalised_ = False
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
            complete = data.notna().all(axis=1).to_numpy() & ~np.isnan(y)
            if not complete.any():
                raise ModelNotFitted("no training row with a known label and complete inputs")
            yc = y[complete]
            if yc.min() == yc.max():
                raise ModelNotFitted(
                    f"every training row has the same outcome ({int(yc[0])}): nothing to fit")
            nunique = data.loc[complete].nunique(dropna=True)
            self.dropped_ = [c for c in cols if nunique[c] <= 1]
            cols = [c for c in cols if c not in self.dropped_]
            separated = separated_columns(data.loc[complete, cols], yc)
            self.dropped_ += separated
            if separated:
                self.warnings_.append(
                    f"column(s) {separated} separate the outcomes on their own: left out")
            cols = [c for c in cols if c not in separated]
            collinear = collinear_columns(data.loc[complete, cols])
            self.dropped_ += collinear
            cols = [c for c in cols if c not in collinear]
            if not cols:
                raise ModelNotFitted(
                    f"no estimable column left (dropped: {self.dropped_}): a model of the "
                    "intercept alone would give every household the same score")
            data = data[cols]
            data[self.response] = y
            formula = f"{self.response} ~ " + " + ".join(cols)
        keep = data.notna().all(axis=1).to_numpy() & ~np.isnan(y)
        if groups is not None:
            g = pd.Series(np.asarray(groups))
            keep = keep & g.notna().to_numpy()
        data = data.loc[keep]
        codes = None if groups is None else pd.factorize(np.asarray(groups)[keep])[0]
        n_clusters = None if codes is None else int(codes.max()) + 1
        self.feature_names_in_ = cols
        self.formula_ = formula
        self.n_obs_ = int(keep.sum())
        self.n_clusters_ = n_clusters
        fit_kw: dict = {"disp": False, "maxiter": self.maxiter}
        if codes is not None and self.cov_type == "cluster" and n_clusters >= CR1_MIN_CLUSTERS:
            fit_kw.update(cov_type="cluster", cov_kwds={"groups": codes})
        result, separated = None, None
        if self.formula is None:
            # the fit first: where the outcomes overlap its probabilities prove it (see
            # overlap_proven) and the separation programme, costly on many rows, is not solved;
            # otherwise the programme decides, as it would alone (a fit that failed is redone
            # below, where its error is raised)
            Z, yz = data[cols].to_numpy(float), data[self.response].to_numpy(float)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    result = self._fit_formula(formula, data, fit_kw)
                    weights = np.abs(yz - np.asarray(result.fittedvalues, dtype=float))
            except Exception:  # any failure: the programme decides first
                result = None
            if result is None or not overlap_proven(Z, yz, weights):
                separated = separation_direction(Z, yz)
        if separated is not None:
            big = [c for c, b in zip(cols, separated[1:], strict=True) if abs(b) > 1e-6]
            self.warnings_.append(
                f"quasi-complete separation by a combination of {big}: the maximum-likelihood "
                "estimate does not exist; L2-penalised fit, intervals withheld")
            return self._fit_penalised(data, cols)
        if result is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = self._fit_formula(formula, data, fit_kw)
        problem = self._degenerate(result)
        if problem and self.formula is None:
            self.warnings_.append(f"degenerate maximum-likelihood fit ({problem}): "
                                  "L2-penalised fit, intervals withheld")
            return self._fit_penalised(data, cols)
        self.params_ = result.params
        self._set_inference(result, data, codes)
        self.result_ = drop_training_data(result)
        self.clustered_ = self.inference_["method"] in ("CR1", "CR2")
        return self

    def _degenerate(self, result: Any) -> str:
        """Why a maximum-likelihood fit cannot be trusted ('' when it can)."""
        mu = np.asarray(result.fittedvalues, dtype=float)
        if not getattr(result, "converged", True):
            return "did not converge"
        if not np.isfinite(np.asarray(result.params)).all():
            return "non-finite coefficients"
        if np.any((mu < 1e-10) | (mu > 1 - 1e-10)):
            return "fitted probabilities at 0 or 1"
        sd = np.asarray(result.model.exog, dtype=float).std(axis=0)
        std_coef = np.abs(np.asarray(result.params, dtype=float) * sd)  # 0 for the intercept
        if len(std_coef) and np.nanmax(std_coef) > UNSTABLE_COEF:
            return "a coefficient beyond the stable range"
        return ""

    def _fit_penalised(self, data: pd.DataFrame, cols: list[str]) -> Self:
        Z = data[cols].to_numpy(float)
        b = self._penalised(Z, data[self.response].to_numpy(float))
        self.params_ = pd.Series(b, index=["Intercept", *cols])
        self.penalised_ = True
        self.result_ = None
        self.cov_ = None
        self.clustered_ = False
        self.inference_ = {"method": "none", "n_clusters": self.n_clusters_, "df": None,
                           "note": "penalised fit: no interval"}
        return self

    def _set_inference(self, result: Any, data: pd.DataFrame, codes: np.ndarray | None) -> None:
        """The covariance and reference distribution by the number of clusters."""
        names = list(result.params.index)
        g = self.n_clusters_
        if codes is None or self.cov_type != "cluster":
            self.cov_ = np.asarray(result.cov_params())
            self.inference_ = {"method": "model-based", "n_clusters": g, "df": None,
                               "note": "rows assumed independent (no clusters given)"}
        elif g < MIN_CLUSTERS:
            self.cov_ = None
            self.inference_ = {"method": "none", "n_clusters": g, "df": None,
                               "note": f"{g} village cluster(s), fewer than {MIN_CLUSTERS}: "
                                       "no valid clustered interval, withheld"}
        else:
            X = np.asarray(result.model.exog, dtype=float)
            mu = np.asarray(result.fittedvalues, dtype=float)
            yv = np.asarray(result.model.endog, dtype=float)
            if g >= CR1_MIN_CLUSTERS:
                self.cov_ = np.asarray(result.cov_params())
                self.inference_ = {"method": "CR1", "n_clusters": g, "df": None,
                                   "note": f"cluster-robust by village ({g} clusters)"}
            else:
                w, resid = self._working(result, mu, yv)
                self.cov_ = cr2_covariance(X, w, resid, codes)
                self.inference_ = {"method": "CR2", "n_clusters": g, "df": g - 1,
                                   "note": f"{g} village clusters (< {CR1_MIN_CLUSTERS}): "
                                           f"CR2 small-sample covariance, t({g - 1})"}
        self.cov_names_ = names

    def _working(self, result: Any, mu: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """IRLS weights and the response residuals on the linear-predictor scale."""
        link = result.model.family.link
        dmu = 1.0 / np.asarray(link.deriv(mu), dtype=float)  # d mu / d eta
        var = np.asarray(result.model.family.variance(mu), dtype=float)
        w = dmu**2 / np.where(var > 0, var, 1e-300)
        # score_i = x_i (y - mu) dmu / var = x_i sqrt(w) * [(y - mu) sqrt(w) / dmu]
        resid = (y - mu) * w / np.where(dmu != 0, dmu, 1e-300)
        return w, resid

    def _linear_predictor(self, data: pd.DataFrame) -> np.ndarray:
        """x'b for a frame of the fitted columns, straight from the coefficients: the
        formula path (patsy) builds a design copy per call and is the cost at large n."""
        params = self.params_
        eta = np.full(len(data), float(params.get("Intercept", 0.0)))
        for name in self.feature_names_in_:
            eta += float(params[name]) * data[name].to_numpy(dtype=float)
        return eta

    def _predict_p(self, X: pd.DataFrame) -> np.ndarray:
        if self.formula is not None:
            return np.asarray(self.result_.predict(X), dtype=float)
        eta = self._linear_predictor(X)
        return np.asarray(self._inverse_link(eta), dtype=float)

    def _inverse_link(self, eta: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-eta))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Column 1: predicted probability of relapse within the horizon (NaN for rows with
        missing features)."""
        p = self._predict_p(X)
        return np.column_stack([1.0 - p, p])

    def _effects_table(self, name: str, alpha: float = 0.05) -> pd.DataFrame:
        """term, coef, se, effect, ci_low, ci_high, p_value, flag: intervals from the
        covariance of ``inference_`` (withheld: NaN, with the reason in ``attrs``); a term
        whose estimate is unstable is flagged and its effect not given."""
        params = self.params_
        coef = params.to_numpy(dtype=float)
        terms = list(params.index)
        df = self.inference_.get("df")
        crit = stats.t.ppf(1 - alpha / 2, df) if df else stats.norm.ppf(1 - alpha / 2)
        if self.cov_ is not None:
            se = np.sqrt(np.clip(np.diag(self.cov_), 0, None))
            with np.errstate(divide="ignore", invalid="ignore"):
                tstat = coef / se
            pval = 2 * (stats.t.sf(np.abs(tstat), df) if df else stats.norm.sf(np.abs(tstat)))
        else:
            se = np.full(len(coef), np.nan)
            pval = np.full(len(coef), np.nan)
        flag = np.where(self.penalised_, "penalised", "")
        flag = np.full(len(coef), str(flag), dtype=object)
        unstable = (~np.isfinite(coef)) | (np.abs(coef) > UNSTABLE_COEF) | (se > UNSTABLE_COEF)
        unstable &= np.array([t != "Intercept" for t in terms]) | ~np.isfinite(coef)
        flag[unstable] = "unstable"
        effect = np.where(unstable, np.nan, np.exp(coef))
        lo = np.where(unstable, np.nan, np.exp(coef - crit * se))
        hi = np.where(unstable, np.nan, np.exp(coef + crit * se))
        tab = pd.DataFrame({"term": terms, "coef": coef, "se": se, name: effect,
                            "ci_low": lo, "ci_high": hi, "p_value": pval, "flag": flag})
        tab.attrs.update(alpha=alpha, clustered=self.clustered_, n_obs=self.n_obs_,
                         inference=dict(self.inference_), warnings=list(self.warnings_))
        return tab.reset_index(drop=True)

    def fit_report(self) -> dict[str, Any]:
        """What models.json records of the fit: inference, warnings, dropped columns."""
        return {"fitted": True, "penalised": bool(self.penalised_),
                "inference": dict(self.inference_), "warnings": list(self.warnings_),
                "dropped": list(self.dropped_), "n_obs": int(self.n_obs_)}
