"""The generator's parameter table: every behavioural number no county profile gives.

One table, :data:`TABLE`: each entry has its value, unit, and either the public source it
rests on (in our own words) or ``assumed`` with the reason. :data:`MECHANISMS` then overrides a
few entries per truth mechanism (``simulate.mechanism``); everything else is shared. The
calibration (:mod:`.calibration`) meets the published counts, incomes and rates whatever these
values are; what they decide is *how* relapse arises. ``docs/generator.md`` prints the same
table (a test checks that it lists every entry).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Param:
    """One entry of the parameter table."""

    value: Any
    unit: str
    source: str = ""
    assumed: bool = True


TABLE: dict[str, Param] = {
    # --- households -------------------------------------------------------------------------
    "elderly_share": Param({"poverty_alleviated": 0.22, "general": 0.17}, "share of members aged 60+",
                           "order of magnitude of the rural share aged 60+ in the 2020 population census "
                           "(not checked against the census tables)"),
    "child_share": Param(0.25, "share of non-elderly members under 16"),
    "disabled_share": Param({"poverty_alleviated": 0.05, "general": 0.02}, "share of members"),
    "chronic_elderly": Param(0.40, "share of elderly members with a chronic disease"),
    "chronic_other": Param(0.05, "share of other members with a chronic disease"),
    "general_worker_rate": Param(0.55, "share of ordinary households' labour in wage work"),
    # --- income: levels and components ------------------------------------------------------
    "log_income_sd": Param({"poverty_alleviated": 0.20, "general": 0.28},
                           "cross-sectional sd of log per-capita market income",
                           "chosen so that a few per cent of poverty-alleviated households are below "
                           "the line in a year, the order of the monitoring objects' share (about 5 % "
                           "of the registered poor in the 2020 guideline); survey dispersion of rural "
                           "income is wider"),
    "village_sd": Param(0.12, "sd of the village effect on log income"),
    "general_growth": Param(0.08, "yearly growth of ordinary households' income",
                            "order of magnitude of rural per-capita disposable income growth in "
                            "2021-2023 in the national statistical communiqués (not checked)"),
    "pa_growth": Param(0.14, "yearly growth of poverty-alleviated households' income outside the "
                             "report year (whose growth is published)",
                       "order of magnitude of the growth of the poverty-alleviated population's "
                       "per-capita net income in 2021-2023 announced by the national rural "
                       "revitalisation administration, about 14-17 % a year (not checked)"),
    "cost_ratio": Param(0.40, "production cost / gross operating income"),
    "property_share": Param(0.03, "property income / market income"),
    "season": Param({
        "wage": (1.10, 0.90, 0.90, 1.10),
        "operating": (0.50, 0.80, 1.40, 1.30),
        "cost": (0.80, 1.50, 0.90, 0.80),
        "transfer": (1.20, 0.90, 0.90, 1.00),
    }, "quarterly multipliers (mean one)", "harvests in Q3-Q4, inputs bought in Q2 (assumption)"),
    "pension_per_elderly": Param(2000.0, "yuan per person aged 60+ and year",
                                 "order of magnitude of the rural basic pension with local top-ups, "
                                 "150-200 yuan a month (not checked)"),
    "dibao_benefit_share": Param(0.45, "dibao benefit per person and year / monitoring line",
                                 "benefits paid by tier (分档), below the rural dibao standard, "
                                 "itself close to the line (assumption)"),
    "other_transfer_share": Param(0.04, "other subsidies / line, per person and year"),
    "transfer_growth": Param(0.05, "yearly growth of transfers"),
    "assist_share": Param(0.35, "assistance per person and year to a monitored household / line",
                          "targeted support (a public-welfare post, industry or employment subsidies, "
                          "dibao inclusion) of several thousand yuan a household (assumption)"),
    # --- income dynamics (annual, log scale) -------------------------------------------------
    "rho": Param(0.80, "annual AR(1) coefficient of persistent log market income",
                 "annual persistence of log income shocks is estimated around 0.7-0.95 in panel "
                 "studies of household earnings (assumption for rural China)"),
    "sigma_persistent": Param(0.10, "sd of the annual persistent innovation"),
    "sigma_transitory": Param(0.06, "sd of the annual transitory component"),
    "capacity_drift": Param(0.0, "yearly drift of persistent log income per unit of low capacity "
                                 "(no labour, elderly share, disability)"),
    # --- shocks -----------------------------------------------------------------------------
    "labour_shock_rate": Param(0.012, "quarterly probability that a household with labour loses a "
                                      "worker's income for the rest of the year"),
    "labour_shock_kinds": Param({"job": 0.5, "illness": 0.35, "accident": 0.15},
                                "shares of job loss, serious illness, accident among labour shocks"),
    "labour_loss": Param(0.7, "share of one worker's labour income lost until the year's end"),
    "illness_rate": Param({"per_person": 0.02, "per_elderly": 0.05, "per_chronic": 0.08},
                          "quarterly intensity of a medical episode",
                          "two-week morbidity and yearly inpatient rates of rural residents in the "
                          "national health services surveys, per quarter (assumption)"),
    "catastrophic_share": Param(0.08, "share of episodes that are serious (inpatient, costly)"),
    "catastrophic_share_chronic": Param(0.06, "extra serious share with a chronic disease"),
    "mild_cost": Param((2500.0, 0.9), "median yuan and log-sd of an ordinary episode's total cost"),
    "serious_cost": Param((60000.0, 0.7), "median yuan and log-sd of a serious episode's total cost"),
    "general_reimbursement": Param(0.60, "reimbursed share for ordinary households",
                                   "order of magnitude of the inpatient reimbursement of the "
                                   "residents' basic medical insurance (not checked)"),
    "disaster_affected": Param(0.40, "share of a hit village's households that lose"),
    "disaster_loss": Param(0.50, "share of the quarter's operating income a hit household loses"),
    "disaster_repair": Param((2000.0, 20000.0), "range of repair cost (yuan) of a hit household"),
    "disaster_season": Param({
        "flood": (0.05, 0.35, 0.55, 0.05),
        "drought": (0.15, 0.35, 0.40, 0.10),
        "hail": (0.05, 0.50, 0.40, 0.05),
        "landslide": (0.05, 0.30, 0.60, 0.05),
    }, "share of each type's events by quarter", "summer rains and hail season (assumption)"),
    # --- identification and elimination ------------------------------------------------------
    "medical_alert": Param({"low_income": 10000.0, "other": 26000.0},
                           "out-of-pocket cost after the three layers of insurance (yuan) that the "
                           "medical insurance system pushes as an alert",
                           "Xi'an 2025 monitoring rule: above 1万 yuan for low-income households, "
                           "2.6万 for others, pushed monthly", False),
    "drop_share": Param(0.30, "a year-on-year fall of rolling income by this share is a clue",
                        "no national figure found; the official rule's default (assumption)"),
    "clue_weight": Param({"below_line": 1.0, "edge": 0.15, "drop": 0.3, "medical": 1.0, "disaster": 0.5},
                         "relative weight of each clue in the identification hazard (times kappa)"),
    "min_monitored_quarters": Param(3, "quarters from identification to the earliest elimination",
                                    "national guideline: income stably above the line, in principle "
                                    "for six months, before the risk is eliminated", False),
    "follow_up_quarters": Param(4, "quarters after elimination with continued assistance and no "
                                   "new identification (follow-up visits)"),
    "elimination_needs_labour": Param(False, "whether only households with labour can be marked "
                                             "risk-eliminated",
                                      "households without labour are eliminated once social-protection "
                                      "transfers keep their income above the line (兜底保障); with "
                                      "labour required, too few monitored households qualify to meet the "
                                      "published eliminations (Shangluo)"),
}

MECHANISMS: dict[str, dict[str, Any]] = {
    "income_dynamics": {},
    "shocks": {
        "sigma_persistent": 0.04, "sigma_transitory": 0.03, "rho": 0.80,
        "labour_shock_rate": 0.025, "labour_loss": 0.8,
        "disaster_affected": 0.50, "disaster_loss": 0.70,
        "catastrophic_share": 0.12, "catastrophic_share_chronic": 0.08,
    },
    "low_capacity": {
        "sigma_persistent": 0.04, "sigma_transitory": 0.03, "rho": 0.95,
        "capacity_drift": -0.04,
        "log_income_sd": {"poverty_alleviated": 0.26, "general": 0.32},
    },
}
"""Overrides per truth mechanism. ``income_dynamics``: persistent and transitory income
changes dominate; ``shocks``: illness, job loss, accidents and disasters dominate (little
income noise, larger and more frequent shocks); ``low_capacity``: wide, slowly declining
earning capacity (households without labour, elderly or disabled members drift down)."""

DEFAULT_MECHANISM = "income_dynamics"


def mechanism_params(mechanism: str) -> dict[str, Any]:
    """Values of :data:`TABLE` with ``mechanism``'s overrides."""
    if mechanism not in MECHANISMS:
        raise ValueError(f"simulate.mechanism must be one of {sorted(MECHANISMS)}, got {mechanism!r}")
    out = {k: p.value for k, p in TABLE.items()}
    out.update(MECHANISMS[mechanism])
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_fmt(x)}" for k, x in v.items())
    if isinstance(v, tuple):
        return ", ".join(_fmt(x) for x in v)
    return f"{v:g}" if isinstance(v, float) else str(v)


def markdown_table() -> str:
    """The parameter table and the mechanisms' overrides as Markdown (``docs/generator.md``
    prints exactly this; a test checks it)."""
    rows = ["| parameter | value | unit | basis |", "|---|---|---|---|"]
    for k, p in TABLE.items():
        basis = "assumed" if p.assumed else "source"
        if p.source:
            basis += f"; {p.source}" if p.assumed else f": {p.source}"
        rows.append(f"| `{k}` | {_fmt(p.value)} | {p.unit} | {basis} |")
    rows += ["", "| mechanism | overrides |", "|---|---|"]
    for m, over in MECHANISMS.items():
        text = "; ".join(f"`{k}` {_fmt(v)}" for k, v in over.items()) or "(the table as is)"
        rows.append(f"| `{m}` | {text} |")
    return "\n".join(rows) + "\n"
