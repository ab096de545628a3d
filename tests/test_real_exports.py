"""Exports as researchers bring them: a partial export (income and a few domains) with
headers the mapping was not written for, amounts in 万元 and title rows; yearly snapshot
files; the `columns` look before cleaning. Expected values are worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from relapse_models.cli import main
from relapse_models.core.config import load_config
from relapse_models.core.lines import lines_for_province
from relapse_models.data.ingest import DEMO_KEY, IngestError, ingest_files, pseudonymize
from relapse_models.data.ingest.headers import load_columns, match
from relapse_models.data.ingest.inspect import describe_columns
from relapse_models.outcome.features import build_features
from relapse_models.stages.fit import fit_models

PARTIAL_HEADER = ["序号", "户编码", "所在乡镇", "所在村", "家庭人口数（人）", "年份", "家庭经营纯收益",
                  "工资性收入合计", "财产净收入(万元)", "转移净收入", "医疗自付费用", "是否享受低保",
                  "主要风险", "备注说明"]
UNKNOWN = ["所在乡镇", "所在村", "家庭经营纯收益"]
"""Headers of the partial export that config/columns.yaml does not know (checked below)."""


def _partial(path: Path, households: int = 40, years=(2021, 2022, 2023)) -> Path:
    """Title rows (the unit 万元 in the first), a header on row 3, one household-year per
    row, a total line at the bottom. Household h earns 0.3 x (h + 1) 万元 of wages per
    person a year (3,000 yuan x (h + 1)), growing 10 % a year, plus 0.1 万元 operating."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "监测数据"
    ws.append(["某县防止返贫动态监测信息采集表（单位：万元）"])
    ws.append(["填报单位：某县乡村振兴局", "", "", "导出时间：2024年1月5日"])
    ws.append(PARTIAL_HEADER)
    k = 0
    for h in range(households):
        size = 1 + h % 4
        for i, y in enumerate(years):
            k += 1
            wage = round(0.3 * (h + 1) * size * 1.1 ** i, 4)
            ws.append([k, f"H{h:03d}", "城关镇" if h % 2 else "东岭镇", f"村{h % 5}", size, y,
                       0.1, wage, 0, 0.02, "" if h == 3 else 0.05, "是" if h < 2 else "否",
                       "因病返贫" if h % 5 == 0 else "", ""])
    ws.append(["合计"])
    wb.save(path)
    return path


def test_partial_export_headers_are_really_unknown_to_the_mapping():
    _, lookup = load_columns()
    assert [h for h in UNKNOWN if match(h, lookup)] == []


def test_partial_export_cleans_with_the_mapping_columns_suggests(tmp_path, capsys):
    xlsx = _partial(tmp_path / "partial.xlsx")
    # 1. the look: every header listed, each unknown one with a suggestion
    assert main(["columns", str(xlsx), "--write", str(tmp_path / "mine.yaml")]) == 0
    out = capsys.readouterr().out
    for header in PARTIAL_HEADER:
        assert header in out
    assert "所在乡镇" in out and "town_id (like" in out and "required missing: none" in out
    assert "frequency: annual" in out
    sheet = describe_columns(xlsx)[0]
    suggested = dict(zip(sheet.table["header"], sheet.table["suggestion"], strict=True))
    assert suggested["家庭经营纯收益"].startswith("income_operating")
    assert suggested["所在村"].startswith("village_id")
    assert sheet.table.set_index("header").loc["主要风险", "maps_to"] == "risk_type"
    # 2. clean with that mapping, nothing else
    result = ingest_files([xlsx], "c", DEMO_KEY, columns=tmp_path / "mine.yaml")
    panel, report = result.tables["panel"], result.report
    assert len(panel) == 40 * 3 and report["frequency"] == "annual"
    assert (panel["periods_per_year"] == 1).all() and (panel["quarter"] == 4).all()
    assert result.quarantine["rule"].tolist() == ["not_a_data_row"]  # the total line only
    assert {"health_status", "disaster", "housing_water", "events"} <= set(report["domains_absent"])
    assert report["missing_values"] == {"panel.medical_oop": 3}  # household 3's blanks
    assert report["unmatched_headers"] == ["备注说明", "序号"]  # listed, not silently dropped
    h1 = pseudonymize(pd.Series(["H001"]), DEMO_KEY, "household_id")[0]
    row = panel.set_index(["household_id", "year"]).loc[(h1, 2022)]
    # household 1: size 2, wage 0.3 x 2 x 2 x 1.1 = 1.32 万元 = 13,200 yuan; operating 1,000
    assert row["income_wage"] == pytest.approx(13200) and row["income_operating"] == 1000
    assert row["income_transfer"] == 200 and row["risk_type"] is pd.NA or pd.isna(row["risk_type"])
    h0 = pseudonymize(pd.Series(["H000"]), DEMO_KEY, "household_id")[0]
    assert panel.set_index(["household_id", "year"]).loc[(h0, 2021), "risk_type"] == "illness"
    # 3. features and every model run on it as it is
    config = load_config(overrides={"models": {"train_until_year": None,
                                               "names": ["rule", "logit", "gbm", "vulnerability",
                                                         "hazard"]}})
    lines = lines_for_province(config["monitoring"], "Shaanxi")
    f = build_features(result.tables["households"], panel, result.tables["events"], lines, config)
    assert "oop_share" in f and "disaster_loss_share" not in f and "head_age" not in f
    assert f["relapse"].notna().sum() == 40 * 2


