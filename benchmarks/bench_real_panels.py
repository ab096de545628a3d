"""Real annual panels against the one-variable income baseline: the NLSY wage panel
(:mod:`relapse_models.data.real_panels`) and RAND HIE (:mod:`relapse_models.data.public_panel`), each
through the feature step, every model of the model stage and the evaluation, out of time
(years from the data), with paired cluster-bootstrap intervals for model - baseline.

    .venv/bin/python benchmarks/bench_real_panels.py [--bootstrap 200]

Prints the table and writes ``benchmarks/results/real_panels.csv`` and ``real_panels.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "src"))

from relapse_models.core.io import write_csv, write_text  # noqa: E402
from relapse_models.data import public_panel as pp  # noqa: E402
from relapse_models.data import real_panels as rp  # noqa: E402
from relapse_models.stages import public_benchmark as pb  # noqa: E402
from relapse_models.stages.fit import fit_models  # noqa: E402

CAPACITY_SHARE = 0.1
"""Share of the test rows a county could visit (recall at capacity)."""


def one(label: str, features: pd.DataFrame, config: dict, boot: int) -> pd.DataFrame:
    result = fit_models(features, config)
    models = tuple(config["models"]["names"])
    table = pb.baseline_comparison(features, result.predictions, models, CAPACITY_SHARE,
                                   n_boot=boot, seed=int(config["seed"]))
    table.insert(0, "panel", label)
    table.insert(1, "test_year", result.metrics["test_year"])
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap", type=int, default=200)
    args = ap.parse_args()
    over = {"models": {"bootstrap": args.bootstrap, "leave_one_county_out": False}}
    nlsy = rp.map_wage_panel()
    config = pb.panel_config(nlsy, over)
    tables = [one("NLSY wage panel", pb.panel_features(nlsy, config), config, args.bootstrap)]
    rand = pp.map_randhie()
    config = pb.public_config(rand, over)
    tables.append(one("RAND HIE", pb.public_features(rand, config), config, args.bootstrap))
    out = pd.concat(tables, ignore_index=True)
    print(out.round(3).to_string(index=False))
    write_csv(out, RESULTS / "real_panels.csv")
    write_text(out.round(3).to_markdown(index=False) + "\n", RESULTS / "real_panels.md")


if __name__ == "__main__":
    main()
