"""Issue 5, "done when": the generator's messy exports in every format (xlsx in 万元, csv UTF-8
with BOM and csv GBK in 元) go through ingest; every injected defect is quarantined under the
right rule and column and no clean row is (precision and recall 100 % against the manifest);
the clean tables equal the generator's observable truth after pseudonymisation."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from relapse_models.core.profiles import load_profile
from relapse_models.data.ingest import DEMO_KEY, ingest_files, pseudonymize
from relapse_models.data.simulate import simulate_county, write_messy_exports
from relapse_models.data.simulate.messy import AMOUNTS

ROOT = Path(__file__).resolve().parents[1]
COUNTY = "xunyi"
REQUIRED = {"户编号": "household_id", "证件号码": "id_number", "年度": "year", "季度": "quarter"}
ZH_AMOUNT = {zh: canon for canon, zh in AMOUNTS.items()}
TOLERANCE = {"元": 0.005 + 1e-6, "万元": 0.5 + 1e-6}
"""Half the last written digit: 2 decimals of yuan, 4 decimals of 万元."""


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    cfg["simulate"]["scale"] = 0.01
    profile = load_profile(ROOT / "config" / "counties" / f"{COUNTY}.yaml")
    sim = simulate_county(profile, cfg, 11)
    out = tmp_path_factory.mktemp("messy")
    manifest = json.loads(write_messy_exports(sim, profile, out, seed=11, defect_rate=0.01)
                          .read_text(encoding="utf-8"))
    results = {f["file"]: ingest_files([out / f["file"]], COUNTY, DEMO_KEY)
               for f in manifest["files"]}
    return sim, profile, manifest, results


def _canonical(column: str) -> str:
    column = column.removesuffix("(万元)")
    return REQUIRED.get(column) or ZH_AMOUNT[column]


def _expected_lines(defect: dict) -> set[tuple[str, str]]:
    """Acceptable (rule, column) lines for one injected defect."""
    kind = defect["defect"]
    if kind == "duplicate":
        return {("duplicate", "household_id,year,quarter")}
    if kind == "bad_check_digit":
        return {("id_check_digit", "id_number")}
    column = _canonical(defect["column"])
    if kind == "missing_required":
        return {("missing_value", column)}
    if kind == "non_numeric_amount":
        return {("not_a_number", column)}
    if kind == "negative_amount":
        return {("greater_than_or_equal_to(0)", column)}
    raise AssertionError(f"unknown defect {kind}")


def _source_rows(sim, profile: dict, file: dict) -> pd.DataFrame:
    """The truth's panel in the order the export writes it, with its spreadsheet row."""
    p = sim.panel.assign(household_id=sim.panel["household_id"].astype(str))
    p = p.sort_values(["household_id", "year", "quarter"]).reset_index(drop=True)
    if file["unit"] == "万元":  # the xlsx holds the report year only
        p = p[p["year"] == int(profile["report_year"])].reset_index(drop=True)
    p["row"] = file["header_row"] + 1 + np.arange(len(p))
    return p


def test_every_format_is_written(exported):
    _, _, manifest, _ = exported
    kinds = {(f["encoding"], f["unit"]) for f in manifest["files"]}
    assert kinds == {("utf-8-sig", "元"), ("gbk", "元"), ("xlsx", "万元")}


def test_defects_quarantined_under_the_right_rule_and_nothing_else(exported):
    _, _, manifest, results = exported
    for f in manifest["files"]:
        q = results[f["file"]].quarantine
        defects = [d for d in manifest["defects"]
                   if d["file"] == f["file"] and d["defect"] != "title_rows"]
        assert len(defects) >= 5 * 5, f["file"]  # every kind, several times
        injected = {d["row"] for d in defects}
        quarantined = set(q["row"].astype(int))
        assert quarantined == injected, (f["file"], sorted(quarantined ^ injected)[:10])
        lines = q.groupby("row").apply(lambda g: set(zip(g["rule"], g["column"], strict=True)),
                                       include_groups=False)
        for d in defects:
            assert _expected_lines(d) & lines[d["row"]], (f["file"], d, lines[d["row"]])
        report = results[f["file"]].report["files"][0]
        assert report["rows_in"] == f["data_rows"] == report["kept"] + report["quarantined"]
        assert report["quarantined"] == len(injected)


