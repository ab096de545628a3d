"""Inference that holds: degenerate fits caught, few-cluster covariance, no label leak."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from relapse_models.models import MODEL_INPUTS, MODELS, LogitModel, glm
from relapse_models.models.logit import (
    CR1_MIN_CLUSTERS,
    ModelNotFitted,
    cr2_covariance,
    separated_columns,
    separation_direction,
)
from relapse_models.outcome.features import LABEL_DERIVED_COLUMNS, model_columns
from relapse_models.stages import fit


def _two_column_separation(n: int = 2000, seed: int = 4) -> pd.DataFrame:
    """y = 1 exactly when x1 + x2 > 1: neither column separates on its own."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.random(n), rng.random(n)
    y = (x1 + x2 > 1.0).astype(float)
    return pd.DataFrame({"x1": x1, "x2": x2, "y": y, "village_id": rng.integers(0, 60, n)})


def test_separation_by_a_combination_of_columns_is_found():
    d = _two_column_separation()
    assert separated_columns(d[["x1", "x2"]], d["y"].to_numpy()) == []  # one at a time: none
    b = separation_direction(d[["x1", "x2"]].to_numpy(), d["y"].to_numpy())
    assert b is not None and b[1] > 0 and b[2] > 0  # along x1 + x2
    rng = np.random.default_rng(1)
    overlap = rng.random(2000) < 1 / (1 + np.exp(-(d["x1"] + d["x2"] - 1)))
    assert separation_direction(d[["x1", "x2"]].to_numpy(), overlap.astype(float)) is None


def test_separated_logit_falls_back_to_a_penalised_fit():
    d = _two_column_separation()
    m = LogitModel(features=["x1", "x2"]).fit(d, d["y"], groups=d["village_id"])
    assert m.penalised_ and any("separation" in w for w in m.warnings_)
    tab = m.odds_ratios()
    assert tab["ci_low"].isna().all() and (tab["flag"] != "").all()  # no interval claimed
    p = m.predict_proba(d)[:, 1]
    assert np.all((p > 0) & (p < 1)) and np.isfinite(p).all()
    assert m.fit_report()["penalised"] and m.fit_report()["inference"]["method"] == "none"


def test_overlap_proven_by_hand():
    """x = 0, 1, 0, 1 with y = 0, 0, 1, 1: each x value has both outcomes, and equal weights
    give a score of exactly zero (signed column sums 0), so no direction can separate; with
    y = x the outcomes are separated and no weights can prove otherwise."""
    X, y = np.array([[0.0], [1.0], [0.0], [1.0]]), np.array([0.0, 0.0, 1.0, 1.0])
    assert glm.overlap_proven(X, y, np.ones(4))
    assert separation_direction(X, y) is None
    assert not glm.overlap_proven(X, y, np.array([1.0, 1.0, 1.0, 0.0]))  # a weight of zero
    assert not glm.overlap_proven(X, y, np.array([1.0, 2.0, 1.0, 1.0]))  # score not zero
    separated = X[:, 0]
    assert separation_direction(X, separated) is not None
    for w in (np.ones(4), np.array([0.5, 0.1, 0.9, 2.0])):
        assert not glm.overlap_proven(X, separated, w)


def test_overlap_proven_by_the_logit_fit_and_not_under_separation():
    """The logit's probabilities prove the overlap of data drawn from a logit (the
    programme finds no direction either); on data separated by x1 + x2 nothing proves it."""
    d = _two_column_separation()
    X = d[["x1", "x2"]].to_numpy()
    rng = np.random.default_rng(1)
    overlap = (rng.random(len(d)) < 1 / (1 + np.exp(-(d["x1"] + d["x2"] - 1)))).astype(float)
    mu = sm.GLM(overlap, sm.add_constant(X), family=sm.families.Binomial()).fit().fittedvalues
    assert glm.overlap_proven(X, overlap, np.abs(overlap - mu))
    assert separation_direction(X, overlap) is None
    y = d["y"].to_numpy()
    assert not glm.overlap_proven(X, y, np.full(len(y), 0.5))
    assert not glm.overlap_proven(X, y, np.abs(y - mu))


