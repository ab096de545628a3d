"""Tables for the reports: number formats as the seed reports write them, and HTML."""

from __future__ import annotations

import html
import math

import pandas as pd


def format_number(value: float | None, unit: str = "", language: str = "zh") -> str:
    """Numbers as the seed reports write them: 10486户, 14.78万人, 72.5%, 15205元."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "%":
        return f"{value:.1f}%"
    if language == "zh" and abs(value) >= 100_000 and unit in {"户", "人", "个", "元"}:
        return f"{value / 10_000:.2f}万{unit}"
    if language != "zh":
        unit = EN_UNITS.get(unit, unit)
    if float(value).is_integer():
        return f"{int(value):,}{unit}" if language == "en" else f"{int(value)}{unit}"
    return f"{value:,.1f}{unit}" if language == "en" else f"{value:.1f}{unit}"


EN_UNITS: dict[str, str] = {"户": " households", "人": " persons", "元": " yuan",
                            "元/人": " yuan per person", "个": ""}
"""The seeds' Chinese units as an English page writes them."""


def format_metric(value: float | None, spec: str) -> str:
    """A metric, or a dash where it is undefined (JSON null: e.g. no case in a small county)."""
    return "—" if value is None or pd.isna(value) else format(value, spec)


def format_interval(value: float | None, low: float | None = None, high: float | None = None,
                    spec: str = ".3f", signed: bool = False, language: str = "zh") -> str:
    """A point estimate with its interval, written so that no artefact reaches a page: a
    missing interval shows the point alone with a note, a rounded ``-0.000`` shows as
    ``0.000``, and an interval of zero width (every replicate gave the same value, e.g. every
    case caught in every resample) is said in words instead of ``[1.000, 1.000]``."""
    if value is None or pd.isna(value):
        return "—"

    def fmt(v: float, sign: bool) -> str:
        text = format(float(v), ("+" if sign else "") + spec)
        return format(0.0, spec) if float(text) == 0 else text

    point = fmt(value, signed)
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return point + ("（无区间）" if language == "zh" else " (no interval)")
    lo, hi = fmt(low, signed), fmt(high, signed)
    if lo == hi:
        return point + ("（每次重抽样结果相同，区间宽度为零）" if language == "zh"
                        else " (every resample gave the same value)")
    return f"{point} [{lo}, {hi}]"


def html_table(df: pd.DataFrame, caption: str | None = None) -> str:
    """A report table as HTML: no index, text from data escaped, missing values as dashes,
    with a ``<caption>`` (escaped) that says what the table shows."""
    shown = df.astype(object).where(df.notna(), "—")  # None in text columns too
    out = shown.to_html(index=False, escape=True)
    if caption:
        out = out.replace(">", f"><caption>{html.escape(caption)}</caption>", 1)
    return out
