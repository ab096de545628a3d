"""Ingest real monitoring exports: read (xlsx/xls/csv, any encoding), map Chinese headers,
convert units and dates, pseudonymise personal data, build the canonical tables and clean
them, losing no row.

    result = ingest_files(["county.xlsx"], county_id="xunyi", key=load_key())
    result.tables["panel"], result.quarantine, result.report

Layouts: one row per household and quarter (the usual export), one row per household and
month (months are added up to quarters: flows summed, states as at the quarter's end; a
quarter missing a month is quarantined), one row per person with 与户主关系 (members are added
up to one household record, the head being the member marked 户主), household and event
sheets beside a quarterly sheet. Merged cells below the header fill the rows they cover.

Every input row ends either in ``result.tables`` or in ``result.quarantine`` (with its file,
sheet, spreadsheet row, column, rule and message); ``result.report["files"]`` reconciles
``rows_in = kept + quarantined`` per file and sheet (a month or member row counts as kept
when the record it was added to is kept). Problems no row can fix (unreadable, truncated or
mis-named file, mixed encodings, missing required column) raise :class:`IngestError` with
one message naming the file.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from relapse_models.data.clean import CleanResult, clean_tables
from relapse_models.data.ingest.assemble import PROV, IngestError, assemble
from relapse_models.data.ingest.headers import load_columns
from relapse_models.data.ingest.pseudonym import DEMO_KEY, PseudonymKeyError, load_key, pseudonymize
from relapse_models.data.ingest.read import ReadError, read_sheets
from relapse_models.data.ingest.sheet import (
    QUARANTINE_COLUMNS,
    ParsedSheet,
    empty_quarantine,
    parse_sheet,
)

__all__ = ["DEMO_KEY", "IngestError", "IngestResult", "PseudonymKeyError", "QUARANTINE_COLUMNS",
           "ingest_files", "load_key", "pseudonymize"]


@dataclass
class IngestResult(CleanResult):
    """Clean canonical tables, quarantine (one line per rule broken, personal values masked)
    and the cleaning report (per table and per file)."""


def _display_names(paths: list[Path]) -> dict[Path, str]:
    """File names as shown in outputs: the base name, or the path when base names clash
    (never an absolute path, so outputs do not depend on where the data sit)."""
    counts = Counter(p.name for p in paths)
    return {p: (p.name if counts[p.name] == 1 else str(p)) for p in paths}


def ingest_files(
    paths: list[str | os.PathLike[str]],
    county_id: str,
    key: bytes,
    columns: str | os.PathLike[str] | None = None,
    age_reference_year: int | None = None,
) -> IngestResult:
    """Read, map, pseudonymise, assemble and clean one county's exports.

    ``key`` is the pseudonymisation key (:func:`load_key`). ``columns`` is a header mapping
    (default ``config/columns.yaml``). Head age is counted in ``age_reference_year``
    (default: the first year of the panel).
    """
    specs, lookup = load_columns(columns)
    files = [Path(p) for p in paths]
    if not files:
        raise IngestError("no input files given")
    names = _display_names(files)
    parsed: list[ParsedSheet] = []
    skipped: list[dict[str, str]] = []
    for path in files:
        try:
            sheets = read_sheets(path)
        except ReadError as err:
            raise IngestError(str(err)) from err
        found = 0
        for raw in sheets:
            try:
                sheet = parse_sheet(raw, names[path], specs, lookup, key)
            except ReadError as err:
                raise IngestError(str(err)) from err
            if sheet is None:
                skipped.append({"file": names[path], "sheet": raw.sheet,
                                "reason": "no header row with known column names"})
                continue
            parsed.append(sheet)
            found += 1
        if not found:
            hidden = sorted({h for raw in sheets for h in raw.hidden})
            raise IngestError(
                f"{names[path]}: no sheet has a header row with at least 3 known column names "
                "(户编号, 证件号码, 年度, 季度, 工资性收入, ...); add the file's headers to "
                "config/columns.yaml"
                + (f"; hidden sheets are not read, unhide them if they hold the data: "
                   f"{', '.join(hidden)}" if hidden else "")
            )
    tables, assembly_q, notes, kinds, members = assemble(parsed, county_id, specs, age_reference_year)
    result = clean_tables(tables, source=county_id)
    quarantine = _spread(_locate(result.quarantine, tables, county_id), members)
    quarantine = pd.concat(
        [q for q in (*[p.quarantine for p in parsed], assembly_q, quarantine) if len(q)]
        or [empty_quarantine()], ignore_index=True,
    )
    quarantine["table"] = quarantine["table"].replace("", "input")
    quarantine["source"] = county_id
    quarantine = quarantine[QUARANTINE_COLUMNS].sort_values(
        ["file", "sheet", "row", "table", "column", "rule"], kind="stable"
    ).drop_duplicates().reset_index(drop=True)
    files_report = _reconcile(parsed, kinds, result.tables, quarantine, members)
    clean = {name: df.drop(columns=[c for c in df.columns if str(c).startswith("_")])
             for name, df in result.tables.items()}
    report: dict[str, Any] = {
        **{k: v for k, v in result.report.items() if k != "rules"},
        "rules": _rule_counts(quarantine),
        "files": files_report,
        "sheets_skipped": skipped,
        "unmatched_headers": sorted({h for p in parsed for h in p.header.unmatched}),
        "duplicate_headers_ignored": sorted({h for p in parsed for h in p.header.duplicates}),
        **notes,
    }
    return IngestResult(tables=clean, quarantine=quarantine, report=report)


def _locate(q: pd.DataFrame, tables: dict[str, pd.DataFrame], county_id: str) -> pd.DataFrame:
    """Quarantine lines of the canonical tables, pointed back at the file, sheet and row
    each record came from."""
    if q.empty:
        return empty_quarantine()
    parts = []
    for name, lines in q.groupby("table", sort=False):
        prov = tables[str(name)][PROV].reset_index(drop=True)
        at = prov.loc[lines["row"].to_numpy()]
        parts.append(lines.assign(
            file=at["_file"].to_numpy(), sheet=at["_sheet"].to_numpy(),
            row=at["_row"].to_numpy(dtype="int64"), header="",
        ))
    return pd.concat(parts, ignore_index=True)


def _spread(q: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """A quarantined quarter added up from monthly rows: every month's row gets the line."""
    if q.empty or members.empty:
        return q
    m = members[members["row"] != members["member"]]
    extra = q.merge(m, on=["file", "sheet", "row"]).drop(columns="row").rename(columns={"member": "row"})
    return pd.concat([q, extra[q.columns]], ignore_index=True)