def test_the_separation_programme_is_solved_only_when_the_fit_does_not_prove_overlap(
        monkeypatch):
    """Overlapping data: the fit proves it, the programme is not solved and the fit is the
    maximum-likelihood one. Separated data: the programme decides (penalised fit), also when
    the maximum-likelihood fit fails; with overlap such a failure is raised as before."""
    solved = []
    real = glm.separation_direction

    def spy(X, y, tol=1e-7):
        solved.append(len(X))
        return real(X, y, tol)

    monkeypatch.setattr(glm, "separation_direction", spy)
    d = _two_column_separation()
    rng = np.random.default_rng(1)
    overlap = (rng.random(len(d)) < 1 / (1 + np.exp(-(d["x1"] + d["x2"] - 1)))).astype(float)
    m = LogitModel(features=["x1", "x2"]).fit(d, overlap, groups=d["village_id"])
    assert solved == [] and not m.penalised_
    mle = sm.GLM(overlap, sm.add_constant(d[["x1", "x2"]].to_numpy()),
                 family=sm.families.Binomial()).fit()
    np.testing.assert_allclose(m.params_.to_numpy(), mle.params, rtol=1e-6)

    m = LogitModel(features=["x1", "x2"]).fit(d, d["y"], groups=d["village_id"])
    assert solved == [len(d)] and m.penalised_

    def broken(self, formula, data, fit_kw):
        raise np.linalg.LinAlgError("singular")

    monkeypatch.setattr(LogitModel, "_fit_formula", broken)
    m = LogitModel(features=["x1", "x2"]).fit(d, d["y"], groups=d["village_id"])
    assert m.penalised_ and any("separation" in w for w in m.warnings_)
    with pytest.raises(np.linalg.LinAlgError, match="singular"):
        LogitModel(features=["x1", "x2"]).fit(d, overlap, groups=d["village_id"])


def test_nothing_estimable_is_not_fitted_and_not_scored(feature_frame):
    d = pd.DataFrame({"x": np.ones(50), "y": np.r_[np.ones(10), np.zeros(40)]})
    with pytest.raises(ModelNotFitted, match="no estimable column"):
        LogitModel(features=["x"]).fit(d, d["y"])
    with pytest.raises(ModelNotFitted, match="same outcome"):
        LogitModel(features=["x"]).fit(d.assign(x=np.arange(50.0)), np.zeros(50))
    # in the stage: reported as not fitted, no score column
    f = feature_frame.copy()
    f["relapse"] = pd.array(np.zeros(len(f), dtype=bool), dtype="boolean")
    f.loc[f["year"] == 2024, "relapse"] = True  # every training label is 0
    from relapse_models.core.config import load_config

    config = load_config(overrides={"models": {"bootstrap": 0}})
    with pytest.warns(RuntimeWarning, match="not fitted"):
        res = fit.fit_models(f, config, models=("rule", "logit"), county_holdout=False,
                             drivers=False)
    assert res.metrics["fits"]["logit"]["fitted"] is False
    assert "same outcome" in res.metrics["fits"]["logit"]["reason"]
    assert "score_logit" not in res.predictions and "logit" not in res.metrics["out_of_time"]["pooled"]
    assert fit.coefficient_table(res).empty


def test_cr2_equals_hc2_with_one_row_per_cluster():
    """With clusters of one row CR2 is HC2 (MacKinnon & White 1985): checked against
    statsmodels' OLS HC2 (identity link, unit weights)."""
    rng = np.random.default_rng(2)
    X = sm.add_constant(rng.normal(size=(300, 2)))
    y = X @ [1.0, 0.5, -0.3] + rng.normal(size=300) * (1 + np.abs(X[:, 1]))
    ols = sm.OLS(y, X).fit(cov_type="HC2")
    cov = cr2_covariance(X, np.ones(300), ols.resid, np.arange(300))
    np.testing.assert_allclose(cov, ols.cov_params(), rtol=1e-8)


