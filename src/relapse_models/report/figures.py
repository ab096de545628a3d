"""Figures: a CJK font the project installs itself, and the house style.

The Noto Sans CJK SC file ships in the PyPI package ``mplfonts``; it is registered with
matplotlib as a file (mplfonts' own ``init`` rewrites matplotlib's files and is not used).
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.ticker import FuncFormatter, MaxNLocator

from relapse_models.report.words import feature_label, model_label, t

CJK_FONT_NAME = "Noto Sans CJK SC"


def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK SC file inside the installed ``mplfonts`` package."""
    import mplfonts

    path = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    if not path.exists():
        raise FileNotFoundError(f"CJK font missing: {path} (reinstall mplfonts)")
    return path


def setup_fonts() -> str:
    """Register the CJK font and make it the fallback after DejaVu Sans, so Latin text and
    digits keep their usual look and Chinese characters render instead of boxes."""
    font_manager.fontManager.addfont(str(cjk_font_path()))
    plt.rcParams["font.family"] = ["DejaVu Sans", CJK_FONT_NAME]
    plt.rcParams["axes.unicode_minus"] = False
    plt.rcParams["figure.dpi"] = 100
    plt.rcParams["savefig.dpi"] = 110
    plt.rcParams["axes.spines.top"] = False
    plt.rcParams["axes.spines.right"] = False
    return CJK_FONT_NAME


setup_fonts()


def gain_axes(ax, table, language: str = "zh", capacity_share: float | None = None,
              title: str | None = None, legend: bool = True) -> None:
    """Recall against flagged share for every score on ``ax``: the targeting curve
    (Aiken et al. 2022) a county reads to choose how many households to visit; the grey line,
    labelled, marks the county's visit capacity."""


    for score, group in table.groupby("score", sort=False):
        group = group.sort_values("flagged_share")
        style = "--" if score == "oracle" else "-"
        ax.plot(group["flagged_share"], group["recall"], style, label=model_label(score, language),
                drawstyle="steps-post")
    if capacity_share is not None:
        ax.axvline(capacity_share, color="grey", linewidth=1, linestyle="--")
        ax.annotate(f"{t('capacity', language)} {capacity_share:.0%}", (capacity_share, 0.03),
                    xytext=(3, 0), textcoords="offset points", fontsize=8, color="dimgrey")
    ax.set_xlabel(t("flagged_share", language))
    ax.set_ylabel(t("recall", language))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    if title:
        ax.set_title(title)
    if legend:
        ax.legend(fontsize=7, loc="lower right")


def gain_small_multiples(table, counties: list[str], names: dict[str, str],
                         capacity: dict[str, float], language: str = "zh", ncols: int = 3):
    """One panel of recall curves per county on the same axes, one legend for all panels
    below them, each panel's capacity line labelled."""


    nrows = max(1, math.ceil(len(counties) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.6 * nrows), sharey=True,
                             squeeze=False)
    for ax, county in zip(axes.flat, counties, strict=False):
        gain_axes(ax, table[table["county_id"] == county], language,
                  capacity_share=capacity.get(county), title=names[county], legend=False)
    for ax in list(axes.flat)[len(counties):]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 4), fontsize=9,
               frameon=False)
    fig.suptitle(t("gain_small_title", language), fontsize=11)
    fig.tight_layout(rect=(0, 0.07 + 0.02 * math.ceil(len(labels) / 4), 1, 1))
    return fig


def gain_curves(table, language: str = "zh", capacity_share: float | None = None):
    """One county's gain curves as a figure (the grey line marks visit capacity)."""
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    gain_axes(ax, table, language, capacity_share)
    fig.tight_layout()
    return fig


# --- threshold figures (notebook 03 and the county report) ---------------------------------

TIER_COLORS: dict[str, str] = {"red": "#c0392b", "yellow": "#f1c40f", "blue": "#2e86c1"}


def _label(key: str, language: str) -> str:
    return t(key, language)


def _finish(fig, ax, language: str, xlabel: str, ylabel: str, title: str):
    """Axis labels and title from the label table, a small legend, tight layout: the same
    finish for every threshold figure."""
    ax.set_xlabel(_label(xlabel, language))
    ax.set_ylabel(_label(ylabel, language))
    ax.set_title(_label(title, language))
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def _score_label(name: str, language: str) -> str:
    return model_label(name, language)


