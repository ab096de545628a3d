"""Threshold table, capacity and tiers against numbers worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relapse_models.core.config import validate_config
from relapse_models.warning import capacity as CAP
from relapse_models.warning import intervals as IV
from relapse_models.warning import lead_times as LT
from relapse_models.warning import line_sensitivity as LS
from relapse_models.warning import official_tiers as OT
from relapse_models.warning import settings as TS
from relapse_models.warning import thresholds as T
from relapse_models.warning import tiers as TI

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
    assert CAP.capacity_share(5000, CAPACITY) == pytest.approx(0.12)  # 20 workers x 30 / 5000
    assert CAP.capacity_share(5000, CAPACITY, visits_per_flag_per_month=2) == pytest.approx(0.06)
    assert CAP.monthly_visit_capacity(5000, CAPACITY) == pytest.approx(600)
    big = {"grid_workers_per_1000_households": 50, "visits_per_worker_per_month": 30}
    assert CAP.capacity_share(100, big) == 1.0
    with pytest.raises(ValueError):
        CAP.capacity_share(0, CAPACITY)


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
    tr = TI.tiers(score, capacity_share=0.12)
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
    tr = TI.tiers(s, capacity_share=cap)
    assert tr["visits_per_month"].sum() <= cap * 537 + 1e-9
    # higher tiers hold higher scores
    mins = tr.groupby("tier", observed=True).apply(lambda g: s[g.index].min(), include_groups=False)
    maxs = tr.groupby("tier", observed=True).apply(lambda g: s[g.index].max(), include_groups=False)
    present = [t for t in TI.TIER_ORDER if t in mins.index]
    for hi, lo in zip(present, present[1:], strict=False):
        assert mins[hi] >= maxs[lo]


def test_tier_table_by_hand():
    tier = ["red", "yellow", "yellow", "blue", "none", "none"]
    y = [True, True, False, False, True, False]
    visits = [2, 1, 1, 1 / 3, 0, 0]
    tab = TI.tier_table(pd.Series(tier), y, visits).set_index("tier")
    assert tab["n"].tolist() == [1, 2, 1, 2]
    assert tab["n_pos"].tolist() == [1, 1, 0, 1]
    np.testing.assert_allclose(tab["share_of_cases"], [1 / 3, 1 / 3, 0, 1 / 3])
    np.testing.assert_allclose(tab["load"], [2, 2, 1 / 3, 0])
    np.testing.assert_allclose(tab["rate"], [1, 0.5, 0, 0.5])


def test_pipeline_on_tiny_features(tiny_tables, tiny_lines):
    """build_features -> rule score -> threshold table, end to end on the hand fixture."""
    from relapse_models.models import RuleModel
    from relapse_models.outcome.features import build_features

    f = build_features(
        tiny_tables["households"], tiny_tables["panel"], tiny_tables["events"], tiny_lines, None
    )
    f["rule"] = RuleModel().fit(f).predict_proba(f)[:, 1]
    tab = T.threshold_table(f, "rule", [0.25])
    row = tab.set_index("county_id").loc["all"]
    # labelled rows with known income: 15; positives among them: A 21Q4-22Q4 (5), B 21Q4-22Q1
    # (2), D 22Q1-22Q4 (4). Only A 2022Q4 (income 0.67 x line, drop 50 %) triggers.
    assert (row["n"], row["n_pos"], row["flagged_n"], row["tp"]) == (15, 11, 1, 1)
    # cases: A's onset 2022Q4 is seen from 21Q4-22Q3; A 2022Q4 is already in the state.
    assert row["cases_n"] == 3 and row["cases_detected"] == 0


# --- issue 7: intervals, official vs model tiers, line sensitivity, settings, the step -----
# Hand numbers from make_ten_households (tests/conftest.py) and make_tiny_tables.


def test_flag_intervals_by_hand_and_paired(ten_households):
    df = ten_households
    flags = {
        "rule": df["score_rule"] >= 0.25,  # h1 h2 h3 h5 h9: TP 2
        "logit": df["score_logit"] >= 0.5,  # h1 h2 h3: TP 2
        "perfect": df["relapse"].astype(bool),
    }
    iv = IV.flag_intervals(
        df["relapse"], flags, df["village_id"], reference="rule", pt=0.2, n_boot=40, seed=1
    ).set_index("name")
    assert iv.loc["rule", "recall"] == 0.5 and iv.loc["rule", "precision"] == 0.4
    assert iv.loc["rule", "flagged_share"] == 0.5
    assert iv.loc["logit", "precision"] == pytest.approx(2 / 3)
    assert iv.loc["logit", "net_benefit"] == pytest.approx(0.2 - 0.1 / 4)
    assert iv.loc["logit", "flagged_share_diff"] == pytest.approx(-0.2)
    # a perfect flag has recall and precision 1 in every replicate; a flag minus itself is 0
    assert (iv.loc["perfect", ["recall_ci_low", "recall_ci_high"]] == 1).all()
    assert (iv.loc["rule", ["recall_diff_ci_low", "recall_diff_ci_high"]] == 0).all()
    # the interval is the percentile of the same village replicates, recomputed by hand
    from relapse_models.models.evaluation import cluster_bootstrap_weights

    y = df["relapse"].astype(bool).to_numpy()
    f = flags["logit"].to_numpy()
    reps = []  # a replicate without village v1 flags nobody: precision undefined, left out
    for w in cluster_bootstrap_weights(df["village_id"], np.ones(10, bool), 40, 1):
        k = (w * f).sum()
        reps.append((w * (y & f)).sum() / k if k else np.nan)
    assert np.isnan(reps).any()
    assert iv.loc["logit", "precision_ci_low"] == pytest.approx(np.nanquantile(reps, 0.025))
    assert iv.loc["logit", "precision_ci_high"] == pytest.approx(np.nanquantile(reps, 0.975))
    assert iv.attrs["n_boot"] == 40
    none = IV.flag_intervals(df["relapse"], flags, n_boot=0)
    assert none["recall_ci_low"].isna().all() and "recall_diff" not in none


def test_flag_intervals_pair_against_the_baseline_on_the_same_replicates(ten_households):
    """The baseline's difference is the rule's computed against another reference: by hand at
    the point, and its interval is the percentile of the very replicates' differences."""
    from relapse_models.models.evaluation import cluster_bootstrap_weights

    df = ten_households
    flags = {"rule": df["score_rule"] >= 0.25, "logit": df["score_logit"] >= 0.5,
             "income_ratio": df["score_logit"] >= 0.3}
    iv = IV.flag_intervals(df["relapse"], flags, df["village_id"], reference="rule",
                           baseline="income_ratio", n_boot=40, seed=1).set_index("name")
    assert iv.attrs["baseline"] == "income_ratio"
    y = df["relapse"].astype(bool).to_numpy()
    recall = {k: (y & v.to_numpy()).sum() / y.sum() for k, v in flags.items()}
    assert iv.loc["logit", "recall_vs_baseline"] == pytest.approx(
        recall["logit"] - recall["income_ratio"])
    assert iv.loc["rule", "recall_diff"] == 0  # the other reference is untouched
    assert (iv.loc["income_ratio", ["recall_vs_baseline_ci_low",
                                    "recall_vs_baseline_ci_high"]] == 0).all()
    diffs = []
    for w in cluster_bootstrap_weights(df["village_id"], np.ones(10, bool), 40, 1):
        pos = (w * y).sum()
        diffs.append(((w * (y & flags["logit"].to_numpy())).sum()
                      - (w * (y & flags["income_ratio"].to_numpy())).sum()) / pos
                     if pos else np.nan)
    assert iv.loc["logit", "recall_vs_baseline_ci_low"] == pytest.approx(
        np.nanquantile(diffs, 0.025))
    assert iv.loc["logit", "recall_vs_baseline_ci_high"] == pytest.approx(
        np.nanquantile(diffs, 0.975))
    assert "recall_vs_baseline" not in IV.flag_intervals(df["relapse"], flags, n_boot=0)


