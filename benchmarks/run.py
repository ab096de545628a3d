"""`make bench`: run the whole pipeline at growing numbers of households and collect what
Snakemake's `benchmark:` files measured per rule (wall time, peak memory).

Each size runs in its own project folder under `benchmarks/results/run-<households>/`; in
the same run, on the largest county's cleaned tables, the feature step is timed against
the time to merely read them and against one DuckDB query that builds the same table
(`bench_features.py`); then a no-op rerun, and a dry run with 1,000 counties. The summary
goes to `benchmarks/results/latest.json`, `latest.md` and `scaling.png`. Timings live here,
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

import bench_features  # noqa: E402

from relapse_models.core.config import load_config  # noqa: E402
from relapse_models.core.profiles import load_profile  # noqa: E402


def households_at_full_scale(config: dict) -> int:
    """Households the generator simulates at ``scale: 1.0`` over the configured counties."""
    total = 0
    for county in config["counties"]:
        profile = load_profile(ROOT / config["profiles_dir"] / f"{county}.yaml")
        total += int(profile["structure"]["households"]["value"])
    return total


def snakemake(workdir: Path, configfile: Path, cores: int, *extra: str) -> float:
    """Run Snakemake on ``workdir``; seconds of wall time."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
            "--directory", str(workdir), "--configfile", str(configfile),
            "--workflow-profile", str(ROOT / "workflow" / "profiles" / "default"),
            "--cores", str(cores), "--quiet", "rules", *extra,
        ],
        check=True, env=env, stdout=subprocess.DEVNULL if "-n" in extra else None,
    )
    return time.perf_counter() - started


def period_overrides(quarters: int, start_year: int = 2021) -> dict:
    """``simulate``/``models`` overrides for a panel of ``quarters`` quarters from
    ``start_year`` Q1: the last simulated year has no complete 4-quarter outcome window, so
    the test year is the one before it and training ends a year earlier. The drift stage
    trains two years before the last labelled year, and the first panel year has no
    year-on-year inputs: so at least 20 quarters (the default config's panel)."""
    if quarters % 4 or quarters < 20:
        raise ValueError(f"--quarters must be a multiple of 4 and at least 20 (the drift "
                         f"stage's training years need a year of history), got {quarters}")
    last_year = start_year + quarters // 4 - 1
    return {"simulate": {"start": f"{start_year}Q1", "end": f"{last_year}Q4"},
            "models": {"train_until_year": last_year - 2}}


def run_size(households: int, cores: int, bootstrap: int, quarters: int = 20) -> dict:
    """One full pipeline run at ``households`` households; returns per-rule measurements,
    the feature step against its references, and the no-op rerun time."""
    config = load_config()
    scale = households / households_at_full_scale(config)
    workdir = RESULTS / f"run-{households}"
    shutil.rmtree(workdir, ignore_errors=True)
    shutil.copytree(ROOT / "config", workdir / "config")
    overrides = period_overrides(quarters)
    overrides["simulate"]["scale"] = scale
    overrides["models"]["bootstrap"] = bootstrap
    (workdir / "bench.yaml").write_text(yaml.safe_dump(overrides))
    wall = snakemake(workdir, workdir / "bench.yaml", cores)
    noop = snakemake(workdir, workdir / "bench.yaml", cores)
    rows = []
    for tsv in sorted((workdir / "reports" / "benchmarks").rglob("*.tsv")):
        bench = pd.read_csv(tsv, sep="\t")
        rows.append({"rule": tsv.parent.name, "job": tsv.stem, "s": float(bench["s"].iloc[0]),
                     "max_rss_mb": float(bench["max_rss"].iloc[0]), "end": tsv.stat().st_mtime})
    jobs = pd.DataFrame(rows)
    timeline = job_timeline(jobs, cores)
    per_rule = jobs.groupby("rule").agg(s=("s", "sum"), max_rss_mb=("max_rss_mb", "max"), jobs=("job", "size"))
    features = jobs[jobs["rule"] == "features"].sort_values("s")
    largest = str(features["job"].iloc[-1])
    reference = bench_features.measure(workdir / "data" / "interim" / largest, largest)
    return {
        "households": households,
        "quarters": quarters,
        "scale": scale,
        "wall_s": wall,
        "noop_rerun_s": noop,
        "peak_rss_mb": float(jobs["max_rss_mb"].max()),
        "rules": per_rule.reset_index().to_dict("records"),
        "jobs_s": timeline["jobs_s"],
        "idle_core_s": timeline["idle_core_s"],
        "tail": timeline["tail"],
        "features_reference": reference,
    }


def job_timeline(jobs: pd.DataFrame, cores: int) -> dict:
    """Where the cores waited: each job's start is its benchmark file's time less its
    seconds. ``idle_core_s`` is the core-seconds between the first start and the last end
    that no job used; ``tail`` lists the jobs still running once fewer than ``cores`` jobs
    are left for good (where a run waits on one long job)."""
    start = jobs["end"] - jobs["s"]
    busy = float(jobs["s"].sum())
    t0 = float(start.min())
    span = float(jobs["end"].max()) - t0
    edges = pd.concat([pd.Series(1, index=start.to_numpy()), pd.Series(-1, index=jobs["end"].to_numpy())])
    edges = edges.groupby(level=0).sum().sort_index()
    running = edges.cumsum()
    full = running.to_numpy() >= cores
    last_full = int(full.nonzero()[0].max()) if full.any() else -1
    tail_from = float(running.index[last_full + 1]) if last_full >= 0 else t0
    tail = jobs[jobs["end"] > tail_from].assign(start_s=start - t0, end_s=jobs["end"] - t0)
    return {
        "jobs_s": busy,
        "idle_core_s": cores * span - busy,
        "tail": [{"job": f"{r.rule}/{r.job}", "start_s": round(r.start_s, 1), "end_s": round(r.end_s, 1)}
                 for r in tail.sort_values("end_s").itertuples()],
    }


