"""The logit's cluster-robust intervals against the generator's logit mode.

In ``simulate.mode: logit`` the outcome is drawn from a logistic model with known
coefficients (:data:`relapse_models.data.simulate.truth.TRUE_COEFFICIENTS`) in features computed
from the observable tables (:func:`relapse_models.data.simulate.logit_features`). Fitting
:class:`LogitModel` on those features with village clusters must cover the truth at the
nominal rate: >= 90 % of the intervals over 20 seeds (slow), and a 1-seed version (fast).
"""

from __future__ import annotations

import numpy as np
import pytest

from relapse_models.core.config import load_config
from relapse_models.core.profiles import load_profile
from relapse_models.data.simulate import logit_features, simulate_county
from relapse_models.data.simulate.truth import LOGIT_FEATURES
from relapse_models.models import LogitModel

COUNTY = "shangluo"
SCALE = 0.03  # ~16,000 households in ~40 villages: enough clusters for the robust variance


def logit_mode_fit(seed: int) -> tuple[LogitModel, dict[str, float]]:
    """Simulate one county in logit mode, fit the logit with village clusters; the odds-ratio
    table (indexed by term) and the true coefficients under the table's term names."""
    config = load_config()
    config["simulate"].update(scale=SCALE, mode="logit", start="2022Q1", end="2024Q4")
    profile = load_profile(config["profiles_dir"] + f"/{COUNTY}.yaml")
    sim = simulate_county(profile, config, seed)
    feats = logit_features(sim.households, sim.panel, sim.lines)
    key = ["household_id", "year", "quarter"]
    truth = sim.truth.astype({"household_id": str})[[*key, "relapse_next_4q", "true_prob"]]
    data = feats.merge(truth, on=key, how="inner")
    data = data[data["true_prob"].notna()]
    villages = sim.households.astype({"household_id": str}).set_index("household_id")["village_id"]
    data["village_id"] = data["household_id"].map(villages)
    model = LogitModel(features=list(LOGIT_FEATURES)).fit(
        data, data["relapse_next_4q"], groups=data["village_id"]
    )
    assert model.clustered_ and model.dropped_ == []
    coefficients = {("Intercept" if k == "const" else k): v
                    for k, v in sim.true_coefficients.items()}
    return model, coefficients


def _covered(model: LogitModel, truth: dict[str, float], alpha: float) -> list[bool]:
    tab = model.odds_ratios(alpha=alpha).set_index("term")
    return [bool(tab.loc[t, "ci_low"] < np.exp(b) < tab.loc[t, "ci_high"]) for t, b in truth.items()]


@pytest.mark.slow
def test_logit_mode_one_seed():
    """One seed: every coefficient inside its 99.9 % interval (a miss is a 1-in-1000 event
    per coefficient when the intervals are right), at least 7 of 9 inside the 95 % ones."""
    model, truth = logit_mode_fit(1)
    assert set(truth) == set(model.result_.params.index)
    assert all(_covered(model, truth, 0.001))
    assert sum(_covered(model, truth, 0.05)) >= 7


@pytest.mark.slow
def test_logit_mode_coverage_over_20_seeds():
    """The 95 % cluster-robust intervals cover the true coefficients in >= 90 % of 20 seeds."""
    hits = []
    for seed in range(20):
        model, truth = logit_mode_fit(100 + seed)
        hits += _covered(model, truth, 0.05)
    assert np.mean(hits) >= 0.90, np.mean(hits)


# --- village-clustered truth ---------------------------------------------------------------

CLUSTERED_TRUTH = {"Intercept": -2.0, "x1": 0.7, "xv": 0.5, "flag": 0.8}
"""Marginal logit of :func:`clustered_logit_data` (``xv`` is a village-level covariate)."""


def clustered_logit_data(seed: int, n_villages: int, per: int = 150, rho: float = 0.3):
    """Outcomes correlated within villages whose *marginal* model is exactly the logit of
    :data:`CLUSTERED_TRUTH`: ``y = 1[U < p]`` with ``U = Phi(sqrt(rho) Z_village +
    sqrt(1 - rho) e)`` uniform (a Gaussian copula), so the village effect makes rows of a
    village fail together without changing P(y | x)."""
    import pandas as pd
    from scipy import stats

    rng = np.random.default_rng(seed)
    v = np.repeat(np.arange(n_villages), per)
    x1 = rng.normal(size=len(v))
    xv = rng.normal(size=n_villages)[v]
    flag = (rng.random(len(v)) < 0.3).astype(float)
    t = CLUSTERED_TRUTH
    p = 1 / (1 + np.exp(-(t["Intercept"] + t["x1"] * x1 + t["xv"] * xv + t["flag"] * flag)))
    u = stats.norm.cdf(np.sqrt(rho) * rng.normal(size=n_villages)[v]
                       + np.sqrt(1 - rho) * rng.normal(size=len(v)))
    return pd.DataFrame({"x1": x1, "xv": xv, "flag": flag, "y": (u < p).astype(float),
                         "village_id": v})


def _clustered_hits(seed: int, n_villages: int, groups: bool = True) -> list[bool]:
    d = clustered_logit_data(seed, n_villages)
    m = LogitModel(features=["x1", "xv", "flag"]).fit(
        d, d["y"], groups=d["village_id"] if groups else None)
    return _covered(m, CLUSTERED_TRUTH, 0.05)


def test_clustered_truth_needs_clustered_errors():
    """One seed: the village-clustered standard error of the village-level covariate is well
    above the model-based one (which assumes independent rows)."""
    d = clustered_logit_data(7, 60)
    clus = LogitModel(features=["x1", "xv", "flag"]).fit(d, d["y"], groups=d["village_id"])
    naive = LogitModel(features=["x1", "xv", "flag"]).fit(d, d["y"])
    se = {m.inference_["method"]: m.odds_ratios().set_index("term").loc["xv", "se"]
          for m in (clus, naive)}
    assert se["CR1"] > 1.5 * se["model-based"]


@pytest.mark.slow
@pytest.mark.parametrize(("n_villages", "method"), [(60, "CR1"), (20, "CR2")])
def test_logit_coverage_under_village_clustered_truth(n_villages, method):
    """Random village effects: the 95 % intervals (CR1 with 60 villages, CR2 with t(19) with
    20) cover the true marginal coefficients in >= 90 % of 20 seeds x 4 terms; the
    model-based ones, which ignore the villages, do not."""
    d = clustered_logit_data(0, n_villages)
    m = LogitModel(features=["x1", "xv", "flag"]).fit(d, d["y"], groups=d["village_id"])
    assert m.inference_["method"] == method
    hits = [h for seed in range(20) for h in _clustered_hits(100 + seed, n_villages)]
    assert np.mean(hits) >= 0.90, np.mean(hits)
    naive = [h for seed in range(20) for h in _clustered_hits(100 + seed, n_villages, False)]
    assert np.mean(naive) < 0.85, np.mean(naive)
