"""The real Snakemake pipeline, every stage, at tiny scale in a temporary project folder.

This is the contract later work and users rely on: the outputs below exist and hold what
they promise, and a second run has nothing to do.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from relapse_models.core import paths
from relapse_models.core.config import load_config
from relapse_models.report.render import external_references
from relapse_models.warning.whatif import OUTCOMES

ROOT = Path(__file__).resolve().parents[1]
COUNTIES = load_config()["counties"]

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def project(pipeline_project) -> Path:
    """The session's tiny full run (tests/conftest.py: ``pipeline_project``)."""
    return pipeline_project


@pytest.fixture(scope="module")
def snakemake(snakemake_runner):
    return snakemake_runner


def test_contracted_outputs_exist(project):
    expected = [
        "reports/index.html",
        "reports/metrics/models.json",
        "reports/metrics/coefficients.csv",
        "reports/metrics/drivers.csv",
        "data/processed/models/predictions.parquet",
        *[f"reports/metrics/models/{c}.json" for c in COUNTIES],
        *[f"reports/metrics/coefficients/{c}.csv" for c in COUNTIES],
        *[f"reports/metrics/calibration/{c}.json" for c in COUNTIES],
        *[f"data/processed/models/{c}/predictions.parquet" for c in COUNTIES],
        "reports/metrics/thresholds.csv",
        "reports/metrics/recommended_thresholds.json",
        "reports/reconciliation.csv",
        *[f"reports/counties/{c}.html" for c in COUNTIES],
        *[f"reports/notebooks/01_clean_{c}.ipynb" for c in COUNTIES],
        "reports/notebooks/02_models.ipynb",
        *[f"reports/notebooks/02_models_{c}.ipynb" for c in COUNTIES],
        *[f"reports/notebooks/04_county_report_{c}.ipynb" for c in COUNTIES],
        "reports/notebooks/05_comparative_report.ipynb",
        *[f"reports/metrics/robustness/{n}.csv" for n in ("metrics", "comparisons", "findings")],
        *[f"reports/metrics/drift/{n}" for n in ("years.csv", "psi.csv", "recalibration.csv",
                                                 "drift.json")],
        *[f"reports/metrics/drift_county/{c}/{n}" for c in COUNTIES
          for n in ("years.csv", "psi.csv", "recalibration.csv", "drift.json")],
        "reports/whatif.html",
        "reports/notebooks/06_whatif.ipynb",
        *[f"reports/metrics/whatif/{n}.csv" for n in ("results", "summary")],
    ]
    missing = [p for p in expected if not (project / p).is_file()]
    assert not missing


def test_every_rule_left_a_log_and_a_benchmark(project):
    logs = {p.parent.name for p in (project / "reports" / "logs").rglob("*.log")}
    benchmarks = {p.parent.name for p in (project / "reports" / "benchmarks").rglob("*.tsv")}
    rules = {"simulate", "clean", "features", "fit_county", "fit_loco", "fit", "thresholds",
             "county_report", "comparative_report", "robustness", "drift", "drift_county", "whatif",
             "whatif_report"}
    assert rules <= logs
    assert rules <= benchmarks


def test_reconciliation_has_the_contracted_columns(project):
    recon = pd.read_csv(project / "reports" / "reconciliation.csv", encoding="utf-8-sig")
    assert list(recon.columns[:7]) == [
        "county_id", "indicator", "unit", "published", "computed", "rel_diff", "source"
    ]
    assert set(recon["county_id"]) == set(COUNTIES)
    # every figure has a value, except a guard whose rate is undefined (nobody yet identified
    # in a tiny county's first year: no elimination rate), which says so
    undefined = recon["computed"].isna() & (recon["indicator"] != "calibration_warning")
    assert recon.loc[undefined, "source"].str.startswith("undefined").all()
    # every simulated year of every county passed its guards (or was accepted), on record
    guards = recon[recon["indicator"].str.startswith("guard.")]
    assert len(guards) == 3 * 5 * len(COUNTIES)
    assert guards["source"].str.startswith(("pass", "accepted", "undefined")).all()


def test_model_metrics_cover_every_county_and_model(project):
    metrics = json.loads((project / "reports" / "metrics" / "models.json").read_text())
    oot = metrics["out_of_time"]
    assert {"pooled", *COUNTIES} <= set(oot)
    for model in ("rule", "income_ratio", "logit", "gbm"):
        result = oot["pooled"][model]
        auc, (low, high) = result["auc"], result["auc_ci"]
        assert 0.5 < auc <= 1.0, (model, auc)
        if low is None:  # the tiny run has few villages: withheld, and the reason says so
            assert "cluster" in result["ci_withheld"], (model, result)
        else:
            assert low <= auc <= high, (model, result)


