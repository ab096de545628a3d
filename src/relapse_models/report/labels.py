"""Report text in Chinese (first) and English: one place for every label a report shows."""

from __future__ import annotations

from relapse_models.schema import (
    CATEGORY_LABELS,
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
}

MODEL_LABELS: dict[str, tuple[str, str]] = {
    "rule": ("官方筛查规则", "Official screening rule"),
    "logit": ("Logit 回归（村聚类稳健标准误）", "Logit (village-clustered SE)"),
    "hazard": ("离散时间风险模型", "Discrete-time hazard"),
    "gbm": ("梯度提升树（校准）", "Gradient boosting (calibrated)"),
    "vulnerability": ("脆弱性（预期贫困）", "Vulnerability (expected poverty)"),
    "oracle": ("真实概率", "Oracle"),
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
    }
    if code is None:
        return "—"
    if language != "zh":
        return code.replace("_", " ")
    return tables[kind].get(code, code)


def model_label(name: str, language: str = "zh") -> str:
    zh, en = MODEL_LABELS.get(name, (name, name))
    return zh if language == "zh" else en
