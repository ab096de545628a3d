"""The monitoring line (监测线): yuan per person per year, by province and calendar year.

A domain definition shared by the generator and the relapse label, so it sits at the bottom.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

Lines = Mapping[int, float] | pd.Series | Callable[[int], float]
"""Monitoring line, yuan per person per year, looked up by calendar year."""

def lines_for_province(monitoring: Mapping, province: str | None) -> dict[int, float]:
    """Year -> line for one province: ``line_by_province_year[province]`` over ``default``.

    ``monitoring`` is the config's ``monitoring`` section. Years are coerced to ``int`` (YAML or
    JSON may give strings). Province entries override the default year by year.
    """
    table = monitoring["line_by_province_year"]
    out = {int(y): float(v) for y, v in (table.get("default") or {}).items()}
    if province is not None and province in table:
        out.update({int(y): float(v) for y, v in (table[province] or {}).items()})
    if not out:
        raise ValueError(f"no monitoring line for province {province!r} and no default")
    return out


def line_for_years(years: np.ndarray | pd.Series, lines: Lines) -> np.ndarray:
    """The monitoring line for each element of ``years`` (float array).

    Looks up each distinct year once. A year without a line raises ``KeyError``: a silently
    missing line would make every household in that year look rich (or poor).
    """
    years = np.asarray(years, dtype=np.int64)
    uniq, inv = np.unique(years, return_inverse=True)
    vals = np.empty(len(uniq), dtype=float)
    for i, y in enumerate(uniq):  # loop over distinct years, not rows
        y = int(y)
        if callable(lines) and not isinstance(lines, pd.Series | Mapping):
            vals[i] = float(lines(y))
        else:
            try:
                vals[i] = float(lines[y])
            except KeyError:
                raise KeyError(
                    f"no monitoring line for year {y}; have {list(lines.keys())}"
                ) from None
    return vals[inv]
