"""Monitoring types: the multipliers that make identifications and eliminations by type meet
the figures a bulletin publishes by type.

An identification's type follows the rule of the monitoring system (:func:`monitoring_type`):
rolling per-capita income at the last collection below the line x the edge multiple (the
monitoring range) makes a poverty-alleviated household *unstable* (脱贫不稳定户) and any other
household *edge* (边缘易致贫户); outside the range the clue was a shock -- a medical alert, a
disaster loss, a year-on-year drop -- and the household is *sudden* (突发严重困难户). The rule
stays; what the published split fixes is how strongly the system reacts to each kind of case
(:class:`TypeWeights`):

- ``other`` multiplies the weights of the clues that are not the income level (drop, medical,
  disaster). Outside the monitoring range they are the only clues, so it sets the number of
  sudden identifications;
- ``pa`` multiplies the whole intensity of poverty-alleviated households (the system follows
  them closely), which sets unstable against edge among identifications in range;
- ``tilt``: ordinary households' intensity times ``(size / mean size) ** tilt``, poverty-
  alleviated ones' ``** -tilt``, sets persons per edge household (unstable persons follow
  from the total, which :func:`.calibration.solve`'s ``beta`` keeps); ``tilt_s`` tilts the
  non-income clue weights by size the same way and sets persons per sudden household.

All enter the hazard of :mod:`.calibration` multiplicatively (the clue weights, the household
weight ``w``), so :func:`.calibration.solve` runs unchanged on the multiplied clue sums and
keeps the totals, and the oracle reads them through ``kappa_w`` and the (per-household) clue
weights. The stock identified before the panel has its own set (``pa0``, ``other0``, ``tilt0``,
``tilt_s0``) when both cumulative and new figures by type are published (their difference is
the stock's composition); otherwise stock and panel share one. The expected counts by type are
closed form over households x quarters: a household's first identification falls in quarter
``j`` with probability ``(1 - s) * exp(-sum_{k<j} h_k) * (1 - exp(-h_j))`` and takes the type of
``j``; a stock household takes the type of its (uniform) stock quarter. Assumed: a
re-identification by the reference quarter that changes the type is neglected. The equations
(households of two types -- unstable and sudden when all three are given --, edge and sudden
persons) are solved jointly by :func:`scipy.optimize.root` on the log multipliers and the
tilts, each evaluation re-solving the totals.

Elimination by type (:func:`solve_elimination_by_type`, all three types published): a quarterly
elimination probability per type for its households and one common size tilt for the
persons-based rate, in :func:`.calibration.solve_elimination`'s closed form. The elimination
conditions cap each type (only households identified early enough can be eliminated by the
reference quarter): a type out of reach is eliminated as far as it can be and the others take
up the difference so the totals hold, with a note.

A profile without a figure by type gets neutral multipliers and no elimination by type: the
generator then runs exactly as without this module. A target out of reach leaves a
calibration note.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq, root

from relapse_models.core.profiles import figure
from relapse_models.core.schema import MONITORING_TYPE_LABELS
from relapse_models.data.simulate.calibration import (
    TILT_BOUNDS,
    Calibration,
    elimination_probability,
    size_weight,
    solve,
)

TYPES = tuple(MONITORING_TYPE_LABELS)   # unstable, edge, sudden: the engine's type codes 0, 1, 2
SUDDEN = TYPES.index("sudden")
"""Type code of an identification outside the monitoring range."""
OTHER_CLUES = ("drop", "medical", "disaster")
"""Clues that are not the income level: the only ones outside the monitoring range."""
LOG_BOUND = 6.0
"""Multipliers are searched within exp(+-LOG_BOUND)."""
TOL = 1e-3
"""Relative miss of an expected count by type beyond which the target is out of reach."""


@dataclass
class TypeWeights:
    """Multipliers of the identification intensity (see the module docstring); 1 and 0 are
    neutral. ``pa``/``tilt`` act on the panel intake, ``pa0``/``tilt0`` on the stock."""

    pa: float = 1.0
    other: float = 1.0
    tilt: float = 0.0
    tilt_s: float = 0.0
    pa0: float = 1.0
    other0: float = 1.0
    tilt0: float = 0.0
    tilt_s0: float = 0.0
    elim: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Type -> (elim_p, size tilt) when eliminations are calibrated by type."""

    def household(self, pa: np.ndarray, size: np.ndarray, stock: bool = False) -> np.ndarray | float:
        """Per-household intensity multiplier: ``pa`` for poverty-alleviated households, times
        ``(size / mean size) ** tilt`` for the others and ``** -tilt`` for them (1.0 when
        neutral)."""
        m, d = (self.pa0, self.tilt0) if stock else (self.pa, self.tilt)
        if m == 1.0 and d == 0.0:
            return 1.0
        rel = size.astype(np.float64) / size.mean()
        return np.where(pa, m * rel ** -d, rel ** d)

    def other_weight(self, size: np.ndarray, stock: bool = False) -> np.ndarray | float:
        """Multiplier of the non-income clue weights: ``other * (size / mean size) ** tilt_s``
        (the size tilt sets persons per sudden household)."""
        m, d = (self.other0, self.tilt_s0) if stock else (self.other, self.tilt_s)
        if d == 0.0:
            return m
        return m * (size.astype(np.float64) / size.mean()) ** d