def test_clean_panel_equals_truth_after_pseudonymisation(exported):
    sim, profile, manifest, results = exported
    for f in manifest["files"]:
        src = _source_rows(sim, profile, f)
        broken = {d["row"] for d in manifest["defects"] if d["file"] == f["file"]
                  and d["defect"] not in ("duplicate", "title_rows")}
        want = src[~src["row"].isin(broken)].drop(columns="row").copy()
        want["household_id"] = pseudonymize(want["household_id"], DEMO_KEY, "household_id")
        want["village_id"] = want["village_id"].astype(str).map(manifest["villages"])
        key = ["household_id", "year", "quarter"]
        got = results[f["file"]].tables["panel"]
        want = want.sort_values(key).reset_index(drop=True)
        got = got.sort_values(key).reset_index(drop=True)
        assert len(got) == len(want), f["file"]
        assert got[key].astype(str).equals(want[key].astype(str)), f["file"]
        for col in want.columns:
            if col in AMOUNTS:
                np.testing.assert_allclose(got[col].to_numpy(dtype=float), want[col].to_numpy(dtype=float),
                                           rtol=0, atol=TOLERANCE[f["unit"]], err_msg=f"{f['file']} {col}")
            else:
                a = got[col].astype(object).where(got[col].notna(), None).astype(str)
                b = want[col].astype(object).where(want[col].notna(), None).astype(str)
                assert a.equals(b), (f["file"], col, pd.concat([a, b], axis=1)[a != b].head())


def test_clean_households_equal_truth_after_pseudonymisation(exported):
    sim, profile, manifest, results = exported
    for f in manifest["files"]:
        got = results[f["file"]].tables["households"].sort_values("household_id").reset_index(drop=True)
        src = _source_rows(sim, profile, f)
        broken = {d["row"] for d in manifest["defects"] if d["file"] == f["file"]
                  and d["defect"] not in ("duplicate", "title_rows")}
        present = set(src.loc[~src["row"].isin(broken), "household_id"])
        want = sim.households[sim.households["household_id"].astype(str).isin(present)].copy()
        want["household_id"] = pseudonymize(want["household_id"].astype(str), DEMO_KEY, "household_id")
        want["town_id"] = want["town_id"].astype(str).map(manifest["towns"])
        want["village_id"] = want["village_id"].astype(str).map(manifest["villages"])
        want = want.sort_values("household_id").reset_index(drop=True)
        assert len(got) == len(want), f["file"]
        for col in [c for c in want.columns if c != "n_workers"]:
            a = got[col].astype(object).where(got[col].notna(), None).astype(str)
            b = want[col].astype(object).where(want[col].notna(), None).astype(str)
            assert a.equals(b), (f["file"], col, pd.concat([a, b], axis=1)[a != b].head())


def test_clean_events_equal_truth_after_pseudonymisation(exported):
    """The exports write each quarter's latest identification and elimination dates: the
    events are those some clean row shows."""
    sim, profile, manifest, results = exported
    for f in manifest["files"]:
        src = _source_rows(sim, profile, f)
        broken = {d["row"] for d in manifest["defects"] if d["file"] == f["file"]
                  and d["defect"] not in ("duplicate", "title_rows")}
        rows = src.loc[~src["row"].isin(broken), ["household_id", "year", "quarter"]]
        ends = pd.PeriodIndex.from_fields(year=rows["year"], quarter=rows["quarter"], freq="Q")
        rows = rows.assign(end=ends.end_time.normalize().astype("datetime64[ns]"))
        ev = sim.events.assign(household_id=sim.events["household_id"].astype(str),
                               date=pd.to_datetime(sim.events["date"]).astype("datetime64[ns]"))
        shown = []
        for event in ("identified", "eliminated"):
            e = ev.loc[ev["event"] == event, ["household_id", "date"]].sort_values("date")
            m = pd.merge_asof(rows.sort_values("end"), e, left_on="end", right_on="date",
                              by="household_id", direction="backward").dropna(subset=["date"])
            shown.append(m[["household_id", "date"]].assign(event=event))
        want = pd.concat(shown).drop_duplicates()
        want["household_id"] = pseudonymize(want["household_id"], DEMO_KEY, "household_id")
        got = results[f["file"]].tables["events"]
        key = ["household_id", "event", "date"]
        w = set(map(tuple, want[key].astype(str).to_numpy()))
        g = set(map(tuple, got[key].astype(str).to_numpy()))
        assert g == w, (f["file"], sorted(g ^ w)[:5])
        assert len(w) > 0
