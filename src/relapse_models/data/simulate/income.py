"""Income: household levels calibrated to the published per-capita income, programs (dibao,
public-welfare jobs, wage work), quarterly components with seasonality and noise, and the rule
that ties realised income to the relapse state.

Calibration is exact on the drawn population: the size-weighted mean of the baseline per-capita
net income of poverty-alleviated households in the report year equals the published figure
(relocated households their own figure where published), and the baseline grows by the
published rate. Realised incomes differ from the baseline by mean-one noise, shocks, falls and
assistance; the reconciliation shows by how much.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from relapse_models.core.profiles import figure
from relapse_models.data.simulate import params as P
from relapse_models.data.simulate.population import Population, gumbel_top_k

COMPONENTS = ("wage", "operating", "property", "transfer")


@dataclass
class Income:
    """Per-household income structure (arrays of length n)."""

    level: np.ndarray          # per-capita net income in the report year, yuan/person/year
    growth: np.ndarray         # yearly growth rate
    share: dict[str, np.ndarray]  # shares of net income by component (operating is net)
    report_year: int
    dibao: np.ndarray
    public_job: np.ndarray
    n_workers: np.ndarray

    def annual(self, year: int) -> np.ndarray:
        """Baseline per-capita net income in ``year`` (float32)."""
        return (self.level * (1.0 + self.growth) ** (year - self.report_year)).astype(np.float32)


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


def build_income(pop: Population, profile: dict, scale: float, rng: np.random.Generator) -> Income:
    """Programs and calibrated income levels for every household."""
    n, pa, size = pop.n, pop.pa, pop.size.astype(np.float64)
    ry = int(profile["report_year"])
    z = rng.standard_normal(n)
    sigma = np.where(pa, P.INCOME_SIGMA["poverty_alleviated"], P.INCOME_SIGMA["general"])
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
    n_workers = public_job + rng.binomial(spare, np.where(pa, rate, P.GENERAL_WORKER_RATE))
    n_workers = n_workers.astype(np.int8)

    propensity = propensity + 0.5 * (n_workers / size - 0.45)
    raw = np.exp(propensity)

    # component shares of net income
    w = {
        "wage": 1.6 * n_workers / size + 0.02,
        "operating": 0.35 + 0.30 * (pop.n_labour - n_workers).clip(0) / size,
        "property": np.full(n, P.PROPERTY_SHARE),
        "transfer": 0.06 + 0.35 * pop.n_elderly / size + 0.25 * dibao + 0.10 * (pop.n_disabled > 0),
    }
    total = sum(w.values())
    share = {k: (v / total).astype(np.float32) for k, v in w.items()}

    # levels: size-weighted means equal the published (or assumed) per-capita income
    target = float(figure(profile, "income_per_capita"))
    growth_pa = float(figure(profile, "income_growth")) / 100.0
    rel_target = profile["published"]["income_per_capita_relocated"]["value"]
    rel_growth = profile["published"]["income_growth_relocated"]["value"]
    level = np.empty(n)
    growth = np.full(n, P.GENERAL_GROWTH)

    def set_mean(mask: np.ndarray, mean: float) -> None:
        if mask.any():
            level[mask] = raw[mask] * mean * size[mask].sum() / (raw[mask] * size[mask]).sum()

    rel = pa & pop.relocated
    if rel_target is not None and rel.any() and (pa & ~rel).any():
        set_mean(rel, rel_target)
        rest = (target * size[pa].sum() - rel_target * size[rel].sum()) / size[pa & ~rel].sum()
        set_mean(pa & ~rel, rest)
    else:
        set_mean(pa, target)
    growth[pa] = growth_pa
    if rel_growth is not None and rel.any() and (pa & ~rel).any():
        g_rel = rel_growth / 100.0
        growth[rel] = g_rel
        tot_now = (level[pa] * size[pa]).sum()
        prev_rel = (level[rel] * size[rel]).sum() / (1 + g_rel)
        prev_rest = tot_now / (1 + growth_pa) - prev_rel
        growth[pa & ~rel] = (level[pa & ~rel] * size[pa & ~rel]).sum() / prev_rest - 1.0
    ratio = float(profile["generator"]["income_ratio_general"]["value"])
    set_mean(~pa, ratio * target)
    return Income(
        level=level.astype(np.float32), growth=growth.astype(np.float32), share=share,
        report_year=ry, dibao=dibao, public_job=public_job, n_workers=n_workers,
    )


def quarter_amounts(pop: Population, inc: Income, year: int, season: int, assist_pc: np.ndarray,
                    rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Household amounts (yuan, float32) for one quarter before shocks: the four gross
    components and production cost. ``assist_pc`` is assistance per person and year."""
    n = pop.n
    base = pop.size * inc.annual(year) / 4.0
    s = season - 1
    out = {}
    for k in ("wage", "property", "transfer"):
        noise = np.exp(P.NOISE_SIGMA[k] * rng.standard_normal(n, dtype=np.float32) - P.NOISE_SIGMA[k] ** 2 / 2)
        out[k] = base * inc.share[k] * P.SEASON[k][s] * noise
    noise = np.exp(P.NOISE_SIGMA["operating"] * rng.standard_normal(n, dtype=np.float32)
                   - P.NOISE_SIGMA["operating"] ** 2 / 2)
    gross = base * inc.share["operating"] / (1 - P.COST_RATIO)
    out["operating"] = gross * P.SEASON["operating"][s] * noise
    out["cost"] = gross * P.COST_RATIO * P.SEASON["cost"][s] * np.exp(
        0.15 * rng.standard_normal(n, dtype=np.float32) - 0.01125)
    out["transfer"] = out["transfer"] + pop.size * assist_pc / 4.0
    return {k: np.maximum(v, 0).astype(np.float32) for k, v in out.items()}


