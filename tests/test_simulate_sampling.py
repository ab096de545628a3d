"""Low-noise draws of the generator (``simulate.sampling``) against known truth: each unit's
inclusion probability is the one asked for, totals are floor/ceil of the expected total, the
conditional split reproduces the independent draw's law, and draws are deterministic per seed."""

import numpy as np
import pytest

from relapse_models.data.simulate.sampling import (
    conditional_uniforms,
    stratified_geometric,
    systematic_sample,
)


def _probabilities(n: int = 60, seed: int = 3) -> np.ndarray:
    p = np.random.default_rng(seed).uniform(0, 1, n)
    p[:5] = [0.0, 1.0, 1e-3, 0.999, 0.5]
    return p


def test_systematic_inclusion_frequencies_equal_p():
    p = _probabilities()
    rng = np.random.default_rng(11)
    reps = 20_000
    hits = np.zeros(p.size)
    for _ in range(reps):
        hits += systematic_sample(p, rng)
    freq = hits / reps
    se = np.sqrt(p * (1 - p) / reps)
    assert np.all(np.abs(freq - p) <= 4.5 * se + 1e-12)
    assert freq[0] == 0.0 and freq[1] == 1.0  # p = 0 never, p = 1 always


def test_systematic_inclusion_with_key_equals_p():
    p = _probabilities()
    key = np.random.default_rng(5).integers(1, 6, p.size)
    rng = np.random.default_rng(12)
    reps = 20_000
    hits = np.zeros(p.size)
    for _ in range(reps):
        hits += systematic_sample(p, rng, key=key)
    se = np.sqrt(p * (1 - p) / reps)
    assert np.all(np.abs(hits / reps - p) <= 4.5 * se + 1e-12)


def test_systematic_total_is_floor_or_ceil():
    rng = np.random.default_rng(13)
    for _ in range(200):
        p = rng.uniform(0, 1, rng.integers(1, 500)) ** 3
        total = systematic_sample(p, rng).sum()
        s = p.sum()
        assert np.floor(s - 1e-9) <= total <= np.ceil(s + 1e-9)


def test_systematic_key_stratifies():
    # 200 units of each size 1..5, all with p = 0.1: sorted by size each size's block holds
    # exactly 20 units of probability, so exactly 20 of each size are selected
    size = np.repeat(np.arange(1, 6), 200)
    p = np.full(size.size, 0.1)
    for seed in range(10):
        sel = systematic_sample(p, np.random.default_rng(seed), key=size)
        assert np.bincount(size[sel], minlength=6)[1:].tolist() == [20] * 5


def test_systematic_deterministic_per_seed():
    p = _probabilities(2000)
    a = systematic_sample(p, np.random.default_rng(1))
    b = systematic_sample(p, np.random.default_rng(1))
    c = systematic_sample(p, np.random.default_rng(2))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("bad", [np.array([0.2, 1.2]), np.array([-0.1, 0.5]), np.array([np.nan]),
                                 np.ones((2, 2)) * 0.5])
def test_systematic_rejects_bad_probabilities(bad):
    with pytest.raises(ValueError, match="systematic_sample"):
        systematic_sample(bad, np.random.default_rng(0))


def test_systematic_rejects_bad_key():
    with pytest.raises(ValueError, match="key shape"):
        systematic_sample(np.full(3, 0.5), np.random.default_rng(0), key=np.arange(4))


def test_conditional_uniforms_law():
    # three independent pieces with known firing probabilities, conditioned on any firing
    a = np.array([0.2, 0.5, 0.1])
    n = 200_000
    u, fire = conditional_uniforms(np.repeat(a[:, None], n, axis=1), np.random.default_rng(4))
    assert fire.any(axis=0).all()
    assert np.array_equal(fire, u < a[:, None])
    p_any = 1 - np.prod(1 - a)
    # P(piece k fires | any) = a_k / P(any) (piece k firing implies any)
    exp_marg = a / p_any
    se = np.sqrt(exp_marg * (1 - exp_marg) / n)
    assert np.all(np.abs(fire.mean(axis=1) - exp_marg) <= 4.5 * se)
    # P(pieces 0 and 1 both fire | any) = a0 a1 / P(any)
    both = (fire[0] & fire[1]).mean()
    e = a[0] * a[1] / p_any
    assert abs(both - e) <= 4.5 * np.sqrt(e * (1 - e) / n)
    # given a firing, u is uniform below a; given none, uniform above
    for k in range(3):
        lo, hi = u[k][fire[k]], u[k][~fire[k]]
        assert lo.min() >= 0 and lo.max() < a[k]
        assert abs(lo.mean() - a[k] / 2) <= 4.5 * a[k] / np.sqrt(12 * lo.size)
        assert hi.min() >= a[k] and abs(hi.mean() - (1 + a[k]) / 2) <= 4.5 * (1 - a[k]) / np.sqrt(12 * hi.size)


def test_conditional_uniforms_single_piece_always_fires():
    a = np.array([[0.0, 0.3], [0.05, 0.0]])
    _, fire = conditional_uniforms(a, np.random.default_rng(0))
    assert fire.tolist() == [[False, True], [True, False]]


def test_stratified_geometric_law():
    n = 100_000
    p = 0.3
    g = stratified_geometric(np.full(n, p), np.random.default_rng(9))
    assert g.min() >= 1
    for k in range(1, 6):
        e = (1 - p) ** (k - 1) * p
        assert abs((g == k).mean() - e) <= 4.5 * np.sqrt(e * (1 - e) / n)
    assert abs(g.mean() - 1 / p) < 0.02
    assert stratified_geometric(np.ones(5), np.random.default_rng(0)).tolist() == [1] * 5


def test_stratified_geometric_balances_a_batch():
    # 1000 households with p = 0.5: exactly half (up to stratum rounding) wait one quarter
    g = stratified_geometric(np.full(1000, 0.5), np.random.default_rng(2))
    assert (g == 1).sum() == 500


def test_stratified_geometric_rejects_zero():
    with pytest.raises(ValueError, match="stratified_geometric"):
        stratified_geometric(np.array([0.0, 0.5]), np.random.default_rng(0))
