"""Generated place names for synthetic towns and villages."""

import re

import pytest

from relapse_models.report.places import FIRST, SECOND, place_names, synthetic_names


def test_names_are_chinese_distinct_and_deterministic():
    ids = [f"shangluo-t{i:03d}" for i in range(40)]
    names = synthetic_names(ids)
    assert set(names) == set(ids)
    assert len(set(names.values())) == len(ids)
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2}镇", n) for n in names.values())
    assert synthetic_names(list(reversed(ids))) == names  # order of the ids does not matter
    villages = synthetic_names(ids, "village")
    assert all(n.endswith("村") for n in villages.values())


def test_english_names_are_the_pinyin_of_the_same_characters():
    ids = ["a", "b", "c"]
    zh, en = synthetic_names(ids), synthetic_names(ids, language="en")
    for key in ids:
        first, second = zh[key][0], zh[key][1]
        assert en[key] == f"{FIRST[first].capitalize()}{SECOND[second]} Town"
        assert en[key].isascii()


def test_real_data_keep_the_exports_names():
    assert place_names(["城关镇", "石门镇"], synthetic=False) == {"城关镇": "城关镇",
                                                                   "石门镇": "石门镇"}
    assert place_names(["x"], synthetic=True)["x"].endswith("镇")


def test_too_many_places_or_a_bad_kind_are_refused():
    with pytest.raises(ValueError, match="kind"):
        synthetic_names(["a"], "county")
    with pytest.raises(ValueError, match="names available"):
        synthetic_names(range(len(FIRST) * len(SECOND) + 1))
