"""Citizen ID numbers (公民身份号码) per GB 11643-1999: check digit, validation, fake numbers.

An 18-character number is 6 digits of address code, 8 of birth date (YYYYMMDD), 3 of
sequence (odd for men, even for women) and one check character computed by ISO 7064 MOD 11-2:
``sum(d_i * W_i) mod 11`` with ``W_i = 2**(17 - i) mod 11`` mapped through ``"10X98765432"``.

The synthetic exports need numbers that *look* real and pass the checksum (so the cleaning step
can tell a typo from a valid number) without being anyone's: fake numbers use the county's
address code prefix and random birth dates and sequences, so they are structurally valid but
assigned to nobody we know of. The cleaning step reuses :func:`is_valid` on whole columns.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

WEIGHTS: tuple[int, ...] = tuple(pow(2, 17 - i, 11) for i in range(17))
"""Weights of the 17 body digits: 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2."""

CHECK_CHARS = "10X98765432"
"""Check character for ``sum mod 11`` = 0, 1, ..., 10."""

_PATTERN = re.compile(r"^\d{17}[\dX]$")


def check_char(body: str) -> str:
    """Check character for a 17-digit body (raises ``ValueError`` on anything else)."""
    if len(body) != 17 or not body.isdigit():
        raise ValueError(f"an ID body is 17 digits, got {body!r}")
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


def _check_chars(bodies: np.ndarray) -> np.ndarray:
    """Vectorised check characters for an array of 17-digit strings."""
    codes = np.frombuffer("".join(bodies).encode("ascii"), dtype=np.uint8).reshape(-1, 17)
    total = ((codes.astype(np.int64) - 48) * np.asarray(WEIGHTS, dtype=np.int64)).sum(axis=1)
    return np.asarray(list(CHECK_CHARS))[total % 11]


def is_valid(ids: pd.Series | np.ndarray | list | str) -> np.ndarray | bool:
    """Whether each value is a well-formed 18-character ID with a correct check character and a
    real calendar birth date. Accepts a lower-case ``x``; missing values are invalid.

    A scalar string gives a ``bool``; anything else a boolean array aligned with the input.
    """
    scalar = isinstance(ids, str)
    values = pd.Series([ids] if scalar else list(ids) if not isinstance(ids, pd.Series) else ids)
    text = values.astype("string").str.strip().str.upper()
    form = text.str.match(_PATTERN.pattern).fillna(False).to_numpy(dtype=bool)
    out = np.zeros(len(text), dtype=bool)
    if form.any():
        good = text[form].to_numpy(dtype=str)
        checks = _check_chars(np.array([s[:17] for s in good]))
        last = np.array([s[17] for s in good])
        born = pd.to_datetime(pd.Series([s[6:14] for s in good]), format="%Y%m%d", errors="coerce")
        out[np.flatnonzero(form)] = (checks == last) & born.notna().to_numpy()
    return bool(out[0]) if scalar else out


def make_ids(
    rng: np.random.Generator,
    n: int,
    area_code: str,
    birth_years: np.ndarray | None = None,
    male: np.ndarray | None = None,
) -> np.ndarray:
    """``n`` fake but checksum-valid ID numbers with address prefix ``area_code`` (6 digits).

    ``birth_years`` (length ``n``) fixes the birth year (e.g. from the head's age); ``male``
    sets the parity of the sequence digit. Day of year and sequence are random.
    """
    if len(area_code) != 6 or not area_code.isdigit():
        raise ValueError(f"area_code must be 6 digits, got {area_code!r}")
    years = (
        np.asarray(birth_years, dtype=np.int64)
        if birth_years is not None
        else rng.integers(1940, 2005, n)
    )
    days = rng.integers(0, 365, n)
    dates = (
        pd.to_datetime(pd.Series(years.astype(str)), format="%Y")
        + pd.to_timedelta(days, unit="D")
    ).dt.strftime("%Y%m%d").to_numpy(dtype=str)
    seq = rng.integers(0, 500, n) * 2 + 1  # odd: 1..999
    if male is not None:
        seq = np.where(np.asarray(male, dtype=bool), seq, seq - 1)
    bodies = np.char.add(np.char.add(area_code, dates), np.char.zfill(seq.astype(str), 3))
    return np.char.add(bodies, _check_chars(bodies))


def corrupt_check(ids: np.ndarray) -> np.ndarray:
    """The same IDs with a *wrong* check character (used to inject defects)."""
    ids = np.asarray(ids, dtype=str)
    right = np.array([CHECK_CHARS.index(s[17]) for s in ids])
    wrong = np.asarray(list(CHECK_CHARS))[(right + 1 + np.arange(len(ids)) % 10) % 11]
    return np.char.add(np.array([s[:17] for s in ids]), wrong)
