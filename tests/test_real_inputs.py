"""Real exports are inputs of the pipeline (``data.source: files``): a listed export that is
missing stops the run before any job, naming it; a changed export reruns its county's chain
and nothing of another county."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
COUNTIES = ("xunyi", "yeji")


def planned(dry_run_output: str) -> set[tuple[str, str | None]]:
    """(rule, county) of every job a dry run plans."""
    jobs = set()
    for block in re.split(r"\n(?=(?:local)?rule \w+:\n)", "\n" + dry_run_output):
        head = re.match(r"(?:local)?rule (\w+):\n", block)
        if head:
            county = re.search(r"^\s+wildcards: .*?\bcounty=(\w+)", block, flags=re.M)
            jobs.add((head.group(1), county.group(1) if county else None))
    return jobs


@pytest.fixture(scope="module")
def exports(tmp_path_factory, pipeline_environment) -> dict[str, list[str]]:
    """Each county's messy monitoring-system exports (xlsx and csv), tiny scale."""
    root = tmp_path_factory.mktemp("exports")
    files = {}
    for county in COUNTIES:
        run = subprocess.run(
            [sys.executable, "-m", "relapse_models", "simulate", "--county", county,
             "--profile", str(ROOT / "config" / "counties" / f"{county}.yaml"),
             "--config-json", '{"seed": 20240601, "simulate": {"scale": 0.002}, "monitoring": {}}', "--raw-dir", "raw",
             "--truth-dir", "truth", "--messy-dir", str(root / county)],
            cwd=root, env=pipeline_environment, capture_output=True, text=True, timeout=600,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        files[county] = sorted(
            str(p) for p in (root / county).iterdir() if p.suffix in (".csv", ".xlsx")
        )
    return files


def real_data_project(factory, root: Path, files: dict[str, list[str]]) -> Path:
    return factory(root, {"counties": list(files),
                          "data": {"source": "files", "files": files}})


def test_a_missing_export_stops_the_run_before_any_job(
    exports, project_factory, snakemake_runner, tmp_path
):
    missing = str(tmp_path / "not-there" / "yeji-2024.xlsx")
    project = real_data_project(
        project_factory, tmp_path / "project", {**exports, "yeji": [*exports["yeji"], missing]}
    )
    for args in (["-n"], []):
        run = snakemake_runner(project, *args)
        assert run.returncode != 0
        assert f"yeji: {missing}" in run.stdout + run.stderr, run.stderr[-3000:]
        assert "do not exist" in run.stdout + run.stderr
    assert not (project / "data").exists() and not (project / "reports").exists()


def test_a_changed_export_reruns_its_countys_chain_only(
    exports, project_factory, snakemake_runner, tmp_path
):
    project = real_data_project(project_factory, tmp_path / "project", exports)
    targets = [f"data/processed/{c}/features.parquet" for c in COUNTIES]
    run = snakemake_runner(project, *targets)
    assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-5000:]}"
    dry = snakemake_runner(project, "-n", *targets)
    assert "Nothing to be done" in dry.stdout + dry.stderr, dry.stdout[-3000:]

    changed = next(Path(p) for p in exports["xunyi"] if p.endswith(".csv"))
    with open(changed, "ab") as fh:  # a new export of the same county: one more (blank) line
        fh.write(b"\r\n")
    dry = snakemake_runner(project, "-n", *targets)
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert planned(dry.stdout + dry.stderr) == {("clean", "xunyi"), ("features", "xunyi")}
    assert str(changed) in dry.stdout  # the reason names the export


def test_every_page_job_is_told_the_data_are_exports(
    exports, project_factory, snakemake_runner, tmp_path
):
    """The report jobs, and the reconciliation each county's report job runs first, receive
    the ``data`` section (a job never reads config/config.yaml): with real exports no page
    calls them synthetic, and no figure is scaled by the simulation's scale."""
    project = real_data_project(project_factory, tmp_path / "project", exports)
    dry = snakemake_runner(project, "-n", "--printshellcmds", "--forceall")
    assert dry.returncode == 0, dry.stderr[-3000:]
    commands = [line for line in dry.stdout.splitlines() if " --config-json " in line
                or " -p config_json " in line]
    pages = [c for c in commands if "04_county_report" in c or "05_comparative_report" in c]
    assert sum(" reconcile " in c and "04_county_report" in c for c in pages) == len(COUNTIES)
    assert len(pages) == len(COUNTIES) + 1, commands
    assert all('\\"source\\": \\"files\\"' in c or '"source": "files"' in c for c in pages), pages
