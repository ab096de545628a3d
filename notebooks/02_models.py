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
# # 02 返贫风险模型 · Relapse-risk models
#
# Every model is trained on the years up to `models.train_until_year` and scored on the next
# year (out of time), pooled over all counties. On synthetic data the generator's true
# probability (the oracle) is the ceiling each model is measured against.

# %% tags=["parameters"]
config_json = ""  # the pipeline passes the config sections; empty = config/config.yaml
counties = ["shangluo", "anshun", "xunyi", "yeji", "anon_county"]
features_dir = "data/processed"
truth_dir = "data/truth"  # synthetic only; "" for real data
metrics_path = "reports/metrics/models.json"
coefficients_path = "reports/metrics/coefficients.csv"
predictions_path = "data/processed/models/predictions.parquet"

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display
from sklearn.calibration import CalibrationDisplay
from sklearn.metrics import RocCurveDisplay

from relapse_models import plots  # noqa: F401  (registers the CJK font)
from relapse_models.config import from_json as config_from_json
from relapse_models.notebooks import chdir_project_root
from relapse_models.report.labels import model_label
from relapse_models.steps import fit

chdir_project_root()
config = config_from_json(config_json)
result = fit.run(
    fit.county_paths(features_dir, counties, "features.parquet"),
    fit.county_paths(truth_dir, counties, "truth.parquet") if truth_dir else None,
    config,
    metrics_path,
    coefficients_path,
    predictions_path,
)
print(f"train rows {result.metrics['n_train']}, test rows {result.metrics['n_test']}")

# %% [markdown]
# ## 模型比较 · Model comparison (pooled, out of time)

# %%
pooled = pd.DataFrame(result.metrics["out_of_time"]["pooled"]).T
display(pooled[["auc", "auc_ci", "pr_auc", "brier", "ece", "recall_at_capacity"]
               + [c for c in ("auc_to_oracle",) if c in pooled]])

# %% [markdown]
# ## ROC 与校准 · ROC and reliability

# %%
pred = result.predictions.dropna(subset=["relapse"])
fig, (ax_roc, ax_cal) = plt.subplots(1, 2, figsize=(11, 4.5))
for name in result.models:
    scored = pred.dropna(subset=[f"score_{name}"])
    RocCurveDisplay.from_predictions(
        scored["relapse"].astype(bool), scored[f"score_{name}"], name=model_label(name), ax=ax_roc
    )
    if name != "rule":
        CalibrationDisplay.from_predictions(
            scored["relapse"].astype(bool), scored[f"score_{name}"], n_bins=10,
            strategy="quantile", name=model_label(name), ax=ax_cal,
        )
ax_roc.set_title("ROC（样本外）")
ax_cal.set_title("校准曲线（分位数分箱）")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 比值比 · Odds ratios (logit, village-clustered 95 % CI)

# %%
coefficients = fit.coefficient_table(result)
display(coefficients)