def test_official_tiers_by_trigger_count(ten_households):
    tr = OT.official_tiers(ten_households["score_rule"])
    # h1: 3 triggers (red), h3: 2 (yellow), h2 h5 h9: 1 (blue)
    assert tr["tier"].astype(str).tolist() == [
        "red", "blue", "yellow", "none", "blue", "none", "none", "none", "blue", "none"
    ]
    assert tr.attrs["sizes"] == {"red": 1, "yellow": 1, "blue": 3}
    assert tr.attrs["load"] == pytest.approx(2 + 1 + 3 / 3)
    strict = OT.official_tiers([0.75, 0.5, np.nan], {"red": 4, "yellow": 3, "blue": 2})
    assert strict["tier"].astype(str).tolist() == ["yellow", "blue", "none"]


def test_compare_tiers_by_hand(ten_households):
    df = ten_households
    # model tiers at capacity 0.5: budget 5 visits; a unit (1 red, 2 yellow, 4 blue) costs
    # 16/3, so 0.9375 units -> 0 red, 1 yellow (h1), 3 blue (h2 h3 h4); load 1 + 1 = 2
    model = TI.tiers_by_period(df, "score_logit", 0.5)
    assert model["tier"].astype(str).tolist()[:5] == ["yellow", "blue", "blue", "blue", "none"]
    schemes = {"official": OT.official_tiers(df["score_rule"]), "logit": model}
    tab = TI.compare_tiers(df["relapse"], schemes, df["quarter"], budget_per_month=3.5)
    t = tab.set_index(["scheme", "tier"])
    off, mod = t.loc[("official", "tiered")], t.loc[("logit", "tiered")]
    assert (off["n"], off["n_pos"], off["load"], off["share_of_cases"]) == (5, 2, 4, 0.5)
    assert not off["fits_capacity"]  # 4 visits a month > 3.5
    assert (mod["n"], mod["n_pos"], mod["share_of_cases"]) == (4, 3, 0.75)
    assert mod["load"] == pytest.approx(2) and mod["fits_capacity"]
    assert t.loc[("official", "red"), "load"] == 2 and t.loc[("official", "blue"), "n_pos"] == 1
    assert t.loc[("logit", "none"), "n_pos"] == 1 and pd.isna(t.loc[("logit", "red"), "budget"])


