"""Plausibility guards on every simulated year: rates by hand, bands, refusal, acceptance."""

import copy
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relapse_models.core.config import load_config
from relapse_models.core.profiles import load_profile
from relapse_models.outcome.guards import (
    NOISE_Z,
    GuardError,
    anchors,
    calibration_record,
    check,
    enforce,
    reconciliation_rows,
    yearly_rates,
)

ROOT = Path(__file__).resolve().parents[1]


def test_yearly_rates_by_hand(tiny_tables, tiny_lines):
    """The tiny tables (conftest): B identified 2022Q2 and eliminated 2022Q4; A's wage stops
    in 2022Q3-Q4 (rolling income 4000 < 6000 in 2022Q4 and 2023Q1); D's 6500 is below the
    2023 line of 7000; the first three quarters have no complete income window."""
    r = yearly_rates(tiny_tables["households"], tiny_tables["panel"], tiny_tables["events"],
                     tiny_lines).set_index("year")
    assert r["identification_rate"].tolist() == [0.0, 25.0, 0.0]
    assert np.isnan(r.loc[2021, "elimination_rate"])
    assert r.loc[2022, "elimination_rate"] == r.loc[2023, "elimination_rate"] == 100.0
    assert r["in_relapse"].tolist() == [0, 2, 2]           # 2022: A and B; 2023: A and D
    assert r["state_known"].tolist() == [4, 4, 4]
    assert r["relapse_rate"].tolist() == [0.0, 50.0, 50.0]


def _config(**guards):
    config = copy.deepcopy(load_config())
    config["guards"].update(guards)
    return config


def _rates(ident, relapse, elim, households=10**9):
    years = range(2021, 2021 + len(ident))
    return pd.DataFrame({"year": list(years), "households": households,
                         "state_known": households, "households_identified": households,
                         "identification_rate": ident, "relapse_rate": relapse,
                         "elimination_rate": elim})


@pytest.fixture(scope="module")
def anshun():
    return load_profile(ROOT / "config" / "counties" / "anshun.yaml")


def test_identification_anchor_is_the_published_new_count(anshun):
    a, source = anchors(anshun, 2021)["identification_rate"]
    assert a == pytest.approx(100 * 1898 / anshun["structure"]["households"]["value"])
    assert "monitoring_households_new" in source


def test_identification_anchor_spreads_the_cumulative_count_without_new(anshun):
    p = copy.deepcopy(anshun)
    p["published"]["monitoring_households_new"]["value"] = None
    a, _ = anchors(p, 2021)["identification_rate"]
    stock = p["generator"]["initial_stock_share"]["value"]
    assert a == pytest.approx(100 * 6479 * (1 - stock) / 3 / p["structure"]["households"]["value"])


def test_a_runaway_year_fails_naming_county_year_and_figure(anshun):
    a = anchors(anshun, 2021)["identification_rate"][0]
    rates = _rates([a, a, a, 4 * a, 15 * a], [a] * 5, [40, 60, 70, 72, 75])
    results = check(rates, anshun, _config())
    failed = results[results["status"] == "fail"]
    assert set(zip(failed["year"], failed["figure"], strict=True)) == {
        (2024, "identification_rate"), (2025, "identification_rate")}
    with pytest.raises(GuardError, match=r"county 'anshun', year 2025: identification_rate"):
        enforce(results)


def test_elimination_band_applies_from_the_configured_year(anshun):
    a = anchors(anshun, 2021)["identification_rate"][0]
    rates = _rates([a] * 5, [a] * 5, [20, 30, 40, 72, 97])
    results = check(rates, anshun, _config()).query("figure == 'elimination_rate'")
    # anchor 70 (generator fallback) +- 25 points; the first two years only bounded above
    assert results["status"].tolist() == ["pass", "pass", "fail", "pass", "fail"]


