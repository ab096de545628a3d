"""The threshold stage for one county: threshold grids for every score, the best threshold
within visit capacity, and red/yellow/blue tiers that fit the capacity; then, for the chosen
thresholds, bootstrap intervals, costs and the decision curve, equity by subgroup and town,
official against model tiers, and the monitoring-line sensitivity.

Extra inputs, optional (a part is skipped when its input is missing): the county's features
(``data/processed/<county>/features.parquet``: subgroup attributes, and each year's line) and
its interim tables (``data/interim/<county>/``: the label rebuilt with scaled lines)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from relapse_models.core import paths
from relapse_models.core.config import stage_seed
from relapse_models.core.io import read_parquet, write_csv, write_json
from relapse_models.core.quarters import quarter_index
from relapse_models.models import BASELINES
from relapse_models.models.rule import TRIGGERS, rule_params
from relapse_models.outcome.features import LABEL_COLUMN, RULE_INPUTS
from relapse_models.report.suppression import publishable
from relapse_models.warning import decision, equity
from relapse_models.warning.capacity import capacity_share
from relapse_models.warning.intervals import flag_intervals
from relapse_models.warning.lead_times import lead_times
from relapse_models.warning.line_sensitivity import STATE_COLUMNS, line_sensitivity, probe_triggers
from relapse_models.warning.official_tiers import official_tiers
from relapse_models.warning.settings import threshold_settings
from relapse_models.warning.thresholds import best_threshold_within_capacity, threshold_table
from relapse_models.warning.tiers import (
    TIER_VISITS_PER_MONTH,
    compare_tiers,
    tier_table,
    tiers,
    tiers_by_period,
)

log = logging.getLogger(__name__)

OFFICIAL_RULE_THRESHOLD = 1e-9
"""The official decision: flag when any of the rule's triggers fires (score > 0)."""

DETAIL_TABLES = (
    "intervals", "decision_curve", "equity", "tiers", "line_sensitivity", "lead_times",
    "tier_resolution", "equity_grid",
)
"""Extra per-county outputs, ``<detail_dir>/<name>.csv``."""

SUMMARY_COLUMNS = [
    "threshold", "flagged_share", "recall", "precision", "lead_time_median",
    "false_alarms_per_case", "fits_capacity",
]


@dataclass
class ThresholdResult:
    """What the threshold stage computes for one county (detail tables empty when skipped)."""

    table: pd.DataFrame
    best: pd.DataFrame
    tiers: dict[str, pd.DataFrame]
    recommended: dict[str, Any]
    intervals: pd.DataFrame = field(default_factory=pd.DataFrame)
    decision_curve: pd.DataFrame = field(default_factory=pd.DataFrame)
    equity: pd.DataFrame = field(default_factory=pd.DataFrame)
    tier_comparison: pd.DataFrame = field(default_factory=pd.DataFrame)
    line_sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)
    lead_times: pd.DataFrame = field(default_factory=pd.DataFrame)
    tier_resolution: pd.DataFrame = field(default_factory=pd.DataFrame)
    equity_grid: pd.DataFrame = field(default_factory=pd.DataFrame)

    def details(self) -> dict[str, pd.DataFrame]:
        """The detail tables by output name (:data:`DETAIL_TABLES`)."""
        return {
            "intervals": self.intervals,
            "decision_curve": self.decision_curve,
            "equity": self.equity,
            "tiers": self.tier_comparison,
            "line_sensitivity": self.line_sensitivity,
            "lead_times": self.lead_times,
            "tier_resolution": self.tier_resolution,
            "equity_grid": self.equity_grid,
        }


def score_columns(predictions: pd.DataFrame) -> dict[str, str]:
    """Score name -> column: every model's score, and the oracle where it is known."""
    scores = {c.removeprefix("score_"): c for c in predictions.columns if c.startswith("score_")}
    if "true_prob" in predictions and predictions["true_prob"].notna().any():
        scores["oracle"] = "true_prob"
    return scores


