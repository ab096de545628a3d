"""One sheet from cells to typed canonical columns. Every cell that cannot be read sends its
row to quarantine with the rule it broke; personal values are pseudonymised here and their
plain text goes no further (quarantine shows their length only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from relapse_models.core.schema import OPTIONAL_COLUMNS
from relapse_models.data.ingest import dates, values
from relapse_models.data.ingest.headers import ColumnSpec, Header, find_header
from relapse_models.data.ingest.idnumbers import age_sex, check_ids
from relapse_models.data.ingest.pseudonym import mask, pseudonymize
from relapse_models.data.ingest.read import RawSheet
from relapse_models.data.ingest.units import is_blank, parse_amounts

QUARANTINE_COLUMNS = ["table", "source", "file", "sheet", "row", "column", "header", "rule",
                      "message", "value"]
PERSONAL_TYPES = {"key", "id_number", "personal"}
_NOT_DATA = r"^\s*(?:合\s*计|总\s*计|小\s*计|制表|填表|填报|审核|负责人|单位负责人|注\s*[:：]|说明|备注\s*[:：])"

RULE_MESSAGES = {
    "missing_value": "is empty",
    "not_a_number": "is not a number",
    "not_an_integer": "is not a whole number",
    "not_yes_no": "is not a yes/no value",
    "bad_date": "is not a date",
    "bad_period": "is not a quarter or month",
    "unknown_label": "is not a known label (extend config/columns.yaml)",
    "bad_sex": "is not a sex",
    "bad_education": "is not an education level or number of years",
    "id_format": "is not an 18-character ID number (a number cell rounds it: store IDs as text)",
    "id_check_digit": "has a wrong check digit (GB 11643-1999)",
    "id_birth_date": "holds an impossible or implausible birth date",
    "not_a_data_row": "is a total, signature or note line, not a household row",
    "text_too_long": "is longer than 100 characters (MAX_TEXT): not a name of a place",
    "markup_in_text": "holds HTML/script markup (<...>), not a name",
    "duplicate_column_conflict": "appears twice in the header and the two cells differ",
}
MAX_TEXT = 100
"""Longest town or village name accepted (the longest real ones have about 20 characters)."""
MAX_SHOWN = 200
"""Characters of a bad cell shown in quarantine (a 100,000-character cell is cut)."""
_MARKUP = r"<\s*[A-Za-z!/?][^>]*>?"


@dataclass
class ParsedSheet:
    """Typed canonical columns of one sheet's good rows, and its quarantined rows."""

    file: str
    sheet: str
    header: Header
    data: pd.DataFrame
    quarantine: pd.DataFrame
    rows_in: int
    blank_rows: int
    present: set[str] = field(default_factory=set)
    title: str = ""
    """Text above the header, the sheet's name and the file's name: where a yearly snapshot
    says its year (“2023年监测户信息”) when no column does."""


def empty_quarantine() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else "object")
                         for c in QUARANTINE_COLUMNS})


def _entries(rows: pd.Index, file: str, sheet: str, column: str, header: str, rule: str,
             value: pd.Series | str) -> pd.DataFrame:
    return pd.DataFrame({
        "table": "", "source": file, "file": file, "sheet": sheet,
        "row": np.asarray(rows, dtype="int64"), "column": column, "header": header, "rule": rule,
        "message": (f"{header!r} " if header else "row ") + RULE_MESSAGES.get(rule, rule),
        "value": value if isinstance(value, str) else _shown(value),
    })


def _shown(value: pd.Series) -> np.ndarray:
    text = value.astype("string").fillna("")
    long = text.str.len() > MAX_SHOWN
    return text.mask(long, text.str.slice(0, MAX_SHOWN) + "…").to_numpy()


VALUE_PARSERS = {
    "int": (dates.parse_int, "not_an_integer"),
    "year": (dates.parse_int, "not_an_integer"),
    "bool": (values.parse_bool, "not_yes_no"),
    "date": (dates.parse_dates, "bad_date"),
    "education": (values.parse_education, "bad_education"),
    "sex": (values.parse_sex, "bad_sex"),
}
"""Column types read by one ``(values, bad)`` parser, with the rule a bad cell breaks."""


