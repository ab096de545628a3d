"""Threshold table, capacity and tiers against numbers worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relapse_models import thresholds as T

CAPACITY = {"grid_workers_per_1000_households": 4, "visits_per_worker_per_month": 30}


def _ten_rows() -> pd.DataFrame:
    """County a: a1 foresees an onset in 2022Q4 from 2022Q1-Q3 (3, 2, 1 quarters ahead);
    a2 never relapses; a3 is already in the relapse state (positive, but no new onset).
    County b: b1 foresees an onset in 2022Q2; b2 negative, then an unlabelled row."""
    return pd.DataFrame(
        {
            "household_id": ["a1", "a1", "a1", "a2", "a2", "a3", "b1", "b1", "b2", "b2"],
            "county_id": ["a"] * 6 + ["b"] * 4,
            "year": 2022,
            "quarter": [1, 2, 3, 1, 2, 1, 1, 2, 1, 2],
            "relapse": pd.array(
                [True, True, True, False, False, True, True, False, False, None], dtype="boolean"
            ),
            "at_risk": [True, True, True, True, True, False, True, False, True, True],
            "relapse_in_quarters": pd.array(
                [3, 2, 1, None, None, 1, 1, None, None, None], dtype="Int64"
            ),
            "score": [0.2, 0.6, 0.9, 0.7, 0.1, 0.8, 0.4, 0.3, 0.55, 0.95],
        }
    )


def test_threshold_table_by_hand():
    tab = T.threshold_table(_ten_rows(), "score", [0.15, 0.5], capacity_config=CAPACITY)
    assert list(tab.columns) == T.TABLE_COLUMNS
    t = tab.set_index(["county_id", "threshold"])
    a = t.loc[("a", 0.5)]  # flagged: 0.6 (tp), 0.9 (tp), 0.7 (fp), 0.8 (tp)
    assert (a["n"], a["n_pos"], a["flagged_n"], a["tp"], a["fp"], a["fn"]) == (6, 4, 4, 3, 1, 1)
    assert a["flagged_share"] == pytest.approx(4 / 6)
    assert a["recall"] == pytest.approx(0.75) and a["precision"] == pytest.approx(0.75)
    assert a["f_beta"] == pytest.approx(0.75)
    # one case (a1's onset); earliest flag 2022Q2, 2 quarters ahead; 1 false alarm per case
    assert (a["cases_n"], a["cases_detected"], a["lead_time_median"]) == (1, 1, 2)
    assert a["false_alarms_per_case"] == 1.0
    assert a["visits_per_worker_month"] == pytest.approx(4 / 6 * 1000 / 4)
    b = t.loc[("b", 0.5)]  # the unlabelled 0.95 row is dropped; 0.55 is a false alarm
    assert (b["n"], b["n_pos"], b["flagged_n"], b["tp"], b["fp"]) == (3, 1, 1, 0, 1)
    assert b["recall"] == 0 and b["precision"] == 0 and b["f_beta"] == 0
    assert b["cases_detected"] == 0 and np.isnan(b["lead_time_median"])
    assert np.isnan(b["false_alarms_per_case"])
    p = t.loc[("all", 0.5)]
    assert (p["n"], p["flagged_n"], p["tp"], p["fp"]) == (9, 5, 3, 2)
    assert p["recall"] == pytest.approx(0.6) and p["case_recall"] == 0.5
    assert p["false_alarms_per_case"] == 2.0
    lo = t.loc[("all", 0.15)]  # leads: a1 3 quarters (0.2 flagged), b1 1 quarter
    assert (lo["flagged_n"], lo["tp"], lo["fp"], lo["cases_detected"]) == (8, 5, 3, 2)
    assert lo["lead_time_median"] == 2.0 and lo["lead_time_mean"] == 2.0
    assert lo["false_alarms_per_case"] == 1.5
    assert t.loc[("b", 0.15), "lead_time_median"] == 1.0


def test_f_beta_and_score_name():
    tab = T.threshold_table(_ten_rows(), "score", [0.15], by=None, beta=2.0, score_name="m")
    assert tab["county_id"].tolist() == ["all"] and tab["score"].tolist() == ["m"]
    r, p = 1.0, 5 / 8
    assert tab["f_beta"].iloc[0] == pytest.approx(5 * p * r / (4 * p + r))
    assert np.isnan(tab["visits_per_worker_month"].iloc[0])


def test_default_thresholds_cover_coarse_scores():
    df = _ten_rows().assign(rule=[0, 0.25, 0.25, 0, 0, 0.5, 0.25, 0, 0, 0])
    tab = T.threshold_table(df, "rule", pooled=False, by=None)
    assert tab["threshold"].tolist() == [0.0, 0.25, 0.5]
    assert tab["flagged_share"].iloc[0] == 1.0


def test_capacity_share():
    assert T.capacity_share(5000, CAPACITY) == pytest.approx(0.12)  # 20 workers x 30 / 5000
    assert T.capacity_share(5000, CAPACITY, visits_per_flag_per_month=2) == pytest.approx(0.06)
    assert T.monthly_visit_capacity(5000, CAPACITY) == pytest.approx(600)
    big = {"grid_workers_per_1000_households": 50, "visits_per_worker_per_month": 30}
    assert T.capacity_share(100, big) == 1.0
    with pytest.raises(ValueError):
        T.capacity_share(0, CAPACITY)


def test_best_threshold_within_capacity():
    tab = T.threshold_table(_ten_rows(), "score", [0.15, 0.5, 0.85])
    best = T.best_threshold_within_capacity(tab, 0.6)
    pooled = best.set_index("county_id").loc["all"]
    assert pooled["threshold"] == 0.5  # 5/9 flagged fits 0.6, 8/9 does not
    assert pooled["fits_capacity"] and pooled["capacity_share"] == 0.6
    assert set(best["county_id"]) == {"a", "b", "all"}
    none_fit = T.best_threshold_within_capacity(tab, 0.05).set_index("county_id").loc["all"]
    assert not none_fit["fits_capacity"] and none_fit["threshold"] == 0.85
    per_county = T.best_threshold_within_capacity(tab, {"a": 1.0, "b": 0.0, "all": 0.6})
    assert per_county.set_index("county_id").loc["a", "threshold"] == 0.15


def test_tiers_fit_capacity_by_hand():
    score = pd.Series(np.linspace(1.0, 0.01, 100), index=np.arange(100) + 7)
    tr = T.tiers(score, capacity_share=0.12)
    # budget 12 visits/month; one unit (1 red, 2 yellow, 4 blue) costs 2 + 2 + 4/3 -> 2.25
    # units -> 2 red, 4 yellow, 9 blue; load 4 + 4 + 3 = 11
    assert tr.attrs["sizes"] == {"red": 2, "yellow": 4, "blue": 9}
    assert tr.attrs["load"] == pytest.approx(11.0) and tr.attrs["budget"] == pytest.approx(12)
    assert tr.index.equals(score.index)
    assert tr["tier"].iloc[:2].tolist() == ["red"] * 2
    assert tr["tier"].iloc[2:6].tolist() == ["yellow"] * 4
    assert tr["tier"].iloc[6:15].tolist() == ["blue"] * 9
    assert (tr["tier"].iloc[15:] == "none").all()
    assert tr["visits_per_month"].sum() == pytest.approx(11.0)


@pytest.mark.parametrize("cap", [0.0, 0.01, 0.05, 0.12, 0.3, 0.9, 1.0])
def test_tiers_never_exceed_budget(cap):
    rng = np.random.default_rng(int(cap * 100))
    s = rng.random(537)
    tr = T.tiers(s, capacity_share=cap)
    assert tr["visits_per_month"].sum() <= cap * 537 + 1e-9
    # higher tiers hold higher scores
    mins = tr.groupby("tier", observed=True).apply(lambda g: s[g.index].min(), include_groups=False)
    maxs = tr.groupby("tier", observed=True).apply(lambda g: s[g.index].max(), include_groups=False)
    present = [t for t in T.TIER_ORDER if t in mins.index]
    for hi, lo in zip(present, present[1:], strict=False):
        assert mins[hi] >= maxs[lo]


def test_tier_table_by_hand():
    tier = ["red", "yellow", "yellow", "blue", "none", "none"]
    y = [True, True, False, False, True, False]
    visits = [2, 1, 1, 1 / 3, 0, 0]
    tab = T.tier_table(pd.Series(tier), y, visits).set_index("tier")
    assert tab["n"].tolist() == [1, 2, 1, 2]
    assert tab["n_pos"].tolist() == [1, 1, 0, 1]
    np.testing.assert_allclose(tab["share_of_cases"], [1 / 3, 1 / 3, 0, 1 / 3])
    np.testing.assert_allclose(tab["load"], [2, 2, 1 / 3, 0])
    np.testing.assert_allclose(tab["rate"], [1, 0.5, 0, 0.5])


def test_pipeline_on_tiny_features(tiny_tables, tiny_lines):
    """build_features -> rule score -> threshold table, end to end on the hand fixture."""
    from relapse_models.features import build_features
    from relapse_models.models import RuleModel

    f = build_features(
        tiny_tables["households"], tiny_tables["panel"], tiny_tables["events"], tiny_lines, {}
    )
    f["rule"] = RuleModel().fit(f).predict_proba(f)[:, 1]
    tab = T.threshold_table(f, "rule", [0.25])
    row = tab.set_index("county_id").loc["all"]
    # labelled rows with known income: 15; positives among them: A 21Q4-22Q4 (5), B 21Q4-22Q1
    # (2), D 22Q1-22Q4 (4). Only A 2022Q4 (income 0.67 x line, drop 50 %) triggers.
    assert (row["n"], row["n_pos"], row["flagged_n"], row["tp"]) == (15, 11, 1, 1)
    # cases: A's onset 2022Q4 is seen from 21Q4-22Q3; A 2022Q4 is already in the state.
    assert row["cases_n"] == 3 and row["cases_detected"] == 0