def evaluate_county(
    predictions: pd.DataFrame,
    county: str,
    config: dict[str, Any],
    features: pd.DataFrame | None = None,
    tables: dict[str, pd.DataFrame] | None = None,
    lines: Mapping[int, float] | None = None,
    triggers: list[str] | None = None,
    full_panel: Callable[[], pd.DataFrame] | None = None,
) -> ThresholdResult:
    """All threshold metrics for one county's test-year predictions.

    ``features``: the county's feature frame (subgroup attributes for equity; each year's line
    for the line sensitivity); ``tables``: its interim ``households, panel, events`` (the label
    rebuilt with scaled lines). Either may be None: that part is then skipped (equity by town
    still runs, the town is in the predictions). Only the features' rows of the predictions'
    years are read, so ``features`` may hold just those when ``lines`` gives every year's line
    (:func:`yearly_lines` of the whole features; default: of ``features``). ``triggers``,
    ``full_panel``: when ``tables["panel"]`` holds only the columns the relapse state reads
    (:func:`load_inputs`), see :func:`relapse_models.warning.line_sensitivity.line_sensitivity`."""
    part = predictions[predictions["county_id"] == county].reset_index(drop=True)
    if part.empty:
        raise ValueError(f"no test-year predictions for county {county!r}")
    settings = threshold_settings(config)
    costs = decision.DecisionCosts.from_config(config)
    share = capacity_share(part["household_id"].nunique(), config["capacity"])
    scores = score_columns(part)
    table = pd.concat(
        [
            threshold_table(
                part, column, by="county_id", pooled=False,
                capacity_config=config["capacity"], score_name=name,
            )
            for name, column in scores.items()
        ],
        ignore_index=True,
    )
    table = decision.add_costs(table, costs)
    best = best_threshold_within_capacity(table, share)
    first_quarter = part[part["quarter"] == part["quarter"].min()]
    tier_tables = {}
    for name, column in scores.items():
        assigned = tiers(first_quarter[column].fillna(0.0), share)
        tier_tables[name] = tier_table(
            assigned["tier"], first_quarter[LABEL_COLUMN], assigned["visits_per_month"]
        ).assign(score=name, budget=assigned.attrs["budget"])
    by_score = best.set_index("score")[SUMMARY_COLUMNS].to_dict("index")
    # the recommendation: among real scores whose threshold fits capacity, the highest recall
    models_only = best[(best["score"] != "oracle") & best["fits_capacity"]]
    if models_only.empty:
        models_only = best[best["score"] != "oracle"]
    best_score = str(models_only.sort_values("recall", ascending=False)["score"].iloc[0])
    recommended = {
        county: {
            "capacity_share": share,
            "households": int(part["household_id"].nunique()),
            "best_score": best_score,
            "by_score": by_score,
            "tiers": {
                name: tt.set_index("tier")[["n", "n_pos", "share_of_cases", "load"]].to_dict("index")
                for name, tt in tier_tables.items()
            },
        }
    }
    result = ThresholdResult(table=table, best=best, tiers=tier_tables, recommended=recommended)
    _details(result, part, county, config, settings, costs, share, scores, features, tables,
             lines, triggers, full_panel)
    return result


def chosen_flags(
    part: pd.DataFrame, scores: dict[str, str], best: pd.DataFrame
) -> dict[str, np.ndarray]:
    """Each score flagged at its threshold within capacity, and the official decision
    (``rule_official``: any trigger) when the rule is scored."""
    thr = best.set_index("score")["threshold"]
    flags = {
        name: (part[column].to_numpy(dtype=float) >= thr[name]) for name, column in scores.items()
    }
    if "rule" in scores:
        flags["rule_official"] = part[scores["rule"]].to_numpy(dtype=float) >= (
            OFFICIAL_RULE_THRESHOLD
        )
    return flags