def test_tiers_by_period_ranks_within_each_quarter():
    df = pd.DataFrame({"year": 2024, "quarter": [1] * 10 + [2] * 10,
                       "s": list(np.linspace(1, 0.1, 10)) + list(np.linspace(0.05, 0.01, 10))})
    tr = TI.tiers_by_period(df, "s", capacity_share=1.0)
    # each quarter alone: budget 10, unit cost 16/3 -> 1 red, 3 yellow, 7 blue would be 11 >
    # 10 households: n / 7 units -> floor(10/7 * (1, 2, 4)) = 1, 2, 5
    for q in (1, 2):
        counts = tr.loc[df["quarter"] == q, "tier"].value_counts()
        assert (counts["red"], counts["yellow"], counts["blue"]) == (1, 2, 5)
    assert tr.attrs["budget"] == pytest.approx(10)
    assert tr.loc[10, "tier"] == "red"  # the top of quarter 2, although its score is low


def test_line_sensitivity_by_hand(tiny_tables, tiny_lines):
    """Year 2022. Line x1: A is below the line in 22Q4, B identified in 22Q2; the other 10
    labelled rows with known income are at risk and 8 relapse (A Q1-3, B Q1, D Q1-4: D's 6500
    falls below the 2023 line of 7000); only A 22Q4 triggers the rule (income 0.67 x line).
    Line x1.2 (7200 in 2022, 8400 in 2023): A below from 22Q3, D always; at risk A Q1-2, B Q1,
    Q3, Q4, all relapsing (B's 8000 < 8400 in 2023); the rule flags A Q3-4 and D Q1-4."""
    flags = pd.DataFrame({"household_id": ["A", "B", "D"], "year": 2022, "quarter": [1, 3, 1],
                          "m": [True, True, False]})
    out = LS.line_sensitivity(
        tiny_tables["households"], tiny_tables["panel"], tiny_tables["events"], tiny_lines,
        [1.0, 1.2], year=2022, flags=flags,
        config=validate_config({"rule": {"income_multiple": 1.0}}),
    ).set_index(["multiplier", "score"])
    one, up = out.loc[(1.0, "rule")], out.loc[(1.2, "rule")]
    assert (one["line"], one["rows"], one["n"], one["n_pos"]) == (6000, 12, 10, 8)
    assert one["below_line_share"] == pytest.approx(2 / 12)
    assert one["rule_flagged_share_all"] == pytest.approx(1 / 12)
    assert (one["flagged_n"], one["recall"]) == (0, 0)
    assert (up["line"], up["n"], up["n_pos"], up["prevalence"]) == (7200, 5, 5, 1.0)
    assert up["below_line_share"] == pytest.approx(7 / 12)
    assert up["rule_flagged_share_all"] == pytest.approx(6 / 12)
    # the model flag: x1 covers A Q1 (hit), B Q3 (false alarm), D Q1 (miss); x1.2: A Q1, B Q3
    m1, m2 = out.loc[(1.0, "m")], out.loc[(1.2, "m")]
    assert (m1["n_scored"], m1["flagged_n"], m1["recall"], m1["precision"]) == (3, 2, 0.5, 0.5)
    assert (m2["n_scored"], m2["flagged_n"], m2["recall"], m2["precision"]) == (2, 2, 1.0, 1.0)


