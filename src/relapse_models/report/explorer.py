"""The threshold explorer on a county page: its reader moves the visit capacity and sees what
each score's threshold within that capacity catches, from the precomputed grid.

A Vega-Lite chart built with altair; the page carries the Vega libraries inline (vl-convert
bundles them), so the single HTML file works offline. Nothing is recomputed in the browser:
every number shown is a row of :func:`explorer_grid` or :func:`explorer_equity`.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from relapse_models.report.words import group_label, model_label, t

TIER_RATIOS: tuple[float, float, float] = (1.0, 2.0, 4.0)
TIER_VISITS: dict[str, float] = {"red": 2.0, "yellow": 1.0, "blue": 1.0 / 3.0}

CAPACITY_STEP = 0.005
"""Steps of the capacity slider (share of households)."""


def tier_split(flagged_households: np.ndarray, ratios: tuple[float, float, float] = TIER_RATIOS,
               visits: Mapping[str, float] = TIER_VISITS) -> pd.DataFrame:
    """The flagged households split into red, yellow and blue in the proportions ``ratios``
    (highest scores red), with each tier's monthly visits: red every half month, yellow
    monthly, blue quarterly."""
    r = np.asarray(ratios, dtype=float) / float(sum(ratios))
    n = np.asarray(flagged_households, dtype=float)
    out = {}
    for share, tier in zip(r, ("red", "yellow", "blue"), strict=True):
        out[f"{tier}_households"] = n * share
        out[f"{tier}_visits"] = n * share * float(visits[tier])
    frame = pd.DataFrame(out)
    frame["tier_visits"] = frame[[f"{tier}_visits" for tier in ("red", "yellow", "blue")]].sum(
        axis=1)
    return frame


def explorer_grid(thresholds: pd.DataFrame, households: int,
                  scores: list[str] | None = None) -> pd.DataFrame:
    """Per score and threshold of the county's grid (``thresholds/<county>.csv``): the share
    of households flagged, recall, precision, median lead time, the flagged households and
    their red/yellow/blue tiers' monthly visits (``households``: the county's households in
    the test year, the sample the grid was computed on). ``scores``: which to keep (default
    every score but the oracle)."""
    keep = scores if scores is not None else [
        s for s in dict.fromkeys(thresholds["score"]) if s != "oracle"]
    d = thresholds[thresholds["score"].isin(keep)]
    out = d[["score", "threshold", "flagged_share", "recall", "precision",
             "lead_time_median"]].reset_index(drop=True)
    out["flagged_households"] = out["flagged_share"] * households
    # the county's recall and precision under the names the explorer selects on (an equity
    # row's own recall is its group's)
    # (undefined values, a county without cases, rank last: -1, as at_share's na_position)
    out["overall_recall"] = out["recall"].fillna(-1.0)
    out["overall_precision"] = out["precision"].fillna(-1.0)
    out = pd.concat([out, tier_split(out["flagged_households"].to_numpy())], axis=1)
    return out.sort_values(["score", "flagged_share", "threshold"],
                           ascending=[True, True, False]).reset_index(drop=True)


def at_share(grid: pd.DataFrame, share: float) -> pd.DataFrame:
    """Per score, the grid row the explorer shows at capacity ``share``: among thresholds
    whose flagged share fits, the highest recall, ties to the higher precision, then the
    higher threshold (the pipeline's rule,
    :func:`relapse_models.warning.thresholds.best_threshold_within_capacity`). The browser test checks
    the page against it."""
    within = grid[grid["flagged_share"] <= share + 1e-12]
    if within.empty:
        return within
    rows = within.sort_values(["recall", "precision", "threshold"], ascending=False,
                              na_position="last")
    return rows.drop_duplicates("score").sort_values("score").reset_index(drop=True)


def explorer_equity(equity_grid: pd.DataFrame, grid: pd.DataFrame,
                    language: str = "zh") -> pd.DataFrame:
    """The subgroups' recall at each grid threshold (``thresholds_detail/<county>/
    equity_grid.csv``), with the score's overall flagged share (the explorer selects on it) and
    the group's label; suppressed groups keep a row with no recall."""
    if equity_grid.empty:
        return pd.DataFrame(columns=["score", "threshold", "group", "recall", "flagged_share",
                                     "overall_recall", "overall_precision"])
    eq = equity_grid[equity_grid["group"] != "all"][["score", "threshold", "group", "recall"]]
    eq = eq.merge(grid[["score", "threshold", "flagged_share", "overall_recall",
                        "overall_precision"]], on=["score", "threshold"], how="inner")
    eq["group"] = [group_label(g, language) for g in eq["group"]]
    return eq.reset_index(drop=True)


