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
    "households": ("户数（样本）", "Households (sample)"),
    "town": ("乡镇", "Town"),
    "monitored_share": ("监测户占比（占户数）", "Share of households monitored"),
    "quarter": ("季度", "Quarter"),
    "income_pc": ("人均纯收入（元/年，滚动四季度）", "Per-capita net income (yuan/year, rolling 4 quarters)"),
    "line": ("监测线", "Monitoring line"),
    "model": ("模型", "Model"),
    "score": ("评分", "Score"),
    "threshold": ("阈值", "Threshold"),
    "flagged_share": ("预警户占比（占户数）", "Share of households flagged"),
    "recall": ("召回率", "Recall"),
    "precision": ("精确率", "Precision"),
    "lead_time": ("提前期中位数（季度）", "Median lead time (quarters)"),
    "capacity_share": ("走访能力可覆盖户占比", "Share of households visit capacity covers"),
    "table": ("数据表", "Table"),
    "rows_in": ("输入行数", "Rows in"),
    "kept": ("保留", "Kept"),
    "quarantined": ("隔离", "Quarantined"),
    "config_hash": ("配置指纹", "Config hash"),
    "git_commit": ("代码版本", "Git commit"),
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
    "tier_recall_title": ("分级覆盖率：返贫户季落入分级的比例（95%置信区间；空心=超出走访能力）",
                          "Share of relapses in a tier (95% CI; hollow = over capacity)"),
    "visit_all": ("全部走访", "Visit all"),
    "visit_none": ("不走访", "Visit none"),
    "threshold_probability": ("阈值概率 p_t", "Threshold probability p_t"),
    "net_benefit": ("净获益（每户季）", "Net benefit (per household-quarter)"),
    "decision_curve_title": ("决策曲线", "Decision curve"),
    "prevalence": ("返贫率（风险户）", "Relapse rate (at-risk households)"),
    "rule_flagged_share": ("官方规则预警比例", "Share the official rule flags"),
    "line_multiple": ("监测线倍数", "Monitoring line multiple"),
    "line_sensitivity_title": ("监测线上调的影响", "When the monitoring line is raised"),
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
    "catastrophic_share": ("灾难性医疗支出户占比（%，占样本户）", "Share of sample households with catastrophic health spending (%)"),
    "oop_to_line": ("自付医疗费用/监测线（均值）", "Out-of-pocket medical cost / line (mean)"),
    "disaster_exposure": ("灾害暴露", "Disaster exposure"),
    "disaster_share": ("本季受灾户占比（%，占样本户）", "Share of sample households hit by a disaster this quarter (%)"),
    "disaster_type": ("灾害类型", "Disaster type"),
    "towns_monitored": ("各乡镇监测户占比（%，占样本户，同一刻度）", "Share of sample households monitored by town (%, same scale)"),
    "poverty_alleviated": ("脱贫户", "Poverty-alleviated"),
    "general_households": ("一般农户", "Other households"),
    "rule": ("规则", "Rule"),
    "rows_quarantined": ("隔离行数", "Rows quarantined"),
    "period": ("季度", "Quarter"),
    # explorer, summary, data statement, captions
    "explorer": ("阈值探索器", "Threshold explorer"),
    "explorer_note": (
        "拖动滑块改变走访能力（可重点走访的农户占比），或选择评分：下方数字、曲线上的黑点、"
        "红黄蓝分级走访量和各群体召回率随之更新。所有数字取自预先计算的阈值表，离线可用。",
        "Move the slider to change the visit capacity (share of households that can be "
        "visited), or choose a score: the numbers, the black dot on the curve, the tier visits "
        "and each group's recall follow. Every number is a row of the precomputed threshold "
        "grid; the page works offline."),
    "explorer_capacity": ("走访能力（农户占比）", "Visit capacity (share of households)"),
    "explorer_model": ("评分", "Score"),
    "explorer_numbers": ("该能力下的阈值与效果", "Threshold and what it catches"),
    "explorer_curve": ("召回率与预警户占比（虚线=走访能力）",
                       "Recall against share flagged (dashed: capacity)"),
    "explorer_tiers": ("红黄蓝分级每月走访次数与走访能力", "Monthly tier visits against capacity"),
    "explorer_equity": ("各群体召回率", "Recall by group"),
    "explorer_tier_households": ("红/黄/蓝户数", "Red / yellow / blue households"),
    "explorer_visits": ("每月走访次数 / 走访能力", "Visits a month / capacity"),
    "explorer_alt": (
        "交互图：左侧为所选走访能力下的阈值、召回率、精确率、提前期和分级走访量，右侧为各评分的"
        "召回率曲线与各群体召回率。",
        "Interactive chart: on the left the threshold, recall, precision, lead time and tier "
        "visits at the chosen capacity; on the right each score's recall curve and each "
        "group's recall."),
    "recall_rows": ("召回率", "Recall"),
    "recall_definition": (
        "召回率：未来{horizon}个季度内会返贫的农户季度记录中，被预警的比例（按户季计）。"
        "区间为按村重复抽样的95%置信区间。",
        "Recall: of the household-quarters that relapse within {horizon} quarters, the share "
        "flagged. Intervals are 95 % intervals from resampling villages."),
    "summary": ("摘要", "Summary"),
    "data_synthetic": (
        "数据来源：按公开数据校准的合成监测样本（不是真实农户）。样本为全县规模的{scale}，"
        "共{households}户；“主要指标”一节的户数、人数已放大到全县（除以{scale}），其余各节均为样本户数。",
        "Data: a synthetic monitoring sample calibrated to published figures (not real "
        "households). The sample is {scale} of the county's size, {households} households; "
        "counts in the headline section are scaled up to the county (divided by {scale}), every other "
        "section counts the sample."),
    "data_absent": ("导出数据中没有以下内容，相关特征、规则条件和图表均未使用：{domains}。",
                    "The exports have no {domains}: the features, rule triggers and charts built "
                    "on them are left out."),
    "section_absent": ("*导出数据中没有{domain}，本节从略。*", "*The exports have no {domain}: this section is left out.*"),
    "fit_notes": ("模型拟合说明", "Notes on the fits"),
    "fit_not_fitted": ("{model}未拟合，不参与比较：{reason}", "{model} was not fitted and is not compared: {reason}"),
    "fit_warning": ("{model}：{warning}", "{model}: {warning}"),
    "tuning_skipped": ("梯度提升树的超参数未在调参年份选择，使用默认值：{reason}",
                       "The gradient boosting's settings were not chosen on the tuning year (defaults used): {reason}"),
    "vulnerability_left_out": ("{model}不参与比较：{note}", "{model} is left out of the comparisons: {note}"),
    "data_files": (
        "数据来源：县级监测系统导出数据（{start}至{end}），共{households}户；各节均为导出数据中的户数。",
        "Data: the county's monitoring-system exports ({start} to {end}), {households} "
        "households; every section counts the exported households."),
    "data_synthetic_index": (
        "数据来源：按公开数据校准的合成监测样本（不是真实农户），样本为各县规模的{scale}；"
        "主要指标中的户数、人数已放大到全县。",
        "Data: synthetic monitoring samples calibrated to published figures (not real "
        "households), {scale} of each county's size; headline counts are scaled up to the county."),
    "data_files_index": ("数据来源：各县监测系统导出数据。", "Data: the counties' monitoring-system exports."),
    "published_bracket": ("括号内为公开发布的数字；括号外为本工具的计算值。",
                          "In brackets: the published figure; outside: the computed one."),
    "caption_headline": ("表：主要指标，公开数据与计算值对照（户数、人数为放大到全县的值）",
                         "Table: headline indicators, published against computed (counts scaled to the county)"),
    "caption_risk": ("表：曾被识别为监测对象的样本户，按首次记录的风险类型（户数）",
                     "Table: sample households ever identified, by first recorded risk type (households)"),
    "caption_towns": ("表：各乡镇最后一个季度的样本户数与监测户占比",
                      "Table: sample households and share monitored by town, last quarter"),
    "caption_disaster_types": ("表：曾受灾的样本户，按灾害类型（户数）",
                               "Table: sample households ever hit, by disaster type (households)"),
    "caption_models": ("表：各模型在检验年（样本外）的区分度与校准（召回率见第四节）",
                       "Table: each model's discrimination and calibration in the test year (recall: section 4)"),
    "caption_coefficients": ("表：Logit 模型的比值比（村聚类稳健95%置信区间，按p值排序）",
                             "Table: the logit's odds ratios (village-clustered 95% CI, by p-value)"),
    "caption_capacity": ("表：各评分在本县走访能力下的阈值与效果（本页唯一的召回率来源）",
                         "Table: each score's threshold within the county's visit capacity and what it catches (this page's one source of recall)"),
    "caption_tiers": ("表：官方分级与模型分级的走访负荷和覆盖率（负荷不同，不判定优劣）",
                      "Table: official and model tiers, visit load and coverage (loads differ: no winner named)"),
    "caption_lead": ("表：在能力内阈值下，返贫案例按提前预警季度数分布（案例数）",
                     "Table: relapse cases by quarters of warning, at the threshold within capacity (cases)"),
    "caption_equity": ("表：各群体的召回率和漏报占比（推荐评分与官方规则）",
                       "Table: recall and share of misses by group (recommended score and official rule)"),
    "caption_line": ("表：监测线上调后的返贫率、预警比例和召回率（×1.0 即第四节的结果）",
                     "Table: relapse rate, share flagged and recall when the line is raised (×1.0 is section 4)"),
    "caption_lines": ("表：各年监测线及其来源", "Table: the monitoring line of each year and its source"),
    "caption_guards": ("表：各模拟年份的合理性检查（区间与依据）",
                       "Table: plausibility checks of each simulated year (band and anchor)"),
    "caption_quality": ("表：数据清洗，各表输入、保留和隔离的行数", "Table: cleaning, rows in, kept and quarantined per table"),
    "caption_rules": ("表：按清洗规则隔离的行数", "Table: rows quarantined per cleaning rule"),
    "caption_provenance": ("表：代码、配置和数据版本", "Table: code, configuration and data versions"),
    "caption_matrix": ("表：各县主要指标（计算值，括号内为公开数据）",
                       "Table: headline indicators by county (computed; published in brackets)"),
    "caption_auc_oot": ("表：各县各模型样本外（次年）AUC", "Table: out-of-time AUC by county and model"),
    "caption_auc_loco": ("表：各县各模型留一县验证 AUC", "Table: leave-one-county-out AUC by county and model"),
    "caption_thresholds_index": ("表：各县走访能力下官方规则与最佳模型的召回率",
                                 "Table: recall of the official rule and the best model within each county's capacity"),
    "caption_tiers_index": ("表：各县官方分级与最佳模型分级（负荷不同，不判定优劣）",
                            "Table: official and best-model tiers by county (loads differ: no winner named)"),
    "load_ratio": ("负荷/能力", "Load / capacity"),
    "coverage_ci": ("分级覆盖率 [95%置信区间]", "Share of cases in a tier [95% CI]"),
    "unequal_load_note": (
        "官方分级与模型分级的每月走访负荷不同，覆盖率不能直接比较，因此不判定哪一方更优；"
        "同等负荷下的比较见上方能力内阈值表。",
        "The official and model tiers make different monthly visit loads, so their coverage is "
        "not comparable and no winner is named; the comparison at equal load is the "
        "threshold table above."),
    "unstable": ("不稳定", "unstable"),
    "unstable_note": ("“不稳定”：区间跨越两个数量级以上或估计值极端（常因该因素几乎没有变异），不宜解读。",
                      "'unstable': the interval spans more than two orders of magnitude or the "
                      "estimate is extreme (often a factor that hardly varies); do not read it."),
    "cases_few": ("案例少于{min_cell}户", "fewer than {min_cell} households with cases"),
    "income_median": ("人均纯收入中位数（元/年，滚动四季度，样本户）",
                      "Median per-capita net income (yuan/year, rolling 4 quarters, sample)"),
    "below_range": ("（部分低于图示范围）", " (partly below the plotted range)"),
    "decision_cost_line": ("成本隐含的阈值概率", "Threshold probability the costs imply"),
    "index_headline": ("一、主要指标（与公开数据对照）", "1. Headline indicators against published figures"),
    "index_models": ("二、返贫风险模型", "2. Relapse-risk models"),
    "index_warning": ("三、预警阈值与走访能力", "3. Early-warning thresholds and visit capacity"),
    "gain_small_title": ("各县召回率曲线（竖线=本县走访能力）", "Recall curves by county (vertical line: the county's capacity)"),
    "table_households": ("农户表", "Households"),
    "table_panel": ("季度面板", "Quarterly panel"),
    "table_events": ("事件表", "Events"),
    "pages_title": ("{name}防止返贫动态监测分析报告", "{name}: monitoring against relapse into poverty"),
    "recall_diff_rule": ("与官方规则之差 [95%置信区间]", "Difference from the official rule [95% CI]"),
    "official_rule": ("官方规则", "official rule"),
    "income_baseline": ("收入基线", "income baseline"),
    "recall_diff_baseline": ("与收入基线之差 [95%置信区间]", "Difference from the income baseline [95% CI]"),
    "same_as_baseline": ("0（与收入基线预警的是同一批户）", "0 (the same households as the income baseline)"),
    "same_as_rule": ("0（与官方规则预警的是同一批户）", "0 (the same households as the official rule)"),
    "reliability": ("可靠性", "Reliability"),
    "lead_quarters": ("提前{n}季", "{n} quarter(s) ahead"),
    "recall_line": ("上调后的召回率", "Recall at the raised line"),
    # alt text: what each figure shows
    "alt_risk": ("横向柱状图：样本户按首次记录的风险类型计的户数，最多的是{top}。",
                 "Horizontal bars: sample households by first recorded risk type; most: {top}."),
    "alt_towns": ("小多图：{n}个乡镇各季度监测户占样本户的比例（%），各图刻度相同。",
                  "Small multiples: share of sample households monitored in each of {n} towns by quarter (%), same scale."),
    "alt_income": ("折线图：脱贫户与一般农户人均纯收入中位数（滚动四季度）按季度变化，虚线为监测线。",
                   "Line chart: median per-capita net income (rolling 4 quarters) of poverty-alleviated and other households by quarter; dashed: the monitoring line."),
    "alt_medical": ("折线图：各季度发生灾难性医疗支出的样本户占比（%）。",
                    "Line chart: share of sample households with catastrophic health spending by quarter (%)."),
    "alt_disaster": ("折线图：各季度受灾样本户占比（%）。",
                     "Line chart: share of sample households hit by a disaster by quarter (%)."),
    "alt_tier_recall": ("点图：各分级方案覆盖返贫户季的比例及95%置信区间，空心点表示超出走访能力。",
                        "Dot plot: share of relapse household-quarters in each tier scheme with 95% CI; hollow: over capacity."),
    "alt_tier_loads": ("堆积柱状图：各分级方案红黄蓝三级每月走访次数，虚线为走访能力。",
                       "Stacked bars: monthly visits of each tier scheme by red, yellow and blue; dashed: capacity."),
    "alt_lead": ("分组柱状图：能力内阈值下返贫案例按提前预警季度数的分布，“未识别”为未提前预警的案例。",
                 "Grouped bars: relapse cases by quarters of warning at the threshold within capacity; 'missed': not flagged ahead."),
    "alt_decision": ("折线图：各评分的净获益随阈值概率变化，黑色虚线与点线为不走访和全部走访，点划线为成本隐含的阈值概率。",
                     "Line chart: each score's net benefit against the threshold probability; black lines: visit none and visit all; dash-dot: the probability the costs imply."),
    "alt_line": ("折线图：监测线上调到×{mults}时，各评分的召回率、返贫率和官方规则预警比例。",
                 "Line chart: each score's recall, the relapse rate and the rule's flagged share with the line raised to ×{mults}."),
    "alt_gain_index": ("小多图：{n}个县各评分的召回率随预警户占比变化，竖虚线为各县走访能力。",
                       "Small multiples: recall against share flagged for each score in {n} counties; dashed vertical line: each county's capacity."),
    "suppressed_note": ("少于{min_cell}户的单元格不显示。", "Cells with fewer than {min_cell} households are suppressed."),
    "robustness": ("稳健性：不同返贫生成机制下的比较", "Robustness: the comparison under each truth mechanism"),
    "robustness_intro": (
        "合成数据的结论取决于对返贫如何发生的假设。以下每种机制都校准到相同的公开数据，模型和基线按同样方式拟合和评估；"
        "只有在所有机制下都成立（配对区间均不含0且胜者相同）的比较才作为结论。",
        "What synthetic data say depends on how relapse is assumed to arise. Each mechanism below "
        "is calibrated to the same published figures, and the models and baselines are fitted and "
        "evaluated the same way; only a comparison that holds under every mechanism (every paired "
        "interval excludes 0, with the same winner) is stated as a finding."),
    "robustness_panel": (
        "每种机制模拟{households:,}户（规模{scale:.4g}）；本次运行的机制取自上方主表。",
        "Each mechanism simulates {households:,} households (scale {scale:.4g}); the run's own "
        "mechanism is the main table's above."),
    "robustness_panel_capped": (
        "本次运行有{run:,}户，超过robustness.max_households：为控制计算量，所有机制（包括本次运行的机制）"
        "均以较小规模{scale:.4g}重新模拟，共{households:,}户，因此本表中本次运行机制的数值与上方主表不同。",
        "The run has {run:,} households, above robustness.max_households: to bound the cost, every "
        "mechanism (the run's own included) is simulated again at the smaller scale {scale:.4g}, "
        "{households:,} households, so this table's row for the run's mechanism differs from the "
        "main table above."),
    "caption_robustness": ("走访能力下的召回率 [95%置信区间]，全部县合并，检验年份", "Recall at capacity [95% CI], all counties pooled, test year"),
    "caption_robustness_pr": ("PR-AUC [95%置信区间]，全部县合并，检验年份", "PR-AUC [95% CI], all counties pooled, test year"),
    "caption_robustness_oe": ("实际/预测发生数之比 O/E [95%置信区间]（1为校准良好；大于1为低估风险），全部县合并，检验年份", "Observed / expected O/E [95% CI] (1 is well calibrated; above 1 under-predicts), all counties pooled, test year"),
    "robustness_holds": ("在所有机制下成立：{metric}上，{winner}优于{loser}。", "Holds under every mechanism: on {metric}, {winner} beats {loser}."),
    "robustness_none": ("没有一项模型与基线（或两模型之间）的比较在所有机制下都成立。",
                        "No comparison of a model with a baseline (or of two models) holds under every mechanism."),
    "drift": ("模型随时间的稳定性", "Model stability over time"),
    "drift_intro": (
        "模型只用{until}年及以前的数据训练一次，再分别评估此后每个有结果的年份（{years}）；"
        "人群稳定性指数（PSI）衡量各输入变量的分布相对训练期的变化，超过{threshold}即标记。"
        "建议规则：有输入PSI超过阈值或召回率低于第一个评估年的区间时重新拟合；"
        "否则实际/预测之比的区间不含1时重新校准；否则保持。",
        "The models are trained once on the years up to {until} and evaluated on each later "
        "year with known outcomes ({years}) separately; the population stability index (PSI) "
        "measures how far each input moved from the training years, flagged above {threshold}. "
        "Rule: refit when an input's PSI exceeds the threshold or recall falls below the first "
        "later year's interval; otherwise recalibrate when observed/expected's interval excludes 1; "
        "otherwise keep."),
    "caption_drift": ("各年份的模型表现 [95%置信区间]、人群变化与建议", "Each later year's figures [95% CI], population shift and advice"),
    "caption_recalibration": ("逻辑再校准（截距与斜率）在次年的效果 [95%置信区间]", "Logistic recalibration (intercept and slope): its effect on the following year [95% CI]"),
    "year": ("年份", "Year"),
    "drift_recall_at_capacity": ("走访能力下召回率", "Recall at capacity"),
    "drift_precision_at_capacity": ("走访能力下精确率", "Precision at capacity"),
    "drift_pr_auc": ("PR-AUC", "PR-AUC"),
    "drift_o_e": ("实际/预测 O/E", "Observed / expected"),
    "drift_max_psi": ("最大PSI", "Largest PSI"),
    "drift_flagged": ("PSI超阈值的变量", "Inputs above the PSI threshold"),
    "drift_action": ("建议", "Advice"),
    "drift_keep_none": ("保持", "keep"),
    "drift_recalibrate_o_e": ("重新校准（O/E区间不含1）", "recalibrate (O/E interval excludes 1)"),
    "drift_refit_psi": ("重新拟合（输入分布变化）", "refit (inputs shifted)"),
    "drift_refit_recall": ("重新拟合（召回率下降）", "refit (recall dropped)"),
    "drift_fit_year": ("校准年", "Fitted on"),
    "drift_apply_year": ("应用年", "Applied to"),
    "drift_intercept_slope": ("截距 / 斜率", "Intercept / slope"),
    "drift_o_e_raw": ("校准前 O/E", "O/E before"),
    "drift_o_e_recal": ("校准后 O/E", "O/E after"),
    "drift_brier_diff": ("Brier变化（后−前）", "Brier change (after − before)"),
    "drift_better": ("较优", "Better"),
    "drift_better_recalibrated": ("再校准", "recalibrated"),
    "drift_better_raw": ("原始", "raw"),
    "drift_better_none": ("无胜者（区间含0）", "no winner (interval spans 0)"),
    "drift_better_withheld": ("无区间，不判定", "no interval, not judged"),
    "drift_note": ("说明", "Note"),
    "drift_note_one_outcome": ("该年份只有一种结果（无返贫或全部返贫），无法再校准",
                               "that year holds one outcome only: nothing to recalibrate on"),
    "drift_note_constant_score": ("评分全部相同，无法再校准",
                                  "every score is equal: nothing to recalibrate on"),
    "robustness_some": ("仅在部分机制下成立（不作为结论）：{items}。", "Holds under some mechanisms only (not a finding): {items}."),
    # policy what-if page (notebooks/06_whatif.py, report/whatif.py)
    "whatif_title": ("政策情景模拟（反事实）", "Policy what-if (counterfactual simulation)"),
    "whatif_intro": ("{county}：同一批模拟农户与冲击（共同随机数）在不同政策参数下重放，{seeds}个随机种子；"
                     "差值为情景减基线，按种子配对，95%区间。",
                     "{county}: the same simulated households and shocks (common random numbers) replayed "
                     "under changed policy levers, {seeds} seeds; differences are scenario minus baseline, "
                     "paired by seed, 95 % intervals."),
    "whatif_results": ("结果", "Results"),
    "whatif_calibration": ("生成器校准", "Generator calibration"),
    "whatif_calibration_ok": ("每次模拟都达到了公布数字的校准目标。",
                              "Every simulation met the published figures it is calibrated to."),
    "whatif_calibration_notes": ("以下模拟未达到某些公布数字的校准目标；上表结果即在这些面板上测得，"
                                 "相关指标应结合这些说明阅读。",
                                 "These simulations missed some published figures they are "
                                 "calibrated to; the results above are measured on those panels, "
                                 "so read the outcomes concerned with these notes."),
    "caption_whatif_calibration": ("表：生成器校准说明（情景及出现的种子数）",
                                   "Table: the generator's calibration notes (scenarios and "
                                   "number of seeds)"),
    "whatif_note": ("说明", "Note"),
    "whatif_note_seeds": ("种子数", "Seeds"),
    "whatif_figure_title": ("各情景相对基线的配对差值", "Each scenario's paired difference from the baseline"),
    "whatif_figure_alt": ("{n}个情景在{k}项指标上相对基线的配对差值（情景−基线）及95%区间，"
                          "每项指标一个面板，横轴刻度各不相同，虚线为无差异",
                          "The paired difference (scenario - baseline) of {n} scenarios on {k} outcomes "
                          "with 95 % intervals, one panel per outcome on its own scale, the dashed line "
                          "at no difference"),
    "caption_whatif_results": ("表：各情景与基线：种子均值、配对差值及95%区间",
                               "Table: scenarios against the baseline: means over seeds, paired differences "
                               "and 95 % intervals"),
    "caption_whatif_scenarios": ("表：情景及其调整的政策参数（其余参数取基线值）",
                                 "Table: the scenarios and the levers they change (the rest at baseline)"),
    "caption_whatif_levers": ("表：政策参数的基线值、含义与依据", "Table: every lever's baseline, unit and basis"),
    "whatif_assumptions": ("情景与假设", "Scenarios and assumptions"),
    "whatif_scenario": ("情景", "Scenario"),
    "whatif_outcome": ("指标", "Outcome"),
    "whatif_baseline": ("基线", "Baseline"),
    "whatif_value": ("情景值", "Scenario value"),
    "whatif_diff": ("差值（情景−基线）", "Difference (scenario - baseline)"),
    "whatif_ci": ("95%区间", "95 % interval"),
    "whatif_levers": ("调整的政策参数", "Levers changed"),
    "whatif_lever": ("政策参数", "Lever"),
    "whatif_unit": ("含义", "Unit"),
    "whatif_basis": ("依据", "Basis"),
    "whatif_assumed": ("假设", "assumed"),
    "whatif_sourced": ("有来源", "sourced"),
    "whatif_relapses": ("返贫（跌破监测线的户次）", "Relapses (household entries below the line)"),
    "whatif_persons_below": ("线下人口（季度平均）", "Persons below the line (quarterly mean)"),
    "whatif_identified": ("新识别监测对象户数", "Households identified as monitoring objects"),
    "whatif_flagged": ("预警规则标记户数", "Households flagged by the rule"),
    "whatif_policy_cost": ("其中：报销与帮扶增量（元）", "Of which extra reimbursement and assistance (yuan)"),
    "whatif_visits": ("走访次数", "Visits"),
    "whatif_cost": ("成本（元）", "Cost (yuan)"),
    "whatif_oop": ("医疗自付（元）", "Out-of-pocket medical (yuan)"),
    "whatif_averted_per_10k": ("每万元避免的返贫户次", "Relapses averted per 10,000 yuan"),
    "whatif_cost_not_positive": ("成本差不为正，不计算", "cost difference not positive: not computed"),
    "whatif_cost_not_positive_in_resamples": ("成本差在部分重抽样中不为正，不给区间",
                                              "cost difference not positive in some resamples: no interval"),
    "whatif_limits": ("局限：监测线与报销比例情景以同一种子重新运行生成器（同一批农户与冲击），识别、帮扶与消除随之变化；"
                      "这些识别与消除的随机抽取只在种子层面配对，不逐户配对。其余参数在面板上重放，预警规则与走访在循环内。"
                      "监测线情景按新线计数：返贫增加部分是标准变化，不全是政策效果。",
                      "Limits: line and reimbursement scenarios rerun the generator on the same seed (the same "
                      "households and shocks), so identification, assistance and elimination respond; those "
                      "identification and elimination draws are paired by seed, not household by household. The "
                      "other levers are replayed on the panel with the warning rule and visits in the loop. A line "
                      "scenario counts against the new line: part of its extra relapses is a changed yardstick, "
                      "not a policy effect."),
}

