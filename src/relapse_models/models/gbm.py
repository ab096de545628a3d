"""Gradient boosting (scikit-learn HistGradientBoostingClassifier) with calibration.

Boosted trees rank well but their raw probabilities are often off; counties use the
probability to size visit loads, so it is calibrated with ``CalibratedClassifierCV``. The
calibration rows are grouped by ``groups`` (villages) when given, so a village is never both
in the trees' training part and the calibration part. Missing feature values are handled by
the trees natively.

Cost and honesty (``cv=1``, the default): the villages are split three ways. The trees are
grown on the first part; boosting stops when the log-loss on the second part (other
villages) has not improved for ``n_iter_no_change`` rounds; the sigmoid is fitted on the
third part (``calibration_share`` of the villages), which neither grew nor stopped the
trees. Stopping on held-out *villages* matters: a random row split puts the same households
on both sides, so its loss keeps falling while the trees learn households, not risk. With
``refit`` the trees are grown again, as many rounds, on the first two parts (never on the
calibration villages). With ``cv=k >= 2`` it is the classic k-fold ``CalibratedClassifierCV``
ensemble (k tree fits; early stopping, if on, on random rows).

The tree settings are hyper-parameters: the model stage chooses them among
:data:`GBM_GRID` on the tuning year (:func:`relapse_models.stages.fit.tune`), never on the
test year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import (
    GroupKFold,
    GroupShuffleSplit,
    StratifiedKFold,
    StratifiedShuffleSplit,
)

from relapse_models.models.logit import ModelNotFitted
from relapse_models.outcome.features import model_columns
from relapse_models.outcome.relapse import as_float_label

GBM_GRID: tuple[dict, ...] = (
    {"max_leaf_nodes": 8, "min_samples_leaf": 200, "l2_regularization": 1.0},
    {"max_leaf_nodes": 16, "min_samples_leaf": 100, "l2_regularization": 10.0},
    {"max_leaf_nodes": 31, "min_samples_leaf": 50, "l2_regularization": 10.0},
)
"""Tree settings the tuning year chooses among (small to large trees)."""


MIN_ROWS_PER_CLASS = 2
"""Fewest rows of each class the trees and the calibrator need; fewer (a small county's held-out
villages with no relapse) and the model is reported not fitted, never scored."""


def _check_both_classes(y: np.ndarray, rows: np.ndarray, what: str) -> None:
    counts = np.bincount(y[rows], minlength=2) if len(rows) else np.zeros(2, int)
    if counts.min() < MIN_ROWS_PER_CLASS:
        raise ModelNotFitted(
            f"gbm: {what} would see {int(counts[1])} relapse and {int(counts[0])} other rows "
            f"(at least {MIN_ROWS_PER_CLASS} of each needed): too few villages or cases")


class GBMModel:
    """Calibrated HistGradientBoostingClassifier.

    ``calibration``: ``"sigmoid"`` (default), ``"isotonic"`` or ``"auto"`` (isotonic when the
    training data has at least ``isotonic_min_positives`` positives). Sigmoid is the default
    because it is strictly monotone: it keeps the boosting ranking, whereas isotonic maps
    whole score ranges to one value, and those ties (a fifth of all rows at p = 1 in a
    high-prevalence test) leave no threshold that fits a visit capacity. ``cv``: 1 (default)
    for one fit of the trees and a held-out ``calibration_share`` of villages for the
    calibration, or the number of calibration folds. ``early_stopping``: stop adding trees
    when the log-loss on the held-out villages (``cv=1``; with ``cv >= 2`` on
    ``validation_fraction`` of random training rows) has not improved for
    ``n_iter_no_change`` iterations (``max_iter`` is then an upper bound).
    """

    def __init__(
        self,
        features: list[str] | None = None,
        max_iter: int = 500,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 16,
        min_samples_leaf: int = 100,
        l2_regularization: float = 10.0,
        calibration: str = "sigmoid",
        isotonic_min_positives: int = 1000,
        cv: int = 1,
        calibration_share: float = 0.2,
        early_stopping: bool = True,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 20,
        refit: bool = True,
        random_state: int = 0,
    ) -> None:
        self.features = features
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.calibration = calibration
        self.isotonic_min_positives = isotonic_min_positives
        self.cv = cv
        self.calibration_share = calibration_share
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.refit = refit
        self.random_state = random_state

    def _columns(self, X: pd.DataFrame) -> list[str]:
        return model_columns(X, self.features)

    def fit(self, X: pd.DataFrame, y: ArrayLike, groups: ArrayLike | None = None) -> GBMModel:
        """Fit on rows with a known label; calibration folds grouped by ``groups``."""
        cols = self._columns(X)
        y = as_float_label(y)
        keep = ~np.isnan(y)
        Xa = X[cols].to_numpy(dtype=float)[keep]
        ya = y[keep].astype(int)
        method = self.calibration
        if method == "auto":
            method = "isotonic" if ya.sum() >= self.isotonic_min_positives else "sigmoid"
        base = HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=self.early_stopping,
            validation_fraction=self.validation_fraction,
            n_iter_no_change=self.n_iter_no_change,
            random_state=self.random_state,
        )
        g = None if groups is None else np.asarray(groups)[keep]
        if self.cv <= 1:
            fit_rows, cal_rows = self._split(Xa, ya, g, np.arange(len(ya)), self.calibration_share)
            _check_both_classes(ya, fit_rows, "the trees")
            _check_both_classes(ya, cal_rows, "the calibrator (villages held out from the trees)")
            if self.early_stopping:  # stop on other held-out villages, not on random rows
                share = self.calibration_share / max(1.0 - self.calibration_share, 1e-9)
                grow, stop = self._split(Xa, ya, g, fit_rows, share)
                base.set_params(early_stopping=True, scoring="loss")
                base.fit(Xa[grow], ya[grow], X_val=Xa[stop], y_val=ya[stop])
            else:
                base.fit(Xa[fit_rows], ya[fit_rows])
            if self.refit:  # the same number of rounds on every row but the calibration part
                base = clone(base).set_params(max_iter=base.n_iter_, early_stopping=False)
                base.fit(Xa[fit_rows], ya[fit_rows])
            self.estimator_ = CalibratedClassifierCV(FrozenEstimator(base), method=method).fit(
                Xa[cal_rows], ya[cal_rows]
            )
            self.n_iter_ = [int(base.n_iter_)]
            self.n_calibration_rows_ = int(len(cal_rows))
        else:
            if g is not None:
                n_splits = min(self.cv, len(np.unique(g)))
                splits = list(GroupKFold(n_splits=n_splits).split(Xa, ya, g))
            else:
                skf = StratifiedKFold(
                    n_splits=self.cv, shuffle=True, random_state=self.random_state
                )
                splits = list(skf.split(Xa, ya))
            self.estimator_ = CalibratedClassifierCV(base, method=method, cv=splits).fit(Xa, ya)
            self.n_iter_ = [
                int(c.estimator.n_iter_) for c in self.estimator_.calibrated_classifiers_
            ]
        self.calibration_method_ = method
        self.feature_names_in_ = cols
        return self

    def _split(
        self, Xa: np.ndarray, ya: np.ndarray, g: np.ndarray | None, rows: np.ndarray,
        share: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``rows`` split into (kept, held out ``share``): by village when ``g`` is given,
        else stratified by outcome."""
        if g is not None:
            split = GroupShuffleSplit(n_splits=1, test_size=share,
                                      random_state=self.random_state).split(
                Xa[rows], ya[rows], g[rows])
        else:
            split = StratifiedShuffleSplit(n_splits=1, test_size=share,
                                           random_state=self.random_state).split(
                Xa[rows], ya[rows])
        a, b = next(split)
        return rows[a], rows[b]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of relapse within the horizon in column 1."""
        return self.estimator_.predict_proba(X[self.feature_names_in_].to_numpy(dtype=float))

    def permutation_importance(
        self, X: pd.DataFrame, y: ArrayLike, n_repeats: int = 5, scoring: str = "roc_auc"
    ) -> pd.DataFrame:
        """Risk drivers: drop in ``scoring`` when a feature is shuffled (mean, sd)."""
        from sklearn.inspection import permutation_importance

        y = as_float_label(y)
        keep = ~np.isnan(y)
        r = permutation_importance(
            self.estimator_,
            X[self.feature_names_in_].to_numpy(dtype=float)[keep],
            y[keep].astype(int),
            n_repeats=n_repeats,
            scoring=scoring,
            random_state=self.random_state,
        )
        tab = pd.DataFrame(
            {
                "feature": self.feature_names_in_,
                "importance": r.importances_mean,
                "sd": r.importances_std,
            }
        )
        return tab.sort_values("importance", ascending=False, ignore_index=True)

    def partial_dependence(
        self,
        X: pd.DataFrame,
        features: list[str],
        grid_resolution: int = 20,
        percentiles: tuple[float, float] = (0.05, 0.95),
        max_rows: int | None = 20000,
    ) -> pd.DataFrame:
        """How the average calibrated risk moves with one feature, the others as observed
        (sklearn's brute-force partial dependence): feature, grid_value, value.
        ``max_rows`` rows are drawn (seeded) to bound the cost (grid x rows predictions)."""
        from sklearn.inspection import partial_dependence

        Xa = X[self.feature_names_in_]
        if max_rows is not None and len(Xa) > max_rows:
            Xa = Xa.sample(max_rows, random_state=self.random_state)
        Xa = Xa.to_numpy(dtype=float)
        parts = []
        for name in features:
            pd_ = partial_dependence(
                self.estimator_,
                Xa,
                [self.feature_names_in_.index(name)],
                response_method="predict_proba",
                grid_resolution=grid_resolution,
                percentiles=percentiles,
                kind="average",
            )
            parts.append(
                pd.DataFrame(
                    {
                        "feature": name,
                        "grid_value": pd_["grid_values"][0],
                        "value": pd_["average"][0],
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)

    def risk_drivers(
        self,
        X: pd.DataFrame,
        y: ArrayLike,
        top: int = 6,
        n_repeats: int = 5,
        grid_resolution: int = 20,
        max_rows: int | None = 20000,
        pdp_rows: int | None = 2000,
    ) -> pd.DataFrame:
        """Tidy drivers table: permutation importance of every feature (drop in ROC-AUC,
        ``value`` with ``sd``) and partial dependence of the ``top`` most important (average
        risk ``value`` at ``grid_value``). Columns: method, feature, rank, grid_value, value,
        sd; ``rank`` is the feature's importance rank (1 = largest) in both parts. At most
        ``max_rows`` rows (a seeded sample) are used for the importance and ``pdp_rows`` of
        them for the partial dependence (an average of probabilities, precise to about
        0.5 / sqrt(pdp_rows)): the cost is max_rows x features x repeats + pdp_rows x top x
        grid predictions, fixed whatever the panel's size."""
        y = pd.Series(np.asarray(as_float_label(y)), index=X.index)
        if max_rows is not None and len(X) > max_rows:
            X = X.sample(max_rows, random_state=self.random_state)
            y = y.loc[X.index]
        imp = self.permutation_importance(X, y, n_repeats=n_repeats)
        imp["rank"] = np.arange(1, len(imp) + 1)
        perm = pd.DataFrame(
            {
                "method": "permutation_importance",
                "feature": imp["feature"],
                "rank": imp["rank"],
                "grid_value": np.nan,
                "value": imp["importance"],
                "sd": imp["sd"],
            }
        )
        chosen = imp["feature"].head(top).tolist()
        pdp = self.partial_dependence(X, chosen, grid_resolution, max_rows=pdp_rows)
        pdp.insert(0, "method", "partial_dependence")
        pdp.insert(2, "rank", pdp["feature"].map(dict(zip(imp["feature"], imp["rank"], strict=True))))
        pdp["sd"] = np.nan
        return pd.concat([perm, pdp], ignore_index=True)
