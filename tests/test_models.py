"""Models: the rule by hand, coefficient recovery for the GLMs, and the shared API."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from relapse_models.models import MODELS, GBMModel, IncomeRatioModel, LogitModel, RuleModel
from relapse_models.models.logit import ModelNotFitted
from relapse_models.models.rule import rule_params
from relapse_models.outcome.features import FEATURE_COLUMNS


def test_registry_names():
    assert {"rule", "logit", "gbm", "hazard"} <= set(MODELS)


def test_rule_triggers_by_hand():
    X = pd.DataFrame(
        {
            "income_ratio": [0.9, 1.2, 1.2, 1.2, 1.2, 0.5, np.nan, 1.0, 1.6, 1.6],
            "income_yoy_drop": [0.0, 0.30, 0.29, 0.0, 0.0, 0.6, 0.9, 0.0, 0.0, 0.0],
            "oop_share": [0.0, 0.0, 0.0, 0.50, 0.0, 0.7, 0.9, 0.0, 0.0, 0.0],
            "medical_oop_4q": [0, 0, 0, 0, 0, 30000, 0, 0, 12000, 12000],
            "disaster_loss_share": [0.0, 0.0, 0.0, 0.0, 0.30, 0.4, 0.9, 0.0, 0.0, 0.0],
            # the Xi'an burden: 1万 for low-income households, 2.6万 for the others
            "poverty_alleviated": [0, 0, 0, 0, 0, 0, 0, 0, 1, 0],
            "dibao": [0] * 10,
            "monitored_now": [0] * 10,
        }
    )
    m = RuleModel(income_multiple=1.0, income_drop=0.30, oop_share=0.50,
                  disaster_loss_share=0.30).fit(X)
    assert m.triggers_ == ["income", "drop", "oop", "medical_burden", "disaster"]
    p = m.predict_proba(X)
    np.testing.assert_allclose(
        p[:, 1], [0.2, 0.2, 0.0, 0.2, 0.2, 1.0, np.nan, 0.0, 0.2, 0.0])
    known = [0, 1, 2, 3, 4, 5, 7, 8, 9]
    np.testing.assert_allclose(p[known, 0] + p[known, 1], 1.0)
    assert m.predict(X).tolist() == [True, True, False, True, True, True, True, False, True,
                                     False]
    # the multiple moves the income trigger: 1.0 < 1.5 x line, 1.6 is not
    edge = RuleModel(income_multiple=1.5).fit(X).predict_proba(X)[:, 1]
    assert edge[7] == 0.2 and edge[9] == 0.0
    # a subset of triggers
    only = RuleModel(triggers=["income", "disaster"]).fit(X).predict_proba(X)[:, 1]
    np.testing.assert_allclose(only[[0, 4, 5, 7, 8]], [0.5, 1.0, 1.0, 0.5, 0.0])


def test_rule_takes_config_section_and_missing_domains():
    cfg = {"income_multiple": None, "income_drop": 0.3, "oop_share": 0.5,
           "disaster_loss_share": 0.3}
    params = rule_params({"rule": cfg, "monitoring": {"edge_multiple": 1.4}})
    assert params["income_multiple"] == 1.4 and RuleModel(**params).income_drop == 0.3
    with pytest.raises(KeyError, match="income_ratio"):
        RuleModel().fit(pd.DataFrame({"oop_share": [1.0]}))
    with pytest.warns(RuntimeWarning, match="left out"):
        m = RuleModel().fit(pd.DataFrame({"income_ratio": [1.0, 2.0]}))
    assert m.triggers_ == ["income"] and "medical_burden" in m.unavailable_triggers_
    with pytest.raises(ValueError, match="unknown trigger"):
        RuleModel(triggers=["income", "rain"]).fit(pd.DataFrame({"income_ratio": [1.0]}))


def test_income_ratio_baseline_ranks_by_income():
    rng = np.random.default_rng(3)
    r = rng.lognormal(0.5, 0.4, 5000)
    y = rng.random(5000) < 1 / (1 + np.exp(-(-1.0 - 3.0 * np.log(r))))
    X = pd.DataFrame({"income_ratio": r})
    m = IncomeRatioModel().fit(X, y)
    assert m.slope_ == pytest.approx(-3.0, abs=0.3)
    p = m.predict_proba(X)[:, 1]
    # the same ranking as the income ratio itself (lower income, higher risk)
    assert roc_auc_score(y, p) == pytest.approx(roc_auc_score(y, -r))
    assert abs(p.mean() - y.mean()) < 0.005
    with pytest.raises(ModelNotFitted, match="slope"):
        IncomeRatioModel().fit(X, ~y)


def test_logit_recovers_true_coefficients(logit_data):
    d = logit_data
    m = LogitModel(features=["x1", "x2", "flag"]).fit(d, d["y"], groups=d["village_id"])
    tab = m.odds_ratios().set_index("term")
    truth = {"Intercept": -1.5, "x1": 0.8, "x2": -0.5, "flag": 1.0}
    for term, b in truth.items():
        assert tab.loc[term, "ci_low"] < np.exp(b) < tab.loc[term, "ci_high"], term
    assert m.result_.cov_type == "cluster"
    assert m.clustered_ and m.n_obs_ == len(d)
    np.testing.assert_allclose(tab["odds_ratio"], np.exp(tab["coef"]))
    ci = m.result_.conf_int()
    np.testing.assert_allclose(np.log(tab["ci_low"]), ci.iloc[:, 0].to_numpy())
    p = m.predict_proba(d)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert abs(p[:, 1].mean() - d["y"].mean()) < 0.005  # logit MLE matches the mean


def test_logit_cluster_se_larger_with_village_effect():
    """With a shared village shock, cluster-robust SEs exceed the model-based ones."""
    rng = np.random.default_rng(7)
    n, g = 20000, 100
    v = rng.integers(0, g, n)
    xv = rng.normal(size=g)[v]  # a village-level covariate
    eta = -1.0 + 0.5 * xv + rng.normal(scale=1.0, size=g)[v]
    y = rng.random(n) < 1 / (1 + np.exp(-eta))
    d = pd.DataFrame({"xv": xv, "y": y})
    clus = LogitModel(features=["xv"]).fit(d, d["y"], groups=v)
    naive = LogitModel(features=["xv"]).fit(d, d["y"])
    assert naive.result_.cov_type == "nonrobust"
    assert clus.result_.bse["xv"] > 3 * naive.result_.bse["xv"]


def test_logit_drops_constant_and_missing_rows(logit_data):
    d = logit_data.iloc[:3000].copy()
    d["const"] = 1.0
    d.loc[d.index[:10], "x1"] = np.nan
    y = pd.array(d["y"].to_numpy(), dtype="boolean")
    y[10:15] = pd.NA
    m = LogitModel(features=["x1", "x2", "const"]).fit(d, y, groups=d["village_id"])
    assert m.dropped_ == ["const"]
    assert m.n_obs_ == 3000 - 15
    assert "const" not in m.odds_ratios()["term"].tolist()


def test_logit_formula_interface(logit_data):
    d = logit_data.iloc[:5000]
    m = LogitModel(formula="yy ~ x1 + x2 + flag + x1:flag").fit(d, d["y"], groups=d["village_id"])
    assert "x1:flag" in m.odds_ratios()["term"].tolist()
    assert m.predict_proba(d).shape == (5000, 2)


@pytest.mark.slow
def test_gbm_close_to_oracle_and_calibrated(logit_data):
    d = logit_data
    train, test = d.iloc[:15000], d.iloc[15000:]
    m = GBMModel(features=["x1", "x2", "flag"], max_iter=150).fit(
        train, train["y"], groups=train["village_id"]
    )
    p = m.predict_proba(test)[:, 1]
    oracle = 1 / (1 + np.exp(-(-1.5 + 0.8 * test["x1"] - 0.5 * test["x2"] + test["flag"])))
    assert roc_auc_score(test["y"], p) >= 0.97 * roc_auc_score(test["y"], oracle)
    assert abs(p.mean() - test["y"].mean()) < 0.02
    assert m.calibration_method_ == "sigmoid"
    # no calibration plateaus: no single value holds 1 % of rows, so thresholds stay usable
    assert pd.Series(p).value_counts(normalize=True).iloc[0] < 0.01
    iso = GBMModel(features=["x1", "x2", "flag"], max_iter=50, calibration="auto").fit(
        train, train["y"]
    )
    assert iso.calibration_method_ == "isotonic"  # >= 1000 positives
    imp = m.permutation_importance(test, test["y"], n_repeats=2)
    assert imp["feature"].iloc[0] == "x1"  # the strongest coefficient


def _random_feature_frame(n=3000, seed=5):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.random((n, len(FEATURE_COLUMNS))), columns=FEATURE_COLUMNS)
    X["income_ratio"] = rng.uniform(0.5, 3.0, n)
    X["log_income_ratio"] = np.log(X["income_ratio"])
    y = rng.random(n) < 1 / (1 + np.exp(-(2.0 - 2.0 * X["income_ratio"])))
    X["medical_oop_4q"] = rng.uniform(0, 30000, n)
    # the hazard model's next-quarter event: a positive's first relapse quarter, 1..4
    to_event = pd.Series(rng.integers(1, 5, n), dtype="Int64").where(y, pd.NA)
    return X, pd.Series(y), rng.integers(0, 40, n), to_event


@pytest.mark.parametrize("name", ["rule", "income_ratio", "logit", "hazard", "gbm"])
def test_shared_api_on_feature_columns(name):
    X, y, groups, to_event = _random_feature_frame()
    params = {"max_iter": 30} if name == "gbm" else {}
    extra = {"time_to_event": to_event} if name == "hazard" else {}
    model = MODELS[name](**params)
    assert model.fit(X, y, groups=groups, **extra) is model
    p = model.predict_proba(X)
    assert p.shape == (len(X), 2)
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    if name != "rule":  # the learned models find the one real signal
        assert roc_auc_score(y, p[:, 1]) > 0.6


@pytest.mark.slow
def test_logit_interval_coverage_over_seeds():
    """The 95 % cluster-robust intervals cover the true coefficients in >= 90 % of 20 seeds."""
    from conftest import make_logit_data

    truth = {"Intercept": -1.5, "x1": 0.8, "x2": -0.5, "flag": 1.0}
    hits = []
    for seed in range(20):
        d = make_logit_data(n=5000, n_villages=100, seed=100 + seed)
        tab = LogitModel(features=["x1", "x2", "flag"]).fit(d, d["y"], groups=d["village_id"])
        tab = tab.odds_ratios().set_index("term")
        hits += [tab.loc[t, "ci_low"] < np.exp(b) < tab.loc[t, "ci_high"] for t, b in truth.items()]
    assert np.mean(hits) >= 0.90


def test_gbm_drivers_match_the_generator(logit_data):
    """Partial dependence recovers the generator's average effects; the table is tidy."""
    d = logit_data
    train, test = d.iloc[:15000], d.iloc[15000:]
    m = GBMModel(features=["x1", "x2", "flag"], max_iter=100).fit(
        train, train["y"], groups=train["village_id"]
    )
    tab = m.risk_drivers(test, test["y"], top=3, n_repeats=2, grid_resolution=10, pdp_rows=None)
    assert set(tab["method"]) == {"permutation_importance", "partial_dependence"}
    perm = tab[tab["method"] == "permutation_importance"]
    assert perm["feature"].tolist()[0] == "x1" and perm["rank"].tolist() == [1, 2, 3]
    pdp = tab[tab["method"] == "partial_dependence"]

    def sig(z):
        return 1 / (1 + np.exp(-z))

    # true partial dependence: the generator's probability averaged over the other features
    eta = -1.5 + 0.8 * test["x1"] - 0.5 * test["x2"] + test["flag"]
    flag = pdp[pdp["feature"] == "flag"].set_index("grid_value")["value"]
    assert flag.index.tolist() == [0.0, 1.0]
    true_flag = [sig(eta - test["flag"]).mean(), sig(eta - test["flag"] + 1).mean()]
    np.testing.assert_allclose(flag.to_numpy(), true_flag, atol=0.03)
    x1 = pdp[pdp["feature"] == "x1"]
    true_x1 = [sig(eta - 0.8 * test["x1"] + 0.8 * v).mean() for v in x1["grid_value"]]
    err = np.abs(x1["value"].to_numpy() - true_x1)  # trees are steps: small on average
    assert err.mean() < 0.02 and err.max() < 0.07
    assert x1["value"].iloc[-1] - x1["value"].iloc[0] > 0.25  # strong rising effect
    x2 = pdp[pdp["feature"] == "x2"]["value"].to_numpy()
    assert x2[-1] < x2[0]


