"""The official screening rule as a baseline model (docs/domain.md section 3).

Counties flag a household when any trigger fires: rolling per-capita income below the line x
``income_multiple``, a year-on-year income drop of at least ``income_drop``, out-of-pocket
medical spending of at least ``oop_share`` of income, or disaster loss of at least
``disaster_loss_share`` of income (all over the last 4 quarters, as in the features).

Score: the share of the four triggers met (0, 0.25, ..., 1). The official rule flags at
score > 0 (any trigger), i.e. the threshold 0.25; higher thresholds require several triggers.
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
        """No parameters to learn; checks the trigger columns exist."""
        missing = [c for c in TRIGGER_COLUMNS.values() if c not in X.columns]
        if missing:
            raise KeyError(f"rule needs feature columns {missing}")
        self.feature_names_in_ = list(TRIGGER_COLUMNS.values())
        return self

    def triggers(self, X: pd.DataFrame) -> pd.DataFrame:
        """Which trigger fires on each row (bool frame; a missing feature never fires)."""
        c = TRIGGER_COLUMNS
        return pd.DataFrame(
            {
                "income": X[c["income"]].to_numpy(float) < self.income_multiple,
                "drop": X[c["drop"]].to_numpy(float) >= self.income_drop,
                "oop": X[c["oop"]].to_numpy(float) >= self.oop_share,
                "disaster": X[c["disaster"]].to_numpy(float) >= self.disaster_loss_share,
            },
            index=X.index,
        )

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Column 1: share of triggers met; column 0: one minus it. NaN where income is
        unknown (incomplete 4-quarter window): such a household cannot be screened."""
        s = self.triggers(X).to_numpy().mean(axis=1)
        s[np.isnan(X[TRIGGER_COLUMNS["income"]].to_numpy(float))] = np.nan
        return np.column_stack([1.0 - s, s])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The official decision: flag when any trigger fires."""
        return self.triggers(X).to_numpy().any(axis=1)
