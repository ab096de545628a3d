"""County and comparative report tables, checked by hand on small inputs."""

import pandas as pd
import pytest

from relapse_models.report import comparative as rcmp
from relapse_models.report import county as rc


def _recon():
    return pd.DataFrame(
        {
            "county_id": ["a", "a", "b"],
            "indicator": [
                "monitoring_households_cumulative", "elimination_rate",
                "monitoring_households_cumulative",
            ],
            "unit": ["户", "%", "户"],
            "published": [100.0, 72.5, None],
            "computed": [103.0, 72.0, 50.0],
            "rel_diff": [0.03, -0.5 / 72.5, None],
            "source": ["s", "s", "s"],
        }
    )


def test_headline_table_formats_like_the_seeds():
    table = rc.headline_table(_recon()[lambda d: d.county_id == "a"], "zh")
    assert table.iloc[0].tolist() == ["累计识别监测对象（户）", "100户", "103户", "+3.0%"]
    assert table.iloc[1, 1] == "72.5%"


def test_risk_type_table_counts_first_risk_and_suppresses():
    panel = pd.DataFrame(
        {
            "household_id": ["h1", "h1"] + [f"g{i}" for i in range(6)],
            "year": [2022, 2023] + [2022] * 6,
            "quarter": [1, 1] + [2] * 6,
            "risk_type": ["illness", "disaster"] + ["disaster"] * 6,
        }
    )
    table = rc.risk_type_table(panel, min_cell=5, language="zh")
    counts = dict(zip(table["风险类型"], table["户数（样本）"], strict=True))
    assert counts == {"因灾": 6, "因病": "<5"}  # h1 counted once, under its first risk type


def test_town_table_uses_the_last_quarter():
    features = pd.DataFrame(
        {
            "household_id": [f"h{i}" for i in range(12)] * 2,
            "town_id": (["t1"] * 10 + ["t2"] * 2) * 2,
            "year": [2023] * 12 + [2024] * 12,
            "quarter": [4] * 12 + [1] * 12,
            "monitored_now": [0] * 12 + [1, 1] + [0] * 8 + [1, 0],
        }
    )
    table = rc.town_table(features, min_cell=5, language="en")
    # ranked by share monitored: t2 (1 of 2) before t1 (2 of 10), and t2 is too small to show
    assert table.iloc[0].tolist() == ["t2", "<5", "<5"]
    assert table.iloc[1].tolist() == ["t1", 10, 20.0]
    named = rc.town_table(features, min_cell=5, language="zh", names={"t1": "青坪镇",
                                                                       "t2": "石沟镇"})
    assert named.iloc[:, 0].tolist() == ["石沟镇", "青坪镇"]


def test_cleaning_table_reconciles_and_names_the_tables():
    report = {"households": {"rows_in": 10, "kept": 9, "quarantined": 1}}
    assert rc.cleaning_table(report, "en").iloc[0].tolist() == ["Households", 10, 9, 1]
    assert rc.cleaning_table(report, "zh").iloc[0].tolist() == ["农户表", 10, 9, 1]


def test_indicator_matrix_puts_counties_side_by_side():
    wide = rcmp.indicator_matrix(_recon(), {"a": "甲县", "b": "乙县"}, "zh")
    assert wide.columns.name is None and list(wide.columns) == ["指标", "甲县", "乙县"]
    row = wide[wide["指标"] == "累计识别监测对象（户）"].iloc[0]
    assert row["甲县"] == "103户（100户）"
    assert row["乙县"] == "50户"


def test_county_links_escape_names():
    links = rcmp.county_links({"a": "<script>x</script>"})
    assert "<script>" not in links and "&lt;script&gt;" in links
    assert 'href="counties/a.html"' in links
    links = rcmp.county_links({"a": "甲"}, {"whatif.html": "政策<模拟>"})
    assert links.index("counties/a.html") < links.index('href="whatif.html"')
    assert "政策&lt;模拟&gt;" in links


