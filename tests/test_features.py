"""Features: hand-computed values on the tiny fixture, and no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relapse_models import features as F
from relapse_models.labels import quarter_index


def _build(t, lines, config=None):
    return F.build_features(t["households"], t["panel"], t["events"], lines, config or {})


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
    f = F.build_features(tiny_tables["households"], tiny_tables["panel"], empty, tiny_lines, {})
    assert (f["ever_identified"] == 0).all() and (f["quarters_since_elimination"] == 12).all()
    # without B's identification its 2021Q3-2022Q1 labels turn negative
    b = f[f["household_id"] == "B"]["relapse"].tolist()
    assert b[2:5] == [False, False, False]
    with pytest.raises(ValueError, match="missing from the households table"):
        F.build_features(
            tiny_tables["households"].iloc[1:], tiny_tables["panel"], empty, tiny_lines, {}
        )


def test_horizon_from_config(tiny_tables, tiny_lines):
    f = _build(tiny_tables, tiny_lines, {"monitoring": {"horizon_quarters": 2}})
    assert f.attrs["horizon_quarters"] == 2
    a = f[f["household_id"] == "A"]["relapse"].tolist()
    # states of A: 21Q4..22Q3 False, 22Q4..23Q3 True, 23Q4 False; t+1..t+2
    expected = [None, None, False, False, False, True, True, True, True, True, None, None]
    assert [None if pd.isna(v) else bool(v) for v in a] == expected  # 2023Q3+: past the end
