"""Tables for the reports: small-cell suppression and number formats as the seeds use them."""

from __future__ import annotations

import math

import pandas as pd

SUPPRESSED = "<{min_cell}"


def suppress_small(
    df: pd.DataFrame, count_columns: list[str], min_cell: int, household_column: str | None = None
) -> pd.DataFrame:
    """Replace counts below ``min_cell`` households by ``"<min_cell"``.

    ``household_column`` names the column holding each row's household count when it is not
    the count itself (e.g. a rate computed over few households is suppressed too); rows are
    kept so a reader sees that a cell exists but is too small to show.
    """
    out = df.copy()
    basis = out[household_column] if household_column else None
    marker = SUPPRESSED.format(min_cell=min_cell)
    for column in count_columns:
        small = (basis if basis is not None else out[column]) < min_cell
        out[column] = out[column].astype(object).where(~small, marker)
    if household_column and household_column not in count_columns:
        out[household_column] = out[household_column].astype(object).where(
            out[household_column] >= min_cell, marker
        )
    return out


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


def html_table(df: pd.DataFrame) -> str:
    """A report table as HTML: no index, text from data escaped, missing values as dashes."""
    shown = df.astype(object).where(df.notna(), "—")  # None in text columns too
    return shown.to_html(index=False, escape=True)
