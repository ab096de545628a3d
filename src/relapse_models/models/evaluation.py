"""Honest validation: splits without leakage, metrics with village-clustered intervals.

Metrics come from scikit-learn (ROC-AUC, PR-AUC = average precision, Brier, reliability
curve); expected calibration error, recall/precision at the visit capacity and the clustered
bootstrap have no library version and are written here.

Bootstrap: villages are resampled with replacement (households in a village share shocks and
cadres, so rows are not independent); a replicate is expressed as integer row weights, so every
metric is computed on the same replicate with ``sample_weight``. Percentile intervals.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import sparse
from sklearn.calibration import calibration_curve
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from relapse_models.core.quarters import quarter_index
from relapse_models.outcome.features import FEATURE_COLUMNS, LABEL_COLUMN
from relapse_models.outcome.relapse import as_float_label

INPUTS_COMPLETE = "inputs_complete"
"""A frame of keys without the model inputs (``stages.fit.load_keys``) says in this column
whether each row's :data:`FEATURE_COLUMNS` are complete, so the splits need not read them."""


# --- metrics without a library version -----------------------------------------------------

def expected_calibration_error(
    y_true: ArrayLike,
    prob: ArrayLike,
    n_bins: int = 10,
    strategy: str = "uniform",
    sample_weight: ArrayLike | None = None,
) -> float:
    """ECE = sum over bins of (bin weight share) x |observed rate - mean predicted|.

    ``strategy="uniform"``: equal-width bins on [0, 1] (bin ``b`` holds ``b/n <= p < (b+1)/n``,
    ``p = 1`` in the last); ``"quantile"``: bins with equal counts (better for rare events).
    """
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(prob, dtype=float)
    w = np.ones_like(p) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    if strategy == "uniform":
        b = np.minimum((p * n_bins).astype(int), n_bins - 1)
    elif strategy == "quantile":
        edges = np.quantile(p, np.linspace(0, 1, n_bins + 1)[1:-1])
        b = np.searchsorted(edges, p, side="right")
    else:
        raise ValueError("strategy must be 'uniform' or 'quantile'")
    wsum = np.bincount(b, weights=w, minlength=n_bins)
    ysum = np.bincount(b, weights=w * y, minlength=n_bins)
    psum = np.bincount(b, weights=w * p, minlength=n_bins)
    nz = wsum > 0
    return float(np.sum(np.abs(ysum[nz] - psum[nz])) / wsum.sum())


def at_share(
    y_true: ArrayLike, score: ArrayLike, share: float, sample_weight: ArrayLike | None = None
) -> tuple[float, float]:
    """(recall, precision) when the ``share`` of (weighted) rows with the highest score is
    flagged. Ties at the cut are split in proportion (the expectation under random
    tie-breaking), so a coarse score such as the rule's is not favoured or penalised by row
    order."""
    y = np.asarray(y_true, dtype=float)
    s = np.asarray(score, dtype=float)
    w = np.ones_like(s) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    total, pos = w.sum(), (w * y).sum()
    if pos <= 0 or share * total <= 0:
        return (float("nan") if pos <= 0 else 0.0), float("nan")
    # aggregate by distinct score, highest first
    uniq, inv = np.unique(-s, return_inverse=True)
    n_u = np.bincount(inv, weights=w)
    p_u = np.bincount(inv, weights=w * y)
    return _at_share_groups(n_u, p_u, total, pos, share)


def _at_share_groups(
    n_u: np.ndarray, p_u: np.ndarray, total: float, pos: float, share: float
) -> tuple[float, float]:
    """:func:`at_share` from the weight ``n_u`` and positive weight ``p_u`` of each distinct
    score, highest score first (so a caller that has already grouped the scores need not
    sort them again)."""
    k = share * total
    if pos <= 0 or k <= 0:
        return (float("nan") if pos <= 0 else 0.0), float("nan")
    cum_n = np.cumsum(n_u)
    before = cum_n - n_u
    take = np.clip(k - before, 0.0, n_u)  # weight flagged within each tie group
    tp = np.sum(p_u * np.divide(take, n_u, out=np.zeros_like(take), where=n_u > 0))
    flagged = take.sum()
    return float(tp / pos), float(tp / flagged)


def reliability_curve(
    y_true: ArrayLike, prob: ArrayLike, n_bins: int = 10, strategy: str = "quantile"
) -> pd.DataFrame:
    """Observed rate vs mean predicted probability per bin (``sklearn.calibration_curve``)."""
    prob_true, prob_pred = calibration_curve(
        np.asarray(y_true, dtype=int),
        np.asarray(prob, dtype=float),
        n_bins=n_bins,
        strategy=strategy,
    )
    return pd.DataFrame({"prob_pred": prob_pred, "prob_true": prob_true})