def test_threshold_settings_add_the_edge_multiple():
    from relapse_models.core.config import default_config, from_json

    s = TS.threshold_settings(default_config())
    assert s["line_multipliers"] == [1.0, 1.1, 1.2, 1.5]
    assert s["visit_cost"] == 50.0
    s2 = TS.threshold_settings(from_json(
        '{"thresholds": {"line_multipliers": [1.5, 1.0]}, "monitoring": {"edge_multiple": 1.5}}'
    ))
    assert s2["line_multipliers"] == [1.0, 1.5]


def test_threshold_step_writes_every_detail(tmp_path, tiny_tables, tiny_lines):
    """The step on the hand fixture: features -> rule and a stand-in model -> all outputs."""
    import json

    from relapse_models.core.io import write_parquet
    from relapse_models.models import RuleModel
    from relapse_models.outcome.features import build_features
    from relapse_models.stages import thresholds as step

    f = build_features(*tiny_tables.values(), tiny_lines, None)
    pred = f[(f["year"] == 2022) & f["at_risk"] & f["relapse"].notna()
             & f["income_ratio"].notna()].reset_index(drop=True)
    pred["score_rule"] = RuleModel().fit(pred).predict_proba(pred)[:, 1]
    pred["score_logit"] = 1 / (1 + np.exp(5 * (pred["income_ratio"] - 1.1)))
    pred["score_income_ratio"] = 1 / (1 + np.exp(2 * (pred["income_ratio"] - 1.3)))
    paths = {"pred": tmp_path / "p.parquet", "feat": tmp_path / "f.parquet",
             "interim": tmp_path / "interim"}
    write_parquet(pred, paths["pred"])
    write_parquet(f, paths["feat"])
    for name, table in tiny_tables.items():
        write_parquet(table, paths["interim"] / f"{name}.parquet")
    config = validate_config({"seed": 1, "capacity": {"grid_workers_per_1000_households": 100,
                                                       "visits_per_worker_per_month": 3},
                              "models": {"bootstrap": 20}, "report": {"min_cell": 2},
                              "monitoring": {"edge_multiple": 1.5}})
    res = step.run("c1", paths["pred"], config, tmp_path / "t" / "c1.csv",
                   tmp_path / "r" / "c1.json", features_path=paths["feat"],
                   interim_dir=paths["interim"], detail_dir=tmp_path / "d")
    for name in step.DETAIL_TABLES:
        assert (tmp_path / "d" / f"{name}.csv").stat().st_size > 0
        assert not res.details()[name].empty, name
    rec = json.loads((tmp_path / "r" / "c1.json").read_text())["c1"]
    assert {"costs", "intervals", "tier_comparison", "by_score"} <= set(rec)
    # the intervals' point estimates are the table's numbers at the chosen thresholds
    best = res.best.set_index("score")
    iv = res.intervals[res.intervals["kind"] == "threshold"].set_index("name")
    for score in ("rule", "logit"):
        assert iv.loc[score, "flagged_share"] == pytest.approx(best.loc[score, "flagged_share"])
    # every chosen threshold is also paired against the income baseline
    thr_iv = rec["intervals"]["threshold"]
    assert thr_iv["logit"]["baseline"] == "income_ratio"
    assert thr_iv["logit"]["recall_vs_baseline"] == pytest.approx(
        iv.loc["logit", "recall"] - iv.loc["income_ratio", "recall"])
    assert len(thr_iv["logit"]["recall_vs_baseline_ci"]) == 2
    assert rec["intervals"]["tiers"]["official"]["baseline"] == "income_ratio"
    assert set(res.line_sensitivity["multiplier"]) == {1.0, 1.1, 1.2, 1.5}
    assert "cost_per_household" in res.table
    # the published equity table blanks small cells
    eq = pd.read_csv(tmp_path / "d" / "equity.csv", encoding="utf-8-sig")
    assert (eq.loc[eq["suppress"], "recall"].astype(str) == "<2").all()


def test_lead_times_match_the_table():
    df = _ten_rows()
    lt = LT.lead_times(df[df["relapse"].notna()], "score", 0.15)
    # a1: flagged 3 quarters ahead (0.2 at 2022Q1); b1: 1 quarter ahead
    assert sorted(lt.tolist()) == [1.0, 3.0]
    lt5 = LT.lead_times(df[df["relapse"].notna()], "score", 0.5)
    assert lt5.isna().sum() == 1 and lt5.max() == 2.0  # b1 missed; a1 flagged at 2022Q2


