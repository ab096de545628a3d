"""The oracle: the exact probability of the relapse label given the state at quarter ``t``.

The label of ``t`` is positive when in some quarter ``t+k`` (k = 1..4) the rolling 4-quarter
per-capita net income ``W_k`` is below that year's line, or the household is identified. Given
the state at ``t`` (incomes of the last eight quarters, this year's annual factor, the
persistent part, the labour shocks of this year, the monitoring status and its schedule), the
future is driven by

- one categorical shock per quarter, independent across quarters: none, a labour shock (a
  worker's income lost until the year's end), a disaster loss (part of the quarter's operating
  income) -- 3**4 = 81 paths, enumerated;
- given the path, next year's annual factor ``exp(m + s z)``, one standard normal ``z``: every
  future window is ``a_k + c_k * exp(s z)`` with ``c_k >= 0``, so each condition "window below a
  threshold" is ``z < b`` for a computable ``b``;
- identification draws, independent given the path and ``z``: medical alerts (probability in
  closed form from the log-normal cost), disaster alerts (the path), and clues from the
  previous quarter's window (conditions on ``z``).

So ``P(no event | path) = prod(quarter factors) * integral over z >= L of phi(z) *
prod_j f_j ** [z < b_j]``, where ``L`` is the largest threshold of the line conditions (above
it no window is below the line) and the ``f_j`` are the identification survivals of the clue
conditions; the integral of a step function is a sum of normal probabilities between the
sorted thresholds. Summing over the 81 paths with their probabilities gives the exact
probability; no Monte Carlo. The only approximation is that realised amounts are rounded to the
fen (0.01 yuan) before the label is computed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr


@dataclass
class OriginState:
    """Everything the oracle needs at one origin quarter ``t`` (arrays over households)."""

    season: int                 # season of t, 1..4
    next_year: np.ndarray       # (4,) bool: quarter t+k is in the next calendar year
    seasons: np.ndarray         # (4,) seasons of t+1..t+4
    line: np.ndarray            # (5,) lines of quarters t..t+4
    kappa_w: np.ndarray         # (4, n) identification intensity kappa_y * w of t+k
    y_past: np.ndarray          # (8, n) per-capita net income of t-7..t
    m_cur: np.ndarray           # (n,) this year's market income per person (trend x F)
    m_next: np.ndarray          # (n,) next year's at z = 0 (trend x exp(m))
    s: float                    # sd of next year's log factor
    f_cur: np.ndarray           # (n,) labour factor at t (shocks this year)
    lam: np.ndarray             # (n,) labour factor per new labour shock (1 - loss)
    shares: dict[str, np.ndarray]  # wage, operating, property shares of market income
    t_cur: np.ndarray           # (n,) transfers per person this year
    t_next: np.ndarray          # (n,) next year
    assist: np.ndarray          # (4, n) assistance per person and year in t+k
    blocked: np.ndarray         # (4, n) bool: no identification possible in t+k
    p_lab: np.ndarray           # (n,) probability of a labour shock per quarter
    p_dis: np.ndarray           # (4, n) probability of a disaster loss in t+k
    m_ind: np.ndarray           # (n,) or (4, n) per t+k: P(medical alert from an independent episode)
    m_lab: np.ndarray           # (n,) or (4, n) per t+k: P(medical alert from a labour shock's episode)
    disaster_loss: float
    cost_ratio: float
    season_w: tuple
    season_o: tuple
    season_c: tuple
    season_t: tuple
    edge_multiple: float
    drop_share: float
    weights: dict[str, float | np.ndarray]


CATEGORIES = [np.arange(3, dtype=np.int8).reshape((1,) * k + (3,) + (1,) * (4 - k)) for k in range(4)]
"""The shock category of quarter ``t+k+1`` as an axis: a quantity that depends on the path up to
``t+k+1`` is an array of shape ``(3,) * (k + 1) + (1,) * (3 - k) + (n,)``, so each one is computed
once per distinct path prefix and numpy broadcasting expands it only where a later quarter enters."""


def _threshold(target: np.ndarray, a: np.ndarray, c: np.ndarray, s: float) -> np.ndarray:
    """``b`` with ``a + c * exp(s z) < target  <=>  z < b`` (``c >= 0``); arrays broadcast."""
    gap = target - a
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = np.log(gap / c) / s
    below = gap > 0
    return np.where(c > 0, np.where(below, inner, -np.inf), np.where(below, np.inf, -np.inf))


def _step_integral(lower: np.ndarray, b, f) -> np.ndarray:
    """``integral_{z >= lower} phi(z) prod_j f_j ** [z < b_j] dz``; ``b`` and ``f`` are sequences
    of arrays that broadcast with ``lower``.

    The integrand's step ``G(z) = prod_j f_j ** [z < b_j]`` only rises with ``z`` (each
    ``f_j <= 1`` drops out as ``z`` passes ``b_j``), so the integral is ``G(lower+) P(Z >= lower)``
    plus, for every ``b_j > lower``, the jump at ``b_j`` times ``P(Z >= b_j)``; the jump is
    ``(1 - f_j)`` times the product of the ``f_i`` ranked above ``b_j`` (ties ranked by index).
    Pairwise comparisons instead of a sort keep each term at the broadcast shape of the two
    conditions it compares, not at the full one."""
    g_lower, jumps = 1.0, 0.0
    for j in range(len(b)):
        above = 1.0
        for i in range(len(b)):
            if i != j:
                ranked_above = b[i] >= b[j] if i > j else b[i] > b[j]
                above = above * np.where(ranked_above, f[i], 1.0)
        active = b[j] > lower
        jumps = jumps + np.where(active, ndtr(-b[j]) * (1.0 - f[j]) * above, 0.0)
        g_lower = g_lower * np.where(active, f[j], 1.0)
    return ndtr(-lower) * g_lower + jumps


def horizon_probability(st: OriginState, chunk: int = 8192) -> np.ndarray:
    """P(label positive | state at t) for every household (float64); households are taken
    ``chunk`` at a time, all 81 shock paths at once."""
    n = st.y_past.shape[1]
    out = np.empty(n)
    for lo in range(0, n, chunk):
        out[lo:lo + chunk] = _chunk(st, slice(lo, min(lo + chunk, n)))
    return out


def _chunk(st: OriginState, sl: slice) -> np.ndarray:
    C, dl, s = st.cost_ratio, st.disaster_loss, st.s
    cw = {k: v[sl] if np.ndim(v) else v for k, v in st.weights.items()}   # per household when tilted
    y_past = st.y_past[:, sl]
    m = y_past.shape[1]
    sw, so, sp = st.shares["wage"][sl], st.shares["operating"][sl], st.shares["property"][sl]
    kappa_w, blocked = st.kappa_w[:, sl], st.blocked[:, sl]
    free = ~blocked
    w_old = [y_past[k:k + 4].sum(axis=0) for k in range(5)]     # windows ending t-4..t
    w_t = w_old[4]
    g1 = (cw["below_line"] * (w_t < st.line[0]) + cw["edge"] * (w_t < st.edge_multiple * st.line[0])
          + cw["drop"] * (w_t < (1 - st.drop_share) * w_old[0]))
    base = np.where(free[0], np.exp(-kappa_w[0] * g1), 1.0)
    med_id = 1.0 - np.exp(-kappa_w * cw["medical"])               # P(identified | alert)
    dis_surv = np.exp(-kappa_w * cw["disaster"])
    edge_f = np.where(free, np.exp(-kappa_w * cw["edge"]), 1.0)
    drop_f = np.where(free, np.exp(-kappa_w * cw["drop"]), 1.0)
    p_lab, lam = st.p_lab[sl], st.lam[sl]
    # per quarter ahead (a reimbursement break changes the rate within the horizon)
    n_all = st.y_past.shape[1]
    m_ind = np.broadcast_to(st.m_ind, (4, n_all))[:, sl]
    m_lab = np.broadcast_to(st.m_lab, (4, n_all))[:, sl]
    prob, fac = np.ones(m), base
    f_now, f_new = st.f_cur[sl], np.ones(m)
    a, c = [], []                               # quarter t+k+1's income = a_k + c_k * exp(s z)
    for k in range(4):
        cat = CATEGORIES[k]
        q = int(st.seasons[k]) - 1
        p_dis = st.p_dis[k, sl]
        prob = prob * np.where(cat == 1, p_lab, np.where(cat == 2, p_dis, 1 - p_lab - p_dis))
        if st.next_year[k]:
            f_new = np.where(cat == 1, f_new * lam, f_new)
            f = f_new
        else:
            f_now = np.where(cat == 1, f_now * lam, f_now)
            f = f_now
        mu = (sw * st.season_w[q] * f
              + so * ((st.season_o[q] - C * st.season_c[q]) / (1 - C)) * f * np.where(cat == 2, 1 - dl, 1.0)
              + sp) / 4
        fixed = (st.t_next if st.next_year[k] else st.t_cur)[sl] * (st.season_t[q] / 4) + st.assist[k, sl] / 4
        if st.next_year[k]:
            a.append(fixed)
            c.append(st.m_next[sl] * mu)
        else:
            a.append(st.m_cur[sl] * mu + fixed)
            c.append(np.zeros(m))
        alert = 1 - (1 - (1 - m_ind[k]) * np.where(cat == 1, 1 - m_lab[k], 1.0)) * med_id[k]
        alert = np.where(cat == 2, alert * dis_surv[k], alert)
        fac = fac * np.where(free[k], alert, 1.0)
    # windows W_1..W_4 = wa + wc * exp(s z), each at the shape of the path prefix it depends on
    wa, wc = [], []
    for k in range(4):
        wa.append(sum((y_past[8 + r] for r in range(k - 3, 0)), start=sum(a[:k + 1])))
        wc.append(sum(c[:k + 1]))
    lower = functools.reduce(np.maximum, [_threshold(st.line[k + 1], wa[k], wc[k], s) for k in range(4)])
    bs, fs = [], []
    for k in range(1, 4):                       # identification in t+k+1 from the window at t+k
        bs.append(_threshold(st.edge_multiple * st.line[k], wa[k - 1], wc[k - 1], s))
        fs.append(edge_f[k])
        bs.append(_threshold((1 - st.drop_share) * w_old[k], wa[k - 1], wc[k - 1], s))
        fs.append(drop_f[k])
    integral = _step_integral(lower, bs, fs)
    return np.clip(1.0 - (prob * fac * integral).reshape(-1, m).sum(axis=0), 0.0, 1.0)
