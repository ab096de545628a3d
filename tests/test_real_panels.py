"""A real annual panel (NLSY wage panel from linearmodels) through the canonical tables,
the feature step, every model and the evaluation, with nothing but its mapping: checked
against facts read off the raw data, then scored against the one-variable income baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relapse_models.data import real_panels as rp
from relapse_models.stages import public_benchmark as pb
from relapse_models.stages.fit import fit_models

pytest.importorskip("linearmodels")


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return rp.load_wage_panel()


def test_mapping_against_raw(raw):
    data = rp.map_wage_panel(raw)
    panel, hh = data["panel"], data["households"]
    assert len(raw) == len(panel) == 4360 and len(hh) == raw["nr"].nunique() == 545
    assert (panel["periods_per_year"] == 1).all() and set(panel["year"]) == set(range(2020, 2028))
    # person 13 in 1980: exp(lwage) x annual hours
    r = raw[(raw["nr"] == 13) & (raw["year"] == 1980)].iloc[0]
    row = panel[(panel["household_id"] == "nlsy-13") & (panel["year"] == 2020)].iloc[0]
    assert row["income_wage"] == pytest.approx(np.exp(r["lwage"]) * r["hours"])
    earnings = np.exp(raw["lwage"]) * raw["hours"]
    assert data["lines"][2023] == pytest.approx(0.6 * earnings[raw["year"] == 1983].median())
    assert data["overrides"]["models"]["train_until_year"] is None  # years from the data


def _subsample(data: dict, n: int) -> dict:
    keep = data["households"]["household_id"].iloc[:n]
    return {**data, "households": data["households"][data["households"]["household_id"].isin(keep)],
            "panel": data["panel"][data["panel"]["household_id"].isin(keep)]}


def test_every_model_and_the_baseline_on_part_of_the_panel(raw):
    data = _subsample(rp.map_wage_panel(raw), 200)
    config = pb.panel_config(data, {"models": {"bootstrap": 50}})
    f = pb.panel_features(data, config)
    # absent domains are left out, not faked
    assert {"oop_share", "disaster_loss_share", "monitored_now", "dibao"} & set(f.columns) == set()
    result = fit_models(f, config)
    assert result.metrics["test_year"] == 2026  # 1986: the last year with a known outcome
    table = pb.baseline_comparison(f, result.predictions, rp.MODELS, capacity_share=0.1, n_boot=50)
    scored = [m for m in rp.MODELS if f"score_{m}" in result.predictions]
    assert {"logit", "gbm", "rule"} <= set(scored)
    # a model left out was reported not fitted with the reason, or (vulnerability) left out of
    # the comparisons with a note
    fits, vul = result.metrics["fits"], result.metrics.get("vulnerability", {})
    for name in set(rp.MODELS) - set(scored):
        assert (not fits[name]["fitted"] and fits[name]["reason"]) or (
            name == "vulnerability" and not vul["in_comparisons"] and vul["note"]), name
    assert table["model"].tolist() == ["income_baseline", *scored]
    assert np.isfinite(table[["auc", "auc_low", "auc_high"]].to_numpy(float)).all()
    assert ((table["auc_low"] <= table["auc"]) & (table["auc"] <= table["auc_high"])).all()
    base = table.set_index("model").loc["income_baseline"]
    assert base["auc_low"] > 0.5  # income relative to the line ranks next year's fall


@pytest.mark.slow
def test_full_panel_against_the_income_baseline(raw):
    """Measured (200 person-clustered replicates): income baseline AUC 0.834 (0.759-0.893);
    logit and hazard 0.851, gbm 0.842: each within about +-0.04 of the baseline, every
    difference's interval spans zero; the rule 0.51 and the vulnerability model 0.59 rank
    worse than income alone."""
    data = rp.map_wage_panel(raw)
    config = pb.panel_config(data)
    f = pb.panel_features(data, config)
    result = fit_models(f, config)
    t = pb.baseline_comparison(f, result.predictions, rp.MODELS, capacity_share=0.1).set_index("model")
    for name in ("logit", "gbm", "hazard"):
        assert t.loc[name, "diff_low"] < 0 < t.loc[name, "diff_high"]  # no winner
    assert t.loc["rule", "diff_high"] < 0
