"""The tables a county report shows, computed from the pipeline's outputs.

Kept out of the notebooks so they are tested; every count of households passes through
small-cell suppression before it reaches a page.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relapse_models.data.reconcile import published_rows
from relapse_models.report.suppression import suppress_small
from relapse_models.report.tables import format_interval, format_metric, format_number
from relapse_models.report.words import (
    TEXT,
    code_label,
    feature_label,
    group_label,
    indicator_label,
    model_label,
    rule_label,
    t,
)

FEATURE_COLUMNS_READ: list[str] = [
    "household_id", "town_id", "year", "quarter", "monitored_now", "income_pc_4q", "line",
    "poverty_alleviated",
]
FEATURE_COLUMNS_OPTIONAL: list[str] = ["catastrophic_health", "oop_to_line"]
"""Read when present: a real export without medical spending has no medical burden."""
"""The feature columns the county report's tables read (:func:`town_table`,
:func:`town_quarterly`, :func:`income_trajectory`, :func:`medical_burden`): read only these
(``read_parquet(path, columns=FEATURE_COLUMNS_READ)``), a fraction of a province-scale
county's feature table."""


def headline_table(recon: pd.DataFrame, language: str = "zh") -> pd.DataFrame:
    """Published against computed figures, formatted as the seeds write them (the guard and
    calibration rows belong to the calibration section)."""
    rows = []
    for rec in published_rows(recon).itertuples(index=False):
        label = indicator_label(rec.indicator, language)
        rows.append(
            {
                t("indicator", language): label,
                t("published", language): format_number(rec.published, rec.unit, language),
                t("computed", language): format_number(rec.computed, rec.unit, language),
                t("difference", language): "—"
                if pd.isna(rec.rel_diff)
                else f"{100 * rec.rel_diff:+.1f}%",
            }
        )
    return pd.DataFrame(rows)


def risk_type_table(panel: pd.DataFrame, min_cell: int, language: str = "zh") -> pd.DataFrame:
    """Households ever identified as monitoring objects, by their (first recorded) risk type."""
    monitored = panel.loc[panel["risk_type"].notna(), ["household_id", "year", "quarter", "risk_type"]]
    first = monitored.sort_values(["household_id", "year", "quarter"]).drop_duplicates("household_id")
    counts = first["risk_type"].value_counts().rename_axis("risk_type").reset_index(name="n")
    counts[t("risk_type", language)] = [code_label("risk_type", c, language) for c in counts["risk_type"]]
    out = counts[[t("risk_type", language), "n"]].rename(columns={"n": t("households", language)})
    return suppress_small(out, [t("households", language)], min_cell)


def town_table(features: pd.DataFrame, min_cell: int, language: str = "zh",
               names: dict[str, str] | None = None) -> pd.DataFrame:
    """Per town, in the last quarter: households and the share under monitoring; towns shown
    by ``names`` (id -> name, :func:`relapse_models.report.places.place_names`) when given."""
    year, quarter = features["year"], features["quarter"]
    if not len(features) or year.hasnans or quarter.hasnans:  # a missing quarter sorts last
        last = features[["year", "quarter"]].drop_duplicates().sort_values(["year", "quarter"])
        last_year, last_quarter = last.iloc[-1]
    else:
        last_year = year.max()
        last_quarter = quarter[year == last_year].max()
    now = features.loc[(year == last_year) & (quarter == last_quarter),
                       ["town_id", "household_id", "monitored_now"]]
    towns = (
        now.groupby("town_id", observed=True)
        .agg(n=("household_id", "size"), monitored=("monitored_now", "mean"))
        .sort_values("monitored", ascending=False)
        .reset_index()
    )
    towns["monitored"] = (100 * towns["monitored"]).round(1)
    if names is not None:
        towns["town_id"] = towns["town_id"].astype(str).map(names).fillna(towns["town_id"])
    towns = towns.rename(
        columns={
            "town_id": t("town", language),
            "n": t("households", language),
            "monitored": t("monitored_share", language) + " (%)",
        }
    )
    return suppress_small(
        towns, [t("monitored_share", language) + " (%)"], min_cell, t("households", language)
    )


