"""The path patterns of a run: written once (core.paths), used by the rules and the package."""

import re
from pathlib import Path

from relapse_models.core import paths

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW_FILES = [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]


def test_for_county_fills_every_county_placeholder():
    assert paths.for_county(paths.FEATURES, "yeji") == "data/processed/yeji/features.parquet"
    assert paths.for_county(paths.COUNTY_DRIFT_DIR, "a_1") == "reports/metrics/drift_county/a_1"
    assert paths.for_county(paths.MODELS, "yeji") == paths.MODELS  # pooled: unchanged


def test_files_of_a_pattern_folder_keep_the_wildcard():
    assert paths.in_dir(paths.RAW_DIR, "panel", ".parquet") == "data/raw/{county}/panel.parquet"
    assert paths.in_dir(paths.DRIFT_DIR, paths.DRIFT_SUMMARY) == "reports/metrics/drift/drift.json"


def test_notebooks_logs_and_benchmarks_mirror_the_rule():
    assert paths.notebook("03_thresholds") == "reports/notebooks/03_thresholds_{county}.ipynb"
    assert paths.notebook("02_models", county=False) == "reports/notebooks/02_models.ipynb"
    assert paths.log("features") == "reports/logs/features/{county}.log"
    assert paths.benchmark("fit", "all") == "reports/benchmarks/fit/all.tsv"


def test_per_county_patterns_have_one_wildcard_and_pooled_ones_none():
    patterns = {k: v for k, v in vars(paths).items() if k.isupper() and isinstance(v, str)}
    for name, pattern in patterns.items():
        wildcards = set(re.findall(r"{(\w+)}", pattern))
        assert wildcards <= {"county"}, (name, pattern)
        assert ("{county}" in pattern) == (name.startswith("COUNTY_") or name in {
            "RAW_DIR", "TRUTH_DIR", "TRUTH", "INTERIM_DIR", "QUARANTINE", "CLEANING_REPORT",
            "FEATURES", "CALIBRATION", "HELD_OUT_DIR"}), (name, pattern)


def test_the_rules_write_no_path_of_their_own():
    """Every data/ and reports/ path in the workflow comes from core.paths (or another rule's
    output): a literal here would drift from the package's defaults."""
    literal = re.compile(r"""["'](data|reports|scratch)/""")
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in WORKFLOW_FILES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if literal.search(line) and not line.lstrip().startswith("#")
    ]
    assert not found, "\n".join(found)


def test_the_whatif_notebook_reads_the_stages_tables_by_default():
    """Opened by hand, notebook 06_whatif reads the files rule whatif writes."""
    import jupytext

    from relapse_models.stages.notebook import notebook_source

    cell = jupytext.read(notebook_source("06_whatif")).cells[0]
    defaults: dict = {}
    exec(cell.source, defaults)
    assert defaults["results_path"] == paths.WHATIF_RESULTS == "reports/metrics/whatif/results.csv"
    assert defaults["summary_path"] == paths.WHATIF_SUMMARY
    assert paths.notebook("06_whatif", county=False) == "reports/notebooks/06_whatif.ipynb"
