"""Shared pytest fixtures."""

from __future__ import annotations

# ===========================================================================================
# BEGIN fixtures for labels / features / models / evaluate / thresholds (scientific core)
# Hand-made tables that validate against relapse_models.core.schema; every number in the tests of
# the scientific core is derived by hand from these. Do not change values without redoing the
# hand computations in tests/test_labels.py and tests/test_features.py.
# ===========================================================================================
import numpy as np
import pandas as pd
import pytest

TINY_LINES: dict[int, float] = {2021: 6000.0, 2022: 6000.0, 2023: 7000.0}


def make_tiny_tables() -> dict[str, pd.DataFrame]:
    """Four households, one county, two towns/villages, 2021Q1-2023Q4, household size 2.

    - A (v1): wage 4000 per quarter, 0 in 2022Q3 and 2022Q4; OOP medical 2000 in 2022Q4.
    - B (v1): wage 3500 + transfer 500 per quarter; identified 2022-05-10 (2022Q2),
      eliminated 2022-11-20 (2022Q4); monitored in 2022Q2-Q3, eliminated afterwards.
    - C (v2): wage 4000 per quarter; the 2022Q2 row is missing (a gap).
    - D (v2): wage 3250 per quarter (6500 per person per year: above the 2021-22 line of 6000,
      below the 2023 line of 7000); flood loss 1000 in 2022Q1.
    """
    households = pd.DataFrame(
        {
            "household_id": ["A", "B", "C", "D"],
            "county_id": "c1",
            "town_id": ["t1", "t1", "t2", "t2"],
            "village_id": ["v1", "v1", "v2", "v2"],
            "household_size": [2, 2, 2, 2],
            "n_labour": [2, 1, 2, 0],
            "n_elderly": [0, 1, 0, 2],
            "n_children": [0, 0, 0, 0],
            "n_disabled": [0, 0, 0, 1],
            "n_chronic_ill": [0, 1, 0, 0],
            "head_age": [45, 62, 50, 75],
            "head_sex": ["M", "M", "F", "M"],
            "head_education_years": [9, 6, 6, 0],
            "category": ["poverty_alleviated", "general", "poverty_alleviated", "general"],
            "relocated": [False, False, True, False],
            "poverty_exit_year": pd.array([2019, None, 2020, None], dtype="Int64"),
        }
    )
    quarters = [(y, q) for y in (2021, 2022, 2023) for q in (1, 2, 3, 4)]
    rows = []
    for hid, vid in zip("ABCD", ["v1", "v1", "v2", "v2"], strict=True):
        for y, q in quarters:
            if hid == "C" and (y, q) == (2022, 2):
                continue
            row = {
                "household_id": hid, "county_id": "c1", "village_id": vid, "year": y,
                "quarter": q, "income_wage": 4000.0, "income_operating": 0.0,
                "income_property": 0.0, "income_transfer": 0.0, "production_cost": 0.0,
                "dibao": False, "public_welfare_job": False, "medical_total": 0.0,
                "medical_reimbursed": 0.0, "medical_oop": 0.0, "disaster_type": None,
                "disaster_loss": 0.0, "housing_safe": True, "water_safe": True,
                "monitoring_status": "none", "monitoring_type": None, "risk_type": None,
            }
            if hid == "A" and (y, q) in {(2022, 3), (2022, 4)}:
                row["income_wage"] = 0.0
            if hid == "A" and (y, q) == (2022, 4):
                row.update(medical_total=5000.0, medical_reimbursed=3000.0, medical_oop=2000.0)
            if hid == "B":
                row.update(income_wage=3500.0, income_transfer=500.0)
                if (y, q) in {(2022, 2), (2022, 3)}:
                    row.update(monitoring_status="monitored", monitoring_type="unstable",
                               risk_type="illness")
                elif y * 4 + q >= 2022 * 4 + 4:
                    row.update(monitoring_status="eliminated")
            if hid == "D":
                row["income_wage"] = 3250.0
                if (y, q) == (2022, 1):
                    row.update(disaster_type="flood", disaster_loss=1000.0)
            rows.append(row)
    panel = pd.DataFrame(rows)
    events = pd.DataFrame(
        {
            "household_id": ["B", "B"],
            "county_id": ["c1", "c1"],
            "event": ["identified", "eliminated"],
            "date": pd.to_datetime(["2022-05-10", "2022-11-20"]),
            "monitoring_type": ["unstable", "unstable"],
            "risk_type": ["illness", "illness"],
        }
    )
    from relapse_models.core import schema

    return {
        "households": schema.HOUSEHOLDS.validate(households),
        "panel": schema.PANEL.validate(panel),
        "events": schema.EVENTS.validate(events),
    }


