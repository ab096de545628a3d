"""Validate canonical tables and split them into kept rows and quarantined rows.

Nothing is dropped silently: every input row is either kept or quarantined with the table,
row, column, rule and message, and the cleaning report reconciles
``rows_in = kept + quarantined`` per table. Reading and mapping raw exports (Chinese
headers, units, encodings, pseudonyms) happens before this, in ``relapse_models.ingest``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pandera.errors
import pandera.pandas as pa

from relapse_models.schema import CROSS_FIELD_RULES, OBSERVABLE_SCHEMAS

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
        df = tables[name]
        good, bad = validate_table(df, schema, source=source)
        if name != "households":
            known = good["household_id"].isin(kept["households"]["household_id"])
            orphans = good.index[~known]
            if len(orphans):
                bad = pd.concat([bad, _orphan_rows(good, orphans, name, source)])
                good = good[known]
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
    return pd.DataFrame(
        {
            "table": table,
            "source": source,
            "row": rows.to_numpy(),
            "column": "household_id",
            "rule": "unknown_household",
            "message": "household_id not in the households table",
            "value": df.loc[rows, "household_id"].astype("string").to_numpy(),
        }
    )
