"""The benchmark driver's panel-length overrides give a config the pipeline accepts."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from relapse_models.core.config import load_config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import run as bench_run  # noqa: E402


def test_sixteen_quarters_test_on_the_last_year_with_outcomes():
    overrides = bench_run.period_overrides(16)
    # 2021Q1..2024Q4; 2024 has no 4-quarter outcome window, so test 2023, train <= 2022
    assert overrides == {"simulate": {"start": "2021Q1", "end": "2024Q4"},
                         "models": {"train_until_year": 2022}}
    config = load_config(overrides=overrides)
    assert config["simulate"]["end"] == "2024Q4" and config["models"]["train_until_year"] == 2022


@pytest.mark.parametrize("quarters", [8, 14])
def test_panel_length_refused(quarters):
    with pytest.raises(ValueError, match="--quarters"):
        bench_run.period_overrides(quarters)
