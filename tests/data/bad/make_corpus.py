"""Write the corpus of bad inputs (issue 10) into a folder: each file breaks one thing an
export from a county can break. ``tests/test_bad_inputs.py`` builds the corpus in a temporary
folder and states, by hand, what cleaning must do with each file.

    .venv/bin/python tests/data/bad/make_corpus.py tests/data/bad   # refresh the copies here

Everything is deterministic (fixed ID numbers, names and amounts), so the files in this folder
are the ones the test writes.
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl

HEADER = ["户编号", "户主姓名", "证件号码", "联系电话", "乡镇", "村", "家庭人口数", "劳动力人数",
          "老年人数", "儿童人数", "残疾人数", "慢性病人数", "户主年龄", "户主性别", "户主受教育年限",
          "户类型", "是否易地搬迁", "脱贫年度", "年度", "季度", "工资性收入", "生产经营性收入",
          "财产性收入", "转移性收入", "生产经营性支出", "医疗总费用", "医保报销金额", "个人自付",
          "灾害损失", "是否低保", "是否公益岗", "灾害类型", "住房安全", "饮水安全", "监测对象类别",
          "风险类型", "识别日期", "风险消除日期"]
IDS = ["610429196503070015", "610429198005120023", "61042919501120019X"]
"""GB 11643 ID numbers with valid check digits (made by ``relapse_models.data.idcard``)."""
NAMES = ["赵大明", "钱小红", "孙老汉"]
AGES = ["58", "43", "73"]  # in 2023, from the birth dates in IDS
SEXES = ["男", "女", "男"]
PHONES = ["13800001111", "13900002222", "13700003333"]


def row(h: int = 0, quarter: int = 1, **changes: str) -> list[str]:
    """One good household-quarter row of household ``h``; ``changes`` by header."""
    base = dict(zip(HEADER, [
        f"61042900{h + 1:02d}", NAMES[h], IDS[h], PHONES[h], "城关镇", "东村", "3", "2", "1", "0",
        "0", "0", AGES[h], SEXES[h], "9", "脱贫户", "否", "2019", "2023", str(quarter), "3500.00", "1000",
        "0", "500", "200", "1200", "1000", "200", "0", "否", "否", "", "安全", "安全", "", "", "", "",
    ], strict=True))
    base.update(changes)
    return list(base.values())


GOOD = [row(0, 1), row(0, 2), row(1, 1), row(1, 2)]


def _csv(path: Path, rows: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8-sig") -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def _xlsx(path: Path, rows: list[list[object]], header: list[str] = HEADER, title: str = "数据",
          edit: Callable | None = None) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    ws.append(header)
    for r in rows:
        ws.append(r)
    if edit:
        edit(wb, ws)
    wb.save(path)


def _formulas(wb, ws) -> None:
    # row 2: the wage is a formula openpyxl cannot compute (no cached value, as a file
    # written by a script or saved without recalculation); row 3: a formula error value
    ws["U2"] = "=V2*3.5"
    ws["U3"] = "#DIV/0!"


def _merged(wb, ws) -> None:
    # 乡镇 and 村 merged over the household's rows, as county spreadsheets do
    ws.merge_cells("E2:E5")
    ws.merge_cells("F2:F3")
    ws.merge_cells("F4:F5")


def _hidden_data(wb, ws) -> None:
    notes = wb.create_sheet("填表说明", 0)
    notes.append(["本表由村级网格员填写，数据见第二页"])
    wb.active = 0
    ws.sheet_state = "hidden"


def _only_notes(wb, ws) -> None:
    ws.delete_rows(1, ws.max_row)
    ws.append(["填表说明"])
    ws.append(["本表由村级网格员填写"])


def build(out: str | Path) -> list[str]:
    """Write every bad input into ``out``; return the file names."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Callable[[Path], None]] = {
        "empty.csv": lambda p: p.write_bytes(b""),
        "empty.xlsx": lambda p: _xlsx(p, [], header=[]),
        "header_only.csv": lambda p: _csv(p, []),
        "header_only.xlsx": lambda p: _xlsx(p, []),
        "notes_sheet_only.xlsx": lambda p: _xlsx(p, [], edit=_only_notes),
        "data_sheet_hidden.xlsx": lambda p: _xlsx(p, GOOD, edit=_hidden_data),
        "garbage.xlsx": lambda p: p.write_bytes(b"\x00\x01 this is not a spreadsheet \xff\xfe" * 50),
        "csv_renamed.xlsx": lambda p: p.write_bytes(",".join(HEADER).encode("utf-8")),
        "truncated.xlsx": _truncated,
        "not_a_zip_member.xlsx": _zip_without_workbook,
        "mixed_encodings.csv": _mixed_encodings,
        "duplicate_headers.csv": lambda p: _csv(
            p, [[*r, v] for r, v in zip(GOOD, ["3500.00", "3500", "9999", ""], strict=True)],
            header=[*HEADER, "工资性收入"]),
        "formula_cells.xlsx": lambda p: _xlsx(p, GOOD, edit=_formulas),
        "merged_cells.xlsx": lambda p: _xlsx(p, GOOD, edit=_merged),
        "very_long_strings.csv": lambda p: _csv(p, [
            row(0, 1, 村="东" * 100_000), row(0, 2, 户主姓名="赵" * 50_000),
            row(1, 1, 工资性收入="1" * 400), row(1, 2)]),
        "html_in_village.csv": lambda p: _csv(p, [
            row(0, 1, 村="<script>alert('x')</script>东村"), row(0, 2, 村="<script>alert('x')</script>东村"),
            row(1, 1, 乡镇='<img src=x onerror="alert(1)">'), row(1, 2)]),
        "lookalike_digits.csv": lambda p: _csv(p, [
            row(0, 1, 工资性收入="３５００", 证件号码=_fullwidth(IDS[0])),  # full-width: fine
            row(0, 2, 工资性收入="٣٥٠٠"),                 # Arabic-Indic digits
            row(1, 1, 工资性收入="𝟑𝟓𝟎𝟎"),                 # mathematical bold digits
            row(1, 2, 工资性收入="35O0"),                 # a letter O
            row(2, 1, 证件号码=IDS[2][:-1] + "Х"),        # Cyrillic Kha for the check digit X
            row(2, 2, 工资性收入="①"),                    # circled one
        ]),
        "bad_amounts.csv": lambda p: _csv(p, [
            row(0, 1, 工资性收入="-3500"), row(0, 2, 工资性收入="NaN"), row(1, 1, 工资性收入="inf"),
            row(1, 2, 工资性收入="-inf"), row(2, 1, 工资性收入="1e400"), row(2, 2, 工资性收入="(200)")]),
        "bad_dates.csv": lambda p: _csv(p, [
            row(0, 1, 识别日期="2023-02-30", 监测对象类别="边缘易致贫户", 风险类型="因病"),
            row(0, 2, 识别日期="2023-13-01", 监测对象类别="边缘易致贫户", 风险类型="因病"),
            row(1, 1, 识别日期="2099-01-01", 监测对象类别="边缘易致贫户", 风险类型="因病"),
            row(1, 2, 识别日期="1850-01-01", 监测对象类别="边缘易致贫户", 风险类型="因病"),
            row(2, 1, 识别日期="2023-03-01", 监测对象类别="边缘易致贫户", 风险类型="因病"),
            row(2, 2, 识别日期="2023-03-01", 风险消除日期="2023年6月31日", 监测对象类别="边缘易致贫户",
                风险类型="因病")]),
        "conflicting_households.csv": lambda p: _csv(p, [
            *GOOD, row(0, 1, 工资性收入="9999"), row(1, 2)]),
        "no_key_column.csv": lambda p: _csv(
            p, [r[4:] for r in GOOD], header=HEADER[4:]),
    }
    files.update(REAL_EXPORTS)
    for name, write in files.items():
        write(out / name)
    return list(files)


