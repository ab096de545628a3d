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
