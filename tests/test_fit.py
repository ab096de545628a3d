"""The model stage: leave-one-county-out without leakage, drivers, saved models."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import county_feature_files

from relapse_models.core.config import config_hash, load_config
from relapse_models.models.evaluation import out_of_time_split
from relapse_models.stages import fit

MODELS = ("rule", "logit", "gbm", "vulnerability")


@pytest.fixture(scope="module", autouse=True)
def small_gbm():
    """Fewer boosting rounds: the drivers cost (rows x trees x predictions) dominates."""
    base = fit.model_params

    def params(name, config):
        return {**base(name, config), "max_iter": 40} if name == "gbm" else base(name, config)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fit, "model_params", params)
        yield


@pytest.fixture(scope="module")
def config() -> dict:
    return load_config(overrides={"models": {"bootstrap": 2, "train_until_year": 2023}})


@pytest.fixture(scope="module")
def result(feature_frame, config) -> fit.FitResult:
    return fit.fit_models(feature_frame, config, models=MODELS)


def test_county_holdout_has_no_leakage(feature_frame, config):
    f = feature_frame
    _, oot_test = out_of_time_split(f, 2023, horizon=4)
    seen = []
    for county, train, test in fit.county_holdout_splits(f, config):
        assert set(f.loc[test, "county_id"]) == {county}
        assert not set(f.loc[train, "household_id"]) & set(f.loc[test, "household_id"])
        assert county not in set(f.loc[train, "county_id"])
        assert f.loc[train, "year"].max() <= 2023 and set(f.loc[test, "year"]) == {2024}
        # trained on every other county, through the last quarter whose horizon has ended
        assert set(f.loc[train, "county_id"]) == set(f["county_id"]) - {county}
        assert (f.loc[train, "year"] * 4 + f.loc[train, "quarter"] - 1 + 4 <= 2024 * 4).all()
        seen.append(test)
    assert len(seen) == 3
    # the held-out test rows are exactly the out-of-time test rows, each once
    np.testing.assert_array_equal(np.sum(seen, axis=0), oot_test.to_numpy().astype(int))


def test_training_rows_at_risk_except_for_vulnerability(feature_frame, config):
    """Early-warning models learn from at-risk rows; the vulnerability model from everyone
    (its income distribution would be cut at the line otherwise)."""
    f = feature_frame.copy()
    f["at_risk"] = f["income_ratio"] >= 1.0
    res = fit.fit_models(
        f, config, models=("logit", "vulnerability"), county_holdout=False, drivers=False
    )
    train, _ = out_of_time_split(f, 2023, horizon=4)
    assert res.models["logit"].n_obs_ == int((train & f["at_risk"]).sum()) == res.metrics["n_train"]
    assert res.models["vulnerability"].n_obs_ == int(train.sum())
    assert res.models["vulnerability"].headcount_ > 0.05  # the poor are in its sample
    assert res.predictions["at_risk"].all()


def test_check_no_leakage_raises(feature_frame):
    f = feature_frame
    train = pd.Series(f["county_id"] != "c0", index=f.index)
    fit.check_no_leakage(f, train, ~train)
    bad = train.copy()
    bad.iloc[0] = True  # one row of c0's first household lands in training
    with pytest.raises(ValueError, match="household_id"):
        fit.check_no_leakage(f, bad, ~train)


def test_check_no_leakage_by_codes_names_the_shared_ids_and_ignores_missing_ones():
    """Categories or plain strings: the same verdict; a missing id matches nothing; the
    message lists the shared ids sorted."""
    train = pd.Series([True] * 4 + [False] * 4)
    leaky = pd.DataFrame({"household_id": ["b", "a", None, "c", "a", "b", None, "d"],
                          "county_id": list("xxxxyyyy")})
    clean = leaky.assign(household_id=["b", "a", None, "c", "e", "f", None, "d"])
    other_county = leaky.assign(household_id=list("abcdefgh"), county_id=list("xxxxxyyy"))
    for cast in (lambda f: f, lambda f: f.astype("category")):
        fit.check_no_leakage(cast(clean), train, ~train)
        with pytest.raises(ValueError, match=r"household_id in both training and test "
                                             r"rows: \['a', 'b'\]"):
            fit.check_no_leakage(cast(leaky), train, ~train)
        with pytest.raises(ValueError, match=r"county_id in both training and test rows: "
                                             r"\['x'\]"):
            fit.check_no_leakage(cast(other_county), train, ~train)


def test_sample_households_draws_the_same_households_from_categories():
    """Ids as categories (as the stage loads them, in any category order) or as strings:
    the same households drawn; rows of a missing county are never drawn."""
    f = _household_frame()
    f.loc[f["household_id"] == "a7", "county_id"] = None
    rows = pd.Series(True, index=f.index)
    rows.iloc[::16] = False
    plain = fit.sample_households(f, rows, max_rows=1500, seed=3)
    assert not plain[f["household_id"] == "a7"].any()
    shuffled = {c: pd.CategoricalDtype(sorted(f[c].dropna().unique(), reverse=True))
                for c in ("county_id", "household_id")}
    for frame in (f.astype({"county_id": "category", "household_id": "category"}),
                  f.astype(shuffled)):
        assert fit.sample_households(frame, rows, max_rows=1500, seed=3).equals(plain)


def test_metrics_for_both_schemes_have_one_structure(result):
    oot, loco = result.metrics["out_of_time"], result.metrics["leave_one_county_out"]
    assert set(loco) == set(oot) == {"pooled", "c0", "c1", "c2"}
    for scope in oot:
        assert set(loco[scope]) == set(oot[scope]) == {*MODELS, "oracle"}
        for name in MODELS:
            assert set(loco[scope][name]) == set(oot[scope][name])
            assert "auc_to_oracle" in loco[scope][name]
    # the same test rows under both schemes
    assert loco["pooled"]["logit"]["n"] == oot["pooled"]["logit"]["n"]
    assert len(result.county_predictions) == len(result.predictions)
    # the logit is the true model here: near the oracle under both schemes
    for scheme in (oot, loco):
        assert scheme["pooled"]["logit"]["auc_to_oracle"] > 0.95
    # the rule's score is no probability: no calibration figures for it
    assert np.isnan(oot["pooled"]["rule"]["o_e"]) and "calibration_note" in oot["pooled"]["rule"]
    assert set(result.metrics["fits"]) == set(MODELS)
    vul = result.metrics["vulnerability"]
    assert set(vul["lines"]) == {"0.5", "headcount"}
    assert vul["share_vulnerable"]["headcount"] >= vul["share_vulnerable"]["0.5"]
    json.dumps(result.metrics)  # JSON-ready


def test_drivers_table_finds_the_signal(result):
    d = result.drivers
    assert list(d.columns) == ["model", *fit.DRIVER_COLUMNS]
    perm = d[d["method"] == "permutation_importance"].sort_values("rank")
    assert perm["feature"].iloc[0] == "income_ratio"  # the strongest true coefficient
    pdp = d[(d["method"] == "partial_dependence") & (d["feature"] == "income_ratio")]
    assert len(pdp) > 5
    # true partial dependence falls by ~0.37 over the grid; boosting on ~3000 rows shrinks it
    assert pdp["value"].iloc[0] - pdp["value"].iloc[-1] > 0.15
    assert pdp["value"].is_monotonic_decreasing or pdp["value"].diff().max() < 0.03


def test_saved_models_reload_with_same_predictions(result, feature_frame, config, tmp_path):
    paths = fit.save_models(result.models, tmp_path / "models", config)
    h = config_hash(config)
    assert {p.split("/")[-1] for p in paths.values()} == {f"{m}-{h}.pkl" for m in MODELS}
    X = feature_frame[[c for c in fit.MODEL_INPUTS if c in feature_frame]].iloc[:500]
    for name, path in paths.items():
        again = fit.load_model(path)
        np.testing.assert_array_equal(
            again.predict_proba(X), result.models[name].predict_proba(X), err_msg=name
        )


def test_run_writes_every_output(config, tmp_path):
    from conftest import make_feature_frame

    features_path = tmp_path / "features.parquet"
    make_feature_frame(households=50).to_parquet(features_path)
    out = tmp_path / "reports" / "metrics"
    pred = tmp_path / "data" / "processed" / "models" / "predictions.parquet"
    small = {**config, "models": {**config["models"], "bootstrap": 2}}
    res = fit.run([str(features_path)], None, small, out / "models.json", out / "coef.csv", pred)
    metrics = json.loads((out / "models.json").read_text())
    assert "leave_one_county_out" in metrics and "out_of_time" in metrics
    drivers = pd.read_csv(out / "drivers.csv")
    assert set(drivers["method"]) == {"permutation_importance", "partial_dependence"}
    h = config_hash(small)
    for name in fit.DEFAULT_MODELS:
        assert (pred.parent / f"{name}-{h}.pkl").is_file()
        assert metrics["model_files"][name].endswith(f"{name}-{h}.pkl")
    assert set(res.models) == set(fit.DEFAULT_MODELS)


def test_held_out_jobs_combine_to_the_fit_that_leaves_each_county_out_itself(config, tmp_path):
    """Each county left out as its own job (run_held_out, through files) and combined by run
    (held_out_dir) gives the same files as one process leaving every county out in turn."""
    from conftest import make_feature_frame

    frame = make_feature_frame(households=50)
    features_path = tmp_path / "features.parquet"
    frame.to_parquet(features_path)
    counties = list(pd.unique(frame["county_id"]))
    outputs = {}
    for way in ("together", "jobs"):
        folder = tmp_path / way
        held_out_dir = None
        if way == "jobs":
            held_out_dir = folder / "held_out"
            for county in counties:
                one = fit.run_held_out([str(features_path)], None, config, county,
                                       held_out_dir / county / "predictions.parquet",
                                       held_out_dir / county / "tuning.json")
                assert one.county == county and set(one.predictions["county_id"]) == {county}
        fit.run([str(features_path)], None, config, folder / "models.json",
                folder / "coef.csv", folder / "predictions.parquet", drivers=False,
                models_dir=folder / "models", held_out_dir=held_out_dir)
        metrics = json.loads((folder / "models.json").read_text())
        metrics.pop("model_files")
        outputs[way] = metrics, (folder / "predictions.parquet").read_bytes()
    assert outputs["jobs"] == outputs["together"]
    assert set(outputs["jobs"][0]["leave_one_county_out_tuning"]) == set(counties)


def test_a_county_without_usable_rows_is_recorded_and_left_out(config, tmp_path):
    from conftest import make_feature_frame

    frame = make_feature_frame(households=30)
    path = tmp_path / "features.parquet"
    frame.to_parquet(path)
    folder = tmp_path / "held_out"
    assert fit.run_held_out([str(path)], None, config, "nowhere", folder / "nowhere" /
                            "predictions.parquet", folder / "nowhere" / "tuning.json") is None
    assert json.loads((folder / "nowhere" / "tuning.json").read_text()) == {
        "county": "nowhere", "held_out": False, "tuning": {}}
    fit.run_held_out([str(path)], None, config, "c1", folder / "c1" / "predictions.parquet",
                     folder / "c1" / "tuning.json")
    assert [h.county for h in fit.read_held_out(folder, ["nowhere", "c1"])] == ["c1"]


def test_held_out_job_reads_its_files_from_the_pooled_inputs(config, tmp_path):
    """The pipeline's held-out job reads every county's files from the one pooled-inputs file
    and writes the same bytes as the job given the files themselves."""
    import os
    import subprocess
    import sys

    from conftest import make_feature_frame

    frame = make_feature_frame(households=40)
    parts = []
    for county, rows in frame.groupby("county_id", observed=True):
        parts.append(str(tmp_path / f"{county}.parquet"))
        rows.to_parquet(parts[-1])
    county = str(frame["county_id"].iloc[0])
    fit.write_pooled_inputs(parts, [], tmp_path / "inputs.json")
    assert fit.read_pooled_inputs(tmp_path / "inputs.json") == (parts, [])

    def job(out: str, *given: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "relapse_models", "held-out", "--county", county, *given,
             "--config-json", json.dumps(config), "--predictions-out", str(tmp_path / out / "p.parquet"),
             "--tuning-out", str(tmp_path / out / "t.json")],
            capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})

    for out, given in (("files", ("--features", *parts)),
                       ("inputs", ("--inputs", str(tmp_path / "inputs.json")))):
        run = job(out, *given)
        assert run.returncode == 0, run.stderr[-3000:]
    for name in ("p.parquet", "t.json"):
        assert (tmp_path / "inputs" / name).read_bytes() == (tmp_path / "files" / name).read_bytes()
    assert len(pd.read_parquet(tmp_path / "inputs" / "p.parquet")) > 0
    both = job("both", "--inputs", "x.json", "--features", parts[0])
    assert both.returncode == 2 and "not allowed with argument" in both.stderr


def test_model_names_put_the_baselines_first_once():
    config = {"models": {"names": ["logit", "rule", "gbm"]}}
    assert fit.model_names(config) == ("rule", "income_ratio", "logit", "gbm")


def _household_frame(n_per_county=(300, 100), quarters=8, seed=0):
    rng = np.random.default_rng(seed)
    parts = []
    for c, n in zip(("a", "b"), n_per_county, strict=True):
        hh = np.repeat([f"{c}{i}" for i in range(n)], quarters)
        parts.append(pd.DataFrame({"county_id": c, "household_id": hh,
                                   "x": rng.random(len(hh))}))
    return pd.concat(parts, ignore_index=True)


def test_sample_households_keeps_county_shares_and_whole_histories():
    f = _household_frame()
    rows = pd.Series(True, index=f.index)
    rows.iloc[::16] = False  # some rows not eligible: they stay out
    kept = fit.sample_households(f, rows, max_rows=1500, seed=1)
    assert not (kept & ~rows).any()
    share = 1500 / rows.sum()
    per_county = f.loc[kept].groupby("county_id")["household_id"].nunique()
    # households drawn within each county: 300 x share and 100 x share (rounded down)
    assert per_county.to_dict() == {"a": int(300 * share), "b": int(100 * share)}
    chosen = f.loc[kept, "household_id"].unique()
    # a kept household keeps every eligible row
    np.testing.assert_array_equal(kept[f["household_id"].isin(chosen)],
                                  rows[f["household_id"].isin(chosen)])
    assert abs(kept.sum() - 1500) < 2 * 8  # within a household or two of the cap
    assert fit.sample_households(f, kept, max_rows=None, seed=1).equals(kept)
    assert fit.sample_households(f, rows, max_rows=10**6, seed=1).equals(rows)
    assert fit.sample_households(f, rows, 1500, seed=1).equals(kept)  # seeded


def test_max_train_rows_caps_every_fit(feature_frame, config):
    capped = {**config, "models": {**config["models"], "max_train_rows": 1000}}
    seen = []
    original = fit.MODELS["rule"].fit

    def spy(self, X, y, groups=None):
        seen.append(len(X))
        return original(self, X, y, groups)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fit.MODELS["rule"], "fit", spy)
        fit.fit_models(feature_frame, capped, models=("rule",), county_holdout=False,
                       drivers=False)
        fit.fit_models(feature_frame, config, models=("rule",), county_holdout=False,
                       drivers=False)
        loco = {**config, "models": {**config["models"], "loco_max_train_rows": 1000}}
        seen_loco = len(seen)
        fit.fit_models(feature_frame, loco, models=("rule",), county_holdout=True, drivers=False)
    assert seen[1] > 1000 and 800 <= seen[0] <= 1100  # whole households: about the cap
    # out of time uncapped, every held-out-county fit capped
    assert seen[seen_loco] == seen[1] and all(800 <= n <= 1100 for n in seen[seen_loco + 1:])
    assert len(seen) - seen_loco - 1 == 3  # three counties


def test_transfer_table_by_hand():
    from relapse_models.stages.fit import transfer_table

    metrics = {
        "out_of_time": {"a": {"gbm": {"auc": 0.90, "ece": 0.01}},
                        "b": {"gbm": {"auc": 0.80, "ece": 0.02}}},
        "leave_one_county_out": {"a": {"gbm": {"auc": 0.85, "ece": 0.03}},
                                 "b": {"gbm": {"auc": 0.82, "ece": 0.04}}},
    }
    table = transfer_table(metrics).set_index("county_id")
    assert table.loc["a", "auc_difference"] == pytest.approx(-0.05)
    assert table.loc["b", "auc_difference"] == pytest.approx(0.02)
    assert table.loc["b", "ece_loco"] == 0.04 and table.loc["a", "auc_out_of_time"] == 0.90
    empty = transfer_table({"out_of_time": metrics["out_of_time"]})
    assert empty.empty and "auc_difference" in empty.columns


def test_one_county_metrics_equal_that_county_scored_among_others(result, config):
    """With one county the pooled scope is that county's: computed once, the metrics equal
    the county's scope of the three-county evaluation (same rows, same bootstrap seed)."""
    one = result.predictions[result.predictions["county_id"] == "c1"].reset_index(drop=True)
    alone = fit.evaluate_predictions(one, ("rule", "logit"), config)
    among = fit.evaluate_predictions(result.predictions, ("rule", "logit"), config)
    assert set(alone) == {"pooled", "c1"}
    as_text = json.dumps  # NaN (a withheld interval) is not equal to itself in a dict
    assert as_text(alone["c1"]) == as_text(alone["pooled"]) == as_text(among["c1"])
    assert alone["pooled"]["logit"]["n"] == int((one["relapse"].notna()).sum())


