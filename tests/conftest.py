"""Shared pytest fixtures."""

from __future__ import annotations

# ===========================================================================================
# BEGIN fixtures for labels / features / models / evaluate / thresholds (scientific core)
# Hand-made tables that validate against relapse_models.schema; every number in the tests of
# the scientific core is derived by hand from these. Do not change values without redoing the
# hand computations in tests/test_labels.py and tests/test_features.py.
# ===========================================================================================
import numpy as np
import pandas as pd
import pytest

TINY_LINES: dict[int, float] = {2021: 6000.0, 2022: 6000.0, 2023: 7000.0}


def make_tiny_tables() -> dict[str, pd.DataFrame]:
    """Four households, one county, two towns/villages, 2021Q1-2023Q4, household size 2.

    - A (v1): wage 4000 per quarter, 0 in 2022Q3 and 2022Q4; OOP medical 2000 in 2022Q4.
    - B (v1): wage 3500 + transfer 500 per quarter; identified 2022-05-10 (2022Q2),
      eliminated 2022-11-20 (2022Q4); monitored in 2022Q2-Q3, eliminated afterwards.
    - C (v2): wage 4000 per quarter; the 2022Q2 row is missing (a gap).
    - D (v2): wage 3250 per quarter (6500 per person per year: above the 2021-22 line of 6000,
      below the 2023 line of 7000); flood loss 1000 in 2022Q1.
    """
    households = pd.DataFrame(
        {
            "household_id": ["A", "B", "C", "D"],
            "county_id": "c1",
            "town_id": ["t1", "t1", "t2", "t2"],
            "village_id": ["v1", "v1", "v2", "v2"],
            "household_size": [2, 2, 2, 2],
            "n_labour": [2, 1, 2, 0],
            "n_elderly": [0, 1, 0, 2],
            "n_children": [0, 0, 0, 0],
            "n_disabled": [0, 0, 0, 1],
            "n_chronic_ill": [0, 1, 0, 0],
            "head_age": [45, 62, 50, 75],
            "head_sex": ["M", "M", "F", "M"],
            "head_education_years": [9, 6, 6, 0],
            "category": ["poverty_alleviated", "general", "poverty_alleviated", "general"],
            "relocated": [False, False, True, False],
            "poverty_exit_year": pd.array([2019, None, 2020, None], dtype="Int64"),
        }
    )
    quarters = [(y, q) for y in (2021, 2022, 2023) for q in (1, 2, 3, 4)]
    rows = []
    for hid, vid in zip("ABCD", ["v1", "v1", "v2", "v2"], strict=True):
        for y, q in quarters:
            if hid == "C" and (y, q) == (2022, 2):
                continue
            row = {
                "household_id": hid, "county_id": "c1", "village_id": vid, "year": y,
                "quarter": q, "income_wage": 4000.0, "income_operating": 0.0,
                "income_property": 0.0, "income_transfer": 0.0, "production_cost": 0.0,
                "dibao": False, "public_welfare_job": False, "medical_total": 0.0,
                "medical_reimbursed": 0.0, "medical_oop": 0.0, "disaster_type": None,
                "disaster_loss": 0.0, "housing_safe": True, "water_safe": True,
                "monitoring_status": "none", "monitoring_type": None, "risk_type": None,
            }
            if hid == "A" and (y, q) in {(2022, 3), (2022, 4)}:
                row["income_wage"] = 0.0
            if hid == "A" and (y, q) == (2022, 4):
                row.update(medical_total=5000.0, medical_reimbursed=3000.0, medical_oop=2000.0)
            if hid == "B":
                row.update(income_wage=3500.0, income_transfer=500.0)
                if (y, q) in {(2022, 2), (2022, 3)}:
                    row.update(monitoring_status="monitored", monitoring_type="unstable",
                               risk_type="illness")
                elif y * 4 + q >= 2022 * 4 + 4:
                    row.update(monitoring_status="eliminated")
            if hid == "D":
                row["income_wage"] = 3250.0
                if (y, q) == (2022, 1):
                    row.update(disaster_type="flood", disaster_loss=1000.0)
            rows.append(row)
    panel = pd.DataFrame(rows)
    events = pd.DataFrame(
        {
            "household_id": ["B", "B"],
            "county_id": ["c1", "c1"],
            "event": ["identified", "eliminated"],
            "date": pd.to_datetime(["2022-05-10", "2022-11-20"]),
            "monitoring_type": ["unstable", "unstable"],
            "risk_type": ["illness", "illness"],
        }
    )
    from relapse_models import schema

    return {
        "households": schema.HOUSEHOLDS.validate(households),
        "panel": schema.PANEL.validate(panel),
        "events": schema.EVENTS.validate(events),
    }


