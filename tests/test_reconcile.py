"""Reconciliation: columns, scaling, and the calibrated rates at small scale."""

from pathlib import Path

import pandas as pd
import pytest
import yaml

from relapse_models.core.profiles import load_profile
from relapse_models.data.reconcile import COLUMNS, STRUCTURE, reconcile
from relapse_models.data.simulate import simulate_county

ROOT = Path(__file__).resolve().parents[1]
RATES = {"income_growth", "income_growth_relocated", "medical_reimbursement_rate", "elimination_rate"}
EXACT = {"dibao_households", "public_welfare_jobs", "houses_renovated"}


def _run(cid: str, scale: float, seed: int = 1) -> tuple[dict, pd.DataFrame]:
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    cfg["simulate"]["scale"] = scale
    cfg.setdefault("data", {})["source"] = "synthetic"
    profile = load_profile(ROOT / "config" / "counties" / f"{cid}.yaml")
    sim = simulate_county(profile, cfg, seed)
    return profile, reconcile(profile, sim.households, sim.panel, sim.events, cfg)


@pytest.fixture(scope="module")
def yeji():
    return _run("yeji", 0.5)


def test_columns_and_rows():
    profile, table = _run("yeji", 0.05)
    assert list(table.columns) == COLUMNS
    reproducible = {k for k, v in profile["published"].items()
                    if v["value"] is not None and v.get("reproducible", True)}
    quoted = {f"structure.{k}" for k in STRUCTURE
              if profile["structure"][k]["value"] is not None and "sentence" in profile["structure"][k]
              and profile["structure"][k].get("reproducible", True)}
    assert set(table["indicator"]) == reproducible | quoted
    assert table["source"].str.startswith(profile["source"]["file"]).all()


@pytest.mark.slow
def test_yeji_within_tolerance(yeji):
    _, table = yeji
    for _, row in table.iterrows():
        if row["indicator"] in RATES:
            assert abs(row["computed"] - row["published"]) <= 1.0, row["indicator"]
        elif row["indicator"] in EXACT:
            # exact selections: only rounding of published x scale
            assert abs(row["computed"] - row["published"]) <= 1 / 0.5, row["indicator"]
        else:
            assert abs(row["rel_diff"]) <= 0.03, row["indicator"]


@pytest.mark.slow
def test_counts_scaled_back_and_rates_kept():
    _, small = _run("xunyi", 0.05)
    _, large = _run("xunyi", 0.2)
    a, b = small.set_index("indicator"), large.set_index("indicator")
    # counts reported on the county's scale whatever the run size
    for k in ("public_welfare_jobs", "houses_renovated"):
        assert a.loc[k, "computed"] == pytest.approx(a.loc[k, "published"], abs=1 / 0.05)
        assert b.loc[k, "computed"] == pytest.approx(b.loc[k, "published"], abs=1 / 0.2)


def test_elimination_figures_hand_computed():
    """Three households: A (3 persons) identified and eliminated, B (2) identified only, C (4)
    identified after the reference quarter; D (5) never. Eliminated 1 household / 3 persons,
    rate 3 / 5 persons = 60 %."""
    profile = {
        "county_id": "tiny", "report_year": 2023, "reference_quarter": "2023Q4",
        "source": {"file": "seed.txt"},
        "published": {
            "monitoring_households_cumulative": {"value": 2, "unit": "户"},
            "monitoring_persons_cumulative": {"value": 5, "unit": "人"},
            "eliminated_households": {"value": 1, "unit": "户"},
            "eliminated_persons": {"value": 3, "unit": "人"},
            "elimination_rate": {"value": 60.0, "unit": "%"},
        },
    }
    hh = pd.DataFrame({"household_id": list("ABCD"), "household_size": [3, 2, 4, 5],
                       "category": ["general"] * 4})
    ev = pd.DataFrame({
        "household_id": ["A", "A", "B", "C"],
        "event": ["identified", "eliminated", "identified", "identified"],
        "date": pd.to_datetime(["2022-03-01", "2023-06-01", "2023-02-01", "2024-02-01"]),
    })
    panel = pd.DataFrame({"household_id": list("ABCD"), "year": 2023, "quarter": 1})
    table = reconcile(profile, hh, panel, ev, {"data": {"source": "files"}}).set_index("indicator")
    assert table.loc["monitoring_households_cumulative", "computed"] == 2
    assert table.loc["monitoring_persons_cumulative", "computed"] == 5
    assert table.loc["eliminated_households", "computed"] == 1
    assert table.loc["eliminated_persons", "computed"] == 3
    assert table.loc["elimination_rate", "computed"] == pytest.approx(60.0)
    assert (table["rel_diff"].abs() < 1e-12).all()