def _details(
    result: ThresholdResult,
    part: pd.DataFrame,
    county: str,
    config: dict[str, Any],
    settings: dict[str, Any],
    costs: decision.DecisionCosts,
    share: float,
    scores: dict[str, str],
    features: pd.DataFrame | None,
    tables: dict[str, pd.DataFrame] | None,
    lines: Mapping[int, float] | None,
    triggers: list[str] | None,
    full_panel: Callable[[], pd.DataFrame] | None,
) -> None:
    """Intervals, decision curve, equity, tier comparison and line sensitivity, in place."""
    n_boot = int(config["models"]["bootstrap"])
    seed = stage_seed(config["seed"], "thresholds", county)
    min_cell = int(config["report"]["min_cell"])
    y, villages = part[LABEL_COLUMN], bootstrap_clusters(part)
    flags = chosen_flags(part, scores, result.best)
    pt = costs.threshold_probability
    pt = None if not np.isfinite(pt) or pt >= 1 else pt
    boot = dict(clusters=villages, pt=pt, n_boot=n_boot, seed=seed)
    thr = result.best.set_index("score")["threshold"]

    # tiers: the model's capacity-fitting tiers every quarter, against the official tiers
    schemes = {
        name: tiers_by_period(part, column, share, settings["tier_ratios"])
        for name, column in scores.items() if name != "rule"
    }
    if "rule" in scores:
        schemes = {
            "official": official_tiers(
                part[scores["rule"]], settings["official_tier_min_triggers"],
                n_triggers=len(rule_params(config).get("triggers") or TRIGGERS),
                visits_per_month=TIER_VISITS_PER_MONTH,
            ),
            **schemes,
        }
    period = quarter_index(part["year"], part["quarter"])
    budget = share * len(part) / max(len(np.unique(period)), 1)
    result.tier_comparison = compare_tiers(y, schemes, period, budget).assign(county_id=county)

    # intervals at the chosen thresholds (against the rule within capacity) and for the tiers
    # (against the official tiers), each also against the income baseline, paired on the same
    # village replicates
    reference = "rule" if "rule" in flags else None
    at_thr = flag_intervals(
        y, flags, reference=reference,
        baseline=INCOME_BASELINE if INCOME_BASELINE in flags else None, **boot,
    ).assign(kind="threshold")
    at_thr["threshold"] = at_thr["name"].map(
        lambda n: OFFICIAL_RULE_THRESHOLD if n == "rule_official" else thr.get(n, np.nan)
    )
    tier_flags = {name: (tr["tier"] != "none").to_numpy(dtype=bool) for name, tr in
                  schemes.items()}
    at_tiers = flag_intervals(
        y, tier_flags, reference="official" if "official" in tier_flags else None,
        baseline=INCOME_BASELINE if INCOME_BASELINE in tier_flags else None, **boot,
    ).assign(kind="tiers", threshold=np.nan)
    at_thr["reference"], at_tiers["reference"] = reference, at_tiers.attrs["reference"]
    at_thr["baseline"], at_tiers["baseline"] = at_thr.attrs["baseline"], at_tiers.attrs["baseline"]
    result.intervals = pd.concat([at_thr, at_tiers], ignore_index=True).assign(county_id=county)

    # decision curve: probabilities at their own p_t, the official rule as a fixed decision
    grid = np.round(np.arange(0.01, float(settings["decision_max_probability"]) + 1e-9, 0.01), 4)
    probs = {name: part[column] for name, column in scores.items() if name != "rule"}
    fixed = {"rule_official": flags["rule_official"]} if "rule_official" in flags else None
    result.decision_curve = decision.decision_curve(y, probs, fixed, grid).assign(
        county_id=county
    )

    # equity of every real score's chosen flag and of the official decision
    eq_flags = {k: v for k, v in flags.items() if k != "oracle"}
    eq_part = part
    if features is not None:
        keys = ["household_id", "year", "quarter"]
        # only the years of ``part`` can match: the rest would only slow the merge down
        years = features["year"].isin(pd.unique(part["year"])).to_numpy()
        # only the attributes the predictions lack (a merge would suffix the others away)
        wanted = [c for c in equity.SUBGROUP_COLUMNS if c not in part.columns]
        attrs = features.loc[years, keys + wanted].drop_duplicates(keys)
        eq_part = part.merge(attrs, on=keys, how="left") if wanted else part
    result.equity = equity.county_equity(
        eq_part, eq_flags, label_col=LABEL_COLUMN, min_cell=min_cell, n_boot=n_boot, seed=seed
    ).assign(county_id=county)
    # every subgroup's recall at every threshold of the grid: the county page's explorer
    if set(equity.SUBGROUP_COLUMNS).issubset(eq_part.columns):
        grid_scores = {name: eq_part[column] for name, column in scores.items()
                       if name != "oracle"}
        result.equity_grid = equity.recall_grid(
            eq_part[LABEL_COLUMN], grid_scores,
            {name: result.table.loc[result.table["score"] == name, "threshold"]
             for name in grid_scores},
            equity.subgroup_membership(eq_part), eq_part["household_id"], min_cell=min_cell,
        ).assign(county_id=county)

    # the monitoring line moved: label, rule and the base-line model flags
    if tables is not None and features is not None:
        lines = yearly_lines(features) if lines is None else lines
        keys = ["household_id", "year", "quarter"]
        model_flags = part[keys].copy()
        for name in scores:
            if name not in ("rule", "oracle"):
                model_flags[f"{name}_at_capacity"] = flags[name]
        result.line_sensitivity = line_sensitivity(
            tables["households"], tables["panel"], tables["events"], lines,
            settings["line_multipliers"], config, year=int(part["year"].max()),
            flags=model_flags, base_features=features, triggers=triggers,
            full_panel=full_panel,
        ).assign(county_id=county)

    # how early each chosen threshold sees the cases it catches
    result.lead_times = lead_time_distribution(part, scores, result.best).assign(county_id=county)
    result.tier_resolution = tier_resolution(result.tier_comparison, result.intervals)
    result.recommended[county].update(_summary(result, costs, pt))


