"""Income: household levels calibrated to the published per-capita income, programs (dibao,
public-welfare jobs, wage work), and a market income with persistent and transitory parts.

Per-capita market income (wage, net operating, property) of household ``i`` in year ``y`` is

    M[i, y] = trend[i, y] * F[i, y]
    trend[i, y] = level[i] / (1 + growth[i]) ** [y < report_year] * (1 + g) ** (years from y to
                  report_year - 1, or from report_year to y)
    F[i, y] = exp(p[i, y] + e[i, y] - (v_p + sigma_t**2) / 2),   p[i, y] = rho * p[i, y-1]
              + drift[i] + sigma_p * eta[i, y],   e[i, y] ~ N(0, sigma_t**2)

``growth`` is the group's growth into the report year, solved to meet the published growth;
one county's growth of a single year (often a catch-up) says nothing of the others, so every
other year grows by the group's assumed rate ``g`` (``pa_growth``, ``general_growth``). ``level`` carries the
household's random effect (traits, village, a log-normal term), ``p`` is
a persistent AR(1) deviation (stationary variance ``v_p = sigma_p**2 / (1 - rho**2)``), ``e`` a
transitory one; ``drift`` is zero except under the ``low_capacity`` mechanism. A year's market
income is spread over its quarters by fixed seasonal patterns; within a year it changes only
through shocks (:mod:`.engine`). Transfers (pensions, dibao by tier, other subsidies) are
amounts per person, not shares of income, and assistance is added while a household is
monitored. Nothing tops income up to, or pushes it down to, any line.

Calibration is exact on the drawn paths: the shock and income draws are unit-free, so the
level of each group (poverty-alleviated, relocated, ordinary) and its growth are solved so the
realised size-weighted mean net income (before assistance) equals the published figure in the
report year and grows by the published rate from the year before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from relapse_models.core.profiles import figure
from relapse_models.data.simulate.population import Population, gumbel_top_k


@dataclass
class Income:
    """Per-household income structure (arrays of length n)."""

    raw: np.ndarray            # unit-free household effect exp(propensity)
    share: dict[str, np.ndarray]  # shares of market income: wage, operating (net), property
    report_year: int
    dibao: np.ndarray
    public_job: np.ndarray
    n_workers: np.ndarray
    transfer0: np.ndarray      # transfers per person and year in the report year (yuan)
    transfer_growth: float
    other_growth: np.ndarray   # growth of every year but the report year
    level: np.ndarray | None = None     # market income per person in the report year at F = 1
    growth: np.ndarray | None = None    # growth into the report year

    def transfers(self, year: int) -> np.ndarray:
        """Transfers per person in ``year`` (yuan, excluding assistance)."""
        return self.transfer0 * (1.0 + self.transfer_growth) ** (year - self.report_year)

    def market_trend(self, year: int) -> np.ndarray:
        """Market income per person at F = 1: ``level`` in the report year, ``growth`` into it,
        ``other_growth`` in every other year."""
        ry, g = self.report_year, 1.0 + self.other_growth
        if year >= ry:
            return self.level * g ** (year - ry)
        return self.level / (1.0 + self.growth) / g ** (ry - 1 - year)


def _solve_size_penalty(rng: np.random.Generator, base: np.ndarray, size: np.ndarray, k: int,
                        persons: float | None, eligible: np.ndarray) -> np.ndarray:
    """Select ``k`` households by ``base`` with a size tilt chosen so their persons match
    ``persons`` (bisection over the tilt, same Gumbel noise each time)."""
    gumbel = rng.gumbel(size=len(base))
    logs = np.log(size.astype(np.float64))

    def pick(beta: float) -> np.ndarray:
        out = np.zeros(len(base), dtype=bool)
        idx = np.flatnonzero(eligible)
        kk = min(k, len(idx))
        if kk <= 0:
            return out
        key = base[idx] + beta * logs[idx] + gumbel[idx]
        out[idx[np.argpartition(key, -kk)[-kk:]]] = True
        return out

    if persons is None or k <= 0:
        return pick(0.0)
    lo, hi = -8.0, 8.0
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        if size[pick(mid)].sum() < persons:
            lo = mid
        else:
            hi = mid
    return pick(0.5 * (lo + hi))


def build_income(pop: Population, profile: dict, scale: float, rng: np.random.Generator,
                 prm: dict, line_report_year: float) -> Income:
    """Programs, market-income shares and transfers of every household; levels are set later by
    :func:`calibrate_levels` (they depend on the realised shocks)."""
    ry = int(profile["report_year"])
    household_sd = {k: float(np.sqrt(max(v ** 2 - stationary_variance(prm) - prm["sigma_transitory"] ** 2,
                                         0.01)))
                    for k, v in prm["log_income_sd"].items()}
    n, pa, size = pop.n, pop.pa, pop.size.astype(np.float64)
    ry = int(profile["report_year"])
    z = rng.standard_normal(n)
    sigma = np.where(pa, household_sd["poverty_alleviated"], household_sd["general"])
    propensity = (
        sigma * z
        + pop.village_effect[pop.village]
        - 0.15 * (pop.n_disabled > 0)
        - 0.10 * (pop.n_chronic > 0)
        + 0.04 * (pop.head_edu - 7)
        - 0.30 * (pop.n_elderly / size)
    )

    # dibao: exactly the published number of households, the poorest most likely
    k_dibao = figure(profile, "dibao_households")
    k_dibao = int(round(k_dibao * scale)) if profile["published"]["dibao_households"]["value"] is not None \
        else int(round(k_dibao * n))
    persons = profile["published"]["dibao_persons"]["value"]
    dibao = _solve_size_penalty(
        rng, -3.0 * propensity, pop.size, k_dibao,
        None if persons is None else persons * scale, np.ones(n, dtype=bool),
    )
    # public-welfare jobs: poverty-alleviated households with labour, poorer ones first
    jobs = figure(profile, "public_welfare_jobs")
    k_jobs = int(round(jobs * scale)) if profile["published"]["public_welfare_jobs"]["value"] is not None \
        else int(round(jobs * pa.sum()))
    public_job = gumbel_top_k(rng, -2.0 * propensity, k_jobs, pa & (pop.n_labour > 0))
    # wage work: binomial per labourer with the rate that meets the published count
    spare = (pop.n_labour - public_job).clip(0)
    workers_pub = profile["published"]["workers"]["value"]
    if workers_pub is not None:
        rate = (workers_pub * scale - public_job.sum()) / max(spare[pa].sum(), 1)
    else:
        rate = figure(profile, "workers")
    rate = float(np.clip(rate, 0.0, 0.98))
    n_workers = public_job + rng.binomial(spare, np.where(pa, rate, prm["general_worker_rate"]))
    n_workers = n_workers.astype(np.int8)

    propensity = propensity + 0.5 * (n_workers / size - 0.45)

    raw = np.exp(propensity)
    # shares of market income (wage, net operating, property)
    w = {
        "wage": 1.6 * n_workers / size + 0.02,
        "operating": 0.35 + 0.30 * (pop.n_labour - n_workers).clip(0) / size,
    }
    rest = 1.0 - prm["property_share"]
    total = w["wage"] + w["operating"]
    share = {"wage": w["wage"] / total * rest, "operating": w["operating"] / total * rest,
             "property": np.full(n, prm["property_share"])}
    transfer0 = (prm["pension_per_elderly"] * pop.n_elderly / size
                 + prm["dibao_benefit_share"] * line_report_year * dibao
                 + prm["other_transfer_share"] * line_report_year)
    return Income(raw=raw, share=share, report_year=ry, dibao=dibao, public_job=public_job,
                  n_workers=n_workers, transfer0=transfer0, transfer_growth=prm["transfer_growth"],
                  other_growth=np.where(pop.pa, prm["pa_growth"], prm["general_growth"]))


def stationary_variance(prm: dict) -> float:
    """Stationary variance of the persistent AR(1) part."""
    return prm["sigma_persistent"] ** 2 / (1.0 - prm["rho"] ** 2)


def capacity_drift(pop: Population, prm: dict) -> np.ndarray:
    """Yearly drift of persistent log income: ``capacity_drift`` times a low-capacity index
    (no labour, elderly share, a disabled member), zero under the other mechanisms."""
    size = pop.size.astype(np.float64)
    index = (pop.n_labour == 0) + pop.n_elderly / size + 0.5 * (pop.n_disabled > 0)
    return prm["capacity_drift"] * index


def draw_factors(pop: Population, prm: dict, years: np.ndarray,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Annual factors ``F`` and persistent parts ``p`` (both (len(years), n)) of the process
    in the module docstring, ``p`` started from its stationary law in the first year."""
    n, rho = pop.n, prm["rho"]
    vp, st = stationary_variance(prm), prm["sigma_transitory"]
    drift = capacity_drift(pop, prm)
    p = np.empty((len(years), n))
    p[0] = np.sqrt(vp) * rng.standard_normal(n)
    for k in range(1, len(years)):
        p[k] = rho * p[k - 1] + drift + prm["sigma_persistent"] * rng.standard_normal(n)
    e = st * rng.standard_normal((len(years), n))
    return np.exp(p + e - (vp + st ** 2) / 2), p