def test_each_county_has_its_own_lean_fit_on_its_own_test_rows(project):
    """fit_county: out of time on the county's files alone (no leave-one-county-out, no
    drivers), scored on exactly the rows the pooled fit scores for that county (the same
    split: the at-risk household-quarters of the test year), with the same true risk."""
    from relapse_models.core.io import read_parquet

    pooled = read_parquet(project / "data" / "processed" / "models" / "predictions.parquet")
    keys = ["household_id", "year", "quarter"]
    for county in COUNTIES:
        metrics = json.loads(
            (project / "reports" / "metrics" / "models" / f"{county}.json").read_text()
        )
        assert "leave_one_county_out" not in metrics
        assert set(metrics["out_of_time"]) == {"pooled", county}
        scored = set(metrics["out_of_time"][county])
        assert {"rule", "income_ratio", "oracle"} <= scored
        for name in ("logit", "gbm"):  # a tiny county may leave too few cases: said, not hidden
            assert name in scored or metrics["fits"][name]["reason"], (county, name)
        own = read_parquet(
            project / "data" / "processed" / "models" / county / "predictions.parquet"
        )
        theirs = pooled[pooled["county_id"] == county]
        assert set(own["county_id"]) == {county}
        assert len(own) == len(theirs) == metrics["n_test"]
        merged = own[[*keys, "relapse", "true_prob"]].merge(
            theirs[[*keys, "relapse", "true_prob"]], on=keys, validate="one_to_one"
        )
        assert len(merged) == len(own)
        assert (merged["relapse_x"] == merged["relapse_y"]).all()
        assert (merged["true_prob_x"] == merged["true_prob_y"]).all()
    assert not list((project / "reports" / "metrics" / "models").glob("drivers*"))


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
        assert "config hash" in html.lower() or "配置指纹" in html
        assert "data:image/png;base64" in html, f"no embedded figure in {page}"


def test_second_run_has_nothing_to_do(project, snakemake):
    dry = snakemake(project, "-n")
    assert dry.returncode == 0
    assert "Nothing to be done" in dry.stdout + dry.stderr


# Refused by the Snakefile itself (workflow/rules/common.smk), before any job: the message
# names the key. The full table of invalid configs is in tests/test_config.py.
@pytest.mark.parametrize(
    ("overrides", "config_args", "named"),
    [
        ({}, ["seeed=1"], "seeed"),
        ({"seed": "abc"}, [], "seed: 'abc' is not of type 'integer'"),
        ({"counties": ["nowhere"]}, [], "counties: no profile for ['nowhere']"),
        ({"models": {"train_until_year": 2030}}, [], "models.train_until_year (2030)"),
    ],
    ids=["unknown key on the command line", "wrong type", "missing profile", "bad year range"],
)
def test_bad_config_stops_before_any_job(
    tmp_path, snakemake, project_factory, overrides, config_args, named
):
    project_factory(tmp_path, overrides)
    run = snakemake(tmp_path, *(["--config", *config_args] if config_args else []))
    assert run.returncode != 0
    assert named in run.stdout + run.stderr
    assert not (tmp_path / "data").exists() and not (tmp_path / "reports").exists()


def test_slurm_profile_plans_the_same_jobs(project, snakemake):
    """The cluster profile parses and plans (a dry run submits nothing)."""
    dry = snakemake(
        project, "-n", "--forceall",
        "--workflow-profile", str(ROOT / "workflow" / "profiles" / "slurm"),
    )
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert "simulate" in dry.stdout and "comparative_report" in dry.stdout


def test_each_held_out_fit_depends_on_one_file_whatever_the_counties(project, snakemake):
    """Every held-out fit reads all counties through the one pooled-inputs file: with an input
    per county in each of n jobs, the DAG grew as n**2 (minutes for 1,000 counties)."""
    import re

    dry = snakemake(project, "-n", "--forceall")
    assert dry.returncode == 0, dry.stderr[-3000:]
    inputs = re.findall(r"^rule fit_loco:\n\s+input: (.*)$", dry.stdout, flags=re.M)
    assert inputs == [paths.POOLED_INPUTS] * len(COUNTIES)


NOTEBOOKS = ["01_clean", "02_models", "03_thresholds", "04_county_report",
             "05_comparative_report", "06_whatif"]


