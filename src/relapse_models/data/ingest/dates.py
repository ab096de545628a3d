"""Dates and periods as exports write them: 2023-03-05, 2023/3/5, 2023.3.5, 2023年3月5日,
20230305, Excel serial numbers (45000) and typed Excel dates; quarters as 1, "Q1", "一季度",
"第1季度", "2023Q1", "2023年第一季度"; months as 3, "3月", "2023-03", "2023年3月".

Every parser returns the values and a ``bad`` mask (non-blank cells it could not read), so the
caller quarantines instead of guessing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relapse_models.data.ingest.units import is_blank, to_halfwidth

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
"""Day zero of Excel's (1900 system) serial dates, after its fictitious 1900-02-29."""

SERIAL_RANGE = (20_000, 80_000)
"""Serials read as dates: 1954-10-03 to 2119-01-10; other plain numbers are not dates."""

_CN_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dates in any of the module's formats -> ``(datetime64[ns] series, bad)``."""
    text = to_halfwidth(values.astype("string").str.strip())
    blank = is_blank(text)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    # year, month, day separated by anything (-, /, ., 年月日), an optional time after
    ymd = text.str.extract(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
    compact = text.str.extract(r"^(\d{4})(\d{2})(\d{2})(?:\.0+)?$")
    ymd = ymd.fillna(compact)
    found = ymd[0].notna()
    if found.any():
        out[found] = _from_parts(ymd.loc[found, 0], ymd.loc[found, 1], ymd.loc[found, 2])
    serial = pd.to_numeric(text.where(~found & ~blank), errors="coerce")
    is_serial = serial.between(*SERIAL_RANGE)
    if is_serial.any():
        out[is_serial] = EXCEL_EPOCH + pd.to_timedelta(
            np.floor(serial[is_serial].to_numpy(dtype="float64")), unit="D"
        )
    bad = out.isna() & ~blank
    return out, bad


def _from_parts(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    """Calendar dates from string parts; impossible dates (2023-02-30) become NaT."""
    iso = year + "-" + month.str.zfill(2) + "-" + day.str.zfill(2)
    # years a nanosecond timestamp can hold, and a monitoring record could mean
    iso = iso.where(pd.to_numeric(year, errors="coerce").between(1900, 2199))
    return pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce").astype("datetime64[ns]")


def parse_int(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Whole numbers (counts, years): ``(Int64 series, bad)``; "3.0" is 3, "3.5" is bad."""
    text = to_halfwidth(values.astype("string").str.strip())
    blank = is_blank(text)
    text = text.str.replace(r"(人|口|岁|年|户)$", "", regex=True)
    number = pd.to_numeric(text.where(~blank), errors="coerce")
    whole = number.notna() & np.isfinite(number.fillna(0)) & (number.fillna(0) % 1 == 0)
    whole &= number.abs().fillna(0) < 1e15
    out = number.where(whole).astype("Int64")
    return out, (~whole & ~blank).astype(bool)


def parse_quarters(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Quarters -> ``(year or <NA>, quarter, bad)``. A year is returned when the cell holds
    one ("2023Q1", "2023年第一季度"), so one column can carry the whole period."""
    text = to_halfwidth(values.astype("string").str.strip()).str.upper().str.translate(_CN_DIGITS)
    text = text.str.replace(r"\.0+$", "", regex=True)
    blank = is_blank(text)
    parts = text.str.extract(
        r"^(?:(\d{4})\s*(?:年)?\s*[-_/ ]?\s*)?(?:第)?\s*(?:Q)?([1-4])\s*(?:季度|季|Q)?$"
    )
    year = pd.to_numeric(parts[0], errors="coerce").astype("Int64")
    quarter = pd.to_numeric(parts[1], errors="coerce").astype("Int64")
    bad = quarter.isna() & ~blank
    return year, quarter, bad.astype(bool)


def parse_months(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Months -> ``(year or <NA>, month, bad)``: 3, "3月", "03", "2023-03", "2023年3月",
    "202303", or a full date (its month)."""
    text = to_halfwidth(values.astype("string").str.strip()).str.replace(r"\.0+$", "", regex=True)
    blank = is_blank(text)
    parts = text.str.extract(r"^(?:(\d{4})\s*[-/.年]?\s*)?(\d{1,2})\s*(?:月份|月)?$")
    year = pd.to_numeric(parts[0], errors="coerce").astype("Int64")
    month = pd.to_numeric(parts[1], errors="coerce").astype("Int64")
    dates, _ = parse_dates(values.where(month.isna()))
    year = year.fillna(dates.dt.year.astype("Int64"))
    month = month.fillna(dates.dt.month.astype("Int64"))
    month = month.where(month.between(1, 12))
    bad = month.isna() & ~blank
    return year, month, bad.astype(bool)


def parse_periods(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """A period column holding quarters or months ("2023Q1", "2023年第一季度", "2023-03",
    "2023年3月") -> ``(year, quarter, bad)``; months become their quarter. "2023/2" is read
    as a quarter unless the column also holds "2023/5".."2023/12" (then all are months)."""
    year, quarter, _, bad = parse_periods_months(values)
    return year, quarter, bad


def parse_periods_months(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """:func:`parse_periods` and the month of the cells that hold a month (else <NA>), so
    monthly rows can be added up to quarters: ``(year, quarter, month, bad)``."""
    year, quarter, bad = parse_quarters(values)
    month_out = pd.Series(pd.NA, index=values.index, dtype="Int64")
    # "2023/2" may be a quarter or a month; a column that also writes "2023/7" writes months
    text = to_halfwidth(values.astype("string").str.strip())
    ambiguous = text.str.fullmatch(r"\d{4}\s*[-/.]\s*\d{1,2}").fillna(False)
    if (ambiguous & bad).any():
        bad = bad | ambiguous
    if bad.any():
        m_year, month, m_bad = parse_months(values.where(bad))
        from_month = bad & ~m_bad & m_year.notna()
        year = year.mask(from_month, m_year)
        quarter = quarter.mask(from_month, (month - 1) // 3 + 1)
        month_out = month_out.mask(from_month, month)
        bad = bad & ~from_month
    bad = bad | (quarter.notna() & year.isna())
    return year, quarter, month_out, bad.astype(bool)
