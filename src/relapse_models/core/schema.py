"""Canonical tables shared by every stage: column names, codes with their Chinese labels,
and pandera schemas.

Every source (the synthetic generator, a county's export after cleaning) ends in these
three observable tables, so everything downstream is written once:

- ``households``: one row per household, static attributes;
- ``panel``: one row per household and quarter, amounts in yuan for that quarter;
- ``events``: monitoring events (identification, risk elimination), one row each.

Ground truth (``truth``) exists only for synthetic data and is kept in its own file,
never joined into the observable tables.
"""

from __future__ import annotations

import pandera.pandas as pa

# --- codes and their Chinese labels -------------------------------------------------------

CATEGORY_LABELS: dict[str, str] = {
    "poverty_alleviated": "脱贫户",
    "general": "一般农户",
}

MONITORING_TYPE_LABELS: dict[str, str] = {
    "unstable": "脱贫不稳定户",
    "edge": "边缘易致贫户",
    "sudden": "突发严重困难户",
}

MONITORING_STATUS_LABELS: dict[str, str] = {
    "none": "非监测对象",
    "monitored": "监测中",
    "eliminated": "风险已消除",
}

RISK_TYPE_LABELS: dict[str, str] = {
    "illness": "因病",
    "disability": "因残",
    "education": "因学",
    "disaster": "因灾",
    "accident": "因意外事故",
    "epidemic": "因疫",
    "business_failure": "因产业失败",
    "unstable_employment": "因务工就业不稳",
    "lack_of_labour": "缺劳动力",
    "housing": "住房安全",
    "water": "饮水安全",
    "rigid_spending": "大额刚性支出",
    "income_drop": "收入骤减",
    "other": "其他",
}

DISASTER_TYPE_LABELS: dict[str, str] = {
    "flood": "洪涝",
    "drought": "干旱",
    "hail": "风雹",
    "low_temperature": "低温冷冻和雪灾",
    "earthquake": "地震",
    "landslide": "滑坡泥石流",
    "forest_fire": "森林火灾",
    "typhoon": "台风",
}
"""Natural disaster types as the emergency-management statistics count them (风雹 is wind and
hail storms together; 滑坡泥石流 the geological disasters). Profiles give their mix with these
codes (``generator.disaster_types``)."""

EVENT_LABELS: dict[str, str] = {
    "identified": "识别纳入监测",
    "eliminated": "风险消除",
}

INCOME_COLUMNS: tuple[str, ...] = (
    "income_wage",
    "income_operating",
    "income_property",
    "income_transfer",
)
"""Gross income components (yuan per quarter), as the monitoring system records them."""

CROSS_FIELD_RULES: dict[str, tuple[str, str]] = {
    "reimbursed_le_total": ("medical_reimbursed", "medical_reimbursed exceeds medical_total"),
}
"""Row checks over several columns: rule name -> (column to report, message)."""

# --- table schemas ------------------------------------------------------------------------

_id = pa.Column(str, nullable=False)
_money = pa.Column(float, pa.Check.ge(0), nullable=False)
_count = pa.Column(int, pa.Check.ge(0), nullable=False)

HOUSEHOLDS = pa.DataFrameSchema(
    {
        "household_id": pa.Column(str, nullable=False, unique=True),
        "county_id": _id,
        "town_id": _id,
        "village_id": _id,
        "household_size": pa.Column(int, pa.Check.in_range(1, 30), nullable=False),
        "n_labour": _count,
        "n_elderly": _count,
        "n_children": _count,
        "n_disabled": _count,
        "n_chronic_ill": _count,
        "head_age": pa.Column(int, pa.Check.in_range(16, 110), nullable=False),
        "head_sex": pa.Column(str, pa.Check.isin(["M", "F"]), nullable=False),
        "head_education_years": pa.Column(int, pa.Check.in_range(0, 22), nullable=False),
        "category": pa.Column(str, pa.Check.isin(list(CATEGORY_LABELS)), nullable=False),
        "relocated": pa.Column(bool, nullable=False),
        "poverty_exit_year": pa.Column("Int64", pa.Check.in_range(2013, 2030), nullable=True),
    },
    strict=False,
    coerce=True,
    name="households",
)
"""One row per household. Extra columns are allowed (sources differ); these are required."""

PANEL = pa.DataFrameSchema(
    {
        "household_id": _id,
        "county_id": _id,
        "village_id": _id,
        "year": pa.Column(int, pa.Check.in_range(2014, 2035), nullable=False),
        "quarter": pa.Column(int, pa.Check.isin([1, 2, 3, 4]), nullable=False),
        **{c: _money for c in INCOME_COLUMNS},
        "production_cost": _money,
        "dibao": pa.Column(bool, nullable=False),
        "public_welfare_job": pa.Column(bool, nullable=False),
        "medical_total": _money,
        "medical_reimbursed": _money,
        "medical_oop": _money,
        "disaster_type": pa.Column(
            str, pa.Check.isin(list(DISASTER_TYPE_LABELS)), nullable=True
        ),
        "disaster_loss": _money,
        "housing_safe": pa.Column(bool, nullable=False),
        "water_safe": pa.Column(bool, nullable=False),
        "monitoring_status": pa.Column(
            str, pa.Check.isin(list(MONITORING_STATUS_LABELS)), nullable=False
        ),
        "monitoring_type": pa.Column(
            str, pa.Check.isin(list(MONITORING_TYPE_LABELS)), nullable=True
        ),
        "risk_type": pa.Column(str, pa.Check.isin(list(RISK_TYPE_LABELS)), nullable=True),
    },
    checks=[
        pa.Check(
            lambda df: df["medical_reimbursed"] <= df["medical_total"] + 0.5,
            name="reimbursed_le_total",
        ),
    ],
    unique=["household_id", "year", "quarter"],
    strict=False,
    coerce=True,
    name="panel",
)
"""One row per household-quarter; amounts are yuan within that quarter (not cumulative)."""

EVENTS = pa.DataFrameSchema(
    {
        "household_id": _id,
        "county_id": _id,
        "event": pa.Column(str, pa.Check.isin(list(EVENT_LABELS)), nullable=False),
        "date": pa.Column("datetime64[ns]", nullable=False),
        "monitoring_type": pa.Column(
            str, pa.Check.isin(list(MONITORING_TYPE_LABELS)), nullable=True
        ),
        "risk_type": pa.Column(str, pa.Check.isin(list(RISK_TYPE_LABELS)), nullable=True),
    },
    strict=False,
    coerce=True,
    name="events",
)
"""Monitoring events: when a household was identified and when its risk was eliminated."""

TRUTH = pa.DataFrameSchema(
    {
        "household_id": _id,
        "year": pa.Column(int, nullable=False),
        "quarter": pa.Column(int, pa.Check.isin([1, 2, 3, 4]), nullable=False),
        "true_prob": pa.Column(float, pa.Check.in_range(0.0, 1.0), nullable=False),
        "relapse_next_4q": pa.Column(bool, nullable=False),
    },
    unique=["household_id", "year", "quarter"],
    strict=False,
    coerce=True,
    name="truth",
)
"""Synthetic ground truth: the generator's probability that the household relapses within the
next four quarters (as defined in ``relapse_models.outcome.relapse``) and the realised outcome."""

OBSERVABLE_SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "households": HOUSEHOLDS,
    "panel": PANEL,
    "events": EVENTS,
}

TRUTH_COLUMNS: frozenset[str] = frozenset({"true_prob", "relapse_next_4q"})
"""Columns that must never appear in an observable table."""
