# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: relapse-models (.venv)
#     language: python
#     name: relapse-models
# ---

# %% tags=["parameters"]
county = "shangluo"
# the pipeline passes the report settings; empty = config/config.yaml
config_json = ""
profile_path = "config/counties/shangluo.yaml"
cleaning_path = "data/interim/shangluo/cleaning_report.json"
panel_path = "data/interim/shangluo/panel.parquet"
features_path = "data/processed/shangluo/features.parquet"
reconciliation_path = "reports/metrics/reconciliation/shangluo.csv"
# the county's own models (rule fit_county), not the pooled province-level ones
models_path = "reports/metrics/models/shangluo.json"
coefficients_path = "reports/metrics/coefficients/shangluo.csv"
thresholds_path = "reports/metrics/thresholds/shangluo.csv"
recommended_path = "reports/metrics/recommended/shangluo.json"
detail_dir = "reports/metrics/thresholds_detail/shangluo"


# %%
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Markdown, display

from relapse_models.core import provenance
from relapse_models.core.config import from_json as config_from_json
from relapse_models.core.io import read_json, read_parquet
from relapse_models.core.profiles import load_profile
from relapse_models.report import calibration as rcal
from relapse_models.report import county as rc
from relapse_models.report import figures as plots
from relapse_models.report.tables import html_table
from relapse_models.report.words import t
from relapse_models.stages.notebook import chdir_project_root


