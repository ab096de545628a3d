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
    assert hi["persons_below"] >= lo["persons_below"] and hi["flagged"] >= lo["flagged"]
    ins = _replay(setup, {**NO_VISITS, "disaster_insurance_payout": 0.5})
    assert ins["persons_below"] <= lo["persons_below"]


def test_unknown_lever_and_lower_dibao_coverage_stop(setup):
    with pytest.raises(ValueError, match="unknown lever"):
        _replay(setup, {"reimbursment_rate": 0.9})
    with pytest.raises(ValueError, match="dibao_coverage"):
        _replay(setup, {"dibao_coverage": 0.0} if setup[2].dibao.any() else {"dibao_coverage": -1})


def test_common_random_numbers_scenarios_of_a_seed_share_the_draws():
    """Every scenario of a seed draws the same shocks: replayed as arithmetic (no feedback), a
    lever that does not touch medical costs leaves out-of-pocket spending identical, seed by
    seed, and identification as drawn; another seed draws other shocks."""
    cfg = dict(load_config("config/config.yaml", {"whatif": {"seeds": 2, "scale": 0.002,
                                                             "feedback": False}}))
    res = stage.replications(load_profile(PROFILE), cfg).set_index(["seed", "scenario"])
    for col in ("oop", "identified"):
        assert (res[col].xs("line_plus_10", level="scenario") == res[col].xs("baseline", level="scenario")).all()
    assert (res["policy_cost"] == 0).all()
    assert res.loc[(0, "baseline"), "oop"] != res.loc[(1, "baseline"), "oop"]
    assert stage_seed(cfg["seed"], "whatif/0", "shangluo") != stage_seed(cfg["seed"], "whatif/1", "shangluo")


# --- feedback into the generator (GENERATOR_LEVERS) ------------------------------------------

def test_policy_break_maps_a_generator_lever_to_the_generators_break():
    assert W.policy_break({"visit_cost": 80.0}, 0.84, 2021) is None
    assert W.policy_break({"line_multiplier": 1.1}, 0.84, 2021) == pytest.approx(
        {"year": 2021, "kind": "line", "size": 0.1})
    brk = W.policy_break({"reimbursement_rate": 0.9}, 0.8, 2022)
    assert brk["kind"] == "reimbursement" and brk["year"] == 2022
    assert 0.8 * (1 + brk["size"]) == pytest.approx(0.9)
    assert W.policy_break({"line_multiplier": 1.0}, 0.84, 2021)["size"] == 0.0   # still reruns
    with pytest.raises(ValueError, match="one of"):
        W.policy_break({"line_multiplier": 1.1, "reimbursement_rate": 0.9}, 0.84, 2021)
    with pytest.raises(ValueError, match="positive"):
        W.policy_break({"line_multiplier": 0.0}, 0.84, 2021)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        W.policy_break({"reimbursement_rate": 1.2}, 0.84, 2021)


def test_identified_households_counts_distinct_households_from_the_panels_first_day():
    ev = pd.DataFrame({"household_id": ["a", "a", "b", "c", "d", "e"],
                       "event": ["identified", "identified", "eliminated", "identified", "identified",
                                 "identified"],
                       "date": pd.to_datetime(["2021-02-01", "2022-05-01", "2021-03-01", "2020-12-31",
                                               "2021-01-01", "2023-07-09"])})
    assert W.identified_households(ev, "2021-01-01") == 3    # a once, d on the day, e; not b, c


def test_policy_cost_is_the_extra_reimbursement_and_transfers():
    base = pd.DataFrame({"medical_reimbursed": [10.0, 0.0], "income_transfer": [100.0, 50.0]})
    sc = pd.DataFrame({"medical_reimbursed": [12.5, 1.0], "income_transfer": [100.0, 80.0]})
    assert W.policy_cost(sc, base) == pytest.approx(2.5 + 1.0 + 30.0)
    with pytest.raises(ValueError, match="rows"):
        W.policy_cost(sc.iloc[:1], base)


@pytest.fixture(scope="module")
def fed_back():
    over = {"whatif": {"seeds": 2, "scale": 0.002, "scenarios": {
        "line_same": {"line_multiplier": 1.0}, "rate_same": {"reimbursement_rate": 0.8403},
        "line_plus_30": {"line_multiplier": 1.3}, "reimbursement_95": {"reimbursement_rate": 0.95},
        "line_plus_30_replayed": {"line_multiplier": 1.3, "visit_cost": 50.0}}}}
    cfg = dict(load_config("config/config.yaml", over))
    return cfg, stage.replications(load_profile(PROFILE), cfg).set_index(["seed", "scenario"])


def test_each_row_carries_its_simulations_calibration_notes(fed_back):
    """The notes in results.csv are those of the simulation the row was measured on."""
    cfg, res = fed_back
    scaled = {**cfg, "simulate": {**cfg["simulate"], "scale": cfg["whatif"]["scale"],
                                  "break": {**(cfg["simulate"].get("break") or {}), "year": None}}}
    seed = stage_seed(cfg["seed"], "whatif/0", "shangluo")
    sim = simulate_county(load_profile(PROFILE), scaled, seed, oracle=False)
    assert res.loc[(0, "baseline"), "calibration_notes"] == W.NOTE_SEPARATOR.join(sim.calibration.notes)


