"""Gradient boosting (scikit-learn HistGradientBoostingClassifier) with calibration.

Boosted trees rank well but their raw probabilities are often off; counties use the
probability to size visit loads, so it is calibrated with ``CalibratedClassifierCV``. The
calibration folds are grouped by ``groups`` (villages) when given, so a village is never both
in a fold's training part and its calibration part. Missing feature values are handled by the
trees natively.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GroupKFold, StratifiedKFold

from relapse_models.features import model_columns
from relapse_models.labels import as_float_label


class GBMModel:
    """Calibrated HistGradientBoostingClassifier.

    ``calibration``: ``"sigmoid"`` (default), ``"isotonic"`` or ``"auto"`` (isotonic when the
    training data has at least ``isotonic_min_positives`` positives). Sigmoid is the default
    because it is strictly monotone: it keeps the boosting ranking, whereas isotonic maps
    whole score ranges to one value, and those ties (a fifth of all rows at p = 1 in a
    high-prevalence test) leave no threshold that fits a visit capacity. ``cv``: number of
    calibration folds.
    """

    def __init__(
        self,
        features: list[str] | None = None,
        max_iter: int = 300,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 31,
        min_samples_leaf: int = 40,
        l2_regularization: float = 1.0,
        calibration: str = "sigmoid",
        isotonic_min_positives: int = 1000,
        cv: int = 3,
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
        if groups is not None:
            g = np.asarray(groups)[keep]
            n_splits = min(self.cv, len(np.unique(g)))
            splits = list(GroupKFold(n_splits=n_splits).split(Xa, ya, g))
        else:
            skf = StratifiedKFold(n_splits=self.cv, shuffle=True, random_state=self.random_state)
            splits = list(skf.split(Xa, ya))
        base = HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            random_state=self.random_state,
        )
        self.estimator_ = CalibratedClassifierCV(base, method=method, cv=splits).fit(Xa, ya)
        self.calibration_method_ = method
        self.feature_names_in_ = cols
        return self

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
    ) -> pd.DataFrame:
        """Tidy drivers table: permutation importance of every feature (drop in ROC-AUC,
        ``value`` with ``sd``) and partial dependence of the ``top`` most important (average
        risk ``value`` at ``grid_value``). Columns: method, feature, rank, grid_value, value,
        sd; ``rank`` is the feature's importance rank (1 = largest) in both parts. At most
        ``max_rows`` rows (a seeded sample) are used: the cost is rows x (features x repeats
        + top x grid) predictions."""
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
        pdp = self.partial_dependence(X, chosen, grid_resolution, max_rows=None)
        pdp.insert(0, "method", "partial_dependence")
        pdp.insert(2, "rank", pdp["feature"].map(dict(zip(imp["feature"], imp["rank"], strict=True))))
        pdp["sd"] = np.nan
        return pd.concat([perm, pdp], ignore_index=True)
