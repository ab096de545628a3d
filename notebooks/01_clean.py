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

# %% [markdown]
# # 01 数据清洗 · Cleaning
#
# Turns a county's observable tables (synthetic parquet tables, or real exports in
# xlsx/xls/csv with `data.source: files`) into the canonical tables. Every input row is either
# kept or quarantined with its file, sheet, row, column and rule; the counts below must add up.
# Real exports are pseudonymised with the key in `RELAPSE_PSEUDONYM_KEY` or
# `RELAPSE_PSEUDONYM_KEY_FILE` (no key: the run stops); only synthetic data may use the
# published demo key.

# %% tags=["parameters"]
# the folder relative paths start from; empty: the project this notebook was opened in
project_dir = ""
county = "shangluo"
inputs = [
    "data/raw/shangluo/households.parquet",
    "data/raw/shangluo/panel.parquet",
    "data/raw/shangluo/events.parquet",
]
# run by hand, outputs go to the git-ignored scratch/ folder; the pipeline passes its own
out_dir = "scratch/interim/shangluo"
synthetic = True  # synthetic data: the published demo key is allowed (never for real exports)


# %%
from pathlib import Path

import pandas as pd

from relapse_models.stages import clean as cleaning_step
from relapse_models.stages.notebook import chdir_project_root

chdir_project_root(project_dir)
result = cleaning_step.run(county, inputs, out_dir, synthetic=synthetic)

# %% [markdown]
# ## 清洗报告 · Cleaning report (rows in = kept + quarantined)

# %%
cleaning_step.report_table(result.report)

# %% [markdown]
# ## 各文件核对 · Per file and sheet (exports only)

# %%
cleaning_step.files_table(result.report)

# %% [markdown]
# ## 隔离规则 · Quarantined rows by rule

# %%
pd.DataFrame(result.report["rules"], columns=["table", "rule", "n"])

# %% [markdown]
# ## 隔离样例 · First quarantine lines (personal values masked)

# %%
result.quarantine.head(20)

# %%
print("written:", sorted(p.name for p in Path(out_dir).iterdir()))