def lead_time_bars(lead_dist, language: str = "zh"):
    """Cases by lead time (quarters from the first flag to the onset; 0 = never flagged) for
    each score at its threshold within capacity: how early a visit could come."""
    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    scores = list(dict.fromkeys(lead_dist["score"]))
    leads = sorted(set(lead_dist["lead_time"].astype(int)))
    width = 0.8 / max(len(scores), 1)
    for i, score in enumerate(scores):
        g = lead_dist[lead_dist["score"] == score].set_index("lead_time")["cases"]
        y = [float(g.get(k, 0)) for k in leads]
        ax.bar(np.arange(len(leads)) + i * width, y, width, label=_score_label(score, language))
    ax.set_xticks(np.arange(len(leads)) + 0.4 - width / 2)
    ax.set_xticklabels([_label("missed", language) if k == 0 else str(k) for k in leads])
    return _finish(fig, ax, language, "lead_time_quarters", "cases", "lead_time_title")


def tier_loads(tier_comparison, language: str = "zh"):
    """Monthly visit load of each tier scheme, stacked red/yellow/blue, against the budget
    (dashed): the official tiers may overrun what grid workers can do."""
    tc = tier_comparison[tier_comparison["tier"].isin(list(TIER_COLORS))]
    loads = tc.pivot_table(index="scheme", columns="tier", values="load", sort=False)
    loads = loads.reindex(columns=list(TIER_COLORS)).fillna(0.0)
    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    bottom = None
    for tier, color in TIER_COLORS.items():
        ax.bar([_score_label(s, language) for s in loads.index], loads[tier], bottom=bottom,
               color=color, label=_label(f"tier_{tier}", language))
        bottom = loads[tier] if bottom is None else bottom + loads[tier]
    budget = tier_comparison["budget"].max()
    if budget == budget:  # not NaN
        ax.axhline(budget, color="grey", linestyle="--", label=_label("capacity", language))
    ax.set_ylabel(_label("visits_per_month", language))
    ax.set_title(_label("tier_load_title", language))
    plt.setp(ax.get_xticklabels(), rotation=20, ha="right", fontsize=8)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def tier_recall(tier_resolution, language: str = "zh"):
    """Recall of each tier scheme with its village-bootstrap 95 % interval; hollow markers
    for schemes whose load exceeds capacity."""
    d = tier_resolution.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(6.5, 0.5 * len(d) + 1.2))
    y = range(len(d))[::-1]
    for yi, (_, r) in zip(y, d.iterrows(), strict=True):
        fits = bool(r["fits_capacity"]) if r["fits_capacity"] == r["fits_capacity"] else False
        ax.errorbar(r["recall"], yi,
                    xerr=[[r["recall"] - r["recall_ci_low"]], [r["recall_ci_high"] - r["recall"]]],
                    fmt="o", color="#c0392b" if r["scheme"] == "official" else "#1f4e79",
                    mfc=None if fits else "white", capsize=3)
    ax.set_yticks(list(y))
    ax.set_yticklabels([_score_label(s, language) for s in d["scheme"]], fontsize=8)
    ax.set_xlim(0, 1.02)
    ax.set_xlabel(_label("coverage_ci", language))
    ax.set_title(_label("tier_recall_title", language))
    fig.tight_layout()
    return fig


def decision_curve(dc, language: str = "zh", threshold_probability: float | None = None):
    """Net benefit per household-quarter against the threshold probability (Vickers & Elkin
    2006) from minus to 1.1 times the prevalence (a curve that falls below says so in the
    legend); the labelled dash-dot line marks the probability the visit and miss costs imply;
    the legend sits beside the axes."""
    fig, ax = plt.subplots(figsize=(8, 4.2))
    prevalence = dc["n_pos"].iloc[0] / dc["n"].iloc[0] if len(dc) else 0.0
    low = -prevalence  # net benefit below -prevalence is worse than any useful choice
    for name, g in dc.groupby("score", sort=False):
        style = ":" if name == "visit_all" else ("--" if name == "visit_none" else "-")
        label = _label(name, language) if name in ("visit_all", "visit_none") else (
            _score_label("rule_official", language) if name == "rule_official"
            else _score_label(name, language))
        if prevalence > 0 and (g["net_benefit"] < low).any():
            label += _label("below_range", language)  # said, not silently cut
        ax.plot(g["threshold_probability"], g["net_benefit"], style, label=label,
                color="black" if name in ("visit_all", "visit_none") else None)
    if threshold_probability is not None:
        ax.axvline(threshold_probability, color="grey", linestyle="-.",
                   label=f"{_label('decision_cost_line', language)} {threshold_probability:.2f}")
    if prevalence > 0:
        ax.set_ylim(low, 1.1 * prevalence)
    if len(dc):
        ax.set_xlim(0, float(dc["threshold_probability"].max()))
    ax.set_xlabel(_label("threshold_probability", language))
    ax.set_ylabel(_label("net_benefit", language))
    ax.set_title(_label("decision_curve_title", language))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def line_sensitivity(ls, language: str = "zh"):
    """Recall of each flag, the relapse rate and the rule's flagged share as the monitoring
    line is multiplied (the last multiple is the edge-household line)."""
    fig, ax = plt.subplots(figsize=(8, 3.6))
    for name, g in ls.groupby("score", sort=False):
        base = name.removesuffix("_at_capacity")
        g = g[(g["multiplier"] - 1.0).abs() > 1e-9]  # x1: the capacity table's recall
        ax.plot(g["multiplier"], g["recall"], "o-",
                label=f"{_score_label(base, language)} · {_label('recall_line', language)}")
    base = ls.drop_duplicates("multiplier")
    ax.plot(base["multiplier"], base["prevalence"], "k--", label=_label("prevalence", language))
    ax.plot(base["multiplier"], base["rule_flagged_share_all"], "k:",
            label=_label("rule_flagged_share", language))
    ax.set_xlabel(_label("line_multiple", language))
    ax.set_title(_label("line_sensitivity_title", language))
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig


