"""Recall and misses by subgroup and town against hand computations on ten households
(tests/conftest.py, ``make_ten_households``). The flag is the logit at 0.5: h1 h2 h3 flagged,
so TP = h1 h2, misses = h4 h7."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relapse_models.report.suppression import publishable
from relapse_models.warning import equity as E


def _table(df: pd.DataFrame, min_cell: int = 2, n_boot: int = 0) -> pd.DataFrame:
    return E.equity_table(
        df["relapse"], df["score_logit"] >= 0.5, E.subgroup_membership(df),
        df["household_id"], df["village_id"], min_cell=min_cell, n_boot=n_boot,
    ).set_index("group")


def test_membership_by_hand(ten_households):
    m = E.subgroup_membership(ten_households)
    assert m.sum().to_dict() == {
        "all": 10, "elderly": 4, "disabled": 2, "chronic_ill": 2, "relocated": 2,
        "poverty_alleviated": 5, "general": 5,
    }
    assert m.loc[m["elderly"], :].index.tolist() == [0, 3, 5, 6]  # h1 h4 h6 h7


def test_subgroup_recall_and_misses_by_hand(ten_households):
    t = _table(ten_households)
    a = t.loc["all"]
    assert (a["n"], a["n_pos"], a["tp"], a["fn"], a["flagged_n"]) == (10, 4, 2, 2, 3)
    assert a["recall"] == 0.5 and a["share_of_cases"] == 1 and a["share_of_misses"] == 1
    assert np.isnan(a["recall_rest"])  # nobody outside "all"
    el = t.loc["elderly"]  # h1 h4 h6 h7: cases h1 h4 h7, only h1 flagged
    assert (el["n_pos"], el["tp"], el["fn"]) == (3, 1, 2)
    assert el["recall"] == pytest.approx(1 / 3)
    assert el["share_of_cases"] == 0.75 and el["share_of_misses"] == 1.0
    assert el["recall_rest"] == 1.0 and el["recall_gap"] == pytest.approx(-2 / 3)
    assert el["flagged_share"] == 0.25 and el["precision"] == 1.0
    di = t.loc["disabled"]  # h1 h6: h1 caught
    assert (di["recall"], di["recall_rest"]) == (1.0, pytest.approx(1 / 3))
    ch = t.loc["chronic_ill"]  # h2 caught, h7 missed
    assert (ch["recall"], ch["share_of_misses"], ch["recall_gap"]) == (0.5, 0.5, 0.0)
    re = t.loc["relocated"]  # h3 (flagged, no case) and h8: no cases
    assert re["n_pos"] == 0 and np.isnan(re["recall"]) and re["precision"] == 0
    assert re["recall_rest"] == 0.5
    assert t.loc["poverty_alleviated", "share_of_cases"] == 1.0
    assert t.loc["general", "n_pos"] == 0


def test_towns_partition_the_cases(ten_households):
    df = ten_households
    t = E.equity_table(
        df["relapse"], df["score_logit"] >= 0.5, E.partition_membership(df["town_id"]),
        df["household_id"], dimension="town", partition=True, min_cell=2, n_boot=0,
    ).set_index("group")
    assert t.index.tolist() == ["t1", "t2"]
    assert t.loc["t1", "recall"] == pytest.approx(2 / 3) and t.loc["t2", "recall"] == 0
    assert t["share_of_cases"].tolist() == [0.75, 0.25]
    assert t["share_of_misses"].tolist() == [0.5, 0.5]
    assert t["share_of_cases"].sum() == 1 and t["share_of_misses"].sum() == 1


def test_small_cells_are_flagged(ten_households):
    t = _table(ten_households, min_cell=2)
    # 1 household behind the disabled cases (h1) and the chronic misses (h7): recognisable
    assert t["suppress"].to_dict() == {
        "all": False, "elderly": False, "disabled": True, "chronic_ill": True,
        "relocated": False, "poverty_alleviated": False, "general": False,
    }
    # min_cell 5: every group has < 5 households or 1-4 behind its cases, except "general"
    # (5 households, no case, no miss)
    five = _table(ten_households, min_cell=5)["suppress"]
    assert five.drop("general").all() and not five["general"]
    pub = publishable(_table(ten_households, min_cell=2).reset_index(), 2)
    row = pub.set_index("group").loc["disabled"]
    assert row["recall"] == "<2" and row["n_pos"] == "<2"
    # the group has 2 households (>= min_cell): its size shows, only its cases are hidden
    assert row["households"] == 2 and row["n"] == 2
    assert pub.set_index("group").loc["elderly", "recall"] == pytest.approx(1 / 3)
    # a group below min_cell households hides its size too
    pub3 = publishable(_table(ten_households, min_cell=3).reset_index(), 3)
    assert pub3.set_index("group").loc["disabled", "households"] == "<3"


def test_complementary_suppression():
    s = E.complementary_suppression(pd.Series([False, True, False]), pd.Series([9, 1, 4]))
    assert s.tolist() == [False, True, True]  # the smallest other cell goes too
    two = E.complementary_suppression(pd.Series([True, True, False]), pd.Series([1, 2, 9]))
    assert two.tolist() == [True, True, False]


def test_intervals_are_paired_and_clustered(ten_households):
    df = ten_households
    # a flag equal to the label: recall 1 in every replicate with cases; gap 0 for "all"
    t = E.equity_table(
        df["relapse"], df["relapse"].astype(bool), E.subgroup_membership(df),
        df["household_id"], df["village_id"], n_boot=50, seed=3,
    ).set_index("group")
    assert t.loc["all", "recall_ci_low"] == 1 and t.loc["all", "recall_ci_high"] == 1
    assert t.loc["elderly", "recall_gap_ci_low"] == 0 == t.loc["elderly", "recall_gap_ci_high"]
    # without replicates there is no interval
    assert np.isnan(_table(df)["recall_ci_low"]).all()
    # by hand: the same village replicates, recall of "elderly" recomputed row by row
    from relapse_models.models.evaluation import cluster_bootstrap_weights

    flag = (df["score_logit"] >= 0.5).to_numpy()
    y = df["relapse"].astype(bool).to_numpy()
    el = (df["elderly_share"] > 0).to_numpy()
    reps = []
    for w in cluster_bootstrap_weights(df["village_id"], np.ones(10, bool), 50, 3):
        pos = (w * (y & el)).sum()
        reps.append((w * (y & el & flag)).sum() / pos if pos else np.nan)
    t2 = E.equity_table(
        df["relapse"], flag, E.subgroup_membership(df), df["household_id"], df["village_id"],
        n_boot=50, seed=3,
    ).set_index("group")
    assert t2.loc["elderly", "recall_ci_low"] == pytest.approx(np.nanquantile(reps, 0.025))
    assert t2.loc["elderly", "recall_ci_high"] == pytest.approx(np.nanquantile(reps, 0.975))


def test_county_equity_long_format(ten_households):
    flags = {"logit": ten_households["score_logit"] >= 0.5}
    out = E.county_equity(ten_households, flags, min_cell=2, n_boot=0)
    assert out.columns[0] == "score"
    assert set(out["dimension"]) == {"subgroup", "town"}
    assert len(out) == 7 + 2
    no_attrs = E.county_equity(ten_households.drop(columns=["relocated"]), flags, n_boot=0)
    assert set(no_attrs["dimension"]) == {"town"}


def test_equity_per_episode_counts_each_relapse_once():
    """a1 (town t1) foresees one onset from three quarters, flagged in one of them; b1 (t2)
    foresees one onset, never flagged; c1 (t1) never relapses. By row t1's recall is 1/3,
    by episode 1/1; t2 misses its only case, so it holds every missed case."""
    df = pd.DataFrame({
        "household_id": ["a1", "a1", "a1", "b1", "c1"],
        "town_id": ["t1", "t1", "t1", "t2", "t1"],
        "village_id": ["v1", "v1", "v1", "v2", "v1"],
        "year": 2022, "quarter": [1, 2, 3, 1, 1],
        "relapse": pd.array([True, True, True, True, False], dtype="boolean"),
        "at_risk": True,
        "relapse_in_quarters": pd.array([3, 2, 1, 1, None], dtype="Int64"),
    })
    flag = np.array([False, True, False, False, False])
    tab = E.county_equity(df, {"s": flag}, min_cell=1, n_boot=0).set_index("group")
    assert tab.loc["t1", "recall"] == pytest.approx(1 / 3)
    assert (tab.loc["t1", "cases_n"], tab.loc["t1", "cases_detected"]) == (1, 1)
    assert tab.loc["t1", "case_recall"] == 1.0 and tab.loc["t2", "case_recall"] == 0.0
    assert tab.loc["t2", "cases_missed"] == 1 and tab.loc["t2", "share_of_missed_cases"] == 1.0
    assert tab.loc["t1", "share_of_missed_cases"] == 0.0


def _distinct(ids, member, rows=None):
    """Distinct ids per column of a boolean rows x groups matrix, as equity_table counts them
    (each group as its row positions)."""
    from relapse_models.warning.equity import _distinct_cells, _id_codes

    cells = [np.flatnonzero(member[:, j]) for j in range(member.shape[1])]
    return _distinct_cells(_id_codes(ids), cells, rows)


def test_distinct_ids_per_column_by_hand():
    ids = np.array(["a", "a", "b", "c", "c", "c"], dtype=object)
    member = np.array([[1, 0, 1], [1, 1, 0], [0, 1, 0], [1, 0, 0], [1, 0, 0], [0, 0, 0]], bool)
    # column 0: a, c; column 1: a, b; column 2: a
    assert _distinct(ids, member).tolist() == [2, 2, 1]
    assert _distinct(np.array([3, -1, -1]), np.ones((3, 1), bool)).tolist() == [2]


def test_distinct_counts_match_sets_of_ids():
    """Against Python sets, with a row mask, for strings, codes from 0 and negative codes."""
    rng = np.random.default_rng(7)
    n = 300
    member = rng.random((n, 4)) < 0.4
    rows = rng.random(n) < 0.6
    for ids in (rng.choice(["a", "b", "c", "d", "e"], n).astype(object),
                rng.integers(0, 40, n), rng.integers(-1, 6, n)):
        for mask in (None, rows):
            m = member if mask is None else member & mask[:, None]
            want = [len({ids[i] for i in np.flatnonzero(m[:, j])}) for j in range(4)]
            assert _distinct(ids, member, mask).tolist() == want
    assert _distinct(np.array([], dtype=int), np.zeros((0, 2), bool)).tolist() == [0, 0]


def test_id_codes_are_equal_where_the_ids_are():
    from relapse_models.warning.equity import _id_codes

    for ids in (np.array([5, -1, 5, 3]), np.array(["x", "y", "x", None], dtype=object),
                np.array([0, 10**12, 0])):  # a huge range is factorized, not shifted
        c = _id_codes(ids)
        assert (c >= 0).all()
        assert all((c[i] == c[j]) == (ids[i] == ids[j])
                   for i in range(len(ids)) for j in range(len(ids)))


def test_recall_grid_matches_the_equity_table_at_each_threshold(ten_households):
    """The explorer's grid is the equity table's recall, threshold by threshold."""
    df = ten_households
    groups = E.subgroup_membership(df)
    thresholds = [0.0, 0.3, 0.5, 0.8]
    grid = E.recall_grid(df["relapse"], {"logit": df["score_logit"]}, {"logit": thresholds},
                         groups, df["household_id"], min_cell=1)
    assert len(grid) == len(thresholds) * groups.shape[1]
    for thr in thresholds:
        ref = E.equity_table(df["relapse"], df["score_logit"] >= thr, groups, df["household_id"],
                             min_cell=1, n_boot=0).set_index("group")
        got = grid[grid["threshold"] == thr].set_index("group")
        pd.testing.assert_series_equal(got["recall"], ref["recall"], check_names=False)
        pd.testing.assert_series_equal(got["flagged_share"], ref["flagged_share"],
                                       check_names=False)
    # min_cell 2: the disabled group has one household behind its cases -> suppressed
    small = E.recall_grid(df["relapse"], {"logit": df["score_logit"]}, {"logit": [0.5]},
                          groups, df["household_id"], min_cell=2).set_index("group")
    assert small.loc["disabled", "suppress"] and np.isnan(small.loc["disabled", "recall"])
    assert small.loc["elderly", "recall"] == pytest.approx(1 / 3)
