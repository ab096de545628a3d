"""Reconciliation: columns, scaling, and the calibrated rates at small scale."""

from pathlib import Path

import pandas as pd
import pytest
import yaml

from relapse_models.profiles import load_profile
from relapse_models.reconcile import COLUMNS, reconcile
from relapse_models.simulate import simulate_county

ROOT = Path(__file__).resolve().parents[1]
RATES = {"income_growth", "income_growth_relocated", "medical_reimbursement_rate", "elimination_rate"}
EXACT = {"dibao_households", "public_welfare_jobs", "houses_renovated"}


def _run(cid: str, scale: float, seed: int = 1) -> tuple[dict, pd.DataFrame]:
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    cfg["simulate"]["scale"] = scale
    cfg.setdefault("data", {})["source"] = "synthetic"
    profile = load_profile(ROOT / "config" / "counties" / f"{cid}.yaml")
    sim = simulate_county(profile, cfg, seed)
    return profile, reconcile(profile, sim.households, sim.panel, sim.events, cfg)


@pytest.fixture(scope="module")
def yeji():
    return _run("yeji", 0.5)


def test_columns_and_rows(yeji):
    profile, table = yeji
    assert list(table.columns) == COLUMNS
    reproducible = {k for k, v in profile["published"].items()
                    if v["value"] is not None and v.get("reproducible", True)}
    assert set(table["indicator"]) == reproducible
    assert table["source"].str.startswith(profile["source"]["file"]).all()


def test_yeji_within_tolerance(yeji):
    _, table = yeji
    for _, row in table.iterrows():
        if row["indicator"] in RATES:
            assert abs(row["computed"] - row["published"]) <= 1.0, row["indicator"]
        elif row["indicator"] in EXACT:
            # exact selections: only rounding of published x scale
            assert abs(row["computed"] - row["published"]) <= 1 / 0.5, row["indicator"]
        else:
            assert abs(row["rel_diff"]) <= 0.03, row["indicator"]


def test_counts_scaled_back_and_rates_kept():
    _, small = _run("xunyi", 0.05)
    _, large = _run("xunyi", 0.2)
    a, b = small.set_index("indicator"), large.set_index("indicator")
    # counts reported on the county's scale whatever the run size
    for k in ("public_welfare_jobs", "houses_renovated"):
        assert a.loc[k, "computed"] == pytest.approx(a.loc[k, "published"], abs=1 / 0.05)
        assert b.loc[k, "computed"] == pytest.approx(b.loc[k, "published"], abs=1 / 0.2)
