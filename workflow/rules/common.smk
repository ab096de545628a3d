# Shared helpers. Module-level code stays cheap: cluster jobs re-read this file.
import inspect
import json
import os
import signal
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

from snakemake.common import overwrite_function_params
from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version

from relapse_models.core import paths
from relapse_models.core.config import (
    ConfigError,
    check_lines,
    check_profiles,
    load_schema,
    validate_config,
    whatif_county,
)
from relapse_models.core.signals import handle_in_thread

min_version("9.0")


onstart:
    # `kill` (SIGTERM) stops the run after its running jobs: Snakemake's handler would
    # otherwise deadlock on a signal that arrives while its scheduler holds its lock.
    handle_in_thread(signal.SIGTERM)


# A bad config stops the run before any job, with one message naming every bad key: the
# schema (types, ranges, unknown keys; defaults filled in) plus the rules a schema cannot
# express (year ranges, a profile per county, a monitoring line for every county's province
# and simulated year).
SCHEMA = load_schema(Path(workflow.current_basedir, "..", "schemas", "config.schema.yaml"))
try:
    config.update(validate_config(config, SCHEMA))
    check_profiles(config)
    check_lines(config)
except ConfigError as err:
    raise WorkflowError(
        f"{err}\nEvery key is described in workflow/schemas/config.schema.yaml."
    ) from None
COUNTY_ID = SCHEMA["properties"]["counties"]["items"]["pattern"].removeprefix("^").removesuffix("$")

# Jobs run the commands of the interpreter running Snakemake (the project's venv), so the
# README's commands work from any shell, with or without .venv/bin on PATH; one hash seed
# and one BLAS thread per job unless a rule asks for more, as `make` sets them.
os.environ.update(
    PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    PYTHONHASHSEED="0",
)
os.environ.setdefault("OMP_NUM_THREADS", "1")


