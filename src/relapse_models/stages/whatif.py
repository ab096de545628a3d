"""Policy what-if stage: for each of ``whatif.seeds`` replications, simulate the county with
the calibrated generator (a scenario changes levers, not the calibration target: every
scenario of a seed draws the same households and shocks, common random numbers), rerun it
with a scenario's line or reimbursement lever, replay the panel under the baseline and each
scenario's levers (:mod:`relapse_models.warning.whatif`), and summarise the paired
differences with intervals over seeds. Writes the per-seed results and the summary; the
page is notebooks/06_whatif.py (rule ``whatif_report``)."""

from __future__ import annotations

import copy
import logging
from typing import Any

import pandas as pd

from relapse_models.core.config import stage_seed
from relapse_models.core.io import write_csv
from relapse_models.core.lines import lines_for_province
from relapse_models.core.profiles import figure, load_profile
from relapse_models.core.quarters import parse_quarter
from relapse_models.data.simulate import simulate_county
from relapse_models.warning.whatif import (
    NOTE_SEPARATOR,
    OUTCOMES,
    identified_households,
    levers_with,
    paired_summary,
    panel_arrays,
    policy_break,
    policy_cost,
    replay,
    whatif_county,
)

log = logging.getLogger(__name__)


def replications(profile: dict[str, Any], config: dict[str, Any]) -> pd.DataFrame:
    """One row per seed and scenario (baseline first) with the outcomes. Visit capacity and
    cost start from the run's ``capacity`` and ``thresholds.visit_cost``.

    With ``whatif.feedback`` (the default) a scenario's generator lever
    (:data:`~relapse_models.warning.whatif.GENERATOR_LEVERS`) reruns the generator on the seed
    with that policy from the panel's first year: the same households and shocks, its own
    identification, assistance and elimination; the replay then applies the other levers.
    Without it every scenario replays the baseline's panel, the generator's levers as
    arithmetic on it (identification held as drawn)."""
    w = config["whatif"]
    feedback = bool(w.get("feedback", True))
    scenarios = {"baseline": {}, **(w.get("scenarios") or {})}
    county = profile["county_id"]
    rate = float(figure(profile, "medical_reimbursement_rate")) / 100.0
    start_year, start_quarter = parse_quarter(config["simulate"]["start"])
    breaks = {}
    for name, over in scenarios.items():
        levers_with(over)   # an unknown lever stops before any simulation
        if name != "baseline" and not over:
            raise ValueError(f"what-if: scenario {name!r} changes no lever")
        try:
            breaks[name] = policy_break(over, rate, start_year) if feedback else None
        except ValueError as err:
            raise ValueError(f"what-if scenario {name!r}: {err}") from None
    cfg = copy.deepcopy(config)
    cfg["simulate"]["scale"] = float(w["scale"])
    # levers are replayed against the world as calibrated; a drift study's structural break
    # (simulate.break) would move the baseline's line or rate under the levers, so it is off here
    cfg["simulate"]["break"] = {**(cfg["simulate"].get("break") or {}), "year": None}
    lines = lines_for_province(cfg["monitoring"], profile["province_en"], county)
    first_day = f"{start_year:04d}-{3 * start_quarter - 2:02d}-01"   # the panel's first quarter
    run_levers = {"grid_workers_per_1000_households": cfg["capacity"]["grid_workers_per_1000_households"],
                  "visits_per_worker_per_quarter": 3 * cfg["capacity"]["visits_per_worker_per_month"],
                  "visit_cost": cfg["thresholds"]["visit_cost"]}
    rows = []
    for r in range(int(w["seeds"])):
        seed = stage_seed(cfg["seed"], f"whatif/{r}", county)
        base = simulate_county(profile, cfg, seed, oracle=False)
        sims = {None: (base, panel_arrays(base.households, base.panel, lines, rate))}
        for name, over in scenarios.items():
            brk = breaks[name]
            key = None if brk is None else (brk["kind"], brk["size"])
            if key not in sims:
                c = copy.deepcopy(cfg)
                c["simulate"]["break"] = brk
                sim = simulate_county(profile, c, seed, oracle=False)
                sims[key] = (sim, panel_arrays(sim.households, sim.panel, lines, rate))
            sim, arrays = sims[key]
            # a fed-back rate is already in the panel's reimbursement: the replay adds none
            levers = {**run_levers, **over, **({"reimbursement_rate": None} if brk else {})}
            out = replay(arrays, levers, cfg["rule"], float(cfg["monitoring"]["edge_multiple"]),
                         min_triggers=cfg["thresholds"]["official_tier_min_triggers"])
            spent = policy_cost(sim.panel, base.panel) if brk else 0.0
            rows.append({"seed": r, "scenario": name, **out, "cost": out["cost"] + spent,
                         "policy_cost": spent,
                         "identified": float(identified_households(sim.events, first_day)),
                         # where the generator missed a published figure: shown on the page
                         "calibration_notes": NOTE_SEPARATOR.join(sim.calibration.notes)})
        log.info("what-if: seed %d of %s done", r + 1, w["seeds"])
    return pd.DataFrame(rows)[["seed", "scenario", *OUTCOMES, "calibration_notes"]]


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