def test_logit_drops_collinear_columns(logit_data):
    """A column equal to a sum of others is not identified: dropped, the rest recovered."""
    d = logit_data.copy()
    d["x1_plus_flag"] = d["x1"] + d["flag"]
    m = LogitModel(features=["x1", "x2", "flag", "x1_plus_flag"]).fit(
        d, d["y"], groups=d["village_id"]
    )
    assert m.dropped_ == ["x1_plus_flag"]
    tab = m.odds_ratios().set_index("term")
    assert tab.loc["x1", "ci_low"] < np.exp(0.8) < tab.loc["x1", "ci_high"]
    from relapse_models.models.glm import collinear_columns

    assert collinear_columns(d[["x1", "x2", "flag"]]) == []


def test_glm_predictions_equal_statsmodels(logit_data):
    """The direct x'b prediction against statsmodels' own (formula) predict."""
    d = logit_data.iloc[:4000].copy()
    d.loc[d.index[:5], "x2"] = np.nan
    m = LogitModel(features=["x1", "x2", "flag"]).fit(d, d["y"], groups=d["village_id"])
    ref = m.result_.predict(d[["x1", "x2", "flag"]])
    np.testing.assert_allclose(m.predict_proba(d)[:, 1], ref.reindex(d.index).to_numpy())
    assert np.isnan(m.predict_proba(d)[:5, 1]).all()


