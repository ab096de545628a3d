"""Policy what-if: levers at baseline reproduce the baseline, arithmetic truths of the levers,
common random numbers, and the paired intervals against their formulas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from relapse_models.core.config import load_config, stage_seed
from relapse_models.core.lines import lines_for_province
from relapse_models.core.profiles import load_profile
from relapse_models.data.simulate import simulate_county
from relapse_models.stages import whatif as stage
from relapse_models.warning import whatif as W

PROFILE = "config/counties/shangluo.yaml"
NO_VISITS = {"visit_averted_share": 0.0}


@pytest.fixture(scope="module")
def setup():
    cfg = dict(load_config("config/config.yaml", {"simulate": {"scale": 0.002}}))
    profile = load_profile(PROFILE)
    sim = simulate_county(profile, cfg, 7, oracle=False)
    lines = lines_for_province(cfg["monitoring"], profile["province_en"], "shangluo")
    arrays = W.panel_arrays(sim.households, sim.panel, lines, 0.8403)
    return cfg, sim, arrays, lines


def _replay(setup, levers):
    cfg, _, arrays, _ = setup
    return W.replay(arrays, levers, cfg["rule"], float(cfg["monitoring"]["edge_multiple"]))


def test_levers_at_their_baseline_values_reproduce_the_baseline_exactly(setup):
    _, _, arrays, _ = setup
    explicit = {"reimbursement_rate": arrays.base_rate, "line_multiplier": 1.0,
                "dibao_coverage": arrays.dibao.sum() / len(arrays.dibao),
                "disaster_insurance_payout": 0.0,
                **{k: v.baseline for k, v in W.LEVERS.items()
                   if k not in ("reimbursement_rate", "dibao_coverage")}}
    assert _replay(setup, explicit) == _replay(setup, {})


def test_baseline_without_visits_counts_the_panels_own_windows(setup):
    """Truth from the panel itself: rolling 4-quarter income after out-of-pocket medical
    spending, per person, below the year's line, computed with pandas."""
    cfg, sim, _, lines = setup
    p = sim.panel.sort_values(["household_id", "year", "quarter"]).astype({"household_id": str})
    net = (p["income_wage"] + p["income_operating"] + p["income_property"] + p["income_transfer"]
           - p["production_cost"] - p["medical_oop"])
    win = net.groupby(p["household_id"]).transform(lambda s: s.rolling(4).sum())
    size = p["household_id"].map(sim.households.set_index("household_id")["household_size"])
    below = (win / size) < p["year"].map(lines)
    below[win.isna()] = False
    prev = below.groupby(p["household_id"]).shift(1, fill_value=False)
    qn = p.groupby("household_id").cumcount()
    entries = (below & ~prev & (qn >= 4)).sum()
    assert _replay(setup, NO_VISITS)["relapses"] == entries


def test_more_reimbursement_never_raises_out_of_pocket_cost_or_poverty(setup):
    out = [_replay(setup, {**NO_VISITS, "reimbursement_rate": r}) for r in (0.5, 0.84, 0.9, 1.0)]
    assert all(a["oop"] >= b["oop"] for a, b in zip(out, out[1:], strict=False))
    assert all(a["persons_below"] >= b["persons_below"] for a, b in zip(out, out[1:], strict=False))
    assert out[0]["oop"] > out[-1]["oop"]


def test_reimbursement_lever_changes_out_of_pocket_by_the_arithmetic(setup):
    _, _, a, _ = setup
    extra = np.where(a.low_income, a.med_total * (0.9 - a.base_rate), 0.0)
    expected = (np.clip(a.med_reimbursed + extra, 0, a.med_total) - a.med_reimbursed).sum()
    base, sc = _replay(setup, {}), _replay(setup, {"reimbursement_rate": 0.9})
    assert base["oop"] - sc["oop"] == pytest.approx(expected, rel=1e-12)


def test_higher_line_never_lowers_persons_below_and_insurance_never_raises_them(setup):
    lo, hi = _replay(setup, NO_VISITS), _replay(setup, {**NO_VISITS, "line_multiplier": 1.1})
    assert hi["persons_below"] >= lo["persons_below"] and hi["identified"] >= lo["identified"]
    ins = _replay(setup, {**NO_VISITS, "disaster_insurance_payout": 0.5})
    assert ins["persons_below"] <= lo["persons_below"]


