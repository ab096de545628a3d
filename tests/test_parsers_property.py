"""Property-based tests (hypothesis) of the parsers of amounts, units, dates, periods, whole
numbers and ID numbers: on any input they never raise and flag what they cannot read; what a
county's spreadsheet writes in any of its styles they read back exactly. The expected values
come from the generating parameters (the number, the date, the unit), never from the parser.
"""

import calendar
import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from relapse_models.data import idcard
from relapse_models.data.ingest.dates import (
    parse_dates,
    parse_int,
    parse_months,
    parse_periods,
    parse_quarters,
)
from relapse_models.data.ingest.idnumbers import check_ids
from relapse_models.data.ingest.pseudonym import DEMO_KEY, pseudonymize
from relapse_models.data.ingest.units import UNIT_FACTORS, is_blank, parse_amounts, unit_from_text

SETTINGS = settings(max_examples=80, deadline=None, derandomize=True)
# derandomized: CI runs the same examples every time (a failure found by exploring locally
# becomes a regression test below)
CN_DIGITS = "〇一二三四"
anything = st.one_of(st.text(max_size=30), st.floats(allow_nan=True, allow_infinity=True),
                     st.integers(min_value=-10**20, max_value=10**20), st.none(),
                     st.datetimes(min_value=dt.datetime(1800, 1, 1)))


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def one(text: object) -> pd.Series:
    return pd.Series([text], dtype=object)


# --- never crash, and say what they could not read ----------------------------------------

@SETTINGS
@given(st.lists(anything, max_size=10))
def test_no_parser_raises_and_bad_means_unread(cells):
    s = pd.Series(cells, dtype=object)
    blank = is_blank(s).to_numpy()
    yuan, bad, res = parse_amounts(s, 10_000.0)
    assert len(yuan) == len(bad) == len(res) == len(s)
    # a cell is either blank, read (a finite number) or flagged, never two of these
    read = yuan.notna().to_numpy()
    assert (blank.astype(int) + read + bad.to_numpy() == 1).all()
    assert np.isfinite(yuan.dropna()).all()
    for parse in (parse_dates, parse_int):
        values, flagged = parse(s)
        assert (values.isna().to_numpy() == (blank | flagged.to_numpy())).all()
    for parse in (parse_quarters, parse_months):
        _, values, flagged = parse(s)
        assert (values.isna().to_numpy() == (blank | flagged.to_numpy())).all()
    # a period needs its year: "1" is a quarter but flagged, so unread implies flagged
    _, values, flagged = parse_periods(s)
    assert not (values.isna().to_numpy() & ~blank & ~flagged.to_numpy()).any()
    assert not (blank & flagged.to_numpy()).any()
    rule, _ = check_ids(s, 2023)
    assert set(rule) <= {"", "id_format", "id_check_digit", "id_birth_date"}


@SETTINGS
@given(st.text(max_size=40))
def test_unit_from_any_header_text_never_raises(text):
    factor = unit_from_text(text)
    assert factor is None or factor in UNIT_FACTORS.values()


# --- amounts and units: written in any style, read back -----------------------------------

cents = st.integers(min_value=0, max_value=10**11)


@SETTINGS
@given(cents, st.sampled_from(["plain", "commas", "fullwidth", "yen", "spaces", "cell_yuan"]),
       st.sampled_from(sorted(UNIT_FACTORS)))
def test_amounts_in_any_style_and_unit_round_trip(c, style, unit):
    """``c`` cents of the column's unit, written as a county would; read back to yuan."""
    v = c / 100
    text = {"plain": f"{v:.2f}", "commas": f"{v:,.2f}", "fullwidth": fullwidth(f"{v:.2f}"),
            "yen": f"¥{v:.2f}", "spaces": f" {v:.2f} ", "cell_yuan": f"{v:.2f}{unit}"}[style]
    factor = UNIT_FACTORS[unit]
    yuan, bad, res = parse_amounts(one(text), 1.0 if style == "cell_yuan" else factor)
    assert not bad[0]
    assert abs(yuan[0] - v * factor) <= 1e-9 * max(1.0, v * factor)
    assert res[0] == 0.01 * factor  # one unit of the last written decimal


