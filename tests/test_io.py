"""Atomic, reproducible writers."""

import json

import pandas as pd
import pytest

from relapse_models.core.io import (
    atomic_path,
    read_parquet,
    write_csv,
    write_json,
    write_parquet,
    write_text,
)


def test_parquet_round_trip_and_byte_identical(tmp_path):
    df = pd.DataFrame({"a": [1, 2], "b": ["商洛", "安顺"], "c": [0.5, None]})
    write_parquet(df, tmp_path / "x.parquet")
    write_parquet(df, tmp_path / "y.parquet")
    pd.testing.assert_frame_equal(read_parquet(tmp_path / "x.parquet"), df)
    assert (tmp_path / "x.parquet").read_bytes() == (tmp_path / "y.parquet").read_bytes()


def test_failed_write_leaves_no_file(tmp_path):
    target = tmp_path / "out" / "result.json"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_failed_write_keeps_previous_version(tmp_path):
    target = tmp_path / "r.txt"
    write_text("old", target)
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("new")
        raise RuntimeError
    assert target.read_text() == "old"


def test_json_keeps_chinese_and_numpy_scalars(tmp_path):
    import numpy as np

    write_json({"县": "旬邑", "n": np.int64(3), "x": np.float64(0.5)}, tmp_path / "a.json")
    text = (tmp_path / "a.json").read_text(encoding="utf-8")
    assert "旬邑" in text
    assert json.loads(text) == {"县": "旬邑", "n": 3, "x": 0.5}


def test_csv_has_bom_for_excel(tmp_path):
    write_csv(pd.DataFrame({"县": ["叶集"]}), tmp_path / "a.csv")
    raw = (tmp_path / "a.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert pd.read_csv(tmp_path / "a.csv", encoding="utf-8-sig")["县"].tolist() == ["叶集"]


def test_json_writes_nan_as_null(tmp_path):
    import numpy as np

    write_json({"auc": float("nan"), "ci": [np.float64("inf"), 0.5]}, tmp_path / "m.json")
    assert json.loads((tmp_path / "m.json").read_text()) == {"auc": None, "ci": [None, 0.5]}


def test_outputs_get_the_usual_permissions(tmp_path):
    import os
    import stat

    write_text("x", tmp_path / "a.html")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "a.html").stat().st_mode) == 0o666 & ~umask


def test_floats_written_to_twelve_significant_digits(tmp_path):
    """0.1 + 0.2 is 0.30000000000000004 in binary; outputs carry 0.3, and no 17-digit run of
    float noise (which a privacy scan reads as an ID number) reaches a report file."""
    import re

    from relapse_models.core.io import write_csv, write_json

    values = [0.1 + 0.2, 0.010871638374976067, 1234.5, 7.0]
    write_csv(pd.DataFrame({"x": values}), tmp_path / "a.csv")
    mixed = pd.DataFrame({"y": pd.Series([0.1 + 0.2, "n/a"], dtype=object)})
    write_csv(mixed, tmp_path / "b.csv")  # an object column: float_format does not reach it
    assert (tmp_path / "b.csv").read_text(encoding="utf-8-sig").split("\n")[1:3] == ["0.3", "n/a"]
    write_json({"x": values}, tmp_path / "a.json")
    csv = (tmp_path / "a.csv").read_text(encoding="utf-8-sig")
    assert csv.split("\n")[1:5] == ["0.3", "0.010871638375", "1234.5", "7"]
    assert json.loads((tmp_path / "a.json").read_text())["x"] == [0.3, 0.010871638375, 1234.5, 7.0]
    for text in (csv, (tmp_path / "a.json").read_text()):
        assert not re.search(r"\d{17}", text)


def test_optional_columns_are_read_when_present(tmp_path):
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    write_parquet(df, tmp_path / "x.parquet")
    got = read_parquet(tmp_path / "x.parquet", columns=["a"], optional=["b", "not_there"])
    assert list(got.columns) == ["a", "b"]
    assert list(read_parquet(tmp_path / "x.parquet", columns=["a"], optional=["c"]).columns) == ["a"]
