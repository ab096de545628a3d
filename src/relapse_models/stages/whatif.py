"""Policy what-if stage: for each of ``whatif.seeds`` replications, simulate the county with
the calibrated generator (a scenario changes levers, not the calibration target, so every
scenario of a seed replays the same draw: common random numbers), replay the panel under the
baseline and each scenario's levers (:mod:`relapse_models.warning.whatif`), and summarise the
paired differences with intervals over seeds. Writes the per-seed results and the summary; the
page is notebooks/06_whatif.py (rule ``whatif_report``)."""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd

from relapse_models.core.config import stage_seed
from relapse_models.core.io import write_csv
from relapse_models.core.lines import lines_for_province
from relapse_models.core.profiles import figure, load_profile
from relapse_models.data.simulate import simulate_county
from relapse_models.warning.whatif import (
    levers_with,
    paired_summary,
    panel_arrays,
    replay,
    whatif_county,
)


def replications(profile: dict[str, Any], config: dict[str, Any]) -> pd.DataFrame:
    """One row per seed and scenario (baseline first) with the outcomes. Visit capacity and
    cost start from the run's ``capacity`` and ``thresholds.visit_cost``."""
    w = config["whatif"]
    scenarios = {"baseline": {}, **(w.get("scenarios") or {})}
    for name, over in scenarios.items():
        levers_with(over)   # an unknown lever stops before any simulation
        if name != "baseline" and not over:
            raise ValueError(f"what-if: scenario {name!r} changes no lever")
    county = profile["county_id"]
    cfg = copy.deepcopy(config)
    cfg["simulate"]["scale"] = float(w["scale"])
    # levers are replayed against the world as calibrated; a drift study's structural break
    # (simulate.break) would move the baseline's line or rate under the levers, so it is off here
    cfg["simulate"]["break"] = {**(cfg["simulate"].get("break") or {}), "year": None}
    lines = lines_for_province(cfg["monitoring"], profile["province_en"], county)
    rate = float(figure(profile, "medical_reimbursement_rate")) / 100.0
    run_levers = {"grid_workers_per_1000_households": cfg["capacity"]["grid_workers_per_1000_households"],
                  "visits_per_worker_per_quarter": 3 * cfg["capacity"]["visits_per_worker_per_month"],
                  "visit_cost": cfg["thresholds"]["visit_cost"]}
    rows = []
    for r in range(int(w["seeds"])):
        sim = simulate_county(profile, cfg, stage_seed(cfg["seed"], f"whatif/{r}", county), oracle=False)
        arrays = panel_arrays(sim.households, sim.panel, lines, rate)
        for name, over in scenarios.items():
            out = replay(arrays, {**run_levers, **over}, cfg["rule"],
                         float(cfg["monitoring"]["edge_multiple"]),
                         min_triggers=cfg["thresholds"]["official_tier_min_triggers"])
            rows.append({"seed": r, "scenario": name, **out})
    return pd.DataFrame(rows)


def run(profiles: list[str], config: dict[str, Any], results_out: str, summary_out: str) -> None:
    """Run the what-if for ``whatif.county`` (one of ``profiles``) and write its outputs."""
    county = whatif_county(config)
    match = [p for p in profiles if p.rsplit("/", 1)[-1] == f"{county}.yaml"]
    if not match:
        raise ValueError(f"what-if: no profile for whatif.county {county!r} among {profiles}")
    profile = load_profile(match[0])
    results = replications(profile, config)
    summary = paired_summary(results, seed=stage_seed(config["seed"], "whatif_summary", county))
    write_csv(results, results_out)
    write_csv(summary, summary_out)
