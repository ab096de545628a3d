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
counties = ["shangluo", "anshun", "xunyi", "yeji", "anon_county"]
# the pipeline passes the report settings; empty = config/config.yaml
config_json = ""
profiles = [f"config/counties/{c}.yaml" for c in counties]
reconciliation_path = "reports/reconciliation.csv"
models_path = "reports/metrics/models.json"
thresholds_path = "reports/metrics/thresholds.csv"
recommended_path = "reports/metrics/recommended_thresholds.json"
tier_comparison_path = "reports/metrics/tier_comparison.csv"


# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown, display

from relapse_models.core import provenance
from relapse_models.core.config import from_json as config_from_json
from relapse_models.core.io import read_json
from relapse_models.core.profiles import load_profile
from relapse_models.report import comparative as rcmp
from relapse_models.report import figures as plots
from relapse_models.report.county import provenance_table
from relapse_models.report.tables import html_table
from relapse_models.report.words import t
from relapse_models.stages.notebook import chdir_project_root

chdir_project_root()
config = config_from_json(config_json)
lang = config["report"]["language"]
names = rcmp.county_names({c: load_profile(p) for c, p in zip(counties, profiles, strict=True)}, lang)



display(Markdown(f"# {t('index_title', lang)}"))
if config.get("data", {}).get("source", "synthetic") == "synthetic":
    display(Markdown(f"*{t('synthetic_note', lang)}*"))
display(HTML(rcmp.county_links(names)))

# %%
display(Markdown(f"## {t('headline', lang)}"))
recon = pd.read_csv(reconciliation_path, encoding="utf-8-sig")
display(HTML(html_table(rcmp.indicator_matrix(recon, names, lang))))

# %%
display(Markdown(f"## {t('models', lang)}"))
metrics = read_json(models_path)
display(Markdown(f"**{t('out_of_time_auc', lang)}**"))
display(HTML(html_table(rcmp.model_matrix(metrics, names, lang))))
display(Markdown(f"**{t('transfer', lang)}**"))
display(HTML(html_table(rcmp.model_matrix(metrics, names, lang, scheme="leave_one_county_out"))))

# %%
display(Markdown(f"## {t('warning', lang)}"))
recommended = read_json(recommended_path)
display(HTML(html_table(rcmp.threshold_matrix(recommended, names, lang))))
display(Markdown(f"### {t('tier_comparison', lang)}"))
tier_comparison = pd.read_csv(tier_comparison_path, encoding="utf-8-sig")
display(HTML(html_table(rcmp.tier_matrix(tier_comparison, names, lang))))
table = pd.read_csv(thresholds_path, encoding="utf-8-sig")
fig, axes = plt.subplots(1, len(counties), figsize=(3.2 * len(counties), 3.2), sharey=True)
for ax, county in zip(np.atleast_1d(axes), counties, strict=True):
    plots.gain_axes(ax, table[table["county_id"] == county], lang,
                    capacity_share=recommended[county]["capacity_share"], title=names[county])
fig.tight_layout()
plt.show()

# %%
display(Markdown(f"### {t('methods', lang)}"))
prov = provenance.collect(config, [*profiles, reconciliation_path, models_path, thresholds_path])
display(HTML(html_table(provenance_table(prov, lang))))
