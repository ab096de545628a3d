"""Validate canonical tables and split them into kept rows and quarantined rows.

Nothing is dropped silently: every input row is either kept or quarantined with the table,
row, column, rule and message, and the cleaning report reconciles
``rows_in = kept + quarantined`` per table. Reading and mapping raw exports (Chinese
headers, units, encodings, pseudonyms) happens before this, in ``relapse_models.data.ingest``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa

from relapse_models.core.schema import CROSS_FIELD_RULES, OBSERVABLE_SCHEMAS

QUARANTINE_COLUMNS = ["table", "source", "row", "column", "rule", "message", "value"]


@dataclass
class CleanResult:
    """Kept tables, quarantined rows (one row per rule broken) and the per-table counts."""

    tables: dict[str, pd.DataFrame]
    quarantine: pd.DataFrame
    report: dict[str, Any] = field(default_factory=dict)


def validate_table(
    df: pd.DataFrame, schema: pa.DataFrameSchema, source: str = ""
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate ``df`` against ``schema``; return ``(kept, quarantine)``.

    ``kept`` keeps the input's row positions as its index, so later checks can still name
    the original row.

    Row-level failures quarantine that row; a missing required column is fatal because no
    row can be kept without it.
    """
    missing = [c for c, col in schema.columns.items() if col.required and c not in df.columns]
    if missing:
        raise ValueError(
            f"{source or schema.name}: required column(s) {missing} missing; "
            f"columns present: {list(df.columns)}"
        )
    df = df.reset_index(drop=True)
    try:
        return schema.validate(df, lazy=True), _empty_quarantine()
    except pandera.errors.SchemaErrors as err:
        cases = err.failure_cases
    row_level = cases[cases["index"].notna()].copy()
    table_level = cases[cases["index"].isna()]
    if not table_level.empty and row_level.empty:
        checks = sorted(set(table_level["check"].astype(str)))
        raise ValueError(f"{source or schema.name}: table-level check(s) failed: {checks}")
    row_level["index"] = row_level["index"].astype(int)
    row_level = _collapse_cross_field(row_level)
    quarantine = pd.DataFrame(
        {
            "table": schema.name,
            "source": source,
            "row": row_level["index"].to_numpy(),
            "column": row_level["column"].astype("string").fillna("").to_numpy(),
            "rule": row_level["check"].astype(str).to_numpy(),
            "message": _messages(row_level),
            "value": row_level["failure_case"].astype("string").to_numpy(),
        }
    )
    bad_rows = pd.Index(quarantine["row"].unique())
    kept = schema.validate(df.drop(index=bad_rows), lazy=False)
    quarantine = quarantine.drop_duplicates().sort_values(["row", "column", "rule"])
    return kept, quarantine.reset_index(drop=True)


def _collapse_cross_field(cases: pd.DataFrame) -> pd.DataFrame:
    """pandera reports a failed row-wise DataFrame check once per column; keep one line,
    naming the column the rule is about."""
    cross = cases["check"].isin(list(CROSS_FIELD_RULES))
    if not cross.any():
        return cases
    wanted = cases["check"].map(lambda rule: CROSS_FIELD_RULES.get(rule, ("",))[0])
    return cases[~cross | (cases["column"] == wanted)]


def _messages(cases: pd.DataFrame) -> list[str]:
    messages = []
    for column, check in zip(cases["column"], cases["check"], strict=True):
        if check in CROSS_FIELD_RULES:
            messages.append(CROSS_FIELD_RULES[check][1])
        else:
            messages.append(f"column {column!r} failed {check}")
    return messages


def _empty_quarantine() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in QUARANTINE_COLUMNS}).astype(
        {"row": "int64"}
    )


def clean_tables(tables: dict[str, pd.DataFrame], source: str = "") -> CleanResult:
    """Validate the three observable tables and enforce the links between them
    (a panel row or event of an unknown household is quarantined, not dropped)."""
    kept: dict[str, pd.DataFrame] = {}
    quarantined: list[pd.DataFrame] = []
    report: dict[str, Any] = {}
    for name, schema in OBSERVABLE_SCHEMAS.items():
        df = tables[name].reset_index(drop=True)
        unique, dup = split_duplicates(df, DUPLICATE_KEYS[name], name, source)
        if name != "households" and "household_id" in df.columns:
            # rows of unknown households first: that is their problem, whatever else fails
            known = df.loc[unique, "household_id"].isin(kept["households"]["household_id"]).to_numpy()
            if not known.all():
                dup = pd.concat([dup, _orphan_rows(df, unique[~known], name, source)])
                unique = unique[known]
        good, bad = validate_table(df.loc[unique], schema, source=source)
        positions = unique.to_numpy()
        bad["row"] = positions[bad["row"].to_numpy(dtype="int64")]
        good.index = positions[good.index.to_numpy()]
        bad = pd.concat([dup, bad])
        for rule, check in ROW_CHECKS.get(name, {}).items():
            failed = check(good)
            if len(failed):
                column, message = EXTRA_RULES[rule]
                bad = pd.concat([bad, _rule_rows(good, failed, name, source, column, rule, message)])
                good = good.drop(index=failed)
        kept[name] = good.reset_index(drop=True)
        quarantined.append(bad)
        n_bad = int(bad["row"].nunique()) if len(bad) else 0
        report[name] = {"rows_in": len(df), "kept": len(good), "quarantined": n_bad}
        if report[name]["rows_in"] != report[name]["kept"] + n_bad:
            raise AssertionError(f"{name}: rows in != kept + quarantined: {report[name]}")
    quarantine = pd.concat(quarantined, ignore_index=True)
    report["rules"] = (
        quarantine.groupby(["table", "rule"]).size().rename("n").reset_index().to_dict("records")
        if len(quarantine)
        else []
    )
    return CleanResult(tables=kept, quarantine=quarantine, report=report)


