"""Keyed pseudonyms: personal values (names, ID numbers, phones, bank accounts, household
numbers) are replaced at the door by ``HMAC-SHA256(key, kind || value)``.

Why keyed: an unkeyed hash of an 18-digit ID number is reversed by enumerating birth dates
and sequence numbers in minutes; with a secret key it cannot be, yet the same person gets the
same pseudonym in every file and every run (so files link and re-runs are identical).

The key comes from ``RELAPSE_PSEUDONYM_KEY`` (the key itself) or ``RELAPSE_PSEUDONYM_KEY_FILE``
(a path to a file holding it, kept outside the repository), or is passed explicitly. Real data
without a key is an error. Synthetic data may use :data:`DEMO_KEY`, which is published here and
therefore protects nothing: never use it for real exports.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import numpy as np
import pandas as pd

from relapse_models.core.config import PROJECT_ROOT
from relapse_models.data.ingest.units import to_halfwidth

KEY_ENV = "RELAPSE_PSEUDONYM_KEY"
KEY_FILE_ENV = "RELAPSE_PSEUDONYM_KEY_FILE"
DEMO_KEY = b"relapse-models demo key: synthetic data only, never real exports"
"""The documented key for synthetic data. Public, so it protects nothing."""

DIGEST_CHARS = 16
"""Hex characters kept (64 bits): collisions are negligible for millions of households."""

MIN_KEY_BYTES = 16


class PseudonymKeyError(ValueError):
    """No usable pseudonymisation key (message says how to provide one)."""


def load_key(key: str | bytes | os.PathLike[str] | None = None, *, synthetic: bool = False) -> bytes:
    """The pseudonymisation key: ``key`` (bytes, the key text, or a path to a key file),
    else the environment, else :data:`DEMO_KEY` when ``synthetic`` is true.

    A key file inside the project folder is refused (it would end up in version control).
    """
    if key is None:
        if os.environ.get(KEY_ENV):
            key = os.environ[KEY_ENV]
        elif os.environ.get(KEY_FILE_ENV):
            key = Path(os.environ[KEY_FILE_ENV])
        elif synthetic:
            return DEMO_KEY
        else:
            raise PseudonymKeyError(
                f"no pseudonymisation key: set {KEY_ENV} to a secret of at least "
                f"{MIN_KEY_BYTES} characters, or {KEY_FILE_ENV} to a file outside the "
                "repository that holds one (e.g. `openssl rand -hex 32 > ~/.relapse_key`). "
                "Synthetic data may use the demo key (--synthetic)."
            )
    if isinstance(key, os.PathLike) or (isinstance(key, str) and Path(key).is_file()):
        path = Path(key).resolve()
        if path.is_relative_to(PROJECT_ROOT):
            raise PseudonymKeyError(f"key file {path} is inside the project folder; keep it outside")
        if not path.is_file():
            raise PseudonymKeyError(f"key file {path} does not exist")
        key = path.read_bytes().strip()
    raw = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    if len(raw) < MIN_KEY_BYTES:
        raise PseudonymKeyError(f"pseudonymisation key is too short: use at least {MIN_KEY_BYTES} bytes")
    return raw


def normalise(values: pd.Series, kind: str) -> pd.Series:
    """The form that is hashed: same person, same pseudonym, whatever the typing habits
    (full-width digits, spaces, lower-case x, +86 and dashes in phone numbers)."""
    text = to_halfwidth(values.astype("string")).str.strip().str.replace(r"\s+", "", regex=True)
    if kind in ("id_number", "household_id"):
        text = text.str.upper()
    if kind == "phone":
        text = text.str.replace(r"\D", "", regex=True).str.replace(r"^86(?=1\d{10}$)", "", regex=True)
    if kind == "bank_account":
        text = text.str.replace(r"\D", "", regex=True)
    return text


def pseudonymize(values: pd.Series, key: bytes, kind: str) -> pd.Series:
    """``HMAC-SHA256(key, kind + ":" + value)`` as 16 hex characters; blanks stay missing.

    ``kind`` separates domains, so a phone number and an ID number with the same digits do
    not collide. Hashing runs once per distinct value (a household's 16 quarters cost one).
    """
    text = normalise(values, kind)
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    prefix = f"{kind}:".encode()
    digests = np.array(
        [hmac.digest(key, prefix + u.encode("utf-8"), hashlib.sha256).hex()[:DIGEST_CHARS]
         for u in uniques],
        dtype=object,
    )
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    known = codes >= 0
    out[known] = digests[codes[known]] if len(digests) else []
    return out.mask(text.eq("").fillna(False))


def mask(values: pd.Series) -> pd.Series:
    """What a quarantine line shows of a personal value: its length only, never characters."""
    text = values.astype("string").str.strip()
    return ("<masked, " + text.str.len().astype("string") + " characters>").fillna("")
