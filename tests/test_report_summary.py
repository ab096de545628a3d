"""The plain summary and the data statement, from small hand-made page tables."""

import pandas as pd

from relapse_models.report.capacity import at_capacity, role
from relapse_models.report.summary import data_statement, most_missed, plain_summary


def _recommended(diff_ci=(-0.05, 0.3), simple=True, baseline_ci=None):
    by_score = {
        "logit": {"threshold": 0.2, "flagged_share": 0.1, "recall": 0.5, "precision": 0.1,
                  "lead_time_median": 2.0, "fits_capacity": True},
        "rule": {"threshold": 0.25, "flagged_share": 0.09, "recall": 0.3, "precision": 0.05,
                 "lead_time_median": 3.0, "fits_capacity": True},
    }
    intervals = {
        "logit": {"recall": 0.5, "recall_ci": [0.4, 0.6], "recall_diff": 0.2,
                  "recall_diff_ci": list(diff_ci), "reference": "rule"},
        "rule": {"recall": 0.3, "recall_ci": [0.2, 0.4], "reference": "rule"},
    }
    if baseline_ci is not None:
        intervals["logit"].update(recall_vs_baseline=0.15, recall_vs_baseline_ci=list(baseline_ci),
                                  baseline="income_ratio")
    if simple:
        by_score["income_ratio"] = {"threshold": 0.5, "flagged_share": 0.1, "recall": 0.35}
        intervals["income_ratio"] = {"recall": 0.35, "recall_ci": [0.25, 0.45]}
    return {"best_score": "logit", "capacity_share": 0.1, "households": 1000,
            "by_score": by_score, "intervals": {"threshold": intervals}}


def _equity():
    return pd.DataFrame({
        "score": ["logit"] * 4, "dimension": ["subgroup"] * 3 + ["town"],
        "group": ["all", "elderly", "disabled", "t1"],
        "recall": [0.5, 0.45, "<5", 0.1],
    })


def test_at_capacity_roles_and_order():
    table = at_capacity(_recommended())
    assert table["score"].tolist() == ["logit", "rule", "income_ratio"]
    assert table["role"].tolist() == ["model", "official", "simple"]
    assert table.loc[0, "recall_ci_low"] == 0.4 and table.loc[0, "recommended"]
    assert role("rule_official") == "official_decision" and role("hazard") == "model"


def test_summary_states_the_numbers_of_the_page():
    sentences = plain_summary(at_capacity(_recommended()), _equity(), 0.1, 100.0, "zh")
    assert 3 <= len(sentences) <= 5
    text = "".join(sentences)
    assert "10%" in text and "每月约100次走访" in text
    assert "50%（95%置信区间 40%–60%）" in text  # the recommended threshold's recall
    assert "官方筛查规则为30%（95%置信区间 20%–40%）" in text
    assert "收入/监测线（单变量基线）为35%" in text
    assert "提前2个季度" in text
    assert "有老年人口户" in text  # the suppressed group and the town are not candidates
    assert "区间包含0：不能认定哪一个更好" in text


def test_summary_says_when_the_interval_excludes_zero_either_way():
    better = "".join(plain_summary(at_capacity(_recommended((0.05, 0.3))), _equity(), 0.1,
                                   None, "zh"))
    assert "区间不含0：差异在统计上可以分辨" in better
    worse = at_capacity(_recommended((-0.3, -0.05)))
    assert "不如官方规则" in "".join(plain_summary(worse, _equity(), 0.1, None, "zh"))
    en = " ".join(plain_summary(worse, _equity(), 0.1, None, "en"))
    assert "does worse than the official rule" in en
    assert not any("\u4e00" <= c <= "\u9fff" for c in en)


def test_summary_judges_against_the_income_baseline_too():
    """Beating the rule is not enough to be called better: the income baseline is judged in
    the same sentence, and an interval spanning 0 names no winner."""
    spans = "".join(plain_summary(at_capacity(_recommended((0.05, 0.3), baseline_ci=(-0.02, 0.3))),
                                  _equity(), 0.1, None, "zh"))
    assert "与官方规则相比召回率之差为+0.200 [+0.050, +0.300]，区间不含0" in spans
    assert "与收入基线相比召回率之差为+0.150 [-0.020, +0.300]，区间包含0：不能认定哪一个更好" in spans
    better = " ".join(plain_summary(at_capacity(_recommended((0.05, 0.3), baseline_ci=(0.1, 0.2))),
                                    _equity(), 0.1, None, "en"))
    assert "from the income baseline's by +0.150 [+0.100, +0.200]; the interval excludes 0" in better
    none = "".join(plain_summary(at_capacity(_recommended()), _equity(), 0.1, None, "zh"))
    assert "与收入基线相比" not in none  # no paired interval, no sentence


def test_summary_without_a_baseline_or_equity_still_reads():
    sentences = plain_summary(at_capacity(_recommended(simple=False)), pd.DataFrame(), 0.1,
                              None, "zh")
    assert 3 <= len(sentences) <= 5 and "单变量" not in "".join(sentences)
    none = plain_summary(at_capacity({"by_score": {}}), pd.DataFrame(), 0.1, None, "zh")
    assert none == ["本县检验年没有返贫案例，无法评价预警阈值。"]
    no_case = _recommended()
    no_case["intervals"]["threshold"]["logit"]["recall"] = None
    no_case["by_score"]["logit"]["recall"] = None
    assert plain_summary(at_capacity(no_case), _equity(), 0.1, None, "zh") == none


def test_most_missed_is_the_lowest_shown_recall():
    eq = _equity().assign(recall=[0.5, 0.45, 0.2, 0.1])
    assert most_missed(eq, "logit")["group"] == "disabled"
    assert most_missed(pd.DataFrame(), "logit") is None


def test_data_statement_says_sample_and_scale_or_the_exports_range():
    zh = data_statement({"data": {"source": "synthetic"}, "simulate": {"scale": 0.02}}, 119,
                        language="zh")
    assert "合成" in zh and "2%" in zh and "119户" in zh and "放大" in zh
    en = data_statement({"data": {"source": "synthetic"}, "simulate": {"scale": 0.02}}, 1199,
                        language="en")
    assert "2%" in en and "1,199 households" in en
    real = data_statement({"data": {"source": "files"}}, 300, "2022Q1", "2024Q4", "zh")
    assert "导出" in real and "2022Q1至2024Q4" in real and "合成" not in real
    assert "没有" not in real


def test_data_statement_names_the_domains_an_export_lacks():
    real = data_statement({"data": {"source": "files"}}, 300, "2022Q1", "2024Q4", "zh",
                          absent_domains=["medical", "disaster"])
    assert real.endswith("导出数据中没有以下内容，相关特征、规则条件和图表均未使用：医疗费用、灾害损失。")
    en = data_statement({"data": {"source": "files"}}, 300, "2022Q1", "2024Q4", "en",
                        absent_domains=["events"])
    assert "no identification and elimination records" in en


def test_summary_html_escapes_and_joins_as_the_language_writes():
    from relapse_models.report.summary import summary_html

    assert summary_html(["甲。", "乙<b>。"], "zh") == (
        '<div class="plain-summary"><p>甲。乙&lt;b&gt;。</p></div>')
    assert "One. Two." in summary_html(["One.", "Two."], "en")
