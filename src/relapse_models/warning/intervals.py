"""Recall, precision, flagged share and net benefit of chosen flags, with village-clustered
bootstrap intervals and paired differences from a reference flag."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import sparse

from relapse_models.models.evaluation import cluster_bootstrap_counts
from relapse_models.outcome.relapse import as_float_label


def flag_intervals(
    y_true: ArrayLike,
    flags: Mapping[str, ArrayLike],
    clusters: ArrayLike | None = None,
    reference: str | None = None,
    pt: float | None = None,
    baseline: str | None = None,
    n_boot: int = 200,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """Recall, precision and flagged share of each boolean flag (a threshold chosen, a tier
    assignment: name -> flag aligned with ``y_true``) with percentile intervals from a
    bootstrap clustered by ``clusters`` (villages; :func:`relapse_models.models.evaluation.cluster_bootstrap_weights`).

    With ``pt``, also the net benefit at that threshold probability. With ``reference`` (a
    name in ``flags``), each metric's difference from the reference with its interval from the
    same replicates (paired). With ``baseline`` (another name in ``flags``, the one-variable
    income baseline) the same again as ``{metric}_vs_baseline``: a model is judged against the
    rule and against the simplest fair score. One row per flag; rows with a missing label are
    dropped.
    """


    y_all = as_float_label(y_true)
    keep = ~np.isnan(y_all)
    y = y_all[keep]
    names = list(flags)
    F = np.column_stack([np.asarray(flags[k], dtype=bool)[keep] for k in names]).astype(float)
    odds = pt / (1.0 - pt) if pt is not None else None

    def stats(tp, flagged, total, pos) -> dict[str, np.ndarray]:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = {
                "recall": tp / pos,
                "precision": tp / flagged,
                "flagged_share": flagged / total,
            }
        if odds is not None:
            out["net_benefit"] = tp / total - (flagged - tp) / total * odds
        return out

    point = stats(F.T @ y, F.sum(axis=0), float(len(y)), float(y.sum()))
    metrics = list(point)
    reps: dict[str, list[np.ndarray]] = {m: [] for m in metrics}
    # 0/1 rows and integer draw counts: every sum is exact, so summing per village first and
    # weighting villages by the replicates' draw counts gives the row-weighted sums exactly
    codes = (np.arange(len(y)) if clusters is None
             else pd.factorize(np.asarray(clusters)[keep], use_na_sentinel=False)[0])
    counts = cluster_bootstrap_counts(codes, n_boot, seed)
    if len(counts):
        village = sparse.csr_matrix(
            (np.ones(len(y)), (codes, np.arange(len(y)))), shape=(counts.shape[1], len(y))
        )
        k = len(names)
        sums = counts @ (village @ np.column_stack([F * y[:, None], F, np.ones(len(y)), y]))
        rep = stats(sums[:, :k], sums[:, k:2 * k], sums[:, [2 * k]], sums[:, [2 * k + 1]])
        reps = {m: list(v) for m, v in rep.items()}
    ref = names.index(reference) if reference is not None else None
    base = names.index(baseline) if baseline is not None else None
    alpha = (1 - level) / 2
    out = pd.DataFrame({
        "name": names,
        "n": len(y),
        "n_pos": float(y.sum()),
        "flagged_n": F.sum(axis=0),
        "tp": F.T @ y,
    })

    def ci(a: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        if a is None:
            return np.full(len(names), np.nan), np.full(len(names), np.nan)
        with warnings.catch_warnings():  # all-NaN columns (no positives in a replicate)
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanquantile(a, alpha, axis=0), np.nanquantile(a, 1 - alpha, axis=0)

    for m in metrics:
        a = np.vstack(reps[m]) if reps[m] else None
        out[m] = point[m]
        out[f"{m}_ci_low"], out[f"{m}_ci_high"] = ci(a)
        if ref is not None:
            out[f"{m}_diff"] = point[m] - point[m][ref]
            out[f"{m}_diff_ci_low"], out[f"{m}_diff_ci_high"] = ci(
                None if a is None else a - a[:, [ref]]
            )
        if base is not None:
            out[f"{m}_vs_baseline"] = point[m] - point[m][base]
            out[f"{m}_vs_baseline_ci_low"], out[f"{m}_vs_baseline_ci_high"] = ci(
                None if a is None else a - a[:, [base]]
            )
    out.attrs.update(n_boot=int(len(reps[metrics[0]])), level=level, reference=reference, pt=pt,
                     baseline=baseline)
    return out
