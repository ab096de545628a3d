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
# the pipeline passes the config sections; empty = config/config.yaml
config_json = ""
counties = ["shangluo", "anshun", "xunyi", "yeji", "anon_county"]
features_dir = "data/processed"
# synthetic only; "" for real data
truth_dir = "data/truth"
metrics_path = "reports/metrics/models.json"
coefficients_path = "reports/metrics/coefficients.csv"
predictions_path = "data/processed/models/predictions.parquet"
drivers_path = "reports/metrics/drivers.csv"
# fitted models as <model>-<config hash>.pkl
models_dir = "data/processed/models"


# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display
from sklearn.calibration import CalibrationDisplay
from sklearn.metrics import RocCurveDisplay

from relapse_models import plots  # also registers the CJK font
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
    drivers_path=drivers_path,
    models_dir=models_dir,
)
print(f"train rows {result.metrics['n_train']}, test rows {result.metrics['n_test']}")
print("seconds:", result.timings)

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
fig = plots.odds_ratio_forest(coefficients, language="zh", title="返贫风险因素：比值比（村级聚类稳健）")
plt.show()
display(coefficients)

# %% [markdown]
# ## 离散时间风险模型 · Discrete-time hazard (cloglog, per quarter)
#
# Fitted when `hazard` is among `models.names`: the per-quarter hazard of entering the relapse
# state, with a baseline by quarters since risk elimination. Hazard ratios are per quarter.

# %%
if "hazard" in result.models:
    hazard_ratios = result.models["hazard"].hazard_ratios()
    fig = plots.odds_ratio_forest(hazard_ratios, language="zh", effect="hazard_ratio",
                                  title="返贫风险比（每季度，村级聚类稳健）")
    plt.show()

# %% [markdown]
# ## 留一县验证 · Leave one county out
#
# Each county is scored by models trained only on the *other* counties' earlier years, on the
# same test rows as above. The difference to the out-of-time AUC is what a county without
# its own monitoring history would lose.

# %%
transfer = fit.transfer_table(result.metrics)
if len(transfer):
    transfer["model"] = transfer["model"].map(model_label)
    display(transfer.rename(columns={"county_id": "县", "model": "模型", "auc_loco": "AUC（留一县）",
                                     "auc_out_of_time": "AUC（样本外）", "auc_difference": "差值",
                                     "ece_loco": "ECE（留一县）"}).round(3))
else:
    print("只有一个县：不做留一县验证")

# %% [markdown]
# ## 风险驱动因素 · Risk drivers (gradient boosting, test year)
#
# Permutation importance: how much the AUC drops when a feature is shuffled (mean ± sd over
# repeats). Partial dependence: the average predicted risk as one feature moves, the others
# as observed: an association learned by the model, not a causal effect.

# %%
drivers = fit.drivers_table(result)
if len(drivers):
    plots.risk_drivers(drivers)
    plt.show()

# %% [markdown]
# ## 脆弱性 · Vulnerability as expected poverty (Chaudhuri, Jalan & Suryahadi)
#
# The mean and the variance of log income relative to the line, from household
# characteristics alone (3-step FGLS). Share of households above the two vulnerability
# lines: 0.5 and the observed headcount (of the training years), next to the test year's
# observed relapse rate.

# %%
if "vulnerability" in result.models:
    vul = result.metrics["vulnerability"]
    display(pd.DataFrame({"阈值": vul["lines"], "脆弱户占比": vul["share_vulnerable"]})
            .rename(index={"0.5": "0.5", "headcount": "贫困发生率"}))
    print(f"平均脆弱性 {vul['mean_vulnerability']:.3f}，"
          f"实际返贫率 {vul['observed_rate']:.3f}")
    display(result.models["vulnerability"].coefficient_table().round(3))