def parse_sheet(raw: RawSheet, name: str, specs: dict[str, ColumnSpec],
                lookup: dict[str, str], key: bytes) -> ParsedSheet | None:
    """Parse ``raw`` (shown as ``name`` in messages); ``None`` for a sheet without a header
    (a cover or notes sheet)."""
    header = find_header(raw.head, lookup)
    if header is None:
        return None
    cells = raw.load(header.data_start)
    # a blank row is blank in every column: check the first, then only the candidates left
    blank = pd.Series(True, index=cells.index)
    for col in cells.columns:
        candidates = cells.index[blank]
        if not len(candidates):
            break
        blank[candidates] = _by_value(cells.loc[candidates, col], lambda u: (is_blank(u),))[0]
    cells = cells[~blank]
    out = pd.DataFrame(index=cells.index)
    problems: list[pd.DataFrame] = []
    # totals, signatures and notes under the table: quarantined whole, text masked
    first_cols = [c for c in cells.columns[:3]]
    not_data = pd.Series(False, index=cells.index)
    for col in first_cols:  # on distinct values: a column repeats the same few texts
        not_data |= _by_value(cells[col], lambda u: (
            u.astype("string").str.contains(_NOT_DATA, regex=True).fillna(False).astype(bool),))[0]
    if not_data.any():
        rows = cells.index[not_data]
        problems.append(_entries(rows, name, raw.sheet, "", "", "not_a_data_row",
                                 mask(cells.loc[not_data, first_cols[0]])))
    cells = cells[~not_data]
    for pos, canon in header.columns.items():
        spec = specs[canon]
        col = cells[pos] if pos in cells.columns else pd.Series(None, index=cells.index, dtype=object)
        written = header.headers[pos]
        parsed, rule, missing = _parse_column(col, spec, header.units.get(pos, 1.0), key, out)
        rule = rule.mask(missing, "missing_value")
        broken = rule[rule != ""]
        for rule_name, rows in broken.groupby(broken).groups.items():
            shown = mask(col[rows]) if spec.type in PERSONAL_TYPES else col[rows]
            problems.append(_entries(rows, name, raw.sheet, canon, written, str(rule_name), shown))
        if parsed is not None:
            out[canon] = parsed
    for dup, first in header.duplicate_of.items():
        problems.extend(_duplicate_column(cells, dup, first, header, specs, key, name, raw.sheet))
    quarantine = pd.concat(problems, ignore_index=True) if problems else empty_quarantine()
    bad_rows = pd.Index(quarantine["row"].unique())
    data = out.drop(index=bad_rows.intersection(out.index))
    data.insert(0, "_row", data.index.to_numpy(dtype="int64"))
    data.insert(0, "_sheet", raw.sheet)
    data.insert(0, "_file", name)
    return ParsedSheet(
        file=name, sheet=raw.sheet, header=header, data=data.reset_index(drop=True),
        quarantine=quarantine, rows_in=int(len(blank) - blank.sum()),
        blank_rows=int(blank.sum()), present=set(header.columns.values()),
        title=" ".join([*(c for r in raw.head[:header.rows[0]] for c in r if c), raw.sheet,
                        Path(name).stem]),
    )


def _duplicate_column(cells: pd.DataFrame, dup: int, first: int, header: Header,
                      specs: dict[str, ColumnSpec], key: bytes, file: str,
                      sheet: str) -> list[pd.DataFrame]:
    """Rows where a repeated header's cell says something other than the first one's (a
    blank repeat says nothing): nothing says which is right."""
    canon = header.columns[first]
    spec = specs[canon]
    col = {}
    for pos in (first, dup):
        cell = cells[pos] if pos in cells.columns else pd.Series(None, index=cells.index, dtype=object)
        extra = pd.DataFrame(index=cells.index)
        parsed, _, _ = _parse_column(cell, spec, header.units.get(pos, 1.0), key, extra)
        value = parsed if parsed is not None else extra.iloc[:, 0] if extra.shape[1] else cell
        col[pos] = value.astype("string")
    dup_cell = cells[dup] if dup in cells.columns else pd.Series(None, index=cells.index, dtype=object)
    differ = (col[first].fillna("") != col[dup].fillna("")) & ~is_blank(dup_cell)
    if not differ.any():
        return []
    rows = cells.index[differ]
    shown = mask(dup_cell[rows]) if spec.type in PERSONAL_TYPES else dup_cell[rows]
    return [_entries(rows, file, sheet, canon, f"{header.headers[first]} | {header.headers[dup]}",
                     "duplicate_column_conflict", shown)]


