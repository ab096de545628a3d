"""A real SLURM run (issue #22): the tiny pipeline through workflow/profiles/slurm on a
single-node cluster started on localhost, with the same outputs as a local run.

Run with ``make test-slurm`` (root; the Debian slurm and munge packages are installed when
missing). ``make test`` deselects it. Where no cluster can be started (not root, no apt, a
daemon fails) the test skips and says why.

The user-facing profile is used as it is, except for what a test node must change: a
partition that exists (``test``, tests/slurm/cluster.sh), no account (the test cluster has no
accounting), jobs that fit on two cores with 1 CPU each and at most ``JOB_MEM_MB`` (the
pooled fit asks for 64 GB and 8 CPUs on a real cluster), and job states polled with squeue
(there is no accounting database for sacct).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slurm

ROOT = Path(__file__).resolve().parents[1]
CLUSTER = ROOT / "tests" / "slurm" / "cluster.sh"
SLURM_PROFILE = ROOT / "workflow" / "profiles" / "slurm" / "config.yaml"
PARTITION = "test"
"""The partition of the test cluster's slurm.conf (tests/slurm/cluster.sh)."""
JOB_MEM_MB = 8000
"""The most memory a test job asks for: two jobs side by side fit the 24 GB node."""
NODE_CPUS = len(os.sched_getaffinity(0))
"""The test node's CPUs (what cluster.sh's slurmd -C finds on this machine)."""
CANNOT_START = 3
"""cluster.sh's exit code when no cluster can run here (the test skips)."""


@pytest.fixture(scope="session")
def slurm_env(tmp_path_factory, pipeline_environment) -> Iterator[dict[str, str]]:
    """A running single-node cluster: the environment that reaches it. The daemons are
    stopped afterwards whatever happened (also when the test fails). Session-scoped so that
    it starts (or skips) before the session's local run, requested after it."""
    state = tmp_path_factory.mktemp("slurm")
    try:
        start = subprocess.run(
            ["bash", str(CLUSTER), "start", str(state)],
            capture_output=True, text=True, timeout=900,
        )
        if start.returncode == CANNOT_START:
            pytest.skip(start.stderr.strip())
        assert start.returncode == 0, f"cluster.sh start failed:\n{start.stderr}\n{_logs(state)}"
        env = dict(line.split("=", 1) for line in start.stdout.split() if "=" in line)
        path = os.pathsep.join([env.pop("TEST_CLUSTER_BIN"), pipeline_environment["PATH"]])
        yield {**pipeline_environment, **env, "PATH": path}
    finally:
        subprocess.run(["bash", str(CLUSTER), "stop", str(state)], timeout=300, check=False)


def _logs(state: Path) -> str:
    """The end of each daemon's log, for a failure message."""
    return "\n".join(
        f"== {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        for log in sorted((state / "log").glob("*.log"))
    )


def node_profile(dest: Path) -> Path:
    """workflow/profiles/slurm with the test node's changes (module docstring) in ``dest``."""
    profile = yaml.safe_load(SLURM_PROFILE.read_text(encoding="utf-8"))
    defaults = profile["default-resources"]
    defaults.pop("slurm_account")  # the placeholder; no accounting here
    defaults["slurm_partition"] = PARTITION
    for resources in [defaults, *profile["set-resources"].values()]:
        if "mem_mb" in resources:
            resources["mem_mb"] = min(resources["mem_mb"], JOB_MEM_MB)
        resources["cpus_per_task"] = 1
    # one thread per job as in the local run of two cores (fit: cores // 2), so the two runs
    # do the same arithmetic
    profile["set-threads"] = dict.fromkeys(profile["set-threads"], 1)
    profile.update({
        # what the one node has: Snakemake sums a group job's parallel members (the combine
        # group) up to these, then stacks them in series; unbounded, a group asks for more
        # than the node and stays pending
        "cores": NODE_CPUS,
        "resources": {"mem_mb": 2 * JOB_MEM_MB},
        # squeue, not sacct: no accounting storage; the cluster keeps finished jobs in
        # squeue for MinJobAge=600 s, above the plugin's 3 x the first-check delay
        "slurm-status-command": "squeue",
        "slurm-no-account": True,  # declared by plugin 2.8.0; no slurm_account does the work
        "slurm-init-seconds-before-status-checks": 10,  # tiny jobs: look sooner than 40 s
        "slurm-keep-successful-logs": True,  # the test reads them: each job ran in SLURM
    })
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "config.yaml").write_text(yaml.safe_dump(profile, sort_keys=False), encoding="utf-8")
    return dest


