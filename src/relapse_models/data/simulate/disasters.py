"""Disasters: village-level events (flood, drought, hail, landslide) by season, with the
county's yearly rate and type mix from its profile; a share of a hit village's households
lose part of their operating income, a few severely."""

from __future__ import annotations

import numpy as np

from relapse_models.core.profiles import param
from relapse_models.data.simulate import params as P

TYPES = ("flood", "drought", "hail", "landslide")


def village_quarter_probabilities(profile: dict, n_villages: int, rng: np.random.Generator) -> np.ndarray:
    """Array (4 seasons, n_villages, 4 types): probability that the village is hit by a type in
    a quarter of that season. Villages differ in exposure (gamma multiplier, mean one)."""
    annual = float(param(profile, "disaster_annual_probability"))
    mix = param(profile, "disaster_types")
    total = sum(mix.values())
    exposure = rng.gamma(3.0, 1 / 3.0, n_villages)
    out = np.zeros((4, n_villages, len(TYPES)), dtype=np.float64)
    for k, t in enumerate(TYPES):
        for s in range(4):
            out[s, :, k] = annual * mix.get(t, 0.0) / total * P.TABLE["disaster_season"].value[t][s] * exposure
    scale = np.maximum(out.sum(axis=2, keepdims=True), 1.0)  # keep a quarter's total <= 1
    return out / scale


def draw_village_events(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Disaster type index per village for one quarter (-1 = none)."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(probs.shape[0])[:, None]
    hit = u < cum
    return np.where(hit.any(axis=1), hit.argmax(axis=1), -1).astype(np.int8)