def income_trajectory(features: pd.DataFrame) -> pd.DataFrame:
    """Median rolling per-capita income by quarter for poverty-alleviated and other households,
    with the monitoring line: the picture counties draw of income against the line."""
    columns = ["year", "quarter", "poverty_alleviated", "income_pc_4q", "line"]
    known = features.loc[features["income_pc_4q"].notna(), columns]  # no copy of the ids
    out = (
        known.groupby(["year", "quarter", "poverty_alleviated"], observed=True)
        .agg(income=("income_pc_4q", "median"), line=("line", "first"))
        .reset_index()
    )
    out["period"] = out["year"].astype(str) + "Q" + out["quarter"].astype(str)
    return out


def model_table(
    metrics: dict, county: str, language: str = "zh", scheme: str = "out_of_time"
) -> pd.DataFrame:
    """One county's metrics per model under a validation scheme: discrimination and
    calibration with intervals. Recall is not here: a page takes it from one table
    (:func:`relapse_models.report.capacity.at_capacity`)."""
    zh = language == "zh"
    rows = []
    for name, m in metrics.get(scheme, {}).get(county, {}).items():
        def iv(key: str, spec: str, m: dict = m) -> str:
            lo, hi = m.get(f"{key}_ci") or (None, None)
            return format_interval(m.get(key), lo, hi, spec=spec, language=language)

        rows.append(
            {
                t("model", language): model_label(name, language),
                ("AUC [95%置信区间]" if zh else "AUC [95% CI]"): iv("auc", ".3f"),
                ("PR-AUC（精确率-召回率曲线下面积）" if zh else "PR-AUC"): iv("pr_auc", ".3f"),
                ("Brier 分数（越小越好）" if zh else "Brier score (lower is better)"):
                    format_metric(m.get("brier"), ".4f"),
                ("校准误差 ECE（越小越好）" if zh else "Calibration error ECE (lower is better)"):
                    format_metric(m.get("ece"), ".4f"),
            }
        )
        if "o_e" in m:  # calibration in the large, when the metrics file has it
            rows[-1][("观测/预期病例比 O/E（1为完美）" if zh else
                      "Observed / expected O/E (1 is perfect)")] = iv("o_e", ".2f")
    return pd.DataFrame(rows)


def cleaning_table(report: dict, language: str = "zh") -> pd.DataFrame:
    """Rows in, kept and quarantined per table."""
    rows = [
        {
            t("table", language): t(f"table_{name}", language),
            t("rows_in", language): report[name]["rows_in"],
            t("kept", language): report[name]["kept"],
            t("quarantined", language): report[name]["quarantined"],
        }
        for name in ("households", "panel", "events")
        if name in report
    ]
    return pd.DataFrame(rows)


def provenance_table(provenance: dict, language: str = "zh") -> pd.DataFrame:
    """The methods footer: code, config, data and versions behind the page."""
    packages = ", ".join(f"{k} {v}" for k, v in provenance["packages"].items())
    keys = ["git_commit", "config_hash", "input_fingerprint", "run_date"]
    rows = [(t(k, language), str(provenance[k])) for k in keys]
    rows.append((t("packages", language), packages))
    return pd.DataFrame(rows, columns=["", " "])


