"""Metrics against hand computations; bootstrap clustering; splits without leakage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from relapse_models.models import evaluation as E

# 10 rows; positives have scores 0.35, 0.8, 0.9, 0.6; negatives 0.1, 0.4, 0.2, 0.3, 0.05, 0.7
Y = np.array([0, 0, 1, 1, 0, 1, 0, 0, 1, 0])
S = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.3, 0.05, 0.6, 0.7])


def test_metrics_by_hand():
    m = E.score_metrics(Y, S, capacity_share=0.3, n_boot=0)
    # AUC: pairs (pos > neg): 0.35 beats 4, 0.8 and 0.9 beat 6, 0.6 beats 5 -> 21 / 24
    assert m["auc"] == pytest.approx(21 / 24)
    # AP: ranked 0.9+ 0.8+ 0.7- 0.6+ 0.4- 0.35+ -> precisions at hits 1, 1, 3/4, 4/6
    assert m["pr_auc"] == pytest.approx((1 + 1 + 0.75 + 4 / 6) / 4)
    # Brier: negatives 0.01+0.16+0.04+0.09+0.0025+0.49, positives 0.4225+0.04+0.01+0.16
    assert m["brier"] == pytest.approx(1.425 / 10)
    # top 30 % = scores 0.9, 0.8, 0.7 -> 2 of 4 positives, 2 of 3 flagged
    assert m["recall_at_capacity"] == pytest.approx(0.5)
    assert m["precision_at_capacity"] == pytest.approx(2 / 3)
    assert (m["n"], m["n_pos"], m["prevalence"]) == (10, 4, 0.4)
    assert np.isnan(m["auc_ci"]).all()  # no replicates asked for


def test_ece_by_hand():
    # two bins: p < 0.5 has 6 rows, observed 1/6, mean p 1.4/6; p >= 0.5: 3/4 vs 3.0/4
    assert E.expected_calibration_error(Y, S, n_bins=2) == pytest.approx(0.6 * (1.4 / 6 - 1 / 6))
    perfect = E.expected_calibration_error([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5], n_bins=10)
    assert perfect == 0.0
    # weights count like repeated rows
    w = np.array([2, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    rep_y, rep_s = np.r_[Y, Y[:1]], np.r_[S, S[:1]]
    assert E.expected_calibration_error(Y, S, 5, sample_weight=w) == pytest.approx(
        E.expected_calibration_error(rep_y, rep_s, 5)
    )
    q = E.expected_calibration_error(Y, S, n_bins=2, strategy="quantile")
    # quantile bins split at the median (0.375): low {0.05..0.35}: y 1/5, p 1.0/5;
    # high {0.4..0.9}: y 3/5, p 3.4/5 -> 0.5*0 + 0.5*0.08
    assert q == pytest.approx(0.5 * abs(0.6 - 0.68))


def test_recall_at_share_splits_ties():
    y = [1, 1, 0, 0, 1, 0, 0, 0, 0, 0]
    s = [0.5] * 4 + [0.1] * 6
    # 2 slots among 4 tied rows holding 2 positives -> expected tp 1
    assert E.at_share(y, s, 0.2) == pytest.approx((1 / 3, 1 / 2))
    assert E.at_share(y, s, 0.4) == pytest.approx((2 / 3, 1 / 2))
    # 6 slots: the 4 tied top rows + 2 of 6 tied bottom rows with 1 positive
    assert E.at_share(y, s, 0.6) == pytest.approx(((2 + 2 / 6) / 3, (2 + 2 / 6) / 6))


def test_reliability_curve_uses_sklearn_bins():
    r = E.reliability_curve(Y, S, n_bins=2, strategy="uniform")
    np.testing.assert_allclose(r["prob_true"], [1 / 6, 3 / 4])
    np.testing.assert_allclose(r["prob_pred"], [1.4 / 6, 0.75])


def test_missing_labels_dropped_and_non_probability_scores():
    y = pd.array([True, False, None, True], dtype="boolean")
    m = E.score_metrics(y, [0.9, 0.1, 0.5, 3.0], n_boot=0)
    assert m["n"] == 3 and m["auc"] == 1.0
    assert np.isnan(m["brier"]) and np.isnan(m["ece"])  # 3.0 is not a probability


def test_bootstrap_reproducible_and_covers_point():
    rng = np.random.default_rng(0)
    y = rng.random(2000) < 0.2
    s = np.clip(0.2 + 0.3 * (y - 0.2) + rng.normal(0, 0.2, 2000), 0, 1)
    g = rng.integers(0, 50, 2000)
    a = E.score_metrics(y, s, groups=g, capacity_share=0.1, n_boot=100, seed=3)
    b = E.score_metrics(y, s, groups=g, capacity_share=0.1, n_boot=100, seed=3)
    assert a == b
    for k in ("auc", "pr_auc", "brier", "ece", "recall_at_capacity"):
        lo, hi = a[f"{k}_ci"]
        assert lo <= a[k] <= hi, k
        assert hi - lo > 0, k


def test_bootstrap_is_clustered():
    """Identical rows within 20 villages: 20 independent units, not 1000."""
    rng = np.random.default_rng(1)
    g = np.repeat(np.arange(20), 50)
    y = np.repeat(rng.random(20) < 0.5, 50)
    s = np.repeat(rng.random(20), 50) * 0.5 + 0.3 * y
    clus = E.score_metrics(y, s, groups=g, n_boot=300, seed=0)
    rows = E.score_metrics(y, s, groups=None, n_boot=300, seed=0)
    width = lambda m: m["auc_ci"][1] - m["auc_ci"][0]  # noqa: E731
    assert width(clus) > 3 * width(rows)


def _feature_frame():
    """Two counties, 3 households each, 2019Q1-2023Q4; labels NA in the last 4 quarters."""
    rows = []
    for c in ("x", "y"):
        for h in range(3):
            for year in range(2019, 2024):
                for q in range(1, 5):
                    rows.append(
                        {"household_id": f"{c}{h}", "county_id": c, "year": year, "quarter": q}
                    )
    f = pd.DataFrame(rows)
    lab = pd.array((np.arange(len(f)) % 3 == 0), dtype="boolean")
    lab[(f["year"] == 2023).to_numpy()] = pd.NA
    f["relapse"] = lab
    f.attrs["horizon_quarters"] = 4
    return f


def test_out_of_time_split_no_leakage():
    f = _feature_frame()
    train, test = E.out_of_time_split(f, train_until_year=2021)
    q = f["year"] * 4 + f["quarter"] - 1
    assert not (train & test).any()
    assert (f.loc[test, "year"] == 2022).all() and test.sum() == 6 * 4
    assert (f.loc[train, "year"] <= 2021).all()
    # every training label window t+1..t+4 ends before the first test quarter's outcomes
    assert (q[train] + 4).max() <= q[test].min()
    assert f.loc[train | test, "relapse"].notna().all()
    # 2019Q1 .. 2021Q1 are usable for training (9 quarters x 6 households)
    assert train.sum() == 9 * 6
    tr1, _ = E.out_of_time_split(f, 2021, horizon=1)
    assert tr1.sum() == 12 * 6  # with H = 1, all of 2019-2021


def test_out_of_time_split_raises_without_test_labels():
    with pytest.raises(ValueError, match="horizon runs past.*years with known outcomes: 2019-2022"):
        E.out_of_time_split(_feature_frame(), train_until_year=2022)


def test_out_of_time_split_names_the_real_cause():
    f = _feature_frame()
    with pytest.raises(ValueError, match="no rows in test year 2031: the data cover 2019-2023"):
        E.out_of_time_split(f, train_until_year=2030)
    # a feature missing in every test row: said so, not blamed on the horizon
    f["income_ratio"] = np.where(f["year"] == 2022, np.nan, 1.0)
    with pytest.raises(ValueError, match="no usable rows in test year 2022.*income_ratio missing in 100%"):
        E.out_of_time_split(f, train_until_year=2021)


def test_leave_one_county_out():
    f = _feature_frame()
    splits = list(E.leave_one_county_out(f))
    assert [c for c, _, _ in splits] == ["x", "y"]
    for c, train, test in splits:
        assert (f.loc[test, "county_id"] == c).all()
        assert (f.loc[train, "county_id"] != c).all()
        assert not set(f.loc[train, "household_id"]) & set(f.loc[test, "household_id"])
        assert f.loc[train | test, "relapse"].notna().all()
    with pytest.warns(UserWarning):
        assert list(E.leave_one_county_out(f[f["county_id"] == "x"])) == []


def test_compare_scores_paired_by_hand():
    worse = np.where(Y == 1, 0.5, S)  # positives all at 0.5: beat 0.1, 0.4, 0.2, 0.3, 0.05
    c = E.compare_scores(Y, worse, S, capacity_share=0.3, n_boot=0)
    assert c["auc_diff"] == pytest.approx(21 / 24 - 20 / 24)
    assert c["auc_ratio"] == pytest.approx(21 / 20)
    # worse: top 3 = 0.7 (neg) then 2 of the 4 tied 0.5 positives -> recall 2/4; S: 2/4
    assert c["recall_at_capacity_diff"] == pytest.approx(0.0)
    rng = np.random.default_rng(2)
    y = rng.random(3000) < 0.3
    oracle = np.clip(0.3 + 0.4 * (y - 0.3) + rng.normal(0, 0.15, 3000), 0, 1)
    noisy = oracle + rng.normal(0, 0.3, 3000)
    g = rng.integers(0, 60, 3000)
    c = E.compare_scores(y, oracle, noisy, groups=g, capacity_share=0.2, n_boot=100)
    assert c["auc_diff_ci"][1] < 0 and c["auc_ratio_ci"][1] < 1  # noise costs AUC, clearly
    assert c["auc_ratio_ci"][0] <= c["auc_ratio"] <= c["auc_ratio_ci"][1]


def test_splits_keep_rows_with_complete_features():
    f = _feature_frame()
    f["income_ratio"] = 1.0
    f.loc[(f["year"] == 2019) & (f["quarter"] < 4), "income_ratio"] = np.nan  # no 4q window
    f.loc[(f["household_id"] == "x0") & (f["year"] == 2022), "income_ratio"] = np.nan
    train, test = E.out_of_time_split(f, train_until_year=2021)
    assert train.sum() == 6 * 6  # 2019Q4 .. 2021Q1
    assert test.sum() == 5 * 4  # x0 has no usable test rows
    assert f.loc[train | test, "income_ratio"].notna().all()
    for _, tr, te in E.leave_one_county_out(f):
        assert f.loc[tr | te, "income_ratio"].notna().all()


def _replicate_fixture(seed=4, n=3000):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.2).astype(float)
    s = np.clip(0.2 + 0.3 * (y - 0.2) + rng.normal(0, 0.2, n), 0, 1)
    s[: n // 4] = np.round(s[: n // 4], 1)  # ties, as a coarse score has
    codes = rng.integers(0, 60, n)
    return y, s, codes


def test_cluster_bootstrap_counts_resample_clusters():
    codes = np.repeat(np.arange(7), 3)
    c = E.cluster_bootstrap_counts(codes, 50, 1)
    assert c.shape == (50, 7)
    np.testing.assert_array_equal(c.sum(axis=1), 7)  # G draws of G clusters
    np.testing.assert_array_equal(c, E.cluster_bootstrap_counts(codes, 50, 1))
    assert E.cluster_bootstrap_counts(np.zeros(5, int), 50, 1).shape[0] == 0
    # the generator yields the same replicates as row weights
    w = list(E.cluster_bootstrap_weights(codes, np.ones(21, bool), 50, 1))
    np.testing.assert_array_equal(np.array(w), c[:, codes])


def test_bootstrap_metrics_equal_sklearn_on_every_replicate():
    """The vectorised replicates against scikit-learn's metrics with the same row weights."""
    y, s, codes = _replicate_fixture()
    counts = E.cluster_bootstrap_counts(codes, 15, 2)
    reps = E.bootstrap_metrics(y, s, codes, counts, capacity_share=0.1)
    for b in range(len(counts)):
        w = counts[b, codes]
        m = w > 0
        ref = {
            "auc": roc_auc_score(y[m], s[m], sample_weight=w[m]),
            "pr_auc": average_precision_score(y[m], s[m], sample_weight=w[m]),
            "brier": brier_score_loss(y[m], s[m], sample_weight=w[m]),
            "ece": E.expected_calibration_error(y[m], s[m], sample_weight=w[m]),
        }
        ref["recall_at_capacity"], ref["precision_at_capacity"] = E.at_share(y, s, 0.1, w)
        for k, v in ref.items():
            np.testing.assert_allclose(reps[k][b], v, rtol=1e-10, err_msg=k)


