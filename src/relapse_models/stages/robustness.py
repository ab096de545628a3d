"""Robustness across truth mechanisms: the same models and baselines, evaluated the same way,
on panels whose relapses arise in structurally different ways (``simulate.mechanism``).

A finding of the synthetic evidence is only as good as the generator's assumptions. Each
mechanism is calibrated to the same published figures, so a comparison that holds under all
of them does not hang on how relapse was assumed to arise; one that holds under some only is
reported as such. The default mechanism's metrics are the pooled fit's own (``models.json``);
each other mechanism's panel is simulated in process with the same per-county seeds, its
features built from the simulated tables (synthetic tables carry no personal data, so the
cleaning step's pseudonyms change nothing the models see) and fitted out of time exactly as
the pooled fit is, without the leave-one-county-out and drivers parts.

At province scale the table would cost three runs of simulation and fitting in one process;
``robustness.max_households`` bounds it: above it, every mechanism, the run's own included, is
simulated at one smaller scale (so the comparison between mechanisms stays like for like) and
the table says so (columns ``households``, ``scale``, ``own_run`` and ``run_households``).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from relapse_models.core.config import stage_seed
from relapse_models.core.io import read_json, write_csv
from relapse_models.core.lines import official_lines
from relapse_models.core.profiles import load_profile
from relapse_models.data.simulate import simulate_county
from relapse_models.data.simulate.population import households_at_scale
from relapse_models.models.evaluation import HEADLINE
from relapse_models.outcome.features import LABEL_COLUMN, build_features
from relapse_models.stages.fit import fit_models

METRIC_COLUMNS = ["mechanism", "model", "metric", "value", "ci_low", "ci_high", "ci_withheld",
                  "households", "scale", "own_run", "run_households"]
COMPARISON_COLUMNS = ["mechanism", "b", "against", "a", "metric", "estimate", "ci_low", "ci_high",
                      "winner", "ci_withheld"]
FINDING_COLUMNS = ["b", "against", "a", "metric", "winners", "holds", "winner"]
KEYS = ["household_id", "year", "quarter"]
ROBUSTNESS_METRICS = (*HEADLINE, "o_e")
"""The headline metrics and observed/expected: a model that ranks well under every mechanism
but whose risk level is off under some is not a robust finding about its probabilities."""


def mechanism_features(profiles: Sequence[Mapping[str, Any]], config: dict[str, Any],
                       mechanism: str) -> pd.DataFrame:
    """Every county's labelled features with the generator's true probability, simulated
    under ``mechanism`` with the pipeline's per-county seeds."""
    cfg = copy.deepcopy(config)
    cfg["simulate"]["mechanism"] = mechanism
    frames = []
    for profile in profiles:
        county = profile["county_id"]
        sim = simulate_county(profile, cfg, stage_seed(cfg["seed"], "simulate", county))
        lines = official_lines(cfg, profile["province_en"], county, simulated=True)
        f = build_features(sim.households, sim.panel, sim.events, lines, cfg)
        f = f[f[LABEL_COLUMN].notna()].astype({"household_id": str})
        truth = sim.truth[[*KEYS, "true_prob"]].astype({"household_id": str})
        frames.append(f.merge(truth, on=KEYS, how="left", validate="many_to_one"))
    features = pd.concat(frames, ignore_index=True)
    for col in ("household_id", "county_id", "town_id", "village_id"):
        if col in features:
            features[col] = features[col].astype(str).astype("category")
    return features


@dataclass(frozen=True)
class MechanismPanel:
    """The panel every mechanism is simulated on: its scale and households, the run's own
    households, and whether it is the run's own panel (not shrunk to the bound)."""

    scale: float
    households: int
    run_households: int
    own: bool


def panel_scale(profiles: Sequence[Mapping[str, Any]], config: dict[str, Any]) -> MechanismPanel:
    """The run's scale, or the one that gives about ``robustness.max_households`` households
    when the run has more (null: no bound)."""
    scale = float(config["simulate"]["scale"])
    run_households = sum(households_at_scale(p, scale) for p in profiles)
    cap = config["robustness"].get("max_households")
    if cap is None or run_households <= int(cap):
        return MechanismPanel(scale, run_households, run_households, own=True)
    smaller = scale * int(cap) / run_households
    return MechanismPanel(smaller, sum(households_at_scale(p, smaller) for p in profiles),
                          run_households, own=False)


