"""Faults: the pipeline killed half way, and a second run started on a busy folder.

The run behind these tests (``interrupted_project`` in tests/conftest.py) has the tiny config
of the integration run and is broken the way users break runs: a second ``snakemake`` on the
same folder, SIGTERM to the whole process group while a cleaning notebook runs, SIGKILL (kill
-9, a power cut) to the whole group a few seconds into the model fit. After each kill no
output under its final name is half-written (every writer is atomic: relapse_models.core.io, the
executed notebooks, the CLI), Snakemake plans the killed job again, and the rerun ends with
the outputs of an uninterrupted run.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

FAULTS = {"SIGTERM": "clean", "SIGKILL": "fit"}

# A writer whose process dies at the worst moment: everything written, not yet renamed.
DIE_BEFORE_RENAME = """
import os, sys
import pandas as pd
from relapse_models.core import io
os.replace = lambda *args: os._exit(9)
frame = pd.DataFrame({"a": range(1000), "b": ["新"] * 1000})
writer, target = sys.argv[1], sys.argv[2]
{"parquet": lambda: io.write_parquet(frame, target), "csv": lambda: io.write_csv(frame, target),
 "json": lambda: io.write_json({"a": list(range(1000))}, target),
 "text": lambda: io.write_text("<html>" * 1000, target)}[writer]()
"""


@pytest.mark.parametrize("writer", ["parquet", "csv", "json", "text"])
@pytest.mark.parametrize("existed", [False, True], ids=["new", "replacing"])
def test_a_writer_killed_before_its_rename_leaves_no_output(tmp_path, writer, existed):
    """Every writer of relapse_models.core.io: a process killed after writing all its bytes but
    before the rename leaves the target absent, or untouched if it existed."""
    target = tmp_path / f"out.{writer}"
    if existed:
        target.write_bytes(b"previous version")
    run = subprocess.run([sys.executable, "-c", DIE_BEFORE_RENAME, writer, str(target)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 9, run.stderr
    if existed:
        assert target.read_bytes() == b"previous version"
    else:
        assert not target.exists()
    # what is left is a dot-named temporary, which no rule declares as an output
    leftovers = [p.name for p in tmp_path.iterdir() if p != target]
    assert len(leftovers) == 1 and leftovers[0].startswith(".out.") and ".tmp" in leftovers[0]


def _planned_rules(dry_run_output: str) -> set[str]:
    """Rule names of the "Job stats" table a dry run prints."""
    table = dry_run_output.split("Job stats:", 1)[-1].split("\n\n", 1)[0]
    return {m.group(1) for m in re.finditer(r"^(\w+)\s+\d+$", table, flags=re.M)} - {"total"}


@pytest.mark.integration
def test_both_faults_were_injected_during_their_jobs(interrupted_project):
    faults = interrupted_project.faults
    assert [(f.signal, f.during) for f in faults] == list(FAULTS.items())
    for fault in faults:
        # the killed job had started (its log exists) and had not finished its outputs
        assert f"reports/logs/{fault.during}/" in " ".join(fault.files)
    assert "reports/metrics/models.json" not in faults[1].files


@pytest.mark.integration
def test_a_second_run_on_the_same_folder_is_refused(interrupted_project):
    run = interrupted_project.concurrent
    text = run.stdout + run.stderr
    assert run.returncode != 0
    assert "Directory cannot be locked" in text
    assert "no other Snakemake process" in text


@pytest.mark.integration
def test_no_killed_run_leaves_a_half_written_output(interrupted_project):
    for fault in interrupted_project.faults:
        assert fault.files, "nothing was written before the kill: the fault hit nothing"
        assert fault.unreadable == {}, f"after {fault.signal}: {fault.unreadable}"


@pytest.mark.integration
@pytest.mark.parametrize("index", [0, 1], ids=list(FAULTS))
def test_the_killed_job_is_planned_again(interrupted_project, index):
    fault = interrupted_project.faults[index]
    assert fault.dry_run.returncode == 0, fault.dry_run.stderr[-3000:]
    assert fault.during in _planned_rules(fault.dry_run.stdout), fault.dry_run.stdout[-3000:]


@pytest.mark.integration
def test_after_sigkill_the_stale_lock_is_reported_with_its_fix(interrupted_project):
    """kill -9 gives Snakemake no chance to remove its lock: the next run says so and names
    ``--unlock``; after it the rerun proceeds."""
    locked = interrupted_project.locked_rerun
    assert locked.returncode != 0
    assert "--unlock" in locked.stdout + locked.stderr
    assert interrupted_project.unlock.returncode == 0


@pytest.mark.integration
def test_rerun_completes_and_equals_an_uninterrupted_run(
    interrupted_project, pipeline_project, compare_outputs
):
    assert interrupted_project.final.returncode == 0
    assert compare_outputs(pipeline_project, interrupted_project.workdir) == []


@pytest.mark.integration
def test_rerun_has_nothing_left_to_do(interrupted_project, snakemake_runner):
    dry = snakemake_runner(interrupted_project.workdir, "-n")
    assert dry.returncode == 0
    assert "Nothing to be done" in dry.stdout + dry.stderr
