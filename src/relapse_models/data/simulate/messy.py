"""Messy exports: what a county's download from the monitoring information system looks like.

Writes three files for one simulated county, each a household-quarter table with Chinese
headers, fake names, ID numbers (valid GB 11643 check digits) and phone numbers:

- ``<county>_收支_utf8.csv``: UTF-8 with BOM, amounts in 元, dates ``YYYY-MM-DD``;
- ``<county>_收支_gbk.csv``: GBK, amounts in 元, dates ``YYYY/MM/DD``, two title rows above the
  header;
- ``<county>_收支.xlsx``: the report year only, amounts in 万元, dates ``YYYY年M月D日``, a
  title row above the header.

A share ``defect_rate`` of rows of each file gets one injected defect each (duplicate row, bad
check digit, negative amount, non-numeric amount, missing required value), and
``manifest.json`` lists every one with file, physical row (1-based, as a spreadsheet shows it),
column, kind and the original and injected values, so the cleaning step can be scored. Every
defect is one a cleaner must refuse (a "—" is a zero in Chinese accounting and "300元" an amount
with its unit, so neither is injected as "non-numeric"). The manifest also maps the truth's
town and village ids to the names the files write (``towns``, ``villages``).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook

from relapse_models.core.io import atomic_path
from relapse_models.core.schema import (
    CATEGORY_LABELS,
    DISASTER_TYPE_LABELS,
    MONITORING_TYPE_LABELS,
    RISK_TYPE_LABELS,
)
from relapse_models.data.idcard import corrupt_check, make_ids

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢")
GIVEN = list("建国华明丽军伟芳秀英红兰春梅海平志强永刚桂玉凤林德文成兴福贵保生富荣金银娟霞")
AMOUNTS = {
    "income_wage": "工资性收入",
    "income_operating": "生产经营性收入",
    "income_property": "财产性收入",
    "income_transfer": "转移性收入",
    "production_cost": "生产经营性支出",
    "medical_total": "医疗总费用",
    "medical_reimbursed": "医保报销金额",
    "medical_oop": "个人自付",
    "disaster_loss": "灾害损失",
}
REQUIRED = ("户编号", "证件号码", "年度", "季度")
DEFECTS = ("duplicate", "bad_check_digit", "negative_amount", "non_numeric_amount", "missing_required")


def _frame(sim: Any, profile: dict, rng: np.random.Generator) -> pd.DataFrame:
    """The household-quarter export in Chinese, amounts in yuan, dates as Timestamps."""
    hh = sim.households.set_index("household_id")
    ids = hh.index.to_numpy(dtype=str)
    n = len(ids)
    names = (np.asarray(SURNAMES)[rng.integers(0, len(SURNAMES), n)]
             + np.asarray(GIVEN)[rng.integers(0, len(GIVEN), n)]
             + np.where(rng.random(n) < 0.6, np.asarray(GIVEN)[rng.integers(0, len(GIVEN), n)], ""))
    year_now = int(profile["report_year"])
    ident = make_ids(rng, n, profile["area_code"], birth_years=year_now - hh["head_age"].to_numpy(),
                     male=hh["head_sex"].to_numpy() == "M")
    phones = np.char.add(np.asarray(["13", "15", "17", "18", "19"])[rng.integers(0, 5, n)],
                         np.char.zfill(rng.integers(0, 10**9, n).astype(str), 9))
    person = pd.DataFrame({"户主姓名": names, "证件号码": ident, "联系电话": phones}, index=ids)

    p = sim.panel.copy()
    p["household_id"] = p["household_id"].astype(str)
    ev = sim.events.copy()
    ev["household_id"] = ev["household_id"].astype(str)
    qend = pd.PeriodIndex.from_fields(year=p["year"], quarter=p["quarter"], freq="Q").end_time
    p["_end"] = qend.normalize().astype("datetime64[ns]")
    p = p.sort_values("_end")
    for kind, col in (("identified", "识别日期"), ("eliminated", "风险消除日期")):
        e = ev.loc[ev["event"] == kind, ["household_id", "date"]].sort_values("date")
        e["date"] = e["date"].astype("datetime64[ns]")
        p = pd.merge_asof(p, e.rename(columns={"date": col}), left_on="_end", right_on=col,
                          by="household_id", direction="backward")
    p = p.sort_values(["household_id", "year", "quarter"]).reset_index(drop=True)
    h = hh.loc[p["household_id"]]
    town_names, village_names = _place_names(sim, profile)
    out = pd.DataFrame({
        "户编号": p["household_id"].to_numpy(),
        "户主姓名": person.loc[p["household_id"], "户主姓名"].to_numpy(),
        "证件号码": person.loc[p["household_id"], "证件号码"].to_numpy(),
        "联系电话": person.loc[p["household_id"], "联系电话"].to_numpy(),
        "县": profile["name_zh"],
        "乡镇": h["town_id"].astype(str).map(town_names).to_numpy(),
        "村": h["village_id"].astype(str).map(village_names).to_numpy(),
        "家庭人口数": h["household_size"].to_numpy(),
        "劳动力人数": h["n_labour"].to_numpy(),
        "老年人数": h["n_elderly"].to_numpy(),
        "儿童人数": h["n_children"].to_numpy(),
        "残疾人数": h["n_disabled"].to_numpy(),
        "慢性病人数": h["n_chronic_ill"].to_numpy(),
        "户主年龄": h["head_age"].to_numpy(),
        "户主性别": np.where(h["head_sex"].to_numpy() == "M", "男", "女"),
        "户主受教育年限": h["head_education_years"].to_numpy(),
        "户类型": h["category"].map(CATEGORY_LABELS).to_numpy(),
        "是否易地搬迁": np.where(h["relocated"].to_numpy(dtype=bool), "是", "否"),
        "脱贫年度": h["poverty_exit_year"].astype("Int64").astype(str).replace("<NA>", "").to_numpy(),
        "年度": p["year"].to_numpy(),
        "季度": p["quarter"].to_numpy(),
    })
    for col, zh in AMOUNTS.items():
        out[zh] = p[col].to_numpy(dtype=float)
    out["是否低保"] = np.where(p["dibao"].to_numpy(dtype=bool), "是", "否")
    out["是否公益岗"] = np.where(p["public_welfare_job"].to_numpy(dtype=bool), "是", "否")
    out["灾害类型"] = p["disaster_type"].astype(object).map(DISASTER_TYPE_LABELS).fillna("").to_numpy()
    out["住房安全"] = np.where(p["housing_safe"].to_numpy(dtype=bool), "安全", "不安全")
    out["饮水安全"] = np.where(p["water_safe"].to_numpy(dtype=bool), "安全", "不安全")
    out["监测对象类别"] = p["monitoring_type"].astype(object).map(MONITORING_TYPE_LABELS).fillna("").to_numpy()
    out["风险类型"] = p["risk_type"].astype(object).map(RISK_TYPE_LABELS).fillna("").to_numpy()
    out["识别日期"] = p["识别日期"].to_numpy()
    out["风险消除日期"] = p["风险消除日期"].to_numpy()
    return out


def _place_names(sim: Any, profile: dict) -> tuple[dict[str, str], dict[str, str]]:
    """Town and village names as the exports write them, keyed by the truth's ids."""
    hh = sim.households
    towns = {str(t): f"{profile['name_zh'][:2]}{i + 1}镇" for i, t in enumerate(sorted(hh["town_id"].unique()))}
    villages = {str(v): f"第{i + 1}村" for i, v in enumerate(sorted(hh["village_id"].unique()))}
    return towns, villages