# --- all metrics with clustered intervals --------------------------------------------------

_METRICS = ("recall_at_capacity", "precision_at_capacity", "pr_auc", "auc", "brier", "ece",
            "ece_relative", "o_e")
"""Every metric of :func:`score_metrics`, the lead ones first. ``ece``: equal-count bins;
``ece_relative``: ECE / prevalence (an ECE of 0.005 is small at 20 % prevalence and as large
as the rate itself at 0.5 %); ``o_e``: observed / expected cases (sum of labels / sum of
probabilities)."""

MIN_CLUSTERS = 20
"""Fewest clusters (villages) for a bootstrap interval; fewer: withheld, with the reason."""

MIN_POSITIVE_CLUSTERS = 10
"""Fewest clusters holding a positive for a bootstrap interval: with fewer, the replicates'
recall and PR-AUC take a handful of values and percentile intervals do not cover."""


def quantile_edges(s: np.ndarray, n_bins: int = 10) -> np.ndarray:
    """Interior edges of ``n_bins`` equal-count bins of ``s`` (ties can merge bins); a row's
    bin is ``searchsorted(edges, s, side="right")``."""
    if not len(s):
        return np.zeros(0)
    return np.unique(np.quantile(s, np.linspace(0, 1, n_bins + 1)[1:-1]))
_DENSE_CELLS = 1 << 24
"""Largest (cluster x tie group) table the bootstrap sums densely (8 bytes a cell)."""


class _Ties(NamedTuple):
    """A score's distinct values (ascending), each row's index into them, and the rows and
    positives at each value: the one sort that every metric of :func:`score_metrics` reads."""

    values: np.ndarray
    inverse: np.ndarray
    n: np.ndarray
    pos: np.ndarray


def _ties(y: np.ndarray, s: np.ndarray) -> _Ties:
    values, inverse = np.unique(s, return_inverse=True)
    n = np.bincount(inverse, minlength=len(values)).astype(float)
    return _Ties(values, inverse, n, np.bincount(inverse, weights=y, minlength=len(values)))


def _point(y, s, w, capacity_share, is_prob, n_bins, ties: _Ties | None = None,
           ece_edges: np.ndarray | None = None) -> dict[str, float]:
    """Point estimates; with ``ties`` (unit weights ``w``) the ranking metrics are read from
    the counts per distinct score instead of sorting the rows again. ECE on equal-width bins,
    or on the bins of ``ece_edges`` (see :func:`quantile_edges`)."""
    out = dict.fromkeys(_METRICS, float("nan"))
    if 0 < (w * y).sum() < w.sum():
        if ties is None:
            out["auc"] = roc_auc_score(y, s, sample_weight=w)
            out["pr_auc"] = average_precision_score(y, s, sample_weight=w)
        else:
            # one row per (distinct score, label) weighted by its count, highest score first:
            # sklearn sums the same whole counts at the same thresholds as over the rows
            # (exact in float64), so both metrics are identical, and its sort is a no-op
            weight = np.empty(2 * len(ties.values))
            weight[0::2] = (ties.n - ties.pos)[::-1]
            weight[1::2] = ties.pos[::-1]
            rows = np.flatnonzero(weight > 0)
            label = (rows & 1).astype(float)
            value = ties.values[::-1][rows >> 1]
            weight = weight[rows]
            out["auc"] = roc_auc_score(label, value, sample_weight=weight)
            out["pr_auc"] = average_precision_score(label, value, sample_weight=weight)
    if is_prob:
        out["brier"] = brier_score_loss(y, s, sample_weight=w)
        if ece_edges is None:
            out["ece"] = expected_calibration_error(y, s, n_bins=n_bins, sample_weight=w)
        else:
            b = np.searchsorted(ece_edges, s, side="right")
            k = len(ece_edges) + 1
            gap = np.abs(np.bincount(b, w * y, k) - np.bincount(b, w * s, k)).sum()
            out["ece"] = float(gap / w.sum()) if w.sum() > 0 else float("nan")
        pos, expected = float((w * y).sum()), float((w * s).sum())
        out["ece_relative"] = out["ece"] * w.sum() / pos if pos > 0 else float("nan")
        out["o_e"] = pos / expected if expected > 0 else float("nan")
    if capacity_share is not None:
        if ties is None:
            r, p = at_share(y, s, capacity_share, w)
        else:
            r, p = _at_share_groups(
                np.ascontiguousarray(ties.n[::-1]), np.ascontiguousarray(ties.pos[::-1]),
                w.sum(), (w * y).sum(), capacity_share,
            )
        out["recall_at_capacity"], out["precision_at_capacity"] = r, p
    return out


