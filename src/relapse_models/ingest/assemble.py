"""From parsed sheets to the three canonical tables.

A sheet with a period (year and quarter, a period or a month column) gives panel rows, and,
when it carries household attributes or identification/elimination dates, household records
and events too (the wide "one row per household-quarter" export). A sheet without a period
gives household records, or events when it has an event and a date column. Records keep the
file, sheet and row they came from (``_file``, ``_sheet``, ``_row``) so every later rule can
point at the row to fix.
"""

from __future__ import annotations

import pandas as pd

from relapse_models import schema
from relapse_models.clean import validate_table
from relapse_models.ingest.headers import ColumnSpec, closest_headers
from relapse_models.ingest.sheet import ParsedSheet, empty_quarantine

PROV = ["_file", "_sheet", "_row"]
HOUSEHOLD_ATTRS = [c for c in schema.HOUSEHOLDS.columns
                   if c not in ("household_id", "county_id", "town_id", "village_id")]
HOUSEHOLD_EXTRA = ["id_pseudonym", "head_name_pseudonym", "phone_pseudonym",
                   "bank_account_pseudonym", "category_label"]
"""Household-level columns kept beside the schema's: pseudonyms (for linking) and labels."""
PANEL_EXTRA = ["monitoring_status_label", "monitoring_type_label", "risk_type_label",
               "disaster_type_label"]
DERIVED_ELSEWHERE = {
    "county_id": "the county of the run",
    "head_age": "证件号码 (ID number) or 户主年龄",
    "head_sex": "证件号码 (ID number) or 户主性别",
    "medical_oop": "医疗总费用 − 医保报销金额",
    "monitoring_status": "识别日期 and 风险消除日期",
}


class IngestError(ValueError):
    """A problem no row-level quarantine can fix (unreadable file, missing column): one
    message naming the file and what to do."""


