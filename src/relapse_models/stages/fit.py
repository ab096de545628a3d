"""The model stage: fit every model out of time on all counties, score the test year,
and write metrics per county and pooled (with the oracle on synthetic data).

Two validation schemes, same test rows (the test year's at-risk household-quarters):
``out_of_time`` trains on every county's earlier years; ``leave_one_county_out`` trains on
the *other* counties' earlier years only, so the gap between the two is what a county loses
by having no monitoring history of its own. Also written: the gbm's risk drivers
(permutation importance and partial dependence on the test year) and the fitted models,
named with the config hash.

The pipeline runs this stage twice over: once per county on that county's files alone
(out of time only, no drivers: what the county's thresholds and page use, so a change to
one county reruns only its own fit) and once pooled over all counties (both schemes and the
drivers: the province-level models of the comparative report).
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sklearn.metrics import average_precision_score, roc_auc_score
from tqdm import tqdm

from relapse_models.core.config import config_hash, stage_seed
from relapse_models.core.io import read_json, read_parquet, write_csv, write_json, write_parquet
from relapse_models.core.panel import periods_per_year
from relapse_models.core.quarters import quarter_index, year_quarter
from relapse_models.models import BASELINES, MODELS, model_inputs
from relapse_models.models.evaluation import (
    INPUTS_COMPLETE,
    evaluate_scores,
    leave_one_county_out,
    out_of_time_split,
)
from relapse_models.models.gbm import GBM_GRID
from relapse_models.models.logit import ModelNotFitted
from relapse_models.models.rule import rule_params
from relapse_models.outcome.features import FEATURE_COLUMNS, LABEL_COLUMN, LABEL_DERIVED_COLUMNS
from relapse_models.warning.capacity import capacity_share

KEYS = ["household_id", "county_id", "town_id", "village_id", "year", "quarter"]
PREDICTION_EXTRAS = ["at_risk", "relapse_in_quarters"]
DEFAULT_MODELS = ("rule", "income_ratio", "logit", "gbm", "vulnerability")
MODEL_INPUTS = [*FEATURE_COLUMNS, "income_pc_4q", "line", "medical_oop_4q"]
"""Every column some model may be given (each model gets only its own allow-list,
:data:`relapse_models.models.MODEL_INPUTS`); the hazard model's time to event is passed to
its fit apart from X."""
NEEDED_COLUMNS = [*KEYS, *MODEL_INPUTS, LABEL_COLUMN, "at_risk", "relapse_in_quarters",
                  "periods_per_year"]
"""Feature-file columns the model stage reads."""
KEY_COLUMNS = [*KEYS, LABEL_COLUMN, "at_risk", "periods_per_year"]
"""What :func:`load_keys` reads of every labelled row to plan which rows a stage uses."""
_KEY_TYPES = {"year": pa.int16(), "quarter": pa.int8(), "periods_per_year": pa.int8()}
"""Small integers in the keys (they only choose rows): a province's keys are tens of
millions of rows."""
DRIVER_COLUMNS = ["method", "feature", "rank", "grid_value", "value", "sd"]
POPULATION_MODELS = frozenset({"vulnerability"})
"""Models fitted on every usable training row, not only the at-risk ones: the vulnerability
model estimates the income distribution given characteristics, which a sample cut at the
line (at-risk rows are above it) would bias upwards in mean and downwards in variance."""


@dataclass
class FitResult:
    """Test-year predictions (one ``score_<model>`` column each), metrics, fitted models
    (out of time); held-out-county predictions, the gbm's drivers table and the seconds each
    part took (kept out of the metrics so the same config gives the same files)."""

    predictions: pd.DataFrame
    metrics: dict[str, Any]
    models: dict[str, Any]
    county_predictions: pd.DataFrame | None = None
    drivers: pd.DataFrame | None = None
    timings: dict[str, float] = field(default_factory=dict)


ID_COLUMNS = ("household_id", "county_id", "town_id", "village_id")
"""String ids read as dictionaries: their values are decoded once per row group, not once per
row, and filtering or taking rows moves integer indices only."""


def _features_file(path: str) -> pq.ParquetFile:
    """``path`` opened with its string id columns (:data:`ID_COLUMNS`) read as dictionaries;
    raises when it has no label column."""
    schema = pq.read_schema(path)
    if LABEL_COLUMN not in schema.names:
        raise ValueError(f"{path}: no {LABEL_COLUMN!r} column (not a features file?)")
    text = [c for c in ID_COLUMNS if c in schema.names
            and (pa.types.is_string(schema.field(c).type)
                 or pa.types.is_large_string(schema.field(c).type))]
    return pq.ParquetFile(path, read_dictionary=text)


def _row_groups(paths: list[str], wanted: list[str]) -> Iterator[tuple[pa.Table, np.ndarray]]:
    """Each row group of each file, ``wanted`` columns (those present; the label among them),
    with the positions of its rows that have a known label; a file without row groups gives
    one empty table."""
    for path in paths:
        file = _features_file(path)
        columns = [c for c in wanted if c in file.schema_arrow.names]
        for i in range(file.num_row_groups):
            group = file.read_row_group(i, columns=columns)
            labelled = pc.is_valid(group.column(LABEL_COLUMN)).to_numpy()
            yield group, np.flatnonzero(labelled)
            del group  # its memory is reused by the next group's
        if not file.num_row_groups:
            yield file.schema_arrow.empty_table().select(columns), np.zeros(0, dtype=np.int64)
        # the last unfiltered group back to the system (once a file, not once a group: pages
        # handed back and faulted in again cost more system time than the reads' decoding)
        pa.default_memory_pool().release_unused()


def _labelled_tables(paths: list[str], wanted: list[str]) -> Iterator[pa.Table]:
    """Each file's rows with a known label, row group by row group, ``wanted`` columns (those
    present; string ids as dictionaries): half the time of a dataset filter, and never more
    than one row group's unlabelled rows in memory."""
    for group, labelled in _row_groups(paths, wanted):
        yield group if len(labelled) == group.num_rows else group.take(pa.array(labelled))


def _frame(tables: list[pa.Table]) -> pd.DataFrame:
    """One frame of ``tables``, id columns as categories in the order the rows first show
    them (as one dictionary encoding of the whole column would give, whatever each row
    group's dictionary held). The Arrow buffers are freed column by column as pandas takes
    them over: the table and the frame are not both held whole (a province's panel is
    several GB)."""
    table = pa.concat_tables(tables, promote_options="default")
    tables.clear()
    frame = table.to_pandas(strings_to_categorical=True, self_destruct=True, split_blocks=True)
    del table
    pa.default_memory_pool().release_unused()  # the freed Arrow buffers back to the system
    for c in frame.columns:
        if isinstance(frame[c].dtype, pd.CategoricalDtype):
            frame[c] = _categories_in_order_seen(frame[c].array)
    return frame


