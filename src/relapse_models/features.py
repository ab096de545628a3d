"""Household-quarter features for relapse-risk models, without look-ahead.

Each row describes a household at the end of quarter ``t`` using only what the monitoring
system knows then: panel rows up to and including ``t`` (income is collected quarterly with a
12-month look-back, DOMAIN.md section 3), events dated up to the end of ``t``, and the
household's static attributes. The label ``relapse`` (from :mod:`relapse_models.labels`) looks
at ``t+1 .. t+H`` and is the only column that uses later quarters.

Ratios whose denominator is income use a *safe share*: income <= 0 with a positive numerator
gives the cap (``SHARE_CAP``), so households with no income are not silently dropped and the
screening rule still fires on them.

Rows whose 4-quarter income window is incomplete (a household's first three quarters, or
quarters after a gap) have ``NaN`` income features; :func:`usable_rows` selects the rows with a
known label and complete features, which is what every model is fitted and scored on.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from relapse_models import labels as lab

SHARE_CAP = 10.0
"""Upper bound for ratios to income (also their value when income <= 0 and the numerator > 0)."""

ELIMINATION_CAP = 12
"""Quarters since risk elimination are capped here; never eliminated counts as the cap."""

KEY_COLUMNS: list[str] = ["household_id", "county_id", "town_id", "village_id", "year", "quarter"]

INCOME_FEATURES: list[str] = [
    "income_ratio",  # rolling 4q per-capita net income / that year's monitoring line
    "income_yoy_drop",  # max(0, 1 - this 4q income / the 4q income a year earlier), capped at 2
    "income_yoy_known",  # 1 if the year-earlier window exists (else drop is 0 by construction)
    "income_trend",  # OLS slope of the last 4 quarterly pc net incomes / quarterly line
    "income_volatility",  # sd of the last 4 quarterly pc net incomes / quarterly line
    "wage_share",  # wage / gross income, last 4 quarters
    "transfer_share",  # transfers / gross income, last 4 quarters
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
    INCOME_FEATURES + HEALTH_FEATURES + DISASTER_FEATURES + HOUSEHOLD_FEATURES + STATUS_FEATURES
)
"""The model inputs, all numeric (0/1 for flags)."""

FEATURE_LABELS: dict[str, tuple[str, str]] = {
    "income_ratio": ("人均纯收入/监测线", "income / line"),
    "income_yoy_drop": ("收入同比降幅", "income drop y/y"),
    "income_yoy_known": ("有上年收入", "prior-year income known"),
    "income_trend": ("收入趋势", "income trend"),
    "income_volatility": ("收入波动", "income volatility"),
    "wage_share": ("工资性收入占比", "wage share"),
    "transfer_share": ("转移性收入占比", "transfer share"),
    "oop_share": ("自付医疗费/收入", "out-of-pocket medical / income"),
    "oop_to_line": ("人均自付医疗费/监测线", "out-of-pocket medical / line"),
    "catastrophic_health": ("灾难性医疗支出", "catastrophic health spending"),
    "any_chronic_ill": ("有慢性病成员", "chronic illness"),
    "any_disabled": ("有残疾成员", "disability"),
    "disaster_hh_4q": ("近4季度受灾", "disaster, last 4 quarters"),
    "disaster_loss_share": ("灾害损失/收入", "disaster loss / income"),
    "village_disaster_share": ("本村受灾户占比", "village share hit by disaster"),
    "household_size": ("家庭人口", "household size"),
    "labour_share": ("劳动力占比", "labour share"),
    "no_labour": ("缺劳动力", "no labour"),
    "dependency_ratio": ("抚养比", "dependency ratio"),
    "elderly_share": ("老年人占比", "elderly share"),
    "head_age": ("户主年龄", "head's age"),
    "head_female": ("女性户主", "female head"),
    "head_education_years": ("户主受教育年限", "head's years of schooling"),
    "relocated": ("易地扶贫搬迁", "relocated"),
    "poverty_alleviated": ("脱贫户", "poverty-alleviated household"),
    "years_since_exit": ("脱贫年限", "years since poverty exit"),
    "dibao": ("低保", "dibao"),
    "public_welfare_job": ("公益性岗位", "public-welfare job"),
    "housing_unsafe": ("住房不安全", "unsafe housing"),
    "water_unsafe": ("饮水不安全", "unsafe water"),
    "monitored_now": ("在监测中", "monitored now"),
    "eliminated_now": ("风险已消除", "risk eliminated"),
    "ever_identified": ("曾纳入监测", "ever identified"),
    "quarters_since_elimination": ("风险消除后季度数", "quarters since elimination"),
    "Intercept": ("截距", "intercept"),
}
"""Display names of the features (Chinese, English) for tables and figures."""


def feature_label(name: str, language: str = "zh") -> str:
    """Display name of a feature or model term (the name itself when none is known)."""
    zh, en = FEATURE_LABELS.get(name, (name, name))
    return zh if language == "zh" else en

LABEL_COLUMN = "relapse"
EXTRA_COLUMNS: list[str] = [
    "income_pc_4q",  # yuan per person per year
    "line",  # monitoring line of year t
    "relapse_event",  # relapse state in quarter t (income below line or identified now)
    "at_risk",  # relapse_event known and False: the population an early warning is for
    "relapse_in_quarters",  # quarters to the first relapse-state quarter when relapse is True
]


def model_columns(X: pd.DataFrame, features: list[str] | None = None) -> list[str]:
    """The columns a model uses: ``features`` when given, else every FEATURE_COLUMNS column
    present in ``X``, else (a frame from elsewhere, e.g. a public dataset) its numeric columns."""
    if features is not None:
        return list(features)
    cols = [c for c in FEATURE_COLUMNS if c in X.columns]
    return cols if cols else list(X.select_dtypes("number").columns)


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
    eq = lab.quarter_index(dates.dt.year, dates.dt.quarter)[code >= 0]
    ev_key = np.sort(code[code >= 0] * lab.KEY_STRIDE + eq)
    row_key = df["_hh"].to_numpy() * lab.KEY_STRIDE + df["qidx"].to_numpy()
    pos = np.searchsorted(ev_key, row_key, side="right") - 1
    cand = ev_key[np.clip(pos, 0, None)] if len(ev_key) else np.zeros(len(df), dtype=np.int64)
    ok = (pos >= 0) & (cand // lab.KEY_STRIDE == df["_hh"].to_numpy())
    return np.where(ok, (cand % lab.KEY_STRIDE).astype(float), np.nan)


def build_features(
    households: pd.DataFrame,
    panel: pd.DataFrame,
    events: pd.DataFrame,
    lines: lab.Lines,
    config: Mapping | None = None,
) -> pd.DataFrame:
    """One row per household-quarter: keys, :data:`FEATURE_COLUMNS`, :data:`EXTRA_COLUMNS`
    and the label ``relapse`` (nullable boolean), sorted by household and quarter.

    ``lines``: year -> monitoring line for the county's province (see
    :func:`relapse_models.labels.lines_for_province`). ``config``: the run config (or a dict
    with the same sections); reads ``monitoring.horizon_quarters`` (default 4) and the optional
    ``features.che_share`` (default 0.40) and ``features.che_basis`` (``"capacity"``, WHO-style
    capacity to pay = income minus the monitoring line x household size; or ``"income"``).
    """
    config = config or {}
    horizon = int((config.get("monitoring") or {}).get("horizon_quarters", 4))
    fcfg = config.get("features") or {}
    che_share = float(fcfg.get("che_share", 0.40))
    che_basis = str(fcfg.get("che_basis", "capacity"))
    if che_basis not in {"capacity", "income"}:
        raise ValueError(f"features.che_basis must be 'capacity' or 'income', not {che_basis!r}")

    df = lab.sort_panel(panel, households)
    df = lab.add_relapse_state(df, events, lines)
    df = lab.add_label(df, horizon)
    hh, q = df["_hh"].to_numpy(), df["qidx"].to_numpy()
    size = df["household_size"].to_numpy(dtype=float)
    line = df["line"].to_numpy(dtype=float)
    qline = line / 4.0

    def roll(col: str | np.ndarray) -> np.ndarray:
        vals = df[col].to_numpy(dtype=float) if isinstance(col, str) else col
        return lab.rolling_sum(vals, hh, q, 4)

    # position of each row's household in the households table (sort_panel checked presence)
    pos = pd.Index(households["household_id"]).get_indexer(df["household_id"])
    out = df[["household_id", "county_id", "village_id", "year", "quarter"]].copy()
    out.insert(2, "town_id", households["town_id"].to_numpy()[pos])

    # income level, change, trend and volatility
    net_q = lab.net_income(df).to_numpy(dtype=float)
    net_4q = roll(net_q)
    out["income_ratio"] = df["income_pc_4q"].to_numpy() / line
    prior = lab.shift(net_4q, hh, q, 4)
    known = ~np.isnan(prior) & ~np.isnan(net_4q)
    with np.errstate(divide="ignore", invalid="ignore"):
        drop = np.where(prior > 0, 1.0 - net_4q / np.where(prior > 0, prior, 1.0), 0.0)
    drop = np.clip(drop, 0.0, 2.0)
    drop[~known] = 0.0
    drop[np.isnan(net_4q)] = np.nan
    out["income_yoy_drop"] = drop
    out["income_yoy_known"] = known.astype(float)
    pc_q = net_q / size
    lags = np.column_stack([lab.shift(pc_q, hh, q, k) for k in (3, 2, 1, 0)])  # oldest first
    x = np.array([-1.5, -0.5, 0.5, 1.5])
    out["income_trend"] = (lags @ x) / (x @ x) / qline
    out["income_volatility"] = np.std(lags, axis=1, ddof=1) / qline

    gross_4q = roll(
        df[["income_wage", "income_operating", "income_property", "income_transfer"]]
        .sum(axis=1)
        .to_numpy(dtype=float)
    )
    out["wage_share"] = safe_share(roll("income_wage"), gross_4q, cap=1.0)
    out["transfer_share"] = safe_share(roll("income_transfer"), gross_4q, cap=1.0)

    # health
    oop_4q = roll("medical_oop")
    out["oop_share"] = safe_share(oop_4q, net_4q)
    out["oop_to_line"] = oop_4q / size / line
    base = net_4q - line * size if che_basis == "capacity" else net_4q
    che = np.where(base > 0, oop_4q >= che_share * base, oop_4q > 0).astype(float)
    che[np.isnan(oop_4q) | np.isnan(base)] = np.nan
    out["catastrophic_health"] = che

    # disaster: household and village exposure over the last 4 quarters
    hit_q = (
        (df["disaster_loss"].to_numpy(dtype=float) > 0) | df["disaster_type"].notna().to_numpy()
    ).astype(float)
    hit_4q = (roll(hit_q) > 0).astype(float)
    hit_4q[np.isnan(roll(hit_q))] = np.nan
    out["disaster_hh_4q"] = hit_4q
    out["disaster_loss_share"] = safe_share(roll("disaster_loss"), net_4q)
    # the village share uses any-hit in the available quarters (not NaN for short histories)
    hit_any = np.nanmax(np.column_stack([lab.shift(hit_q, hh, q, k) for k in range(4)]), axis=1)
    vill = pd.Series(hit_any).groupby([df["village_id"].to_numpy(), q]).transform("mean")
    out["village_disaster_share"] = vill.to_numpy()

    # household composition (static)
    stat = households.iloc[pos].reset_index(drop=True)
    n = stat["household_size"].to_numpy(dtype=float)
    dep = stat["n_children"].to_numpy(float) + stat["n_elderly"].to_numpy(float)
    out["household_size"] = n
    out["labour_share"] = stat["n_labour"].to_numpy(float) / n
    out["no_labour"] = (stat["n_labour"].to_numpy() == 0).astype(float)
    out["dependency_ratio"] = dep / np.maximum(n - dep, 1.0)
    out["elderly_share"] = stat["n_elderly"].to_numpy(float) / n
    out["head_age"] = stat["head_age"].to_numpy(float)
    out["head_female"] = (stat["head_sex"].to_numpy() == "F").astype(float)
    out["head_education_years"] = stat["head_education_years"].to_numpy(float)
    out["relocated"] = stat["relocated"].astype(bool).to_numpy().astype(float)
    pa_ = (stat["category"] == "poverty_alleviated").to_numpy()
    out["poverty_alleviated"] = pa_.astype(float)
    exit_year = pd.to_numeric(stat["poverty_exit_year"], errors="coerce").to_numpy(dtype=float)
    since = np.clip(df["year"].to_numpy(float) - exit_year, 0.0, None)
    out["years_since_exit"] = np.where(pa_ & ~np.isnan(since), since, 0.0)
    out["any_chronic_ill"] = (stat["n_chronic_ill"].to_numpy() > 0).astype(float)
    out["any_disabled"] = (stat["n_disabled"].to_numpy() > 0).astype(float)

    # status in quarter t and monitoring history up to t
    out["dibao"] = df["dibao"].astype(bool).to_numpy().astype(float)
    out["public_welfare_job"] = df["public_welfare_job"].astype(bool).to_numpy().astype(float)
    out["housing_unsafe"] = (~df["housing_safe"].astype(bool)).to_numpy().astype(float)
    out["water_unsafe"] = (~df["water_safe"].astype(bool)).to_numpy().astype(float)
    status = df["monitoring_status"].astype(str).to_numpy()
    out["monitored_now"] = (status == "monitored").astype(float)
    out["eliminated_now"] = (status == "eliminated").astype(float)
    out["ever_identified"] = (~np.isnan(_last_event_qidx(df, events, "identified"))).astype(float)
    last_elim = _last_event_qidx(df, events, "eliminated")
    since_elim = np.where(np.isnan(last_elim), ELIMINATION_CAP, q - last_elim)
    out["quarters_since_elimination"] = np.minimum(since_elim, ELIMINATION_CAP).astype(float)

    # extras and the label
    out["income_pc_4q"] = df["income_pc_4q"].to_numpy()
    out["line"] = line
    out["relapse_event"] = lab.float_to_boolean(df["relapse_event"].to_numpy())
    out["at_risk"] = (out["relapse_event"] == False).fillna(False).astype(bool)  # noqa: E712
    out["relapse_in_quarters"] = df["relapse_in_quarters"].array
    out[LABEL_COLUMN] = df["relapse"].array
    out.attrs["horizon_quarters"] = horizon
    return out


def usable_rows(features: pd.DataFrame, columns: list[str] | None = None) -> pd.Series:
    """Rows with a known label and complete features: what models are fitted and scored on."""
    columns = FEATURE_COLUMNS if columns is None else columns
    return features[LABEL_COLUMN].notna() & features[columns].notna().all(axis=1)
