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
counties = ["shangluo", "anshun", "xunyi", "yeji", "anon_county"]
# the pipeline passes the report settings; empty = config/config.yaml
config_json = ""
profiles = [f"config/counties/{c}.yaml" for c in counties]
reconciliation_path = "reports/reconciliation.csv"
models_path = "reports/metrics/models.json"
thresholds_path = "reports/metrics/thresholds.csv"
recommended_path = "reports/metrics/recommended_thresholds.json"
tier_comparison_path = "reports/metrics/tier_comparison.csv"
# the robustness tables across truth mechanisms (synthetic runs); empty: no such section
robustness_dir = "reports/metrics/robustness"
# the drift tables (models across later years); empty: no such section
drift_dir = "reports/metrics/drift"
# the what-if page, linked beside the county pages (relative to reports/); empty: no link
whatif_page = "whatif.html"


# %%
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown, display

from relapse_models.core import provenance
from relapse_models.core.config import from_json as config_from_json
from relapse_models.core.io import read_json
from relapse_models.core.profiles import load_profile
from relapse_models.report import comparative as rcmp
from relapse_models.report import figures as plots
from relapse_models.report.county import provenance_table
from relapse_models.report.display import show_figure, show_table
from relapse_models.report.drift import show_drift_section
from relapse_models.report.summary import data_statement
from relapse_models.report.words import t
from relapse_models.stages.notebook import chdir_project_root

chdir_project_root(project_dir)
config = config_from_json(config_json)
lang = config["report"]["language"]
names = rcmp.county_names({c: load_profile(p) for c, p in zip(counties, profiles, strict=True)}, lang)

display(Markdown(f"# {t('index_title', lang)}"))
display(HTML('<p class="data-statement">'
             + data_statement(config, 0, language=lang, comparative=True) + "</p>"))
display(HTML(rcmp.county_links(names, {whatif_page: t("whatif_title", lang)} if whatif_page
                                     else None)))

# %%
display(Markdown(f"## {t('index_headline', lang)}"))
display(Markdown(f"*{t('published_bracket', lang)}*"))
recon = pd.read_csv(reconciliation_path, encoding="utf-8-sig")
show_table(rcmp.indicator_matrix(recon, names, lang), t("caption_matrix", lang))

# %%
display(Markdown(f"## {t('index_models', lang)}"))
metrics = read_json(models_path)
display(Markdown(f"**{t('out_of_time_auc', lang)}**"))
show_table(rcmp.model_matrix(metrics, names, lang), t("caption_auc_oot", lang))
display(Markdown(f"**{t('transfer', lang)}**"))
show_table(rcmp.model_matrix(metrics, names, lang, scheme="leave_one_county_out"),
           t("caption_auc_loco", lang))

# %%
if robustness_dir:
    display(Markdown(f"### {t('robustness', lang)}"))
    display(Markdown(t("robustness_intro", lang)))
    found = pd.read_csv(Path(robustness_dir) / "findings.csv", encoding="utf-8-sig")
    display(Markdown("\n".join(f"- {x}" for x in rcmp.robustness_findings(found, lang))))
    robust = pd.read_csv(Path(robustness_dir) / "metrics.csv", encoding="utf-8-sig")
    display(Markdown(rcmp.robustness_panel(robust, lang)))
    show_table(rcmp.robustness_matrix(robust, lang), t("caption_robustness", lang))
    show_table(rcmp.robustness_matrix(robust, lang, metric="pr_auc"), t("caption_robustness_pr", lang))
    show_table(rcmp.robustness_matrix(robust, lang, metric="o_e"), t("caption_robustness_oe", lang))

# %%
if drift_dir:
    show_drift_section(drift_dir, "pooled", lang, config["report"]["min_cell"])

# %%
display(Markdown(f"## {t('index_warning', lang)}"))
recommended = read_json(recommended_path)
matrix, constant = rcmp.drop_constant_columns(rcmp.threshold_matrix(recommended, names, lang),
                                              keep=(t("county", lang),))
if constant:
    display(Markdown("; ".join(f"{k}: **{v}**" for k, v in constant.items())
                     + (" （各县相同）" if lang == "zh" else " (the same in every county)")))
show_table(matrix, t("caption_thresholds_index", lang))
display(Markdown(f"### {t('tier_comparison', lang)}"))
tier_comparison = pd.read_csv(tier_comparison_path, encoding="utf-8-sig")
show_table(rcmp.tier_matrix(tier_comparison, names, lang), t("caption_tiers_index", lang))
display(Markdown(f"*{t('unequal_load_note', lang)}*"))
table = pd.read_csv(thresholds_path, encoding="utf-8-sig")
show_figure(plots.gain_small_multiples(table, counties, names,
                                       {c: recommended[c]["capacity_share"] for c in counties},
                                       lang),
            t("alt_gain_index", lang, n=len(counties)))

# %%
display(Markdown(f"### {t('methods', lang)}"))
prov = provenance.collect(config, [*profiles, reconciliation_path, models_path, thresholds_path])
show_table(provenance_table(prov, lang), t("caption_provenance", lang))
