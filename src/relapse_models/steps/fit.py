"""The model stage: fit every model out of time on all counties, score the test year,
and write metrics per county and pooled (with the oracle on synthetic data).

Two validation schemes, same test rows (the test year's at-risk household-quarters):
``out_of_time`` trains on every county's earlier years; ``leave_one_county_out`` trains on
the *other* counties' earlier years only, so the gap between the two is what a county loses
by having no monitoring history of its own. Also written: the gbm's risk drivers
(permutation importance and partial dependence on the test year) and the fitted models,
named with the config hash.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from relapse_models.config import config_hash
from relapse_models.evaluate import leave_one_county_out, out_of_time_split, score_metrics
from relapse_models.features import FEATURE_COLUMNS, LABEL_COLUMN
from relapse_models.io import read_parquet, write_csv, write_json, write_parquet
from relapse_models.models import MODELS
from relapse_models.thresholds import capacity_share

KEYS = ["household_id", "county_id", "town_id", "village_id", "year", "quarter"]
PREDICTION_EXTRAS = ["at_risk", "relapse_in_quarters"]
DEFAULT_MODELS = ("rule", "logit", "gbm", "vulnerability")
MODEL_INPUTS = [*FEATURE_COLUMNS, "income_pc_4q", "line"]
"""What every model is given: the features, plus income and line for the vulnerability model
(the others select :data:`FEATURE_COLUMNS` and ignore the two)."""
DRIVER_COLUMNS = ["method", "feature", "rank", "grid_value", "value", "sd"]
POPULATION_MODELS = frozenset({"vulnerability"})
"""Models fitted on every usable training row, not only the at-risk ones: the vulnerability
model estimates the income distribution given characteristics, which a sample cut at the
line (at-risk rows are above it) would bias upwards in mean and downwards in variance."""


@dataclass
class FitResult:
    """Test-year predictions (one ``score_<model>`` column each), metrics, fitted models
    (out of time); held-out-county predictions and the gbm's drivers table."""

    predictions: pd.DataFrame
    metrics: dict[str, Any]
    models: dict[str, Any]
    county_predictions: pd.DataFrame | None = None
    drivers: pd.DataFrame | None = None


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
    if name == "vulnerability":  # the probability over the label's horizon
        return {"years": config["monitoring"]["horizon_quarters"] / 4}
    return {}