def bootstrap_clusters(part: pd.DataFrame) -> np.ndarray:
    """The clusters the intervals resample: villages, or households when the county's rows
    lie in a single village (a village bootstrap would then have no variation at all; rows
    of one household stay together either way)."""
    villages = part["village_id"].to_numpy()
    if len(pd.unique(villages)) >= 2:
        return villages
    log.warning("one village only: intervals resample households instead")
    return part["household_id"].to_numpy()


def lead_time_distribution(
    part: pd.DataFrame, scores: dict[str, str], best: pd.DataFrame
) -> pd.DataFrame:
    """Per score at its threshold within capacity: cases by lead time in quarters (``0`` =
    never flagged before the onset), their count and share of all cases; the distribution
    behind ``lead_time_median``."""
    known = part[part[LABEL_COLUMN].notna()]
    rows = []
    for name, row in best.set_index("score").iterrows():
        lt = lead_times(known, scores[name], float(row["threshold"])).fillna(0).astype(int)
        counts = lt.value_counts().sort_index()
        rows.append(pd.DataFrame({
            "score": name, "threshold": float(row["threshold"]),
            "lead_time": counts.index.to_numpy(), "cases": counts.to_numpy(),
            "share": counts.to_numpy() / max(len(lt), 1),
        }))
    cols = ["score", "threshold", "lead_time", "cases", "share"]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)


INCOME_BASELINE = BASELINES[1]
"""The one-variable baseline (income relative to the line): every chosen flag and tier scheme
is also paired against it, so a model that only matches the simplest score is seen to."""

TIER_RESOLUTION_COLUMNS = [
    "county_id", "scheme", "is_best", "load", "budget", "fits_capacity", "flagged_share",
    "recall", "recall_ci_low", "recall_ci_high", "recall_diff", "recall_diff_ci_low",
    "recall_diff_ci_high", "recall_vs_baseline", "recall_vs_baseline_ci_low",
    "recall_vs_baseline_ci_high", "precision", "model_beats_official",
]


def tier_resolution(tier_comparison: pd.DataFrame, intervals: pd.DataFrame) -> pd.DataFrame:
    """One row per tier scheme (official, each model's capacity-fitting tiers): its monthly
    visit load against the budget, and the recall of visiting every tiered household with its
    village-bootstrap interval and the paired differences from the official tiers and from
    the income baseline's tiers.

    ``is_best`` marks the real model (not the oracle) with the highest tier recall among those
    whose load fits capacity (no row when recall is undefined: no case); ``model_beats_official`` is True on that row when it fits
    capacity and the lower end of its recall difference from the official tiers is above 0:
    the issue's resolution criterion, county by county."""
    tiered = tier_comparison[tier_comparison["tier"] == "tiered"]
    iv = intervals[intervals["kind"] == "tiers"].rename(columns={"name": "scheme"})
    keep = ["scheme", "flagged_share", "recall", "recall_ci_low", "recall_ci_high",
            "precision", "recall_diff", "recall_diff_ci_low", "recall_diff_ci_high",
            "recall_vs_baseline", "recall_vs_baseline_ci_low", "recall_vs_baseline_ci_high"]
    out = tiered[["county_id", "scheme", "load", "budget", "fits_capacity"]].merge(
        iv[[c for c in keep if c in iv]], on="scheme", how="left"
    )
    for c in keep:
        if c not in out:
            out[c] = np.nan
    fits = out["fits_capacity"].fillna(False).astype(bool)
    candidates = out[fits & ~out["scheme"].isin(["official", "oracle"]) & out["recall"].notna()]
    out["is_best"] = False
    if not candidates.empty:  # none when the county has no case in the test year
        out.loc[candidates["recall"].idxmax(), "is_best"] = True
    out["model_beats_official"] = (
        out["is_best"] & fits & (out["recall_diff_ci_low"] > 0)
        if "official" in set(out["scheme"]) else pd.NA
    )
    return out[TIER_RESOLUTION_COLUMNS].reset_index(drop=True)


