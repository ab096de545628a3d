"""From parsed sheets to the three canonical tables.

A sheet with a period (year and quarter, a period or a month column) gives panel rows, and,
when it carries household attributes or identification/elimination dates, household records
and events too (the wide "one row per household-quarter" export). A sheet without a period
gives household records, or events when it has an event and a date column. Records keep the
file, sheet and row they came from (``_file``, ``_sheet``, ``_row``) so every later rule can
point at the row to fix.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from relapse_models.core import schema
from relapse_models.core.quarters import quarter_index, year_quarter
from relapse_models.data.clean import split_duplicates, validate_table
from relapse_models.data.ingest.headers import ColumnSpec, closest_headers
from relapse_models.data.ingest.sheet import ParsedSheet, empty_quarantine

PROV = ["_file", "_sheet", "_row"]
HOUSEHOLD_ATTRS = [c for c in schema.HOUSEHOLDS.columns
                   if c not in ("household_id", "county_id", "town_id", "village_id")]
HOUSEHOLD_EXTRA = ["id_pseudonym", "head_name_pseudonym", "phone_pseudonym",
                   "bank_account_pseudonym", "category_label"]
"""Household-level columns kept beside the schema's: pseudonyms (for linking) and labels."""
PANEL_EXTRA = ["monitoring_status_label", "monitoring_type_label", "risk_type_label",
               "disaster_type_label"]
DERIVED_ELSEWHERE = {
    "income": "工资性收入, 经营净收入, 财产净收入, 转移净收入 (any of them), 纯收入 or 人均纯收入",
    "county_id": "the county of the run",
    "head_age": "证件号码 (ID number) or 户主年龄",
    "head_sex": "证件号码 (ID number) or 户主性别",
    "medical_oop": "医疗总费用 − 医保报销金额",
    "monitoring_status": "识别日期 and 风险消除日期",
}


class IngestError(ValueError):
    """A problem no row-level quarantine can fix (unreadable file, missing column): one
    message naming the file and what to do."""


YEAR_IN_TITLE = re.compile(r"(?<![0-9])(20[1-3][0-9])(?![0-9])")
"""A year written in a title row, sheet name or file name (2014-2039)."""
INCOME_INPUTS = (*schema.INCOME_COLUMNS, "income_net", "income_net_pc")
"""Columns that give income: a panel needs at least one."""


def title_year(p: ParsedSheet) -> int | None:
    """The one year a yearly snapshot names in its title, sheet or file name (``None`` when
    it names none or several)."""
    years = set(YEAR_IN_TITLE.findall(p.title))
    return int(years.pop()) if len(years) == 1 else None


