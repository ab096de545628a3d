"""The what-if page's tables (notebooks/06_whatif.py): the paired results with their intervals,
the scenarios and the levers they change, and every lever's baseline, unit and basis
(:data:`relapse_models.warning.whatif.LEVERS`), with column names in the page's language."""

from __future__ import annotations

from typing import Any

import pandas as pd

from relapse_models.report.words import t
from relapse_models.warning.whatif import LEVERS, NOTE_SEPARATOR

RATIO = "averted_per_10k"
"""The summary's outcome that is a ratio of mean differences, not a paired difference."""


def _fmt(x: Any) -> str:
    if x is None or pd.isna(x):
        return "—"
    x = float(x)
    return f"{x:,.1f}" if abs(x) >= 10 or x == 0 else f"{x:.3g}"


def _value(v: Any) -> str:
    return "—" if v is None else str(v)


def results_table(summary: pd.DataFrame, language: str = "zh") -> pd.DataFrame:
    """One row per scenario and outcome of the stage's summary (baseline first, as it comes):
    the baseline's and the scenario's means over seeds, the paired difference (or why it is
    not computed) and its 95 % interval, numbers formatted for the page."""
    rows = []
    for _, r in summary.iterrows():
        note = r["note"] if isinstance(r["note"], str) else ""
        rows.append({
            t("whatif_scenario", language): r["scenario"],
            t("whatif_outcome", language): t(f"whatif_{r['outcome']}", language),
            t("whatif_baseline", language): _fmt(r["baseline"]),
            t("whatif_value", language): _fmt(r["value"]),
            t("whatif_diff", language): t(f"whatif_{note}", language) if note else _fmt(r["diff"]),
            t("whatif_ci", language): ("—" if pd.isna(r["ci_low"])
                                       else f"{_fmt(r['ci_low'])} ~ {_fmt(r['ci_high'])}"),
        })
    return pd.DataFrame(rows)


def calibration_notes_table(results: pd.DataFrame, language: str = "zh") -> pd.DataFrame:
    """Each calibration note of the what-if's simulations (a published figure the generator
    did not reach) with the scenarios and the number of seeds it came with; no rows when
    every simulation met its targets. The results' outcomes are measured on those panels,
    so the page shows this next to them."""
    notes = results.get("calibration_notes", pd.Series(dtype=object)).fillna("").astype(str)
    split = results.assign(note=notes.str.split(NOTE_SEPARATOR, regex=False)).explode("note")
    split = split[split["note"].str.len() > 0]
    rows = [{t("whatif_note", language): note,
             t("whatif_scenario", language): "、".join(dict.fromkeys(group["scenario"]))
             if language == "zh" else ", ".join(dict.fromkeys(group["scenario"])),
             t("whatif_note_seeds", language): int(group["seed"].nunique())}
            for note, group in split.groupby("note", sort=False)]
    return pd.DataFrame(rows, columns=[t("whatif_note", language), t("whatif_scenario", language),
                                       t("whatif_note_seeds", language)])


def scenario_table(scenarios: dict[str, dict[str, Any]], language: str = "zh") -> pd.DataFrame:
    """One row per scenario with the levers it changes (``lever = value``; the rest stay at
    their baseline)."""
    return pd.DataFrame(
        [{t("whatif_scenario", language): name,
          t("whatif_levers", language): "; ".join(f"{k} = {_value(v)}" for k, v in (over or {}).items())}
         for name, over in scenarios.items()],
        columns=[t("whatif_scenario", language), t("whatif_levers", language)])


def lever_table(language: str = "zh") -> pd.DataFrame:
    """Every lever of :data:`LEVERS`: its baseline value (a dash: the county's or the drawn
    value), its unit (in Chinese with its assumed effect, when the page is Chinese) and the
    basis of its effect, marked assumed or sourced."""
    return pd.DataFrame([
        {t("whatif_lever", language): name,
         t("whatif_baseline", language): _value(lever.baseline),
         t("whatif_unit", language): lever.zh if language == "zh" and lever.zh else lever.unit,
         t("whatif_basis", language):
             f"{t('whatif_assumed' if lever.assumed else 'whatif_sourced', language)}: {lever.basis}"}
        for name, lever in LEVERS.items()])


def differences(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary's paired differences (scenario - baseline) with their intervals, without
    the cost-effectiveness ratio: ``scenario``, ``outcome``, ``diff``, ``ci_low``,
    ``ci_high``, the figure's data."""
    d = summary[summary["outcome"] != RATIO]
    return d[["scenario", "outcome", "diff", "ci_low", "ci_high"]].reset_index(drop=True)
