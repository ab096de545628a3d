"""Every file of a run, as a pattern relative to the project folder.

The rules (workflow/rules/*.smk) name their inputs, outputs, logs and benchmarks from here, and
the package's defaults too, so a path is written once. Per-county patterns keep ``{county}`` as
a Snakemake wildcard; ``for_county`` fills it in for library calls.
"""

from __future__ import annotations

RAW_TABLES = ("households", "panel", "events")
"""The observable tables of a county, synthetic or cleaned from exports."""

# data/: the tables between steps (parquet)
RAW_DIR = "data/raw/{county}"
TRUTH_ROOT = "data/truth"
TRUTH_DIR = f"{TRUTH_ROOT}/{{county}}"
TRUTH = f"{TRUTH_DIR}/truth.parquet"
INTERIM_DIR = "data/interim/{county}"
QUARANTINE = f"{INTERIM_DIR}/quarantine.parquet"
CLEANING_REPORT = f"{INTERIM_DIR}/cleaning_report.json"
PROCESSED_ROOT = "data/processed"
FEATURES = f"{PROCESSED_ROOT}/{{county}}/features.parquet"
MODELS_ROOT = f"{PROCESSED_ROOT}/models"
COUNTY_MODELS_DIR = f"{MODELS_ROOT}/{{county}}"
COUNTY_PREDICTIONS = f"{COUNTY_MODELS_DIR}/predictions.parquet"
PREDICTIONS = f"{MODELS_ROOT}/predictions.parquet"
HELD_OUT_DIR = f"{MODELS_ROOT}/held_out/{{county}}"
"""A county left out of the pooled models: fitted on the other counties (rule fit_loco)."""
POOLED_INPUTS = f"{MODELS_ROOT}/inputs.json"
"""Every county's features and truth files: one dependency of every held-out fit."""

# reports/metrics/: the figures the pages read (CSV and JSON)
METRICS = "reports/metrics"
CALIBRATION = f"{METRICS}/calibration/{{county}}.json"
COUNTY_MODELS = f"{METRICS}/models/{{county}}.json"
COUNTY_COEFFICIENTS = f"{METRICS}/coefficients/{{county}}.csv"
MODELS = f"{METRICS}/models.json"
COEFFICIENTS = f"{METRICS}/coefficients.csv"
DRIVERS = f"{METRICS}/drivers.csv"
ROBUSTNESS_DIR = f"{METRICS}/robustness"
ROBUSTNESS_TABLES = ("metrics", "comparisons", "findings")
DRIFT_DIR = f"{METRICS}/drift"
COUNTY_DRIFT_DIR = f"{METRICS}/drift_county/{{county}}"
DRIFT_TABLES = ("years", "psi", "recalibration")
DRIFT_SUMMARY = "drift.json"
COUNTY_THRESHOLDS = f"{METRICS}/thresholds/{{county}}.csv"
COUNTY_RECOMMENDED = f"{METRICS}/recommended/{{county}}.json"
COUNTY_THRESHOLDS_DETAIL = f"{METRICS}/thresholds_detail/{{county}}"
COUNTY_TIER_COMPARISON = f"{METRICS}/tier_comparison/{{county}}.csv"
THRESHOLDS = f"{METRICS}/thresholds.csv"
RECOMMENDED = f"{METRICS}/recommended_thresholds.json"
TIER_COMPARISON = f"{METRICS}/tier_comparison.csv"
COUNTY_RECONCILIATION = f"{METRICS}/reconciliation/{{county}}.csv"
WHATIF_DIR = f"{METRICS}/whatif"
WHATIF_RESULTS = f"{WHATIF_DIR}/results.csv"
WHATIF_SUMMARY = f"{WHATIF_DIR}/summary.csv"

# reports/: the pages and the run's records
RECONCILIATION = "reports/reconciliation.csv"
COUNTY_PAGE = "reports/counties/{county}.html"
INDEX_PAGE = "reports/index.html"
WHATIF_PAGE = "reports/whatif.html"
NOTEBOOKS = "reports/notebooks"


def in_dir(folder: str, name: str, suffix: str = "") -> str:
    """A file of a pattern folder (``in_dir(RAW_DIR, "panel", ".parquet")``)."""
    return f"{folder}/{name}{suffix}"


def notebook(step: str, county: bool = True) -> str:
    """The executed notebook of a step, per county (``{county}`` kept) or pooled."""
    return f"{NOTEBOOKS}/{step}_{{county}}.ipynb" if county else f"{NOTEBOOKS}/{step}.ipynb"


def log(rule: str, job: str = "{county}") -> str:
    """A rule's log; per-county rules keep ``{county}``, pooled ones are ``all``."""
    return f"reports/logs/{rule}/{job}.log"


def benchmark(rule: str, job: str = "{county}") -> str:
    """A rule's Snakemake benchmark, mirroring its log."""
    return f"reports/benchmarks/{rule}/{job}.tsv"


def for_county(pattern: str, county: str) -> str:
    """The pattern's path for one county."""
    return pattern.replace("{county}", county)