@pytest.fixture
def tiny_tables() -> dict[str, pd.DataFrame]:
    """Fresh copies of the hand-made tables (see :func:`make_tiny_tables`)."""
    return make_tiny_tables()


@pytest.fixture
def tiny_lines() -> dict[int, float]:
    return dict(TINY_LINES)


def make_logit_data(n: int = 20000, n_villages: int = 200, seed: int = 1) -> pd.DataFrame:
    """Data drawn from a known logistic model: logit p = -1.5 + 0.8 x1 - 0.5 x2 + 1.0 flag."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    flag = (rng.random(n) < 0.3).astype(float)
    eta = -1.5 + 0.8 * x1 - 0.5 * x2 + 1.0 * flag
    y = rng.random(n) < 1.0 / (1.0 + np.exp(-eta))
    village = rng.integers(0, n_villages, size=n).astype(str)
    return pd.DataFrame({"x1": x1, "x2": x2, "flag": flag, "y": y, "village_id": village})


@pytest.fixture
def logit_data() -> pd.DataFrame:
    return make_logit_data()


# ===========================================================================================
# END fixtures for the scientific core
# ===========================================================================================


# ===========================================================================================
# BEGIN fixtures for threshold evaluation: equity, decision curve, intervals, tiers (issue 7)
# Every number in tests/test_decision.py, tests/test_equity.py and the issue-7 tests of
# tests/test_thresholds.py is worked out by hand from this table; redo them if it changes.
# ===========================================================================================


def make_ten_households() -> pd.DataFrame:
    """Ten at-risk household-quarters of one county in 2024Q1, four of them relapse cases.

    ====  ====  =======  =======  =====  ====  =======  ========  =======  =========  ====
    hh    town  village  relapse  logit  rule  elderly  disabled  chronic  relocated  pa
    ====  ====  =======  =======  =====  ====  =======  ========  =======  =========  ====
    h1    t1    v1       1        0.90   0.75  0.5      1         0        0          1
    h2    t1    v1       1        0.70   0.25  0        0         1        0          1
    h3    t1    v1       0        0.60   0.50  0        0         0        1          0
    h4    t1    v2       1        0.40   0.00  0.5      0         0        0          1
    h5    t1    v2       0        0.30   0.25  0        0         0        0          0
    h6    t1    v2       0        0.20   0.00  1.0      1         0        0          0
    h7    t2    v3       1        0.15   0.00  1.0      0         1        0          1
    h8    t2    v3       0        0.10   0.00  0        0         0        1          0
    h9    t2    v3       0        0.05   0.25  0        0         0        0          1
    h10   t2    v3       0        0.02   0.00  0        0         0        0          0
    ====  ====  =======  =======  =====  ====  =======  ========  =======  =========  ====

    ``rule`` is the share of the four official triggers met (h1: 3, h3: 2, h2/h5/h9: 1).
    """
    return pd.DataFrame(
        {
            "household_id": [f"h{i}" for i in range(1, 11)],
            "county_id": "c1",
            "town_id": ["t1"] * 6 + ["t2"] * 4,
            "village_id": ["v1"] * 3 + ["v2"] * 3 + ["v3"] * 4,
            "year": 2024,
            "quarter": 1,
            "relapse": pd.array([1, 1, 0, 1, 0, 0, 1, 0, 0, 0], dtype="boolean"),
            "score_logit": [0.90, 0.70, 0.60, 0.40, 0.30, 0.20, 0.15, 0.10, 0.05, 0.02],
            "score_rule": [0.75, 0.25, 0.50, 0.0, 0.25, 0.0, 0.0, 0.0, 0.25, 0.0],
            "elderly_share": [0.5, 0, 0, 0.5, 0, 1.0, 1.0, 0, 0, 0],
            "any_disabled": [1.0, 0, 0, 0, 0, 1, 0, 0, 0, 0],
            "any_chronic_ill": [0.0, 1, 0, 0, 0, 0, 1, 0, 0, 0],
            "relocated": [0.0, 0, 1, 0, 0, 0, 0, 1, 0, 0],
            "poverty_alleviated": [1.0, 1, 0, 1, 0, 0, 1, 0, 1, 0],
        }
    )


@pytest.fixture
def ten_households() -> pd.DataFrame:
    """Fresh copy of :func:`make_ten_households`."""
    return make_ten_households()


# ===========================================================================================
# END fixtures for threshold evaluation
# ===========================================================================================


# ===========================================================================================
# BEGIN fixtures for the model stage (steps/fit.py): a feature frame drawn from a known model
# ===========================================================================================

FEATURE_FRAME_TRUTH: dict[str, float] = {
    "Intercept": 1.0, "income_ratio": -2.0, "any_chronic_ill": 0.8, "disaster_hh_4q": 0.6,
}
"""logit P(relapse) of :func:`make_feature_frame`; every other feature is noise."""


def make_feature_frame(
    n_counties: int = 3, households: int = 120, villages: int = 4, seed: int = 8
) -> pd.DataFrame:
    """Household-quarters 2021Q1-2024Q4 shaped like ``build_features`` output (keys, every
    feature, extras, label, ``true_prob``), with the label drawn from a known logit.
    Household and village ids are unique across counties, as in the real data."""
    from relapse_models.features import FEATURE_COLUMNS

    rng = np.random.default_rng(seed)
    quarters = [(y, q) for y in range(2021, 2025) for q in (1, 2, 3, 4)]
    n_hh = n_counties * households
    hh = np.repeat(np.arange(n_hh), len(quarters))
    county = hh // households
    village = county * villages + (hh % households) % villages
    year = np.tile([y for y, _ in quarters], n_hh)
    quarter = np.tile([q for _, q in quarters], n_hh)
    n = len(hh)
    df = pd.DataFrame(
        {
            "household_id": [f"h{i:05d}" for i in hh],
            "county_id": [f"c{i}" for i in county],
            "town_id": [f"t{i}" for i in county],
            "village_id": [f"v{i:03d}" for i in village],
            "year": year,
            "quarter": quarter,
        }
    )
    feats = pd.DataFrame(rng.random((n, len(FEATURE_COLUMNS))), columns=FEATURE_COLUMNS)
    feats["income_ratio"] = rng.uniform(0.8, 3.0, n)
    feats["any_chronic_ill"] = (rng.random(n_hh) < 0.3).astype(float)[hh]
    feats["disaster_hh_4q"] = (rng.random(n) < 0.2).astype(float)
    t = FEATURE_FRAME_TRUTH
    eta = t["Intercept"] + sum(t[c] * feats[c].to_numpy() for c in t if c != "Intercept")
    prob = 1.0 / (1.0 + np.exp(-eta))
    df = pd.concat([df, feats], axis=1)
    df["line"] = 6000.0
    df["income_pc_4q"] = df["income_ratio"] * df["line"]
    df["at_risk"] = True
    df["relapse_in_quarters"] = pd.array([pd.NA] * n, dtype="Int64")
    df["relapse"] = pd.array(rng.random(n) < prob, dtype="boolean")
    df["true_prob"] = prob
    df.attrs["horizon_quarters"] = 4
    return df


@pytest.fixture(scope="module")
def feature_frame() -> pd.DataFrame:
    return make_feature_frame()


# ===========================================================================================
# END fixtures for the model stage
# ===========================================================================================