def _ci_dict(row: pd.Series, metrics: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in metrics:
        if m not in row:
            continue
        out[m] = row[m]
        out[f"{m}_ci"] = [row[f"{m}_ci_low"], row[f"{m}_ci_high"]]
        if f"{m}_diff" in row and isinstance(row.get("reference"), str):
            out[f"{m}_diff"] = row[f"{m}_diff"]
            out[f"{m}_diff_ci"] = [row[f"{m}_diff_ci_low"], row[f"{m}_diff_ci_high"]]
        if f"{m}_vs_baseline" in row and isinstance(row.get("baseline"), str):
            out[f"{m}_vs_baseline"] = row[f"{m}_vs_baseline"]
            out[f"{m}_vs_baseline_ci"] = [row[f"{m}_vs_baseline_ci_low"],
                                          row[f"{m}_vs_baseline_ci_high"]]
    return out


def _summary(
    result: ThresholdResult, costs: decision.DecisionCosts, pt: float | None
) -> dict[str, Any]:
    """JSON-ready summary of the detail tables for ``recommended/<county>.json``."""
    metrics = ("recall", "precision", "flagged_share", "net_benefit")
    iv = result.intervals
    tc = result.tier_comparison
    tiered = tc[tc["tier"] == "tiered"].set_index("scheme")
    return {
        "costs": {
            "visit_cost": costs.visit_cost,
            "missed_relapse_cost": costs.missed_relapse_cost,
            "visit_effect": costs.visit_effect,
            "cost_per_flag": costs.cost_per_flag,
            "threshold_probability": pt,
        },
        "intervals": {
            kind: {r["name"]: {"reference": r["reference"], "baseline": r.get("baseline"),
                               **_ci_dict(r, metrics)}
                   for _, r in g.iterrows()}
            for kind, g in iv.groupby("kind")
        },
        "tier_comparison": {
            scheme: {
                "share_of_cases": float(r["share_of_cases"]),
                "load": float(r["load"]),
                "budget": float(r["budget"]),
                "fits_capacity": None if pd.isna(r["fits_capacity"]) else bool(r["fits_capacity"]),
            }
            for scheme, r in tiered.iterrows()
        },
    }


def yearly_lines(features: pd.DataFrame) -> dict[int, float]:
    """Each year's monitoring line, the first known per year of ``features`` (``year`` and
    ``line``): the line sensitivity scales every year's line, not only the test year's."""
    return features.groupby("year")["line"].first().dropna().to_dict()


@dataclass
class CountyInputs:
    """The stage's optional inputs for one county (None where a file is missing: that part
    is skipped). ``tables["panel"]`` holds only the columns the relapse state reads
    (:data:`~relapse_models.warning.line_sensitivity.STATE_COLUMNS`); ``triggers`` (probed
    on the first household's whole rows) and ``full_panel`` (reads every column) give the
    line sensitivity the rest, the latter only for a rebuild."""

    features: pd.DataFrame | None = None
    lines: dict[int, float] | None = None
    tables: dict[str, pd.DataFrame] | None = None
    triggers: list[str] | None = None
    full_panel: Callable[[], pd.DataFrame] | None = None


def load_inputs(
    county: str,
    features_path: str | os.PathLike[str] | None,
    interim_dir: str | os.PathLike[str] | None,
    years: Iterable[int] | None = None,
    config: dict[str, Any] | None = None,
) -> CountyInputs:
    """The optional inputs: features (subgroup attributes and the rule's triggers), each
    year's line (:func:`yearly_lines`, from every year) and interim tables, at the pipeline's
    paths unless given; None (with a log line) where a file is missing. Of the panel, only
    the columns the line sensitivity reads (the whole panel is the county's largest table).

    ``years``: only the features' rows of these years are read (the predictions' years, all
    the stage uses; the whole file is several times larger). None: every row. ``config``:
    the run config the trigger probe builds features with (default: the project's)."""
    fpath = Path(features_path or paths.for_county(paths.FEATURES, county))
    idir = Path(interim_dir or paths.for_county(paths.INTERIM_DIR, county))
    out = CountyInputs()
    if fpath.is_file():
        # the rule's triggers too: the line sensitivity reads those that do not move with
        # the line instead of rebuilding the features (when present)
        have = set(pq.read_schema(fpath).names)
        triggers = [c for c in RULE_INPUTS if c in have]
        cols = list(dict.fromkeys(["household_id", "year", "quarter", "line",
                                   *equity.SUBGROUP_COLUMNS, *triggers]))
        out.lines = yearly_lines(read_parquet(fpath, columns=["year", "line"]))
        if years is None:
            out.features = read_parquet(fpath, columns=cols)
        else:
            wanted = sorted({int(y) for y in years})
            out.features = pq.read_table(fpath, columns=cols,
                                         filters=[("year", "in", wanted)]).to_pandas()
    else:
        log.warning("%s: no features at %s; equity by subgroup and line sensitivity skipped",
                    county, fpath)
    names = ("households", "panel", "events")
    if all((idir / f"{n}.parquet").is_file() for n in names):
        ppath = idir / "panel.parquet"
        tables = {n: read_parquet(idir / f"{n}.parquet") for n in ("households", "events")}
        have = set(pq.read_schema(ppath).names)
        tables["panel"] = read_parquet(ppath, columns=[c for c in STATE_COLUMNS if c in have])
        if out.lines is not None:  # else no line sensitivity: nothing to probe for
            # the probe reads every column of the first household's rows (those ``isin``
            # selects in the whole panel)
            first = tables["panel"]["household_id"].iloc[:1].tolist()
            rows = pq.read_table(ppath, filters=[("household_id", "in", first)]).to_pandas()
            out.triggers = probe_triggers(tables["households"], rows, tables["events"],
                                          out.lines, config)
        out.tables = {n: tables[n] for n in names}
        out.full_panel = lambda: read_parquet(ppath)
    else:
        log.warning("%s: no interim tables in %s; line sensitivity skipped", county, idir)
    return out


def county_predictions(path: str | os.PathLike[str], county: str) -> pd.DataFrame:
    """The rows of ``county`` in the pooled predictions, read with a filter: a county job
    never holds the whole province's predictions (same rows, same order)."""
    table = pq.read_table(path, filters=[("county_id", "==", county)])
    return table.to_pandas()


def run(
    county: str,
    predictions_path: str | os.PathLike[str],
    config: dict[str, Any],
    table_path: str | os.PathLike[str],
    recommended_path: str | os.PathLike[str],
    *,
    features_path: str | os.PathLike[str] | None = None,
    interim_dir: str | os.PathLike[str] | None = None,
    detail_dir: str | os.PathLike[str] | None = None,
    tier_resolution_path: str | os.PathLike[str] | None = None,
) -> ThresholdResult:
    """Evaluate one county's thresholds and write its table and recommendation, and the
    detail tables :data:`DETAIL_TABLES` as ``<detail_dir>/<name>.csv`` (default
    ``<table_path's folder>/../thresholds_detail/<county>/``). Missing optional inputs leave
    a detail table empty (header only). ``tier_resolution_path``: the tier resolution table
    also there (the pipeline combines these into ``reports/metrics/tier_comparison.csv``)."""
    predictions = county_predictions(predictions_path, county)
    inputs = load_inputs(county, features_path, interim_dir,
                         years=pd.unique(predictions["year"]), config=config)
    result = evaluate_county(predictions, county, config, inputs.features, inputs.tables,
                             inputs.lines, inputs.triggers, inputs.full_panel)
    write_csv(result.table, table_path)
    write_json(result.recommended, recommended_path)
    detail = Path(detail_dir) if detail_dir else (
        Path(table_path).parent.parent / "thresholds_detail" / county
    )
    min_cell = int(config["report"]["min_cell"])
    for name, frame in result.details().items():
        if name == "equity" and not frame.empty:
            frame = publishable(frame, min_cell)
        write_csv(frame, detail / f"{name}.csv")
    if tier_resolution_path:
        write_csv(result.tier_resolution, tier_resolution_path)
    return result
