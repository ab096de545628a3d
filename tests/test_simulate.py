"""The synthetic panel: schemas, separation of truth, determinism, exact truth, calibration."""

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from relapse_models.core.lines import lines_for_province
from relapse_models.core.profiles import load_profile
from relapse_models.core.schema import EVENTS, HOUSEHOLDS, PANEL, TRUTH, TRUTH_COLUMNS
from relapse_models.data.simulate import simulate_county
from relapse_models.outcome.relapse import relapse_label

ROOT = Path(__file__).resolve().parents[1]


def _config(scale: float, mode: str = "realistic") -> dict:
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    cfg["simulate"].update(scale=scale, mode=mode)
    return cfg


def _profile(cid: str) -> dict:
    return load_profile(ROOT / "config" / "counties" / f"{cid}.yaml")


@pytest.fixture(scope="module")
def yeji():
    cfg = _config(0.3)
    return _profile("yeji"), cfg, simulate_county(_profile("yeji"), cfg, 11)


def test_tables_validate(yeji):
    _, _, sim = yeji
    HOUSEHOLDS.validate(sim.households)
    PANEL.validate(sim.panel)
    EVENTS.validate(sim.events)
    TRUTH.validate(sim.truth)


def test_no_truth_in_observable_tables(yeji):
    _, _, sim = yeji
    latent = TRUTH_COLUMNS | {"fall", "kappa", "baseline_ratio", "level"}
    for name in ("households", "panel", "events"):
        assert not latent & set(getattr(sim, name).columns), name


def test_ids_opaque_and_nested(yeji):
    _, _, sim = yeji
    hh = sim.households
    assert hh["household_id"].str.match(r"^yeji-\d{6}$").all()
    assert hh.groupby("village_id")["town_id"].nunique().max() == 1
    assert set(sim.panel["household_id"].astype(str)) == set(hh["household_id"])


def _parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def test_same_seed_same_bytes_other_seed_differs():
    cfg, p = _config(0.05), _profile("xunyi")
    a, b, c = (simulate_county(p, cfg, s) for s in (5, 5, 6))
    for name in ("households", "panel", "events", "truth"):
        assert _parquet_bytes(getattr(a, name)) == _parquet_bytes(getattr(b, name)), name
    assert not a.panel["income_wage"].equals(c.panel["income_wage"])
    assert not a.truth["true_prob"].equals(c.truth["true_prob"])


def test_realised_outcome_is_the_label_of_the_observable_tables(yeji):
    """The truth's outcome equals relapse_models.outcome.relapse recomputed from the observable tables."""
    profile, cfg, sim = yeji
    lines = lines_for_province(cfg["monitoring"], profile["province_en"])
    lab = relapse_label(sim.households, sim.panel, sim.events, lines, cfg["monitoring"]["horizon_quarters"])
    lab = pd.concat([sim.panel[["household_id", "year", "quarter"]].astype({"household_id": str}), lab], axis=1)
    t = sim.truth.astype({"household_id": str}).merge(lab, on=["household_id", "year", "quarter"])
    assert len(t) == len(sim.truth)
    assert t["relapse"].notna().all()
    assert (t["relapse"].astype(bool) == t["relapse_next_4q"]).all()


def test_true_prob_is_calibrated_and_certain_cases_are_one(yeji):
    """The oracle is a probability: its sum matches the realised positives overall and by risk
    quintile, within 4 village-clustered SE (rows of a household and households of a village
    share shocks, so independent-row SEs would be too small)."""
    from helpers_truth import clustered_gaps

    _, _, sim = yeji
    p, y = sim.truth["true_prob"].to_numpy(), sim.truth["relapse_next_4q"].to_numpy()
    assert y.any()
    assert y[p == 1.0].all()  # certain cases (a window below the line for sure) are positive
    for gap, se in clustered_gaps(sim, quintiles=True):
        assert abs(gap) < 4 * se + 2, (gap, se)


@pytest.mark.slow
def test_counts_follow_scale_and_calibration_hits_expected():
    p = _profile("shangluo")
    for scale in (0.01, 0.02):
        sim = simulate_county(p, _config(scale), 3)
        target = p["published"]["monitoring_households_cumulative"]["value"] * scale
        assert sim.calibration.expected["monitoring_households_cumulative"] == pytest.approx(target, rel=0.02)
        assert len(sim.households) == round(535200 * scale)
        ident = sim.events[(sim.events["event"] == "identified") & (sim.events["date"] < "2024-01-01")]
        realised = ident["household_id"].nunique()
        assert abs(realised - target) < 4 * np.sqrt(target) + 2


def test_logit_mode_exposes_coefficients():
    sim = simulate_county(_profile("xunyi"), _config(0.05, "logit"), 2)
    assert sim.true_coefficients["log_income_ratio"] < 0
    assert sim.truth["true_prob"].between(0, 1).all()
    assert 0 < sim.truth["true_prob"].min() < sim.truth["true_prob"].max() < 1


@pytest.mark.slow
def test_logit_coefficients_recovered():
    import statsmodels.api as sm

    from relapse_models.data.simulate import LOGIT_FEATURES, logit_features

    cfg = _config(0.5, "logit")
    profile = _profile("anon_county")
    sim = simulate_county(profile, cfg, 9)
    lines = lines_for_province(cfg["monitoring"], profile["province_en"])
    X = logit_features(sim.households, sim.panel, lines)
    d = X.merge(sim.truth.astype({"household_id": str}), on=["household_id", "year", "quarter"])
    fit = sm.Logit(d["relapse_next_4q"].astype(float), sm.add_constant(d[list(LOGIT_FEATURES)])).fit(disp=0)
    ci = fit.conf_int(alpha=0.001)
    for k, v in sim.true_coefficients.items():
        assert ci.loc[k, 0] < v < ci.loc[k, 1], k


def test_parameter_table_is_documented():
    """docs/generator.md prints the generator's parameter table exactly as the code has it."""
    from relapse_models.data.simulate.params import markdown_table

    doc = (ROOT / "docs" / "generator.md").read_text(encoding="utf-8")
    assert markdown_table() in doc


def test_unknown_mechanism_is_refused():
    cfg = _config(0.002)
    cfg["simulate"]["mechanism"] = "fate"
    with pytest.raises(ValueError, match="simulate.mechanism"):
        simulate_county(_profile("xunyi"), cfg, 1)
