"""The cleaning stage of the pipeline: read a county's inputs, clean, write atomically.

Synthetic inputs arrive as canonical parquet tables; real exports (xlsx/csv) go through
``relapse_models.data.ingest`` first (issue 5) and then the same validation. Either way the
quarantine has one schema (:data:`relapse_models.data.ingest.sheet.QUARANTINE_COLUMNS`: table,
source, file, sheet, row, column, header, rule, message, masked value).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from relapse_models.core.io import write_csv, write_json, write_parquet
from relapse_models.data.clean import CleanResult, clean_tables
from relapse_models.data.ingest import ingest_files
from relapse_models.data.ingest.pseudonym import PseudonymKeyError, load_key
from relapse_models.data.ingest.sheet import QUARANTINE_COLUMNS

TABLES = ("households", "panel", "events")
EXPORT_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".csv", ".txt", ".tsv"}


def read_inputs(inputs: list[str]) -> dict[str, pd.DataFrame]:
    """Canonical parquet inputs named ``<table>.parquet``."""
    by_name = {Path(p).stem: p for p in inputs}
    missing = [t for t in TABLES if t not in by_name]
    if missing:
        raise FileNotFoundError(
            f"cleaning inputs lack table(s) {missing}; got {sorted(by_name)} "
            "(exports in xlsx/csv need `data.source: files`)"
        )
    return {t: _read_plain(by_name[t]) for t in TABLES}


def _read_plain(path: str) -> pd.DataFrame:
    """A parquet table with dictionary-encoded columns (the generator's categoricals) decoded
    to plain strings by arrow: the schema's coercion to ``str`` is then a no-op instead of a
    slow conversion from pandas categoricals (same values either way)."""
    table = pq.read_table(path)
    schema = pa.schema([
        f.with_type(f.type.value_type) if pa.types.is_dictionary(f.type) else f
        for f in table.schema
    ])
    return table.cast(schema).to_pandas()


def is_export(inputs: list[str]) -> bool:
    """Whether ``inputs`` are exports (xlsx/xls/csv) rather than canonical parquet tables."""
    return any(Path(p).suffix.lower() in EXPORT_SUFFIXES for p in inputs)


def run(
    county: str,
    inputs: list[str],
    out_dir: str | os.PathLike[str],
    key: bytes | str | None = None,
    synthetic: bool = False,
    columns: str | None = None,
) -> CleanResult:
    """Clean one county and write its kept tables, quarantine and report to ``out_dir``.

    Exports (``data.source: files``) are ingested first (:mod:`relapse_models.data.ingest`): the
    pseudonymisation key comes from ``key`` or the environment; ``synthetic`` allows the
    demo key for the generator's messy exports. Canonical parquet inputs are cleaned as
    they are.
    """
    if is_export(inputs):
        result = ingest_files(inputs, county, load_key(key, synthetic=synthetic), columns=columns)
    else:
        result = clean_tables(read_inputs(inputs), source=county)
        result.quarantine = locate_parquet_quarantine(result.quarantine, inputs)
    write_outputs(result, county, out_dir)
    return result


def check_real_data(config: dict, root: str | os.PathLike[str] = ".") -> None:
    """Before a run on real exports (``data.source: files``) starts any job: every listed
    export exists (paths relative to the project folder ``root``) and a pseudonymisation key
    is set (:func:`relapse_models.data.ingest.load_key`), so a missing file or key stops the
    run at once, naming it, rather than a job half-way (or none: an export that is not there
    would otherwise leave the last run's cleaned tables in place). A county without files is
    a config error (:func:`relapse_models.core.config.validate_config`)."""
    if config["data"]["source"] != "files":
        return
    missing = [
        f"{county}: {path}"
        for county, paths in config["data"]["files"].items() if county in config["counties"]
        for path in paths if not (Path(root) / path).is_file()
    ]
    if missing:
        raise FileNotFoundError(
            "data.source is files but these exports (data.files) do not exist:\n  "
            + "\n  ".join(missing)
        )
    try:
        load_key()
    except PseudonymKeyError as err:
        raise PseudonymKeyError(f"data.source is files (real exports): {err}") from None


def locate_parquet_quarantine(q: pd.DataFrame, inputs: list[str]) -> pd.DataFrame:
    """Quarantine lines of canonical parquet inputs in the one quarantine schema of the
    exports (:data:`QUARANTINE_COLUMNS`): ``file`` is the table's file name, ``sheet`` and
    ``header`` are empty, and ``row`` counts records from 1 (the first record is row 1), as a
    spreadsheet's data rows would be counted."""
    files = {Path(p).stem: Path(p).name for p in inputs}
    out = q.copy()
    out["file"] = out["table"].map(files).fillna("")
    out["sheet"] = ""
    out["header"] = ""
    out["row"] = out["row"].astype("int64") + 1
    return out[QUARANTINE_COLUMNS].reset_index(drop=True)


def write_outputs(result: CleanResult, county: str, out_dir: str | os.PathLike[str]) -> None:
    """Kept tables and quarantine as parquet (quarantine also as CSV, for reading in Excel),
    the report as JSON; every file written atomically."""
    out = Path(out_dir)
    for name, df in result.tables.items():
        write_parquet(df, out / f"{name}.parquet")
    write_parquet(result.quarantine, out / "quarantine.parquet")
    write_csv(result.quarantine, out / "quarantine.csv")
    write_json({"county_id": county, **result.report}, out / "cleaning_report.json")


def report_table(report: dict) -> pd.DataFrame:
    """The per-table reconciliation of a cleaning report as a small table."""
    rows = [
        {"table": t, **report[t]} for t in TABLES if t in report
    ]
    return pd.DataFrame(rows, columns=["table", "rows_in", "kept", "quarantined"])


def files_table(report: dict) -> pd.DataFrame:
    """The per-file reconciliation of an ingest (empty for canonical parquet inputs)."""
    cols = ["file", "sheet", "table", "rows_in", "kept", "quarantined", "blank_rows"]
    return pd.DataFrame(report.get("files", []), columns=cols)
