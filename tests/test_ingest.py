"""Ingest of hand-written exports: header variants, units, dates and encodings the generator
never writes; defects quarantined under the right rule and row; nothing personal in any
output; fatal problems as one message; same inputs, same bytes."""

import hashlib
import json
import os

import numpy as np
import openpyxl
import pandas as pd
import pytest

from relapse_models.cli import main
from relapse_models.data import idcard
from relapse_models.data.ingest import DEMO_KEY, IngestError, ingest_files, load_key, pseudonymize
from relapse_models.data.ingest.pseudonym import PseudonymKeyError
from relapse_models.stages import clean as cleaning_step

IDS = idcard.make_ids(np.random.default_rng(7), 3, "610429", np.array([1965, 1980, 1950]),
                      np.array([True, False, True]))
NAMES = ["赵大明", "钱小红", "孙老汉"]
PHONES = ["13800001111", "13900002222", "13700003333"]
HH = ["6104290001", "6104290002", "6104290003"]

# a wide export: two-row header with a merged income group in 万元, a title above it
TOP = ["户编号", "户主姓名", "身份证号码", "手机号", "乡镇", "行政村", "家庭人口", "劳动力数",
       "老人数", "儿童人数", "残疾人数", "慢性病人数", "文化程度", "户类型", "易地扶贫搬迁", "脱贫年份",
       "统计期", "家庭收入（万元）", "", "", "", "生产经营支出(元)", "低保", "公益岗",
       "医疗费用总额(元)", "报销金额(元)", "灾种", "经济损失(元)", "住房是否安全", "饮水是否安全",
       "监测类型", "致贫风险", "纳入监测时间", "消除时间"]
SUB = [""] * 17 + ["工资收入", "经营收入", "财产收入", "转移收入"] + [""] * 13


def _row(h, period, wage="0.35", **kw):
    base = {
        "hh": HH[h], "name": NAMES[h], "id": IDS[h], "phone": PHONES[h], "town": "城关镇",
        "village": "东村", "size": 3, "lab": 2, "old": 1, "kid": 0, "dis": 0, "chr": 0,
        "edu": "初中", "cat": "脱贫户", "rel": "否", "exit": 2019, "period": period,
        "wage": wage, "op": "0.1", "prop": "0", "tr": "0.05", "cost": "200", "dibao": "否",
        "pwj": "否", "med": "0", "reimb": "0", "dis_t": "无", "loss": "0", "house": "是",
        "water": "是", "mtype": "", "risk": "", "ident": "", "elim": "",
    }
    base.update(kw)
    return list(base.values())


ROWS = [
    _row(0, "2023年第一季度"),
    _row(0, "2023年第二季度", med="1,200", reimb="1000"),
    _row(1, "2023年第一季度", mtype="边缘易致贫户", risk="因病、因残", ident="2023年2月3日"),
    _row(1, "2023年第二季度", wage="０.４", mtype="边缘易致贫户", risk="因病、因残",
         ident="2023年2月3日", elim="20230620"),
    _row(2, "2023年第一季度", wage="abc"),                  # row 8: not a number
    _row(2, "2023年第二季度", med="500", reimb="900"),      # row 9: reimbursed > total
]


def write_xlsx(path, rows=ROWS, total=True):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append(["旬邑县防返贫监测对象收支台账"])
    ws.append(TOP)
    ws.append(SUB)
    ws.merge_cells("R2:U2")
    for r in rows:
        ws.append(r)
    if total:
        ws.append(["合计"])
    notes = wb.create_sheet("填表说明")
    notes.append(["本表由村级网格员填写"])
    wb.save(path)
    return path


def write_csv(path, encoding, rows=ROWS):
    header = TOP[:17] + [f"{s}（万元）" for s in SUB[17:21]] + TOP[21:]
    pd.DataFrame(rows, columns=header).to_csv(path, index=False, encoding=encoding)
    return path


@pytest.fixture
def xlsx(tmp_path):
    return write_xlsx(tmp_path / "台账.xlsx")


def _hid(i):
    return pseudonymize(pd.Series([HH[i]]), DEMO_KEY, "household_id")[0]


