"""Issue 10: the corpus of bad inputs (``tests/data/bad/make_corpus.py``). Each file gives one
clear error naming the file (never a bare traceback), or quarantine lines with their rule;
rows in = kept + quarantined, always. What must happen is written here by hand."""

import importlib.util
from pathlib import Path

import pytest

from relapse_models.cli import main
from relapse_models.data.ingest import DEMO_KEY, IngestError, ingest_files

_SPEC = importlib.util.spec_from_file_location(
    "make_corpus", Path(__file__).parent / "data" / "bad" / "make_corpus.py")
CORPUS = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(CORPUS)

FATAL = {
    "empty.csv": ["empty.csv", "the file is empty (0 bytes)"],
    "empty.xlsx": ["empty.xlsx", "the workbook is empty", "hold no cell"],
    "notes_sheet_only.xlsx": ["notes_sheet_only.xlsx", "no sheet has a header row"],
    "data_sheet_hidden.xlsx": ["data_sheet_hidden.xlsx", "hidden sheets are not read", "数据"],
    "garbage.xlsx": ["garbage.xlsx", "cannot read as a spreadsheet"],
    "csv_renamed.xlsx": ["csv_renamed.xlsx", "cannot read as a spreadsheet", "a text file"],
    "truncated.xlsx": ["truncated.xlsx", "cannot read as a spreadsheet"],
    "not_a_zip_member.xlsx": ["not_a_zip_member.xlsx", "this is a zip archive"],
    "mixed_encodings.csv": ["mixed_encodings.csv", "mixed encodings", "line 4"],
    "no_key_column.csv": ["no_key_column.csv", "household_id", "户编号"],
    # not a spreadsheet: says what it is
    "word_renamed.xlsx": ["word_renamed.xlsx", "this is a Word document (docx)"],
    "report.pdf": ["report.pdf", "this is a PDF document"],
    "scan.png": ["scan.png", "this is a PNG image"],
    "photo_renamed.xlsx": ["photo_renamed.xlsx", "this is a JPEG image"],
    "exports.zip": ["exports.zip", "this is a zip archive", "unpack it"],
    "archive_renamed.xls": ["archive_renamed.xls", "this is a RAR archive"],
    "blanks_only.csv": ["blanks_only.csv", "the file is empty (10 bytes, blanks only)"],
    "bom_only.csv": ["bom_only.csv", "the file is empty (3 bytes, blanks only)"],
    # required columns: household, period, income; all that are missing in one message
    "no_income.csv": ["no_income.csv", "required column 'income'", "工资性收入"],
    "no_year.csv": ["no_year.csv", "required column 'year'", "年度"],
    "nothing_required.csv": ["nothing_required.csv", "'household_id'", "'year'", "'income'"],
    "two_years_in_title.xlsx": ["two_years_in_title.xlsx", "required column 'year'"],
    "per_capita_no_size.csv": ["per_capita_no_size.csv", "'人均纯收入' is income per person",
                               "家庭人口数"],
    "mixed_frequencies.xlsx": ["mixed_frequencies.xlsx [年度]: annual",
                               "mixed_frequencies.xlsx [季度]: quarterly"],
}
"""File -> what its one error message must say."""

QUARANTINED = {
    # rows in the file: header on row 1, data from row 2
    "header_only.csv": set(),
    "header_only.xlsx": set(),
    "merged_cells.xlsx": set(),  # merged 乡镇/村 cells fill the rows they cover
    "duplicate_headers.csv": {(4, "income_wage", "duplicate_column_conflict")},  # 3500 vs 9999
    "formula_cells.xlsx": {(2, "income_wage", "missing_value"), (3, "income_wage", "missing_value")},
    "very_long_strings.csv": {(2, "village_id", "text_too_long"), (4, "income_wage", "not_a_number")},
    "html_in_village.csv": {(2, "village_id", "markup_in_text"), (3, "village_id", "markup_in_text"),
                            (4, "town_id", "markup_in_text")},
    "lookalike_digits.csv": {(3, "income_wage", "not_a_number"), (4, "income_wage", "not_a_number"),
                             (5, "income_wage", "not_a_number"), (6, "id_number", "id_format"),
                             (7, "income_wage", "not_a_number")},
    "bad_amounts.csv": {(2, "income_wage", "greater_than_or_equal_to(0)"),
                        (3, "income_wage", "missing_value"), (4, "income_wage", "not_a_number"),
                        (5, "income_wage", "not_a_number"), (6, "income_wage", "not_a_number"),
                        (7, "income_wage", "greater_than_or_equal_to(0)")},
    "bad_dates.csv": {(2, "identified_date", "bad_date"), (3, "identified_date", "bad_date"),
                      (4, "identified_date", "date_after_last_period"),
                      (5, "identified_date", "bad_date"), (7, "eliminated_date", "bad_date")},
    "conflicting_households.csv": {(2, "household_id,year,quarter", "duplicate_conflict"),
                                   (6, "household_id,year,quarter", "duplicate_conflict"),
                                   (7, "household_id,year,quarter", "duplicate")},
}
"""File -> the (row, column, rule) quarantine lines, exactly."""

