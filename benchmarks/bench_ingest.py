"""Ingest throughput (issue 5): a 200,000-row xlsx in <= 60 s and a 1,000,000-row csv in
<= 30 s on the 2-core machine. Generates wide household-quarter exports (16 quarters per
household, fake checksum-valid ID numbers, amounts in 万元, Chinese dates), then times
``ingest_files`` end to end (read, map, parse, pseudonymise, assemble, validate).

    .venv/bin/python benchmarks/bench_ingest.py [--xlsx-rows 200000] [--csv-rows 1000000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from relapse_models.data import idcard
from relapse_models.data.ingest import DEMO_KEY, ingest_files

HEADER = ["户编号", "户主姓名", "证件号码", "联系电话", "乡镇", "村", "家庭人口数", "劳动力人数",
          "老年人数", "儿童人数", "残疾人数", "慢性病人数", "文化程度", "户类型", "是否易地搬迁",
          "脱贫年度", "年度", "季度", "工资性收入（万元）", "生产经营性收入（万元）",
          "财产性收入（万元）", "转移性收入（万元）", "生产经营性支出（万元）", "是否享受低保",
          "公益性岗位", "医疗总费用（元）", "医保报销金额（元）", "个人自付（元）", "灾害类型",
          "灾害损失（元）", "住房安全", "饮水安全", "监测对象类别", "风险类型", "识别日期",
          "风险消除日期"]


def make_export(n_rows: int, seed: int = 1) -> pd.DataFrame:
    """``n_rows`` household-quarters (2021Q1-2024Q4), vectorised."""
    rng = np.random.default_rng(seed)
    n_hh = n_rows // 16
    hh = np.repeat(np.arange(n_hh), 16)
    year = np.tile(np.repeat(np.arange(2021, 2025), 4), n_hh)
    quarter = np.tile(np.arange(1, 5), 4 * n_hh)
    ids = idcard.make_ids(rng, n_hh, "610429", rng.integers(1940, 1995, n_hh), rng.random(n_hh) < 0.8)
    size = rng.integers(1, 7, n_hh)
    total = np.where(rng.random(n_rows) < 0.1, rng.gamma(2, 800, n_rows).round(), 0.0)
    reimb = (total * 0.7).round()
    monitored = np.repeat(rng.random(n_hh) < 0.05, 16)
    return pd.DataFrame({
        "户编号": np.char.add("H", hh.astype(str)), "户主姓名": "张某",
        "证件号码": ids[hh], "联系电话": np.char.add("138", np.char.zfill(hh.astype(str), 8)),
        "乡镇": np.char.add("镇", (hh // 2000).astype(str)), "村": np.char.add("村", (hh // 100).astype(str)),
        "家庭人口数": size[hh], "劳动力人数": np.minimum(size, 2)[hh], "老年人数": 0, "儿童人数":
        (size - np.minimum(size, 2))[hh], "残疾人数": 0, "慢性病人数": 0, "文化程度": "初中",
        "户类型": "脱贫户", "是否易地搬迁": "否", "脱贫年度": 2019, "年度": year, "季度": quarter,
        "工资性收入（万元）": rng.gamma(2, 0.15, n_rows).round(4),
        "生产经营性收入（万元）": rng.gamma(2, 0.05, n_rows).round(4),
        "财产性收入（万元）": 0.0, "转移性收入（万元）": rng.gamma(2, 0.02, n_rows).round(4),
        "生产经营性支出（万元）": rng.gamma(2, 0.01, n_rows).round(4), "是否享受低保": "否",
        "公益性岗位": "否", "医疗总费用（元）": total, "医保报销金额（元）": reimb,
        "个人自付（元）": total - reimb, "灾害类型": "无", "灾害损失（元）": 0.0, "住房安全": "是",
        "饮水安全": "是", "监测对象类别": np.where(monitored, "边缘易致贫户", ""),
        "风险类型": np.where(monitored, "因病", ""),
        "识别日期": np.where(monitored, "2022年5月10日", ""), "风险消除日期": "",
    })[HEADER]


def write_xlsx(df: pd.DataFrame, path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("监测台账")
    ws.append(["XX县防返贫动态监测台账"])
    ws.append(HEADER)
    for row in df.itertuples(index=False, name=None):  # writing the test file, not timed
        ws.append(row)
    wb.save(path)


def timed(paths: list[Path]) -> tuple[float, float, dict]:
    """Wall-clock and CPU seconds (this process, all its threads) of one ingest: on a shared
    machine the wall clock also counts other people's jobs, the CPU time does not."""
    start, cpu = time.perf_counter(), time.process_time()
    result = ingest_files(paths, "bench", DEMO_KEY)
    return time.perf_counter() - start, time.process_time() - cpu, result.report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--xlsx-rows", type=int, default=200_000)
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for kind, n, limit in (("csv", args.csv_rows, 30), ("xlsx", args.xlsx_rows, 60)):
            if n <= 0:
                continue
            path = Path(tmp) / f"export.{kind}"
            t0 = time.perf_counter()
            df = make_export(n)
            if kind == "csv":
                df.to_csv(path, index=False, encoding="gb18030")
            else:
                write_xlsx(df, path)
            made = time.perf_counter() - t0
            load = os.getloadavg()[0]
            seconds, cpu, report = timed([path])
            f = report["files"][0]
            print(f"{kind}: {f['rows_in']:,} rows ({path.stat().st_size / 1e6:.0f} MB, written in "
                  f"{made:.0f} s) ingested in {seconds:.1f} s wall, {cpu:.1f} s CPU (limit {limit} s; "
                  f"load average {load:.1f} on {os.cpu_count()} cores): kept {f['kept']:,}, "
                  f"quarantined {f['quarantined']:,} -> {'OK' if seconds <= limit else 'TOO SLOW'}")


if __name__ == "__main__":
    main()