def test_wide_xlsx_values_worked_out_by_hand(xlsx):
    r = ingest_files([xlsx], "xunyi", DEMO_KEY)
    panel = r.tables["panel"].set_index(["household_id", "quarter"])
    # household 0: wage 0.35 万元 = 3500 yuan; medical 1,200 total, 1000 reimbursed -> 200 own
    a = panel.loc[(_hid(0), 2)]
    assert (a["income_wage"], a["income_operating"], a["income_transfer"]) == (3500, 1000, 500)
    assert (a["medical_total"], a["medical_reimbursed"], a["medical_oop"]) == (1200, 1000, 200)
    assert a["production_cost"] == 200 and a["monitoring_status"] == "none"
    # household 1: full-width 0.4 万元; identified 2023-02-03 (Q1), eliminated 2023-06-20 (Q2)
    b1, b2 = panel.loc[(_hid(1), 1)], panel.loc[(_hid(1), 2)]
    assert b2["income_wage"] == 4000
    assert (b1["monitoring_status"], b2["monitoring_status"]) == ("monitored", "eliminated")
    assert b1["risk_type"] == "illness" and b1["risk_type_label"] == "因病、因残"
    assert b1["monitoring_type"] == "edge"
    ev = r.tables["events"]
    assert ev[["event", "date"]].values.tolist() == [
        ["identified", pd.Timestamp("2023-02-03")], ["eliminated", pd.Timestamp("2023-06-20")]]
    hh = r.tables["households"].set_index("household_id")
    # age is counted in the first panel year (2023) from the ID's birth year; sex from digit 17
    assert hh.loc[_hid(0), ["head_age", "head_sex", "head_education_years"]].tolist() == [58, "M", 9]
    assert hh.loc[_hid(1), ["head_age", "head_sex"]].tolist() == [43, "F"]
    assert hh.loc[_hid(0), "category"] == "poverty_alleviated"
    # household 2's quarters are both quarantined; its attributes were fine, so it stays
    assert hh.loc[_hid(2), "head_age"] == 73
    assert _hid(2) not in r.tables["panel"]["household_id"].to_numpy()


def test_defects_quarantined_with_rule_file_sheet_and_row(xlsx):
    r = ingest_files([xlsx], "xunyi", DEMO_KEY)
    q = r.quarantine
    got = set(zip(q["row"], q["rule"], strict=True))
    # title row 1, header rows 2-3, data rows 4-9, total line 10
    assert ("8", "not_a_number") in {(str(a), b) for a, b in got}
    assert (9, "reimbursed_le_total") in got
    assert (10, "not_a_data_row") in got
    assert set(q["file"]) == {"台账.xlsx"} and set(q["sheet"]) == {"台账"}
    line = q[q["rule"] == "not_a_number"].iloc[0]
    assert line["header"] == "家庭收入（万元）/工资收入" and line["value"] == "abc"
    (f,) = r.report["files"]
    assert (f["rows_in"], f["kept"], f["quarantined"]) == (7, 4, 3)
    assert f["header_rows"] == [2, 3]
    assert r.report["sheets_skipped"] == [
        {"file": "台账.xlsx", "sheet": "填表说明", "reason": "no header row with known column names"}]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_give_the_same_tables_as_xlsx(tmp_path, xlsx, encoding):
    from_xlsx = ingest_files([xlsx], "xunyi", DEMO_KEY)
    from_csv = ingest_files([write_csv(tmp_path / "e.csv", encoding)], "xunyi", DEMO_KEY)
    for name in ("households", "panel", "events"):
        pd.testing.assert_frame_equal(from_csv.tables[name], from_xlsx.tables[name],
                                      check_dtype=False)
    assert from_csv.report["files"][0]["header_rows"] == [1]


def test_exact_duplicate_keeps_first_conflict_keeps_none(tmp_path):
    rows = [*ROWS[:4], ROWS[1], _row(1, "2023年第一季度", wage="9")]
    r = ingest_files([write_xlsx(tmp_path / "d.xlsx", rows)], "c", DEMO_KEY)
    q = r.quarantine.set_index("row")
    assert q.loc[8, "rule"] == "duplicate"                 # copy of row 5
    assert set(q.loc[[6, 9], "rule"]) == {"duplicate_conflict"}  # two versions of hh 1, Q1
    assert 5 not in q.index and len(r.tables["panel"]) == 3


