"""The generator's structural break (simulate.break): off changes nothing, on moves the true
relapse risk of the break year the way the arithmetic says, and the oracle still knows it."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from relapse_models.core.profiles import load_profile
from relapse_models.data.simulate import simulate_county
from relapse_models.data.simulate.disasters import break_multiplier, scaled_probabilities

ROOT = Path(__file__).resolve().parents[1]
YEAR = 2023


def _sim(brk: dict | None):
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    cfg["simulate"]["scale"] = 0.03
    cfg["simulate"]["mechanism"] = "shocks"
    if brk is None:
        cfg["simulate"].pop("break", None)
    else:
        cfg["simulate"]["break"] = brk
    return simulate_county(load_profile(ROOT / "config" / "counties" / "xunyi.yaml"), cfg, 5)


@pytest.fixture(scope="module")
def runs():
    return {"none": _sim(None), "zero": _sim({"year": YEAR, "kind": "disaster", "size": 0.0}),
            "on": _sim({"year": YEAR, "kind": "disaster", "size": 3.0})}


def test_multiplier_and_scaling_by_hand():
    brk = {"year": YEAR, "kind": "disaster", "size": 2.0}
    assert break_multiplier(brk, YEAR) == 3.0
    assert break_multiplier(brk, YEAR + 1) == 1.0
    assert break_multiplier({"year": None, "kind": "disaster", "size": 2.0}, YEAR) == 1.0
    p = np.array([[0.1, 0.2, 0.0, 0.0], [0.3, 0.3, 0.0, 0.0]])
    out = scaled_probabilities(p, 2.0)
    np.testing.assert_allclose(out[0], [0.2, 0.4, 0, 0])          # total 0.6: as multiplied
    np.testing.assert_allclose(out[1], [0.5, 0.5, 0, 0])          # total 1.2 -> 1
    assert scaled_probabilities(p, 1.0) is p


def test_no_break_is_identical(runs):
    for name in ("panel", "truth", "events", "households"):
        pd.testing.assert_frame_equal(getattr(runs["none"], name), getattr(runs["zero"], name))


def test_break_raises_disasters_and_true_risk_in_its_year(runs):
    def share(sim, year):
        p = sim.panel
        return float((p.loc[p["year"] == year, "disaster_loss"] > 0).mean())

    # four times the village probabilities (a quarter total capped at 1): disasters clearly
    # more often that year (at least 1.5 times with 1800 households and 60 villages),
    # the same in an earlier year (the draws before the break are unchanged)
    assert share(runs["on"], YEAR) > 1.5 * share(runs["none"], YEAR)
    assert share(runs["on"], YEAR - 2) == share(runs["none"], YEAR - 2)

    def risk(sim, year):
        t = sim.truth
        return float(t.loc[(t["year"] == year) & t["true_prob"].notna(), "true_prob"].mean())

    # an origin in the year before the break looks ahead into it: a higher oracle risk
    # (earlier years' risk moves a little too: the identification intensity is calibrated to
    # the published figures over years that may include the break)
    assert risk(runs["on"], YEAR - 1) > 1.1 * risk(runs["none"], YEAR - 1)


def test_oracle_stays_calibrated_under_the_break(runs):
    from helpers_truth import clustered_gaps

    for gap, se in clustered_gaps(runs["on"], quintiles=False):
        assert abs(gap) < 4 * se + 2, (gap, se)


def test_the_features_job_counts_against_the_generators_broken_line(tmp_path, snakemake_runner,
                                                                   project_factory):
    """The features job gets the line break with its settings: the label and the features
    count against the line the generator simulated with (a job without it would label a
    raised-line world against the old line)."""
    import json
    import re
    import shlex

    from relapse_models.core.lines import official_lines

    project = project_factory(tmp_path / "p",
                              {"simulate": {"break": {"year": 2023, "kind": "line", "size": 0.1}}})
    dry = snakemake_runner(project, "-n", "-p", "data/processed/yeji/features.parquet")
    assert dry.returncode == 0, dry.stderr[-3000:]
    command = next(line for line in (dry.stdout + dry.stderr).splitlines()
                   if "relapse-models features" in line)
    args = shlex.split(re.sub(r"\s*>.*$", "", command.strip()))
    config = json.loads(args[args.index("--config-json") + 1])
    lines = official_lines(config, "Anhui", "yeji")
    assert lines[2023] == pytest.approx(7100 * 1.1) and lines[2022] == 6600