def metric_rows(pooled: Mapping[str, Mapping[str, Any]], mechanism: str, panel: MechanismPanel,
                own_run: bool) -> pd.DataFrame:
    """One row per model (baselines and oracle included) and metric of
    :data:`ROBUSTNESS_METRICS` (a score that is not a probability, the rule's, has no O/E),
    with the panel it was measured on (``own_run``: the pooled fit's own metrics)."""
    rows = [{"mechanism": mechanism, "model": model, "metric": metric, "value": m.get(metric),
             "ci_low": (m.get(f"{metric}_ci") or [np.nan, np.nan])[0],
             "ci_high": (m.get(f"{metric}_ci") or [np.nan, np.nan])[1],
             "ci_withheld": m.get("ci_withheld") or "", "households": panel.households,
             "scale": panel.scale, "own_run": own_run, "run_households": panel.run_households}
            for model, m in pooled.items() for metric in ROBUSTNESS_METRICS
            if metric in HEADLINE or m.get(metric) is not None]
    return pd.DataFrame(rows, columns=METRIC_COLUMNS)


def comparison_rows(pooled: Mapping[str, Mapping[str, Any]], mechanism: str) -> pd.DataFrame:
    """Every paired difference (model - best baseline, gbm - logit) with its interval."""
    rows = [{"mechanism": mechanism, **{k: c[k] for k in ("b", "against", "a", "metric",
                                                           "estimate", "winner")},
             "ci_low": c["ci"][0], "ci_high": c["ci"][1], "ci_withheld": c.get("ci_withheld") or ""}
            for m in pooled.values() for c in m.get("comparisons", [])
            if c["against"] != "oracle"]
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def findings(comparisons: pd.DataFrame, mechanisms: Sequence[str]) -> pd.DataFrame:
    """Per comparison and metric: the winner under each mechanism (``winners``, "mechanism:
    winner" pairs, ``-`` when the interval spans 0 or is withheld) and whether one winner
    ``holds`` under every mechanism. Only a comparison that holds is a finding; a mechanism
    without the comparison counts against it. ``a`` is the reference (the best baseline may
    differ between mechanisms: then all of them)."""
    rows = []
    for (b, against, metric), part in comparisons.groupby(["b", "against", "metric"], sort=False):
        won = part["winner"].astype(object)
        by = dict(zip(part["mechanism"], won.where(won.notna(), "").astype(str), strict=True))
        winners = [by.get(m, "") for m in mechanisms]
        holds = bool(winners[0]) and all(w == winners[0] for w in winners)
        rows.append({"b": b, "against": against, "a": "; ".join(dict.fromkeys(part["a"].astype(str))),
                     "metric": metric,
                     "winners": "; ".join(f"{m}: {w or '-'}" for m, w in zip(mechanisms, winners,
                                                                               strict=True)),
                     "holds": holds, "winner": winners[0] if holds else ""})
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def run(profile_paths: Sequence[str | os.PathLike[str]], config: dict[str, Any],
        models_path: str | os.PathLike[str], metrics_out: str | os.PathLike[str],
        comparisons_out: str | os.PathLike[str], findings_out: str | os.PathLike[str]) -> None:
    """The ``robustness`` command: metrics and paired comparisons under every mechanism of
    ``robustness.mechanisms`` (the run's own from ``models_path``), and the findings."""
    mechanisms = list(config["robustness"]["mechanisms"])
    default = config["simulate"]["mechanism"]
    if default not in mechanisms:
        mechanisms.insert(0, default)
    profiles = [load_profile(p) for p in profile_paths]
    panel = panel_scale(profiles, config)
    if not panel.own:
        print(f"robustness: the run's {panel.run_households:,} households are above "
              f"robustness.max_households; every mechanism is simulated at scale {panel.scale:.4g} "
              f"({panel.households:,} households)", flush=True)
    cfg = copy.deepcopy(config)
    cfg["simulate"]["scale"] = panel.scale
    metrics, comparisons = [], []
    for mechanism in mechanisms:
        own_run = mechanism == default and panel.own
        if own_run:
            pooled = read_json(models_path)["out_of_time"]["pooled"]
        else:
            print(f"robustness: simulating and fitting under {mechanism!r}", flush=True)
            result = fit_models(mechanism_features(profiles, cfg, mechanism), cfg,
                                county_holdout=False, drivers=False)
            pooled = result.metrics["out_of_time"]["pooled"]
        metrics.append(metric_rows(pooled, mechanism, panel, own_run))
        comparisons.append(comparison_rows(pooled, mechanism))
    comparisons_all = pd.concat(comparisons, ignore_index=True)
    write_csv(pd.concat(metrics, ignore_index=True), metrics_out)
    write_csv(comparisons_all, comparisons_out)
    write_csv(findings(comparisons_all, mechanisms), findings_out)