def _categories_in_order_seen(values: pd.Categorical) -> pd.Categorical:
    """``values`` with only the categories they use, in the order of their first row."""
    codes = np.asarray(values.codes)
    known = codes >= 0  # -1: a missing id
    new = np.full(len(codes), -1, dtype=np.int64)
    new[known], used = pd.factorize(codes[known])
    if len(used) == len(values.categories) and (used == np.arange(len(used))).all():
        return values
    return pd.Categorical.from_codes(new, dtype=pd.CategoricalDtype(values.categories[used]))


def load_keys(paths: list[str]) -> pd.DataFrame:
    """Every labelled row's ids, period, label and risk state (:data:`KEY_COLUMNS`) and
    whether its model inputs are complete (:data:`INPUTS_COMPLETE`), without the inputs:
    enough to decide each split and household sample (see :func:`fit_rows`) before reading
    the model inputs of the rows a stage uses (``load_features(..., rows=...)``). Same rows,
    order and id categories as :func:`load_features`."""
    tables = []
    for table, labelled in _row_groups(paths, [*KEY_COLUMNS, *FEATURE_COLUMNS]):
        # pandas' notna: neither null nor NaN; decided on the whole group, then cut to the
        # labelled rows with the keys (the inputs themselves are never copied)
        complete = np.ones(table.num_rows, dtype=bool)
        for c in FEATURE_COLUMNS:
            if c in table.column_names:
                complete &= ~pc.is_null(table.column(c), nan_is_null=True).to_numpy()
        keys = table.select([c for c in KEY_COLUMNS if c in table.column_names])
        del table
        if len(labelled) < keys.num_rows:
            keys, complete = keys.take(pa.array(labelled)), complete[labelled]
        for name, kind in _KEY_TYPES.items():
            if name in keys.column_names and pa.types.is_integer(keys.schema.field(name).type):
                i = keys.column_names.index(name)
                keys = keys.set_column(i, name, pc.cast(keys.column(name), kind))
        tables.append(keys.append_column(INPUTS_COMPLETE, pa.array(complete)))
    return _frame(tables)


def load_features(
    paths: list[str],
    truth_paths: list[str] | None = None,
    rows: np.ndarray | None = None,
    keys: pd.DataFrame | None = None,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """All counties' features; on synthetic data with the generator's true probability.

    Only what the stage uses is read: the columns :data:`NEEDED_COLUMNS` and the rows with a
    known label (every split and metric needs one; a panel's first three quarters and its
    last horizon have none). Id columns come as categories (the truth joined on their codes):
    a province's panel then fits in memory (an object string per row and id column would
    not). Row order is the files' order.

    ``rows``: only these positions of the labelled rows (sorted, as :func:`fit_rows` gives
    them for the ``keys`` of :func:`load_keys`); the frame is then indexed by them, and its
    id columns take the categories of ``keys``, so that every result equals the one on the
    whole frame.

    ``columns``: only these of :data:`NEEDED_COLUMNS`, and the label (a stage that scores
    a few models' inputs need not hold every model's)."""
    wanted = (NEEDED_COLUMNS if columns is None
              else [c for c in NEEDED_COLUMNS if c in {*columns, LABEL_COLUMN}])
    if rows is None:
        features = _frame(list(_labelled_tables(paths, wanted)))
    else:
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) and ((np.diff(rows) <= 0).any() or rows[0] < 0):
            raise ValueError("rows must be increasing positions of the labelled rows")
        tables, start = [], 0
        for table, labelled in _row_groups(paths, wanted):
            lo, hi = np.searchsorted(rows, [start, start + len(labelled)])
            tables.append(table.take(pa.array(labelled[rows[lo:hi] - start])))
            start += len(labelled)
        if len(rows) and rows[-1] >= start:
            raise ValueError(f"rows reach position {rows[-1]}: the files hold {start} "
                             "labelled rows (keys from other files?)")
        features = _frame(tables)
        features.index = pd.Index(rows)
        if keys is not None:
            for c in features.columns:
                if c in keys and isinstance(keys[c].dtype, pd.CategoricalDtype):
                    features[c] = features[c].cat.set_categories(keys[c].cat.categories)
    if truth_paths:
        features["true_prob"] = _truth_of(features, truth_paths)
    return features


_QUARTER_BITS = 20
"""A household-quarter as one integer: household code << bits | quarter index."""


def _truth_of(features: pd.DataFrame, truth_paths: list[str]) -> np.ndarray:
    """The generator's true probability of each row of ``features`` (NaN where the truth
    has none), joined on (household_id, year, quarter) as one integer per row: no string
    per truth row and no index of tuples (the truth covers every row of the panel). Raises
    naming the household-quarter when the truth holds one twice."""
    ids = features["household_id"]
    if isinstance(ids.dtype, pd.CategoricalDtype):
        categories, codes = ids.cat.categories, ids.cat.codes.to_numpy()
    else:
        codes, categories = pd.factorize(ids)
    columns = ["household_id", "year", "quarter", "true_prob"]
    keys, probs = [], []
    for path in truth_paths:
        schema = pq.read_schema(path)
        kind = schema.field("household_id").type
        # string ids as a dictionary: codes per row, each id once
        text = (["household_id"] if pa.types.is_string(kind) or pa.types.is_large_string(kind)
                else None)
        truth = pq.read_table(path, columns=columns, read_dictionary=text).to_pandas()
        code = pd.Categorical(truth["household_id"], categories=categories).codes
        known = code >= 0  # households without a labelled row are not joined
        keys.append((code[known].astype(np.int64) << _QUARTER_BITS)
                    + quarter_index(truth["year"], truth["quarter"])[known])
        probs.append(truth["true_prob"].to_numpy(dtype=float)[known])
        del truth
    key, prob = np.concatenate(keys), np.concatenate(probs)
    order = np.argsort(key, kind="stable")
    key, prob = key[order], prob[order]
    twice = np.flatnonzero(key[1:] == key[:-1])
    if len(twice):
        first = twice[np.argmin(order[twice + 1])] + 1  # the first repeat in file order
        year, quarter = year_quarter(key[first] & ((1 << _QUARTER_BITS) - 1))
        household = categories[key[first] >> _QUARTER_BITS]
        raise ValueError(f"truth {', '.join(map(str, truth_paths))}: household {household} in "
                         f"{year}Q{quarter} appears twice; each household-quarter "
                         "(household_id, year, quarter) must appear once")
    wanted = (codes.astype(np.int64) << _QUARTER_BITS) + quarter_index(features["year"],
                                                                        features["quarter"])
    at = np.minimum(np.searchsorted(key, wanted), max(len(key) - 1, 0))
    found = (codes >= 0) & (len(key) > 0)
    if len(key):
        found &= key[at] == wanted
    return np.where(found, prob[at] if len(key) else np.nan, np.nan)


