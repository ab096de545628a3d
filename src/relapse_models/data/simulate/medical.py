"""Medical expenses: illness episodes whose probability rises with household size, old age and
chronic illness; heavy-tailed costs (ordinary or catastrophic); reimbursement at the county's
published rate for poverty-alleviated and monitored households (three-layer insurance), a lower
assumed rate for others; the out-of-pocket remainder."""

from __future__ import annotations

import numpy as np

from relapse_models.data.simulate import params as P
from relapse_models.data.simulate.population import Population


def illness_probabilities(pop: Population) -> tuple[np.ndarray, np.ndarray]:
    """Quarterly probability of any episode and of a catastrophic one (float32 arrays)."""
    rate = (
        P.ILLNESS_RATE["per_person"] * pop.size
        + P.ILLNESS_RATE["per_elderly"] * pop.n_elderly
        + P.ILLNESS_RATE["per_chronic"] * pop.n_chronic
    )
    p_ill = 1.0 - np.exp(-rate)
    cat_share = P.CATASTROPHIC_SHARE + P.CATASTROPHIC_SHARE_CHRONIC * (pop.n_chronic > 0)
    return p_ill.astype(np.float32), (p_ill * cat_share).astype(np.float32)


def draw_costs(rng: np.random.Generator, ill: np.ndarray, catastrophic: np.ndarray,
               rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Total cost and reimbursed amount (yuan) of this quarter's episodes.

    ``rate`` is each household's expected reimbursement share; the episode's share is a Beta
    draw around it, independent of the cost, so the county ratio of sums converges to it."""
    n = len(ill)
    z = rng.standard_normal(n, dtype=np.float32)
    mild = P.MILD_COST[0] * np.exp(P.MILD_COST[1] * z)
    heavy = P.CATASTROPHIC_COST[0] * np.exp(P.CATASTROPHIC_COST[1] * z)
    total = np.where(catastrophic, heavy, np.where(ill, mild, 0.0)).astype(np.float32)
    c = P.REIMBURSEMENT_CONCENTRATION
    share = rng.beta(rate * c, (1 - rate) * c).astype(np.float32)
    return total, np.minimum(total * share, total)