READ = {
    # file -> (frequency, clean panel rows, {(row, header as written, rule)}); data from row 2
    "partial_income_only.csv": ("annual", 2, set()),
    # blank medical and dibao cells are missing values, not broken rows
    "partial_blank_medical.csv": ("annual", 4, set()),
    "annual_negative_amount.csv": ("annual", 2, {(3, "工资性收入", "greater_than_or_equal_to(0)")}),
    # H1 2022 written twice with different wages: neither is kept
    "annual_conflicting_years.csv": ("annual", 1, {(2, "户编号,年度", "duplicate_conflict"),
                                                   (3, "户编号,年度", "duplicate_conflict")}),
    "annual_unknown_risk.csv": ("annual", 1, {(3, "主要风险", "unknown_label")}),
    # 1800 reimbursed of 1000: over the total, and out of pocket (derived) negative
    "annual_reimbursed_over_total.csv": ("annual", 1, {
        (3, "报销金额", "reimbursed_le_total"),
        (3, "医疗费用总额 − 报销金额", "greater_than_or_equal_to(0)")}),
    "snapshot_2023.csv": ("annual", 2, set()),  # the year from the file name
    "snapshot_title.xlsx": ("annual", 1, set()),  # the year from the title row
    "monthly_export.csv": ("monthly, added up to quarters", 2, set()),
    "monthly_missing_month.csv": ("monthly, added up to quarters", 1, {
        (5, "月份", "incomplete_quarter"), (6, "月份", "incomplete_quarter")}),
    "quarterly_partial_domains.csv": ("quarterly", 4, set()),
    "variant_headers_units.csv": ("annual", 2, set()),
    "wanyuan_title_rows.xlsx": ("annual", 2, {(6, "", "not_a_data_row")}),  # the 合计 line
    "per_capita_income.csv": ("annual", 2, set()),
}
"""Partial, annual, monthly and snapshot exports: how they are read, exactly."""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("bad")
    return out, CORPUS.build(out)


def test_every_file_of_the_corpus_has_an_expectation(corpus):
    _, names = corpus
    assert set(names) == set(FATAL) | set(QUARANTINED) | set(READ)
    assert not set(FATAL) & set(QUARANTINED) and not (set(FATAL) | set(QUARANTINED)) & set(READ)
    assert len(names) >= 40
    print(f"\nbad inputs tried: {len(names)} files")


@pytest.mark.parametrize("name", sorted(FATAL))
def test_fatal_input_is_one_clear_error(corpus, name, capsys):
    out, _ = corpus
    with pytest.raises(IngestError) as err:
        ingest_files([out / name], "c", DEMO_KEY)
    for part in FATAL[name]:
        assert part in str(err.value), str(err.value)
    # the command line shows the same message, no traceback, exit status 2
    assert main(["validate", str(out / name), "--county", "c", "--synthetic"]) == 2
    shown = capsys.readouterr().err
    assert name in shown and "Traceback" not in shown


@pytest.mark.parametrize("name", sorted(QUARANTINED))
def test_bad_rows_quarantined_with_their_reason_and_nothing_lost(corpus, name):
    out, _ = corpus
    r = ingest_files([out / name], "c", DEMO_KEY)
    q = r.quarantine
    got = set(zip(q["row"].astype(int), q["column"], q["rule"], strict=True))
    assert got == QUARANTINED[name]
    assert (q["message"].str.len() > 0).all() and (q["file"] == name).all()
    [entry] = r.report["files"]
    assert entry["rows_in"] == entry["kept"] + entry["quarantined"]
    assert entry["quarantined"] == len({row for row, _, _ in QUARANTINED[name]})
    # a kept row is in the clean panel once
    assert len(r.tables["panel"]) == entry["kept"]