def next_year_mean_log(p_now: np.ndarray, drift: np.ndarray, prm: dict) -> tuple[np.ndarray, float]:
    """Given this year's persistent part, next year's ``log F = m + s * z`` with z standard
    normal: returns ``(m, s)``."""
    vp, st = stationary_variance(prm), prm["sigma_transitory"]
    m = prm["rho"] * p_now + drift - (vp + st ** 2) / 2
    return m, float(np.sqrt(prm["sigma_persistent"] ** 2 + st ** 2))


def calibrate_levels(inc: Income, pop: Population, profile: dict, prm: dict, market_factor: dict[int, np.ndarray],
                     transfers: dict[int, np.ndarray]) -> None:
    """Set ``inc.level`` and ``inc.growth`` so realised mean net income (before assistance)
    meets the published level and growth.

    ``market_factor[y]`` is each household's realised market income in year ``y`` per unit of
    :meth:`Income.market_trend` (the annual factor times the year's shock
    losses), ``transfers[y]`` its transfers per person (both for the report year and the one
    before). Solved per group: poverty-alleviated (relocated apart when published) and ordinary.
    """
    ry = inc.report_year
    size = pop.size.astype(np.float64)
    pa, rel = pop.pa, pop.pa & pop.relocated
    target = float(figure(profile, "income_per_capita"))
    growth_pa = float(figure(profile, "income_growth")) / 100.0
    pub = profile["published"]
    rel_target = pub["income_per_capita_relocated"]["value"]
    rel_growth = pub["income_growth_relocated"]["value"]
    level = np.zeros(pop.n)
    growth = np.full(pop.n, prm["general_growth"])

    def solve(mask: np.ndarray, mean: float, g: float | None) -> None:
        if not mask.any():
            return
        s = size[mask]
        x1, t1 = market_factor[ry][mask] * inc.raw[mask], transfers[ry][mask]
        k = (mean * s.sum() - (t1 * s).sum()) / (x1 * s).sum()
        if k <= 0:
            raise ValueError(f"{profile['county_id']}: transfers alone exceed the published income "
                             f"{mean:.0f}; lower the transfer parameters")
        level[mask] = k * inc.raw[mask]
        if g is None:
            return
        x0, t0 = market_factor[ry - 1][mask] * level[mask], transfers[ry - 1][mask]

        def gap(gr: float) -> float:
            return ((x0 / (1 + gr) + t0) * s).sum() / s.sum() - mean / (1 + g)
        growth[mask] = brentq(gap, -0.5, 2.0, xtol=1e-10)

    if rel_target is not None and rel.any() and (pa & ~rel).any():
        solve(rel, rel_target, rel_growth / 100.0 if rel_growth is not None else growth_pa)
        rest = (target * size[pa].sum() - rel_target * size[rel].sum()) / size[pa & ~rel].sum()
        rest_growth = growth_pa
        if rel_growth is not None:
            prev_total = target * size[pa].sum() / (1 + growth_pa)
            prev_rel = rel_target * size[rel].sum() / (1 + rel_growth / 100.0)
            rest_growth = rest * size[pa & ~rel].sum() / (prev_total - prev_rel) - 1.0
        solve(pa & ~rel, rest, rest_growth)
    else:
        solve(pa, target, growth_pa)
    ratio = float(profile["generator"]["income_ratio_general"]["value"])
    solve(~pa, ratio * target, None)
    inc.level, inc.growth = level, growth
