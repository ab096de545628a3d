"""Households, villages and towns: the static part of the county.

Sizes come from the profile times ``scale``; composition (members by age, disability, chronic
illness, labour) from binomial draws whose shares are in :mod:`.params`. Everything is one
vectorised draw per attribute.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from relapse_models.core.profiles import param
from relapse_models.data.simulate import params as P


@dataclass
class Population:
    """Static household attributes (arrays of length ``n``) and the village structure."""

    county_id: str
    n: int
    town_of_village: np.ndarray
    village: np.ndarray
    pa: np.ndarray
    size: np.ndarray
    n_labour: np.ndarray
    n_elderly: np.ndarray
    n_children: np.ndarray
    n_disabled: np.ndarray
    n_chronic: np.ndarray
    head_age: np.ndarray
    head_male: np.ndarray
    head_edu: np.ndarray
    relocated: np.ndarray
    exit_year: np.ndarray
    village_effect: np.ndarray

    @property
    def n_villages(self) -> int:
        return len(self.town_of_village)


def _scaled(value: float, scale: float, minimum: int = 1) -> int:
    return max(minimum, int(round(value * scale)))


def _sizes(rng: np.random.Generator, n: int, mean: float) -> np.ndarray:
    return np.minimum(1 + rng.poisson(max(mean - 1.0, 0.05), n), 10).astype(np.int8)


def households_at_scale(profile: dict, scale: float) -> int:
    """Households the generator draws for ``profile`` at ``scale`` (at least 20)."""
    return _scaled(profile["structure"]["households"]["value"], scale, 20)


def build_population(profile: dict, scale: float, rng: np.random.Generator,
                     prm: dict | None = None) -> Population:
    """Draw the county's households (sorted by town and village); ``prm`` is the parameter
    table (:func:`.params.mechanism_params`, the default mechanism when ``None``)."""
    prm = P.mechanism_params(P.DEFAULT_MECHANISM) if prm is None else prm
    st = profile["structure"]
    n = households_at_scale(profile, scale)
    n_towns = _scaled(st["towns"]["value"] or 1, scale)
    n_villages = max(n_towns, _scaled(st["villages"]["value"] or n_towns, scale))
    n_villages = min(n_villages, max(1, n // 5))
    n_towns = min(n_towns, n_villages)
    town_of_village = np.sort(
        np.concatenate([np.arange(n_towns), rng.integers(0, n_towns, n_villages - n_towns)])
    ).astype(np.int32)
    weights = rng.gamma(4.0, 1.0, n_villages)
    village = np.sort(rng.choice(n_villages, n, p=weights / weights.sum())).astype(np.int32)

    pa_known = st["poverty_alleviated_households"]["value"]
    n_pa = (
        _scaled(pa_known, scale, 0) if pa_known is not None
        else int(round(param(profile, "poverty_alleviated_share") * n))
    )
    n_pa = min(n_pa, n)
    # poverty-alleviated households cluster in poorer villages
    village_effect = rng.normal(0.0, prm["village_sd"], n_villages).astype(np.float32)
    key = rng.gumbel(size=n) - 4.0 * village_effect[village]
    pa = np.zeros(n, dtype=bool)
    pa[np.argpartition(key, -n_pa)[-n_pa:] if 0 < n_pa < n else slice(0, n_pa)] = True

    size = np.where(
        pa,
        _sizes(rng, n, param(profile, "household_size_poverty_alleviated")),
        _sizes(rng, n, param(profile, "household_size_general")),
    ).astype(np.int8)
    cat = np.where(pa, "poverty_alleviated", "general")
    elderly_p = np.where(pa, prm["elderly_share"]["poverty_alleviated"], prm["elderly_share"]["general"])
    n_elderly = rng.binomial(size, elderly_p).astype(np.int8)
    n_children = rng.binomial(size - n_elderly, prm["child_share"]).astype(np.int8)
    n_labour = (size - n_elderly - n_children).astype(np.int8)
    # a household of children alone does not exist: the eldest child is an adult
    orphan = (n_labour == 0) & (n_elderly == 0)
    n_labour[orphan] += 1
    n_children[orphan] -= 1
    dis_p = np.where(pa, prm["disabled_share"]["poverty_alleviated"], prm["disabled_share"]["general"])
    n_disabled = rng.binomial(size, dis_p).astype(np.int8)
    n_chronic = (
        rng.binomial(n_elderly, prm["chronic_elderly"]) + rng.binomial(size - n_elderly, prm["chronic_other"])
    ).astype(np.int8)
    old_head = n_labour == 0
    head_age = np.where(
        old_head, 62 + rng.gamma(2.0, 5.0, n), 28 + rng.beta(2.0, 1.6, n) * 36
    )
    head_age = np.clip(head_age, 18, 99).astype(np.int16)
    head_male = rng.random(n) < np.where(old_head, 0.6, 0.86)
    edu_mean = np.where(pa, 6.5, 8.0) - 0.05 * np.maximum(head_age - 50, 0)
    head_edu = np.clip(np.rint(rng.normal(edu_mean, 2.8)), 0, 16).astype(np.int8)
    relocated = pa & (rng.random(n) < param(profile, "relocated_share"))
    exit_year = np.where(pa, rng.choice(np.arange(2016, 2021), n, p=[0.1, 0.15, 0.25, 0.3, 0.2]), 0)
    del cat
    return Population(
        county_id=profile["county_id"], n=n, town_of_village=town_of_village, village=village,
        pa=pa, size=size, n_labour=n_labour, n_elderly=n_elderly, n_children=n_children,
        n_disabled=n_disabled, n_chronic=n_chronic, head_age=head_age, head_male=head_male,
        head_edu=head_edu, relocated=relocated, exit_year=exit_year.astype(np.int16),
        village_effect=village_effect,
    )


def gumbel_top_k(rng: np.random.Generator, log_weight: np.ndarray, k: int, eligible: np.ndarray) -> np.ndarray:
    """Boolean mask of exactly ``min(k, eligible.sum())`` eligible units drawn without
    replacement with probability proportional to ``exp(log_weight)`` (Gumbel top-k)."""
    out = np.zeros(len(log_weight), dtype=bool)
    idx = np.flatnonzero(eligible)
    k = int(min(max(k, 0), len(idx)))
    if k == 0:
        return out
    key = log_weight[idx] + rng.gumbel(size=len(idx))
    out[idx[np.argpartition(key, -k)[-k:]]] = True
    return out
