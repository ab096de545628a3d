"""The feature step against two references on the same parquet: the time to merely read it
(the floor) and the same feature table built by one DuckDB SQL query (rolling 4-quarter sums,
lags, trend, volatility, village exposure, quarters since each shock, household attributes and
the 4-quarter label).

Issue #9's target: the package's feature step takes at most twice the DuckDB query.

    python benchmarks/bench_features.py --interim-dir data/interim/shangluo --county shangluo
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from relapse_models.core.config import load_config  # noqa: E402
from relapse_models.core.lines import lines_for_province  # noqa: E402
from relapse_models.core.profiles import load_profile  # noqa: E402
from relapse_models.stages.features import county_features  # noqa: E402

FEATURE_SQL = """
CREATE TEMP TABLE lines AS SELECT * FROM (VALUES {lines}) t(year, line);
COPY (
WITH p AS (
  SELECT p.household_id, p.county_id, p.village_id, p.year, p.quarter,
         p.year * 4 + p.quarter - 1 AS qidx,
         p.income_wage + p.income_operating + p.income_property + p.income_transfer AS gross_q,
         p.income_wage + p.income_operating + p.income_property + p.income_transfer
           - p.production_cost AS net_q,
         p.income_wage + p.income_operating + p.income_property - p.production_cost AS market_q,
         p.income_wage, p.income_transfer, p.medical_oop, p.disaster_loss,
         (p.disaster_loss > 0 OR p.disaster_type IS NOT NULL)::DOUBLE AS hit_q,
         coalesce(p.medical_total >= 20000, false) AS illness_q,
         coalesce(p.disaster_loss > 0
           AND p.disaster_loss >= 0.5 * (p.disaster_loss + p.income_operating), false)
           AS disaster_q,
         p.dibao, p.public_welfare_job, p.housing_safe, p.water_safe, p.monitoring_status,
         h.town_id, h.household_size, h.n_labour, h.n_children, h.n_elderly, h.head_age,
         h.head_sex, h.head_education_years, h.relocated, h.category, h.poverty_exit_year,
         h.n_chronic_ill, h.n_disabled, l.line
  FROM read_parquet('{panel}') p
  JOIN read_parquet('{households}') h USING (household_id)
  JOIN lines l ON l.year = p.year
), w AS (
  SELECT *,
    sum(net_q) OVER w4 AS net_4q, count(*) OVER w4 AS n_4q,
    sum(gross_q) OVER w4 AS gross_4q, sum(income_wage) OVER w4 AS wage_4q,
    sum(income_transfer) OVER w4 AS transfer_4q, sum(medical_oop) OVER w4 AS oop_4q,
    sum(disaster_loss) OVER w4 AS loss_4q, max(hit_q) OVER w4 AS hit_4q,
    regr_slope(net_q / household_size, qidx) OVER w4 AS slope_pc,
    stddev_samp(net_q / household_size) OVER w4 AS sd_pc,
    sum(market_q) OVER w4 AS market_4q,
    coalesce(income_wage < 0.5 * avg(income_wage) OVER (PARTITION BY household_id ORDER BY qidx
      RANGE BETWEEN 4 PRECEDING AND 1 PRECEDING), false) AS wage_low_q
  FROM p
  WINDOW w4 AS (PARTITION BY household_id ORDER BY qidx RANGE BETWEEN 3 PRECEDING AND CURRENT ROW)
), c AS (
  SELECT *, wage_low_q AND NOT coalesce(bool_or(wage_low_q) OVER (PARTITION BY household_id
    ORDER BY qidx RANGE BETWEEN 1 PRECEDING AND 1 PRECEDING), false) AS collapse_q
  FROM w
), k AS (
  SELECT *,
    coalesce(qidx - max(CASE WHEN illness_q THEN qidx END) OVER w4, 4) AS since_illness,
    coalesce(qidx - max(CASE WHEN disaster_q THEN qidx END) OVER w4, 4) AS since_disaster,
    coalesce(qidx - max(CASE WHEN collapse_q THEN qidx END) OVER w4, 4) AS since_collapse
  FROM c
  WINDOW w4 AS (PARTITION BY household_id ORDER BY qidx RANGE BETWEEN 3 PRECEDING AND CURRENT ROW)
), f AS (
  SELECT *,
    CASE WHEN n_4q = 4 THEN net_4q / household_size END AS income_pc_4q,
    lag(CASE WHEN n_4q = 4 THEN net_4q END, 4) OVER (PARTITION BY household_id ORDER BY qidx)
      AS prior_4q
  FROM k
), s AS (
  SELECT *, (income_pc_4q < line)::DOUBLE AS relapse_event FROM f
)
SELECT household_id, county_id, town_id, village_id, year, quarter,
  income_pc_4q / line AS income_ratio,
  CASE WHEN n_4q < 4 THEN NULL WHEN prior_4q > 0
    THEN greatest(0, least(2, 1 - net_4q / prior_4q)) ELSE 0 END AS income_yoy_drop,
  (prior_4q IS NOT NULL)::DOUBLE AS income_yoy_known,
  slope_pc / (line / 4) AS income_trend, sd_pc / (line / 4) AS income_volatility,
  least(1, wage_4q / nullif(gross_4q, 0)) AS wage_share,
  least(1, transfer_4q / nullif(gross_4q, 0)) AS transfer_share,
  ln(greatest(income_pc_4q / line, 0.05)) AS log_income_ratio,
  CASE WHEN n_4q = 4 THEN ln(greatest(market_4q / household_size / line, 0.05))
    END AS log_market_income_ratio,
  least(10, oop_4q / nullif(net_4q, 0)) AS oop_share,
  oop_4q / household_size / line AS oop_to_line,
  (oop_4q >= 0.4 * (net_4q - line * household_size))::DOUBLE AS catastrophic_health,
  (n_chronic_ill > 0)::DOUBLE AS any_chronic_ill, (n_disabled > 0)::DOUBLE AS any_disabled,
  hit_4q AS disaster_hh_4q, least(10, loss_4q / nullif(net_4q, 0)) AS disaster_loss_share,
  avg(hit_4q) OVER (PARTITION BY village_id, qidx) AS village_disaster_share,
  CASE WHEN n_4q = 4 THEN since_illness::DOUBLE END AS quarters_since_serious_illness,
  CASE WHEN n_4q = 4 THEN since_disaster::DOUBLE END AS quarters_since_severe_disaster,
  CASE WHEN n_4q = 4 THEN since_collapse::DOUBLE END AS quarters_since_wage_collapse,
  CASE WHEN n_4q = 4 THEN least(since_illness, since_disaster, since_collapse)::DOUBLE
    END AS quarters_since_shock,
  household_size, n_labour / household_size AS labour_share,
  (n_labour = 0)::DOUBLE AS no_labour,
  (n_children + n_elderly) / greatest(household_size - n_children - n_elderly, 1)
    AS dependency_ratio,
  n_elderly / household_size AS elderly_share, head_age,
  (head_sex = 'F')::DOUBLE AS head_female, head_education_years,
  relocated::DOUBLE AS relocated, (category = 'poverty_alleviated')::DOUBLE AS poverty_alleviated,
  greatest(0, year - poverty_exit_year) AS years_since_exit,
  dibao::DOUBLE AS dibao, public_welfare_job::DOUBLE AS public_welfare_job,
  (NOT housing_safe)::DOUBLE AS housing_unsafe, (NOT water_safe)::DOUBLE AS water_unsafe,
  (monitoring_status = 'monitored')::DOUBLE AS monitored_now,
  (monitoring_status = 'eliminated')::DOUBLE AS eliminated_now,
  income_pc_4q, line, relapse_event,
  max(relapse_event) OVER (PARTITION BY household_id ORDER BY qidx
    RANGE BETWEEN 1 FOLLOWING AND 4 FOLLOWING) AS relapse
FROM s
) TO '{out}' (FORMAT parquet);
"""


def time_read(paths: list[Path]) -> float:
    """Seconds to read the parquet files into Arrow tables: the floor of any feature step."""
    started = time.perf_counter()
    for path in paths:
        pq.read_table(path)
    return time.perf_counter() - started


def time_duckdb(interim: Path, lines: dict[int, float], out: Path, threads: int) -> float:
    """Seconds for the reference feature table by one DuckDB query, written to parquet."""
    values = ", ".join(f"({int(y)}, {float(v)})" for y, v in sorted(lines.items()))
    sql = FEATURE_SQL.format(
        lines=values, panel=interim / "panel.parquet",
        households=interim / "households.parquet", out=out,
    )
    started = time.perf_counter()
    with duckdb.connect() as con:
        con.execute(f"SET threads = {threads}")
        con.execute(sql)
    return time.perf_counter() - started


def time_package(interim: Path, county: str, out: Path) -> float:
    """Seconds for the package's feature step as the pipeline runs it (blocks of whole
    villages: read, build, write)."""
    config = load_config()
    profile = load_profile(ROOT / config["profiles_dir"] / f"{county}.yaml")
    lines = lines_for_province(config["monitoring"], profile["province_en"])
    started = time.perf_counter()
    county_features(interim, out, lines, config)
    return time.perf_counter() - started


def measure(interim: Path, county: str, threads: int = 1) -> dict:
    """The three timings on one county's interim tables, and the package/DuckDB ratio."""
    config = load_config()
    profile = load_profile(ROOT / config["profiles_dir"] / f"{county}.yaml")
    lines = lines_for_province(config["monitoring"], profile["province_en"])
    rows = pq.read_metadata(interim / "panel.parquet").num_rows
    with tempfile.TemporaryDirectory() as tmp:
        floor = time_read([interim / f"{t}.parquet" for t in ("households", "panel", "events")])
        reference = time_duckdb(interim, lines, Path(tmp) / "duckdb.parquet", threads)
        package = time_package(interim, county, Path(tmp) / "package.parquet")
    return {
        "county": county, "panel_rows": rows, "threads": threads, "read_floor_s": floor,
        "duckdb_s": reference, "package_s": package, "package_to_duckdb": package / reference,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interim-dir", type=Path, required=True)
    parser.add_argument("--county", required=True)
    parser.add_argument("--threads", type=int, default=1, help="DuckDB threads (the step has 1)")
    args = parser.parse_args()
    print(json.dumps(measure(args.interim_dir, args.county, args.threads), indent=2))


if __name__ == "__main__":
    main()
