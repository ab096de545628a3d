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

from relapse_models.core.schema import domain_report
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
        if not found and not any(c for raw in sheets for r in raw.head for c in r):
            raise IngestError(f"{names[path]}: the workbook is empty: "
                              + (f"its sheet(s) {', '.join(raw.sheet for raw in sheets)} hold no "
                                 "cell" if sheets else "it has no visible sheet")
                              + (f"; hidden sheets are not read, unhide them if they hold the "
                                 f"data: {', '.join(sorted({h for raw in sheets for h in raw.hidden}))}"
                                 if any(raw.hidden for raw in sheets) else ""))
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
    quarantine = _spread(_locate(result.quarantine, tables, _written_headers(parsed)), members)
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
        **domain_report(clean),
    }
    return IngestResult(tables=clean, quarantine=quarantine, report=report)


def _written_headers(parsed: list[ParsedSheet]) -> dict[tuple[str, str], dict[str, str]]:
    """(file, sheet) -> canonical column -> the header as written in that sheet."""
    out = {}
    for p in parsed:
        names = {canon: p.header.headers[pos] for pos, canon in p.header.columns.items()}
        if "income_net_pc" in names:  # per-capita income became the household's
            names.setdefault("income_net", names["income_net_pc"])
        for canon, via in (("date", "eliminated_date"), ("year", "period"), ("quarter", "period"), ("quarter", "month"),
                           ("year", "month"), ("household_id", "id_number")):
            if canon not in names and via in names:
                names[canon] = names[via]
        med = {c: names.get(c) for c in ("medical_total", "medical_reimbursed", "medical_oop")}
        if med["medical_total"] and med["medical_reimbursed"] and not med["medical_oop"]:
            names["medical_oop"] = f"{med['medical_total']} − {med['medical_reimbursed']}"
        if med["medical_reimbursed"] and med["medical_oop"] and not med["medical_total"]:
            names["medical_total"] = f"{med['medical_reimbursed']} + {med['medical_oop']}"
        if med["medical_total"] and med["medical_oop"] and not med["medical_reimbursed"]:
            names["medical_reimbursed"] = f"{med['medical_total']} − {med['medical_oop']}"
        out[(p.file, p.sheet)] = names
    return out


def _as_written(columns: str, names: dict[str, str]) -> str:
    """Canonical column(s) (comma-separated) as the headers a user sees; a derived column
    with no header of its own keeps its name."""
    if not columns:
        return ""
    cols = columns.split(",")
    if len(cols) > 1:  # a key: the parts the file has (an annual sheet has no quarter)
        cols = [c for c in cols if c in names] or cols
    return ",".join(names.get(c, c) for c in cols)


RULE_TEXT = {
    "greater_than_or_equal_to(0)": "is negative",
    "reimbursed_le_total": "is more than {medical_total}",
    "duplicate": "same {header} as an earlier row and every cell equal: the first copy is kept",
    "duplicate_conflict": "same {header} as another row but other cells differ: none kept",
    "oop_equals_total_minus_reimbursed": "is not {medical_total} − {medical_reimbursed}",
    "eliminated_before_identified": "is before the household's identification date",
    "unknown_household": "is not in the households table (or its household was quarantined)",
}
"""Messages of the rules checked after reading, in the words of the file's headers."""


def _message(rule: str, header: str, default: str, names: dict[str, str]) -> str:
    text = RULE_TEXT.get(rule)
    if text is None:
        return f"{header!r}: {default}" if header else default
    text = text.format_map(_Written({**names, "header": header}))
    if rule.startswith("duplicate"):
        return text
    return f"{header!r} {text}" if header else text


class _Written(dict):
    """Format fields: a canonical name -> its header as written (or the name)."""

    def __init__(self, names: dict[str, str]) -> None:
        super().__init__({k: repr(v) for k, v in names.items()})

    def __missing__(self, key: str) -> str:
        return repr(key)


def _locate(q: pd.DataFrame, tables: dict[str, pd.DataFrame],
            written: dict[tuple[str, str], dict[str, str]]) -> pd.DataFrame:
    """Quarantine lines of the canonical tables, pointed back at the file, sheet and row
    each record came from, with the header as written in that file and a message in its
    words."""
    if q.empty:
        return empty_quarantine()
    parts = []
    for name, lines in q.groupby("table", sort=False):
        prov = tables[str(name)][PROV].reset_index(drop=True)
        at = prov.loc[lines["row"].to_numpy()]
        files, sheets = at["_file"].to_numpy(), at["_sheet"].to_numpy()
        headers, messages = [], []
        for f, sh, col, rule, msg in zip(files, sheets, lines["column"], lines["rule"],
                                         lines["message"], strict=True):
            names = written.get((f, sh), {})
            header = _as_written(str(col), names)
            headers.append(header)
            messages.append(_message(str(rule), header, str(msg), names))
        parts.append(lines.assign(
            file=files, sheet=sheets, row=at["_row"].to_numpy(dtype="int64"),
            header=headers, message=messages,
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
