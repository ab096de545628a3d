"""Panel frequency and optional domains, on tables whose every number is worked out by hand:
annual panels compare a year's income with that year's line; a domain the data lack leaves
its features out; a missing value stays missing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relapse_models.core.schema import EVENTS, domain_report
from relapse_models.models.hazard import HazardModel
from relapse_models.models.rule import RuleModel
from relapse_models.outcome.features import build_features, usable_rows

LINES = {2020: 6000.0, 2021: 6600.0, 2022: 7100.0, 2023: 7600.0, 2024: 8100.0}


def _households(n: int, size: int = 1, **extra) -> pd.DataFrame:
    return pd.DataFrame({"household_id": [f"h{i}" for i in range(n)], "county_id": "c",
                         "household_size": size, **extra})


def _no_events() -> pd.DataFrame:
    ev = pd.DataFrame({c: pd.Series(dtype=object) for c in EVENTS.columns})
    ev["date"] = pd.to_datetime(ev["date"])
    return ev


def _annual(incomes: dict[str, float], years=range(2020, 2025)) -> pd.DataFrame:
    rows = [{"household_id": h, "county_id": "c", "year": y, "quarter": 4, "periods_per_year": 1,
             "income_wage": v} for h, v in incomes.items() for y in years]
    return pd.DataFrame(rows)


def test_constant_income_relapses_exactly_when_the_rising_line_passes_it_annual():
    # per person 6500, 7000, 7500: the line passes them in 2021 (6600), 2022 (7100), 2023 (7600)
    incomes = {"h0": 6500.0, "h1": 7000.0, "h2": 7500.0, "h3": 9000.0}
    f = build_features(_households(4), _annual(incomes), _no_events(), LINES)
    state = f.pivot(index="household_id", columns="year", values="relapse_event").astype("boolean")
    expected = {"h0": 2021, "h1": 2022, "h2": 2023, "h3": None}
    for h, first in expected.items():
        below = [y for y in range(2020, 2025) if bool(state.loc[h, y])]
        assert below == ([] if first is None else list(range(first, 2025))), h
    # the label at t is next year's state: positive exactly the year before the crossing
    label = f.pivot(index="household_id", columns="year", values="relapse")
    assert bool(label.loc["h1", 2021]) and not bool(label.loc["h1", 2020])
    assert pd.isna(label.loc["h1", 2024])  # no 2025 observed
    assert set(f.loc[f["relapse"].fillna(False).astype(bool), "relapse_in_quarters"]) == {4}


def test_constant_income_quarterly_crosses_in_the_first_quarter_of_the_line_year():
    # 7000 a year in equal quarters; the 12-month window holds 7000 at every quarter from the
    # 4th, so the state flips in 2022 Q1 when the 2022 line (7100) applies, not before
    rows = [{"household_id": "h0", "county_id": "c", "year": y, "quarter": q, "income_wage": 1750.0}
            for y in range(2020, 2024) for q in range(1, 5)]
    f = build_features(_households(1), pd.DataFrame(rows), _no_events(), LINES)
    st = f.set_index(["year", "quarter"])["relapse_event"]
    assert st.loc[(2021, 4)] == False and st.loc[(2022, 1)] == True  # noqa: E712
    assert st.loc[[(2020, 1), (2020, 2), (2020, 3)]].isna().all()  # incomplete window


def test_annual_layout_gives_no_mechanical_relapse_or_wage_collapse():
    # rising incomes, always above the line: no positive, no shock, on annual rows
    rows = _annual({"h0": 8000.0})
    rows["income_wage"] = [8000.0, 8800.0, 9600.0, 10400.0, 11200.0]
    f = build_features(_households(1), rows, _no_events(), LINES)
    assert not f["relapse"].fillna(False).any()
    assert (f["quarters_since_wage_collapse"].dropna() == 4).all()  # none seen: the cap
    assert f["income_ratio"].iloc[0] == pytest.approx(8000 / 6000)  # the year's own line
    assert "income_trend" not in f and "income_volatility" not in f  # need quarters


def test_missing_domains_leave_their_features_out():
    f = build_features(_households(2), _annual({"h0": 7000.0, "h1": 9000.0}), _no_events(), LINES)
    absent = set(f.attrs["features_absent"])
    assert {"oop_share", "disaster_loss_share", "dibao", "housing_unsafe", "head_age",
            "monitored_now", "ever_identified", "quarters_since_serious_illness"} <= absent
    assert {"income_ratio", "income_yoy_drop", "wage_share", "household_size"} <= set(f.columns)
    assert not set(absent) & set(f.columns)
    # rows are usable on the features that exist
    assert usable_rows(f).sum() == 2 * 4  # 5 years, the last without a label


def test_missing_value_stays_missing_never_zero():
    hh = _households(2, n_labour=pd.array([2, pd.NA], dtype="Int64"))
    panel = _annual({"h0": 7000.0, "h1": 9000.0})
    panel["dibao"] = pd.array([True, None, False, False, False] * 2, dtype="boolean")
    f = build_features(hh, panel, _no_events(), LINES).set_index(["household_id", "year"])
    assert f.loc[("h0", 2020), "labour_share"] == 2.0 and np.isnan(f.loc[("h1", 2020), "labour_share"])
    assert np.isnan(f.loc[("h1", 2020), "no_labour"])
    assert f.loc[("h0", 2020), "dibao"] == 1.0 and np.isnan(f.loc[("h0", 2021), "dibao"])
    usable = usable_rows(f.reset_index())
    assert not usable[f.reset_index()["household_id"] == "h1"].any()  # not scored on a guess


def test_income_net_total_is_used_as_given():
    panel = _annual({"h0": 0.0}).drop(columns="income_wage").assign(income_net=14000.0)
    f = build_features(_households(1, size=2), panel, _no_events(), LINES)
    assert f["income_pc_4q"].iloc[0] == 7000.0 and "wage_share" not in f


def test_annual_horizon_must_be_whole_years():
    from relapse_models.core.config import default_config

    config = default_config()
    config["monitoring"]["horizon_quarters"] = 2
    with pytest.raises(ValueError, match="multiple of 4 for annual data"):
        build_features(_households(1), _annual({"h0": 7000.0}), _no_events(), LINES, config)


def test_domain_report_names_what_is_absent():
    hh = _households(1)
    panel = _annual({"h0": 7000.0}).assign(medical_oop=[1.0, None, 3.0, 4.0, 5.0])
    r = domain_report({"households": hh, "panel": panel, "events": _no_events()})
    assert "medical" in r["domains_present"] and "demographics" in r["domains_present"]
    assert {"disaster", "assistance", "housing_water", "events"} <= set(r["domains_absent"])
    assert r["missing_values"] == {"panel.medical_oop": 1}


def test_rule_uses_the_triggers_the_data_have():
    X = pd.DataFrame({"income_ratio": [0.9, 1.2, 1.2], "income_yoy_drop": [0.0, 0.5, 0.0]})
    with pytest.warns(RuntimeWarning, match="left out"):
        rule = RuleModel(income_multiple=1.0).fit(X)
    assert rule.triggers_ == ["income", "drop"]
    assert rule.predict_proba(X)[:, 1].tolist() == [0.5, 0.5, 0.0]


def test_hazard_on_annual_rows_counts_the_next_year_as_the_event():
    # relapse_in_quarters 4 = next year on an annual panel: step 4 makes it the event
    rng = np.random.default_rng(0)
    n = 400
    x = rng.normal(size=n)
    y = rng.random(n) < 1 / (1 + np.exp(-(x - 1)))
    X = pd.DataFrame({"log_income_ratio": x})
    annual = HazardModel(duration=None, step=4, horizon=4, cov_type="nonrobust").fit(
        X, y, time_to_event=np.where(y, 4, np.nan))
    p = annual.predict_proba(X)[:, 1]
    assert 0 < p.min() < p.max() < 1 and np.corrcoef(p, x)[0, 1] > 0.9
    # one period ahead: the annual hazard is the label's probability itself
    assert abs(p.mean() - y.mean()) < 0.02