def _format(df: pd.DataFrame, unit: str, date_fmt: str) -> pd.DataFrame:
    """Text cells as the file will hold them."""
    out = df.astype(object).copy()
    for zh in AMOUNTS.values():
        v = df[zh].to_numpy(dtype=float)
        out[zh] = [f"{x / 1e4:.4f}" for x in v] if unit == "万元" else [f"{x:.2f}" for x in v]
    for col in ("识别日期", "风险消除日期"):
        d = pd.to_datetime(df[col])
        out[col] = [x.strftime(date_fmt).replace("年0", "年").replace("月0", "月") if pd.notna(x) else "" for x in d]
    for col in out.columns:
        out[col] = out[col].map(lambda x: "" if x is None or (isinstance(x, float) and np.isnan(x)) else str(x))
    return out


def _inject(df: pd.DataFrame, rng: np.random.Generator, rate: float, file: str,
            header_row: int) -> tuple[pd.DataFrame, list[dict]]:
    """Inject defects into a text frame; return the frame and the manifest entries."""
    n = len(df)
    k = int(round(rate * n))
    rows = rng.choice(n, min(k * len(DEFECTS), n), replace=False)
    kinds = np.resize(np.array(DEFECTS), len(rows))
    amount_cols = list(AMOUNTS.values())
    df = df.copy()
    entries = []
    dup_rows = []
    for r, kind in zip(rows.tolist(), kinds.tolist(), strict=True):
        col, orig, new = None, None, None
        if kind == "bad_check_digit":
            col = "证件号码"
            orig = df.at[r, col]
            new = str(corrupt_check(np.array([orig]))[0])
        elif kind == "negative_amount":
            col = amount_cols[int(rng.integers(0, len(amount_cols)))]
            orig = df.at[r, col]
            new = "-" + orig if float(orig) != 0 else "-1.00"
        elif kind == "non_numeric_amount":
            col = amount_cols[int(rng.integers(0, len(amount_cols)))]
            orig = df.at[r, col]
            # never "—" (a zero in Chinese accounting) nor "300元" (an amount with its unit):
            # both are valid cells that the cleaner must accept
            new = ["约" + orig, "待核实", "不详", orig + "左右"][int(rng.integers(0, 4))]
        elif kind == "missing_required":
            col = REQUIRED[int(rng.integers(0, len(REQUIRED)))]
            orig, new = df.at[r, col], ""
        else:
            dup_rows.append(r)
            continue
        df.at[r, col] = new
        entries.append({"file": file, "defect": kind, "row": header_row + 1 + r, "column": col,
                        "original": orig, "injected": new})
    # duplicates: exact copies appended at the end of the file
    if dup_rows:
        df = pd.concat([df, df.iloc[sorted(dup_rows)]], ignore_index=True)
        for i, r in enumerate(sorted(dup_rows)):
            entries.append({"file": file, "defect": "duplicate", "row": header_row + 1 + n + i,
                            "column": None, "original": header_row + 1 + r, "injected": None})
    return df, entries


