"""Visit capacity: how many households a county's grid workers can visit for risk each month.

Grid workers per 1000 households times visits per worker per month gives monthly visits; a
flagged household takes ``visits_per_flag_per_month`` visits (1 by default: monthly), so the
share of households that can be flagged is
``workers_per_1000 * visits_per_worker / 1000 / visits_per_flag``, capped at 1. Routine visits
to all households are outside this budget: capacity here is what is left for risk-driven visits.
"""

from __future__ import annotations

from collections.abc import Mapping


def monthly_visit_capacity(n_households: float, capacity_config: Mapping) -> float:
    """Risk-driven visits per month the county's grid workers can make."""
    workers = n_households / 1000.0 * float(capacity_config["grid_workers_per_1000_households"])
    return workers * float(capacity_config["visits_per_worker_per_month"])


def capacity_share(
    n_households: float, capacity_config: Mapping, visits_per_flag_per_month: float = 1.0
) -> float:
    """Share of households that can be flagged (each visited ``visits_per_flag_per_month``
    times a month) within the monthly visit capacity; at most 1."""
    if n_households <= 0:
        raise ValueError("n_households must be positive")
    visits = monthly_visit_capacity(n_households, capacity_config)
    return float(min(1.0, visits / (n_households * visits_per_flag_per_month)))
