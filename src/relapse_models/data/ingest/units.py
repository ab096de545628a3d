"""Units and amounts: exports mix 元 and 万元 (in the header, in a "单位：万元" title line, or
in the cell), thousands separators, full-width digits and accounting negatives. Everything
becomes yuan here, once, so no later step has to guess.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

UNIT_FACTORS: dict[str, float] = {"元": 1.0, "千元": 1_000.0, "万元": 10_000.0, "亿元": 1e8}
"""Multipliers to yuan, keyed by the unit as written."""

FULLWIDTH = str.maketrans(
    {**{chr(0xFF10 + i): str(i) for i in range(10)}, "．": ".", "，": ",", "－": "-", "＋": "+",
     "−": "-", "（": "(", "）": ")", "　": " ", "／": "/", "：": ":", "Ｘ": "X", "ｘ": "x"}
)
"""``str.translate`` table: full-width digits and punctuation (as Chinese input methods type
them) to their ASCII forms, for values and headers alike."""

# a unit in brackets or after 单位 / unit / a slash, e.g. "工资性收入（万元）", "收入/万元", "单位：万元"
_UNIT_RE = re.compile(r"(?:[(（\[【]\s*|(?:单位|unit|units)\s*[:：]?\s*|/\s*)(千元|万元|亿元|元)",
                      re.IGNORECASE)
_BLANK = {"", "nan", "none", "null", "<na>", "nat"}
_ZERO = {"-", "--", "—", "——", "无", "/"}


def to_halfwidth(text: pd.Series) -> pd.Series:
    """Full-width digits and punctuation (common in Chinese input methods) to ASCII."""
    return text.str.translate(FULLWIDTH)


def unit_from_text(text: str) -> float | None:
    """The yuan multiplier a header or title line states (``None`` when it states none)."""
    match = _UNIT_RE.search(str(text).translate(FULLWIDTH))
    return UNIT_FACTORS[match.group(1)] if match else None


def is_blank(values: pd.Series) -> pd.Series:
    """Empty cells, whatever the reader made of them (NaN, "", "nan", "None")."""
    text = values.astype("string").str.strip().str.lower()
    return text.isna() | text.isin(_BLANK)


def parse_amounts(values: pd.Series, factor: float = 1.0) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Amounts to yuan: ``(yuan, bad, resolution)``.

    ``bad`` marks cells that hold something other than a number (blank cells are NaN and
    not bad: the caller decides whether a blank is allowed). ``resolution`` is the yuan value
    of the last written digit (``0.35`` 万元 -> 100 yuan), so consistency checks between
    amounts can allow for the rounding of the source. "-", "—" and "无" mean zero, as in
    Chinese accounting tables; a cell may carry its own unit ("1.2万", "300元").
    """
    text = values.astype("string").str.strip()
    blank = is_blank(text)
    number = pd.to_numeric(text.where(~blank), errors="coerce").astype("float64")
    cell_factor = pd.Series(factor, index=values.index, dtype="float64")
    hard = number.isna() & ~blank
    if hard.any():  # only the cells that are not plain numbers take the slow road
        sub = to_halfwidth(text[hard]).str.replace(r"[\s,¥￥]", "", regex=True)
        zero = sub.isin(_ZERO)
        sub_factor = cell_factor[hard]
        for unit, mult in (("亿元", 1e8), ("万元", 1e4), ("千元", 1e3), ("亿", 1e8),
                           ("万", 1e4), ("元", 1.0)):
            has = sub.str.endswith(unit).fillna(False)
            if has.any():  # a unit in the cell overrides the column's unit
                sub_factor = sub_factor.mask(has, mult)
                sub = sub.mask(has, sub.str.slice(0, -len(unit)))
        accounting = sub.str.fullmatch(r"\([^()]*\)").fillna(False)
        sub = sub.mask(accounting, "-" + sub.str.slice(1, -1))
        parsed = pd.to_numeric(sub.where(~zero & ~sub.isin(["", "+", "-", "."])), errors="coerce")
        number[hard] = parsed.mask(zero, 0.0).astype("float64")
        cell_factor[hard] = sub_factor
        text = text.copy()
        text[hard] = sub
    bad = number.isna() & ~blank
    with np.errstate(over="ignore"):
        scaled = number * cell_factor
    # a number too large to be money (inf, or overflowing once converted to yuan) is unread
    bad = bad | ~np.isfinite(scaled.fillna(0.0))
    yuan = scaled.where(~bad)
    return yuan, bad.astype(bool), _resolution(text, cell_factor)


def _resolution(text: pd.Series, factor: float | pd.Series) -> pd.Series:
    """Yuan value of one unit in the last written decimal place."""
    decimals = text.str.extract(r"\.(\d+)$", expand=False).str.len().fillna(0)
    scientific = text.str.contains("e", case=False, regex=False).fillna(False)
    res = np.power(10.0, -decimals.to_numpy(dtype="float64")) * np.asarray(factor, dtype="float64")
    # a float that a reader wrote out in full (1234.5600000001) carries no rounding to speak of
    res = np.where(scientific.to_numpy() | (decimals.to_numpy() > 6), 0.0, res)
    return pd.Series(res, index=text.index)