def _rule_counts(q: pd.DataFrame) -> list[dict[str, Any]]:
    if q.empty:
        return []
    return q.groupby(["table", "rule"]).size().rename("n").reset_index().to_dict("records")


def _reconcile(parsed: list[ParsedSheet], kinds: dict[tuple[str, str], str],
               tables: dict[str, pd.DataFrame], q: pd.DataFrame,
               members: pd.DataFrame) -> list[dict[str, Any]]:
    """Per file and sheet: rows in = kept + quarantined, checked, not assumed. A row is kept
    when its record (or the quarter its month was added to) is in the clean table it belongs
    to and it has no quarantine line."""
    out = []
    for p in parsed:
        kind = kinds[(p.file, p.sheet)]
        t = tables[kind]
        rows = set(t.loc[(t["_file"] == p.file) & (t["_sheet"] == p.sheet), "_row"].astype(int))
        m = members[(members["file"] == p.file) & (members["sheet"] == p.sheet)]
        rows |= set(m.loc[m["row"].isin(rows), "member"].astype(int))
        bad = set(q.loc[(q["file"] == p.file) & (q["sheet"] == p.sheet), "row"].astype(int))
        entry = {"file": p.file, "sheet": p.sheet, "table": kind, "rows_in": p.rows_in,
                 "kept": len(rows - bad), "quarantined": len(bad), "blank_rows": p.blank_rows,
                 "header_rows": [r + 1 for r in p.header.rows]}
        if entry["rows_in"] != entry["kept"] + entry["quarantined"]:
            raise AssertionError(f"rows lost in {p.file} [{p.sheet}]: {entry}")
        out.append(entry)
    return out
