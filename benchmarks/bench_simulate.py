"""Benchmark: simulate 1,000,000 households x 16 quarters; print wall time and peak memory.

    .venv/bin/python benchmarks/bench_simulate.py [--households 1000000] [--county shangluo]

The county's profile is scaled so it has the requested number of households; the panel runs
2021Q1-2024Q4 (16 quarters). Peak memory is the process's maximum resident set size; CPU
time is printed next to wall time because the machine may be shared. A script, not a test: timings depend on the machine (the target is <= 2 min, <= 6 GB on 2 cores).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from relapse_models.core.profiles import load_profile  # noqa: E402
from relapse_models.data.simulate import simulate_county  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--county", default="shangluo")
    ap.add_argument("--start", default="2021Q1")
    ap.add_argument("--end", default="2024Q4")
    args = ap.parse_args()
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    profile = load_profile(ROOT / "config" / "counties" / f"{args.county}.yaml")
    scale = args.households / profile["structure"]["households"]["value"]
    config["simulate"].update(scale=scale, start=args.start, end=args.end, mode="realistic")
    started, cpu0 = time.perf_counter(), time.process_time()
    sim = simulate_county(profile, config, 20240601)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu0
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"county {args.county}, scale {scale:.4f}: {len(sim.households):,} households, "
          f"{len(sim.panel):,} household-quarters, {len(sim.events):,} events, "
          f"{len(sim.truth):,} truth rows")
    print(f"time {elapsed:.1f} s (CPU {cpu:.1f} s), peak memory {peak_gb:.2f} GB, "
          f"kappa {sim.calibration.kappa:.3g}, notes {sim.calibration.notes}")


if __name__ == "__main__":
    main()
