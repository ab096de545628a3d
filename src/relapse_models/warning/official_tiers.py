"""The official rule's tiers: by the number of screening triggers a household meets."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from relapse_models.warning.tiers import TIER_ORDER, TIER_VISITS_PER_MONTH

OFFICIAL_TIER_MIN_TRIGGERS: dict[str, int] = {"red": 3, "yellow": 2, "blue": 1}
"""Official tiers by the number of screening triggers met (of 4): assumed, no seed publishes
the card criteria (docs/domain.md section 4 gives only the visit frequencies)."""


def official_tiers(
    rule_score: ArrayLike,
    min_triggers: Mapping[str, int] = OFFICIAL_TIER_MIN_TRIGGERS,
    n_triggers: int = 4,
    visits_per_month: Mapping[str, float] = TIER_VISITS_PER_MONTH,
) -> pd.DataFrame:
    """The official rule's tiers from the number of triggers met (``rule_score`` is the share
    of ``n_triggers`` met, as :class:`relapse_models.models.RuleModel` gives it): red at
    ``min_triggers["red"]`` or more, then yellow, then blue; ``none`` below blue or when the
    score is missing. Same frame as :func:`tiers` (``tier``, ``visits_per_month``; ``attrs``
    ``sizes`` and ``load``); the load is whatever the rule gives, capacity or not."""
    s = pd.Series(rule_score)
    met = np.rint(s.to_numpy(dtype=float) * n_triggers)
    tier = np.full(len(s), "none", dtype=object)
    # assign from the lowest tier up so the highest qualifying tier wins
    for name in ("blue", "yellow", "red"):
        tier[np.nan_to_num(met, nan=-1) >= min_triggers[name]] = name
    visits = pd.Series(tier).map(dict(visits_per_month, none=0.0)).to_numpy(dtype=float)
    out = pd.DataFrame(
        {
            "tier": pd.Categorical(tier, categories=list(TIER_ORDER), ordered=True),
            "visits_per_month": visits,
        },
        index=s.index,
    )
    out.attrs.update(
        load=float(visits.sum()),
        sizes={t: int((tier == t).sum()) for t in ("red", "yellow", "blue")},
    )
    return out