def _fit_and_score(
    features: pd.DataFrame,
    train: pd.Series,
    test: pd.Series,
    models: tuple[str, ...],
    config: dict[str, Any],
    desc: str = "fitting models",
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Fit each model on the ``train`` rows (the at-risk ones, except for
    :data:`POPULATION_MODELS`); the ``test`` rows' keys, label and scores."""
    inputs = [c for c in MODEL_INPUTS if c in features]
    X_test = features.loc[test, inputs]
    at_risk = _at_risk(features)
    keep = KEYS + [LABEL_COLUMN] + [c for c in [*PREDICTION_EXTRAS, "true_prob"] if c in features]
    predictions = features.loc[test, keep].reset_index(drop=True)
    fitted = {}
    for name in tqdm(models, desc=desc, unit="model"):
        rows = train if name in POPULATION_MODELS else train & at_risk
        model = MODELS[name](**model_params(name, config)).fit(
            features.loc[rows, inputs],
            features.loc[rows, LABEL_COLUMN],
            groups=features.loc[rows, "village_id"],
        )
        predictions[f"score_{name}"] = model.predict_proba(X_test)[:, 1]
        fitted[name] = model
    return predictions, fitted


def _at_risk(features: pd.DataFrame) -> pd.Series:
    return features["at_risk"].fillna(False).astype(bool)


def check_no_leakage(features: pd.DataFrame, train: pd.Series, test: pd.Series) -> None:
    """Raise if a household or county of the test rows is also among the training rows."""
    for key in ("household_id", "county_id"):
        shared = set(features.loc[train, key]) & set(features.loc[test, key])
        if shared:
            raise ValueError(f"{key} in both training and test rows: {sorted(shared)[:5]}")


def county_holdout_splits(
    features: pd.DataFrame, config: dict[str, Any]
) -> Iterator[tuple[str, pd.Series, pd.Series]]:
    """Leave one county out, in space and time: for each county, train on the other
    counties' usable rows of years <= ``models.train_until_year`` (horizon ended; the
    early-warning models then keep the at-risk ones), test on this county's at-risk rows of
    the next year (the out-of-time test rows). Checked for leakage of households and
    counties."""
    oot_train, oot_test = out_of_time_split(
        features,
        config["models"]["train_until_year"],
        horizon=config["monitoring"]["horizon_quarters"],
    )
    at_risk = _at_risk(features)
    for county, train, test in leave_one_county_out(features):
        train, test = train & oot_train, test & oot_test & at_risk
        if not test.any() or not train.any():
            continue
        check_no_leakage(features, train, test)
        yield county, train, test


def fit_models(
    features: pd.DataFrame,
    config: dict[str, Any],
    models: tuple[str, ...] | None = None,
    county_holdout: bool | None = None,
    drivers: bool | None = None,
) -> FitResult:
    """Out-of-time: train on years up to ``models.train_until_year``, score the next year;
    with ``county_holdout`` also leave one county out (see :func:`county_holdout_splits`);
    with ``drivers`` (and gbm among the models) the gbm's drivers on the test year.

    Only ``at_risk`` household-quarters (not already below the line or just identified) are
    scored, and all models but :data:`POPULATION_MODELS` are trained on them: an early
    warning is for households that have not yet fallen, and including those that have would
    let every model look good by flagging the already poor.

    ``models``, ``county_holdout`` and ``drivers`` default to the config's ``models.names``,
    ``models.leave_one_county_out`` and ``models.drivers``.
    """
    settings = config["models"]
    models = tuple(settings.get("names", DEFAULT_MODELS)) if models is None else models
    if county_holdout is None:
        county_holdout = settings.get("leave_one_county_out", True)
    drivers = settings.get("drivers", True) if drivers is None else drivers
    train, test = out_of_time_split(
        features,
        config["models"]["train_until_year"],
        horizon=config["monitoring"]["horizon_quarters"],
    )
    at_risk = _at_risk(features)
    test = test & at_risk
    predictions, fitted = _fit_and_score(features, train, test, models, config)
    metrics = {
        "config_hash": config_hash(config),
        "train_until_year": config["models"]["train_until_year"],
        "test_year": config["models"]["train_until_year"] + 1,
        "n_train": int((train & at_risk).sum()),
        "n_train_population": int(train.sum()),
        "n_test": int(test.sum()),
        "out_of_time": evaluate_predictions(predictions, models, config),
    }
    if "vulnerability" in fitted:
        metrics["vulnerability"] = vulnerability_summary(
            fitted["vulnerability"], features.loc[test], features.loc[test, LABEL_COLUMN]
        )
    county_predictions = None
    if county_holdout:
        parts = [
            _fit_and_score(features, tr, te, models, config, desc=f"leaving out {county}")[0]
            for county, tr, te in county_holdout_splits(features, config)
        ]
        county_predictions = pd.concat(parts, ignore_index=True) if parts else None
        metrics["leave_one_county_out"] = (
            evaluate_predictions(county_predictions, models, config) if parts else {}
        )
    table = None
    if drivers and "gbm" in fitted:
        X_test = features.loc[test, fitted["gbm"].feature_names_in_]
        table = fitted["gbm"].risk_drivers(X_test, features.loc[test, LABEL_COLUMN])
        table = table.assign(model="gbm")[["model", *DRIVER_COLUMNS]]
    return FitResult(
        predictions=predictions,
        metrics=metrics,
        models=fitted,
        county_predictions=county_predictions,
        drivers=table,
    )


def vulnerability_summary(model: Any, X: pd.DataFrame, y: pd.Series) -> dict[str, Any]:
    """Share of test rows at or above each vulnerability line (0.5, the training headcount),
    mean vulnerability over the horizon and the observed relapse rate, for models.json."""
    tab = model.vulnerability_summary(X, y)
    return {
        "lines": {r.line: r.threshold for r in tab.itertuples()},
        "share_vulnerable": {r.line: r.share_vulnerable for r in tab.itertuples()},
        "mean_vulnerability": tab.attrs["mean_vulnerability"],
        "observed_rate": tab.attrs["observed_headcount"],
    }


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


def model_path(directory: str | os.PathLike[str], name: str, config: dict[str, Any]) -> Path:
    """``<directory>/<model>-<config hash>.pkl``: a model file names the config it came from."""
    return Path(directory) / f"{name}-{config_hash(config)}.pkl"


def save_models(
    models: dict[str, Any], directory: str | os.PathLike[str], config: dict[str, Any]
) -> dict[str, str]:
    """Pickle each fitted model (joblib) to :func:`model_path`; model name -> path."""
    paths = {}
    for name, model in models.items():
        path = model_path(directory, name, config)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".pkl.tmp")
        joblib.dump(model, tmp)
        tmp.replace(path)
        paths[name] = str(path)
    return paths


def load_model(path: str | os.PathLike[str]) -> Any:
    """A model saved by :func:`save_models`. Load through this function rather than at a
    script's top level: statsmodels rebuilds a formula model's design on unpickling and looks
    for a caller's frame, which a bare top-level ``pickle.load`` does not have."""
    return joblib.load(path)


def drivers_table(result: FitResult) -> pd.DataFrame:
    """The gbm's drivers (an empty table with the same columns when gbm was not fitted)."""
    if result.drivers is None:
        return pd.DataFrame(columns=["model", *DRIVER_COLUMNS])
    return result.drivers


def run(
    features_paths: list[str],
    truth_paths: list[str] | None,
    config: dict[str, Any],
    metrics_path: str | os.PathLike[str],
    coefficients_path: str | os.PathLike[str],
    predictions_path: str | os.PathLike[str],
    drivers_path: str | os.PathLike[str] | None = None,
    models_dir: str | os.PathLike[str] | None = None,
) -> FitResult:
    """Fit, evaluate and write the model stage's outputs: predictions, coefficients,
    metrics, the drivers table (default ``drivers.csv`` beside the metrics) and the fitted
    models (default: the predictions' folder, see :func:`model_path`)."""
    result = fit_models(load_features(features_paths, truth_paths), config)
    drivers_path = Path(metrics_path).parent / "drivers.csv" if drivers_path is None else drivers_path
    models_dir = Path(predictions_path).parent if models_dir is None else models_dir
    write_parquet(result.predictions, predictions_path)
    write_csv(coefficient_table(result), coefficients_path)
    write_csv(drivers_table(result), drivers_path)
    result.metrics["model_files"] = save_models(result.models, models_dir, config)
    write_json(result.metrics, metrics_path)
    return result


def county_paths(directory: str, counties: list[str], name: str) -> list[str]:
    """``<directory>/<county>/<name>`` for each county."""
    return [str(Path(directory) / c / name) for c in counties]
