"""Early warning: capacity, thresholds, tiers, intervals, lead times, line sensitivity, equity
and decision curves from the models' scores. Returns numbers, never display text; imports the
layers below (models, outcome, data, core)."""