@SETTINGS
@given(st.integers(min_value=1, max_value=10**9))
def test_accounting_negative_is_the_negative(c):
    v = c / 100
    yuan, bad, _ = parse_amounts(pd.Series([f"({v:.2f})", f"-{v:.2f}", f"（{v:,.2f}）"]))
    assert not bad.any() and (yuan == -v).all()


@SETTINGS
@given(st.text(min_size=1, max_size=8).filter(lambda t: not any(ch in t for ch in "（(【[/单")),
       st.sampled_from(sorted(UNIT_FACTORS)), st.sampled_from(["（{}）", "({})", "/{}", "【{}】", "单位：{}"]))
def test_unit_in_any_header_style_is_found(name, unit, style):
    header = name.strip() + style.format(unit)
    assert unit_from_text(header) == UNIT_FACTORS[unit]


@SETTINGS
@given(st.sampled_from(["٣٥٠٠", "𝟑𝟓𝟎𝟎", "35O0", "①", "3,5,0,0.0.0", "1e400", "inf", "-inf",
                        "NaN.5", "约3500", "３５００元左右", "待核实"]))
def test_lookalikes_and_words_are_never_read_as_amounts(text):
    yuan, bad, _ = parse_amounts(one(text))
    assert bad[0] and pd.isna(yuan[0])


# --- dates and periods ----------------------------------------------------------------------

days = st.dates(min_value=dt.date(1954, 10, 3), max_value=dt.date(2119, 1, 10))


@SETTINGS
@given(days, st.sampled_from(["%Y-%m-%d", "%Y/%-m/%-d", "%Y.%m.%d", "%Y年%-m月%-d日", "%Y%m%d",
                              "%Y-%m-%d %H:%M:%S", "fullwidth", "serial", "serial_time"]),
       st.integers(0, 86399))
def test_dates_in_any_style_round_trip(day, fmt, seconds):
    stamp = pd.Timestamp(day) + pd.Timedelta(seconds=seconds)
    serial = (pd.Timestamp(day) - pd.Timestamp("1899-12-30")).days
    text = {"serial": str(serial), "serial_time": f"{serial + seconds / 86400:.6f}",
            "fullwidth": fullwidth(day.strftime("%Y-%m-%d"))}.get(fmt) or stamp.strftime(fmt)
    got, bad = parse_dates(one(text))
    assert not bad[0] and got[0] == pd.Timestamp(day)


@SETTINGS
@given(st.integers(1900, 2199), st.integers(1, 12), st.integers(29, 40))
def test_impossible_days_are_flagged_not_rolled_over(year, month, day):
    text = f"{year}-{month:02d}-{day:02d}"
    got, bad = parse_dates(one(text))
    if day <= calendar.monthrange(year, month)[1]:
        assert not bad[0] and got[0] == pd.Timestamp(year, month, day)
    else:
        assert bad[0] and pd.isna(got[0])


@SETTINGS
@given(st.integers(2000, 2099), st.integers(1, 4),
       st.sampled_from(["{y}Q{q}", "{y}年第{cn}季度", "{y}-Q{q}", "{y}年{q}季度", "{y} 第{q}季度",
                        "第{cn}季度", "{q}", "Q{q}", "{cn}季度"]))
def test_quarters_round_trip(year, quarter, fmt):
    text = fmt.format(y=year, q=quarter, cn=CN_DIGITS[quarter])
    y, q, bad = parse_quarters(one(text))
    assert not bad[0] and q[0] == quarter
    assert (y[0] == year) if "{y}" in fmt else pd.isna(y[0])


