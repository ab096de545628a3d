"""The drift stage: train once on the years up to ``drift.train_until_year`` and follow the
models through every later labelled year, each scored separately (pooled and per county),
with the population shift of the model inputs, logistic recalibration on each later year
applied to the next, and the keep / recalibrate / refit rule (``docs/evaluation.md``, Drift).

Pooled over all counties: one job, the same fitted models for every county (a county's
rows are scored by them), so its cost is one small fit and the bootstrap per year.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from relapse_models.core.config import stage_seed
from relapse_models.core.io import write_csv, write_json
from relapse_models.models import BASELINES
from relapse_models.models.drift import (
    RecalibrationRefused,
    apply_recalibration,
    drift_action,
    fit_recalibration,
    psi_between,
)
from relapse_models.models.evaluation import metrics_and_replicates, out_of_time_split
from relapse_models.outcome.features import LABEL_COLUMN
from relapse_models.stages.fit import (
    KEY_COLUMNS,
    KEYS,
    NotFittedModel,
    checked_inputs,
    evaluate_predictions,
    fit_out_of_time_models,
    fit_rows,
    load_features,
    load_keys,
    predict_rows,
    rows_of,
)
from relapse_models.warning.capacity import capacity_share

YEAR_METRICS = ("recall_at_capacity", "precision_at_capacity", "pr_auc", "o_e")
"""The per-year figures of the drift table (each with its interval)."""
YEAR_COLUMNS = ["year", "scope", "model", "n", "n_pos",
                *[f"{m}{s}" for m in YEAR_METRICS for s in ("", "_low", "_high")],
                "ci_withheld", "max_psi", "flagged_inputs", "action", "reason"]
RECAL_COLUMNS = ["model", "fit_year", "apply_year", "intercept", "slope", "intercept_se",
                 "slope_se", "o_e_raw", "o_e_raw_low", "o_e_raw_high", "o_e_recal",
                 "o_e_recal_low", "o_e_recal_high", "brier_diff", "brier_diff_low",
                 "brier_diff_high", "better", "note"]


def drift_years(features: pd.DataFrame, config: dict[str, Any]) -> tuple[int, list[int]]:
    """The training horizon T (``drift.train_until_year``; null: two years before the last
    labelled year, so that two later years are scored and one recalibration is measured on
    the year after it) and the later labelled years. Raises when no later year is labelled."""
    labelled = sorted(int(y) for y in pd.unique(features.loc[features[LABEL_COLUMN].notna(),
                                                             "year"]))
    if not labelled:
        raise ValueError("drift: no row has a known relapse label")
    until = config["drift"]["train_until_year"]
    until = labelled[-1] - 2 if until is None else int(until)
    later = [y for y in labelled if y > until]
    if not later:
        raise ValueError(f"drift: no labelled year after drift.train_until_year={until} "
                         f"(labelled years: {labelled[0]}-{labelled[-1]})")
    return until, later


def _scored(features: pd.DataFrame, rows: np.ndarray, models: dict[str, Any]) -> pd.DataFrame:
    keep = KEYS + [LABEL_COLUMN] + [c for c in ["true_prob"] if c in features]
    out = rows_of(features, rows, keep).reset_index(drop=True)
    for name, model in models.items():
        if isinstance(model, NotFittedModel):
            continue
        inputs = checked_inputs(name, list(features.columns))
        out[f"score_{name}"] = predict_rows(model, features, rows, inputs)
    return out


def _ci(metric: dict, key: str) -> tuple[float, float, float]:
    lo, hi = metric.get(f"{key}_ci", [np.nan, np.nan])
    return float(metric.get(key, np.nan)), float(lo), float(hi)


def drift_report(
    features: pd.DataFrame,
    config: dict[str, Any],
    load: Callable[..., pd.DataFrame] | None = None,
) -> dict[str, Any]:
    """Fit on the years up to T, score each later year; returns the tables ``years`` (per
    year, scope and model: the metrics with intervals, the largest PSI of the model's inputs,
    those flagged and the rule's action), ``psi`` (per year and input) and ``recalibration`` (fitted on
    each later year, measured on the next), and the run's ``train_until_year`` and years.

    ``features``: every labelled row; or, with ``load`` (row positions and optionally the
    columns wanted -> those rows' features, as ``load_features(..., rows=, columns=)``), the
    keys of :func:`load_keys`: the stage then reads the fit's rows and the reference rows
    first, and each later year after with only the columns its models and the PSI read, so
    a province's panel is never in memory whole."""
    keys = features
    if load is None:
        def load(rows: np.ndarray, columns: list[str] | None = None) -> pd.DataFrame:
            return features
    settings = config["drift"]
    until, later = drift_years(keys, config)
    names = tuple(dict.fromkeys([*BASELINES, *settings["models"]]))
    run_config = {**config, "models": {**config["models"], "train_until_year": until,
                                       "names": list(settings["models"])}}
    horizon = config["monitoring"]["horizon_quarters"]
    at_risk = keys["at_risk"].fillna(False).astype(bool).to_numpy()
    chosen = ("" if settings["train_until_year"] is not None
              else ", null: two years before the last labelled year")
    training = (f"drift: training on the years up to {until} (drift.train_until_year{chosen}; "
                "set it to a later year with usable rows)")
    try:
        train, _ = out_of_time_split(keys, until, horizon=horizon)
        planned = fit_rows(keys, run_config, names, test_rows=False)
    except ValueError as err:   # say which setting chose the training years
        raise ValueError(f"{training}: {err}") from err
    reference = train.to_numpy() & at_risk
    loaded = load(np.union1d(planned, np.flatnonzero(reference)))
    columns = list(loaded.columns)
    inputs = sorted({c for n in names for c in checked_inputs(n, columns)
                     if c not in ("household_id",)})
    psi_columns = list(dict.fromkeys([*inputs, "quarter"]))
    # the reference rows' inputs and the fit's rows, each on its own: neither holds the
    # other's columns, and the fitted models do not keep the reference years alive
    base = rows_of(loaded, reference, psi_columns)
    fitted = loaded.loc[planned] if len(loaded) != len(keys) else loaded
    del loaded
    try:
        models = fit_out_of_time_models(fitted, run_config, names, keys=keys)
    except ValueError as err:
        raise ValueError(f"{training}: {err}") from err
    del fitted
    year = keys["year"].to_numpy()
    labelled = keys[LABEL_COLUMN].notna().to_numpy()
    psi_parts, scored = [], {}
    scoring_columns = [*KEY_COLUMNS, *inputs]
    for y in later:  # one later year in memory at a time
        rows = (year == y) & at_risk & labelled
        this = load(np.flatnonzero(rows), scoring_columns)
        scored[y] = _scored(this, rows, models)
        current = rows_of(this, rows, psi_columns)
        del this
        # the reference rows and this year's, each in file order
        psi_parts.append(psi_between(base, current, y, inputs,
                                     n_bins=int(settings["psi_bins"]),
                                     threshold=float(settings["psi_threshold"]),
                                     reference_strata=base["quarter"].to_numpy(),
                                     later_strata=current["quarter"].to_numpy()))
        del current
    del base
    psi = pd.concat(psi_parts, ignore_index=True)
    evaluated = {y: evaluate_predictions(scored[y], names, run_config) for y in later}

    year_rows = []
    for y in later:
        for scope, by_model in evaluated[y].items():
            for model, m in by_model.items():
                if model == "oracle":
                    continue
                model_inputs = [c for c in checked_inputs(model, columns) if c in inputs]
                mine = psi[(psi["year"] == y) & psi["feature"].isin(model_inputs)]
                # the rule reads the inputs that can shift; calendar inputs always do
                shifting = mine[~mine["calendar"]]
                max_psi = float(shifting["psi"].max()) if len(shifting) else float("nan")
                flagged = ";".join(mine.loc[mine["flagged"], "feature"])
                ref = evaluated[later[0]].get(scope, {}).get(model, {})
                ref_ci = ref.get("recall_at_capacity_ci", [np.nan, np.nan]) if y != later[0] \
                    else [np.nan, np.nan]
                action, reason = drift_action(
                    m.get("o_e_ci", [np.nan, np.nan]), float(m["recall_at_capacity"]), ref_ci,
                    max_psi, float(settings["psi_threshold"]))
                row = {"year": y, "scope": scope, "model": model, "n": m["n"],
                       "n_pos": m["n_pos"], "ci_withheld": m["ci_withheld"],
                       "max_psi": max_psi, "flagged_inputs": flagged, "action": action,
                       "reason": reason}
                for k in YEAR_METRICS:
                    row[k], row[f"{k}_low"], row[f"{k}_high"] = _ci(m, k)
                year_rows.append(row)
    years = pd.DataFrame(year_rows, columns=YEAR_COLUMNS)
    recal = recalibration_effect(scored, names, run_config)
    return {"train_until_year": until, "later_years": later, "years": years, "psi": psi,
            "recalibration": recal, "n_train": int(reference.sum())}


def recalibration_effect(
    scored: dict[int, pd.DataFrame], names: tuple[str, ...], config: dict[str, Any]
) -> pd.DataFrame:
    """For each probability model and each pair of consecutive later years: the logistic
    recalibration fitted on the first, applied to the second, and its effect there (pooled):
    observed/expected before and after, and the Brier score's change (after - before), on the
    same village replicates (paired). ``better`` names the recalibrated score only when the
    Brier change's interval lies below 0 (``raw`` when above; empty otherwise)."""
    years = sorted(scored)
    settings = config["models"]
    seed = stage_seed(config["seed"], "drift")
    out = []
    for fit_year, apply_year in zip(years, years[1:], strict=False):
        a, b = scored[fit_year], scored[apply_year]
        share = capacity_share(b["household_id"].nunique(), config["capacity"])
        for name in names:
            col = f"score_{name}"
            if name == "rule" or col not in a or col not in b:  # the rule is not a probability
                continue
            row: dict[str, Any] = {"model": name, "fit_year": fit_year, "apply_year": apply_year}
            try:
                rc = fit_recalibration(a[LABEL_COLUMN], a[col])
            except RecalibrationRefused as err:
                out.append({**row, "note": err.code})
                continue
            row.update(rc._asdict())
            row.pop("n")
            recal = apply_recalibration(b[col], rc)
            kw = dict(groups=b["village_id"], capacity_share=share,
                      n_boot=settings["bootstrap"], seed=seed,
                      min_clusters=int(settings["min_clusters"]),
                      min_positive_clusters=int(settings["min_positive_clusters"]))
            p_raw, r_raw, info = metrics_and_replicates(b[LABEL_COLUMN], b[col], **kw)
            p_new, r_new, _ = metrics_and_replicates(b[LABEL_COLUMN], recal, **kw)
            q = [2.5, 97.5]
            diff = r_new["brier"] - r_raw["brier"]
            lo, hi = (np.nanpercentile(diff, q) if np.isfinite(diff).any()
                      else (np.nan, np.nan))
            row.update({
                "o_e_raw": p_raw["o_e"], "o_e_recal": p_new["o_e"],
                "brier_diff": p_new["brier"] - p_raw["brier"],
                "brier_diff_low": lo, "brier_diff_high": hi,
                "better": "recalibrated" if hi < 0 else "raw" if lo > 0 else "",
                "note": info["ci_withheld"] or "",
            })
            for key, reps in (("o_e_raw", r_raw), ("o_e_recal", r_new)):
                vals = reps["o_e"]
                row[f"{key}_low"], row[f"{key}_high"] = (
                    np.nanpercentile(vals, q) if np.isfinite(vals).any() else (np.nan, np.nan))
            out.append(row)
    return pd.DataFrame(out, columns=RECAL_COLUMNS)


def run(
    features_paths: list[str],
    truth_paths: list[str] | None,
    config: dict[str, Any],
    out_dir: str | os.PathLike[str],
) -> dict[str, Any]:
    """Write ``years.csv``, ``psi.csv``, ``recalibration.csv`` and ``drift.json`` (the
    horizon, the later years, the training rows and the PSI threshold) under ``out_dir``."""
    keys = load_keys(features_paths)
    report = drift_report(keys, config, load=lambda rows, columns=None: load_features(
        features_paths, truth_paths, rows=rows, keys=keys, columns=columns))
    out = Path(out_dir)
    write_csv(report["years"], out / "years.csv")
    write_csv(report["psi"], out / "psi.csv")
    write_csv(report["recalibration"], out / "recalibration.csv")
    write_json({**{k: report[k] for k in ("train_until_year", "later_years", "n_train")},
                "psi_threshold": float(config["drift"]["psi_threshold"])}, out / "drift.json")
    return report
