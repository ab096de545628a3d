"""The county page's calibration section: guard results of every simulated year, the
generator's calibration warnings, the monitoring lines used and whether the profile's
sentences were checked against their source, all read from the county's reconciliation
table (the rows :func:`relapse_models.outcome.guards.reconciliation_rows` adds)."""

from __future__ import annotations

import re

import pandas as pd

from relapse_models.outcome.guards import REASON_MARK
from relapse_models.report.tables import format_metric
from relapse_models.report.words import (
    ANCHOR_WORDS,
    GUARD_FIGURE_LABELS,
    GUARD_HEADERS,
    GUARD_STATUS_LABELS,
    LINE_PROVENANCE_LABELS,
    SOURCE_CHECK_LABELS,
    pick,
)


def anchor_source(text: str, language: str = "zh") -> str:
    """The anchor's source as the page shows it, in the page's language."""
    for pattern, zh, en in ANCHOR_WORDS:
        text = re.sub(pattern, zh if language == "zh" else en, text)
    return text


def _checks(recon: pd.DataFrame, prefix: str) -> pd.DataFrame:
    return recon[recon["indicator"].astype(str).str.startswith(prefix)]


def guard_table(recon: pd.DataFrame, language: str = "zh") -> pd.DataFrame:
    """One row per simulated year and guarded figure: value, band, anchor, result."""
    rows = []
    for r in _checks(recon, "guard.").itertuples(index=False):
        _, figure, year = str(r.indicator).split(".")
        status, rest = str(r.source).split(": ", 1)
        rest, _, reason = rest.partition(REASON_MARK)
        band, source = rest.split(" around ", 1)
        shown = pick(GUARD_STATUS_LABELS, status, language)
        if reason:
            shown += f"：{reason}" if language == "zh" else f": {reason}"
        rows.append({
            pick(GUARD_HEADERS, "year", language): int(year),
            pick(GUARD_HEADERS, "figure", language): pick(GUARD_FIGURE_LABELS, figure, language),
            pick(GUARD_HEADERS, "value", language): format_metric(r.computed, ".2f"),
            pick(GUARD_HEADERS, "band", language): band.removeprefix("band ").replace(", ", " – "),
            pick(GUARD_HEADERS, "anchor", language): f"{r.published:.2f}（{anchor_source(source, language)}）",
            pick(GUARD_HEADERS, "status", language): shown,
        })
    return pd.DataFrame(rows)


def line_table(recon: pd.DataFrame, language: str = "zh") -> pd.DataFrame:
    """The monitoring line of each simulated year and whether it is published or assumed."""
    rows = [{
        pick(GUARD_HEADERS, "year", language): int(str(r.indicator).split(".")[1]),
        pick(GUARD_HEADERS, "line", language): f"{r.computed:.0f}",
        pick(GUARD_HEADERS, "provenance", language): pick(LINE_PROVENANCE_LABELS, str(r.source), language),
    } for r in _checks(recon, "line.").itertuples(index=False)]
    return pd.DataFrame(rows)


def warnings(recon: pd.DataFrame) -> list[str]:
    """The generator's calibration warnings (empty when calibration met every target)."""
    return _checks(recon, "calibration_warning")["source"].astype(str).tolist()


def source_check(recon: pd.DataFrame, language: str = "zh") -> str:
    """One sentence: were the profile's quotations checked against the source text?"""
    rows = _checks(recon, "source_check")
    if rows.empty:
        return ""
    status, detail = str(rows["source"].iloc[0]).split(": ", 1)
    return f"{pick(SOURCE_CHECK_LABELS, status, language)}（{detail}）" if detail else pick(
        SOURCE_CHECK_LABELS, status, language)


def has_calibration(recon: pd.DataFrame) -> bool:
    """Whether the reconciliation carries a calibration record (simulated counties)."""
    return not _checks(recon, "guard.").empty