def enforce_line(amounts: dict[str, np.ndarray], size: np.ndarray, prev3: np.ndarray,
                 line: float, in_fall_window: np.ndarray) -> np.ndarray:
    """Make the rolling 4-quarter per-capita net income agree with the relapse state.

    A window that contains a fall quarter ends below ``line * (1 - margin)``; any other window
    at or above ``line * (1 + margin)``. The shortfall of a fall-free window is paid as
    assistance (transfer: the guarantee that keeps households above the line); the excess of a
    fall window is taken from operating income, then wages, then booked as extra production
    cost (a loss). ``prev3`` is the per-capita net income of the three previous quarters.
    Returns the quarter's per-capita net income after the adjustment; ``amounts`` is edited.
    """
    size = size.astype(np.float32)
    net = (amounts["wage"] + amounts["operating"] + amounts["property"] + amounts["transfer"]
           - amounts["cost"]) / size
    lo = line * (1 + P.LINE_MARGIN) / 1.0 - prev3
    hi = line * (1 - P.LINE_MARGIN) - prev3
    up = np.where(~in_fall_window & (net < lo), lo - net, 0).astype(np.float32)
    amounts["transfer"] += up * size * 1.0005
    down = np.where(in_fall_window & (net > hi), net - hi, 0).astype(np.float32) * size * 1.0005
    for k in ("operating", "wage"):
        take = np.minimum(down, amounts[k])
        amounts[k] -= take
        down -= take
    amounts["cost"] += down
    return (amounts["wage"] + amounts["operating"] + amounts["property"] + amounts["transfer"]
            - amounts["cost"]) / size


def correct_for_guarantee(pop: Population, inc: Income, years: np.ndarray, seasons: np.ndarray,
                          lines: np.ndarray, rng: np.random.Generator, shock: dict[str, np.ndarray],
                          sample: int = 20_000, rounds: int = 3) -> dict[str, float]:
    """Offset the guarantee's top-ups so *realised* income meets the published figures.

    Fall-free windows are topped up to the line (:func:`enforce_line`), which raises realised
    income above the baseline, more in earlier years (the line is closer). A pilot run of the
    income process on a sample of poverty-alleviated households measures the ratio of realised
    to baseline income by year; levels and growth rates are divided by it (a few rounds, as
    lower levels mean more top-ups). Shocks enter the pilot at their mean effect: ``shock``
    holds per-household multipliers ``wage`` and ``operating`` (by season, shape (4, n)).
    Edits ``inc`` in place; returns the final ratios.
    """
    ry = inc.report_year
    groups = [pop.pa & pop.relocated, pop.pa & ~pop.relocated]
    ratios: dict[str, float] = {}
    level0, growth0 = inc.level.copy(), inc.growth.copy()
    for _ in range(rounds):
        for g, mask in enumerate(groups):
            idx = np.flatnonzero(mask)
            if len(idx) == 0:
                continue
            if len(idx) > sample:
                idx = np.sort(rng.choice(idx, sample, replace=False))
            sub_pop = _Sub(idx, pop)
            sub_inc = Income(inc.level[idx], inc.growth[idx], {k: v[idx] for k, v in inc.share.items()},
                             ry, inc.dibao[idx], inc.public_job[idx], inc.n_workers[idx])
            size = pop.size[idx].astype(np.float32)
            prev = np.zeros((3, len(idx)), np.float32)
            real = {ry - 1: 0.0, ry: 0.0}
            zero = np.zeros(len(idx), np.float32)
            no_fall = np.zeros(len(idx), bool)
            for j in range(len(years)):
                y = int(years[j])
                if y > ry:
                    break
                a = quarter_amounts(sub_pop, sub_inc, y, int(seasons[j]), zero, rng)
                if j >= 3:
                    a["wage"] *= shock["wage"][idx]
                    a["operating"] *= shock["operating"][int(seasons[j]) - 1, idx]
                if j >= 3:
                    net = enforce_line(a, size, prev.sum(axis=0), float(lines[j]), no_fall)
                else:
                    net = (a["wage"] + a["operating"] + a["property"] + a["transfer"] - a["cost"]) / size
                prev = np.roll(prev, -1, axis=0)
                prev[2] = net
                if y in real:
                    real[y] += float((net * size).sum())
            base = {y: float((sub_inc.annual(y) * size).sum()) for y in real}
            r_now, r_prev = real[ry] / base[ry], real[ry - 1] / base[ry - 1]
            # realised = baseline x ratio: divide the target level by this year's ratio, and
            # scale growth so realised growth is the target growth
            inc.level[mask] = level0[mask] / r_now
            inc.growth[mask] = (1 + growth0[mask]) * r_prev / r_now - 1
            ratios[f"group{g}_report_year"] = r_now
            ratios[f"group{g}_previous_year"] = r_prev
    return ratios


class _Sub:
    """A subset of a :class:`Population` with the attributes :func:`quarter_amounts` reads."""

    def __init__(self, idx: np.ndarray, pop: Population) -> None:
        self.n = len(idx)
        self.size = pop.size[idx]