def _period(data: pd.DataFrame, p: ParsedSheet | None = None
            ) -> tuple[pd.Series, pd.Series, int] | None:
    """Year, quarter and periods per year of each row, from whichever period columns the
    sheet has: quarters (a quarter, period or month column; months are added up to quarters
    later) give 4 periods a year; a year alone, on a sheet with income, gives one (written in
    quarter 4, the end of the year the amounts are for); a sheet with income and no period
    column is a yearly snapshot whose year is in its title or name."""
    if "period" in data:
        return data["_period_year"].astype("Int64"), data["period"].astype("Int64"), 4
    if "quarter" in data:
        year = data["year"] if "year" in data else data["_quarter_year"]
        return year.fillna(data["_quarter_year"]).astype("Int64"), data["quarter"].astype("Int64"), 4
    if "month" in data:
        year = data["year"] if "year" in data else data["_month_year"]
        return year.astype("Int64"), ((data["month"] - 1) // 3 + 1).astype("Int64"), 4
    if not any(c in data for c in INCOME_INPUTS):
        return None
    four = pd.Series(4, index=data.index, dtype="Int64")
    if "year" in data:
        return data["year"].astype("Int64"), four, 1
    year = title_year(p) if p is not None else None
    if year is None:
        return None
    return pd.Series(year, index=data.index, dtype="Int64"), four, 1


def _missing_error(problems: list[tuple[list[ParsedSheet], str, list[str]]],
                   specs: dict[str, ColumnSpec]) -> IngestError:
    """Every missing required column of every sheet in one message (a user fixes them all
    at once, not one round after another), each with the headers that come closest."""
    parts = []
    for sheets, table, missing in problems:
        where = "; ".join(sorted({f"{p.file}" + (f" [{p.sheet}]" if p.sheet else "") for p in sheets}))
        present = [h for p in sheets for h in (*p.header.headers.values(), *p.header.unmatched)]
        lines = []
        for col in missing:
            spec = specs.get(col)
            names = "/".join(spec.synonyms[1:4]) if spec else col
            hint = DERIVED_ELSEWHERE.get(col)
            line = f"required column {col!r} ({names}{'; or from ' + hint if hint else ''}) not found"
            close = closest_headers(spec, present) if spec else []
            if close:
                line += f"; closest headers in the file: {', '.join(close)}"
            lines.append(line)
        parts.append(f"{where}: {table}: " + " | ".join(lines))
    return IngestError("; ".join(parts) + " (add the file's header to config/columns.yaml, "
                       "or a `default:`; `relapse-models columns FILE` shows how each header "
                       "is read)")


def assemble(
    parsed: list[ParsedSheet], county_id: str, specs: dict[str, ColumnSpec],
    age_reference_year: int | None = None,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, dict[str, object], dict[tuple[str, str], str],
           pd.DataFrame]:
    """Canonical tables (with provenance columns), extra quarantine lines, notes for the
    report, which table each sheet's rows belong to, and the monthly rows added up into one
    quarter's record (``MEMBER_COLUMNS``: the record's row and each month's row)."""
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
    problems: list[tuple[list[ParsedSheet], str, list[str]]] = []
    for p in parsed:
        d = p.data
        if "household_id" not in d:
            if "id_pseudonym" not in d:
                problems.append(([p], "households", ["household_id"]))
            else:
                d["household_id"] = d["id_pseudonym"].map(link).astype("string").fillna(
                    d["id_pseudonym"])
        periods[id(p)] = _period(d, p)
    frequencies = {per[2] for per in periods.values() if per is not None}
    if len(frequencies) > 1:
        raise IngestError(
            "the exports mix annual sheets (a year and no quarter or month) with quarterly or "
            "monthly ones: "
            + "; ".join(f"{p.file}{' [' + p.sheet + ']' if p.sheet else ''}: "
                        f"{'annual' if periods[id(p)][2] == 1 else 'quarterly/monthly'}"
                        for p in parsed if periods.get(id(p)) is not None)
            + " (give one frequency per county)")
    ppy = frequencies.pop() if frequencies else 4
    notes["frequency"] = "annual" if ppy == 1 else "quarterly"
    quarantine.extend(_future_dates(parsed, periods))
    years = [y for y in (per[0] for per in periods.values() if per is not None) if len(y)]
    if age_reference_year is None:
        age_reference_year = int(min(int(y.min()) for y in years)) if years else None
    notes["age_reference_year"] = age_reference_year

    panels, hh_primary, hh_derived, ev_primary, ev_derived = [], [], [], [], []
    bare: list[pd.DataFrame] = []
    members: list[pd.DataFrame] = []
    kinds: dict[tuple[str, str], str] = {}
    for p in parsed:
        d = p.data
        d["county_id"] = county_id
        per = periods[id(p)]
        if per is None and any(c in d.columns for c in INCOME_INPUTS):
            problems.append(([p], "panel", ["year"]))  # income of which year?
            continue
        if "household_id" not in d:  # already in problems: reported with the rest
            if per is not None and not any(c in d.columns for c in INCOME_INPUTS):
                problems.append(([p], "panel", ["income"]))
            continue
        _derive_person(d, age_reference_year, p, specs)
        if per is not None:
            d["year"], d["quarter"] = per[0], per[1]
            if "month" in d or "_period_month" in d:
                notes["frequency"] = "monthly, added up to quarters"
            d, bad, merged = _months_to_quarters(d, p)
            quarantine.append(bad)
            members.append(merged)
            kinds[(p.file, p.sheet)] = "panel"
            panel, missing = _panel(d, p, specs)
            if missing:
                problems.append(([p], "panel", missing))
                continue
            panel["periods_per_year"] = ppy
            panels.append(panel)
            attrs = [c for c in HOUSEHOLD_ATTRS if c in d.columns]
            if attrs:
                hh, bad = _row_checked_households(d.loc[panel.index], p)
                quarantine.append(bad)
                hh_derived.append(hh)
            else:  # households known from the panel only: their id and county
                bare.append(d.loc[panel.index, ["household_id", "county_id", *PROV]]
                            .drop_duplicates("household_id", keep="last"))
            ev_derived.append(_wide_events(d.loc[panel.index]))
        elif "relationship" in d.columns:
            kinds[(p.file, p.sheet)] = "households"
            hh, bad, merged = _members_to_households(d, p)
            quarantine.append(bad)
            members.append(merged)
            hh_primary.append(_households(hh))
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
                "sheet holds: no period (年度, 季度 or 月份) with income, household attributes "
                f"(家庭人口数, ...) or events (识别日期, ...); recognised headers: "
                f"{sorted(p.header.headers[j] for j in p.header.columns)}"
            )
    if not panels:  # what no sheet has: a period, an income column
        have = {c for p in parsed for c in p.data.columns}
        lacking = ([] if have & {"year", "quarter", "period", "month"} or
                   any(title_year(p) for p in parsed) else ["year"])
        lacking += [] if have & set(INCOME_INPUTS) else ["income"]
        if lacking and not any(t == "panel" for _, t, _ in problems):
            problems.append((parsed, "panel", lacking))
    if problems:
        raise _missing_error(problems, specs)
    if not hh_primary and not hh_derived:
        # no sheet says anything about households: the panel's ids are the households (a
        # household sheet, when there is one, decides which households exist)
        hh_derived = bare
    households = _combine_households(hh_primary, hh_derived)
    notes["households_with_changing_attributes"] = int(
        sum(getattr(h, "attrs", {}).get("changing", 0) for h in hh_derived))
    missing = [c for c in schema.HOUSEHOLDS.columns if c not in households.columns]
    _apply_defaults(households, missing, specs, notes, "households")
    if "village_id" in households:
        households["village_id"] = _unique_villages(households)
    panel = pd.concat(panels, ignore_index=True)
    if "village_id" in households:
        by_hh = households.drop_duplicates("household_id").set_index("household_id")["village_id"]
        mapped = panel["household_id"].map(by_hh)
        panel["village_id"] = mapped.fillna(panel["village_id"]) if "village_id" in panel else mapped
    panel = _per_capita_income(panel, households, parsed)
    events = _combine_events(ev_primary, ev_derived)
    tables = {"households": households, "panel": panel, "events": events}
    if tables["events"].empty:
        tables["events"] = pd.DataFrame({c: pd.Series(dtype=object) for c in
                                         [*schema.EVENTS.columns, *PROV]})
    q = [x for x in quarantine if len(x)]
    merged = [m for m in members if len(m)]
    notes["months_added_to_quarters"] = int(sum(len(m) for m in merged))
    return (tables, (pd.concat(q, ignore_index=True) if q else empty_quarantine()), notes, kinds,
            pd.concat(merged, ignore_index=True) if merged else pd.DataFrame(columns=MEMBER_COLUMNS))


