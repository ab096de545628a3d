"""Plausibility guards: every simulated year of a county must look like a county.

Calibration meets the published figures in the report year; nothing in it stops another
year from drifting (a trend at its bound can multiply new identifications fifteen-fold four
years later). The guards compute, for every year of the panel, from the observable tables:

- ``identification_rate``: households identified for the first time in the year, per 100
  households;
- ``elimination_rate``: persons whose risk was eliminated by the year's end, per 100 persons
  ever identified by then (the published definition, on persons);
- ``relapse_rate``: households in the relapse state (rolling income below the line, or
  identified) in at least one quarter of the year, per 100 households whose state is known;

and compare each with a band around an anchor taken from the county's published figures
(new identifications, or the cumulative count spread over the years; the elimination rate)
or, where a county publishes nothing, a national anchor (docs/guards.md). The
bands are configuration (``guards``). A value outside its band fails the guard; a failure
stops the run naming the county, the year and the figure unless ``guards.accept`` lists it,
and then it is carried, with every other guard result, to the reconciliation and the
county page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from relapse_models.core.lines import line_break, line_provenance, official_lines
from relapse_models.core.panel import sort_panel
from relapse_models.core.profiles import check_sources, figure, param
from relapse_models.outcome.relapse import add_relapse_state

FIGURES = ("identification_rate", "elimination_rate", "relapse_rate")

NATIONAL_ELIMINATION_RATE = 70.0
"""Share of monitoring objects with risk eliminated, about 70 % nationally in 2021 (%)."""

NOISE_Z = 3.0
"""The band is widened by this many binomial standard errors of the year's rate (at the
anchor, over the households it is a share of): a small run's rates are noisy, a full-size
county's hardly widen the band."""

COLUMNS = ["county_id", "year", "figure", "value", "anchor", "low", "high", "anchor_source",
           "status", "reason"]
"""One row per county, year and figure; ``status`` is ``pass``, ``fail``, ``accepted`` or
``undefined`` (a rate with nothing to count, e.g. eliminations before anyone is identified)
(``reason``: why the config accepts it, shown on the page)."""


REASON_MARK = "; accepted because: "
"""Separates an accepted failure's reason in the reconciliation's ``source`` text."""


class GuardError(ValueError):
    """A simulated year failed a plausibility guard the config does not accept."""


def yearly_rates(households: pd.DataFrame, panel: pd.DataFrame, events: pd.DataFrame,
                 lines: Mapping[int, float]) -> pd.DataFrame:
    """Per panel year: ``identification_rate``, ``elimination_rate``, ``relapse_rate`` (all %),
    with the counts behind them (``households``, ``identified``, ``households_identified``
    (ever, by the year's end), ``persons_identified``,
    ``persons_eliminated``, ``in_relapse``, ``state_known``)."""
    size = households.set_index(households["household_id"].astype(str))["household_size"]
    years = np.sort(panel["year"].unique())
    ev = events.assign(household_id=events["household_id"].astype(str),
                       year=pd.to_datetime(events["date"]).dt.year)
    first_id = ev[ev["event"] == "identified"].groupby("household_id")["year"].min()
    first_el = ev[ev["event"] == "eliminated"].groupby("household_id")["year"].min()
    id_size = size.reindex(first_id.index).to_numpy(float)
    el_size = size.reindex(first_el.index).to_numpy(float)

    cols = ["household_id", "year", "quarter", "income_wage", "income_operating",
            "income_property", "income_transfer", "production_cost"]
    df = add_relapse_state(sort_panel(panel[cols], households), events, lines)
    state = df["relapse_event"].to_numpy(float)
    per_hh = pd.DataFrame({"hh": df["_hh"].to_numpy(), "year": df["year"].to_numpy(),
                           "hit": np.nan_to_num(state, nan=0.0) > 0, "known": ~np.isnan(state)})
    per_hh = per_hh.groupby(["year", "hh"]).agg(hit=("hit", "any"), known=("known", "any"))
    by_year = per_hh.groupby(level="year").agg(in_relapse=("hit", "sum"), state_known=("known", "sum"))

    n = len(households)
    out = []
    for y in years:  # a handful of years
        ident = int((first_id.to_numpy() == y).sum())
        p_id = float(id_size[first_id.to_numpy() <= y].sum())
        p_el = float(el_size[first_el.to_numpy() <= y].sum())
        n_id = int((first_id.to_numpy() <= y).sum())
        hit, known = (int(by_year.loc[y, c]) if y in by_year.index else 0
                      for c in ("in_relapse", "state_known"))
        out.append({
            "year": int(y), "households": n, "identified": ident, "households_identified": n_id,
            "persons_identified": p_id, "persons_eliminated": p_el,
            "in_relapse": hit, "state_known": known,
            "identification_rate": 100.0 * ident / n if n else np.nan,
            "elimination_rate": 100.0 * p_el / p_id if p_id else np.nan,
            "relapse_rate": 100.0 * hit / known if known else np.nan,
        })
    return pd.DataFrame(out)


