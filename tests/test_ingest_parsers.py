"""Parsers of amounts, units, dates, periods and ID numbers: hand-checked cases, and
hypothesis properties (they never raise, and what they write they read back)."""

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from relapse_models.data import idcard
from relapse_models.data.ingest.dates import parse_dates, parse_periods, parse_quarters
from relapse_models.data.ingest.headers import find_header, load_columns, normalise_header
from relapse_models.data.ingest.idnumbers import age_sex, check_ids
from relapse_models.data.ingest.pseudonym import DEMO_KEY, pseudonymize
from relapse_models.data.ingest.units import parse_amounts, unit_from_text

FULL = str.maketrans("0123456789.", "０１２３４５６７８９．")


def test_amounts_by_hand():
    cells = pd.Series(["1,234.5", "１２３４", "(12)", "-", "", "abc", 0.35, "1.2万", "300元"],
                      dtype=object)
    yuan, bad, res = parse_amounts(cells, factor=10_000)
    expected = [12_345_000, 12_340_000, -120_000, 0, np.nan, np.nan, 3500, 12_000, 300]
    np.testing.assert_allclose(yuan.to_numpy(dtype=float), expected)
    assert bad.tolist() == [False] * 5 + [True] + [False] * 3
    assert res[6] == 100.0  # 0.35 万元: the last digit is worth 100 yuan


def test_units_from_headers():
    assert unit_from_text("工资性收入（万元）") == 10_000
    assert unit_from_text("收入(元)") == 1
    assert unit_from_text("单位：万元") == 10_000
    assert unit_from_text("工资性收入") is None


def test_dates_by_hand():
    cells = pd.Series(["2023-03-05", "2023/3/5", "2023年3月5日", "20230305", 44990.0,
                       dt.date(2023, 3, 5), "２０２３．３．５", "2023-02-30", "x", ""], dtype=object)
    got, bad = parse_dates(cells)
    assert (got[:7] == pd.Timestamp("2023-03-05")).all()  # 44990 = 2023-03-05 in Excel
    assert got[7:].isna().all()
    assert bad.tolist() == [False] * 7 + [True, True, False]


def test_periods_by_hand():
    year, quarter, bad = parse_periods(pd.Series(["2023Q1", "2023年第二季度", "2023-Q3",
                                                  "2023年11月", "202304", "Q5"]))
    assert year.tolist()[:5] == [2023] * 5
    assert quarter.tolist()[:5] == [1, 2, 3, 4, 2]
    assert bad.tolist() == [False] * 5 + [True]
    _, q, bad = parse_quarters(pd.Series(["一季度", "第4季度", "3", 2.0]))
    assert q.tolist() == [1, 4, 3, 2] and not bad.any()


def test_id_rules_and_age_sex():
    rng = np.random.default_rng(0)
    ids = idcard.make_ids(rng, 2, "610429", np.array([1960, 1990]), np.array([True, False]))
    cells = pd.Series([*ids, idcard.corrupt_check(ids[:1])[0], "6104291990023", "1.10105E+17",
                       "610429199002300018"])
    rule, clean = check_ids(cells, reference_year=2023)
    assert rule.tolist() == ["", "", "id_check_digit", "id_format", "id_format", "id_birth_date"]
    age, sex = age_sex(clean[:2], 2023)
    assert age.tolist() == [63, 33] and sex.tolist() == ["M", "F"]


def test_header_below_title_and_merged_group_row():
    _, lookup = load_columns()
    head = [["XX县防返贫监测台账"], ["单位：元"],
            ["户编号", "证件号码", "家庭收入（万元）", "", "年度", "季度"],
            ["", "", "工资性收入", "经营性收入", "", ""]]
    h = find_header(head, lookup)
    assert h.rows == (2, 3) and h.data_start == 4
    assert h.columns == {0: "household_id", 1: "id_number", 2: "income_wage",
                         3: "income_operating", 4: "year", 5: "quarter"}
    assert h.units[2] == 10_000 and h.units[3] == 10_000  # the group's unit wins over the title's
    assert normalise_header(" 工资性收入\n（万元）* ") == "工资性收入"


def test_pseudonyms_are_keyed_stable_and_normalised():
    a = pseudonymize(pd.Series(["11010519491231002x", " 11010519491231002X"]), DEMO_KEY, "id_number")
    b = pseudonymize(pd.Series(["11010519491231002X"]), b"another key of 16+ bytes", "id_number")
    assert a[0] == a[1] and a[0] != b[0] and len(a[0]) == 16


amounts = st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False)


@settings(max_examples=50, deadline=None)
@given(amounts, st.sampled_from(["plain", "commas", "fullwidth", "wan"]))
def test_amounts_round_trip(value, style):
    v = float(value)
    text = {"plain": f"{v:.2f}", "commas": f"{v:,.2f}", "fullwidth": f"{v:.2f}".translate(FULL),
            "wan": f"{v / 10_000:.6f}万"}[style]
    yuan, bad, _ = parse_amounts(pd.Series([text], dtype=object))
    assert not bad[0]
    assert abs(yuan[0] - v) <= 1e-6 * max(1.0, abs(v)) + (0.01 if style == "wan" else 0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=12), st.floats(), st.integers(), st.none()), max_size=8))
def test_parsers_never_raise(cells):
    s = pd.Series(cells, dtype=object)
    for parse in (parse_amounts, parse_dates, parse_periods):
        out = parse(s)
        assert len(out[0]) == len(s)
    rule, _ = check_ids(s, 2023)
    assert len(rule) == len(s)


@settings(max_examples=50, deadline=None)
@given(st.dates(min_value=dt.date(1955, 1, 1), max_value=dt.date(2099, 12, 31)),
       st.sampled_from(["%Y-%m-%d", "%Y/%-m/%-d", "%Y年%-m月%-d日", "%Y%m%d", "serial"]))
def test_dates_round_trip(day, fmt):
    text = (str((pd.Timestamp(day) - pd.Timestamp("1899-12-30")).days) if fmt == "serial"
            else day.strftime(fmt))
    got, bad = parse_dates(pd.Series([text]))
    assert not bad[0] and got[0] == pd.Timestamp(day)


@settings(max_examples=40, deadline=None)
@given(st.integers(1900, 2010), st.booleans(), st.integers(0, 2**32 - 1))
def test_made_ids_pass_and_give_back_age_and_sex(year, male, seed):
    ids = idcard.make_ids(np.random.default_rng(seed), 1, "610429", np.array([year]), np.array([male]))
    rule, clean = check_ids(pd.Series(ids), 2023)
    age, sex = age_sex(clean, 2023)
    assert rule[0] == "" and age[0] == 2023 - year and sex[0] == ("M" if male else "F")
