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
# # 03 预警阈值 · Early-warning thresholds
#
# Which score, at which threshold, should trigger a visit? Each score is evaluated over a grid
# of thresholds on the test year; the recommended threshold flags no more households than the
# grid workers can visit each month. Change `capacity` and re-run to see the trade-off.

# %% tags=["parameters"]
county = "shangluo"
config_json = ""  # the pipeline passes the config sections; empty = config/config.yaml
predictions_path = "data/processed/models/predictions.parquet"
table_path = "reports/metrics/thresholds/shangluo.csv"
recommended_path = "reports/metrics/recommended/shangluo.json"

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from relapse_models import plots
from relapse_models.config import from_json as config_from_json
from relapse_models.notebooks import chdir_project_root
from relapse_models.steps import thresholds as step

chdir_project_root()
config = config_from_json(config_json)
result = step.run(county, predictions_path, config, table_path, recommended_path)
recommended = result.recommended[county]
print(f"capacity: {100 * recommended['capacity_share']:.1f}% of households per month")

# %% [markdown]
# ## 能力约束下的最优阈值 · Best threshold within capacity

# %%
display(result.best)

# %% [markdown]
# ## 增益曲线 · Gain curves (recall against flagged share)

# %%
fig = plots.gain_curves(result.table, "zh", capacity_share=recommended["capacity_share"])
plt.show()

# %% [markdown]
# ## 红黄蓝分级 · Red / yellow / blue tiers that fit the visit budget

# %%
display(pd.concat(result.tiers.values(), ignore_index=True))