def test_bootstrap_metrics_binned_when_many_distinct_scores():
    y, s, codes = _replicate_fixture(seed=5)
    counts = E.cluster_bootstrap_counts(codes, 10, 3)
    binned = E.bootstrap_metrics(y, s, codes, counts, max_bins=200)
    for b in range(len(counts)):
        w = counts[b, codes]
        # pairs inside one of 200 quantile bins count as ties: |error| <= 1 / 200
        assert abs(binned["auc"][b] - roc_auc_score(y, s, sample_weight=w)) < 1 / 200
    # a one-class replicate has no AUC
    one = E.bootstrap_metrics(np.zeros(4), np.array([0.1, 0.2, 0.3, 0.4]), np.arange(4),
                              np.ones((2, 4)))
    assert np.isnan(one["auc"]).all() and np.allclose(one["brier"], 0.075)


def test_point_estimates_are_sklearn_numbers_exactly():
    """Read from counts per distinct score, the point estimates are still sklearn's, to the
    last bit, for coarse and continuous scores (and at_share's recall and precision)."""
    rng = np.random.default_rng(6)
    y = rng.random(4000) < 0.15
    s = np.clip(0.15 + 0.3 * (y - 0.15) + rng.normal(0, 0.2, 4000), 0, 1)
    for score in (s, np.round(s, 1), np.round(s * 3) - 1.0):
        m = E.score_metrics(y, score, capacity_share=0.1, n_boot=0)
        assert m["auc"] == roc_auc_score(y, score)
        assert m["pr_auc"] == average_precision_score(y, score)
        assert (m["recall_at_capacity"], m["precision_at_capacity"]) == E.at_share(y, score, 0.1)
    assert E.score_metrics(y, s, n_boot=0)["brier"] == brier_score_loss(y, s)