def test_gbm_stops_early_on_held_out_villages(logit_data):
    """Boosting stops once the held-out villages' loss no longer falls (a 3-feature logistic
    signal needs few rounds at a high learning rate); the k-fold ensemble still works."""
    d = logit_data
    train, test = d.iloc[:15000], d.iloc[15000:]
    m = GBMModel(features=["x1", "x2", "flag"], learning_rate=0.3, max_iter=500).fit(
        train, train["y"], groups=train["village_id"]
    )
    assert m.n_iter_[0] < 100
    oracle = 1 / (1 + np.exp(-(-1.5 + 0.8 * test["x1"] - 0.5 * test["x2"] + test["flag"])))
    for model in (
        m,
        GBMModel(features=["x1", "x2", "flag"], refit=True).fit(
            train, train["y"], groups=train["village_id"]
        ),
        GBMModel(features=["x1", "x2", "flag"], cv=3, max_iter=60, early_stopping=False).fit(
            train, train["y"], groups=train["village_id"]
        ),
    ):
        p = model.predict_proba(test)[:, 1]
        assert roc_auc_score(test["y"], p) >= 0.97 * roc_auc_score(test["y"], oracle)
        assert abs(p.mean() - test["y"].mean()) < 0.02
    assert len(model.n_iter_) == 3 and model.n_iter_[0] == 60


