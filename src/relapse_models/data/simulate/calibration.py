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
``s_i = 1 - exp(-kappa0 * w0_i * rho_i)`` its probability of being in the stock identified
before the panel (``rho_i``: its clue sum over the last burn-in year). :func:`solve` finds
``kappa0`` (stock), ``kappa`` (cumulative households), ``tau`` (new identifications in the
report year) and the size tilts on the whole population. The persons of a closed-form count
weight each household's probability by its size, so persons per household are closed forms
too. When the profile publishes persons only for the cumulative total, one tilt
(``w0 = w``, ``beta0 = beta``) meets the cumulative persons per household. When it publishes
persons and households for the report year's new identifications as well, the stock and the
panel intake are two populations with their own sizes: ``beta`` (panel, ``w``) meets the
persons per new household and ``beta0`` (stock, ``w0``) the cumulative persons per household;
a single tilt would fit their mix and miss both. When the report
year is the panel's first, no panel year precedes it: the trend is not identified and stays 0
(assumed: no trend), and the stock share is the published cumulative count less the year's
new identifications (the two figures fix it); a trend searched there would run to its bound
and multiply later years' identifications. The engine draws
identifications by systematic sampling, so realised counts are within one per quarter of these
expectations. Risk elimination (:func:`solve_elimination`) is closed form too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import brentq

from relapse_models.core.profiles import figure, param

if TYPE_CHECKING:  # types.py builds on this module
    from relapse_models.data.simulate.types import TypeWeights



@dataclass
class Calibration:
    """What the calibration solved, kept for the record (``SimulatedCounty.calibration``)."""

    kappa: float
    kappa0: float
    beta: float
    beta0: float
    tau: float
    elim_p: float = 0.3
    expected: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    elim_tilt: float = 0.0
    types: TypeWeights | None = None
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


TILT_BOUNDS = (-3.0, 3.0)
"""Search range of the size tilts (``size ** 3`` already makes a household of six identified
eight times as often as one of three)."""

MAX_SWEEPS = 20
"""Alternating fits of the two size tilts (panel, then stock) before they are said not to settle."""


def _tilt_root(gap: Callable[[float], float], lo: float, hi: float) -> tuple[float, bool]:
    """The tilt where the increasing ``gap`` is 0, or the bound nearer to it and True."""
    g_lo, g_hi = gap(lo), gap(hi)
    if g_lo > 0 or g_hi < 0:
        return (lo if g_lo > 0 else hi), True
    return brentq(gap, lo, hi, xtol=1e-4), False


def _tilt_pair(gaps: Callable[[np.ndarray], np.ndarray], lo: float, hi: float,
               tol: float = 1e-5, max_iter: int = 20) -> np.ndarray | None:
    """Both tilts at once by Broyden's method from (0, 0): one evaluation gives both gaps, so
    this costs a few evaluations where alternating root searches cost dozens. ``None`` when an
    iterate leaves the bounds or it does not converge (the caller then alternates)."""
    x = np.zeros(2)
    f = gaps(x)
    h = 1e-2
    jac = np.column_stack([(gaps(x + h * e) - f) / h for e in np.eye(2)])
    for _ in range(max_iter):
        if np.abs(f).max() < tol:
            return x
        try:
            dx = -np.linalg.solve(jac, f)
        except np.linalg.LinAlgError:
            return None
        if not np.isfinite(dx).all() or ((x + dx) < lo).any() or ((x + dx) > hi).any():
            return None
        f_new = gaps(x + dx)
        jac += np.outer(f_new - f - jac @ dx, dx) / (dx @ dx)
        x, f = x + dx, f_new
    return None


