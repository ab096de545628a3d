"""The drift tables of the county pages and the comparative report (Chinese first): each
later year's figures with their intervals, the population shift and the rule's advice, and
the recalibration's effect on the following year."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from relapse_models.core.io import read_json
from relapse_models.report.display import show_table
from relapse_models.report.tables import format_interval, format_metric
from relapse_models.report.words import feature_label, model_label, t

YEAR_METRICS = (("recall_at_capacity", ".3f"), ("precision_at_capacity", ".3f"),
                ("pr_auc", ".3f"), ("o_e", ".2f"))


def drift_year_table(years: pd.DataFrame, scope: str = "pooled", language: str = "zh",
                     min_cell: int = 5) -> pd.DataFrame:
    """One row per later year and score of ``scope`` (``pooled`` or a county id): recall and
    precision at capacity, PR-AUC, observed/expected with intervals, the largest PSI of its
    inputs with those flagged, and the rule's advice. A year with fewer relapses than
    ``min_cell`` shows no figure (suppressed)."""
    part = years[years["scope"].astype(str) == str(scope)]
    rows = []
    for r in part.itertuples(index=False):
        row = {t("year", language): int(r.year), t("model", language): model_label(r.model, language)}
        small = int(r.n_pos) < min_cell
        for metric, spec in YEAR_METRICS:
            value = getattr(r, metric)
            row[t(f"drift_{metric}", language)] = (
                "—" if small or value is None or np.isnan(value) else format_interval(
                    value, getattr(r, f"{metric}_low"), getattr(r, f"{metric}_high"),
                    spec=spec, language=language))
        flagged = r.flagged_inputs.split(";") if isinstance(r.flagged_inputs, str) \
            and r.flagged_inputs else []
        row[t("drift_max_psi", language)] = format_metric(r.max_psi, ".2f")
        row[t("drift_flagged", language)] = "、".join(feature_label(f, language) for f in flagged) \
            if language == "zh" else ", ".join(feature_label(f, language) for f in flagged)
        row[t("drift_action", language)] = t(f"drift_{r.action}_{r.reason}", language)
        rows.append(row)
    return pd.DataFrame(rows)


def recalibration_table(recal: pd.DataFrame, language: str = "zh") -> pd.DataFrame:
    """One row per score and pair of years: intercept and slope fitted on the first year,
    observed/expected on the next before and after, the Brier score's change with its interval,
    and the better side only when that interval excludes 0 (else "no winner", or "no
    interval" when it is withheld)."""
    rows = []
    for r in recal.itertuples(index=False):
        row = {t("model", language): model_label(r.model, language),
               t("drift_fit_year", language): int(r.fit_year),
               t("drift_apply_year", language): int(r.apply_year)}
        if isinstance(r.note, str) and r.note and np.isnan(r.intercept):
            row[t("drift_note", language)] = t(f"drift_note_{r.note}", language)
            rows.append(row)
            continue
        row[t("drift_intercept_slope", language)] = (
            f"{format_metric(r.intercept, '.2f')} / {format_metric(r.slope, '.2f')}")
        row[t("drift_o_e_raw", language)] = format_interval(
            r.o_e_raw, r.o_e_raw_low, r.o_e_raw_high, spec=".2f", language=language)
        row[t("drift_o_e_recal", language)] = format_interval(
            r.o_e_recal, r.o_e_recal_low, r.o_e_recal_high, spec=".2f", language=language)
        row[t("drift_brier_diff", language)] = format_interval(
            r.brier_diff, r.brier_diff_low, r.brier_diff_high, spec=".4f", signed=True,
            language=language)
        better = r.better if isinstance(r.better, str) and r.better else (
            "withheld" if np.isnan(r.brier_diff_low) else "none")
        row[t("drift_better", language)] = t(f"drift_better_{better}", language)
        rows.append(row)
    return pd.DataFrame(rows)


def show_drift_section(drift_dir: str | os.PathLike[str], scope: str, language: str = "zh",
                       min_cell: int = 5) -> None:
    """The section "模型随时间的稳定性" from a drift stage's output folder: how the models were
    trained, the later years of ``scope`` and the recalibration's effect (one helper, so the
    county pages and the comparative report say the same thing the same way)."""
    from IPython.display import Markdown, display

    folder = Path(drift_dir)
    summary = read_json(folder / "drift.json")
    display(Markdown(f"### {t('drift', language)}"))
    display(Markdown(t("drift_intro", language, until=summary["train_until_year"],
                       years=("、" if language == "zh" else ", ").join(
                           str(y) for y in summary["later_years"]),
                       threshold=summary["psi_threshold"])))
    years = pd.read_csv(folder / "years.csv", encoding="utf-8-sig")
    show_table(drift_year_table(years, scope, language, min_cell), t("caption_drift", language))
    recal = pd.read_csv(folder / "recalibration.csv", encoding="utf-8-sig")
    if not recal.empty:
        show_table(recalibration_table(recal, language), t("caption_recalibration", language))