def test_logit_drops_separated_flag_and_keeps_the_others(logit_data):
    # a rare flag that is 1 only on non-relapsing rows: its MLE is -inf (quasi-complete
    # separation) and the clustered covariance singular; it is dropped, and the other
    # coefficients are those of the fit without it
    d = logit_data.copy()
    d["monitored"] = 0.0
    d.loc[d.index[~d["y"]][:15], "monitored"] = 1.0
    X = d[["x1", "x2", "flag", "monitored"]]
    with_flag = LogitModel(features=list(X.columns)).fit(X, d["y"], groups=d["village_id"])
    assert with_flag.dropped_ == ["monitored"]
    without = LogitModel(features=["x1", "x2", "flag"]).fit(X, d["y"], groups=d["village_id"])
    pd.testing.assert_series_equal(with_flag.result_.params, without.result_.params)
    assert np.isfinite(with_flag.result_.bse).all()


def test_separated_columns_by_hand():
    from relapse_models.models.glm import separated_columns

    X = pd.DataFrame({"sep": [0, 0, 0, 1, 1], "ok": [0, 1, 0, 1, 0], "cont": [1.0, 2, 3, 4, 5]})
    y = np.array([1.0, 0, 1, 0, 0])
    # sep: value 1 (rows 3,4) only with y=0 -> positives all at or below negatives; ok: value 1
    # (rows 1,3) only with y=0 too; cont: positives 1,3 interleave negatives 2,4,5 -> kept
    assert separated_columns(X, y) == ["sep", "ok"]
    y2 = np.array([0.0, 1, 1, 0, 1])
    # sep: positives at 0,0,1 and negatives at 0,1 overlap on both sides; ok: positives at
    # 1,0,0, negatives at 0,1; cont: positives 2,3,5, negatives 1,4
    assert separated_columns(X, y2) == []