def test_lead_time_distribution_by_hand():
    from relapse_models.stages.thresholds import lead_time_distribution

    df = _ten_rows()
    best = pd.DataFrame({"score": ["s", "t"], "threshold": [0.5, 0.15]})
    dist = lead_time_distribution(df, {"s": "score", "t": "score"}, best).set_index(
        ["score", "lead_time"])
    # at 0.5: a1 first flagged 2022Q2 (2 ahead), b1 never (0.4 < 0.5) -> 0 = missed
    assert dist.loc[("s", 2), "cases"] == 1 and dist.loc[("s", 0), "cases"] == 1
    assert dist.loc[("s", 0), "share"] == 0.5
    # at 0.15: a1 3 ahead, b1 1 ahead, nothing missed
    assert sorted(dist.loc["t"].index) == [1, 3]
    assert dist.loc["t", "cases"].sum() == 2


def test_tier_resolution_by_hand(ten_households):
    """Official tiers recall 2/4 at load 4 > budget 3.5; logit tiers 3/4 at load 2."""
    from relapse_models.stages.thresholds import tier_resolution

    df = ten_households
    schemes = {"official": OT.official_tiers(df["score_rule"]),
               "logit": TI.tiers_by_period(df, "score_logit", 0.5),
               "oracle": TI.tiers_by_period(df, "score_logit", 0.5)}
    tc = TI.compare_tiers(df["relapse"], schemes, df["quarter"], 3.5).assign(county_id="c1")
    flags = {k: (v["tier"].astype(str) != "none").to_numpy() for k, v in schemes.items()}
    iv = IV.flag_intervals(df["relapse"], flags, df["village_id"], reference="official",
                          baseline="logit", n_boot=50, seed=3).assign(kind="tiers")
    res = tier_resolution(tc, iv).set_index("scheme")
    assert res.loc["official", "recall"] == 0.5 and res.loc["logit", "recall"] == 0.75
    assert res.loc["logit", "recall_diff"] == pytest.approx(0.25)
    assert res.loc["official", "recall_vs_baseline"] == pytest.approx(-0.25)
    assert res.loc["official", "recall_vs_baseline_ci_low"] <= -0.25 + 1e-12
    assert res.loc["official", "load"] == 4 and not res.loc["official", "fits_capacity"]
    # the oracle never counts as the best model; the official rule neither
    assert res["is_best"].tolist() == [False, True, False]
    assert res.loc["logit", "model_beats_official"] == (
        res.loc["logit", "recall_diff_ci_low"] > 0)
    assert not res.loc["official", "model_beats_official"]
    # the verdict follows the lower end of the paired interval
    for low, verdict in ((0.1, True), (-0.05, False)):
        iv2 = iv.copy()
        iv2.loc[iv2["name"] == "logit", "recall_diff_ci_low"] = low
        got = tier_resolution(tc, iv2).set_index("scheme").loc["logit", "model_beats_official"]
        assert got == verdict
    # a county without a case: recall undefined, no best model, no verdict
    no_case = iv.assign(recall=np.nan, recall_diff=np.nan, recall_diff_ci_low=np.nan)
    res0 = tier_resolution(tc, no_case)
    assert not res0["is_best"].any() and not res0["model_beats_official"].any()


def test_bootstrap_clusters_fall_back_to_households_in_a_single_village():
    from relapse_models.stages.thresholds import bootstrap_clusters

    two = pd.DataFrame({"village_id": ["v1", "v1", "v2"], "household_id": ["a", "b", "c"]})
    assert bootstrap_clusters(two).tolist() == ["v1", "v1", "v2"]
    one = two.assign(village_id="v1")
    assert bootstrap_clusters(one).tolist() == ["a", "b", "c"]


def _small_xunyi():
    """Xunyi at scale 0.01 (seed 2): the config, the simulation and the county's lines."""
    import copy
    from pathlib import Path

    from relapse_models.core.config import load_config
    from relapse_models.core.lines import lines_for_province
    from relapse_models.core.profiles import load_profile
    from relapse_models.data.simulate import simulate_county

    root = Path(__file__).resolve().parents[1]
    config = copy.deepcopy(load_config())
    config["simulate"]["scale"] = 0.01
    profile = load_profile(root / "config" / "counties" / "xunyi.yaml")
    sim = simulate_county(profile, config, 2)
    return config, sim, lines_for_province(config["monitoring"], profile["province_en"])


