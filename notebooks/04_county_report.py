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
# the folder relative paths start from; empty: the project this notebook was opened in
project_dir = ""
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
# the county's own models followed across later years (rule drift_county); empty: no section
drift_dir = "reports/metrics/drift_county/shangluo"


# %%
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown, display

from relapse_models.core import provenance
from relapse_models.core.config import from_json as config_from_json
from relapse_models.core.io import read_json, read_parquet
from relapse_models.core.profiles import load_profile
from relapse_models.report import calibration as rcal
from relapse_models.report import county as rc
from relapse_models.report import explorer as rx
from relapse_models.report import figures as plots
from relapse_models.report.capacity import at_capacity
from relapse_models.report.display import show_figure, show_table
from relapse_models.report.drift import show_drift_section
from relapse_models.report.places import place_names
from relapse_models.report.summary import data_statement, plain_summary, summary_html
from relapse_models.report.words import domain_label, t
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


chdir_project_root(project_dir)
config = config_from_json(config_json)
lang = config["report"]["language"]
min_cell = config["report"]["min_cell"]
horizon = config["monitoring"]["horizon_quarters"]
synthetic = config["data"]["source"] == "synthetic"
profile = load_profile(profile_path)
name = profile["name_zh"] if lang == "zh" else profile["name_en"]
# a real export may lack a domain: its sections then say so (cleaning report: domains_absent)
panel = read_parquet(panel_path, columns=["household_id", "year", "quarter"],
                     optional=["risk_type", "disaster_type", "disaster_loss"])
features = read_parquet(features_path, columns=rc.FEATURE_COLUMNS_READ,
                        optional=rc.FEATURE_COLUMNS_OPTIONAL)
periods = sorted(set(zip(panel["year"], panel["quarter"], strict=True)))
towns = place_names(features["town_id"].dropna().unique(), synthetic, "town", lang)
recommended = read_json(recommended_path)[county]
capacity = at_capacity(recommended)
equity = read_detail("equity")

display(Markdown(f"# {t('county_title', lang, name=name, year=profile['report_year'])}"))
cleaning = read_json(cleaning_path)
display(HTML('<p class="data-statement">' + data_statement(
    config, panel["household_id"].nunique(), f"{periods[0][0]}Q{periods[0][1]}",
    f"{periods[-1][0]}Q{periods[-1][1]}", lang,
    absent_domains=cleaning.get("domains_absent", [])) + "</p>"))

# %%
display(HTML(f'<h2 class="summary-heading">{t("summary", lang)}</h2>'))
budget = recommended["capacity_share"] * recommended["households"]
sentences = plain_summary(capacity, equity, recommended["capacity_share"], budget, lang)
display(HTML(summary_html(sentences, lang)))

# %%
display(Markdown(f"## {t('headline', lang)}"))
recon = pd.read_csv(reconciliation_path, encoding="utf-8-sig")
show_table(rc.headline_table(recon, lang), t("caption_headline", lang))

# %%
if rcal.has_calibration(recon):
    display(Markdown(f"### {t('calibration', lang)}"))
    notes = rcal.warnings(recon)
    display(Markdown(f"**{t('calibration_warnings', lang)}**: "
                     + ("; ".join(notes) if notes else t("no_warnings", lang))))
    display(Markdown(rcal.source_check(recon, lang)))
    show_table(rcal.line_table(recon, lang), t("caption_lines", lang))
    show_table(rcal.guard_table(recon, lang), t("caption_guards", lang))

# %%
display(Markdown(f"## {t('risk', lang)}"))
display(Markdown(f"*{t('suppressed_note', lang, min_cell=min_cell)}*"))
risk = rc.risk_type_table(panel, min_cell, lang) if "risk_type" in panel else pd.DataFrame()
if "risk_type" not in panel:
    display(Markdown(t("section_absent", lang, domain=domain_label("monitoring", lang))))
else:
    show_table(risk, t("caption_risk", lang))
if not risk.empty:
    show_figure(plots.bar_counts(risk, t("risk_type", lang), t("households", lang),
                                 t("risk_type", lang)),
                t("alt_risk", lang, top=risk.iloc[0, 0]))

# %%
display(Markdown(f"### {t('town', lang)}"))
show_table(rc.town_table(features, min_cell, lang, towns).head(15), t("caption_towns", lang))
town_series = rc.town_quarterly(features, min_cell)
town_series["town"] = town_series["town_id"].astype(str).map(towns)
show_figure(plots.small_multiples(town_series, "town", "period", "monitored_pct",
                                  t("towns_monitored", lang)),
            t("alt_towns", lang, n=town_series["town"].nunique()))

# %%
display(Markdown(f"### {t('income_median', lang)}"))
trajectory = rc.income_trajectory(features)
wide = trajectory.pivot_table(index="period", columns="poverty_alleviated", values="income",
                              sort=True)
wide.columns = ["pa" if c else "general" for c in wide.columns]
wide["line"] = trajectory.groupby("period")["line"].first()
series = {"pa": t("poverty_alleviated", lang), "general": t("general_households", lang),
          "line": t("line", lang)}
show_figure(plots.period_lines(wide.reset_index(), "period",
                               {k: v for k, v in series.items() if k in wide},
                               t("income_median", lang), dashed=("line",)),
            t("alt_income", lang))

