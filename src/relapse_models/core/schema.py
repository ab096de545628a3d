"""Canonical tables shared by every stage: column names, codes with their Chinese labels,
and pandera schemas.

Every source (the synthetic generator, a county's export after cleaning) ends in these
three observable tables, so everything downstream is written once:

- ``households``: one row per household, static attributes;
- ``panel``: one row per household and period (quarter, or year), amounts in yuan for it;
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

# --- domains: what a real export may lack ---------------------------------------------------

REQUIRED_PANEL_COLUMNS: tuple[str, ...] = ("household_id", "county_id", "year", "quarter")
"""A panel needs a household, a period and income (:data:`INCOME_COLUMNS` or ``income_net``,
at least one); every other column belongs to an optional domain."""

DOMAINS: dict[str, tuple[str, ...]] = {
    "income_components": (*INCOME_COLUMNS, "production_cost"),
    "place": ("town_id", "village_id"),
    "demographics": ("household_size", "n_labour", "n_elderly", "n_children", "head_age",
                     "head_sex", "head_education_years"),
    "health_status": ("n_disabled", "n_chronic_ill"),
    "poverty_register": ("category", "relocated", "poverty_exit_year"),
    "medical": ("medical_total", "medical_reimbursed", "medical_oop"),
    "disaster": ("disaster_type", "disaster_loss"),
    "assistance": ("dibao", "public_welfare_job"),
    "housing_water": ("housing_safe", "water_safe"),
    "monitoring": ("monitoring_status", "monitoring_type", "risk_type"),
}
"""Optional domains and their canonical columns (households and panel). A domain an export
does not have is absent from the tables (not filled with zeros); the features built from it
are left out and the models fit without them; the cleaning report lists it. Missing values
in a column that is present stay missing (``NaN``/``<NA>``): see docs/real_data.md."""



def domain_report(tables: dict) -> dict[str, object]:
    """Which optional :data:`DOMAINS` the tables have (a column present with at least one
    value), which they lack, and per present column how many values are missing: what the
    cleaning report and the county page say about the data. ``events`` counts as a domain
    too (identification and elimination events)."""
    present, absent, missing = [], [], {}
    for domain, columns in DOMAINS.items():
        have = False
        for table in ("households", "panel"):
            df = tables.get(table)
            if df is None:
                continue
            for col in columns:
                if col in df.columns and df[col].notna().any():
                    have = True
                    n = int(df[col].isna().sum())
                    if n and col not in ("disaster_type", "monitoring_type", "risk_type",
                                         "poverty_exit_year"):
                        missing[f"{table}.{col}"] = n
        (present if have else absent).append(domain)
    events = tables.get("events")
    (present if events is not None and len(events) else absent).append("events")
    return {"domains_present": present, "domains_absent": absent, "missing_values": missing}


OPTIONAL_COLUMNS: frozenset[str] = frozenset(
    c for domain, cols in DOMAINS.items() if domain != "income_components" for c in cols)
"""Columns whose blank cells are missing values (kept as such), not broken rows: every
optional domain's but income's (a blank income cell is quarantined: income is the label)."""


# --- table schemas ------------------------------------------------------------------------

_id = pa.Column(str, nullable=False)


def _reimbursed_le_total(df):
    """Reimbursement at most the total (half a yuan of rounding); a missing amount, or a
    panel without the medical domain, passes."""
    import pandas as pd

    if not {"medical_reimbursed", "medical_total"} <= set(df.columns):
        return pd.Series(True, index=df.index)
    return ~(df["medical_reimbursed"] > df["medical_total"] + 0.5)


def _opt(dtype, *checks: pa.Check) -> pa.Column:
    """A column of an optional domain: may be absent, may hold missing values."""
    return pa.Column(dtype, list(checks), nullable=True, required=False)


_money = pa.Column(float, pa.Check.ge(0), nullable=False, required=False)
"""Income amounts: optional one by one (at least one is checked for by the cleaner), never
blank when present (a blank income cell is quarantined, not read as zero)."""
_opt_money = _opt(float, pa.Check.ge(0))
_count = _opt("Int64", pa.Check.ge(0))

HOUSEHOLDS = pa.DataFrameSchema(
    {
        "household_id": pa.Column(str, nullable=False, unique=True),
        "county_id": _id,
        "town_id": _opt(str),
        "village_id": _opt(str),
        "household_size": _opt("Int64", pa.Check.in_range(1, 30)),
        "n_labour": _count,
        "n_elderly": _count,
        "n_children": _count,
        "n_disabled": _count,
        "n_chronic_ill": _count,
        "head_age": _opt("Int64", pa.Check.in_range(16, 110)),
        "head_sex": _opt(str, pa.Check.isin(["M", "F"])),
        "head_education_years": _opt("Int64", pa.Check.in_range(0, 22)),
        "category": _opt(str, pa.Check.isin(list(CATEGORY_LABELS))),
        "relocated": _opt("boolean"),
        "poverty_exit_year": pa.Column("Int64", pa.Check.in_range(2013, 2030), nullable=True,
                                       required=False),
    },
    strict=False,
    coerce=True,
    name="households",
)
"""One row per household. Extra columns are allowed (sources differ); only the id and the
county are required, the rest belong to optional :data:`DOMAINS`."""

PANEL = pa.DataFrameSchema(
    {
        "household_id": _id,
        "county_id": _id,
        "village_id": _opt(str),
        "year": pa.Column(int, pa.Check.in_range(2014, 2035), nullable=False),
        "quarter": pa.Column(int, pa.Check.isin([1, 2, 3, 4]), nullable=False),
        "periods_per_year": pa.Column(int, pa.Check.isin([1, 4]), nullable=False,
                                      required=False),
        **{c: _money for c in INCOME_COLUMNS},
        "income_net": _money,
        "production_cost": _money,
        "dibao": _opt("boolean"),
        "public_welfare_job": _opt("boolean"),
        "medical_total": _opt_money,
        "medical_reimbursed": _opt_money,
        "medical_oop": _opt_money,
        "disaster_type": _opt(str, pa.Check.isin(list(DISASTER_TYPE_LABELS))),
        "disaster_loss": _opt_money,
        "housing_safe": _opt("boolean"),
        "water_safe": _opt("boolean"),
        "monitoring_status": _opt(str, pa.Check.isin(list(MONITORING_STATUS_LABELS))),
        "monitoring_type": _opt(str, pa.Check.isin(list(MONITORING_TYPE_LABELS))),
        "risk_type": _opt(str, pa.Check.isin(list(RISK_TYPE_LABELS))),
    },
    checks=[
        pa.Check(_reimbursed_le_total, name="reimbursed_le_total"),
    ],
    unique=["household_id", "year", "quarter"],
    strict=False,
    coerce=True,
    name="panel",
)
"""One row per household and period; amounts are yuan within that period (not cumulative).
``periods_per_year`` says the panel's frequency (4: one row per quarter; 1: one row per
year, written in ``quarter`` 4, at the end of the year whose amounts it holds; absent: 4).
``income_net`` is the household's net income when an export gives only the total (纯收入)."""

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
