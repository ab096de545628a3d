"""The tables a county report shows, computed from the pipeline's outputs.

Kept out of the notebooks so they are tested; every count of households passes through
small-cell suppression before it reaches a page.
"""

from __future__ import annotations

import pandas as pd

from relapse_models.report.labels import code_label, indicator_label, model_label, t
from relapse_models.report.tables import format_metric, format_number, suppress_small


def headline_table(recon: pd.DataFrame, language: str = "zh") -> pd.DataFrame:
    """Published against computed figures, formatted as the seeds write them."""
    rows = []
    for rec in recon.itertuples(index=False):
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


def town_table(features: pd.DataFrame, min_cell: int, language: str = "zh") -> pd.DataFrame:
    """Per town, in the last quarter: households and the share under monitoring."""
    last = features[["year", "quarter"]].drop_duplicates().sort_values(["year", "quarter"]).iloc[-1]
    now = features[(features["year"] == last["year"]) & (features["quarter"] == last["quarter"])]
    towns = (
        now.groupby("town_id", observed=True)
        .agg(n=("household_id", "size"), monitored=("monitored_now", "mean"))
        .sort_values("monitored", ascending=False)
        .reset_index()
    )
    towns["monitored"] = (100 * towns["monitored"]).round(1)
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
    known = features[features["income_pc_4q"].notna()]
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
    """One county's metrics per model under a validation scheme, with intervals."""
    rows = []
    for name, m in metrics.get(scheme, {}).get(county, {}).items():
        lo, hi = m.get("auc_ci") or (None, None)
        rows.append(
            {
                t("model", language): model_label(name, language),
                "AUC (95% CI)": f"{format_metric(m.get('auc'), '.3f')} ({format_metric(lo, '.3f')}–{format_metric(hi, '.3f')})",
                "PR-AUC": format_metric(m.get("pr_auc"), ".3f"),
                "Brier": format_metric(m.get("brier"), ".4f"),
                "ECE": format_metric(m.get("ece"), ".4f"),
                t("recall", language) + " @capacity": format_metric(m.get("recall_at_capacity"), ".3f"),
            }
        )
    return pd.DataFrame(rows)


def cleaning_table(report: dict, language: str = "zh") -> pd.DataFrame:
    """Rows in, kept and quarantined per table."""
    rows = [
        {
            t("table", language): name,
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


def recommended_table(recommended: dict, language: str = "zh") -> pd.DataFrame:
    """Per score: the threshold within capacity and what it achieves."""
    rows = []
    for score, r in recommended["by_score"].items():
        rows.append(
            {
                t("score", language): model_label(score, language),
                t("threshold", language): format_metric(r.get("threshold"), ".3f"),
                t("flagged_share", language): format_metric(r.get("flagged_share"), ".1%"),
                t("recall", language): format_metric(r.get("recall"), ".3f"),
                t("precision", language): format_metric(r.get("precision"), ".3f"),
                t("lead_time", language): format_metric(r.get("lead_time_median"), ".1f"),
            }
        )
    return pd.DataFrame(rows)


def odds_ratio_table(coefficients: pd.DataFrame, language: str = "zh", top: int = 12) -> pd.DataFrame:
    """The logit's odds ratios with 95 % intervals, strongest evidence first (smallest p)."""
    rows = coefficients[coefficients["term"] != "Intercept"].sort_values("p_value").head(top)
    return pd.DataFrame(
        {
            t("driver", language): rows["term"].to_numpy(),
            t("odds_ratio", language): [
                f"{o:.3g} [{lo:.3g}, {hi:.3g}]"
                for o, lo, hi in zip(rows["odds_ratio"], rows["ci_low"], rows["ci_high"], strict=True)
            ],
            "p": [format_metric(v, ".3f") for v in rows["p_value"]],
        }
    )
