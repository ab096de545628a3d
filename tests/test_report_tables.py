"""Small-cell suppression and number formats."""

import pandas as pd

from relapse_models.report.suppression import mask_cells, suppress_small
from relapse_models.report.tables import format_number


def test_counts_below_min_cell_are_suppressed():
    df = pd.DataFrame({"town": ["甲", "乙", "丙"], "households": [3, 5, 12]})
    out = suppress_small(df, ["households"], min_cell=5)
    assert out["households"].tolist() == ["<5", 5, 12]
    assert out["town"].tolist() == ["甲", "乙", "丙"]  # rows stay visible


def test_rates_over_few_households_are_suppressed_with_their_count():
    df = pd.DataFrame({"town": ["甲", "乙"], "n": [2, 40], "rate": [0.5, 0.1]})
    out = suppress_small(df, ["rate"], min_cell=5, household_column="n")
    assert out["rate"].tolist() == ["<5", 0.1]
    assert out["n"].tolist() == ["<5", 40]


def test_format_number_like_the_seeds():
    assert format_number(10486, "户") == "10486户"
    assert format_number(147800, "人") == "14.78万人"
    assert format_number(72.52, "%") == "72.5%"
    assert format_number(12365.5, "元") == "12365.5元"
    assert format_number(float("nan"), "户") == "—"
    assert format_number(147800, "人", language="en") == "147,800 persons"
    assert format_number(15205.5, "元/人", language="en") == "15,205.5 yuan per person"


def test_html_table_escapes_text_from_data():
    from relapse_models.report.tables import html_table

    html = html_table(pd.DataFrame({"村": ["<script>alert(1)</script>"], "n": [None]}))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "—" in html


def test_format_interval_leaves_no_artefact():
    from relapse_models.report.tables import format_interval

    assert format_interval(0.755, None, None) == "0.755（无区间）"
    assert format_interval(0.755, float("nan"), 0.8, language="en") == "0.755 (no interval)"
    assert format_interval(0.1, -0.0001, 0.242) == "0.100 [0.000, 0.242]"
    assert format_interval(1.0, 1.0, 1.0) == "1.000（每次重抽样结果相同，区间宽度为零）"
    assert format_interval(0.25, 0.0, 0.3, signed=True) == "+0.250 [0.000, +0.300]"
    assert format_interval(-0.1, -0.2, 0.05, signed=True) == "-0.100 [-0.200, +0.050]"
    assert format_interval(None) == "—"


def test_html_table_has_an_escaped_caption():
    from relapse_models.report.tables import html_table

    html = html_table(pd.DataFrame({"a": [1]}), caption="表：<b>户数</b>")
    assert html.index("<caption>") < html.index("<thead")
    assert "<caption>表：&lt;b&gt;户数&lt;/b&gt;</caption>" in html


def test_mask_cells_marks_only_the_rows_and_columns_given():
    df = pd.DataFrame({"g": ["a", "b", "c"], "n": [3, 9, 1], "rate": [0.2, 0.4, 0.0]})
    out = mask_cells(df, ["n", "rate"], [True, False, True], min_cell=5)
    assert out["n"].tolist() == ["<5", 9, "<5"]
    assert out["rate"].tolist() == ["<5", 0.4, "<5"]
    assert out["g"].tolist() == ["a", "b", "c"]
    assert df["n"].tolist() == [3, 9, 1]  # the input is left as it was


def test_drift_tables_suppress_small_years_and_name_no_winner_when_interval_spans_zero():
    from relapse_models.report.drift import drift_year_table, recalibration_table

    nan = float("nan")
    years = pd.DataFrame([
        {"year": 2023, "scope": "pooled", "model": "logit", "n": 900, "n_pos": 40,
         "recall_at_capacity": 0.5, "recall_at_capacity_low": 0.4, "recall_at_capacity_high": 0.6,
         "precision_at_capacity": 0.1, "precision_at_capacity_low": 0.05,
         "precision_at_capacity_high": 0.15, "pr_auc": 0.2, "pr_auc_low": 0.1, "pr_auc_high": 0.3,
         "o_e": 1.4, "o_e_low": 1.1, "o_e_high": 1.7, "max_psi": 0.3,
         "flagged_inputs": "income_trend", "action": "refit",
         "reason": "psi"},
        {"year": 2024, "scope": "pooled", "model": "logit", "n": 900, "n_pos": 3,
         "recall_at_capacity": 0.5, "recall_at_capacity_low": nan, "recall_at_capacity_high": nan,
         "precision_at_capacity": 0.1, "precision_at_capacity_low": nan,
         "precision_at_capacity_high": nan, "pr_auc": 0.2, "pr_auc_low": nan, "pr_auc_high": nan,
         "o_e": 1.0, "o_e_low": nan, "o_e_high": nan, "max_psi": 0.05,
         "flagged_inputs": nan, "action": "keep",
         "reason": "none"},
    ])
    table = drift_year_table(years, "pooled", "zh", min_cell=5)
    assert table.iloc[0]["建议"] == "重新拟合（输入分布变化）"
    assert "0.500" in table.iloc[0]["走访能力下召回率"]
    assert table.iloc[1]["走访能力下召回率"] == "—"          # 3 relapses < 5: suppressed
    assert table.iloc[1]["PSI超阈值的变量"] == ""
    assert table.iloc[0]["PSI超阈值的变量"] == "收入趋势"
    recal = pd.DataFrame([{"model": "logit", "fit_year": 2023, "apply_year": 2024,
                           "intercept": -0.5, "slope": 0.9, "intercept_se": 0.1, "slope_se": 0.1,
                           "o_e_raw": 0.7, "o_e_raw_low": 0.6, "o_e_raw_high": 0.8,
                           "o_e_recal": 1.0, "o_e_recal_low": 0.9, "o_e_recal_high": 1.1,
                           "brier_diff": -0.001, "brier_diff_low": -0.003,
                           "brier_diff_high": 0.001, "better": "", "note": ""}])
    out = recalibration_table(recal, "zh")
    assert out.iloc[0]["较优"] == "无胜者（区间含0）"
    withheld = recalibration_table(recal.assign(brier_diff_low=nan, brier_diff_high=nan), "zh")
    assert withheld.iloc[0]["较优"] == "无区间，不判定"
    assert out.iloc[0]["截距 / 斜率"] == "-0.50 / 0.90"
    refused = recalibration_table(recal.assign(intercept=nan, note="one_outcome"), "zh")
    assert refused.iloc[0]["说明"].startswith("该年份只有一种结果")


def test_pick_gives_the_page_language_and_shows_an_unknown_key_as_itself():
    from relapse_models.report.words import GUARD_STATUS_LABELS, pick

    assert pick(GUARD_STATUS_LABELS, "pass", "zh") == "通过"
    assert pick(GUARD_STATUS_LABELS, "pass", "en") == "pass"
    assert pick(GUARD_STATUS_LABELS, "no_such_status", "zh") == "no_such_status"
