"""A real-style export with only some domains runs through the whole pipeline to its page.

The export is the monitoring system's CSV (Chinese headers, personal data) without any medical
or disaster column: the cleaning report lists both domains as absent, the models fit without
their features, the rule without their triggers, and the county page says what is missing.
"""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
DROPPED = ["医疗总费用", "医保报销金额", "个人自付", "灾害损失", "灾害类型"]


@pytest.fixture(scope="module")
def partial_export(tmp_path_factory, pipeline_environment) -> Path:
    root = tmp_path_factory.mktemp("partial")
    run = subprocess.run(
        [sys.executable, "-m", "relapse_models", "simulate", "--county", "yeji",
         "--profile", str(ROOT / "config" / "counties" / "yeji.yaml"),
         "--config-json", '{"seed": 20240601, "simulate": {"scale": 0.002}, "monitoring": {}}',
         "--raw-dir", "raw", "--truth-dir", "truth", "--messy-dir", str(root / "messy")],
        cwd=root, env=pipeline_environment, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    full = pd.read_csv(root / "messy" / "yeji_收支_utf8.csv", encoding="utf-8-sig", dtype=str)
    assert set(DROPPED) <= set(full.columns)
    out = root / "叶集区收支_部分.csv"
    full.drop(columns=DROPPED).to_csv(out, index=False, encoding="utf-8-sig")
    return out


def test_partial_export_runs_to_its_page_and_the_page_names_what_is_missing(
    partial_export, project_factory, snakemake_runner, tmp_path
):
    project = project_factory(tmp_path / "project", {
        "counties": ["yeji"], "data": {"source": "files", "files": {"yeji": [str(partial_export)]}},
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
