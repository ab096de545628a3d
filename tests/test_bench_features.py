"""The DuckDB reference of `benchmarks/bench_features.py` must compute what the package
computes, or the feature step's "at most 2x the reference" figure compares unlike work."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relapse_models.core.config import load_config
from relapse_models.core.io import write_parquet
from relapse_models.core.lines import lines_for_province
from relapse_models.core.profiles import load_profile
from relapse_models.data.simulate import simulate_county
from relapse_models.outcome.features import SHOCK_FEATURES, build_features

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_features  # noqa: E402

SAME = [
    "income_ratio", "income_yoy_drop", "income_trend", "income_volatility", "wage_share",
    "transfer_share", "oop_to_line", "disaster_hh_4q", "village_disaster_share",
    "household_size", "labour_share", "dependency_ratio", "elderly_share", "dibao",
    "monitored_now", "income_pc_4q", "line", "log_income_ratio", "log_market_income_ratio",
    "quarters_since_serious_illness", "quarters_since_severe_disaster",
    "quarters_since_wage_collapse", "quarters_since_shock",
]


@pytest.fixture(scope="module")
def interim(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    config = load_config()
    config = copy.deepcopy(config)
    config["simulate"]["scale"] = 0.002
    profile = load_profile(ROOT / "config" / "counties" / "xunyi.yaml")
    sim = simulate_county(profile, config, 3)
    # so every shock flag occurs (this tiny county draws no severe disaster): a loss of the
    # whole operating income and as much again in every 37th row, the operating income gone
    rows = sim.panel.index[::37]
    sim.panel.loc[rows, "disaster_loss"] = 2 * sim.panel.loc[rows, "income_operating"] + 100.0
    sim.panel.loc[rows, "income_operating"] = 0.0
    folder = tmp_path_factory.mktemp("interim")
    for name in ("households", "panel", "events"):
        write_parquet(getattr(sim, name), folder / f"{name}.parquet")
    return folder, config, lines_for_province(config["monitoring"], profile["province_en"])


def test_duckdb_reference_matches_the_package(interim: tuple[Path, dict, dict], tmp_path: Path):
    folder, config, lines = interim
    bench_features.time_duckdb(folder, lines, tmp_path / "duck.parquet", threads=1)
    duck = pd.read_parquet(tmp_path / "duck.parquet")
    tables = {t: pd.read_parquet(folder / f"{t}.parquet") for t in ("households", "panel", "events")}
    ours = build_features(tables["households"], tables["panel"], tables["events"], lines, config)
    assert len(duck) == len(ours)
    both = ours.merge(duck, on=["household_id", "year", "quarter"], suffixes=("", "_duck"))
    assert len(both) == len(ours)
    for column in SAME:
        a = both[column].astype(float).to_numpy()
        b = both[f"{column}_duck"].astype(float).to_numpy()
        known = ~np.isnan(a)
        assert known.mean() > 0.5, column
        np.testing.assert_allclose(b[known], a[known], rtol=1e-9, atol=1e-9, err_msg=column)
    for column in SHOCK_FEATURES:  # each shock kind occurs, so the comparison has teeth
        assert set(ours[column].dropna()) == {0.0, 1.0, 2.0, 3.0, 4.0}, column
