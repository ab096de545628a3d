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
