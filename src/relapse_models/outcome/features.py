"""Household-quarter features for relapse-risk models, without look-ahead.

Each row describes a household at the end of quarter ``t`` using only what the monitoring
system knows then: panel rows up to and including ``t`` (income is collected quarterly with a
12-month look-back, docs/domain.md section 3), events dated up to the end of ``t``, and the
household's static attributes. The label ``relapse`` (from :mod:`relapse_models.outcome.relapse`) looks
at ``t+1 .. t+H`` and is the only column that uses later quarters.

Ratios whose denominator is income use a *safe share*: income <= 0 with a positive numerator
gives the cap (``SHARE_CAP``), so households with no income are not silently dropped and the
screening rule still fires on them.

Shocks precede relapse (docs/domain.md section 7): a serious illness, a severe disaster loss or a
lost wage job raises the risk for about a year, most right after the shock. Four-quarter sums
blur *when* a shock happened, so :data:`SHOCK_FEATURES` give the quarters since the last shock
of each kind seen in the panel (0 = this quarter, ``SHOCK_CAP`` = none in the last four
quarters). The shock flags use amounts the monitoring panel records each quarter:

- serious illness: the quarter's total medical cost (before reimbursement) at least
  ``features.serious_illness_cost`` yuan (大病, the costs critical-illness insurance is for);
- severe disaster: the quarter's disaster loss at least ``features.severe_disaster_share`` of
  the operating income the household would have had without it (loss + operating income);
- wage collapse: the quarter's wage income below ``features.wage_collapse_share`` of its
  mean over the four quarters before (those present), when the quarter before was not itself
  one (the onset, so a lasting loss counts once).

On the default synthetic panel (scale 0.02) the flags find 97 % of the generator's
catastrophic illness episodes (93 % of flags are one), all severe disaster losses (99 %) and
78 % of job losses (50 %: ordinary wage noise also halves a quarter's wage now and then).
With them the gbm's out-of-time AUC rose from 0.948 to 0.970 x the oracle's (0.976 with
its new defaults, see :mod:`relapse_models.models.gbm`); the logit's from 0.937 to 0.971.

The guarantee tops low incomes up to the line with transfers, which makes ``income_ratio``
alike for households whose own earnings differ widely; ``log_market_income_ratio`` keeps the
earnings without transfers (the household's capacity the hazard of falling depends on).

Rows whose 4-quarter income window is incomplete (a household's first three quarters, or
quarters after a gap) have ``NaN`` income features; :func:`usable_rows` selects the rows with a
known label and complete features, which is what every model is fitted and scored on.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from relapse_models.core.config import default_config
from relapse_models.core.lines import Lines
from relapse_models.core.panel import KEY_STRIDE
from relapse_models.core.schema import INCOME_COLUMNS as INCOME_COMPONENTS
from relapse_models.outcome import relapse as lab

SHARE_CAP = 10.0
"""Upper bound for ratios to income (also their value when income <= 0 and the numerator > 0)."""

ELIMINATION_CAP = 12
"""Quarters since risk elimination are capped here; never eliminated counts as the cap."""

SHOCK_CAP = 4
"""Quarters since a shock are capped here: no shock in the last four quarters counts as the
cap, so the value depends on the quarters ``t-3 .. t`` only (the 4-quarter window)."""

LOG_FLOOR = 0.05
"""Ratios to the line are floored here before the log (income can be zero or negative)."""

KEY_COLUMNS: list[str] = ["household_id", "county_id", "town_id", "village_id", "year", "quarter"]

INCOME_FEATURES: list[str] = [
    "income_ratio",  # rolling 4q per-capita net income / that year's monitoring line
    "income_yoy_drop",  # max(0, 1 - this 4q income / the 4q income a year earlier), capped at 2
    "income_yoy_known",  # 1 if the year-earlier window exists (else drop is 0 by construction)
    "income_trend",  # OLS slope of the last 4 quarterly pc net incomes / quarterly line
    "income_volatility",  # sd of the last 4 quarterly pc net incomes / quarterly line
    "wage_share",  # wage / gross income, last 4 quarters
    "transfer_share",  # transfers / gross income, last 4 quarters
    "log_income_ratio",  # log of income_ratio (floored at LOG_FLOOR): risk is a power of it
    "log_market_income_ratio",  # log of 4q pc income without transfers / line (floored)
]
HEALTH_FEATURES: list[str] = [
    "oop_share",  # out-of-pocket medical / net income, last 4 quarters (safe share)
    "oop_to_line",  # per-capita out-of-pocket medical, last 4 quarters / line
    "catastrophic_health",  # 1 if OOP >= che_share x income or capacity to pay (config)
    "any_chronic_ill",
    "any_disabled",
]
DISASTER_FEATURES: list[str] = [
    "disaster_hh_4q",  # 1 if the household had a disaster in the last 4 quarters
    "disaster_loss_share",  # disaster loss / net income, last 4 quarters (safe share)
    "village_disaster_share",  # share of the village's households hit in the last 4 quarters
]
SHOCK_FEATURES: list[str] = [
    "quarters_since_serious_illness",  # medical cost >= features.serious_illness_cost
    "quarters_since_severe_disaster",  # loss >= severe_disaster_share of operating income
    "quarters_since_wage_collapse",  # wage < wage_collapse_share of the prior 4q mean (onset)
    "quarters_since_shock",  # the smallest of the three
]
SHOCK_KINDS: tuple[str, ...] = ("serious_illness", "severe_disaster", "wage_collapse")
"""The shocks of :func:`shock_flags`, in the order of :data:`SHOCK_FEATURES`."""
HOUSEHOLD_FEATURES: list[str] = [
    "household_size",
    "labour_share",  # n_labour / household_size
    "no_labour",  # 1 if no labour (缺劳动力)
    "dependency_ratio",  # (children + elderly) / other members (at least 1)
    "elderly_share",
    "head_age",
    "head_female",
    "head_education_years",
    "relocated",  # 易地扶贫搬迁
    "poverty_alleviated",  # 脱贫户 (vs 一般农户)
    "years_since_exit",  # year - poverty_exit_year, 0 for general households
]
STATUS_FEATURES: list[str] = [
    "dibao",
    "public_welfare_job",
    "housing_unsafe",
    "water_unsafe",
    "monitored_now",  # monitoring_status == monitored in quarter t
    "eliminated_now",  # monitoring_status == eliminated in quarter t
    "ever_identified",  # an identified event dated up to the end of t
    "quarters_since_elimination",  # since the last elimination event up to t, capped
]

FEATURE_COLUMNS: list[str] = (
    INCOME_FEATURES
    + HEALTH_FEATURES
    + DISASTER_FEATURES
    + SHOCK_FEATURES
    + HOUSEHOLD_FEATURES
    + STATUS_FEATURES
)
"""The model inputs, all numeric (0/1 for flags)."""

TRIGGER_COLUMNS: dict[str, str] = {
    "income": "income_ratio",
    "drop": "income_yoy_drop",
    "oop": "oop_share",
    "medical_burden": "medical_oop_4q",
    "disaster": "disaster_loss_share",
}
"""The official screening rule's triggers (:class:`relapse_models.models.RuleModel`, the
official tiers, the line sensitivity) -> the feature column each reads."""

LOW_INCOME_COLUMNS: tuple[str, ...] = ("poverty_alleviated", "dibao", "monitored_now")
"""Flags that put a household in the low-income group of the rule's medical-burden trigger."""