DOMAIN_LABELS: dict[str, tuple[str, str]] = {
    "income_components": ("收入分项", "income components"),
    "place": ("乡镇和村", "towns and villages"),
    "demographics": ("家庭人口结构", "household demographics"),
    "health_status": ("残疾和慢性病", "disability and chronic illness"),
    "poverty_register": ("脱贫户登记信息", "poverty register"),
    "medical": ("医疗费用", "medical spending"),
    "disaster": ("灾害损失", "disaster losses"),
    "assistance": ("低保和公益岗位", "dibao and public-welfare jobs"),
    "housing_water": ("住房和饮水安全", "housing and water safety"),
    "monitoring": ("监测状态和类型", "monitoring status and type"),
    "events": ("识别和风险消除记录", "identification and elimination records"),
}

MECHANISM_LABELS: dict[str, tuple[str, str]] = {
    "income_dynamics": ("收入波动主导", "Income dynamics"),
    "shocks": ("冲击主导", "Shocks"),
    "low_capacity": ("低能力持续", "Persistent low capacity"),
}

METRIC_LABELS: dict[str, tuple[str, str]] = {
    "recall_at_capacity": ("走访能力下的召回率", "recall at capacity"),
    "precision_at_capacity": ("走访能力下的精确率", "precision at capacity"),
    "pr_auc": ("PR-AUC", "PR-AUC"),
    "auc": ("AUC", "AUC"),
}