def test_bad_id_and_oop_and_event_order(tmp_path):
    wrong = idcard.corrupt_check(IDS[:1])[0]
    rows = [_row(0, "2023Q1", id=wrong), _row(0, "2023Q2"),
            _row(1, "2023Q1", ident="2023-03-01", elim="2023-01-05", mtype="边缘户", risk="因学")]
    path = tmp_path / "x.csv"
    header = [*TOP[:17], "工资性收入", "经营性收入", "财产性收入", "转移性收入", *TOP[21:25],
              "医保报销", *TOP[26:]]
    frame = pd.DataFrame(rows, columns=header).assign(个人自付="0")
    # 1000 - 600 is 400, not 100
    frame.loc[1, ["医疗费用总额(元)", "医保报销", "个人自付"]] = ["1000", "600", "100"]
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    r = ingest_files([path], "c", DEMO_KEY)
    rules = dict(zip(r.quarantine["row"], r.quarantine["rule"], strict=True))
    assert rules[2] == "id_check_digit"
    assert rules[3] == "oop_equals_total_minus_reimbursed"
    assert rules[4] == "eliminated_before_identified"
    assert r.quarantine.loc[r.quarantine["row"] == 2, "value"].item() == "<masked, 18 characters>"


def test_no_personal_value_in_any_output(tmp_path, xlsx, capsys):
    out = tmp_path / "out"
    assert main(["clean", str(xlsx), "--out", str(out), "--county", "xunyi", "--synthetic"]) == 0
    printed = capsys.readouterr()
    blobs = [p.read_bytes() for p in out.iterdir()] + [printed.out.encode(), printed.err.encode()]
    blobs += [pd.read_parquet(p).to_csv().encode() for p in out.glob("*.parquet")]
    secrets = [*NAMES, *IDS, *PHONES, *HH, IDS[0][:14]]
    for blob in blobs:
        for enc in ("utf-8", "utf-16-le", "gb18030"):
            for s in secrets:
                assert s.encode(enc) not in blob, s
    assert json.loads((out / "cleaning_report.json").read_text())["files"][0]["rows_in"] == 7


def test_rerun_gives_identical_bytes(tmp_path, xlsx):
    digests = []
    for run in ("a", "b"):
        cleaning_step.run("xunyi", [str(xlsx)], tmp_path / run, synthetic=True)
        digests.append({p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                        for p in sorted((tmp_path / run).iterdir())})
    assert digests[0] == digests[1] and "panel.parquet" in digests[0]