RULE_INPUTS: list[str] = [*TRIGGER_COLUMNS.values(), *LOW_INCOME_COLUMNS]
"""The columns the rule may read (its allow-list)."""


LABEL_COLUMN = "relapse"
EXTRA_COLUMNS: list[str] = [
    "income_pc_4q",  # yuan per person per year
    "line",  # monitoring line of year t
    "relapse_event",  # relapse state in quarter t (income below line or identified now)
    "at_risk",  # relapse_event known and False: the population an early warning is for
    "relapse_in_quarters",  # quarters to the first relapse-state quarter when relapse is True
    "medical_oop_4q",  # the household's out-of-pocket medical spending, last 4 quarters (yuan)
]

LABEL_DERIVED_COLUMNS: frozenset[str] = frozenset(
    {"relapse", "relapse_in_quarters", "relapse_next_4q", "true_prob", "true_hazard"}
)
"""Columns computed from the outcome or from the generator's hidden state: never a model
input (:func:`model_columns` refuses them)."""


def model_columns(X: pd.DataFrame, features: list[str] | None = None) -> list[str]:
    """The columns a model uses: ``features`` when given, else every :data:`FEATURE_COLUMNS`
    column present in ``X`` (the allow-list; there is no fallback to other columns). Raises
    when a requested column is label-derived (:data:`LABEL_DERIVED_COLUMNS`) or when no
    allowed column is present."""
    cols = list(features) if features is not None else [c for c in FEATURE_COLUMNS if c in X]
    leaked = sorted(set(cols) & LABEL_DERIVED_COLUMNS)
    if leaked:
        raise ValueError(f"label-derived column(s) {leaked} cannot be model inputs")
    if not cols:
        raise ValueError(
            "no model input: the frame has none of the allowed feature columns "
            f"(relapse_models.outcome.features.FEATURE_COLUMNS); it has {list(X.columns)[:20]}"
        )
    return cols