def test_features_at_scaled_lines_equal_a_full_rebuild():
    """line_sensitivity rebuilds only what moves with the line: every column it reads equals
    build_features run afresh on the scaled lines (the reference), exactly."""
    from relapse_models.outcome.features import RULE_INPUTS, build_features

    config, sim, lines = _small_xunyi()
    read = list(dict.fromkeys(["household_id", "year", "quarter", "income_ratio", "line",
                               "relapse_event", "at_risk", "relapse_in_quarters", "relapse",
                               *RULE_INPUTS]))
    got = dict(LS._features_at_lines(sim.households, sim.panel, sim.events, lines,
                                    [1.0, 1.2, 1.5], config, max_rows=1000))
    in_2023 = dict(LS._features_at_lines(sim.households, sim.panel, sim.events, lines,
                                        [1.0, 1.2, 1.5], config, year=2023, max_rows=1000))
    assert list(got) == [1.0, 1.2, 1.5]
    assert sim.panel["household_id"].nunique() > 5 * 1000 / 20  # many blocks of households
    for m, f in got.items():
        ref = build_features(sim.households, sim.panel, sim.events, LS.scale_lines(lines, m),
                             config)
        assert ref["relapse"].notna().any() and ref["at_risk"].any()
        pd.testing.assert_frame_equal(f[read], ref[read], check_exact=True)
        ref = ref[ref["year"] == 2023].reset_index(drop=True)
        pd.testing.assert_frame_equal(in_2023[m][read], ref[read], check_exact=True)
    assert got[1.5]["at_risk"].sum() < got[1.0]["at_risk"].sum()  # the line really moved


def test_county_predictions_reads_only_that_county(tmp_path):
    from relapse_models.core.io import write_parquet
    from relapse_models.stages.thresholds import county_predictions

    pred = pd.DataFrame({"county_id": ["a", "b", "a", "b", "a"], "year": 2024,
                         "score": [0.1, 0.2, 0.3, 0.4, 0.5]})
    write_parquet(pred, tmp_path / "p.parquet")
    got = county_predictions(tmp_path / "p.parquet", "a")
    assert got["score"].tolist() == [0.1, 0.3, 0.5] and set(got["county_id"]) == {"a"}
    assert county_predictions(tmp_path / "p.parquet", "c").empty


def test_features_at_lines_from_base_features_equal_the_rebuild():
    """Given the base-line features (any row order, extra years and rows), the line-free
    triggers are read from them: the same frames as the rebuild, column for column; a base
    missing a needed row or trigger column falls back to the rebuild."""
    from relapse_models.outcome.features import build_features

    config, sim, lines = _small_xunyi()
    feats = build_features(sim.households, sim.panel, sim.events, lines, config)
    shuffled = feats.sample(frac=1.0, random_state=3).reset_index(drop=True)
    # a duplicate key with garbage after the true row: the first row per key counts
    dup = shuffled.iloc[[0]].assign(income_yoy_drop=99.0, oop_share=99.0)
    base = pd.concat([shuffled, dup], ignore_index=True)
    args = (sim.households, sim.panel, sim.events, lines, [1.0, 1.2, 1.5], config)
    codes = pd.factorize(sim.panel["household_id"], sort=True)
    assert LS._base_rows(base, sim.panel, *codes, ["income_ratio", "oop_share"], None)
    for year in (None, 2023):
        ref = LS._features_at_lines(*args, year=year, max_rows=1000)
        got = LS._features_at_lines(*args, year=year, max_rows=1000, base_features=base)
        assert [m for m, _ in got] == [1.0, 1.2, 1.5]
        for (_, f), (_, r) in zip(got, ref, strict=True):
            pd.testing.assert_frame_equal(f, r, check_exact=True)
    # base rows of other years are not needed for 2023; a missing 2023 row forces a rebuild
    only_2023 = base[base["year"] == 2023]
    got = LS._features_at_lines(*args, year=2023, base_features=only_2023)
    ref = LS._features_at_lines(*args, year=2023)
    pd.testing.assert_frame_equal(got[2][1], ref[2][1], check_exact=True)
    gappy = only_2023.iloc[1:].assign(oop_share=np.nan)
    assert LS._base_rows(gappy, sim.panel, *codes, ["income_ratio", "oop_share"], 2023) is None
    got = LS._features_at_lines(*args, year=2023, base_features=gappy)
    pd.testing.assert_frame_equal(got[0][1], ref[0][1], check_exact=True)
    no_cols = base.drop(columns=["oop_share"])
    got = LS._features_at_lines(*args, year=2023, base_features=no_cols)
    pd.testing.assert_frame_equal(got[1][1], ref[1][1], check_exact=True)


def test_line_sensitivity_with_base_features_equals_without(tiny_tables, tiny_lines):
    from relapse_models.outcome.features import build_features

    feats = build_features(*tiny_tables.values(), tiny_lines, None)
    flags = pd.DataFrame({"household_id": ["A", "B", "D"], "year": 2022, "quarter": [1, 3, 1],
                          "m": [True, True, False]})
    args = (tiny_tables["households"], tiny_tables["panel"], tiny_tables["events"],
            tiny_lines, [1.0, 1.2])
    ref = LS.line_sensitivity(*args, year=2022, flags=flags)
    got = LS.line_sensitivity(*args, year=2022, flags=flags,
                             base_features=feats.iloc[::-1].reset_index(drop=True))
    pd.testing.assert_frame_equal(got, ref, check_exact=True)


