"""`make bench`: run the whole pipeline at growing numbers of households and collect what
Snakemake's `benchmark:` files measured per rule (wall time, peak memory).

Each size runs in its own project folder under `benchmarks/results/run-<households>/`;
the summary goes to `benchmarks/results/latest.json` and `latest.md`. Timings live here,
never in tests.

    python benchmarks/run.py --households 100000 300000 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "src"))

from relapse_models.config import load_config  # noqa: E402
from relapse_models.profiles import load_profile  # noqa: E402


def households_at_full_scale(config: dict) -> int:
    """Households the generator simulates at ``scale: 1.0`` over the configured counties."""
    total = 0
    for county in config["counties"]:
        profile = load_profile(ROOT / config["profiles_dir"] / f"{county}.yaml")
        total += int(profile["structure"]["households"]["value"])
    return total


def run_size(households: int, cores: int, bootstrap: int) -> dict:
    """One full pipeline run at ``households`` households; returns per-rule measurements."""
    config = load_config()
    scale = households / households_at_full_scale(config)
    workdir = RESULTS / f"run-{households}"
    shutil.rmtree(workdir, ignore_errors=True)
    shutil.copytree(ROOT / "config", workdir / "config")
    overrides = {"simulate": {"scale": scale}, "models": {"bootstrap": bootstrap}}
    (workdir / "bench.yaml").write_text(yaml.safe_dump(overrides))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
            "--directory", str(workdir), "--configfile", str(workdir / "bench.yaml"),
            "--workflow-profile", str(ROOT / "workflow" / "profiles" / "default"),
            "--cores", str(cores), "--quiet", "rules",
        ],
        check=True, env=env,
    )
    wall = time.perf_counter() - started
    rows = []
    for tsv in sorted((workdir / "reports" / "benchmarks").rglob("*.tsv")):
        bench = pd.read_csv(tsv, sep="\t")
        rows.append({"rule": tsv.parent.name, "job": tsv.stem, "s": float(bench["s"].iloc[0]),
                     "max_rss_mb": float(bench["max_rss"].iloc[0])})
    jobs = pd.DataFrame(rows)
    per_rule = jobs.groupby("rule").agg(s=("s", "sum"), max_rss_mb=("max_rss_mb", "max"), jobs=("job", "size"))
    return {
        "households": households,
        "scale": scale,
        "wall_s": wall,
        "peak_rss_mb": float(jobs["max_rss_mb"].max()),
        "rules": per_rule.reset_index().to_dict("records"),
    }


def markdown(results: list[dict]) -> str:
    """A table of per-rule seconds by size, with the ratio of the largest to the smallest."""
    lines = ["| rule | " + " | ".join(f"{r['households']:,} hh (s)" for r in results) + " |"]
    lines.append("|---|" + "---|" * len(results))
    rules = sorted({row["rule"] for r in results for row in r["rules"]})
    for rule in rules:
        cells = []
        for r in results:
            match = [row for row in r["rules"] if row["rule"] == rule]
            cells.append(f"{match[0]['s']:.1f}" if match else "—")
        lines.append(f"| {rule} | " + " | ".join(cells) + " |")
    lines.append("| **wall** | " + " | ".join(f"**{r['wall_s']:.1f}**" for r in results) + " |")
    lines.append("| peak RSS (MB) | " + " | ".join(f"{r['peak_rss_mb']:.0f}" for r in results) + " |")
    if len(results) > 1:
        ratio = results[-1]["wall_s"] / results[0]["wall_s"]
        lines.append(f"\nwall({results[-1]['households']:,}) / wall({results[0]['households']:,}) = {ratio:.2f}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--bootstrap", type=int, default=50)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = [run_size(n, args.cores, args.bootstrap) for n in args.households]
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2))
    (RESULTS / "latest.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
