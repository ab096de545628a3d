"""Config loading: defaults filled from the schema, bad keys refused with their name."""

import pytest

from relapse_models.config import (
    ConfigError,
    config_hash,
    county_seed,
    load_config,
    merge,
    parse_quarter,
    validate_config,
)


def test_default_config_is_valid_and_complete():
    config = load_config()
    assert config["simulate"]["scale"] > 0
    assert config["report"]["min_cell"] == 5
    assert set(config["counties"]) == {"shangluo", "anshun", "xunyi", "yeji", "anon_county"}


def test_defaults_fill_missing_sections():
    config = validate_config({"counties": ["shangluo"]})
    assert config["monitoring"]["horizon_quarters"] == 4
    assert config["data"]["source"] == "synthetic"
    assert config["capacity"]["visits_per_worker_per_month"] == 30


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"simulate": {"scael": 1.0}}, "scael"),
        ({"simulate": {"scale": -1}}, "simulate.scale"),
        ({"report": {"language": "fr"}}, "report.language"),
        ({"counties": ["Bad County"]}, "counties.0"),
        ({"seeed": 1}, "seeed"),
        ({"simulate": {"start": "2024Q1", "end": "2021Q4"}}, "simulate.start"),
    ],
)
def test_bad_values_are_refused_naming_the_key(override, named):
    with pytest.raises(ConfigError, match=named):
        load_config(overrides=override)


def test_merge_is_recursive_and_does_not_mutate():
    base = {"a": {"b": 1, "c": 2}, "d": 3}
    merged = merge(base, {"a": {"b": 10}})
    assert merged == {"a": {"b": 10, "c": 2}, "d": 3}
    assert base["a"]["b"] == 1


def test_parse_quarter():
    assert parse_quarter("2021Q3") == (2021, 3)
    assert parse_quarter("2024q1") == (2024, 1)


def test_config_hash_ignores_key_order_but_not_values():
    assert config_hash({"a": 1, "b": 2}) == config_hash({"b": 2, "a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})


def test_county_seed_is_stable_and_county_specific():
    assert county_seed(1, "shangluo") == county_seed(1, "shangluo")
    assert county_seed(1, "shangluo") != county_seed(1, "anshun")
    assert county_seed(1, "shangluo") != county_seed(2, "shangluo")
    assert 0 <= county_seed(2**40, "x") < 2**32


def test_from_json_overlays_sections_on_the_file():
    import json

    from relapse_models.config import from_json

    config = from_json(json.dumps({"report": {"language": "en"}}))
    assert config["report"] == {"language": "en", "min_cell": 5}
    assert config["simulate"]["scale"] == load_config()["simulate"]["scale"]
    assert from_json("") == load_config()
    with pytest.raises(ConfigError, match="JSON"):
        from_json("{not json")


def test_json_sections_replace_yaml_years_instead_of_doubling_them():
    import json

    from relapse_models.config import from_json

    sections = json.dumps({"monitoring": {"line_by_province_year": {"default": {2021: 6100}}}})
    lines = from_json(sections)["monitoring"]["line_by_province_year"]["default"]
    assert lines[2021] == 6100
    assert all(isinstance(year, int) for year in lines)
    assert config_hash(from_json(sections)) == config_hash(from_json(sections))