def test_episode_codes_are_those_of_the_household_onset_pairs():
    """Codes by first appearance of (household, onset quarter), computed here from tuples."""
    rng = np.random.default_rng(5)
    n = 400
    df = pd.DataFrame({
        "household_id": rng.choice(["h1", "h2", "h3", "h10", "x"], n),
        "year": rng.choice([2021, 2022], n), "quarter": rng.integers(1, 5, n),
        "at_risk": rng.random(n) < 0.7,
        "relapse_in_quarters": pd.array(
            np.where(rng.random(n) < 0.5, rng.integers(1, 5, n), -1), dtype="Int64"),
    })
    df.loc[df["relapse_in_quarters"] < 0, "relapse_in_quarters"] = pd.NA
    codes, lead = LT.episodes(df)
    k = df["relapse_in_quarters"].to_numpy(dtype=float, na_value=np.nan)
    ok = ~np.isnan(k) & (df["at_risk"].to_numpy() | (k >= 2))
    first: dict[tuple, int] = {}
    want = []
    for h, y, q, kk, o in zip(df["household_id"], df["year"], df["quarter"], k, ok,
                              strict=True):
        onset = y * 4 + q - 1 + kk if o else -1
        code = first.setdefault((h, onset), len(first))
        want.append(code if o else -1)
    assert ok.any() and (~ok).any()
    assert codes.tolist() == want
    np.testing.assert_array_equal(lead, np.where(ok, k, np.nan))


def test_period_codes_follow_first_appearance():
    df = pd.DataFrame({"year": [2024, 2023, 2024, 2023, 2024, 2022],
                       "quarter": [2, 4, 2, 1, 1, 4]})
    assert TI._period_codes(df, ("year", "quarter")).tolist() == [0, 1, 0, 2, 3, 4]
    assert TI._period_codes(df, ("year",)).tolist() == [0, 1, 0, 1, 0, 2]


def test_tiers_visits_follow_the_tier():
    tr = TI.tiers(pd.Series([0.9, 0.1, 0.5, np.nan, 0.7, 0.3, 0.2, 0.8]), 1.0)
    want = {"red": 2.0, "yellow": 1.0, "blue": 1 / 3, "none": 0.0}
    assert tr["visits_per_month"].tolist() == [want[t] for t in tr["tier"].astype(str)]
    assert list(tr["tier"].cat.categories) == list(TI.TIER_ORDER) and tr["tier"].cat.ordered
    # 1 red, 2 yellow, 4 blue of 8: the missing score ranks last, alone in "none"
    assert tr["tier"].astype(str).tolist() == [
        "red", "blue", "blue", "none", "yellow", "blue", "blue", "yellow"]


def test_yearly_lines_take_the_first_known_line_of_each_year():
    from relapse_models.stages.thresholds import yearly_lines

    f = pd.DataFrame({"year": [2022, 2021, 2022, 2021, 2023],
                      "line": [np.nan, 6000.0, 6600.0, 1.0, np.nan]})
    assert yearly_lines(f) == {2021: 6000.0, 2022: 6600.0}


def test_load_inputs_reads_only_the_years_asked_and_every_year_s_line(tmp_path):
    """The features of the asked years only (same rows, order and dtypes as filtering the
    whole file), the lines of every year; no interim folder: no tables."""
    from relapse_models.core.io import write_parquet
    from relapse_models.stages.thresholds import load_inputs
    from relapse_models.warning.equity import SUBGROUP_COLUMNS

    n = 12
    feats = pd.DataFrame({
        "household_id": [f"h{i % 5}" for i in range(n)],
        "year": [2021, 2022, 2023] * 4, "quarter": np.repeat([1, 2, 3, 4], 3),
        "line": np.select([np.arange(n) % 3 == 0, np.arange(n) % 3 == 1], [6000.0, 6600.0],
                          7100.0),
        "oop_share": np.linspace(0, 1, n), "unused": 1.0,
    })
    for i, c in enumerate(SUBGROUP_COLUMNS):
        feats[c] = (np.arange(n) + i) % 2 * 1.0
    write_parquet(feats, tmp_path / "f.parquet")
    got = load_inputs("c", tmp_path / "f.parquet", tmp_path / "none",
                      years=np.array([2023, 2021]))
    assert got.lines == {2021: 6000.0, 2022: 6600.0, 2023: 7100.0}
    assert got.tables is None and got.triggers is None and "unused" not in got.features
    every = load_inputs("c", tmp_path / "f.parquet", tmp_path / "none").features
    assert len(every) == n
    want = every[every["year"].isin([2021, 2023])].reset_index(drop=True)
    pd.testing.assert_frame_equal(got.features, want, check_exact=True)
    none = load_inputs("c", tmp_path / "missing.parquet", tmp_path / "none")
    assert none.features is None and none.lines is None and none.tables is None