def test_unknown_lever_and_lower_dibao_coverage_stop(setup):
    with pytest.raises(ValueError, match="unknown lever"):
        _replay(setup, {"reimbursment_rate": 0.9})
    with pytest.raises(ValueError, match="dibao_coverage"):
        _replay(setup, {"dibao_coverage": 0.0} if setup[2].dibao.any() else {"dibao_coverage": -1})


def test_common_random_numbers_scenarios_of_a_seed_share_the_draws():
    """Every scenario of a seed replays one draw: a lever that does not touch medical costs
    leaves out-of-pocket spending identical, seed by seed; another seed draws other shocks."""
    cfg = dict(load_config("config/config.yaml", {"whatif": {"seeds": 2, "scale": 0.002}}))
    res = stage.replications(load_profile(PROFILE), cfg).set_index(["seed", "scenario"])["oop"]
    assert (res.xs("line_plus_10", level="scenario") == res.xs("baseline", level="scenario")).all()
    assert res[(0, "baseline")] != res[(1, "baseline")]
    assert stage_seed(cfg["seed"], "whatif/0", "shangluo") != stage_seed(cfg["seed"], "whatif/1", "shangluo")


def _results(n_seeds: int, rng: np.random.Generator) -> pd.DataFrame:
    base = rng.normal(100, 10, n_seeds)
    sc = base - 5 + rng.normal(0, 2, n_seeds)
    rows = []
    for s in range(n_seeds):
        for name, rel, cost in (("baseline", base[s], 1000.0), ("a", sc[s], 3000.0 + s % 3)):
            rows.append({"seed": s, "scenario": name, "relapses": rel, "persons_below": rel,
                         "identified": rel, "visits": rel, "cost": cost, "oop": rel})
    return pd.DataFrame(rows)


def test_paired_interval_is_the_t_interval_of_the_seed_differences_and_shrinks():
    rng = np.random.default_rng(1)
    widths = []
    for n in (5, 80):
        res = _results(n, rng)
        s = W.paired_summary(res).set_index(["scenario", "outcome"])
        d = (res[res.scenario == "a"]["relapses"].to_numpy() - res[res.scenario == "baseline"]["relapses"].to_numpy())
        lo, hi = stats.t.interval(0.95, n - 1, loc=d.mean(), scale=d.std(ddof=1) / np.sqrt(n))
        assert s.loc[("a", "relapses"), "ci_low"] == pytest.approx(lo)
        assert s.loc[("a", "relapses"), "ci_high"] == pytest.approx(hi)
        widths.append(hi - lo)
    assert widths[1] < widths[0]


def test_relapses_averted_per_10k_yuan_and_its_refusal():
    rows = [{"seed": s, "scenario": sc, "relapses": r, "persons_below": 0, "identified": 0,
             "visits": 0, "cost": c, "oop": 0}
            for s in range(4) for sc, r, c in (("baseline", 10, 500.0), ("a", 8, 1500.0), ("b", 9, 500.0))]
    s = W.paired_summary(pd.DataFrame(rows)).set_index(["scenario", "outcome"])
    row = s.loc[("a", "averted_per_10k")]
    assert row["diff"] == pytest.approx(20.0) and row["ci_low"] == pytest.approx(20.0)
    assert s.loc[("b", "averted_per_10k"), "note"] == "cost_not_positive"
    assert np.isnan(s.loc[("b", "averted_per_10k"), "diff"])