def test_calibration_notes_table_counts_seeds_per_note_and_names_the_scenarios():
    results = pd.DataFrame({
        "seed": [0, 0, 1, 1],
        "scenario": ["baseline", "line_plus_10", "baseline", "line_plus_10"],
        "calibration_notes": ["a out of reach", f"a out of reach{W.NOTE_SEPARATOR}b missed",
                              "", "b missed"]})
    table = R.calibration_notes_table(results)
    assert table.values.tolist() == [["a out of reach", "baseline、line_plus_10", 1],
                                     ["b missed", "line_plus_10", 2]]
    en = R.calibration_notes_table(results, "en")
    assert list(en.columns) == ["Note", "Scenario", "Seeds"]
    assert en.iloc[0, 1] == "baseline, line_plus_10"
    none = R.calibration_notes_table(results.assign(calibration_notes=np.nan))
    assert none.empty and list(none.columns) == ["说明", "情景", "种子数"]


def test_a_generator_lever_at_its_baseline_value_reruns_to_the_baseline_exactly(fed_back):
    """The generator reruns with a break of size 0 (the lever given) and reproduces the
    baseline row, outcome by outcome."""
    _, res = fed_back
    for name in ("line_same", "rate_same"):
        pd.testing.assert_frame_equal(res.xs(name, level="scenario"),
                                      res.xs("baseline", level="scenario"), check_exact=True)


def test_a_fed_back_line_identifies_more_households_and_pays_for_them(fed_back):
    """A line 30 % higher from the panel's first year: every household's clue intensity is at
    least as high, so the generator identifies more households and assists them (a positive
    policy cost), on the same shocks (medical spending before reimbursement is unchanged, so
    out-of-pocket spending can only move through who is targeted)."""
    _, res = fed_back
    base, hi = res.xs("baseline", level="scenario"), res.xs("line_plus_30", level="scenario")
    assert (hi["identified"] > base["identified"]).all()
    assert (hi["policy_cost"] > 0).all() and (hi["cost"] > base["cost"]).all()
    assert (hi["flagged"] >= base["flagged"]).all()
    assert (base["policy_cost"] == 0).all()


def test_a_fed_back_reimbursement_rate_lowers_out_of_pocket_spending_at_a_cost(fed_back):
    _, res = fed_back
    base, hi = res.xs("baseline", level="scenario"), res.xs("reimbursement_95", level="scenario")
    assert (hi["oop"] < base["oop"]).all() and (hi["policy_cost"] > 0).all()


def test_the_generator_rerun_keeps_the_seeds_households_and_shocks():
    """Common random numbers under feedback: the exogenous draws (household roster, wages,
    medical episodes, disasters) of a seed are identical with the line raised."""
    import copy

    cfg = dict(load_config("config/config.yaml", {"simulate": {"scale": 0.002}}))
    profile = load_profile(PROFILE)
    base = simulate_county(profile, cfg, 11, oracle=False)
    c = copy.deepcopy(cfg)
    c["simulate"]["break"] = W.policy_break({"line_multiplier": 1.3}, 0.8403, 2021)
    sim = simulate_county(profile, c, 11, oracle=False)
    pd.testing.assert_frame_equal(sim.households, base.households)
    for col in ("income_wage", "income_operating", "medical_total", "disaster_loss", "disaster_type"):
        pd.testing.assert_series_equal(sim.panel[col], base.panel[col])
    assert not sim.panel["monitoring_status"].equals(base.panel["monitoring_status"])


def test_a_scenario_feeding_back_both_generator_levers_stops_before_simulating():
    cfg = dict(load_config("config/config.yaml", {"whatif": {"seeds": 2, "scale": 0.002, "scenarios": {
        "both": {"line_multiplier": 1.1, "reimbursement_rate": 0.9}}}}))
    with pytest.raises(ValueError, match="scenario 'both'.*one of"):
        stage.replications(load_profile(PROFILE), cfg)
    cfg["whatif"]["feedback"] = False      # replayed as arithmetic, both are fine
    res = stage.replications(load_profile(PROFILE), cfg)
    assert (res["scenario"] == "both").sum() == 2


def _results(n_seeds: int, rng: np.random.Generator) -> pd.DataFrame:
    base = rng.normal(100, 10, n_seeds)
    sc = base - 5 + rng.normal(0, 2, n_seeds)
    rows = []
    for s in range(n_seeds):
        for name, rel, cost in (("baseline", base[s], 1000.0), ("a", sc[s], 3000.0 + s % 3)):
            rows.append({"seed": s, "scenario": name, "relapses": rel, "persons_below": rel,
                         "identified": rel, "flagged": rel, "visits": rel, "cost": cost,
                         "policy_cost": 0.0, "oop": rel})
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
             "flagged": 0, "visits": 0, "cost": c, "policy_cost": 0, "oop": 0}
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
             "flagged": 2.0, "visits": 1.0, "cost": c, "policy_cost": 0.0, "oop": 1234.5}
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
    assert plain["flagged"] == tiered["flagged"] == 7
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
