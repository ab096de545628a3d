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
# the county simulated; empty: the config's whatif.county (else its first county)
county = ""
# the pipeline passes the report settings and the what-if section; empty = config/config.yaml
config_json = ""
# the what-if stage's tables (rule whatif): per seed and scenario, and the paired summary
results_path = "reports/metrics/whatif/results.csv"
summary_path = "reports/metrics/whatif/summary.csv"


# %%
import pandas as pd
from IPython.display import Markdown, display

from relapse_models.core.config import from_json as config_from_json
from relapse_models.report import figures as plots
from relapse_models.report import whatif as rwi
from relapse_models.report.display import show_figure, show_table
from relapse_models.report.words import t
from relapse_models.stages.notebook import chdir_project_root
from relapse_models.warning.whatif import whatif_county

chdir_project_root(project_dir)
config = config_from_json(config_json)
lang = config["report"]["language"]
county = county or whatif_county(config)
results = pd.read_csv(results_path, encoding="utf-8-sig")
summary = pd.read_csv(summary_path, encoding="utf-8-sig")

display(Markdown(f"# {t('whatif_title', lang)}"))
display(Markdown(t("whatif_intro", lang, county=county, seeds=results["seed"].nunique())))
display(Markdown(f"*{t('synthetic_note', lang)}*"))

# %%
display(Markdown(f"## {t('whatif_results', lang)}"))
diffs = rwi.differences(summary)
show_figure(plots.whatif_differences(diffs, lang),
            t("whatif_figure_alt", lang, n=diffs["scenario"].nunique(), k=diffs["outcome"].nunique()))
show_table(rwi.results_table(summary, lang), t("caption_whatif_results", lang))

# %%
display(Markdown(f"## {t('whatif_calibration', lang)}"))
notes = rwi.calibration_notes_table(results, lang)
if notes.empty:
    display(Markdown(t("whatif_calibration_ok", lang)))
else:
    display(Markdown(t("whatif_calibration_notes", lang)))
    show_table(notes, t("caption_whatif_calibration", lang))

# %%
display(Markdown(f"## {t('whatif_assumptions', lang)}"))
show_table(rwi.scenario_table(config["whatif"].get("scenarios") or {}, lang),
           t("caption_whatif_scenarios", lang))
show_table(rwi.lever_table(lang), t("caption_whatif_levers", lang))
display(Markdown(t("whatif_limits", lang)))
