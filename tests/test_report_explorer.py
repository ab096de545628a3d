"""The threshold explorer's precomputed grid and its offline chart."""

import numpy as np
import pandas as pd
import pytest

from relapse_models.report import explorer as rx


def _thresholds():
    return pd.DataFrame({
        "county_id": "c", "score": ["logit"] * 4 + ["rule"] * 3 + ["oracle"],
        "threshold": [0.9, 0.5, 0.2, 0.0, 0.5, 0.25, 0.0, 0.3],
        "flagged_share": [0.02, 0.08, 0.15, 1.0, 0.01, 0.09, 1.0, 0.1],
        "recall": [0.2, 0.5, 0.7, 1.0, 0.0, 0.3, 1.0, 0.8],
        "precision": [0.3, 0.2, 0.1, 0.01, 0.0, 0.05, 0.01, 0.2],
        "lead_time_median": [1.0, 2.0, 2.5, 3.0, np.nan, 3.0, 4.0, 2.0],
    })


def test_tier_split_keeps_the_ratios_and_the_visit_frequencies():
    split = rx.tier_split(np.array([70.0]))
    assert split.loc[0, "red_households"] == pytest.approx(10)
    assert split.loc[0, "yellow_households"] == pytest.approx(20)
    assert split.loc[0, "blue_households"] == pytest.approx(40)
    # red every half month, yellow monthly, blue quarterly
    assert split.loc[0, "tier_visits"] == pytest.approx(10 * 2 + 20 + 40 / 3)


def test_grid_drops_the_oracle_and_counts_households():
    grid = rx.explorer_grid(_thresholds(), households=200)
    assert set(grid["score"]) == {"logit", "rule"}
    row = grid[(grid["score"] == "logit") & (grid["threshold"] == 0.5)].iloc[0]
    assert row["flagged_households"] == pytest.approx(16)
    assert row["tier_visits"] == pytest.approx(16 * (2 + 2 + 4 / 3) / 7)


def test_at_share_is_the_best_row_within_capacity():
    grid = rx.explorer_grid(_thresholds(), households=200)
    rows = rx.at_share(grid, 0.10).set_index("score")
    assert rows.loc["logit", "threshold"] == 0.5 and rows.loc["logit", "recall"] == 0.5
    assert rows.loc["rule", "threshold"] == 0.25
    wider = rx.at_share(grid, 0.2).set_index("score")
    assert wider.loc["logit", "recall"] == 0.7
    assert rx.at_share(grid, 0.001).empty


def test_at_share_is_the_pipelines_choice_with_ties():
    """Two thresholds with the same recall: the higher precision wins, as in the pipeline."""
    from relapse_models.warning.thresholds import best_threshold_within_capacity

    table = _thresholds()
    tie = pd.DataFrame({"county_id": "c", "score": "logit", "threshold": [0.4, 0.45],
                        "flagged_share": [0.095, 0.085], "recall": [0.5, 0.5],
                        "precision": [0.18, 0.19], "lead_time_median": 2.0})
    table = pd.concat([table, tie], ignore_index=True)
    grid = rx.explorer_grid(table, households=200)
    for share in (0.05, 0.09, 0.1, 0.2, 0.5):
        mine = rx.at_share(grid, share).set_index("score")
        theirs = best_threshold_within_capacity(table[table["score"] != "oracle"], share)
        for r in theirs.itertuples():
            assert mine.loc[r.score, "threshold"] == r.threshold, (share, r.score)


def test_equity_rows_join_the_overall_flagged_share():
    grid = rx.explorer_grid(_thresholds(), households=200)
    eg = pd.DataFrame({"score": "logit", "threshold": [0.5, 0.5, 0.5],
                       "group": ["all", "elderly", "disabled"], "recall": [0.5, 0.4, np.nan]})
    eq = rx.explorer_equity(eg, grid, "zh")
    assert eq["group"].tolist() == ["有老年人口户", "有残疾人口户"]
    assert eq["flagged_share"].tolist() == [0.08, 0.08]
    assert eq["overall_recall"].tolist() == [0.5, 0.5]
    # a county without cases: undefined recall ranks last, as in at_share
    empty = rx.explorer_grid(_thresholds().assign(recall=np.nan), households=200)
    assert (empty["overall_recall"] == -1).all() and empty["recall"].isna().all()


def test_chart_is_offline_html_with_the_grid_inline():
    pytest.importorskip("altair")
    pytest.importorskip("vl_convert")
    from relapse_models.report.render import external_references

    grid = rx.explorer_grid(_thresholds(), households=200)
    chart = rx.explorer_chart(grid, rx.explorer_equity(pd.DataFrame(), grid), 0.1, 20.0, "zh",
                              default_score="logit")
    spec = chart.to_dict()
    assert {p["name"] for p in spec["params"]} == {"capacity", "model"}
    html = rx.explorer_html(chart, description="交互图")
    assert 'id="threshold-explorer"' in html and 'data-ready' in html
    assert external_references(html) == []
    assert '"flagged_households"' in html  # the grid travels inside the page


def test_data_text_cannot_close_the_explorer_script():
    """A place name holding ``</script>`` or ``<!--`` stays text inside the script: the
    element closes once, at its end, and the JavaScript string still reads the same."""
    import re

    hostile = 'x</SCRIPT><img src=x onerror=alert(1)><!--'
    safe = rx.script_safe(f"var s = {hostile!r};")
    assert not re.search(r"</script|<!--", safe, flags=re.IGNORECASE)
    assert safe.replace("<\\/", "</").replace("<\\!", "<!") == f"var s = {hostile!r};"
