"""Tables of the comparative report: counties side by side."""

from __future__ import annotations

import html

import pandas as pd

from relapse_models.data.reconcile import published_rows
from relapse_models.report.capacity import at_capacity
from relapse_models.report.tables import format_interval, format_metric, format_number
from relapse_models.report.words import (
    indicator_label,
    mechanism_label,
    metric_label,
    model_label,
    t,
)


def county_names(profiles: dict[str, dict], language: str = "zh") -> dict[str, str]:
    """County id -> display name."""
    key = "name_zh" if language == "zh" else "name_en"
    return {cid: p[key] for cid, p in profiles.items()}


def indicator_matrix(
    recon: pd.DataFrame, names: dict[str, str], language: str = "zh"
) -> pd.DataFrame:
    """Indicators (rows) by county (columns): computed value, published value in brackets."""
    recon = published_rows(recon)
    cells = [
        f"{format_number(r.computed, r.unit, language)}"
        + ("" if pd.isna(r.published) else f"（{format_number(r.published, r.unit, language)}）")
        for r in recon.itertuples(index=False)
    ]
    wide = (
        recon.assign(cell=cells, label=[indicator_label(k, language) for k in recon["indicator"]])
        .pivot_table(index="label", columns="county_id", values="cell", aggfunc="first", sort=False)
        .reindex(columns=list(names))
        .rename(columns=names)
        .fillna("—")
    )
    wide.index.name = t("indicator", language)
    wide.columns.name = None  # else "county_id" shows as a stray header cell
    return wide.reset_index()


def model_matrix(
    metrics: dict, names: dict[str, str], language: str = "zh", scheme: str = "out_of_time"
) -> pd.DataFrame:
    """AUC by county (rows) and model (columns) under a validation scheme (``out_of_time``,
    or ``leave_one_county_out``: how well a model transfers to a county it never saw)."""
    rows = []
    for cid, name in names.items():
        by_model = metrics.get(scheme, {}).get(cid, {})
        row = {t("county", language): name}
        for model, m in by_model.items():
            row[model_label(model, language)] = format_metric(m.get("auc"), ".3f")
        rows.append(row)
    return pd.DataFrame(rows)


def threshold_matrix(
    recommended: dict, names: dict[str, str], language: str = "zh"
) -> pd.DataFrame:
    """Per county: capacity, and recall within it (with its interval) of the official rule,
    the one-variable baseline and the best model, from the same table a county page reads
    (:func:`relapse_models.report.capacity.at_capacity`); baselines the file does not hold
    are left out."""
    rows = []
    for cid, name in names.items():
        rec = recommended[cid]
        table = at_capacity(rec)
        row = {t("county", language): name,
               t("capacity_share", language): f"{100 * rec['capacity_share']:.1f}%"}
        for role in ("official", "simple"):
            part = table[table["role"] == role]
            if part.empty:
                continue
            r = part.iloc[0]
            row[t("recall", language) + " · " + model_label(r["score"], language)] = \
                format_interval(r["recall"], r["recall_ci_low"], r["recall_ci_high"],
                                language=language)
        best = table[table["recommended"]]
        if not best.empty:
            r = best.iloc[0]
            row[t("recall", language) + " · " + t("best_model", language)] = (
                format_interval(r["recall"], r["recall_ci_low"], r["recall_ci_high"],
                                language=language)
                + f"（{model_label(r['score'], language)}）")
        rows.append(row)
    return pd.DataFrame(rows)


def drop_constant_columns(df: pd.DataFrame, keep: tuple[str, ...] = ()) -> tuple[
        pd.DataFrame, dict[str, object]]:
    """``df`` without the columns whose value is the same in every row (when there are two
    rows or more), and those columns' common values, for one sentence above the table."""
    if len(df) < 2:
        return df, {}
    constant = [c for c in df.columns if c not in keep and df[c].nunique(dropna=False) == 1]
    return df.drop(columns=constant), {c: df[c].iloc[0] for c in constant}


def county_links(names: dict[str, str], extra: dict[str, str] | None = None) -> str:
    """An HTML list of links to the county pages, then to the ``extra`` pages (href ->
    title, e.g. the what-if page); every text escaped."""
    pages = {f"counties/{cid}.html": name for cid, name in names.items()} | (extra or {})
    items = "".join(f'<li><a href="{html.escape(href)}">{html.escape(title)}</a></li>'
                    for href, title in pages.items())
    return f"<ul>{items}</ul>"


