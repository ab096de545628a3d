"""Medical expenses: illness episodes whose probability rises with household size, old age and
chronic illness; log-normal costs (ordinary or serious); reimbursement at the county's published
rate for poverty-alleviated and monitored households (three-layer insurance), a lower rate for
others; the out-of-pocket remainder, and the probability that it crosses an alert threshold."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from relapse_models.data.simulate.population import Population


def illness_probabilities(pop: Population, prm: dict) -> tuple[np.ndarray, np.ndarray]:
    """Quarterly probability of an episode and of a serious one (float64 arrays)."""
    r = prm["illness_rate"]
    rate = r["per_person"] * pop.size + r["per_elderly"] * pop.n_elderly + r["per_chronic"] * pop.n_chronic
    p_ill = 1.0 - np.exp(-rate)
    share = prm["catastrophic_share"] + prm["catastrophic_share_chronic"] * (pop.n_chronic > 0)
    return p_ill.astype(np.float64), (p_ill * share).astype(np.float64)


def exceed_probability(cost: tuple[float, float], reimbursed: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    """P(out-of-pocket cost > threshold) of one episode with log-normal total cost
    ``cost = (median, log-sd)`` and a fixed reimbursed share."""
    median, sd = cost
    limit = np.asarray(threshold, float) / np.maximum(1.0 - np.asarray(reimbursed, float), 1e-9)
    return 1.0 - ndtr((np.log(limit) - np.log(median)) / sd)


def draw_episode_costs(rng: np.random.Generator, ill: np.ndarray, serious: np.ndarray,
                       prm: dict) -> np.ndarray:
    """Total cost (yuan) of this quarter's independent episode (0 without one)."""
    z = rng.standard_normal(len(ill))
    mild = prm["mild_cost"][0] * np.exp(prm["mild_cost"][1] * z)
    heavy = prm["serious_cost"][0] * np.exp(prm["serious_cost"][1] * z)
    return np.where(serious, heavy, np.where(ill, mild, 0.0))