def solve(G: np.ndarray, years: np.ndarray, rho: np.ndarray, size: np.ndarray, profile: dict,
          scale: float) -> Calibration:
    """Identification intensities and size tilts for the published counts.

    ``G`` (len(years), n): clue sums per panel year up to the reference quarter; ``rho`` (n):
    clue sum over the last burn-in year (the stock's weight). Two size tilts (stock and panel
    intake) when persons are published for the new identifications too, else one."""
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
    new_persons = pub["monitoring_persons_new"]["value"]
    new_persons = (None if new_persons is None or not new_hh or cum_persons is None
                   else new_persons * scale)
    phi = float(param(profile, "initial_stock_share"))
    size = size.astype(np.float64)
    before = years < ry
    in_ry = years == ry
    trend_identified = bool(before.any())  # a panel year before the report year
    if not trend_identified and new_hh is not None and cum_hh > 0:
        # report year = first panel year: the cumulative count is the stock plus the year's
        # new identifications, so the published figures fix the stock share themselves
        phi = max(cum_hh - new_hh, 0.0) / cum_hh
    split = new_persons is not None and phi > 0  # the stock's tilt needs a stock
    if new_persons is not None and not split:
        notes.append("no stock before the panel: one size tilt for the cumulative persons per "
                     "household; persons per new household not fitted separately")
    state = {"tau": 0.0, "beta": 0.0, "beta0": 0.0}

    def weights() -> tuple[np.ndarray, np.ndarray]:
        """Size weights of the stock (``beta0``) and of the panel's identifications (``beta``)."""
        w = size_weight(size, state["beta"])
        return (w if state["beta0"] == state["beta"] else size_weight(size, state["beta0"])), w

    def parts(kappa: float, k0: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        w0, w = weights()
        trend = np.exp(state["tau"] * (years - ry))[:, None]
        s = 1 - np.exp(-k0 * w0 * rho)
        hb = np.exp(-kappa * w * (trend[before] * G[before]).sum(axis=0))
        hr = np.exp(-kappa * w * (trend[in_ry] * G[in_ry]).sum(axis=0))
        return s, hb, hr

    def solve_k0() -> float:
        if phi <= 0:
            return 0.0
        w0, _ = weights()

        def gap(k0: float) -> float:
            return (1 - np.exp(-k0 * w0 * rho)).sum() - phi * cum_hh
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
        """The trend for the current size tilts; only the final fit's bound is a warning (the
        size tilts' root searches try tilts that are not the answer)."""
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

    def fitted() -> tuple[np.ndarray, np.ndarray]:
        """Probabilities of being identified by the reference quarter, and of being a new
        identification of the report year, once the intensities meet the counts."""
        fit_tau()
        k0, kappa = flow()
        s, hb, hr = parts(kappa, k0)
        return 1 - (1 - s) * hb * hr, (1 - s) * hb * (1 - hr)

    def cum_gap(pc: np.ndarray) -> float:
        return (pc * size).sum() / pc.sum() - cum_persons / cum_hh

    def one_tilt_gap(beta: float) -> float:
        state["beta"] = state["beta0"] = beta
        return cum_gap(fitted()[0])

    def new_gap_persons(pn: np.ndarray) -> float:
        return (pn * size).sum() / pn.sum() - new_persons / new_hh

    def panel_gap(beta: float) -> float:
        state["beta"] = beta
        return new_gap_persons(fitted()[1])

    def stock_gap(beta0: float) -> float:
        state["beta0"] = beta0
        return cum_gap(fitted()[0])

    def both_gaps(tilts: np.ndarray) -> np.ndarray:
        state["beta"], state["beta0"] = float(tilts[0]), float(tilts[1])
        pc, pn = fitted()
        return np.array([new_gap_persons(pn), cum_gap(pc)])

    pair = _tilt_pair(both_gaps, *TILT_BOUNDS) if split else None
    if pair is not None:
        state["beta"], state["beta0"] = float(pair[0]), float(pair[1])
    elif split:
        # a root on a bound, or none found: the persons per new household hang on the panel's
        # tilt (the stock only removes candidates), the cumulative ones on both; alternate
        # one-dimensional searches until neither tilt moves
        state["beta"] = state["beta0"] = 0.0
        for _ in range(MAX_SWEEPS):
            last = state["beta"], state["beta0"]
            state["beta"], panel_bound = _tilt_root(panel_gap, *TILT_BOUNDS)
            state["beta0"], stock_bound = _tilt_root(stock_gap, *TILT_BOUNDS)
            if max(abs(state["beta"] - last[0]), abs(state["beta0"] - last[1])) < 1e-4:
                break
        else:
            notes.append("the size tilts of the stock and the panel intake did not settle")
        if panel_bound:
            notes.append("persons per new household in the report year out of reach; panel "
                         "size tilt at its bound")
        if stock_bound:
            notes.append("persons per household identified before the panel out of reach; "
                         "stock size tilt at its bound")
    elif cum_persons is not None:
        beta, bound = _tilt_root(one_tilt_gap, *TILT_BOUNDS)
        state["beta"] = state["beta0"] = beta
        if bound:
            notes.append("persons per monitored household out of reach; size tilt at its bound")
    fit_tau(final=True)
    k0, kappa = flow()
    s, hb, hr = parts(kappa, k0)
    pc = 1 - (1 - s) * hb * hr
    pn = (1 - s) * hb * (1 - hr)
    expected = {
        "monitoring_households_cumulative": float(pc.sum()),
        "monitoring_persons_cumulative": float((pc * size).sum()),
        "monitoring_households_new": float(pn.sum()),
        "monitoring_persons_new": float((pn * size).sum()),
        "stock": float(s.sum()),
    }
    return Calibration(kappa=kappa, kappa0=k0, beta=state["beta"], beta0=state["beta0"],
                       tau=state["tau"], expected=expected, notes=notes)


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
