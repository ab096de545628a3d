"""Small-cell suppression: the one place that replaces a published number by ``"<min_cell"``.

Analysis decides which cells are too small (e.g.
:func:`relapse_models.warning.equity.small_cells`) and returns raw numbers; the report masks
them here, keeping the row so a reader sees that the cell exists but is too small to show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relapse_models.warning.equity import (
    COUNT_COLUMNS,
    EPISODE_COUNT_COLUMNS,
    EPISODE_VALUE_COLUMNS,
    VALUE_COLUMNS,
)

SUPPRESSED = "<{min_cell}"


def mask_cells(
    df: pd.DataFrame, columns: list[str], rows: pd.Series | np.ndarray, min_cell: int
) -> pd.DataFrame:
    """``df`` with ``columns`` (as objects) replaced by the marker on ``rows`` (boolean)."""
    out = df.copy()
    marker = SUPPRESSED.format(min_cell=min_cell)
    rows = np.asarray(rows, dtype=bool)
    for column in columns:
        out[column] = out[column].astype(object)
        out.loc[rows, column] = marker
    return out


def suppress_small(
    df: pd.DataFrame, count_columns: list[str], min_cell: int, household_column: str | None = None
) -> pd.DataFrame:
    """Replace counts below ``min_cell`` households by ``"<min_cell"``.

    ``household_column`` names the column holding each row's household count when it is not
    the count itself (e.g. a rate computed over few households is suppressed too); rows are
    kept so a reader sees that a cell exists but is too small to show.
    """
    out = df
    basis = df[household_column] if household_column else None
    for column in count_columns:
        small = (basis if basis is not None else df[column]) < min_cell
        out = mask_cells(out, [column], small, min_cell)
    if household_column and household_column not in count_columns:
        out = mask_cells(out, [household_column], ~(df[household_column] >= min_cell), min_cell)
    return out


SIZE_COLUMNS: tuple[str, ...] = ("n", "households", "flagged_n", "flagged_share")
"""Equity columns that describe a group's size and load, not its cases: shown when the group
itself has enough households (:func:`publishable`)."""


def publishable(table: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """An equity table (:func:`relapse_models.warning.equity.equity_table`) as it may be
    published: every count and value of a row marked ``suppress`` replaced by the marker,
    except that a subgroup of at least ``min_cell`` households whose cases are few keeps its
    size (the marker then stands for the few cases, not for the group). Towns keep nothing:
    they partition the county, so a shown size would give a suppressed town's size away as
    the total minus the rest."""
    cols = [c for c in COUNT_COLUMNS + VALUE_COLUMNS + EPISODE_COUNT_COLUMNS
            + EPISODE_VALUE_COLUMNS if c in table.columns]
    mask = table["suppress"].to_numpy(dtype=bool)
    big = (table["households"].to_numpy(dtype=float) >= min_cell) & (
        table["dimension"].to_numpy() != "town") if "dimension" in table else np.zeros(
            len(table), dtype=bool)
    sizes = [c for c in cols if c in SIZE_COLUMNS]
    out = mask_cells(table, [c for c in cols if c not in SIZE_COLUMNS], mask, min_cell)
    return mask_cells(out, sizes, mask & ~big, min_cell)
