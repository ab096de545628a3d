"""The relapse and monitoring process, written as quarterly hazards so the truth is exact.

Each quarter a household may *fall* (its rolling income drops below the line), be *identified*
as a monitoring object, or neither. Given the state at the start of a quarter these happen with
probabilities built from independent pieces:

- a baseline fall intensity that rises steeply as the household's baseline income ratio to the
  line falls, and with disability, lack of labour, old age, chronic illness (vulnerability);
- observable shocks: a catastrophic illness episode, a severe village disaster loss, the loss
  of a wage job. A shock converts into a fall in its own quarter *and*, with a larger weight,
  in each of the ``SHOCK_LAG`` quarters after it (debts, a lost harvest, a job not yet
  replaced), so shocks the monitoring system records *precede* relapse, as in the field
  (docs/domain.md section 7: illness, disasters, labour and income drops drive relapse). The
  conversion is a steep function of the income ratio after the shock's expected loss
  (:meth:`QuarterlyHazards.shock_loss_share`: out-of-pocket cost, disaster loss, lost wages as a
  share of the year's income), so a shock that takes a large share of income -- the very
  thing the official rule's triggers look at -- is the one that pushes a household under.
  The official screening rule therefore has real but imperfect power (AUC about 0.6 on
  at-risk rows at the default rule, well below the oracle's, about 0.9);
- identification: each fall is noticed with probability ``d`` (visits at the county's
  frequency, self-report, department alerts), independently of its source; a catastrophic
  illness or severe disaster triggers a department alert (突发严重困难户) with a probability that
  rises as the ratio falls; an edge household (ratio below ``edge_multiple``) is screened in
  with a small intensity. Identification brings assistance that addresses the risk: the
  lagged effect of earlier shocks stops (later shocks act again).

Between events the state evolves deterministically (income growth, the scheduled risk
elimination of a monitored household), except for shocks that cause no event; their lagged
effect is carried exactly by a forward recursion over "quarters since the last shock" (one per
shock kind; the kinds are independent, so the no-event probability factorises):
:meth:`QuarterlyHazards.log_no_event_horizon` gives the oracle, :func:`_first_probabilities` the
probability of a first identification used by the calibration. All fall and identification
intensities are multiplied by ``kappa`` (and the size tilt ``w``), solved in :func:`calibrate`
so the expected number of monitoring objects equals the published count; the risk
elimination probability and its size tilt are solved so the published persons-based rate
and, where published, the eliminated households both hold.

The draws keep these probabilities household by household but not independently across
households: identification (and the stock identified before the panel) is a systematic
sample ordered by household size (:func:`draw_identification`), so realised counts of
households and persons carry (almost) no sampling noise; the oracle, a per-household
probability, is unchanged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq

from relapse_models.core.profiles import figure, param
from relapse_models.data.simulate import params as P
from relapse_models.data.simulate.income import Income
from relapse_models.data.simulate.medical import illness_probabilities
from relapse_models.data.simulate.population import Population
from relapse_models.data.simulate.sampling import conditional_uniforms, systematic_sample

SHOCKS = ("illness", "disaster", "job")
"""Shocks with a lagged effect, in the order of ``QuarterlyHazards.shock_probabilities``."""

log = logging.getLogger(__name__)


def detection_probability(visit_interval_days: float) -> float:
    """Probability that a fall is noticed within its quarter."""
    visits = 91.0 / max(float(visit_interval_days), 1.0)
    return float(1.0 - (1.0 - P.VISIT_DETECT) ** visits * P.OTHER_CHANNELS_MISS)


@dataclass
class QuarterlyHazards:
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
    elim_tilt: float = 0.0       # size tilt of risk elimination (see :meth:`elimination_probability`)
    tau: float = 0.0             # yearly trend of kappa (log scale), around the report year
    report_year: int = 0
    reimbursement: float = 0.85  # county's rate for poverty-alleviated and monitored households
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

    def elimination_probability(self, idx: np.ndarray | slice = slice(None),
                                elim_p: float | None = None, tilt: float | None = None) -> np.ndarray:
        """Quarterly probability that a monitored household's recovery is confirmed (after the
        minimum spell): ``1 - (1 - elim_p) ** (size / mean size) ** tilt``. The tilt lets the
        household count and the persons-based rate of eliminations both meet the published
        figures (a county eliminating small households faster reports fewer persons per
        eliminated household)."""
        e = self.elim_p if elim_p is None else elim_p
        t = self.elim_tilt if tilt is None else tilt
        s = self.pop.size.astype(np.float64)
        rel = (s / s.mean())[idx] ** t
        return np.clip(1.0 - (1.0 - e) ** rel, 1e-6, 1.0)

    def assist(self, j: int) -> float:
        """Assistance per person and year to a monitored household in quarter j."""
        return P.ASSIST_SHARE_OF_LINE * float(self.lines[j])

    def shock_probabilities(self, j: int, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        """(3, households) quarterly probability of each shock in quarter ``j``: catastrophic
        illness, severe disaster loss, wage-job loss (the order of :data:`SHOCKS`)."""
        p_v = self.p_village[int(self.seasons[j]) - 1].sum(axis=1)[self.pop.village[idx]]
        p_sev = (p_v * P.DISASTER_AFFECTED * P.DISASTER_SEVERE).astype(np.float32)
        return np.stack([self.p_cat[idx], p_sev, self.p_job[idx]])

    def shock_loss_share(self, j: int, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        """(3, households) expected loss of each shock as a share of the year's baseline net
        income, capped at ``SHOCK_LOSS_CAP`` (family support, credit and medical assistance
        bound what one shock takes): out-of-pocket cost of a catastrophic episode at the
        reimbursement rate of a poverty-alleviated or monitored household; a severe disaster's
        operating loss and repair cost; a year of reduced wages after a job loss."""
        inc, size = self.inc, self.pop.size[idx].astype(np.float32)
        annual = np.maximum(inc.annual(int(self.years[j]))[idx] * size, 1.0)
        cat_cost = P.CATASTROPHIC_COST[0]  # the median episode
        ill = cat_cost * (1 - self.reimbursement) / annual
        op = inc.share["operating"][idx]
        dis = 0.8 * op / (1 - P.COST_RATIO) / 4 + 11_000.0 / annual
        wage_kept = (P.JOB_LOSS_WAGE[0] + P.SHOCK_LAG * P.JOB_LOSS_WAGE[1]) / (1 + P.SHOCK_LAG)
        job = inc.share["wage"][idx] * (1 - wage_kept)
        return np.minimum(np.stack([ill, dis, job]), P.SHOCK_LOSS_CAP).astype(np.float32)

    def expected_recent(self, j: int, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        """(3, households) probability of a shock in the ``SHOCK_LAG`` quarters before ``j``
        (the burn-in quarters have shocks too): the mean-field value calibration uses."""
        out = np.ones_like(self.shock_probabilities(j, idx))
        for jj in range(max(0, j - P.SHOCK_LAG), j):
            out *= 1 - self.shock_probabilities(jj, idx)
        return 1 - out

    def kappa_free(self, j: int, mon: np.ndarray | bool,
                   idx: np.ndarray | slice = slice(None)) -> dict[str, np.ndarray]:
        """The parts of :meth:`components` that do not depend on the intensities (``kappa``,
        ``tau``, the size tilt): calibration solves for those over and over on the same
        sample and quarters, so it computes these once (:func:`_first_probabilities`)."""
        base = self.inc.annual(int(self.years[j]))[idx]
        mon = np.asarray(mon, dtype=bool)
        r = (base + self.assist(j) * mon) / self.lines[j]
        r = np.maximum(r, 0.2).astype(np.float32)
        # how strongly each shock converts into a fall: like the baseline, a steep function of
        # the income ratio *after* the shock's expected loss (the share of a year's net income
        # a job loss, a severe disaster or a catastrophic illness's out-of-pocket cost takes),
        # (an illness costs a household without labour no wages: half the effect)
        loss = self.shock_loss_share(j, idx)
        g_ill, g_dis, g_job = ((r * (1 - loss)) ** P.SHOCK_RATIO_POWER).astype(np.float32)
        g_ill = g_ill * np.where(self.has_labour[idx], 1.0, 0.5).astype(np.float32)
        return {
            "r": r, "r_fall": r ** P.FALL_RATIO_POWER, "fall_mult": self.fall_mult[idx],
            "r_edge": (r / self.edge_multiple) ** P.EDGE_RATIO_POWER,
            "g_ill": g_ill, "g_dis": g_dis, "g_job": g_job,
            "shocks": self.shock_probabilities(j, idx),
        }

    def components(self, j: int, mon: np.ndarray | bool, idx: np.ndarray | slice = slice(None),
                   kappa: float | None = None, recent: np.ndarray | None = None,
                   free: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """Probabilities of every piece in quarter ``j`` for households ``idx``.

        ``recent`` (3, households): whether (or the probability that) each shock happened in
        the ``SHOCK_LAG`` quarters before ``j``; ``None`` uses :meth:`expected_recent`.
        ``free``: :meth:`kappa_free` of the same ``j``, ``mon`` and ``idx``, if already known.
        """
        kappa = self.kappa if kappa is None else kappa
        kappa = kappa * float(np.exp(self.tau * (int(self.years[j]) - self.report_year)))
        f = self.kappa_free(j, mon, idx) if free is None else free
        r, g_ill, g_dis, g_job = f["r"], f["g_ill"], f["g_dis"], f["g_job"]
        kw = kappa * self.w[idx]
        fall = 1 - np.exp(-kw * P.FALL_BASE * f["r_fall"] * f["fall_mult"])
        edge = 1 - np.exp(-kw * P.EDGE_BASE * f["r_edge"]
                          * self.d / (1 - P.OTHER_CHANNELS_MISS))
        s1 = 1 - np.exp(-kw * P.SUDDEN_ILLNESS / r)
        s2 = 1 - np.exp(-kw * np.float32(P.SUDDEN_DISASTER))
        pi1 = 1 - np.exp(-kw * P.FALL_GIVEN["illness"] * g_ill)
        pi2 = 1 - np.exp(-kw * P.FALL_GIVEN["disaster"] * g_dis)
        pi3 = 1 - np.exp(-kw * P.FALL_GIVEN["job"] * g_job)
        lag = np.stack([
            1 - np.exp(-kw * P.FALL_AFTER["illness"] * g_ill),
            1 - np.exp(-kw * P.FALL_AFTER["disaster"] * g_dis),
            1 - np.exp(-kw * P.FALL_AFTER["job"] * g_job),
        ]).astype(np.float32)
        shocks = f["shocks"]
        rec = self.expected_recent(j, idx) if recent is None else np.asarray(recent, np.float32)
        return {
            "r": r, "fall": fall, "edge": edge, "s1": s1, "s2": s2, "pi1": pi1, "pi2": pi2,
            "pi3": pi3, "p_cat": shocks[0], "p_sev": shocks[1], "p_job": shocks[2],
            "lag": lag, "recent": rec,
        }

    @staticmethod
    def no_identification(c: dict[str, np.ndarray], d: float) -> np.ndarray:
        """P(not identified) in the quarter for a household not under monitoring: no edge
        screening, no shock alert, and no *detected* fall (each fall is noticed with
        probability ``d``, independently of its source). ``c["recent"]`` may be the mean-field
        probability of a recent shock (then approximate) or an indicator (then exact)."""
        term_ill = 1 - c["p_cat"] * (1 - (1 - d * c["pi1"]) * (1 - c["s1"]))
        term_dis = 1 - c["p_sev"] * (1 - (1 - d * c["pi2"]) * (1 - c["s2"]))
        term_job = 1 - c["p_job"] * d * c["pi3"]
        term_lag = (1 - c["recent"] * d * c["lag"]).prod(axis=0)
        return (1 - c["edge"]) * (1 - d * c["fall"]) * term_ill * term_dis * term_job * term_lag

    def log_no_event_horizon(self, j: int, horizon: int, mon: np.ndarray, elim_from: np.ndarray,
                             last_shock: np.ndarray) -> np.ndarray:
        """log P(no fall and no identification in quarters ``j+1 .. j+horizon``) given the state
        at the end of quarter ``j``: who is monitored (``mon``), the quarter from which each
        monitored household is eliminated on the no-event path (``elim_from``), and the
        quarter of each household's last shock of each kind (``last_shock``, shape (3, n)).

        Exact: given no event, the state moves deterministically except for shocks that
        do not cause an event, whose lagged effect on later quarters is carried by a forward
        recursion over "quarters since the last shock" (states 1..SHOCK_LAG and "none
        recent"), one per shock kind. The quarter's no-event probability is a product of
        independent pieces, so the horizon's is the product of the base terms and of the three
        recursions' total masses.
        """
        n, L = self.pop.n, P.SHOCK_LAG
        mon_k = mon.copy()
        logp = np.zeros(n, np.float64)
        age = np.minimum(j + 1 - last_shock, L + 1)              # at quarter j+1, (3, n)
        mass = (np.arange(1, L + 2)[None, :, None] == age[:, None, :]).astype(np.float64)  # (3, L+1, n)
        zero = np.zeros((3, n), np.float32)
        for step in range(1, horizon + 1):
            jj = j + step
            mon_k &= ~(jj >= elim_from)
            c = self.components(jj, mon_k, recent=zero)
            nm = (~mon_k).astype(np.float32)
            logp += np.log(np.maximum((1 - c["fall"]) * (1 - c["edge"] * nm), 1e-30))
            p = np.stack([c["p_cat"], c["p_sev"], c["p_job"]])
            quiet = np.stack([                                   # shock without an event now
                (1 - c["pi1"]) * (1 - c["s1"] * nm),
                (1 - c["pi2"]) * (1 - c["s2"] * nm),
                1 - c["pi3"],
            ])
            surv = mass.copy()
            surv[:, :L, :] *= (1 - c["lag"])[:, None, :]           # recent shock, no lagged fall
            total = surv.sum(axis=1)
            new = np.zeros_like(mass)
            new[:, 0, :] = total * p * quiet
            new[:, 1:, :] += surv[:, :L, :] * (1 - p)[:, None, :]   # no shock: one quarter older
            new[:, L, :] += surv[:, L, :] * (1 - p)
            mass = new
        return logp + np.log(np.maximum(mass.sum(axis=1), 1e-300)).sum(axis=0)


def draw_identification(c: dict[str, np.ndarray], cat: np.ndarray, severe: np.ndarray, job: np.ndarray,
                        recent: np.ndarray, mon: np.ndarray, d: float, key: np.ndarray,
                        rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw a quarter's identifications given the realised shocks: ``(ident, u, fire)``.

    ``u`` (10, households) holds one uniform per piece, in the order base fall, fall after
    illness, disaster, job loss, illness alert, disaster alert, edge screening, and the three
    lagged falls; a piece's fall happens below its probability ``q`` and is noticed below
    ``q * d``; ``fire`` marks the pieces that identify. Whether a household not under
    monitoring is identified at all (probability ``1 - QuarterlyHazards.no_identification``) is
    drawn first by :func:`systematic_sample` ordered by ``key`` (household size), so each
    household keeps its exact probability (the oracle is unchanged) while the quarter's count
    of identified households and persons carries no sampling noise; the uniforms are then
    drawn conditional on that outcome (:func:`conditional_uniforms`).
    """
    thr = np.stack([
        c["fall"] * d, cat * c["pi1"] * d, severe * c["pi2"] * d, job * c["pi3"] * d,
        cat * c["s1"], severe * c["s2"], c["edge"], *(recent * c["lag"] * d),
    ]).astype(np.float64) * ~np.asarray(mon, dtype=bool)
    thr = np.clip(thr, 0.0, 1.0)
    p_id = np.clip(-np.expm1(np.log1p(-np.minimum(thr, 1 - 1e-16)).sum(axis=0)), 0.0, 1.0)
    p_id[(thr >= 1.0).any(axis=0)] = 1.0
    ident = systematic_sample(p_id, rng, key=key)
    u = rng.random(thr.shape)
    u = thr + u * (1 - thr)                        # not identified: no piece fires
    fire = np.zeros(thr.shape, bool)
    ii = np.flatnonzero(ident)
    if len(ii):
        u[:, ii], fire[:, ii] = conditional_uniforms(thr[:, ii], rng)
    return ident, u, fire


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
    elim_tilt: float = 0.0


def _first_probabilities(hz: QuarterlyHazards, idx: np.ndarray, j0: int, j_ref: int, kappa: float,
                         free: dict | None = None) -> np.ndarray:
    """(quarters, households) P(not identified in quarter j | never identified before j).

    Exact for the lagged shock effects: the survival of a never-identified household is a
    forward recursion over "quarters since the last shock" per shock kind (shocks in the
    burn-in included), like :meth:`QuarterlyHazards.log_no_event_horizon` with ``d`` in front of
    every fall; the per-quarter conditional probabilities are ratios of survivals.

    ``free``: a dict kept across calls on the same ``idx`` (calibration): the parts that do
    not depend on the intensities are computed once per quarter (same numbers, less work)."""
    free = {} if free is None else free

    def shocks(jj: int) -> tuple[np.ndarray, np.ndarray]:
        if ("burn", jj) not in free:
            p = hz.shock_probabilities(jj, idx).astype(np.float64)
            free[("burn", jj)] = (p, 1 - p)
        return free[("burn", jj)]

    L, m = P.SHOCK_LAG, len(np.arange(hz.pop.n)[idx])
    mass = np.zeros((3, L + 1, m))
    mass[:, L, :] = 1.0
    for jj in range(max(0, j0 - L), j0):                 # burn-in shocks decide nothing
        p, q = shocks(jj)
        new = np.zeros_like(mass)
        new[:, 0, :] = mass.sum(axis=1) * p
        new[:, 1:, :] += mass[:, :L, :] * q[:, None, :]
        new[:, L, :] += mass[:, L, :] * q
        mass = new
    zero = np.zeros((3, m), np.float32)
    d, out, prev = hz.d, [], np.ones(m)
    log_base = np.zeros(m)
    for j in range(j0, j_ref + 1):
        if j not in free:
            fr = hz.kappa_free(j, False, idx)
            p = fr["shocks"].astype(np.float64)  # p_cat, p_sev, p_job
            free[j] = fr, p, 1 - p
        fr, p, q = free[j]
        c = hz.components(j, False, idx, kappa, recent=zero, free=fr)
        log_base += np.log(np.maximum(((1 - c["edge"]) * (1 - d * c["fall"])).astype(np.float64), 1e-300))
        quiet = np.stack([(1 - d * c["pi1"]) * (1 - c["s1"]), (1 - d * c["pi2"]) * (1 - c["s2"]),
                          1 - d * c["pi3"]]).astype(np.float64)
        surv = mass  # updated in place: the previous quarter's mass is not needed again
        surv[:, :L, :] *= (1 - d * c["lag"].astype(np.float64))[:, None, :]
        new = np.empty_like(mass)
        new[:, 0, :] = surv.sum(axis=1) * p * quiet
        np.multiply(surv[:, :L, :], q[:, None, :], out=new[:, 1:, :])
        new[:, L, :] += surv[:, L, :] * q
        mass = new
        s_now = np.exp(log_base) * mass.sum(axis=1).prod(axis=0)
        out.append(s_now / np.maximum(prev, 1e-300))
        prev = s_now
    return np.stack(out)


def calibrate(hz: QuarterlyHazards, profile: dict, scale: float, j0: int, j_ref: int,
              report_js: np.ndarray, rng: np.random.Generator, max_sample: int = 150_000) -> Calibration:
    """Solve kappa (identification intensity), kappa0 (stock identified before the panel),
    beta (size tilt) and the elimination probability so the *expected* published counts hold.

    Expectations are exact sums of the hazard formulas over (a sample of) the drawn households.
    The engine draws identifications and the stock by systematic sampling
    (:func:`draw_identification`), so given the realised shocks each quarter's count is within
    one of its expectation: what remains is the noise of the shocks and of the households'
    paths, not of the identification draw itself.
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

    rho_cache: dict[float, np.ndarray] = {}
    free: dict = {}  # per-quarter parts that do not depend on the solved intensities

    def pieces(kappa: float | None) -> tuple[np.ndarray | None, np.ndarray]:
        pn = _first_probabilities(hz, idx, j0, j_ref, kappa, free) if kappa is not None else None
        if hz.beta not in rho_cache:  # the stock's weight depends on the size tilt only
            first = _first_probabilities(hz, idx, j0, j0, 1.0, free)[0]
            rho_cache[hz.beta] = -np.log(np.maximum(first, 1e-12))
        return pn, rho_cache[hz.beta]

    def solve_flow(k0_target: float) -> tuple[float, float, np.ndarray, np.ndarray]:
        """kappa0 for the stock target, then kappa for the cumulative target."""
        _, rho = pieces(None)
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

    m = (j_ref - js - P.MIN_MONITORED_QUARTERS)[:, None]

    def eliminated(e: float, tilt: float) -> np.ndarray:
        """P(identified and eliminated by the reference quarter), per sampled household."""
        ei = hz.elimination_probability(idx, e, tilt)[None, :]
        p = np.where(m >= 0, 1 - (1 - ei) ** (m + 1).clip(0), 0.0)
        return (first * p).sum(axis=0) * lab

    def elim_share(e: float, tilt: float) -> float:
        return float((eliminated(e, tilt) * size).sum() / (pc * size).sum())

    def solve_elim(tilt: float) -> float:
        if elim_share(1.0, tilt) < rate_target:
            notes.append("elimination rate out of reach (too many households without labour)")
            return 1.0
        if elim_share(1e-4, tilt) > rate_target:
            return 1e-4
        return brentq(lambda e: elim_share(e, tilt) - rate_target, 1e-4, 1.0, xtol=1e-6)

    # households eliminated: when published next to the persons-based rate, a size tilt of
    # the elimination probability makes both hold
    elim_hh = pub.get("eliminated_households", {}).get("value")
    tilt = 0.0
    if elim_hh is not None and cum_pub is not None:
        target_hh = elim_hh * scale

        def hh_gap(t: float) -> float:
            return f * eliminated(solve_elim(t), t).sum() - target_hh
        lo, hi = -4.0, 4.0
        g_lo, g_hi = hh_gap(lo), hh_gap(hi)
        if g_lo * g_hi > 0:
            notes.append("eliminated households out of reach; elimination size tilt at its bound")
            tilt = lo if abs(g_lo) < abs(g_hi) else hi
        else:
            tilt = brentq(hh_gap, lo, hi, xtol=1e-4)
    elim_p = solve_elim(tilt)
    hz.kappa, hz.kappa0, hz.elim_p, hz.elim_tilt = kappa, k0, elim_p, tilt
    expected = {
        "monitoring_households_cumulative": float(f * pc.sum()),
        "monitoring_persons_cumulative": float(f * (pc * size).sum()),
        "eliminated_households": float(f * eliminated(elim_p, tilt).sum()),
        "elimination_rate": 100 * elim_share(elim_p, tilt),
    }
    for note in notes:
        log.warning("%s: %s", profile["county_id"], note)
    return Calibration(kappa, k0, beta, hz.tau, elim_p, expected, notes, tilt)