def test_missing_required_column_is_one_message_with_close_headers(tmp_path, capsys):
    # the period renamed and every income column gone: both named in one message
    path = write_csv(tmp_path / "m.csv", "utf-8")
    text = path.read_text(encoding="utf-8").replace("统计期", "统计区间", 1)
    for income in ("工资收入", "经营收入", "财产收入", "转移收入"):
        text = text.replace(f"{income}（万元）", f"{income[:2]}（万元）", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(IngestError, match=r"m\.csv.*'year'.*closest headers in the file: .*统计区间"
                                          r".*'income'") as err:
        ingest_files([path], "c", DEMO_KEY)
    assert str(err.value).count("m.csv") == 1
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "m.csv" in err


def test_validate_exit_codes(tmp_path, xlsx, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["validate", str(xlsx)])
    assert stop.value.code == 1
    good = write_xlsx(tmp_path / "g.xlsx", ROWS[:4], total=False)
    assert main(["validate", str(good)]) == 0
    assert "g.xlsx" in capsys.readouterr().out
    assert main(["validate", str(tmp_path / "nope.xlsx")]) == 2
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    assert main(["validate", str(tmp_path / "broken.xlsx")]) == 2


def test_real_data_needs_a_key(monkeypatch, tmp_path):
    monkeypatch.delenv("RELAPSE_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("RELAPSE_PSEUDONYM_KEY_FILE", raising=False)
    with pytest.raises(PseudonymKeyError, match="RELAPSE_PSEUDONYM_KEY"):
        load_key()
    assert load_key(synthetic=True) == DEMO_KEY
    keyfile = tmp_path / "k"
    keyfile.write_text("0123456789abcdef0123\n")
    monkeypatch.setenv("RELAPSE_PSEUDONYM_KEY_FILE", str(keyfile))
    assert load_key() == b"0123456789abcdef0123"
    with pytest.raises(PseudonymKeyError, match="too short"):
        load_key(b"short")


def test_household_sheet_and_event_sheet_in_one_workbook(tmp_path):
    """A layout unlike the generator's: households, quarters and events on three sheets,
    linked by the ID number only, English headers on one sheet, dates as Excel serials."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "households"
    ws.append(["ID number", "name", "town", "village", "household size", "labour", "elderly",
               "children", "disabled", "chronic ill", "education", "category", "relocated",
               "exit year"])
    ws.append([IDS[0], NAMES[0], "t1", "v1", 2, 1, 1, 0, 0, 1, 6, "脱贫户", "是", 2018])
    q = wb.create_sheet("quarters")
    q.append(["身份证号", "年度", "季度", "工资性收入", "经营性收入", "财产性收入", "转移性收入",
              "生产成本", "低保户", "公益岗", "医疗总费用", "报销金额", "自付金额", "灾害类型",
              "灾害损失", "住房安全", "饮水安全", "监测状态"])
    q.append([IDS[0], 2022, "Q4", 100, 0, 0, 50, 0, "是", "否", 0, 0, 0, "洪涝", "2,000",
              "安全", "是", "监测中"])
    e = wb.create_sheet("events")
    e.append(["证件号码", "事件类型", "日期", "监测对象类别", "风险类型"])
    e.append([IDS[0], "识别纳入监测", 44880, "脱贫不稳定户", "因灾"])  # 44880 = 2022-11-15
    wb.save(tmp_path / "three.xlsx")
    r = ingest_files([tmp_path / "three.xlsx"], "c", DEMO_KEY)
    assert r.quarantine.empty, r.quarantine
    hid = pseudonymize(pd.Series([IDS[0]]), DEMO_KEY, "id_number")[0]
    assert r.tables["households"]["household_id"].tolist() == [hid]
    assert r.tables["households"]["head_age"].tolist() == [2022 - 1965]
    p = r.tables["panel"].iloc[0]
    assert (p["household_id"], p["disaster_type"], p["disaster_loss"], p["dibao"]) == (
        hid, "flood", 2000.0, True)
    assert r.tables["events"]["date"].tolist() == [pd.Timestamp("2022-11-15")]
    assert [f["table"] for f in r.report["files"]] == ["households", "panel", "events"]


def test_pipeline_on_real_exports_refuses_to_start_without_a_key(tmp_path, monkeypatch):
    """`data.source: files` without RELAPSE_PSEUDONYM_KEY(_FILE): one clear message before
    any job (a dry run), naming both variables."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[1]
    shutil.copytree(root / "config", tmp_path / "config")  # a project folder of its own
    cfg = tmp_path / "files.yaml"
    counties = yaml.safe_load((root / "config" / "config.yaml").read_text(encoding="utf-8"))["counties"]
    cfg.write_text(yaml.safe_dump({"data": {"source": "files",
                                            "files": {c: [str(tmp_path / f"{c}.xlsx")] for c in counties}}}),
                   encoding="utf-8")
    for c in counties:  # the exports exist: the key is what is missing
        (tmp_path / f"{c}.xlsx").write_bytes(b"")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAPSE_PSEUDONYM_KEY")}
    run = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--snakefile", str(root / "Snakefile"),
                          "--directory", str(tmp_path), "--configfile", str(cfg), "--cores", "1"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode != 0
    assert "data.source is files" in run.stderr + run.stdout
    assert "RELAPSE_PSEUDONYM_KEY_FILE" in run.stderr + run.stdout
