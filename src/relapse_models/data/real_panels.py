"""A real annual panel as a county's cleaned export would be: canonical tables (annual
frequency, ``periods_per_year`` = 1) that then go through the feature step, every model of
the model stage and the evaluation unchanged, each model scored against the one-variable
income baseline (:mod:`relapse_models.stages.public_benchmark`).

The panel: NLSY young men 1980-1987 (Vella & Verbeek 1998, J. Applied Econometrics 13),
``linearmodels.datasets.wage_panel``, shipped inside the linearmodels wheel (no download):
545 men, 8 consecutive years, 4,360 person-years; log hourly wage and annual hours worked.

Mapping, every assumption:

- **Household = person** (``household_id`` = ``nlsy-<nr>``, ``household_size`` 1): the data
  are about one earner, not a household; income per person is his annual earnings
  ``exp(lwage) x hours`` (US dollars of the year).
- **Years.** 1980-1987 become 2020-2027 (``YEAR_OFFSET``: the schema's years are 2014-2035;
  only differences between years matter to the features and the split).
- **Line.** ``LINE_SHARE`` (0.6) x the year's median earnings: a relative line that rises
  with earnings, as the monitoring line rises each year. Each year's income is compared with
  that year's line (annual frequency: the window is the year itself).
- **Domains present:** income (as wages: ``income_wage``), demographics (head age
  ``educ + exper + 6``, education ``educ``, sex male). Absent, so left out: medical,
  disaster, assistance, housing and water, monitoring, events, place. ``married`` is not a
  canonical column and is not used.
- **Clusters.** No villages: each person is his own cluster (bootstrap intervals resample
  persons). One county (``nlsy``): no leave-one-county-out.

The relapse label is the project's (:mod:`relapse_models.outcome.relapse`): a person-year above the
line is positive when next year's earnings are below next year's line.

**Baseline.** :func:`relapse_models.stages.public_benchmark.income_baseline` ranks the test rows by income relative to the line
(``-income_ratio``): the one-variable rule any analyst would try first. Every model's AUC is
compared with it on the same rows, paired, with a person-clustered bootstrap interval
(:func:`relapse_models.models.evaluation.compare_scores`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from relapse_models.core.schema import EVENTS, HOUSEHOLDS, PANEL

YEAR_OFFSET = 40
"""Calendar year in the tables = survey year + 40 (1980-1987 -> 2020-2027)."""

LINE_SHARE = 0.6
"""Line = this share of the year's median earnings (the EU's at-risk-of-poverty convention)."""

MODELS: tuple[str, ...] = ("rule", "logit", "gbm", "vulnerability", "hazard")
"""Every model of the model stage."""


def load_wage_panel() -> pd.DataFrame:
    """The raw NLSY wage panel from the linearmodels wheel (no network)."""
    from linearmodels.datasets import wage_panel

    return wage_panel.load()


def map_wage_panel(raw: pd.DataFrame | None = None, line_share: float = LINE_SHARE
                   ) -> dict[str, Any]:
    """The wage panel as canonical ``households``, ``panel`` (annual) and ``events``
    (empty) tables, validated by the schemas, with its ``lines`` (year -> line) and the
    config ``overrides`` for the model stage; see the module docstring."""
    raw = load_wage_panel() if raw is None else raw
    missing = [c for c in ("nr", "year", "lwage", "hours", "educ", "exper") if c not in raw]
    if missing:
        raise ValueError(f"wage_panel: missing columns {missing}")
    d = raw.sort_values(["nr", "year"]).reset_index(drop=True)
    if d[["nr", "year"]].duplicated().any():
        raise ValueError("wage_panel: a person has two rows for one year")
    ids = "nlsy-" + d["nr"].astype(str)
    year = d["year"].astype(int) + YEAR_OFFSET
    earnings = np.exp(d["lwage"].astype(float)) * d["hours"].astype(float)
    lines = {int(y): float(line_share * v) for y, v in earnings.groupby(year).median().items()}
    first = d.drop_duplicates("nr")
    households = pd.DataFrame({
        "household_id": "nlsy-" + first["nr"].astype(str),
        "county_id": "nlsy",
        "household_size": 1,
        "head_age": (first["educ"] + first["exper"] + 6).clip(16, 110).astype(int),
        "head_sex": "M",
        "head_education_years": first["educ"].clip(0, 22).astype(int),
    })
    panel = pd.DataFrame({
        "household_id": ids, "county_id": "nlsy", "year": year, "quarter": 4,
        "periods_per_year": 1, "income_wage": earnings,
    })
    events = pd.DataFrame({c: pd.Series(dtype=object) for c in EVENTS.columns})
    events["date"] = pd.to_datetime(events["date"])
    overrides = {  # years from the data: no simulator setting applies
        "models": {"names": list(MODELS), "train_until_year": None,
                   "leave_one_county_out": False, "drivers": False},
        "monitoring": {"horizon_quarters": 4},
    }
    return {"households": HOUSEHOLDS.validate(households), "panel": PANEL.validate(panel),
            "events": EVENTS.validate(events), "lines": lines, "overrides": overrides,
            "name": "NLSY wage panel (linearmodels.datasets.wage_panel)"}
