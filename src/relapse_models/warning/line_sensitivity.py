"""How the label and the official rule move when the monitoring line moves: the features at
scaled lines, rebuilt in blocks of whole households from the base features where they do not
depend on the line."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from relapse_models.core.config import default_config
from relapse_models.core.lines import line_for_years
from relapse_models.core.panel import KEY_STRIDE, sort_panel
from relapse_models.core.quarters import quarter_index
from relapse_models.core.schema import INCOME_COLUMNS
from relapse_models.models import RuleModel
from relapse_models.models.rule import rule_params
from relapse_models.outcome import relapse as lab
from relapse_models.outcome.features import RULE_INPUTS, build_features

log = logging.getLogger(__name__)


def scale_lines(lines: Mapping[int, float], multiplier: float) -> dict[int, float]:
    """Every year's line times ``multiplier``."""
    return {int(y): float(v) * multiplier for y, v in lines.items()}


LINE_BLOCK_ROWS = 1_000_000
"""Panel rows per block of households in :func:`line_sensitivity` (bounds its memory)."""

STATE_COLUMNS: list[str] = ["household_id", "year", "quarter", *INCOME_COLUMNS,
                            "production_cost"]
"""The panel columns the relapse state reads: all :func:`line_sensitivity` reads of the panel
when the base features give the triggers (a fraction of the whole panel's memory)."""


def probe_triggers(
    households: pd.DataFrame,
    panel: pd.DataFrame,
    events: pd.DataFrame,
    lines: Mapping[int, float],
    config: Mapping | None = None,
) -> list[str]:
    """The rule's trigger columns the data can give: a trigger whose domain the data lack
    (real exports) is left out, as the rule leaves it out; the features of the panel's first
    household say which (``panel`` may hold that household's rows only)."""
    config = default_config() if config is None else config
    first = panel["household_id"].iloc[:1]
    probe = build_features(households, panel[panel["household_id"].isin(first)], events, lines,
                           config)
    return [c for c in RULE_INPUTS if c in probe]


