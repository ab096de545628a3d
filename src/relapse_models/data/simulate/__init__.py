"""Synthetic monitoring panel with ground truth, calibrated to each county's published figures.

``simulate_county(profile, config, seed)`` draws a county's households (nested town > village
> household), their quarterly incomes, medical episodes, disasters, and the monitoring process
(identification, assistance, risk elimination), and returns the observable tables
(``households``, ``panel``, ``events``, as in :mod:`relapse_models.core.schema`) and the separate
``truth``.

Relapse is driven by observable shocks (catastrophic illness, severe disaster losses, job
loss, each raising the fall hazard for ``params.SHOCK_LAG`` quarters), household vulnerability
(income ratio to the line, labour, age, disability, illness) and noise, so the official
screening rule has real but imperfect power and the oracle (``truth.true_prob``, exact, closed
form) more. The monitoring type of an identified household follows the official definitions
(docs/domain.md section 1) rather than a drawn mix, because no seed publishes the split:
脱贫不稳定户 = a poverty-alleviated household with baseline income within the range
(< ``edge_multiple`` x line), 边缘易致贫户 = an ordinary household within the range,
突发严重困难户 = a household above the range, or one identified by a shock alert alone. The mix
then varies with the county (poverty-alleviated share, income level): about one third each in
Shangluo, mostly 突发 in Yeji where incomes are far above the line.

``write_messy_exports`` writes what a county's export from the monitoring
information system looks like, with injected defects and their manifest.

Modules: :mod:`.population`, :mod:`.income`, :mod:`.medical`, :mod:`.disasters`,
:mod:`.monitoring` (hazards and calibration), :mod:`.truth` (relapse definition, oracle,
``logit`` mode), :mod:`.messy`, :mod:`.engine` (the quarterly loop), :mod:`.params`
(behavioural assumptions).
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