def test_model_table_shows_no_interval_artefacts_and_no_recall():
    metrics = {"out_of_time": {"a": {"gbm": {
        "auc": 0.9, "auc_ci": [None, None], "pr_auc": 0.2, "pr_auc_ci": [-0.0001, 0.3],
        "brier": 0.01, "ece": None, "recall_at_capacity": 0.5}}}}
    table = rc.model_table(metrics, "a", "zh")
    row = table.iloc[0].tolist()
    assert row == ["梯度提升树（校准）", "0.900（无区间）", "0.200 [0.000, 0.300]", "0.0100", "—"]
    assert not any(c.startswith("召回率") for c in table.columns)  # one source per page
    metrics["out_of_time"]["a"]["gbm"].update(o_e=1.23, o_e_ci=[0.9, 1.6])
    assert rc.model_table(metrics, "a", "zh").iloc[0, -1] == "1.23 [0.90, 1.60]"


def _capacity_json():
    return {
        "best_score": "logit", "capacity_share": 0.1, "households": 200,
        "by_score": {
            "logit": {"threshold": 0.2, "flagged_share": 0.1, "recall": 0.5, "precision": 0.1,
                      "lead_time_median": 2.0, "fits_capacity": True},
            "rule": {"threshold": 0.25, "flagged_share": 0.0912, "recall": 0.3,
                     "precision": 0.05, "lead_time_median": None, "fits_capacity": True},
        },
        "intervals": {"threshold": {
            "logit": {"recall": 0.5, "recall_ci": [0.4, 0.6], "recall_diff": 0.2,
                      "recall_diff_ci": [-0.05, 0.3], "precision": 0.1, "reference": "rule",
                      "recall_vs_baseline": 0.1, "recall_vs_baseline_ci": [0.02, 0.2],
                      "baseline": "income_ratio"},
            "rule": {"recall": 0.3, "recall_ci": [0.2, 0.4], "precision": 0.05,
                     "reference": "rule", "recall_vs_baseline": -0.1,
                     "recall_vs_baseline_ci": [-0.2, 0.01], "baseline": "income_ratio"},
            "rule_official": {"recall": 0.3, "recall_ci": [0.2, 0.4], "recall_diff": 0.0,
                              "recall_diff_ci": [0.0, 0.0], "flagged_share": 0.0912,
                              "precision": 0.05, "reference": "rule"},
            "income_ratio": {"recall": 0.4, "recall_ci": [0.3, 0.5], "recall_diff": 0.1,
                             "recall_diff_ci": [0.0, 0.2], "precision": 0.08,
                             "reference": "rule", "recall_vs_baseline": 0.0,
                             "recall_vs_baseline_ci": [0.0, 0.0], "baseline": "income_ratio"},
        }},
    }


def test_capacity_table_one_row_per_score_from_the_intervals():
    from relapse_models.report.capacity import at_capacity

    table = at_capacity(_capacity_json())
    assert table["score"].tolist() == ["logit", "rule", "rule_official", "income_ratio"]
    shown = rc.capacity_table(table, "zh")
    assert list(shown.columns)[4:6] == ["与官方规则之差 [95%置信区间]",
                                        "与收入基线之差 [95%置信区间]"]
    assert shown.iloc[0].tolist() == [
        "Logit 回归（村聚类稳健标准误） ★", "0.200", "10.0%", "0.500 [0.400, 0.600]",
        "+0.200 [-0.050, +0.300]", "+0.100 [+0.020, +0.200]", "0.100", "2.0"]
    assert shown.iloc[1].tolist() == [
        "官方筛查规则", "0.250", "9.1%", "0.300 [0.200, 0.400]", "—",
        "-0.100 [-0.200, +0.010]", "0.050", "—"]
    assert shown.iloc[2, 4] == "0（与官方规则预警的是同一批户）"
    assert shown.iloc[2, 5] == "—"  # the official decision was not paired with the baseline
    assert shown.iloc[3, 5] == "—"  # the baseline against itself is no comparison


