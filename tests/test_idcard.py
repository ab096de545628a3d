"""GB 11643-1999 check digits, against numbers whose check character is published."""

import numpy as np
import pandas as pd
import pytest

from relapse_models.data.idcard import WEIGHTS, check_char, corrupt_check, is_valid, make_ids


def test_weights_are_the_published_ones():
    assert WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@pytest.mark.parametrize(
    ("number", "check"),
    [
        # the example printed in GB 11643-1999 (Beijing, Chaoyang, born 1949-12-31, a woman)
        ("11010519491231002", "X"),
        # the example of its 1989 predecessor, with its 18-digit upgrade
        ("44052418800101001", "4"),
    ],
)
def test_check_char_of_published_examples(number, check):
    assert check_char(number) == check
    assert is_valid(number + check)


def test_is_valid_rejects_wrong_check_bad_date_and_garbage():
    assert not is_valid("110105194912310021")       # wrong check character
    assert not is_valid("110105194913310026")       # month 13
    assert is_valid("11010519491231002x")            # lower-case x is accepted
    out = is_valid(pd.Series(["11010519491231002X", None, "abc", "1101051949123100"]))
    assert out.tolist() == [True, False, False, False]


def test_make_ids_all_valid_with_parity_and_prefix():
    rng = np.random.default_rng(0)
    male = rng.random(5000) < 0.5
    ids = make_ids(rng, 5000, "611000", birth_years=rng.integers(1940, 2000, 5000), male=male)
    assert is_valid(ids).all()
    assert all(s.startswith("611000") for s in ids)
    parity = np.array([int(s[16]) % 2 == 1 for s in ids])
    assert (parity == male).all()


def test_corrupt_check_always_invalid():
    rng = np.random.default_rng(1)
    ids = make_ids(rng, 2000, "520400")
    bad = corrupt_check(ids)
    assert not is_valid(bad).any()
    assert all(a[:17] == b[:17] for a, b in zip(ids, bad, strict=True))
