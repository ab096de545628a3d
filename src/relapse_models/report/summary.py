"""The plain summary at the top of a county page: a few sentences written from the page's own
numbers (:func:`relapse_models.report.capacity.at_capacity` and the equity table), for a
reader who reads nothing else."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import pandas as pd

from relapse_models.report.tables import format_interval
from relapse_models.report.words import domain_label, group_label, model_label, t


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _pct_interval(value: float, low: float, high: float, language: str) -> str:
    """``45% (95% CI 38%–52%)`` in words a reader takes in at once."""
    if any(math.isnan(v) for v in (low, high)):
        return _pct(value)
    if language == "zh":
        return f"{_pct(value)}（95%置信区间 {_pct(low)}–{_pct(high)}）"
    return f"{_pct(value)} (95% CI {_pct(low)}–{_pct(high)})"


def most_missed(equity: pd.DataFrame, score: str) -> pd.Series | None:
    """The subgroup (not ``all``) with the lowest recall under ``score`` among those shown
    (suppressed groups and groups without a recall are left out); None when there is none."""
    if equity.empty:
        return None
    d = equity[(equity["score"] == score) & (equity["dimension"] == "subgroup")
               & (equity["group"] != "all")]
    recall = pd.to_numeric(d["recall"], errors="coerce")
    d = d.assign(_recall=recall)[recall.notna()]
    if d.empty:
        return None
    return d.sort_values(["_recall", "group"]).iloc[0]


def plain_summary(table: pd.DataFrame, equity: pd.DataFrame, capacity_share: float,
                  visits_per_month: float | None, language: str = "zh",
                  horizon: int = 4) -> list[str]:
    """Three to five sentences: at the county's visit capacity, the share of relapses the
    recommended threshold catches (with its interval) against the official rule and the
    one-variable baseline at the same load, the lead time, who is missed most, and how sure
    the comparison is (the paired intervals of the differences from both baselines).

    ``table``: :func:`relapse_models.report.capacity.at_capacity`; ``equity``: the equity
    table as the threshold stage publishes it."""
    zh = language == "zh"
    rec = table[table["recommended"]]
    if rec.empty or math.isnan(rec.iloc[0]["recall"]):
        return ["本县检验年没有返贫案例，无法评价预警阈值。" if zh else
                "The county has no relapse case in the test year: no threshold can be judged."]
    r = rec.iloc[0]
    name = model_label(r["score"], language)
    cap = _pct(capacity_share)
    visits = "" if visits_per_month is None or math.isnan(visits_per_month) else (
        f"（每月约{visits_per_month:.0f}次走访）" if zh else
        f" (about {visits_per_month:.0f} visits a month)")
    caught = _pct_interval(r["recall"], r["recall_ci_low"], r["recall_ci_high"], language)
    out = [
        f"按本县网格员的走访能力{visits}，可同时重点监测约{cap}的农户（每户每月走访一次）。"
        f"在这一工作量下，推荐的{name}阈值能在返贫发生前预警{caught}的返贫户季"
        f"（未来{horizon}个季度内会返贫的农户季度记录）。" if zh else
        f"The county's grid workers can visit about {cap} of households once a month"
        f"{visits}. At that load the recommended threshold ({name}) flags {caught} of the "
        f"household-quarters that relapse within {horizon} quarters, before they do."
    ]
    baselines = []
    for role in ("official", "simple"):
        b = table[table["role"] == role]
        if not b.empty and not math.isnan(b.iloc[0]["recall"]):
            baselines.append((model_label(b.iloc[0]["score"], language),
                              _pct_interval(b.iloc[0]["recall"], b.iloc[0]["recall_ci_low"],
                                            b.iloc[0]["recall_ci_high"], language)))
    if baselines:
        parts = ("；".join(f"{n}为{v}" for n, v in baselines) if zh else
                 "; ".join(f"{n}: {v}" for n, v in baselines))
        out.append(f"同样的走访量下，{parts}。" if zh else f"At the same load, {parts}.")
    lead = r["lead_time_median"]
    if not math.isnan(lead):
        out.append(f"识别出的返贫户，预警中位数提前{lead:.0f}个季度。" if zh else
                   f"The households it flags are flagged a median of {lead:.0f} quarter(s) "
                   f"before they relapse.")
    missed = most_missed(equity, r["score"])
    if missed is not None:
        group = group_label(str(missed["group"]), language)
        out.append(f"漏报最多的群体是{group}，其召回率为{_pct(missed['_recall'])}。" if zh else
                   f"The group missed most is \u201c{group}\u201d (recall {_pct(missed['_recall'])}).")
    out.append(_certainty(r, language))
    return out[:5]


def _certainty(r: pd.Series, language: str) -> str:
    """How sure: the paired differences from the official rule and from the income baseline,
    each judged by whether its interval excludes 0 (no winner is named when it spans 0)."""
    zh = language == "zh"
    parts = []
    for against, role, prefix in (("official_rule", "official", "recall_diff"),
                                  ("income_baseline", "simple", "recall_vs_baseline")):
        if r["role"] == role:
            continue
        diff, lo, hi = (float(r.get(f"{prefix}{suffix}", math.nan))
                        for suffix in ("", "_ci_low", "_ci_high"))
        if any(math.isnan(v) for v in (diff, lo, hi)):
            continue
        name = t(against, language)
        shown = format_interval(diff, lo, hi, signed=True, language=language)
        if lo > 0:
            parts.append(f"与{name}相比召回率之差为{shown}，区间不含0：差异在统计上可以分辨" if zh
                         else f"its recall differs from the {name}'s by {shown}; the interval "
                              f"excludes 0, so the difference is distinguishable")
        elif hi < 0:
            parts.append(f"与{name}相比召回率之差为{shown}，区间不含0：该模型不如{name}" if zh
                         else f"its recall differs from the {name}'s by {shown}; the interval "
                              f"excludes 0: the model does worse than the {name}")
        else:
            parts.append(f"与{name}相比召回率之差为{shown}，区间包含0：不能认定哪一个更好" if zh
                         else f"its recall differs from the {name}'s by {shown}; the interval "
                              f"includes 0, so neither can be called better")
    if not parts:
        return ("区间来自按村重复抽样；没有可用的配对区间，不判定优劣。" if zh else
                "Intervals come from resampling villages; with no paired interval against a "
                "baseline, no winner is named.")
    if zh:
        return "；".join(parts) + "。"
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def summary_html(sentences: list[str], language: str = "zh") -> str:
    """The summary as the page shows it: one paragraph in a box (sentences joined as the
    language writes them), text escaped."""
    text = ("" if language == "zh" else " ").join(sentences)
    return f'<div class="plain-summary"><p>{html.escape(text)}</p></div>'


def _scale_text(scale: float) -> str:
    return f"{100 * scale:g}%"


def data_statement(config: dict, households: int, first_period: str | None = None,
                   last_period: str | None = None, language: str = "zh",
                   comparative: bool = False, absent_domains: Sequence[str] = ()) -> str:
    """What the data behind a page are: a synthetic sample at scale x of the county (and that
    headline counts are scaled up while every other section counts the sample), or real
    exports with their date range and the optional domains they lack (the cleaning report's
    ``domains_absent``). From the ``data`` and ``simulate`` sections the report job receives."""
    source = config["data"]["source"]
    if source == "synthetic":
        scale = float(config["simulate"]["scale"])
        key = "data_synthetic_index" if comparative else "data_synthetic"
        return t(key, language, scale=_scale_text(scale), households=f"{households:,}")
    key = "data_files_index" if comparative else "data_files"
    text = t(key, language, start=first_period or "—", end=last_period or "—",
             households=f"{households:,}")
    if absent_domains:
        sep = "、" if language == "zh" else ", "
        text += " " + t("data_absent", language,
                        domains=sep.join(domain_label(d, language) for d in absent_domains))
    return text
