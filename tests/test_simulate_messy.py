"""Messy exports: the manifest matches the files exactly; IDs valid unless injected."""

import contextlib
import csv
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from openpyxl import load_workbook

from relapse_models.core.profiles import load_profile
from relapse_models.data.idcard import is_valid
from relapse_models.data.simulate import simulate_county, write_messy_exports

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    cfg["simulate"]["scale"] = 0.01
    profile = load_profile(ROOT / "config" / "counties" / "xunyi.yaml")
    sim = simulate_county(profile, cfg, 4)
    out = tmp_path_factory.mktemp("messy")
    manifest = write_messy_exports(sim, profile, out, seed=4, defect_rate=0.01)
    return sim, out, json.loads(manifest.read_text(encoding="utf-8"))


def _rows(path: Path, encoding: str) -> list[list[str]]:
    if path.suffix == ".xlsx":
        ws = load_workbook(path, read_only=True).active
        return [["" if c is None else str(c) for c in r] for r in ws.iter_rows(values_only=True)]
    with open(path, encoding=encoding, newline="") as fh:
        return list(csv.reader(fh))


def test_manifest_matches_files_exactly(exported):
    _, out, manifest = exported
    for f in manifest["files"]:
        rows = _rows(out / f["file"], f["encoding"])
        header = rows[f["header_row"] - 1]
        assert "证件号码" in header and "户编号" in header
        data = rows[f["header_row"]:]
        assert len(data) == f["data_rows"]
        defects = [d for d in manifest["defects"] if d["file"] == f["file"]]
        assert {d["defect"] for d in defects} >= {"duplicate", "bad_check_digit", "negative_amount",
                                                  "non_numeric_amount", "missing_required"}
        for d in defects:
            if d["defect"] == "title_rows":
                assert d["injected"] == f["title_rows"] == f["header_row"] - 1
            elif d["defect"] == "duplicate":
                assert rows[d["row"] - 1] == rows[d["original"] - 1]
            else:
                assert rows[d["row"] - 1][header.index(d["column"])] == d["injected"]
        # nothing else is wrong: every ID not injected passes the checksum, exactly the
        # injected ones fail, and the duplicates are exactly the listed ones
        ids = np.array([r[header.index("证件号码")] for r in data])
        bad = {d["row"] for d in defects if d["defect"] == "bad_check_digit"}
        missing = {d["row"] for d in defects if d["defect"] == "missing_required" and d["column"] == "证件号码"}
        valid = is_valid(ids)
        for i, ok in enumerate(valid):
            row = f["header_row"] + 1 + i
            assert ok == (row not in bad and row not in missing), row
        n_dup = sum(d["defect"] == "duplicate" for d in defects)
        assert len(data) - len({tuple(r) for r in data}) == n_dup


def test_amount_units(exported):
    sim, out, manifest = exported
    f = next(x for x in manifest["files"] if x["unit"] == "万元")
    rows = _rows(out / f["file"], f["encoding"])
    header = rows[f["header_row"] - 1]
    assert "工资性收入(万元)" in header
    col = header.index("工资性收入(万元)")
    values = []
    for r in rows[f["header_row"]:]:
        with contextlib.suppress(ValueError):
            values.append(float(r[col]))
    year = sim.panel[sim.panel["year"] == 2024]  # xunyi reports on 2024
    assert np.median(np.abs(values)) == pytest.approx(year["income_wage"].median() / 1e4, rel=0.05)
