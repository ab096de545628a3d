"""Stopping a run with SIGTERM (`kill`) while Snakemake's scheduler holds its lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from relapse_models.core.signals import handle_in_thread

# A checkpoint makes Snakemake evaluate `after_b` in its main thread, inside the scheduler's
# lock, once `b` has finished: a SIGTERM then arrives while the lock is held.
SNAKEFILE = """
import signal, time
from pathlib import Path
from relapse_models.core.signals import handle_in_thread

if config.get("fixed"):
    onstart:
        handle_in_thread(signal.SIGTERM)

rule all:
    input: "d"

checkpoint b:
    output: "b"
    shell: "touch b"

def after_b(wildcards):
    checkpoints.b.get()
    Path("locked").touch()
    time.sleep(6)
    return "b"

rule c:
    input: after_b
    output: "c"
    shell: "touch c"

rule d:
    input: "c"
    output: "d"
    shell: "touch d"
"""


@pytest.fixture
def restore_sigterm():
    previous = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, previous)


def test_a_handler_that_takes_a_held_lock_runs_once_the_lock_is_free(restore_sigterm):
    """The signal arrives while the main thread holds the lock the handler needs: the handler
    must neither deadlock nor give up, and must run as soon as the lock is released."""
    lock = threading.Lock()
    ran = threading.Event()
    outcome = []

    def takes_the_lock(signum, frame):
        if lock.acquire(timeout=2):  # in the signal's context this would wait on itself
            outcome.append(signum)
            lock.release()
        else:
            outcome.append("gave up")
        ran.set()

    signal.signal(signal.SIGTERM, takes_the_lock)
    handle_in_thread(signal.SIGTERM)
    with lock:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.5)  # the handler has been started and is waiting
        assert not ran.is_set()
    assert ran.wait(timeout=10)
    assert outcome == [signal.SIGTERM]


def test_a_default_or_ignored_disposition_is_left_alone(restore_sigterm):
    for disposition in (signal.SIG_DFL, signal.SIG_IGN):
        signal.signal(signal.SIGTERM, disposition)
        handle_in_thread(signal.SIGTERM)
        assert signal.getsignal(signal.SIGTERM) == disposition


def sigterm_while_locked(folder: Path, fixed: bool) -> tuple[bool, str]:
    """Run SNAKEFILE, send SIGTERM while the scheduler holds its lock; whether Snakemake
    ended within 30 s (it needs about 1 s once the lock is free), and its output."""
    folder.mkdir()
    (folder / "Snakefile").write_text(SNAKEFILE)
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--cores",
        "1",
        "--directory",
        str(folder),
        "--snakefile",
        str(folder / "Snakefile"),
        "--config",
        f"fixed={fixed}",
    ]
    log = folder / "snakemake.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not (folder / "locked").exists():
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        return True, log.read_text()
    except subprocess.TimeoutExpired:
        return False, log.read_text()
    finally:
        proc.kill()
        proc.wait()


def test_the_workflow_hook_stops_snakemake_on_sigterm_while_its_scheduler_is_locked(tmp_path):
    """Without the hook Snakemake (9.27) waits on its own lock for ever; with it the run
    finishes the job it was starting when the signal came (``c``) and starts no other."""
    ended, log = sigterm_while_locked(tmp_path / "fixed", fixed=True)
    assert ended, f"Snakemake did not stop within 30 s of SIGTERM:\n{log[-3000:]}"
    assert "Will exit after finishing currently running jobs" in log
    assert not (tmp_path / "fixed" / "d").exists()


def test_without_the_hook_the_same_sigterm_hangs_snakemake(tmp_path):
    """The case above is the deadlock (so the hook is what stops it). When Snakemake fixes its
    handler this fails: the hook can then go."""
    ended, log = sigterm_while_locked(tmp_path / "unfixed", fixed=False)
    assert not ended, "Snakemake stopped on its own: its SIGTERM handler no longer deadlocks"


def test_the_pipeline_registers_the_hook():
    """The project's workflow runs handle_in_thread(SIGTERM) when a run starts."""
    common = Path(__file__).resolve().parents[1] / "workflow" / "rules" / "common.smk"
    text = common.read_text(encoding="utf-8")
    assert "onstart:\n" in text and "handle_in_thread(signal.SIGTERM)" in text