def test_separated_columns_many_valued_and_its_fit():
    """A many-valued column whose positives all sit at its minimum (no relapsing household has
    an elderly member) has an infinite MLE: flagged, and the clustered fit stays finite."""
    from relapse_models.models.glm import separated_columns

    rng = np.random.default_rng(3)
    n = 400
    elderly = np.where(rng.random(n) < 0.5, 0.0, rng.choice([0.25, 0.5, 1.0], n))
    x1 = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(x1 - 2.5)))).astype(float)
    y[elderly > 0] = 0.0
    X = pd.DataFrame({"elderly_share": elderly, "x1": x1})
    assert separated_columns(X, y) == ["elderly_share"]
    assert separated_columns(X, np.zeros(n)) == []
    model = LogitModel(features=["elderly_share", "x1"]).fit(X, y, groups=np.arange(n) // 10)
    assert model.dropped_ == ["elderly_share"]
    assert np.isfinite(model.result_.bse).all()


def test_fitted_logit_keeps_no_training_data():
    """The saved logit keeps estimates, not most copies of the training rows: its pickle is
    under half of statsmodels' own fit, while odds ratios and predictions equal statsmodels' own fit with the data kept."""
    import pickle

    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(11)
    n = 50_000
    X = pd.DataFrame({"income_ratio": rng.normal(size=n), "oop_share": rng.random(n)})
    y = (rng.random(n) < 1 / (1 + np.exp(-(-2 + X["income_ratio"])))).astype(float)
    groups = np.arange(n) // 50
    model = LogitModel(features=list(X.columns)).fit(X, y, groups=groups)
    reference = smf.glm("y ~ income_ratio + oop_share", X.assign(y=y),
                        family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": groups})
    assert len(pickle.dumps(model)) < 0.5 * len(pickle.dumps(reference))  # measured 0.33
    table = model.odds_ratios().set_index("term")
    np.testing.assert_allclose(table["coef"], reference.params[table.index], rtol=1e-8)
    np.testing.assert_allclose(table["se"], reference.bse[table.index], rtol=1e-8)
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], reference.predict(X), rtol=1e-8)


def test_gbm_with_cases_in_one_village_is_not_fitted_and_says_why(logit_data):
    """All relapses in one village: the village split leaves the trees or the calibrator
    without a case, so the gbm is reported not fitted rather than scored."""
    d = logit_data.iloc[:4000].copy()
    d["y"] = np.where(d["village_id"] == d["village_id"].iloc[0], d["y"], 0)
    assert d["y"].sum() >= 2
    with pytest.raises(ModelNotFitted, match="relapse .* rows .* too few villages or cases"):
        GBMModel(features=["x1", "x2", "flag"]).fit(d, d["y"], groups=d["village_id"])
