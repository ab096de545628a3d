"""The shared feature and model stages run on real public panels (RAND HIE,
:mod:`relapse_models.data.public_panel`; the NLSY wage panel,
:mod:`relapse_models.data.real_panels`): annual feature rows, the run config with the
panel's overrides, the model metrics as one table, and every model against the
one-variable income baseline (rank by income relative to the line), paired, with
cluster-bootstrap intervals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from relapse_models.core.config import load_config, merge
from relapse_models.data.public_panel import PublicPanel
from relapse_models.models.evaluation import compare_scores, score_metrics
from relapse_models.outcome.features import LABEL_COLUMN, build_features


def annual_rows(features: pd.DataFrame) -> pd.DataFrame:
    """The year-end feature rows (quarter 4): on the annual panel, every row."""
    out = features[features["quarter"] == 4].reset_index(drop=True)
    out.attrs = dict(features.attrs)
    return out


def public_features(data: PublicPanel, config: dict[str, Any]) -> pd.DataFrame:
    """:func:`relapse_models.outcome.features.build_features` on the mapped tables, unchanged, then
    :func:`annual_rows`."""
    return annual_rows(
        build_features(data.households, data.panel, data.events, data.lines, config)
    )


def public_config(data: PublicPanel, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The package's default config with the panel's overrides (then ``overrides``),
    validated like any run config."""
    return load_config(overrides=merge(data.overrides, overrides or {}))


def metrics_table(metrics: dict[str, Any], scheme: str = "out_of_time") -> pd.DataFrame:
    """One row per scope and model of ``metrics[scheme]`` (from
    :func:`relapse_models.stages.fit.fit_models`): AUC with its family-clustered bootstrap
    interval, PR-AUC, Brier, ECE, recall at capacity, rows and positives."""
    rows = [
        {
            "scheme": scheme,
            "scope": scope,
            "model": name,
            "n": m["n"],
            "n_pos": m["n_pos"],
            "auc": m["auc"],
            "auc_low": m["auc_ci"][0],
            "auc_high": m["auc_ci"][1],
            "pr_auc": m["pr_auc"],
            "brier": m["brier"],
            "ece": m["ece"],
            "recall_at_capacity": m["recall_at_capacity"],
            "capacity_share": m["capacity_share"],
        }
        for scope, by_model in metrics.get(scheme, {}).items()
        for name, m in by_model.items()
    ]
    return pd.DataFrame(rows)


def panel_config(data: dict[str, Any], overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The package's default config with the panel's overrides, validated like any run's."""
    return load_config(overrides=merge(data["overrides"], overrides or {}))


def panel_features(data: dict[str, Any], config: dict[str, Any]) -> pd.DataFrame:
    """:func:`build_features` on the mapped tables, unchanged."""
    return build_features(data["households"], data["panel"], data["events"], data["lines"],
                          config)


def income_baseline(features: pd.DataFrame) -> np.ndarray:
    """The one-variable baseline score: lower income relative to the line, higher risk."""
    return -features["income_ratio"].to_numpy(dtype=float)


def baseline_comparison(features: pd.DataFrame, predictions: pd.DataFrame,
                        models: tuple[str, ...], capacity_share: float, n_boot: int = 200,
                        seed: int = 0) -> pd.DataFrame:
    """One row per model and one for the baseline: AUC with its clustered interval on the
    test rows, and the model's AUC minus the baseline's with a paired interval (``diff_low``
    > 0: the model ranks better than income alone; an interval spanning zero names no
    winner). A model without scores (reported not fitted by the model stage) has no row."""
    key = ["household_id", "year", "quarter"]
    test = predictions.merge(features[[*key, "income_ratio"]], on=key, how="left",
                             validate="one_to_one")
    y = test[LABEL_COLUMN]
    groups = test["village_id"].astype(str).to_numpy()
    base = income_baseline(test)
    rows = []
    m = score_metrics(y, base, groups=groups, capacity_share=capacity_share, n_boot=n_boot,
                      seed=seed)
    rows.append({"model": "income_baseline", "n": m["n"], "n_pos": int(np.nansum(y.astype(float))),
                 "auc": m["auc"], "auc_low": m["auc_ci"][0], "auc_high": m["auc_ci"][1],
                 "auc_diff": 0.0, "diff_low": np.nan, "diff_high": np.nan})
    for name in (m for m in models if f"score_{m}" in test):
        score = test[f"score_{name}"].to_numpy(dtype=float)
        m = score_metrics(y, score, groups=groups, capacity_share=capacity_share,
                          n_boot=n_boot, seed=seed)
        diff = compare_scores(y, base, score, groups=groups, capacity_share=capacity_share,
                              n_boot=n_boot, seed=seed)
        rows.append({"model": name, "n": m["n"], "n_pos": int(np.nansum(y.astype(float))),
                     "auc": m["auc"], "auc_low": m["auc_ci"][0], "auc_high": m["auc_ci"][1],
                     "auc_diff": diff["auc_diff"], "diff_low": diff["auc_diff_ci"][0],
                     "diff_high": diff["auc_diff_ci"][1]})
    return pd.DataFrame(rows)
