"""Drift: PSI against hand-computed values, recalibration against a known miscalibration."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from relapse_models.core.config import default_config
from relapse_models.models.drift import (
    PSI_MAJOR,
    Recalibration,
    apply_recalibration,
    drift_action,
    fit_recalibration,
    population_stability_index,
    psi_between,
    psi_table,
)
from relapse_models.outcome.features import LABEL_COLUMN
from relapse_models.stages.drift import drift_report, drift_years, recalibration_effect


def test_psi_hand_computed():
    # reference uniform on 0..0.999: ten bins of 10 %; later year: the lower half only, so
    # the first five bins hold 20 % each and the last five none (floored at 1e-4)
    expected = np.arange(1000) / 1000
    actual = np.arange(500) / 1000
    by_hand = 5 * (0.2 - 0.1) * np.log(0.2 / 0.1) + 5 * (1e-4 - 0.1) * np.log(1e-4 / 0.1)
    assert population_stability_index(expected, actual) == pytest.approx(by_hand, rel=1e-9)
    assert by_hand == pytest.approx(3.797, abs=1e-3)   # 0.3466 + 3.4504, on paper


def test_psi_zero_for_same_distribution_and_indicator_bins():
    x = np.arange(1000) / 1000
    assert population_stability_index(x, x) == pytest.approx(0.0, abs=1e-12)
    # a 0/1 indicator: shares 0.5/0.5 -> 0.2/0.8: two bins, by hand
    e = np.r_[np.zeros(50), np.ones(50)]
    a = np.r_[np.zeros(20), np.ones(80)]
    by_hand = (0.2 - 0.5) * np.log(0.2 / 0.5) + (0.8 - 0.5) * np.log(0.8 / 0.5)
    assert population_stability_index(e, a) == pytest.approx(by_hand, rel=1e-9)
    assert np.isnan(population_stability_index([np.nan], x))
    # weights 4:1 on the 0s make the reference's shares 0.2/0.8, those of the later year
    assert population_stability_index(e, a, expected_weights=np.r_[np.ones(50),
                                                                   4 * np.ones(50)]) == \
        pytest.approx(0.0, abs=1e-12)


def test_psi_table_flags_the_shifted_feature_only():
    rng = np.random.default_rng(1)
    n = 4000
    year = np.repeat([2022, 2023], n)
    df = pd.DataFrame({
        "stable": rng.normal(size=2 * n),
        "shifted": rng.normal(size=2 * n) + (year == 2023) * 1.5,
    })
    out = psi_table(df, year == 2022, {2023: year == 2023}, ["stable", "shifted"])
    flags = out.set_index("feature")["flagged"]
    assert not flags["stable"] and flags["shifted"]
    assert out.set_index("feature").loc["stable", "psi"] < 0.02


def test_psi_compares_like_quarters_and_never_flags_calendar_inputs():
    # a seasonal input: quarter 1 around 0, quarter 4 around 3, the same in both windows;
    # the reference holds quarters 1 and 4 half each, the later year 90 % quarter 1
    rng = np.random.default_rng(2)
    quarter = np.r_[np.repeat([1, 4], 2000), np.repeat([1, 4], [3600, 400])]
    later = np.r_[np.zeros(4000, bool), np.ones(4000, bool)]
    df = pd.DataFrame({"trend": rng.normal(size=8000) + 3.0 * (quarter == 4),
                       "years_since_exit": np.r_[rng.integers(0, 5, 4000),
                                                 rng.integers(3, 8, 4000)].astype(float)})
    pooled = psi_table(df, ~later, {2023: later}, ["trend"])
    matched = psi_table(df, ~later, {2023: later}, ["trend", "years_since_exit"],
                        strata=quarter).set_index("feature")
    # pooled over quarters the composition reads as a major shift; within quarters it is none
    assert pooled["psi"].iloc[0] > 0.25 and pooled["flagged"].iloc[0]
    assert matched.loc["trend", "psi"] < 0.02 and not matched.loc["trend", "flagged"]
    # the calendar input moved by construction: a large PSI, reported, never flagged
    assert matched.loc["years_since_exit", "psi"] > 1 and matched.loc["years_since_exit", "calendar"]
    assert not matched.loc["years_since_exit", "flagged"]


def test_psi_between_two_frames_leaves_out_strata_the_reference_lacks():
    """The later year's quarter-1 rows copy the reference exactly (PSI 0); its quarter-2
    rows, far off, are of a stratum the reference lacks and are left out."""
    rng = np.random.default_rng(3)
    reference = pd.DataFrame({"x": rng.normal(size=3000), "quarter": 1})
    later = pd.concat([reference, pd.DataFrame({"x": rng.normal(size=2000) + 9, "quarter": 2})],
                      ignore_index=True)
    out = psi_between(reference, later, 2024, ["x"], reference_strata=reference["quarter"],
                      later_strata=later["quarter"])
    assert out.to_dict("records") == [{"year": 2024, "feature": "x", "psi": 0.0,
                                       "calendar": False, "flagged": False}]
    # without strata every later row counts: the shifted rows are a major shift
    assert psi_between(reference, later, 2024, ["x"])["flagged"].item()


def test_recalibration_recovers_a_known_miscalibration():
    rng = np.random.default_rng(7)
    n = 200_000
    p = 1 / (1 + np.exp(-rng.normal(-2.0, 1.0, n)))     # the model's score
    a, b = -0.7, 1.4                                     # true log-odds = a + b logit(p)
    true = 1 / (1 + np.exp(-(a + b * np.log(p / (1 - p)))))
    y = (rng.random(n) < true).astype(float)
    rc = fit_recalibration(y, p)
    assert abs(rc.intercept - a) < 4 * rc.intercept_se
    assert abs(rc.slope - b) < 4 * rc.slope_se
    fixed = apply_recalibration(p, rc)
    np.testing.assert_allclose(fixed, true, atol=0.01)
    assert y.sum() / p.sum() < 0.8                       # the raw score over-predicts
    assert y.sum() / fixed.sum() == pytest.approx(1.0, abs=0.01)


def test_recalibration_equals_the_binomial_glm():
    """The reference implementation: statsmodels' binomial GLM of the outcome on the score's
    log-odds gives the same maximum-likelihood estimates and standard errors."""
    rng = np.random.default_rng(11)
    p = 1 / (1 + np.exp(-rng.normal(-2.5, 1.2, 50_000)))
    y = (rng.random(len(p)) < p ** 1.3).astype(float)
    rc = fit_recalibration(y, p)
    x = np.log(p / (1 - p))
    glm = sm.GLM(y, sm.add_constant(x), family=sm.families.Binomial()).fit()
    np.testing.assert_allclose([rc.intercept, rc.slope], glm.params, rtol=1e-9)
    np.testing.assert_allclose([rc.intercept_se, rc.slope_se], glm.bse, rtol=1e-7)
    assert rc.n == len(y)


def test_identity_recalibration_and_refusals():
    p = np.array([0.1, 0.2, 0.7])
    np.testing.assert_allclose(apply_recalibration(p, Recalibration(0, 1, 0, 0, 3)), p)
    with pytest.raises(ValueError, match="both outcomes"):
        fit_recalibration([0, 0, 0], p)
    with pytest.raises(ValueError, match="varies"):
        fit_recalibration([0, 1, 0], [0.2, 0.2, 0.2])


def test_drift_action_rule():
    ok = [0.9, 1.1]
    assert drift_action(ok, 0.5, [0.4, 0.6], 0.05) == ("keep", "none")
    assert drift_action([1.2, 1.5], 0.5, [0.4, 0.6], 0.05) == ("recalibrate", "o_e")
    assert drift_action([1.2, 1.5], 0.3, [0.4, 0.6], 0.05) == ("refit", "recall")
    assert drift_action(ok, 0.5, [0.4, 0.6], PSI_MAJOR + 0.01) == ("refit", "psi")
    nan = float("nan")
    assert drift_action([nan, nan], nan, [nan, nan], nan) == ("keep", "none")


# --- the stage ---------------------------------------------------------------------------



def _config(**drift):
    cfg = default_config()
    return {**cfg, "drift": {**cfg["drift"], **drift},
            "models": {**cfg["models"], "bootstrap": 50}}


def test_drift_years_default_and_refusal():
    f = pd.DataFrame({"year": [2021, 2022, 2023, 2024, 2025],
                      LABEL_COLUMN: [0, 1, 0, 1, np.nan]})
    assert drift_years(f, _config()) == (2022, [2023, 2024])
    assert drift_years(f, _config(train_until_year=2021)) == (2021, [2022, 2023, 2024])
    with pytest.raises(ValueError, match="no labelled year after"):
        drift_years(f, _config(train_until_year=2024))


def test_unusable_training_years_name_the_setting_that_chose_them():
    """A panel too short for the default training years (its first years lack the inputs
    that need a year of history) is refused naming drift.train_until_year."""
    from conftest import make_feature_frame

    f = make_feature_frame(households=30)          # 2021-2024, labelled through 2024
    f.loc[f["year"] <= 2022, "income_ratio"] = np.nan
    with pytest.raises(ValueError, match=r"years up to 2022 \(drift.train_until_year, null"):
        drift_report(f, _config())


def test_recalibration_effect_repairs_a_known_shift():
    # both years: true log-odds = -1 + logit(score) (the model over-predicts by e); the
    # recalibration fitted on the first year brings the second's observed/expected to 1
    rng = np.random.default_rng(3)

    def year(n=60_000):
        p = 1 / (1 + np.exp(-rng.normal(-1.5, 1.0, n)))
        true = 1 / (1 + np.exp(-(-1.0 + np.log(p / (1 - p)))))
        return pd.DataFrame({"household_id": np.arange(n).astype(str),
                             "village_id": (np.arange(n) % 300).astype(str),
                             LABEL_COLUMN: (rng.random(n) < true).astype(float),
                             "score_logit": p})

    out = recalibration_effect({2023: year(), 2024: year()}, ("rule", "logit"), _config())
    row = out.set_index("model").loc["logit"]
    assert list(out["model"]) == ["logit"]                 # the rule is not a probability
    assert abs(row["intercept"] + 1.0) < 4 * row["intercept_se"]
    assert abs(row["slope"] - 1.0) < 4 * row["slope_se"]
    assert row["o_e_raw_high"] < 0.8
    assert row["o_e_recal_low"] < 1.0 < row["o_e_recal_high"]
    assert row["brier_diff_high"] < 0 and row["better"] == "recalibrated"


def test_the_stage_reading_one_year_at_a_time_gives_the_report_of_the_whole_frame(tmp_path):
    """The drift stage reads its keys, then the fit's and the reference rows, then each later
    year alone: every table equals the one computed on the whole frame in memory."""
    from conftest import county_feature_files, make_feature_frame

    from relapse_models.stages import drift
    from relapse_models.stages.fit import load_features

    paths = county_feature_files(make_feature_frame(households=80), tmp_path, groups_per_file=3)
    cfg = _config()
    cfg = {**cfg, "models": {**cfg["models"], "max_train_rows": 1000, "max_tune_rows": 500}}
    whole = drift_report(load_features(paths), cfg)
    stage = drift.run(paths, None, cfg, tmp_path / "out")
    assert whole["later_years"] == stage["later_years"] == [2023, 2024]
    assert whole["n_train"] == stage["n_train"] > 0
    for table in ("years", "psi", "recalibration"):
        pd.testing.assert_frame_equal(whole[table], stage[table], obj=table)