def _cluster_codes(groups: ArrayLike | None, keep: np.ndarray) -> np.ndarray:
    """Cluster codes 0..G-1 of the kept rows, in order of first appearance among them."""
    if groups is None:
        return np.arange(int(keep.sum()))
    if isinstance(groups, pd.Series | pd.Index):
        # factorize the column as stored (a string column through Arrow: np.asarray would
        # build a Python object per row), then renumber the kept rows' codes
        codes = pd.factorize(groups)[0][keep]
        if not (codes < 0).any():
            return pd.factorize(codes)[0]
    return pd.factorize(np.asarray(groups)[keep])[0]


def score_metrics(
    y_true: ArrayLike,
    score: ArrayLike,
    groups: ArrayLike | None = None,
    capacity_share: float | None = None,
    n_boot: int = 200,
    seed: int = 0,
    n_bins: int = 10,
    level: float = 0.95,
    max_bins: int = 4096,
    min_clusters: int = 0,
    min_positive_clusters: int = 0,
) -> dict:
    """Recall and precision at capacity, PR-AUC, AUC, Brier, ECE (equal-count bins), ECE
    relative to prevalence and observed/expected, each with a percentile interval from a
    bootstrap clustered by ``groups`` (villages; rows if ``None``).

    Rows with a missing label or score are dropped (``n`` counts the rest). Brier, ECE and
    observed/expected are NaN when the score is not within [0, 1]. With fewer than
    ``min_clusters`` clusters or ``min_positive_clusters`` clusters holding a positive, the
    intervals are withheld (NaN) and ``ci_withheld`` says why (else it is ``None``).
    Returns plain floats and ``[low, high]`` lists (JSON-ready): keys ``n, n_pos,
    prevalence, capacity_share, n_boot, n_clusters, n_positive_clusters, ci_withheld``, for
    each metric ``m`` both ``m`` and ``m_ci``, and ``calibration_deciles`` (equal-count
    deciles: n, expected, observed, o_e). Replicates come from :func:`bootstrap_metrics`.
    """
    point, reps, info = metrics_and_replicates(
        y_true, score, groups, capacity_share, n_boot, seed, n_bins, max_bins,
        min_clusters, min_positive_clusters,
    )
    res = {**info, **point}
    for k in _METRICS:
        res[f"{k}_ci"] = _percentile_ci(reps[k], level)
        res[k] = float(res[k])
    return res


def metrics_and_replicates(
    y_true: ArrayLike,
    score: ArrayLike,
    groups: ArrayLike | None = None,
    capacity_share: float | None = None,
    n_boot: int = 200,
    seed: int = 0,
    n_bins: int = 10,
    max_bins: int = 4096,
    min_clusters: int = 0,
    min_positive_clusters: int = 0,
    keep: np.ndarray | None = None,
) -> tuple[dict[str, float], dict[str, np.ndarray], dict]:
    """The point estimates, the bootstrap replicates of every metric and the counts of
    :func:`score_metrics`. The replicates resample the clusters of *all* rows (codes before
    dropping rows with a missing label or score; ``keep`` narrows the rows further), so two
    scores of the same rows share replicates: their differences are paired."""
    y_all = as_float_label(y_true)
    s_all = np.asarray(score, dtype=float)
    codes_all = _cluster_codes(groups, np.ones(len(y_all), dtype=bool))
    ok = ~np.isnan(y_all) & ~np.isnan(s_all)
    if keep is not None:
        ok &= np.asarray(keep, dtype=bool)
    y, s, codes = y_all[ok], s_all[ok], codes_all[ok]
    is_prob = bool(len(s)) and s.min() >= 0 and s.max() <= 1
    n_clusters = len(np.unique(codes))
    n_pos_clusters = len(np.unique(codes[y == 1]))
    withheld = None
    if n_clusters < min_clusters:
        withheld = (f"{n_clusters} cluster(s), fewer than {min_clusters}: "
                    "a cluster bootstrap would not cover")
    elif n_pos_clusters < min_positive_clusters:
        withheld = (f"relapses in {n_pos_clusters} cluster(s), fewer than "
                    f"{min_positive_clusters}: too few for an interval")
    info: dict = {
        "n": int(len(y)),
        "n_pos": int(y.sum()),
        "prevalence": float(y.mean()) if len(y) else float("nan"),
        "capacity_share": capacity_share,
        "n_boot": int(n_boot),
        "n_clusters": int(n_clusters),
        "n_positive_clusters": int(n_pos_clusters),
        "ci_withheld": withheld,
    }
    ties = _ties(y, s)
    edges = quantile_edges(s, n_bins)
    point = _point(y, s, np.ones_like(s), capacity_share, is_prob, n_bins, ties=ties,
                   ece_edges=edges)
    if is_prob:
        info["calibration_deciles"] = calibration_deciles(y, s, edges)
    boot = 0 if withheld else n_boot
    counts = cluster_bootstrap_counts(codes_all, boot, seed)
    reps = bootstrap_metrics(
        y, s, codes, counts, capacity_share=capacity_share, is_prob=is_prob, n_bins=n_bins,
        max_bins=max_bins, ties=(ties.values, ties.inverse), ece_edges=edges,
    )
    return point, reps, info