def sample_households(
    features: pd.DataFrame, rows: pd.Series, max_rows: int | None, seed: int
) -> pd.Series:
    """``rows`` cut to about ``max_rows`` rows by keeping a random share of *households* in
    each county (all of a kept household's rows), so the sample keeps every county's share
    and each household's whole history; ``rows`` unchanged when it is already small enough.

    Why: the fit's cost grows with the training rows while, beyond a few hundred thousand
    household-quarters, the models' test AUC no longer does (measured in
    ``benchmarks/bench_fit.py``); a province-size panel is then fitted at the cost of a
    county-size one. Households are drawn uniformly within a county, so no weights are
    needed."""
    n = int(rows.sum())
    if max_rows is None or n <= max_rows:
        return rows
    share = max_rows / n
    pos = np.flatnonzero(np.asarray(rows, dtype=bool))
    households, n_households = _id_codes(features["household_id"])
    households = np.where(households < 0, n_households, households)  # a missing id: one more
    # each household's first row, in row order (the households' order for the draw)
    first = pos[np.sort(np.unique(households[pos], return_index=True)[1])]
    counties = _id_codes(features["county_id"])[0][first].astype(float)
    counties[counties < 0] = np.nan  # a missing county is in no group, never drawn
    rng = np.random.default_rng(seed)
    key = pd.Series(rng.random(len(first)))
    rank = key.groupby(counties).rank(method="first", pct=True)
    chosen = np.zeros(n_households + 1, dtype=bool)
    chosen[households[first[rank.to_numpy() <= share]]] = True
    return rows & pd.Series(chosen[households], index=features.index)


