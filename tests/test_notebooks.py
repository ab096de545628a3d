"""Notebook sources: py:percent with a parameters cell first, no outputs, run by papermill."""

import os
from pathlib import Path

import jupytext
import pytest

from relapse_models.stages.notebook import (
    KERNEL_NAME,
    NOTEBOOKS_DIR,
    chdir_project_root,
    run_notebook,
)

SOURCES = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.py"))


def test_the_five_notebooks_exist():
    assert [p.stem for p in SOURCES] == [
        "01_clean", "02_models", "03_thresholds", "04_county_report", "05_comparative_report"
    ]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_parameters_cell_comes_first_among_code_cells(path):
    nb = jupytext.read(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert nb.metadata["kernelspec"]["name"] == KERNEL_NAME
    # defaults are paths relative to the project root, never absolute
    assert "/work/" not in code[0].source and "/home/" not in code[0].source


def test_chdir_project_root_from_notebooks_folder(tmp_path, monkeypatch):
    (tmp_path / "config").mkdir()
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    assert chdir_project_root() == tmp_path
    assert Path(os.getcwd()) == tmp_path


def test_failed_notebook_leaves_no_output(tmp_path, monkeypatch):
    import papermill

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "nb" / "01_clean_x.ipynb"
    with pytest.raises(papermill.PapermillExecutionError):
        run_notebook("01_clean", out, {"county": "x", "inputs": ["missing.parquet"]})
    assert not out.exists()
    assert not list(out.parent.glob("*.ipynb"))