MODEL_LABELS: dict[str, tuple[str, str]] = {
    "rule": ("官方筛查规则", "Official screening rule"),
    "logit": ("Logit 回归（村聚类稳健标准误）", "Logit (village-clustered SE)"),
    "hazard": ("离散时间风险模型", "Discrete-time hazard"),
    "gbm": ("梯度提升树（校准）", "Gradient boosting (calibrated)"),
    "vulnerability": ("脆弱性（预期贫困）", "Vulnerability (expected poverty)"),
    "oracle": ("真实概率（合成数据上限）", "Oracle (synthetic truth)"),
    "official": ("官方红黄蓝分级", "Official tiers"),
    "rule_official": ("官方规则（任一条件触发）", "Official rule (any trigger)"),
    "income_ratio": ("收入/监测线（单变量基线）", "Income / line alone (baseline)"),
}


INDICATOR_LABELS: dict[str, tuple[str, str]] = {
    "monitoring_households_cumulative": ("累计识别监测对象（户）", "Monitoring households, cumulative"),
    "monitoring_persons_cumulative": ("累计识别监测对象（人）", "Monitoring persons, cumulative"),
    "monitoring_households_new": ("当年新增监测对象（户）", "New monitoring households"),
    "monitoring_persons_new": ("当年新增监测对象（人）", "New monitoring persons"),
    "eliminated_households": ("已消除风险（户）", "Risk eliminated, households"),
    "eliminated_persons": ("已消除风险（人）", "Risk eliminated, persons"),
    "elimination_rate": ("风险消除率（按人）", "Elimination rate (persons)"),
    "income_per_capita": ("脱贫人口人均纯收入（均值）", "Per-capita net income, poverty-alleviated (mean)"),
    "income_growth": ("脱贫人口人均纯收入增速（均值）", "Income growth, poverty-alleviated (mean)"),
    "income_per_capita_relocated": ("易地搬迁脱贫人口人均纯收入（均值）", "Per-capita net income, relocated (mean)"),
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


def domain_label(name: str, language: str = "zh") -> str:
    """An optional data domain's name on a page."""
    zh, en = DOMAIN_LABELS.get(name, (name, name))
    return zh if language == "zh" else en


def mechanism_label(name: str, language: str = "zh") -> str:
    """A truth mechanism's name on a page."""
    zh, en = MECHANISM_LABELS.get(name, (name, name))
    return zh if language == "zh" else en


def metric_label(name: str, language: str = "zh") -> str:
    """A headline metric's name in a sentence."""
    zh, en = METRIC_LABELS.get(name, (name, name))
    return zh if language == "zh" else en


def model_label(name: str, language: str = "zh") -> str:
    """Display name of a score, model or tier scheme; an unknown name shows as words
    (``a_b`` -> ``a b``), never silently as a Chinese label it does not have."""
    zh, en = MODEL_LABELS.get(name, (name.replace("_", " "), name.replace("_", " ")))
    return zh if language == "zh" else en


RULE_LABELS: dict[str, tuple[str, str]] = {
    "duplicate": ("完全重复的行", "exact duplicate row"),
    "duplicate_conflict": ("同一键值、内容不同的行", "same key, different values"),
    "oop_equals_total_minus_reimbursed": ("自付金额不等于总额减报销", "out-of-pocket is not total minus reimbursed"),
    "eliminated_before_identified": ("风险消除早于识别", "eliminated before identified"),
    "reimbursed_le_total": ("报销金额超过总额", "reimbursed exceeds total"),
    "not_nullable": ("必填项缺失", "required value missing"),
    "greater_than_or_equal_to": ("数值小于允许的最小值", "value below the minimum"),
    "less_than_or_equal_to": ("数值大于允许的最大值", "value above the maximum"),
    "in_range": ("数值超出允许范围", "value out of range"),
    "isin": ("取值不在允许的类别中", "value not among the allowed categories"),
    "dtype": ("数据类型不符", "wrong data type"),
    "column_in_dataframe": ("缺少必需的列", "required column missing"),
    "field_uniqueness": ("键值重复", "duplicate key"),
}
"""Cleaning rules (the quarantine's ``rule``, pandera's check names) in words; a check with
arguments (``greater_than_or_equal_to(0)``) is named by its name before the bracket."""


def rule_label(rule: str, language: str = "zh") -> str:
    """A cleaning rule in words; an unknown rule as "other check" (its code stays in the
    quarantine table, which is for the data team, not on the page)."""
    name = str(rule).split("(", 1)[0].strip()
    zh, en = RULE_LABELS.get(name, ("其他校验规则", "other check"))
    return zh if language == "zh" else en


def group_label(group: str, language: str = "zh") -> str:
    """Display name of an equity subgroup (``elderly`` -> 有老年人口户)."""
    zh, en = SUBGROUP_LABELS.get(group, (group, group))
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


# the calibration section of a county page (relapse_models.report.calibration)
GUARD_FIGURE_LABELS: dict[str, tuple[str, str]] = {
    "identification_rate": ("新识别率（户，%）", "Identification rate (households, %)"),
    "elimination_rate": ("风险消除率（按人，%）", "Elimination rate (persons, %)"),
    "relapse_rate": ("处于返贫状态户比例（%）", "Households in the relapse state (%)"),
}
GUARD_STATUS_LABELS: dict[str, tuple[str, str]] = {
    "pass": ("通过", "pass"),
    "accepted": ("未通过（配置中已接受）", "failed, accepted in the config"),
    "fail": ("未通过", "failed"),
    "undefined": ("无法计算（尚无可计的户）", "undefined (nothing to count yet)"),
}
LINE_PROVENANCE_LABELS: dict[str, tuple[str, str]] = {
    "published": ("公开数据", "published"),
    "assumed": ("假设（外推或全国参考）", "assumed (extrapolated or national reference)"),
    "default": ("默认监测线（本省无数据）", "named default (no line for the province)"),
}
SOURCE_CHECK_LABELS: dict[str, tuple[str, str]] = {
    "verified": ("所有引文已与来源文本逐字核对", "every quoted sentence checked against the source text"),
    "not_at_hand": ("来源文本不在本机，引文未核对", "source text not at hand: sentences not checked"),
    "no_text": ("无来源文本", "no source text"),
}
GUARD_HEADERS: dict[str, tuple[str, str]] = {
    "year": ("年份", "Year"),
    "figure": ("检验指标", "Figure"),
    "value": ("模拟值", "Simulated"),
    "band": ("允许区间", "Band"),
    "anchor": ("锚定值及来源", "Anchor and its source"),
    "status": ("结果", "Result"),
    "line": ("监测线（元/人·年）", "Line (yuan per person and year)"),
    "provenance": ("来源", "Provenance"),
}


ANCHOR_WORDS: list[tuple[str, str, str]] = [
    (r"published\.monitoring_households_new \((\d{4})\) / structure\.households",
     r"公开的\1年新增监测户数 / 农户总数",
     r"published new monitoring households (\1) / rural households"),
    (r"published\.monitoring_households_cumulative x \(1 - initial_stock_share\) / (\d+) years "
     r"/ structure\.households", r"公开的累计监测户数 ×（1 − 面板前已识别比例）/ \1年 / 农户总数",
     r"published cumulative monitoring households x (1 - share identified before the panel)"
     r" / \1 years / rural households"),
    (r"published\.elimination_rate", "公开的风险消除率", "published risk-elimination rate"),
    (r"generator\.elimination_rate \(assumed\)", "假设的风险消除率",
     "assumed risk-elimination rate"),
    (r"national anchor \(about 70 % in 2021\)", "全国参考值（2021年约70%）",
     "national anchor (about 70 % in 2021)"),
    (r"identification anchor", "新识别率的锚定值", "identification anchor"),
    (r"; after (\d{4}) also the national anchor", r"；\1年以后也可取全国参考值（累计消除率逐年上升）",
     r"; after \1 also the national anchor (a cumulative rate rises)"),
]
"""Where a guard's anchor comes from (:func:`relapse_models.outcome.guards.anchors`): the recorded
formula in words, Chinese and English, so no config key reaches a page."""


def pick(table: dict[str, tuple[str, str]], key: str, language: str = "zh") -> str:
    """``key``'s label from a (Chinese, English) ``table``; an unknown key shows as itself."""
    zh, en = table.get(key, (key, key))
    return zh if language == "zh" else en
