"""``simulate_county``: run the quarterly process for one county and assemble the tables.

One ``numpy.random.Generator`` from the seed drives everything, in a fixed order, so the same
inputs give identical frames. Loops run over quarters only; every quarter is vectorised over
households. ``BURN_IN`` quarters before ``simulate.start`` give the first rolling windows (and
the year-on-year comparison of the first identifications) a history; they are not written, and
the stock of monitoring objects identified before the panel is identified in the last three.

Order of work: (1) the exogenous process -- annual income factors, one categorical shock per
household and quarter (none, a labour shock, a disaster loss), medical episodes -- in unit-free
form; (2) income levels calibrated to the published income (:func:`.income.calibrate_levels`);
(3) the clues the monitoring system would see on that path and the identification intensities
solved for the published counts (:mod:`.calibration`; by monitoring type, :mod:`.types`); (4) the
quarterly loop: elimination, assistance, amounts, identification; the oracle (:mod:`.oracle`) at
every origin quarter.

A structural break (``simulate.break``, :mod:`.breaks`) of a policy kind -- the line or the
targeted reimbursement rate from the break year on -- acts on (3) and (4) and on the oracle;
the calibration in (3) reads the world without it on the same random numbers, so it does not
absorb the break and every quarter before the break year is unchanged.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from relapse_models.core.lines import line_for_years, lines_for_province, official_lines
from relapse_models.core.profiles import figure, param
from relapse_models.core.quarters import parse_quarter, quarter_index, year_quarter
from relapse_models.core.schema import (
    MONITORING_STATUS_LABELS,
    MONITORING_TYPE_LABELS,
    RISK_TYPE_LABELS,
)
from relapse_models.data.simulate import params as P
from relapse_models.data.simulate.breaks import check_break, reimbursement_rate
from relapse_models.data.simulate.calibration import (
    Calibration,
    clue_intensity,
    size_weight,
    solve,
    solve_elimination,
)
from relapse_models.data.simulate.disasters import (
    TYPES,
    break_multiplier,
    draw_village_events,
    scaled_probabilities,
    village_quarter_probabilities,
)
from relapse_models.data.simulate.income import (
    build_income,
    calibrate_levels,
    capacity_drift,
    draw_factors,
    next_year_mean_log,
)
from relapse_models.data.simulate.medical import (
    draw_episode_costs,
    exceed_probability,
    illness_probabilities,
)
from relapse_models.data.simulate.oracle import OriginState, horizon_probability
from relapse_models.data.simulate.population import build_population, gumbel_top_k
from relapse_models.data.simulate.sampling import stratified_geometric, systematic_sample
from relapse_models.data.simulate.truth import TRUE_COEFFICIENTS, logit_features, logit_probability
from relapse_models.data.simulate.types import (
    SUDDEN,
    TypeWeights,
    clue_parts,
    elimination_probabilities,
    first_types,
    has_identification_by_type,
    identification_params,
    monitoring_type,
    solve_elimination_by_type,
    solve_identification_by_type,
    stock_clues,
    stock_type_shares,
)

log = logging.getLogger(__name__)

BURN_IN = 8
STATUS = list(MONITORING_STATUS_LABELS)      # none, monitored, eliminated
MTYPES = list(MONITORING_TYPE_LABELS)        # unstable, edge, sudden
RTYPES = list(RISK_TYPE_LABELS)
R = {k: i for i, k in enumerate(RTYPES)}
CHANNELS = ["visit", "self_report", "department_alert"]
LABOUR_KINDS = ("job", "illness", "accident")


@dataclass
class SimulatedCounty:
    """The generator's output: observable tables, the separate truth, and how it was made."""

    county_id: str
    households: pd.DataFrame
    panel: pd.DataFrame
    events: pd.DataFrame
    truth: pd.DataFrame
    mode: str
    calibration: Calibration
    true_coefficients: dict[str, float] | None = None
    lines: dict[int, float] = field(default_factory=dict)
    """Year -> the official line the panel was generated against (a line break applied)."""
    mechanism: str = P.DEFAULT_MECHANISM
    shocks: dict[str, np.ndarray] = field(default_factory=dict)
    """Drawn shocks per (panel quarter, household), for tests: ``labour`` (kind code + 1, 0 none),
    ``disaster`` (bool)."""


def _quarter_starts(qis: np.ndarray) -> np.ndarray:
    years, q = year_quarter(qis)
    return np.array([f"{y:04d}-{3 * m - 2:02d}-01" for y, m in zip(years, q, strict=True)],
                    dtype="datetime64[D]")


def _cat(codes: np.ndarray, categories: list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.astype(np.int32), categories=categories)


def _net(a: dict[str, np.ndarray]) -> np.ndarray:
    """Household net income of a quarter, summed in the order :func:`labels.net_income` does."""
    return a["wage"] + a["operating"] + a["property"] + a["transfer"] - a["cost"]