def monitoring_type(w_prev: np.ndarray, line_prev: float | np.ndarray, pa: np.ndarray,
                    edge_multiple: float) -> np.ndarray:
    """Type code (0 unstable, 1 edge, 2 sudden) of an identification given the rolling income
    at the last collection: in the monitoring range, by the household's category; else sudden."""
    in_range = w_prev < edge_multiple * line_prev
    return np.where(in_range, np.where(pa, TYPES.index("unstable"), TYPES.index("edge")),
                    SUDDEN).astype(np.int8)


def published_by_type(profile: dict, base: str) -> dict[str, float]:
    """Published figures ``{base}_{type}`` by type (only those given)."""
    pub = profile["published"]
    out = {}
    for t in TYPES:
        v = pub.get(f"{base}_{t}", {}).get("value")
        if v is not None:
            out[t] = float(v)
    return out


def has_identification_by_type(profile: dict) -> bool:
    """Whether the profile publishes monitoring objects (new or cumulative) by type."""
    return any(published_by_type(profile, f"monitoring_{unit}_{kind}")
               for unit in ("households", "persons") for kind in ("new", "cumulative"))


def identification_params(prm: dict, tw: TypeWeights, size: np.ndarray) -> dict:
    """``prm`` with the non-income clue weights multiplied by :meth:`TypeWeights.other_weight`
    (per household when tilted; ``prm`` itself when neutral)."""
    m = tw.other_weight(size)
    if np.ndim(m) == 0 and m == 1.0:
        return prm
    out = dict(prm)
    out["clue_weight"] = {k: v * m if k in OTHER_CLUES else v for k, v in prm["clue_weight"].items()}
    return out


def clue_parts(prm: dict) -> tuple[dict, dict]:
    """``prm`` with only the income-level clues, and with only the others (the clue sum is
    linear in the weights)."""
    inc, oth = dict(prm), dict(prm)
    inc["clue_weight"] = {k: 0.0 if k in OTHER_CLUES else v for k, v in prm["clue_weight"].items()}
    oth["clue_weight"] = {k: v if k in OTHER_CLUES else 0.0 for k, v in prm["clue_weight"].items()}
    return inc, oth


@dataclass
class _Inputs:
    g_inc: np.ndarray       # (m, n) income-level clue sums per panel quarter up to the reference
    g_oth: np.ndarray       # (m, n) the other clues
    q_years: np.ndarray     # (m,) year of each quarter
    types_q: np.ndarray     # (m, n) type an identification in that quarter would get
    rho_inc: np.ndarray     # (n,) burn-in year's income-level clue sum (the stock)
    rho_oth: np.ndarray     # (n,)
    stock_types: np.ndarray  # (3, n) probability of each type for a stock identification
    pa: np.ndarray
    size: np.ndarray


def _effective(inp: _Inputs, tw: TypeWeights) -> tuple[np.ndarray, np.ndarray]:
    """Clue sums per quarter and the stock's, with the multipliers."""
    gq = tw.household(inp.pa, inp.size) * (inp.g_inc + tw.other_weight(inp.size) * inp.g_oth)
    return gq, stock_clues(tw, inp.pa, inp.size, inp.rho_inc, inp.rho_oth)


def stock_clues(tw: TypeWeights, pa: np.ndarray, size: np.ndarray, rho_inc: np.ndarray,
                rho_oth: np.ndarray) -> np.ndarray:
    """The stock's clue sums with its multipliers."""
    return tw.household(pa, size, stock=True) * (rho_inc + tw.other_weight(size, stock=True) * rho_oth)