def test_after_the_report_year_the_elimination_band_takes_in_the_national_anchor(anshun):
    """A cumulative rate rises as spells lengthen: a county that published a low first-year
    rate may reach the national level later, but not beyond its band."""
    p = copy.deepcopy(anshun)
    p["report_year"] = 2021
    p["published"]["elimination_rate"]["value"] = 40.0
    a = anchors(p, 2021)["identification_rate"][0]
    rates = _rates([a] * 5, [a] * 5, [20, 40, 50, 86, 97])
    results = check(rates, p, _config()).query("figure == 'elimination_rate'")
    # 40 +- 25 in 2021 (upper bound only in the first two years); from 2022 the union with
    # the national anchor's band, 70 +- 25: [15, 95]
    assert results["status"].tolist() == ["pass", "pass", "pass", "pass", "fail"]
    assert results["high"].tolist()[1:] == pytest.approx([95.0] * 4, abs=0.01)
    assert results["high"].iloc[0] == pytest.approx(65.0, abs=0.01)
    assert "also the national anchor" in results["anchor_source"].iloc[1]
    assert "national" not in results["anchor_source"].iloc[0]


def test_an_accepted_failure_does_not_stop_but_is_kept(anshun):
    a = anchors(anshun, 2021)["identification_rate"][0]
    rates = _rates([a, a, a, a, 15 * a], [a] * 5, [40, 60, 70, 72, 75])
    config = _config(accept=[{"county": "anshun", "year": 2025, "figure": "identification_rate",
                              "reason": "a test's reason"}])
    results = check(rates, anshun, config)
    assert results.loc[results["status"] != "pass", "status"].tolist() == ["accepted"]
    assert results.loc[results["status"] == "accepted", "reason"].tolist() == ["a test's reason"]
    enforce(results)  # accepted: no error


def test_the_page_shows_why_a_failure_is_accepted(anshun):
    from relapse_models.report import calibration as rcal

    a = anchors(anshun, 2021)["identification_rate"][0]
    rates = _rates([a, a, a, a, 15 * a], [a] * 5, [40, 60, 70, 72, 75])
    config = _config(accept=[{"county": "anshun", "figure": "identification_rate",
                              "reason": "收入接近监测线"}])
    record = {"county_id": "anshun", "notes": [], "lines": [],
              "sources": {"status": "no_text", "sentences": 0, "file": None, "reason": ""},
              "guards": check(rates, anshun, config).to_dict(orient="records")}
    table = rcal.guard_table(reconciliation_rows(record), "zh")
    shown = table.loc[table["结果"] == "未通过（配置中已接受）：收入接近监测线"]
    assert shown["年份"].tolist() == [2025] and shown["检验指标"].str.startswith("新识别率").all()


def test_a_rate_of_nobody_is_undefined_not_a_failure(anshun):
    a = anchors(anshun, 2021)["identification_rate"][0]
    rates = _rates([a] * 3, [a] * 3, [np.nan, 60, 70])
    results = check(rates, anshun, _config()).query("figure == 'elimination_rate'")
    assert results["status"].tolist() == ["undefined", "pass", "pass"]
    enforce(check(rates, anshun, _config()))  # nothing to stop
    from relapse_models.report import calibration as rcal

    record = {"county_id": "anshun", "notes": [], "lines": [],
              "sources": {"status": "no_text", "sentences": 0, "file": None, "reason": ""},
              "guards": check(rates, anshun, _config()).to_dict(orient="records")}
    shown = rcal.guard_table(reconciliation_rows(record), "zh")
    row = shown[shown["结果"].str.startswith("无法计算")]
    assert row["模拟值"].tolist() == ["—"]  # no 'nan' on a page


def test_small_runs_widen_the_band_by_binomial_noise(anshun):
    a = anchors(anshun, 2021)["identification_rate"][0]
    n = 500
    rates = _rates([0.0] * 5, [a] * 5, [40, 60, 70, 72, 75], households=n)
    results = check(rates, anshun, _config()).query("figure == 'identification_rate'")
    margin = 100 * NOISE_Z * np.sqrt(a / 100 * (1 - a / 100) / n)
    assert results["low"].iloc[0] == pytest.approx(max(a / 2.5 - margin, 0.0))
    assert (results["status"] == "pass").all()  # zero of 500 is no evidence against the anchor


