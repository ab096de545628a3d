"""The generator's policy-change breaks (simulate.break kinds ``line`` and ``reimbursement``),
checked against numbers known without the code: the line schedule x 1.1 from the break year,
the reimbursed amount x 1.1 for the same medical draws, years before the break untouched, and
the label recomputed from the observable tables with the official line equal to the truth."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from relapse_models.core.config import ConfigError, load_config
from relapse_models.core.lines import lines_for_province, official_lines
from relapse_models.core.profiles import load_profile
from relapse_models.data.simulate import simulate_county
from relapse_models.data.simulate.breaks import check_break, reimbursement_rate
from relapse_models.outcome.relapse import relapse_label

ROOT = Path(__file__).resolve().parents[1]
YEAR = 2023
COUNTY = "shangluo"          # Shaanxi: the assumed national schedule; published rate 84.03 %
SCHEDULE = {2021: 6000.0, 2022: 6600.0, 2023: 7100.0, 2024: 7600.0, 2025: 8100.0}
RATE = 0.8403


def _config(brk: dict | None) -> dict:
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    cfg["simulate"]["scale"] = 0.005
    if brk is None:
        cfg["simulate"].pop("break", None)
    else:
        cfg["simulate"]["break"] = brk
    return cfg


def _profile() -> dict:
    return load_profile(ROOT / "config" / "counties" / f"{COUNTY}.yaml")


def _sim(brk: dict | None):
    return simulate_county(_profile(), _config(brk), 7)


@pytest.fixture(scope="module")
def runs():
    return {"none": _sim(None),
            "null": _sim({"year": None, "kind": "line", "size": 0.1}),
            "line": _sim({"year": YEAR, "kind": "line", "size": 0.1}),
            "reimbursement": _sim({"year": YEAR, "kind": "reimbursement", "size": 0.1})}


def _equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_exact=True)


def test_rate_and_check_by_hand():
    brk = {"year": YEAR, "kind": "reimbursement", "size": 0.1}
    assert reimbursement_rate(0.84, brk, YEAR) == pytest.approx(0.924)
    assert reimbursement_rate(0.84, brk, YEAR + 2) == pytest.approx(0.924)    # stays
    assert reimbursement_rate(0.84, brk, YEAR - 1) == 0.84
    assert reimbursement_rate(0.84, {**brk, "size": 0.2}, YEAR) == 1.0          # 1.008 -> capped
    assert reimbursement_rate(0.84, {**brk, "size": -0.1}, YEAR) == pytest.approx(0.756)
    assert reimbursement_rate(0.84, {**brk, "kind": "line"}, YEAR) == 0.84
    assert check_break({"year": None, "kind": "line", "size": 0.1}) is None
    with pytest.raises(ValueError, match=r"simulate\.break\.kind"):
        check_break({"year": YEAR, "kind": "tax", "size": 0.1})
    with pytest.raises(ValueError, match=r"simulate\.break\.size"):
        check_break({"year": YEAR, "kind": "disaster", "size": -0.5})
    with pytest.raises(ValueError, match=r"simulate\.break\.size"):
        check_break({"year": YEAR, "kind": "line", "size": -1.0})
    check_break({"year": YEAR, "kind": "reimbursement", "size": -1.0})           # rate 0: allowed


@pytest.mark.parametrize(("kind", "size", "ok"), [
    ("disaster", -0.1, False), ("line", -1.0, False), ("line", -0.5, True),
    ("reimbursement", -1.0, True), ("reimbursement", -1.5, False), ("reimbursement", 0.1, True)])
def test_schema_size_minimum_per_kind(kind, size, ok):
    over = {"simulate": {"break": {"year": YEAR, "kind": kind, "size": size}}}
    if ok:
        load_config(overrides=over)
    else:
        with pytest.raises(ConfigError, match=r"simulate\.break\.size"):
            load_config(overrides=over)


def test_official_lines_apply_the_line_break_to_simulated_data_only():
    cfg = _config({"year": YEAR, "kind": "line", "size": 0.1})
    want = {y: v * 1.1 if y >= YEAR else v for y, v in SCHEDULE.items()}
    assert official_lines(cfg, "Shaanxi") == pytest.approx(want, rel=1e-12)
    cfg["data"]["source"] = "files"      # a real export keeps its published line
    assert official_lines(cfg, "Shaanxi") == SCHEDULE
    assert official_lines(cfg, "Shaanxi", simulated=True) == pytest.approx(want, rel=1e-12)
    assert official_lines(_config(None), "Shaanxi") == SCHEDULE


def test_null_year_is_identical_to_no_option(runs):
    for name in ("households", "panel", "events", "truth"):
        _equal(getattr(runs["none"], name), getattr(runs["null"], name))
    assert runs["none"].lines == runs["null"].lines == SCHEDULE


def test_line_break_multiplies_the_generators_line_from_its_year(runs):
    got = runs["line"].lines
    assert {y: got[y] for y in (2021, 2022)} == {2021: 6000.0, 2022: 6600.0}
    assert got == pytest.approx({2021: 6000, 2022: 6600, 2023: 7810, 2024: 8360, 2025: 8910}, rel=1e-12)


@pytest.mark.parametrize("kind", ["line", "reimbursement"])
def test_years_before_the_break_are_untouched(runs, kind):
    """The calibration reads the world without the break and the draws are common, so the
    panel before the break year is the same row for row; the truth too, up to the origins whose
    horizon reaches into the break year (those of the year before it)."""
    a, b = runs["none"], runs[kind]
    _equal(a.panel[a.panel["year"] < YEAR], b.panel[b.panel["year"] < YEAR])
    _equal(a.truth[a.truth["year"] < YEAR - 1], b.truth[b.truth["year"] < YEAR - 1])
    _equal(a.households, b.households)


def _share_below(sim, year: int) -> float:
    """Households whose per-capita net income of ``year`` is below the generator's line."""
    p = sim.panel[sim.panel["year"] == year]
    net = (p["income_wage"] + p["income_operating"] + p["income_property"] + p["income_transfer"]
           - p["production_cost"]).groupby(p["household_id"].astype(str)).sum()
    size = sim.households.set_index("household_id")["household_size"].reindex(net.index)
    return float((net / size < sim.lines[year]).mean())


