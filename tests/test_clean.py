"""Validation and quarantine: every row kept or quarantined with its reason."""

import pandas as pd
import pytest

from relapse_models.core.schema import EVENTS, HOUSEHOLDS, PANEL
from relapse_models.data.clean import clean_tables, validate_table


def _households(n=3):
    return pd.DataFrame(
        {
            "household_id": [f"h{i}" for i in range(n)],
            "county_id": "c",
            "town_id": "t",
            "village_id": "v",
            "household_size": 3,
            "n_labour": 2,
            "n_elderly": 0,
            "n_children": 1,
            "n_disabled": 0,
            "n_chronic_ill": 0,
            "head_age": 45,
            "head_sex": "M",
            "head_education_years": 9,
            "category": "poverty_alleviated",
            "relocated": False,
            "poverty_exit_year": pd.array([2019] * n, dtype="Int64"),
        }
    )


def _panel(ids):
    rows = len(ids)
    return pd.DataFrame(
        {
            "household_id": ids,
            "county_id": "c",
            "village_id": "v",
            "year": 2022,
            "quarter": 1,
            "income_wage": 3000.0,
            "income_operating": 500.0,
            "income_property": 0.0,
            "income_transfer": 200.0,
            "production_cost": 100.0,
            "dibao": False,
            "public_welfare_job": False,
            "medical_total": [1000.0] * rows,
            "medical_reimbursed": [800.0] * rows,
            "medical_oop": [200.0] * rows,
            "disaster_type": [None] * rows,
            "disaster_loss": 0.0,
            "housing_safe": True,
            "water_safe": True,
            "monitoring_status": "none",
            "monitoring_type": [None] * rows,
            "risk_type": [None] * rows,
        }
    )


def _events():
    return pd.DataFrame(
        {
            "household_id": ["h0"],
            "county_id": ["c"],
            "event": ["identified"],
            "date": pd.to_datetime(["2022-03-05"]),
            "monitoring_type": ["edge"],
            "risk_type": ["illness"],
        }
    )


def test_clean_tables_pass_through_valid_data():
    hh = _households()
    result = clean_tables({"households": hh, "panel": _panel(["h0", "h1"]), "events": _events()})
    assert result.quarantine.empty
    assert result.report["panel"] == {"rows_in": 2, "kept": 2, "quarantined": 0}
    assert len(result.tables["households"]) == 3


def test_bad_rows_are_quarantined_with_rule_and_column():
    hh = _households(4)
    hh.loc[1, "head_age"] = 250
    hh.loc[2, "head_sex"] = "X"
    kept, bad = validate_table(hh, HOUSEHOLDS, source="f.xlsx")
    assert kept["household_id"].tolist() == ["h0", "h3"]
    assert set(zip(bad["row"], bad["column"], strict=True)) == {(1, "head_age"), (2, "head_sex")}
    assert (bad["source"] == "f.xlsx").all()
    assert bad["rule"].str.len().gt(0).all()


def test_cross_field_rule_reimbursed_not_above_total():
    panel = _panel(["h0", "h1"])
    panel.loc[1, "medical_reimbursed"] = 5000.0
    kept, bad = validate_table(panel, PANEL)
    assert kept["household_id"].tolist() == ["h0"]
    assert bad["row"].tolist() == [1]
    assert "reimbursed_le_total" in bad["rule"].iloc[0]


def test_orphan_panel_rows_are_quarantined_not_dropped():
    result = clean_tables(
        {"households": _households(1), "panel": _panel(["h0", "ghost"]), "events": _events()}
    )
    report = result.report["panel"]
    assert report == {"rows_in": 2, "kept": 1, "quarantined": 1}
    orphan = result.quarantine[result.quarantine["rule"] == "unknown_household"]
    assert orphan["row"].tolist() == [1]
    assert orphan["value"].tolist() == ["ghost"]