def safe_share(num: np.ndarray, den: np.ndarray, cap: float = SHARE_CAP) -> np.ndarray:
    """``num / den`` clipped to ``[0, cap]``; ``cap`` when ``den <= 0 < num``; NaN stays NaN."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.where(num > 0, cap, 0.0))
    out = np.clip(out, 0.0, cap)
    out[np.isnan(num) | np.isnan(den)] = np.nan
    return out


def _last_event_qidx(df: pd.DataFrame, events: pd.DataFrame, event: str) -> np.ndarray:
    """For each sorted panel row, the quarter index of the household's last ``event`` dated up
    to the end of that row's quarter (NaN if none): a backward search, so no look-ahead."""
    ev = events.loc[events["event"] == event, ["household_id", "date"]]
    dates = pd.to_datetime(ev["date"])
    code = lab.household_codes(df, ev["household_id"])
    ppy = int(df.attrs.get("periods_per_year", 4))
    eq = lab.period_index(dates.dt.year, dates.dt.quarter, ppy)[code >= 0]
    ev_key = np.sort(code[code >= 0] * lab.KEY_STRIDE + eq)
    row_key = df["_hh"].to_numpy() * lab.KEY_STRIDE + df["qidx"].to_numpy()
    pos = np.searchsorted(ev_key, row_key, side="right") - 1
    cand = ev_key[np.clip(pos, 0, None)] if len(ev_key) else np.zeros(len(df), dtype=np.int64)
    ok = (pos >= 0) & (cand // KEY_STRIDE == df["_hh"].to_numpy())
    return np.where(ok, (cand % KEY_STRIDE).astype(float), np.nan)


def quarters_since(flag: np.ndarray, hh: np.ndarray, q: np.ndarray, cap: int = SHOCK_CAP
                   ) -> np.ndarray:
    """For rows sorted by household code ``hh`` and quarter ``q``: quarters since the
    household's last row with ``flag`` up to and including this one, capped at ``cap`` (also
    when there is none). A running maximum over the sorted rows, so no look-ahead."""
    hh = np.asarray(hh, dtype=np.int64)
    q = np.asarray(q, dtype=np.int64)
    # q - q.min() + 1 >= 1 keeps each household's values above the previous household's
    rel = q - (q.min() if len(q) else 0) + 1
    key = np.where(np.asarray(flag, dtype=bool), hh * KEY_STRIDE + rel, hh * KEY_STRIDE)
    last = np.maximum.accumulate(key) - hh * KEY_STRIDE  # 0: none so far
    since = np.where(last > 0, rel - last, cap)
    return np.minimum(since, cap).astype(float)


def shock_flags(df: pd.DataFrame, config: Mapping | None = None) -> dict[str, np.ndarray]:
    """The period's shocks (see the module docstring) for a panel sorted by
    :func:`relapse_models.core.panel.sort_panel`: ``serious_illness``, ``severe_disaster`` and
    ``wage_collapse`` boolean arrays, each only when the panel has the amounts it reads (a
    panel without medical costs has no illness flag, rather than one that never fires).
    A missing amount counts as no shock. The wage collapse compares a period's wage with
    the mean of the year before it (4 quarters, or the previous year)."""
    fcfg = (default_config() if config is None else config)["features"]
    cost = float(fcfg["serious_illness_cost"])
    dis_share = float(fcfg["severe_disaster_share"])
    wage_share = float(fcfg["wage_collapse_share"])
    ppy = int(df.attrs.get("periods_per_year", 4))
    hh, q = df["_hh"].to_numpy(), df["qidx"].to_numpy()
    out: dict[str, np.ndarray] = {}
    if "medical_total" in df:
        # a quarter's 大病 cost threshold is an amount; a year holds several quarters' costs
        out["serious_illness"] = df["medical_total"].to_numpy(dtype=float) >= cost
    if "disaster_loss" in df:
        loss = df["disaster_loss"].to_numpy(dtype=float)
        operating = (df["income_operating"].to_numpy(dtype=float) if "income_operating" in df
                     else np.zeros(len(df)))
        out["severe_disaster"] = (loss > 0) & (loss >= dis_share * (loss + operating))
    if "income_wage" in df:
        wage = df["income_wage"].to_numpy(dtype=float)
        before = np.column_stack([lab.shift(wage, hh, q, k) for k in range(1, ppy + 1)])
        n_before = (~np.isnan(before)).sum(axis=1)
        mean_before = np.nansum(before, axis=1) / np.maximum(n_before, 1)
        low = (n_before > 0) & (mean_before > 0) & (wage < wage_share * mean_before)
        out["wage_collapse"] = low & ~(lab.shift(low.astype(float), hh, q, 1) == 1)
    return out


def _values(frame: pd.DataFrame, col: str) -> np.ndarray:
    """A column as floats, missing values (``<NA>``) as NaN: never read as zero."""
    return pd.to_numeric(frame[col], errors="coerce").astype(float).to_numpy()


def _flag(frame: pd.DataFrame, col: str, negate: bool = False) -> np.ndarray:
    """A yes/no column as 1/0 floats, missing as NaN."""
    v = frame[col].astype("boolean")
    out = (~v if negate else v).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    return out


def build_features(
    households: pd.DataFrame,
    panel: pd.DataFrame,
    events: pd.DataFrame,
    lines: Lines,
    config: Mapping | None = None,
) -> pd.DataFrame:
    """One row per household-period: keys, :data:`FEATURE_COLUMNS`, :data:`EXTRA_COLUMNS`
    and the label ``relapse`` (nullable boolean), sorted by household and period.

    ``lines``: year -> monitoring line for the county's province (see
    :func:`relapse_models.core.lines.lines_for_province`). ``config``: the run config (or a dict
    with the same sections); reads ``monitoring.horizon_quarters`` (default 4) and the optional
    ``features.che_share`` (default 0.40) and ``features.che_basis`` (``"capacity"``, WHO-style
    capacity to pay = income minus the monitoring line x household size; or ``"income"``), and
    the shock thresholds ``features.serious_illness_cost`` (20000 yuan),
    ``features.severe_disaster_share`` (0.5) and ``features.wage_collapse_share`` (0.5).
    Every feature of a row uses the household's own rows up to ``t`` and, for the village
    share, the village's rows of period ``t``: blocks of whole villages give the same rows.

    Frequency (``panel.periods_per_year``): windows are one year of periods (4 quarters, or
    the year itself on an annual panel); the trend and volatility within the year need
    quarters and are left out on annual panels; "quarters since" features count quarters
    on both (an annual panel moves in steps of 4). Domains the tables lack
    (:data:`relapse_models.core.schema.DOMAINS`) leave their features out (listed in
    ``attrs["features_absent"]``); a missing value in a present column gives ``NaN`` in the
    features that read it (such rows are not fitted or scored: :func:`usable_rows`). Without
    villages, each household is its own cluster (``village_id`` = ``household_id``).
    """
    config = default_config() if config is None else config
    horizon = int(config["monitoring"]["horizon_quarters"])
    fcfg = config["features"]
    che_share = float(fcfg["che_share"])
    che_basis = str(fcfg["che_basis"])
    if che_basis not in {"capacity", "income"}:
        raise ValueError(f"features.che_basis must be 'capacity' or 'income', not {che_basis!r}")

    df = lab.sort_panel(panel, households)
    ppy = int(df.attrs["periods_per_year"])
    step = 4 // ppy  # quarters per period
    df = lab.add_relapse_state(df, events, lines)
    df = lab.add_label(df, horizon)
    hh, q = df["_hh"].to_numpy(), df["qidx"].to_numpy()
    size = df["household_size"].to_numpy(dtype=float)
    line = df["line"].to_numpy(dtype=float)
    pline = line / ppy  # the line of one period

    def roll(col: str | np.ndarray) -> np.ndarray:
        vals = _values(df, col) if isinstance(col, str) else col
        return lab.rolling_sum(vals, hh, q, ppy)

    # position of each row's household in the households table (sort_panel checked presence)
    pos = pd.Index(households["household_id"]).get_indexer(df["household_id"])
    stat = households.iloc[pos].reset_index(drop=True)
    if "village_id" not in df or df["village_id"].isna().all():
        df["village_id"] = (stat["village_id"] if "village_id" in stat else df["household_id"]
                            ).to_numpy()
    df["village_id"] = df["village_id"].fillna(df["household_id"])
    out = df[["household_id", "county_id", "village_id", "year", "quarter"]].copy()
    out["periods_per_year"] = np.int8(ppy)
    out.insert(2, "town_id", stat["town_id"].fillna(stat["county_id"]).to_numpy()
               if "town_id" in stat else df["county_id"].to_numpy())

    # income level, change, trend and volatility
    net_q = lab.net_income(df).to_numpy(dtype=float)
    net_4q = roll(net_q)
    out["income_ratio"] = df["income_pc_4q"].to_numpy() / line
    prior = lab.shift(net_4q, hh, q, ppy)
    known = ~np.isnan(prior) & ~np.isnan(net_4q)
    with np.errstate(divide="ignore", invalid="ignore"):
        drop = np.where(prior > 0, 1.0 - net_4q / np.where(prior > 0, prior, 1.0), 0.0)
    drop = np.clip(drop, 0.0, 2.0)
    drop[~known] = 0.0
    drop[np.isnan(net_4q)] = np.nan
    out["income_yoy_drop"] = drop
    out["income_yoy_known"] = known.astype(float)
    if ppy == 4:  # the shape of income within the year
        pc_q = net_q / size
        lags = np.column_stack([lab.shift(pc_q, hh, q, k) for k in (3, 2, 1, 0)])  # oldest first
        x = np.array([-1.5, -0.5, 0.5, 1.5])
        out["income_trend"] = (lags @ x) / (x @ x) / pline
        out["income_volatility"] = np.std(lags, axis=1, ddof=1) / pline

    components = [c for c in INCOME_COMPONENTS if c in df]
    if components and "income_net" not in df:
        gross_4q = roll(df[components].astype(float).sum(axis=1).to_numpy(dtype=float))
        if "income_wage" in df:
            out["wage_share"] = safe_share(roll("income_wage"), gross_4q, cap=1.0)
        if "income_transfer" in df:
            out["transfer_share"] = safe_share(roll("income_transfer"), gross_4q, cap=1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["log_income_ratio"] = np.log(np.maximum(out["income_ratio"].to_numpy(), LOG_FLOOR))
        if "income_transfer" in df and "income_net" not in df:
            market = [c for c in components if c != "income_transfer"]
            market_q = df[market].astype(float).sum(axis=1).to_numpy(float) if market else 0.0
            if "production_cost" in df:
                market_q = market_q - _values(df, "production_cost")
            market_4q = roll(np.asarray(market_q, dtype=float) + np.zeros(len(df)))
            out["log_market_income_ratio"] = np.log(np.maximum(market_4q / size / line, LOG_FLOOR))

    # health
    if "medical_oop" in df:
        oop_4q = roll("medical_oop")
        out["oop_share"] = safe_share(oop_4q, net_4q)
        out["oop_to_line"] = oop_4q / size / line
        out["medical_oop_4q"] = oop_4q
        base = net_4q - line * size if che_basis == "capacity" else net_4q
        che = np.where(base > 0, oop_4q >= che_share * base, oop_4q > 0).astype(float)
        che[np.isnan(oop_4q) | np.isnan(base)] = np.nan
        out["catastrophic_health"] = che

    # disaster: household and village exposure over the last year
    if "disaster_loss" in df:
        loss = _values(df, "disaster_loss")
        typed = df["disaster_type"].notna().to_numpy() if "disaster_type" in df else False
        hit_q = np.where(np.isnan(loss) & ~typed, np.nan, ((loss > 0) | typed).astype(float))
        hit_roll = roll(hit_q)
        hit_4q = (hit_roll > 0).astype(float)
        hit_4q[np.isnan(hit_roll)] = np.nan
        out["disaster_hh_4q"] = hit_4q
        out["disaster_loss_share"] = safe_share(roll("disaster_loss"), net_4q)
        # the village share uses any-hit in the available periods (not NaN for short histories)
        with np.errstate(all="ignore"):
            recent = np.column_stack([lab.shift(hit_q, hh, q, k) for k in range(ppy)])
            hit_any = np.where(np.isnan(recent).all(axis=1), np.nan, np.nanmax(
                np.where(np.isnan(recent), -1.0, recent), axis=1))
        vill = pd.Series(hit_any).groupby([df["village_id"].to_numpy(), q]).transform("mean")
        out["village_disaster_share"] = vill.to_numpy()

    # shocks: quarters since the last one of each kind (NaN where the year's window is incomplete)
    window = ~np.isnan(net_4q)
    flags = shock_flags(df, config)
    if flags:
        since_any = np.full(len(df), float(SHOCK_CAP))
        for kind, name in zip(SHOCK_KINDS, SHOCK_FEATURES, strict=False):  # the last is the min
            if kind not in flags:
                continue
            since = np.minimum(quarters_since(flags[kind], hh, q, cap=SHOCK_CAP // step) * step,
                               SHOCK_CAP)
            since_any = np.minimum(since_any, since)
            out[name] = np.where(window, since, np.nan)
        out["quarters_since_shock"] = np.where(window, since_any, np.nan)

    # household composition (static)
    def has(*cols: str) -> bool:
        return all(c in stat for c in cols)

    n = stat["household_size"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    out["household_size"] = n
    if has("n_labour"):
        labour = _values(stat, "n_labour")
        out["labour_share"] = labour / n
        out["no_labour"] = np.where(np.isnan(labour), np.nan, (labour == 0).astype(float))
    if has("n_children", "n_elderly"):
        dep = _values(stat, "n_children") + _values(stat, "n_elderly")
        out["dependency_ratio"] = dep / np.maximum(n - dep, 1.0)
    if has("n_elderly"):
        out["elderly_share"] = _values(stat, "n_elderly") / n
    if has("head_age"):
        out["head_age"] = _values(stat, "head_age")
    if has("head_sex"):
        sex = stat["head_sex"]
        out["head_female"] = np.where(sex.isna(), np.nan, (sex == "F").astype(float))
    if has("head_education_years"):
        out["head_education_years"] = _values(stat, "head_education_years")
    if has("relocated"):
        out["relocated"] = _flag(stat, "relocated")
    if has("category"):
        cat = stat["category"]
        pa_ = (cat == "poverty_alleviated").fillna(False).to_numpy(dtype=bool)
        out["poverty_alleviated"] = np.where(cat.isna(), np.nan, pa_.astype(float))
        if has("poverty_exit_year"):
            exit_year = pd.to_numeric(stat["poverty_exit_year"], errors="coerce").to_numpy(dtype=float)
            since = np.clip(df["year"].to_numpy(float) - exit_year, 0.0, None)
            # a 脱贫户 without its exit year: unknown, not "just exited"
            out["years_since_exit"] = np.where(pa_, since, np.where(cat.isna(), np.nan, 0.0))
    if has("n_chronic_ill"):
        v = _values(stat, "n_chronic_ill")
        out["any_chronic_ill"] = np.where(np.isnan(v), np.nan, (v > 0).astype(float))
    if has("n_disabled"):
        v = _values(stat, "n_disabled")
        out["any_disabled"] = np.where(np.isnan(v), np.nan, (v > 0).astype(float))

    # status in period t and monitoring history up to t
    for col, name, negate in (("dibao", "dibao", False),
                              ("public_welfare_job", "public_welfare_job", False),
                              ("housing_safe", "housing_unsafe", True),
                              ("water_safe", "water_unsafe", True)):
        if col in df:
            out[name] = _flag(df, col, negate)
    if "monitoring_status" in df:
        status = df["monitoring_status"]
        known_status = status.notna().to_numpy()
        out["monitored_now"] = np.where(known_status, (status == "monitored").to_numpy(float), np.nan)
        out["eliminated_now"] = np.where(known_status, (status == "eliminated").to_numpy(float),
                                         np.nan)
    if len(events) or "monitoring_status" in df:
        out["ever_identified"] = (~np.isnan(_last_event_qidx(df, events, "identified"))).astype(float)
        last_elim = _last_event_qidx(df, events, "eliminated")
        since_elim = np.where(np.isnan(last_elim), ELIMINATION_CAP, (q - last_elim) * step)
        out["quarters_since_elimination"] = np.minimum(since_elim, ELIMINATION_CAP).astype(float)

    # extras and the label
    out["income_pc_4q"] = df["income_pc_4q"].to_numpy()
    out["line"] = line
    out["relapse_event"] = lab.float_to_boolean(df["relapse_event"].to_numpy())
    out["at_risk"] = (out["relapse_event"] == False).fillna(False).astype(bool)  # noqa: E712
    out["relapse_in_quarters"] = df["relapse_in_quarters"].array
    out[LABEL_COLUMN] = df["relapse"].array
    out.attrs["horizon_quarters"] = horizon
    out.attrs["periods_per_year"] = ppy
    out.attrs["features_absent"] = [c for c in FEATURE_COLUMNS if c not in out.columns]
    return out


def usable_rows(features: pd.DataFrame, columns: list[str] | None = None) -> pd.Series:
    """Rows with a known label and complete features: what models are fitted and scored on
    (features of a domain the data lack are not columns, so they do not count)."""
    columns = [c for c in FEATURE_COLUMNS if c in features] if columns is None else columns
    return features[LABEL_COLUMN].notna() & features[columns].notna().all(axis=1)