def test_load_inputs_keep_only_the_state_columns_of_the_panel(tmp_path, tiny_tables,
                                                              tiny_lines):
    """The panel as the relapse state reads it, the triggers the whole panel's first
    household gives, and the whole panel on demand; the line sensitivity from these inputs
    equals the one from the whole tables."""
    from relapse_models.core.io import read_parquet, write_parquet
    from relapse_models.outcome.features import build_features
    from relapse_models.stages.thresholds import load_inputs

    feats = build_features(*tiny_tables.values(), tiny_lines, None)
    write_parquet(feats, tmp_path / "f.parquet")
    for name, table in tiny_tables.items():
        write_parquet(table, tmp_path / "interim" / f"{name}.parquet")
    got = load_inputs("c", tmp_path / "f.parquet", tmp_path / "interim", years=[2022])
    whole = read_parquet(tmp_path / "interim" / "panel.parquet")
    assert list(got.tables["panel"].columns) == LS.STATE_COLUMNS
    pd.testing.assert_frame_equal(got.tables["panel"], whole[LS.STATE_COLUMNS])
    pd.testing.assert_frame_equal(got.full_panel(), whole)
    # the triggers are those of the features of every household
    from relapse_models.outcome.features import RULE_INPUTS

    assert got.triggers == [c for c in RULE_INPUTS if c in feats]
    ref = LS.line_sensitivity(*tiny_tables.values(), tiny_lines, [1.0, 1.2], year=2022,
                              base_features=feats)
    out = LS.line_sensitivity(got.tables["households"], got.tables["panel"],
                              got.tables["events"], got.lines, [1.0, 1.2], year=2022,
                              base_features=got.features, triggers=got.triggers,
                              full_panel=got.full_panel)
    pd.testing.assert_frame_equal(out, ref, check_exact=True)


def test_probe_triggers_leave_out_a_domain_the_data_lack(tiny_tables, tiny_lines):
    from relapse_models.outcome.features import RULE_INPUTS, build_features

    hh, panel, events = tiny_tables.values()
    every = [c for c in RULE_INPUTS if c in build_features(hh, panel, events, tiny_lines)]
    assert LS.probe_triggers(hh, panel, events, tiny_lines) == every
    first = panel[panel["household_id"] == panel["household_id"].iloc[0]]
    assert LS.probe_triggers(hh, first, events, tiny_lines) == every
    no_medical = panel.drop(columns=["medical_total", "medical_reimbursed", "medical_oop"])
    got = LS.probe_triggers(hh, no_medical, events, tiny_lines)
    assert "oop_share" in every and "oop_share" not in got
    assert set(got) < set(every)


def test_features_at_lines_from_the_state_columns_equal_the_whole_panel():
    """Given the triggers and a reader of the whole panel, the state columns of the panel
    suffice when the base features cover the year; when they do not, the whole panel is read
    (once) and the features rebuilt: the same frames either way."""
    from relapse_models.outcome.features import build_features

    config, sim, lines = _small_xunyi()
    feats = build_features(sim.households, sim.panel, sim.events, lines, config)
    triggers = LS.probe_triggers(sim.households, sim.panel, sim.events, lines, config)
    reads = []

    def whole():
        reads.append(1)
        return sim.panel

    args = (sim.households, sim.panel, sim.events, lines, [1.0, 1.5], config)
    narrow = (sim.households, sim.panel[LS.STATE_COLUMNS], sim.events, lines, [1.0, 1.5],
              config)
    gappy = feats.drop(index=feats.index[feats["year"] == 2023][:1])  # a 2023 row missing
    for base, n_reads in ((feats, 0), (gappy, 1)):
        ref = LS._features_at_lines(*args, year=2023, max_rows=1000, base_features=base)
        got = LS._features_at_lines(*narrow, year=2023, max_rows=1000, base_features=base,
                                    triggers=triggers, full_panel=whole)
        assert len(reads) == n_reads
        for (m, f), (mr, r) in zip(got, ref, strict=True):
            assert m == mr
            pd.testing.assert_frame_equal(f, r, check_exact=True)