def read_detail(name: str) -> pd.DataFrame:
    """A detail table of the threshold stage (empty when that part was skipped)."""
    path = Path(detail_dir) / f"{name}.csv"
    if not path.is_file() or path.stat().st_size == 0:
        return pd.DataFrame()
    try:
        return pd.read_csv(path, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


chdir_project_root()
config = config_from_json(config_json)
lang = config["report"]["language"]
min_cell = config["report"]["min_cell"]
profile = load_profile(profile_path)
name = profile["name_zh"] if lang == "zh" else profile["name_en"]

display(Markdown(f"# {t('county_title', lang, name=name, year=profile['report_year'])}"))
if config.get("data", {}).get("source", "synthetic") == "synthetic":
    display(Markdown(f"*{t('synthetic_note', lang)}*"))

# %%
display(Markdown(f"## {t('headline', lang)}"))
recon = pd.read_csv(reconciliation_path, encoding="utf-8-sig")
display(HTML(html_table(rc.headline_table(recon, lang))))

# %%
if rcal.has_calibration(recon):
    display(Markdown(f"### {t('calibration', lang)}"))
    notes = rcal.warnings(recon)
    display(Markdown(f"**{t('calibration_warnings', lang)}**: "
                     + ("; ".join(notes) if notes else t("no_warnings", lang))))
    display(Markdown(rcal.source_check(recon, lang)))
    display(HTML(html_table(rcal.line_table(recon, lang))))
    display(HTML(html_table(rcal.guard_table(recon, lang))))

# %%
display(Markdown(f"## {t('risk', lang)}"))
display(Markdown(f"*{t('suppressed_note', lang, min_cell=min_cell)}*"))
panel = read_parquet(panel_path, columns=["household_id", "year", "quarter", "risk_type",
                                          "disaster_type", "disaster_loss"])
features = read_parquet(features_path, columns=rc.FEATURE_COLUMNS_READ)
risk = rc.risk_type_table(panel, min_cell, lang)
display(HTML(html_table(risk)))
if not risk.empty:
    plots.bar_counts(risk, t("risk_type", lang), t("households", lang), t("risk_type", lang))
    plt.show()

# %%
display(Markdown(f"### {t('town', lang)}"))
display(HTML(html_table(rc.town_table(features, min_cell, lang).head(15))))
towns = rc.town_quarterly(features, min_cell)
plots.small_multiples(towns, "town_id", "period", "monitored_pct", t("towns_monitored", lang))
plt.show()

# %%
display(Markdown(f"### {t('income_pc', lang)}"))
trajectory = rc.income_trajectory(features)
wide = trajectory.pivot_table(index="period", columns="poverty_alleviated", values="income",
                              sort=True)
wide.columns = ["pa" if c else "general" for c in wide.columns]
wide["line"] = trajectory.groupby("period")["line"].first()
series = {"pa": t("poverty_alleviated", lang), "general": t("general_households", lang),
          "line": t("line", lang)}
plots.period_lines(wide.reset_index(), "period", {k: v for k, v in series.items() if k in wide},
                   t("income_pc", lang), dashed=("line",))
plt.show()

# %%
display(Markdown(f"### {t('medical_burden', lang)}"))
medical = rc.medical_burden(features, min_cell)
plots.period_lines(medical, "period", {"catastrophic_pct": t("catastrophic_share", lang)},
                   t("medical_burden", lang), y_label="%")
plt.show()

# %%
display(Markdown(f"### {t('disaster_exposure', lang)}"))
disaster = rc.disaster_exposure(panel, min_cell)
plots.period_lines(disaster, "period", {"disaster_pct": t("disaster_share", lang)},
                   t("disaster_exposure", lang), y_label="%")
plt.show()
display(HTML(html_table(rc.disaster_types(panel, min_cell, lang))))

# %%
display(Markdown(f"## {t('models', lang)}"))
metrics = read_json(models_path)
display(HTML(html_table(rc.model_table(metrics, county, lang))))
coefficients = pd.read_csv(coefficients_path, encoding="utf-8-sig")
display(HTML(html_table(rc.odds_ratio_table(coefficients, lang))))

# %%
display(Markdown(f"## {t('warning', lang)}"))
recommended = read_json(recommended_path)[county]
display(
    Markdown(
        f"{t('capacity_share', lang)}: **{100 * recommended['capacity_share']:.1f}%**"
    )
)
display(HTML(html_table(rc.recommended_table(recommended, lang))))
thresholds = pd.read_csv(thresholds_path, encoding="utf-8-sig")
plots.gain_curves(thresholds, lang, capacity_share=recommended["capacity_share"])
plt.show()

# %%
resolution = read_detail("tier_resolution")
tier_comparison = read_detail("tiers")
if not resolution.empty:
    display(Markdown(f"### {t('tier_comparison', lang)}"))
    display(HTML(html_table(rc.tier_resolution_table(resolution, lang))))
    plots.tier_recall(resolution, lang)
    plt.show()
if not tier_comparison.empty:
    plots.tier_loads(tier_comparison, lang)
    plt.show()

# %%
lead = read_detail("lead_times")
if not lead.empty:
    display(Markdown(f"### {t('lead_time_table', lang)}"))
    display(HTML(html_table(rc.lead_time_table(lead, lang))))
    plots.lead_time_bars(lead, lang)
    plt.show()

# %%
equity = read_detail("equity")
if not equity.empty:
    display(Markdown(f"### {t('equity', lang)}"))
    shown = [recommended["best_score"], "rule_official"]
    display(HTML(html_table(rc.equity_report_table(equity, shown, lang, min_cell))))

# %%
curve = read_detail("decision_curve")
if not curve.empty:
    display(Markdown(f"### {t('decision_curve', lang)}"))
    plots.decision_curve(curve, lang, recommended.get("costs", {}).get("threshold_probability"))
    plt.show()
sensitivity = read_detail("line_sensitivity")
if not sensitivity.empty:
    display(Markdown(f"### {t('line_sensitivity', lang)}"))
    display(HTML(html_table(rc.line_sensitivity_table(sensitivity, lang))))
    plots.line_sensitivity(sensitivity, lang)
    plt.show()

# %%
display(Markdown(f"## {t('quality', lang)}"))
cleaning = read_json(cleaning_path)
display(HTML(html_table(rc.cleaning_table(cleaning, lang))))
rules = rc.cleaning_rules_table(cleaning, lang)
if not rules.empty:
    display(HTML(html_table(rules)))

# %%
display(Markdown(f"### {t('methods', lang)}"))
prov = provenance.collect(config, [profile_path, panel_path, features_path, models_path])
display(HTML(html_table(rc.provenance_table(prov, lang))))
