"""The county page's calibration section: guard results of every simulated year, the
generator's calibration warnings, the monitoring lines used and whether the profile's
sentences were checked against their source, all read from the county's reconciliation
table (the rows :func:`relapse_models.outcome.guards.reconciliation_rows` adds)."""

from __future__ import annotations

import re

import pandas as pd

from relapse_models.outcome.guards import REASON_MARK
from relapse_models.report.tables import format_metric

FIGURE_LABELS: dict[str, tuple[str, str]] = {
    "identification_rate": ("新识别率（户，%）", "Identification rate (households, %)"),
    "elimination_rate": ("风险消除率（按人，%）", "Elimination rate (persons, %)"),
    "relapse_rate": ("处于返贫状态户比例（%）", "Households in the relapse state (%)"),
}
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "pass": ("通过", "pass"),
    "accepted": ("未通过（配置中已接受）", "failed, accepted in the config"),
    "fail": ("未通过", "failed"),
    "undefined": ("无法计算（尚无可计的户）", "undefined (nothing to count yet)"),
}
PROVENANCE_LABELS: dict[str, tuple[str, str]] = {
    "published": ("公开数据", "published"),
    "assumed": ("假设（外推或全国参考）", "assumed (extrapolated or national reference)"),
    "default": ("默认监测线（本省无数据）", "named default (no line for the province)"),
}
SOURCE_LABELS: dict[str, tuple[str, str]] = {
    "verified": ("所有引文已与来源文本逐字核对", "every quoted sentence checked against the source text"),
    "not_at_hand": ("来源文本不在本机，引文未核对", "source text not at hand: sentences not checked"),
    "no_text": ("无来源文本", "no source text"),
}
HEADERS: dict[str, tuple[str, str]] = {
    "year": ("年份", "Year"),
    "figure": ("检验指标", "Figure"),
    "value": ("模拟值", "Simulated"),
    "band": ("允许区间", "Band"),
    "anchor": ("锚定值及来源", "Anchor and its source"),
    "status": ("结果", "Result"),
    "line": ("监测线（元/人·年）", "Line (yuan per person and year)"),
    "provenance": ("来源", "Provenance"),
}


ANCHOR_WORDS: list[tuple[str, str, str]] = [
    (r"published\.monitoring_households_new \((\d{4})\) / structure\.households",
     r"公开的\1年新增监测户数 / 农户总数",
     r"published new monitoring households (\1) / rural households"),
    (r"published\.monitoring_households_cumulative x \(1 - initial_stock_share\) / (\d+) years "
     r"/ structure\.households", r"公开的累计监测户数 ×（1 − 面板前已识别比例）/ \1年 / 农户总数",
     r"published cumulative monitoring households x (1 - share identified before the panel)"
     r" / \1 years / rural households"),
    (r"published\.elimination_rate", "公开的风险消除率", "published risk-elimination rate"),
    (r"generator\.elimination_rate \(assumed\)", "假设的风险消除率",
     "assumed risk-elimination rate"),
    (r"national anchor \(about 70 % in 2021\)", "全国参考值（2021年约70%）",
     "national anchor (about 70 % in 2021)"),
    (r"identification anchor", "新识别率的锚定值", "identification anchor"),
    (r"; after (\d{4}) also the national anchor", r"；\1年以后也可取全国参考值（累计消除率逐年上升）",
     r"; after \1 also the national anchor (a cumulative rate rises)"),
]
"""Where an anchor comes from (:func:`relapse_models.outcome.guards.anchors`): the recorded
formula in words, Chinese and English, so no config key reaches a page."""


def anchor_source(text: str, language: str = "zh") -> str:
    """The anchor's source as the page shows it, in the page's language."""
    for pattern, zh, en in ANCHOR_WORDS:
        text = re.sub(pattern, zh if language == "zh" else en, text)
    return text


def _pick(table: dict[str, tuple[str, str]], key: str, language: str) -> str:
    zh, en = table.get(key, (key, key))
    return zh if language == "zh" else en


def _checks(recon: pd.DataFrame, prefix: str) -> pd.DataFrame:
    return recon[recon["indicator"].astype(str).str.startswith(prefix)]


def guard_table(recon: pd.DataFrame, language: str = "zh") -> pd.DataFrame:
    """One row per simulated year and guarded figure: value, band, anchor, result."""
    rows = []
    for r in _checks(recon, "guard.").itertuples(index=False):
        _, figure, year = str(r.indicator).split(".")
        status, rest = str(r.source).split(": ", 1)
        rest, _, reason = rest.partition(REASON_MARK)
        band, source = rest.split(" around ", 1)
        shown = _pick(STATUS_LABELS, status, language)
        if reason:
            shown += f"：{reason}" if language == "zh" else f": {reason}"
        rows.append({
            _pick(HEADERS, "year", language): int(year),
            _pick(HEADERS, "figure", language): _pick(FIGURE_LABELS, figure, language),
            _pick(HEADERS, "value", language): format_metric(r.computed, ".2f"),
            _pick(HEADERS, "band", language): band.removeprefix("band ").replace(", ", " – "),
            _pick(HEADERS, "anchor", language): f"{r.published:.2f}（{anchor_source(source, language)}）",
            _pick(HEADERS, "status", language): shown,
        })
    return pd.DataFrame(rows)


def line_table(recon: pd.DataFrame, language: str = "zh") -> pd.DataFrame:
    """The monitoring line of each simulated year and whether it is published or assumed."""
    rows = [{
        _pick(HEADERS, "year", language): int(str(r.indicator).split(".")[1]),
        _pick(HEADERS, "line", language): f"{r.computed:.0f}",
        _pick(HEADERS, "provenance", language): _pick(PROVENANCE_LABELS, str(r.source), language),
    } for r in _checks(recon, "line.").itertuples(index=False)]
    return pd.DataFrame(rows)


def warnings(recon: pd.DataFrame) -> list[str]:
    """The generator's calibration warnings (empty when calibration met every target)."""
    return _checks(recon, "calibration_warning")["source"].astype(str).tolist()


def source_check(recon: pd.DataFrame, language: str = "zh") -> str:
    """One sentence: were the profile's quotations checked against the source text?"""
    rows = _checks(recon, "source_check")
    if rows.empty:
        return ""
    status, detail = str(rows["source"].iloc[0]).split(": ", 1)
    return f"{_pick(SOURCE_LABELS, status, language)}（{detail}）" if detail else _pick(
        SOURCE_LABELS, status, language)


def has_calibration(recon: pd.DataFrame) -> bool:
    """Whether the reconciliation carries a calibration record (simulated counties)."""
    return not _checks(recon, "guard.").empty