def test_notebooks_run_by_hand_leave_the_pipeline_outputs_alone(
    project, snakemake, compare_outputs, tmp_path
):
    """After a run, every notebook executed with its default parameters, as a researcher
    opens it (from notebooks/ or another folder of the project): it reads the run's outputs,
    writes only under scratch/, and Snakemake still has nothing to do."""
    import shutil

    import papermill

    from relapse_models.stages.notebook import KERNEL_NAME, ensure_kernel, notebook_source

    copy = tmp_path / "project"
    shutil.copytree(project, copy, symlinks=True, ignore=shutil.ignore_patterns("locks"))
    (copy / "notebooks").mkdir()
    ensure_kernel()
    import jupytext

    for number, name in enumerate(NOTEBOOKS):
        source = tmp_path / f"{name}.ipynb"
        jupytext.write(jupytext.read(notebook_source(name)), source, fmt="ipynb")
        start = copy / ("notebooks" if number % 2 else "reports")
        papermill.execute_notebook(
            str(source), str(tmp_path / f"{name}.out.ipynb"), kernel_name=KERNEL_NAME,
            cwd=str(start), progress_bar=False,
        )
    written = sorted(p.relative_to(copy).as_posix() for p in (copy / "scratch").rglob("*.*"))
    assert "scratch/metrics/models.json" in written
    assert "scratch/metrics/thresholds/shangluo.csv" in written
    assert "scratch/interim/shangluo/panel.parquet" in written
    assert compare_outputs(project, copy) == []
    dry = snakemake(copy, "-n")
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert "Nothing to be done" in dry.stdout + dry.stderr, dry.stdout[-3000:]


def test_the_whatif_page_is_its_notebook_chinese_first(project):
    """Notebook 06_whatif on the stage's tables: the intro, the figure with its alt text, the
    results, calibration notes (a table when a simulation missed a target, else a sentence),
    scenarios and levers tables, the limits; the stage itself writes no page."""
    from relapse_models.report.whatif import calibration_notes_table
    from relapse_models.report.words import t

    page = (project / "reports" / "whatif.html").read_text(encoding="utf-8")
    assert "政策情景模拟" in page and "个随机种子" in page and "局限" in page
    scenarios = load_config()["whatif"]["scenarios"]  # the tiny config keeps the default's
    assert page.count("<img") == 1 and f'alt="{len(scenarios)}个情景在{len(OUTCOMES)}项指标上' in page
    results = pd.read_csv(project / paths.WHATIF_RESULTS, encoding="utf-8-sig")
    assert t("whatif_calibration", "zh") in page
    if calibration_notes_table(results).empty:
        assert page.count("<table") == 3 and t("whatif_calibration_ok", "zh") in page
    else:
        assert page.count("<table") == 4 and t("caption_whatif_calibration", "zh") in page
    assert all(name in page for name in scenarios)
    assert "visit_averted_share" in page and "tier_visits_per_month" in page
    assert not list((project / "reports" / "metrics" / "whatif").glob("*.html"))


def test_drift_tables_follow_the_rule(project):
    from relapse_models.models import model_inputs

    drift_dir = project / "reports" / "metrics" / "drift"
    summary = json.loads((drift_dir / "drift.json").read_text(encoding="utf-8"))
    years = pd.read_csv(drift_dir / "years.csv", encoding="utf-8-sig")
    psi = pd.read_csv(drift_dir / "psi.csv", encoding="utf-8-sig")
    assert sorted(set(years["year"])) == summary["later_years"]
    assert min(summary["later_years"]) > summary["train_until_year"]
    assert {"pooled", *COUNTIES} == set(years["scope"].astype(str))
    assert (psi["flagged"] == ((psi["psi"] > summary["psi_threshold"]) & ~psi["calendar"])).all()
    assert set(years["action"]) <= {"keep", "recalibrate", "refit"}
    for r in years.itertuples():   # a score's flagged inputs are its own
        flagged = set(r.flagged_inputs.split(";")) if isinstance(r.flagged_inputs, str) else set()
        assert flagged <= set(model_inputs(r.model)), (r.model, flagged)
        assert (r.action == "refit" and r.reason == "psi") == bool(flagged)


def test_county_pages_follow_their_own_models_over_time_and_the_index_links_the_whatif(project):
    index = (project / "reports" / "index.html").read_text(encoding="utf-8")
    assert 'href="whatif.html"' in index
    for county in COUNTIES:
        years = pd.read_csv(project / "reports" / "metrics" / "drift_county" / county
                            / "years.csv", encoding="utf-8-sig")
        scopes = set(years["scope"].astype(str))
        assert county in scopes and scopes <= {county, "pooled"}   # its own rows only
        page = (project / "reports" / "counties" / f"{county}.html").read_text(encoding="utf-8")
        assert "模型随时间的稳定性" in page
