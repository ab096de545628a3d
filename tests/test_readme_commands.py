"""The README's commands work as written, in a shell without ``.venv/bin`` on PATH (only
``make`` puts it there): the override command runs the pipeline on the user's own config
file, and the cluster command plans its jobs (a dry run: no cluster here)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_command(*fragments: str) -> str:
    """The one command line of the README's bash blocks that holds every fragment."""
    lines = [
        line.strip()
        for block in re.findall(r"```bash\n(.*?)```", README, flags=re.S)
        for line in block.splitlines()
        if all(f in line for f in fragments) and not line.lstrip().startswith("#")
    ]
    assert len(lines) == 1, (fragments, lines)
    return lines[0]


def fresh_checkout(folder: Path) -> Path:
    """The files a clone holds that the commands read, and this test's venv as ``.venv``."""
    folder.mkdir(parents=True)
    for name in ("Snakefile", "environment.yml"):
        shutil.copy2(ROOT / name, folder / name)
    for name in ("workflow", "config"):
        shutil.copytree(ROOT / name, folder / name)
    (folder / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    return folder


def plain_shell(command: str, cwd: Path, timeout: int) -> subprocess.CompletedProcess:
    """``command`` in bash with a PATH that does not hold the venv, nothing else set."""
    venv_bin = str(Path(sys.executable).parent)
    path = ":".join(p for p in ("/usr/local/bin", "/usr/bin", "/bin") if p != venv_bin)
    env = {"PATH": path, "HOME": str(cwd), "LANG": "C.UTF-8"}
    assert shutil.which("snakemake", path=path) is None  # the plain shell has no snakemake
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_the_override_command_runs_the_pipeline_on_the_users_file(tmp_path):
    command = readme_command("--workflow-profile workflow/profiles/default", "--configfile")
    config_file = re.search(r"--configfile (\S+)", command).group(1)
    folder = fresh_checkout(tmp_path / "relapse-models")
    (folder / config_file).write_text(yaml.safe_dump({
        "counties": ["xunyi"], "simulate": {"scale": 0.002}, "models": {"bootstrap": 20},
        # the tiny config's settings for the other pooled jobs: the test is about the command
        "robustness": {"mechanisms": ["income_dynamics", "shocks"]},
        "whatif": {"county": "xunyi", "seeds": 3, "scale": 0.002},
    }), encoding="utf-8")
    run = plain_shell(command, folder, timeout=1500)
    assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-5000:]}"
    assert (folder / "reports" / "counties" / "xunyi.html").is_file()
    assert (folder / "reports" / "index.html").is_file()
    assert not (folder / "reports" / "counties" / "shangluo.html").exists()  # the file won


def test_the_cluster_dry_run_command_plans_every_job(tmp_path):
    command = readme_command("--workflow-profile workflow/profiles/slurm", " -n")
    config_file = re.search(r"--configfile (\S+)", command).group(1)
    folder = fresh_checkout(tmp_path / "relapse-models")
    (folder / config_file).write_text(yaml.safe_dump({"counties": ["xunyi", "yeji"]}),
                                      encoding="utf-8")
    run = plain_shell(command, folder, timeout=600)
    assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-5000:]}"
    jobs = re.findall(r"^(?:local)?rule (\w+):$", run.stdout, flags=re.M)
    assert jobs.count("simulate") == 2 and jobs.count("comparative_report") == 1, run.stdout
    assert not (folder / "data").exists()