def _per_year(gq: np.ndarray, q_years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    years = np.array(sorted(set(q_years.tolist())))
    return np.stack([gq[q_years == y].sum(axis=0) for y in years]), years


def expected_by_type(cal: Calibration, inp: _Inputs, tw: TypeWeights, report_year: int) -> dict[str, float]:
    """Expected households and persons by type: new in the report year and cumulative by the
    reference quarter (closed form, see the module docstring)."""
    gq, rho = _effective(inp, tw)
    w = size_weight(inp.size, cal.beta)
    s = 1.0 - np.exp(-cal.kappa0 * size_weight(inp.size, cal.beta0) * rho)
    h = cal.kappa * np.exp(cal.tau * (inp.q_years - report_year))[:, None] * w * gq
    cum_h = np.cumsum(h, axis=0)
    before = np.vstack([np.zeros((1, h.shape[1])), cum_h[:-1]])
    p_first = (1.0 - s) * np.exp(-before) * -np.expm1(-h)              # (m, n)
    in_ry = (inp.q_years == report_year)[:, None]
    size = inp.size.astype(np.float64)
    out = {}
    for code, t in enumerate(TYPES):
        of_t = inp.types_q == code
        new = np.where(of_t & in_ry, p_first, 0.0).sum(axis=0)
        cum = np.where(of_t, p_first, 0.0).sum(axis=0) + s * inp.stock_types[code]
        for unit, x in (("households", 1.0), ("persons", size)):
            out[f"monitoring_{unit}_new_{t}"] = float((new * x).sum())
            out[f"monitoring_{unit}_cumulative_{t}"] = float((cum * x).sum())
    return out


def _equations(targets: dict[str, float]) -> tuple[list[str], np.ndarray]:
    """The types whose household counts are solved for, and how the unknowns move the two log
    multipliers (pa, other): unstable and sudden when all three are given."""
    given = [t for t in TYPES if t in targets]
    if len(given) == 3:
        given = ["unstable", "sudden"]
    if len(given) == 2:
        return given, np.eye(2)
    if not given:
        return [], np.zeros((2, 0))
    direction = {"unstable": [1.0, 0.0], "sudden": [0.0, 1.0], "edge": [-1.0, -1.0]}[given[0]]
    return given, np.array([direction]).T


@dataclass
class _Group:
    """One set of published figures by type and the multipliers it fixes."""

    kind: str                     # "new" or "cumulative"
    moves: str                    # "panel", "stock" or "both"
    households: dict[str, float]  # type -> target (simulated households)
    persons: dict[str, float]
    eqs: list[str] = field(default_factory=list)
    basis: np.ndarray = field(default_factory=lambda: np.zeros((2, 0)))
    person_eq: str | None = None  # the type whose persons fix the size tilt
    sudden_eq: bool = False       # sudden persons fix the tilt of the other clues

    def __post_init__(self) -> None:
        self.eqs, self.basis = _equations(self.households)
        # the size tilt sets persons per household of edge against unstable households
        given = [t for t in ("edge", "unstable") if t in self.persons and t in self.households]
        self.person_eq = given[0] if given else None
        self.sudden_eq = "sudden" in self.persons and "sudden" in self.households

    @property
    def n(self) -> int:
        return self.basis.shape[1] + (self.person_eq is not None) + self.sudden_eq


def solve_identification_by_type(g_inc: np.ndarray, g_oth: np.ndarray, q_years: np.ndarray,
                                 types_q: np.ndarray, rho_inc: np.ndarray, rho_oth: np.ndarray,
                                 stock_types: np.ndarray, pa: np.ndarray, size: np.ndarray,
                                 profile: dict, scale: float) -> tuple[Calibration, TypeWeights]:
    """The totals' calibration (:func:`.calibration.solve`) and the type multipliers that make
    the expected households (and persons, through the size tilt) by type meet the published
    ones.

    ``g_inc``/``g_oth`` (quarters x households): the income-level and other clue sums per panel
    quarter up to the reference quarter, ``q_years`` their years, ``types_q`` the type an
    identification there would get; ``rho_*``: the burn-in year's sums (the stock's weight),
    ``stock_types`` (3, n) the type probabilities of a stock identification."""
    inp = _Inputs(g_inc, g_oth, q_years, types_q, rho_inc, rho_oth, stock_types, pa, size)
    ry = int(profile["report_year"])

    def given(kind: str) -> tuple[dict[str, float], dict[str, float]]:
        return tuple({t: v * scale for t, v in published_by_type(profile, f"monitoring_{unit}_{kind}").items()}
                     for unit in ("households", "persons"))
    new_t, cum_t = given("new"), given("cumulative")
    if new_t[0] and cum_t[0]:
        groups = [_Group("new", "panel", *new_t), _Group("cumulative", "stock", *cum_t)]
    else:
        groups = [_Group(k, "both", *f) for k, f in (("new", new_t), ("cumulative", cum_t)) if f[0]]

    def weights(x: np.ndarray) -> TypeWeights:
        tw, k = TypeWeights(), 0
        for g in groups:
            nb = g.basis.shape[1]
            lp, lo = np.clip(g.basis @ x[k:k + nb], -LOG_BOUND, LOG_BOUND)
            tilts = iter(np.clip(x[k + nb:k + g.n], *TILT_BOUNDS).tolist())
            d = next(tilts) if g.person_eq else 0.0
            ds = next(tilts) if g.sudden_eq else 0.0
            k += g.n
            if g.moves in ("panel", "both"):
                tw.pa, tw.other, tw.tilt, tw.tilt_s = float(np.exp(lp)), float(np.exp(lo)), d, ds
            if g.moves in ("stock", "both"):
                tw.pa0, tw.other0, tw.tilt0, tw.tilt_s0 = float(np.exp(lp)), float(np.exp(lo)), d, ds
        return tw

    def calibrate(tw: TypeWeights) -> Calibration:
        gq, rho = _effective(inp, tw)
        G, years = _per_year(gq, q_years)
        return solve(G, years, rho, size, profile, scale)

    def residual(x: np.ndarray) -> np.ndarray:
        tw = weights(x)
        try:
            exp = expected_by_type(calibrate(tw), inp, tw, ry)
        except ValueError:      # totals out of reach with these multipliers: steer away
            return np.full(len(x), 10.0)
        out = []
        for g in groups:
            out += [np.log(max(exp[f"monitoring_households_{g.kind}_{t}"], 1e-12) / g.households[t])
                    for t in g.eqs]
            if g.person_eq:
                t = g.person_eq
                out.append(np.log(max(exp[f"monitoring_persons_{g.kind}_{t}"], 1e-12) / g.persons[t]))
            if g.sudden_eq:
                out.append(np.log(max(exp[f"monitoring_persons_{g.kind}_sudden"], 1e-12)
                                  / g.persons["sudden"]))
        return np.array(out)

    x = np.zeros(sum(g.n for g in groups))
    if len(x):
        x = root(residual, x, method="hybr", options={"xtol": 1e-8}).x
    tw = weights(x)
    cal = calibrate(tw)
    exp = expected_by_type(cal, inp, tw, ry)
    for g in groups:
        for unit, targets, solved in (("households", g.households, g.eqs),
                                      ("persons", g.persons, [g.person_eq] * bool(g.person_eq)
                                       + ["sudden"] * g.sudden_eq)):
            for t in solved:
                key = f"monitoring_{unit}_{g.kind}_{t}"
                if abs(exp[key] / targets[t] - 1.0) > TOL:
                    cal.notes.append(f"{key} out of reach: expected {exp[key] / scale:.0f} against "
                                     f"{targets[t] / scale:.0f} published")
    for kind, (households, persons) in (("new", new_t), ("cumulative", cum_t)):
        if persons and not households:
            cal.notes.append(f"monitoring persons {kind} by type are published without the households: "
                  "not calibrated (the size tilts need the households by type)")
    cal.expected.update(exp)
    cal.types = tw
    return cal, tw


def solve_elimination_by_type(cal: Calibration, size_all: np.ndarray, size: np.ndarray, spell: np.ndarray,
                              mtype: np.ndarray, profile: dict, scale: float) -> bool:
    """Per-type ``elim_p`` and a common size tilt (in ``cal.types.elim``) when eliminated
    households are published for every type: each type's ``elim_p`` meets its households, the
    tilt the persons-based elimination rate (as :func:`.calibration.solve_elimination`, whose
    closed form this is per type). ``mtype``: the type code of each household in
    ``size``/``spell``. Returns whether it calibrated by type (else the totals' function applies).

    A type whose target is out of reach (too few of its households meet the elimination
    conditions by the reference quarter) is eliminated as far as it can be and the other types
    take up the difference in proportion, so the totals hold; a note says so."""
    elim_hh = published_by_type(profile, "eliminated_households")
    if not elim_hh:
        return False
    if len(elim_hh) < len(TYPES) or profile["published"]["monitoring_households_cumulative"]["value"] is None:
        cal.notes.append("eliminated households not published for every type (or no cumulative "
                         "count): eliminations calibrated on the totals only")
        return False
    size = size.astype(np.float64)
    rel = size / size_all.astype(np.float64).mean()
    sel = [mtype == code for code in range(len(TYPES))]
    persons_target = float(figure(profile, "elimination_rate")) / 100.0 * size.sum()

    def probs(k: int, e: float, tilt: float) -> np.ndarray:
        ei = np.clip(1.0 - (1.0 - e) ** (rel[sel[k]] ** tilt), 1e-6, 1.0)
        return 1.0 - (1.0 - ei) ** spell[sel[k]]

    def fit(tilt: float) -> tuple[list[float], list[str]]:
        """Per-type elim_p for the households (deficits of saturated types passed on)."""
        target = [elim_hh[t] * scale for t in TYPES]
        full = [float(probs(k, 1.0, tilt).sum()) for k in range(len(TYPES))]
        short: list[int] = []
        while True:
            new = [k for k in range(len(TYPES)) if k not in short and full[k] < target[k] * (1 - TOL)]
            if not new:
                break
            short += new
            rest = [k for k in range(len(TYPES)) if k not in short]
            if not rest:
                break
            gap = sum(target[k] - full[k] for k in short)
            base = sum(target[k] for k in rest)
            target = [full[k] if k in short else target[k] * (1 + gap / base) for k in range(len(TYPES))]
        e = []
        for k in range(len(TYPES)):
            if k in short or full[k] <= target[k]:
                e.append(1.0)
            elif probs(k, 1e-6, tilt).sum() >= target[k]:
                e.append(1e-6)
            else:
                e.append(brentq(lambda x, k=k: probs(k, x, tilt).sum() - target[k], 1e-6, 1.0, xtol=1e-10))
        return e, [TYPES[k] for k in short]

    def persons(tilt: float) -> float:
        e, _ = fit(tilt)
        return sum(float((probs(k, e[k], tilt) * size[sel[k]]).sum()) for k in range(len(TYPES)))

    lo, hi = -4.0, 4.0
    g_lo, g_hi = persons(lo) - persons_target, persons(hi) - persons_target
    if g_lo * g_hi > 0:
        cal.notes.append("elimination rate out of reach with the eliminated households by type; "
                         "elimination size tilt at its bound")
        tilt = lo if abs(g_lo) < abs(g_hi) else hi
    else:
        tilt = brentq(lambda x: persons(x) - persons_target, lo, hi, xtol=1e-6)
    e, short = fit(tilt)
    tw = cal.types or TypeWeights()
    total_hh = total_persons = 0.0
    for k, t in enumerate(TYPES):
        p = probs(k, e[k], tilt)
        tw.elim[t] = (e[k], tilt)
        cal.expected[f"eliminated_households_{t}"] = float(p.sum())
        cal.expected[f"eliminated_persons_{t}"] = float((p * size[sel[k]]).sum())
        total_hh += float(p.sum())
        total_persons += float((p * size[sel[k]]).sum())
        if t in short:
            cal.notes.append(f"eliminated_households_{t} out of reach: {p.sum() / scale:.0f} of "
                             f"{elim_hh[t]:.0f} published; the other types take up the difference")
    if len(short) == len(TYPES):
        cal.notes.append("eliminated households out of reach for every type")
    cal.types = tw
    cal.elim_tilt = tilt
    cal.expected["eliminated_households"] = total_hh
    cal.expected["elimination_rate"] = 100.0 * total_persons / max(float(size.sum()), 1e-9)
    return True


def elimination_probabilities(pop_size: np.ndarray, cal: Calibration) -> np.ndarray:
    """(3, n): quarterly elimination probability of each household if it is of each type
    (the same row three times without elimination by type)."""
    tw = cal.types
    if tw is None or not tw.elim:
        return np.broadcast_to(elimination_probability(pop_size, cal.elim_p, cal.elim_tilt),
                               (len(TYPES), len(pop_size)))
    return np.stack([elimination_probability(pop_size, *tw.elim[t]) for t in TYPES])


def stock_type_shares(win: np.ndarray, line_prev: np.ndarray, pa: np.ndarray, edge_multiple: float) -> np.ndarray:
    """(3, n) type probabilities of a stock identification, its quarter uniform over the rows of
    ``win`` (the engine types the stock on the window of its own quarter, ``line_prev`` the
    line of the quarter before)."""
    codes = monitoring_type(win, line_prev[:, None], pa, edge_multiple)
    return np.stack([(codes == c).mean(axis=0) for c in range(len(TYPES))])


def first_types(first: np.ndarray, win: np.ndarray, lines: np.ndarray, pa: np.ndarray,
                edge_multiple: float, j0: int) -> np.ndarray:
    """Type codes of first identifications in quarters ``first`` (``win``: quarters x these
    households), by the engine's rule: the window of the quarter before (the stock's own)."""
    at = np.where(first < j0, first, first - 1)
    return monitoring_type(win[at, np.arange(len(first))], lines[first - 1], pa, edge_multiple)
