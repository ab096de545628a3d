"""Checks of the generator's oracle against realised labels, shared by the simulate tests."""

import numpy as np
import pandas as pd


def clustered_gaps(sim, quintiles: bool = True) -> list[tuple[float, float]]:
    """``(sum(p) - sum(y), village-clustered SE)`` over all truth rows and, with ``quintiles``,
    within each quintile of the oracle probability. The SE is the square root of the sum over
    villages of the squared village total of ``y - p``: ``E[y - p] = 0`` row by row when ``p`` is
    the exact probability, whatever the correlation within a village."""
    truth = sim.truth
    village = truth["household_id"].astype(str).map(
        sim.households.set_index("household_id")["village_id"]).to_numpy()
    p, y = truth["true_prob"].to_numpy(), truth["relapse_next_4q"].to_numpy().astype(float)
    groups = [np.ones(len(p), bool)]
    if quintiles:
        bins = pd.qcut(p, 5, labels=False, duplicates="drop")
        groups += [bins == b for b in np.unique(bins)]
    out = []
    for g in groups:
        d = pd.Series(y[g] - p[g]).groupby(village[g]).sum()
        out.append((float(p[g].sum() - y[g].sum()), float(np.sqrt((d ** 2).sum()))))
    return out
