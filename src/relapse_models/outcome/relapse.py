"""The relapse label, built only from observable tables.

A household-quarter ``t`` is **positive** when, in one of the quarters ``t+1 .. t+H``, the
household is *in the relapse state*: its rolling 4-quarter per-capita net income

    (wage + operating + property + transfer - production_cost), summed over the last 4
    quarters, divided by household_size

is below that quarter's year's monitoring line, or it receives an ``identified`` event
(识别纳入监测) in that quarter. The synthetic generator writes ``truth.relapse_next_4q`` with
the same definition, so models trained on this label can be compared with the oracle.

Missing, not negative: a quarter whose horizon runs past the end of the data, or touches a
quarter whose state is unknown (a missing panel row, or one of the first three quarters of a
household, where the 4-quarter window is incomplete), gets ``<NA>``. Labelling such quarters
negative would bias every metric towards the model that predicts "no relapse" near the data end.

Everything here is vectorised over a panel sorted by household and quarter; lags and leads are
plain array shifts that check the household and the quarter distance, so gaps in a household's
panel give ``NaN`` instead of silently pairing non-adjacent quarters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from relapse_models.core.lines import Lines, line_for_years
from relapse_models.core.panel import (
    KEY_STRIDE,
    horizon_periods,
    household_codes,
    rolling_sum,
    shift,
    sort_panel,
)
from relapse_models.core.quarters import period_index
from relapse_models.core.schema import INCOME_COLUMNS


def net_income(panel: pd.DataFrame) -> pd.Series:
    """Household net income in the period: the export's net income (``income_net``, 纯收入)
    when it gives one, else the income components it has minus production cost (when it
    has it: 经营净收入 is already net of it). An absent component is not part of the export,
    not a zero; a missing amount in a present one stays missing."""
    if "income_net" in panel.columns:
        return panel["income_net"].astype(float)
    have = [c for c in INCOME_COLUMNS if c in panel.columns]
    if not have:
        raise ValueError("panel has no income column (income_net or one of "
                         f"{list(INCOME_COLUMNS)})")
    total = panel[have].astype(float).sum(axis=1, min_count=len(have))
    if "production_cost" in panel.columns:
        total = total - panel["production_cost"].astype(float)
    return total


def identified_quarters(events: pd.DataFrame, ppy: int = 4) -> pd.DataFrame:
    """Distinct (household_id, qidx) with an ``identified`` event (qidx: the period index
    of the event's date, :func:`period_index`)."""
    ev = events.loc[events["event"] == "identified", ["household_id", "date"]]
    dates = pd.to_datetime(ev["date"])
    out = pd.DataFrame(
        {
            "household_id": ev["household_id"].to_numpy(),
            "qidx": period_index(dates.dt.year, dates.dt.quarter, ppy),
        }
    )
    return out.drop_duplicates()


# --- state and label ----------------------------------------------------------------------


def add_relapse_state(
    df: pd.DataFrame, events: pd.DataFrame, lines: Lines, window: int | None = None
) -> pd.DataFrame:
    """Add ``income_pc_4q``, ``line``, ``identified_now`` and ``relapse_event`` to a panel
    sorted by :func:`sort_panel`.

    ``income_pc_4q`` is the income of the last 12 months per person: the sum over the last
    ``window`` periods (default: one year of the panel's periods, 4 quarters or 1 year).
    On an annual panel it is the year's income, compared with the same year's line, so a
    relapse is never an artefact of the layout. ``relapse_event`` is the relapse *state* in
    the period: float 1/0, ``NaN`` when the income window is incomplete and no
    identification happened (state unknown).
    """
    ppy = int(df.attrs.get("periods_per_year", 4))
    window = ppy if window is None else window
    hh, q = df["_hh"].to_numpy(), df["qidx"].to_numpy()
    net = net_income(df).to_numpy(dtype=float)
    df["income_pc_4q"] = rolling_sum(net, hh, q, window) / df["household_size"].to_numpy(float)
    df["line"] = line_for_years(df["year"], lines)
    ident = identified_quarters(events, ppy)
    ev_hh = household_codes(df, ident["household_id"])
    ev_key = ev_hh[ev_hh >= 0] * KEY_STRIDE + ident["qidx"].to_numpy()[ev_hh >= 0]
    df["identified_now"] = np.isin(hh * KEY_STRIDE + q, ev_key)
    df["relapse_event"] = relapse_state(
        df["income_pc_4q"].to_numpy(), df["line"].to_numpy(), df["identified_now"].to_numpy()
    )
    return df


def relapse_state(income_pc_4q: np.ndarray, line: np.ndarray, identified: np.ndarray
                  ) -> np.ndarray:
    """The relapse state per row: 1 below the line or identified in the quarter, 0 above,
    NaN when the income window is incomplete and nothing was identified. One function, so
    the line sensitivity's scaled lines apply exactly the pipeline's rule."""
    state = np.where(np.isnan(income_pc_4q), np.nan, (income_pc_4q < line).astype(float))
    state[np.asarray(identified, dtype=bool)] = 1.0
    return state


def add_label(df: pd.DataFrame, horizon: int = 4) -> pd.DataFrame:
    """Add ``relapse`` (nullable boolean) and ``relapse_in_quarters`` (Int64: quarters from t
    to the first relapse-state period within the horizon, ``<NA>`` unless positive).
    ``horizon`` is in quarters (4 = one year, also on an annual panel).

    Needs ``relapse_event`` from :func:`add_relapse_state`; the frame must be sorted."""
    if horizon < 1:
        raise ValueError("horizon must be >= 1")
    ppy = int(df.attrs.get("periods_per_year", 4))
    step = 4 // ppy  # quarters per period
    horizon = horizon_periods(horizon, ppy)
    hh, q = df["_hh"].to_numpy(), df["qidx"].to_numpy()
    ev = df["relapse_event"].to_numpy(dtype=float)
    ahead = np.column_stack([shift(ev, hh, q, -k) for k in range(1, horizon + 1)])
    known = ~np.isnan(ahead).any(axis=1)
    hit = np.nan_to_num(ahead, nan=0.0) > 0
    positive = hit.any(axis=1)
    label = pd.array(np.where(known, positive, False), dtype="boolean")
    label[~known] = pd.NA
    df["relapse"] = label
    first = (hit.argmax(axis=1) + 1) * step
    df["relapse_in_quarters"] = pd.array(np.where(known & positive, first, 0), dtype="Int64")
    df.loc[~(known & positive), "relapse_in_quarters"] = pd.NA
    return df


def relapse_label(
    households: pd.DataFrame,
    panel: pd.DataFrame,
    events: pd.DataFrame,
    lines: Lines,
    horizon: int = 4,
) -> pd.DataFrame:
    """The relapse label for every panel row, in the panel's own row order.

    Returns a frame indexed like ``panel`` with ``relapse`` (boolean, ``<NA>`` when the horizon
    is not fully observed), ``relapse_in_quarters``, ``relapse_event`` (state in the quarter),
    ``income_pc_4q`` and ``line``.
    """
    df = sort_panel(panel, households)
    df = add_relapse_state(df, events, lines)
    df = add_label(df, horizon)
    df["relapse_event"] = float_to_boolean(df["relapse_event"].to_numpy())
    cols = ["relapse", "relapse_in_quarters", "relapse_event", "income_pc_4q", "line"]
    out = df.sort_values("_row")[cols].reset_index(drop=True)
    out.index = panel.index
    return out


def float_to_boolean(values: np.ndarray) -> pd.arrays.BooleanArray:
    """1/0/NaN floats -> nullable boolean."""
    values = np.asarray(values, dtype=float)
    out = pd.array(np.nan_to_num(values, nan=0.0) > 0, dtype="boolean")
    out[np.isnan(values)] = pd.NA
    return out


def as_float_label(y: ArrayLike) -> np.ndarray:
    """Any label (bool, nullable boolean, 0/1, with NA) -> float array with NaN for missing.

    A plain numpy bool, integer or float label is cast directly (the same numbers); only
    the others (nullable, object) take the detour through pandas' ``Float64``, which costs
    seconds at millions of rows."""
    dtype = getattr(y, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        return np.asarray(y, dtype=float)
    return (
        pd.Series(np.asarray(y, dtype=object))
        .astype("Float64")
        .to_numpy(dtype=float, na_value=np.nan)
    )