@SETTINGS
@given(st.integers(2000, 2099), st.integers(1, 12),
       st.sampled_from(["{y}年{m}月", "{y}-{m:02d}", "{y}/{m}", "{y}{m:02d}", "{y}年{m}月份"]))
def test_months_and_periods_round_trip(year, month, fmt):
    text = fmt.format(y=year, m=month)
    y, m, bad = parse_months(one(text))
    assert not bad[0] and (y[0], m[0]) == (year, month)
    # in a period column "2000/2" alone is a quarter; beside "2000/12" it is a month
    py, pq, pbad = parse_periods(pd.Series([text, fmt.format(y=year, m=12)], dtype=object))
    assert not pbad.any() and (py[0], pq[0]) == (year, (month - 1) // 3 + 1)


def test_period_column_of_months_is_read_as_months():
    months = pd.Series([f"2023/{m}" for m in range(1, 13)], dtype=object)
    year, quarter, bad = parse_periods(months)
    assert not bad.any() and (year == 2023).all()
    assert quarter.tolist() == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]
    _, quarter, _ = parse_periods(pd.Series(["2023/1", "2023/2", "2023/3", "2023/4"]))
    assert quarter.tolist() == [1, 2, 3, 4]  # no month above 4: quarters


@SETTINGS
@given(st.integers(0, 10**12), st.sampled_from(["{n}", "{n}.0", "{n}人", "fullwidth", " {n} "]))
def test_whole_numbers_round_trip(n, fmt):
    text = fullwidth(str(n)) if fmt == "fullwidth" else fmt.format(n=n)
    v, bad = parse_int(one(text))
    assert not bad[0] and v[0] == n


# --- ID numbers -----------------------------------------------------------------------------

ids = st.builds(
    lambda year, male, seed: str(idcard.make_ids(np.random.default_rng(seed), 1, "610429",
                                                 np.array([year]), np.array([male]))[0]),
    st.integers(1900, 2010), st.booleans(), st.integers(0, 2**32 - 1))


@SETTINGS
@given(ids, st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_error_is_caught(number, pos, shift):
    """GB 11643's MOD 11-2 catches every single wrong digit."""
    body = number[:pos] + str((int(number[pos]) + shift) % 10) + number[pos + 1:]
    rule, _ = check_ids(one(body), 2023)
    assert rule[0] in ("id_check_digit", "id_birth_date")


@SETTINGS
@given(ids, st.integers(0, 16))
def test_any_swap_of_two_neighbouring_digits_is_caught(number, pos):
    swapped = number[:pos] + number[pos + 1] + number[pos] + number[pos + 2:]
    rule, _ = check_ids(one(swapped), 2023)
    assert rule[0] != "" or swapped == number


@SETTINGS
@given(ids, st.sampled_from(["fullwidth", "lower", "spaces"]))
def test_ids_as_typed_are_the_same_id_and_the_same_pseudonym(number, style):
    typed = {"fullwidth": fullwidth(number), "lower": number.lower(),
             "spaces": f" {number[:6]} {number[6:14]} {number[14:]} "}[style]
    rule, clean = check_ids(pd.Series([number, typed]), 2023)
    assert list(rule) == ["", ""] and clean[1] == number
    p = pseudonymize(pd.Series([number, typed]), DEMO_KEY, "id_number")
    assert p[0] == p[1] and len(p[0]) == 16
    assert pseudonymize(one(number), DEMO_KEY, "phone")[0] != p[0]  # kinds never collide


def test_amount_overflowing_when_converted_to_yuan_is_unread():
    # found by hypothesis: 1.8e304 万元 is inf yuan; it must be flagged, not kept as inf
    yuan, bad, _ = parse_amounts(pd.Series([1.797693134862316e304, 2.0], dtype=object), 10_000.0)
    assert bad.tolist() == [True, False]
    assert yuan.isna().tolist() == [True, False] and yuan.iloc[1] == 20_000.0