# %%
display(Markdown(f"### {t('medical_burden', lang)}"))
if "catastrophic_health" in features:
    medical = rc.medical_burden(features, min_cell)
    show_figure(plots.period_lines(medical, "period", {"catastrophic_pct": t("catastrophic_share", lang)},
                                   t("medical_burden", lang), y_label="%"), t("alt_medical", lang))
else:
    display(Markdown(t("section_absent", lang, domain=domain_label("medical", lang))))

# %%
display(Markdown(f"### {t('disaster_exposure', lang)}"))
if {"disaster_type", "disaster_loss"} <= set(panel):
    disaster = rc.disaster_exposure(panel, min_cell)
    show_figure(plots.period_lines(disaster, "period", {"disaster_pct": t("disaster_share", lang)},
                                   t("disaster_exposure", lang), y_label="%"), t("alt_disaster", lang))
    show_table(rc.disaster_types(panel, min_cell, lang), t("caption_disaster_types", lang))
else:
    display(Markdown(t("section_absent", lang, domain=domain_label("disaster", lang))))

# %%
display(Markdown(f"## {t('models', lang)}"))
metrics = read_json(models_path)
show_table(rc.model_table(metrics, county, lang), t("caption_models", lang))
notes = rc.fit_notes(metrics, lang)
if notes:
    display(Markdown(f"**{t('fit_notes', lang)}**\n\n" + "\n".join(f"- {n}" for n in notes)))
coefficients = pd.read_csv(coefficients_path, encoding="utf-8-sig")
odds = rc.odds_ratio_table(coefficients, lang)
show_table(odds, t("caption_coefficients", lang))
if (odds[t("reliability", lang)] != "").any():
    display(Markdown(f"*{t('unstable_note', lang)}*"))

# %%
if drift_dir:
    show_drift_section(drift_dir, county, lang, min_cell)

# %%
display(Markdown(f"## {t('warning', lang)}"))
display(Markdown(
    f"{t('capacity_share', lang)}: **{100 * recommended['capacity_share']:.1f}%**. "
    f"{t('recall_definition', lang, horizon=horizon)}"))
show_table(rc.capacity_table(capacity, lang), t("caption_capacity", lang))

# %%
display(Markdown(f"### {t('explorer', lang)}"))
display(Markdown(t("explorer_note", lang)))
thresholds = pd.read_csv(thresholds_path, encoding="utf-8-sig")
grid = rx.explorer_grid(thresholds, recommended["households"],
                        [s for s in capacity["score"] if s in set(thresholds["score"])
                         and s != "oracle"])
chart = rx.explorer_chart(grid, rx.explorer_equity(read_detail("equity_grid"), grid, lang),
                          recommended["capacity_share"], budget, lang,
                          default_score=recommended["best_score"])
display(HTML(rx.explorer_html(chart, description=t("explorer_alt", lang))))

# %%
resolution = read_detail("tier_resolution")
tier_comparison = read_detail("tiers")
if not resolution.empty:
    display(Markdown(f"### {t('tier_comparison', lang)}"))
    show_table(rc.tier_resolution_table(resolution, lang), t("caption_tiers", lang))
    display(Markdown(f"*{t('unequal_load_note', lang)}*"))
    show_figure(plots.tier_recall(resolution, lang), t("alt_tier_recall", lang))
if not tier_comparison.empty:
    show_figure(plots.tier_loads(tier_comparison, lang), t("alt_tier_loads", lang))

# %%
lead = read_detail("lead_times")
if not lead.empty:
    display(Markdown(f"### {t('lead_time_table', lang)}"))
    show_table(rc.lead_time_table(lead, lang), t("caption_lead", lang))
    show_figure(plots.lead_time_bars(lead, lang), t("alt_lead", lang))

# %%
if not equity.empty:
    display(Markdown(f"### {t('equity', lang)}"))
    shown = [recommended["best_score"], "rule"]
    show_table(rc.equity_report_table(equity, shown, lang, min_cell), t("caption_equity", lang))

# %%
curve = read_detail("decision_curve")
if not curve.empty:
    display(Markdown(f"### {t('decision_curve', lang)}"))
    show_figure(plots.decision_curve(curve, lang,
                                     recommended.get("costs", {}).get("threshold_probability")),
                t("alt_decision", lang))
sensitivity = read_detail("line_sensitivity")
if not sensitivity.empty:
    display(Markdown(f"### {t('line_sensitivity', lang)}"))
    show_table(rc.line_sensitivity_table(sensitivity, lang), t("caption_line", lang))
    raised = sorted(m for m in sensitivity["multiplier"].unique() if abs(m - 1) > 1e-9)
    show_figure(plots.line_sensitivity(sensitivity, lang),
                t("alt_line", lang, mults="、".join(f"{m:g}" for m in raised)))

# %%
display(Markdown(f"## {t('quality', lang)}"))
show_table(rc.cleaning_table(cleaning, lang), t("caption_quality", lang))
show_table(rc.cleaning_rules_table(cleaning, lang), t("caption_rules", lang))

# %%
display(Markdown(f"### {t('methods', lang)}"))
prov = provenance.collect(config, [profile_path, panel_path, features_path, models_path])
show_table(rc.provenance_table(prov, lang), t("caption_provenance", lang))