def test_groups_as_a_string_column_or_an_array_give_the_same_replicates():
    """A village column is factorized as stored; codes follow the kept rows' order either
    way, so the intervals do not depend on how the villages are passed."""
    rng = np.random.default_rng(8)
    n = 3000
    y = pd.array(rng.random(n) < 0.2, dtype="boolean")
    y[:40] = pd.NA  # drops the first rows of some villages
    s = np.clip(0.2 + rng.normal(0, 0.2, n), 0, 1)
    villages = [f"v{i:02d}" for i in rng.integers(0, 60, n)]
    ref = E.score_metrics(y, s, groups=np.array(villages, dtype=object), capacity_share=0.1,
                          n_boot=30, seed=1)
    for groups in (pd.Series(villages, dtype="str"), pd.Series(villages, dtype="category"),
                   villages):
        assert E.score_metrics(y, s, groups=groups, capacity_share=0.1, n_boot=30, seed=1) == ref


def test_bootstrap_metrics_reuse_a_sort_and_dense_sums_are_exact(monkeypatch):
    y, s, codes = _replicate_fixture(seed=9)
    counts = E.cluster_bootstrap_counts(codes, 12, 4)
    for max_bins in (4096, 100):
        plain = E.bootstrap_metrics(y, s, codes, counts, capacity_share=0.1, max_bins=max_bins)
        shared = E.bootstrap_metrics(y, s, codes, counts, capacity_share=0.1, max_bins=max_bins,
                                     ties=np.unique(s, return_inverse=True))
        # the sparse matrix products for every sum (the dense tables switched off)
        monkeypatch.setattr(E, "_DENSE_CELLS", 0)
        sparse = E.bootstrap_metrics(y, s, codes, counts, capacity_share=0.1, max_bins=max_bins)
        monkeypatch.undo()
        for k in plain:
            np.testing.assert_array_equal(plain[k], shared[k], err_msg=k)
            np.testing.assert_array_equal(plain[k], sparse[k], err_msg=k)