@pytest.mark.parametrize("name", sorted(READ))
def test_partial_annual_monthly_and_snapshot_exports(corpus, name):
    out, _ = corpus
    frequency, rows, lines = READ[name]
    r = ingest_files([out / name], "c", DEMO_KEY)
    q = r.quarantine
    assert r.report["frequency"] == frequency and len(r.tables["panel"]) == rows
    assert set(zip(q["row"].astype(int), q["header"], q["rule"], strict=True)) == lines
    assert (q["file"] == name).all() and (q["message"].str.len() > 0).all()
    for entry in r.report["files"]:
        assert entry["rows_in"] == entry["kept"] + entry["quarantined"]


def test_partial_exports_list_their_absent_domains_and_keep_values(corpus):
    out, _ = corpus
    r = ingest_files([out / "partial_blank_medical.csv"], "c", DEMO_KEY)
    assert r.report["domains_present"] == ["income_components", "demographics", "medical",
                                           "assistance"]
    # reimbursement is derived (total - out of pocket): missing where they are
    assert r.report["missing_values"] == {"panel.medical_total": 2, "panel.medical_oop": 2,
                                          "panel.medical_reimbursed": 2, "panel.dibao": 1}
    panel = r.tables["panel"].sort_values(["year", "medical_total"])
    assert panel["medical_oop"].isna().sum() == 2  # blank, not 0
    v = ingest_files([out / "variant_headers_units.csv"], "c", DEMO_KEY).tables["panel"]
    v = v.sort_values("year")
    # 工资性收入（万元） 0.8 -> 8000 yuan; 经营净收入(元) and 财产净收入(元) as written
    assert v["income_wage"].tolist() == [8000.0, 9000.0]
    assert v["income_operating"].tolist() == [3000.0, 3100.0] and v["income_property"].tolist() == [100.0] * 2
    assert v["risk_type"].tolist()[0] == "illness"
    w = ingest_files([out / "wanyuan_title_rows.xlsx"], "c", DEMO_KEY).tables["panel"]
    assert sorted(w["income_wage"]) == [8000.0, 8500.0] and sorted(w["income_transfer"]) == [500.0] * 2
    pc = ingest_files([out / "per_capita_income.csv"], "c", DEMO_KEY).tables["panel"]
    assert sorted(pc["income_net"]) == [18000.0, 19500.0]  # 3 persons x 6000 and x 6500
    m = ingest_files([out / "monthly_export.csv"], "c", DEMO_KEY).tables["panel"]
    assert m["income_wage"].tolist() == [2100.0, 2100.0] and set(m["quarter"]) == {1}


def test_merged_cells_give_every_row_its_village(corpus):
    out, _ = corpus
    hh = ingest_files([out / "merged_cells.xlsx"], "c", DEMO_KEY).tables["households"]
    assert sorted(hh["town_id"]) == ["城关镇", "城关镇"] and sorted(hh["village_id"]) == ["东村", "东村"]


def test_full_width_digits_are_read_lookalikes_are_not(corpus):
    out, _ = corpus
    r = ingest_files([out / "lookalike_digits.csv"], "c", DEMO_KEY)
    # row 2 (full-width ３５００ and a full-width ID number) is kept as 3500 yuan
    assert r.tables["panel"]["income_wage"].tolist() == [3500.0]
    assert r.tables["households"]["head_age"].tolist() == [58]


def test_quarantine_never_holds_a_huge_or_personal_cell(corpus):
    out, _ = corpus
    q = ingest_files([out / "very_long_strings.csv"], "c", DEMO_KEY).quarantine
    assert q["value"].str.len().max() <= 201
    # the 50,000-character name is personal: pseudonymised, never shown
    names = ingest_files([out / "very_long_strings.csv"], "c", DEMO_KEY).tables["households"]
    assert not names.astype(str).apply(lambda c: c.str.contains("赵赵")).any().any()


def test_counts_of_the_corpus():
    """The corpus covers every kind issue 10 lists."""
    kinds = {"empty": "empty.csv", "header only": "header_only.csv",
             "wrong or missing sheet": "notes_sheet_only.xlsx", "garbage renamed": "garbage.xlsx",
             "truncated": "truncated.xlsx", "mixed encodings": "mixed_encodings.csv",
             "duplicate headers": "duplicate_headers.csv", "formula cells": "formula_cells.xlsx",
             "merged cells": "merged_cells.xlsx", "very long strings": "very_long_strings.csv",
             "HTML/script": "html_in_village.csv", "look-alike digits": "lookalike_digits.csv",
             "negative/NaN/inf": "bad_amounts.csv", "future/impossible dates": "bad_dates.csv",
             "duplicated households": "conflicting_households.csv"}
    assert set(kinds.values()) <= set(FATAL) | set(QUARANTINED)
    assert len(set(kinds.values())) == len(kinds) == 15
