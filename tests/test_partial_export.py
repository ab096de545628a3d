"""A real-style export with only some domains runs through the whole pipeline to its page.

The export is the monitoring system's files (a workbook of one year with a title row and amounts
in 万元, a CSV of the other years in yuan; Chinese headers, personal data) without any medical or
disaster column, read with no mapping written for it: the cleaning report lists both domains as absent, the models fit without
their features, the rule without their triggers, and the county page says what is missing.
"""

import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
DROPPED = ["医疗总费用", "医保报销金额", "个人自付", "灾害损失", "灾害类型"]


@pytest.fixture(scope="module")
def partial_export(tmp_path_factory, pipeline_environment) -> list[str]:
    root = tmp_path_factory.mktemp("partial")
    run = subprocess.run(
        [sys.executable, "-m", "relapse_models", "simulate", "--county", "yeji",
         "--profile", str(ROOT / "config" / "counties" / "yeji.yaml"),
         "--config-json", '{"seed": 20240601, "simulate": {"scale": 0.002}, "monitoring": {}}',
         "--raw-dir", "raw", "--truth-dir", "truth", "--messy-dir", str(root / "messy")],
        cwd=root, env=pipeline_environment, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    book = openpyxl.load_workbook(root / "messy" / "yeji_收支.xlsx")
    sheet = book.active
    header_row = next(r for r in sheet.iter_rows(min_row=1, max_row=5)
                      if any(c.value == "户编号" for c in r))
    drop = [c.column for c in header_row if str(c.value).split("(")[0] in DROPPED]
    assert len(drop) == len(DROPPED)
    for col in sorted(drop, reverse=True):
        sheet.delete_cols(col)
    book.save(root / "叶集区收支_部分.xlsx")
    year_col = [c.value for c in header_row].index("年度")
    book_years = {int(r[year_col]) for r in sheet.iter_rows(min_row=header_row[0].row + 1,
                                                             values_only=True)
                  if r[year_col] is not None}
    csv = pd.read_csv(root / "messy" / "yeji_收支_utf8.csv", encoding="utf-8-sig", dtype=str)
    csv = csv[~pd.to_numeric(csv["年度"], errors="coerce").isin(book_years)]  # defects stay in
    assert book_years and csv["年度"].nunique() >= 3
    csv.drop(columns=DROPPED).to_csv(root / "叶集区收支_部分.csv", index=False, encoding="utf-8-sig")
    return [str(root / "叶集区收支_部分.xlsx"), str(root / "叶集区收支_部分.csv")]


def test_partial_export_runs_to_its_page_and_the_page_names_what_is_missing(
    partial_export, project_factory, snakemake_runner, tmp_path
):
    project = project_factory(tmp_path / "project", {
        "counties": ["yeji"], "data": {"source": "files", "files": {"yeji": partial_export}},
    })
    run = snakemake_runner(project, "reports/counties/yeji.html")
    assert run.returncode == 0, run.stderr[-6000:]
    cleaning = pd.read_json(project / "data" / "interim" / "yeji" / "cleaning_report.json",
                            typ="series")
    assert {"medical", "disaster"} <= set(cleaning["domains_absent"])
    panel = pd.read_parquet(project / "data" / "interim" / "yeji" / "panel.parquet")
    assert not {"medical_oop", "medical_total", "disaster_loss"} & set(panel.columns)
    page = (project / "reports" / "counties" / "yeji.html").read_text(encoding="utf-8")
    assert "导出数据中没有以下内容" in page and "医疗费用" in page and "灾害损失" in page
    assert "合成" not in page.split("data-statement", 1)[1][:400]