def _per_capita_income(panel: pd.DataFrame, households: pd.DataFrame,
                       parsed: list[ParsedSheet]) -> pd.DataFrame:
    """Per-capita net income (人均纯收入) times household size gives the household's net
    income (``income_net``); without a household size it cannot be turned into one."""
    if "income_net_pc" not in panel:
        return panel
    size = panel["household_id"].map(
        households.drop_duplicates("household_id").set_index("household_id")["household_size"]
    ) if "household_size" in households else pd.Series(np.nan, index=panel.index)
    where, written = next(((p.file, _header_of(p)["income_net_pc"]) for p in parsed
                           if "income_net_pc" in _header_of(p)), ("", "income_net_pc"))
    if size.isna().all():
        raise IngestError(
            f"{where}: {written!r} is income per person: the household size (家庭人口数) is needed to "
            "compare it with the line per person of other sources and to weight households; "
            "add a household-size column, or give the household's net income (纯收入)")
    pc = panel.pop("income_net_pc")
    total = pc * pd.to_numeric(size, errors="coerce")
    panel["income_net"] = total if "income_net" not in panel else panel["income_net"].fillna(total)
    return panel


DATE_COLUMNS = ("identified_date", "eliminated_date", "date")
MEMBER_COLUMNS = ["file", "sheet", "row", "member"]
FLOW_COLUMNS = (*schema.INCOME_COLUMNS, "production_cost", "medical_total", "medical_reimbursed",
                "medical_oop", "disaster_loss")
"""Amounts that flow over a period: a quarter's is the sum of its months'."""
ANY_MONTH_COLUMNS = ("dibao", "public_welfare_job")
"""Support received in any month of the quarter counts for the quarter."""


