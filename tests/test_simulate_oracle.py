"""The oracle against known truth: a direct Monte Carlo of the same rules, numerical
integration of its step integral, and the realised labels of simulated counties."""

from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy.integrate import quad
from scipy.stats import norm

from relapse_models.core.profiles import load_profile
from relapse_models.data.simulate import params as P
from relapse_models.data.simulate import simulate_county
from relapse_models.data.simulate.oracle import (
    OriginState,
    _step_integral,
    _threshold,
    horizon_probability,
)

ROOT = Path(__file__).resolve().parents[1]


def test_threshold_inverts_the_window():
    a, c, s = np.array([3.0, 3.0, 5.0, 1.0]), np.array([2.0, 0.0, 0.0, 1.5]), 0.3
    b = _threshold(np.full(4, 4.0), a, c, s)
    assert b[0] == pytest.approx(np.log(0.5) / 0.3)
    assert b[1] == np.inf and b[2] == -np.inf
    z = np.linspace(-3, 3, 61)
    assert np.array_equal(a[3] + c[3] * np.exp(s * z) < 4.0, z < b[3])


def test_step_integral_matches_quadrature():
    g = np.random.default_rng(3)
    b = g.normal(0, 1.2, (6, 5))
    b[0, 1], b[2, 2] = np.inf, -np.inf
    f = g.uniform(0.2, 1.0, (6, 5))
    lower = np.array([-np.inf, -0.5, 0.3, 1.0, -2.0])
    got = _step_integral(lower, b, f)
    for i in range(5):
        def h(z, i=i):
            return norm.pdf(z) * np.prod(np.where(z < b[:, i], f[:, i], 1.0))
        pts = [x for x in b[:, i] if np.isfinite(x)]
        want = quad(h, max(lower[i], -12), 12, points=pts, limit=200)[0]
        assert got[i] == pytest.approx(want, abs=1e-7)


def _state(n: int, season: int, g: np.random.Generator) -> OriginState:
    prm = P.mechanism_params("shocks")
    ks = np.arange(1, 5)
    seasons = (season - 1 + ks) % 4 + 1
    next_year = (season - 1 + ks) // 4 > 0
    line = np.array([7000.0] * 5)
    line[1:][next_year] = 7500.0
    share_w = g.uniform(0.2, 0.6, n)
    blocked = np.zeros((4, n), bool)
    blocked[:, 0] = True                        # monitored
    blocked[:2, 1] = True                       # follow-up ends after t+2
    return OriginState(
        season=season, next_year=next_year, seasons=seasons, line=line,
        kappa_w=np.full((4, n), 0.8) * g.uniform(0.5, 1.5, n),
        y_past=g.uniform(1800, 2600, (8, n)), m_cur=g.uniform(8000, 12000, n),
        m_next=g.uniform(8000, 12000, n), s=0.25, f_cur=g.choice([1.0, 0.5], n),
        lam=g.choice([0.0, 0.5], n), shares={"wage": share_w, "operating": 0.97 - share_w,
                                             "property": np.full(n, 0.03)},
        t_cur=g.uniform(500, 2000, n), t_next=g.uniform(500, 2000, n),
        assist=np.where(blocked, 900.0, 0.0), blocked=blocked,
        p_lab=g.uniform(0.05, 0.3, n), p_dis=g.uniform(0.05, 0.3, (4, n)),
        m_ind=g.uniform(0.01, 0.2, n), m_lab=g.uniform(0.1, 0.5, n),
        disaster_loss=0.8, cost_ratio=0.4, season_w=prm["season"]["wage"],
        season_o=prm["season"]["operating"], season_c=prm["season"]["cost"],
        season_t=prm["season"]["transfer"], edge_multiple=1.5, drop_share=0.3,
        weights=prm["clue_weight"],
    )


