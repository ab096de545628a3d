"""Tables for the reports: number formats as the seed reports write them, and HTML."""

from __future__ import annotations

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
    if float(value).is_integer():
        return f"{int(value):,}{unit}" if language == "en" else f"{int(value)}{unit}"
    return f"{value:,.1f}{unit}" if language == "en" else f"{value:.1f}{unit}"


def format_metric(value: float | None, spec: str) -> str:
    """A metric, or a dash where it is undefined (JSON null: e.g. no case in a small county)."""
    return "—" if value is None or pd.isna(value) else format(value, spec)


def format_interval(value: float, low: float, high: float, spec: str = ".3f",
              signed: bool = False) -> str:
    """A value with its interval, ``0.412 [0.371, 0.455]``; the value alone when the interval
    is unknown, a dash when the value is."""
    if value is None or pd.isna(value):
        return "—"
    v = format(value, ("+" if signed else "") + spec)
    if pd.isna(low) or pd.isna(high):
        return v
    return f"{v} [{format(low, spec)}, {format(high, spec)}]"


def html_table(df: pd.DataFrame) -> str:
    """A report table as HTML: no index, text from data escaped, missing values as dashes."""
    shown = df.astype(object).where(df.notna(), "—")  # None in text columns too
    return shown.to_html(index=False, escape=True)