def test_run_for_one_county_is_lean(config, tmp_path):
    """The per-county job: one county's file, out of time only, no drivers file, a models
    json with the structure the county page reads; scored on exactly that county's rows of
    the test year."""
    from conftest import make_feature_frame

    frame = make_feature_frame(households=50)
    features_path = tmp_path / "c1.parquet"
    frame[frame["county_id"] == "c1"].to_parquet(features_path)
    out = tmp_path / "reports" / "metrics" / "models"
    pred = tmp_path / "data" / "processed" / "models" / "c1" / "predictions.parquet"
    fit.run([str(features_path)], None, config, out / "c1.json", tmp_path / "coef.csv", pred,
            county_holdout=False, drivers=False)
    metrics = json.loads((out / "c1.json").read_text())
    assert "leave_one_county_out" not in metrics
    assert set(metrics["out_of_time"]) == {"pooled", "c1"}
    assert set(metrics["out_of_time"]["c1"]) == set(fit.DEFAULT_MODELS)
    assert not list(tmp_path.rglob("drivers*.csv"))
    scored = pd.read_parquet(pred)
    # 50 households of c1, four quarters of 2024 each, all at risk with a known label
    assert set(scored["county_id"]) == {"c1"} and set(scored["year"]) == {2024}
    assert len(scored) == 50 * 4 == metrics["n_test"]