def capacity_table(table: pd.DataFrame, language: str = "zh") -> pd.DataFrame:
    """The page's one table of what each score's threshold within capacity catches
    (:func:`relapse_models.report.capacity.at_capacity`): threshold, share flagged, recall
    with its interval, the paired differences from the official rule and from the income
    baseline, precision, lead time. The recommended score is starred."""
    def paired(value: float, low: float, high: float, own: bool, same_key: str) -> str:
        if own or pd.isna(value):
            return "—"
        if value == 0 and low == 0 and high == 0:  # the very same households flagged
            return t(same_key, language)
        return format_interval(value, low, high, signed=True, language=language)

    rows = []
    for r in table.itertuples(index=False):
        diff = paired(r.recall_diff, r.recall_diff_ci_low, r.recall_diff_ci_high,
                      r.role == "official", "same_as_rule")
        vs_baseline = paired(r.recall_vs_baseline, r.recall_vs_baseline_ci_low,
                             r.recall_vs_baseline_ci_high, r.role == "simple", "same_as_baseline")
        rows.append({
            t("score", language): model_label(r.score, language) + (" ★" if r.recommended
                                                                   else ""),
            t("threshold", language): format_metric(r.threshold, ".3f"),
            t("flagged_share", language): format_metric(r.flagged_share, ".1%"),
            t("recall_ci", language): format_interval(r.recall, r.recall_ci_low,
                                                      r.recall_ci_high, language=language),
            t("recall_diff_rule", language): diff,
            t("recall_diff_baseline", language): vs_baseline,
            t("precision", language): format_metric(r.precision, ".3f"),
            t("lead_time", language): format_metric(r.lead_time_median, ".1f"),
        })
    return pd.DataFrame(rows)


UNSTABLE_SPAN = 100.0
"""An odds ratio whose interval spans more than this factor (or lies outside [1/this, this])
is flagged unstable: typically a factor that hardly varies in the sample."""


def _ratio(value: float) -> str:
    if pd.isna(value):
        return "—"
    if value >= UNSTABLE_SPAN:
        return f">{UNSTABLE_SPAN:g}"
    if value < 1 / UNSTABLE_SPAN:
        return f"<{1 / UNSTABLE_SPAN:g}"
    return f"{value:.2f}"


def odds_ratio_table(coefficients: pd.DataFrame, language: str = "zh", top: int = 12) -> pd.DataFrame:
    """The logit's odds ratios with 95 % intervals, strongest evidence first (smallest p),
    factors named in ``language``, two decimals, and unstable estimates flagged
    (:data:`UNSTABLE_SPAN`)."""
    rows = coefficients[coefficients["term"] != "Intercept"].sort_values("p_value").head(top)
    odds, low, high = (rows[c].to_numpy(dtype=float) for c in ("odds_ratio", "ci_low", "ci_high"))
    with np.errstate(divide="ignore", invalid="ignore"):
        span = high / low
        unstable = ~np.isfinite(span) | (span > UNSTABLE_SPAN) | (odds > UNSTABLE_SPAN) | (
            odds < 1 / UNSTABLE_SPAN)
    return pd.DataFrame(
        {
            t("driver", language): [feature_label(x, language) for x in rows["term"]],
            t("odds_ratio", language): [
                f"{_ratio(o)} [{_ratio(lo)}, {_ratio(hi)}]"
                for o, lo, hi in zip(odds, low, high, strict=True)
            ],
            ("p值" if language == "zh" else "p"): [format_metric(v, ".3f")
                                                   for v in rows["p_value"]],
            t("reliability", language): [t("unstable", language) if u else ""
                                         for u in unstable],
        }
    )


# --- the county's data over time, for the risk-landscape figures ---------------------------


def _period(year: pd.Series, quarter: pd.Series) -> pd.Series:
    return year.astype(str) + "Q" + quarter.astype(str)


_DENSE_CELLS = 1 << 25
"""Largest (household x quarter) table :func:`_one_row_per_household_quarter` counts densely."""


def _one_row_per_household_quarter(frame: pd.DataFrame) -> bool:
    """True when every row has a household id and no household has two rows in a quarter.

    Then the rows of a group within one quarter are its distinct households, so the tables
    below count rows instead of ``nunique`` on millions of string ids (seconds a table)."""
    if not len(frame):
        return False
    household = pd.factorize(frame["household_id"])[0]
    year, quarter = frame["year"].to_numpy(), frame["quarter"].to_numpy()
    if household.min() < 0 or year.dtype.kind not in "iu" or quarter.dtype.kind not in "iu":
        return False
    # two quarters sharing a key could only make rows look duplicated (then False): safe
    period, periods = pd.factorize(year.astype(np.int64) * 8 + quarter)
    n_households = int(household.max()) + 1
    key = household.astype(np.int64) * len(periods) + period
    if n_households * len(periods) <= _DENSE_CELLS:
        return bool(np.bincount(key, minlength=n_households * len(periods)).max() <= 1)
    return bool(pd.Index(key).is_unique)


