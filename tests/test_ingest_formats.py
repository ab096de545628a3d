"""Export layouts the generator never writes, written by hand: monthly rows, member-level
exports (one row per person), a legacy .xls, English headers, UTF-16 tab-separated "Unicode
text", units in a title line, Excel serial and dotted dates. Expected values are worked out
by hand in the comments."""

import csv
import importlib.util
import io
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from relapse_models.data.ingest import DEMO_KEY, ingest_files, pseudonymize

DATA = Path(__file__).parent / "data"
_SPEC = importlib.util.spec_from_file_location("make_corpus", DATA / "bad" / "make_corpus.py")
CORPUS = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(CORPUS)
HEADER, row = CORPUS.HEADER, CORPUS.row


def _hid(i: int) -> str:
    return pseudonymize(pd.Series([f"61042900{i + 1:02d}"]), DEMO_KEY, "household_id")[0]


def _write_csv(path: Path, header: list[str], rows: list[list[str]], encoding="utf-8-sig",
               sep=",", title: list[str] | None = None) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    if title:
        w.writerow(title)
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


# --- monthly rows -------------------------------------------------------------------------

MONTHLY = [h.replace("季度", "月份") for h in HEADER]


def _month(h: int, m: int, **kw) -> list[str]:
    return row(h, m, **kw)  # the 季度 slot now holds the month


def test_monthly_rows_add_up_to_quarters(tmp_path):
    rows = [
        # household 0, Q1: wages 1000 + 1100 + 1200 = 3300; 低保 in February only -> yes;
        # housing unsafe in March -> unsafe at the quarter's end; medical 300/240/60
        _month(0, 1, 工资性收入="1000", 医疗总费用="100", 医保报销金额="80", 个人自付="20"),
        _month(0, 2, 工资性收入="1100", 是否低保="是", 医疗总费用="100", 医保报销金额="80", 个人自付="20"),
        _month(0, 3, 工资性收入="1200", 住房安全="不安全", 医疗总费用="100", 医保报销金额="80", 个人自付="20"),
        # household 0, Q2: April and May only -> incomplete, both rows quarantined
        _month(0, 4), _month(0, 5),
        # household 1, Q1: February written twice (exact copy) -> the copy is quarantined
        _month(1, 1, 工资性收入="10"), _month(1, 2, 工资性收入="20"), _month(1, 2, 工资性收入="20"),
        _month(1, 3, 工资性收入="30"),
    ]
    path = _write_csv(tmp_path / "monthly.csv", MONTHLY, rows)
    r = ingest_files([path], "c", DEMO_KEY)
    panel = r.tables["panel"].set_index(["household_id", "quarter"])
    a = panel.loc[(_hid(0), 1)]
    assert a["income_wage"] == 3300 and a["income_operating"] == 3000 and a["income_transfer"] == 1500
    assert (a["medical_total"], a["medical_reimbursed"], a["medical_oop"]) == (300, 240, 60)
    assert bool(a["dibao"]) and not bool(a["housing_safe"]) and bool(a["water_safe"])
    assert panel.loc[(_hid(1), 1), "income_wage"] == 60  # 10 + 20 + 30, the copy not counted
    assert len(panel) == 2
    q = r.quarantine
    assert set(zip(q["row"], q["rule"], strict=True)) == {
        (5, "incomplete_quarter"), (6, "incomplete_quarter"), (9, "duplicate")}
    [entry] = r.report["files"]
    assert (entry["rows_in"], entry["kept"], entry["quarantined"]) == (9, 6, 3)


def test_monthly_period_column_and_a_quarantined_quarter_quarantines_its_months(tmp_path):
    header = [{"年度": "备注", "季度": "统计期"}.get(h, h) for h in HEADER]
    rows = [row(0, 1, 季度=f"2023-{m:02d}") for m in (1, 2, 3)]  # the 季度 slot is 统计期 here
    rows[2][header.index("医保报销金额")] = "5000"  # March: reimbursed 5000 > total 1200
    rows += [row(1, 1, 季度=f"2023年{m}月") for m in (4, 5, 6)]
    path = _write_csv(tmp_path / "period.csv", header, rows)
    r = ingest_files([path], "c", DEMO_KEY)
    # household 1: April-June is Q2, kept; household 0's Q1 breaks reimbursed <= total
    # (3600 total, 7000 reimbursed): all three of its months are quarantined
    assert r.tables["panel"][["household_id", "quarter"]].values.tolist() == [[_hid(1), 2]]
    assert sorted(r.quarantine["row"]) == [2, 3, 4]
    assert set(r.quarantine["rule"]) == {"reimbursed_le_total"}
    [entry] = r.report["files"]
    assert (entry["rows_in"], entry["kept"], entry["quarantined"]) == (6, 3, 3)


