"""The threshold stage for one county: threshold grids for every score, the best threshold
within visit capacity, and red/yellow/blue tiers that fit the capacity."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pandas as pd

from relapse_models.features import LABEL_COLUMN
from relapse_models.io import read_parquet, write_csv, write_json
from relapse_models.thresholds import (
    best_threshold_within_capacity,
    capacity_share,
    threshold_table,
    tier_table,
    tiers,
)

SUMMARY_COLUMNS = [
    "threshold", "flagged_share", "recall", "precision", "lead_time_median",
    "false_alarms_per_case", "fits_capacity",
]


@dataclass
class ThresholdResult:
    table: pd.DataFrame
    best: pd.DataFrame
    tiers: dict[str, pd.DataFrame]
    recommended: dict[str, Any]


def score_columns(predictions: pd.DataFrame) -> dict[str, str]:
    """Score name -> column: every model's score, and the oracle where it is known."""
    scores = {c.removeprefix("score_"): c for c in predictions.columns if c.startswith("score_")}
    if "true_prob" in predictions and predictions["true_prob"].notna().any():
        scores["oracle"] = "true_prob"
    return scores


def evaluate_county(
    predictions: pd.DataFrame, county: str, config: dict[str, Any]
) -> ThresholdResult:
    """All threshold metrics for one county's test-year predictions."""
    part = predictions[predictions["county_id"] == county].reset_index(drop=True)
    if part.empty:
        raise ValueError(f"no test-year predictions for county {county!r}")
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
    recommended = {
        county: {
            "capacity_share": share,
            "households": int(part["household_id"].nunique()),
            "best_score": str(models_only.sort_values("recall", ascending=False)["score"].iloc[0]),
            "by_score": by_score,
            "tiers": {
                name: tt.set_index("tier")[["n", "n_pos", "share_of_cases", "load"]].to_dict("index")
                for name, tt in tier_tables.items()
            },
        }
    }
    return ThresholdResult(table=table, best=best, tiers=tier_tables, recommended=recommended)


def run(
    county: str,
    predictions_path: str | os.PathLike[str],
    config: dict[str, Any],
    table_path: str | os.PathLike[str],
    recommended_path: str | os.PathLike[str],
) -> ThresholdResult:
    """Evaluate one county's thresholds and write its table and recommendation."""
    result = evaluate_county(read_parquet(predictions_path), county, config)
    write_csv(result.table, table_path)
    write_json(result.recommended, recommended_path)
    return result
