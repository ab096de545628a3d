"""Identification and elimination: the monitoring system's rules, and the intensities solved so
the published counts hold.

A household not under monitoring (never identified, or past the follow-up after its risk was
eliminated) is identified in quarter ``j`` with probability

    1 - exp(-kappa * exp(tau * (year - report_year)) * w * g)

where ``g`` sums the *clues* the system sees, each with a weight from the parameter table:
rolling per-capita income at the last quarterly collection (quarter ``j - 1``) below the line,
below the line x the edge multiple (the monitoring range), or down by ``drop_share`` on a year
earlier; a medical-insurance alert (one episode's out-of-pocket cost after reimbursement above
the absolute threshold, pushed monthly, so within the quarter); a disaster loss reported by
emergency management. ``w = size ** beta`` (mean one) tilts identification by household size.

The first identification of a household depends only on its own income and shock path, which
the monitoring process does not change (assistance starts after identification). So, given the
drawn paths, the expected number of households ever identified by the reference quarter is a
closed form in ``kappa``: ``sum_i 1 - (1 - s_i) * exp(-kappa * w_i * sum_y e^(tau (y - ry))
G_iy)`` with ``G_iy`` the clue sum of household ``i`` over the panel quarters of year ``y`` and
``s_i`` its probability of being in the stock identified before the panel. :func:`solve` finds
``kappa0`` (stock), ``kappa`` (cumulative households), ``beta`` (persons per household) and
``tau`` (new identifications in the report year) on the whole population. When the report
year is the panel's first, no panel year precedes it: the trend is not identified and stays 0
(assumed: no trend), and the stock share is the published cumulative count less the year's
new identifications (the two figures fix it); a trend searched there would run to its bound
and multiply later years' identifications. The engine draws
identifications by systematic sampling, so realised counts are within one per quarter of these
expectations. Risk elimination (:func:`solve_elimination`) is closed form too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq

from relapse_models.core.profiles import figure, param

log = logging.getLogger(__name__)


@dataclass
class Calibration:
    """What the calibration solved, kept for the record (``SimulatedCounty.calibration``)."""

    kappa: float
    kappa0: float
    beta: float
    tau: float
    elim_p: float = 0.3
    expected: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    elim_tilt: float = 0.0
    types: object = None
    """The multipliers by monitoring type (:class:`.types.TypeWeights`) when calibrated by type."""


def clue_intensity(w_prev: np.ndarray, w_prev5: np.ndarray, line_prev: float, alert: np.ndarray,
                   disaster: np.ndarray, edge_multiple: float, prm: dict) -> np.ndarray:
    """``g``: the weighted clues of a quarter (see the module docstring)."""
    cw = prm["clue_weight"]
    return (cw["below_line"] * (w_prev < line_prev)
            + cw["edge"] * (w_prev < edge_multiple * line_prev)
            + cw["drop"] * (w_prev < (1.0 - prm["drop_share"]) * w_prev5)
            + cw["medical"] * alert
            + cw["disaster"] * disaster)


def size_weight(size: np.ndarray, beta: float) -> np.ndarray:
    """``size ** beta`` normalised to mean one."""
    w = size.astype(np.float64) ** beta
    return w / w.mean()


def solve(G: np.ndarray, years: np.ndarray, rho: np.ndarray, size: np.ndarray, profile: dict,
          scale: float) -> Calibration:
    """Identification intensities for the published counts.

    ``G`` (len(years), n): clue sums per panel year up to the reference quarter; ``rho`` (n):
    clue sum over the last burn-in year (the stock's weight)."""
    notes: list[str] = []
    n = len(size)
    ry = int(profile["report_year"])
    pub = profile["published"]
    cum_pub = pub["monitoring_households_cumulative"]["value"]
    cum_hh = cum_pub * scale if cum_pub is not None else figure(profile, "monitoring_households_cumulative") * n
    cum_persons = pub["monitoring_persons_cumulative"]["value"]
    cum_persons = None if cum_persons is None or cum_pub is None else cum_persons * scale
    new_hh = pub["monitoring_households_new"]["value"]
    new_hh = None if new_hh is None else new_hh * scale
    phi = float(param(profile, "initial_stock_share"))
    size = size.astype(np.float64)
    before = years < ry
    in_ry = years == ry
    trend_identified = bool(before.any())  # a panel year before the report year
    if not trend_identified and new_hh is not None and cum_hh > 0:
        # report year = first panel year: the cumulative count is the stock plus the year's
        # new identifications, so the published figures fix the stock share themselves
        phi = max(cum_hh - new_hh, 0.0) / cum_hh
    state = {"tau": 0.0, "beta": 0.0}

    def parts(kappa: float, k0: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        w = size_weight(size, state["beta"])
        trend = np.exp(state["tau"] * (years - ry))[:, None]
        s = 1 - np.exp(-k0 * w * rho)
        hb = np.exp(-kappa * w * (trend[before] * G[before]).sum(axis=0))
        hr = np.exp(-kappa * w * (trend[in_ry] * G[in_ry]).sum(axis=0))
        return s, hb, hr

    def solve_k0() -> float:
        if phi <= 0:
            return 0.0
        w = size_weight(size, state["beta"])

        def gap(k0: float) -> float:
            return (1 - np.exp(-k0 * w * rho)).sum() - phi * cum_hh
        hi = 1.0
        while gap(hi) < 0 and hi < 1e8:
            hi *= 4
        if gap(hi) < 0:
            raise ValueError(f"{profile['county_id']}: too few households with a clue before the panel "
                             f"for the stock of {phi * cum_hh:.0f} monitoring objects")
        return brentq(gap, 0.0, hi, xtol=1e-12, rtol=1e-10)

    def solve_kappa(k0: float) -> float:
        def gap(kappa: float) -> float:
            s, hb, hr = parts(kappa, k0)
            return (1 - (1 - s) * hb * hr).sum() - cum_hh
        if gap(0.0) > 0:
            notes.append("identification before the panel alone exceeds the cumulative target; kappa 0")
            return 0.0
        hi = 1.0
        while gap(hi) < 0 and hi < 1e8:
            hi *= 3
        if gap(hi) < 0:
            raise ValueError(f"{profile['county_id']}: the cumulative monitoring count {cum_hh:.0f} is out "
                             "of reach: too few households ever show a clue")
        return brentq(gap, 0.0, hi, xtol=1e-12, rtol=1e-10)

    def flow() -> tuple[float, float]:
        k0 = solve_k0()
        return k0, solve_kappa(k0)

    def new_gap(tau: float) -> float:
        state["tau"] = tau
        k0, kappa = flow()
        s, hb, hr = parts(kappa, k0)
        return ((1 - s) * hb * (1 - hr)).sum() - new_hh

    def fit_tau(final: bool = False) -> None:
        """The trend for the current size tilt; only the final fit's bound is a warning (the
        size tilt's root search tries tilts that are not the answer)."""
        if new_hh is None or not trend_identified:
            return
        lo, hi = -1.5, 1.5
        g_lo, g_hi = new_gap(lo), new_gap(hi)
        if g_lo > 0 or g_hi < 0:
            if final:
                notes.append("new identifications in the report year out of reach; trend at "
                             "its bound")
            state["tau"] = lo if g_lo > 0 else hi
        else:
            state["tau"] = brentq(new_gap, lo, hi, xtol=1e-5)

    def persons_gap(beta: float) -> float:
        state["beta"] = beta
        fit_tau()
        k0, kappa = flow()
        s, hb, hr = parts(kappa, k0)
        pc = 1 - (1 - s) * hb * hr
        return (pc * size).sum() / pc.sum() - cum_persons / cum_hh

    if cum_persons is not None:
        lo, hi = -3.0, 3.0
        g_lo, g_hi = persons_gap(lo), persons_gap(hi)
        if g_lo > 0 or g_hi < 0:
            notes.append("persons per monitored household out of reach; size tilt at its bound")
            state["beta"] = lo if g_lo > 0 else hi
        else:
            state["beta"] = brentq(persons_gap, lo, hi, xtol=1e-4)
    fit_tau(final=True)
    k0, kappa = flow()
    s, hb, hr = parts(kappa, k0)
    pc = 1 - (1 - s) * hb * hr
    expected = {
        "monitoring_households_cumulative": float(pc.sum()),
        "monitoring_persons_cumulative": float((pc * size).sum()),
        "monitoring_households_new": float(((1 - s) * hb * (1 - hr)).sum()),
        "stock": float(s.sum()),
    }
    for note in notes:
        log.warning("%s: %s", profile["county_id"], note)
    return Calibration(kappa=kappa, kappa0=k0, beta=state["beta"], tau=state["tau"],
                       expected=expected, notes=notes)


def elimination_probability(size: np.ndarray, elim_p: float, tilt: float) -> np.ndarray:
    """Quarterly probability that a monitored household's recovery is confirmed (after the
    minimum spell): ``1 - (1 - elim_p) ** (size / mean size) ** tilt``. The tilt lets the
    household count and the persons-based rate of eliminations both meet the published
    figures."""
    s = size.astype(np.float64)
    return np.clip(1.0 - (1.0 - elim_p) ** ((s / s.mean()) ** tilt), 1e-6, 1.0)


def solve_elimination(cal: Calibration, size_all: np.ndarray, size: np.ndarray, spell: np.ndarray,
                      profile: dict, scale: float) -> None:
    """``elim_p`` (and the size tilt when eliminated households are published) so the expected
    persons-based elimination rate by the reference quarter meets the published one.

    ``size`` and ``spell`` describe the households identified by the reference quarter:
    ``spell`` is the number of quarters from the earliest possible elimination (identification
    + ``min_monitored_quarters``) to the last quarter by the reference quarter in which the
    elimination conditions hold (income above the line for two quarters, labour), plus one;
    0 when never. A household is eliminated by the reference quarter with probability
    ``1 - (1 - e) ** spell``: its due quarter (geometric) must come no later than that."""
    size = size.astype(np.float64)
    mean_size = size_all.astype(np.float64).mean()
    rate_target = float(figure(profile, "elimination_rate")) / 100.0

    def probs(e: float, tilt: float) -> np.ndarray:
        ei = np.clip(1.0 - (1.0 - e) ** ((size / mean_size) ** tilt), 1e-6, 1.0)
        return 1.0 - (1.0 - ei) ** spell

    def share(e: float, tilt: float) -> float:
        return float((probs(e, tilt) * size).sum() / max(size.sum(), 1e-9))

    def solve_e(tilt: float) -> float:
        if share(1.0, tilt) < rate_target:
            cal.notes.append("elimination rate out of reach: too few monitored households have "
                             "income above the line long enough")
            return 1.0
        if share(1e-6, tilt) > rate_target:
            return 1e-6
        return brentq(lambda e: share(e, tilt) - rate_target, 1e-6, 1.0, xtol=1e-9)

    pub = profile["published"]
    elim_hh = pub.get("eliminated_households", {}).get("value")
    tilt = 0.0
    if elim_hh is not None and pub["monitoring_households_cumulative"]["value"] is not None:
        target = elim_hh * scale

        def gap(t: float) -> float:
            return probs(solve_e(t), t).sum() - target
        lo, hi = -4.0, 4.0
        g_lo, g_hi = gap(lo), gap(hi)
        if g_lo * g_hi > 0:
            cal.notes.append("eliminated households out of reach; elimination size tilt at its bound")
            tilt = lo if abs(g_lo) < abs(g_hi) else hi
        else:
            tilt = brentq(gap, lo, hi, xtol=1e-5)
    e = solve_e(tilt)
    cal.elim_p, cal.elim_tilt = e, tilt
    cal.expected["eliminated_households"] = float(probs(e, tilt).sum())
    cal.expected["elimination_rate"] = 100 * share(e, tilt)
