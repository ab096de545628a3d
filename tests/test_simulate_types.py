"""Calibration by monitoring type (:mod:`relapse_models.data.simulate.types`).

- The expected counts by type of the calibration meet the published ones (the test county,
  the only profile publishing by type); realised counts at full scale are checked in
  tests/test_test_county.py (slow).
- A profile without figures by type gets no multipliers: the generator runs as without them.
- A type whose eliminations are out of reach is noted and the others keep the totals.
- The oracle reads per-household clue weights (the size tilt of the non-income clues).
"""

import copy
from pathlib import Path

import numpy as np
import pytest

from relapse_models.core.config import load_config, stage_seed
from relapse_models.core.profiles import load_profile
from relapse_models.data.simulate import params as P
from relapse_models.data.simulate import simulate_county
from relapse_models.data.simulate.calibration import Calibration
from relapse_models.data.simulate.oracle import horizon_probability
from relapse_models.data.simulate.types import (
    TYPES,
    TypeWeights,
    elimination_probabilities,
    identification_params,
    monitoring_type,
    solve_elimination_by_type,
)

ROOT = Path(__file__).resolve().parents[1]
SHILI = ROOT / "tests" / "data" / "counties" / "shili.yaml"
SCALE = 0.1


@pytest.fixture(scope="module")
def shili():
    profile = load_profile(SHILI)
    config = load_config(overrides={"simulate": {"scale": SCALE}})
    sim = simulate_county(copy.deepcopy(profile), config, stage_seed(config["seed"], "simulate", "shili"),
                          oracle=False)
    return profile, sim


def test_expected_counts_by_type_meet_the_published(shili):
    """Households new and cumulative by type, persons cumulative by type (the size tilts and
    the totals' tilt) and new edge and sudden persons: within 0.1 % in expectation."""
    profile, sim = shili
    cal = sim.calibration
    assert isinstance(cal.types, TypeWeights) and cal.types != TypeWeights()
    keys = [f"monitoring_households_{k}_{t}" for k in ("new", "cumulative") for t in TYPES]
    keys += [f"monitoring_persons_cumulative_{t}" for t in TYPES]
    keys += ["monitoring_persons_new_edge", "monitoring_persons_new_sudden"]
    for key in keys:
        assert cal.expected[key] == pytest.approx(profile["published"][key]["value"] * SCALE, rel=1e-3), key


def test_expected_eliminations_by_type_meet_the_published(shili):
    """Each type's households, the total and the persons-based rate (when none is out of reach)."""
    profile, sim = shili
    cal, pub = sim.calibration, profile["published"]
    assert not cal.notes, cal.notes
    for t in TYPES:
        key = f"eliminated_households_{t}"
        assert cal.expected[key] == pytest.approx(pub[key]["value"] * SCALE, rel=1e-3), key
    assert cal.expected["eliminated_households"] == pytest.approx(pub["eliminated_households"]["value"] * SCALE,
                                                                  rel=1e-3)
    assert cal.expected["elimination_rate"] == pytest.approx(pub["elimination_rate"]["value"], abs=0.01)
    assert set(cal.types.elim) == set(TYPES)


def test_realised_types_follow_the_rule(shili):
    """The type recorded at identification is the rule's: unstable only among poverty-
    alleviated households, edge only among the others."""
    _, sim = shili
    ev = sim.events[sim.events["event"] == "identified"].merge(
        sim.households[["household_id", "category"]], on="household_id")
    assert (ev.loc[ev["monitoring_type"] == "unstable", "category"] == "poverty_alleviated").all()
    assert (ev.loc[ev["monitoring_type"] == "edge", "category"] == "general").all()


def test_profiles_without_figures_by_type_are_untouched():
    """No figure by type: no multipliers, and every helper is the identity (the seed profiles'
    outputs are those of the generator without calibration by type)."""
    profile = load_profile(ROOT / "config" / "counties" / "shangluo.yaml")
    config = load_config(overrides={"simulate": {"scale": 0.02}})
    sim = simulate_county(profile, config, 3, oracle=False)
    cal = sim.calibration
    assert cal.types is None
    assert not any(k.endswith(("_unstable", "_edge", "_sudden")) for k in cal.expected)
    prm = P.mechanism_params(P.DEFAULT_MECHANISM)
    size = sim.households["household_size"].to_numpy()
    tw = TypeWeights()
    assert identification_params(prm, tw, size) is prm
    assert tw.household(size > 3, size) == 1.0 and tw.household(size > 3, size, stock=True) == 1.0
    assert tw.other_weight(size) == 1.0
    rows = elimination_probabilities(size, cal)
    assert rows.shape == (3, len(size)) and (rows == rows[0]).all()