def test_stage_writes_results_and_summary_for_the_what_if_county(tmp_path):
    cfg = dict(load_config("config/config.yaml", {"whatif": {"seeds": 2, "scale": 0.002}}))
    out = [tmp_path / n for n in ("results.csv", "summary.csv")]
    stage.run([PROFILE], cfg, *map(str, out))
    results, summary = (pd.read_csv(p, encoding="utf-8-sig") for p in out)
    assert set(summary["scenario"]) == {"reimbursement_90", "line_plus_10", "official_cards"}
    assert sorted(set(results["seed"])) == [0, 1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv", "summary.csv"]
    with pytest.raises(ValueError, match="no profile"):
        stage.run(["config/counties/anshun.yaml"], cfg, *map(str, out))


def test_the_what_if_county_is_the_configured_one_else_the_first():
    assert W.whatif_county({"whatif": {"county": "yeji"}, "counties": ["a", "yeji"]}) == "yeji"
    assert W.whatif_county({"whatif": {"county": None}, "counties": ["a", "yeji"]}) == "a"


def test_the_what_if_simulates_without_a_structural_break():
    """A drift study's simulate.break (here a line +10 % from 2023) does not reach the what-if:
    its baseline is the calibrated county, its levers the policy changes."""
    over = {"whatif": {"seeds": 2, "scale": 0.002}}
    plain = stage.replications(load_profile(PROFILE), dict(load_config("config/config.yaml", over)))
    brk = {**over, "simulate": {"break": {"year": 2023, "kind": "line", "size": 0.1}}}
    broken = stage.replications(load_profile(PROFILE), dict(load_config("config/config.yaml", brk)))
    pd.testing.assert_frame_equal(plain, broken, check_exact=True)


# --- the page's tables and figure (report/whatif.py, notebooks/06_whatif.py) -----------------

from relapse_models.report import whatif as R  # noqa: E402


def _summary() -> pd.DataFrame:
    rows = [{"seed": s, "scenario": sc, "relapses": r, "persons_below": 3.0, "identified": 2.0,
             "visits": 1.0, "cost": c, "oop": 1234.5}
            for s in range(4)
            for sc, r, c in (("baseline", 10 + s, 500.0), ("a", 8 + s, 1500.0 + s), ("b", 9, 500.0))]
    return W.paired_summary(pd.DataFrame(rows))


def test_results_table_has_a_row_per_scenario_and_outcome_in_chinese_first():
    s = _summary()
    zh, en = R.results_table(s), R.results_table(s, "en")
    assert len(zh) == len(s) == 2 * (len(W.OUTCOMES) + 1)
    assert list(zh.columns) == ["情景", "指标", "基线", "情景值", "差值（情景−基线）", "95%区间"]
    assert list(en.columns) == ["Scenario", "Outcome", "Baseline", "Scenario value",
                                "Difference (scenario - baseline)", "95 % interval"]
    row = en[(en["Scenario"] == "a") & (en["Outcome"] == "Cost (yuan)")].iloc[0]
    assert row["Baseline"] == "500.0" and row["Scenario value"] == "1,501.5"
    assert row["Difference (scenario - baseline)"] == "1,001.5"
    lo, hi = s.set_index(["scenario", "outcome"]).loc[("a", "cost"), ["ci_low", "ci_high"]]
    assert row["95 % interval"] == f"{lo:,.1f} ~ {hi:,.1f}"
    # the ratio of a scenario without extra cost is withheld, with the reason in words
    refused = en[(en["Scenario"] == "b") & (en["Outcome"] == "Relapses averted per 10,000 yuan")]
    assert refused.iloc[0]["Difference (scenario - baseline)"].startswith("cost difference not positive")
    assert refused.iloc[0]["95 % interval"] == "—"
    assert "每万元避免的返贫户次" in set(zh["指标"])


def test_results_table_reads_the_summary_as_written_to_csv(tmp_path):
    """Empty notes come back from the CSV as missing values: still no reason shown."""
    from relapse_models.core.io import write_csv

    write_csv(_summary(), tmp_path / "summary.csv")
    back = R.results_table(pd.read_csv(tmp_path / "summary.csv", encoding="utf-8-sig"), "en")
    assert back.equals(R.results_table(_summary(), "en"))


def test_scenario_table_lists_each_scenarios_changed_levers():
    table = R.scenario_table({"reimbursement_90": {"reimbursement_rate": 0.9},
                              "two": {"line_multiplier": 1.1, "visit_cost": None}}, "en")
    assert table.to_dict("records") == [
        {"Scenario": "reimbursement_90", "Levers changed": "reimbursement_rate = 0.9"},
        {"Scenario": "two", "Levers changed": "line_multiplier = 1.1; visit_cost = —"}]
    assert list(R.scenario_table({}).columns) == ["情景", "调整的政策参数"]


def test_lever_table_gives_every_levers_baseline_unit_and_basis():
    zh, en = R.lever_table(), R.lever_table("en")
    assert list(en["Lever"]) == list(W.LEVERS) == list(zh["政策参数"])
    reimb = en.set_index("Lever").loc["reimbursement_rate"]
    assert reimb["Baseline"] == "—" and reimb["Unit"] == W.LEVERS["reimbursement_rate"].unit
    assert en.set_index("Lever").loc["visit_cost", "Baseline"] == "50.0"
    assert all(b.startswith("assumed: ") for b in en["Basis"])
    assert list(zh["含义"]) == [v.zh for v in W.LEVERS.values()]
    assert all(b.startswith("假设: ") for b in zh["依据"])


def test_differences_are_the_paired_rows_without_the_ratio():
    s = _summary()
    d = R.differences(s)
    assert list(d.columns) == ["scenario", "outcome", "diff", "ci_low", "ci_high"]
    assert set(d["outcome"]) == set(W.OUTCOMES) and len(d) == 2 * len(W.OUTCOMES)
    a = d.set_index(["scenario", "outcome"]).loc[("a", "relapses")]
    assert a["diff"] == pytest.approx(-2.0)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_whatif_figure_draws_a_panel_per_outcome_with_every_scenarios_interval(language):
    import warnings

    import matplotlib.pyplot as plt

    from relapse_models.report import figures as plots
    from relapse_models.report.words import t

    d = R.differences(_summary())
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # a missing CJK glyph would raise here
        fig = plots.whatif_differences(d, language)
        fig.canvas.draw()
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == len(W.OUTCOMES)
    assert [ax.get_title() for ax in panels] == [t(f"whatif_{o}", language) for o in W.OUTCOMES]
    assert [x.get_text() for x in panels[0].get_yticklabels()] == ["a", "b"]
    plt.close(fig)


# --- visits by official card (tier_visits_per_month) ------------------------------------------

def _cards_panel(n_red: int, n_blue: int, n_quiet: int, T: int = 8) -> W.PanelArrays:
    """Households whose triggers are known by construction: ``red`` ones are poor (income
    trigger), pay medical costs above the burden line and above half their income (three
    triggers); ``blue`` ones are poorer still but meet only the income trigger; ``quiet`` ones
    meet none. Incomes are flat, so no drop trigger fires."""
    n = n_red + n_blue + n_quiet
    net = np.concatenate([np.full(n_red, 4000.0), np.full(n_blue, 2000.0),
                          np.full(n_quiet, 50000.0)])[:, None] * np.ones((1, T))
    med = np.concatenate([np.full(n_red, 9000.0), np.zeros(n_blue + n_quiet)])[:, None] * np.ones((1, T))
    zeros = np.zeros((n, T))
    return W.PanelArrays(size=np.ones(n), dibao=np.zeros(n, bool), low_income=np.ones((n, T), bool),
                         net=net + med, med_total=med, med_reimbursed=zeros, disaster_loss=zeros,
                         line=np.full(T, 6000.0), base_rate=0.0)


RULE = {"income_multiple": 1.5, "medical_burden_low_income": 10000.0,
        "medical_burden_other": 26000.0, "oop_share": 0.5, "disaster_loss_share": 0.3,
        "income_drop": 0.3}


def test_cards_serve_red_before_poorer_blue_and_count_capacity_in_visits():
    """Capacity of 10 visits a quarter, 2 red households (6 visits a quarter each at 2 a month)
    and 5 poorer blue ones (1 a quarter): the first red takes 6, the second would exceed 10,
    so the rest go to blue ones in order (4 of them). Without cards the 10 visits go one each
    to the 7 flagged households, the poorest first."""
    a = _cards_panel(n_red=2, n_blue=5, n_quiet=993)
    levers = {"grid_workers_per_1000_households": 1.0, "visits_per_worker_per_quarter": 10.0,
              "visit_averted_share": 0.0}
    cards = {**levers, "tier_visits_per_month": {"red": 2.0, "yellow": 1.0, "blue": 1 / 3}}
    quarters = 8 - 3   # flags from the first full 4-quarter window on
    plain = W.replay(a, levers, RULE, 1.5)
    tiered = W.replay(a, cards, RULE, 1.5)
    assert plain["identified"] == tiered["identified"] == 7
    assert plain["visits"] == 7 * quarters
    assert tiered["visits"] == (6 + 4) * quarters


def test_cards_at_one_visit_a_quarter_on_single_trigger_households_change_nothing(setup):
    """Where every card costs the one visit a quarter that serves a household, cards only
    reorder households by card before income; with blue = yellow = red = one visit a quarter
    and capacity for every flagged household, the replay equals the baseline's."""
    big = {"grid_workers_per_1000_households": 1000.0, "visits_per_worker_per_quarter": 10.0}
    third = {"red": 1 / 3, "yellow": 1 / 3, "blue": 1 / 3}
    assert _replay(setup, {**big, "tier_visits_per_month": third}) == _replay(setup, big)


def test_cards_need_red_yellow_and_blue(setup):
    with pytest.raises(ValueError, match="red, yellow and blue"):
        _replay(setup, {"tier_visits_per_month": {"red": 2.0}})
