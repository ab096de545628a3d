"""Report text in Chinese (first) and English: one place for every label a report shows."""

from __future__ import annotations

from relapse_models.core.schema import (
    CATEGORY_LABELS,
    DISASTER_TYPE_LABELS,
    MONITORING_TYPE_LABELS,
    RISK_TYPE_LABELS,
)

TEXT: dict[str, tuple[str, str]] = {
    # (zh, en)
    "county_title": ("{name}防止返贫动态监测分析报告（{year}年）",
                     "{name}: monitoring against relapse into poverty ({year})"),
    "index_title": ("防止返贫动态监测县域比较报告", "Monitoring against relapse into poverty: county comparison"),
    "synthetic_note": (
        "本报告数据为按公开数据校准的合成监测面板，并非真实农户数据。",
        "Data are a synthetic monitoring panel calibrated to published figures, not real households.",
    ),
    "headline": ("一、主要指标（与公开数据对照）", "1. Headline indicators against published figures"),
    "risk": ("二、风险分布", "2. Risk landscape"),
    "models": ("三、返贫风险模型", "3. Relapse-risk models"),
    "warning": ("四、预警阈值与走访能力", "4. Early-warning thresholds and visit capacity"),
    "quality": ("五、数据质量", "5. Data quality"),
    "methods": ("方法与来源", "Methods and provenance"),
    "calibration": ("校准与合理性检验（每个模拟年份）", "Calibration and plausibility guards (every simulated year)"),
    "calibration_warnings": ("校准警告", "Calibration warnings"),
    "no_warnings": ("无", "none"),
    "indicator": ("指标", "Indicator"),
    "published": ("公开数据", "Published"),
    "computed": ("计算值", "Computed"),
    "difference": ("相对差异", "Relative difference"),
    "source": ("来源", "Source"),
    "risk_type": ("风险类型", "Risk type"),
    "households": ("户数", "Households"),
    "town": ("乡镇", "Town"),
    "monitored_share": ("监测户占比", "Share monitored"),
    "quarter": ("季度", "Quarter"),
    "income_pc": ("人均纯收入（元/年，滚动四季度）", "Per-capita net income (yuan/year, rolling 4 quarters)"),
    "line": ("监测线", "Monitoring line"),
    "model": ("模型", "Model"),
    "score": ("评分", "Score"),
    "threshold": ("阈值", "Threshold"),
    "flagged_share": ("预警户占比", "Flagged share"),
    "recall": ("召回率", "Recall"),
    "precision": ("精确率", "Precision"),
    "lead_time": ("提前期中位数（季度）", "Median lead time (quarters)"),
    "capacity_share": ("走访能力可覆盖户占比", "Share of households visit capacity covers"),
    "table": ("数据表", "Table"),
    "rows_in": ("输入行数", "Rows in"),
    "kept": ("保留", "Kept"),
    "quarantined": ("隔离", "Quarantined"),
    "config_hash": ("配置哈希 (config hash)", "Config hash"),
    "git_commit": ("代码版本 (git commit)", "Git commit"),
    "input_fingerprint": ("输入数据指纹", "Input fingerprint"),
    "run_date": ("运行日期", "Run date"),
    "packages": ("软件包版本", "Package versions"),
    "county": ("县（市、区）", "County"),
    "best_model": ("最佳模型", "best model"),
    "driver": ("风险因素", "Driver"),
    "odds_ratio": ("比值比 [95%置信区间]", "Odds ratio [95% CI]"),
    "transfer": ("跨县迁移（留一县验证）AUC", "Transfer to an unseen county (leave-one-county-out) AUC"),
    "out_of_time_auc": ("样本外（次年）AUC", "Out-of-time (next year) AUC"),
    "oracle": ("真实概率（合成数据的理想上限）", "Oracle (the generator's true probability)"),
    # early-warning figures and tables
    "missed": ("未识别", "missed"),
    "lead_time_quarters": ("提前期（季度）", "Lead time (quarters)"),
    "cases": ("返贫案例数", "Relapse cases"),
    "lead_time_title": ("预警提前期分布（能力约束下的阈值）",
                        "Lead time at each threshold within capacity"),
    "tier_red": ("红色（半月一访）", "red (every half month)"),
    "tier_yellow": ("黄色（每月一访）", "yellow (monthly)"),
    "tier_blue": ("蓝色（每季一访）", "blue (quarterly)"),
    "capacity": ("走访能力", "Visit capacity"),
    "visits_per_month": ("每月走访次数", "Visits per month"),
    "tier_load_title": ("红黄蓝分级的走访负荷与走访能力", "Tier visit load against capacity"),
    "tier_recall_title": ("分级覆盖的返贫案例比例（95%置信区间；空心=超出走访能力）",
                          "Share of relapses in a tier (95% CI; hollow = over capacity)"),
    "visit_all": ("全部走访", "Visit all"),
    "visit_none": ("不走访", "Visit none"),
    "threshold_probability": ("阈值概率 p_t", "Threshold probability p_t"),
    "net_benefit": ("净获益（每户季）", "Net benefit (per household-quarter)"),
    "decision_curve_title": ("决策曲线", "Decision curve"),
    "prevalence": ("返贫率（风险户）", "Relapse rate (at-risk households)"),
    "rule_flagged_share": ("官方规则预警比例", "Share the official rule flags"),
    "line_multiple": ("监测线倍数", "Monitoring line multiple"),
    "line_sensitivity_title": ("监测线变动的影响", "When the monitoring line moves"),
    "tier_comparison": ("官方分级与模型分级对照", "Official tiers against model tiers"),
    "scheme": ("分级方案", "Tier scheme"),
    "load": ("每月走访负荷", "Monthly visit load"),
    "budget": ("走访能力（次/月）", "Capacity (visits/month)"),
    "fits_capacity": ("在走访能力内", "Within capacity"),
    "recall_ci": ("召回率 [95%置信区间]", "Recall [95% CI]"),
    "recall_diff": ("与官方分级之差 [95%置信区间]", "Difference from official tiers [95% CI]"),
    "verdict": ("模型分级更优", "Model tiers better"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "lead_time_table": ("提前期分布", "Lead-time distribution"),
    "equity": ("公平性：各群体漏报", "Equity: misses by group"),
    "group": ("群体", "Group"),
    "share_of_cases": ("占返贫案例比例", "Share of cases"),
    "share_of_misses": ("占漏报比例", "Share of misses"),
    "case_recall": ("按返贫案例的召回率", "Recall by relapse episode"),
    "line_sensitivity": ("监测线敏感性", "Monitoring-line sensitivity"),
    "decision_curve": ("决策曲线（成本为假设值）", "Decision curve (assumed costs)"),
    "tiers_heading": ("红黄蓝分级", "Red, yellow and blue tiers"),
    "medical_burden": ("医疗负担", "Medical burden"),
    "catastrophic_share": ("灾难性医疗支出户占比（%）", "Households with catastrophic health spending (%)"),
    "oop_to_line": ("自付医疗费用/监测线（均值）", "Out-of-pocket medical cost / line (mean)"),
    "disaster_exposure": ("灾害暴露", "Disaster exposure"),
    "disaster_share": ("本季受灾户占比（%）", "Households hit by a disaster this quarter (%)"),
    "disaster_type": ("灾害类型", "Disaster type"),
    "towns_monitored": ("各乡镇监测户占比（%，同一刻度）", "Share monitored by town (%, same scale)"),
    "poverty_alleviated": ("脱贫户", "Poverty-alleviated"),
    "general_households": ("一般农户", "Other households"),
    "rule": ("规则", "Rule"),
    "rows_quarantined": ("隔离行数", "Rows quarantined"),
    "period": ("季度", "Quarter"),
    "suppressed_note": ("少于{min_cell}户的单元格不显示。", "Cells with fewer than {min_cell} households are suppressed."),
}

MODEL_LABELS: dict[str, tuple[str, str]] = {
    "rule": ("官方筛查规则", "Official screening rule"),
    "logit": ("Logit 回归（村聚类稳健标准误）", "Logit (village-clustered SE)"),
    "hazard": ("离散时间风险模型", "Discrete-time hazard"),
    "gbm": ("梯度提升树（校准）", "Gradient boosting (calibrated)"),
    "vulnerability": ("脆弱性（预期贫困）", "Vulnerability (expected poverty)"),
    "oracle": ("真实概率", "Oracle"),
    "official": ("官方红黄蓝分级", "Official tiers"),
    "rule_official": ("官方规则（任一触发）", "Official rule (any trigger)"),
}


INDICATOR_LABELS: dict[str, tuple[str, str]] = {
    "monitoring_households_cumulative": ("累计识别监测对象（户）", "Monitoring households, cumulative"),
    "monitoring_persons_cumulative": ("累计识别监测对象（人）", "Monitoring persons, cumulative"),
    "monitoring_households_new": ("当年新增监测对象（户）", "New monitoring households"),
    "monitoring_persons_new": ("当年新增监测对象（人）", "New monitoring persons"),
    "eliminated_households": ("已消除风险（户）", "Risk eliminated, households"),
    "eliminated_persons": ("已消除风险（人）", "Risk eliminated, persons"),
    "elimination_rate": ("风险消除率（按人）", "Elimination rate (persons)"),
    "income_per_capita": ("脱贫人口人均纯收入", "Per-capita net income, poverty-alleviated"),
    "income_growth": ("脱贫人口人均纯收入增速", "Income growth, poverty-alleviated"),
    "income_per_capita_relocated": ("易地搬迁脱贫人口人均纯收入", "Per-capita net income, relocated"),
    "income_growth_relocated": ("易地搬迁脱贫人口收入增速", "Income growth, relocated"),
    "medical_reimbursement_rate": ("住院费用报销比例", "Medical reimbursement rate"),
    "dibao_households": ("农村低保（户）", "Dibao households"),
    "dibao_persons": ("农村低保（人）", "Dibao persons"),
    "public_welfare_jobs": ("公益性岗位安置（人）", "Public-welfare jobs"),
    "workers": ("脱贫人口务工（人）", "Migrant and local workers"),
    "houses_renovated": ("危房改造（户）", "Dangerous houses renovated"),
}

INDICATOR_LABELS.update({
    "not_eliminated_households": ("未消除风险（户）", "Risk not eliminated, households"),
    "not_eliminated_persons": ("未消除风险（人）", "Risk not eliminated, persons"),
    "monitoring_share_poverty_alleviated": ("监测对象占脱贫人口比例", "Monitored persons / poverty-alleviated persons"),
    "monitoring_share_rural": ("监测对象占农村人口比例", "Monitored persons / rural persons"),
    "structure.persons": ("农村人口（人）", "Rural persons"),
    "structure.poverty_alleviated_households": ("脱贫户（户）", "Poverty-alleviated households"),
    "structure.poverty_alleviated_persons": ("脱贫人口（人）", "Poverty-alleviated persons"),
})
for _code, _zh in MONITORING_TYPE_LABELS.items():
    for _unit, _u, _en in (("households", "户", "households"), ("persons", "人", "persons")):
        INDICATOR_LABELS[f"monitoring_{_unit}_cumulative_{_code}"] = (
            f"累计识别{_zh}（{_u}）", f"Monitoring {_en}, cumulative: {_code}")
        INDICATOR_LABELS[f"monitoring_{_unit}_new_{_code}"] = (
            f"当年新增{_zh}（{_u}）", f"New monitoring {_en}: {_code}")
        INDICATOR_LABELS[f"eliminated_{_unit}_{_code}"] = (
            f"{_zh}已消除风险（{_u}）", f"Risk eliminated, {_en}: {_code}")


def indicator_label(key: str, language: str = "zh") -> str:
    """Display name of a reconciled indicator (the key itself when none is known)."""
    zh, en = INDICATOR_LABELS.get(key, (key, key))
    return zh if language == "zh" else en


def t(key: str, language: str = "zh", **fmt: object) -> str:
    """The label ``key`` in ``language`` (``zh`` or ``en``), formatted with ``fmt``."""
    zh, en = TEXT[key]
    text = zh if language == "zh" else en
    return text.format(**fmt) if fmt else text


def code_label(kind: str, code: str | None, language: str = "zh") -> str:
    """Chinese label of a code (risk type, category, monitoring type); the code in English."""
    tables = {
        "risk_type": RISK_TYPE_LABELS,
        "category": CATEGORY_LABELS,
        "monitoring_type": MONITORING_TYPE_LABELS,
        "disaster_type": DISASTER_TYPE_LABELS,
    }
    if code is None:
        return "—"
    if language != "zh":
        return code.replace("_", " ")
    return tables[kind].get(code, code)


def model_label(name: str, language: str = "zh") -> str:
    zh, en = MODEL_LABELS.get(name, (name, name))
    return zh if language == "zh" else en


SUBGROUP_LABELS: dict[str, tuple[str, str]] = {
    "all": ("全部", "All households"),
    "elderly": ("有老年人口户", "With elderly members"),
    "disabled": ("有残疾人口户", "With disabled members"),
    "chronic_ill": ("有慢性病人口户", "With chronically ill members"),
    "relocated": ("易地扶贫搬迁户", "Relocated"),
    "poverty_alleviated": ("脱贫户", "Poverty-alleviated"),
    "general": ("一般农户", "General households"),
}
"""Equity group -> (Chinese, English) label for tables and figures."""


FEATURE_LABELS: dict[str, tuple[str, str]] = {
    "income_ratio": ("人均纯收入/监测线", "income / line"),
    "income_yoy_drop": ("收入同比降幅", "income drop y/y"),
    "income_yoy_known": ("有上年收入", "prior-year income known"),
    "income_trend": ("收入趋势", "income trend"),
    "income_volatility": ("收入波动", "income volatility"),
    "wage_share": ("工资性收入占比", "wage share"),
    "transfer_share": ("转移性收入占比", "transfer share"),
    "log_income_ratio": ("人均纯收入/监测线（对数）", "income / line (log)"),
    "log_market_income_ratio": ("不含转移的人均收入/监测线（对数）", "income without transfers / line (log)"),
    "oop_share": ("自付医疗费/收入", "out-of-pocket medical / income"),
    "oop_to_line": ("人均自付医疗费/监测线", "out-of-pocket medical / line"),
    "catastrophic_health": ("灾难性医疗支出", "catastrophic health spending"),
    "any_chronic_ill": ("有慢性病成员", "chronic illness"),
    "any_disabled": ("有残疾成员", "disability"),
    "disaster_hh_4q": ("近4季度受灾", "disaster, last 4 quarters"),
    "disaster_loss_share": ("灾害损失/收入", "disaster loss / income"),
    "village_disaster_share": ("本村受灾户占比", "village share hit by disaster"),
    "quarters_since_serious_illness": ("距上次大病季度数", "quarters since serious illness"),
    "quarters_since_severe_disaster": ("距上次重大灾损季度数", "quarters since severe disaster loss"),
    "quarters_since_wage_collapse": ("距工资性收入骤降季度数", "quarters since wage collapse"),
    "quarters_since_shock": ("距上次冲击季度数", "quarters since any shock"),
    "household_size": ("家庭人口", "household size"),
    "labour_share": ("劳动力占比", "labour share"),
    "no_labour": ("缺劳动力", "no labour"),
    "dependency_ratio": ("抚养比", "dependency ratio"),
    "elderly_share": ("老年人占比", "elderly share"),
    "head_age": ("户主年龄", "head's age"),
    "head_female": ("女性户主", "female head"),
    "head_education_years": ("户主受教育年限", "head's years of schooling"),
    "relocated": ("易地扶贫搬迁", "relocated"),
    "poverty_alleviated": ("脱贫户", "poverty-alleviated household"),
    "years_since_exit": ("脱贫年限", "years since poverty exit"),
    "dibao": ("低保", "dibao"),
    "public_welfare_job": ("公益性岗位", "public-welfare job"),
    "housing_unsafe": ("住房不安全", "unsafe housing"),
    "water_unsafe": ("饮水不安全", "unsafe water"),
    "monitored_now": ("在监测中", "monitored now"),
    "eliminated_now": ("风险已消除", "risk eliminated"),
    "ever_identified": ("曾纳入监测", "ever identified"),
    "quarters_since_elimination": ("风险消除后季度数", "quarters since elimination"),
    "Intercept": ("截距", "intercept"),
}
"""Display names of the features (Chinese, English) for tables and figures."""


def feature_label(name: str, language: str = "zh") -> str:
    """Display name of a feature or model term (the name itself when none is known)."""
    zh, en = FEATURE_LABELS.get(name, (name, name))
    return zh if language == "zh" else en
