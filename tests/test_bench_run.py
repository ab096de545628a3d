"""The benchmark driver's panel-length overrides give a config the pipeline accepts."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from relapse_models.core.config import load_config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import run as bench_run  # noqa: E402


def test_twenty_quarters_test_on_the_last_year_with_outcomes():
    overrides = bench_run.period_overrides(20)
    # 2021Q1..2025Q4; 2025 has no 4-quarter outcome window, so test 2024, train <= 2023:
    # the default config's own period
    assert overrides == {"simulate": {"start": "2021Q1", "end": "2025Q4"},
                         "models": {"train_until_year": 2023}}
    default = load_config()
    assert (default["simulate"]["start"], default["simulate"]["end"]) == ("2021Q1", "2025Q4")
    assert default["models"]["train_until_year"] == 2023


@pytest.mark.parametrize("quarters", [8, 14, 16])
def test_panel_length_refused(quarters):
    with pytest.raises(ValueError, match="--quarters"):
        bench_run.period_overrides(quarters)


def test_job_timeline_idle_core_seconds_and_tail():
    # two cores: a (0-10) and b (0-4) overlap, c (4-8) runs beside a, then d (10-20) alone
    jobs = pd.DataFrame({"rule": ["fit", "simulate", "clean", "robustness"],
                         "job": ["all", "x", "x", "all"],
                         "s": [10.0, 4.0, 4.0, 10.0],
                         "end": [110.0, 104.0, 108.0, 120.0]})
    timeline = bench_run.job_timeline(jobs, cores=2)
    assert timeline["jobs_s"] == 28.0
    assert timeline["idle_core_s"] == 2 * 20 - 28  # 8-10 on one core, 10-20 on one core
    assert [t["job"] for t in timeline["tail"]] == ["fit/all", "robustness/all"]
    assert timeline["tail"][-1] == {"job": "robustness/all", "start_s": 10.0, "end_s": 20.0}
