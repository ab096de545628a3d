"""The shared feature and model stages run on the public RAND HIE panel
(:mod:`relapse_models.data.public_panel`): annual feature rows, the run config with the
panel's overrides, and the model metrics as one table."""

from __future__ import annotations

from typing import Any

import pandas as pd

from relapse_models.core.config import load_config, merge
from relapse_models.data.public_panel import PublicPanel
from relapse_models.outcome.features import build_features


def annual_rows(features: pd.DataFrame) -> pd.DataFrame:
    """The quarter-4 feature rows: one per family-year, the rows whose 4-quarter window is
    exactly one study year (quarters 1-3 repeat the previous year's values)."""
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