# --- paired comparisons, calibration, few clusters -------------------------------------------


def test_calibration_by_hand():
    """Observed/expected, equal-count deciles and ECE relative to the prevalence."""
    y = np.array([0, 0, 1, 0, 1, 1, 0, 0])
    p = np.array([0.1, 0.1, 0.2, 0.2, 0.4, 0.6, 0.3, 0.1])
    m = E.score_metrics(y, p, n_boot=0, n_bins=2)
    assert m["o_e"] == pytest.approx(3 / 2.0)  # 3 cases, 2.0 expected
    # two equal-count bins split at the median 0.2 (side right): {0.1 x3} and the rest
    assert [d["n"] for d in m["calibration_deciles"]] == [3, 5]
    low, high = m["calibration_deciles"]
    assert (low["observed"], low["expected"]) == (0, pytest.approx(0.3))
    assert (high["observed"], high["expected"]) == (3, pytest.approx(1.7))
    assert m["ece"] == pytest.approx((0.3 + 1.3) / 8)
    assert m["ece_relative"] == pytest.approx(m["ece"] / (3 / 8))


def test_bootstrap_replicates_of_equal_count_ece_and_o_e():
    y, s, codes = _replicate_fixture()
    counts = E.cluster_bootstrap_counts(codes, 10, 4)
    edges = E.quantile_edges(s, 10)
    reps = E.bootstrap_metrics(y, s, codes, counts, ece_edges=edges)
    for b in range(len(counts)):
        w = counts[b, codes]
        k = np.searchsorted(edges, s, side="right")
        gap = np.abs(np.bincount(k, w * y) - np.bincount(k, w * s)).sum()
        assert reps["ece"][b] == pytest.approx(gap / w.sum())
        assert reps["o_e"][b] == pytest.approx((w * y).sum() / (w * s).sum())
        assert reps["ece_relative"][b] == pytest.approx(gap / (w * y).sum())