def write_messy_exports(sim: Any, profile: dict, out_dir: Path, seed: int, defect_rate: float) -> Path:
    """Write the messy exports of ``sim`` into ``out_dir``; return the manifest's path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 4])
    base = _frame(sim, profile, rng)
    cid = profile["county_id"]
    title = f"{profile['name_zh']}防止返贫监测对象收支信息导出"
    towns, villages = _place_names(sim, profile)
    manifest: dict[str, Any] = {"county_id": cid, "seed": seed, "defect_rate": defect_rate,
                                "files": [], "defects": [],
                                # the exports name towns and villages; the truth has their ids
                                "towns": towns, "villages": villages}

    # 1. UTF-8 with BOM, 元, ISO dates, no title
    name = f"{cid}_收支_utf8.csv"
    text, entries = _inject(_format(base, "元", "%Y-%m-%d"), rng, defect_rate, name, header_row=1)
    with atomic_path(out_dir / name) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(text.columns)
        w.writerows(text.to_numpy().tolist())
    manifest["files"].append({"file": name, "encoding": "utf-8-sig", "unit": "元", "date_format": "%Y-%m-%d",
                              "header_row": 1, "title_rows": 0, "data_rows": len(text)})
    manifest["defects"] += entries

    # 2. GBK, 元, slashed dates, two title rows
    name = f"{cid}_收支_gbk.csv"
    text, entries = _inject(_format(base, "元", "%Y/%m/%d"), rng, defect_rate, name, header_row=3)
    with atomic_path(out_dir / name) as tmp, open(tmp, "w", encoding="gbk", errors="replace",
                                                  newline="") as fh:
        w = csv.writer(fh)
        w.writerow([title])
        w.writerow([f"导出单位:{profile['name_zh']}乡村振兴局"])
        w.writerow(text.columns)
        w.writerows(text.to_numpy().tolist())
    manifest["files"].append({"file": name, "encoding": "gbk", "unit": "元", "date_format": "%Y/%m/%d",
                              "header_row": 3, "title_rows": 2, "data_rows": len(text)})
    manifest["defects"] += entries
    manifest["defects"].append({"file": name, "defect": "title_rows", "row": 1, "column": None,
                                "original": None, "injected": 2})

    # 3. xlsx, report year only, 万元, Chinese dates, one title row
    name = f"{cid}_收支.xlsx"
    year = base[base["年度"] == int(profile["report_year"])].reset_index(drop=True)
    text = _format(year, "万元", "%Y年%m月%d日")
    text = text.rename(columns={zh: f"{zh}(万元)" for zh in AMOUNTS.values()})
    renamed = {f"{zh}(万元)": zh for zh in AMOUNTS.values()}
    text, entries = _inject(text.rename(columns=renamed), rng, defect_rate, name, header_row=2)
    text = text.rename(columns={zh: f"{zh}(万元)" for zh in AMOUNTS.values()})
    for e in entries:
        if e["column"] in AMOUNTS.values():
            e["column"] = f"{e['column']}(万元)"
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("监测对象收支")
    ws.append([title])
    ws.append(list(text.columns))
    for row in text.to_numpy().tolist():
        ws.append(row)
    with atomic_path(out_dir / name) as tmp:
        wb.save(tmp)
    manifest["files"].append({"file": name, "encoding": "xlsx", "unit": "万元", "date_format": "%Y年%m月%d日",
                              "header_row": 2, "title_rows": 1, "data_rows": len(text)})
    manifest["defects"] += entries
    manifest["defects"].append({"file": name, "defect": "title_rows", "row": 1, "column": None,
                                "original": None, "injected": 1})

    # the manifest last: its presence says the exports are complete
    path = out_dir / "manifest.json"
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, default=str),
                       encoding="utf-8")
    return path