def test_odds_ratio_table_labels_formats_and_flags_unstable_estimates():
    coefficients = pd.DataFrame({
        "term": ["Intercept", "income_ratio", "any_chronic_ill", "income_yoy_drop"],
        "odds_ratio": [0.01, 0.5371, 1.558, 2.3e-4],
        "ci_low": [0.001, 0.00862, 0.554, 1.4e-11],
        "ci_high": [0.1, 33.45, 4.395, 3884.6],
        "p_value": [0.0, 0.79, 0.40, 0.32],
    })
    table = rc.odds_ratio_table(coefficients, "zh")
    assert table["风险因素"].tolist() == ["收入同比降幅", "有慢性病成员", "人均纯收入/监测线"]
    assert table.iloc[1].tolist() == ["有慢性病成员", "1.56 [0.55, 4.39]", "0.400", ""]
    assert table.iloc[0].tolist() == ["收入同比降幅", "<0.01 [<0.01, >100]", "0.320", "不稳定"]
    assert table.iloc[2, 3] == "不稳定"  # interval spans 0.0086 to 33: four orders
    assert not table.to_string().count("e-")  # no scientific notation


def _town_features():
    """Town t1: 5 households in 2024Q1, 2 monitored (40 %); town t2: 2 households (small)."""
    return pd.DataFrame({
        "household_id": [f"a{i}" for i in range(5)] + ["b0", "b1"],
        "town_id": ["t1"] * 5 + ["t2"] * 2,
        "year": 2024, "quarter": 1,
        "monitored_now": [1.0, 1, 0, 0, 0, 1, 0],
        "catastrophic_health": [1.0, 0, 0, 0, None, 1, 0],
        "oop_to_line": [0.5, 0.1, 0.0, 0.0, None, 0.3, 0.1],
    })


def test_town_quarterly_by_hand_with_small_towns_suppressed():
    tq = rc.town_quarterly(_town_features(), min_cell=5).set_index("town_id")
    assert tq.loc["t1", "monitored_pct"] == 40.0 and tq.loc["t1", "households"] == 5
    assert tq.loc["t2", "suppressed"] and pd.isna(tq.loc["t2", "monitored_pct"])
    assert tq.loc["t1", "period"] == "2024Q1"


def test_medical_burden_by_hand():
    mb = rc.medical_burden(_town_features(), min_cell=5).iloc[0]
    # 6 households known (a4 unknown): catastrophic 2/6; mean oop/line (0.5+0.1+0.3+0.1)/6
    assert mb["households"] == 6
    assert mb["catastrophic_pct"] == pytest.approx(100 * 2 / 6)
    assert mb["oop_to_line"] == pytest.approx(1.0 / 6)
    assert pd.isna(rc.medical_burden(_town_features(), min_cell=7).iloc[0]["catastrophic_pct"])


def test_disaster_exposure_and_types_by_hand():
    panel = pd.DataFrame({
        "household_id": ["h1", "h2", "h3", "h4", "h5", "h1", "h2", "h3", "h4", "h5"],
        "year": 2024, "quarter": [1] * 5 + [2] * 5,
        "disaster_type": ["flood", None, None, None, None, "flood", "flood", "drought", None,
                          None],
        "disaster_loss": [100.0, 0, 50, 0, 0, 0, 0, 0, 0, 0],
    })
    d = rc.disaster_exposure(panel, min_cell=1).set_index("period")
    # Q1: h1 (type) and h3 (a loss without a type) are hit: 2 of 5
    assert d.loc["2024Q1", "hit"] == 2 and d.loc["2024Q1", "disaster_pct"] == 40.0
    assert d.loc["2024Q2", "hit"] == 3
    assert rc.disaster_exposure(panel, min_cell=3)["hit"].tolist() == ["<3", 3]
    types = rc.disaster_types(panel, min_cell=2, language="zh")
    # flood: h1 (twice) and h2 = 2 households; drought: h3 alone, suppressed
    assert types.iloc[:, 1].tolist() == [2, "<2"]


