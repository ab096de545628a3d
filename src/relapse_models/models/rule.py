"""The official screening rule as a baseline model (docs/domain.md section 3).

Counties flag a household when any trigger fires: rolling per-capita income below the line x
``income_multiple``, a year-on-year income drop of at least ``income_drop``, out-of-pocket
medical spending of at least ``oop_share`` of income, or disaster loss of at least
``disaster_loss_share`` of income (all over the last 4 quarters, as in the features).

Score: the share of the triggers met (four when the data have every domain; a trigger whose
domain the data lack is left out) (with four: 0, 0.25, ..., 1). The official rule
flags at score > 0 (any trigger), i.e. the threshold 0.25; higher thresholds require several triggers.
Rows with unknown income score NaN. The score is a count, not a probability: its Brier score and ECE are not meaningful.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from relapse_models.outcome.features import TRIGGER_COLUMNS


class RuleModel:
    """Official screening rule; ``fit`` learns nothing (kept for the shared API)."""

    def __init__(
        self,
        income_multiple: float = 1.0,
        income_drop: float = 0.30,
        oop_share: float = 0.50,
        disaster_loss_share: float = 0.30,
    ) -> None:
        self.income_multiple = income_multiple
        self.income_drop = income_drop
        self.oop_share = oop_share
        self.disaster_loss_share = disaster_loss_share

    def fit(
        self, X: pd.DataFrame, y: ArrayLike | None = None, groups: ArrayLike | None = None
    ) -> RuleModel:
        """No parameters to learn; checks the income trigger's column exists. A trigger whose
        feature the data lack (no medical or disaster domain) is left out of the rule, as a
        county without those records cannot apply it (``triggers_used_``)."""
        if TRIGGER_COLUMNS["income"] not in X.columns:
            raise KeyError(f"rule needs the feature column {TRIGGER_COLUMNS['income']!r}")
        self.triggers_used_ = [t for t, c in TRIGGER_COLUMNS.items() if c in X.columns]
        self.feature_names_in_ = [TRIGGER_COLUMNS[t] for t in self.triggers_used_]
        return self

    def triggers(self, X: pd.DataFrame) -> pd.DataFrame:
        """Which trigger fires on each row (bool frame; a missing feature never fires; only
        the triggers whose features exist)."""
        c = TRIGGER_COLUMNS
        fires = {
            "income": lambda: X[c["income"]].to_numpy(float) < self.income_multiple,
            "drop": lambda: X[c["drop"]].to_numpy(float) >= self.income_drop,
            "oop": lambda: X[c["oop"]].to_numpy(float) >= self.oop_share,
            "disaster": lambda: X[c["disaster"]].to_numpy(float) >= self.disaster_loss_share,
        }
        used = getattr(self, "triggers_used_", [t for t, col in c.items() if col in X.columns])
        return pd.DataFrame({t: fires[t]() for t in used}, index=X.index)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Column 1: share of triggers met; column 0: one minus it. NaN where income is
        unknown (incomplete 4-quarter window): such a household cannot be screened."""
        s = self.triggers(X).to_numpy().mean(axis=1)
        s[np.isnan(X[TRIGGER_COLUMNS["income"]].to_numpy(float))] = np.nan
        return np.column_stack([1.0 - s, s])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The official decision: flag when any trigger fires."""
        return self.triggers(X).to_numpy().any(axis=1)