def compared_tables(workdir: Path) -> list[str]:
    """The deterministic outputs a SLURM run must reproduce byte for byte: every data table
    (parquet), data JSON and saved model (pkl), every metrics table and record (CSV/JSON) and
    the reconciliation. Left out: logs and benchmarks (timings, hosts, job ids) and the
    html/ipynb pages (run dates, cell timings; tests/test_reproducibility.py compares pages)."""
    from conftest import files_matching

    return files_matching(workdir, ("data/**/*.parquet", "data/**/*.json", "data/**/*.pkl",
                                    "reports/metrics/**/*.csv", "reports/metrics/**/*.json",
                                    "reports/reconciliation.csv"))


def table_differences(local: Path, cluster: Path) -> list[str]:
    """What differs between the two runs' :func:`compared_tables` (empty: identical)."""
    a, b = compared_tables(local), compared_tables(cluster)
    diffs = [f"only in the local run: {f}" for f in sorted(set(a) - set(b))]
    diffs += [f"only in the SLURM run: {f}" for f in sorted(set(b) - set(a))]
    diffs += [
        f"differs: {rel}" for rel in sorted(set(a) & set(b))
        if (local / rel).read_bytes() != (cluster / rel).read_bytes()
    ]
    return diffs


def planned_rules(log: str) -> set[str]:
    """The rules in the first "Job stats" table of a Snakemake log."""
    table = log.split("Job stats:", 1)[1].split("total", 1)[0]
    return {m.group(1) for m in re.finditer(r"^(\w+)\s+\d+$", table, re.M)}


def test_table_differences_catch_a_changed_and_a_missing_table(tmp_path):
    """The comparison is not vacuous: one changed byte and one missing file are reported.
    (No cluster needed; marked slurm with the module, it runs with the SLURM test.)"""
    for name, text in (("a", "x,1\n"), ("b", "x,2\n")):
        (tmp_path / name / "reports" / "metrics").mkdir(parents=True)
        (tmp_path / name / "reports" / "metrics" / "t.csv").write_text(text)
    (tmp_path / "a" / "reports" / "reconciliation.csv").write_text("y\n")
    assert table_differences(tmp_path / "a", tmp_path / "b") == [
        "only in the local run: reports/reconciliation.csv",
        "differs: reports/metrics/t.csv",
    ]


def test_tiny_pipeline_on_slurm_equals_the_local_run(
    slurm_env, pipeline_project, project_factory, tmp_path
):
    """Every job of the tiny pipeline runs as a SLURM job through the project's profile, and
    the tables and metrics equal those of the local run of the same config."""
    workdir = project_factory(tmp_path / "project")
    profile = node_profile(tmp_path / "profile")
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
         "--directory", str(workdir), "--workflow-profile", str(profile)],
        capture_output=True, text=True, env=slurm_env, timeout=5400,
    )
    log = run.stdout + run.stderr
    assert run.returncode == 0, f"SLURM run failed:\n{log[-8000:]}"

    # every rule of the plan ran as SLURM jobs, each submission with its SLURM log (a group
    # job's folder is group_<group>_<rules>); only the target rule `all` runs in Snakemake
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+)", log)
    assert len(submitted) == len(set(submitted)) > 0, log[-4000:]
    slurm_logs = workdir / ".snakemake" / "slurm_logs"
    folders = {p.relative_to(slurm_logs).parts[0] for p in slurm_logs.rglob("*.log")}
    planned = planned_rules(log) - {"all"}
    assert {"simulate", "fit", "county_report", "comparative_report"} <= planned, log[:4000]
    missing = {r for r in planned if not any(f.endswith(f"_{r}") for f in folders)}
    assert not missing, (sorted(missing), sorted(folders))
    assert len(list(slurm_logs.rglob("*.log"))) == len(submitted), sorted(folders)

    tables = compared_tables(workdir)
    assert "data/processed/models/predictions.parquet" in tables
    assert "reports/metrics/models.json" in tables
    assert table_differences(pipeline_project, workdir) == []

