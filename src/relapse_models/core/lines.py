"""The monitoring line (监测线): yuan per person per year, by province and calendar year.

A domain definition shared by the generator and the relapse label, so it sits at the bottom.
A county uses its province's entry of ``monitoring.line_by_province_year``, or a default the
config names explicitly. Provinces set their own lines from 2021 and publish them unevenly, so
the table mixes a few published figures with extrapolated years and an assumed national
schedule (docs/monitoring_lines.md). Which is which travels with the numbers
(:func:`line_provenance`), and a county whose province has no line is refused rather than
given another province's standard in silence.

A simulated run may raise (or cut) the line from a year on (``simulate.break`` of kind
``line``, a policy change for drift studies): :func:`official_lines` is the one place that
applies it, so the generator, the relapse label and the features all count against the same
line in every year.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

Lines = Mapping[int, float] | pd.Series | Callable[[int], float]
"""Monitoring line, yuan per person per year, looked up by calendar year."""

class MonitoringLineError(ValueError):
    """A county's province has no monitoring line and the config names no default."""


def _line_entry(monitoring: Mapping, province: str | None, county: str | None) -> str:
    """The ``line_by_province_year`` entry a county in ``province`` uses."""
    table = monitoring["line_by_province_year"]
    if province is not None and province in table:
        return province
    default = monitoring.get("default_line")
    if default is not None:
        if default not in table:
            raise MonitoringLineError(
                f"monitoring.default_line: {default!r} is not an entry of "
                f"monitoring.line_by_province_year (have {sorted(table)})"
            )
        return default
    who = f"county {county!r} " if county else "a county "
    raise MonitoringLineError(
        f"{who}is in province {province!r}, which has no monitoring line: add "
        f"monitoring.line_by_province_year.{province} (yuan per person and year, with its source "
        f"in docs/monitoring_lines.md), or opt into a named default with "
        f"monitoring.default_line (e.g. national_assumed; have {sorted(table)})"
    )


def lines_for_province(monitoring: Mapping, province: str | None,
                       county: str | None = None) -> dict[int, float]:
    """Year -> line for one province: its ``line_by_province_year`` entry, or the entry named
    by ``default_line`` when the config opts into one.

    ``monitoring`` is the config's ``monitoring`` section. Years are coerced to ``int`` (YAML or
    JSON may give strings). A province without an entry and no default raises
    :class:`MonitoringLineError` naming ``county`` and the province: a silently borrowed line
    would put another province's standard on the county.
    """
    entry = _line_entry(monitoring, province, county)
    out = {int(y): float(v) for y, v in (monitoring["line_by_province_year"][entry] or {}).items()}
    if not out:
        raise MonitoringLineError(
            f"monitoring.line_by_province_year.{entry}: no years (province {province!r})")
    return out


def line_provenance(monitoring: Mapping, province: str | None,
                    county: str | None = None) -> dict[int, str]:
    """Year -> ``published``, ``assumed`` or ``default`` for the lines a county uses.

    ``published`` only for the years ``line_published`` lists for the province's own entry;
    ``default`` when the province has no entry and ``default_line`` supplies it.
    """
    entry = _line_entry(monitoring, province, county)
    years = lines_for_province(monitoring, province, county)
    if entry != province:
        return {y: "default" for y in years}
    published = {int(y) for y in (monitoring.get("line_published") or {}).get(entry, [])}
    return {y: "published" if y in published else "assumed" for y in years}


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


def line_break(config: Mapping, simulated: bool | None = None) -> tuple[int, float] | None:
    """``(year, factor)`` of the config's ``simulate.break`` when it is a line change that
    applies to this run's panels, else ``None``.

    A policy change in the simulated world, so it applies to simulated panels only: with
    ``simulated=None`` that is read from ``data.source`` (``synthetic``, the default); a real
    export keeps its published lines whatever ``simulate.break`` says. ``factor`` is
    ``1 + size``; a size of -1 or less (no line left) is refused naming the key.
    """
    if simulated is None:
        simulated = (config.get("data") or {}).get("source", "synthetic") == "synthetic"
    brk = (config.get("simulate") or {}).get("break")
    if not simulated or not brk or brk.get("year") is None or brk.get("kind") != "line":
        return None
    size = float(brk["size"])
    if not size > -1.0:
        raise ValueError(f"simulate.break.size: a line break needs size > -1 (the line x "
                         f"(1 + size) must stay positive), got {size}")
    return int(brk["year"]), 1.0 + size


def apply_line_break(lines: Mapping[int, float],
                     brk: tuple[int, float] | None) -> dict[int, float]:
    """``lines`` with every year from the break year on multiplied by the break's factor
    (see :func:`line_break`); a copy of ``lines`` unchanged without a break."""
    if brk is None:
        return {int(y): float(v) for y, v in lines.items()}
    year, factor = brk
    return {int(y): float(v) * factor if int(y) >= year else float(v) for y, v in lines.items()}


def official_lines(config: Mapping, province: str | None, county: str | None = None,
                   simulated: bool | None = None) -> dict[int, float]:
    """Year -> the official line a county's panel is measured against in this run: its
    province's schedule (:func:`lines_for_province`) with a ``simulate.break`` of kind
    ``line`` applied from the break year on (:func:`line_break`).

    Every consumer of a run's line (generator, label, features, guards) resolves it here, so a
    line raised by the break is raised for all of them; otherwise the drift study would
    measure the mismatch between the generator's line and the label's, not the policy change.
    """
    lines = lines_for_province(config["monitoring"], province, county)
    return apply_line_break(lines, line_break(config, simulated))