def explorer_chart(grid: pd.DataFrame, equity: pd.DataFrame, capacity_share: float,
                   budget: float, language: str = "zh", default_score: str | None = None):
    """The altair chart: a capacity slider and a score menu drive a number panel (threshold,
    recall, precision, lead time, flagged households, tier visits against capacity), the
    recall curve with the capacity line, the tier loads and the subgroups' recall."""
    import altair as alt

    zh = language == "zh"
    scores = list(dict.fromkeys(grid["score"]))
    labels = {s: model_label(s, language) for s in scores}
    grid = grid.assign(model=grid["score"].map(labels))
    equity = equity.assign(model=equity["score"].map(labels))
    default = labels.get(default_score or scores[0], labels[scores[0]])
    top = float(min(1.0, max(0.5, 2 * capacity_share)))
    cap = alt.param(name="capacity", value=round(capacity_share / CAPACITY_STEP) * CAPACITY_STEP,
                    bind=alt.binding_range(min=CAPACITY_STEP, max=top, step=CAPACITY_STEP,
                                           name=t("explorer_capacity", language) + " "))
    model = alt.param(name="model", value=default,
                      bind=alt.binding_select(options=[labels[s] for s in scores],
                                              name=t("explorer_model", language) + " "))

    def pick(base: alt.Chart) -> alt.Chart:
        """The selected score's row at the slider's capacity: the highest recall within
        it, ties to the higher precision, then the higher threshold (:func:`at_share`)."""
        return (base.transform_filter("datum.model == model")
                .transform_filter("datum.flagged_share <= capacity + 1e-12")
                .transform_joinaggregate(top_recall="max(overall_recall)")
                .transform_filter("datum.overall_recall == datum.top_recall")
                .transform_joinaggregate(top_precision="max(overall_precision)")
                .transform_filter("datum.overall_precision == datum.top_precision")
                .transform_joinaggregate(top_threshold="max(threshold)")
                .transform_filter("datum.threshold == datum.top_threshold"))

    base = alt.Chart(alt.Data(values=json.loads(grid.to_json(orient="records"))))
    nf = ".3f"
    metrics = [
        ("threshold", t("threshold", language), f"format(datum.threshold, '{nf}')"),
        ("flagged", t("flagged_share", language),
         "format(datum.flagged_share, '.1%') + ' (' + format(datum.flagged_households, ',.0f')"
         + (" + '户)'" if zh else " + ' households)'")),
        ("recall", t("recall_rows", language),
         f"isValid(datum.recall) ? format(datum.recall, '{nf}') : '—'"),
        ("precision", t("precision", language),
         f"isValid(datum.precision) ? format(datum.precision, '{nf}') : '—'"),
        ("lead", t("lead_time", language),
         "isValid(datum.lead_time_median) ? format(datum.lead_time_median, '.1f') : '—'"),
        ("tiers", t("explorer_tier_households", language),
         "format(datum.red_households, ',.0f') + ' / ' + format(datum.yellow_households, ',.0f')"
         " + ' / ' + format(datum.blue_households, ',.0f')"),
        ("visits", t("explorer_visits", language),
         f"format(datum.tier_visits, ',.0f') + ' / ' + format({budget}, ',.0f')"),
    ]
    rows = [label for _, label, _ in metrics]
    sep = "：" if zh else ": "
    panel = pick(base)
    for key, _, expr in metrics:
        panel = panel.transform_calculate(**{key: expr})
    panel = (
        panel.transform_fold([k for k, _, _ in metrics], as_=["key", "value"])
        .transform_calculate(
            label=" + ".join(f"(datum.key == '{k}' ? '{lab}' : '')" for k, lab, _ in metrics))
        .transform_calculate(text=f"datum.label + '{sep}' + datum.value")
    )
    numbers = panel.mark_text(align="left", fontSize=14).encode(
        y=alt.Y("label:N", sort=rows, axis=None), text="text:N", x=alt.value(4),
    ).properties(width=430, height=190, title=t("explorer_numbers", language))

    line = base.mark_line(interpolate="step-after").encode(
        x=alt.X("flagged_share:Q", title=t("flagged_share", language),
                scale=alt.Scale(domain=[0, top]), axis=alt.Axis(format="%")),
        y=alt.Y("recall:Q", title=t("recall_rows", language), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("model:N", title=t("score", language),
                        legend=alt.Legend(orient="bottom", columns=2)),
        opacity=alt.condition("datum.model == model", alt.value(1.0), alt.value(0.35)),
    ).transform_filter(f"datum.flagged_share <= {top}")
    rule = alt.Chart(alt.Data(values=[{}])).mark_rule(color="grey", strokeDash=[4, 3]).encode(
        x="capacity:Q").transform_calculate(capacity="capacity")
    rule_text = alt.Chart(alt.Data(values=[{}])).mark_text(
        align="left", dx=4, dy=-4, color="grey", fontSize=11).encode(
        x="capacity:Q", y=alt.value(12), text="label:N").transform_calculate(
        capacity="capacity", label=f"'{t('capacity', language)} ' + format(capacity, '.1%')")
    dot = pick(base).mark_point(filled=True, size=80, color="black").encode(
        x="flagged_share:Q", y="recall:Q")
    curve = alt.layer(line, rule, rule_text, dot).properties(
        width=430, height=260, title=t("explorer_curve", language))

    tiers = pick(base).transform_fold(
        ["red_visits", "yellow_visits", "blue_visits"], as_=["tier", "visits"]
    ).transform_calculate(tier_label=" + ".join(
        f"(datum.tier == '{k}_visits' ? '{t('tier_' + k, language)}' : '')"
        for k in ("red", "yellow", "blue")), tier_order=" + ".join(
        f"(datum.tier == '{k}_visits' ? {i} : 0)"
        for i, k in enumerate(("red", "yellow", "blue"))))
    tier_bars = tiers.mark_bar().encode(
        x=alt.X("sum(visits):Q", title=t("visits_per_month", language),
                scale=alt.Scale(domain=[0, max(budget * 1.6, 1.0)])),
        color=alt.Color("tier_label:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=[t(f"tier_{k}", language)
                                                for k in ("red", "yellow", "blue")],
                                        range=["#c0392b", "#f1c40f", "#2e86c1"])),
        order=alt.Order("tier_order:Q", sort="ascending"),
    )
    budget_rule = alt.Chart(alt.Data(values=[{"budget": budget}])).mark_rule(
        color="black", strokeDash=[4, 3]).encode(x="budget:Q")
    budget_text = alt.Chart(alt.Data(values=[{"budget": budget}])).mark_text(
        align="left", dx=4, dy=-14, fontSize=11).encode(
        x="budget:Q", text=alt.value(t("capacity", language)))
    loads = alt.layer(tier_bars, budget_rule, budget_text).properties(
        width=430, height=60, title=t("explorer_tiers", language))

    eq_base = alt.Chart(alt.Data(values=json.loads(equity.to_json(orient="records"))))
    eq = pick(eq_base).transform_filter("isValid(datum.recall)").mark_bar(
        color="#1f4e79").encode(
        y=alt.Y("group:N", title=None, sort=None),
        x=alt.X("recall:Q", title=t("recall_rows", language), scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("group:N"), alt.Tooltip("recall:Q", format=".3f")],
    )
    eq_text = pick(eq_base).transform_filter("isValid(datum.recall)").mark_text(
        align="left", dx=3, fontSize=11).encode(
        y=alt.Y("group:N", sort=None), x="recall:Q", text=alt.Text("recall:Q", format=".3f"))
    equity_chart = alt.layer(eq, eq_text).properties(
        width=430, height=150, title=t("explorer_equity", language))

    left = alt.vconcat(numbers, loads)
    right = alt.vconcat(curve, equity_chart)
    return alt.hconcat(left, right).add_params(cap, model).resolve_scale(
        color="independent").configure_view(
        stroke=None).configure_title(anchor="start", fontSize=13).configure(
        font="Report CJK, Noto Sans CJK SC, sans-serif")


