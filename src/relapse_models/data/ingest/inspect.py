"""A look at an export before cleaning: for every header of every sheet, what it maps to (or
that nothing does, with the known headers closest to it), which required columns are
missing, which optional domains the file has, and a header mapping with the suggestions
added, for the user to check and pass to ``clean --columns``.

Nothing is read below the header rows and no key is needed: this is about the headers.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from relapse_models.core import schema
from relapse_models.data.ingest.headers import (
    COLUMNS_PATH,
    ColumnSpec,
    find_header,
    load_columns,
    normalise_header,
)
from relapse_models.data.ingest.read import read_sheets

PERIOD_COLUMNS = ("year", "quarter", "period", "month")
INCOME_COLUMNS = (*schema.INCOME_COLUMNS, "income_net", "income_net_pc")
SUGGEST_CUTOFF = 0.6
"""Least similarity (difflib ratio of the normalised texts) for a suggested mapping."""


@dataclass
class SheetColumns:
    """How the headers of one sheet are read."""

    file: str
    sheet: str
    header_rows: tuple[int, ...]
    table: pd.DataFrame
    """One row per header: ``column`` (letter), ``header`` as written, ``maps_to``
    (canonical name or ""), ``type``, ``unit`` (yuan per unit, money only), ``suggestion``
    (for an unmatched header: the canonical column it most resembles, or "")."""
    missing_required: list[str] = field(default_factory=list)
    domains_present: list[str] = field(default_factory=list)
    domains_absent: list[str] = field(default_factory=list)
    frequency: str = ""


def _letter(j: int) -> str:
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


def suggest(header: str, specs: dict[str, ColumnSpec]) -> tuple[str, str, float]:
    """The canonical column an unknown header most resembles: ``(name, known header,
    similarity)``, or ``("", "", 0)`` below :data:`SUGGEST_CUTOFF`."""
    h = normalise_header(header)
    if not h:
        return "", "", 0.0
    best = ("", "", 0.0)
    for spec in specs.values():
        for syn in spec.synonyms:
            s = normalise_header(syn)
            ratio = difflib.SequenceMatcher(None, h, s).ratio()
            if ratio > best[2]:
                best = (spec.name, syn, ratio)
    return best if best[2] >= SUGGEST_CUTOFF else ("", "", 0.0)


def describe_columns(path: str | os.PathLike[str],
                     columns: str | os.PathLike[str] | None = None) -> list[SheetColumns]:
    """How each sheet of ``path`` would be read (see the module docstring). Sheets without
    a header row (notes, covers) come back with an empty table and every required column
    missing."""
    specs, lookup = load_columns(columns)
    out = []
    for raw in read_sheets(path):
        header = find_header(raw.head, lookup)
        name = Path(path).name
        if header is None:
            out.append(SheetColumns(name, raw.sheet, (), pd.DataFrame(
                columns=["column", "header", "maps_to", "type", "unit", "suggestion"]),
                missing_required=["household_id", "year", "income"]))
            continue
        rows = []
        width = max(len(r) for r in raw.head)
        written = dict(header.headers)
        groups = _labels(raw.head, header.rows, width)
        for j in range(width):
            text = written.get(j, groups[j])
            if not text:
                continue
            canon = header.columns.get(j, "")
            note = ""
            if j in header.duplicate_of:
                canon = header.columns[header.duplicate_of[j]]
                note = "repeated header: read once, differing rows quarantined"
            sugg = ""
            if not canon:
                name_, known, ratio = suggest(text, specs)
                sugg = f"{name_} (like {known}, {ratio:.2f})" if name_ else ""
            rows.append({
                "column": _letter(j), "header": text, "maps_to": canon,
                "type": specs[canon].type if canon else "",
                "unit": header.units.get(j, "") if canon and specs[canon].type == "money" else "",
                "suggestion": sugg or note,
            })
        table = pd.DataFrame(rows, columns=["column", "header", "maps_to", "type", "unit",
                                            "suggestion"])
        have = set(header.columns.values())
        missing = []
        if not have & {"household_id", "id_number"}:
            missing.append("household_id")
        if not have & set(PERIOD_COLUMNS):
            missing.append("year")
        if not have & set(INCOME_COLUMNS):
            missing.append("income")
        present = [d for d, cols in schema.DOMAINS.items() if have & set(cols)]
        frequency = ("monthly (added up to quarters)" if have & {"month"} else
                     "quarterly" if have & {"quarter", "period"} else
                     "annual" if "year" in have else "")
        out.append(SheetColumns(name, raw.sheet, tuple(r + 1 for r in header.rows), table,
                                missing_required=missing if have & set(INCOME_COLUMNS) or not
                                have & set(schema.HOUSEHOLDS.columns) else
                                [m for m in missing if m == "household_id"],
                                domains_present=present,
                                domains_absent=[d for d in schema.DOMAINS if d not in present],
                                frequency=frequency))
    return out


def _labels(head: list[list[str]], rows: tuple[int, ...], width: int) -> list[str]:
    """Header text of every column (unmatched ones included), as written."""
    out = []
    for j in range(width):
        parts = [head[r][j] if j < len(head[r]) else "" for r in rows]
        out.append("/".join(p for p in parts if p))
    return out


def suggested_mapping(sheets: list[SheetColumns],
                      columns: str | os.PathLike[str] | None = None) -> str:
    """The header mapping (``columns.yaml``) with each suggested header added to the
    synonyms of the column it resembles: check it, then pass it to ``clean --columns``."""
    path = Path(columns) if columns else COLUMNS_PATH
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    added = []
    for sheet in sheets:
        for _, row in sheet.table.iterrows():
            if row["maps_to"] or not row["suggestion"] or " (like " not in row["suggestion"]:
                continue
            canon = row["suggestion"].split(" (like ")[0]
            header = row["header"].split("/")[-1]
            zh = raw[canon].setdefault("zh", [])
            if header not in zh:
                zh.append(header)
                added.append(f"{header} -> {canon}")
    head = ("# header mapping: config/columns.yaml with the headers `relapse-models columns` "
            "suggested\n# added (check each): " + ("; ".join(added) or "none") + "\n")
    return head + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False, width=100)