def _monte_carlo(st: OriginState, reps: int, g: np.random.Generator) -> np.ndarray:
    """The label's frequency over ``reps`` futures per household, drawn quarter by quarter
    from the rules (households tiled ``reps`` times)."""
    n = st.y_past.shape[1]

    def tile(x):
        return np.tile(x, reps) if np.ndim(x) == 1 else np.tile(x, (1, reps))

    N = n * reps
    cw, C = st.weights, st.cost_ratio
    sh = {k: tile(v) for k, v in st.shares.items()}
    lam, p_lab, m_ind, m_lab = tile(st.lam), tile(st.p_lab), tile(st.m_ind), tile(st.m_lab)
    p_dis, kappa_w, blocked, assist = tile(st.p_dis), tile(st.kappa_w), tile(st.blocked), tile(st.assist)
    z = g.standard_normal(N)
    y = list(tile(st.y_past))
    f_now, f_new = tile(st.f_cur), np.ones(N)
    event = np.zeros(N, bool)
    for k in range(4):
        q = int(st.seasons[k]) - 1
        u = g.random(N)
        dis = u < p_dis[k]
        lab = ~dis & (u < p_dis[k] + p_lab)
        if st.next_year[k]:
            f_new = np.where(lab, f_new * lam, f_new)
            f, m, tr = f_new, tile(st.m_next) * np.exp(st.s * z), tile(st.t_next)
        else:
            f_now = np.where(lab, f_now * lam, f_now)
            f, m, tr = f_now, tile(st.m_cur), tile(st.t_cur)
        mu = (sh["wage"] * st.season_w[q] * f
              + sh["operating"] * (st.season_o[q] - C * st.season_c[q]) / (1 - C) * f
              * (1 - st.disaster_loss * dis) + sh["property"]) / 4
        # identification in t+k+1 from the window at t+k (the last quarterly collection)
        w_prev, w_old = sum(y[-4:]), sum(y[-8:-4])
        line_prev = st.line[k]
        gsum = (cw["below_line"] * (w_prev < line_prev) + cw["edge"] * (w_prev < st.edge_multiple * line_prev)
                + cw["drop"] * (w_prev < (1 - st.drop_share) * w_old) + cw["disaster"] * dis)
        alert = (g.random(N) < m_ind) | (lab & (g.random(N) < m_lab))
        gsum = gsum + cw["medical"] * alert
        ident = ~blocked[k] & (g.random(N) < 1 - np.exp(-kappa_w[k] * gsum))
        y.append(m * mu + tr * st.season_t[q] / 4 + assist[k] / 4)
        event |= ident | (sum(y[-4:]) < st.line[k + 1])
    return event.reshape(reps, n).mean(axis=0)


def test_oracle_equals_monte_carlo_of_the_rules():
    """Exact probability against 40,000 futures drawn from the same rules (every season of t,
    monitored / follow-up / free households, shocks and identification frequent)."""
    g = np.random.default_rng(11)
    reps = 40_000
    for season in (1, 2, 3, 4):
        st = _state(6, season, g)
        st.y_past[:, 3] *= 0.75                  # near the line: line events matter
        exact = horizon_probability(st)
        mc = _monte_carlo(st, reps, np.random.default_rng(season))
        se = np.sqrt(exact * (1 - exact) / reps)
        assert np.all(np.abs(mc - exact) <= 4.5 * se + 1e-9), (season, exact, mc)
        assert ((exact > 0.05) & (exact < 0.99)).sum() >= 3, exact


@pytest.fixture(scope="module")
def xunyi():
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    cfg["simulate"]["scale"] = 0.1
    return simulate_county(load_profile(ROOT / "config" / "counties" / "xunyi.yaml"), cfg, 19)


def test_oracle_is_calibrated_on_simulated_counties(xunyi):
    """Sum of oracle probabilities against the realised labels, overall and by risk quintile,
    within 4 village-clustered SE."""
    from helpers_truth import clustered_gaps

    y = xunyi.truth["relapse_next_4q"].to_numpy()
    assert 0.001 < y.mean() < 0.5
    for gap, se in clustered_gaps(xunyi, quintiles=True):
        assert abs(gap) < 4 * se + 2, (gap, se)
