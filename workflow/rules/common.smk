# Shared helpers. Module-level code stays cheap: cluster jobs re-read this file.
import json
import os
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version

from relapse_models.core.config import (
    ConfigError,
    check_lines,
    check_profiles,
    load_schema,
    validate_config,
)

min_version("9.0")


# A bad config stops the run before any job, with one message naming every bad key: the
# schema (types, ranges, unknown keys; defaults filled in) plus the rules a schema cannot
# express (year ranges, a profile per county, a monitoring line for every county's province
# and simulated year).
try:
    config.update(
        validate_config(
            config, load_schema(Path(workflow.current_basedir, "..", "schemas", "config.schema.yaml"))
        )
    )
    check_profiles(config)
    check_lines(config)
except ConfigError as err:
    raise WorkflowError(
        f"{err}\nEvery key is described in workflow/schemas/config.schema.yaml."
    ) from None

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
NOTEBOOK_TIMEOUT = 3600  # seconds per notebook cell


wildcard_constraints:
    county="|".join(COUNTIES),


def county_profile(wildcards):
    """The county's profile: changing it reruns only that county's jobs."""
    return f"{config['profiles_dir']}/{wildcards.county}.yaml"


def config_json(*sections):
    """The config sections a job depends on, as JSON: a change reruns exactly those jobs."""
    return json.dumps({key: config[key] for key in sections}, sort_keys=True, ensure_ascii=False)


def simulate_params(wildcards):
    return config_json("seed", "simulate", "monitoring", "guards")


def county_calibration(wildcards):
    """The simulated county's calibration record and guard results (synthetic runs only)."""
    if config["data"]["source"] != "synthetic":
        return []
    return f"reports/metrics/calibration/{wildcards.county}.json"


def calibration_option(wildcards, input):
    return f"--calibration {input.calibration}" if input.calibration else ""


def clean_inputs(wildcards):
    """Observable inputs of the cleaning step: synthetic tables or the county's exports."""
    if config["data"]["source"] == "files":
        return config["data"]["files"][wildcards.county]
    return [f"data/raw/{wildcards.county}/{t}.parquet" for t in ("households", "panel", "events")]


def clean_inputs_json(wildcards):
    return json.dumps(clean_inputs(wildcards))


def truth_inputs(wildcards):
    """Synthetic runs also hand the ground truth to the pooled model step (oracle metrics)."""
    if config["data"]["source"] != "synthetic":
        return []
    return expand("data/truth/{county}/truth.parquet", county=COUNTIES)


def robustness_inputs(wildcards):
    """The robustness tables across truth mechanisms (synthetic runs only)."""
    if config["data"]["source"] != "synthetic":
        return []
    return [f"reports/metrics/robustness/{name}.csv" for name in ("metrics", "comparisons", "findings")]


def county_truth(wildcards):
    """The county's own ground truth for its per-county fit (synthetic runs only)."""
    if config["data"]["source"] != "synthetic":
        return []
    return f"data/truth/{wildcards.county}/truth.parquet"


def profiles_json(wildcards):
    return json.dumps([f"{config['profiles_dir']}/{county}.yaml" for county in COUNTIES])


def features_params(wildcards):
    return config_json("monitoring", "features")


def model_params(wildcards):
    return config_json("seed", "monitoring", "rule", "models", "capacity")


def threshold_params(wildcards):
    return config_json(
        "seed", "monitoring", "features", "rule", "models", "capacity", "thresholds", "report"
    )


def reconcile_params(wildcards):
    return config_json("data", "simulate")


def report_params(wildcards):
    return config_json("report", "capacity", "monitoring", "data", "simulate")


def whatif_profile():
    """The profile of `whatif.county` (null: the first of counties)."""
    county = config["whatif"]["county"] or COUNTIES[0]
    return f"{config['profiles_dir']}/{county}.yaml"


def whatif_targets():
    """The what-if outputs (synthetic runs only: real exports have no generator to replay)."""
    if config["data"]["source"] != "synthetic":
        return []
    return ["reports/whatif.html", "reports/metrics/whatif/summary.csv"]
