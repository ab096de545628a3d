"""The config's ``thresholds`` section as the early-warning stage reads it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def threshold_settings(config: Mapping) -> dict[str, Any]:
    """The config's ``thresholds`` section (its defaults are the schema's) with the
    edge-household multiple (``monitoring.edge_multiple``) added to the line multipliers."""
    out = dict(config["thresholds"])
    mults = [float(m) for m in out["line_multipliers"]]
    edge = float(config["monitoring"]["edge_multiple"])
    if not any(abs(m - edge) < 1e-9 for m in mults):
        mults.append(edge)
    out["line_multipliers"] = sorted(mults)
    return out
