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


def break_multiplier(config_break: dict | None, year: int) -> float:
    """The structural break's factor on the village disaster probabilities in ``year``
    (``simulate.break``: a severe disaster year multiplies them by ``1 + size``); 1 in every
    other year and without a break."""
    if not config_break or config_break.get("year") is None:
        return 1.0
    if config_break["kind"] != "disaster" or int(year) != int(config_break["year"]):
        return 1.0
    return 1.0 + float(config_break["size"])


def scaled_probabilities(probs: np.ndarray, factor: float) -> np.ndarray:
    """``probs`` (villages x types, or seasons x villages x types) times ``factor``, a
    village's quarter total kept at most 1; ``probs`` itself when ``factor`` is 1."""
    if factor == 1.0:
        return probs
    out = probs * factor
    return out / np.maximum(out.sum(axis=-1, keepdims=True), 1.0)
