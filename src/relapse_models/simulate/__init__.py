"""Synthetic monitoring panel with ground truth, calibrated to each county's published figures.

``simulate_county(profile, config, seed)`` draws a county's households (nested town > village
> household), their quarterly incomes, medical episodes, disasters, and the monitoring process
(identification, assistance, risk elimination), and returns the observable tables
(``households``, ``panel``, ``events``, as in :mod:`relapse_models.schema`) and the separate
``truth``. ``write_messy_exports`` writes what a county's export from the monitoring
information system looks like, with injected defects and their manifest.

Modules: :mod:`.population`, :mod:`.income`, :mod:`.medical`, :mod:`.disasters`,
:mod:`.monitoring` (hazards and calibration), :mod:`.truth` (relapse definition, oracle,
``logit`` mode), :mod:`.messy`, :mod:`.engine` (the quarterly loop), :mod:`.params`
(behavioural assumptions).
"""

from relapse_models.simulate.engine import SimulatedCounty, parse_quarter, simulate_county
from relapse_models.simulate.messy import write_messy_exports
from relapse_models.simulate.truth import (
    LOGIT_FEATURES,
    TRUE_COEFFICIENTS,
    logit_features,
    logit_probability,
)

__all__ = [
    "LOGIT_FEATURES",
    "TRUE_COEFFICIENTS",
    "SimulatedCounty",
    "logit_features",
    "logit_probability",
    "parse_quarter",
    "simulate_county",
    "write_messy_exports",
]