def _households(distinct_rows: bool, column: str) -> tuple[str, str]:
    """The aggregation counting a quarter-level group's households: its rows when
    :func:`_one_row_per_household_quarter` holds (``column`` is any column of the group),
    else the distinct ids."""
    return (column, "size") if distinct_rows else ("household_id", "nunique")


def _by_quarter(
    frame: pd.DataFrame, aggs: dict[str, tuple[str, str]], by_town: bool = False
) -> pd.DataFrame:
    """``frame.groupby([town_id,] year, quarter, observed=True).agg(**aggs).reset_index()``,
    the same table from one integer key (the town's rank, the quarter's) where the keys
    allow it: grouping on a string column and three keys costs seconds at millions of rows.
    Rows keep their order within a group, so every aggregate is the same to the bit."""
    keys = (["town_id"] if by_town else []) + ["year", "quarter"]
    year, quarter = frame["year"].to_numpy(), frame["quarter"].to_numpy()
    fast = (len(frame) > 0 and year.dtype.kind in "iu" and quarter.dtype.kind in "iu"
            and quarter.min() >= 0 and quarter.max() < 8)  # so year * 8 + quarter sorts
    if fast and by_town:
        town = frame["town_id"]
        codes, names = pd.factorize(town, sort=True)  # names in groupby's order and dtype
        fast = isinstance(town.dtype, pd.StringDtype) and codes.min() >= 0
    if not fast:
        return frame.groupby(keys, observed=True).agg(**aggs).reset_index()
    period, periods = pd.factorize(year.astype(np.int64) * 8 + quarter, sort=True)
    key = codes.astype(np.int64) * len(periods) + period if by_town else period
    columns = list(dict.fromkeys(column for column, _ in aggs.values()))
    out = frame[columns].groupby(key).agg(**aggs)
    key = out.index.to_numpy()
    yq = periods[key % len(periods)]
    out = out.reset_index(drop=True)
    out.insert(0, "quarter", (yq % 8).astype(quarter.dtype))
    out.insert(0, "year", (yq // 8).astype(year.dtype))
    if by_town:
        out.insert(0, "town_id", names.take(key // len(periods)))
    return out


def town_quarterly(features: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Per town and quarter: households and the share under monitoring (%), for small
    multiples on one scale. A town-quarter with fewer than ``min_cell`` households gets no
    share (NaN) and ``suppressed = True``: kept, so the reader sees the town exists."""
    distinct_rows = _one_row_per_household_quarter(features)
    out = _by_quarter(
        features,
        {"households": _households(distinct_rows, "monitored_now"),
         "monitored": ("monitored_now", "mean")},
        by_town=True,
    )
    out = out.sort_values(["town_id", "year", "quarter"])
    out["suppressed"] = out["households"] < min_cell
    out["monitored_pct"] = (100 * out["monitored"]).where(~out["suppressed"])
    out["period"] = _period(out["year"], out["quarter"])
    return out.drop(columns="monitored").reset_index(drop=True)


def medical_burden(features: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Per quarter: households with a known medical burden, the share with catastrophic
    health spending (%) and the mean out-of-pocket cost relative to the line (both over the
    last four quarters); NaN where fewer than ``min_cell`` households are known."""
    distinct_rows = _one_row_per_household_quarter(features)
    columns = ["year", "quarter", "catastrophic_health", "oop_to_line"]
    if not distinct_rows:
        columns.append("household_id")
    known = features.loc[features["catastrophic_health"].notna(), columns]
    out = _by_quarter(known, {"households": _households(distinct_rows, "catastrophic_health"),
                              "catastrophic": ("catastrophic_health", "mean"),
                              "oop_to_line": ("oop_to_line", "mean")})
    small = out["households"] < min_cell
    out["catastrophic_pct"] = (100 * out.pop("catastrophic")).where(~small)
    out["oop_to_line"] = out["oop_to_line"].where(~small)
    out["period"] = _period(out["year"], out["quarter"])
    return out


def disaster_exposure(panel: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Per quarter: households observed, households hit by a disaster (a disaster type or a
    loss recorded) and their share (%); the share is NaN when fewer than ``min_cell``
    households are observed, the count shows as ``"<min_cell"`` when below it."""
    hit = panel["disaster_type"].notna() | (panel["disaster_loss"].fillna(0) > 0)
    distinct_rows = _one_row_per_household_quarter(panel)
    columns = ["year", "quarter"] + ([] if distinct_rows else ["household_id"])
    d = panel[columns].assign(hit=hit)
    out = _by_quarter(d, {"households": _households(distinct_rows, "hit"),
                          "hit": ("hit", "sum")})
    out["disaster_pct"] = (100 * out["hit"] / out["households"]).where(
        out["households"] >= min_cell)
    out["period"] = _period(out["year"], out["quarter"])
    return suppress_small(out, ["hit"], min_cell)


def disaster_types(panel: pd.DataFrame, min_cell: int, language: str = "zh") -> pd.DataFrame:
    """Households ever hit, by disaster type (most first), small counts suppressed."""
    hit = panel[panel["disaster_type"].notna()]
    counts = (hit.groupby("disaster_type")["household_id"].nunique()
              .sort_values(ascending=False).reset_index(name="n"))
    out = pd.DataFrame({
        t("disaster_type", language): [
            code_label("disaster_type", c, language) for c in counts["disaster_type"]],
        t("households", language): counts["n"].to_numpy(),
    })
    return suppress_small(out, [t("households", language)], min_cell)


# --- early-warning detail tables (reports/metrics/thresholds_detail/<county>/) --------------


def _interval(value: float, low: float, high: float, spec: str = ".3f",
              signed: bool = False, language: str = "zh") -> str:
    return format_interval(value, low, high, spec=spec, signed=signed, language=language)


def tier_resolution_table(resolution: pd.DataFrame, language: str = "zh") -> pd.DataFrame:
    """Official against model tiers: each scheme's monthly load against capacity and the
    share of relapse household-quarters its tiers hold, with the interval. The loads differ,
    so no winner is named (the comparison at equal load is the capacity table)."""
    yes, no = t("yes", language), t("no", language)
    rows = []
    for r in resolution.itertuples(index=False):
        fits = r.fits_capacity
        rows.append({
            t("scheme", language): model_label(r.scheme, language),
            t("load", language): format_metric(r.load, ".1f"),
            t("budget", language): format_metric(r.budget, ".1f"),
            t("load_ratio", language): "—" if pd.isna(r.load) or not r.budget else
                format_metric(r.load / r.budget, ".0%"),
            t("fits_capacity", language): "—" if pd.isna(fits) else (yes if fits else no),
            t("coverage_ci", language): _interval(r.recall, r.recall_ci_low, r.recall_ci_high,
                                                  language=language),
        })
    return pd.DataFrame(rows)


def lead_time_table(lead_dist: pd.DataFrame, language: str = "zh") -> pd.DataFrame:
    """Cases by lead time (columns) per score (rows); ``0`` is a case never flagged ahead."""
    if lead_dist.empty:
        return pd.DataFrame()
    wide = lead_dist.pivot_table(index="score", columns="lead_time", values="cases",
                                 aggfunc="sum", fill_value=0, sort=False)
    wide = wide[sorted(wide.columns)]
    wide.columns = [t("missed", language) if c == 0 else t("lead_quarters", language, n=c)
                    for c in wide.columns]
    wide.index = [model_label(s, language) for s in wide.index]
    wide.index.name = t("score", language)
    return wide.reset_index()


def equity_report_table(equity: pd.DataFrame, scores: list[str], language: str = "zh",
                        min_cell: int = 5) -> pd.DataFrame:
    """The published (already suppressed) equity table for ``scores``, subgroups only (the
    whole county's recall is the capacity table's): each group's households, its recall with
    the interval, its share of cases and of misses. A group of enough households whose cases
    are few shows its size, and says its cases are too few to show."""
    d = equity[equity["score"].isin(scores) & (equity["dimension"] == "subgroup")
               & (equity["group"] != "all")]
    marker = f"<{min_cell}"
    few = t("cases_few", language, min_cell=min_cell)

    def value(v: object) -> object:
        """A number read back from the CSV (a column holding a marker is text), or the
        marker itself."""
        if isinstance(v, str):
            try:
                return float(v)
            except ValueError:
                return v
        return v

    rows = []
    for r in d.itertuples(index=False):
        size = value(r.households)
        small_group = isinstance(size, str)

        def cell(v: object, spec: str, small_group: bool = small_group) -> str:
            v = value(v)
            if isinstance(v, str):
                return marker if small_group else few
            return format_metric(v, spec)

        rec = value(r.recall)
        shown = cell(rec, ".3f") if isinstance(rec, str) else _interval(
            rec, value(r.recall_ci_low), value(r.recall_ci_high), language=language)
        rows.append({
            t("score", language): model_label(r.score, language),
            t("group", language): group_label(str(r.group), language),
            t("households", language): size if small_group else format_metric(size, ".0f"),
            t("recall_ci", language): shown,
            t("share_of_cases", language): cell(r.share_of_cases, ".1%"),
            t("share_of_misses", language): cell(r.share_of_misses, ".1%"),
        })
    return pd.DataFrame(rows)


def line_sensitivity_table(ls: pd.DataFrame, language: str = "zh") -> pd.DataFrame:
    """Per raised line multiple and score: the relapse rate, flagged share and recall. The
    line as it is (×1) is left out: its recall is the capacity table's."""
    if ls.empty:
        return pd.DataFrame()
    ls = ls[(ls["multiplier"] - 1.0).abs() > 1e-9]
    return pd.DataFrame({
        t("line_multiple", language): ls["multiplier"].map(lambda m: f"×{m:g}"),
        t("line", language): ls["line"].map(lambda v: format_number(v, "元", language)),
        t("score", language): [model_label(s.removesuffix("_at_capacity"), language)
                               for s in ls["score"]],
        t("prevalence", language): ls["prevalence"].map(lambda v: format_metric(v, ".1%")),
        t("flagged_share", language): ls["flagged_share"].map(lambda v: format_metric(v, ".1%")),
        t("recall_line", language): ls["recall"].map(lambda v: format_metric(v, ".3f")),
    })


def cleaning_rules_table(report: dict, language: str = "zh") -> pd.DataFrame:
    """Rows quarantined per cleaning rule (empty when no rule fired)."""
    rules = report.get("rules") or []
    if not rules:
        return pd.DataFrame()
    d = pd.DataFrame(rules)
    if "table" in d:
        d["table"] = [t(f"table_{x}", language) if f"table_{x}" in TEXT else x for x in d["table"]]
    if "rule" in d:
        d["rule"] = [rule_label(x, language) for x in d["rule"]]
        d = d.groupby(["table", "rule"], as_index=False, sort=False)["n"].sum()
    return d.rename(columns={"table": t("table", language), "rule": t("rule", language),
                             "n": t("rows_quarantined", language)})


def fit_notes(metrics: dict, language: str = "zh") -> list[str]:
    """What the page must say about the fits (models.json): a model not fitted and why, each
    fit's warnings (separation, penalised fit, dropped columns), tuning that fell back to the
    defaults, and a vulnerability score left out of the comparisons."""
    out = []
    for name, report in (metrics.get("fits") or {}).items():
        label = model_label(name, language)
        if not report.get("fitted", False):
            out.append(t("fit_not_fitted", language, model=label, reason=report.get("reason", "")))
        out += [t("fit_warning", language, model=label, warning=w) for w in report.get("warnings", [])]
    skipped = (metrics.get("tuning") or {}).get("skipped")
    if skipped:
        out.append(t("tuning_skipped", language, reason=skipped))
    vul = metrics.get("vulnerability") or {}
    if vul and not vul.get("in_comparisons", True):
        out.append(t("vulnerability_left_out", language, model=model_label("vulnerability", language),
                     note=vul.get("note", "")))
    return out