# --- member-level exports -----------------------------------------------------------------

MEMBER_HEADER = ["户编号", "姓名", "与户主关系", "性别", "年龄", "文化程度", "劳动技能",
                 "健康状况", "乡镇", "村", "户类型", "是否易地搬迁", "脱贫年度"]
PANEL_HEADER = ["户编号", "年度", "季度", "工资性收入", "生产经营性收入", "财产性收入", "转移性收入",
                "生产经营性支出", "医疗总费用", "医保报销金额", "个人自付", "灾害损失", "是否低保", "是否公益岗",
                "灾害类型", "住房安全", "饮水安全", "识别日期", "风险消除日期", "监测对象类别", "风险类型"]


def _members_workbook(path: Path, members: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "家庭成员"
    ws.append(MEMBER_HEADER)
    for m in members:
        ws.append(m)
    panel = wb.create_sheet("收支")
    panel.append(PANEL_HEADER)
    for h in ("6104290001", "6104290002", "6104290003"):
        panel.append([h, 2023, 1, 3000, 0, 0, 0, 0, 0, 0, 0, 0, "否", "否", "", "安全", "安全", "", "",
                      "", ""])
    wb.save(path)
    return path


def test_member_rows_become_one_household_each(tmp_path):
    members = [
        # household 1: head 58 (junior middle school), wife 56 with a chronic illness, son 30
        # (skilled labour), grandmother 82 disabled, grandchild 6 -> size 5, labour 2,
        # elderly 1, children 1, disabled 1, chronic 1
        ["6104290001", "赵大明", "户主", "男", 58, "初中", "普通劳动力", "健康", "城关镇", "东村",
         "脱贫户", "否", 2019],
        ["6104290001", "钱秀英", "配偶", "女", 56, "小学", "弱劳动力或半劳动力", "长期慢性病",
         "城关镇", "东村", "脱贫户", "否", 2019],
        ["6104290001", "赵小军", "之子", "男", 30, "高中", "技能劳动力", "健康", "城关镇", "东村",
         "脱贫户", "否", 2019],
        ["6104290001", "孙桂兰", "之母", "女", 82, "文盲或半文盲", "丧失劳动力", "残疾", "城关镇",
         "东村", "脱贫户", "否", 2019],
        ["6104290001", "赵宝宝", "之孙子", "男", 6, "学前", "无劳动力", "健康", "城关镇", "东村",
         "脱贫户", "否", 2019],
        # household 2: a woman living alone, 71
        ["6104290002", "钱小红", "户主", "女", 71, "小学", "无劳动力", "健康", "城关镇", "西村",
         "一般农户", "否", None],
        # household 3: two members, neither marked 户主 -> both rows quarantined
        ["6104290003", "孙一", "配偶", "男", 40, "初中", "普通劳动力", "健康", "城关镇", "西村",
         "一般农户", "否", None],
        ["6104290003", "孙二", "之女", "女", 12, "小学", "无劳动力", "健康", "城关镇", "西村",
         "一般农户", "否", None],
    ]
    r = ingest_files([_members_workbook(tmp_path / "members.xlsx", members)], "c", DEMO_KEY)
    hh = r.tables["households"].set_index("household_id")
    cols = ["household_size", "n_labour", "n_elderly", "n_children", "n_disabled", "n_chronic_ill",
            "head_age", "head_sex", "head_education_years"]
    assert hh.loc[_hid(0), cols].tolist() == [5, 2, 1, 1, 1, 1, 58, "M", 9]
    assert hh.loc[_hid(1), cols].tolist() == [1, 0, 1, 0, 0, 0, 71, "F", 6]
    assert _hid(2) not in hh.index
    q = r.quarantine[r.quarantine["sheet"] == "家庭成员"]
    assert sorted(q["row"]) == [8, 9] and set(q["rule"]) == {"household_head"}
    # household 3's quarter has no household left: quarantined as unknown
    assert set(r.quarantine.loc[r.quarantine["sheet"] == "收支", "rule"]) == {"unknown_household"}
    files = {f["sheet"]: f for f in r.report["files"]}
    assert (files["家庭成员"]["rows_in"], files["家庭成员"]["kept"], files["家庭成员"]["quarantined"]) == (8, 6, 2)
    # the head's name is pseudonymised like any other personal value
    assert hh.loc[_hid(0), "head_name_pseudonym"] == pseudonymize(pd.Series(["赵大明"]), DEMO_KEY,
                                                                   "head_name")[0]


# --- legacy .xls, English headers, UTF-16 text, units and date styles -----------------------

def test_legacy_xls_with_units_in_the_title_line():
    """``tests/data/exports/county_export.xls`` (BIFF8, written once with xlwt): a title line
    "（单位：千元）", amounts as numbers in 千元 (3.5 -> 3500 yuan), a typed Excel date."""
    r = ingest_files([DATA / "exports" / "county_export.xls"], "c", DEMO_KEY)
    assert r.report["files"][0]["rows_in"] == 4 and r.quarantine.empty
    p = r.tables["panel"].set_index(["household_id", "quarter"])
    assert p.loc[(_hid(0), 1), "income_wage"] == 3500 and p.loc[(_hid(0), 1), "medical_oop"] == 200
    assert p.loc[(_hid(1), 1), "monitoring_status"] == "monitored"
    assert r.tables["events"]["date"].tolist() == [pd.Timestamp("2023-02-03")]


ENGLISH = ["household_id", "head_name", "id_number", "phone", "town", "village", "household_size",
           "n_labour", "n_elderly", "n_children", "n_disabled", "n_chronic_ill", "head_age", "sex",
           "education", "category", "relocated", "exit year", "year", "quarter", "wage income",
           "operating income", "property income", "transfer income", "production cost",
           "medical total", "medical reimbursed", "medical oop", "disaster loss", "dibao",
           "public welfare job", "disaster type", "housing safe", "water safe", "monitoring type",
           "risk type", "identified date", "eliminated date"]


def test_english_headers_utf16_tab_text_serial_and_dotted_dates(tmp_path):
    pytest.importorskip("python_calamine")
    rows = [row(0, 1), row(0, 2),
            row(1, 1, 识别日期="44960", 监测对象类别="边缘易致贫户", 风险类型="因病"),    # serial 44960 = 2023-02-03
            row(1, 2, 识别日期="2023.2.3", 风险消除日期="2023.06.20", 监测对象类别="边缘易致贫户",
                风险类型="因病")]
    path = _write_csv(tmp_path / "unicode.txt", ENGLISH, rows, encoding="utf-16", sep="\t",
                      title=["Monitoring export (unit: 万元)"])
    r = ingest_files([path], "c", DEMO_KEY)
    assert r.quarantine.empty, r.quarantine
    p = r.tables["panel"].set_index(["household_id", "quarter"])
    # the title line says 万元: 3500.00 -> 35,000,000 yuan
    assert p.loc[(_hid(0), 1), "income_wage"] == 3500 * 10_000
    assert p.loc[(_hid(1), 1), "monitoring_status"] == "monitored"
    assert p.loc[(_hid(1), 2), "monitoring_status"] == "eliminated"
    ev = r.tables["events"].sort_values("date")
    assert ev[["event", "date"]].values.tolist() == [
        ["identified", pd.Timestamp("2023-02-03")], ["eliminated", pd.Timestamp("2023-06-20")]]


def test_gbk_csv_with_totals_notes_and_blank_lines(tmp_path):
    rows = [row(0, 1), [], row(0, 2), row(1, 1), ["合计", "", "", "", "", "", "7"],
            ["填表人：张三  审核：李四"]]
    path = _write_csv(tmp_path / "gbk.csv", HEADER, rows, encoding="gbk",
                      title=["某县监测户收支表"])
    r = ingest_files([path], "c", DEMO_KEY)
    [entry] = r.report["files"]
    # title row 1, header row 2, data rows 3-8: one blank, two not data
    assert (entry["rows_in"], entry["kept"], entry["quarantined"], entry["blank_rows"]) == (5, 3, 2, 1)
    assert set(zip(r.quarantine["row"], r.quarantine["rule"], strict=True)) == {
        (7, "not_a_data_row"), (8, "not_a_data_row")}
    assert np.isin(["张三", "李四"], r.quarantine["value"].to_numpy()).sum() == 0
