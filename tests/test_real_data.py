"""The models run unchanged on real public data that ships inside a PyPI package.

Two data sets from ``linearmodels.datasets`` (installed with the package, no download):

- ``meps``: Medical Expenditure Panel Survey 2003, 10,391 people aged 65+ (the extract of
  Cameron & Trivedi): prescription-drug spending, chronic conditions, income and a poverty
  flag. A cross-section: the label is being poor (not a relapse), split at random.
- ``wage_panel``: NLSY young men 1980-87 (Vella & Verbeek 1998), 545 people x 8 years of
  log hourly wage and annual hours. A real panel: the label is falling below a relative
  low-earnings line next year among those above it this year, an out-of-time "relapse".

Each is mapped into the canonical model inputs (columns of
:data:`relapse_models.outcome.features.FEATURE_COLUMNS` where the data has an equivalent, plus keys,
``line``, ``income_pc_4q``, ``at_risk`` and the label), then fitted and scored with the
package's models and :func:`relapse_models.models.evaluation.score_metrics` as they are. The label is
built from income, so income never enters MEPS's features (leakage: docs/domain.md section 7).
Run with ``-s`` to see the metrics.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from linearmodels.datasets import meps, wage_panel

from relapse_models.models import GBMModel, LogitModel, VulnerabilityModel
from relapse_models.models.evaluation import compare_scores, out_of_time_split, score_metrics
from relapse_models.outcome.features import FEATURE_COLUMNS, LABEL_COLUMN

US_POVERTY_LINE_65_SINGLE_2003 = 8825.0
"""Census poverty threshold 2003, one person aged 65+, USD: scales drug spending."""


def meps_frame() -> pd.DataFrame:
    """MEPS in canonical columns. drugexp is total (not out-of-pocket) drug spending and
    ssiratio is Social Security income / income: the closest equivalents available."""
    d = meps.load()
    out = pd.DataFrame(
        {
            "household_id": [f"meps{i}" for i in range(len(d))],
            "county_id": "meps",
            "village_id": [f"meps{i}" for i in range(len(d))],  # no clusters: rows
            "year": 2003,
            "quarter": 4,
            "head_age": d["age"].astype(float),
            "head_female": d["female"].astype(float),
            "head_education_years": d["educyr"].astype(float),
            "household_size": 1.0 + d["marry"].astype(float),
            "any_chronic_ill": (d["totchr"] > 0).astype(float),
            "oop_to_line": d["drugexp"] / US_POVERTY_LINE_65_SINGLE_2003,
            "transfer_share": d["ssiratio"].clip(0.0, 1.0),
        }
    )
    out[LABEL_COLUMN] = pd.array(d["poverty"].astype(bool), dtype="boolean")
    return out


def wage_panel_frame(line_share: float = 0.6) -> pd.DataFrame:
    """The NLSY panel in canonical columns, one row per person-year (quarter 4).

    Income: annual earnings ``exp(lwage) x hours``; line: ``line_share`` x that year's
    median earnings (0.6: the EU's at-risk-of-poverty convention; a relative line rises every
    year, as the monitoring line does).
    Label at t: earnings at t+1 below the line of t+1; ``at_risk``: above the line at t."""
    d = wage_panel.load().sort_values(["nr", "year"]).reset_index(drop=True)
    earnings = np.exp(d["lwage"]) * d["hours"]
    line = line_share * earnings.groupby(d["year"]).transform("median")
    ratio = earnings / line
    prev = earnings.groupby(d["nr"]).shift(1)
    nxt_ratio = ratio.groupby(d["nr"]).shift(-1)
    out = pd.DataFrame(
        {
            "household_id": d["nr"].astype(str),
            "county_id": "nlsy",
            "village_id": d["nr"].astype(str),  # cluster by person: rows of a person share shocks
            "year": d["year"].astype(int),
            "quarter": 4,
            "income_ratio": ratio,
            "income_yoy_drop": np.clip(1.0 - earnings / prev, 0.0, 2.0).fillna(0.0),
            "income_yoy_known": prev.notna().astype(float),
            "household_size": 1.0 + d["married"].astype(float),
            "head_age": (d["educ"] + d["exper"] + 6).astype(float),
            "head_education_years": d["educ"].astype(float),
            "income_pc_4q": earnings,
            "line": line,
            "at_risk": ratio >= 1.0,
            "next_log_ratio": np.log(nxt_ratio),
        }
    )
    out[LABEL_COLUMN] = pd.array(
        np.where(nxt_ratio.isna(), None, nxt_ratio < 1.0), dtype="boolean"
    )
    return out


def test_meps_maps_into_canonical_inputs():
    f = meps_frame()
    mapped = [c for c in f.columns if c in FEATURE_COLUMNS]
    assert len(mapped) == 7 and f[mapped].notna().all().all()
    assert len(f) == 10391 and 0.15 < f[LABEL_COLUMN].mean() < 0.2


def test_models_on_meps_poverty():
    f = meps_frame()
    test = np.random.default_rng(0).random(len(f)) < 0.3
    train, held = f[~test], f[test]
    results, scores = {}, {}
    for name, model in {"logit": LogitModel(), "gbm": GBMModel(max_iter=100)}.items():
        model.fit(train, train[LABEL_COLUMN], groups=train["village_id"])
        scores[name] = model.predict_proba(held)[:, 1]
        results[name] = score_metrics(
            held[LABEL_COLUMN], scores[name], capacity_share=0.18, n_boot=50
        )
    diff = compare_scores(held[LABEL_COLUMN], scores["logit"], scores["gbm"], n_boot=50)
    print("\nMEPS poverty:", {n: _short(m) for n, m in results.items()})
    print("gbm - logit AUC:", round(diff["auc_diff"], 3), np.round(diff["auc_diff_ci"], 3))
    for m in results.values():
        # informative but not leaky (near-perfect AUCs mean the label is in the features)
        assert 0.65 < m["auc"] < 0.95
        assert m["ece"] < 0.04
        assert m["recall_at_capacity"] > 0.3  # flagging 18 % at random recalls 18 %
    # drug spending and the SSI share act non-linearly: the trees beat the linear logit
    assert diff["auc_diff_ci"][0] > 0


def test_models_on_wage_panel_out_of_time():
    f = wage_panel_frame()
    tr, te = out_of_time_split(f, train_until_year=1985, horizon=4)
    tr, te = tr & f["at_risk"], te & f["at_risk"]
    assert set(f.loc[te, "year"]) == {1986} and f.loc[tr, "year"].max() <= 1984
    assert not set(f.loc[tr, "year"]) & set(f.loc[te, "year"])
    train, test = f[tr], f[te]
    static = ["household_size", "head_age", "head_education_years"]
    models = {
        "logit": LogitModel(),
        "gbm": GBMModel(max_iter=100, min_samples_leaf=20),
        # CJS as published: mean and variance of income from characteristics alone
        "vulnerability": VulnerabilityModel(features=static),
        # the panel version: next year's income from this year's income and characteristics
        "vulnerability_dynamic": VulnerabilityModel(
            features=["income_ratio", "income_yoy_drop", "income_yoy_known", *static]
        ),
    }
    results = {}
    for name, model in models.items():
        y = train["next_log_ratio"] if name == "vulnerability_dynamic" else train[LABEL_COLUMN]
        model.fit(train, y, groups=train["village_id"])
        p = model.predict_proba(test)[:, 1]
        results[name] = score_metrics(
            test[LABEL_COLUMN], p, groups=test["village_id"], capacity_share=0.1, n_boot=50
        )
    print("\nNLSY relative low earnings, 1986 -> 1987:", {n: _short(m) for n, m in results.items()})
    for name in ("logit", "gbm", "vulnerability_dynamic"):
        assert results[name]["auc"] > 0.65, name
        assert results[name]["ece"] < 0.05, name
    # characteristics alone rank far worse than with current income (still above chance)
    assert results["vulnerability"]["auc"] > 0.55
    assert results["vulnerability_dynamic"]["auc"] > results["vulnerability"]["auc"] + 0.1
    dyn = models["vulnerability_dynamic"].coefficient_table().set_index(["equation", "term"])
    assert dyn.loc[("mean", "income_ratio"), "coef"] > 0  # higher income now, higher next year


def _short(m: dict) -> dict:
    keys = ("n", "prevalence", "auc", "auc_ci", "pr_auc", "brier", "ece", "recall_at_capacity")
    return {k: (np.round(m[k], 3).tolist() if k != "n" else m[k]) for k in keys}
