"""The blocked feature step (stages/features.py): blocks of whole villages give exactly the
table of one build_features call, whatever the block size and the household id order."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from relapse_models.core.config import load_config
from relapse_models.core.io import write_parquet
from relapse_models.core.lines import lines_for_province
from relapse_models.core.profiles import load_profile
from relapse_models.data.simulate import simulate_county
from relapse_models.outcome.features import build_features
from relapse_models.stages.features import county_features, plan_blocks, write_features_in_blocks

ROOT = Path(__file__).resolve().parents[1]
BLOCK = 5000  # panel rows: one village per block


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict, dict]:
    """A small simulated county: 1,800 households x 20 quarters in 5 villages of ~7,200 rows."""
    config = copy.deepcopy(load_config())
    config["simulate"]["scale"] = 0.03
    profile = load_profile(ROOT / "config" / "counties" / "xunyi.yaml")
    sim = simulate_county(profile, config, 11)
    # the cleaning step writes plain strings (the generator's categoricals sort differently)
    tables = {
        n: getattr(sim, n).apply(lambda c: c.astype(object) if c.dtype == "category" else c)
        for n in ("households", "panel", "events")
    }
    return tables, config, lines_for_province(config["monitoring"], profile["province_en"])


def _write(tables: dict[str, pd.DataFrame], folder: Path) -> Path:
    for name, frame in tables.items():
        write_parquet(frame, folder / f"{name}.parquet")
    return folder


def _read(path: Path) -> pd.DataFrame:
    return pq.read_table(path).to_pandas()


def _as_written(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` after a parquet round trip (nullable booleans come back as objects)."""
    return pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None).to_pandas()


def test_tiny_blocks_equal_one_build_features_call(county, tmp_path: Path):
    tables, config, lines = county
    folder = _write(tables, tmp_path / "interim")
    assert tables["panel"]["village_id"].nunique() >= 5
    assert len(plan_blocks(folder / "panel.parquet", BLOCK)) >= 5  # really blocked
    whole = build_features(tables["households"], tables["panel"], tables["events"], lines, config)
    assert whole["village_disaster_share"].between(0, 1, inclusive="neither").any()

    one = county_features(folder, tmp_path / "one.parquet", lines, config, max_rows=10**9)
    blocked = county_features(folder, tmp_path / "blocked.parquet", lines, config, max_rows=BLOCK)
    assert one == blocked == len(whole)
    pd.testing.assert_frame_equal(_read(tmp_path / "one.parquet"), _as_written(whole), check_exact=True)
    pd.testing.assert_frame_equal(_read(tmp_path / "blocked.parquet"), _as_written(whole), check_exact=True)
    assert pq.ParquetFile(tmp_path / "blocked.parquet").metadata.num_row_groups >= 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked.parquet", "interim", "one.parquet"]


