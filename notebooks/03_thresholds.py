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
# grid workers can visit each month. Change the capacity, the costs or the line multiples in
# the parameters cell and re-run to see the trade-off (empty = the run's config).

# %% tags=["parameters"]
# the folder relative paths start from; empty: the project this notebook was opened in
project_dir = ""
county = "shangluo"
# the pipeline passes the config sections; empty: config/config.yaml
config_json = ""
# the county's own model scores (rule fit_county), as the pipeline's thresholds job reads
predictions_path = "data/processed/models/shangluo/predictions.parquet"
# run by hand, outputs go to the git-ignored scratch/ folder; the pipeline passes its own
table_path = "scratch/metrics/thresholds/shangluo.csv"
recommended_path = "scratch/metrics/recommended/shangluo.json"
# empty: data/processed/<county>/features.parquet
features_path = ""
# empty: data/interim/<county>
interim_dir = ""
detail_dir = "scratch/metrics/thresholds_detail/shangluo"
# empty: not written apart (it is also in the detail folder)
tier_resolution_path = ""
# capacity; None: from the config
grid_workers_per_1000_households = None
visits_per_worker_per_month = None
# yuan per visit; None: from the config (thresholds.visit_cost)
visit_cost = None
# yuan per relapse not averted
missed_relapse_cost = None
# e.g. [1.0, 1.1, 1.2]; the edge multiple is always added
line_multipliers = None


# %%
import matplotlib.pyplot as plt
from IPython.display import display

from relapse_models.core.config import from_json as config_from_json
from relapse_models.core.config import merge
from relapse_models.report import figures as plots
from relapse_models.report.words import SUBGROUP_LABELS
from relapse_models.stages import thresholds as step
from relapse_models.stages.notebook import chdir_project_root

chdir_project_root(project_dir)
config = config_from_json(config_json)
overrides = {
    "capacity": {"grid_workers_per_1000_households": grid_workers_per_1000_households,
                 "visits_per_worker_per_month": visits_per_worker_per_month},
    "thresholds": {"visit_cost": visit_cost, "missed_relapse_cost": missed_relapse_cost,
                   "line_multipliers": line_multipliers},
}
config = merge(config, {s: {k: v for k, v in kv.items() if v is not None}
                        for s, kv in overrides.items()})
result = step.run(
    county, predictions_path, config, table_path, recommended_path,
    features_path=features_path or None, interim_dir=interim_dir or None,
    detail_dir=detail_dir or None, tier_resolution_path=tier_resolution_path or None,
)
recommended = result.recommended[county]
print(f"走访能力 capacity: {100 * recommended['capacity_share']:.1f}% of households per month")

# %% [markdown]
# ## 能力约束下的最优阈值 · Best threshold within capacity
# With village-clustered bootstrap intervals; `*_diff` is the difference from the official rule
# at its own threshold within capacity, `*_vs_baseline` the difference from the income baseline
# (income relative to the line alone) at its own; both on the same village replicates.

# %%
cols = ["name", "threshold", "flagged_share", "flagged_share_ci_low", "flagged_share_ci_high",
        "recall", "recall_ci_low", "recall_ci_high", "recall_diff", "recall_diff_ci_low",
        "recall_diff_ci_high", "recall_vs_baseline", "recall_vs_baseline_ci_low",
        "recall_vs_baseline_ci_high", "precision", "precision_ci_low", "precision_ci_high"]
shown = result.intervals.query("kind == 'threshold'")
display(shown[[c for c in cols if c in shown]].round(3))

# %% [markdown]
# ## 增益曲线 · Gain curves (recall against flagged share)

# %%
plots.gain_curves(result.table, "zh", capacity_share=recommended["capacity_share"])
plt.show()

# %% [markdown]
# ## 提前期 · Lead time: quarters from the first flag to the relapse, at each chosen threshold
# `0` = a case never flagged before its onset.

# %%
display(result.lead_times)
plots.lead_time_bars(result.lead_times, "zh")
plt.show()

# %% [markdown]
# ## 红黄蓝分级 · Official tiers (by triggers met) against the model's capacity-fitting tiers
# The resolution table: each scheme's monthly load against the budget, the recall of visiting
# every tiered household with its village-bootstrap interval, and the paired difference from
# the official tiers. `model_beats_official`: the best model's tiers fit capacity and the
# lower end of the difference is above 0.

# %%
display(result.tier_resolution.round(3))
plots.tier_recall(result.tier_resolution, "zh")
plt.show()
display(result.tier_comparison.round(3))
plots.tier_loads(result.tier_comparison, "zh")
plt.show()

# %% [markdown]
# ## 公平性 · Misses by subgroup and town at each chosen threshold
# A group whose share of misses exceeds its share of cases is under-served; rows marked
# `suppress` have too few households to publish (report.min_cell).

# %%
eq = result.equity.copy()
if not eq.empty:
    eq["组别"] = eq["group"].map(lambda g: SUBGROUP_LABELS.get(g, (g, g))[0])
    display(eq[["score", "dimension", "组别", "households", "n_pos", "fn", "recall",
                "recall_ci_low", "recall_ci_high", "share_of_cases", "share_of_misses",
                "recall_gap", "suppress"]].round(3))

# %% [markdown]
# ## 决策曲线 · Decision curve (net benefit, Vickers & Elkin 2006)
# The dotted line marks the threshold probability implied by the visit and miss costs.

# %%
plots.decision_curve(result.decision_curve, "zh", recommended["costs"]["threshold_probability"])
plt.show()

# %% [markdown]
# ## 监测线敏感性 · Monitoring-line sensitivity
# The label and the official rule recomputed with the line times each multiple (the last is
# the edge-household multiple); model flags stay those chosen on the base line.

# %%
ls = result.line_sensitivity
display(ls.round(3))
if not ls.empty:
    plots.line_sensitivity(ls, "zh")
    plt.show()