def test_yearly_snapshots_join_into_a_panel_through_keyed_pseudonyms(tmp_path):
    ids = ["610429196503070015", "610429198005120023"]
    paths = []
    for year, scale in ((2022, 1.0), (2023, 1.1)):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append([f"{year}年防返贫监测户收入情况（元）"])
        ws.append(["身份证号码", "家庭人口数", "工资性收入", "转移性收入"])
        for i, pid in enumerate(ids):
            ws.append([pid, 2, 8000 * (i + 1) * scale, 500])
        path = tmp_path / f"snapshot_{year}.xlsx"
        wb.save(path)
        paths.append(path)
    result = ingest_files(paths, "c", DEMO_KEY)
    panel = result.tables["panel"]
    assert result.report["frequency"] == "annual" and len(panel) == 4
    assert sorted(panel.groupby("household_id")["year"].apply(list).tolist()) == [[2022, 2023]] * 2
    assert not panel["household_id"].isin(ids).any()  # keyed pseudonyms, not the numbers
    wage = panel.set_index("year").sort_index()["income_wage"].tolist()
    assert sorted(wage) == pytest.approx(sorted([8000, 16000, 8800, 17600]))


def test_snapshot_without_a_year_anywhere_is_one_message(tmp_path):
    path = tmp_path / "收入.csv"
    path.write_text("户编号,家庭人口数,工资性收入,转移性收入\nH1,2,8000,500\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"收入\.csv: panel: required column 'year'"):
        ingest_files([path], "c", DEMO_KEY)


def test_per_capita_income_needs_the_household_size(tmp_path):
    path = tmp_path / "pc.csv"
    path.write_text("户编号,年度,人均纯收入（元）\nH1,2022,6000\n", encoding="utf-8")
    with pytest.raises(IngestError, match="人均纯收入.*is income per person.*家庭人口数"):
        ingest_files([path], "c", DEMO_KEY)
    path.write_text("户编号,年度,家庭人口数,人均纯收入（元）\nH1,2022,3,6000\n", encoding="utf-8")
    panel = ingest_files([path], "c", DEMO_KEY).tables["panel"]
    assert panel["income_net"].tolist() == [18000.0]


def test_messages_after_reading_name_the_header_as_written(tmp_path):
    path = tmp_path / "rules.csv"
    path.write_text("户编号,年度,家庭人口数,务工收入,医疗费用总额,报销金额\n"
                    "H1,2022,2,-5,100,50\nH2,2022,2,100,100,300\nH2,2022,2,100,100,300\n"
                    "H3,2022,2,100,100,50\nH3,2022,2,200,100,50\n", encoding="utf-8")
    q = ingest_files([path], "c", DEMO_KEY).quarantine.set_index("row")
    assert q.loc[2, "header"] == "务工收入" and q.loc[2, "message"] == "'务工收入' is negative"
    row3 = q.loc[[3]].set_index("rule")
    assert row3.loc["reimbursed_le_total", "header"] == "报销金额"
    assert row3.loc["reimbursed_le_total", "message"] == "'报销金额' is more than '医疗费用总额'"
    # out of pocket is derived: the message names the headers it comes from
    assert row3.loc["greater_than_or_equal_to(0)", "message"] == "'医疗费用总额 − 报销金额' is negative"
    dup = q[q["rule"] == "duplicate"]
    assert dup.index.tolist() == [4] and dup["header"].tolist() == ["户编号,年度"]
    assert dup["message"].iloc[0].startswith("same '户编号,年度' as an earlier row")
    conflict = q[q["rule"] == "duplicate_conflict"]
    assert conflict.index.tolist() == [5, 6] and (conflict["file"] == "rules.csv").all()


def test_columns_command_lists_missing_required_and_reads_no_data(tmp_path, capsys):
    path = tmp_path / "x.csv"
    path.write_text("户编号,家庭人口数,乡镇,说明文字\nH1,2,城关镇,x\n", encoding="utf-8")
    assert main(["columns", str(path)]) == 0
    out = capsys.readouterr().out
    assert "说明文字" in out and "unmatched (1): 说明文字" in out
    assert "required missing: household_id" not in out  # household sheets need only the id
    path.write_text("户编号,家庭人口数,工资性收入,乡镇\nH1,2,100,城关镇\n", encoding="utf-8")
    assert main(["columns", str(path)]) == 0
    assert "required missing: year" in capsys.readouterr().out


def test_fit_takes_the_years_from_the_data(tmp_path):
    xlsx = _partial(tmp_path / "p.xlsx", households=60, years=(2021, 2022, 2023, 2024))
    r = ingest_files([xlsx], "c", DEMO_KEY, columns=_suggested(xlsx, tmp_path))
    config = load_config(overrides={"models": {"train_until_year": None, "names": ["rule", "logit"],
                                               "leave_one_county_out": False, "drivers": False}})
    f = build_features(r.tables["households"], r.tables["panel"], r.tables["events"],
                       lines_for_province(config["monitoring"], "Shaanxi"), config)
    result = fit_models(f, config)
    assert result.metrics["test_year"] == 2023 and result.metrics["train_until_year"] == 2022
    assert json.dumps(result.metrics["out_of_time"], default=str)


def _suggested(xlsx: Path, tmp_path: Path) -> Path:
    out = tmp_path / "mine.yaml"
    assert main(["columns", str(xlsx), "--write", str(out)]) == 0
    return out
