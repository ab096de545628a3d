"""Policy what-if stage: for each of ``whatif.seeds`` replications, simulate the county with
the calibrated generator (a scenario changes levers, not the calibration target, so every
scenario of a seed replays the same draw: common random numbers), replay the panel under the
baseline and each scenario's levers (:mod:`relapse_models.warning.whatif`), and summarise the
paired differences with intervals over seeds. Writes the per-seed results, the summary and the
what-if page."""

from __future__ import annotations

import copy
import html
from typing import Any

import pandas as pd

from relapse_models.core.config import stage_seed
from relapse_models.core.io import write_csv, write_text
from relapse_models.core.lines import lines_for_province
from relapse_models.core.profiles import figure, load_profile
from relapse_models.data.simulate import simulate_county
from relapse_models.report.words import t
from relapse_models.warning.whatif import LEVERS, levers_with, paired_summary, panel_arrays, replay


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
            out = replay(arrays, {**run_levers, **over}, cfg["rule"], float(cfg["monitoring"]["edge_multiple"]))
            rows.append({"seed": r, "scenario": name, **out})
    return pd.DataFrame(rows)


def _fmt(x: float) -> str:
    if pd.isna(x):
        return "—"
    return f"{x:,.1f}" if abs(x) >= 10 or x == 0 else f"{x:.3g}"


def page(summary: pd.DataFrame, scenarios: dict[str, dict[str, Any]], county: str, seeds: int,
         language: str = "zh") -> str:
    """The what-if page: the paired table with intervals, each scenario's levers and every
    lever's assumed basis beside it (self-contained HTML)."""
    e = html.escape
    head = [t(k, language) for k in ("whatif_scenario", "whatif_outcome", "whatif_baseline",
                                     "whatif_value", "whatif_diff", "whatif_ci")]
    body = []
    for _, r in summary.iterrows():
        ci = "—" if pd.isna(r["ci_low"]) else f"{_fmt(r['ci_low'])} ~ {_fmt(r['ci_high'])}"
        diff = t(f"whatif_{r['note']}", language) if r["note"] else _fmt(r["diff"])
        body.append("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in (
            r["scenario"], t(f"whatif_{r['outcome']}", language), _fmt(r["baseline"]),
            _fmt(r["value"]), diff, ci)) + "</tr>")
    sc_rows = "".join(f"<tr><td>{e(n)}</td><td>{e(str(v))}</td></tr>" for n, v in scenarios.items())
    lv_rows = "".join(
        f"<tr><td>{e(k)}</td><td>{e('—' if v.baseline is None else str(v.baseline))}</td><td>{e(v.zh if language == 'zh' else v.unit)}</td>"
        f"<td>{t('whatif_assumed' if v.assumed else 'whatif_sourced', language)}: {e(v.basis)}</td></tr>"
        for k, v in LEVERS.items())
    th = "".join(f"<th>{e(h)}</th>" for h in head)
    return (
        f"<!DOCTYPE html><html lang=\"{'zh-CN' if language == 'zh' else 'en'}\"><head>"
        f"<meta charset=\"utf-8\"><title>{e(t('whatif_title', language))}</title>"
        "<style>body{font-family:sans-serif;max-width:70em;margin:auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px}.cols{display:flex;gap:2em}</style></head><body>"
        f"<h1>{e(t('whatif_title', language))}</h1>"
        f"<p>{e(t('whatif_intro', language, county=county, seeds=seeds))}</p>"
        f"<p>{e(t('synthetic_note', language))}</p>"
        f"<div class=\"cols\"><div><h2>{e(t('whatif_results', language))}</h2>"
        f"<table><tr>{th}</tr>{''.join(body)}</table></div>"
        f"<div><h2>{e(t('whatif_assumptions', language))}</h2>"
        f"<table><tr><th>{e(t('whatif_scenario', language))}</th><th>{e(t('whatif_levers', language))}</th></tr>"
        f"{sc_rows}</table><table><tr><th>{e(t('whatif_lever', language))}</th>"
        f"<th>{e(t('whatif_baseline', language))}</th><th>{e(t('whatif_unit', language))}</th>"
        f"<th>{e(t('whatif_basis', language))}</th></tr>{lv_rows}</table>"
        f"<p>{e(t('whatif_limits', language))}</p></div></div></body></html>")


def run(profiles: list[str], config: dict[str, Any], results_out: str, summary_out: str,
        page_out: str) -> None:
    """Run the what-if for ``whatif.county`` (one of ``profiles``) and write its outputs."""
    w = config["whatif"]
    county = w["county"] or config["counties"][0]
    match = [p for p in profiles if p.rsplit("/", 1)[-1] == f"{county}.yaml"]
    if not match:
        raise ValueError(f"what-if: no profile for whatif.county {county!r} among {profiles}")
    profile = load_profile(match[0])
    results = replications(profile, config)
    summary = paired_summary(results, seed=stage_seed(config["seed"], "whatif_summary", county))
    write_csv(results, results_out)
    write_csv(summary, summary_out)
    write_text(page(summary, w.get("scenarios") or {}, county, int(w["seeds"]),
                    config.get("report", {}).get("language", "zh")), page_out)