@pytest.fixture
def tiny_tables() -> dict[str, pd.DataFrame]:
    """Fresh copies of the hand-made tables (see :func:`make_tiny_tables`)."""
    return make_tiny_tables()


@pytest.fixture
def tiny_lines() -> dict[int, float]:
    return dict(TINY_LINES)


def make_logit_data(n: int = 20000, n_villages: int = 200, seed: int = 1) -> pd.DataFrame:
    """Data drawn from a known logistic model: logit p = -1.5 + 0.8 x1 - 0.5 x2 + 1.0 flag."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    flag = (rng.random(n) < 0.3).astype(float)
    eta = -1.5 + 0.8 * x1 - 0.5 * x2 + 1.0 * flag
    y = rng.random(n) < 1.0 / (1.0 + np.exp(-eta))
    village = rng.integers(0, n_villages, size=n).astype(str)
    return pd.DataFrame({"x1": x1, "x2": x2, "flag": flag, "y": y, "village_id": village})


@pytest.fixture
def logit_data() -> pd.DataFrame:
    return make_logit_data()


# ===========================================================================================
# END fixtures for the scientific core
# ===========================================================================================


# ===========================================================================================
# BEGIN fixtures for threshold evaluation: equity, decision curve, intervals, tiers (issue 7)
# Every number in tests/test_decision.py, tests/test_equity.py and the issue-7 tests of
# tests/test_thresholds.py is worked out by hand from this table; redo them if it changes.
# ===========================================================================================


def make_ten_households() -> pd.DataFrame:
    """Ten at-risk household-quarters of one county in 2024Q1, four of them relapse cases.

    ====  ====  =======  =======  =====  ====  =======  ========  =======  =========  ====
    hh    town  village  relapse  logit  rule  elderly  disabled  chronic  relocated  pa
    ====  ====  =======  =======  =====  ====  =======  ========  =======  =========  ====
    h1    t1    v1       1        0.90   0.75  0.5      1         0        0          1
    h2    t1    v1       1        0.70   0.25  0        0         1        0          1
    h3    t1    v1       0        0.60   0.50  0        0         0        1          0
    h4    t1    v2       1        0.40   0.00  0.5      0         0        0          1
    h5    t1    v2       0        0.30   0.25  0        0         0        0          0
    h6    t1    v2       0        0.20   0.00  1.0      1         0        0          0
    h7    t2    v3       1        0.15   0.00  1.0      0         1        0          1
    h8    t2    v3       0        0.10   0.00  0        0         0        1          0
    h9    t2    v3       0        0.05   0.25  0        0         0        0          1
    h10   t2    v3       0        0.02   0.00  0        0         0        0          0
    ====  ====  =======  =======  =====  ====  =======  ========  =======  =========  ====

    ``rule`` is the share of the four official triggers met (h1: 3, h3: 2, h2/h5/h9: 1).
    """
    return pd.DataFrame(
        {
            "household_id": [f"h{i}" for i in range(1, 11)],
            "county_id": "c1",
            "town_id": ["t1"] * 6 + ["t2"] * 4,
            "village_id": ["v1"] * 3 + ["v2"] * 3 + ["v3"] * 4,
            "year": 2024,
            "quarter": 1,
            "relapse": pd.array([1, 1, 0, 1, 0, 0, 1, 0, 0, 0], dtype="boolean"),
            "score_logit": [0.90, 0.70, 0.60, 0.40, 0.30, 0.20, 0.15, 0.10, 0.05, 0.02],
            "score_rule": [0.75, 0.25, 0.50, 0.0, 0.25, 0.0, 0.0, 0.0, 0.25, 0.0],
            "elderly_share": [0.5, 0, 0, 0.5, 0, 1.0, 1.0, 0, 0, 0],
            "any_disabled": [1.0, 0, 0, 0, 0, 1, 0, 0, 0, 0],
            "any_chronic_ill": [0.0, 1, 0, 0, 0, 0, 1, 0, 0, 0],
            "relocated": [0.0, 0, 1, 0, 0, 0, 0, 1, 0, 0],
            "poverty_alleviated": [1.0, 1, 0, 1, 0, 0, 1, 0, 1, 0],
        }
    )


@pytest.fixture
def ten_households() -> pd.DataFrame:
    """Fresh copy of :func:`make_ten_households`."""
    return make_ten_households()


# ===========================================================================================
# END fixtures for threshold evaluation
# ===========================================================================================


# ===========================================================================================
# BEGIN fixtures for the model stage (stages/fit.py): a feature frame drawn from a known model
# ===========================================================================================

FEATURE_FRAME_TRUTH: dict[str, float] = {
    "Intercept": 1.0, "income_ratio": -2.0, "any_chronic_ill": 0.8, "disaster_hh_4q": 0.6,
}
"""logit P(relapse) of :func:`make_feature_frame`; every other feature is noise."""


def make_feature_frame(
    n_counties: int = 3, households: int = 120, villages: int = 4, seed: int = 8
) -> pd.DataFrame:
    """Household-quarters 2021Q1-2024Q4 shaped like ``build_features`` output (keys, every
    feature, extras, label, ``true_prob``), with the label drawn from a known logit.
    Household and village ids are unique across counties, as in the real data."""
    from relapse_models.outcome.features import FEATURE_COLUMNS

    rng = np.random.default_rng(seed)
    quarters = [(y, q) for y in range(2021, 2025) for q in (1, 2, 3, 4)]
    n_hh = n_counties * households
    hh = np.repeat(np.arange(n_hh), len(quarters))
    county = hh // households
    village = county * villages + (hh % households) % villages
    year = np.tile([y for y, _ in quarters], n_hh)
    quarter = np.tile([q for _, q in quarters], n_hh)
    n = len(hh)
    df = pd.DataFrame(
        {
            "household_id": [f"h{i:05d}" for i in hh],
            "county_id": [f"c{i}" for i in county],
            "town_id": [f"t{i}" for i in county],
            "village_id": [f"v{i:03d}" for i in village],
            "year": year,
            "quarter": quarter,
        }
    )
    feats = pd.DataFrame(rng.random((n, len(FEATURE_COLUMNS))), columns=FEATURE_COLUMNS)
    feats["income_ratio"] = rng.uniform(0.8, 3.0, n)
    feats["log_income_ratio"] = np.log(feats["income_ratio"])
    feats["any_chronic_ill"] = (rng.random(n_hh) < 0.3).astype(float)[hh]
    feats["disaster_hh_4q"] = (rng.random(n) < 0.2).astype(float)
    t = FEATURE_FRAME_TRUTH
    eta = t["Intercept"] + sum(t[c] * feats[c].to_numpy() for c in t if c != "Intercept")
    prob = 1.0 / (1.0 + np.exp(-eta))
    df = pd.concat([df, feats], axis=1)
    df["line"] = 6000.0
    df["income_pc_4q"] = df["income_ratio"] * df["line"]
    df["at_risk"] = True
    df["relapse_in_quarters"] = pd.array([pd.NA] * n, dtype="Int64")
    df["relapse"] = pd.array(rng.random(n) < prob, dtype="boolean")
    df["true_prob"] = prob
    df.attrs["horizon_quarters"] = 4
    return df


@pytest.fixture(scope="module")
def feature_frame() -> pd.DataFrame:
    return make_feature_frame()


def county_feature_files(frame: pd.DataFrame, folder, groups_per_file: int = 4) -> list[str]:
    """One features file per county of ``frame`` in ``folder``, in about ``groups_per_file``
    row groups: the stages' loaders read group by group, so a plan must hold across them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    paths = []
    for county, rows in frame.groupby("county_id", observed=True, sort=False):
        paths.append(str(folder / f"{county}.parquet"))
        pq.write_table(pa.Table.from_pandas(rows, preserve_index=False), paths[-1],
                       row_group_size=max(len(rows) // groups_per_file, 1))
    return paths


# ===========================================================================================
# END fixtures for the model stage
# ===========================================================================================


# ===========================================================================================
# BEGIN fixtures for the real pipeline (integration, faults, privacy, reproducibility, #10)
# One tiny full run per test session (`pipeline_project`), shared by every test that only reads
# its outputs; runs that must differ (killed, other seed) are partial and cheap.
# ===========================================================================================
import contextlib  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TypeVar  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")
TINY_CONFIG = ROOT / "tests" / "data" / "config_tiny.yaml"
PIPELINE_CORES = os.environ.get("RELAPSE_TEST_CORES", "2")
"""Cores for the test pipelines (2 in CI; set 1 on a shared machine)."""

PSEUDONYM_KEY_CANARY = "canary-key-6b1f0e: if this text is in any output, the key leaked"
"""The pseudonymisation key every test pipeline runs with: the privacy scan looks for it."""


def pipeline_env() -> dict[str, str]:
    """The environment of a pipeline run: this venv first on PATH, a known key, one thread."""
    return {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": "1",
        "RELAPSE_PSEUDONYM_KEY": PSEUDONYM_KEY_CANARY,
    }


def snakemake_command(workdir: Path, *args: str) -> list[str]:
    return [
        sys.executable, "-m", "snakemake",
        "--snakefile", str(ROOT / "Snakefile"),
        "--directory", str(workdir),
        "--workflow-profile", str(ROOT / "workflow" / "profiles" / "default"),
        "--cores", PIPELINE_CORES,
        *args,
    ]


def run_snakemake(workdir: Path, *args: str, timeout: int = 1500) -> subprocess.CompletedProcess:
    """Run Snakemake on a project folder and wait for it (output captured as text)."""
    return subprocess.run(
        snakemake_command(workdir, *args),
        capture_output=True, text=True, env=pipeline_env(), timeout=timeout,
    )


def start_snakemake(workdir: Path, *args: str, log: Path) -> subprocess.Popen:
    """Start Snakemake in its own process group (so a test can kill it and all its jobs)."""
    with open(log, "a") as fh:  # appended: one log for a run and its restarts
        return subprocess.Popen(
            snakemake_command(workdir, *args), stdout=fh, stderr=subprocess.STDOUT,
            env=pipeline_env(), start_new_session=True,
        )


def kill_group(proc: subprocess.Popen, sig: int) -> None:
    """Send ``sig`` to the process group of ``proc`` (Snakemake and its running jobs), wait."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    proc.wait(timeout=120)


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 900) -> None:
    """Wait until ``path`` exists while ``proc`` runs (fails if it ends first)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"Snakemake ended (code {proc.returncode}) before {path}")
        if time.monotonic() > deadline:
            kill_group(proc, signal.SIGKILL)
            raise AssertionError(f"{path} did not appear within {timeout} s")
        time.sleep(0.2)


def new_project(root: Path, overrides: dict | None = None) -> Path:
    """A researcher's project folder: the default config with the tiny-scale settings (and
    ``overrides``) written into it, so notebooks opened there with their defaults see them."""
    import yaml

    from relapse_models.core.config import merge

    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "config", root / "config")
    config = yaml.safe_load((root / "config" / "config.yaml").read_text(encoding="utf-8"))
    config = merge(config, yaml.safe_load(TINY_CONFIG.read_text(encoding="utf-8")))
    config = merge(config, overrides or {})
    (root / "config" / "config.yaml").write_text(
        yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return root


def built_once(tmp_path_factory, name: str, build: Callable[[Path], T]) -> T:
    """``build(folder)`` once per test session, whatever the number of pytest-xdist workers:
    every worker is its own session, so the first to arrive builds in a folder all workers
    share and leaves the result there (pickled); the others wait on the lock and read it."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return build(tmp_path_factory.mktemp(name))
    import fcntl
    import pickle

    shared = tmp_path_factory.getbasetemp().parent
    folder, result = shared / name, shared / f"{name}.pickle"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a worker that failed half-way
            folder.mkdir()
            built = build(folder)
            result.write_bytes(pickle.dumps(built))
    return pickle.loads(result.read_bytes())


@pytest.fixture(scope="session")
def pipeline_project(tmp_path_factory) -> Path:
    """A project folder after one full tiny pipeline run (shared by the whole session and
    every worker: tests only read it; a test that needs to change outputs makes its own
    folder)."""
    return built_once(tmp_path_factory, "project", _full_tiny_run)


def _full_tiny_run(workdir: Path) -> Path:
    new_project(workdir)
    run = run_snakemake(workdir)
    assert run.returncode == 0, f"pipeline failed:\n{run.stdout[-4000:]}\n{run.stderr[-8000:]}"
    return workdir


@pytest.fixture(scope="session")
def pipeline_environment() -> dict[str, str]:
    """:func:`pipeline_env`: the environment every test pipeline job runs in."""
    return pipeline_env()


@pytest.fixture(scope="session")
def pseudonym_key() -> str:
    """The key the test pipelines run with (:data:`PSEUDONYM_KEY_CANARY`)."""
    return PSEUDONYM_KEY_CANARY


@pytest.fixture(scope="session")
def snakemake_runner() -> Callable[..., subprocess.CompletedProcess]:
    """:func:`run_snakemake`, for test modules (conftest is not imported directly)."""
    return run_snakemake


@pytest.fixture(scope="session")
def project_factory() -> Callable[..., Path]:
    """:func:`new_project`, for test modules."""
    return new_project


RUN_DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")
"""The provenance footer's run date: the only text allowed to differ between two runs' pages."""


def files_matching(workdir: Path, patterns: tuple[str, ...]) -> list[str]:
    """The files under ``workdir`` matching any glob of ``patterns`` (relative, sorted;
    hidden files such as Snakemake's markers left out)."""
    return sorted({
        p.relative_to(workdir).as_posix()
        for pattern in patterns for p in workdir.glob(pattern)
        if p.is_file() and not p.name.startswith(".")
    })


def compared_outputs(workdir: Path) -> list[str]:
    """The outputs two runs of one config must reproduce byte for byte: every data table
    and saved model, every metrics file, the reconciliation and every report page."""
    return files_matching(workdir, ("data/**/*.parquet", "data/**/*.json", "data/**/*.pkl",
                                    "reports/metrics/**/*", "reports/reconciliation.csv",
                                    "reports/**/*.html"))


def output_differences(a: Path, b: Path) -> list[str]:
    """What differs between the outputs of two project folders (empty: identical). Pages are
    compared with their run date blanked; everything else byte for byte."""
    files_a, files_b = compared_outputs(a), compared_outputs(b)
    diffs = [f"only in {a.name}: {f}" for f in sorted(set(files_a) - set(files_b))]
    diffs += [f"only in {b.name}: {f}" for f in sorted(set(files_b) - set(files_a))]
    for rel in sorted(set(files_a) & set(files_b)):
        x, y = (a / rel).read_bytes(), (b / rel).read_bytes()
        if rel.endswith(".html"):
            x, y = (RUN_DATE.sub("<date>", v.decode("utf-8")) for v in (x, y))
        if x != y:
            diffs.append(f"differs: {rel}")
    return diffs


@pytest.fixture(scope="session")
def outputs_compared() -> Callable[[Path], list[str]]:
    """:func:`compared_outputs`, for test modules."""
    return compared_outputs


@pytest.fixture(scope="session")
def compare_outputs() -> Callable[[Path, Path], list[str]]:
    """:func:`output_differences`, for test modules."""
    return output_differences


@dataclass
class Fault:
    """One kill of a running pipeline and what the project folder held right after it."""

    signal: str
    during: str
    files: list[str]
    """Every file under data/ and reports/ right after the kill (relative paths)."""
    unreadable: dict[str, str]
    """Files under their final name that do not parse (must stay empty), with the error."""
    dry_run: subprocess.CompletedProcess
    """``snakemake -n`` right after the kill: what a rerun would do."""


@dataclass
class InterruptedRun:
    """A full tiny run with the tiny config, killed twice and rerun to the end."""

    workdir: Path
    faults: list[Fault] = field(default_factory=list)
    concurrent: subprocess.CompletedProcess | None = None
    """A second run started on the same folder while the first was running."""
    locked_rerun: subprocess.CompletedProcess | None = None
    """The rerun right after SIGKILL, before ``--unlock``."""
    unlock: subprocess.CompletedProcess | None = None
    final: subprocess.CompletedProcess | None = None


def _files(workdir: Path) -> list[str]:
    return sorted(
        p.relative_to(workdir).as_posix()
        for top in ("data", "reports") for p in (workdir / top).rglob("*") if p.is_file()
    )


def _unreadable(workdir: Path) -> dict[str, str]:
    """Outputs under their final name (not a dot-named temporary) that do not parse whole."""
    import json

    import pyarrow.parquet as pq

    bad = {}
    for rel in _files(workdir):
        path = workdir / rel
        if path.name.startswith("."):
            continue
        try:
            if path.suffix == ".parquet":
                pq.read_table(path)
            elif path.suffix in (".json", ".ipynb"):
                json.loads(path.read_text(encoding="utf-8"))
            elif path.suffix == ".csv":
                pd.read_csv(path, encoding="utf-8-sig")
            elif path.suffix == ".html" and not path.read_text("utf-8").rstrip().endswith("</html>"):
                raise ValueError("no closing </html>")
        except Exception as err:  # any parse error is the finding
            bad[rel] = f"{type(err).__name__}: {err}"
    return bad


@pytest.fixture(scope="session")
def interrupted_project(tmp_path_factory) -> InterruptedRun:
    """:func:`interrupted_run`, once per session (shared by every worker)."""
    return built_once(tmp_path_factory, "interrupted", interrupted_run)


def interrupted_run(root: Path) -> InterruptedRun:
    """The same config as :func:`pipeline_project`, run the way users break runs:

    1. a second run is started on the folder while the first is cleaning (must be refused);
    2. SIGTERM to the whole process group while a cleaning notebook runs, then a rerun;
    3. SIGKILL to the whole process group a few seconds into the model fit (a kill -9 or a
       power cut: Snakemake's lock stays), a rerun (refused: stale lock), ``--unlock``, and a
       rerun to the end.
    """
    first = "reports/logs/clean"
    workdir = new_project(root / "project")
    result = InterruptedRun(workdir)
    log = workdir.parent / "snakemake.log"

    proc = start_snakemake(workdir, log=log)
    try:
        wait_for(workdir / first, proc)
        time.sleep(1.0)  # a cleaning notebook is starting or running
        result.concurrent = run_snakemake(workdir)
    finally:  # also when the test session itself is interrupted: leave no run behind
        kill_group(proc, signal.SIGTERM)
    result.faults.append(
        Fault("SIGTERM", "clean", _files(workdir), _unreadable(workdir),
              run_snakemake(workdir, "-n"))
    )

    proc = start_snakemake(workdir, log=log)
    try:
        wait_for(workdir / "reports" / "logs" / "fit" / "all.log", proc)
        time.sleep(5.0)  # the model notebook's kernel is up and fitting
    finally:
        kill_group(proc, signal.SIGKILL)
    result.faults.append(
        Fault("SIGKILL", "fit", _files(workdir), _unreadable(workdir),
              run_snakemake(workdir, "-n"))
    )

    result.locked_rerun = run_snakemake(workdir)
    result.unlock = run_snakemake(workdir, "--unlock")
    result.final = run_snakemake(workdir)
    assert result.final.returncode == 0, (
        f"rerun failed:\n{result.final.stdout[-4000:]}\n{result.final.stderr[-8000:]}"
    )
    return result


# ===========================================================================================
# END fixtures for the real pipeline
# ===========================================================================================