def test_monitoring_type_rule():
    w = np.array([900.0, 900.0, 1200.0, 1200.0, 2000.0])
    pa = np.array([True, False, True, False, True])
    assert monitoring_type(w, 1000.0, pa, 1.5).tolist() == [0, 1, 0, 1, 2]


def _elim_profile(households: dict[str, float], rate: float) -> dict:
    pub = {f"eliminated_households_{t}": {"value": v} for t, v in households.items()}
    pub["elimination_rate"] = {"value": rate}
    pub["monitoring_households_cumulative"] = {"value": 1.0}
    return {"county_id": "x", "published": pub, "generator": {}}


def test_elimination_out_of_reach_is_noted_and_the_totals_hold():
    g = np.random.default_rng(5)
    n = 600
    size = g.integers(1, 7, n).astype(float)
    mtype = np.repeat([0, 1, 2], n // 3)
    spell = g.integers(0, 4, n).astype(float)
    spell[mtype == 2] = np.where(g.random(n // 3) < 0.3, 1.0, 0.0)   # few sudden can be eliminated
    eligible = int((spell[mtype == 2] > 0).sum())
    target = {"unstable": 80.0, "edge": 70.0, "sudden": eligible + 15.0}
    persons_rate = 30.0
    cal = Calibration(kappa=0.1, kappa0=0.0, beta=0.0, beta0=0.0, tau=0.0)
    assert solve_elimination_by_type(cal, size, size, spell, mtype, _elim_profile(target, persons_rate), 1.0)
    assert cal.expected["eliminated_households_sudden"] == pytest.approx(eligible, abs=1e-6)
    assert cal.expected["eliminated_households"] == pytest.approx(sum(target.values()), rel=1e-6)
    assert cal.expected["elimination_rate"] == pytest.approx(persons_rate, abs=1e-4)
    assert any(n.startswith("eliminated_households_sudden out of reach") for n in cal.notes), cal.notes
    assert not any("unstable" in n or "edge" in n for n in cal.notes), cal.notes


def test_elimination_by_type_needs_every_type():
    cal = Calibration(kappa=0.1, kappa0=0.0, beta=0.0, beta0=0.0, tau=0.0)
    size = np.ones(10)
    profile = _elim_profile({"edge": 3.0}, 30.0)
    assert not solve_elimination_by_type(cal, size, size, np.ones(10), np.zeros(10, int), profile, 1.0)
    assert cal.notes and "every type" in cal.notes[0]


def test_oracle_reads_per_household_clue_weights():
    """Array weights (one per household) give each household what its scalar weights give."""
    from test_simulate_oracle import _state

    g = np.random.default_rng(2)
    st = _state(6, 2, g)
    st.y_past[:, 3] *= 0.75
    factor = np.array([0.3, 1.0, 2.0, 0.5, 4.0, 1.5])
    st.weights = {k: v * factor if k in ("drop", "medical", "disaster") else v for k, v in st.weights.items()}
    got = horizon_probability(st)
    for i in range(6):
        one = copy.deepcopy(st)
        one.weights = {k: float(np.atleast_1d(v)[i] if np.ndim(v) else v) for k, v in st.weights.items()}
        assert got[i] == pytest.approx(horizon_probability(one)[i], abs=1e-12)


def test_persons_by_type_without_households_are_noted():
    profile = load_profile(SHILI)
    for key in list(profile["published"]):
        if key.startswith(("monitoring_households_", "eliminated_")) and key.endswith(TYPES):
            profile["published"][key]["value"] = None
    config = load_config(overrides={"simulate": {"scale": 0.02}})
    cal = simulate_county(profile, config, 1, oracle=False).calibration
    assert sum("published without the households" in n for n in cal.notes) == 2, cal.notes
    assert cal.types == TypeWeights()
