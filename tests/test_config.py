"""Config loading: defaults filled from the schema, bad keys refused with their name."""

import re
import subprocess
import sys

import pytest

from relapse_models.core.config import (
    PROJECT_ROOT,
    ConfigError,
    check_profiles,
    config_hash,
    load_config,
    merge,
    stage_seed,
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


# Each invalid config, and the key its refusal must name. Values are the kind of mistake a
# researcher makes editing YAML: typos, wrong types, out-of-range numbers, impossible ranges.
INVALID_CONFIGS = [
    ("unknown top-level key", {"seeed": 1}, "seeed"),
    ("unknown nested key", {"simulate": {"scael": 1.0}}, "scael"),
    ("seed as text", {"seed": "abc"}, "seed"),
    ("seed as boolean", {"seed": True}, "seed"),
    ("negative seed", {"seed": -1}, "seed"),
    ("scale negative", {"simulate": {"scale": -1}}, "simulate.scale"),
    ("scale zero", {"simulate": {"scale": 0}}, "simulate.scale"),
    ("scale too large", {"simulate": {"scale": 11}}, "simulate.scale"),
    ("scale as text", {"simulate": {"scale": "big"}}, "simulate.scale"),
    ("section not a mapping", {"simulate": [0.1]}, "simulate"),
    ("no counties", {"counties": []}, "counties"),
    ("county listed twice", {"counties": ["xunyi", "xunyi"]}, "counties"),
    ("county id with a space", {"counties": ["Bad County"]}, "counties.0"),
    ("county id a number", {"counties": [1]}, "counties.0"),
    ("county id in Chinese", {"counties": ["旬邑"]}, "counties.0"),
    ("profiles_dir not text", {"profiles_dir": 3}, "profiles_dir"),
    ("unknown data source", {"data": {"source": "database"}}, "data.source"),
    ("export list not a list", {"data": {"files": {"xunyi": "a.csv"}}}, "data.files.xunyi"),
    ("files source without exports", {"data": {"source": "files"}}, "data.files"),
    ("quarter malformed", {"simulate": {"start": "2021-Q1"}}, "simulate.start"),
    ("quarter 5", {"simulate": {"end": "2025Q5"}}, "simulate.end"),
    ("start after end", {"simulate": {"start": "2024Q1", "end": "2021Q4"}}, "simulate.start"),
    ("unknown mode", {"simulate": {"mode": "random"}}, "simulate.mode"),
    ("messy not boolean", {"simulate": {"messy": "yes"}}, "simulate.messy"),
    ("line negative", {"monitoring": {"line_by_province_year": {"Shaanxi": {2021: -1}}}},
     "monitoring.line_by_province_year.Shaanxi.2021"),
    ("line year not a year", {"monitoring": {"line_by_province_year": {"Shaanxi": {"x": 1}}}},
     "monitoring.line_by_province_year.Shaanxi"),
    ("default line not in the table", {"monitoring": {"default_line": "nowhere"}},
     "monitoring.default_line"),
    ("published year without a line", {"monitoring": {"line_published": {"Yunnan": [2019]}}},
     "monitoring.line_published.Yunnan"),
    ("horizon zero", {"monitoring": {"horizon_quarters": 0}}, "monitoring.horizon_quarters"),
    ("horizon fractional", {"monitoring": {"horizon_quarters": 1.5}},
     "monitoring.horizon_quarters"),
    ("edge multiple below 1", {"monitoring": {"edge_multiple": 0.5}}, "monitoring.edge_multiple"),
    ("CHE share above 1", {"features": {"che_share": 1.5}}, "features.che_share"),
    ("unknown CHE basis", {"features": {"che_basis": "wealth"}}, "features.che_basis"),
    ("income drop above 1", {"rule": {"income_drop": 2}}, "rule.income_drop"),
    ("unknown model", {"models": {"names": ["rule", "xgboost"]}}, "models.names.1"),
    ("no model", {"models": {"names": []}}, "models.names"),
    ("negative bootstrap", {"models": {"bootstrap": -1}}, "models.bootstrap"),
    ("training year after the data", {"models": {"train_until_year": 2025}},
     "models.train_until_year"),
    ("training year before the data", {"models": {"train_until_year": 2019}},
     "models.train_until_year"),
    ("zero capacity", {"capacity": {"visits_per_worker_per_month": 0}},
     "capacity.visits_per_worker_per_month"),
    ("decision probability 1", {"thresholds": {"decision_max_probability": 1}},
     "thresholds.decision_max_probability"),
    ("two tier ratios", {"thresholds": {"tier_ratios": [1, 2]}}, "thresholds.tier_ratios"),
    ("tiers in the wrong order",
     {"thresholds": {"official_tier_min_triggers": {"red": 1, "yellow": 2, "blue": 3}}},
     "thresholds.official_tier_min_triggers"),
    ("five triggers", {"thresholds": {"official_tier_min_triggers": {"red": 5}}},
     "thresholds.official_tier_min_triggers.red"),
    ("unknown language", {"report": {"language": "fr"}}, "report.language"),
    ("min cell zero", {"report": {"min_cell": 0}}, "report.min_cell"),
]


@pytest.mark.parametrize(
    ("override", "named"), [c[1:] for c in INVALID_CONFIGS], ids=[c[0] for c in INVALID_CONFIGS]
)
def test_bad_values_are_refused_naming_the_key(override, named):
    with pytest.raises(ConfigError, match=re.escape(named)):
        load_config(overrides=override)


def test_every_error_is_listed_at_once():
    with pytest.raises(ConfigError) as err:
        load_config(overrides={"seed": "x", "report": {"language": "fr"}})
    assert "seed" in str(err.value) and "report.language" in str(err.value)


def test_an_empty_line_table_is_refused():
    with pytest.raises(ConfigError, match="monitoring.line_by_province_year"):
        validate_config({"monitoring": {"line_by_province_year": {}}})


def test_a_config_that_is_not_a_mapping_is_refused():
    with pytest.raises(ConfigError, match="<top level>"):
        validate_config(["seed", 1])


def test_files_source_with_an_export_per_county_is_accepted():
    config = validate_config(
        {"counties": ["xunyi"], "data": {"source": "files", "files": {"xunyi": ["a.csv"]}}}
    )
    assert config["data"]["files"] == {"xunyi": ["a.csv"]}


def test_missing_profile_is_refused_naming_the_county(tmp_path):
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "xunyi.yaml").write_text("county_id: xunyi\n")
    config = validate_config({"counties": ["xunyi", "nowhere"], "profiles_dir": "profiles"})
    with pytest.raises(ConfigError, match=r"counties: no profile for \['nowhere'\]"):
        check_profiles(config, tmp_path)
    check_profiles({**config, "counties": ["xunyi"]}, tmp_path)  # present: no error


