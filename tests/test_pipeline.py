"""The real Snakemake pipeline, every stage, at tiny scale in a temporary project folder.

This is the contract later work and users rely on: the outputs below exist and hold what
they promise, and a second run has nothing to do.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from relapse_models.config import load_config
from relapse_models.report.render import external_references

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "config_tiny.yaml"
COUNTIES = load_config()["counties"]

pytestmark = pytest.mark.integration


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [
            sys.executable, "-m", "snakemake",
            "--snakefile", str(ROOT / "Snakefile"),
            "--directory", str(workdir),
            "--workflow-profile", str(ROOT / "workflow" / "profiles" / "default"),
            "--configfile", str(TINY),
            "--cores", "2",
            *args,
        ],
        capture_output=True, text=True, env=env, timeout=1500,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A researcher's project folder: the config, then one full pipeline run."""
    workdir = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "config", workdir / "config")
    run = snakemake(workdir)
    assert run.returncode == 0, f"pipeline failed:\n{run.stdout[-4000:]}\n{run.stderr[-8000:]}"
    return workdir


def test_contracted_outputs_exist(project):
    expected = [
        "reports/index.html",
        "reports/metrics/models.json",
        "reports/metrics/coefficients.csv",
        "reports/metrics/thresholds.csv",
        "reports/metrics/recommended_thresholds.json",
        "reports/reconciliation.csv",
        *[f"reports/counties/{c}.html" for c in COUNTIES],
        *[f"reports/notebooks/01_clean_{c}.ipynb" for c in COUNTIES],
        "reports/notebooks/02_models.ipynb",
        *[f"reports/notebooks/04_county_report_{c}.ipynb" for c in COUNTIES],
        "reports/notebooks/05_comparative_report.ipynb",
    ]
    missing = [p for p in expected if not (project / p).is_file()]
    assert not missing


def test_every_rule_left_a_log_and_a_benchmark(project):
    logs = {p.parent.name for p in (project / "reports" / "logs").rglob("*.log")}
    benchmarks = {p.parent.name for p in (project / "reports" / "benchmarks").rglob("*.tsv")}
    rules = {"simulate", "clean", "features", "fit", "thresholds", "reconcile",
             "county_report", "comparative_report"}
    assert rules <= logs
    assert rules <= benchmarks


def test_reconciliation_has_the_contracted_columns(project):
    recon = pd.read_csv(project / "reports" / "reconciliation.csv", encoding="utf-8-sig")
    assert list(recon.columns[:7]) == [
        "county_id", "indicator", "unit", "published", "computed", "rel_diff", "source"
    ]
    assert set(recon["county_id"]) == set(COUNTIES)
    assert recon["computed"].notna().all()


def test_model_metrics_cover_every_county_and_model(project):
    metrics = json.loads((project / "reports" / "metrics" / "models.json").read_text())
    oot = metrics["out_of_time"]
    assert {"pooled", *COUNTIES} <= set(oot)
    for model in ("rule", "logit", "gbm"):
        auc = oot["pooled"][model]["auc"]
        assert 0.5 < auc <= 1.0, (model, auc)
        assert oot["pooled"][model]["auc_ci"][0] <= auc <= oot["pooled"][model]["auc_ci"][1]


def test_threshold_outputs_cover_every_county(project):
    table = pd.read_csv(project / "reports" / "metrics" / "thresholds.csv", encoding="utf-8-sig")
    for column in ("county_id", "score", "threshold", "flagged_n", "flagged_share", "recall",
                   "precision", "lead_time_median", "false_alarms_per_case"):
        assert column in table.columns
    assert set(table["county_id"]) == set(COUNTIES)
    recommended = json.loads(
        (project / "reports" / "metrics" / "recommended_thresholds.json").read_text()
    )
    assert set(recommended) == set(COUNTIES)


def test_reports_are_self_contained_chinese_with_provenance(project):
    pages = [project / "reports" / "index.html"]
    pages += [project / "reports" / "counties" / f"{c}.html" for c in COUNTIES]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert '<html lang="zh">' in html
        assert not external_references(html), page
        assert "import relapse_models" not in html, f"input code leaked into {page}"
        assert "config hash" in html.lower() or "配置哈希" in html
        assert "data:image/png;base64" in html, f"no embedded figure in {page}"


def test_second_run_has_nothing_to_do(project):
    dry = snakemake(project, "-n")
    assert dry.returncode == 0
    assert "Nothing to be done" in dry.stdout + dry.stderr


def test_bad_config_key_stops_before_any_job(tmp_path):
    shutil.copytree(ROOT / "config", tmp_path / "config")
    run = snakemake(tmp_path, "-n", "--config", "seeed=1")
    assert run.returncode != 0
    assert "seeed" in run.stdout + run.stderr
    assert not (tmp_path / "data").exists()