def test_inference_follows_the_number_of_clusters(logit_data):
    d = logit_data
    many = LogitModel(features=["x1", "x2", "flag"]).fit(d, d["y"], groups=d["village_id"])
    assert many.inference_["method"] == "CR1" and many.n_clusters_ >= CR1_MIN_CLUSTERS
    few_villages = (d["village_id"].astype(int) % 12).astype(str)
    few = LogitModel(features=["x1", "x2", "flag"]).fit(d, d["y"], groups=few_villages)
    assert few.inference_["method"] == "CR2" and few.inference_["df"] == 11
    tab = few.odds_ratios()
    assert tab["ci_low"].notna().all() and tab.attrs["inference"]["method"] == "CR2"
    # t(11) intervals are wider than normal ones with the same standard error
    se = tab.set_index("term").loc["x1", "se"]
    width = np.log(tab.set_index("term").loc["x1", "ci_high"] / tab.set_index("term").loc["x1", "ci_low"])
    assert width == pytest.approx(2 * 2.2010 * se, rel=1e-3)
    three = LogitModel(features=["x1", "x2", "flag"]).fit(
        d, d["y"], groups=(d["village_id"].astype(int) % 3).astype(str))
    assert three.inference_["method"] == "none" and "withheld" in three.inference_["note"]
    assert three.odds_ratios()["ci_low"].isna().all()


def test_model_columns_is_an_allow_list():
    X = pd.DataFrame({"income_ratio": [1.0], "relapse_in_quarters": [1], "other": [2.0]})
    assert model_columns(X) == ["income_ratio"]  # never the other numeric columns
    with pytest.raises(ValueError, match="label-derived"):
        model_columns(X, ["income_ratio", "relapse_in_quarters"])
    with pytest.raises(ValueError, match="no model input"):
        model_columns(pd.DataFrame({"other": [1.0]}))


def test_no_label_derived_column_reaches_any_model(feature_frame, monkeypatch):
    """Every model of the registry, fitted by the stage on a frame that carries the label,
    the time to relapse and the true probability: the columns each one is given are within
    its allow-list and hold no label-derived column, at fit and at prediction."""
    from relapse_models.core.config import load_config

    seen: dict[str, list[set[str]]] = {}
    for name, cls in MODELS.items():
        original_fit, original_predict = cls.fit, cls.predict_proba

        def spy_fit(self, X, *a, _name=name, _f=original_fit, **k):
            seen.setdefault(_name, []).append(set(X.columns))
            return _f(self, X, *a, **k)

        def spy_predict(self, X, _name=name, _f=original_predict):
            seen.setdefault(_name, []).append(set(X.columns))
            return _f(self, X)

        monkeypatch.setattr(cls, "fit", spy_fit)
        monkeypatch.setattr(cls, "predict_proba", spy_predict)
    f = feature_frame.copy()
    f["relapse_in_quarters"] = pd.array(np.where(f["relapse"], 2, pd.NA), dtype="Int64")
    f["medical_oop_4q"] = 0.0
    config = load_config(overrides={"models": {"bootstrap": 0}})
    monkeypatch.setattr(fit, "model_params", lambda n, c: {"max_iter": 20} if n == "gbm"
                        else {"horizon": 4} if n == "hazard" else {})
    fit.fit_models(f, config, models=tuple(MODELS), county_holdout=False, drivers=False)
    assert set(seen) == set(MODELS)
    for name, column_sets in seen.items():
        for cols in column_sets:
            assert not cols & LABEL_DERIVED_COLUMNS, (name, cols & LABEL_DERIVED_COLUMNS)
            assert cols <= set(MODEL_INPUTS[name]), (name, cols - set(MODEL_INPUTS[name]))
    assert "relapse_in_quarters" in f and "true_prob" in f  # they were there to leak
