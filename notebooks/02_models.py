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
# year (out of time), on the counties listed: the pipeline runs it once per county (that
# county's own models, used by its thresholds and page) and once pooled over all counties
# (with leave-one-county-out and the drivers: the province-level models of the comparative
# report). On synthetic data the generator's true probability (the oracle) is the ceiling
# each model is measured against.

# %% tags=["parameters"]
# the folder relative paths start from; empty: the project this notebook was opened in
project_dir = ""
# the pipeline passes the config sections; empty = config/config.yaml
config_json = ""
counties = ["shangluo", "anshun", "xunyi", "yeji", "anon_county"]
features_dir = "data/processed"
# synthetic only; "" for real data
truth_dir = "data/truth"
# run by hand, outputs go to the git-ignored scratch/ folder; the pipeline passes its own
metrics_path = "scratch/metrics/models.json"
coefficients_path = "scratch/metrics/coefficients.csv"
predictions_path = "scratch/models/predictions.parquet"
# "": no drivers (the per-county jobs)
drivers_path = "scratch/metrics/drivers.csv"
# None: the config's models.leave_one_county_out (the per-county jobs pass False)
leave_one_county_out = None
# fitted models as <model>-<config hash>.pkl
models_dir = "scratch/models"
# the held-out counties' fits (rule fit_loco) to combine; empty: fitted here
held_out_dir = ""


# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display
from sklearn.calibration import CalibrationDisplay
from sklearn.metrics import RocCurveDisplay

from relapse_models.core.config import from_json as config_from_json
from relapse_models.report import figures as plots  # also registers the CJK font
from relapse_models.report.words import model_label
from relapse_models.stages import fit
from relapse_models.stages.notebook import chdir_project_root

chdir_project_root(project_dir)
config = config_from_json(config_json)
result = fit.run(
    fit.county_paths(features_dir, counties, "features.parquet"),
    fit.county_paths(truth_dir, counties, "truth.parquet") if truth_dir else None,
    config,
    metrics_path,
    coefficients_path,
    predictions_path,
    drivers_path=drivers_path or None,
    models_dir=models_dir,
    county_holdout=leave_one_county_out,
    drivers=None if drivers_path else False,
    held_out_dir=held_out_dir or None,
)
print(f"train rows {result.metrics['n_train']}, test rows {result.metrics['n_test']}")
print("seconds:", result.timings)

# %% [markdown]
# ## 模型比较 · Model comparison (out of time, all counties listed)

# %%
pooled = pd.DataFrame(result.metrics["out_of_time"]["pooled"]).T
display(pooled[["recall_at_capacity", "recall_at_capacity_ci", "precision_at_capacity",
                "precision_at_capacity_ci", "pr_auc", "pr_auc_ci", "auc", "auc_ci", "o_e",
                "ece_relative", "ci_withheld"]
               + [c for c in ("auc_to_oracle", "auc_to_oracle_ci") if c in pooled]])
for name, report in result.metrics["fits"].items():
    if not report.get("fitted", True) or report.get("warnings"):
        print(model_label(name), report.get("reason") or "; ".join(report["warnings"]))

# %% [markdown]
# ## 配对比较 · Paired differences (against the best baseline, gbm against logit, ratio to
# the oracle; village bootstrap; a winner only when the interval excludes 0)

# %%
display(fit.comparison_table(result.metrics).query("scope == 'pooled'").round(4))

# %% [markdown]
# ## ROC 与校准 · ROC and reliability

# %%
pred = result.predictions.dropna(subset=["relapse"])
fig, (ax_roc, ax_cal) = plt.subplots(1, 2, figsize=(11, 4.5))
for name in [m for m in result.models if f"score_{m}" in pred]:
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
shown, not_estimable = fit.forest_rows(coefficients)
fig = plots.odds_ratio_forest(shown, language="zh", title="返贫风险因素：比值比（村级聚类稳健）")
plt.show()
if len(not_estimable):
    print("区间不可估计（事件太少），未画出:", ", ".join(not_estimable["term"]))
if "logit" in result.metrics["fits"]:
    print("推断方法 · inference:", result.metrics["fits"]["logit"].get("inference")
          or result.metrics["fits"]["logit"].get("reason"))
display(coefficients)

# %% [markdown]
# ## 离散时间风险模型 · Discrete-time hazard (cloglog, per quarter)
#
# Fitted when `hazard` is among `models.names`: the per-quarter hazard of entering the relapse
# state, with a baseline by quarters since risk elimination. Hazard ratios are per quarter.

# %%
if result.metrics["fits"].get("hazard", {}).get("fitted"):
    hazard_ratios, not_estimable = fit.forest_rows(
        result.models["hazard"].hazard_ratios(), effect="hazard_ratio"
    )
    if len(not_estimable):
        print("区间不可估计（事件太少），未画出:", ", ".join(not_estimable["term"]))
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
elif "leave_one_county_out" not in result.metrics:
    print("本次拟合未做留一县验证（单县模型；见全省合并模型）")
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
if "vulnerability" in result.metrics:
    vul = result.metrics["vulnerability"]
    display(pd.DataFrame({"阈值": vul["lines"], "脆弱户占比": vul["share_vulnerable"]})
            .rename(index={"0.5": "0.5", "headcount": "贫困发生率"}))
    print(f"平均脆弱性 {vul['mean_vulnerability']:.3f}，"
          f"实际返贫率 {vul['observed_rate']:.3f}")
    display(result.models["vulnerability"].coefficient_table().round(3))
