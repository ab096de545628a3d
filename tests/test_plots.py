"""Chinese text renders with the project's own font: no missing glyphs."""

import warnings

import matplotlib.pyplot as plt

from relapse_models.report.figures import CJK_FONT_NAME, cjk_font_path, setup_fonts


def test_font_file_ships_with_mplfonts():
    assert cjk_font_path().stat().st_size > 1_000_000


def test_chinese_figure_has_no_missing_glyphs(tmp_path):
    assert setup_fonts() == CJK_FONT_NAME
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" becomes an error
        fig, ax = plt.subplots()
        ax.set_title("商洛市 监测对象 风险消除率 −5%")
        ax.plot([1, 2], [-1, 2], label="边缘易致贫户")
        ax.legend()
        fig.savefig(tmp_path / "zh.png")
        plt.close(fig)
    assert (tmp_path / "zh.png").stat().st_size > 5_000


# --- threshold and county figures: they draw the numbers they are given, in both languages --

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from relapse_models.report import figures as plots  # noqa: E402


def _no_glyph_warnings(draw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph would raise here
        fig = draw()
        fig.canvas.draw()
    return fig


def _tier_comparison():
    return pd.DataFrame({
        "scheme": ["official"] * 4 + ["logit"] * 4,
        "tier": ["red", "yellow", "blue", "tiered"] * 2,
        "load": [2.0, 1.0, 1.0, 4.0, 0.0, 1.0, 1.0, 2.0],
        "budget": [np.nan, np.nan, np.nan, 3.5] * 2,
    })


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_tier_loads_stack_the_loads_under_the_budget_line(lang):
    fig = _no_glyph_warnings(lambda: plots.tier_loads(_tier_comparison(), lang))
    ax = fig.axes[0]
    tops = {}
    for bar in ax.patches:  # stacked: the top of the last bar per scheme is the total load
        x = round(bar.get_x(), 3)
        tops[x] = max(tops.get(x, 0), bar.get_y() + bar.get_height())
    assert sorted(tops.values()) == [2.0, 4.0]
    assert ax.lines[0].get_ydata()[0] == 3.5
    plt.close(fig)


def test_lead_time_bars_heights_are_the_case_counts():
    dist = pd.DataFrame({"score": ["logit", "logit", "rule"], "lead_time": [0, 2, 0],
                         "cases": [1, 3, 4]})
    fig = _no_glyph_warnings(lambda: plots.lead_time_bars(dist, "zh"))
    heights = [b.get_height() for b in fig.axes[0].patches]
    assert heights == [1, 3, 4, 0]  # logit: missed 1, 2Q 3; rule: missed 4, 2Q 0
    assert fig.axes[0].get_xticklabels()[0].get_text() == "未识别"
    plt.close(fig)


def test_tier_recall_draws_points_at_the_recall():
    res = pd.DataFrame({"scheme": ["official", "logit"], "recall": [0.5, 0.75],
                        "recall_ci_low": [0.2, 0.5], "recall_ci_high": [0.8, 1.0],
                        "fits_capacity": [False, True]})
    fig = _no_glyph_warnings(lambda: plots.tier_recall(res, "en"))
    points = [line for line in fig.axes[0].lines if line.get_marker() == "o"]
    assert sorted(line.get_xdata()[0] for line in points) == [0.5, 0.75]
    # the interval's caps sit at the bounds
    caps = sorted(x for line in fig.axes[0].lines if line.get_marker() != "o"
                  for x in line.get_xdata())
    assert caps == [0.2, 0.5, 0.8, 1.0]
    plt.close(fig)


def test_decision_curve_and_line_sensitivity_plot_their_columns():
    dc = pd.DataFrame({"score": ["logit"] * 2 + ["visit_all"] * 2,
                       "threshold_probability": [0.01, 0.02] * 2,
                       "net_benefit": [0.05, 0.04, 0.03, 0.01], "n": 100, "n_pos": 10})
    fig = _no_glyph_warnings(lambda: plots.decision_curve(dc, "zh", 0.02))
    assert fig.axes[0].lines[0].get_ydata().tolist() == [0.05, 0.04]
    assert fig.axes[0].get_ylim() == pytest.approx((-0.1, 0.11))
    assert fig.axes[0].get_xlim() == pytest.approx((0, 0.02))
    labels = [x.get_text() for x in fig.axes[0].get_legend().get_texts()]
    assert labels[-1] == "成本隐含的阈值概率 0.02"  # the cost line is labelled
    plt.close(fig)
    # a model curve below the range says so in the legend
    low = dc.assign(net_benefit=[0.05, -0.3, 0.03, 0.01])
    fig = _no_glyph_warnings(lambda: plots.decision_curve(low, "zh", None))
    labels = [x.get_text() for x in fig.axes[0].get_legend().get_texts()]
    assert labels[0].endswith("（部分低于图示范围）") and labels[1] == "全部走访"
    plt.close(fig)
    ls = pd.DataFrame({"multiplier": [1.0, 1.2, 1.0, 1.2], "score": ["rule", "rule", "logit_at_capacity",
                       "logit_at_capacity"], "recall": [0.1, 0.2, 0.6, 0.5],
                       "prevalence": [0.02, 0.03, 0.02, 0.03],
                       "rule_flagged_share_all": [0.3, 0.4, 0.3, 0.4]})
    fig = _no_glyph_warnings(lambda: plots.line_sensitivity(ls, "en"))
    assert fig.axes[0].lines[1].get_ydata().tolist() == [0.5]  # x1 is the capacity table's
    assert "Logit" in fig.axes[0].get_legend().get_texts()[1].get_text()
    plt.close(fig)


def test_county_figures_skip_suppressed_cells():
    tab = pd.DataFrame({"type": ["因病", "因灾"], "n": [12, "<5"]})
    fig = _no_glyph_warnings(lambda: plots.bar_counts(tab, "type", "n", "风险类型"))
    assert sorted(b.get_width() for b in fig.axes[0].patches) == [0.0, 12.0]
    assert any(t.get_text().strip() == "<5" for t in fig.axes[0].texts)
    plt.close(fig)
    long = pd.DataFrame({"town": ["甲镇"] * 3 + ["乙镇"] * 3, "period": ["2024Q1", "2024Q2",
                         "2024Q3"] * 2, "pct": [10.0, 12.0, 11.0, np.nan, np.nan, np.nan]})
    fig = _no_glyph_warnings(lambda: plots.small_multiples(long, "town", "period", "pct", "监测户占比",
                                                           ncols=2))
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["甲镇", "乙镇"]
    assert visible[0].lines[0].get_ydata().tolist() == [10.0, 12.0, 11.0]
    plt.close(fig)
    traj = pd.DataFrame({"period": ["2024Q1", "2024Q2"], "a": [1.0, 2.0], "line": [5.0, 5.0]})
    fig = _no_glyph_warnings(lambda: plots.period_lines(traj, "period", {"a": "脱贫户",
                                                        "line": "监测线"}, "收入", dashed=("line",)))
    assert fig.axes[0].lines[1].get_linestyle() == "--"
    plt.close(fig)


def test_odds_ratio_forest_draws_the_table():
    from relapse_models.report.figures import odds_ratio_forest

    tab = pd.DataFrame({
        "term": ["Intercept", "income_ratio", "oop_share", "dibao"],
        "odds_ratio": [0.2, 0.5, 2.0, 1.1],
        "ci_low": [0.1, 0.4, 1.5, 0.9],
        "ci_high": [0.3, 0.6, 2.6, 1.3],
    })
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no missing CJK glyphs
        fig = odds_ratio_forest(tab)
        fig.canvas.draw()
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    # sorted by odds ratio, intercept left out, Chinese names
    assert [t.get_text() for t in ax.get_yticklabels()] == ["人均纯收入/监测线", "低保", "自付医疗费/收入"]
    points = np.asarray(ax.lines[0].get_xdata(), dtype=float)
    np.testing.assert_allclose(points, [0.5, 1.1, 2.0])
    assert any(list(line.get_xdata()) == [1.0, 1.0] for line in ax.lines)  # no-effect line
    en = odds_ratio_forest(tab, language="en", intercept=True)
    assert [t.get_text() for t in en.axes[0].get_yticklabels()][0] == "intercept"
    plt.close("all")


def test_bar_counts_axis_starts_at_zero_even_when_every_cell_is_suppressed():
    fig = plots.bar_counts(pd.DataFrame({"t": ["缺劳动力"], "n": ["<5"]}), "t", "n", "风险类型")
    assert fig.axes[0].get_xlim() == (0.0, 1.0)
    plt.close(fig)


def test_risk_drivers_top_features_and_one_line_per_feature():
    drivers = pd.DataFrame(
        [{"method": "permutation_importance", "feature": f"f{i}", "rank": i, "grid_value": None,
          "value": 0.1 / (i + 1), "sd": 0.01} for i in range(15)]
        + [{"method": "partial_dependence", "feature": f, "rank": None, "grid_value": g,
            "value": 0.01 * g, "sd": None} for f in ("f0", "f1") for g in range(5)]
    )
    fig = plots.risk_drivers(drivers, top=12)
    ax_imp, ax_pd = fig.axes[:2]
    assert len(ax_imp.patches) == 12  # the top 12 of 15 importances
    assert [t.get_text() for t in ax_imp.get_yticklabels()][-1] == "f0"  # largest on top
    assert len(ax_pd.get_lines()) == 2
    plt.close(fig)