def anchors(profile: Mapping[str, Any], first_year: int) -> dict[str, tuple[float, str]]:
    """Anchor (%) and where it comes from, per figure, for one county.

    Identification: the report year's new households over all households when published;
    else the cumulative count, less the share identified before ``first_year``
    (``generator.initial_stock_share``), spread evenly over the years up to the report year.
    Elimination: the published (or assumed) persons-based rate. Relapse: the identification
    anchor, since identification is one way into the relapse state and the band is wide.
    """
    households = float(profile["structure"]["households"]["value"])
    year = int(profile["report_year"])
    new = profile["published"].get("monitoring_households_new", {}).get("value")
    if new is not None:
        ident = 100.0 * float(new) / households
        source = f"published.monitoring_households_new ({year}) / structure.households"
    else:
        cum = float(figure(profile, "monitoring_households_cumulative"))
        if profile["published"]["monitoring_households_cumulative"]["value"] is None:
            cum *= households  # the fallback is a share of households
        stock = float(param(profile, "initial_stock_share") or 0.0)
        n_years = max(year - first_year + 1, 1)
        ident = 100.0 * cum * (1.0 - stock) / n_years / households
        source = (f"published.monitoring_households_cumulative x (1 - initial_stock_share) "
                  f"/ {n_years} years / structure.households")
    rate = figure(profile, "elimination_rate")
    if rate is not None:
        elim = (float(rate), "published.elimination_rate"
                if profile["published"]["elimination_rate"]["value"] is not None
                else "generator.elimination_rate (assumed)")
    else:
        elim = (NATIONAL_ELIMINATION_RATE, "national anchor (about 70 % in 2021)")
    return {
        "identification_rate": (ident, source),
        "elimination_rate": elim,
        "relapse_rate": (ident, "identification anchor"),
    }


def _band(fig: str, anchor: float, cfg: Mapping[str, Any]) -> tuple[float, float]:
    c = cfg[fig]
    if "points" in c:
        return max(anchor - c["points"], 0.0), min(anchor + c["points"], 100.0)
    return anchor / c["factor"], anchor * c["factor"]