def simulate_county(profile: dict, config: dict, seed: int, oracle: bool = True) -> SimulatedCounty:
    """Simulate one county: see the package docstring for the process and the truth.

    ``oracle=False`` leaves ``truth.true_prob`` NaN (the label is still there): the observable
    tables are the same, for checks that need only them (reconciliation at full scale)."""
    rng = np.random.default_rng(seed)
    scfg, mcfg = config["simulate"], config["monitoring"]
    scale = float(scfg["scale"])
    mode = scfg["mode"]
    if mode not in ("realistic", "logit"):
        raise ValueError(f"simulate.mode must be realistic or logit, got {mode!r}")
    mechanism = scfg["mechanism"]
    prm = P.mechanism_params(mechanism)
    brk = check_break(scfg.get("break"))
    horizon = int(mcfg["horizon_quarters"])
    if horizon != 4:
        raise ValueError("the generator's oracle is written for monitoring.horizon_quarters = 4")
    edge_multiple = float(mcfg["edge_multiple"])
    q_start, q_end = (int(quarter_index(*parse_quarter(scfg[k]))) for k in ("start", "end"))
    if q_end < q_start:
        raise ValueError("simulate.end is before simulate.start")
    n_q = q_end - q_start + 1 + BURN_IN
    qis = np.arange(q_start - BURN_IN, q_end + 1)
    years, seasons = year_quarter(qis)
    ry = int(profile["report_year"])
    prov = profile["province_en"]
    panel_years = sorted(set(years[BURN_IN:].tolist()))
    # the line the generator measures against: the official one (a line break applied, the
    # same function the label and the features use) and the schedule without the break, which
    # the calibration to the published figures reads (see below)
    by_year = line_for_years(np.array(panel_years), official_lines(config, prov, simulated=True))
    line_of = dict(zip(panel_years, by_year.tolist(), strict=True))
    lines = np.array([line_of.get(int(y), line_of[panel_years[0]]) for y in years], dtype=np.float64)
    base_by_year = line_for_years(np.array(panel_years), lines_for_province(mcfg, prov))
    base_of = dict(zip(panel_years, base_by_year.tolist(), strict=True))
    lines_base = np.array([base_of.get(int(y), base_of[panel_years[0]]) for y in years], dtype=np.float64)
    if not (panel_years[0] <= ry <= panel_years[-1]):
        raise ValueError(f"{profile['county_id']}: report_year {ry} must lie in the panel "
                         f"({panel_years[0]}-{panel_years[-1]})")
    j0 = BURN_IN
    ref = quarter_index(*parse_quarter(profile["reference_quarter"]))
    j_ref = int(np.clip(ref - qis[0], j0, n_q - 1))
    report_js = np.flatnonzero((years == ry) & (np.arange(n_q) >= j0))

    pop = build_population(profile, scale, rng, prm)
    n = pop.n
    size = pop.size.astype(np.float64)
    has_labour = pop.n_labour > 0
    can_eliminate = has_labour | (not prm["elimination_needs_labour"])
    inc = build_income(pop, profile, scale, rng, prm, base_of.get(ry, float(lines_base[-1])))
    p_village = village_quarter_probabilities(profile, pop.n_villages, rng)
    p_ill, p_cat = illness_probabilities(pop, prm)
    rate_pa = float(figure(profile, "medical_reimbursement_rate")) / 100.0
    # the targeted rate per quarter (a reimbursement break moves it from its year on)
    rate_pa_q = np.array([reimbursement_rate(rate_pa, brk, int(y)) for y in years], dtype=np.float64)
    rate_gen = prm["general_reimbursement"]
    thr = prm["medical_alert"]
    kinds = prm["labour_shock_kinds"]
    kind_p = np.array([kinds[k] for k in LABOUR_KINDS], float)
    kind_p = kind_p / kind_p.sum()
    share_med = float(kind_p[1] + kind_p[2])    # illness and accident come with a serious episode
    p_lab = prm["labour_shock_rate"] * has_labour
    lam = 1.0 - prm["labour_loss"] / np.maximum(pop.n_labour, 1)
    aff, dloss, C = prm["disaster_affected"], prm["disaster_loss"], prm["cost_ratio"]
    S = prm["season"]

    # --- (1) exogenous process ----------------------------------------------------------
    all_years = np.arange(int(years[0]), int(years[-1]) + 2)
    F, pers = draw_factors(pop, prm, all_years, rng)
    yi = (years - all_years[0]).astype(int)               # row of F for quarter j
    drift = capacity_drift(pop, prm)
    lab_kind = np.zeros((n_q, n), np.int8)                 # 0 none, 1 + index in LABOUR_KINDS
    dis = np.zeros((n_q, n), bool)
    dis_type = np.full((n_q, n), -1, np.int8)
    cost_ind = np.zeros((n_q, n), np.float64)
    cost_lab = np.zeros((n_q, n), np.float64)
    repair = np.zeros((n_q, n), np.float64)
    f_lab = np.ones((n_q, n))
    mu = np.zeros((n_q, n))
    for j in range(n_q):
        s = int(seasons[j]) - 1
        pv = scaled_probabilities(p_village[s], break_multiplier(brk, int(years[j])))
        vtype = draw_village_events(rng, pv)[pop.village]
        p_dis = pv.sum(axis=1)[pop.village] * aff
        dis[j] = (vtype >= 0) & (rng.random(n) < aff)
        dis_type[j] = np.where(dis[j], vtype, -1)
        lab = ~dis[j] & (rng.random(n) < p_lab / np.maximum(1.0 - p_dis, 1e-12))
        kind = rng.choice(3, size=n, p=kind_p)
        lab_kind[j] = np.where(lab, kind + 1, 0)
        cost_lab[j] = np.where(lab & (kind > 0), prm["serious_cost"][0]
                               * np.exp(prm["serious_cost"][1] * rng.standard_normal(n)), 0.0)
        u = rng.random(n)
        cost_ind[j] = draw_episode_costs(rng, u < p_ill, u < p_cat, prm)
        repair[j] = np.where(dis[j], rng.uniform(*prm["disaster_repair"], n), 0.0)
        new_year = j == 0 or years[j] != years[j - 1]
        f_lab[j] = (1.0 if new_year else f_lab[j - 1]) * np.where(lab, lam, 1.0)
        mu[j] = (inc.share["wage"] * S["wage"][s] * f_lab[j]
                 + inc.share["operating"] * (S["operating"][s] - C * S["cost"][s]) / (1 - C)
                 * f_lab[j] * (1 - dloss * dis[j])
                 + inc.share["property"]) / 4

    # --- (2) income levels ------------------------------------------------------------------
    transfers = {int(y): inc.transfers(int(y)) for y in all_years}
    factor = {y: F[y - all_years[0]] * mu[years == y].sum(axis=0) for y in (ry - 1, ry)}
    calibrate_levels(inc, pop, profile, prm, factor, transfers)
    trend = {int(y): inc.market_trend(int(y)) for y in all_years}

    def amounts(j: int, assist_pc: np.ndarray | float) -> dict[str, np.ndarray]:
        """Household amounts of quarter j (yuan, rounded to the fen)."""
        y, s = int(years[j]), int(seasons[j]) - 1
        m = size * trend[y] * F[yi[j]] / 4
        gross = m * inc.share["operating"] / (1 - C) * f_lab[j] * (1 - dloss * dis[j])
        out = {
            "wage": m * inc.share["wage"] * S["wage"][s] * f_lab[j],
            "operating": gross * S["operating"][s],
            "property": m * inc.share["property"],
            "transfer": size * (transfers[y] * S["transfer"][s] + assist_pc) / 4,
            "cost": gross * C * S["cost"][s],
        }
        return {k: np.round(v, 2) for k, v in out.items()}

    # per-capita net income and windows without assistance (the path before any identification)
    net0 = np.zeros((n_q, n))
    for j in range(n_q):
        net0[j] = _net(amounts(j, 0.0))
    win0 = _windows(net0, size)

    def alert(j: int, low: np.ndarray, rate: np.ndarray) -> np.ndarray:
        t = np.where(low, thr["low_income"], thr["other"])
        return np.maximum(cost_ind[j], cost_lab[j]) * (1 - rate) > t

    low0 = pop.pa

    def clues0(line_q: np.ndarray, rate_q: np.ndarray, p: dict | None = None) -> np.ndarray:
        """Clue intensities on the path without assistance, with these lines and rates (and
        clue weights ``p``, the current ``prm`` by default)."""
        g = np.zeros((n_q, n))
        for j in range(j0 - 4, n_q):
            rate0 = np.where(pop.pa, rate_q[j], rate_gen)
            g[j] = clue_intensity(win0[j - 1], win0[j - 5], line_q[j - 1], alert(j, low0, rate0),
                                  dis[j], edge_multiple, p or prm)
        return g

    g0 = clues0(lines, rate_pa_q)
    # a line or reimbursement break is a policy change the published figures did not see: the
    # calibration reads the world without it (same draws), so it is not re-tuned to absorb
    # the break and the years before the break stay as they are
    policy_break = bool((lines != lines_base).any() or (rate_pa_q != rate_pa).any())
    g0_cal = clues0(lines_base, np.full(n_q, rate_pa)) if policy_break else g0

    # --- (3) identification intensities -----------------------------------------------------
    cal_years = np.array(sorted(set(years[j0:j_ref + 1].tolist())))
    G = np.stack([g0_cal[j0:j_ref + 1][years[j0:j_ref + 1] == y].sum(axis=0) for y in cal_years])
    rho = g0_cal[j0 - 4:j0].sum(axis=0)
    tw = TypeWeights()
    if has_identification_by_type(profile):     # multipliers by monitoring type (.types)
        rate_cal, qs, bi = np.full(n_q, rate_pa), slice(j0, j_ref + 1), slice(j0 - 4, j0)
        gi, go = (clues0(lines_base, rate_cal, p) for p in clue_parts(prm))
        cal, tw = solve_identification_by_type(
            gi[qs], go[qs], years[qs], monitoring_type(win0[j0 - 1:j_ref], lines_base[j0 - 1:j_ref, None],
                                                      pop.pa, edge_multiple),
            gi[bi].sum(axis=0), go[bi].sum(axis=0),
            stock_type_shares(win0[j0 - 3:j0], lines_base[j0 - 4:j0 - 1], pop.pa, edge_multiple),
            pop.pa, pop.size, profile, scale)
        prm = identification_params(prm, tw, pop.size)    # from here on the clue weights carry ``other``
        g0 = clues0(lines, rate_pa_q)
        g0_cal = clues0(lines_base, rate_cal) if policy_break else g0
        rho = stock_clues(tw, pop.pa, pop.size, gi[bi].sum(axis=0), go[bi].sum(axis=0))
    else:
        cal = solve(G, cal_years, rho, pop.size, profile, scale)
    w0 = size_weight(pop.size, cal.beta0)       # the stock identified before the panel (its
    #                                             type multipliers are in rho)
    w = size_weight(pop.size, cal.beta) * tw.household(pop.pa, pop.size)   # the panel's

    def kappa_y(j: int) -> float:
        return cal.kappa * float(np.exp(cal.tau * (int(years[j]) - ry)))

    # stock, then first identifications in the panel (they depend on the exogenous path only)
    first = np.full(n, -1, np.int32)
    stock = systematic_sample(1 - np.exp(-cal.kappa0 * w0 * rho), rng, key=pop.size)
    first[stock] = j0 - 3 + rng.integers(0, 3, int(stock.sum()))
    first_cal = first.copy()
    if policy_break:    # the world without the break, on the same random numbers
        rng_cal = copy.deepcopy(rng)
        for j in range(j0, n_q):
            p = np.where(first_cal < 0, 1 - np.exp(-kappa_y(j) * w * g0_cal[j]), 0.0)
            first_cal[systematic_sample(p, rng_cal, key=pop.size)] = j
    for j in range(j0, n_q):
        free = first < 0
        p = np.where(free, 1 - np.exp(-kappa_y(j) * w * g0[j]), 0.0)
        first[systematic_sample(p, rng, key=pop.size)] = j
    if not policy_break:
        first_cal = first

    # risk elimination: closed form on the first spells identified by the reference quarter
    idx = np.flatnonzero((first_cal >= 0) & (first_cal <= j_ref))
    assist_q = prm["assist_share"] * lines_base / 4              # per person and quarter
    spell = _elimination_spell(first_cal[idx], win0[:, idx], assist_q, lines_base, can_eliminate[idx],
                               j_ref, int(prm["min_monitored_quarters"]))
    mtype_cal = first_types(first_cal[idx], win0[:, idx], lines_base, pop.pa[idx], edge_multiple, j0)
    if not solve_elimination_by_type(cal, pop.size, pop.size[idx], spell, mtype_cal, profile, scale):
        solve_elimination(cal, pop.size, pop.size[idx], spell, profile, scale)
    elim_prob = elimination_probabilities(pop.size, cal)     # (type, household)
    for note in cal.notes:      # logged once here, after every search; the page shows them too
        log.warning("%s: %s", profile["county_id"], note)

    # --- housing and water schedules (exact counts in the report year) --------------------
    pub_houses = profile["published"]["houses_renovated"]["value"]
    k_ry = int(round(pub_houses * scale)) if pub_houses is not None else int(round(figure(profile, "houses_renovated") * n))
    k0 = max(int(round(param(profile, "housing_unsafe_share") * n)), int(np.ceil(1.6 * k_ry)))
    unsafe = gumbel_top_k(rng, -2.0 * np.log(inc.level + 1.0) + pop.pa, k0, np.ones(n, bool))
    renov = np.full(n, 10_000, dtype=np.int32)
    u_idx = np.flatnonzero(unsafe)
    rng.shuffle(u_idx)
    renov[u_idx[:k_ry]] = rng.choice(report_js, k_ry) if k_ry else renov[u_idx[:0]]
    rest = u_idx[k_ry:]
    other_js = np.flatnonzero((years != ry) & (np.arange(n_q) >= j0))
    fixed = rest[rng.random(len(rest)) < 0.6]
    if len(other_js) and len(fixed):
        renov[fixed] = rng.choice(other_js, len(fixed))
    water_bad = rng.random(n) < 0.004
    water_fix = np.where(water_bad, rng.integers(j0, min(j0 + 8, n_q), n), -1)

    # --- (4) the quarterly loop ---------------------------------------------------------------
    status = np.zeros(n, np.int8)
    mtype = np.full(n, -1, np.int8)
    rtype = np.full(n, -1, np.int8)
    id_last = np.full(n, -100, np.int32)
    elim_last = np.full(n, -100, np.int32)
    due = np.full(n, 10_000, np.int64)
    net = np.zeros((n_q, n))
    win = np.full((n_q, n), np.nan)
    follow = int(prm["follow_up_quarters"])
    min_q = int(prm["min_monitored_quarters"])
    ev_hh, ev_j, ev_code, ev_mt, ev_rt, ev_ch = [], [], [], [], [], []

    def record(idx: np.ndarray, j: int, code: int, channel: np.ndarray) -> None:
        ev_hh.append(idx)
        ev_j.append(np.full(len(idx), j))
        ev_code.append(np.full(len(idx), code, np.int8))
        ev_mt.append(mtype[idx].copy())
        ev_rt.append(rtype[idx].copy())
        ev_ch.append(channel)

    def identify(idx: np.ndarray, j: int, med: np.ndarray, drop: np.ndarray, w_prev: np.ndarray) -> None:
        """Mark ``idx`` identified in quarter j; ``med``/``drop``: which clue they showed."""
        u = rng.random(len(idx))
        kind = lab_kind[j, idx]
        recent_job = (lab_kind[max(j - 3, 0):j + 1, idx] == 1).any(axis=0)
        trait = np.select(
            [pop.n_labour[idx] == 0, pop.n_disabled[idx] > 0, pop.n_chronic[idx] > 0,
             (pop.n_children[idx] > 0) & (u < 0.3), unsafe[idx] & (u < 0.6)],
            [R["lack_of_labour"], R["disability"], R["illness"], R["education"], R["housing"]], -1)
        other = np.array([R["income_drop"], R["business_failure"], R["rigid_spending"], R["other"],
                          R["unstable_employment"]])[(u * 997).astype(int) % 5]
        rt = np.select(
            [med & (kind == 3), med, dis[j, idx], drop & recent_job, drop],
            [R["accident"], R["illness"], R["disaster"], R["unstable_employment"], R["income_drop"]],
            np.where(trait >= 0, trait, other))
        mtype[idx] = monitoring_type(w_prev, lines[max(j - 1, 0)], pop.pa[idx], edge_multiple)
        in_range = mtype[idx] != SUDDEN     # the monitoring range, by the type rule itself
        rtype[idx] = rt
        status[idx] = 1
        id_last[idx] = j
        due[idx] = j + min_q + stratified_geometric(elim_prob[mtype[idx], idx], rng) - 1
        alert_only = (med | dis[j, idx]) & ~in_range
        channel = np.where(med | dis[j, idx], 2, np.where(rng.random(len(idx)) < 0.3, 1, 0))
        channel = np.where(alert_only, 2, channel).astype(np.int8)
        record(idx, j, 0, channel)

    n_panel = n_q - j0
    cols = {k: np.zeros((n_panel, n), np.float64) for k in (
        "income_wage", "income_operating", "income_property", "income_transfer", "production_cost",
        "medical_total", "medical_reimbursed", "disaster_loss")}
    st_code = np.zeros((n_panel, n), np.int8)
    mt_code = np.full((n_panel, n), -1, np.int8)
    rt_code = np.full((n_panel, n), -1, np.int8)
    housing = np.ones((n_panel, n), bool)
    water = np.ones((n_panel, n), bool)
    state = np.zeros((n_q, n), bool)
    origins = np.arange(j0 + 3, n_q - horizon)
    true_prob = np.zeros((len(origins), n), np.float64)
    p_ser_share = p_cat
    p_mild = p_ill - p_cat

    for j in range(n_q):
        s = int(seasons[j]) - 1
        if j >= j0:
            elig = ((status == 1) & (j >= due) & can_eliminate
                    & (win[j - 1] >= lines[j - 1]) & (win[j - 2] >= lines[j - 2]))
            if elig.any():
                idx = np.flatnonzero(elig)
                status[idx] = 2
                elim_last[idx] = j
                record(idx, j, 1, np.full(len(idx), -1, np.int8))
        covered = (status == 1) | ((status == 2) & (j <= elim_last + follow))
        assisted = covered & (id_last < j)
        ever_before = status > 0
        a = amounts(j, np.where(assisted, prm["assist_share"] * lines[j], 0.0))
        net[j] = _net(a)
        if j >= 3:
            win[j] = (((net[j] + net[j - 1]) + net[j - 2]) + net[j - 3]) / size
        low = pop.pa | ever_before
        rate = np.where(low, rate_pa_q[j], rate_gen)
        ident = np.zeros(n, bool)
        if j < j0:
            idx = np.flatnonzero(first == j)
            if len(idx):
                identify(idx, j, np.zeros(len(idx), bool), np.zeros(len(idx), bool), win0[j, idx])
                ident[idx] = True
        else:
            med = alert(j, low, rate)
            drop = win[j - 1] < (1 - prm["drop_share"]) * win[j - 5]
            again = (status == 2) & (j > elim_last + follow)
            g = clue_intensity(win[j - 1], win[j - 5], lines[j - 1], med, dis[j], edge_multiple, prm)
            p = np.where(again, 1 - np.exp(-kappa_y(j) * w * g), 0.0)
            ident = (first == j) | systematic_sample(p, rng, key=pop.size)
            if ident.any():
                idx = np.flatnonzero(ident)
                identify(idx, j, med[idx], drop[idx], win[j - 1, idx])
        state[j] = (win[j] < lines[j]) | ident

        if j >= j0:
            k = j - j0
            total = cost_ind[j] + cost_lab[j]
            cols["income_wage"][k] = a["wage"]
            cols["income_operating"][k] = a["operating"]
            cols["income_property"][k] = a["property"]
            cols["income_transfer"][k] = a["transfer"]
            cols["production_cost"][k] = a["cost"]
            cols["medical_total"][k] = np.round(total, 2)
            # the three layers of insurance follow identification within the quarter (the alert
            # itself was decided on the cost before it, at the household's previous rate)
            paid = np.where(ident, rate_pa_q[j], rate)
            cols["medical_reimbursed"][k] = np.minimum(np.round(total * paid, 2), np.round(total, 2))
            m = size * trend[int(years[j])] * F[yi[j]] / 4
            lost = m * inc.share["operating"] / (1 - C) * f_lab[j] * dloss * S["operating"][s]
            cols["disaster_loss"][k] = np.where(dis[j], np.round(lost + repair[j], 2), 0.0)
            st_code[k] = status
            mt_code[k] = np.where(status > 0, mtype, -1)
            rt_code[k] = np.where(status == 1, rtype, -1)
            housing[k] = ~unsafe | (j >= renov)
            water[k] = ~water_bad | (j >= water_fix)

        o = j - (j0 + 3)
        if 0 <= o < len(origins) and not oracle:
            true_prob[o] = np.nan
        elif 0 <= o < len(origins):
            true_prob[o] = horizon_probability(_origin_state(
                j, years, seasons, lines, status, elim_last, follow, pop, inc, prm, cal, w, ry, F, yi,
                pers, all_years, drift, trend, transfers, f_lab, lam, p_lab, p_village, aff, net, size,
                rate_pa_q, rate_gen, p_mild, p_ser_share, share_med, edge_multiple, brk))

    shocks = {"labour": lab_kind[j0:], "disaster": dis[j0:]}
    return _assemble(profile, config, rng, pop, inc, cal, mode, horizon, qis, j0, cols, dis_type[j0:],
                     st_code, mt_code, rt_code, housing, water, state, origins, true_prob,
                     (ev_hh, ev_j, ev_code, ev_mt, ev_rt, ev_ch), line_of, mechanism, shocks)


