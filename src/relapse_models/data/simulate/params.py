"""Behavioural constants of the generator that no seed publishes.

They hold for every county (nothing here names one); county-specific numbers live in the
profiles. Each is an assumption chosen to give plausible magnitudes, documented so a reader can
change it and see the consequence. Calibration (``monitoring.calibrate``) rescales the
identification intensities so the published counts are met whatever these are.
"""

from __future__ import annotations

# --- households -----------------------------------------------------------------------------
ELDERLY_P = {"poverty_alleviated": 0.22, "general": 0.17}
"""Share of members aged 60+ (binomial per member)."""
CHILD_P = 0.25
"""Share of non-elderly members under 16."""
DISABLED_P = {"poverty_alleviated": 0.05, "general": 0.02}
CHRONIC_P_ELDERLY = 0.40
CHRONIC_P_OTHER = 0.05
GENERAL_WORKER_RATE = 0.55
"""Share of ordinary households' labour in wage work (assumption)."""

# --- income ---------------------------------------------------------------------------------
INCOME_SIGMA = {"poverty_alleviated": 0.42, "general": 0.50}
"""Dispersion of log per-capita net income between households."""
VILLAGE_SIGMA = 0.12
GENERAL_GROWTH = 0.08
"""Yearly growth of ordinary households' income (rural income grew ~7-9 % in 2021-2023)."""
COST_RATIO = 0.40
"""Production cost as a share of gross operating income."""
PROPERTY_SHARE = 0.03
SEASON = {
    # mean 1 over the four quarters
    "wage": (1.10, 0.90, 0.90, 1.10),
    "operating": (0.50, 0.80, 1.40, 1.30),
    "cost": (0.80, 1.50, 0.90, 0.80),
    "property": (1.0, 1.0, 1.0, 1.0),
    "transfer": (1.20, 0.90, 0.90, 1.00),
}
NOISE_SIGMA = {"wage": 0.25, "operating": 0.35, "property": 0.30, "transfer": 0.10}
"""Quarterly transitory noise (log-normal, mean one)."""
ASSIST_SHARE_OF_LINE = 0.12
"""Assistance to a monitored household, per person per year, as a share of the line."""
LINE_MARGIN = 0.02
"""Rolling income is kept at least this share away from the line, so the relapse state is
never decided by rounding."""
PUBLIC_JOB_WAGE = 7200.0
"""Yuan per public-welfare job and year (about 600 a month)."""

# --- shocks ---------------------------------------------------------------------------------
ILLNESS_RATE = {"per_person": 0.02, "per_elderly": 0.05, "per_chronic": 0.08}
"""Quarterly intensity of a medical episode."""
CATASTROPHIC_SHARE = 0.08
CATASTROPHIC_SHARE_CHRONIC = 0.06
MILD_COST = (2500.0, 0.9)
"""Median (yuan) and log-sd of an ordinary episode's cost."""
CATASTROPHIC_COST = (80000.0, 0.7)
"""Median (yuan) and log-sd of a catastrophic episode (serious illness: cancer, stroke,
dialysis; total cost before reimbursement)."""
GENERAL_REIMBURSEMENT = 0.60
"""Reimbursement share of ordinary households (basic insurance only; assumption)."""
REIMBURSEMENT_CONCENTRATION = 40.0
"""Beta concentration of the per-episode reimbursement share around the county's rate."""
DISASTER_SEASON = {
    "flood": (0.05, 0.35, 0.55, 0.05),
    "drought": (0.15, 0.35, 0.40, 0.10),
    "hail": (0.05, 0.50, 0.40, 0.05),
    "landslide": (0.05, 0.30, 0.60, 0.05),
}
"""Season of each disaster type (shares of its events by quarter)."""
DISASTER_AFFECTED = 0.40
"""Share of a hit village's households that suffer a loss."""
DISASTER_SEVERE = 0.20
JOB_LOSS_RATE = 0.03
"""Quarterly probability that a household with wage workers loses a job."""

# --- relapse and monitoring hazards (quarterly; multiplied by the calibrated kappa) ---------
FALL_BASE = 0.01
"""Intensity of a fall below the line at baseline ratio 1 (before kappa)."""
FALL_RATIO_POWER = -3.5
FALL_COEF = {"disabled": 0.4, "no_labour": 0.5, "elderly_share": 0.5, "chronic": 0.2}
"""Log-multipliers of the baseline fall intensity (vulnerability not tied to a shock)."""
EDGE_BASE = 0.0015
EDGE_RATIO_POWER = -6.0
SUDDEN_ILLNESS = 0.3
SUDDEN_DISASTER = 0.2
VISIT_DETECT = 0.25
"""Probability that one visit notices a fall."""
OTHER_CHANNELS_MISS = 0.70
"""Probability that self-report and department alerts both miss a fall in a quarter."""
FALL_GIVEN = {"illness": 0.30, "disaster": 0.50, "job": 0.40}
"""Scale of the probability that a shock pushes the household below the line in its quarter."""
SHOCK_LOSS_CAP = 0.5
"""Largest expected loss of one shock, as a share of the year's net income."""
SHOCK_RATIO_POWER = -2.5
"""Power of the post-shock income ratio in a shock's conversion into a fall."""
SHOCK_LAG = 3
"""Quarters after a shock during which it keeps raising the fall hazard (debts, lost
harvest, a job not yet replaced): observable shocks *precede* relapse, as in the field."""
FALL_AFTER = {"illness": 60.0, "disaster": 60.0, "job": 60.0}
"""Scale of the quarterly fall probability in each of the ``SHOCK_LAG`` quarters after a shock."""
JOB_LOSS_WAGE = (0.3, 0.4)
"""Wage multiplier in the quarter of a job loss and in the ``SHOCK_LAG`` quarters after it."""
MIN_MONITORED_QUARTERS = 3
"""Risk elimination comes at the earliest three quarters after identification: income stable
above the line for six months (docs/domain.md section 1) *and* a rolling 4-quarter window clear of
the fall that led to identification (a fall keeps the window below the line for three more
quarters). With two, households identified on a detected fall could never be eliminated on
schedule and the realised elimination rate fell ~2 points short of the calibrated one."""
