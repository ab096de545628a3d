"""Synthetic monitoring panel with ground truth, calibrated to each county's published figures.

``simulate_county(profile, config, seed)`` draws a county's households (nested town > village
> household), their quarterly incomes, medical episodes, disasters, and the monitoring process
(identification, assistance, risk elimination), and returns the observable tables
(``households``, ``panel``, ``events``, as in :mod:`relapse_models.core.schema`) and the separate
``truth``.

Relapse is not drawn: it emerges. Market income has a household effect, a persistent AR(1)
part and a transitory part (annual); shocks -- job loss, serious illness, accidents (a worker's
income lost for the rest of the year), disaster losses, medical costs after reimbursement --
change income and spending with the frequencies and sizes of the parameter table
(:mod:`.params`, one table, mechanism by mechanism). A household is in the relapse state when
its rolling 4-quarter per-capita net income is below the line, or when the monitoring system
identifies it following the rules counties apply: income at the last quarterly collection below
the line, within the monitoring range (line x ``edge_multiple``) or sharply down, medical-insurance
alerts on large out-of-pocket costs, disaster reports. Their intensities are solved so the
published counts hold (:mod:`.calibration`); nothing edits income toward a line. The oracle
(``truth.true_prob``, :mod:`.oracle`) is the exact probability of the label given the state.

The monitoring type of an identified household follows the official definitions (docs/domain.md
section 1): 脱贫不稳定户 = a poverty-alleviated household within the range, 边缘易致贫户 = an
ordinary household within the range, 突发严重困难户 = a household above the range (identified on
an alert or a sharp drop).

``write_messy_exports`` writes what a county's export from the monitoring
information system looks like, with injected defects and their manifest.

Modules: :mod:`.params` (the parameter table and the mechanisms), :mod:`.population`,
:mod:`.income`, :mod:`.medical`, :mod:`.disasters`, :mod:`.calibration` (identification,
elimination, solved intensities), :mod:`.oracle`, :mod:`.truth` (``logit`` mode), :mod:`.messy`,
:mod:`.engine` (the quarterly loop).
"""

from relapse_models.data.simulate.engine import SimulatedCounty, simulate_county
from relapse_models.data.simulate.messy import write_messy_exports
from relapse_models.data.simulate.truth import (
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
    "simulate_county",
    "write_messy_exports",
]