# --- what researchers bring: other file types, partial, annual, monthly and snapshot exports

def _plain(p: Path, header: list[str], rows: list[list[object]], title: list[str] = ()) -> None:
    """A csv with optional title lines above the header."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for line in title:
        w.writerow([line])
    w.writerow(header)
    w.writerows(rows)
    p.write_bytes(buf.getvalue().encode("utf-8-sig"))


def _zip(p: Path, members: dict[str, str]) -> None:
    with zipfile.ZipFile(p, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)


def _book(p: Path, sheets: dict[str, list[list[object]]]) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    wb.save(p)


ANNUAL = ["户编号", "年度", "家庭人口数", "工资性收入", "转移性收入"]
"""A minimal annual export: household, year, size and two income components."""


def _annual_rows(n: int = 3, years=(2022, 2023)) -> list[list[object]]:
    return [[f"H{h}", y, 2, 8000 + 1000 * h, 500] for h in range(n) for y in years]


REAL_EXPORTS: dict[str, Callable[[Path], None]] = {
    # not a spreadsheet at all
    "word_renamed.xlsx": lambda p: _zip(p, {"[Content_Types].xml": "<Types/>",
                                            "word/document.xml": "<w:document/>"}),
    "report.pdf": lambda p: p.write_bytes(b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"),
    "scan.png": lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
    "photo_renamed.xlsx": lambda p: p.write_bytes(b"\xff\xd8\xff\xe0" + b"JFIF" + b"\x00" * 64),
    "exports.zip": lambda p: _zip(p, {"a.csv": "户编号,年度\n", "b.csv": "户编号,年度\n"}),
    "archive_renamed.xls": lambda p: p.write_bytes(b"Rar!\x1a\x07\x00" + b"\x00" * 64),
    "blanks_only.csv": lambda p: p.write_bytes(b"\r\n   \r\n\t\r\n"),
    "bom_only.csv": lambda p: p.write_bytes(b"\xef\xbb\xbf"),
    # required columns missing (all named in one message)
    "no_income.csv": lambda p: _plain(p, ["户编号", "年度", "家庭人口数", "乡镇"],
                                      [["H1", 2022, 2, "城关镇"]]),
    "no_year.csv": lambda p: _plain(p, ["户编号", "家庭人口数", "工资性收入"], [["H1", 2, 8000]]),
    "nothing_required.csv": lambda p: _plain(p, ["乡镇", "村", "家庭人口数", "劳动力人数"],
                                             [["城关镇", "东村", 2, 1]]),
    "two_years_in_title.xlsx": lambda p: _book(p, {"数据": [
        ["2021-2022年监测户收入"], ["户编号", "家庭人口数", "工资性收入"], ["H1", 2, 8000]]}),
    "per_capita_no_size.csv": lambda p: _plain(p, ["户编号", "年度", "人均纯收入"],
                                               [["H1", 2022, 6000]]),
    "mixed_frequencies.xlsx": lambda p: _book(p, {
        "年度": [ANNUAL, *_annual_rows(1)],
        "季度": [["户编号", "年度", "季度", "家庭人口数", "工资性收入"], ["H9", 2022, 1, 2, 2000]]}),
    # partial, annual, monthly and snapshot exports that are read
    "partial_income_only.csv": lambda p: _plain(p, ["户编号", "年度", "工资性收入", "家庭人口数"],
                                                [["H1", 2022, 8000, 2], ["H1", 2023, 8800, 2]]),
    "partial_blank_medical.csv": lambda p: _plain(
        p, [*ANNUAL, "医疗总费用", "个人自付", "是否低保"],
        [["H1", 2022, 2, 8000, 500, "", "", ""], ["H1", 2023, 2, 8000, 500, 3000, 1200, "否"],
         ["H2", 2022, 3, 9000, 0, 100, 100, "是"], ["H2", 2023, 3, 9000, 0, "", "", "否"]]),
    "annual_negative_amount.csv": lambda p: _plain(
        p, ANNUAL, [["H1", 2022, 2, 8000, 500], ["H1", 2023, 2, -8000, 500],
                    ["H2", 2022, 2, 9000, 500]]),
    "annual_conflicting_years.csv": lambda p: _plain(
        p, ANNUAL, [["H1", 2022, 2, 8000, 500], ["H1", 2022, 2, 8500, 500],
                    ["H1", 2023, 2, 9000, 500]]),
    "annual_unknown_risk.csv": lambda p: _plain(
        p, [*ANNUAL, "主要风险"], [["H1", 2022, 2, 8000, 500, "因病返贫"],
                                   ["H1", 2023, 2, 8000, 500, "因天气原因"]]),
    "annual_reimbursed_over_total.csv": lambda p: _plain(
        p, [*ANNUAL, "医疗费用总额", "报销金额"], [["H1", 2022, 2, 8000, 500, 1000, 800],
                                                   ["H1", 2023, 2, 8000, 500, 1000, 1800]]),
    "snapshot_2023.csv": lambda p: _plain(p, ["户编号", "家庭人口数", "工资性收入", "转移性收入"],
                                          [["H1", 2, 8000, 500], ["H2", 3, 9000, 0]]),
    "snapshot_title.xlsx": lambda p: _book(p, {"Sheet1": [
        ["2022年防返贫动态监测户收入情况"], ["单位：元"],
        ["户编号", "家庭人口数", "工资性收入", "转移性收入"], ["H1", 2, 8000, 500]]}),
    "monthly_export.csv": lambda p: _plain(
        p, ["户编号", "年度", "月份", "家庭人口数", "工资性收入"],
        [[f"H{h}", 2023, m, 2, 700] for h in range(2) for m in (1, 2, 3)]),
    "monthly_missing_month.csv": lambda p: _plain(
        p, ["户编号", "年度", "月份", "家庭人口数", "工资性收入"],
        [["H1", 2023, 1, 2, 700], ["H1", 2023, 2, 2, 700], ["H1", 2023, 3, 2, 700],
         ["H2", 2023, 1, 2, 700], ["H2", 2023, 2, 2, 700]]),
    "quarterly_partial_domains.csv": lambda p: _plain(
        p, ["户编号", "年度", "季度", "家庭人口数", "工资性收入", "是否低保"],
        [["H1", 2023, q, 2, 2000, "否"] for q in (1, 2, 3, 4)]),
    "variant_headers_units.csv": lambda p: _plain(
        p, ["户编码", "年份", "家庭人口数(人)", "经营净收入(元)", "财产净收入(元)", "工资性收入（万元）",
            "主要风险"], [["H1", 2022, 2, 3000, 100, 0.8, "因病"], ["H1", 2023, 2, 3100, 100, 0.9, ""]]),
    "wanyuan_title_rows.xlsx": lambda p: _book(p, {"监测数据": [
        ["某县防止返贫监测户收入表（单位：万元）"], ["填报单位：某县", "", "导出时间：2024年1月"],
        ["户编码", "年份", "家庭人口数", "工资性收入合计", "转移净收入"],
        ["H1", 2022, 2, 0.8, 0.05], ["H1", 2023, 2, 0.85, 0.05], ["合计", "", "", 1.65, 0.1]]}),
    "per_capita_income.csv": lambda p: _plain(p, ["户编号", "年度", "家庭人口数", "人均纯收入（元）"],
                                              [["H1", 2022, 3, 6000], ["H1", 2023, 3, 6500]]),
}
"""Exports as researchers bring them (other file types, subsets of the domains, annual,
monthly and yearly snapshot files): ``tests/test_bad_inputs.py`` says what each gives."""


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def _truncated(p: Path) -> None:
    _xlsx(p, GOOD * 50)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])


def _zip_without_workbook(p: Path) -> None:
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("readme.txt", "a zip file, not a workbook")


def _mixed_encodings(p: Path) -> None:
    """Two exports pasted together: the first half UTF-8, the second GBK."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    w.writerows(GOOD[:2])
    first = buf.getvalue().encode("utf-8")
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(GOOD[2:])
    p.write_bytes(first + buf.getvalue().encode("gbk"))


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    print("\n".join(build(target)))
