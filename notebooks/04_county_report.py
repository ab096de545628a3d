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
models_path = "reports/metrics/models.json"
coefficients_path = "reports/metrics/coefficients.csv"
thresholds_path = "reports/metrics/thresholds/shangluo.csv"
recommended_path = "reports/metrics/recommended/shangluo.json"


# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Markdown, display

from relapse_models import plots, provenance
from relapse_models.config import from_json as config_from_json
from relapse_models.io import read_json, read_parquet
from relapse_models.notebooks import chdir_project_root
from relapse_models.profiles import load_profile
from relapse_models.report import county as rc
from relapse_models.report.labels import t
from relapse_models.report.tables import html_table

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
display(Markdown(f"## {t('risk', lang)}"))
panel = read_parquet(panel_path, columns=["household_id", "year", "quarter", "risk_type"])
features = read_parquet(features_path)
risk = rc.risk_type_table(panel, min_cell, lang)
display(HTML(html_table(risk)))
display(HTML(html_table(rc.town_table(features, min_cell, lang).head(15))))

# %%
trajectory = rc.income_trajectory(features)
fig, ax = plt.subplots(figsize=(8, 3.6))
for flag, group in trajectory.groupby("poverty_alleviated"):
    label = ("脱贫户" if flag else "一般农户") if lang == "zh" else ("alleviated" if flag else "general")
    ax.plot(group["period"], group["income"], marker="o", label=label)
line = trajectory.drop_duplicates("period")
ax.plot(line["period"], line["line"], color="black", linestyle="--", label=t("line", lang))
ax.set_title(t("income_pc", lang))
ax.tick_params(axis="x", rotation=45)
ax.legend()
fig.tight_layout()
plt.show()

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
fig = plots.gain_curves(thresholds, lang, capacity_share=recommended["capacity_share"])
plt.show()

# %%
display(Markdown(f"## {t('quality', lang)}"))
cleaning = read_json(cleaning_path)
display(HTML(html_table(rc.cleaning_table(cleaning, lang))))

# %%
display(Markdown(f"### {t('methods', lang)}"))
prov = provenance.collect(config, [profile_path, panel_path, features_path, models_path])
display(HTML(html_table(rc.provenance_table(prov, lang))))