def test_counts_add_up_with_several_failures_on_one_row():
    panel = _panel(["h0", "h1", "h2"])
    panel.loc[2, "income_wage"] = -5.0
    panel.loc[2, "quarter"] = 7
    result = clean_tables({"households": _households(), "panel": panel, "events": _events()})
    assert result.report["panel"] == {"rows_in": 3, "kept": 2, "quarantined": 1}
    assert len(result.quarantine) == 2  # one line per rule broken


def test_missing_required_column_is_fatal_and_named():
    with pytest.raises(ValueError, match=r"export\.csv.*county_id"):
        validate_table(_households().drop(columns="county_id"), HOUSEHOLDS, source="export.csv")


def test_optional_domain_may_be_absent_or_hold_missing_values():
    kept, bad = validate_table(_households().drop(columns="head_age"), HOUSEHOLDS)
    assert bad.empty and "head_age" not in kept
    hh = _households().astype({"n_labour": object})
    hh.loc[0, "n_labour"] = None  # a blank count is unknown, not zero, and not a broken row
    kept, bad = validate_table(hh, HOUSEHOLDS)
    assert bad.empty and kept["n_labour"].isna().tolist() == [True, *[False] * (len(hh) - 1)]


def test_event_with_unknown_code_is_quarantined():
    events = pd.concat([_events(), _events().assign(event="promoted")], ignore_index=True)
    kept, bad = validate_table(events, EVENTS)
    assert len(kept) == 1
    assert bad["column"].tolist() == ["event"]


def test_parquet_inputs_give_the_quarantine_schema_of_exports(tmp_path):
    """One quarantine schema whatever the input: the parquet path names the table's file and
    counts records from 1, like a spreadsheet's data rows."""
    from relapse_models.data.ingest.sheet import QUARANTINE_COLUMNS
    from relapse_models.stages import clean as cleaning_step

    panel = _panel(["h0", "h1", "h2"])
    panel.loc[2, "income_wage"] = -5.0  # third record of panel.parquet
    paths = []
    for name, df in {"households": _households(), "panel": panel, "events": _events()}.items():
        path = tmp_path / f"{name}.parquet"
        df.to_parquet(path)
        paths.append(str(path))
    result = cleaning_step.run("c", paths, tmp_path / "out")
    q = pd.read_parquet(tmp_path / "out" / "quarantine.parquet")
    assert list(q.columns) == QUARANTINE_COLUMNS == list(result.quarantine.columns)
    assert q[["table", "file", "sheet", "row", "column"]].to_dict("records") == [
        {"table": "panel", "file": "panel.parquet", "sheet": "", "row": 3, "column": "income_wage"}
    ]
    assert result.report["panel"] == {"rows_in": 3, "kept": 2, "quarantined": 1}


def test_real_data_run_needs_every_export_and_a_key(monkeypatch, tmp_path):
    from relapse_models.data.ingest.pseudonym import PseudonymKeyError
    from relapse_models.stages.clean import check_real_data

    for var in ("RELAPSE_PSEUDONYM_KEY", "RELAPSE_PSEUDONYM_KEY_FILE"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "a.xlsx").write_bytes(b"x")
    config = {"counties": ["a", "b"],
              "data": {"source": "files", "files": {"a": ["a.xlsx"], "b": ["in/b.csv"]}}}
    with pytest.raises(FileNotFoundError, match=r"do not exist:\n  b: in/b.csv$"):
        check_real_data(config, root=tmp_path)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "b.csv").write_text("x")
    with pytest.raises(PseudonymKeyError, match="RELAPSE_PSEUDONYM_KEY_FILE"):
        check_real_data(config, root=tmp_path)
    monkeypatch.setenv("RELAPSE_PSEUDONYM_KEY", "a secret of enough length")
    check_real_data(config, root=tmp_path)  # files and a key: the run may start
    check_real_data({"counties": ["a"], "data": {"source": "synthetic", "files": {}}})