def check(rates: pd.DataFrame, profile: Mapping[str, Any], config: Mapping[str, Any]
          ) -> pd.DataFrame:
    """Guard results (columns :data:`COLUMNS`) of a county's yearly rates.

    The elimination guard starts ``guards.elimination_rate.from_year_offset`` years after the
    first panel year (a cumulative rate needs time: households identified in the first
    quarters cannot be eliminated before the minimum spell); after the report year its band
    also takes in the national anchor's (:data:`NATIONAL_ELIMINATION_RATE`), since a cumulative
    rate rises as spells lengthen. Failures listed in
    ``guards.accept`` (county, and optionally year and figure) get status ``accepted``; so do
    failures in the years a structural break of a synthetic run acts on (``simulate.break``:
    :func:`_break_reason`), since the published anchors describe the world without it.
    """
    cfg = config["guards"]
    county = profile["county_id"]
    first = int(rates["year"].min())
    report_year = int(profile["report_year"])
    anchor = anchors(profile, first)
    accept = cfg["accept"]
    rows = []
    for rec in rates.itertuples(index=False):
        for fig in FIGURES:
            value = float(getattr(rec, fig))
            a, source = anchor[fig]
            low, high = _band(fig, a, cfg)
            if fig == "elimination_rate" and rec.year < first + cfg[fig].get("from_year_offset", 0):
                low = 0.0
            if fig == "elimination_rate" and rec.year > report_year:
                # a cumulative rate keeps rising as spells lengthen: after the report year the
                # national anchor's band counts too (a county reporting its first year's low
                # rate is not implausible for reaching the national level later)
                n_low, n_high = _band(fig, NATIONAL_ELIMINATION_RATE, cfg)
                low, high = min(low, n_low), max(high, n_high)
                source = f"{source}; after {report_year} also the national anchor"
            n = {"identification_rate": rec.households, "relapse_rate": rec.state_known,
                 "elimination_rate": rec.households_identified}[fig]
            p = min(max(a / 100.0, 0.0), 1.0)
            margin = 100.0 * NOISE_Z * np.sqrt(p * (1 - p) / max(n, 1))
            low, high = max(low - margin, 0.0), min(high + margin, 100.0)
            ok = low <= value <= high
            reason = None if ok or np.isnan(value) else (
                _accepted(accept, county, rec.year, fig) or _break_reason(config, int(rec.year)))
            # a rate of nobody (no household yet identified) is undefined, not implausible
            status = ("undefined" if np.isnan(value) else "pass" if ok
                      else "accepted" if reason is not None else "fail")
            rows.append({"county_id": county, "year": int(rec.year), "figure": fig,
                         "value": value, "anchor": a, "low": low, "high": high,
                         "anchor_source": source, "status": status, "reason": reason or ""})
    return pd.DataFrame(rows, columns=COLUMNS)


def _break_reason(config: Mapping[str, Any], year: int) -> str | None:
    """Why a failure in ``year`` is accepted under a synthetic run's ``simulate.break`` (the
    disaster year; every year from a line or reimbursement break on), or None.

    The break is a deliberate departure from the calibrated county for drift studies: a line
    raised 10 % puts more households below it than the published identifications anchor, and
    stopping the run there would make the break unusable."""
    brk = (config.get("simulate") or {}).get("break") or {}
    if brk.get("year") is None or (config.get("data") or {}).get("source", "synthetic") != "synthetic":
        return None
    kind, start, factor = brk.get("kind", "disaster"), int(brk["year"]), 1.0 + float(brk["size"])
    if (year != start) if kind == "disaster" else (year < start):
        return None
    what = {"disaster": f"{start}年设为严重灾害年（村灾害概率×{factor:g}）",
            "line": f"{start}年起监测线×{factor:g}",
            "reimbursement": f"{start}年起三重保障报销比例×{factor:g}（最高100%）"}[kind]
    return f"结构性断点（simulate.break）：{what}；公布数字不含此设定，不作合理性检验"


def _accepted(accept: Sequence[Mapping[str, Any]], county: str, year: int, fig: str) -> str | None:
    """The reason of the first ``guards.accept`` entry that covers this failure (``""`` when it
    gives none), or None when none does."""
    for a in accept:
        if a["county"] == county and a.get("year", year) == year and a.get("figure", fig) == fig:
            return str(a.get("reason", ""))
    return None


