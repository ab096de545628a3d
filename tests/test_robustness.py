"""Robustness across truth mechanisms: what counts as a finding, and the tables behind it."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from relapse_models.core.profiles import load_profile
from relapse_models.report import comparative as rcmp
from relapse_models.stages import robustness as R

ROOT = Path(__file__).resolve().parents[1]
MECHS = ["income_dynamics", "shocks", "low_capacity"]


def _comparisons(winners: dict[str, str], b: str = "logit", a: str = "income_ratio",
                 metric: str = "recall_at_capacity") -> pd.DataFrame:
    return pd.DataFrame([{"mechanism": m, "b": b, "against": "best_baseline", "a": a,
                          "metric": metric, "estimate": 0.1, "ci_low": 0.0, "ci_high": 0.2,
                          "winner": w or np.nan, "ci_withheld": ""} for m, w in winners.items()])


def test_a_finding_needs_the_same_winner_under_every_mechanism():
    holds = R.findings(_comparisons(dict.fromkeys(MECHS, "logit")), MECHS)
    assert holds["holds"].tolist() == [True] and holds["winner"].tolist() == ["logit"]
    some = R.findings(_comparisons({"income_dynamics": "logit", "shocks": "", "low_capacity": "logit"}),
                      MECHS)
    assert some["holds"].tolist() == [False] and some["winner"].tolist() == [""]
    assert some["winners"].iloc[0] == "income_dynamics: logit; shocks: -; low_capacity: logit"
    flipped = R.findings(_comparisons({"income_dynamics": "logit", "shocks": "income_ratio",
                                       "low_capacity": "logit"}), MECHS)
    assert not flipped["holds"].iloc[0]
    # a mechanism without the comparison (the model was not fitted there) counts against it
    missing = R.findings(_comparisons({"income_dynamics": "logit", "shocks": "logit"}), MECHS)
    assert not missing["holds"].iloc[0]
    none = R.findings(_comparisons(dict.fromkeys(MECHS, "")), MECHS)
    assert not none["holds"].iloc[0]


PANEL = R.MechanismPanel(0.02, 25_370, 25_370, own=True)


def test_rows_from_the_pooled_metrics():
    pooled = {
        "income_ratio": {"recall_at_capacity": 0.5, "recall_at_capacity_ci": [0.4, 0.6],
                         "auc": 0.8, "auc_ci": [0.7, 0.9], "comparisons": []},
        "logit": {"recall_at_capacity": 0.6, "recall_at_capacity_ci": [0.5, 0.7], "auc": 0.85,
                  "auc_ci": [0.8, 0.9], "ci_withheld": None,
                  "comparisons": [
                      {"b": "logit", "against": "best_baseline", "a": "income_ratio",
                       "metric": "auc", "estimate": 0.05, "ci": [0.01, 0.09], "winner": "logit"},
                      {"b": "logit", "against": "oracle", "a": "oracle", "metric": "auc",
                       "estimate": 0.9, "ci": [0.8, 1.0], "winner": None}]},
    }
    m = R.metric_rows(pooled, "shocks", PANEL, own_run=False)
    row = m[(m["model"] == "logit") & (m["metric"] == "recall_at_capacity")].iloc[0]
    assert (row["value"], row["ci_low"], row["ci_high"]) == (0.6, 0.5, 0.7)
    assert m["metric"].isin(["recall_at_capacity", "precision_at_capacity", "pr_auc", "auc"]).all()
    c = R.comparison_rows(pooled, "shocks")
    assert len(c) == 1 and c["against"].iloc[0] == "best_baseline"  # ratios to the oracle left out
    assert (c["ci_low"].iloc[0], c["winner"].iloc[0]) == (0.01, "logit")


def test_the_page_states_only_what_holds_everywhere():
    comp = pd.concat([_comparisons(dict.fromkeys(MECHS, "logit")),
                      _comparisons({"income_dynamics": "gbm", "shocks": "", "low_capacity": ""},
                                   b="gbm", a="logit", metric="auc")])
    found = R.findings(comp, MECHS)
    zh = rcmp.robustness_findings(found, "zh")
    assert zh[0].startswith("在所有机制下成立") and "Logit" in zh[0] and "收入/监测线" in zh[0]
    assert zh[1].startswith("仅在部分机制下成立") and "收入波动主导" in zh[1]
    en = rcmp.robustness_findings(R.findings(_comparisons(dict.fromkeys(MECHS, "")), MECHS), "en")
    assert en == [rcmp.t("robustness_none", "en")]


def test_robustness_matrix_has_a_column_per_mechanism():
    metrics = pd.concat([R.metric_rows({"rule": {"recall_at_capacity": 0.3,
                                                 "recall_at_capacity_ci": [0.2, 0.4]}}, m, PANEL, False)
                         for m in MECHS])
    table = rcmp.robustness_matrix(metrics, "en")
    assert list(table.columns) == ["Model", "Income dynamics", "Shocks", "Persistent low capacity"]
    assert table.iloc[0, 1].startswith("0.300")


def test_observed_expected_is_a_robustness_metric_of_probabilities_only():
    pooled = {"rule": {"recall_at_capacity": 0.3},
              "logit": {"recall_at_capacity": 0.5, "o_e": 1.3, "o_e_ci": [1.1, 1.5]}}
    rows = R.metric_rows(pooled, "shocks", PANEL, own_run=False)
    assert set(rows.loc[rows["model"] == "logit", "metric"]) == {*R.HEADLINE, "o_e"}
    assert "o_e" not in set(rows.loc[rows["model"] == "rule", "metric"])  # a rule has no O/E
    metrics = pd.concat([rows, R.metric_rows({"logit": {"o_e": 0.9}}, "low_capacity", PANEL, False)])
    table = rcmp.robustness_matrix(metrics, "en", metric="o_e")
    assert table["Model"].tolist() == [rcmp.model_label("logit", "en")]  # no row for the rule
    assert table["Shocks"].iloc[0].startswith("1.30 [1.10")
    assert table["Persistent low capacity"].iloc[0].startswith("0.90")


@pytest.fixture(scope="module")
def tiny_config():
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    from relapse_models.core.config import validate_config

    cfg["simulate"]["scale"] = 0.002
    return validate_config(cfg)


def test_mechanism_features_carry_the_truth_and_differ_by_mechanism(tiny_config):
    profiles = [load_profile(ROOT / "config" / "counties" / "yeji.yaml")]
    a = R.mechanism_features(profiles, tiny_config, "income_dynamics")
    b = R.mechanism_features(profiles, tiny_config, "low_capacity")
    assert a["relapse"].notna().all() and a["true_prob"].dropna().between(0, 1).all()
    assert a["true_prob"].notna().mean() > 0.5
    assert str(a["village_id"].dtype) == "category"
    key = ["household_id", "year", "quarter"]
    both = a[[*key, "true_prob"]].astype({"household_id": str}).merge(
        b[[*key, "true_prob"]].astype({"household_id": str}), on=key).dropna()
    assert len(both) > 100  # same seed, same households: the truth differs by mechanism
    assert not np.allclose(both["true_prob_x"], both["true_prob_y"])


def test_the_table_is_bounded_above_max_households(tiny_config):
    """Above the cap the scale shrinks so the counties hold about the cap's households, and the
    run's own mechanism is simulated again (its metrics are not the main table's)."""
    profiles = [load_profile(ROOT / "config" / "counties" / f"{c}.yaml") for c in ("yeji", "xunyi")]
    sizes = [p["structure"]["households"]["value"] for p in profiles]
    cfg = {**tiny_config, "simulate": {**tiny_config["simulate"], "scale": 0.05},
           "robustness": {**tiny_config["robustness"], "max_households": None}}
    own = R.panel_scale(profiles, cfg)
    run = own.run_households
    assert own.own and own.scale == 0.05 and own.households == run == sum(round(s * 0.05) for s in sizes)
    cfg["robustness"]["max_households"] = run // 4
    capped = R.panel_scale(profiles, cfg)
    assert not capped.own and capped.run_households == run
    assert capped.scale == pytest.approx(0.05 / 4, rel=0.01)
    assert abs(capped.households - run // 4) <= len(profiles)   # rounding per county only
    cfg["robustness"]["max_households"] = run
    at_cap = R.panel_scale(profiles, cfg)                          # at the cap: the run's own
    assert at_cap.own and at_cap.scale == 0.05


def test_the_page_says_which_panel_the_table_was_measured_on():
    own = R.metric_rows({"logit": {"recall_at_capacity": 0.5}}, "shocks",
                        R.MechanismPanel(0.02, 25_370, 25_370, own=True), own_run=True)
    assert "25,370" in rcmp.robustness_panel(own, "zh") and "主表" in rcmp.robustness_panel(own, "zh")
    shrunk = R.MechanismPanel(0.0157, 50_012, 1_000_000, own=False)
    capped = pd.concat([R.metric_rows({"logit": {"recall_at_capacity": 0.5}}, m, shrunk, own_run=False)
                        for m in MECHS])
    text = rcmp.robustness_panel(capped, "en")
    assert "1,000,000" in text and "50,012" in text and "max_households" in text
    assert "0.0157" in text
