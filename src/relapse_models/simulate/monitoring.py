"""The relapse and monitoring process, written as quarterly hazards so the truth is exact.

Each quarter a household may *fall* (its rolling income drops below the line), be *identified*
as a monitoring object, or neither. Given the state at the start of a quarter these happen with
probabilities built from independent pieces:

- a baseline fall intensity that rises steeply as the household's baseline income ratio to the
  line falls, and with disability, lack of labour, old age, chronic illness;
- shocks: an illness episode (catastrophic with a small probability), a village disaster that
  hits the household (severely with a small probability), loss of a wage job; each shock pushes
  the household below the line with a probability that rises as its income ratio falls;
  shock frequencies are fixed, their conversion into falls scales with ``kappa``;
- identification: a fall is noticed with probability ``d`` (visits at the county's frequency,
  self-report, department alerts); a catastrophic illness or severe disaster triggers a
  department alert (突发严重困难户) with a probability that rises as the ratio falls; an
  edge household (ratio below ``edge_multiple``) is screened in with a small intensity.

Between events the state evolves deterministically (income growth, the scheduled risk
elimination of a monitored household), so the probability of no event over the next quarters
is the product of the quarterly no-event probabilities: :meth:`HazardModel.log_no_event`.
All fall and identification intensities are multiplied by ``kappa`` (and the size tilt ``w``), solved in
:func:`calibrate` so the expected number of monitoring objects equals the published count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq

from relapse_models.profiles import figure, param
from relapse_models.simulate import params as P
from relapse_models.simulate.income import Income
from relapse_models.simulate.medical import illness_probabilities
from relapse_models.simulate.population import Population

log = logging.getLogger(__name__)


def detection_probability(visit_interval_days: float) -> float:
    """Probability that a fall is noticed within its quarter."""
    visits = 91.0 / max(float(visit_interval_days), 1.0)
    return float(1.0 - (1.0 - P.VISIT_DETECT) ** visits * P.OTHER_CHANNELS_MISS)


@dataclass
class HazardModel:
    """Quarterly hazards of every household; ``j`` indexes internal quarters."""

    pop: Population
    inc: Income
    years: np.ndarray            # calendar year of internal quarter j
    seasons: np.ndarray          # 1..4
    lines: np.ndarray            # monitoring line of quarter j
    edge_multiple: float
    d: float
    p_village: np.ndarray        # (4 seasons, n_villages, 4 types)
    kappa: float = 1.0
    kappa0: float = 0.0
    beta: float = 0.0
    elim_p: float = 0.3
    tau: float = 0.0             # yearly trend of kappa (log scale), around the report year
    report_year: int = 0
    _static: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        pop, inc = self.pop, self.inc
        size = pop.size.astype(np.float32)
        self.p_ill, self.p_cat = illness_probabilities(pop)
        self.p_job = (P.JOB_LOSS_RATE * (inc.n_workers > 0)).astype(np.float32)
        self.fall_mult = np.exp(
            P.FALL_COEF["disabled"] * (pop.n_disabled > 0)
            + P.FALL_COEF["no_labour"] * (pop.n_labour == 0)
            + P.FALL_COEF["elderly_share"] * pop.n_elderly / size
            + P.FALL_COEF["chronic"] * (pop.n_chronic > 0)
        ).astype(np.float32)
        self.has_labour = pop.n_labour > 0
        self.set_beta(self.beta)

    def set_beta(self, beta: float) -> None:
        """Size tilt of identification: weight ``size**beta`` normalised to mean one."""
        self.beta = beta
        w = self.pop.size.astype(np.float64) ** beta
        self.w = (w / w.mean()).astype(np.float32)

    def assist(self, j: int) -> float:
        """Assistance per person and year to a monitored household in quarter j."""
        return P.ASSIST_SHARE_OF_LINE * float(self.lines[j])

    def components(self, j: int, mon: np.ndarray | bool, idx: np.ndarray | slice = slice(None),
                   kappa: float | None = None) -> dict[str, np.ndarray]:
        """Probabilities of every piece in quarter ``j`` for households ``idx``."""
        kappa = self.kappa if kappa is None else kappa
        kappa = kappa * float(np.exp(self.tau * (int(self.years[j]) - self.report_year)))
        inc = self.inc
        base = inc.annual(int(self.years[j]))[idx]
        mon = np.asarray(mon, dtype=bool)
        r = (base + self.assist(j) * mon) / self.lines[j]
        r = np.maximum(r, 0.2).astype(np.float32)
        kw = kappa * self.w[idx]
        fall = 1 - np.exp(-kw * P.FALL_BASE * r ** P.FALL_RATIO_POWER * self.fall_mult[idx])
        edge = 1 - np.exp(-kw * P.EDGE_BASE * (r / self.edge_multiple) ** P.EDGE_RATIO_POWER
                          * self.d / (1 - P.OTHER_CHANNELS_MISS))
        s1 = 1 - np.exp(-kw * P.SUDDEN_ILLNESS / r)
        s2 = 1 - np.exp(-kw * np.float32(P.SUDDEN_DISASTER))
        pi1 = 1 - np.exp(-kw * P.FALL_GIVEN["illness"] / r**2 * np.where(self.has_labour[idx], 1.0, 0.5))
        pi2 = 1 - np.exp(-kw * P.FALL_GIVEN["disaster"] * r**-1.5 * inc.share["operating"][idx] / 0.4)
        pi3 = 1 - np.exp(-kw * 2 * P.FALL_GIVEN["job"] * inc.share["wage"][idx] / r**2)
        p_v = self.p_village[int(self.seasons[j]) - 1].sum(axis=1)[self.pop.village[idx]]
        p_hit = (p_v * P.DISASTER_AFFECTED).astype(np.float32)
        return {
            "r": r, "fall": fall, "edge": edge, "s1": s1, "s2": s2, "pi1": pi1, "pi2": pi2,
            "pi3": pi3, "p_cat": self.p_cat[idx], "p_sev": p_hit * P.DISASTER_SEVERE,
            "p_job": self.p_job[idx],
        }

    @staticmethod
    def no_fall_no_sudden(c: dict[str, np.ndarray], nm: np.ndarray | bool) -> np.ndarray:
        """P(no fall and no shock-triggered identification) in the quarter."""
        nm = np.asarray(nm, dtype=np.float32)
        term_ill = 1 - c["p_cat"] * (1 - (1 - c["pi1"]) * (1 - c["s1"] * nm))
        term_dis = 1 - c["p_sev"] * (1 - (1 - c["pi2"]) * (1 - c["s2"] * nm))
        term_job = 1 - c["p_job"] * c["pi3"]
        return (1 - c["fall"]) * term_ill * term_dis * term_job

    @staticmethod
    def no_event(c: dict[str, np.ndarray], nm: np.ndarray | bool) -> np.ndarray:
        """P(no fall and no identification) in the quarter; ``nm`` = not under monitoring."""
        nm_f = np.asarray(nm, dtype=np.float32)
        return (1 - c["edge"] * nm_f) * HazardModel.no_fall_no_sudden(c, nm)

    @staticmethod
    def no_identification(c: dict[str, np.ndarray], d: float) -> np.ndarray:
        """P(not identified) in the quarter for a household not under monitoring:
        no edge screening, and either the fall detector misses (prob ``1 - d``: only the
        shock alerts count) or it works (then no fall and no alert)."""
        s = (1 - c["p_cat"] * c["s1"]) * (1 - c["p_sev"] * c["s2"])
        f = HazardModel.no_fall_no_sudden(c, True)
        return (1 - c["edge"]) * ((1 - d) * s + d * f)

    def log_no_event(self, j: int, mon: bool) -> np.ndarray:
        """log P(no event in quarter j) for every household, all monitored or none."""
        c = self.components(j, np.full(self.pop.n, mon))
        return np.log(np.maximum(self.no_event(c, not mon), 1e-30)).astype(np.float32)


@dataclass
class Calibration:
    """What :func:`calibrate` solved, kept for the record (``SimulatedCounty.calibration``)."""

    kappa: float
    kappa0: float
    beta: float
    tau: float
    elim_p: float
    expected: dict[str, float]
    notes: list[str]


def _first_probabilities(hz: HazardModel, idx: np.ndarray, j0: int, j_ref: int, kappa: float) -> np.ndarray:
    """(quarters, households) P(not identified in quarter j | never identified before)."""
    return np.stack([
        hz.no_identification(hz.components(j, False, idx, kappa), hz.d).astype(np.float64)
        for j in range(j0, j_ref + 1)
    ])


def calibrate(hz: HazardModel, profile: dict, scale: float, j0: int, j_ref: int,
              report_js: np.ndarray, rng: np.random.Generator, max_sample: int = 150_000) -> Calibration:
    """Solve kappa (identification intensity), kappa0 (stock identified before the panel),
    beta (size tilt) and the elimination probability so the *expected* published counts hold.

    Expectations are exact sums of the hazard formulas over (a sample of) the drawn households,
    so the realised counts differ only by binomial noise (about 1 % at scale 1.0).
    """
    pop, notes = hz.pop, []
    n = pop.n
    idx = np.sort(rng.choice(n, max_sample, replace=False)) if n > max_sample else np.arange(n)
    f = n / len(idx)
    size = pop.size[idx].astype(np.float64)
    pub = profile["published"]
    cum_pub = pub["monitoring_households_cumulative"]["value"]
    cum_hh = cum_pub * scale if cum_pub is not None else figure(profile, "monitoring_households_cumulative") * n
    cum_persons = pub["monitoring_persons_cumulative"]["value"]
    cum_persons = None if cum_persons is None or cum_pub is None else cum_persons * scale
    new_hh = pub["monitoring_households_new"]["value"]
    new_hh = None if new_hh is None else new_hh * scale
    phi = float(param(profile, "initial_stock_share"))
    rel = report_js - j0  # positions of the report year's quarters in the stacked arrays

    def stock_prob(kappa0: float, rho: np.ndarray) -> np.ndarray:
        return 1 - np.exp(-kappa0 * hz.w[idx] * rho)

    def pieces(kappa: float) -> tuple[np.ndarray, np.ndarray]:
        pn = _first_probabilities(hz, idx, j0, j_ref, kappa)
        rho = -np.log(np.maximum(_first_probabilities(hz, idx, j0, j0, 1.0)[0], 1e-12))
        return pn, rho

    def solve_flow(k0_target: float) -> tuple[float, float, np.ndarray, np.ndarray]:
        """kappa0 for the stock target, then kappa for the cumulative target."""
        _, rho = pieces(1.0)
        k0 = 0.0
        if k0_target > 0:
            def gs(k0: float) -> float:
                return f * stock_prob(k0, rho).sum() - k0_target
            hi = 1.0
            while gs(hi) < 0 and hi < 1e6:
                hi *= 4
            k0 = brentq(gs, 0.0, hi, xtol=1e-6, rtol=1e-6)

        def gk(kappa: float) -> float:
            pn, _ = pieces(kappa)
            return f * (1 - (1 - stock_prob(k0, rho)) * pn.prod(axis=0)).sum() - cum_hh
        if gk(1e-6) > 0:
            notes.append("identification from the stock alone exceeds the target; kappa at its floor")
            kappa = 1e-6
        else:
            hi = 1.0
            while gk(hi) < 0 and hi < 1e5:
                hi *= 3
            kappa = brentq(gk, 1e-6, hi, xtol=1e-6, rtol=1e-4)
        pn, rho = pieces(kappa)
        return kappa, k0, pn, rho

    def new_gap(pn: np.ndarray, rho: np.ndarray, k0: float) -> float:
        before = pn[: rel.min()].prod(axis=0)
        return f * ((1 - stock_prob(k0, rho)) * before * (1 - pn[rel].prod(axis=0))).sum() - new_hh

    def solve_for_beta(beta: float) -> tuple[float, float, np.ndarray, np.ndarray]:
        hz.set_beta(beta)
        return solve_flow(phi * cum_hh)

    beta = 0.0
    kappa, k0, pn, rho = solve_for_beta(beta)
    if cum_persons is not None:
        def ratio_gap(b: float) -> float:
            kappa, k0, pn, rho = solve_for_beta(b)
            pc = 1 - (1 - stock_prob(k0, rho)) * pn.prod(axis=0)
            return (pc * size).sum() / pc.sum() - cum_persons / cum_hh
        lo, hi = -3.0, 3.0
        g_lo, g_hi = ratio_gap(lo), ratio_gap(hi)
        if g_lo > 0 or g_hi < 0:
            notes.append("persons per monitored household out of reach; size tilt at its bound")
            beta = lo if g_lo > 0 else hi
        else:
            beta = brentq(ratio_gap, lo, hi, xtol=0.01)
        kappa, k0, pn, rho = solve_for_beta(beta)

    if new_hh is not None:
        # the trend of the intake over the years: the report year's new count holds
        def tau_gap(tau: float) -> float:
            hz.tau = tau
            kappa, k0, pn, rho = solve_flow(phi * cum_hh)
            return new_gap(pn, rho, k0)
        lo, hi = -1.5, 1.5
        if tau_gap(lo) > 0 or tau_gap(hi) < 0:
            notes.append("new identifications in the report year out of reach; trend at its bound")
            hz.tau = lo if tau_gap(lo) > 0 else hi
        else:
            hz.tau = brentq(tau_gap, lo, hi, xtol=1e-3)
        kappa, k0, pn, rho = solve_flow(phi * cum_hh)

    # elimination: persons-weighted share eliminated by the reference quarter
    s0 = stock_prob(k0, rho)
    surv = np.cumprod(pn, axis=0)
    first = np.vstack([s0[None, :] / 3.0] * 3 + [((1 - s0) * np.vstack([np.ones_like(s0), surv[:-1]]) * (1 - pn))])
    js = np.concatenate([np.arange(j0 - 3, j0), np.arange(j0, j_ref + 1)])
    pc = 1 - (1 - s0) * surv[-1]
    lab = pop.n_labour[idx] > 0
    rate_target = float(figure(profile, "elimination_rate")) / 100.0

    def elim_share(e: float) -> float:
        m = j_ref - js - P.MIN_MONITORED_QUARTERS
        p = np.where(m >= 0, 1 - (1 - e) ** (m + 1).clip(0), 0.0)
        return (first * p[:, None] * (size * lab)).sum() / (pc * size).sum()

    if elim_share(1.0) < rate_target:
        notes.append("elimination rate out of reach (too many households without labour)")
        elim_p = 1.0
    elif elim_share(1e-4) > rate_target:
        elim_p = 1e-4
    else:
        elim_p = brentq(lambda e: elim_share(e) - rate_target, 1e-4, 1.0, xtol=1e-5)
    hz.kappa, hz.kappa0, hz.elim_p = kappa, k0, elim_p
    expected = {
        "monitoring_households_cumulative": float(f * pc.sum()),
        "monitoring_persons_cumulative": float(f * (pc * size).sum()),
        "elimination_rate": 100 * elim_share(elim_p),
    }
    for note in notes:
        log.warning("%s: %s", profile["county_id"], note)
    return Calibration(kappa, k0, beta, hz.tau, elim_p, expected, notes)