def test_interleaved_ids_are_sorted_back(county, tmp_path: Path):
    """Ids that do not follow villages (keyed pseudonyms) interleave across blocks: the output
    is still sorted by household and quarter, equal to one call."""
    tables, config, lines = county
    ids = tables["households"]["household_id"]
    rng = np.random.default_rng(5)
    new = dict(zip(ids, [f"h{v:06d}" for v in rng.permutation(len(ids))], strict=True))
    shuffled = {name: frame.assign(household_id=frame["household_id"].map(new))
                for name, frame in tables.items()}
    folder = _write(shuffled, tmp_path / "interim")
    blocks = plan_blocks(folder / "panel.parquet", BLOCK)
    assert any(b.min() < a.max() for a, b in zip(blocks, blocks[1:], strict=False))
    whole = build_features(
        shuffled["households"], shuffled["panel"], shuffled["events"], lines, config
    )
    county_features(folder, tmp_path / "blocked.parquet", lines, config, max_rows=BLOCK)
    pd.testing.assert_frame_equal(_read(tmp_path / "blocked.parquet"), _as_written(whole), check_exact=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked.parquet", "interim"]


def _toy_panel(pairs: list[tuple[str, str | None, int]]) -> pd.DataFrame:
    """Panel rows: (household, village, number of quarters)."""
    rows = [(h, v, 2021 + k // 4, k % 4 + 1) for h, v, n in pairs for k in range(n)]
    return pd.DataFrame(rows, columns=["household_id", "village_id", "year", "quarter"])


def test_plan_keeps_villages_and_relocated_households_whole(tmp_path: Path):
    panel = _toy_panel([
        ("a1", "A", 4), ("a2", "A", 4),  # village A: 8 rows
        ("b1", "B", 4),  # village B: 4 rows
        ("c1", "C", 2), ("c1", "D", 2), ("d1", "D", 4),  # c1 moved C -> D: C and D together
        ("e1", "E", 4), ("e2", "E", 4), ("e3", "E", 4),  # 12 rows, larger than the bound
        ("f1", None, 4),  # no village: a group of its own
    ])
    write_parquet(panel, tmp_path / "panel.parquet")
    blocks = [sorted(b) for b in plan_blocks(tmp_path / "panel.parquet", 10)]
    # groups in id order: A (8 rows), B (4), C+D (8), E (12), f1 (4); cut at 10-row starts
    assert blocks == [["a1", "a2", "b1"], ["c1", "d1"], ["e1", "e2", "e3"], ["f1"]]
    assert [sorted(b) for b in plan_blocks(tmp_path / "panel.parquet", 100)] == [
        ["a1", "a2", "b1", "c1", "d1", "e1", "e2", "e3", "f1"]
    ]
    with pytest.raises(ValueError, match="max_rows"):
        plan_blocks(tmp_path / "panel.parquet", 0)


def test_missing_household_id_is_refused_naming_file_and_column(tmp_path: Path):
    panel = _toy_panel([("a1", "A", 4), (None, "A", 1)])
    write_parquet(panel, tmp_path / "panel.parquet")
    with pytest.raises(ValueError, match=r"panel\.parquet: column household_id"):
        plan_blocks(tmp_path / "panel.parquet", 10)


def test_failure_in_a_later_block_leaves_no_output(county, tmp_path: Path):
    tables, config, lines = county
    folder = _write(tables, tmp_path / "interim")
    calls = []

    def build(households, panel, events):
        calls.append(len(panel))
        if len(calls) == 3:
            raise RuntimeError("block failed")
        return build_features(households, panel, events, lines, config)

    with pytest.raises(RuntimeError, match="block failed"):
        write_features_in_blocks(build, folder, tmp_path / "out.parquet", max_rows=BLOCK)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["interim"]


def test_unknown_household_in_a_block_is_an_error(county, tmp_path: Path):
    tables, config, lines = county
    households = tables["households"].iloc[1:]  # the first household's rows lose their entry
    folder = _write({**tables, "households": households}, tmp_path / "interim")
    with pytest.raises(ValueError, match="missing from the households table"):
        county_features(folder, tmp_path / "out.parquet", lines, config, max_rows=BLOCK)
    assert not (tmp_path / "out.parquet").exists()


def test_features_command_writes_the_blocked_table(county, tmp_path: Path, capsys):
    import json

    from relapse_models.cli import main

    tables, config, lines = county
    folder = _write(tables, tmp_path / "interim")
    profile = ROOT / "config" / "counties" / "xunyi.yaml"
    args = ["features", "--county", "xunyi", "--profile", str(profile), "--interim-dir",
            str(folder), "--config-json",
            json.dumps({s: config[s] for s in ("monitoring", "features")})]
    assert main([*args, "--out", str(tmp_path / "f.parquet"), "--block-rows", str(BLOCK)]) == 0
    whole = build_features(tables["households"], tables["panel"], tables["events"], lines, config)
    pd.testing.assert_frame_equal(_read(tmp_path / "f.parquet"), _as_written(whole),
                                  check_exact=True)
    (folder / "events.parquet").unlink()
    assert main([*args, "--out", str(tmp_path / "g.parquet")]) == 2
    assert "events.parquet: no such file" in capsys.readouterr().err


def test_features_command_counts_against_the_line_a_break_raised(county, tmp_path: Path):
    """With ``simulate.break`` of kind line, the feature step's label and ratios use the line x
    (1 + size) from the break year on (the line the generator used); a run on real exports
    (``data.source: files``) keeps the schedule."""
    import json

    from relapse_models.cli import main

    tables, config, lines = county
    folder = _write(tables, tmp_path / "interim")
    profile = ROOT / "config" / "counties" / "xunyi.yaml"
    sections = {s: config[s] for s in ("monitoring", "features", "simulate", "data")}
    sections["simulate"] = {**sections["simulate"], "break": {"year": 2023, "kind": "line", "size": 0.1}}

    def line_by_year(cfg: dict, name: str) -> dict[int, float]:
        out = tmp_path / name
        assert main(["features", "--county", "xunyi", "--profile", str(profile), "--interim-dir",
                     str(folder), "--config-json", json.dumps(cfg), "--out", str(out)]) == 0
        return _read(out).groupby("year")["line"].first().to_dict()

    got = line_by_year(sections, "broken.parquet")
    assert got == pytest.approx({y: v * 1.1 if y >= 2023 else v for y, v in lines.items()
                                 if y in got}, rel=1e-12)
    assert got[2022] == lines[2022] and got[2023] == pytest.approx(1.1 * lines[2023], rel=1e-12)
    files = {**sections, "data": {"source": "files", "files": {"xunyi": ["x.xlsx"]}}}
    assert line_by_year(files, "files.parquet") == {y: v for y, v in lines.items() if y in got}