def _orphan_rows(df: pd.DataFrame, rows: pd.Index, table: str, source: str) -> pd.DataFrame:
    return _rule_rows(df, rows, table, source, "household_id", "unknown_household",
                      "household_id not in the households table (or its household was quarantined)")


def _rule_rows(df: pd.DataFrame, rows: pd.Index, table: str, source: str, column: str,
               rule: str, message: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table": table,
            "source": source,
            "row": np.asarray(rows, dtype="int64"),
            "column": column,
            "rule": rule,
            "message": message,
            "value": df.loc[rows, column].astype("string").to_numpy(),
        }
    )


# --- checks pandera's schemas do not express ---------------------------------------------

DUPLICATE_KEYS: dict[str, list[str]] = {
    "households": ["household_id"],
    "panel": ["household_id", "year", "quarter"],
    "events": ["household_id", "event", "date"],
}
"""What identifies a row of each table: two rows with the same key are duplicates."""

OOP_TOLERANCE_YUAN = 1.0
OOP_TOLERANCE_SHARE = 0.001
"""out-of-pocket = total - reimbursed within 1 yuan + 0.1 % of the total (float rounding),
plus half the rounding step of each amount as written (``_res_<column>``, set by ingest:
0.35 万元 may be anything from 3450 to 3550 yuan)."""

EXTRA_RULES: dict[str, tuple[str, str]] = {
    "duplicate": ("", "an exact copy of an earlier row (the first copy is kept)"),
    "duplicate_conflict": ("", "same key as another row but different values: none kept"),
    "oop_equals_total_minus_reimbursed": (
        "medical_oop", "medical_oop differs from medical_total - medical_reimbursed"),
    "eliminated_before_identified": (
        "date", "risk elimination dated before the household's identification"),
}
"""Rules added by this module: rule -> (column to report, message)."""


def split_duplicates(
    df: pd.DataFrame, key: list[str], table: str = "", source: str = ""
) -> tuple[pd.Index, pd.DataFrame]:
    """Positions of rows to validate, and quarantine lines for duplicates.

    An exact copy (all columns equal, provenance columns starting with ``_`` aside) keeps its
    first occurrence; rows sharing a key with different values are all quarantined, since
    nothing says which one is right.
    """
    key = [k for k in key if k in df.columns]
    if not key or df.empty:
        return df.index, _empty_quarantine()
    content = [c for c in df.columns if not str(c).startswith("_")]
    same_key = df.duplicated(key, keep=False)
    if not same_key.any():
        return df.index, _empty_quarantine()
    copy = df.duplicated(content, keep="first")
    # key groups whose rows are not all copies of one row are conflicts
    variants = df.loc[same_key].drop_duplicates(content).groupby(key, dropna=False).size()
    conflict_keys = variants[variants > 1].index
    in_conflict = pd.Series(False, index=df.index)
    if len(conflict_keys):
        keyed = df.loc[same_key].set_index(key).index
        in_conflict.loc[same_key] = keyed.isin(conflict_keys)
    lines = []
    for rule, rows in (("duplicate", df.index[copy & ~in_conflict]),
                       ("duplicate_conflict", df.index[in_conflict])):
        if len(rows):
            shown = df.loc[rows, key].astype("string").agg(" ".join, axis=1)
            lines.append(pd.DataFrame({
                "table": table, "source": source, "row": rows.to_numpy(dtype="int64"),
                "column": ",".join(key), "rule": rule, "message": EXTRA_RULES[rule][1],
                "value": shown.to_numpy(),
            }))
    bad = pd.Index(np.concatenate([line["row"].to_numpy() for line in lines]))
    quarantine = pd.concat(lines, ignore_index=True)
    return df.index.difference(bad), quarantine


def check_oop(panel: pd.DataFrame) -> pd.Index:
    """Rows where out-of-pocket is not total minus reimbursed (see ``OOP_TOLERANCE_*``); a
    missing amount, or a panel without all three, is not judged."""
    if not {"medical_total", "medical_reimbursed", "medical_oop"} <= set(panel.columns):
        return panel.index[:0]
    tol = OOP_TOLERANCE_YUAN + OOP_TOLERANCE_SHARE * panel["medical_total"].abs()
    for col in ("medical_total", "medical_reimbursed", "medical_oop"):
        if f"_res_{col}" in panel.columns:
            tol = tol + 0.5 * panel[f"_res_{col}"].fillna(0.0)
    gap = (panel["medical_total"] - panel["medical_reimbursed"] - panel["medical_oop"]).abs()
    return panel.index[gap > tol]


def check_event_order(events: pd.DataFrame) -> pd.Index:
    """Eliminations dated before the household's first identification (a household with no
    identification in the table is not judged: its identification may predate the export)."""
    first = events.loc[events["event"] == "identified"].groupby("household_id")["date"].min()
    if first.empty:  # no identification at all (or no events): nothing to judge
        return events.index[:0]
    elim = events["event"] == "eliminated"
    before = events["date"] < events["household_id"].map(first)
    return events.index[elim & before.fillna(False)]


ROW_CHECKS: dict[str, dict[str, Any]] = {
    "panel": {"oop_equals_total_minus_reimbursed": check_oop},
    "events": {"eliminated_before_identified": check_event_order},
}