def _resolution():
    return pd.DataFrame({
        "county_id": "c1", "scheme": ["official", "logit"], "is_best": [False, True],
        "load": [4.0, 2.0], "budget": [3.5, 3.5], "fits_capacity": [False, True],
        "flagged_share": [0.5, 0.4], "recall": [0.5, 0.75], "recall_ci_low": [0.2, 0.5],
        "recall_ci_high": [0.8, 1.0], "recall_diff": [0.0, 0.25],
        "recall_diff_ci_low": [0.0, 0.05], "recall_diff_ci_high": [0.0, 0.5],
        "precision": [0.4, 0.75], "model_beats_official": [False, True],
    })


def test_tier_resolution_table_shows_both_loads_and_names_no_winner():
    zh = rc.tier_resolution_table(_resolution(), "zh")
    assert zh.iloc[1]["分级覆盖率 [95%置信区间]"] == "0.750 [0.500, 1.000]"
    assert zh.iloc[0]["每月走访负荷"] == "4.0" and zh.iloc[1]["每月走访负荷"] == "2.0"
    assert zh.iloc[0]["负荷/能力"] == "114%"
    assert zh.iloc[0]["在走访能力内"] == "否"
    assert not any("更优" in c or "之差" in c for c in zh.columns)
    assert not zh.iloc[1]["分级方案"].endswith("★")
    en = rc.tier_resolution_table(_resolution(), "en")
    assert en.iloc[0]["Tier scheme"] == "Official tiers" and en.iloc[1]["Within capacity"] == "yes"


def test_lead_time_table_pivots_cases():
    dist = pd.DataFrame({"score": ["logit", "logit", "rule"], "threshold": 0.5,
                         "lead_time": [2, 0, 0], "cases": [3, 1, 4], "share": 0.0})
    tab = rc.lead_time_table(dist, "en")
    assert tab.columns.tolist() == ["Score", "missed", "2 quarter(s) ahead"]
    assert rc.lead_time_table(dist, "zh").columns.tolist()[1:] == ["未识别", "提前2季"]
    assert tab.iloc[0].tolist() == ["Logit (village-clustered SE)", 1, 3]
    assert tab.iloc[1].tolist() == ["Official screening rule", 4, 0]


def test_equity_report_table_shows_group_size_when_only_cases_are_few():
    eq = pd.DataFrame({
        "score": ["logit"] * 4 + ["rule"], "dimension": ["subgroup", "subgroup", "town",
                                                         "subgroup", "subgroup"],
        "group": ["elderly", "chronic_ill", "t1", "all", "elderly"],
        "households": ["10", 460, "<5", 900, 10], "recall": ["0.5", "<5", "<5", 0.4, 0.2],
        "recall_ci_low": [0.25, "<5", "<5", 0.3, 0.1],
        "recall_ci_high": [0.75, "<5", "<5", 0.5, 0.3],
        "share_of_cases": [0.4, "<5", "<5", 1.0, 0.4],
        "share_of_misses": [0.3, "<5", "<5", 1.0, 0.5],
        "suppress": [False, True, True, False, False],
    })
    tab = rc.equity_report_table(eq, ["logit"], "zh", min_cell=5)
    assert tab["群体"].tolist() == ["有老年人口户", "有慢性病人口户"]  # no towns, no "all"
    assert tab.iloc[0]["召回率 [95%置信区间]"] == "0.500 [0.250, 0.750]"
    assert tab.iloc[0]["户数（样本）"] == "10"  # numbers read back as text (CSV) are formatted
    assert tab.iloc[0]["占漏报比例"] == "30.0%"
    # 460 households, few cases: the size shows, the recall says why it is missing
    assert tab.iloc[1]["户数（样本）"] == "460"
    assert tab.iloc[1]["召回率 [95%置信区间]"] == "案例少于5户"
    small = eq.assign(households=["<5"] * 5)
    assert rc.equity_report_table(small, ["logit"], "zh").iloc[1]["召回率 [95%置信区间]"] == "<5"