def _features_at_lines(
    households: pd.DataFrame,
    panel: pd.DataFrame,
    events: pd.DataFrame,
    lines: Mapping[int, float],
    multipliers: Sequence[float],
    config: Mapping | None,
    year: int | None = None,
    max_rows: int = LINE_BLOCK_ROWS,
    base_features: pd.DataFrame | None = None,
    triggers: Sequence[str] | None = None,
    full_panel: Callable[[], pd.DataFrame] | None = None,
) -> list[tuple[float, pd.DataFrame]]:
    """``(multiplier, features)`` in the order of ``multipliers``: the rows of ``year`` (all if
    None) of the features at the scaled line, with the columns :func:`line_sensitivity` reads:
    the keys, the rule's triggers and those that move with the line (``income_ratio``,
    ``line``, ``relapse_event``, ``at_risk``, ``relapse_in_quarters``, ``relapse``), the latter
    recomputed as ``build_features`` computes them (relapse state and label from
    :mod:`relapse_models.outcome.relapse` on the scaled lines, ratio to the scaled line). The same
    numbers as a full rebuild per line (tested) for a fraction of the work. Every column read
    is within-household, so the features are built in blocks of whole households of at most
    about ``max_rows`` panel rows (bounded memory). The keys and line-free triggers are kept
    once and shared by every multiplier's frame (copy-on-write): only the columns that move
    with the line are held per multiplier.

    ``base_features``: the county's features (``household_id, year, quarter`` and the rule's
    trigger columns, any row order, e.g. ``features.parquet``): the triggers that do not move
    with the line are taken from it instead of rebuilding every feature; the first row per
    key counts. When it lacks a needed row or column, the features are rebuilt.

    ``triggers``: :func:`probe_triggers` when already known (default: probed on ``panel``).
    ``full_panel``: returns the whole panel; given, ``panel`` may hold only
    :data:`STATE_COLUMNS` (and ``triggers`` must be given): the whole panel is then only
    read for a rebuild."""

    config = default_config() if config is None else config
    horizon = int(config["monitoring"]["horizon_quarters"])
    triggers = (probe_triggers(households, panel, events, lines, config) if triggers is None
                else list(triggers))
    columns = ["household_id", "year", "quarter", *triggers, "line", "relapse_event", "at_risk",
               "relapse_in_quarters", "relapse"]
    code, ids = pd.factorize(panel["household_id"], sort=True)
    at_base = (None if base_features is None
               else _base_rows(base_features, panel, code, ids, triggers, year))
    if at_base is None and full_panel is not None:  # a rebuild reads every column
        panel = full_panel()
        code, ids = pd.factorize(panel["household_id"], sort=True)
    # blocks of whole households in id order (the row order of one build on all of them)
    rows_per_hh = np.bincount(code[code >= 0]) if len(code) else np.zeros(0, int)
    start = np.cumsum(rows_per_hh) - rows_per_hh
    cuts = np.flatnonzero(np.diff(start // max(int(max_rows), 1), prepend=-1))
    bounds = list(zip(cuts, [*cuts[1:], len(rows_per_hh)], strict=True))
    if at_base is not None:  # only the columns the relapse state reads (copies are slow)
        panel = panel[STATE_COLUMNS]
    fixed_parts: list[pd.DataFrame] = []
    parts: list[list[pd.DataFrame]] = [[] for _ in multipliers]
    for lo, hi in bounds or [(0, 0)]:
        in_block = (code >= lo) & (code < hi)
        block = panel[in_block] if len(bounds) > 1 else panel
        df, fixed = _block_at_base_line(households, block, events, lines, config, triggers,
                                        None if at_base is None
                                        else (at_base[0], at_base[1][in_block]))
        sel = (np.ones(len(df), dtype=bool) if year is None
               else df["year"].to_numpy() == year)
        fixed_parts.append(fixed[sel].reset_index(drop=True))
        inc = df["income_pc_4q"].to_numpy()
        identified = df["identified_now"].to_numpy(dtype=bool)
        for i, m in enumerate(multipliers):  # a handful of lines; each is vectorised
            # the relapse state (outcome.relapse.relapse_state) on the scaled line (the
            # income and identifications do not move with the line: computed once per block)
            line = line_for_years(df["year"], scale_lines(lines, float(m)))
            state = lab.relapse_state(inc, line, identified)
            df["line"], df["relapse_event"] = line, state
            df = lab.add_label(df, horizon)
            event = lab.float_to_boolean(state[sel])
            parts[i].append(pd.DataFrame({
                "income_ratio": inc[sel] / line[sel],
                "line": line[sel],
                "relapse_event": event,
                "at_risk": (pd.Series(event) == False).fillna(False).astype(bool),  # noqa: E712
                "relapse_in_quarters": df["relapse_in_quarters"].array[sel],
                "relapse": df["relapse"].array[sel],
            }))
    fixed = pd.concat(fixed_parts, ignore_index=True)
    del fixed_parts
    out = []
    for i, m in enumerate(multipliers):
        f = pd.concat([fixed, pd.concat(parts[i], ignore_index=True)], axis=1)
        parts[i] = []  # this multiplier's blocks are in ``f`` now
        out.append((float(m), f[[c for c in columns if c in f]]))
    return out


def _block_at_base_line(
    households: pd.DataFrame,
    block: pd.DataFrame,
    events: pd.DataFrame,
    lines: Mapping[int, float],
    config: Mapping | None,
    triggers: list[str],
    base_rows: tuple[pd.DataFrame, np.ndarray] | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A block of the panel sorted as ``build_features`` sorts it, with its relapse state on
    ``lines``, and the keys and line-free triggers (all but ``income_ratio``) in that order:
    from the base features (``base_rows``: the frame and its row per block row) or rebuilt."""
    keys = ["household_id", "year", "quarter"]
    line_free = [c for c in triggers if c != "income_ratio"]
    df = sort_panel(block[[*keys, *INCOME_COLUMNS, "production_cost"]], households)
    if base_rows is None:
        built = build_features(households, block, events, lines, config)
        fixed = built[keys + [c for c in line_free if c in built]]
    else:
        base, rows = base_rows
        at = rows[df["_row"].to_numpy()]
        fixed = df[keys].copy()
        for c in line_free:  # NaN on rows the base lacks (outside the year evaluated)
            fixed[c] = np.where(at >= 0, base[c].to_numpy(dtype=float)[at], np.nan)
    df = lab.add_relapse_state(df, events, lines)
    return df, fixed.reset_index(drop=True)


def _base_rows(
    base: pd.DataFrame,
    panel: pd.DataFrame,
    code: np.ndarray,
    ids: pd.Index,
    triggers: list[str],
    year: int | None,
) -> tuple[pd.DataFrame, np.ndarray] | None:
    """``(base, row of base per panel row)`` matched on the keys by integer codes (``code``,
    ``ids``: the panel's household codes and ids); the first base row per key. None (features
    rebuilt) when the base lacks a trigger column or a row of ``year`` (any year if None)."""

    missing = [c for c in ["household_id", "year", "quarter", *triggers] if c not in base]
    if missing:
        log.warning("base features lack %s: line sensitivity rebuilds them", missing)
        return None
    # only the base rows of the year evaluated are read: match those (ids are slow to hash)
    sub = (np.arange(len(base)) if year is None
           else np.flatnonzero(base["year"].to_numpy() == year))
    b = base.iloc[sub]
    b_code = pd.Index(ids).get_indexer(b["household_id"])
    b_key = b_code * KEY_STRIDE + quarter_index(b["year"], b["quarter"])
    p_key = code * KEY_STRIDE + quarter_index(panel["year"], panel["quarter"])
    order = np.argsort(b_key, kind="stable")  # stable: the first base row per key
    pos = np.clip(np.searchsorted(b_key[order], p_key), 0, max(len(order) - 1, 0))
    found = (b_key[order][pos] == p_key) & (code >= 0) if len(order) else code < -1
    need = np.ones(len(panel), bool) if year is None else panel["year"].to_numpy() == year
    if (need & ~found).any():
        log.warning("base features miss %d panel rows: line sensitivity rebuilds them",
                    int((need & ~found).sum()))
        return None
    return base, np.where(found, sub[order[pos]] if len(order) else -1, -1)


def line_sensitivity(
    households: pd.DataFrame,
    panel: pd.DataFrame,
    events: pd.DataFrame,
    lines: Mapping[int, float],
    multipliers: Sequence[float] = (1.0, 1.1, 1.2, 1.5),
    config: Mapping | None = None,
    year: int | None = None,
    flags: pd.DataFrame | None = None,
    base_features: pd.DataFrame | None = None,
    triggers: Sequence[str] | None = None,
    full_panel: Callable[[], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """How the label and the official rule move when the monitoring line moves.

    For each multiplier ``m`` the features and label are rebuilt with every line times ``m``
    (:func:`relapse_models.outcome.features.build_features`, vectorised): the relapse state, the label
    and the rule's income trigger all use the scaled line. On the rows of ``year`` (all years if
    None) with a known label and income:

    - ``below_line_share``: share already in the relapse state (out of the early-warning
      population), ``rule_flagged_share_all``: share the official rule (any trigger,
      ``config["rule"]``) flags among all of them: the screening load the line implies;
    - among the at-risk rows: ``n``, ``n_pos``, ``prevalence``, and per score ``flagged_n``,
      ``flagged_share``, ``recall``, ``precision``: score ``rule`` is the official rule on the
      scaled line; ``flags`` (``household_id, year, quarter`` and boolean columns, e.g. each
      model's flag at its threshold on the base line) are judged against the scaled label on
      the rows they cover (``n_scored``).

    ``base_features``: the county's features at the base line (keys and the rule's trigger
    columns, e.g. ``features.parquet``): the triggers that do not move with the line are read
    from it rather than rebuilt (same numbers, much faster). ``triggers`` and ``full_panel``
    (then ``panel`` may hold only :data:`STATE_COLUMNS`): see :func:`_features_at_lines`;
    the same numbers with a fraction of the panel in memory.

    Long format: one row per (multiplier, score); ``line`` is ``year``'s scaled line.
    """

    config = default_config() if config is None else config
    rule = RuleModel(**rule_params(dict(config)))
    rows = []
    keys = ["household_id", "year", "quarter"]
    at_lines = _features_at_lines(households, panel, events, lines, multipliers, config, year,
                                  base_features=base_features, triggers=triggers,
                                  full_panel=full_panel)
    for m, f in at_lines:
        scaled = scale_lines(lines, float(m))
        f = f[f["relapse"].notna() & f["income_ratio"].notna()].reset_index(drop=True)
        at_risk = f["at_risk"].to_numpy(dtype=bool)
        y = f["relapse"].astype(bool).to_numpy()
        rule_flag = rule.fit(f).predict(f)
        base = {
            "multiplier": float(m),
            "line": scaled.get(int(year), np.nan) if year is not None else np.nan,
            "rows": len(f),
            "below_line_share": float(np.mean(~at_risk)) if len(f) else np.nan,
            "rule_flagged_share_all": float(np.mean(rule_flag)) if len(f) else np.nan,
            "n": int(at_risk.sum()),
            "n_pos": int(y[at_risk].sum()),
            "prevalence": float(y[at_risk].mean()) if at_risk.any() else np.nan,
        }
        scored: dict[str, tuple[np.ndarray, np.ndarray]] = {
            "rule": (rule_flag[at_risk], np.ones(int(at_risk.sum()), dtype=bool))
        }
        if flags is not None:
            merged = f.loc[at_risk, keys].merge(flags, on=keys, how="left")
            for col in (c for c in flags.columns if c not in keys):
                v = merged[col]
                scored[col] = (v.fillna(False).astype(bool).to_numpy(), v.notna().to_numpy())
        ya = y[at_risk]
        for name, (flag, covered) in scored.items():
            fl, yy = flag[covered], ya[covered]
            tp = int((fl & yy).sum())
            rows.append({
                **base,
                "score": name,
                "n_scored": int(covered.sum()),
                "flagged_n": int(fl.sum()),
                "flagged_share": float(fl.mean()) if len(fl) else np.nan,
                "recall": tp / yy.sum() if yy.sum() else np.nan,
                "precision": tp / fl.sum() if fl.sum() else np.nan,
            })
    return pd.DataFrame(rows)