def test_line_break_puts_more_households_below_the_line(runs):
    before = _share_below(runs["none"], YEAR - 1)
    assert _share_below(runs["line"], YEAR - 1) == before
    # a 10 % higher line with the same incomes (up to the assistance of the newly identified):
    # clearly more below it in the break year
    assert _share_below(runs["line"], YEAR) > 1.2 * _share_below(runs["none"], YEAR)


def test_label_from_the_tables_with_the_official_line_is_the_truth(runs):
    """Recomputed from the observable tables with the official line (break applied), the label
    equals the generator's truth; with the schedule without the break it would not: the
    artefact the one-place line avoids."""
    sim, cfg = runs["line"], _config({"year": YEAR, "kind": "line", "size": 0.1})

    def agree(lines) -> pd.Series:
        lab = relapse_label(sim.households, sim.panel, sim.events, lines, 4)
        lab = pd.concat([sim.panel[["household_id", "year", "quarter"]].astype({"household_id": str}), lab],
                        axis=1)
        t = sim.truth.astype({"household_id": str}).merge(lab, on=["household_id", "year", "quarter"])
        assert len(t) == len(sim.truth) and t["relapse"].notna().all()
        return t["relapse"].astype(bool) == t["relapse_next_4q"]

    assert agree(official_lines(cfg, "Shaanxi")).all()
    assert not agree(lines_for_province(cfg["monitoring"], "Shaanxi")).all()


def test_reimbursement_break_moves_the_targeted_rate_only(runs):
    a, b = runs["none"].panel, runs["reimbursement"].panel
    np.testing.assert_array_equal(a["medical_total"], b["medical_total"])   # same draws
    pa_ids = runs["none"].households.loc[runs["none"].households["category"] == "poverty_alleviated",
                                         "household_id"]
    pa = a["household_id"].astype(str).isin(pa_ids).to_numpy()
    after = (a["year"] >= YEAR).to_numpy() & (a["medical_total"] > 0).to_numpy()
    # poverty-alleviated households: always at the targeted rate, 84.03 % -> 92.433 %
    sel = pa & after
    assert sel.sum() > 100
    ra, rb = a["medical_reimbursed"].to_numpy()[sel], b["medical_reimbursed"].to_numpy()[sel]
    np.testing.assert_allclose(ra, np.round(a["medical_total"].to_numpy()[sel] * RATE, 2), atol=0.011)
    np.testing.assert_allclose(rb, ra * 1.1, atol=0.02)
    # others never monitored in the quarter (general rate) are untouched
    none_both = ((a["monitoring_status"].astype(str) == "none").to_numpy()
                 & (b["monitoring_status"].astype(str) == "none").to_numpy())
    sel = ~pa & after & none_both
    assert sel.sum() > 100
    np.testing.assert_array_equal(a["medical_reimbursed"].to_numpy()[sel], b["medical_reimbursed"].to_numpy()[sel])


def test_oracle_knows_the_break(runs):
    """The origins of the year before the break look ahead into it: a higher line raises their
    risk; and the oracle stays calibrated under both breaks."""
    from helpers_truth import clustered_gaps

    def risk(sim, year):
        t = sim.truth
        return float(t.loc[t["year"] == year, "true_prob"].mean())

    assert risk(runs["line"], YEAR - 1) > 1.2 * risk(runs["none"], YEAR - 1)
    for kind in ("line", "reimbursement"):
        for gap, se in clustered_gaps(runs[kind], quintiles=False):
            assert abs(gap) < 4 * se + 2, (kind, gap, se)
