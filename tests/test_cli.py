"""The command line: what Snakemake rules call, and clear errors for users."""

import json
import subprocess
import sys

import pandas as pd

from relapse_models.cli import main


def test_version_runs_as_console_script():
    out = subprocess.run(
        [sys.executable, "-m", "relapse_models.cli", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert out.stdout.startswith("relapse-models ")


def test_combine_concatenates_csv_and_merges_json(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    pd.DataFrame({"county_id": ["x"], "v": [1]}).to_csv(a, index=False)
    pd.DataFrame({"county_id": ["y"], "v": [2]}).to_csv(b, index=False)
    ja, jb = tmp_path / "a.json", tmp_path / "b.json"
    ja.write_text(json.dumps({"x": {"k": 1}}))
    jb.write_text(json.dumps({"y": {"k": 2}}))
    code = main([
        "combine", "--csv", str(a), str(b), "--csv-out", str(tmp_path / "all.csv"),
        "--json", str(ja), str(jb), "--json-out", str(tmp_path / "all.json"),
    ])
    assert code == 0
    combined = pd.read_csv(tmp_path / "all.csv", encoding="utf-8-sig")
    assert combined["county_id"].tolist() == ["x", "y"]
    assert json.loads((tmp_path / "all.json").read_text()) == {"x": {"k": 1}, "y": {"k": 2}}


def test_bad_config_json_is_one_clear_line(tmp_path, capsys):
    code = main([
        "features", "--county", "x", "--profile", "p.yaml", "--interim-dir", str(tmp_path),
        "--out", str(tmp_path / "f.parquet"), "--config-json", '{"simulate": {"scale": -2}}',
    ])
    assert code == 2
    err = capsys.readouterr().err
    assert "simulate.scale" in err
    assert "Traceback" not in err


def test_missing_notebook_lists_the_known_ones(tmp_path, capsys):
    code = main(["notebook", "99_nope", str(tmp_path / "x.ipynb")])
    assert code == 2
    assert "01_clean" in capsys.readouterr().err