def _months_to_quarters(d: pd.DataFrame, p: ParsedSheet) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Monthly rows (a month column, or a period column of months) added up to quarters:
    flows summed, support in any month counts, states (housing, status, dates, household
    attributes) as at the quarter's last month. A month written twice is a duplicate (an
    exact copy is quarantined, two versions both are: summing would count it twice); a
    quarter with fewer than three months is quarantined (its sums would be too low).
    Returns the quarterly rows (``_row`` = the last month's row), quarantine lines and the
    rows each quarterly record stands for."""
    month = d["month"] if "month" in d else d.get("_period_month")
    if month is None or month.isna().all():
        return d, empty_quarantine(), pd.DataFrame(columns=MEMBER_COLUMNS)
    d = d.assign(_m=month.astype("Int64"))
    keep, dup = split_duplicates(d, ["household_id", "year", "_m"], "", p.file)
    lines = []
    if len(dup):
        lines.append(_lines(d, p, dup["row"].to_numpy(), "household_id,year,month", dup["rule"].to_numpy(),
                            dup["message"].to_numpy()))
    k = d.loc[keep].sort_values(["household_id", "year", "quarter", "_m", "_row"], kind="stable")
    key = ["household_id", "year", "quarter"]
    n_months = k.groupby(key, sort=False, dropna=False)["_m"].transform("nunique")
    short = k.index[n_months < 3]
    if len(short):
        lines.append(_lines(k, p, short, "month", "incomplete_quarter",
                            "only " + n_months[short].astype(str).to_numpy().astype(object)
                            + " of the quarter's 3 months: its sums would be too low"))
    k = k.drop(index=short)
    g = k.groupby(key, sort=False, dropna=False)
    out = g.last()
    flows = [c for c in k.columns if c in FLOW_COLUMNS or c.startswith("_res_")]
    out[flows] = g[flows].sum(min_count=1)
    support = [c for c in ANY_MONTH_COLUMNS if c in k.columns]
    out[support] = g[support].max()
    out["_row"] = g["_row"].last()
    out = out.reset_index()
    members = pd.DataFrame({"file": p.file, "sheet": p.sheet,
                            "row": g["_row"].transform("last").to_numpy(dtype="int64"),
                            "member": k["_row"].to_numpy(dtype="int64")})
    q = pd.concat(lines, ignore_index=True) if lines else empty_quarantine()
    return out[[c for c in d.columns if c in out.columns]], q, members


HEAD_RELATIONSHIPS = ("户主", "本人", "户主本人", "head", "self")
LABOUR_SKILLS = r"^(?:普通劳动力|技能劳动力|是|劳动力)$"
"""Members counted as labour: the monitoring system's 普通劳动力 and 技能劳动力 (弱劳动力或半劳动力,
丧失劳动力 and 无劳动力 are not)."""
ELDERLY_AGE, CHILD_AGE = 60, 16
"""Members aged 60 or more are elderly; under 16, children (in the age reference year)."""


def _members_to_households(d: pd.DataFrame, p: ParsedSheet) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Member-level rows (one per person, a 与户主关系 column) added up to one record per
    household: size = members, counts of labour, elderly, children, disabled and chronically
    ill members (unless the export gives them), and the head's age, sex, education and
    pseudonyms from the member marked 户主. A household with no head or several heads is
    quarantined (nothing says whose age is the head's). Returns the records (``_row`` = the
    head's row), quarantine lines and the rows each record stands for."""
    d = d.assign(_head=d["relationship"].astype("string").str.strip().isin(HEAD_RELATIONSHIPS))
    heads = d.groupby("household_id", dropna=False)["_head"].transform("sum")
    bad = d.index[heads != 1]
    lines = []
    if len(bad):
        lines.append(_lines(d, p, bad, "relationship", "household_head",
                            np.where(heads[bad] == 0, "no member of the household is marked 户主",
                                     "several members of the household are marked 户主")))
    k = d.drop(index=bad)
    head = k[k["_head"]].set_index("household_id")
    age = k["head_age"] if "head_age" in k else pd.Series(pd.NA, index=k.index, dtype="Int64")
    counts = {
        "household_size": pd.Series(1, index=k.index),
        "n_elderly": age >= ELDERLY_AGE,
        "n_children": age < CHILD_AGE,
    }
    if "labour_skill" in k:
        counts["n_labour"] = k["labour_skill"].astype("string").str.strip().str.fullmatch(LABOUR_SKILLS)
    if "health" in k:
        health = k["health"].astype("string")
        counts["n_disabled"] = health.str.contains("残疾")
        counts["n_chronic_ill"] = health.str.contains("慢性病|大病|长期")
    for col, flag in counts.items():
        if col not in k:  # a count the export gives itself is taken as written
            head[col] = flag.fillna(False).astype("int64").groupby(k["household_id"]).sum()
    unknown_age = age.isna().groupby(k["household_id"]).any()
    for col in ("n_elderly", "n_children"):  # a member of unknown age leaves them unknown
        if col in head:
            head[col] = head[col].astype("Int64").mask(unknown_age.reindex(head.index).fillna(True))
    head = head.reset_index()
    members = pd.DataFrame({"file": p.file, "sheet": p.sheet,
                            "row": k["household_id"].map(head.set_index("household_id")["_row"])
                            .to_numpy(dtype="int64"),
                            "member": k["_row"].to_numpy(dtype="int64")})
    q = pd.concat(lines, ignore_index=True) if lines else empty_quarantine()
    return head.drop(columns="_head"), q, members