def calibration_deciles(y: np.ndarray, p: np.ndarray, edges: np.ndarray) -> list[dict]:
    """Per equal-count bin of the predictions: rows, expected and observed cases and their
    ratio (observed / expected)."""
    b = np.searchsorted(edges, p, side="right")
    k = len(edges) + 1
    n = np.bincount(b, minlength=k)
    exp_ = np.bincount(b, p, k)
    obs = np.bincount(b, y, k)
    return [
        {"n": int(n[i]), "expected": float(exp_[i]), "observed": float(obs[i]),
         "o_e": float(obs[i] / exp_[i]) if exp_[i] > 0 else float("nan")}
        for i in range(k) if n[i]
    ]


def cluster_bootstrap_counts(codes: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """``(n_boot, n_clusters)`` draw counts: replicate ``b`` resamples the clusters (integer
    ``codes`` 0..G-1) with replacement, so row ``i`` has weight ``counts[b, codes[i]]``. No
    replicate (shape ``(0, G)``) with fewer than two clusters."""
    codes = np.asarray(codes)
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    if n_groups < 2:
        return np.zeros((0, n_groups))
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_groups, (n_boot, n_groups))
    flat = (np.arange(n_boot)[:, None] * n_groups + draws).ravel()
    return np.bincount(flat, minlength=n_boot * n_groups).reshape(n_boot, n_groups).astype(float)


def _score_bins(
    s: np.ndarray, max_bins: int, ties: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, int]:
    """Ordered tie groups of ``s``: its distinct values (exact) when there are at most
    ``max_bins``, else quantile bins (pairs inside one bin then count as ties). ``ties`` is
    ``np.unique(s, return_inverse=True)`` when the caller has it."""
    uniq, inv = np.unique(s, return_inverse=True) if ties is None else ties
    if len(uniq) <= max_bins:
        return inv, len(uniq)
    # the quantiles of s are those of its values in order (partitioning them is quick), and
    # each distinct value falls in one bin
    ordered = uniq if len(uniq) == len(inv) else np.repeat(uniq, np.bincount(inv))
    edges = np.unique(np.quantile(ordered, np.linspace(0, 1, max_bins + 1)[1:-1]))
    return np.searchsorted(edges, uniq, side="right")[inv], len(edges) + 1


