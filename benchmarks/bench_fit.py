"""Benchmark: the model stage (``stages.fit.fit_models``) on existing feature files; print
wall time, peak memory and the pooled out-of-time AUCs.

    .venv/bin/python benchmarks/bench_fit.py --project /tmp/proj [--profile out.prof]
        [--set models.bootstrap=50 ...] [--repeat-counties 8]

``--project`` is a pipeline project folder (``data/processed/<county>/features.parquet``,
``data/truth/<county>/truth.parquet``, e.g. after a run at scale 0.02). ``--repeat-counties k``
stacks k copies of each county's features with renamed household/town/village ids, to
measure the fit at k times the size without simulating it (the 1M-household projection).
Peak memory is the process's maximum resident set size; ``cpu_s`` (user + system, loading
included) is less sensitive than wall time to other jobs on a shared machine. A script, not
a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import resource
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from relapse_models.core.config import load_config  # noqa: E402
from relapse_models.stages import fit  # noqa: E402


def _set(config: dict, assignment: str) -> None:
    key, value = assignment.split("=", 1)
    *parents, last = key.split(".")
    node = config
    for p in parents:
        node = node[p]
    node[last] = yaml.safe_load(value)


def _repeat(features: pd.DataFrame, k: int) -> pd.DataFrame:
    """k copies with distinct household, town and village ids (``<id>_<copy>``), in the same
    counties: a panel k times as large with as many counties (as ``make bench`` scales it)."""
    if k <= 1:
        return features
    parts = []
    for i in range(k):
        part = features.copy()
        for col in ("household_id", "town_id", "village_id"):
            part[col] = part[col].astype(str) + f"_{i}"
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    for col in ("household_id", "town_id", "village_id", "county_id"):
        out[col] = out[col].astype("category")  # as fit.load_features gives them
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--project", required=True, type=Path)
    ap.add_argument("--counties", nargs="*", default=None)
    ap.add_argument("--set", action="append", default=[], help="config key=value (YAML value)")
    ap.add_argument("--repeat-counties", type=int, default=1)
    ap.add_argument("--profile", type=Path, default=None, help="write cProfile stats here")
    ap.add_argument("--no-truth", action="store_true")
    args = ap.parse_args()
    config = load_config()
    for assignment in args.set:
        _set(config, assignment)
    counties = args.counties or config["counties"]
    data = args.project / "data"
    started = time.perf_counter()
    features = fit.load_features(
        fit.county_paths(str(data / "processed"), counties, "features.parquet"),
        None if args.no_truth else fit.county_paths(str(data / "truth"), counties, "truth.parquet"),
    )
    features = _repeat(features, args.repeat_counties)
    loaded = time.perf_counter()
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    result = fit.fit_models(features, config)
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
        pstats.Stats(str(args.profile)).sort_stats("cumulative").print_stats(40)
    done = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    pooled = result.metrics["out_of_time"]["pooled"]
    summary = {
        "households": int(features["household_id"].nunique()),
        "rows": len(features),
        "n_train": result.metrics["n_train"],
        "n_test": result.metrics["n_test"],
        "load_s": round(loaded - started, 1),
        "fit_s": round(done - loaded, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_gb": round(peak_gb, 2),
        "auc": {m: round(v["auc"], 4) for m, v in pooled.items()},
        "ece": {m: round(v["ece"], 4) for m, v in pooled.items() if v["ece"] == v["ece"]},
        "auc_to_oracle": {m: round(v["auc_to_oracle"], 4) for m, v in pooled.items()
                          if "auc_to_oracle" in v},
        "timings": result.timings,
    }
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
