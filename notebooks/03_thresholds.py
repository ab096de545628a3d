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
county = "shangluo"
# the pipeline passes the config sections; empty: config/config.yaml
config_json = ""
predictions_path = "data/processed/models/predictions.parquet"
table_path = "reports/metrics/thresholds/shangluo.csv"
recommended_path = "reports/metrics/recommended/shangluo.json"
# empty: data/processed/<county>/features.parquet
features_path = ""
# empty: data/interim/<county>
interim_dir = ""
# empty: reports/metrics/thresholds_detail/<county>
detail_dir = ""
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
import io

import matplotlib.pyplot as plt
from IPython.display import Image, display

from relapse_models import plots
from relapse_models.config import from_json as config_from_json
from relapse_models.config import merge
from relapse_models.equity import SUBGROUP_LABELS
from relapse_models.io import read_parquet
from relapse_models.notebooks import chdir_project_root
from relapse_models.steps import thresholds as step
from relapse_models.thresholds import lead_times


def show(fig: plt.Figure) -> None:
    """Embed the figure as PNG (the package draws on the Agg backend: plt.show is a no-op)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    display(Image(data=buffer.getvalue()))


chdir_project_root()
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
    detail_dir=detail_dir or None,
)
recommended = result.recommended[county]
print(f"走访能力 capacity: {100 * recommended['capacity_share']:.1f}% of households per month")

# %% [markdown]
# ## 能力约束下的最优阈值 · Best threshold within capacity
# With village-clustered bootstrap intervals; `*_diff` is the difference from the official rule
# at its own threshold within capacity (paired replicates).

# %%
cols = ["name", "threshold", "flagged_share", "flagged_share_ci_low", "flagged_share_ci_high",
        "recall", "recall_ci_low", "recall_ci_high", "recall_diff", "recall_diff_ci_low",
        "recall_diff_ci_high", "precision", "precision_ci_low", "precision_ci_high"]
display(result.intervals.query("kind == 'threshold'")[cols].round(3))

# %% [markdown]
# ## 增益曲线 · Gain curves (recall against flagged share)

# %%
fig = plots.gain_curves(result.table, "zh", capacity_share=recommended["capacity_share"])
show(fig)

# %% [markdown]
# ## 提前期 · Lead time: quarters from the first flag to the relapse, at each chosen threshold

# %%
predictions = read_parquet(predictions_path)
part = predictions[predictions["county_id"] == county]
columns = step.score_columns(part)
fig, ax = plt.subplots(figsize=(6.5, 3.5))
for name, row in result.best.set_index("score").iterrows():
    lt = lead_times(part[part["relapse"].notna()], columns[name], row["threshold"]).dropna()
    ax.hist(lt, bins=[0.5, 1.5, 2.5, 3.5, 4.5], histtype="step", label=f"{name} (n={len(lt)})")
ax.set_xlabel("提前期（季度）")
ax.set_ylabel("识别的返贫案例数")
ax.set_title("预警提前期分布")
ax.legend(fontsize=7)
show(fig)

# %% [markdown]
# ## 红黄蓝分级 · Official tiers (by triggers met) against the model's capacity-fitting tiers
# `tiered` rows: share of cases in any tier, monthly visit load and the budget.

# %%
tc = result.tier_comparison
display(tc.round(3))
loads = tc[tc["tier"].isin(["red", "yellow", "blue"])].pivot(
    index="scheme", columns="tier", values="load")[["red", "yellow", "blue"]]
ax = loads.plot.bar(stacked=True, color=["#c0392b", "#f1c40f", "#2e86c1"], figsize=(6.5, 3.5))
fig = ax.figure
ax.axhline(tc["budget"].max(), color="grey", linestyle="--", label="走访能力")
ax.set_xlabel("分级方案")
ax.set_ylabel("每月走访次数")
ax.set_title("各级走访负荷与走访能力")
ax.legend(["走访能力", "红", "黄", "蓝"], fontsize=7)
show(fig)
display(result.intervals.query("kind == 'tiers'")[cols].round(3))

# %% [markdown]
# ## 公平性 · Misses by subgroup and town at each chosen threshold
# A group whose share of misses exceeds its share of cases is under-served; rows marked
# `suppress` have too few households to publish (report.min_cell).

# %%
eq = result.equity.copy()
eq["组别"] = eq["group"].map(lambda g: SUBGROUP_LABELS.get(g, (g, g))[0])
display(eq[["score", "dimension", "组别", "households", "n_pos", "fn", "recall",
            "recall_ci_low", "recall_ci_high", "share_of_cases", "share_of_misses",
            "recall_gap", "suppress"]].round(3))

# %% [markdown]
# ## 决策曲线 · Decision curve (net benefit, Vickers & Elkin 2006)
# The dotted line marks the threshold probability implied by the visit and miss costs.

# %%
dc = result.decision_curve
fig, ax = plt.subplots(figsize=(6.5, 4))
for name, g in dc.groupby("score", sort=False):
    style = {"visit_all": ":", "visit_none": "-"}.get(name, "-")
    label = {"visit_all": "全部走访", "visit_none": "不走访", "rule_official": "官方规则"}.get(
        name, name)
    ax.plot(g["threshold_probability"], g["net_benefit"], style, label=label)
pt = recommended["costs"]["threshold_probability"]
if pt is not None:
    ax.axvline(pt, color="grey", linestyle=":")
prevalence = dc["n_pos"].iloc[0] / dc["n"].iloc[0]
ax.set_ylim(-0.5 * prevalence, 1.1 * prevalence)
ax.set_xlabel("阈值概率 p_t")
ax.set_ylabel("净获益（每户季）")
ax.set_title("决策曲线")
ax.legend(fontsize=7)
show(fig)

# %% [markdown]
# ## 监测线敏感性 · Monitoring-line sensitivity
# The label and the official rule recomputed with the line times each multiple (the last is
# the edge-household multiple); model flags stay those chosen on the base line.

# %%
ls = result.line_sensitivity
display(ls.round(3))
if not ls.empty:
    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    for name, g in ls.groupby("score", sort=False):
        ax.plot(g["multiplier"], g["recall"], "o-", label=f"{name} 召回率")
    base = ls.drop_duplicates("multiplier")
    ax.plot(base["multiplier"], base["prevalence"], "k--", label="返贫率（风险户）")
    ax.plot(base["multiplier"], base["rule_flagged_share_all"], "k:", label="官方规则预警比例")
    ax.set_xlabel("监测线倍数")
    ax.set_title("监测线变动的影响")
    ax.legend(fontsize=7)
    show(fig)
