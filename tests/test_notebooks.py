"""Notebook sources: py:percent with a parameters cell first, no outputs, run by papermill."""

import os
from pathlib import Path

import jupytext
import pytest

from relapse_models.core.config import PROJECT_ROOT
from relapse_models.stages.notebook import (
    KERNEL_NAME,
    NOTEBOOKS_DIR,
    chdir_project_root,
    project_folder,
    run_notebook,
)

SOURCES = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.py"))


def test_the_six_notebooks_exist():
    assert [p.stem for p in SOURCES] == [
        "01_clean", "02_models", "03_thresholds", "04_county_report", "05_comparative_report",
        "06_whatif",
    ]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_parameters_cell_comes_first_among_code_cells(path):
    nb = jupytext.read(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert nb.metadata["kernelspec"]["name"] == KERNEL_NAME
    # defaults are paths relative to the project root, never absolute
    assert "/work/" not in code[0].source and "/home/" not in code[0].source


def test_chdir_project_root_finds_the_project_from_any_folder_below_it(tmp_path, monkeypatch):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text("seed: 1\n")
    (tmp_path / "reports" / "counties").mkdir(parents=True)
    for start in (tmp_path, tmp_path / "reports" / "counties"):
        monkeypatch.chdir(start)
        assert chdir_project_root() == tmp_path.resolve()
        assert Path(os.getcwd()) == tmp_path.resolve()


def test_outside_any_project_the_notebooks_use_the_repository(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert project_folder() == PROJECT_ROOT
    assert project_folder(PROJECT_ROOT / "notebooks") == PROJECT_ROOT


WRITTEN = {
    "01_clean": ["out_dir"],
    "02_models": ["metrics_path", "coefficients_path", "predictions_path", "drivers_path",
                  "models_dir"],
    "03_thresholds": ["table_path", "recommended_path", "detail_dir", "tier_resolution_path"],
    "04_county_report": [],
    "05_comparative_report": [],
    "06_whatif": [],
}
"""The parameters naming what each notebook writes (the rest name what it reads)."""


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_default_parameters_write_only_to_scratch(path):
    """Run by hand, a notebook reads the pipeline's outputs but writes under scratch/."""
    cell = next(c for c in jupytext.read(path).cells
                if "parameters" in c.metadata.get("tags", []))
    defaults: dict = {}
    exec(cell.source, defaults)
    for name in WRITTEN[path.stem]:
        assert defaults[name] == "" or defaults[name].startswith("scratch/"), (name, defaults[name])


def test_failed_notebook_leaves_no_output(tmp_path, monkeypatch):
    import papermill

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "nb" / "01_clean_x.ipynb"
    with pytest.raises(papermill.PapermillExecutionError):
        run_notebook("01_clean", out, {"county": "x", "inputs": ["missing.parquet"]})
    assert not out.exists()
    assert not list(out.parent.glob("*.ipynb"))