def _period(data: pd.DataFrame) -> tuple[pd.Series, pd.Series] | None:
    """Year and quarter of each row, from whichever period columns the sheet has."""
    if "period" in data:
        return data["_period_year"].astype("Int64"), data["period"].astype("Int64")
    if "quarter" in data:
        year = data["year"] if "year" in data else data["_quarter_year"]
        return year.fillna(data["_quarter_year"]).astype("Int64"), data["quarter"].astype("Int64")
    if "month" in data:
        year = data["year"] if "year" in data else data["_month_year"]
        return year.astype("Int64"), ((data["month"] - 1) // 3 + 1).astype("Int64")
    return None


def _missing_error(sheets: list[ParsedSheet], table: str, missing: list[str],
                   specs: dict[str, ColumnSpec]) -> IngestError:
    where = "; ".join(sorted({f"{p.file}" + (f" [{p.sheet}]" if p.sheet else "") for p in sheets}))
    present = [h for p in sheets for h in (*p.header.headers.values(), *p.header.unmatched)]
    parts = []
    for col in missing:
        spec = specs.get(col)
        names = "/".join(spec.synonyms[1:4]) if spec else col
        hint = DERIVED_ELSEWHERE.get(col)
        line = f"required column {col!r} ({names}{'; or from ' + hint if hint else ''}) not found"
        close = closest_headers(spec, present) if spec else []
        if close:
            line += f"; closest headers in the file: {', '.join(close)}"
        parts.append(line)
    return IngestError(f"{where}: {table}: " + " | ".join(parts)
                       + " (add the file's header to config/columns.yaml, or a `default:`)")


def assemble(
    parsed: list[ParsedSheet], county_id: str, specs: dict[str, ColumnSpec],
    age_reference_year: int | None = None,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, dict[str, object], dict[tuple[str, str], str]]:
    """Canonical tables (with provenance columns), extra quarantine lines, notes for the
    report, and which table each sheet's rows belong to."""
    notes: dict[str, object] = {}
    quarantine: list[pd.DataFrame] = []
    # household key: household number, else the ID number (linked through sheets with both)
    links = pd.concat(
        [p.data[["id_pseudonym", "household_id"]] for p in parsed
         if {"id_pseudonym", "household_id"} <= set(p.data.columns)] or [pd.DataFrame()],
    )
    link = (links.dropna().drop_duplicates("id_pseudonym").set_index("id_pseudonym")["household_id"]
            if len(links) else pd.Series(dtype="string"))
    periods = {}
    for p in parsed:
        d = p.data
        if "household_id" not in d:
            if "id_pseudonym" not in d:
                raise _missing_error([p], "households", ["household_id"], specs)
            d["household_id"] = d["id_pseudonym"].map(link).astype("string").fillna(d["id_pseudonym"])
        periods[id(p)] = _period(d)
    years = [y for y in (per[0] for per in periods.values() if per is not None) if len(y)]
    if age_reference_year is None:
        age_reference_year = int(min(int(y.min()) for y in years)) if years else None
    notes["age_reference_year"] = age_reference_year

    panels, hh_primary, hh_derived, ev_primary, ev_derived = [], [], [], [], []
    kinds: dict[tuple[str, str], str] = {}
    for p in parsed:
        d = p.data
        d["county_id"] = county_id
        _derive_person(d, age_reference_year, p, specs)
        per = periods[id(p)]
        if per is not None:
            d["year"], d["quarter"] = per
            kinds[(p.file, p.sheet)] = "panel"
            panel, bad = _panel(d, p, specs)
            quarantine.append(bad)
            panels.append(panel)
            attrs = [c for c in HOUSEHOLD_ATTRS if c in d.columns]
            if attrs:
                hh, bad = _row_checked_households(d.loc[panel.index], p)
                quarantine.append(bad)
                hh_derived.append(hh)
            ev_derived.append(_wide_events(d.loc[panel.index]))
        elif "event" in d.columns and "date" in d.columns:
            kinds[(p.file, p.sheet)] = "events"
            ev_primary.append(_long_events(d))
        elif any(c in d.columns for c in HOUSEHOLD_ATTRS):
            kinds[(p.file, p.sheet)] = "households"
            hh_primary.append(_households(d))
            ev_derived.append(_wide_events(d))
        elif {"identified_date", "eliminated_date"} & set(d.columns):
            kinds[(p.file, p.sheet)] = "events"
            ev_primary.append(_wide_events(d))
        else:
            raise IngestError(
                f"{p.file}{' [' + p.sheet + ']' if p.sheet else ''}: cannot tell what this "
                "sheet holds: no period (年度+季度), household attributes (家庭人口数, ...) or "
                f"events (识别日期, ...); recognised headers: {sorted(p.present)}"
            )
    households = _combine_households(hh_primary, hh_derived)
    notes["households_with_changing_attributes"] = int(
        sum(getattr(h, "attrs", {}).get("changing", 0) for h in hh_derived))
    if hh_primary or hh_derived:
        missing = [c for c in schema.HOUSEHOLDS.columns if c not in households.columns]
        missing = _apply_defaults(households, missing, specs, notes, "households")
        if missing:
            raise _missing_error(parsed, "households", missing, specs)
    else:
        raise _missing_error(parsed, "households", ["household_size"], specs)
    households["village_id"] = _unique_villages(households)
    panel = pd.concat(panels, ignore_index=True) if panels else pd.DataFrame()
    if len(panel):
        panel["village_id"] = panel["household_id"].map(
            households.drop_duplicates("household_id").set_index("household_id")["village_id"]
        ).fillna(panel["village_id"])
    events = _combine_events(ev_primary, ev_derived)
    tables = {"households": households, "panel": panel, "events": events}
    for name in ("panel", "events"):
        if tables[name].empty:
            tables[name] = pd.DataFrame({c: pd.Series(dtype=object) for c in
                                         [*schema.OBSERVABLE_SCHEMAS[name].columns, *PROV]})
    q = [x for x in quarantine if len(x)]
    return tables, (pd.concat(q, ignore_index=True) if q else empty_quarantine()), notes, kinds


def _derive_person(d: pd.DataFrame, reference_year: int | None, p: ParsedSheet,
                   specs: dict[str, ColumnSpec]) -> None:
    """Head's age and sex from the ID number when the export does not give them."""
    if "_birth_year" in d and "head_age" not in d:
        if reference_year is None:
            raise IngestError(f"{p.file}: head_age comes from the ID number but no year is known "
                              "to count age from: pass age_reference_year")
        d["head_age"] = (reference_year - d["_birth_year"]).astype("Int64")
    if "_id_sex" in d and "head_sex" not in d:
        d["head_sex"] = d["_id_sex"]


def _apply_defaults(df: pd.DataFrame, missing: list[str], specs: dict[str, ColumnSpec],
                    notes: dict[str, object], table: str) -> list[str]:
    still = []
    for col in missing:
        spec = specs.get(col)
        if spec is not None and spec.default is not None:
            df[col] = spec.default
            notes.setdefault("defaults_used", []).append(f"{table}.{col}={spec.default}")
        else:
            still.append(col)
    return still


def _panel(d: pd.DataFrame, p: ParsedSheet, specs: dict[str, ColumnSpec]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Panel rows of a sheet with a period; medical amounts and monitoring status derived
    when one of them is missing."""
    d = d.copy()
    med = ["medical_total", "medical_reimbursed", "medical_oop"]
    have = [c for c in med if c in d.columns]
    if len(have) == 2:
        if "medical_oop" not in d:
            d["medical_oop"] = d["medical_total"] - d["medical_reimbursed"]
        elif "medical_total" not in d:
            d["medical_total"] = d["medical_reimbursed"] + d["medical_oop"]
        else:
            d["medical_reimbursed"] = d["medical_total"] - d["medical_oop"]
    if "monitoring_status" not in d and "identified_date" in d:
        qend = pd.PeriodIndex.from_fields(
            year=d["year"].to_numpy(dtype="int64"), quarter=d["quarter"].to_numpy(dtype="int64"),
            freq="Q",
        ).end_time.normalize()
        qend = pd.Series(qend, index=d.index)
        ident = d["identified_date"] <= qend
        # eliminated only when the elimination is not older than the (latest) identification
        elim = ((d["eliminated_date"] <= qend) & (d["eliminated_date"] >= d["identified_date"])
                if "eliminated_date" in d else pd.Series(False, index=d.index))
        d["monitoring_status"] = pd.Series("none", index=d.index).mask(ident, "monitored").mask(
            ident & elim.fillna(False), "eliminated")
    # village from the households table when the quarterly sheet does not repeat it
    for col in ("monitoring_type", "risk_type", "disaster_type", "village_id"):
        if col not in d:
            d[col] = pd.Series(pd.NA, index=d.index, dtype="string")
    missing = [c for c in schema.PANEL.columns if c not in d.columns]
    missing = _apply_defaults(d, missing, specs, {}, "panel")
    if missing:
        raise _missing_error([p], "panel", missing, specs)
    keep = [*schema.PANEL.columns, *[c for c in PANEL_EXTRA if c in d.columns],
            *[c for c in d.columns if c.startswith("_res_")], *PROV]
    return d[keep], empty_quarantine()


def _row_checked_households(d: pd.DataFrame, p: ParsedSheet) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Household attributes of every row checked row by row (a bad value in one quarter's
    row quarantines that row), then one record per household: its latest quarter's."""
    cols = [c for c in schema.HOUSEHOLDS.columns if c in d.columns]
    relaxed = schema.HOUSEHOLDS.update_column("household_id", unique=False).select_columns(cols)
    relaxed.name = "households"
    rows = d.reset_index()
    _, bad = validate_table(rows[cols + PROV], relaxed, source=p.file)
    quarantine = empty_quarantine()
    if len(bad):
        bad_rows = rows.loc[bad["row"].to_numpy()]
        quarantine = pd.DataFrame({
            "table": "households", "source": p.file, "file": p.file, "sheet": p.sheet,
            "row": bad_rows["_row"].to_numpy(), "column": bad["column"].to_numpy(),
            "header": bad["column"].map(_header_of(p)).fillna("").to_numpy(),
            "rule": bad["rule"].to_numpy(), "message": bad["message"].to_numpy(),
            "value": bad["value"].to_numpy(),
        })
        rows = rows.drop(index=bad["row"].unique())
    extra = [c for c in HOUSEHOLD_EXTRA if c in rows.columns]
    latest = rows.sort_values(["household_id", "year", "quarter", "_row"])
    varying = latest.groupby("household_id")[[c for c in cols if c != "household_id"]].nunique(dropna=False)
    hh = latest.drop_duplicates("household_id", keep="last")[cols + extra + PROV]
    hh.attrs["changing"] = int((varying > 1).any(axis=1).sum())
    return hh, quarantine


def _header_of(p: ParsedSheet) -> dict[str, str]:
    return {canon: p.header.headers[pos] for pos, canon in p.header.columns.items()}


def _households(d: pd.DataFrame) -> pd.DataFrame:
    extra = [c for c in HOUSEHOLD_EXTRA if c in d.columns]
    cols = [c for c in schema.HOUSEHOLDS.columns if c in d.columns]
    return d[cols + extra + PROV]


def _combine_households(primary: list[pd.DataFrame], derived: list[pd.DataFrame]) -> pd.DataFrame:
    """Rows of household sheets, completed by what panel sheets say about the same
    households; households only panel sheets know are added from them."""
    prim = pd.concat(primary, ignore_index=True) if primary else pd.DataFrame()
    der = pd.concat(derived, ignore_index=True) if derived else pd.DataFrame()
    if len(der):
        der = der.drop_duplicates("household_id", keep="last")
    if prim.empty:
        return der.reset_index(drop=True)
    if len(der):
        lookup = der.set_index("household_id")
        for col in lookup.columns:
            if col in PROV:
                continue
            fill = prim["household_id"].map(lookup[col])
            prim[col] = prim[col].fillna(fill) if col in prim else fill
        prim = pd.concat([prim, der[~der["household_id"].isin(prim["household_id"])]],
                         ignore_index=True)
    return prim.reset_index(drop=True)


def _unique_villages(households: pd.DataFrame) -> pd.Series:
    """Village names repeat across towns (新村, 东村): such a name is prefixed with its town so
    that villages (the clustering unit of the models) stay distinct."""
    if "town_id" not in households or "village_id" not in households:
        return households.get("village_id")
    towns = households.groupby("village_id")["town_id"].nunique()
    shared = households["village_id"].isin(towns.index[towns > 1])
    return households["village_id"].mask(shared, households["town_id"] + "/" + households["village_id"])


def _wide_events(d: pd.DataFrame) -> pd.DataFrame:
    """Identification and elimination dates written on household rows, as events."""
    frames = []
    for col, event in (("identified_date", "identified"), ("eliminated_date", "eliminated")):
        if col not in d:
            continue
        rows = d[d[col].notna()]
        frames.append(pd.DataFrame({
            "household_id": rows["household_id"], "county_id": rows["county_id"], "event": event,
            "date": rows[col],
            "monitoring_type": rows.get("monitoring_type", pd.NA),
            "risk_type": rows.get("risk_type", pd.NA),
            **{c: rows[c] for c in PROV},
        }))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _long_events(d: pd.DataFrame) -> pd.DataFrame:
    out = d.copy()
    for col in ("monitoring_type", "risk_type"):
        if col not in out:
            out[col] = pd.Series(pd.NA, index=out.index, dtype="string")
    cols = [*schema.EVENTS.columns]
    return out[cols + PROV]


def _combine_events(primary: list[pd.DataFrame], derived: list[pd.DataFrame]) -> pd.DataFrame:
    """Event sheets as they are (their duplicates are the cleaner's business); dates repeated
    on every quarter's row count once, and not at all when an event sheet already has them."""
    key = ["household_id", "event", "date"]
    prim = pd.concat([x for x in primary if len(x)], ignore_index=True) if any(len(x) for x in primary) else pd.DataFrame()
    der = pd.concat([x for x in derived if len(x)], ignore_index=True) if any(len(x) for x in derived) else pd.DataFrame()
    if len(der):
        der = der.sort_values(["_file", "_sheet", "_row"], kind="stable").drop_duplicates(key)
        if len(prim):
            known = pd.MultiIndex.from_frame(prim[key])
            der = der[~pd.MultiIndex.from_frame(der[key]).isin(known)]
    out = pd.concat([x for x in (prim, der) if len(x)], ignore_index=True) if len(prim) or len(der) else pd.DataFrame()
    return out
