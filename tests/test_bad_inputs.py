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
    "empty.csv": ["empty.csv", "no sheet has a header row"],
    "empty.xlsx": ["empty.xlsx", "no sheet has a header row"],
    "notes_sheet_only.xlsx": ["notes_sheet_only.xlsx", "no sheet has a header row"],
    "data_sheet_hidden.xlsx": ["data_sheet_hidden.xlsx", "hidden sheets are not read", "数据"],
    "garbage.xlsx": ["garbage.xlsx", "cannot read as a spreadsheet"],
    "csv_renamed.xlsx": ["csv_renamed.xlsx", "cannot read as a spreadsheet", "a text file"],
    "truncated.xlsx": ["truncated.xlsx", "cannot read as a spreadsheet"],
    "not_a_zip_member.xlsx": ["not_a_zip_member.xlsx", "cannot read as a spreadsheet"],
    "mixed_encodings.csv": ["mixed_encodings.csv", "mixed encodings", "line 4"],
    "no_key_column.csv": ["no_key_column.csv", "household_id", "户编号"],
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


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("bad")
    return out, CORPUS.build(out)


def test_every_file_of_the_corpus_has_an_expectation(corpus):
    _, names = corpus
    assert set(names) == set(FATAL) | set(QUARANTINED)
    assert not set(FATAL) & set(QUARANTINED)
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
