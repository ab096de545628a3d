"""Per-county independence of the workflow (issue #9): after a complete run, changing one
county's profile plans exactly that county's chain and the jobs that combine all counties,
nothing of another county; an unchanged folder plans nothing.

The session's tiny run (``pipeline_project`` in tests/conftest.py) is copied with its
timestamps and Snakemake metadata, so the copy is the same finished run; only dry runs are
made on it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from relapse_models.core.config import load_config

pytestmark = pytest.mark.integration

COUNTY = "xunyi"
COUNTIES = load_config()["counties"]
COUNTY_CHAIN = ("simulate", "clean", "features", "fit_county", "drift_county", "thresholds",
                "county_report")
"""One job each per county: what a change to that county's profile must rerun."""
COMBINING = ("pooled_inputs", "fit", "robustness", "drift", "combine_reconciliation",
             "combine_thresholds", "combine_tier_comparison", "comparative_report", "all")
"""Jobs over all counties: the list of every county's files the held-out fits read, the pooled
province-level fit, the robustness across mechanisms (it simulates every county again), and
the combined tables and page."""
HELD_OUT = "fit_loco"
"""One job per county left out of the pooled models, each trained on every other county: all
of them rerun when any county changes."""


def planned_jobs(dry_run_output: str) -> list[tuple[str, str | None]]:
    """(rule, county wildcard or None) of every job block a dry run prints."""
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:\n)", "\n" + dry_run_output):
        head = re.match(r"(?:local)?rule (\w+):\n", block)
        if head:
            county = re.search(r"^\s+wildcards: .*?\bcounty=(\w+)", block, flags=re.M)
            jobs.append((head.group(1), county.group(1) if county else None))
    return jobs


def test_planned_jobs_reads_rules_and_counties():
    text = ("Building DAG of jobs...\n\nrule simulate:\n    input: a\n    output: b\n"
            "    jobid: 3\n    wildcards: county=anshun\n    resources: tmpdir=x\n\n"
            "localrule all:\n    input: c\n    jobid: 0\n\nJob stats:\n")
    assert planned_jobs(text) == [("simulate", "anshun"), ("all", None)]


@pytest.fixture(scope="module")
def finished_copy(pipeline_project, tmp_path_factory) -> Path:
    """The finished tiny run, copied with file times and .snakemake metadata."""
    copy = tmp_path_factory.mktemp("rerun") / "project"
    shutil.copytree(pipeline_project, copy, symlinks=True,
                    ignore=shutil.ignore_patterns("locks"))
    return copy


def test_a_finished_run_plans_nothing(finished_copy, snakemake_runner):
    dry = snakemake_runner(finished_copy, "-n")
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert "Nothing to be done" in dry.stdout + dry.stderr
    assert planned_jobs(dry.stdout + dry.stderr) == []


def test_one_profile_change_reruns_only_that_county_and_the_combining_jobs(
    finished_copy, snakemake_runner
):
    profile = finished_copy / "config" / "counties" / f"{COUNTY}.yaml"
    data = yaml.safe_load(profile.read_text(encoding="utf-8"))
    households = data["structure"]["households"]["value"]
    text = profile.read_text(encoding="utf-8")
    # a value that matters: the county's number of households (the simulated panel's size)
    changed = text.replace(f"value: {households}\n", f"value: {households + 1000}\n", 1)
    assert changed != text
    profile.write_text(changed, encoding="utf-8")
    assert yaml.safe_load(changed)["structure"]["households"]["value"] == households + 1000

    dry = snakemake_runner(finished_copy, "-n")
    assert dry.returncode == 0, dry.stderr[-3000:]
    jobs = planned_jobs(dry.stdout + dry.stderr)
    assert len(jobs) == len(set(jobs)), jobs  # each job planned once
    expected = ({(rule, COUNTY) for rule in COUNTY_CHAIN} | {(rule, None) for rule in COMBINING}
                | {(HELD_OUT, county) for county in COUNTIES})
    assert set(jobs) == expected, dry.stdout[-4000:]
    others = set(COUNTIES) - {COUNTY}
    assert not [job for job in jobs if job[1] in others and job[0] != HELD_OUT]
