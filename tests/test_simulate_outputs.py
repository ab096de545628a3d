"""The files the pipeline's simulate step writes: byte-identical for a seed, different for
another, and no ground truth in the observable tables."""

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from relapse_models.cli import main
from relapse_models.core.schema import TRUTH_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("households", "panel", "events")


def _run(tmp: Path, seed: int) -> dict[str, bytes]:
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    cfg["seed"] = seed
    cfg["simulate"]["scale"] = 0.02
    raw, truth = tmp / "raw", tmp / "truth"
    rc = main(["simulate", "--county", "xunyi", "--profile", str(ROOT / "config" / "counties" / "xunyi.yaml"),
               "--config-json", json.dumps({k: cfg[k] for k in ("seed", "simulate", "monitoring")}),
               "--raw-dir", str(raw), "--truth-dir", str(truth)])
    assert rc in (0, None)
    files = {t: raw / f"{t}.parquet" for t in TABLES} | {"truth": truth / "truth.parquet"}
    return {k: p.read_bytes() for k, p in files.items()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return {name: (_run(tmp_path_factory.mktemp(name), seed), seed) for name, seed in
            (("a", 11), ("b", 11), ("c", 12))}


def test_same_seed_byte_identical_files(runs):
    (a, _), (b, _) = runs["a"], runs["b"]
    assert a.keys() == b.keys()
    for k in a:
        assert a[k] == b[k], k


def test_other_seed_different_files(runs):
    (a, _), (c, _) = runs["a"], runs["c"]
    for k in a:
        assert a[k] != c[k], k


def test_no_ground_truth_column_in_observable_files(runs, tmp_path):
    a, _ = runs["a"]
    latent = set(TRUTH_COLUMNS) | {"true_prob", "relapse_next_4q", "fall", "kappa", "last_shock", "level"}
    for t in TABLES:
        path = tmp_path / f"{t}.parquet"
        path.write_bytes(a[t])
        cols = set(pd.read_parquet(path).columns)
        assert not latent & cols, (t, latent & cols)