def dry_run_many_counties(n: int, cores: int) -> float:
    """Seconds for `snakemake -n` on ``n`` counties (copies of the first profile)."""
    workdir = RESULTS / f"dry-run-{n}"
    shutil.rmtree(workdir, ignore_errors=True)
    config = load_config()
    template = (ROOT / config["profiles_dir"] / f"{config['counties'][0]}.yaml").read_text()
    (workdir / "config" / "counties").mkdir(parents=True)
    names = [f"county{i:04d}" for i in range(n)]
    for name in names:
        text = template.replace(f"county_id: {config['counties'][0]}", f"county_id: {name}")
        (workdir / "config" / "counties" / f"{name}.yaml").write_text(text)
    (workdir / "many.yaml").write_text(yaml.safe_dump({"counties": names}))
    seconds = snakemake(workdir, workdir / "many.yaml", cores, "-n")
    shutil.rmtree(workdir)
    return seconds


def scaling_plot(results: list[dict], path: Path) -> None:
    """Seconds per rule and in all against households, log-log, with the linear slope."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["households"] for r in results]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for rule in sorted({row["rule"] for r in results for row in r["rules"]}):
        secs = [sum(row["s"] for row in r["rules"] if row["rule"] == rule) for r in results]
        ax.plot(sizes, secs, marker="o", lw=1, label=rule)
    walls = [r["wall_s"] for r in results]
    ax.plot(sizes, walls, marker="s", lw=2.5, color="black", label="wall (all)")
    ax.plot(sizes, [walls[0] * s / sizes[0] for s in sizes], ls="--", color="grey",
            label="linear from smallest")
    ax.set(xscale="log", yscale="log", xlabel=f"households (x {results[0]['quarters']} quarters)", ylabel="seconds",
           title="relapse-models: time by rule and size (2 cores)")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def markdown(results: list[dict], dry_run_s: float | None, counties: int) -> str:
    """Per-rule seconds by size, then the issue's targets next to the measured figures."""
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
    lines.append("| jobs' seconds, summed | " + " | ".join(f"{r['jobs_s']:.0f}" for r in results) + " |")
    lines.append("| idle core-seconds | " + " | ".join(f"{r['idle_core_s']:.0f}" for r in results) + " |")
    lines.append("| no-op rerun (s) | " + " | ".join(f"{r['noop_rerun_s']:.1f}" for r in results) + " |")
    lines.append("| features / DuckDB | " + " | ".join(
        f"{r['features_reference']['package_to_duckdb']:.2f}" for r in results) + " |")
    lines.append("| parquet read floor (s) | " + " | ".join(
        f"{r['features_reference']['read_floor_s']:.1f}" for r in results) + " |")
    big, small = results[-1], results[0]
    lines += ["", "| target | measured |", "|---|---|"]
    lines.append(f"| {big['households']:,} hh end to end <= 300 s (issue #22) | {big['wall_s']:.0f} s |")
    lines.append(f"| peak memory <= 6 GB (issue #22) | {big['peak_rss_mb'] / 1024:.1f} GB |")
    if len(results) > 1:
        ratio = big["wall_s"] / small["wall_s"]
        lines.append(f"| time({big['households']:,}) / time({small['households']:,}) <= 12 | {ratio:.2f} |")
    worst = max(r["features_reference"]["package_to_duckdb"] for r in results)
    lines.append(f"| feature step <= 2 x DuckDB query | {worst:.2f} x (worst size) |")
    lines.append(f"| no-op rerun <= 5 s | {max(r['noop_rerun_s'] for r in results):.1f} s |")
    if dry_run_s is not None:
        lines.append(f"| `snakemake -n` with {counties:,} counties <= 10 s (issue #22) | {dry_run_s:.1f} s |")
    for r in results:
        lines += ["", f"Jobs running at {r['households']:,} households once fewer than all cores were busy "
                  "for good (seconds from the first job's start):", ""]
        lines += [f"- {t['job']}: {t['start_s']:.0f} to {t['end_s']:.0f}" for t in r["tail"]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--bootstrap", type=int, default=50)
    parser.add_argument("--dry-run-counties", type=int, default=1000)
    parser.add_argument("--quarters", type=int, default=20,
                        help="panel length from 2021Q1 (20: the default config's panel)")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = [run_size(n, args.cores, args.bootstrap, args.quarters) for n in sorted(args.households)]
    dry = dry_run_many_counties(args.dry_run_counties, args.cores) if args.dry_run_counties else None
    summary = {"sizes": results, "dry_run_counties": args.dry_run_counties, "dry_run_s": dry}
    (RESULTS / "latest.json").write_text(json.dumps(summary, indent=2))
    table = markdown(results, dry, args.dry_run_counties)
    (RESULTS / "latest.md").write_text(table)
    scaling_plot(results, RESULTS / "scaling.png")
    print(table)


if __name__ == "__main__":
    main()
