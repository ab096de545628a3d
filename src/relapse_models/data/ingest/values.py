"""Coded values: yes/no cells, category and risk-type labels, education levels and sex, as
Chinese exports write them, mapped to the codes of :mod:`relapse_models.core.schema`. The Chinese
label as written is kept beside the code (``<column>_label``) where the schema has labels.
"""

from __future__ import annotations

import re

import pandas as pd

from relapse_models.core import schema
from relapse_models.data.ingest.headers import ColumnSpec
from relapse_models.data.ingest.units import is_blank, to_halfwidth

SCHEMA_LABELS: dict[str, dict[str, str]] = {
    "category": schema.CATEGORY_LABELS,
    "monitoring_type": schema.MONITORING_TYPE_LABELS,
    "monitoring_status": schema.MONITORING_STATUS_LABELS,
    "risk_type": schema.RISK_TYPE_LABELS,
    "disaster_type": schema.DISASTER_TYPE_LABELS,
    "event": schema.EVENT_LABELS,
}
"""Canonical columns with coded values, and the schema's Chinese label of each code."""

TRUE_WORDS = {"是", "有", "安全", "达标", "已保障", "有保障", "保障", "享受", "已享受", "y", "yes",
              "true", "1", "√", "✓", "是的", "t"}
FALSE_WORDS = {"否", "无", "没有", "不安全", "不达标", "未保障", "无保障", "未享受", "不享受", "n",
               "no", "false", "0", "×", "✗", "x", "f", "未"}
NONE_WORDS = {"无", "-", "--", "—", "/", "没有", "未受灾", "none"}
"""Values of a nullable coded column that mean "nothing" (no disaster, no risk type)."""

EDUCATION_YEARS: dict[str, int] = {
    "文盲": 0, "半文盲": 0, "文盲或半文盲": 0, "文盲半文盲": 0, "未上学": 0, "学龄前": 0, "学前": 0,
    "小学": 6, "初中": 9, "高中": 12, "中专": 12, "中职": 12, "职高": 12, "技校": 12,
    "高中及中专": 12, "大专": 15, "高职": 15, "专科": 15, "本科": 16, "大学本科": 16,
    "本科及以上": 16, "大专及以上": 15, "研究生": 19, "硕士": 19, "博士": 22,
}
"""Years of schooling of the education levels exports use (China's 6-3-3-4 system)."""

_SPLIT = re.compile(r"[、,，;；/|\s]+")


def _key(text: pd.Series) -> pd.Series:
    return to_halfwidth(text.astype("string")).str.strip().str.replace(r"\s+", "", regex=True).str.lower()


def parse_bool(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """是/否, 有/无, 安全/不安全, Y/N, 1/0, √/× -> ``(boolean series, bad)``."""
    key = _key(values).str.replace(r"\.0$", "", regex=True)
    blank = is_blank(key)
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[key.isin(TRUE_WORDS).fillna(False)] = True
    out[key.isin(FALSE_WORDS).fillna(False)] = False
    return out, (out.isna() & ~blank).astype(bool)


def label_lookup(spec: ColumnSpec) -> dict[str, str]:
    """Every accepted spelling (normalised) -> code: the schema's Chinese label, the label
    without its leading 因, the code itself, and the extra spellings in columns.yaml."""
    lookup: dict[str, str] = {}
    for code, label in SCHEMA_LABELS.get(spec.name, {}).items():
        for spelling in (code, label, label.removeprefix("因"), code.replace("_", " ")):
            lookup.setdefault(_key(pd.Series([spelling])).iloc[0], code)
    for code, spellings in spec.labels.items():
        for spelling in spellings:
            lookup[_key(pd.Series([spelling])).iloc[0]] = code
    return lookup


def parse_label(values: pd.Series, spec: ColumnSpec) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Labels -> ``(code, label as written, bad)``. A cell listing several labels
    ("因病、因残", common for risk types) takes the first as the code and keeps them all in
    the label; for a nullable column "无" and "-" mean no value."""
    lookup = label_lookup(spec)
    key = _key(values)
    blank = is_blank(key)
    if spec.nullable:
        blank = blank | key.isin(NONE_WORDS).fillna(False)
    code = key.map(lookup)
    several = code.isna() & ~blank & key.str.contains(_SPLIT.pattern, regex=True).fillna(False)
    if several.any():
        first = key[several].str.split(_SPLIT.pattern, n=1, regex=True).str[0]
        code[several] = first.map(lookup)
    code = code.astype("string")
    bad = code.isna() & ~blank
    label = values.astype("string").str.strip().where(~blank & ~bad)
    return code.where(~blank), label, bad.astype(bool)


def parse_education(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Education as years (a number) or as a level (初中, 高中, 大专, ...) -> years."""
    key = _key(values).str.replace(r"(毕业|文化|程度|肄业)$", "", regex=True)
    blank = is_blank(key)
    years = pd.to_numeric(key.str.replace(r"年$", "", regex=True), errors="coerce")
    years = years.where(years % 1 == 0).astype("Int64")
    years = years.fillna(key.map(EDUCATION_YEARS).astype("Int64"))
    return years, (years.isna() & ~blank).astype(bool)


def parse_sex(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """男/女, M/F, male/female, 1/2 (GB/T 2261.1) -> "M"/"F"."""
    key = _key(values).str.replace(r"\.0$", "", regex=True).str.replace(r"性$", "", regex=True)
    blank = is_blank(key)
    out = key.map({"男": "M", "m": "M", "male": "M", "1": "M", "女": "F", "f": "F",
                   "female": "F", "2": "F"}).astype("string")
    return out, (out.isna() & ~blank).astype(bool)