def _lines(d: pd.DataFrame, p: ParsedSheet, rows, column: str, rule, message) -> pd.DataFrame:
    """Quarantine lines for rows (labels of ``d``) of sheet ``p``."""
    written = _header_of(p)
    header = ",".join(written[c] for c in column.split(",") if c in written)
    return pd.DataFrame({
        "table": "", "source": p.file, "file": p.file, "sheet": p.sheet,
        "row": d.loc[rows, "_row"].to_numpy(dtype="int64"), "column": column, "header": header,
        "rule": rule, "message": message, "value": "",
    })


def _future_dates(parsed: list[ParsedSheet], periods: dict) -> list[pd.DataFrame]:
    """Dates after the end of the last quarter the exports cover cannot have happened yet
    when the data were exported: their rows are quarantined (``date_after_last_period``)
    and leave ``parsed`` (and ``periods``) here."""
    # quarters counted from year 0, so the latest is one integer maximum
    ends = [int(quarter_index(y[ok].to_numpy(dtype="int64"), q[ok].to_numpy(dtype="int64")).max())
            for y, q, *_ in (per for per in periods.values() if per is not None)
            for ok in [(y.notna() & q.notna()).to_numpy()] if ok.any()]
    if not ends:
        return []
    year, quarter = year_quarter(max(ends))
    last = pd.Period(year=year, quarter=quarter, freq="Q")
    limit = last.end_time.normalize()
    out = []
    for p in parsed:
        d = p.data
        late = pd.Series(False, index=d.index)
        for col in (c for c in DATE_COLUMNS if c in d.columns):
            bad = (d[col] > limit).fillna(False)
            if bad.any():
                out.append(pd.DataFrame({
                    "table": "", "source": p.file, "file": p.file, "sheet": p.sheet,
                    "row": d.loc[bad, "_row"].to_numpy(dtype="int64"), "column": col,
                    "header": _header_of(p).get(col, col), "rule": "date_after_last_period",
                    "message": f"{_header_of(p).get(col, col)!r} is after the end of the last "
                               f"quarter in the data ({last}): a date in the future",
                    "value": d.loc[bad, col].dt.strftime("%Y-%m-%d").to_numpy(),
                }))
                late |= bad
        if late.any():
            p.data = d.loc[~late]
            per = periods[id(p)]
            if per is not None:
                periods[id(p)] = (per[0][~late], per[1][~late], *per[2:])
    return out


def _derive_person(d: pd.DataFrame, reference_year: int | None, p: ParsedSheet,
                   specs: dict[str, ColumnSpec]) -> None:
    """Head's age and sex from the ID number when the export does not give them."""
    if "_birth_year" in d and "head_age" not in d and reference_year is not None:
        # (no year at all: no panel either, which the missing-column message reports)
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


def _panel(d: pd.DataFrame, p: ParsedSheet, specs: dict[str, ColumnSpec]) -> tuple[pd.DataFrame, list[str]]:
    """Panel rows of a sheet with a period (medical amounts and monitoring status derived
    when one of them is missing), and the required columns it lacks (a period and at least
    one income column; every other domain is optional and stays absent when the sheet does
    not have it)."""
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
    # a domain's label columns come with the domain (a status without a type is a type unknown)
    for col, domain in (("monitoring_type", "monitoring_status"), ("risk_type", "monitoring_status"),
                        ("disaster_type", "disaster_loss")):
        if col not in d and domain in d:
            d[col] = pd.Series(pd.NA, index=d.index, dtype="string")
    absent = [c for c in schema.PANEL.columns if c not in d.columns]
    _apply_defaults(d, absent, specs, {}, "panel")
    missing = [c for c in schema.REQUIRED_PANEL_COLUMNS if c not in d.columns]
    if not any(c in d.columns for c in INCOME_INPUTS):
        missing.append("income")
    keep = [*[c for c in schema.PANEL.columns if c in d.columns],
            *[c for c in ("income_net_pc", *PANEL_EXTRA) if c in d.columns],
            *[c for c in d.columns if c.startswith("_res_")], *PROV]
    return d[keep], missing


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
