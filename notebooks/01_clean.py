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
# Turns a county's observable tables into the canonical tables. Every input row is either
# kept or quarantined with its rule; the counts below must add up.

# %% tags=["parameters"]
county = "shangluo"
inputs = [
    "data/raw/shangluo/households.parquet",
    "data/raw/shangluo/panel.parquet",
    "data/raw/shangluo/events.parquet",
]
out_dir = "data/interim/shangluo"


# %%
from pathlib import Path

import pandas as pd

from relapse_models.notebooks import chdir_project_root
from relapse_models.steps import clean as cleaning_step

chdir_project_root()
result = cleaning_step.run(county, inputs, out_dir)

# %% [markdown]
# ## 清洗报告 · Cleaning report (rows in = kept + quarantined)

# %%
cleaning_step.report_table(result.report)

# %% [markdown]
# ## 隔离规则 · Quarantined rows by rule

# %%
pd.DataFrame(result.report["rules"], columns=["table", "rule", "n"])

# %%
print("written:", sorted(p.name for p in Path(out_dir).iterdir()))