def test_a_county_of_one_village_is_fitted_without_clusters(config):
    """A county fitted alone at a small scale can have a single village: no village-clustered
    covariance (n_groups - 1 = 0) and no village to hold out; the fit warns and proceeds
    unclustered instead of failing (as it does below MIN_VILLAGE_CLUSTERS villages)."""
    from conftest import make_feature_frame

    frame = make_feature_frame(n_counties=1, households=60, villages=1)
    assert frame["village_id"].nunique() == 1
    with pytest.warns(RuntimeWarning, match=r"1 village\(s\).*without village clusters"):
        res = fit.fit_models(frame, config, models=("logit", "gbm"), county_holdout=False,
                             drivers=False)
    assert res.models["logit"].clustered_ is False
    assert res.predictions["score_gbm"].between(0, 1).all()


def test_cluster_groups_only_from_the_minimum_number_of_villages():
    import warnings

    villages = pd.Series([f"v{i % fit.MIN_VILLAGE_CLUSTERS}" for i in range(30)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fit.cluster_groups(villages) is villages
    with pytest.warns(RuntimeWarning, match=f"{fit.MIN_VILLAGE_CLUSTERS - 1} village"):
        assert fit.cluster_groups(villages[villages != "v0"]) is None


def test_forest_rows_by_hand():
    table = pd.DataFrame({
        "term": ["Intercept", "a", "b", "c", "d", "e"],
        "odds_ratio": [1e-6, 2.0, 1e5, 0.5, 3.0, 1.2],
        "ci_low": [1e-7, 1.5, 1.0, 1e-5, 0.0, 1.0],
        "ci_high": [1e-5, 2.5, 1e9, 0.9, np.inf, np.nan],
    })
    shown, left_out = fit.forest_rows(table)
    # b: effect beyond 1e4; c: lower bound below 1e-4; d: zero and infinite bounds; e: NaN;
    # the intercept is a baseline odds, not an effect: kept (the plot leaves it out)
    assert list(shown["term"]) == ["Intercept", "a"]
    assert list(left_out["term"]) == ["b", "c", "d", "e"]
    assert list(fit.forest_rows(table, limit=1e6)[0]["term"]) == ["Intercept", "a", "c"]


def test_load_features_keeps_the_labelled_rows_of_every_row_group(feature_frame, tmp_path):
    """Read row group by row group: the same rows, order and values as filtering the whole
    file in pandas, ids as categories, the truth joined on the keys, a clear error without
    a label column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frames = []
    for c in feature_frame["county_id"].unique()[:2]:
        frame = feature_frame[feature_frame["county_id"] == c].copy()
        label = frame[fit.LABEL_COLUMN].astype("boolean")
        label.iloc[::5] = pd.NA  # unlabelled rows in every row group (a panel's edges)
        frames.append(frame.assign(**{fit.LABEL_COLUMN: label}))
    paths, truth_paths = [], []
    for i, frame in enumerate(frames):
        path = tmp_path / f"f{i}.parquet"
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path,
                       row_group_size=max(len(frame) // 3, 1))
        assert pq.ParquetFile(path).num_row_groups >= 3
        truth = frame[["household_id", "year", "quarter"]].assign(
            true_prob=np.linspace(0, 1, len(frame))
        )
        truth_path = tmp_path / f"t{i}.parquet"
        truth.to_parquet(truth_path, index=False)
        paths.append(str(path))
        truth_paths.append(str(truth_path))
    got = fit.load_features(paths, truth_paths)

    expected = pd.concat(frames, ignore_index=True)
    truth = np.concatenate([np.linspace(0, 1, len(f)) for f in frames])
    labelled = expected[fit.LABEL_COLUMN].notna().to_numpy()
    expected = expected[labelled].reset_index(drop=True)
    assert list(got.columns) == [c for c in fit.NEEDED_COLUMNS if c in expected] + ["true_prob"]
    assert len(got) == len(expected) < labelled.size
    assert isinstance(got["household_id"].dtype, pd.CategoricalDtype)
    for c in got.columns.drop("true_prob"):
        pd.testing.assert_series_equal(got[c].astype(object), expected[c].astype(object),
                                       check_dtype=False, obj=c)
    np.testing.assert_allclose(got["true_prob"].to_numpy(), truth[labelled])

    bad = tmp_path / "bad.parquet"
    expected.drop(columns=fit.LABEL_COLUMN).to_parquet(bad, index=False)
    with pytest.raises(ValueError, match="bad.parquet.*relapse"):
        fit.load_features([str(bad)])

    # a truth file read twice: the error names the files and the household-quarter
    with pytest.raises(ValueError, match=r"t0.parquet, .*t0.parquet: household .* in \d{4}Q\d appears twice"):
        fit.load_features(paths[:1], [truth_paths[0], truth_paths[0]])


def test_load_keys_ids_in_the_order_first_seen_and_inputs_complete_without_nan(tmp_path):
    """Each row group's dictionary holds its own ids (unlabelled ones too): the keys' and
    features' categories are the labelled rows' ids in the order first seen, nothing
    else; an input that is null or NaN makes a row incomplete."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from relapse_models.outcome.features import FEATURE_COLUMNS

    ids = ["h2", "h9", "h1", "h2", "h3", "h1", "h0", "h8"]
    label = pd.array([True, None, False, True, None, True, False, None], dtype="boolean")
    frame = pd.DataFrame({"household_id": ids, "county_id": "c", "town_id": "t",
                          "village_id": ["v1", "v0", "v1", "v1", "v2", "v2", "v0", "v3"],
                          "year": 2023, "quarter": [1, 2, 3, 4] * 2, "periods_per_year": 4,
                          fit.LABEL_COLUMN: label, "at_risk": True})
    for c in FEATURE_COLUMNS:
        frame[c] = 1.0
    table = pa.Table.from_pandas(frame, preserve_index=False)
    gaps = pa.array([np.nan, 1.0, 1.0, None, 1.0, 1.0, np.nan, 1.0], from_pandas=False)
    table = table.set_column(table.column_names.index("income_ratio"), "income_ratio", gaps)
    path = tmp_path / "f.parquet"
    pq.write_table(table, path, row_group_size=4)
    assert pq.ParquetFile(path).num_row_groups == 2

    keys = fit.load_keys([str(path)])
    assert list(keys["household_id"]) == ["h2", "h1", "h2", "h1", "h0"]
    assert list(keys["household_id"].cat.categories) == ["h2", "h1", "h0"]
    assert list(keys["village_id"].cat.categories) == ["v1", "v2", "v0"]
    assert list(keys[fit.INPUTS_COMPLETE]) == [False, True, False, True, False]
    whole = fit.load_features([str(path)])
    for c in ("household_id", "village_id"):
        pd.testing.assert_series_equal(whole[c], keys[c])


def test_tuning_keeps_the_defaults_when_the_gbm_cannot_be_fitted(monkeypatch, feature_frame, config):
    """Too few cases before the tuning year for the gbm's village split: the defaults are kept
    and the reason recorded (models.json, the page), never a crash of the stage."""
    from relapse_models.models.gbm import GBMModel
    from relapse_models.models.logit import ModelNotFitted

    def refuse(self, X, y, groups=None):
        raise ModelNotFitted("gbm: the calibrator would see 0 relapse rows")

    monkeypatch.setattr(GBMModel, "fit", refuse)
    report = fit.tune(feature_frame, config, ("gbm",))
    assert report["settings"] == {} and "could not be made" in report["skipped"]
    assert "0 relapse rows" in report["skipped"]


def test_tuning_within_a_mask_is_tuning_on_those_rows_alone(feature_frame, config):
    """The mask restricts both sides of the tuning split: the candidates score exactly as when
    the other rows are not in the data at all."""
    f = feature_frame
    kept = f["county_id"] != f["county_id"].iloc[0]
    masked = fit.tune(f, config, ("gbm",), within=kept)
    alone = fit.tune(f[kept].reset_index(drop=True), config, ("gbm",))
    assert masked["n_train"] == alone["n_train"] and masked["n_tune"] == alone["n_tune"]
    assert masked["n_train"] < fit.tune(f, config, ("gbm",))["n_train"]
    for a, b in zip(masked["candidates"], alone["candidates"], strict=True):
        assert a["params"] == b["params"]
        assert a["pr_auc"] == pytest.approx(b["pr_auc"]) and a["auc"] == pytest.approx(b["auc"])


def test_each_held_out_county_has_its_own_tuning(monkeypatch, feature_frame, config):
    """Leave-one-county-out never tunes with the county it then tests: one tuning per held-out
    county, on the other counties' rows, and its settings are the ones that county's fit uses."""
    f = feature_frame
    masks, used = [], []

    def spy_tune(features, cfg, models, within=None, keys=None):
        masks.append(within)
        if within is None:
            return {"settings": {"gbm": {"tag": "pooled"}}}
        (gone,) = set(features["county_id"]) - set(features.loc[within, "county_id"])
        return {"settings": {"gbm": {"tag": str(gone)}}}

    def spy_fit(features, train, test, models, cfg, desc="", tuned=None, keys=None):
        used.append((desc, tuned["gbm"]["tag"]))
        return pd.DataFrame({"score_rule": []}), {}

    monkeypatch.setattr(fit, "tune", spy_tune)
    monkeypatch.setattr(fit, "_fit_and_score", spy_fit)
    monkeypatch.setattr(fit, "evaluate_predictions", lambda *a, **k: {})
    monkeypatch.setattr(fit, "fit_reports", lambda fitted: {})
    result = fit.fit_models(f, config, models=("rule", "gbm"), county_holdout=True, drivers=False)
    counties = {str(c) for c in f["county_id"].unique()}
    assert masks[0] is None and len(masks) == 1 + len(counties)
    assert set(result.metrics["leave_one_county_out_tuning"]) == counties
    for county, entry in result.metrics["leave_one_county_out_tuning"].items():
        assert entry["settings"] == {"gbm": {"tag": county}}
    assert used[0][1] == "pooled"  # the out-of-time fit keeps the pooled tuning
    assert sorted(tag for _, tag in used[1:]) == sorted(counties)
    assert all(tag in desc for desc, tag in used[1:])


def test_planned_rows_give_the_fit_of_the_whole_frame(feature_frame, config, tmp_path):
    """With the samples active (small caps), the fit on the rows fit_rows plans (keys first,
    then only those rows' inputs) equals the fit on every labelled row: same predictions,
    metrics and held-out predictions; and it reads fewer rows than there are."""
    paths = county_feature_files(feature_frame, tmp_path)
    capped = {**config, "models": {**config["models"], "max_train_rows": 1000,
                                   "max_tune_rows": 500}}
    whole = fit.load_features(paths)
    keys, planned = fit.load_planned(paths, None, capped, held_out=True)
    assert len(keys) == len(whole)
    pooled_only = fit.fit_rows(keys, capped, MODELS)
    assert 0 < len(pooled_only) < 0.8 * len(whole)
    assert set(pooled_only) <= set(planned.index)
    pd.testing.assert_index_equal(keys["household_id"].cat.categories,
                                  whole["household_id"].cat.categories)
    pd.testing.assert_index_equal(planned["household_id"].cat.categories,
                                  whole["household_id"].cat.categories)
    complete = whole[list(fit.FEATURE_COLUMNS)].notna().all(axis=1).to_numpy()
    np.testing.assert_array_equal(keys[fit.INPUTS_COMPLETE].to_numpy(), complete)

    a = fit.fit_models(whole, capped, models=MODELS, county_holdout=True, drivers=False)
    b = fit.fit_models(planned, capped, models=MODELS, county_holdout=True, drivers=False,
                       keys=keys)
    assert a.metrics["tuning"]["n_tune"] < int(
        (out_of_time_split(whole, 2022, horizon=4, test_year=2023)[1]
         & whole["at_risk"].astype(bool)).sum())  # the tuning year was sampled
    assert json.dumps(a.metrics, sort_keys=True, default=str) == json.dumps(
        b.metrics, sort_keys=True, default=str)
    pd.testing.assert_frame_equal(a.predictions, b.predictions)
    pd.testing.assert_frame_equal(a.county_predictions, b.county_predictions)

    county = str(whole["county_id"].iloc[0])
    keys_one, one = fit.load_planned(paths, None, capped, out_of_time=False, held_out=county)
    assert len(one) < 0.8 * len(whole)
    alone = fit.held_out_counties(one, capped, MODELS, only=county, keys=keys_one)[0]
    together = fit.held_out_counties(whole, capped, MODELS, only=county)[0]
    pd.testing.assert_frame_equal(alone.predictions, together.predictions)
    assert alone.tuning == together.tuning


def test_models_without_the_test_year_are_the_fit_models_ones(feature_frame, config, result,
                                                             tmp_path):
    """fit_out_of_time_models, on only the rows fit_rows(test_rows=False) plans, fits the
    models fit_models fits (tuning included): the same scores on the test year; and that
    plan holds no test-year row."""
    paths = county_feature_files(feature_frame, tmp_path)
    keys = fit.load_keys(paths)
    without = fit.fit_rows(keys, config, MODELS, test_rows=False)
    _, test = out_of_time_split(keys, 2023, horizon=4)
    test_rows = np.flatnonzero(test.to_numpy() & keys["at_risk"].to_numpy(dtype=bool))
    np.testing.assert_array_equal(
        without, np.setdiff1d(fit.fit_rows(keys, config, MODELS), test_rows))
    assert not np.isin(without, test_rows).any()
    models = fit.fit_out_of_time_models(fit.load_features(paths, rows=without, keys=keys),
                                        config, MODELS, keys=keys)
    assert set(models) == set(MODELS)
    whole = fit.load_features(paths)
    at_risk_test = test & whole["at_risk"].astype(bool)
    for name in MODELS:
        column = f"score_{name}"
        if column in result.predictions:
            inputs = fit.checked_inputs(name, list(whole.columns))
            np.testing.assert_array_equal(
                fit.predict_rows(models[name], whole, at_risk_test, inputs),
                result.predictions[column].to_numpy())


def test_load_features_reads_only_the_columns_asked(feature_frame, tmp_path):
    """columns= keeps those of NEEDED_COLUMNS and the label, in NEEDED_COLUMNS' order, with
    the rows and values of the whole read."""
    paths = county_feature_files(feature_frame, tmp_path)
    keys = fit.load_keys(paths)
    rows = np.arange(1, len(keys), 3)
    asked = ["income_pc_4q", "household_id", "not_a_column", "year"]
    some = fit.load_features(paths, rows=rows, keys=keys, columns=asked)
    assert list(some.columns) == [c for c in fit.NEEDED_COLUMNS
                                  if c in {*asked, fit.LABEL_COLUMN}]
    whole = fit.load_features(paths, rows=rows, keys=keys)
    pd.testing.assert_frame_equal(some, whole[list(some.columns)])


def test_rows_of_refuses_a_row_the_plan_did_not_load(feature_frame, tmp_path):
    paths = county_feature_files(feature_frame, tmp_path)
    keys = fit.load_keys(paths)
    rows = np.arange(0, len(keys), 2)
    some = fit.load_features(paths, rows=rows, keys=keys)
    mask = np.zeros(len(keys), dtype=bool)
    mask[[2, 4]] = True
    assert list(fit.rows_of(some, mask, ["year"]).index) == [2, 4]
    mask[3] = True
    with pytest.raises(RuntimeError, match="1 row.*position 3.*fit_rows"):
        fit.rows_of(some, mask)
    with pytest.raises(ValueError, match="increasing"):
        fit.load_features(paths, rows=rows[::-1])
    with pytest.raises(ValueError, match="labelled rows"):
        fit.load_features(paths[:1], rows=np.array([len(keys) + 5]))


def test_a_fit_that_cannot_be_planned_stops_with_the_fit_s_own_message(feature_frame, config,
                                                                       tmp_path):
    """A split without usable rows: the plan fails on the keys, so every row is loaded and
    the fit's message names the missing input, as without a plan."""
    frame = feature_frame.assign(income_ratio=np.nan)
    paths = county_feature_files(frame, tmp_path)
    keys, features = fit.load_planned(paths, None, config)
    assert keys is features and len(features) == len(frame)
    with pytest.raises(ValueError, match="income_ratio missing in 100%"):
        fit.fit_models(features, config, models=MODELS, keys=keys)


def test_predict_rows_in_chunks_equals_one_pass(result, feature_frame, monkeypatch):
    """Scoring a few rows at a time gives the scores of one pass over the selected rows."""
    f = feature_frame
    test = (f["year"] == 2024).to_numpy() & f["at_risk"].astype(bool).to_numpy()
    monkeypatch.setattr(fit, "SCORE_CHUNK_ROWS", 7)
    for name in ("logit", "gbm", "rule"):
        model = result.models[name]
        inputs = fit.checked_inputs(name, list(f.columns))
        whole = model.predict_proba(f.loc[test, inputs])[:, 1]
        np.testing.assert_array_equal(fit.predict_rows(model, f, test, inputs), whole)


def test_sample_rows_draws_what_pandas_sample_draws(feature_frame):
    f = feature_frame
    mask = (f["year"] >= 2023).to_numpy()
    columns = ["income_ratio", fit.LABEL_COLUMN]
    for n, seed in ((50, 3), (10**6, 3), (200, 11)):
        got = fit.sample_rows(f, mask, n, seed, columns)
        expected = f.loc[mask, columns]
        if len(expected) > n:
            expected = expected.sample(n, random_state=seed)
        pd.testing.assert_frame_equal(got, expected)


def test_vulnerability_summary_from_scores_equals_the_model_s_own(result, feature_frame):
    model = result.models["vulnerability"]
    f = feature_frame[feature_frame["year"] == 2024]
    own = model.vulnerability_summary(f, f[fit.LABEL_COLUMN])
    scores = pd.Series(model.predict_proba(f)[:, 1])
    got = fit.vulnerability_summary(model, scores, f[fit.LABEL_COLUMN])
    assert got["mean_vulnerability"] == own.attrs["mean_vulnerability"]
    assert got["observed_rate"] == own.attrs["observed_headcount"]
    assert got["share_vulnerable"] == dict(zip(own["line"], own["share_vulnerable"], strict=True))
