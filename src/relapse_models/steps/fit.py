"""The model stage: fit every model out of time on all counties, score the test year,
and write metrics per county and pooled (with the oracle on synthetic data)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from relapse_models.config import config_hash
from relapse_models.evaluate import out_of_time_split, score_metrics
from relapse_models.features import FEATURE_COLUMNS, LABEL_COLUMN
from relapse_models.io import read_parquet, write_csv, write_json, write_parquet
from relapse_models.models import MODELS
from relapse_models.thresholds import capacity_share

KEYS = ["household_id", "county_id", "town_id", "village_id", "year", "quarter"]
PREDICTION_EXTRAS = ["at_risk", "relapse_in_quarters"]
DEFAULT_MODELS = ("rule", "logit", "gbm")


@dataclass
class FitResult:
    """Test-year predictions (one ``score_<model>`` column each), metrics, fitted models."""

    predictions: pd.DataFrame
    metrics: dict[str, Any]
    models: dict[str, Any]


def load_features(paths: list[str], truth_paths: list[str] | None = None) -> pd.DataFrame:
    """All counties' features; on synthetic data with the generator's true probability."""
    features = pd.concat([read_parquet(p) for p in paths], ignore_index=True)
    if truth_paths:
        truth = pd.concat(
            [read_parquet(p, columns=["household_id", "year", "quarter", "true_prob"])
             for p in truth_paths],
            ignore_index=True,
        )
        features = features.merge(truth, on=["household_id", "year", "quarter"], how="left")
    return features


def model_params(name: str, config: dict[str, Any]) -> dict[str, Any]:
    """Constructor parameters of model ``name`` from the config."""
    if name == "rule":
        return dict(config["rule"])
    if name == "gbm":
        return {"random_state": int(config["seed"]) % (2**31)}
    return {}


def fit_models(
    features: pd.DataFrame, config: dict[str, Any], models: tuple[str, ...] = DEFAULT_MODELS
) -> FitResult:
    """Out-of-time: train on years up to ``models.train_until_year``, score the next year.

    Only ``at_risk`` household-quarters (not already below the line or just identified) are
    used: an early warning is for households that have not yet fallen, and including those
    that have would let every model look good by flagging the already poor.
    """
    train, test = out_of_time_split(
        features,
        config["models"]["train_until_year"],
        horizon=config["monitoring"]["horizon_quarters"],
    )
    at_risk = features["at_risk"].fillna(False).astype(bool)
    train, test = train & at_risk, test & at_risk
    X_train, X_test = features.loc[train, FEATURE_COLUMNS], features.loc[test, FEATURE_COLUMNS]
    y_train = features.loc[train, LABEL_COLUMN]
    groups = features.loc[train, "village_id"]
    keep = KEYS + [LABEL_COLUMN] + [c for c in [*PREDICTION_EXTRAS, "true_prob"] if c in features]
    predictions = features.loc[test, keep].reset_index(drop=True)
    fitted = {}
    for name in tqdm(models, desc="fitting models", unit="model"):
        model = MODELS[name](**model_params(name, config)).fit(X_train, y_train, groups=groups)
        predictions[f"score_{name}"] = model.predict_proba(X_test)[:, 1]
        fitted[name] = model
    metrics = {
        "config_hash": config_hash(config),
        "train_until_year": config["models"]["train_until_year"],
        "test_year": config["models"]["train_until_year"] + 1,
        "n_train": int(train.sum()),
        "n_test": int(test.sum()),
        "out_of_time": evaluate_predictions(predictions, models, config),
    }
    return FitResult(predictions=predictions, metrics=metrics, models=fitted)


def evaluate_predictions(
    predictions: pd.DataFrame, models: tuple[str, ...], config: dict[str, Any]
) -> dict[str, dict[str, dict[str, Any]]]:
    """Metrics per scope (``pooled`` and each county) and model; ``oracle`` and each model's
    AUC as a share of the oracle's when the true probability is known."""
    scopes = {"pooled": np.ones(len(predictions), dtype=bool)}
    scopes |= {c: (predictions["county_id"] == c).to_numpy() for c in predictions["county_id"].unique()}
    has_truth = "true_prob" in predictions and predictions["true_prob"].notna().any()
    scores = list(models) + (["oracle"] if has_truth else [])
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for scope, mask in tqdm(scopes.items(), desc="evaluating", unit="scope"):
        part = predictions[mask]
        n_households = part["household_id"].nunique()
        share = capacity_share(n_households, config["capacity"])
        out[scope] = {}
        for name in scores:
            column = "true_prob" if name == "oracle" else f"score_{name}"
            out[scope][name] = score_metrics(
                part[LABEL_COLUMN],
                part[column],
                groups=part["village_id"],
                capacity_share=share,
                n_boot=config["models"]["bootstrap"],
                seed=config["seed"],
            )
        if has_truth:
            oracle_auc = out[scope]["oracle"]["auc"]
            for name in models:
                out[scope][name]["oracle_auc"] = oracle_auc
                out[scope][name]["auc_to_oracle"] = out[scope][name]["auc"] / oracle_auc
    return out


def coefficient_table(result: FitResult) -> pd.DataFrame:
    """Odds ratios of the logit with cluster-robust 95 % intervals, as researchers publish."""
    table = result.models["logit"].odds_ratios()
    return table.reset_index(names="term") if "term" not in table.columns else table


def run(
    features_paths: list[str],
    truth_paths: list[str] | None,
    config: dict[str, Any],
    metrics_path: str | os.PathLike[str],
    coefficients_path: str | os.PathLike[str],
    predictions_path: str | os.PathLike[str],
) -> FitResult:
    """Fit, evaluate and write the model stage's three outputs."""
    result = fit_models(load_features(features_paths, truth_paths), config)
    write_parquet(result.predictions, predictions_path)
    write_csv(coefficient_table(result), coefficients_path)
    write_json(result.metrics, metrics_path)
    return result


def county_paths(directory: str, counties: list[str], name: str) -> list[str]:
    """``<directory>/<county>/<name>`` for each county."""
    return [str(Path(directory) / c / name) for c in counties]