def test_figures_by_monitoring_type_hand_computed():
    """A (3 persons, poverty-alleviated) identified 2022 as 脱贫不稳定户 and eliminated; B (2,
    ordinary) identified 2023 as 边缘易致贫户, re-identified as 突发严重困难户 later in 2023;
    C (4) identified after the reference quarter; D (5, poverty-alleviated) never.
    Cumulative by type (latest): unstable A, sudden B; new in 2023 by type (first): edge B;
    eliminated: unstable A; not eliminated: B; monitored persons 5 of 8 poverty-alleviated
    (62.5 %) and of 14 (35.7 %)."""
    fig = {"unit": "户", "value": 1}
    names = {
        "monitoring_households_cumulative_unstable": 1, "monitoring_persons_cumulative_unstable": 3,
        "monitoring_households_cumulative_sudden": 1, "monitoring_households_cumulative_edge": 0,
        "monitoring_households_new_edge": 1, "monitoring_persons_new_edge": 2,
        "monitoring_households_new_sudden": 0, "eliminated_households_unstable": 1,
        "eliminated_persons_unstable": 3, "eliminated_households_sudden": 0,
        "not_eliminated_households": 1, "not_eliminated_persons": 2,
        "monitoring_share_poverty_alleviated": 62.5, "monitoring_share_rural": 100 * 5 / 14,
    }
    published = {k: {**fig, "value": v or 1, "unit": "%" if "share" in k else "户"}
                 for k, v in names.items()}
    profile = {
        "county_id": "tiny", "report_year": 2023, "reference_quarter": "2023Q4",
        "source": {"file": None},
        "structure": {"poverty_alleviated_persons": {"value": 8, "unit": "人", "sentence": "s"},
                      "persons": {"value": 14, "unit": "人", "assumed": True, "reason": "r"}},
        "published": published,
    }
    hh = pd.DataFrame({"household_id": list("ABCD"), "household_size": [3, 2, 4, 5],
                       "category": ["poverty_alleviated", "general", "general", "poverty_alleviated"]})
    ev = pd.DataFrame({
        "household_id": ["A", "A", "B", "B", "C"],
        "event": ["identified", "eliminated", "identified", "identified", "identified"],
        "date": pd.to_datetime(["2022-03-01", "2023-06-01", "2023-02-01", "2023-09-01", "2024-02-01"]),
        "monitoring_type": ["unstable", "unstable", "edge", "sudden", "edge"],
    })
    panel = pd.DataFrame({"household_id": list("ABCD"), "year": 2023, "quarter": 1})
    table = reconcile(profile, hh, panel, ev, {"data": {"source": "files"}}).set_index("indicator")
    for name, value in names.items():
        assert table.loc[name, "computed"] == pytest.approx(value), name
    # a quoted structure figure is reconciled, an assumed one is not
    assert table.loc["structure.poverty_alleviated_persons", "computed"] == 8
    assert "structure.persons" not in table.index
    assert table["source"].str.startswith("(no source text)").all()


def test_an_unknown_published_figure_stops():
    profile = {"county_id": "tiny", "report_year": 2023, "reference_quarter": "2023Q4",
               "source": {"file": "x.txt"},
               "published": {"monitoring_households_by_magic": {"value": 3, "unit": "户"}}}
    hh = pd.DataFrame({"household_id": ["A"], "household_size": [3], "category": ["general"]})
    ev = pd.DataFrame({"household_id": ["A"], "event": ["identified"],
                       "date": pd.to_datetime(["2023-03-01"])})
    panel = pd.DataFrame({"household_id": ["A"], "year": 2023, "quarter": 1})
    with pytest.raises(ValueError, match="published.monitoring_households_by_magic"):
        reconcile(profile, hh, panel, ev, {"data": {"source": "files"}})


def test_published_rows_leave_out_the_checks():
    from relapse_models.data.reconcile import published_rows

    recon = pd.DataFrame({"indicator": ["elimination_rate", "guard.relapse_rate.2021",
                                        "calibration_warning", "line.2021", "source_check",
                                        "structure.persons"]})
    assert published_rows(recon)["indicator"].tolist() == ["elimination_rate", "structure.persons"]


def test_a_figure_whose_domain_the_data_lack_is_said_not_computable():
    """An export without medical columns: the reimbursement rate has no value and says why;
    every other figure is still computed."""
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    cfg["simulate"]["scale"] = 0.01
    profile = load_profile(ROOT / "config" / "counties" / "yeji.yaml")
    sim = simulate_county(profile, cfg, 3)
    panel = sim.panel.drop(columns=["medical_total", "medical_reimbursed", "medical_oop"])
    cfg["data"] = {"source": "files"}
    table = reconcile(profile, sim.households, panel, sim.events, cfg).set_index("indicator")
    row = table.loc["medical_reimbursement_rate"]
    assert pd.isna(row["computed"]) and "not computable: the data have no 'medical_" in row["source"]
    assert table.drop(index="medical_reimbursement_rate")["computed"].notna().all()
