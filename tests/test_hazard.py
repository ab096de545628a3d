"""Discrete-time hazard: coefficient recovery against a simulated cloglog person-period DGP."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relapse_models.models import HazardModel

EDGES = (1, 2, 4, 8, 12)
CAP = 12
TRUE = {"Intercept": -3.0, "x": 0.5, "z": 0.7}
BANDS = {"duration_0_0": 1.2, "duration_1_1": 0.9, "duration_2_3": 0.6, "duration_4_7": 0.3,
         "duration_8_11": 0.1}
"""Log hazard ratios of the duration bands against the last (>= 12 quarters) band."""


def _band_effect(d: np.ndarray) -> np.ndarray:
    return np.array([*BANDS.values(), 0.0])[np.digitize(np.minimum(d, CAP), EDGES)]


def _eta(x, z, d):
    return TRUE["Intercept"] + TRUE["x"] * x + TRUE["z"] * z + _band_effect(d)


def simulate_person_periods(n=6000, quarters=14, horizon=4, seed=0) -> pd.DataFrame:
    """Households followed quarter by quarter from a random duration since elimination; each
    quarter at risk, the household enters relapse next quarter with the cloglog hazard. Rows:
    at-risk household-quarters with the H-quarter label as the pipeline builds it."""
    rng = np.random.default_rng(seed)
    x, z = rng.normal(size=n), (rng.random(n) < 0.3).astype(float)
    d0 = rng.integers(0, CAP + 1, n)
    t = np.arange(quarters)
    d = d0[:, None] + t[None, :]
    h = 1 - np.exp(-np.exp(_eta(x[:, None], z[:, None], d)))
    hit = rng.random((n, quarters)) < h  # event at t = relapse state at t + 1
    first = np.where(hit.any(axis=1), hit.argmax(axis=1), quarters)
    at_risk = t[None, :] <= first[:, None]
    hh, tt = np.nonzero(at_risk)
    to_event = first[hh] - tt + 1  # quarters from t to the relapse-state quarter
    positive = to_event <= horizon
    known = tt + horizon <= quarters  # the whole horizon observed (as labels.add_label)
    label = pd.array(np.where(known, positive, False), dtype="boolean")
    label[~known] = pd.NA
    return pd.DataFrame({
        "household_id": hh, "village_id": hh // 30, "x": x[hh], "z": z[hh],
        "quarters_since_elimination": np.minimum(d[hh, tt], CAP).astype(float),
        "relapse": label,
        "relapse_in_quarters": pd.Series(to_event, dtype="Int64").where(positive, pd.NA),
    })


@pytest.fixture(scope="module")
def periods():
    return simulate_person_periods()


@pytest.fixture(scope="module")
def fitted(periods):
    return HazardModel(features=["x", "z", "quarters_since_elimination"]).fit(
        periods, periods["relapse"], groups=periods["village_id"],
        time_to_event=periods["relapse_in_quarters"],
    )


def test_recovers_cloglog_coefficients_and_baseline(fitted):
    tab = fitted.hazard_ratios().set_index("term")
    assert set(tab.index) == {*TRUE, *BANDS}
    for term, b in {**TRUE, **BANDS}.items():
        assert tab.loc[term, "ci_low"] < np.exp(b) < tab.loc[term, "ci_high"], term
    assert fitted.clustered_


def test_horizon_probability_matches_the_dgp(periods, fitted):
    """Covariates held, the duration running on: 1 - prod (1 - h(d + k))."""
    x, z, d = (periods[c].to_numpy(float) for c in ("x", "z", "quarters_since_elimination"))
    survive = np.prod([np.exp(-np.exp(_eta(x, z, d + k))) for k in range(4)], axis=0)
    p = fitted.predict_proba(periods)[:, 1]
    assert np.abs(p - (1 - survive)).mean() < 0.01
    known = periods["relapse"].notna().to_numpy()
    observed = periods.loc[known, "relapse"].astype(float).mean()
    assert abs(p[known].mean() - observed) < 0.01


def test_hazard_ratio_differs_from_the_horizon_logit(periods, fitted):
    """A logit of the 4-quarter label measures odds, not hazard: the slope is larger."""
    from relapse_models.models import LogitModel

    lg = LogitModel(features=["x", "z", "quarters_since_elimination"]).fit(
        periods, periods["relapse"], groups=periods["village_id"]
    )
    assert lg.result_.params["x"] > fitted.result_.params["x"]


def test_needs_time_to_event_apart_from_x(periods):
    with pytest.raises(ValueError, match="time_to_event"):
        HazardModel(features=["x"]).fit(periods[["x", "quarters_since_elimination"]],
                                         periods["relapse"])


def test_shock_recency_ages_over_the_horizon():
    """Quarter t+k sees a shock of quarter t-s as s+k quarters old (capped), like the
    duration; other covariates are held at their quarter-t values."""
    X = pd.DataFrame({
        "x": [1.0, 2.0, 3.0],
        "quarters_since_shock": [0.0, 2.0, 4.0],
        "quarters_since_serious_illness": [1.0, 4.0, 3.0],
        "quarters_since_elimination": [0.0, 5.0, 12.0],
    })
    model = HazardModel(features=list(X.columns))
    now, later = model._design(X), model._design(X, ahead=2)
    assert now["quarters_since_shock"].tolist() == [0.0, 2.0, 4.0]
    assert later["quarters_since_shock"].tolist() == [2.0, 4.0, 4.0]
    assert later["quarters_since_serious_illness"].tolist() == [3.0, 4.0, 4.0]
    assert later["x"].tolist() == [1.0, 2.0, 3.0]
    # durations 2, 7, 12 fall in the bands [2, 4), [4, 8) and the last, open one
    assert later["duration_2_3"].tolist() == [1.0, 0.0, 0.0]
    assert later["duration_4_7"].tolist() == [0.0, 1.0, 0.0]