def _id_codes(ids: pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes of ``ids`` (-1 where missing) and how many ids there are: a category's
    codes as they are, other ids factorised (the same partition of the rows)."""
    if isinstance(ids.dtype, pd.CategoricalDtype):
        return np.asarray(ids.cat.codes), len(ids.cat.categories)
    codes, values = pd.factorize(ids)
    return codes, len(values)


def model_params(name: str, config: dict[str, Any]) -> dict[str, Any]:
    """Constructor parameters of model ``name`` from the config."""
    if name == "rule":
        return rule_params(config)
    if name == "gbm":
        return {"random_state": stage_seed(config["seed"], "fit")}
    if name == "vulnerability":  # the probability over the label's horizon, panel variance
        return {"years": config["monitoring"]["horizon_quarters"] / 4, "variance": "within"}
    if name == "hazard":
        return {"horizon": config["monitoring"]["horizon_quarters"]}
    return {}


def rows_of(
    features: pd.DataFrame, mask: pd.Series | np.ndarray, columns: list[str] | None = None
) -> pd.DataFrame:
    """The rows of ``features`` where ``mask`` holds, ``columns`` only (default all).

    ``mask`` runs over the whole labelled frame: ``features`` itself, or the keys of
    :func:`load_keys` when ``features`` holds only the planned rows (indexed by their
    positions, see :func:`load_features`). A row the plan did not load is an error, never
    a silently shorter sample."""
    pos = _positions(features, mask)
    if columns is None:
        return features.iloc[pos]
    where = features.columns.get_indexer(columns)
    if (where < 0).any():
        absent = [c for c in columns if c not in features.columns]
        raise KeyError(f"columns not in the frame: {absent}")
    return features.iloc[pos, where]


def _positions(features: pd.DataFrame, mask: pd.Series | np.ndarray) -> np.ndarray:
    """Positions in ``features`` of the rows ``mask`` selects (see :func:`rows_of`)."""
    pos = np.flatnonzero(np.asarray(mask, dtype=bool))
    if len(features) != len(mask):
        index = features.index.to_numpy()
        at = np.searchsorted(index, pos)
        missing = (at >= len(index)) | (index[np.minimum(at, len(index) - 1)] != pos)
        if missing.any():
            raise RuntimeError(f"{int(missing.sum())} row(s) needed but not loaded, first at "
                               f"position {pos[missing][0]}: the row plan (fit_rows) missed them")
        pos = at
    return pos


SCORE_CHUNK_ROWS = 500_000
"""Rows scored at a time: the models score row by row, and a province's test year copied
whole for each model would double the stage's memory."""


def predict_rows(
    model: Any, features: pd.DataFrame, mask: pd.Series | np.ndarray, inputs: list[str]
) -> np.ndarray:
    """``model``'s probability for the rows ``mask`` selects (see :func:`rows_of`), scored
    :data:`SCORE_CHUNK_ROWS` at a time."""
    pos = _positions(features, mask)
    where = features.columns.get_indexer(inputs)
    out = np.empty(len(pos))
    for start in range(0, len(pos), SCORE_CHUNK_ROWS):
        part = pos[start:start + SCORE_CHUNK_ROWS]
        out[start:start + len(part)] = model.predict_proba(features.iloc[part, where])[:, 1]
    return out


def sample_rows(
    features: pd.DataFrame, mask: pd.Series | np.ndarray, n: int, random_state: int | None,
    columns: list[str],
) -> pd.DataFrame:
    """``rows_of(features, mask, columns).sample(n, random_state=random_state)`` (all rows
    when there are at most ``n``) without copying every selected row first."""
    pos = _positions(features, mask)
    if len(pos) > n:  # pandas' DataFrame.sample draws exactly this
        pos = pos[np.random.RandomState(random_state).choice(len(pos), size=n, replace=False)]
    return features.iloc[pos, features.columns.get_indexer(columns)]


def training_rows(
    keys: pd.DataFrame, train: pd.Series, name: str, config: dict[str, Any]
) -> pd.Series:
    """The rows model ``name`` is fitted on: the ``train`` rows (at-risk ones, except for
    :data:`POPULATION_MODELS`), cut to ``models.max_train_rows`` by households."""
    rows = train if name in POPULATION_MODELS else train & _at_risk(keys)
    return sample_households(keys, rows, config["models"]["max_train_rows"],
                             stage_seed(config["seed"], "fit"))


def _fit_and_score(
    features: pd.DataFrame,
    train: pd.Series,
    test: pd.Series | None,
    models: tuple[str, ...],
    config: dict[str, Any],
    desc: str = "fitting models",
    tuned: dict[str, dict[str, Any]] | None = None,
    keys: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Fit each model on its :func:`training_rows`; the ``test`` rows' keys, label and
    scores (``test`` None: the models only, no row scored). ``tuned``: model name ->
    settings chosen on the tuning year (see :func:`tune`). ``keys``: what the masks run over
    when ``features`` holds only the planned rows."""
    keys = features if keys is None else keys
    tuned = tuned or {}
    keep = KEYS + [LABEL_COLUMN] + [c for c in [*PREDICTION_EXTRAS, "true_prob"] if c in features]
    scored = np.zeros(len(keys), dtype=bool) if test is None else test
    predictions = rows_of(features, scored, keep).reset_index(drop=True)
    for c in KEYS:  # the ids as plain strings in the output, as the features files have them
        if isinstance(predictions[c].dtype, pd.CategoricalDtype):
            predictions[c] = predictions[c].astype(object)
    fitted: dict[str, Any] = {}
    for name in tqdm(models, desc=desc, unit="model"):
        inputs = checked_inputs(name, list(features.columns))
        rows = training_rows(keys, train, name, config)
        extra_columns = ["relapse_in_quarters"] if name == "hazard" else []
        data = rows_of(features, rows,
                       list(dict.fromkeys([*inputs, LABEL_COLUMN, "village_id", *extra_columns])))
        villages = data["village_id"]
        # the GLMs choose their inference by the number of clusters themselves (CR1, CR2 or
        # withheld); the gbm's held-out calibration villages need enough villages
        groups = (villages if name in GLM_MODELS else None if name in BASELINES
                  else cluster_groups(villages, f"{desc}: {name}"))
        extra = {"time_to_event": data["relapse_in_quarters"]} if name == "hazard" else {}
        try:
            params = {**model_params(name, config), **tuned.get(name, {})}
            if name == "hazard":  # one period per row: a year on an annual panel
                params["step"] = 4 // periods_per_year(keys)
            model = MODELS[name](**params).fit(
                data[inputs], data[LABEL_COLUMN], groups=groups, **extra,
            )
        except (ModelNotFitted, np.linalg.LinAlgError) as err:  # not fitted, never scored
            reason = (f"numerical failure ({err})" if isinstance(err, np.linalg.LinAlgError)
                      else str(err))
            warnings.warn(f"{desc}: {name} not fitted: {reason}", RuntimeWarning, stacklevel=2)
            fitted[name] = NotFittedModel(name, reason)
            continue
        del data
        if test is not None:
            predictions[f"score_{name}"] = predict_rows(model, features, test, inputs)
        fitted[name] = model
    return predictions, fitted


class TuningSkipped(Exception):
    """No tuning split can be made (the reason goes into the tuning record)."""


def tuning_split(
    keys: pd.DataFrame, config: dict[str, Any], within: pd.Series | None = None
) -> tuple[int, pd.Series, pd.Series]:
    """The tuning year and its split (see :func:`tune`): the training rows, at risk and cut
    to ``models.max_train_rows`` by households, and the tuning year's at-risk rows, cut to
    ``models.max_tune_rows`` the same way (the candidates' PR-AUC needs no province of
    rows). Raises :class:`TuningSkipped` when there is no split."""
    settings = config["models"]
    until = train_until_year(keys, config)
    tune_year = int(settings["tune_year"] or until)
    if tune_year > until:
        raise ValueError(f"models.tune_year {tune_year} is after the last training year "
                         f"{until}: it would tune on the test year")
    try:
        train, val = out_of_time_split(keys, tune_year - 1,
                                       horizon=config["monitoring"]["horizon_quarters"],
                                       test_year=tune_year)
    except ValueError as err:
        raise TuningSkipped(f"no tuning split: {err}") from err
    at_risk = _at_risk(keys)
    if within is not None:
        at_risk = at_risk & within.to_numpy(dtype=bool)
    seed = stage_seed(config["seed"], "fit")
    rows = sample_households(keys, train & at_risk, settings["max_train_rows"], seed)
    val = sample_households(keys, val & at_risk, settings["max_tune_rows"], seed)
    return tune_year, rows, val


def tune(
    features: pd.DataFrame, config: dict[str, Any], models: tuple[str, ...],
    within: pd.Series | None = None, keys: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Hyper-parameters chosen on the tuning year, never on the test year: each candidate of
    :data:`relapse_models.models.gbm.GBM_GRID` is trained on the years before
    ``models.tune_year`` (default ``train_until_year``; horizon ended by its first quarter)
    and scored on its at-risk rows (see :func:`tuning_split`); the highest PR-AUC wins (the
    lead metric for a rare outcome). Returns the candidates' tuning-year metrics, the
    choice, and ``settings`` (model -> parameters) for the final fit; no choice (the
    defaults, with the reason) when the tuning split has no rows or no positive, or too few
    cases to fit.

    ``within`` (a boolean mask) restricts both sides of the split to those rows: the
    leave-one-county-out fits tune without the county they are then tested on. ``keys`` as
    in :func:`_fit_and_score`."""
    keys = features if keys is None else keys
    until = train_until_year(keys, config)
    tune_year = int(config["models"]["tune_year"] or until)
    report: dict[str, Any] = {"tune_year": tune_year, "train_until_year": tune_year - 1,
                              "settings": {}}
    if "gbm" not in models:
        return report
    try:
        tune_year, rows, val = tuning_split(keys, config, within)
    except TuningSkipped as err:
        report["skipped"] = str(err)
        return report
    inputs = checked_inputs("gbm", list(features.columns))
    fit_data = rows_of(features, rows, list(dict.fromkeys([*inputs, LABEL_COLUMN, "village_id"])))
    val_data = rows_of(features, val, list(dict.fromkeys([*inputs, LABEL_COLUMN])))
    y_val = val_data[LABEL_COLUMN].astype(float).to_numpy()
    y_fit = fit_data[LABEL_COLUMN].astype(float).to_numpy()
    if not (0 < y_val.sum() < len(y_val)) or not (0 < y_fit.sum() < len(y_fit)):
        report["skipped"] = "the tuning split holds one outcome only: defaults kept"
        return report
    groups = cluster_groups(fit_data["village_id"], "tuning: gbm")
    X_val = val_data[inputs]
    candidates = []
    for params in GBM_GRID:
        try:
            model = MODELS["gbm"](**model_params("gbm", config), **params).fit(
                fit_data[inputs], fit_data[LABEL_COLUMN], groups=groups)
        except ModelNotFitted as err:  # too few cases before the tuning year: defaults kept
            report["skipped"] = f"the tuning fit could not be made: {err}"
            return report
        p = model.predict_proba(X_val)[:, 1]
        candidates.append({"params": dict(params),
                           "pr_auc": float(average_precision_score(y_val, p)),
                           "auc": float(roc_auc_score(y_val, p))})
    best = max(candidates, key=lambda c: c["pr_auc"])
    report.update(candidates=candidates, n_train=int(rows.sum()), n_tune=int(val.sum()))
    report["settings"] = {"gbm": best["params"]}
    return report


@dataclass
class NotFittedModel:
    """A model that could not be estimated: its name and why (in models.json)."""

    name: str
    reason: str


def checked_inputs(name: str, available: list[str]) -> list[str]:
    """The allow-listed inputs of model ``name`` present in the data; raises if a
    label-derived column would reach the model (a guard on the allow-list itself)."""
    inputs = model_inputs(name, available)
    leaked = sorted(set(inputs) & LABEL_DERIVED_COLUMNS)
    if leaked:
        raise ValueError(f"{name}: label-derived column(s) {leaked} among the model inputs")
    return inputs


def fit_reports(models: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per model: fitted or not (with the reason), penalised fallback, inference method and
    the warnings of the fit, for models.json and the pages."""
    out: dict[str, dict[str, Any]] = {}
    for name, model in models.items():
        if isinstance(model, NotFittedModel):
            out[name] = {"fitted": False, "reason": model.reason}
        elif hasattr(model, "fit_report"):
            out[name] = model.fit_report()
        else:
            report: dict[str, Any] = {"fitted": True}
            if getattr(model, "unavailable_triggers_", None):
                report["warnings"] = [f"triggers left out (no data): {model.unavailable_triggers_}"]
            out[name] = report
    return out


GLM_MODELS = frozenset({"logit", "hazard"})
"""Models given the villages whatever their number (see :mod:`relapse_models.models.logit`)."""

MIN_VILLAGE_CLUSTERS = 10
"""Fewest villages for village-clustered fits. Below it cluster-robust standard errors by
village are unreliable (the few-clusters problem: Cameron & Miller 2015, J. Human Resources
50(2)) and the gbm's held-out calibration villages can hold no relapse at all; a county
fitted alone at a small synthetic scale meets this (a real county has hundreds of villages)."""


def cluster_groups(villages: pd.Series, what: str = "fit") -> pd.Series | None:
    """The training rows' villages as clusters (standard errors; the gbm's held-out
    calibration villages), or None with a warning when they are fewer than
    :data:`MIN_VILLAGE_CLUSTERS`: the models then use model-based covariance (a pseudo-inverse
    that survives the near-singular Hessians of a county with a handful of relapses) and a
    stratified row split for calibration (both classes on both sides), and say so
    (``clustered_``)."""
    n = villages.nunique()
    if n >= MIN_VILLAGE_CLUSTERS:
        return villages
    warnings.warn(f"{what}: training rows from {n} village(s), fewer than "
                  f"{MIN_VILLAGE_CLUSTERS}: fitted without village clusters",
                  RuntimeWarning, stacklevel=2)
    return None


def _at_risk(features: pd.DataFrame) -> pd.Series:
    return features["at_risk"].fillna(False).astype(bool)


def check_no_leakage(features: pd.DataFrame, train: pd.Series, test: pd.Series) -> None:
    """Raise if a household or county of the test rows is also among the training rows."""
    train, test = np.asarray(train, dtype=bool), np.asarray(test, dtype=bool)
    for key in ("household_id", "county_id"):
        codes, n = _id_codes(features[key])  # integer codes: no string per row
        in_train = np.zeros(n + 1, dtype=bool)
        in_train[codes[train]] = True
        in_train[-1] = False  # -1: a missing id, which matches nothing
        tested = codes[test]
        shared = np.unique(tested[in_train[tested]])
        if len(shared):
            ids = features[key]
            values = (ids.cat.categories if isinstance(ids.dtype, pd.CategoricalDtype)
                      else pd.factorize(ids)[1])
            names = sorted(str(v) for v in np.asarray(values)[shared])
            raise ValueError(f"{key} in both training and test rows: {names[:5]}")


def county_holdout_splits(
    features: pd.DataFrame, config: dict[str, Any]
) -> Iterator[tuple[str, pd.Series, pd.Series]]:
    """Leave one county out, in space and time: for each county, train on the other
    counties' usable rows of years <= ``models.train_until_year`` (horizon ended; the
    early-warning models then keep the at-risk ones), test on this county's at-risk rows of
    the next year (the out-of-time test rows). Checked for leakage of households and
    counties."""
    oot_train, oot_test = out_of_time_split(
        features,
        train_until_year(features, config),
        horizon=config["monitoring"]["horizon_quarters"],
    )
    at_risk = _at_risk(features)
    for county, train, test in leave_one_county_out(features):
        train, test = train & oot_train, test & oot_test & at_risk
        if not test.any() or not train.any():
            continue
        check_no_leakage(features, train, test)
        yield county, train, test


def train_until_year(features: pd.DataFrame, config: dict[str, Any]) -> int:
    """``models.train_until_year``, or when it is null, from the data: the year before the
    last year with a known label (the test year), so real exports covering any years need
    no setting."""
    until = config["models"]["train_until_year"]
    if until is not None:
        return int(until)
    labelled = features.loc[features[LABEL_COLUMN].notna(), "year"]
    if labelled.empty:
        raise ValueError("no row has a known relapse label: the data end before any "
                         "household's horizon does (too few years?)")
    return int(labelled.max()) - 1


def model_names(config: dict[str, Any]) -> tuple[str, ...]:
    """The models a fit compares: the baselines always, then ``models.names``."""
    return tuple(dict.fromkeys([*BASELINES, *config["models"]["names"]]))


@dataclass
class HeldOut:
    """One county left out (see :func:`county_holdout_splits`): its test rows' predictions by
    models fitted on the other counties, and the settings tuned without it."""

    county: str
    predictions: pd.DataFrame
    tuning: dict[str, Any]


def _loco_config(config: dict[str, Any]) -> dict[str, Any]:
    """The config of the leave-one-county-out fits: ``models.loco_max_train_rows`` caps them."""
    settings = config["models"]
    cap = settings["loco_max_train_rows"]
    return config if cap is None else {**config, "models": {**settings, "max_train_rows": cap}}


def held_out_counties(
    features: pd.DataFrame,
    config: dict[str, Any],
    models: tuple[str, ...] | None = None,
    only: str | None = None,
    keys: pd.DataFrame | None = None,
) -> list[HeldOut]:
    """Leave each county out in turn (``only``: that county alone, as its own pipeline job):
    tuned and fitted on the other counties' rows, scored on its own. A county without usable
    rows gives nothing. ``keys`` as in :func:`_fit_and_score`."""
    keys = features if keys is None else keys
    models = model_names(config) if models is None else models
    loco_config = _loco_config(config)
    out = []
    for county, tr, te in county_holdout_splits(keys, config):
        if only is not None and county != only:
            continue
        # tuned without the held-out county: its rows must not choose the settings it is
        # then tested with (tuning year or not)
        held_out = tune(features, loco_config, models, within=keys["county_id"] != county,
                        keys=keys)
        tuning = {k: held_out[k] for k in ("settings", "skipped") if k in held_out}
        predictions = _fit_and_score(features, tr, te, models, loco_config,
                                     desc=f"leaving out {county}", tuned=held_out["settings"],
                                     keys=keys)[0]
        out.append(HeldOut(str(county), predictions, tuning))
    return out


def fit_rows(
    keys: pd.DataFrame,
    config: dict[str, Any],
    models: tuple[str, ...] | None = None,
    out_of_time: bool = True,
    held_out: bool | str = False,
    test_rows: bool = True,
) -> np.ndarray:
    """Positions of the rows of ``keys`` (see :func:`load_keys`) that :func:`fit_models`
    reads (``out_of_time``) and :func:`held_out_counties` reads (``held_out``: True for every
    county, a county id for that one alone): each model's training rows, the tuning split
    and the test rows, decided by the same functions. A stage then loads only these
    (``load_features(..., rows=...)``): at province scale the households outside the
    samples and the years no split uses are most of the panel. Raises what the fit would.
    ``test_rows=False``: without the out-of-time test rows, for
    :func:`fit_out_of_time_models`, which scores no test year."""
    models = model_names(config) if models is None else models
    need = np.zeros(len(keys), dtype=bool)

    def add(cfg: dict[str, Any], train: pd.Series, test: pd.Series,
            within: pd.Series | None = None) -> None:
        nonlocal need
        if "gbm" in models:
            try:
                _, rows, val = tuning_split(keys, cfg, within)
                need |= rows.to_numpy(dtype=bool) | val.to_numpy(dtype=bool)
            except TuningSkipped:
                pass
        for name in models:
            need |= training_rows(keys, train, name, cfg).to_numpy(dtype=bool)
        need |= np.asarray(test, dtype=bool)

    if out_of_time:
        train, test = out_of_time_split(keys, train_until_year(keys, config),
                                        horizon=config["monitoring"]["horizon_quarters"])
        add(config, train, test & _at_risk(keys) if test_rows else np.zeros(len(keys), bool))
    if held_out:
        loco_config = _loco_config(config)
        for county, tr, te in county_holdout_splits(keys, config):
            if held_out is True or county == held_out:
                add(loco_config, tr, te, within=keys["county_id"] != county)
    return np.flatnonzero(need)


def load_planned(
    features_paths: list[str],
    truth_paths: list[str] | None,
    config: dict[str, Any],
    **plan: Any,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The keys of every labelled row and the features of the rows :func:`fit_rows` plans
    (``plan``: its arguments); pass both to :func:`fit_models` or
    :func:`held_out_counties`. When the plan cannot be made (no usable rows in a split,
    say), every row is loaded and is its own keys, so that the fit itself stops with its
    fuller message (it names the missing inputs, which the keys do not hold)."""
    keys = load_keys(features_paths)
    try:
        rows = fit_rows(keys, config, **plan)
    except ValueError:
        features = load_features(features_paths, truth_paths)
        return features, features
    return keys, load_features(features_paths, truth_paths, rows=rows, keys=keys)


def fit_out_of_time_models(
    features: pd.DataFrame,
    config: dict[str, Any],
    models: tuple[str, ...],
    keys: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The models :func:`fit_models` fits out of time (tuned the same way, on the same
    training rows), without scoring and evaluating its test year: for a stage that scores
    later years itself (drift), where that evaluation would be thrown away. ``features``
    may hold only the rows of ``fit_rows(keys, config, models, test_rows=False)``."""
    keys = features if keys is None else keys
    train, _ = out_of_time_split(keys, train_until_year(keys, config),
                                 horizon=config["monitoring"]["horizon_quarters"])
    tuning = tune(features, config, models, keys=keys)
    _, fitted = _fit_and_score(features, train, None, models, config,
                               tuned=tuning["settings"], keys=keys)
    return fitted


def fit_models(
    features: pd.DataFrame,
    config: dict[str, Any],
    models: tuple[str, ...] | None = None,
    county_holdout: bool | None = None,
    drivers: bool | None = None,
    held_out: list[HeldOut] | None = None,
    keys: pd.DataFrame | None = None,
) -> FitResult:
    """Out-of-time: train on years up to ``models.train_until_year``, score the next year;
    with ``county_holdout`` also leave one county out (see :func:`county_holdout_splits`);
    with ``drivers`` (and gbm among the models) the gbm's drivers on the test year.

    Only ``at_risk`` household-quarters (not already below the line or just identified) are
    scored, and all models but :data:`POPULATION_MODELS` are trained on them: an early
    warning is for households that have not yet fallen, and including those that have would
    let every model look good by flagging the already poor.

    ``models``, ``county_holdout`` and ``drivers`` default to the config's ``models.names``,
    ``models.leave_one_county_out`` and ``models.drivers``. ``held_out``: the held-out
    counties already fitted (the pipeline's ``fit_loco`` jobs, see :func:`held_out_counties`);
    None fits them here. ``keys``: what the masks run over when ``features`` holds only the
    rows :func:`fit_rows` planned (see :func:`load_keys`).
    """
    keys = features if keys is None else keys
    settings = config["models"]
    if models is None:  # the baselines are always compared, whatever the config lists
        models = model_names(config)
    if county_holdout is None:
        county_holdout = settings["leave_one_county_out"]
    drivers = settings["drivers"] if drivers is None else drivers
    until = train_until_year(keys, config)
    train, test = out_of_time_split(
        keys, until, horizon=config["monitoring"]["horizon_quarters"],
    )
    at_risk = _at_risk(keys)
    test = test & at_risk
    clock, cpu = time.perf_counter(), time.process_time()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:  # wall and CPU seconds (CPU: comparable on a busy machine)
        nonlocal clock, cpu
        now, now_cpu = time.perf_counter(), time.process_time()
        timings[name], timings[f"{name}_cpu"] = round(now - clock, 2), round(now_cpu - cpu, 2)
        clock, cpu = now, now_cpu

    tuning = tune(features, config, models, keys=keys)
    lap("tune")
    predictions, fitted = _fit_and_score(features, train, test, models, config,
                                         tuned=tuning["settings"], keys=keys)
    lap("fit_out_of_time")
    metrics = {
        "config_hash": config_hash(config),
        "train_until_year": until,
        "test_year": until + 1,
        "n_train": int((train & at_risk).sum()),
        "n_train_population": int(train.sum()),
        "n_train_villages": int(keys.loc[train & at_risk, "village_id"].nunique()),
        "n_test": int(test.sum()),
        "tuning": tuning,
        "fits": fit_reports(fitted),
    }
    if "vulnerability" in fitted and not isinstance(fitted["vulnerability"], NotFittedModel):
        metrics["vulnerability"] = vulnerability_summary(
            fitted["vulnerability"], predictions["score_vulnerability"],
            predictions[LABEL_COLUMN])
        if not metrics["vulnerability"]["in_comparisons"]:
            predictions = predictions.drop(columns="score_vulnerability")
    metrics["out_of_time"] = evaluate_predictions(predictions, models, config)
    lap("evaluate_out_of_time")
    county_predictions = None
    if county_holdout:
        if held_out is None:
            held_out = held_out_counties(features, config, models, keys=keys)
        parts = [h.predictions for h in held_out]
        metrics["leave_one_county_out_tuning"] = {h.county: h.tuning for h in held_out}
        county_predictions = pd.concat(parts, ignore_index=True) if parts else None
        if county_predictions is not None and "score_vulnerability" not in predictions:
            county_predictions = county_predictions.drop(columns="score_vulnerability",
                                                         errors="ignore")
        lap("fit_leave_one_county_out")
        metrics["leave_one_county_out"] = (
            evaluate_predictions(county_predictions, models, config) if parts else {}
        )
        lap("evaluate_leave_one_county_out")
    table = None
    if drivers and "gbm" in fitted and not isinstance(fitted["gbm"], NotFittedModel):
        names = list(fitted["gbm"].feature_names_in_)
        rows = int(settings["drivers_rows"])
        data = sample_rows(features, test, rows, fitted["gbm"].random_state,
                           list(dict.fromkeys([*names, LABEL_COLUMN])))
        table = fitted["gbm"].risk_drivers(
            data[names], data[LABEL_COLUMN], max_rows=rows, pdp_rows=max(rows // 10, 100)
        )
        del data
        table = table.assign(model="gbm")[["model", *DRIVER_COLUMNS]]
        lap("drivers")
    return FitResult(
        predictions=predictions,
        metrics=metrics,
        models=fitted,
        county_predictions=county_predictions,
        drivers=table,
        timings=timings,
    )


def vulnerability_summary(model: Any, scores: pd.Series, y: pd.Series) -> dict[str, Any]:
    """Share of test rows at or above each vulnerability line (0.5, the training headcount),
    mean vulnerability over the horizon (``scores``: the model's on the test rows) and the
    observed relapse rate, for models.json."""
    tab = model.summary_of(scores.to_numpy(dtype=float), y)
    mean, observed = tab.attrs["mean_vulnerability"], tab.attrs["observed_headcount"]
    ratio = mean / observed if observed > 0 else float("nan")
    within = bool(np.isfinite(ratio) and 1 / VULNERABILITY_MAX_FACTOR <= ratio
                  <= VULNERABILITY_MAX_FACTOR)
    return {
        "lines": {r.line: r.threshold for r in tab.itertuples()},
        "share_vulnerable": {r.line: r.share_vulnerable for r in tab.itertuples()},
        "mean_vulnerability": mean,
        "observed_rate": observed,
        "mean_to_observed": ratio,
        "variance": model.variance,
        "in_comparisons": within,
        "note": None if within else (
            f"mean vulnerability {mean:.4f} is {ratio:.2f} x the observed rate {observed:.4f} "
            f"(outside 1/{VULNERABILITY_MAX_FACTOR}-{VULNERABILITY_MAX_FACTOR}): a probability "
            "this far off is not a risk score to compare; left out of the comparisons"),
    }


VULNERABILITY_MAX_FACTOR = 1.5
"""The vulnerability model stays in the comparisons only when its mean is within this factor
of the observed relapse rate of the test year."""


def evaluate_predictions(
    predictions: pd.DataFrame, models: tuple[str, ...], config: dict[str, Any]
) -> dict[str, dict[str, dict[str, Any]]]:
    """Metrics per scope (``pooled`` and each county) and scored model, all on the same
    village replicates (:func:`relapse_models.models.evaluation.evaluate_scores`); ``oracle`` when
    the true probability is known. Each model's ``comparisons`` are its paired differences
    with the best baseline (and, for gbm, with the logit) and its ratios to the oracle, each
    with an interval and the winner when the interval excludes 0. A model that was not
    fitted has no score column and is left out here (``fits`` in models.json says why)."""
    settings = config["models"]
    scopes = {"pooled": np.ones(len(predictions), dtype=bool)}
    scopes |= {c: (predictions["county_id"] == c).to_numpy() for c in predictions["county_id"].unique()}
    has_truth = "true_prob" in predictions and predictions["true_prob"].notna().any()
    scored = [m for m in models if f"score_{m}" in predictions]
    if len(scopes) == 2:  # one county: its scope is the pooled one, computed once below
        scopes = {c: m for c, m in scopes.items() if c != "pooled"}
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for scope, mask in tqdm(scopes.items(), desc="evaluating", unit="scope"):
        part = predictions[mask]
        n_households = part["household_id"].nunique()
        share = capacity_share(n_households, config["capacity"])
        scores = {name: part[f"score_{name}"] for name in scored}
        if has_truth:
            scores["oracle"] = part["true_prob"]
        metrics, comparisons = evaluate_scores(
            part[LABEL_COLUMN], scores, groups=part["village_id"], capacity_share=share,
            baselines=BASELINES, oracle="oracle" if has_truth else None,
            n_boot=settings["bootstrap"], seed=stage_seed(config["seed"], "evaluate"),
            min_clusters=int(settings["min_clusters"]),
            min_positive_clusters=int(settings["min_positive_clusters"]),
        )
        for name, m in metrics.items():
            m["comparisons"] = [c for c in comparisons if c["b"] == name]
        if "rule" in metrics:  # a share of triggers met is not a probability
            rule = metrics["rule"]
            for k in ("brier", "ece", "ece_relative", "o_e"):
                rule[k], rule[f"{k}_ci"] = float("nan"), [float("nan"), float("nan")]
            rule.pop("calibration_deciles", None)
            rule["calibration_note"] = "the rule's score is a share of triggers, not a probability"
        if has_truth:
            oracle_auc = metrics["oracle"]["auc"]
            for name in scored:
                metrics[name]["oracle_auc"] = oracle_auc
                metrics[name]["auc_to_oracle"] = metrics[name]["auc"] / oracle_auc
                ratio = next(c for c in metrics[name]["comparisons"]
                             if c["against"] == "oracle" and c["metric"] == "auc")
                metrics[name]["auc_to_oracle_ci"] = ratio["ci"]
        out[scope] = metrics
    if "pooled" not in out:  # same rows, same bootstrap seed: the same metrics
        out = {"pooled": next(iter(out.values())), **out}
    return out


COMPARISON_COLUMNS = ["scope", "b", "against", "a", "metric", "kind", "b_value", "a_value",
                      "estimate", "ci_low", "ci_high", "winner", "ci_withheld"]


def comparison_table(metrics: dict[str, Any], scheme: str = "out_of_time") -> pd.DataFrame:
    """Every paired comparison of ``scheme`` (all scopes) as one table: model ``b`` against
    ``a`` (the best baseline, the logit or the oracle), the metric, both values, the
    difference (or ratio) with its interval and the winner (empty when the interval spans 0,
    or the reason the interval is withheld)."""
    rows = [
        {"scope": scope, **{k: c[k] for k in ("b", "against", "a", "metric", "kind", "b_value",
                                                "a_value", "estimate", "winner", "ci_withheld")},
         "ci_low": c["ci"][0], "ci_high": c["ci"][1]}
        for scope, by_model in metrics.get(scheme, {}).items()
        for m in by_model.values() for c in m.get("comparisons", [])
    ]
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def coefficient_table(result: FitResult) -> pd.DataFrame:
    """Odds ratios of the logit with 95 % intervals (the inference its number of clusters
    allows; see :mod:`relapse_models.models.logit`), as researchers publish. Empty (same
    columns) when the logit was not fitted."""
    model = result.models.get("logit")
    if model is None or isinstance(model, NotFittedModel):
        return pd.DataFrame(columns=["term", "coef", "se", "odds_ratio", "ci_low", "ci_high",
                                     "p_value", "flag"])
    table = model.odds_ratios()
    return table.reset_index(names="term") if "term" not in table.columns else table


def forest_rows(
    table: pd.DataFrame, effect: str = "odds_ratio", limit: float = 1e4
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split an effects table into the rows a log-scale forest plot can show and those it
    cannot: an effect or interval bound that is not finite or beyond ``limit``-fold either
    way (a term with too few events in a small county: quasi-separation). Both are shown
    in the notebook, the second as a list, so no term disappears. The intercept (a baseline
    odds, often far below 1e-4, and left out of the plot anyway) always stays in the first."""
    values = table[[effect, "ci_low", "ci_high"]].astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = np.isfinite(values).all(axis=1) & (np.abs(np.log(values)) <= np.log(limit)).all(axis=1)
    ok |= (table["term"] == "Intercept").to_numpy()
    return table[ok], table[~ok]


def model_path(directory: str | os.PathLike[str], name: str, config: dict[str, Any]) -> Path:
    """``<directory>/<model>-<config hash>.pkl``: a model file names the config it came from."""
    return Path(directory) / f"{name}-{config_hash(config)}.pkl"


def save_models(
    models: dict[str, Any], directory: str | os.PathLike[str], config: dict[str, Any]
) -> dict[str, str]:
    """Pickle each fitted model (joblib) to :func:`model_path`; model name -> path."""
    paths = {}
    for name, model in models.items():
        path = model_path(directory, name, config)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".pkl.tmp")
        joblib.dump(model, tmp)
        tmp.replace(path)
        paths[name] = str(path)
    return paths


def load_model(path: str | os.PathLike[str]) -> Any:
    """A model saved by :func:`save_models`. Load through this function rather than at a
    script's top level: statsmodels rebuilds a formula model's design on unpickling and looks
    for a caller's frame, which a bare top-level ``pickle.load`` does not have."""
    return joblib.load(path)


def drivers_table(result: FitResult) -> pd.DataFrame:
    """The gbm's drivers (an empty table with the same columns when gbm was not fitted)."""
    if result.drivers is None:
        return pd.DataFrame(columns=["model", *DRIVER_COLUMNS])
    return result.drivers


def transfer_table(metrics: dict[str, Any]) -> pd.DataFrame:
    """Per county and model: AUC trained without the county next to the out-of-time AUC,
    their difference (what a county without its own history loses) and the held-out ECE."""
    rows = [
        {"county_id": county, "model": name, "auc_loco": m["auc"],
         "auc_out_of_time": metrics["out_of_time"][county][name]["auc"],
         "auc_difference": m["auc"] - metrics["out_of_time"][county][name]["auc"],
         "ece_loco": m["ece"]}
        for county, by_model in metrics.get("leave_one_county_out", {}).items()
        for name, m in by_model.items()
    ]
    columns = ["county_id", "model", "auc_loco", "auc_out_of_time", "auc_difference", "ece_loco"]
    return pd.DataFrame(rows, columns=columns)


def run(
    features_paths: list[str],
    truth_paths: list[str] | None,
    config: dict[str, Any],
    metrics_path: str | os.PathLike[str],
    coefficients_path: str | os.PathLike[str],
    predictions_path: str | os.PathLike[str],
    drivers_path: str | os.PathLike[str] | None = None,
    models_dir: str | os.PathLike[str] | None = None,
    county_holdout: bool | None = None,
    drivers: bool | None = None,
    held_out_dir: str | os.PathLike[str] | None = None,
) -> FitResult:
    """Fit, evaluate and write the model stage's outputs: predictions, coefficients,
    metrics, the drivers table (default ``drivers.csv`` beside the metrics; not written when
    ``drivers`` is False and no path is given) and the fitted models (default: the
    predictions' folder, see :func:`model_path`). ``county_holdout`` and ``drivers`` as in
    :func:`fit_models` (None: from the config); the per-county jobs pass False for both.
    ``held_out_dir``: the held-out counties' jobs wrote their fits there (see
    :func:`run_held_out`); None fits them here."""
    in_process = (config["models"]["leave_one_county_out"] if county_holdout is None
                  else county_holdout) and not held_out_dir
    keys, features = load_planned(features_paths, truth_paths, config, held_out=bool(in_process))
    held_out = None
    if held_out_dir:
        counties = [str(c) for c in pd.unique(keys["county_id"])]
        held_out = read_held_out(held_out_dir, counties)
    result = fit_models(features, config, county_holdout=county_holdout, drivers=drivers,
                        held_out=held_out, keys=keys)
    if drivers_path is None and drivers is not False:
        drivers_path = Path(metrics_path).parent / "drivers.csv"
    models_dir = Path(predictions_path).parent if models_dir is None else models_dir
    write_parquet(result.predictions, predictions_path)
    write_csv(coefficient_table(result), coefficients_path)
    if drivers_path:
        write_csv(drivers_table(result), drivers_path)
    result.metrics["model_files"] = save_models(result.models, models_dir, config)
    write_json(result.metrics, metrics_path)
    return result


def write_pooled_inputs(
    features_paths: list[str], truth_paths: list[str], path: str | os.PathLike[str]
) -> None:
    """Every county's features and truth files, in county order, as one file: each held-out
    fit reads them all, so the pipeline makes them one dependency of every ``fit_loco`` job
    (with one input per county per job, a DAG of n counties had n**2 edges)."""
    write_json({"features": list(features_paths), "truth": list(truth_paths)}, path)


def read_pooled_inputs(path: str | os.PathLike[str]) -> tuple[list[str], list[str]]:
    """The features and truth files written by :func:`write_pooled_inputs`."""
    record = read_json(path)
    return list(record["features"]), list(record["truth"])


def run_held_out(
    features_paths: list[str],
    truth_paths: list[str] | None,
    config: dict[str, Any],
    county: str,
    predictions_path: str | os.PathLike[str],
    tuning_path: str | os.PathLike[str],
) -> HeldOut | None:
    """One county left out, as its own job (the pipeline's ``fit_loco``): its predictions and
    its tuning record (``held_out`` false, and empty predictions, when the county has no
    usable rows), which :func:`run` combines with ``held_out_dir``."""
    keys, features = load_planned(features_paths, truth_paths, config, out_of_time=False,
                                  held_out=county)
    found = held_out_counties(features, config, only=county, keys=keys)
    result = found[0] if found else None
    write_parquet(result.predictions if result else pd.DataFrame(), predictions_path)
    write_json({"county": county, "held_out": result is not None,
                "tuning": result.tuning if result else {}}, tuning_path)
    return result


def read_held_out(directory: str | os.PathLike[str], counties: list[str]) -> list[HeldOut]:
    """The held-out counties written by :func:`run_held_out` under ``<directory>/<county>/``,
    in the order of ``counties``; a county that had no usable rows is left out."""
    out = []
    for county in counties:
        folder = Path(directory) / county
        record = read_json(folder / "tuning.json")
        if record["held_out"]:
            out.append(HeldOut(county, read_parquet(folder / "predictions.parquet"),
                               record["tuning"]))
    return out


def county_paths(directory: str, counties: list[str], name: str) -> list[str]:
    """``<directory>/<county>/<name>`` for each county."""
    return [str(Path(directory) / c / name) for c in counties]
