"""The config's ``thresholds`` section as the early-warning stage reads it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from relapse_models.warning.official_tiers import OFFICIAL_TIER_MIN_TRIGGERS

THRESHOLD_DEFAULTS: dict[str, Any] = {
    "visit_cost": 50.0,
    "missed_relapse_cost": 3000.0,
    "visit_effect": 1.0,
    "decision_max_probability": 0.5,
    "line_multipliers": [1.0, 1.1, 1.2],
    "official_tier_min_triggers": dict(OFFICIAL_TIER_MIN_TRIGGERS),
    "tier_ratios": [1.0, 2.0, 4.0],
}
"""Defaults of the config's ``thresholds`` section (the schema repeats them)."""


def threshold_settings(config: Mapping | None) -> dict[str, Any]:
    """The ``thresholds`` section over :data:`THRESHOLD_DEFAULTS`, with the edge-household
    multiple (``monitoring.edge_multiple``) added to the line multipliers: a config written
    before the section existed still runs."""
    config = config or {}
    out = {**THRESHOLD_DEFAULTS, **(config.get("thresholds") or {})}
    mults = [float(m) for m in out["line_multipliers"]]
    edge = (config.get("monitoring") or {}).get("edge_multiple")
    if edge is not None and not any(abs(m - float(edge)) < 1e-9 for m in mults):
        mults.append(float(edge))
    out["line_multipliers"] = sorted(mults)
    return out