def _windows(net: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Rolling 4-quarter per-capita net income (NaN for the first three quarters)."""
    out = np.full(net.shape, np.nan)
    out[3:] = (((net[3:] + net[2:-1]) + net[1:-2]) + net[:-3]) / size
    return out


def _elimination_spell(first: np.ndarray, win0: np.ndarray, assist_q: np.ndarray, lines: np.ndarray,
                       labour: np.ndarray, j_ref: int, min_q: int) -> np.ndarray:
    """Quarters from the earliest elimination (identification + ``min_q``) to the last quarter
    by ``j_ref`` whose elimination conditions hold, plus one (0 when none): income windows of
    the two previous quarters at or above the line, with assistance from the quarter after
    identification, and a household allowed to be eliminated (``labour``)."""
    n_q, m = win0.shape
    cum = np.concatenate([[0.0], np.cumsum(assist_q)])            # cum[j + 1] = sum_{<= j}
    jj = np.arange(n_q)[:, None]
    lo = np.maximum(jj - 4, first[None, :])                         # sum over (lo, j]
    add = np.where(jj > first[None, :], cum[jj + 1] - cum[lo + 1], 0.0)
    above = (win0 + add) >= lines[:, None]
    ok = np.zeros((n_q, m), bool)
    ok[2:] = above[1:-1] & above[:-2]
    ok &= labour[None, :]
    ok &= (jj >= first[None, :] + min_q) & (jj <= j_ref)
    last = np.where(ok.any(axis=0), n_q - 1 - np.argmax(ok[::-1], axis=0), -1)
    return np.where(last >= 0, last - (first + min_q) + 1, 0).astype(np.float64)


def _origin_state(t, years, seasons, lines, status, elim_last, follow, pop, inc, prm, cal, w, ry, F, yi,
                  pers, all_years, drift, trend, transfers, f_lab, lam, p_lab, p_village, aff, net, size,
                  rate_pa_q, rate_gen, p_mild, p_serious, share_med, edge_multiple,
                  brk: dict | None = None) -> OriginState:
    """The state at the end of quarter ``t`` in the form :func:`.oracle.horizon_probability` reads.

    ``rate_pa_q``: the targeted reimbursement rate per quarter (a reimbursement break moves it),
    so the medical alert probabilities of the quarters ahead use their own quarter's rate."""
    Y = int(years[t])
    ks = np.arange(1, 5)
    fut_seasons = (int(seasons[t]) - 1 + ks) % 4 + 1
    fut_years = Y + (int(seasons[t]) - 1 + ks) // 4
    covered = np.stack([(status == 1) | ((status == 2) & (t + k <= elim_last + follow)) for k in ks])
    line_next = lines[min(t + 4, len(lines) - 1)]
    fut_lines = np.array([lines[t + k] if t + k < len(lines) else line_next for k in ks])
    m, s = next_year_mean_log(pers[yi[t]], drift, prm)
    low = pop.pa | (status > 0)
    threshold = np.where(low, prm["medical_alert"]["low_income"], prm["medical_alert"]["other"])
    fut_rates = [rate_pa_q[min(t + k, len(rate_pa_q) - 1)] for k in ks]
    if len(set(fut_rates)) == 1:    # the usual case: one rate over the horizon, (n,) arrays
        rate = np.where(low, fut_rates[0], rate_gen)
        q_mild = exceed_probability(prm["mild_cost"], rate, threshold)
        q_ser = exceed_probability(prm["serious_cost"], rate, threshold)
    else:                           # a reimbursement break ahead: (4, n), one row per quarter
        rate = np.stack([np.where(low, r, rate_gen) for r in fut_rates])
        q_mild = exceed_probability(prm["mild_cost"], rate, threshold[None, :])
        q_ser = exceed_probability(prm["serious_cost"], rate, threshold[None, :])
    return OriginState(
        season=int(seasons[t]), next_year=fut_years > Y, seasons=fut_seasons,
        line=np.concatenate([[lines[t]], fut_lines]),
        kappa_w=np.stack([cal.kappa * np.exp(cal.tau * (y - ry)) * w for y in fut_years]),
        y_past=net[t - 7:t + 1] / size,
        m_cur=trend[Y] * F[yi[t]], m_next=trend[Y + 1] * np.exp(m), s=s,
        f_cur=f_lab[t], lam=lam, shares=inc.share,
        t_cur=transfers[Y], t_next=transfers[Y + 1],
        assist=np.where(covered, prm["assist_share"] * fut_lines[:, None], 0.0),
        blocked=covered, p_lab=p_lab,
        p_dis=np.stack([scaled_probabilities(p_village[q - 1], break_multiplier(brk, y))
                        .sum(axis=1)[pop.village] * aff
                        for q, y in zip(fut_seasons, fut_years, strict=True)]),
        m_ind=p_mild * q_mild + p_serious * q_ser, m_lab=share_med * q_ser,
        disaster_loss=prm["disaster_loss"], cost_ratio=prm["cost_ratio"],
        season_w=prm["season"]["wage"], season_o=prm["season"]["operating"],
        season_c=prm["season"]["cost"], season_t=prm["season"]["transfer"],
        edge_multiple=edge_multiple, drop_share=prm["drop_share"], weights=prm["clue_weight"],
    )


def _assemble(profile, config, rng, pop, inc, cal, mode, horizon, qis, j0, cols, dis_code, st_code,
              mt_code, rt_code, housing, water, state, origins, true_prob, ev, line_of, mechanism, shocks):
    cid, n = profile["county_id"], pop.n
    n_panel = len(qis) - j0
    hh_ids = np.char.add(f"{cid}-", np.char.zfill(np.arange(n).astype(str), 6))
    village_ids = np.char.add(f"{cid}-v", np.char.zfill(np.arange(pop.n_villages).astype(str), 5))
    town_ids = np.char.add(f"{cid}-t", np.char.zfill(pop.town_of_village.astype(str), 3))
    households = pd.DataFrame({
        "household_id": hh_ids.astype(object),
        "county_id": cid,
        "town_id": town_ids[pop.village].astype(object),
        "village_id": village_ids[pop.village].astype(object),
        "household_size": pop.size.astype(np.int64),
        "n_labour": pop.n_labour.astype(np.int64),
        "n_elderly": pop.n_elderly.astype(np.int64),
        "n_children": pop.n_children.astype(np.int64),
        "n_disabled": pop.n_disabled.astype(np.int64),
        "n_chronic_ill": pop.n_chronic.astype(np.int64),
        "n_workers": inc.n_workers.astype(np.int64),
        "head_age": pop.head_age.astype(np.int64),
        "head_sex": np.where(pop.head_male, "M", "F").astype(object),
        "head_education_years": pop.head_edu.astype(np.int64),
        "category": np.where(pop.pa, "poverty_alleviated", "general").astype(object),
        "relocated": pop.relocated,
        "poverty_exit_year": pd.array(np.where(pop.pa, pop.exit_year, 0), dtype="Int64"),
    })
    households.loc[~pop.pa, "poverty_exit_year"] = pd.NA

    # panel: household-major rows
    hh_codes = np.repeat(np.arange(n, dtype=np.int32), n_panel)
    pq = qis[j0:]
    panel = pd.DataFrame({
        "household_id": _cat(hh_codes, list(hh_ids)),
        "county_id": _cat(np.zeros(n * n_panel, np.int32), [cid]),
        "village_id": _cat(np.repeat(pop.village, n_panel), list(village_ids)),
        "year": np.tile(year_quarter(pq)[0], n).astype(np.int64),
        "quarter": np.tile(year_quarter(pq)[1], n).astype(np.int64),
    })
    for k in ("income_wage", "income_operating", "income_property", "income_transfer", "production_cost"):
        panel[k] = np.round(cols[k].T.ravel().astype(np.float64), 2)
    panel["dibao"] = np.repeat(inc.dibao, n_panel)
    panel["public_welfare_job"] = np.repeat(inc.public_job, n_panel)
    total = np.round(cols["medical_total"].T.ravel().astype(np.float64), 2)
    reimb = np.minimum(np.round(cols["medical_reimbursed"].T.ravel().astype(np.float64), 2), total)
    panel["medical_total"] = total
    panel["medical_reimbursed"] = reimb
    panel["medical_oop"] = np.round(total - reimb, 2)
    panel["disaster_type"] = _cat(dis_code.T.ravel(), list(TYPES))
    panel["disaster_loss"] = np.round(cols["disaster_loss"].T.ravel().astype(np.float64), 2)
    panel["housing_safe"] = housing.T.ravel()
    panel["water_safe"] = water.T.ravel()
    panel["monitoring_status"] = _cat(st_code.T.ravel(), STATUS)
    panel["monitoring_type"] = _cat(mt_code.T.ravel(), MTYPES)
    panel["risk_type"] = _cat(rt_code.T.ravel(), RTYPES)
    del cols

    # events, dated within their quarter
    ev_hh, ev_j, ev_code, ev_mt, ev_rt, ev_ch = (np.concatenate(x) if x else np.zeros(0, int) for x in ev)
    order = np.lexsort((ev_code, ev_j, ev_hh))
    ev_hh, ev_j, ev_code, ev_mt, ev_rt, ev_ch = (a[order] for a in (ev_hh, ev_j, ev_code, ev_mt, ev_rt, ev_ch))
    starts = _quarter_starts(qis[ev_j])
    days = rng.integers(0, 90, len(ev_hh))
    dates = (starts + days.astype("timedelta64[D]")).astype("datetime64[ns]")
    lag = rng.integers(0, int(param(profile, "identification_lag_days")) + 1, len(ev_hh))
    events = pd.DataFrame({
        "household_id": hh_ids[ev_hh].astype(object),
        "county_id": cid,
        "event": np.where(ev_code == 0, "identified", "eliminated").astype(object),
        "date": dates,
        "monitoring_type": pd.Categorical.from_codes(ev_mt.astype(np.int32), MTYPES).astype(object),
        "risk_type": pd.Categorical.from_codes(ev_rt.astype(np.int32), RTYPES).astype(object),
        "channel": pd.Categorical.from_codes(ev_ch.astype(np.int32), CHANNELS).astype(object),
    })
    # the clue that started an identification, at most the county's lag before it
    events["clue_date"] = events["date"] - pd.to_timedelta(np.where(ev_code == 0, lag, 0), unit="D")
    events.loc[events["event"] == "eliminated", "clue_date"] = pd.NaT
    events = events.reset_index(drop=True)

    # truth
    horizon_state = np.zeros((len(origins), n), bool)
    for o, t in enumerate(origins):
        horizon_state[o] = state[t + 1: t + horizon + 1].any(axis=0)
    oq = qis[origins]
    truth = pd.DataFrame({
        "household_id": _cat(np.repeat(np.arange(n, dtype=np.int32), len(origins)), list(hh_ids)),
        "year": np.tile(year_quarter(oq)[0], n).astype(np.int64),
        "quarter": np.tile(year_quarter(oq)[1], n).astype(np.int64),
        "true_prob": true_prob.T.ravel().astype(np.float64),
        "relapse_next_4q": horizon_state.T.ravel(),
    })
    coefficients = None
    if mode == "logit":
        lines = {int(y): v for y, v in line_of.items()}
        feats = logit_features(households, panel, lines)
        prob = logit_probability(feats)
        feats["true_prob"] = prob
        feats["relapse_next_4q"] = rng.random(len(prob)) < prob
        key = ["household_id", "year", "quarter"]
        t2 = truth[key].astype({"household_id": str}).merge(
            feats[key + ["true_prob", "relapse_next_4q"]], on=key, how="left")
        truth["true_prob"] = t2["true_prob"].to_numpy()
        truth["relapse_next_4q"] = t2["relapse_next_4q"].to_numpy(dtype=bool)
        coefficients = dict(TRUE_COEFFICIENTS)
    return SimulatedCounty(cid, households, panel, events, truth, mode, cal, coefficients,
                           {int(y): float(v) for y, v in line_of.items()}, mechanism, shocks)