def tier_matrix(
    resolution: pd.DataFrame, names: dict[str, str], language: str = "zh"
) -> pd.DataFrame:
    """Per county (``reports/metrics/tier_comparison.csv``): the official tiers' and the
    best model's tiers' monthly load against capacity and the share of relapse
    household-quarters each holds, with intervals. Their loads differ, so no winner is
    named."""
    rows = []
    for cid, name in names.items():
        d = resolution[resolution["county_id"] == cid]
        off = d[d["scheme"] == "official"]
        best = d[d["is_best"].astype(bool)]
        row = {t("county", language): name}
        for label, part in ((model_label("official", language), off),
                            (t("best_model", language), best)):
            if part.empty:
                row[f"{label} · {t('load', language)}"] = "—"
                row[f"{label} · {t('coverage_ci', language)}"] = "—"
                continue
            r = part.iloc[0]
            row[f"{label} · {t('load', language)}"] = (
                f"{format_metric(r['load'], '.1f')} / {format_metric(r['budget'], '.1f')}")
            scheme = "" if label != t("best_model", language) else \
                f"（{model_label(r['scheme'], language)}）"
            row[f"{label} · {t('coverage_ci', language)}"] = format_interval(
                r["recall"], r["recall_ci_low"], r["recall_ci_high"], language=language) + scheme
        rows.append(row)
    return pd.DataFrame(rows)


def robustness_matrix(metrics: pd.DataFrame, language: str = "zh",
                      metric: str = "recall_at_capacity") -> pd.DataFrame:
    """One row per model and baseline, one column per truth mechanism: ``metric`` with its
    interval (the robustness stage's metrics table); a model with no value under any mechanism
    (the rule has no observed/expected) has no row."""
    part = metrics[(metrics["metric"] == metric) & metrics["value"].notna()]
    mechanisms = list(dict.fromkeys(metrics["mechanism"]))
    rows = []
    for model in dict.fromkeys(part["model"]):
        row = {t("model", language): model_label(model, language)}
        for mech in mechanisms:
            r = part[(part["model"] == model) & (part["mechanism"] == mech)]
            row[mechanism_label(mech, language)] = "—" if r.empty else format_interval(
                r["value"].iloc[0], r["ci_low"].iloc[0], r["ci_high"].iloc[0],
                spec=".2f" if metric == "o_e" else ".3f", language=language)
        rows.append(row)
    return pd.DataFrame(rows)


def robustness_panel(metrics: pd.DataFrame, language: str = "zh") -> str:
    """The sentence saying which panel the robustness table was measured on: the run's own, or
    (above ``robustness.max_households``) a smaller one for every mechanism."""
    households, scale = int(metrics["households"].max()), float(metrics["scale"].max())
    if metrics["own_run"].astype(bool).any():
        return t("robustness_panel", language, households=households, scale=scale)
    return t("robustness_panel_capped", language, run=int(metrics["run_households"].max()),
             households=households, scale=scale)


def robustness_findings(findings: pd.DataFrame, language: str = "zh") -> list[str]:
    """Sentences: each comparison that holds under every mechanism, then (as no finding)
    those that hold under some only."""
    def names(text: str) -> str:
        return " / ".join(model_label(x, language) for x in str(text).split("; "))

    out = []
    for r in findings[findings["holds"].astype(bool)].itertuples(index=False):
        loser = names(r.a) if r.winner == r.b else model_label(r.b, language)
        out.append(t("robustness_holds", language, metric=metric_label(r.metric, language),
                     winner=model_label(r.winner, language), loser=loser))
    if not out:
        out.append(t("robustness_none", language))
    some = []
    for r in findings[~findings["holds"].astype(bool)].itertuples(index=False):
        pairs = [p.split(": ", 1) for p in str(r.winners).split("; ")]
        won = [f"{mechanism_label(m, language)}: {model_label(w, language)}"
               for m, w in pairs if w != "-"]
        if won:
            some.append(f"{model_label(r.b, language)} — {names(r.a)}，{metric_label(r.metric, language)}"
                        f"（{'，'.join(won)}）" if language == "zh" else
                        f"{model_label(r.b, language)} vs {names(r.a)}, {metric_label(r.metric, language)}"
                        f" ({', '.join(won)})")
    if some:
        out.append(t("robustness_some", language, items=("；" if language == "zh" else "; ").join(some)))
    return out
