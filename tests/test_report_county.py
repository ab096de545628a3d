"""County and comparative report tables, checked by hand on small inputs."""

import pandas as pd

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
    counts = dict(zip(table["风险类型"], table["户数"], strict=True))
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


def test_cleaning_table_reconciles():
    report = {"households": {"rows_in": 10, "kept": 9, "quarantined": 1}}
    table = rc.cleaning_table(report, "en")
    assert table.iloc[0].tolist() == ["households", 10, 9, 1]


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


def test_model_table_shows_dashes_for_undefined_metrics():
    metrics = {"out_of_time": {"a": {"gbm": {
        "auc": 0.9, "auc_ci": [None, None], "pr_auc": None, "brier": 0.01, "ece": None,
        "recall_at_capacity": 0.5}}}}
    row = rc.model_table(metrics, "a", "zh").iloc[0].tolist()
    assert row == ["梯度提升树（校准）", "0.900 (—–—)", "—", "0.0100", "—", "0.500"]


def test_recommended_table_formats_and_tolerates_missing_values():
    recommended = {"by_score": {
        "rule": {"threshold": 0.25, "flagged_share": 0.1234, "recall": 0.5, "precision": 0.1,
                 "lead_time_median": None},
    }}
    row = rc.recommended_table(recommended, "zh").iloc[0].tolist()
    assert row == ["官方筛查规则", "0.250", "12.3%", "0.500", "0.100", "—"]


def test_odds_ratio_table_orders_by_evidence_and_drops_the_intercept():
    coefficients = pd.DataFrame({
        "term": ["Intercept", "income_ratio", "any_chronic_ill"],
        "odds_ratio": [0.01, 0.5371, 1.558],
        "ci_low": [0.001, 0.00862, 0.554],
        "ci_high": [0.1, 33.45, 4.395],
        "p_value": [0.0, 0.79, 0.40],
    })
    table = rc.odds_ratio_table(coefficients, "zh")
    assert table["风险因素"].tolist() == ["any_chronic_ill", "income_ratio"]
    assert table.iloc[0, 1] == "1.56 [0.554, 4.39]"