def test_record_and_reconciliation_rows(tiny_tables, anshun):
    config = _config()
    config["monitoring"]["line_by_province_year"]["Guizhou"] = {2021: 6000, 2022: 6000, 2023: 7000}
    record = calibration_record(anshun, config, tiny_tables["households"], tiny_tables["panel"],
                                tiny_tables["events"], ["trend at its bound"], None, None)
    assert [x["provenance"] for x in record["lines"]] == ["assumed"] * 3
    assert record["sources"]["status"] == "not_at_hand"
    assert len(record["guards"]) == 3 * 3
    rows = reconciliation_rows(record)
    assert rows["indicator"].str.startswith("guard.").sum() == 9
    assert rows.loc[rows["indicator"] == "calibration_warning", "source"].tolist() == ["trend at its bound"]
    assert rows.loc[rows["indicator"] == "source_check", "source"].iloc[0].startswith("not_at_hand")
    lines = rows[rows["indicator"].str.startswith("line.")]
    assert lines["computed"].tolist() == [6000, 6000, 7000]
    assert lines["source"].tolist() == ["assumed"] * 3 and lines["published"].isna().all()


def test_calibration_section_reads_the_reconciliation(tiny_tables, anshun):
    from relapse_models.report import calibration as rcal

    config = _config()
    config["monitoring"]["line_by_province_year"]["Guizhou"] = {2021: 6000, 2022: 6000, 2023: 7000}
    record = calibration_record(anshun, config, tiny_tables["households"], tiny_tables["panel"],
                                tiny_tables["events"], ["trend at its bound"], None, None)
    recon = reconciliation_rows(record)
    assert rcal.has_calibration(recon)
    guards = rcal.guard_table(recon, "zh")
    assert len(guards) == 9 and set(guards["年份"]) == {2021, 2022, 2023}
    # an accepted failure shows the config's reason after the status
    assert guards["结果"].str.match(r"^(通过|未通过|无法计算（尚无可计的户）|未通过（配置中已接受）(：.+)?)$").all()
    assert rcal.line_table(recon, "zh")["来源"].tolist() == ["假设（外推或全国参考）"] * 3
    assert rcal.warnings(recon) == ["trend at its bound"]
    assert rcal.source_check(recon, "en").startswith("source text not at hand")
    assert not rcal.has_calibration(recon[~recon["indicator"].str.startswith("guard.")])


def test_anchor_sources_are_shown_in_words(anshun):
    from relapse_models.report.calibration import anchor_source

    p = copy.deepcopy(anshun)
    sources = [src for _, src in anchors(anshun, 2021).values()]
    p["published"]["monitoring_households_new"]["value"] = None
    sources += [src for _, src in anchors(p, 2021).values()]
    for src in sources:
        shown = anchor_source(src, "zh")
        assert not re.search(r"[a-z]{3,}", shown), shown   # no English word left
        english = anchor_source(src, "en")
        assert not re.search(r"\b[a-z]+[._][a-z_]+\b", english), english  # no config key left


@pytest.mark.parametrize(("kind", "years"), [("line", [2023, 2024, 2025]),
                                             ("reimbursement", [2023, 2024, 2025]),
                                             ("disaster", [2023])])
def test_a_structural_break_accepts_failures_in_the_years_it_acts_on(anshun, kind, years):
    """A deliberate break (simulate.break) is no implausible county: failures in its years are
    accepted with the break as the reason; earlier ones still fail, and a run on real exports
    has no break."""
    a = anchors(anshun, 2021)["relapse_rate"][0]
    i = anchors(anshun, 2021)["identification_rate"][0]
    rates = _rates([i] * 5, [a, 20 * a, 20 * a, 20 * a, 20 * a], [40, 60, 70, 72, 75])
    config = _config(accept=[])
    config["simulate"]["break"] = {"year": 2023, "kind": kind, "size": 0.1}
    res = check(rates, anshun, config).query("figure == 'relapse_rate'").set_index("year")
    assert res.loc[years, "status"].eq("accepted").all()
    assert res.loc[years, "reason"].str.startswith("结构性断点（simulate.break）").all()
    assert res.loc[2022, "status"] == "fail"
    assert set(res.index[res["status"] == "accepted"]) == set(years)
    config["data"] = {"source": "files", "files": {"anshun": ["x.xlsx"]}}
    assert not check(rates, anshun, config)["status"].eq("accepted").any()