def _clustered(n_villages=80, per=50, seed=0):
    rng = np.random.default_rng(seed)
    v = np.repeat(np.arange(n_villages), per)
    x = rng.normal(size=len(v))
    y = (rng.random(len(v)) < 1 / (1 + np.exp(-(-2.5 + 1.5 * x)))).astype(float)
    return v, x, y, rng


def test_paired_comparisons_name_a_winner_only_when_the_interval_excludes_zero():
    v, x, y, rng = _clustered()
    good = 1 / (1 + np.exp(-(-2.5 + 1.5 * x)))
    scores = {"rule": (x > 1).astype(float), "income_ratio": good + rng.normal(0, 0.3, len(x)),
              "strong": good, "twin": good + 1e-12 * rng.random(len(x)), "oracle": good}
    metrics, rows = E.evaluate_scores(y, scores, groups=v, capacity_share=0.1, n_boot=200,
                                      oracle="oracle")
    by = {(r["b"], r["against"], r["metric"]): r for r in rows}
    for metric in E.HEADLINE:
        strong = by[("strong", "best_baseline", metric)]
        # the best baseline is the stronger one for this metric (the harder comparison)
        best = max(("rule", "income_ratio"), key=lambda b: metrics[b][metric])
        assert strong["a"] == best
        assert strong["estimate"] == pytest.approx(metrics["strong"][metric] - metrics[best][metric])
        assert strong["ci"][0] <= strong["estimate"] <= strong["ci"][1]
        assert strong["winner"] == ("strong" if strong["ci"][0] > 0 else best if strong["ci"][1] < 0
                                    else None)
    # the same ranking twice: difference 0, no winner
    same = by[("twin", "best_baseline", "auc")]
    twin_vs_strong = E.evaluate_scores(y, {"rule": scores["strong"], "income_ratio": scores["rule"],
                                           "twin": scores["twin"]}, groups=v, n_boot=100)[1]
    auc_row = next(r for r in twin_vs_strong if r["metric"] == "auc")
    assert auc_row["a"] == "rule" and abs(auc_row["estimate"]) < 1e-9 and auc_row["winner"] is None
    assert same["excludes_null"] == (same["winner"] is not None)
    # the oracle ratios: 1 for the oracle's own score, with an interval
    ratio = by[("strong", "oracle", "auc")]
    assert ratio["kind"] == "ratio" and ratio["estimate"] == pytest.approx(1.0)
    assert ratio["winner"] is None


