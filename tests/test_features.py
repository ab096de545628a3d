"""Features: hand-computed values on the tiny fixture, and no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relapse_models.core.config import validate_config
from relapse_models.core.quarters import quarter_index
from relapse_models.outcome import features as F


def _build(t, lines, config=None):
    return F.build_features(t["households"], t["panel"], t["events"], lines,
                            validate_config(config or {}))


def _row(f, hid, year, quarter):
    m = (f["household_id"] == hid) & (f["year"] == year) & (f["quarter"] == quarter)
    assert m.sum() == 1
    return f.loc[m].iloc[0]


def test_shape_keys_and_columns(tiny_tables, tiny_lines):
    f = _build(tiny_tables, tiny_lines)
    assert len(f) == len(tiny_tables["panel"])
    assert list(f.columns[:6]) == F.KEY_COLUMNS
    assert set(F.FEATURE_COLUMNS) <= set(f.columns)
    assert len(set(F.FEATURE_COLUMNS)) == len(F.FEATURE_COLUMNS)
    assert str(f["relapse"].dtype) == "boolean"
    assert all(pd.api.types.is_float_dtype(f[c]) for c in F.FEATURE_COLUMNS)
    assert f.attrs["horizon_quarters"] == 4
    assert (f.loc[f["household_id"] == "C", "town_id"] == "t2").all()


def test_income_features_by_hand(tiny_tables, tiny_lines):
    f = _build(tiny_tables, tiny_lines)
    a = _row(f, "A", 2022, 4)  # quarterly pc net 2000, 2000, 0, 0 in 2022
    assert a["income_ratio"] == pytest.approx(4000 / 6000)
    assert a["income_yoy_drop"] == pytest.approx(0.5)  # 8000 vs 16000 a year earlier
    assert a["income_yoy_known"] == 1.0
    # slope over x = -1.5..1.5 of (2000, 2000, 0, 0) = -4000 / 5 per quarter; / 1500 line
    assert a["income_trend"] == pytest.approx(-800 / 1500)
    assert a["income_volatility"] == pytest.approx(np.sqrt(4e6 / 3) / 1500)
    assert a["oop_share"] == pytest.approx(2000 / 8000)
    assert a["oop_to_line"] == pytest.approx(2000 / 2 / 6000)
    # capacity to pay = 8000 - 6000 x 2 < 0 with OOP > 0: catastrophic
    assert a["catastrophic_health"] == 1.0
    assert _row(f, "A", 2022, 3)["catastrophic_health"] == 0.0
    assert _row(f, "A", 2023, 3)["oop_share"] == pytest.approx(2000 / 12000)
    b = _row(f, "B", 2021, 4)
    assert b["wage_share"] == pytest.approx(0.875)
    assert b["transfer_share"] == pytest.approx(0.125)
    assert b["income_yoy_known"] == 0.0 and b["income_yoy_drop"] == 0.0
    assert np.isnan(_row(f, "A", 2021, 3)["income_ratio"])  # incomplete window


def test_che_income_basis(tiny_tables, tiny_lines):
    low = _build(tiny_tables, tiny_lines, {"features": {"che_basis": "income", "che_share": 0.2}})
    high = _build(tiny_tables, tiny_lines, {"features": {"che_basis": "income", "che_share": 0.3}})
    assert _row(low, "A", 2022, 4)["catastrophic_health"] == 1.0  # 2000 >= 0.2 x 8000
    assert _row(high, "A", 2022, 4)["catastrophic_health"] == 0.0  # 2000 < 0.3 x 8000
    with pytest.raises(ValueError, match="che_basis"):
        _build(tiny_tables, tiny_lines, {"features": {"che_basis": "consumption"}})


def test_disaster_household_and_static_features_by_hand(tiny_tables, tiny_lines):
    f = _build(tiny_tables, tiny_lines)
    d = _row(f, "D", 2022, 1)
    assert d["disaster_loss_share"] == pytest.approx(1000 / 13000)
    assert d["disaster_hh_4q"] == 1.0
    assert _row(f, "D", 2022, 4)["disaster_hh_4q"] == 1.0
    assert _row(f, "D", 2023, 1)["disaster_hh_4q"] == 0.0
    # village v2 = {C, D}: D hit in 2022Q1; C has no 2022Q2 row
    assert d["village_disaster_share"] == pytest.approx(0.5)
    assert _row(f, "D", 2022, 2)["village_disaster_share"] == pytest.approx(1.0)
    assert _row(f, "C", 2022, 3)["village_disaster_share"] == pytest.approx(0.5)
    assert _row(f, "C", 2023, 1)["village_disaster_share"] == pytest.approx(0.0)
    assert _row(f, "A", 2022, 1)["village_disaster_share"] == 0.0
    assert d["dependency_ratio"] == 2.0 and d["no_labour"] == 1.0 and d["any_disabled"] == 1.0
    b = _row(f, "B", 2022, 1)
    assert b["dependency_ratio"] == 1.0 and b["labour_share"] == 0.5 and b["any_chronic_ill"] == 1
    assert b["years_since_exit"] == 0.0 and b["poverty_alleviated"] == 0.0
    assert _row(f, "A", 2022, 1)["years_since_exit"] == 3.0
    c = _row(f, "C", 2021, 1)
    assert c["years_since_exit"] == 1.0 and c["relocated"] == 1.0 and c["head_female"] == 1.0


def test_monitoring_history_by_hand(tiny_tables, tiny_lines):
    f = _build(tiny_tables, tiny_lines)
    b = f[f["household_id"] == "B"]
    assert b["ever_identified"].tolist() == [0.0] * 5 + [1.0] * 7  # identified in 2022Q2
    assert b["quarters_since_elimination"].tolist() == [12.0] * 7 + [0.0, 1.0, 2.0, 3.0, 4.0]
    assert b["monitored_now"].tolist() == [0.0] * 5 + [1.0, 1.0] + [0.0] * 5
    assert b["eliminated_now"].tolist() == [0.0] * 7 + [1.0] * 5
    assert (f.loc[f["household_id"] != "B", "ever_identified"] == 0).all()


def test_at_risk_and_usable_rows(tiny_tables, tiny_lines):
    f = _build(tiny_tables, tiny_lines)
    a = f[f["household_id"] == "A"]
    assert a["at_risk"].tolist() == [False] * 3 + [True] * 4 + [False] * 4 + [True]
    usable = F.usable_rows(f)
    # labelled rows with a complete income window: A 2021Q4-2022Q4, B 2021Q4-2022Q4,
    # D 2021Q4-2022Q4 (2021Q3 rows have a label but no complete window)
    assert usable.sum() == 15
    assert not usable[f["household_id"] == "C"].any()


def _perturb_after(tables, cut_qidx, seed=0):
    """Change everything the system records after quarter ``cut_qidx``."""
    rng = np.random.default_rng(seed)
    panel = tables["panel"].copy()
    late = quarter_index(panel["year"], panel["quarter"]) > cut_qidx
    for col in [
        "income_wage",
        "income_operating",
        "production_cost",
        "medical_oop",
        "medical_total",
        "disaster_loss",
    ]:
        panel.loc[late, col] = rng.uniform(0, 9000, late.sum())
    panel.loc[late, "medical_reimbursed"] = 0.0
    panel.loc[late, "disaster_type"] = "flood"
    panel.loc[late, "monitoring_status"] = "monitored"
    panel.loc[late, "dibao"] = True
    panel = panel.drop(panel.index[late][:3])  # late rows can also vanish
    events = pd.concat(
        [
            tables["events"],
            pd.DataFrame(
                {
                    "household_id": ["A", "D", "C"],
                    "county_id": "c1",
                    "event": ["identified", "eliminated", "identified"],
                    "date": pd.to_datetime(["2022-08-01", "2022-09-30", "2023-01-05"]),
                    "monitoring_type": None,
                    "risk_type": None,
                }
            ),
        ],
        ignore_index=True,
    )
    return dict(tables, panel=panel, events=events)


def test_no_look_ahead(tiny_tables, tiny_lines):
    cut = 2022 * 4 + 1  # 2022Q2
    before = _build(tiny_tables, tiny_lines)
    after = _build(_perturb_after(tiny_tables, cut), tiny_lines)
    keep_b = quarter_index(before["year"], before["quarter"]) <= cut
    keep_a = quarter_index(after["year"], after["quarter"]) <= cut
    cols = F.KEY_COLUMNS + F.FEATURE_COLUMNS + ["income_pc_4q", "line", "relapse_event", "at_risk"]
    pd.testing.assert_frame_equal(
        before.loc[keep_b, cols].reset_index(drop=True),
        after.loc[keep_a, cols].reset_index(drop=True),
    )
    # the perturbation is real: labels of those same quarters do change
    assert (
        not before.loc[keep_b, "relapse"]
        .reset_index(drop=True)
        .equals(after.loc[keep_a, "relapse"].reset_index(drop=True))
    )


def test_no_events_and_unknown_household(tiny_tables, tiny_lines):
    empty = tiny_tables["events"].iloc[:0]
    f = F.build_features(tiny_tables["households"], tiny_tables["panel"], empty, tiny_lines, None)
    assert (f["ever_identified"] == 0).all() and (f["quarters_since_elimination"] == 12).all()
    # without B's identification its 2021Q3-2022Q1 labels turn negative
    b = f[f["household_id"] == "B"]["relapse"].tolist()
    assert b[2:5] == [False, False, False]
    with pytest.raises(ValueError, match="missing from the households table"):
        F.build_features(
            tiny_tables["households"].iloc[1:], tiny_tables["panel"], empty, tiny_lines, None
        )


def test_horizon_from_config(tiny_tables, tiny_lines):
    f = _build(tiny_tables, tiny_lines, {"monitoring": {"horizon_quarters": 2}})
    assert f.attrs["horizon_quarters"] == 2
    a = f[f["household_id"] == "A"]["relapse"].tolist()
    # states of A: 21Q4..22Q3 False, 22Q4..23Q3 True, 23Q4 False; t+1..t+2
    expected = [None, None, False, False, False, True, True, True, True, True, None, None]
    assert [None if pd.isna(v) else bool(v) for v in a] == expected  # 2023Q3+: past the end


# --- shock timing and income without transfers -----------------------------------------------


def test_quarters_since_by_hand():
    hh = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1])
    q = np.array([0, 1, 2, 3, 5, 9, 0, 1, 2])
    flag = np.array([0, 1, 0, 0, 0, 0, 0, 1, 1], dtype=bool)
    # household 0: none yet, then 0, 1, 2 quarters since q=1; q=5 is 4 after it, q=9 capped;
    # household 1 does not inherit household 0's shock and a repeat resets the count
    assert F.quarters_since(flag, hh, q).tolist() == [4, 0, 1, 2, 4, 4, 4, 0, 0]
    assert F.quarters_since(flag, hh, q, cap=3).tolist() == [3, 0, 1, 2, 3, 3, 3, 0, 0]
    first = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0], dtype=bool)
    assert F.quarters_since(first, hh, q).tolist() == [0, 1, 2, 3, 4, 4, 4, 4, 4]


def _series(f, hid, column):
    return f.loc[f["household_id"] == hid, column].tolist()


def test_shock_features_by_hand(tiny_tables, tiny_lines):
    f = _build(tiny_tables, tiny_lines)
    nan3 = [np.nan] * 3  # 2021Q1-Q3: incomplete 4-quarter window
    # A: wage 4000 a quarter, none in 2022Q3-Q4: the collapse starts in 2022Q3 (0 < half of
    # 4000); 2022Q4 is still low but not an onset; 2023Q1's 4000 is above half the mean 2000
    a = _series(f, "A", "quarters_since_wage_collapse")
    np.testing.assert_array_equal(a, nan3 + [4, 4, 4, 0, 1, 2, 3, 4, 4])
    # A's 2022Q4 medical cost of 5000 is below the default 20000: no serious illness
    np.testing.assert_array_equal(
        _series(f, "A", "quarters_since_serious_illness"), nan3 + [4.0] * 9
    )
    # D: flood loss 1000 in 2022Q1 with no operating income left: a severe disaster
    np.testing.assert_array_equal(
        _series(f, "D", "quarters_since_severe_disaster"), nan3 + [4, 0, 1, 2, 3, 4, 4, 4, 4]
    )
    np.testing.assert_array_equal(_series(f, "D", "quarters_since_shock"),
                                  nan3 + [4, 0, 1, 2, 3, 4, 4, 4, 4])
    assert set(_series(f, "B", "quarters_since_shock")[3:]) == {4.0}
    # C: the missing 2022Q2 leaves 2022Q3-2023Q1 without a complete window
    c = _series(f, "C", "quarters_since_shock")
    np.testing.assert_array_equal(c, nan3 + [4, 4] + nan3 + [4, 4, 4])

    g = _build(tiny_tables, tiny_lines, {"features": {"serious_illness_cost": 5000}})
    np.testing.assert_array_equal(
        _series(g, "A", "quarters_since_serious_illness"), nan3 + [4, 4, 4, 4, 0, 1, 2, 3, 4]
    )
    # the smallest of wage collapse (2022Q3) and illness (2022Q4)
    np.testing.assert_array_equal(
        _series(g, "A", "quarters_since_shock"), nan3 + [4, 4, 4, 0, 0, 1, 2, 3, 4]
    )


def test_shock_thresholds_from_config(tiny_tables, tiny_lines):
    panel = tiny_tables["panel"]
    d1 = (panel["household_id"] == "D") & (panel["year"] == 2022) & (panel["quarter"] == 1)
    panel.loc[d1, "income_operating"] = 1500.0  # loss 1000 = 0.4 of the 2500 before the loss
    b1 = (panel["household_id"] == "B") & (panel["year"] == 2022) & (panel["quarter"] == 1)
    panel.loc[b1, "income_wage"] = 1500.0  # 0.43 of the mean 3500 of the four quarters before
    f = _build(tiny_tables, tiny_lines)
    assert _row(f, "D", 2022, 1)["quarters_since_severe_disaster"] == 4.0
    assert _row(f, "B", 2022, 1)["quarters_since_wage_collapse"] == 0.0
    g = _build(tiny_tables, tiny_lines,
               {"features": {"severe_disaster_share": 0.35, "wage_collapse_share": 0.4}})
    assert _row(g, "D", 2022, 1)["quarters_since_severe_disaster"] == 0.0
    assert _row(g, "B", 2022, 1)["quarters_since_wage_collapse"] == 4.0


def test_log_income_features_by_hand(tiny_tables, tiny_lines):
    panel = tiny_tables["panel"]
    d2021 = (panel["household_id"] == "D") & (panel["year"] == 2021)
    panel.loc[d2021, "production_cost"] = 5000.0  # costs above income: net and market < 0
    f = _build(tiny_tables, tiny_lines)
    a = _row(f, "A", 2022, 4)
    assert a["log_income_ratio"] == pytest.approx(np.log(4000 / 6000))
    assert a["log_market_income_ratio"] == pytest.approx(np.log(4000 / 6000))
    b = _row(f, "B", 2021, 4)  # wage 3500 + transfer 500 a quarter, 2 persons
    assert b["log_income_ratio"] == pytest.approx(np.log(8000 / 6000))
    assert b["log_market_income_ratio"] == pytest.approx(np.log(7000 / 6000))
    d = _row(f, "D", 2021, 4)
    assert d["log_income_ratio"] == pytest.approx(np.log(F.LOG_FLOOR))
    assert d["log_market_income_ratio"] == pytest.approx(np.log(F.LOG_FLOOR))
    assert np.isnan(_row(f, "A", 2021, 3)["log_market_income_ratio"])


def test_no_look_ahead_in_shock_features(tiny_tables, tiny_lines):
    cut = 2022 * 4 + 1  # 2022Q2
    panel = tiny_tables["panel"].copy()
    late = quarter_index(panel["year"], panel["quarter"]) > cut
    # every kind of shock in every later quarter
    panel.loc[late, "medical_total"] = 90000.0
    panel.loc[late, "disaster_loss"] = 9000.0
    panel.loc[late, "income_operating"] = 0.0
    panel.loc[late, "income_wage"] = 0.0
    before = _build(tiny_tables, tiny_lines)
    after = _build(dict(tiny_tables, panel=panel), tiny_lines)
    cols = F.SHOCK_FEATURES + ["log_income_ratio", "log_market_income_ratio"]
    keep = quarter_index(before["year"], before["quarter"]) <= cut
    pd.testing.assert_frame_equal(before.loc[keep, cols], after.loc[keep, cols])
    # the shocks are seen from their own quarter on
    nxt = after[quarter_index(after["year"], after["quarter"]) == cut + 1]
    known = nxt["quarters_since_shock"].notna()
    assert known.sum() == 3 and (nxt.loc[known, F.SHOCK_FEATURES] == 0).all().all()


def test_features_of_a_village_block_alone(tiny_tables, tiny_lines):
    """Built on one village's households only, the rows are the same as built on the whole
    county: every feature uses the household's own rows and its village's (no other)."""
    whole = _build(tiny_tables, tiny_lines)
    for village in ("v1", "v2"):
        hh = tiny_tables["households"]
        ids = hh.loc[hh["village_id"] == village, "household_id"]
        block = {
            "households": hh[hh["household_id"].isin(ids)].reset_index(drop=True),
            "panel": tiny_tables["panel"][tiny_tables["panel"]["household_id"].isin(ids)],
            "events": tiny_tables["events"][tiny_tables["events"]["household_id"].isin(ids)],
        }
        part = _build(block, tiny_lines)
        cols = F.KEY_COLUMNS + F.FEATURE_COLUMNS + ["relapse"]
        expected = whole.loc[whole["household_id"].isin(ids), cols].reset_index(drop=True)
        pd.testing.assert_frame_equal(part[cols].reset_index(drop=True), expected)


def test_shock_flags_by_hand(tiny_tables):
    from relapse_models.core.panel import sort_panel

    df = sort_panel(tiny_tables["panel"], tiny_tables["households"])
    flags = F.shock_flags(df, validate_config({"features": {"serious_illness_cost": 5000}}))
    quarter = df["year"].astype(str) + "Q" + df["quarter"].astype(str)
    where = {k: sorted(zip(df.loc[v, "household_id"], quarter[v], strict=True))
             for k, v in flags.items()}
    assert where == {
        "serious_illness": [("A", "2022Q4")],  # medical cost 5000 >= 5000
        "severe_disaster": [("D", "2022Q1")],  # loss 1000, no operating income
        "wage_collapse": [("A", "2022Q3")],  # wage 0; 2022Q4 continues it, not an onset
    }
    assert not F.shock_flags(df)["serious_illness"].any()  # default 20000 yuan


def test_shock_flags_mark_the_generators_shocks():
    """Against the shocks the generator drew (``SimulatedCounty.shocks``): a disaster loss
    raises the severe-disaster flag, and a labour shock (a worker's income lost) the
    wage-collapse flag, many times more often than quarters without that shock. The flags are
    the features' own rules, not fitted to the generator."""
    import copy
    from pathlib import Path

    from relapse_models.core.config import load_config, stage_seed
    from relapse_models.core.panel import sort_panel
    from relapse_models.core.profiles import load_profile
    from relapse_models.data.simulate import simulate_county

    config = copy.deepcopy(load_config())
    config["simulate"]["scale"] = 0.02
    root = Path(__file__).resolve().parents[1]
    profile = load_profile(root / "config/counties/xunyi.yaml")
    sim = simulate_county(profile, config, stage_seed(config["seed"], "simulate", "xunyi"))
    df = sort_panel(sim.panel, sim.households)
    assert (df["_row"].to_numpy() == np.arange(len(df))).all()  # already household-major
    flags = F.shock_flags(df, config)
    drawn = {"severe_disaster": sim.shocks["disaster"].T.ravel(),
             "wage_collapse": (sim.shocks["labour"] > 0).T.ravel() & (df["income_wage"].to_numpy() > 0)}
    for kind, hit in drawn.items():
        flag = np.asarray(flags[kind], dtype=bool)
        assert hit.sum() >= 20, kind
        assert flag[hit].mean() > 5 * flag[~hit].mean(), (kind, flag[hit].mean(), flag[~hit].mean())