def _by_value(col: pd.Series, fn) -> list[pd.Series]:
    """Apply ``fn`` to the distinct values of ``col`` only and spread the results back:
    exports repeat the same few labels, amounts and dates on every row, so this is where
    the speed comes from."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    u = pd.Series([*uniques, None], dtype=object)
    take = np.where(codes < 0, len(uniques), codes)
    return [r.iloc[take].set_axis(col.index) for r in fn(u)]


def _parse_column(col: pd.Series, spec: ColumnSpec, unit: float, key: bytes,
                  out: pd.DataFrame) -> tuple[pd.Series | None, pd.Series, pd.Series]:
    """:func:`_parse` over distinct values; ``(values, rule, blank-but-required)``."""
    extra: dict[str, pd.Series] = {}

    def fn(u: pd.Series) -> list[pd.Series]:
        out_u = pd.DataFrame(index=u.index)
        parsed, rule = _parse(u, spec, unit, key, out_u)
        nullable = spec.nullable or spec.name in OPTIONAL_COLUMNS
        missing = is_blank(u) & (not nullable) & (spec.type != "personal")
        names = list(out_u.columns)
        extra.update(dict.fromkeys(names))
        res = [rule, missing, *(out_u[c] for c in names)]
        return ([parsed] if parsed is not None else []) + res

    results = _by_value(col, fn)
    parsed = results.pop(0) if len(results) > 2 + len(extra) else None
    rule, missing = results[0], results[1]
    for name, series in zip(extra, results[2:], strict=True):
        out[name] = series
    return parsed, rule, missing.astype(bool)


def _rules(bad: pd.Series, rule: str) -> pd.Series:
    return pd.Series(np.where(bad.to_numpy(dtype=bool), rule, ""), index=bad.index)


def _parse(col: pd.Series, spec: ColumnSpec, unit: float, key: bytes,
           out: pd.DataFrame) -> tuple[pd.Series | None, pd.Series]:
    """Typed values of one column and the rule each bad cell broke (``""`` when none).
    Extra derived columns (pseudonyms, labels, rounding resolution) go straight into ``out``."""
    t = spec.type
    if t == "key":
        text = col.astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
        return pseudonymize(text, key, "household_id"), _rules(pd.Series(False, index=col.index), "")
    if t == "id_number":
        rule, ids = check_ids(col, reference_year=2100)
        rule = rule.where(~is_blank(col), "")
        ok = rule == ""
        out["id_pseudonym"] = pseudonymize(ids.where(ok), key, "id_number")
        good = ids.where(ok)
        out["_birth_year"] = pd.to_numeric(good.str.slice(6, 10), errors="coerce").astype("Int64")
        _, out["_id_sex"] = age_sex(good, 0)
        return None, rule
    if t == "personal":
        out[f"{spec.name}_pseudonym"] = pseudonymize(col, key, spec.name)
        return None, _rules(pd.Series(False, index=col.index), "")
    if t == "text":
        text = col.astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
        rule = _rules(text.str.len().fillna(0) > MAX_TEXT, "text_too_long")
        markup = text.str.contains(_MARKUP, regex=True).fillna(False)
        rule = rule.mask(markup & (rule == ""), "markup_in_text")
        return text.where(~is_blank(col)), rule
    if t == "money":
        yuan, bad, res = parse_amounts(col, unit)
        out[f"_res_{spec.name}"] = res
        return yuan, _rules(bad, "not_a_number")
    if t in VALUE_PARSERS:
        parse, rule = VALUE_PARSERS[t]
        v, bad = parse(col)
        return v, _rules(bad, rule)
    if t == "quarter":
        year, quarter, bad = dates.parse_quarters(col)
        out["_quarter_year"] = year
        return quarter, _rules(bad, "bad_period")
    if t == "period":
        year, quarter, month, bad = dates.parse_periods_months(col)
        out["_period_year"] = year
        out["_period_month"] = month
        return quarter, _rules(bad, "bad_period")
    if t == "month":
        year, month, bad = dates.parse_months(col)
        out["_month_year"] = year
        return month, _rules(bad, "bad_period")
    if t == "label":
        code, label, bad = values.parse_label(col, spec)
        if spec.name in values.SCHEMA_LABELS and spec.name != "event":
            out[f"{spec.name}_label"] = label
        return code, _rules(bad, "unknown_label")
    raise ValueError(f"column {spec.name}: unknown type {t!r}")
