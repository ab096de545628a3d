"""Reproducibility: one config gives the same bytes; another seed gives other numbers.

The two full runs compared are the session's integration run and the run that was killed
twice and resumed (tests/conftest.py): same config, different history, same outputs. The
seed checks run one county only (simulate, clean, features), which is where a seed acts.
"""

from __future__ import annotations

import pytest

from relapse_models.core.config import load_config
from relapse_models.core.io import read_parquet

pytestmark = pytest.mark.integration

COUNTY = "anshun"
TABLES = [
    f"data/raw/{COUNTY}/panel.parquet",
    f"data/raw/{COUNTY}/households.parquet",
    f"data/truth/{COUNTY}/truth.parquet",
    f"data/interim/{COUNTY}/panel.parquet",
    f"data/processed/{COUNTY}/features.parquet",
]


def test_two_runs_with_one_config_give_identical_outputs(
    pipeline_project, interrupted_project, compare_outputs
):
    assert compare_outputs(pipeline_project, interrupted_project.workdir) == []


def test_compared_outputs_cover_tables_metrics_and_pages(pipeline_project, outputs_compared):
    """The comparison above is not vacuous: it covers every kind of output."""
    files = outputs_compared(pipeline_project)
    for expected in ("data/processed/models/predictions.parquet", "reports/metrics/models.json",
                     f"data/processed/models/{COUNTY}/predictions.parquet",
                     f"reports/metrics/models/{COUNTY}.json",
                     f"reports/metrics/coefficients/{COUNTY}.csv",
                     "reports/metrics/thresholds.csv", "reports/reconciliation.csv",
                     "reports/index.html", f"data/interim/{COUNTY}/panel.parquet"):
        assert expected in files


def test_a_page_differing_in_one_number_is_caught(tmp_path, pipeline_project, compare_outputs):
    """The run-date blanking hides dates only, not numbers."""
    import shutil

    for name in ("a", "b"):
        (tmp_path / name / "reports").mkdir(parents=True)
        shutil.copy(pipeline_project / "reports" / "index.html", tmp_path / name / "reports")
    page = tmp_path / "b" / "reports" / "index.html"
    html = page.read_text(encoding="utf-8")
    assert compare_outputs(tmp_path / "a", tmp_path / "b") == []
    page.write_text(html.replace("</html>", "<p>0.1</p></html>"), encoding="utf-8")
    assert compare_outputs(tmp_path / "a", tmp_path / "b") == ["differs: reports/index.html"]


def _one_county(tmp_path, project_factory, snakemake_runner, seed):
    workdir = project_factory(tmp_path, {"seed": seed})
    run = snakemake_runner(workdir, f"data/processed/{COUNTY}/features.parquet")
    assert run.returncode == 0, run.stderr[-4000:]
    return workdir


def test_same_seed_reproduces_a_county_whatever_else_runs(
    tmp_path, pipeline_project, project_factory, snakemake_runner
):
    """A county's tables depend on the seed and its own profile only: built alone in a new
    folder they are byte-identical to those of the full run."""
    workdir = _one_county(tmp_path, project_factory, snakemake_runner, load_config()["seed"])
    for rel in TABLES:
        assert (workdir / rel).read_bytes() == (pipeline_project / rel).read_bytes(), rel


def test_another_seed_changes_the_data(
    tmp_path, pipeline_project, project_factory, snakemake_runner
):
    workdir = _one_county(tmp_path, project_factory, snakemake_runner, load_config()["seed"] + 1)
    for rel in TABLES:
        assert (workdir / rel).read_bytes() != (pipeline_project / rel).read_bytes(), rel
    ours = read_parquet(workdir / TABLES[0])
    theirs = read_parquet(pipeline_project / TABLES[0])
    # not a reordering: the simulated incomes themselves differ
    assert not ours["income_wage"].sort_values().reset_index(drop=True).equals(
        theirs["income_wage"].sort_values().reset_index(drop=True)
    )


def test_executed_notebooks_get_numbered_cell_ids(tmp_path):
    """jupytext and papermill draw random cell ids; numbered ones keep pages reproducible."""
    import nbformat

    from relapse_models.stages.notebook import stable_cell_ids

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 标题"), nbformat.v4.new_code_cell("x = 1")]
    assert nb.cells[0]["id"] != "cell-0"  # random, as jupytext and papermill make them
    nbformat.write(nb, tmp_path / "a.ipynb")
    stable_cell_ids(tmp_path / "a.ipynb")
    out = nbformat.read(tmp_path / "a.ipynb", as_version=4)
    assert [c["id"] for c in out.cells] == ["cell-0", "cell-1"]
    assert [c["source"] for c in out.cells] == ["# 标题", "x = 1"]