def test_default_config_has_every_profile():
    check_profiles(load_config(), PROJECT_ROOT)


def test_jsonschema_is_imported_without_the_iri_grammar():
    """The per-job start-up saving: the rfc3987 grammar (~2 s) is never built."""
    code = (
        "import sys, relapse_models.core.config as c; c.load_config(); "
        "import jsonschema; print('rfc3987_syntax' in sys.modules "
        "and sys.modules['rfc3987_syntax'] is not None)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_merge_is_recursive_and_does_not_mutate():
    base = {"a": {"b": 1, "c": 2}, "d": 3}
    merged = merge(base, {"a": {"b": 10}})
    assert merged == {"a": {"b": 10, "c": 2}, "d": 3}
    assert base["a"]["b"] == 1


def test_config_hash_ignores_key_order_but_not_values():
    assert config_hash({"a": 1, "b": 2}) == config_hash({"b": 2, "a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})


def test_stage_seed_is_stable_and_specific_to_stage_and_county():
    assert stage_seed(1, "simulate", "shangluo") == stage_seed(1, "simulate", "shangluo")
    assert stage_seed(1, "simulate", "shangluo") != stage_seed(1, "simulate", "anshun")
    assert stage_seed(1, "simulate", "shangluo") != stage_seed(2, "simulate", "shangluo")
    assert stage_seed(1, "simulate", "shangluo") != stage_seed(1, "thresholds", "shangluo")
    assert stage_seed(1, "fit") != stage_seed(1, "fit", "shangluo")
    assert 0 <= stage_seed(2**40, "x") < 2**31


def test_a_job_sees_only_the_sections_it_was_given(tmp_path, monkeypatch):
    """No section comes from config/config.yaml or a default: a job that reads a section its
    rule did not pass stops, naming the section."""
    import json

    from relapse_models.core.config import from_json

    monkeypatch.chdir(tmp_path)  # a project whose file says otherwise is not read
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text("report: {language: zh}\n", "utf-8")
    config = from_json(json.dumps({"report": {"language": "en"}}))
    assert config == {"report": {"language": "en", "min_cell": 5}}  # keys filled in the section
    with pytest.raises(ConfigError, match="not given the config section 'data'"):
        config["data"]
    with pytest.raises(ConfigError, match="JSON"):
        from_json("{not json")
    with pytest.raises(ConfigError, match=r"report.min_cell"):
        from_json(json.dumps({"report": {"min_cell": 0}}))


def test_a_notebook_opened_by_hand_sees_its_projects_config(tmp_path, monkeypatch):
    from relapse_models.core.config import from_json

    assert from_json("") == load_config()  # in the repository
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text("report: {language: en}\n", "utf-8")
    assert from_json("")["report"]["language"] == "en"
    assert from_json("")["seed"] == load_config()["seed"]  # the rest at the schema's defaults


def test_json_sections_replace_yaml_years_instead_of_doubling_them():
    import json

    from relapse_models.core.config import from_json

    monitoring = {"line_by_province_year": {"default": {2021: 6100}}, "line_published": {}}
    sections = json.dumps({"monitoring": monitoring})
    lines = from_json(sections)["monitoring"]["line_by_province_year"]["default"]
    assert lines[2021] == 6100
    assert all(isinstance(year, int) for year in lines)
    assert config_hash(from_json(sections)) == config_hash(from_json(sections))


def test_read_yaml_parses_as_pyyaml_safe_load_does():
    """libyaml (when present) reads every shipped profile and the config as the reference
    pure-Python safe loader does."""
    import yaml

    from relapse_models.core.config import PROJECT_ROOT, read_yaml

    files = [PROJECT_ROOT / "config" / "config.yaml",
             *sorted((PROJECT_ROOT / "config" / "counties").glob("*.yaml"))]
    assert len(files) > 5
    for path in files:
        assert read_yaml(path) == yaml.safe_load(path.read_text(encoding="utf-8")), path


def test_read_yaml_key_gives_the_value_a_full_read_gives(tmp_path):
    """The one-key reader of the monitoring-line check agrees with a full safe load: quoted,
    repeated, aliased, merged, nested, absent keys and an empty file."""
    import yaml

    from relapse_models.core.config import PROJECT_ROOT, read_yaml_key

    texts = {
        "plain": "a: 1\nprovince_en: Shaanxi\n",
        "quoted": "'province_en': \"Henan\"\n",
        "repeated": "province_en: A\nprovince_en: B\n",
        "aliased": "p: &p Yunnan\nprovince_en: *p\n",
        "merged": "base: &b {province_en: X}\n<<: *b\n",
        "nested": "province_en: {a: [1, 2]}\n",
        "absent": "a: 1\n",
        "empty": "",
    }
    files = [*sorted((PROJECT_ROOT / "config" / "counties").glob("*.yaml"))]
    for name, text in texts.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
        files.append(tmp_path / f"{name}.yaml")
    for path in files:
        expected = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("province_en")
        assert read_yaml_key(path, "province_en") == expected, path
