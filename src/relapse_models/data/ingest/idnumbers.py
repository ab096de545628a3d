"""ID numbers (GB 11643-1999) before they are dropped: check digit and plausible birth date,
and the two facts the models need from them, the holder's age and sex.

Age is the age reached in a reference year (``year - birth year``): exports record a household
once per quarter, and a head's age that changed with every birthday would make the static
household table disagree with itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relapse_models.data import idcard
from relapse_models.data.ingest.units import to_halfwidth

OLDEST_BIRTH_YEAR = 1900


def check_ids(values: pd.Series, reference_year: int) -> tuple[pd.Series, pd.Series]:
    """Rule broken by each ID number (``""`` when none) and the cleaned numbers.

    Rules: ``id_format`` (not 18 characters of digits and a final digit or X; includes numbers
    an Excel cell stored as a float and rounded), ``id_check_digit`` (GB 11643 MOD 11-2),
    ``id_birth_date`` (no such date, or born after ``reference_year`` or before 1900).
    """
    text = to_halfwidth(values.astype("string")).str.strip().str.replace(r"\s+", "", regex=True)
    text = text.str.upper()
    form = text.str.fullmatch(r"\d{17}[\dX]").fillna(False).to_numpy(dtype=bool)
    valid = np.asarray(idcard.is_valid(text.fillna("")), dtype=bool)
    birth = pd.to_datetime(text.str.slice(6, 14), format="%Y%m%d", errors="coerce")
    year = birth.dt.year
    plausible = year.between(OLDEST_BIRTH_YEAR, reference_year).to_numpy(dtype=bool)
    digit_ok = valid | (form & birth.isna().to_numpy())  # is_valid also fails impossible dates
    rule = np.where(
        ~form, "id_format",
        np.where(~digit_ok, "id_check_digit", np.where(~plausible, "id_birth_date", "")),
    )
    # a correct check digit over an impossible date: report the date, not the digit
    rule = np.where(form & ~valid & birth.isna().to_numpy(), "id_birth_date", rule)
    return pd.Series(rule, index=values.index), text


def age_sex(ids: pd.Series, reference_year: int | pd.Series) -> tuple[pd.Series, pd.Series]:
    """Age reached in ``reference_year`` and sex ("M" odd / "F" even 17th digit) from valid
    18-character ID numbers (others give missing values)."""
    birth_year = pd.to_numeric(ids.str.slice(6, 10), errors="coerce")
    age = (pd.Series(reference_year, index=ids.index) - birth_year).astype("Int64")
    digit = pd.to_numeric(ids.str.slice(16, 17), errors="coerce").astype("float64").to_numpy()
    sex = pd.Series(np.where(digit % 2 == 1, "M", "F"), index=ids.index, dtype="string")
    return age, sex.where(~np.isnan(digit))
