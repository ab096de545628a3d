"""Reconciliation: the county's published headline figures next to the same figures computed
from the observable tables.

This is how a reader checks that the synthetic panel is calibrated (and how real exports are
checked against what the county published). Only figures the panel can reproduce are compared;
the rest stay in the profile with ``reproducible: false``.

Counts are divided by ``simulate.scale`` when the data are synthetic, so ``computed`` is on the
county's scale at any run size; rates and incomes are scale-free. ``rel_diff`` is
``computed / published - 1``; for rates (unit ``%``) the difference in points is
``published * rel_diff``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from relapse_models.core.schema import INCOME_COLUMNS, MONITORING_TYPE_LABELS

COLUMNS = ["county_id", "indicator", "unit", "published", "computed", "rel_diff", "source"]
CHECK_INDICATORS = ("guard.", "calibration_warning", "source_check", "line.")
"""Rows of a simulated county's reconciliation that are checks, not published figures
(:func:`relapse_models.outcome.guards.reconciliation_rows`)."""
COUNT_UNITS = {"户", "人"}


def _quarter_end(text: str) -> pd.Timestamp:
    y, q = str(text).upper().split("Q")
    return pd.Period(year=int(y), quarter=int(q), freq="Q").end_time.normalize() + pd.Timedelta(days=1)


class _Tables:
    """Observable tables prepared once for all indicators."""

    def __init__(self, profile: Mapping[str, Any], households: pd.DataFrame, panel: pd.DataFrame,
                 events: pd.DataFrame) -> None:
        self.year = int(profile["report_year"])
        self.ref_end = _quarter_end(profile["reference_quarter"])
        hh = households.copy()
        hh["household_id"] = hh["household_id"].astype(str)
        self.hh = hh.set_index("household_id")
        ev = events.copy()
        ev["household_id"] = ev["household_id"].astype(str)
        ev["date"] = pd.to_datetime(ev["date"])
        self.ev = ev[ev["date"] < self.ref_end]
        ident = self.ev[self.ev["event"] == "identified"]
        self.first_id = ident.groupby("household_id")["date"].min()
        # monitoring type as of the reference date: the one given at the latest identification
        # (for new objects: at the first); unknown when the events carry no type
        if "monitoring_type" not in ident:
            ident = ident.assign(monitoring_type=None)
        by_date = ident.sort_values(["household_id", "date"], kind="stable").groupby("household_id")
        self.mtype = by_date["monitoring_type"].last().astype(str)
        self.first_mtype = by_date["monitoring_type"].first().astype(str)
        # "已消除风险": households whose risk was eliminated by the reference date (a later
        # re-identification does not undo the count, as in a cumulative report)
        self.eliminated = pd.Index(self.ev.loc[self.ev["event"] == "eliminated", "household_id"].unique())
        self.panel = panel.reset_index(drop=True)
        # integer position of each panel row's household (string isin is slow at scale)
        self.pcode = self.hh.index.get_indexer(panel["household_id"].astype(str))

    def size(self, ids) -> np.ndarray:
        return self.hh["household_size"].reindex(list(ids)).to_numpy(dtype=float)

    def population(self, name: str) -> pd.Index:
        pa = self.hh.index[self.hh["category"].astype(str) == "poverty_alleviated"]
        if name == "poverty_alleviated":
            return pa
        if name == "monitored":
            return pd.Index(self.first_id.index)
        if name == "poverty_alleviated_or_monitored":
            return pa.union(pd.Index(self.first_id.index))
        return self.hh.index

    def year_rows(self, year: int, ids: pd.Index | None = None) -> pd.DataFrame:
        mask = self.panel["year"].to_numpy() == year
        if ids is not None:
            member = np.zeros(len(self.hh) + 1, dtype=bool)
            member[self.hh.index.get_indexer(ids)] = True
            member[-1] = False
            mask &= member[self.pcode]
        return self.panel.loc[mask]

    def income_pc(self, year: int, ids: pd.Index) -> float:
        rows = self.year_rows(year, ids)
        net = rows[list(INCOME_COLUMNS)].sum(axis=1) - rows["production_cost"]
        per_hh = net.groupby(rows["household_id"].astype(str).to_numpy()).sum()
        return float(per_hh.sum() / self.size(per_hh.index).sum())


def _indicators(t: _Tables) -> dict[str, Callable[[str], float]]:
    def cum(persons: bool) -> Callable[[str], float]:
        ids = t.first_id.index
        return lambda _: float(t.size(ids).sum() if persons else len(ids))

    def new(persons: bool) -> Callable[[str], float]:
        ids = t.first_id.index[t.first_id.dt.year.to_numpy() == t.year]
        return lambda _: float(t.size(ids).sum() if persons else len(ids))

    eliminated_ids = t.first_id.index[t.first_id.index.isin(t.eliminated)]

    def elim(persons: bool) -> Callable[[str], float]:
        return lambda _: float(t.size(eliminated_ids).sum() if persons else len(eliminated_ids))

    def elim_rate(_: str) -> float:
        return 100.0 * t.size(eliminated_ids).sum() / max(t.size(t.first_id.index).sum(), 1.0)

    def income(pop: str) -> float:
        return t.income_pc(t.year, t.population(pop))

    def growth(pop: str) -> float:
        ids = t.population(pop)
        return 100.0 * (t.income_pc(t.year, ids) / t.income_pc(t.year - 1, ids) - 1.0)

    def relocated_ids() -> pd.Index:
        pa = t.population("poverty_alleviated")
        return pa[t.hh.loc[pa, "relocated"].astype(bool).to_numpy()]

    def reimbursement(pop: str) -> float:
        if pop == "poverty_alleviated_or_monitored":
            # poverty-alleviated households, and monitoring objects while they are monitored
            # (the three-layer insurance follows the status at the time of the expense)
            rows = t.year_rows(t.year)
            pa = np.zeros(len(t.hh) + 1, dtype=bool)
            pa[t.hh.index.get_indexer(t.population("poverty_alleviated"))] = True
            pa[-1] = False
            keep = pa[t.pcode[rows.index.to_numpy()]] | (
                rows["monitoring_status"].astype(str).to_numpy() != "none")
            rows = rows.loc[keep]
            return 100.0 * rows["medical_reimbursed"].sum() / max(rows["medical_total"].sum(), 1.0)
        rows = t.year_rows(t.year, t.population(pop))
        return 100.0 * rows["medical_reimbursed"].sum() / max(rows["medical_total"].sum(), 1.0)

    def program(col: str, persons: bool) -> Callable[[str], float]:
        def f(pop: str) -> float:
            rows = t.year_rows(t.year, t.population(pop))
            ids = pd.Index(rows.loc[rows[col].astype(bool).to_numpy(), "household_id"].astype(str).unique())
            return float(t.size(ids).sum() if persons else len(ids))
        return f

    def workers(pop: str) -> float:
        if "n_workers" not in t.hh:
            return float("nan")
        return float(t.hh.loc[t.population(pop), "n_workers"].sum())

    def renovated(_: str) -> float:
        p = t.panel[["household_id", "year", "quarter", "housing_safe"]].copy()
        p["household_id"] = p["household_id"].astype(str)
        p = p.sort_values(["household_id", "year", "quarter"])
        safe = p["housing_safe"].astype(bool).to_numpy()
        same = p["household_id"].to_numpy()[1:] == p["household_id"].to_numpy()[:-1]
        fixed = np.zeros(len(p), bool)
        fixed[1:] = same & safe[1:] & ~safe[:-1]
        return float((fixed & (p["year"].to_numpy() == t.year)).sum())

    not_eliminated_ids = t.first_id.index[~t.first_id.index.isin(t.eliminated)]
    new_ids = t.first_id.index[t.first_id.dt.year.to_numpy() == t.year]

    def count(ids: pd.Index, persons: bool) -> Callable[[str], float]:
        return lambda _: float(t.size(ids).sum() if persons else len(ids))

    def of_type(ids: pd.Index, mtype: str, first: bool = False) -> pd.Index:
        types = (t.first_mtype if first else t.mtype).reindex(ids)
        return ids[types.to_numpy() == mtype]

    by_type: dict[str, Callable[[str], float]] = {}
    for mt in MONITORING_TYPE_LABELS:
        for persons, unit in ((False, "households"), (True, "persons")):
            by_type[f"monitoring_{unit}_cumulative_{mt}"] = count(of_type(t.first_id.index, mt), persons)
            by_type[f"monitoring_{unit}_new_{mt}"] = count(of_type(new_ids, mt, first=True), persons)
            by_type[f"eliminated_{unit}_{mt}"] = count(of_type(eliminated_ids, mt), persons)

    def share_of(pop: str) -> Callable[[str], float]:
        def f(_: str) -> float:
            ids = t.population(pop)
            return 100.0 * t.size(t.first_id.index).sum() / max(t.size(ids).sum(), 1.0)
        return f

    def structure(pop: str, persons: bool) -> Callable[[str], float]:
        return lambda _: float(t.size(t.population(pop)).sum() if persons else len(t.population(pop)))

    return {
        **by_type,
        "not_eliminated_households": count(not_eliminated_ids, False),
        "not_eliminated_persons": count(not_eliminated_ids, True),
        "monitoring_share_poverty_alleviated": share_of("poverty_alleviated"),
        "monitoring_share_rural": share_of("all"),
        "structure.persons": structure("all", True),
        "structure.poverty_alleviated_households": structure("poverty_alleviated", False),
        "structure.poverty_alleviated_persons": structure("poverty_alleviated", True),
        "monitoring_households_cumulative": cum(False),
        "monitoring_persons_cumulative": cum(True),
        "monitoring_households_new": new(False),
        "monitoring_persons_new": new(True),
        "eliminated_households": elim(False),
        "eliminated_persons": elim(True),
        "elimination_rate": elim_rate,
        "income_per_capita": income,
        "income_growth": growth,
        "income_per_capita_relocated": lambda _: t.income_pc(t.year, relocated_ids()),
        "income_growth_relocated": lambda _: 100.0 * (
            t.income_pc(t.year, relocated_ids()) / t.income_pc(t.year - 1, relocated_ids()) - 1.0),
        "medical_reimbursement_rate": reimbursement,
        "dibao_households": program("dibao", False),
        "dibao_persons": program("dibao", True),
        "public_welfare_jobs": program("public_welfare_job", False),
        "workers": workers,
        "houses_renovated": renovated,
    }


DEFAULT_POPULATION = {
    "income_per_capita": "poverty_alleviated",
    "income_growth": "poverty_alleviated",
    "medical_reimbursement_rate": "poverty_alleviated_or_monitored",
    "public_welfare_jobs": "poverty_alleviated",
    "workers": "poverty_alleviated",
}


STRUCTURE = ("persons", "poverty_alleviated_households", "poverty_alleviated_persons")
"""Structure figures reconciled when the profile quotes them (the household count is the
generator's universe, equal by construction)."""


def _given(profile: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(indicator, figure) of every published figure, and quoted structure figures."""
    out = [(name, fig) for name, fig in profile["published"].items()]
    for key in STRUCTURE:
        q = profile.get("structure", {}).get(key) or {}
        if q.get("value") is not None and not q.get("assumed", False) and "sentence" in q:
            out.append((f"structure.{key}", q))
    return out


def reconcile(profile: Mapping[str, Any], households: pd.DataFrame, panel: pd.DataFrame,
              events: pd.DataFrame, config: Mapping[str, Any]) -> pd.DataFrame:
    """Published vs computed figures of one county (columns :data:`COLUMNS`).

    Every figure the profile gives and the panel can reproduce gets a row: the headline
    counts, the counts by monitoring type (脱贫不稳定户 / 边缘易致贫户 / 突发严重困难户; the type
    at the latest identification, for new ones at the first), eliminated and not eliminated,
    the monitored share of the poverty-alleviated or rural population, and quoted structure
    figures. A published figure with an unknown name stops the run: it would otherwise
    vanish from the reconciliation unnoticed.
    """
    synthetic = config["data"]["source"] == "synthetic"
    scale = float(config["simulate"]["scale"]) if synthetic else 1.0
    t = _Tables(profile, households, panel, events)
    funcs = _indicators(t)
    source_file = profile["source"].get("file") or "(no source text)"
    rows = []
    for name, fig in _given(profile):
        if fig.get("value") is None or fig.get("reproducible", True) is False:
            continue
        if name not in funcs:
            raise ValueError(
                f"{profile['county_id']}: published.{name}: no computation for this figure; "
                f"mark it `reproducible: false` with a reason, or use a known name "
                f"({', '.join(sorted(k for k in funcs if '.' not in k))})"
            )
        pop = fig.get("population", DEFAULT_POPULATION.get(name, "all"))
        kind = " (target)" if fig.get("kind") == "target" else ""
        try:
            value = funcs[name](pop)
        except KeyError as err:  # a domain the export does not have (real data): said, not hidden
            column = str(err.args[0]) if err.args else ""
            if column in households.columns or column in panel.columns or column in events.columns:
                raise
            value, kind = float("nan"), f"{kind} (not computable: the data have no {column!r})"
        if fig["unit"] in COUNT_UNITS:
            value = value / scale
        published = float(fig["value"])
        rows.append({
            "county_id": profile["county_id"],
            "indicator": name,
            "unit": fig["unit"],
            "published": published,
            "computed": value,
            "rel_diff": value / published - 1.0 if published else float("nan"),
            "source": f"{source_file}{kind}: {fig.get('sentence', '')}",
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def published_rows(recon: pd.DataFrame) -> pd.DataFrame:
    """The rows of a reconciliation table that compare published figures (not the checks)."""
    return recon[~recon["indicator"].astype(str).str.startswith(CHECK_INDICATORS)]