def test_cleaning_rules_table_lists_each_rule():
    rep = {"rules": [{"table": "panel", "rule": "duplicate", "n": 3},
                     {"table": "panel", "rule": "greater_than_or_equal_to(0)", "n": 2},
                     {"table": "panel", "rule": "a_new_check", "n": 1}]}
    tab = rc.cleaning_rules_table(rep, "en")
    assert tab.to_dict("records") == [
        {"Table": "Quarterly panel", "Rule": "exact duplicate row", "Rows quarantined": 3},
        {"Table": "Quarterly panel", "Rule": "value below the minimum", "Rows quarantined": 2},
        {"Table": "Quarterly panel", "Rule": "other check", "Rows quarantined": 1}]
    zh = rc.cleaning_rules_table(rep, "zh")
    assert zh["规则"].tolist() == ["完全重复的行", "数值小于允许的最小值", "其他校验规则"]
    assert rc.cleaning_rules_table({"rules": []}).empty


def test_tier_matrix_one_row_per_county_without_verdict():
    res = pd.concat([_resolution(), _resolution().assign(county_id="c2")], ignore_index=True)
    m = rcmp.tier_matrix(res, {"c1": "甲县", "c2": "乙县", "c3": "丙县"}, "zh")
    assert m["县（市、区）"].tolist() == ["甲县", "乙县", "丙县"]
    assert m.iloc[0]["官方红黄蓝分级 · 每月走访负荷"] == "4.0 / 3.5"
    assert m.iloc[0]["最佳模型 · 分级覆盖率 [95%置信区间]"].startswith("0.750 [0.500, 1.000]")
    assert not any("更优" in c for c in m.columns)
    assert m.iloc[2]["最佳模型 · 每月走访负荷"] == "—"  # a county without a table


def test_threshold_matrix_is_generic_over_baselines_and_constant_columns_drop():
    one = _capacity_json()
    two = {**_capacity_json(), "best_score": "rule"}
    two["intervals"] = {"threshold": {**two["intervals"]["threshold"],
                                      "rule": {"recall": 0.32, "recall_ci": [0.2, 0.4]}}}
    two["by_score"] = {**two["by_score"], "income_ratio": {
        "threshold": 0.1, "flagged_share": 0.1, "recall": 0.35}}
    two["intervals"] = {"threshold": {**two["intervals"]["threshold"], "income_ratio": {
        "recall": 0.35, "recall_ci": [0.3, 0.4]}}}
    m = rcmp.threshold_matrix({"a": one, "b": two}, {"a": "甲县", "b": "乙县"}, "zh")
    assert m.iloc[0]["召回率 · 官方筛查规则"] == "0.300 [0.200, 0.400]"
    assert m.iloc[1]["召回率 · 收入/监测线（单变量基线）"] == "0.350 [0.300, 0.400]"
    assert m.iloc[0]["召回率 · 最佳模型"].startswith("0.500 [0.400, 0.600]")
    shown, constant = rcmp.drop_constant_columns(m, keep=("县（市、区）",))
    assert constant == {"走访能力可覆盖户占比": "10.0%"}
    assert "走访能力可覆盖户占比" not in shown and "县（市、区）" in shown


def test_line_sensitivity_table_formats_each_raised_line():
    ls = pd.DataFrame({"multiplier": [1.0, 1.5, 1.5], "line": [7600.0, 11400.0, 11400.0],
                       "score": ["rule", "rule", "logit_at_capacity"],
                       "prevalence": [0.004, 0.087, 0.087],
                       "flagged_share": [0.067, 0.05, 0.05], "recall": [0.111, 0.2, float("nan")]})
    tab = rc.line_sensitivity_table(ls, "zh")
    assert len(tab) == 2  # x1 is the capacity table's recall, not repeated
    assert tab.iloc[0].tolist() == ["×1.5", "11400元", "官方筛查规则", "8.7%", "5.0%", "0.200"]
    assert tab.iloc[1].tolist()[:3] == ["×1.5", "11400元", "Logit 回归（村聚类稳健标准误）"]
    assert tab.iloc[1].tolist()[-1] == "—"
    assert rc.line_sensitivity_table(pd.DataFrame()).empty


