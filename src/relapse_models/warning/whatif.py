"""Policy what-if: a simulated county's panel under changed policy levers.

A scenario changes levers, not the calibration. The generator's own policy levers
(:data:`GENERATOR_LEVERS`: the monitoring line and the targeted reimbursement rate) are fed
back into it: the county is simulated again with the lever as a policy break from the panel's
first year (:func:`policy_break`), on the same seed, so the households, incomes, illnesses and
disasters are the same draws (common random numbers) while identification, assistance and
elimination respond to the policy. The panel is then replayed with the other levers of
:data:`LEVERS` and the early-warning policy in the loop (each quarter the official rule flags
households, the worst-off within visit capacity get a visit, and a timely visit averts a share
of the next quarter's year-on-year income loss). Every step is vectorised over households; the
only loop is over quarters, because a visit depends on the incomes that earlier visits changed.

The measure is the rolling 4-quarter per-capita net income *after* out-of-pocket medical
spending (so medical levers act on it), against the line. Every lever at its baseline value
leaves the panel exactly as drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from relapse_models.core.config import whatif_county
from relapse_models.warning.official_tiers import OFFICIAL_TIER_MIN_TRIGGERS

__all__ = ["GENERATOR_LEVERS", "LEVERS", "OUTCOMES", "Lever", "PanelArrays", "identified_households",
           "levers_with", "paired_summary", "panel_arrays", "policy_break", "policy_cost", "replay",
           "whatif_county"]


@dataclass(frozen=True)
class Lever:
    """One policy lever: its baseline value, unit, and the basis of its assumed effect."""

    baseline: Any
    unit: str
    basis: str
    zh: str = ""
    """The lever and its assumed effect in Chinese (the page's first language)."""
    assumed: bool = True


LEVERS: dict[str, Lever] = {
    "reimbursement_rate": Lever(
        None, "reimbursed share of medical cost for poverty-alleviated and monitored households "
        "(null: the county's published rate)",
        "the county's published three-layer insurance rate; a changed rate applies to the same "
        "episodes' total cost (assumed: no change in care sought); fed back, the generator's "
        "medical alerts and so its identification follow the new rate",
        zh="脱贫户和监测对象医疗费用报销比例（空：县公布值）；同一病例总费用按新比例报销（假设就医行为不变）；"
           "反馈时生成器的医疗预警与识别随新比例变化"),
    "line_multiplier": Lever(1.0, "monitoring line x this factor (screening and counting)",
                             "a raised line counts and screens against the higher line; fed "
                             "back, the generator identifies and assists against it too, and "
                             "elimination waits for incomes above it (assumed)",
        zh="监测线倍数（筛查与计数均用新线；反馈时生成器按新线识别、帮扶与消除，假设）"),
    "grid_workers_per_1000_households": Lever(
        4.0, "visit capacity: grid workers per 1,000 households",
        "the run's capacity.grid_workers_per_1000_households (assumed)",
        zh="走访能力：每千户网格员人数（假设）"),
    "visits_per_worker_per_quarter": Lever(90.0, "household visits a worker makes in a quarter",
                                           "30 a month, the run's capacity setting (assumed)",
        zh="每名网格员每季度走访户数（每月30户，假设）"),
    "visit_averted_share": Lever(0.30, "share of the next quarter's year-on-year income loss a "
                                       "timely visit averts (paid as assistance)",
                                 "no source measures it (assumed)",
        zh="及时走访避免的下季度同比收入损失比例，以帮扶金支付（无来源，假设）"),
    "visit_cost": Lever(50.0, "yuan per household visit", "thresholds.visit_cost (assumed)",
        zh="每次走访成本（元，假设）"),
    "dibao_coverage": Lever(None, "share of households receiving dibao (null: as drawn); added "
                                  "households are the lowest-income ones not yet covered",
                            "targeting by income rank (assumed)",
        zh="低保覆盖户比例（空：模拟值）；新增户为未覆盖户中收入最低者（假设）"),
    "dibao_benefit_share": Lever(0.45, "dibao benefit per person and year / line, for added "
                                       "households", "the generator's dibao_benefit_share (assumed)",
        zh="新增低保户每人每年补助/监测线（生成器参数，假设）"),
    "disaster_insurance_payout": Lever(0.0, "share of a household's disaster loss paid back by "
                                            "insurance in the same quarter",
                                       "no insurance in the drawn panel (assumed)",
        zh="灾害保险赔付占当季灾害损失的比例（模拟面板无保险，假设）"),
    "tier_visits_per_month": Lever(
        None, "visits per flagged household and month by official card {red, yellow, blue} "
        "(cards by the number of rule triggers met, thresholds.official_tier_min_triggers); "
        "null: one visit a quarter for every flagged household",
        "the XX县 card practice (red every half month, yellow monthly, blue quarterly: "
        "docs/domain.md); capacity counts visits, red cards are served first, then yellow, "
        "then blue, the worst-off first within a card; more visits avert no more (assumed)",
        zh="按官方预警卡（红/黄/蓝，按触发条件个数）每户每月走访次数（空：每个被预警户每季度走访一次）；"
           "能力按走访次数计，先红后黄再蓝，同卡内收入最低者优先；多次走访不额外避免损失（假设）"),
}

NOTE_SEPARATOR = " | "
"""Between a simulation's calibration notes in the what-if's ``results.csv``."""

OUTCOMES = ("relapses", "persons_below", "identified", "flagged", "visits", "cost", "policy_cost",
            "oop")
"""Per seed and scenario: entries below the line (household-quarters whose window falls below
the line after being at or above it), persons below the line (mean per quarter), households
the generator identified as monitoring objects in the panel's quarters, households the rule
flagged at least once, visits, cost (yuan: all the spending below), the generator's part of it
(``policy_cost``: extra reimbursement and assistance against the seed's baseline panel, when a
generator lever is fed back), out-of-pocket medical spending (yuan). :func:`replay` gives the
replay's own outcomes; the stage adds ``identified`` and ``policy_cost``."""

GENERATOR_LEVERS = ("line_multiplier", "reimbursement_rate")
"""Levers the generator reads itself (fed back with ``whatif.feedback``): the monitoring line
its identification screens against, and the targeted medical reimbursement rate."""

INCOME = ("income_wage", "income_operating", "income_property", "income_transfer")


@dataclass
class PanelArrays:
    """A county's panel as (household, quarter) arrays, in the order the generator writes."""

    size: np.ndarray
    dibao: np.ndarray
    low_income: np.ndarray
    net: np.ndarray
    med_total: np.ndarray
    med_reimbursed: np.ndarray
    disaster_loss: np.ndarray
    line: np.ndarray
    base_rate: float


def panel_arrays(households: pd.DataFrame, panel: pd.DataFrame, lines: dict[int, float],
                 base_rate: float) -> PanelArrays:
    """Reshape a simulated panel (household-major, quarters ascending) into arrays."""
    p = panel.sort_values(["household_id", "year", "quarter"], kind="stable")
    n = p["household_id"].nunique()
    if len(p) % n:
        raise ValueError("what-if: the panel is not balanced (every household in every quarter)")
    T = len(p) // n

    def arr(col: str) -> np.ndarray:
        return p[col].to_numpy(np.float64).reshape(n, T)

    net = sum(arr(c) for c in INCOME) - arr("production_cost")
    h = households.set_index("household_id").loc[p["household_id"].to_numpy()[::T].astype(str)]
    status = p["monitoring_status"].astype(str).to_numpy().reshape(n, T)
    pa = (h["category"] == "poverty_alleviated").to_numpy()
    years = p["year"].to_numpy()[:T]
    return PanelArrays(
        size=h["household_size"].to_numpy(np.float64),
        dibao=p["dibao"].to_numpy(bool).reshape(n, T)[:, 0],
        low_income=pa[:, None] | (status != "none"),
        net=net, med_total=arr("medical_total"), med_reimbursed=arr("medical_reimbursed"),
        disaster_loss=arr("disaster_loss"),
        line=np.array([lines[int(y)] for y in years], np.float64), base_rate=float(base_rate))


def levers_with(overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Baseline lever values with ``overrides``; an unknown lever stops with its name."""
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(LEVERS))
    if unknown:
        raise ValueError(f"what-if: unknown lever(s) {unknown}; known: {sorted(LEVERS)}")
    out = {k: v.baseline for k, v in LEVERS.items()}
    out.update({k: v for k, v in overrides.items() if v is not None})
    return out


def _checked_rate(value: Any) -> float:
    rate = float(value)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"what-if: reimbursement_rate must lie in [0, 1], got {rate}")
    return rate


def policy_break(levers: Mapping[str, Any], base_rate: float, year: int) -> dict[str, Any] | None:
    """The generator's policy break (``simulate.break``) that applies a scenario's generator
    lever from ``year`` on, or ``None`` when it sets neither: a ``line`` break of size
    ``line_multiplier - 1``, or a ``reimbursement`` break moving ``base_rate`` to
    ``reimbursement_rate``. A lever given at its baseline value still makes a break (of size 0),
    so the generator reruns. The generator takes one break: a scenario changing both stops."""
    given = [k for k in GENERATOR_LEVERS if levers.get(k) is not None]
    if len(given) > 1:
        raise ValueError(f"what-if: a scenario may feed back one of {list(GENERATOR_LEVERS)} into "
                         f"the generator, got {given}; split it into two scenarios or set "
                         "whatif.feedback: false")
    if not given:
        return None
    if given[0] == "line_multiplier":
        m = float(levers["line_multiplier"])
        if not m > 0:
            raise ValueError(f"what-if: line_multiplier must be positive, got {m}")
        return {"year": int(year), "kind": "line", "size": m - 1.0}
    r = _checked_rate(levers["reimbursement_rate"])
    if not base_rate > 0:
        raise ValueError(f"what-if: the county's published reimbursement rate is {base_rate}; "
                         "a rate lever needs a positive one")
    return {"year": int(year), "kind": "reimbursement", "size": r / float(base_rate) - 1.0}


def identified_households(events: pd.DataFrame, start: str) -> int:
    """Households the generator identified as monitoring objects on or after ``start`` (the
    panel's first day; the stock identified before the panel is not counted)."""
    e = events[(events["event"] == "identified") & (events["date"] >= pd.Timestamp(start))]
    return int(e["household_id"].nunique())


def policy_cost(panel: pd.DataFrame, baseline: pd.DataFrame) -> float:
    """Yuan the generator's policy spent beyond the seed's baseline panel: extra reimbursed
    medical cost and extra transfers (assistance to the households it identified); the
    exogenous transfers are the same draws in both, so only the policy's part remains."""
    if len(panel) != len(baseline):
        raise ValueError("what-if: the scenario's panel and the baseline's differ in rows; "
                         "they must be the same seed's households")
    cols = ["medical_reimbursed", "income_transfer"]
    return float(panel[cols].to_numpy(np.float64).sum() - baseline[cols].to_numpy(np.float64).sum())


def _rolling(x: np.ndarray) -> np.ndarray:
    out = np.full(x.shape, np.nan)
    out[:, 3:] = x[:, 3:] + x[:, 2:-1] + x[:, 1:-2] + x[:, :-3]
    return out


def _tier_quarterly_visits(per_month: Mapping[str, float]) -> np.ndarray:
    """Visits a quarter for a served household of each card (red, yellow, blue, none): three
    months' worth, rounded, and at least the one visit that serves it."""
    unknown = sorted(set(per_month) - {"red", "yellow", "blue"})
    if unknown or len(per_month) != 3:
        raise ValueError("what-if: tier_visits_per_month needs red, yellow and blue, "
                         f"got {sorted(per_month)}")
    return np.array([max(1.0, float(np.rint(3 * float(per_month[t]))))
                     for t in ("red", "yellow", "blue")] + [0.0])


def replay(a: PanelArrays, levers: dict[str, Any], rule: dict[str, Any],
           edge_multiple: float,
           min_triggers: Mapping[str, int] = OFFICIAL_TIER_MIN_TRIGGERS) -> dict[str, float]:
    """The replay's outcomes (:data:`OUTCOMES` but ``identified`` and ``policy_cost``) of the
    panel replayed under ``levers`` (see the module);
    ``min_triggers`` are the official cards' thresholds, read with ``tier_visits_per_month``."""
    lv = levers_with(levers)
    n, T = a.net.shape
    rate = a.base_rate if lv["reimbursement_rate"] is None else _checked_rate(lv["reimbursement_rate"])
    extra_reimb = np.where(a.low_income, a.med_total * (rate - a.base_rate), 0.0)
    reimb = np.clip(a.med_reimbursed + extra_reimb, 0.0, a.med_total)
    extra_reimb = reimb - a.med_reimbursed
    oop = a.med_total - reimb
    line = a.line * float(lv["line_multiplier"])

    added = np.zeros(n, bool)
    if lv["dibao_coverage"] is not None:
        k = int(round(float(lv["dibao_coverage"]) * n)) - int(a.dibao.sum())
        if k < 0:
            raise ValueError("what-if: dibao_coverage below the drawn coverage is not modelled")
        pc = a.net.mean(axis=1) / a.size
        order = np.lexsort((np.arange(n), pc))
        added[order[~a.dibao[order]][:k]] = True
    dibao_paid = (added * a.size)[:, None] * float(lv["dibao_benefit_share"]) * a.line[None, :] / 4
    insurance = a.disaster_loss * float(lv["disaster_insurance_payout"])
    base = a.net - oop + dibao_paid + insurance

    cap = int(np.floor(n * float(lv["grid_workers_per_1000_households"]) / 1000
                       * float(lv["visits_per_worker_per_quarter"])))
    share = float(lv["visit_averted_share"])
    tiered = lv["tier_visits_per_month"] is not None
    per_card = _tier_quarterly_visits(lv["tier_visits_per_month"]) if tiered else None
    visits = 0.0
    inc = base.copy()
    averted = np.zeros((n, T))
    visited = np.zeros((n, T), bool)
    flagged = np.zeros((n, T), bool)
    oop4, dis4 = _rolling(oop), _rolling(a.disaster_loss)
    mult = rule.get("income_multiple") or edge_multiple
    burden = np.where(a.low_income, rule["medical_burden_low_income"], rule["medical_burden_other"])
    for t in range(3, T):
        if t >= 4 and share > 0:
            loss = np.maximum(base[:, t - 4] - base[:, t], 0.0)
            averted[:, t] = np.where(visited[:, t - 1], share * loss, 0.0)
            inc[:, t] = base[:, t] + averted[:, t]
        w = (inc[:, t] + inc[:, t - 1] + inc[:, t - 2] + inc[:, t - 3])
        pc = w / a.size
        met = ((pc < line[t] * mult).astype(np.int8) + (oop4[:, t] > burden[:, t])
               + (oop4[:, t] >= rule["oop_share"] * np.maximum(w, 0))
               + (dis4[:, t] >= rule["disaster_loss_share"] * np.maximum(w, 0)))
        if t >= 7:
            prev = inc[:, t - 4] + inc[:, t - 5] + inc[:, t - 6] + inc[:, t - 7]
            met += w < (1 - rule["income_drop"]) * prev
        flag = met > 0
        flagged[:, t] = flag
        idx = np.flatnonzero(flag)
        if not tiered:  # one visit each, the worst-off first, within capacity
            chosen = idx[np.lexsort((idx, pc[idx] / line[t]))][:cap]
            visits += len(chosen)
        else:  # visits by card: red first, then yellow, then blue, until capacity is spent
            card = np.select([met[idx] >= min_triggers["red"], met[idx] >= min_triggers["yellow"],
                              met[idx] >= min_triggers["blue"]], [0, 1, 2], 3)
            order = np.lexsort((idx, pc[idx] / line[t], card))
            need = per_card[card[order]]
            served = (np.cumsum(need) <= cap) & (need > 0)
            chosen = idx[order][served]
            visits += need[served].sum()
        visited[chosen, t] = True

    win = _rolling(inc) / a.size[:, None]
    below = win < line[None, :]
    entries = below[:, 4:] & ~below[:, 3:-1]
    cost = (extra_reimb.sum() + dibao_paid.sum() + insurance.sum() + averted.sum()
            + visits * float(lv["visit_cost"]))
    return {
        "relapses": float(entries.sum()),
        "persons_below": float((below[:, 3:] * a.size[:, None]).sum(axis=0).mean()),
        "flagged": float(flagged.any(axis=1).sum()),
        "visits": float(visits),
        "cost": float(cost),
        "oop": float(oop.sum()),
    }


def paired_summary(results: pd.DataFrame, baseline: str = "baseline", level: float = 0.95,
                   n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Per scenario and outcome: the baseline's and the scenario's mean over seeds, the mean
    paired difference (scenario - baseline, paired by seed) with its t interval; and relapses
    averted per 10,000 yuan = mean(baseline - scenario relapses) / mean(scenario - baseline cost)
    x 10,000 with a percentile interval over seeds resampled in pairs, withheld (with the reason)
    when the mean cost difference is not positive."""
    wide = results.pivot(index="seed", columns="scenario")
    seeds = wide.index.to_numpy()
    if len(seeds) < 2:
        raise ValueError("what-if: intervals need at least two seeds")
    rows = []
    q = stats.t.ppf(0.5 + level / 2, len(seeds) - 1)
    rng = np.random.default_rng(seed)
    boot = rng.integers(0, len(seeds), (n_boot, len(seeds)))
    for sc in [s for s in results["scenario"].unique() if s != baseline]:
        for out in OUTCOMES:
            d = (wide[(out, sc)] - wide[(out, baseline)]).to_numpy()
            se = d.std(ddof=1) / np.sqrt(len(d))
            rows.append({"scenario": sc, "outcome": out, "baseline": wide[(out, baseline)].mean(),
                         "value": wide[(out, sc)].mean(), "diff": d.mean(),
                         "ci_low": d.mean() - q * se, "ci_high": d.mean() + q * se, "note": ""})
        dr = (wide[("relapses", baseline)] - wide[("relapses", sc)]).to_numpy()
        dc = (wide[("cost", sc)] - wide[("cost", baseline)]).to_numpy()
        row = {"scenario": sc, "outcome": "averted_per_10k", "baseline": np.nan, "value": np.nan,
               "diff": np.nan, "ci_low": np.nan, "ci_high": np.nan, "note": ""}
        if dc.mean() <= 0:
            row["note"] = "cost_not_positive"
        else:
            row["diff"] = dr.mean() / dc.mean() * 1e4
            bc = dc[boot].mean(axis=1)
            ratio = np.where(bc > 0, dr[boot].mean(axis=1) / np.where(bc > 0, bc, 1.0) * 1e4, np.nan)
            if np.isnan(ratio).any():
                row["note"] = "cost_not_positive_in_resamples"
            else:
                row["ci_low"], row["ci_high"] = np.percentile(ratio, [50 * (1 - level), 50 * (1 + level)])
        rows.append(row)
    return pd.DataFrame(rows)