def script_safe(code: str) -> str:
    """JavaScript made safe inside an HTML ``<script>``: data text (group and place names) in
    the bundled spec can neither close the element nor open an HTML comment. ``</script`` and
    ``<!--`` occur only inside strings, regular expressions or comments, where a backslash
    before the ``/`` or the ``!`` leaves the characters the same."""
    code = re.sub(r"</(?=script)", lambda _: "<\\/", code, flags=re.IGNORECASE)
    return code.replace("<!--", "<\\!--")


def explorer_html(chart, element_id: str = "threshold-explorer",
                  description: str = "") -> str:
    """The chart as HTML for a notebook output: a ``<div>``, the Vega libraries inline from
    vl-convert (no network), rendered as SVG so its numbers are text a reader can copy."""
    import vl_convert as vlc

    spec = chart.to_dict()
    snippet = (
        f"vegaEmbed({json.dumps('#' + element_id)}, {json.dumps(spec, ensure_ascii=False)}, "
        '{"renderer": "svg", "actions": false})'
        ".then(function () { document.getElementById("
        f"{json.dumps(element_id)}).setAttribute('data-ready', '1'); }});"
    )
    bundle = script_safe(vlc.javascript_bundle(snippet))
    label = html.escape(description, quote=True)
    return (
        f'<figure class="explorer" aria-label="{label}">'
        f'<div id="{element_id}" role="img" aria-label="{label}"></div>'
        f'<figcaption>{html.escape(description)}</figcaption></figure>'
        f'<script type="module">{bundle}</script>'
    )