def enforce(results: pd.DataFrame) -> None:
    """Raise :class:`GuardError` naming every failed (not accepted) county, year and figure."""
    failed = results[results["status"] == "fail"]
    if failed.empty:
        return
    lines = [
        f"county {r.county_id!r}, year {r.year}: {r.figure} {r.value:.2f} % outside "
        f"[{r.low:.2f}, {r.high:.2f}] % (anchor {r.anchor:.2f} %: {r.anchor_source})"
        for r in failed.itertuples(index=False)
    ]
    accept = ", ".join(f"{{county: {r.county_id}, year: {r.year}, figure: {r.figure}}}"
                       for r in failed.itertuples(index=False))
    raise GuardError(
        "plausibility guard failed:\n  " + "\n  ".join(lines)
        + f"\nFix the profile or the generator; or accept explicitly (the county page then "
        f"shows it): guards.accept: [{accept}]"
    )


def reconciliation_rows(record: Mapping[str, Any]) -> pd.DataFrame:
    """A calibration record (:func:`calibration_record`) as rows of the reconciliation table:
    ``guard.<figure>.<year>`` (anchor as published, the year's value as computed, the band and
    status in ``source``), one ``calibration_warning`` per note, ``line.<year>`` (the line
    used; ``source`` says published, assumed or default) and one ``source_check``."""
    results = pd.DataFrame(record["guards"], columns=COLUMNS)
    notes, county = record["notes"], record["county_id"]
    rows = [{
        "county_id": county, "indicator": f"guard.{r.figure}.{r.year}", "unit": "%",
        "published": r.anchor, "computed": r.value,
        "rel_diff": r.value / r.anchor - 1.0 if r.anchor else np.nan,
        "source": f"{r.status}: band [{r.low:.2f}, {r.high:.2f}] around {r.anchor_source}"
                  + (f"{REASON_MARK}{r.reason}" if r.reason else ""),
    } for r in results.fillna({"reason": ""}).itertuples(index=False)]
    rows += [{"county_id": county, "indicator": "calibration_warning", "unit": "",
              "published": np.nan, "computed": np.nan, "rel_diff": np.nan, "source": note}
             for note in notes]
    rows += [{"county_id": county, "indicator": f"line.{x['year']}", "unit": "元/人",
              "published": x["line"] if x["provenance"] == "published" else np.nan,
              "computed": x["line"], "rel_diff": np.nan, "source": x["provenance"]}
             for x in record["lines"]]
    src = record["sources"]
    rows.append({"county_id": county, "indicator": "source_check", "unit": "",
                 "published": np.nan, "computed": float(src["sentences"]), "rel_diff": np.nan,
                 "source": f"{src['status']}: {src['file'] or src.get('reason', '')}"})
    return pd.DataFrame(rows)


def calibration_record(profile: Mapping[str, Any], config: Mapping[str, Any],
                       households: pd.DataFrame, panel: pd.DataFrame, events: pd.DataFrame,
                       notes: Sequence[str] = (), expected: Mapping[str, float] | None = None,
                       sources: str | None = None) -> dict[str, Any]:
    """What the county page's calibration section and the reconciliation show: the
    calibration warnings, the lines used (published, assumed or a named default), whether
    the profile's sentences were checked against its source text, the yearly rates and every
    guard result. Does not raise; :func:`enforce` on ``record["guards"]`` does."""
    county, province = profile["county_id"], profile["province_en"]
    lines = official_lines(config, province, county, simulated=True)
    provenance = line_provenance(config["monitoring"], province, county)
    brk = line_break(config, simulated=True)
    if brk is not None:  # a line moved by simulate.break is no published figure
        provenance = {y: "assumed" if y >= brk[0] else p for y, p in provenance.items()}
    rates = yearly_rates(households, panel, events, lines)
    results = check(rates, profile, config)
    return {
        "county_id": county,
        "notes": list(notes),
        "expected": dict(expected or {}),
        "lines": [{"year": y, "line": v, "provenance": provenance[y]}
                  for y, v in lines.items() if y in set(rates["year"])],
        "sources": check_sources(profile, sources),
        "rates": rates.to_dict(orient="records"),
        "guards": results.to_dict(orient="records"),
    }