def bootstrap_metrics(
    y: np.ndarray,
    s: np.ndarray,
    codes: np.ndarray,
    counts: np.ndarray,
    capacity_share: float | None = None,
    is_prob: bool = True,
    n_bins: int = 10,
    max_bins: int = 4096,
    ties: tuple[np.ndarray, np.ndarray] | None = None,
    ece_edges: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Every metric of :func:`score_metrics` for each replicate (row of ``counts``, see
    :func:`cluster_bootstrap_counts`), without a pass over the rows per replicate.

    The rows are summed once per (cluster, score tie group) and per cluster; a replicate is
    then a product of its cluster counts with those sums (a sparse matrix product), and the
    ranking metrics (AUC, PR-AUC, recall and precision at capacity) are read from cumulative
    sums over the tie groups, highest score first. Exact when the score has at most
    ``max_bins`` distinct values; otherwise scores are grouped in ``max_bins`` quantile bins,
    which moves an AUC by at most the share of pairs within one bin (about 1 / max_bins).
    ``ties``: ``np.unique(s, return_inverse=True)`` if the caller has it (saves a sort).
    ``ece_edges``: fixed bins for the ECE (:func:`quantile_edges` of the sample: equal-count
    bins); ``None``: ``n_bins`` equal-width bins.
    """
    n_boot, n_groups = counts.shape
    out = {m: np.full(n_boot, np.nan) for m in _METRICS}
    if not n_boot or not len(y):
        return out
    y = np.asarray(y, dtype=float)
    s = np.asarray(s, dtype=float)
    tie, k = _score_bins(s, max_bins, ties)

    def by_cluster(values: np.ndarray, cols: np.ndarray, n_cols: int) -> np.ndarray:
        """Replicate sums of ``values`` per column: (n_boot, n_cols)."""
        m = sparse.csr_matrix((values, (codes, cols)), shape=(n_groups, n_cols))
        return np.asarray((m.T @ counts.T).T)

    # labels and draw counts are whole numbers (as score_metrics passes them): sums of their
    # products are exact in any order, so a dense (cluster, column) table times the counts
    # gives by_cluster's numbers without building (sorting) a sparse matrix, in by_cluster's
    # memory layout (so the reductions below add in the same order)
    whole = bool(np.all((y == 0) | (y == 1))) and bool(np.all(counts == np.round(counts)))

    def whole_by_cluster(values: np.ndarray | None, cols: np.ndarray, n_cols: int) -> np.ndarray:
        """``by_cluster`` of whole-number ``values`` (``None``: ones)."""
        if n_groups * n_cols > _DENSE_CELLS:
            return by_cluster(np.ones(len(cols)) if values is None else values, cols, n_cols)
        table = np.bincount(np.asarray(codes, dtype=np.int64) * n_cols + cols, weights=values,
                            minlength=n_groups * n_cols)
        return (table.reshape(n_groups, n_cols).astype(float).T @ counts.T).T

    if whole:
        pos = whole_by_cluster(y, tie, k)
        neg = whole_by_cluster(None, tie, k) - pos
    else:
        pos, neg = by_cluster(y, tie, k), by_cluster(1.0 - y, tie, k)
    n_pos, n_neg = pos.sum(axis=1), neg.sum(axis=1)
    total = n_pos + n_neg
    ok = (n_pos > 0) & (n_neg > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        neg_below = np.cumsum(neg, axis=1) - neg
        auc = (pos * (neg_below + 0.5 * neg)).sum(axis=1) / (n_pos * n_neg)
        # descending score: precision at each tie group, recall steps (sklearn's AP)
        tp = np.cumsum(pos[:, ::-1], axis=1)
        flagged = tp + np.cumsum(neg[:, ::-1], axis=1)
        precision = np.divide(tp, flagged, out=np.zeros_like(tp), where=flagged > 0)
        ap = (pos[:, ::-1] * precision).sum(axis=1) / n_pos
        out["auc"] = np.where(ok, auc, np.nan)
        out["pr_auc"] = np.where(ok, ap, np.nan)
        if capacity_share is not None:
            n_u = (pos + neg)[:, ::-1]
            before = np.cumsum(n_u, axis=1) - n_u
            take = np.clip(capacity_share * total[:, None] - before, 0.0, n_u)
            frac = np.divide(take, n_u, out=np.zeros_like(take), where=n_u > 0)
            tp_cap = (pos[:, ::-1] * frac).sum(axis=1)
            out["recall_at_capacity"] = np.where(n_pos > 0, tp_cap / n_pos, np.nan)
            taken = take.sum(axis=1)
            out["recall_at_capacity"][(n_pos > 0) & (taken <= 0)] = 0.0
            out["precision_at_capacity"] = np.where(
                (n_pos > 0) & (taken > 0), tp_cap / taken, np.nan
            )
        if is_prob:
            zero = np.zeros(len(y), dtype=int)
            sq = by_cluster((y - s) ** 2, zero, 1)[:, 0]
            out["brier"] = sq / total
            if ece_edges is None:
                b, nb = np.minimum((s * n_bins).astype(int), n_bins - 1), n_bins
            else:
                b, nb = np.searchsorted(ece_edges, s, side="right"), len(ece_edges) + 1
            y_b = whole_by_cluster(y, b, nb) if whole else by_cluster(y, b, nb)
            s_b = by_cluster(s, b, nb)
            gap = np.abs(y_b - s_b).sum(axis=1)
            out["ece"] = gap / total
            out["ece_relative"] = np.where(n_pos > 0, gap / np.where(n_pos > 0, n_pos, 1), np.nan)
            expected = s_b.sum(axis=1)
            out["o_e"] = np.where(expected > 0, n_pos / np.where(expected > 0, expected, 1), np.nan)
    return out


def cluster_bootstrap_weights(
    groups: ArrayLike | None, keep: np.ndarray, n_boot: int, seed: int
) -> Iterator[np.ndarray]:
    """Row weights of ``n_boot`` replicates that resample clusters (``groups``; rows if None)
    with replacement, for the rows where ``keep`` is True. Nothing if there is one cluster.
    The same replicates as :func:`cluster_bootstrap_counts`."""
    n = int(np.sum(keep))
    codes = np.arange(n) if groups is None else pd.factorize(np.asarray(groups)[keep])[0]
    for counts in cluster_bootstrap_counts(codes, n_boot, seed):
        yield counts[codes]


def _percentile_ci(values, level: float) -> list[float]:
    vals = np.asarray(values, dtype=float)
    vals = vals[~np.isnan(vals)]
    if not len(vals):
        return [float("nan"), float("nan")]
    alpha = (1 - level) / 2
    return [float(np.quantile(vals, alpha)), float(np.quantile(vals, 1 - alpha))]


def compare_scores(
    y_true: ArrayLike,
    score_a: ArrayLike,
    score_b: ArrayLike,
    groups: ArrayLike | None = None,
    capacity_share: float | None = None,
    n_boot: int = 200,
    seed: int = 0,
    level: float = 0.95,
) -> dict:
    """Paired comparison of two scores on the same rows: ``b - a`` for AUC, PR-AUC and recall
    at capacity, and the ratio ``auc_b / auc_a`` (e.g. a model over the oracle: ``a`` = oracle
    probability gives ``auc_to_oracle``), each with a percentile interval from the same
    village-clustered replicates (pairing removes the shared sampling noise)."""
    y = as_float_label(y_true)
    a = np.asarray(score_a, dtype=float)
    b = np.asarray(score_b, dtype=float)
    keep = ~np.isnan(y) & ~np.isnan(a) & ~np.isnan(b)
    y, a, b = y[keep], a[keep], b[keep]

    def stats(w: np.ndarray, m: np.ndarray) -> dict[str, float]:
        pa = _point(y[m], a[m], w[m], capacity_share, False, 10)
        pb = _point(y[m], b[m], w[m], capacity_share, False, 10)
        return {
            "auc_diff": pb["auc"] - pa["auc"],
            "auc_ratio": pb["auc"] / pa["auc"],
            "pr_auc_diff": pb["pr_auc"] - pa["pr_auc"],
            "recall_at_capacity_diff": pb["recall_at_capacity"] - pa["recall_at_capacity"],
        }

    res: dict = {"n": int(len(y)), "capacity_share": capacity_share, "n_boot": int(n_boot)}
    res.update({k: float(v) for k, v in stats(np.ones(len(y)), np.ones(len(y), bool)).items()})
    reps: dict[str, list] = {
        k: [] for k in ("auc_diff", "auc_ratio", "pr_auc_diff", "recall_at_capacity_diff")
    }
    for w in cluster_bootstrap_weights(groups, keep, n_boot, seed):
        for k, v in stats(w, w > 0).items():
            reps[k].append(v)
    for k, v in reps.items():
        res[f"{k}_ci"] = _percentile_ci(v, level)
    return res


# --- every score on the same replicates: metrics and paired comparisons ---------------------

HEADLINE = ("recall_at_capacity", "precision_at_capacity", "pr_auc", "auc")
"""The metrics every comparison reports, the lead ones first."""


def _verdict(ci: list[float], a: str, b: str) -> str | None:
    """``b`` when the interval of ``b - a`` lies above 0, ``a`` when below, else ``None``."""
    lo, hi = ci
    if np.isnan(lo) or np.isnan(hi):
        return None
    return b if lo > 0 else a if hi < 0 else None


def evaluate_scores(
    y_true: ArrayLike,
    scores: dict[str, ArrayLike],
    groups: ArrayLike | None = None,
    capacity_share: float | None = None,
    baselines: tuple[str, ...] = ("rule", "income_ratio"),
    oracle: str | None = None,
    n_boot: int = 200,
    seed: int = 0,
    level: float = 0.95,
    min_clusters: int = MIN_CLUSTERS,
    min_positive_clusters: int = MIN_POSITIVE_CLUSTERS,
) -> tuple[dict[str, dict], list[dict]]:
    """Metrics of every score (as :func:`score_metrics`) and the paired comparisons that
    carry a claim, all on the same village replicates:

    - each model (not a baseline, not the oracle) against the best baseline, per headline
      metric (:data:`HEADLINE`; the best is the baseline with the higher value of that
      metric, the harder comparison);
    - ``gbm`` against ``logit`` when both are scored;
    - each score's recall at capacity and AUC as a ratio to the oracle's (``oracle``: the
      true probability, on synthetic data).

    A comparison row: ``a``, ``b``, ``metric``, ``kind`` (``difference`` b - a, or
    ``ratio`` b / a), ``a_value``, ``b_value``, ``estimate``, ``ci``, ``excludes_null``
    (the interval excludes 0, or 1 for a ratio) and ``winner`` (the better of the two when
    it does, else ``None``: no winner is named), and ``ci_withheld`` when too few clusters.
    """
    y = as_float_label(y_true)
    arrays = {k: np.asarray(v, dtype=float) for k, v in scores.items()}
    masks = {k: ~np.isnan(y) & ~np.isnan(v) for k, v in arrays.items()}
    kw = dict(groups=groups, capacity_share=capacity_share, n_boot=n_boot, seed=seed,
              min_clusters=min_clusters, min_positive_clusters=min_positive_clusters)
    cache: dict[tuple[str, bytes], tuple[dict, dict, dict]] = {}

    def on(name: str, mask: np.ndarray) -> tuple[dict, dict, dict]:
        key = (name, np.packbits(mask).tobytes())
        if key not in cache:
            cache[key] = metrics_and_replicates(y, arrays[name], keep=mask, **kw)
        return cache[key]

    metrics: dict[str, dict] = {}
    for name in arrays:
        point, reps, info = on(name, masks[name])
        res = {**info, **point}
        for k in _METRICS:
            res[f"{k}_ci"] = _percentile_ci(reps[k], level)
            res[k] = float(res[k])
        metrics[name] = res

    def compare(a: str, b: str, metric: str, kind: str = "difference") -> dict:
        both = masks[a] & masks[b]
        pa, ra, ia = on(a, both)
        pb, rb, _ = on(b, both)
        with np.errstate(divide="ignore", invalid="ignore"):
            if kind == "ratio":
                # a reference of 0 (the oracle finds no case at capacity in a tiny run) has no ratio
                est = pb[metric] / pa[metric] if pa[metric] else np.nan
                ci = _percentile_ci(np.asarray(rb[metric], float) / np.asarray(ra[metric], float), level)
                excludes = bool(ci[0] > 1 or ci[1] < 1)
                winner = None
            else:
                est = pb[metric] - pa[metric]
                ci = _percentile_ci(rb[metric] - ra[metric], level)
                excludes = bool(ci[0] > 0 or ci[1] < 0)
                winner = _verdict(ci, a, b)
        return {"a": a, "b": b, "metric": metric, "kind": kind,
                "a_value": float(pa[metric]), "b_value": float(pb[metric]),
                "estimate": float(est), "ci": ci, "excludes_null": excludes,
                "winner": winner, "ci_withheld": ia["ci_withheld"]}

    present = [b for b in baselines if b in arrays]
    models = [m for m in arrays if m not in present and m != oracle]
    rows: list[dict] = []
    if present:
        for metric in HEADLINE:
            best = max(present, key=lambda b: np.nan_to_num(metrics[b][metric], nan=-np.inf))
            rows += [{**compare(best, m, metric), "against": "best_baseline"} for m in models]
    if "gbm" in arrays and "logit" in arrays:
        rows += [{**compare("logit", "gbm", metric), "against": "logit"} for metric in HEADLINE]
    if oracle is not None and oracle in arrays:
        rows += [{**compare(oracle, m, metric, "ratio"), "against": "oracle"}
                 for m in [*present, *models] for metric in ("recall_at_capacity", "auc")]
    return metrics, rows


# --- splits ---------------------------------------------------------------------------------


def _horizon(features: pd.DataFrame, horizon: int | None) -> int:
    if horizon is not None:
        return int(horizon)
    return int(features.attrs.get("horizon_quarters", 4))


def _usable(features: pd.DataFrame, columns: list[str] | None) -> np.ndarray:
    """Known label and complete model inputs (those of ``columns`` present in the frame), so
    that every model is fitted and scored on the same rows."""
    cols = [c for c in (FEATURE_COLUMNS if columns is None else columns) if c in features]
    ok = features[LABEL_COLUMN].notna().to_numpy()
    if cols:
        ok = ok & features[cols].notna().all(axis=1).to_numpy()
    elif columns is None and INPUTS_COMPLETE in features:  # a frame of keys, inputs not read
        ok = ok & features[INPUTS_COMPLETE].to_numpy(dtype=bool)
    return ok


def _no_rows_reason(features: pd.DataFrame, rows: np.ndarray, what: str, h: int,
                    columns: list[str] | None) -> str:
    """Why ``rows`` hold no usable row, naming the cause: no rows at all (the years the data
    cover), no known label (the horizon runs past the data), or features missing."""
    years = sorted(int(y) for y in pd.unique(features["year"]))
    labelled = features[LABEL_COLUMN].notna().to_numpy()
    span = f"{years[0]}-{years[-1]}" if years else "none"
    with_label = sorted(int(y) for y in pd.unique(features.loc[labelled, "year"]))
    hint = (f"; years with known outcomes: {with_label[0]}-{with_label[-1]} (set "
            "models.train_until_year inside them, or null to take it from the data)"
            if with_label else "")
    if not rows.any():
        return f"no rows in {what}: the data cover {span}{hint}"
    if not (rows & labelled).any():
        return (f"no labelled rows in {what}: the {h}-quarter horizon runs past the end of "
                f"the data ({span}){hint}")
    cols = [c for c in (FEATURE_COLUMNS if columns is None else columns) if c in features]
    if not cols and INPUTS_COMPLETE in features:
        return (f"no usable rows in {what}: every labelled row has a missing feature: a "
                "missing value is not guessed; fill the export's blanks or leave the column out")
    sub = features.loc[rows & labelled, cols]
    worst = sub.isna().mean().sort_values(ascending=False)
    worst = worst[worst > 0].head(3)
    return (f"no usable rows in {what}: every labelled row has a missing feature ("
            + ", ".join(f"{c} missing in {v:.0%}" for c, v in worst.items())
            + "): a missing value is not guessed; fill the export's blanks or leave the column out")


def out_of_time_split(
    features: pd.DataFrame,
    train_until_year: int,
    horizon: int | None = None,
    test_year: int | None = None,
    columns: list[str] | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Train on what is known when the test period starts; test on the next year.

    ``test``: rows of ``test_year`` (default ``train_until_year + 1``) with a known label.
    ``train``: rows of years <= ``train_until_year`` whose label horizon has ended by the first
    test quarter (``t + H <= first test quarter``), so no training label uses an outcome from a
    test row's horizon. With H = 4 this drops the last three quarters of the training years:
    a county predicting in quarter 1 of the test year does not yet know how they end.
    Both masks keep only usable rows: a known label and complete ``columns`` (default
    :data:`FEATURE_COLUMNS`; rows in a household's first three quarters lack the 4-quarter
    income window). Raises if the test year has no labels (its horizon runs past the end of
    the data).
    """
    h = _horizon(features, horizon)
    test_year = train_until_year + 1 if test_year is None else int(test_year)
    qidx = quarter_index(features["year"], features["quarter"])
    t0 = test_year * 4
    known = _usable(features, columns)
    train = (features["year"].to_numpy() <= train_until_year) & (qidx + h <= t0) & known
    test = (features["year"].to_numpy() == test_year) & known
    if not test.any():
        raise ValueError(_no_rows_reason(features, features["year"].to_numpy() == test_year,
                                         f"test year {test_year}", h, columns))
    if not train.any():
        raise ValueError(_no_rows_reason(
            features, features["year"].to_numpy() <= train_until_year,
            f"training years up to {train_until_year}", h, columns))
    return pd.Series(train, index=features.index), pd.Series(test, index=features.index)


def leave_one_county_out(
    features: pd.DataFrame, columns: list[str] | None = None
) -> Iterator[tuple[str, pd.Series, pd.Series]]:
    """Yield ``(county_id, train_mask, test_mask)``: train on the other counties, test on this
    one (usable rows only, as in :func:`out_of_time_split`). Households never cross counties,
    so splits are grouped by household. Warns and yields nothing with fewer than two
    counties. Combine with an out-of-time mask for a space-and-time split."""
    known = pd.Series(_usable(features, columns), index=features.index)
    counties = pd.unique(features["county_id"])
    if len(counties) < 2:
        warnings.warn("leave-one-county-out needs at least two counties", stacklevel=2)
        return
    for c in counties:
        is_c = features["county_id"] == c
        yield str(c), (~is_c & known), (is_c & known)
