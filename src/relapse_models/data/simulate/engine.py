"""``simulate_county``: run the quarterly process for one county and assemble the tables.

One ``numpy.random.Generator`` from the seed drives everything, in a fixed order, so the same
inputs give identical frames. Loops run over quarters only; every quarter is vectorised over
households. Three burn-in quarters before ``simulate.start`` give the first rolling windows a
history (they are not written) and hold the identifications made before the panel starts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from relapse_models.core.lines import line_for_years, lines_for_province
from relapse_models.core.profiles import figure, param
from relapse_models.core.quarters import parse_quarter, quarter_index, year_quarter
from relapse_models.core.schema import (
    MONITORING_STATUS_LABELS,
    MONITORING_TYPE_LABELS,
    RISK_TYPE_LABELS,
)
from relapse_models.data.simulate import params as P
from relapse_models.data.simulate.disasters import (
    TYPES,
    draw_village_events,
    village_quarter_probabilities,
)
from relapse_models.data.simulate.income import (
    build_income,
    correct_for_guarantee,
    enforce_line,
    quarter_amounts,
)
from relapse_models.data.simulate.medical import draw_costs, illness_probabilities
from relapse_models.data.simulate.monitoring import (
    Calibration,
    QuarterlyHazards,
    calibrate,
    detection_probability,
    draw_identification,
)
from relapse_models.data.simulate.population import build_population, gumbel_top_k
from relapse_models.data.simulate.sampling import stratified_geometric, systematic_sample
from relapse_models.data.simulate.truth import TRUE_COEFFICIENTS, logit_features, logit_probability

log = logging.getLogger(__name__)

BURN_IN = 3
STATUS = list(MONITORING_STATUS_LABELS)      # none, monitored, eliminated
MTYPES = list(MONITORING_TYPE_LABELS)        # unstable, edge, sudden
RTYPES = list(RISK_TYPE_LABELS)
R = {k: i for i, k in enumerate(RTYPES)}
CHANNELS = ["visit", "self_report", "department_alert"]


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


def _quarter_starts(qis: np.ndarray) -> np.ndarray:
    years, q = year_quarter(qis)
    return np.array([f"{y:04d}-{3 * m - 2:02d}-01" for y, m in zip(years, q, strict=True)],
                    dtype="datetime64[D]")


def _cat(codes: np.ndarray, categories: list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.astype(np.int32), categories=categories)


def simulate_county(profile: dict, config: dict, seed: int) -> SimulatedCounty:
    """Simulate one county: see the package docstring for the process and the truth."""
    rng = np.random.default_rng(seed)
    scfg, mcfg = config["simulate"], config["monitoring"]
    scale = float(scfg["scale"])
    mode = scfg["mode"]
    horizon = int(mcfg["horizon_quarters"])
    edge_multiple = float(mcfg["edge_multiple"])
    profile["county_id"]
    q_start, q_end = (int(quarter_index(*parse_quarter(scfg[k]))) for k in ("start", "end"))
    if q_end < q_start:
        raise ValueError("simulate.end is before simulate.start")
    n_q = q_end - q_start + 1 + BURN_IN
    qis = np.arange(q_start - BURN_IN, q_end + 1)
    years, seasons = year_quarter(qis)
    prov = profile["province_en"]
    panel_years = sorted(set(years[BURN_IN:].tolist()))
    by_year = line_for_years(np.array(panel_years), lines_for_province(mcfg, prov))
    line_of = dict(zip(panel_years, by_year.tolist(), strict=True))
    lines = np.array([line_of.get(int(y), line_of[panel_years[0]]) for y in years], dtype=np.float32)
    j0 = BURN_IN
    ref = quarter_index(*parse_quarter(profile["reference_quarter"]))
    j_ref = int(np.clip(ref - qis[0], j0, n_q - 1))
    report_js = np.flatnonzero((years == int(profile["report_year"])) & (np.arange(n_q) >= j0))
    if len(report_js) == 0:
        report_js = np.array([j_ref])

    pop = build_population(profile, scale, rng)
    n = pop.n
    inc = build_income(pop, profile, scale, rng)
    p_village = village_quarter_probabilities(profile, pop.n_villages, rng)
    if int(profile["report_year"]) - 1 >= int(years[0]):
        _, p_cat = illness_probabilities(pop)
        p_hit = p_village.sum(axis=2)[:, pop.village] * P.DISASTER_AFFECTED
        mean_loss = P.DISASTER_SEVERE * 0.8 + (1 - P.DISASTER_SEVERE) * 0.25
        shock = {
            "wage": (1 - ((1 - P.JOB_LOSS_WAGE[0]) + P.SHOCK_LAG * (1 - P.JOB_LOSS_WAGE[1]))
                     * P.JOB_LOSS_RATE * (inc.n_workers > 0))
            * (1 - 0.5 * p_cat * (pop.n_labour > 0)),
            "operating": 1 - p_hit * mean_loss,
        }
        correct_for_guarantee(pop, inc, years, seasons, lines, rng, shock)
    d = detection_probability(param(profile, "visit_interval_days"))
    hz = QuarterlyHazards(pop=pop, inc=inc, years=years, seasons=seasons, lines=lines,
                     edge_multiple=edge_multiple, d=d, p_village=p_village,
                     report_year=int(profile["report_year"]),
                     reimbursement=float(figure(profile, "medical_reimbursement_rate")) / 100.0)
    cal = calibrate(hz, profile, scale, j0, j_ref, report_js, rng)
    size = pop.size.astype(np.float32)
    elim_prob = hz.elimination_probability()

    # --- housing and water schedules (exact counts in the report year) --------------------
    pub_houses = profile["published"]["houses_renovated"]["value"]
    k_ry = int(round(pub_houses * scale)) if pub_houses is not None else int(round(figure(profile, "houses_renovated") * n))
    k0 = max(int(round(param(profile, "housing_unsafe_share") * n)), int(np.ceil(1.6 * k_ry)))
    unsafe = gumbel_top_k(rng, -2.0 * np.log(inc.level) + pop.pa, k0, np.ones(n, bool))
    renov = np.full(n, 10_000, dtype=np.int32)
    u_idx = np.flatnonzero(unsafe)
    rng.shuffle(u_idx)
    ry_js = report_js
    renov[u_idx[:k_ry]] = rng.choice(ry_js, k_ry) if k_ry else renov[u_idx[:0]]
    rest = u_idx[k_ry:]
    other_js = np.flatnonzero((years != int(profile["report_year"])) & (np.arange(n_q) >= j0))
    fixed = rest[rng.random(len(rest)) < 0.6]
    if len(other_js) and len(fixed):
        renov[fixed] = rng.choice(other_js, len(fixed))
    water_bad = rng.random(n) < 0.004
    water_fix = np.where(water_bad, rng.integers(j0, min(j0 + 8, n_q), n), -1)
    rate_pa = float(figure(profile, "medical_reimbursement_rate")) / 100.0

    # --- state ------------------------------------------------------------------------------
    mon = np.zeros(n, bool)
    status = np.zeros(n, np.int8)
    mtype = np.full(n, -1, np.int8)
    rtype = np.full(n, -1, np.int8)
    ever = np.zeros(n, bool)
    due = np.full(n, 10_000, np.int32)
    last_fall = np.full(n, -100, np.int32)
    prev = np.zeros((3, n), np.float32)       # per-capita net of the last three quarters
    has_labour = pop.n_labour > 0
    ev_hh, ev_j, ev_code, ev_mt, ev_rt, ev_ch = [], [], [], [], [], []

    def record(idx: np.ndarray, j: int, code: int, channel: np.ndarray) -> None:
        """Append events (code 0 identified, 1 eliminated) of households ``idx`` in quarter j."""
        ev_hh.append(idx)
        ev_j.append(np.full(len(idx), j))
        ev_code.append(np.full(len(idx), code, np.int8))
        ev_mt.append(mtype[idx].copy())
        ev_rt.append(rtype[idx].copy())
        ev_ch.append(channel)

    def risk_types(idx: np.ndarray, cause: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Risk type of identified households from the trigger and household traits."""
        out = np.select(
            [cause == 1, cause == 2, cause == 3],
            [np.where(u < 0.2, R["accident"], R["illness"]), R["disaster"], R["unstable_employment"]],
            -1,
        )
        trait = np.select(
            [pop.n_labour[idx] == 0, pop.n_disabled[idx] > 0, pop.n_chronic[idx] > 0,
             (pop.n_children[idx] > 0) & (u < 0.3), unsafe[idx] & (u < 0.6)],
            [R["lack_of_labour"], R["disability"], R["illness"], R["education"], R["housing"]],
            -1,
        )
        other = np.array([R["income_drop"], R["business_failure"], R["rigid_spending"], R["other"],
                          R["unstable_employment"]])[(u * 997).astype(int) % 5]
        return np.where(out >= 0, out, np.where(trait >= 0, trait, other)).astype(np.int8)

    def identify(idx: np.ndarray, j: int, cause: np.ndarray, sudden_only: np.ndarray,
                 r: np.ndarray, channel: np.ndarray) -> None:
        u = rng.random(len(idx))
        mon[idx] = True
        status[idx] = 1
        ever[idx] = True
        mt = np.where(pop.pa[idx], 0, 1)
        mt = np.where(sudden_only | (r >= edge_multiple), 2, mt)
        mtype[idx] = mt
        rtype[idx] = risk_types(idx, cause, u)
        due[idx] = j + P.MIN_MONITORED_QUARTERS + stratified_geometric(elim_prob[idx], rng) - 1
        record(idx, j, 0, channel)
        # assistance addresses the risk: earlier shocks stop raising the fall hazard
        last_shock[:, idx] = -100

    last_shock = np.full((3, n), -100, np.int32)   # quarter of the last illness/disaster/job shock

    # stock identified before the panel, spread over the burn-in quarters
    c0 = hz.components(j0, np.zeros(n, bool), kappa=1.0)
    rho = -np.log(np.maximum(QuarterlyHazards.no_identification(c0, d), 1e-12))
    stock = systematic_sample(-np.expm1(-hz.kappa0 * hz.w * rho), rng, key=pop.size)
    stock_j = rng.integers(0, BURN_IN, n)

    n_panel = n_q - j0
    cols = {k: np.zeros((n_panel, n), np.float32) for k in (
        "income_wage", "income_operating", "income_property", "income_transfer", "production_cost",
        "medical_total", "medical_reimbursed", "disaster_loss")}
    dis_code = np.full((n_panel, n), -1, np.int8)
    st_code = np.zeros((n_panel, n), np.int8)
    mt_code = np.full((n_panel, n), -1, np.int8)
    rt_code = np.full((n_panel, n), -1, np.int8)
    housing = np.ones((n_panel, n), bool)
    water = np.ones((n_panel, n), bool)
    state = np.zeros((n_q, n), bool)          # relapse state per quarter (below line or identified)
    falls = np.zeros((n_q, n), bool)
    origins = np.arange(j0 + 3, n_q - horizon)
    true_prob = np.zeros((len(origins), n), np.float32)

    for j in range(n_q):
        year, season = int(years[j]), int(seasons[j])
        if j >= j0:
            elig = mon & (j >= due) & (j - last_fall > 2) & has_labour
            if elig.any():
                idx = np.flatnonzero(elig)
                mon[idx] = False
                status[idx] = 2
                record(idx, j, 1, np.full(len(idx), -1, np.int8))
        assist = (hz.assist(j) * mon).astype(np.float32)
        amounts = quarter_amounts(pop, inc, year, season, assist, rng)
        if j < j0:
            # shocks already happen in the burn-in (their lagged effects reach the panel);
            # they decide no event here, identifications come from the stock below
            p_sh = hz.shock_probabilities(j)
            shock = rng.random((3, n), dtype=np.float32) < p_sh
            recent = ((j - last_shock) >= 1) & ((j - last_shock) <= P.SHOCK_LAG)
            amounts["wage"] *= np.where(shock[2], P.JOB_LOSS_WAGE[0],
                                        np.where(recent[2], P.JOB_LOSS_WAGE[1], 1.0)).astype(np.float32)
            last_shock[shock] = j
            net = (amounts["wage"] + amounts["operating"] + amounts["property"] + amounts["transfer"]
                   - amounts["cost"]) / size
            prev = np.roll(prev, -1, axis=0)
            prev[2] = net
            idx = np.flatnonzero(stock & (stock_j == j))
            if len(idx):
                r0 = inc.annual(year)[idx] / lines[j0]
                identify(idx, j, np.zeros(len(idx), np.int8), np.zeros(len(idx), bool), r0,
                         np.zeros(len(idx), np.int8))
            continue
        recent = ((j - last_shock) >= 1) & ((j - last_shock) <= P.SHOCK_LAG)
        c = hz.components(j, mon, recent=recent)
        # shocks
        ill = rng.random(n, dtype=np.float32) < hz.p_ill
        cat = ill & (rng.random(n, dtype=np.float32) * hz.p_ill < hz.p_cat)
        vtype = draw_village_events(rng, p_village[season - 1])[pop.village]
        hit = (vtype >= 0) & (rng.random(n, dtype=np.float32) < P.DISASTER_AFFECTED)
        severe = hit & (rng.random(n, dtype=np.float32) < P.DISASTER_SEVERE)
        job = rng.random(n, dtype=np.float32) < c["p_job"]
        # one uniform per fall source: below q*d a noticed fall, below q a fall. Whether a
        # household not under monitoring is identified at all (any noticed fall, alert or edge
        # screening) is drawn first by systematic sampling, ordered by household size: the
        # same marginal probability as independent draws (the oracle is unchanged), but the
        # quarter's count of identifications (and of persons) carries no sampling noise. The
        # uniforms are then drawn conditional on that outcome.
        ident, u, fire = draw_identification(c, cat, severe, job, recent, mon, d, pop.size, rng)
        f_base, d_base = u[0] < c["fall"], fire[0]
        f_ill, d_ill = cat & (u[1] < c["pi1"]), fire[1]
        f_dis, d_dis = severe & (u[2] < c["pi2"]), fire[2]
        f_job, d_job = job & (u[3] < c["pi3"]), fire[3]
        f_lag = recent & (u[7:10] < c["lag"])          # falls set off by earlier shocks
        d_lag = fire[7:10]
        fall = f_base | f_ill | f_dis | f_job | f_lag.any(axis=0)
        sud_ill, sud_dis = fire[4], fire[5]
        det = d_base | d_ill | d_dis | d_job | d_lag.any(axis=0)

        # realised shocks on income
        amounts["wage"] *= np.where(job, P.JOB_LOSS_WAGE[0],
                                    np.where(recent[2], P.JOB_LOSS_WAGE[1], 1.0)).astype(np.float32)
        amounts["wage"] *= np.where(cat & has_labour, 0.5, 1.0).astype(np.float32)
        loss_frac = np.where(severe, rng.uniform(0.6, 1.0, n), rng.uniform(0.1, 0.4, n)).astype(np.float32)
        gross_op = amounts["operating"].copy()
        loss = np.where(hit, gross_op * loss_frac, 0).astype(np.float32)
        amounts["operating"] -= loss
        loss += np.where(severe, rng.uniform(2000, 20000, n), 0).astype(np.float32)
        # three-layer insurance for poverty-alleviated households and monitoring objects
        # (including those identified this quarter: the assistance follows identification)
        rate = np.where(pop.pa | (status > 0) | ident, rate_pa, P.GENERAL_REIMBURSEMENT).astype(np.float32)
        med_total, med_reimb = draw_costs(rng, ill, cat, rate)

        last_fall[fall] = j
        falls[j] = fall
        in_window = (j - last_fall) <= 3
        net = enforce_line(amounts, size, prev.sum(axis=0), float(lines[j]), in_window)
        prev = np.roll(prev, -1, axis=0)
        prev[2] = net

        last_shock[0, cat] = j
        last_shock[1, severe] = j
        last_shock[2, job] = j
        if ident.any():
            idx = np.flatnonzero(ident)
            d_any = [d_ill | d_lag[0], d_dis | d_lag[1], d_job | d_lag[2]]
            cause = np.select([sud_ill[idx], sud_dis[idx], d_any[0][idx] & det[idx], d_any[1][idx] & det[idx],
                               d_any[2][idx] & det[idx]], [1, 2, 1, 2, 3], 0).astype(np.int8)
            sudden_only = (sud_ill[idx] | sud_dis[idx]) & ~det[idx]
            uch = rng.random(len(idx))
            channel = np.where(sud_ill[idx] | sud_dis[idx], 2, np.where(uch < 0.3, 1, 0)).astype(np.int8)
            identify(idx, j, cause, sudden_only, c["r"][idx], channel)
        state[j] = in_window | ident

        k = j - j0
        cols["income_wage"][k] = amounts["wage"]
        cols["income_operating"][k] = amounts["operating"]
        cols["income_property"][k] = amounts["property"]
        cols["income_transfer"][k] = amounts["transfer"]
        cols["production_cost"][k] = amounts["cost"]
        cols["medical_total"][k] = med_total
        cols["medical_reimbursed"][k] = med_reimb
        cols["disaster_loss"][k] = loss
        dis_code[k] = np.where(hit, vtype, -1)
        st_code[k] = status
        mt_code[k] = np.where(status > 0, mtype, -1)
        rt_code[k] = np.where(status == 1, rtype, -1)
        housing[k] = ~unsafe | (j >= renov)
        water[k] = ~water_bad | (j >= water_fix)

        # oracle: exact probability of a relapse event in j+1 .. j+H given the state now
        o = j - (j0 + 3)
        if 0 <= o < len(origins):
            certain = (j - last_fall) <= 2
            elim_from = np.where(has_labour, np.maximum(due, last_fall + 3), 10_000)
            logp = hz.log_no_event_horizon(j, horizon, mon, elim_from, last_shock)
            true_prob[o] = np.where(certain, 1.0, -np.expm1(logp))

    return _assemble(profile, config, rng, pop, inc, cal, mode, horizon, qis, j0, cols, dis_code,
                     st_code, mt_code, rt_code, housing, water, state, origins, true_prob,
                     (ev_hh, ev_j, ev_code, ev_mt, ev_rt, ev_ch), line_of, falls)


def _assemble(profile, config, rng, pop, inc, cal, mode, horizon, qis, j0, cols, dis_code, st_code,
              mt_code, rt_code, housing, water, state, origins, true_prob, ev, line_of, falls):
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
    elif mode != "realistic":
        raise ValueError(f"simulate.mode must be realistic or logit, got {mode!r}")
    return SimulatedCounty(cid, households, panel, events, truth, mode, cal, coefficients,
                           {int(y): float(v) for y, v in line_of.items()})