def test_feature_tables_need_only_the_columns_read():
    """The report reads FEATURE_COLUMNS_READ only: every feature table works on those."""
    import copy
    from pathlib import Path

    from relapse_models.core.config import load_config
    from relapse_models.core.lines import lines_for_province
    from relapse_models.core.profiles import load_profile
    from relapse_models.data.simulate import simulate_county
    from relapse_models.outcome.features import build_features

    config = copy.deepcopy(load_config())
    config["simulate"]["scale"] = 0.005
    profile = load_profile(Path(__file__).resolve().parents[1] / "config/counties/xunyi.yaml")
    sim = simulate_county(profile, config, 4)
    full = build_features(sim.households, sim.panel, sim.events,
                          lines_for_province(config["monitoring"], profile["province_en"]), config)
    few = full[rc.FEATURE_COLUMNS_READ + rc.FEATURE_COLUMNS_OPTIONAL].copy()
    assert len(rc.FEATURE_COLUMNS_READ) < len(full.columns) / 3
    for table in (lambda f: rc.town_table(f, 5, "zh"), lambda f: rc.town_quarterly(f, 5),
                  rc.income_trajectory, lambda f: rc.medical_burden(f, 5)):
        pd.testing.assert_frame_equal(table(few), table(full))


def test_quarter_tables_count_distinct_households_when_rows_repeat():
    """A household twice in a quarter counts once (the tables fall back to distinct ids);
    shares stay means over rows, as before."""
    twice = pd.concat([_town_features(), _town_features().iloc[[0, 5]]], ignore_index=True)
    tq = rc.town_quarterly(twice, min_cell=5).set_index("town_id")
    assert tq.loc["t1", "households"] == 5 and tq.loc["t2", "households"] == 2
    assert tq.loc["t1", "monitored_pct"] == pytest.approx(100 * 3 / 6)  # a0's row twice
    assert rc.medical_burden(twice, min_cell=5).iloc[0]["households"] == 6
    panel = twice.assign(disaster_type=None, disaster_loss=[1.0] + [0.0] * 8)
    assert rc.disaster_exposure(panel, min_cell=1).iloc[0]["households"] == 7


@pytest.mark.parametrize("quarters", [[1, 2, 3, 4], [9, 10, 11, 12]])
@pytest.mark.parametrize("town_dtype", ["str", "string", "category", "object"])
def test_by_quarter_is_pandas_groupby(quarters, town_dtype):
    """One integer key (or, for keys it cannot encode, the plain groupby) gives pandas'
    table: same order, dtypes and numbers."""
    import numpy as np

    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame({
        "town_id": pd.Series(rng.choice(["t2", "t10", "t1", "b"], n)).astype(town_dtype),
        "year": rng.choice([2024, 2023], n),
        "quarter": rng.choice(quarters, n),
        "x": rng.random(n),
        "h": rng.integers(0, 50, n),
    })
    frame.loc[3, "x"] = np.nan
    aggs = {"n": ("x", "size"), "mean": ("x", "mean"), "distinct": ("h", "nunique")}
    for by_town in (False, True):
        keys = (["town_id"] if by_town else []) + ["year", "quarter"]
        expected = frame.groupby(keys, observed=True).agg(**aggs).reset_index()
        pd.testing.assert_frame_equal(rc._by_quarter(frame, aggs, by_town), expected,
                                      check_exact=True)


def test_fit_notes_say_what_was_not_fitted_warned_skipped_or_left_out():
    metrics = {
        "fits": {"gbm": {"fitted": False, "reason": "too few villages or cases"},
                 "logit": {"fitted": True, "warnings": ["L2-penalised fit, intervals withheld"]},
                 "rule": {"fitted": True}},
        "tuning": {"skipped": "the tuning split holds one outcome only: defaults kept"},
        "vulnerability": {"in_comparisons": False, "note": "mean 0.08 x the observed rate"},
    }
    zh = rc.fit_notes(metrics, "zh")
    assert zh[0] == "梯度提升树（校准）未拟合，不参与比较：too few villages or cases"
    assert zh[1].startswith("Logit 回归") and "L2-penalised" in zh[1]
    assert "默认值" in zh[2] and "脆弱性" in zh[3] and len(zh) == 4
    assert rc.fit_notes({"fits": {"rule": {"fitted": True}}}, "en") == []