# --- the county's data (county report): small cells already suppressed by the caller -----


def bar_counts(table, label_col: str, count_col: str, title: str):
    """Horizontal bars of counts; a suppressed cell (text such as "<5") is shown as text, not
    as a bar, so nothing below ``min_cell`` is drawn."""
    d = table.iloc[::-1]
    values = pd.to_numeric(d[count_col], errors="coerce")
    fig, ax = plt.subplots(figsize=(6.5, 0.35 * len(d) + 1.2))
    ax.barh(d[label_col].astype(str), values.fillna(0.0), color="#1f4e79")
    for i, (v, raw) in enumerate(zip(values, d[count_col], strict=True)):
        ax.text(0 if v != v else v, i, f" {raw}", va="center", fontsize=8)
    top = float(values.max()) if values.notna().any() else 0.0
    ax.set_xlim(0, top * 1.15 if top > 0 else 1.0)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def small_multiples(long, panel_col: str, x_col: str, y_col: str, title: str,
                    ncols: int = 4, y_label: str = ""):
    """One small panel per ``panel_col`` value on the same scale (towns side by side)."""
    panels = list(dict.fromkeys(long[panel_col]))
    nrows = max(1, math.ceil(len(panels) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.6 * ncols, 1.9 * nrows),
                             sharex=True, sharey=True, squeeze=False)
    groups = {name: long[long[panel_col] == name] for name in panels}
    for ax, name in zip(axes.flat, panels, strict=False):
        ax.plot(range(len(groups[name])), groups[name][y_col], color="#1f4e79")
        ax.set_title(str(name), fontsize=8)
    # ticks after every line is drawn: on shared axes each set_xticks rescales all panels,
    # so setting them inside the loop above costs seconds with a county's many towns
    for ax, name in zip(axes.flat, panels, strict=False):
        g = groups[name]
        ticks = list(range(0, len(g), max(1, len(g) // 3)))
        ax.set_xticks(ticks)
        ax.set_xticklabels([str(g[x_col].iloc[i]) for i in ticks], fontsize=6)
        ax.tick_params(axis="y", labelsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    if y_label:
        fig.supylabel(y_label, fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def period_lines(long, x_col: str, series: dict[str, str], title: str, y_label: str = "",
                 dashed: tuple[str, ...] = ()):
    """Lines over quarters, one per column in ``series`` (column -> legend label)."""
    fig, ax = plt.subplots(figsize=(8, 3.6))
    x = long[x_col].astype(str)
    for col, label in series.items():
        ax.plot(x, long[col], "--" if col in dashed else "-", marker=None if col in dashed
                else "o", markersize=3, label=label, color="black" if col in dashed else None)
    ax.set_title(title)
    ax.set_ylabel(y_label)
    ax.tick_params(axis="x", rotation=45, labelsize=7)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


# --- model figures (notebook 02_models) ------------------------------------------------------


def risk_drivers(drivers, top: int = 12):
    """The gbm's drivers side by side: permutation importance (AUC drop when a feature is
    shuffled, mean and sd over repeats) of the ``top`` features, and partial dependence
    against each feature's quantile so features of any unit share one axis."""
    perm = drivers[drivers["method"] == "permutation_importance"].head(top)
    pdp = drivers[drivers["method"] == "partial_dependence"]
    fig, (ax_imp, ax_pd) = plt.subplots(1, 2, figsize=(12, 4.5))
    ax_imp.barh(perm["feature"][::-1], perm["value"][::-1], xerr=perm["sd"][::-1])
    ax_imp.set_xlabel("打乱后 AUC 下降")
    ax_imp.set_title(f"置换重要性（前 {top} 项）")
    for feature, part in pdp.groupby("feature", sort=False):
        ax_pd.plot(part["grid_value"].rank(pct=True), part["value"], marker=".", label=feature)
    ax_pd.set_xlabel("特征取值（分位数）")
    ax_pd.set_ylabel("平均预测风险")
    ax_pd.set_title("部分依赖")
    ax_pd.legend(fontsize=8)
    fig.tight_layout()
    return fig


def odds_ratio_forest(coefficients, language: str = "zh", effect: str = "odds_ratio",
                      intercept: bool = False, title: str | None = None):
    """Forest plot of a coefficient table (``term``, ``effect``, ``ci_low``, ``ci_high``, as
    :meth:`LogitModel.odds_ratios` gives): one row per term, sorted by effect, point and
    95 % interval on a log scale with the no-effect line at 1, terms named in ``language``.
    The intercept (a baseline odds, not an effect) is left out unless ``intercept``."""
    d = coefficients if intercept else coefficients[coefficients["term"] != "Intercept"]
    d = d.sort_values(effect).reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(6.5, 0.28 * len(d) + 1.3))
    y = np.arange(len(d))
    ax.errorbar(d[effect], y, xerr=[d[effect] - d["ci_low"], d["ci_high"] - d[effect]],
                fmt="o", color="#1f4e79", markersize=4, capsize=2, linewidth=1)
    ax.axvline(1.0, color="grey", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.set_yticks(y)
    ax.set_yticklabels([feature_label(t, language) for t in d["term"]], fontsize=8)
    names = {"odds_ratio": ("比值比（对数刻度，95% 置信区间）", "odds ratio (log scale, 95 % CI)"),
             "hazard_ratio": ("风险比（对数刻度，95% 置信区间）", "hazard ratio (log scale, 95 % CI)")}
    zh, en = names.get(effect, (effect, effect))
    ax.set_xlabel(zh if language == "zh" else en)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def whatif_differences(diffs, language: str = "zh"):
    """The what-if's paired differences (scenario - baseline; ``scenario``, ``outcome``,
    ``diff``, ``ci_low``, ``ci_high`` as :func:`relapse_models.report.whatif.differences`
    gives): one panel per outcome on its own scale, one row per scenario, point and 95 %
    interval, the no-difference line at 0."""
    outcomes = list(dict.fromkeys(diffs["outcome"]))
    scenarios = list(dict.fromkeys(diffs["scenario"]))
    ncols = min(3, max(1, len(outcomes)))
    nrows = max(1, math.ceil(len(outcomes) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 0.35 * len(scenarios) * nrows + 1.4 * nrows),
                             squeeze=False, sharey=True)
    y = np.arange(len(scenarios))
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        d = diffs[diffs["outcome"] == outcome].set_index("scenario").reindex(scenarios)
        lo = (d["diff"] - d["ci_low"]).fillna(0).clip(lower=0)
        hi = (d["ci_high"] - d["diff"]).fillna(0).clip(lower=0)
        ax.errorbar(d["diff"], y, xerr=[lo, hi], fmt="o", color="#1f4e79", markersize=4,
                    capsize=2, linewidth=1)
        ax.axvline(0.0, color="grey", linestyle="--", linewidth=1)
        ax.set_title(t(f"whatif_{outcome}", language), fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        # yuan in full (1,000,000), not as an offset (1e6) below the axis
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 1000 else f"{v:g}"))
        ax.set_yticks(y)
        ax.set_yticklabels(scenarios, fontsize=8)
        ax.set_ylim(len(scenarios) - 0.4, -0.6)   # the first scenario on top
    for ax in list(axes.flat)[len(outcomes):]:
        ax.set_visible(False)
    fig.supxlabel(t("whatif_diff", language) + "，" + t("whatif_ci", language)
                  if language == "zh" else f"{t('whatif_diff', language)}, {t('whatif_ci', language)}",
                  fontsize=9)
    fig.suptitle(t("whatif_figure_title", language), fontsize=10)
    fig.tight_layout()
    return fig
