"""The cleaning stage of the pipeline: read a county's inputs, clean, write atomically.

Synthetic inputs arrive as canonical parquet tables; real exports (xlsx/csv) go through
``relapse_models.ingest`` first (issue 5) and then the same validation.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from relapse_models.clean import CleanResult, clean_tables
from relapse_models.io import read_parquet, write_json, write_parquet

TABLES = ("households", "panel", "events")


def read_inputs(inputs: list[str]) -> dict[str, pd.DataFrame]:
    """Canonical parquet inputs named ``<table>.parquet``."""
    by_name = {Path(p).stem: p for p in inputs}
    missing = [t for t in TABLES if t not in by_name]
    if missing:
        raise FileNotFoundError(
            f"cleaning inputs lack table(s) {missing}; got {sorted(by_name)} "
            "(exports in xlsx/csv need `data.source: files`)"
        )
    return {t: read_parquet(by_name[t]) for t in TABLES}


def run(county: str, inputs: list[str], out_dir: str | os.PathLike[str]) -> CleanResult:
    """Clean one county and write its kept tables, quarantine and report to ``out_dir``."""
    result = clean_tables(read_inputs(inputs), source=county)
    out = Path(out_dir)
    for name, df in result.tables.items():
        write_parquet(df, out / f"{name}.parquet")
    write_parquet(result.quarantine, out / "quarantine.parquet")
    write_json({"county_id": county, **result.report}, out / "cleaning_report.json")
    return result


def report_table(report: dict) -> pd.DataFrame:
    """The per-table reconciliation of a cleaning report as a small table."""
    rows = [
        {"table": t, **report[t]} for t in TABLES if t in report
    ]
    return pd.DataFrame(rows, columns=["table", "rows_in", "kept", "quarantined"])
