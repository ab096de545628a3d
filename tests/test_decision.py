"""Net benefit, decision curves and costs against hand computations on ten households
(tests/conftest.py, ``make_ten_households``: 4 cases in 10, so prevalence 0.4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relapse_models.warning import decision as D


def test_net_benefit_is_the_published_definition():
    # Vickers & Elkin (2006), eq. in "Decision curve analysis": NB = TP/n - FP/n * pt/(1-pt)
    assert D.net_benefit(3, 2, 10, 0.2) == pytest.approx(0.3 - 0.2 * 0.25)
    assert D.net_benefit(30, 20, 100, 0.5) == pytest.approx(0.1)  # odds 1: a FP cancels a TP
    # treat all crosses zero exactly at pt = prevalence; a perfect test's NB is the prevalence
    assert D.net_benefit_all(0.4, 0.4) == pytest.approx(0.0)
    assert D.net_benefit(4, 0, 10, [0.05, 0.3, 0.9]) == pytest.approx([0.4, 0.4, 0.4])
    with pytest.raises(ValueError):
        D.threshold_odds([0.0])


def test_decision_curve_by_hand(ten_households):
    df = ten_households
    dc = D.decision_curve(
        df["relapse"], {"logit": df["score_logit"]},
        fixed={"rule_official": df["score_rule"] >= 0.25}, pt=[0.2, 0.4, 0.5],
    ).set_index(["score", "threshold_probability"])
    # p_t 0.2 (odds 1/4): logit flags h1-h6 -> TP 3 (h1 h2 h4), FP 3
    r = dc.loc[("logit", 0.2)]
    assert (r["flagged_n"], r["tp"], r["fp"]) == (6, 3, 3)
    assert r["net_benefit"] == pytest.approx(0.3 - 0.3 / 4)
    assert r["standardised_net_benefit"] == pytest.approx((0.3 - 0.3 / 4) / 0.4)
    # p_t 0.5: logit flags h1-h3 -> TP 2, FP 1 -> 0.2 - 0.1
    assert dc.loc[("logit", 0.5), "net_benefit"] == pytest.approx(0.1)
    # the official rule keeps its flags (h1 h2 h3 h5 h9: TP 2, FP 3) at every p_t
    assert dc.loc[("rule_official", 0.2), "net_benefit"] == pytest.approx(0.2 - 0.3 / 4)
    assert dc.loc[("rule_official", 0.5), "net_benefit"] == pytest.approx(0.2 - 0.3)
    # references: visit all = 0.4 - 0.6 * odds; visit none = 0
    assert dc.loc[("visit_all", 0.2), "net_benefit"] == pytest.approx(0.4 - 0.6 / 4)
    assert dc.loc[("visit_all", 0.4), "net_benefit"] == pytest.approx(0.0)
    assert dc.loc[("visit_all", 0.5), "net_benefit"] == pytest.approx(-0.2)
    assert (dc.xs("visit_none", level="score")["net_benefit"] == 0).all()


def test_decision_curve_drops_missing_labels_and_never_flags_missing_scores():
    y = pd.array([True, False, None, True], dtype="boolean")
    dc = D.decision_curve(y, {"m": [0.9, 0.8, 0.99, np.nan]}, pt=[0.5])
    r = dc.set_index("score").loc["m"]
    assert (r["n"], r["n_pos"], r["flagged_n"], r["tp"], r["fp"]) == (3, 2, 2, 1, 1)


def test_costs_by_hand_and_the_identity_with_net_benefit(ten_households):
    costs = D.DecisionCosts(visit_cost=50, missed_relapse_cost=3000, visit_effect=0.8)
    assert costs.cost_per_flag == 150  # three monthly visits in a quarter
    assert costs.threshold_probability == pytest.approx(150 / 2400)
    # logit at 0.5: 3 flagged, TP 2 of 4 positives, n 10
    cost = D.expected_cost(2, 3, 4, 10, costs)
    assert cost == pytest.approx((3 * 150 + 2 * 3000 + 2 * 0.2 * 3000) / 10)  # 765
    pt = costs.threshold_probability
    nb = D.net_benefit(2, 1, 10, pt)
    assert cost == pytest.approx(0.4 * 3000 - (0.8 * 3000 - 150) * nb)
    assert D.expected_cost(4, 10, 4, 10, costs) == pytest.approx((1500 + 2400) / 10)  # all
    assert D.expected_cost(0, 0, 4, 10, costs) == pytest.approx(1200)  # none


def test_add_costs_and_min_cost_threshold(ten_households):
    from relapse_models.warning.thresholds import threshold_table

    costs = D.DecisionCosts(visit_cost=50, missed_relapse_cost=3000, visit_effect=0.8)
    tab = D.add_costs(
        threshold_table(ten_households, "score_logit", [0.1, 0.5, 0.8], pooled=False), costs
    ).set_index("threshold")
    # 0.1: 8 flagged, TP 4 -> (8*150 + 4*600)/10 = 360; 0.5 -> 765; 0.8: 1 flagged, TP 1 ->
    # (150 + 3*3000 + 600)/10 = 975
    np.testing.assert_allclose(tab["cost_per_household"], [360, 765, 975])
    np.testing.assert_allclose(tab["cost_visit_all"], 390)
    np.testing.assert_allclose(tab["cost_visit_none"], 1200)
    best = D.min_cost_thresholds(tab.reset_index())
    assert best["threshold"].tolist() == [0.1]
    capped = D.min_cost_thresholds(tab.reset_index(), capacity_share=0.3)
    assert capped["threshold"].tolist() == [0.5]


def test_costs_from_config_and_when_visits_never_pay():
    from relapse_models.core.config import from_json

    sections = from_json('{"thresholds": {"visit_cost": 100, "missed_relapse_cost": 200}}')
    c = D.DecisionCosts.from_config(sections)
    assert c.visit_cost == 100 and c.visit_effect == 1.0  # the schema's default
    assert np.isnan(c.threshold_probability)  # a flag costs 300 > 200 averted
    assert D.DecisionCosts.from_config(None) == D.DecisionCosts(50, 3000, 1.0)
