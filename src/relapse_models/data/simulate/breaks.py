"""The structural break (``simulate.break``) for drift studies: which kinds exist, a check of
the option with errors naming the key, and the reimbursement kind's rate.

- ``disaster``: a severe disaster year (:func:`.disasters.break_multiplier`), in the break year
  only;
- ``line``: the official monitoring line x (1 + size) from the break year on, applied in one
  place for the generator, the label and the features
  (:func:`relapse_models.core.lines.official_lines`);
- ``reimbursement``: the three-layer insurance rate of poverty-alleviated and monitored
  households (the profile's published ``medical_reimbursement_rate``) x (1 + size), capped at
  1, from the break year on (:func:`reimbursement_rate`).

Line and reimbursement breaks are policy changes that stay: they act from the break year on.
"""

from __future__ import annotations

from collections.abc import Mapping

KINDS = ("disaster", "line", "reimbursement")

MIN_SIZE = {"disaster": 0.0, "line": -1.0, "reimbursement": -1.0}
"""Smallest ``size`` per kind (``line`` excludes it: the line must stay positive)."""


def check_break(brk: Mapping | None) -> dict | None:
    """The break as a plain dict, or ``None`` when off (absent, or ``year: null``).

    The config schema checks the same, but the generator is also called with a hand-made
    config: a wrong kind or size stops here naming ``simulate.break.kind`` / ``.size``."""
    if not brk or brk.get("year") is None:
        return None
    kind = brk.get("kind", "disaster")
    if kind not in KINDS:
        raise ValueError(f"simulate.break.kind: {kind!r} is not one of {list(KINDS)}")
    size = float(brk.get("size", 2.0))
    low = MIN_SIZE[kind]
    if size < low or (kind == "line" and size <= low):
        rel = ">" if kind == "line" else ">="
        raise ValueError(f"simulate.break.size: a {kind} break needs size {rel} {low:g}, got {size:g}")
    return {"year": int(brk["year"]), "kind": kind, "size": size}


def reimbursement_rate(rate: float, brk: Mapping | None, year: int) -> float:
    """The targeted reimbursement rate in ``year``: ``rate`` x (1 + size), capped at 1, from a
    ``reimbursement`` break's year on; ``rate`` itself in every other case."""
    if not brk or brk.get("year") is None or brk.get("kind") != "reimbursement":
        return rate
    if int(year) < int(brk["year"]):
        return rate
    return min(rate * (1.0 + float(brk["size"])), 1.0)