def half_the_cores():
    """Threads of the two pooled jobs: half of --cores (1 to 8), so on one machine they run
    beside the county chains. Cluster executors have no --cores (Snakemake raises when it
    is read); there the profile's set-threads decides, and this default is 1."""
    try:
        cores = workflow.cores
    except WorkflowError:
        cores = 2
    return max(1, min(cores or 2, 16) // 2)


COUNTIES = config["counties"]
COUNTIES_JSON = json.dumps(COUNTIES)
SYNTHETIC = config["data"]["source"] == "synthetic"
NOTEBOOK_TIMEOUT = 3600  # seconds per notebook cell
# leave-one-county-out fits, one job per county (rule fit_loco), when there are two counties
HELD_OUT = config["models"]["leave_one_county_out"] and len(COUNTIES) > 1


# Any county id the schema accepts: a pattern rather than the alternation of the configured
# ids, which Snakemake would rescan for every file of a 1,000-county DAG. Every configured
# county has a profile (checked above), so another id fails on its missing profile.
wildcard_constraints:
    county=COUNTY_ID,


# The county's profile: changing it reruns only that county's jobs.
PROFILE = f"{config['profiles_dir']}/{{county}}.yaml"
PROFILES = expand(PROFILE, county=COUNTIES)


def job_function(func: Callable) -> Callable:
    """An input or param function whose parameters are read once, here: Snakemake otherwise
    calls inspect.signature at every use (three times per function per job, about 0.5 s of a
    1,000-county dry run)."""
    overwrite_function_params(func, inspect.signature(func).parameters)
    return func


@cache
def config_json(*sections):
    """The config sections a job depends on, as JSON: a change reruns exactly those jobs. A
    section is a key, or a (key, setting) pair for one setting of a section. Cached: the
    resolved config does not change during a run."""
    picked = {}
    for section in sections:
        if isinstance(section, tuple):
            key, setting = section
            picked.setdefault(key, {})[setting] = config[key][setting]
        else:
            picked[section] = config[section]
    return json.dumps(picked, sort_keys=True, ensure_ascii=False)


def synthetic_only(*patterns):
    """Inputs that exist on synthetic runs only (the generator's truth and calibration)."""
    return list(patterns) if SYNTHETIC else []


@job_function
def simulate_params(wildcards):
    return config_json("seed", "simulate", "monitoring", "guards")


@job_function
def calibration_option(wildcards, input):
    return f"--calibration {input.calibration}" if input.calibration else ""


@job_function
def clean_inputs(wildcards):
    """Observable inputs of the cleaning step: synthetic tables or the county's exports."""
    if config["data"]["source"] == "files":
        return config["data"]["files"][wildcards.county]
    return [
        paths.for_county(paths.in_dir(paths.RAW_DIR, t, ".parquet"), wildcards.county)
        for t in paths.RAW_TABLES
    ]


@job_function
def clean_inputs_json(wildcards):
    return json.dumps(clean_inputs(wildcards))


@job_function
def profiles_json(wildcards):
    return json.dumps(PROFILES)


@job_function
def features_params(wildcards):
    """The features' settings and what decides the official line the label counts against:
    a simulated run's line break (`data.source`, `simulate.break`; see core.lines.line_break),
    so the label and the generator measure against the same line."""
    return config_json("monitoring", "features", ("data", "source"), ("simulate", "break"))


@job_function
def model_params(wildcards):
    return config_json("seed", "monitoring", "rule", "models", "capacity")


@job_function
def drift_params(wildcards):
    return config_json("seed", "monitoring", "rule", "models", "capacity", "drift")


@job_function
def robustness_params(wildcards):
    return config_json(
        "seed", "simulate", "monitoring", "features", "rule", "models", "capacity", "robustness"
    )


@job_function
def threshold_params(wildcards):
    return config_json(
        "seed", "monitoring", "features", "rule", "models", "capacity", "thresholds", "report"
    )


@job_function
def report_params(wildcards):
    return config_json("report", "capacity", "monitoring", "data", "simulate")


@job_function
def whatif_params(wildcards):
    return config_json(
        "seed", "counties", "simulate", "monitoring", "rule", "capacity", "thresholds", "whatif"
    )


@job_function
def whatif_report_params(wildcards):
    """The page's sections: its language and settings, and the scenarios it describes."""
    return config_json("report", "whatif")


@job_function
def whatif_county_param(wildcards):
    """`whatif.county` (null: the first of counties), named on the page."""
    return whatif_county(config)


@job_function
def whatif_profile(wildcards):
    """The profile of `whatif.county` (null: the first of counties)."""
    return paths.for_county(PROFILE, whatif_county(config))


def whatif_targets():
    """The what-if outputs (synthetic runs only: real exports have no generator to replay),
    the page first (the comparative report links it)."""
    return synthetic_only(paths.WHATIF_PAGE, paths.WHATIF_SUMMARY)


@job_function
def one_county_json(wildcards):
    return json.dumps([wildcards.county])


def first_file(files):
    """A job's named input or output: the file, or a list's first; empty if absent."""
    if not files:
        return ""
    return files if isinstance(files, str) else files[0]


def folder_of(name, up=1, of="input"):
    """A param: the folder ``up`` levels above the job's input (or output) ``name``, its first
    file if a list, empty if absent. Folders derive from the files, never restated, so the
    rules still hold where jobs see other paths (Snakemake's linter asks for this)."""

    @job_function
    def folder(wildcards, input, output):
        path = first_file(getattr(input if of == "input" else output, name))
        for _ in range(up):
            path = os.path.dirname(path)
        return path

    return folder


def link_to(name, of="html"):
    """A param: the link from the output ``of`` (a page) to the input ``name``'s first file,
    relative to the page's folder, empty if absent; derived from the files like folder_of."""

    @job_function
    def link(wildcards, input, output):
        path = first_file(getattr(input, name))
        return os.path.relpath(path, os.path.dirname(getattr(output, of))) if path else ""

    return link