def test_intervals_withheld_with_few_clusters_and_say_why():
    v, x, y, _ = _clustered(n_villages=8)
    m = E.score_metrics(y, 1 / (1 + np.exp(-x)), groups=v, capacity_share=0.1, n_boot=50,
                        min_clusters=20, min_positive_clusters=10)
    assert m["n_clusters"] == 8 and "fewer than 20" in m["ci_withheld"]
    assert np.isnan(m["auc_ci"]).all() and np.isfinite(m["auc"])
    v, x, y, _ = _clustered(n_villages=40)
    y[v >= 5] = 0  # relapses in 5 villages only
    m = E.score_metrics(y, 1 / (1 + np.exp(-x)), groups=v, n_boot=50, min_clusters=20,
                        min_positive_clusters=10)
    assert m["n_positive_clusters"] == 5 and "relapses in 5" in m["ci_withheld"]
    v, x, y, _ = _clustered(n_villages=40)
    ok = E.score_metrics(y, x, groups=v, n_boot=50, min_clusters=20, min_positive_clusters=10)
    assert ok["ci_withheld"] is None and np.isfinite(ok["auc_ci"]).all()


@pytest.mark.slow
def test_bootstrap_intervals_cover_the_population_values():
    """A simulation study with a known truth: a population of 4,000 villages (village effects
    the score does not see); samples of 30 villages; the 95 % village-bootstrap intervals of
    AUC and recall at capacity cover the population's values in 90-98 % of 200 samples."""
    rng = np.random.default_rng(0)
    n_vill, per = 4000, 40
    v = np.repeat(np.arange(n_vill), per)
    x = rng.normal(size=len(v)) + 0.5 * rng.normal(size=n_vill)[v]
    eta = -4.0 + 1.2 * x + rng.normal(0, 0.7, n_vill)[v]
    y = (rng.random(len(v)) < 1 / (1 + np.exp(-eta))).astype(float)
    s = 1 / (1 + np.exp(-(-4.0 + 1.2 * x)))
    truth = {"auc": roc_auc_score(y, s), "recall_at_capacity": E.at_share(y, s, 0.05)[0]}
    rows_of = np.arange(len(v)).reshape(n_vill, per)
    hits: dict[str, list[bool]] = {k: [] for k in truth}
    for r in range(200):
        rows = rows_of[rng.choice(n_vill, 30)].ravel()
        m = E.score_metrics(y[rows], s[rows], groups=np.repeat(np.arange(30), per),
                            capacity_share=0.05, n_boot=300, seed=r)
        for k, t in truth.items():
            hits[k].append(m[f"{k}_ci"][0] <= t <= m[f"{k}_ci"][1])
    for k, h in hits.items():
        assert 0.90 <= np.mean(h) <= 0.98, (k, np.mean(h))


def test_ratio_to_an_oracle_that_finds_nothing_is_undefined_not_a_crash():
    """A tiny run's oracle may catch no case at capacity: its ratios have no value."""
    v, x, y, _ = _clustered(n_villages=30)
    blind = -x  # ranks the cases last: recall 0 at a small capacity
    metrics, rows = E.evaluate_scores(y, {"rule": x, "oracle": blind}, groups=v,
                                      capacity_share=0.01, n_boot=20, oracle="oracle")
    assert metrics["oracle"]["recall_at_capacity"] == 0.0
    row = next(r for r in rows if r["against"] == "oracle" and r["metric"] == "recall_at_capacity")
    assert np.isnan(row["estimate"])
