"""County profiles: schema, provenance of every figure, clear errors."""

import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from relapse_models.core.profiles import (
    FALLBACKS,
    SOURCES_ENV,
    ProfileError,
    check_sources,
    figure,
    load_profile,
    load_profiles,
    validate_profile,
)

ROOT = Path(__file__).resolve().parents[1]
COUNTIES = ["shangluo", "anshun", "xunyi", "yeji", "anon_county"]
# the source texts are not in the repository: RELAPSE_SOURCES_DIR, else the shared folder beside it
SEEDS = Path(os.environ.get(SOURCES_ENV) or ROOT.parent / "shared" / "seeds")
EVERY_PROFILE = sorted((ROOT / "config" / "counties").glob("*.yaml"))


@pytest.fixture(scope="module")
def profiles():
    return load_profiles(ROOT / "config" / "counties", COUNTIES)


def test_all_profiles_valid(profiles):
    assert list(profiles) == COUNTIES


@pytest.mark.skipif(not SEEDS.is_dir(), reason="source texts not available")
@pytest.mark.parametrize("path", EVERY_PROFILE, ids=lambda p: p.stem)
def test_every_sentence_is_verbatim_in_its_source(path):
    """Every profile, not only the seeds: its sentences are checked when its text is at hand;
    a profile without a text says so (source.no_text)."""
    result = check_sources(load_profile(path), SEEDS)
    assert result["status"] in ("verified", "no_text"), result
    if result["status"] == "no_text":
        assert result["reason"]


@pytest.mark.skipif(not SEEDS.is_dir(), reason="source texts not available")
@pytest.mark.parametrize("path", EVERY_PROFILE, ids=lambda p: p.stem)
def test_published_numbers_appear_in_their_sentence(path):
    """A published value is written in its sentence (as is, or in 万)."""
    p = load_profile(path)
    for key, q in p["published"].items():
        v = q["value"]
        if v is None or key in ("public_welfare_jobs",) and q.get("kind") == "target":
            continue
        forms = {f"{v:g}", f"{v / 1e4:g}万"}
        assert any(f in q["sentence"] for f in forms), f"{p['county_id']}.{key}={v}"


def test_check_sources_finds_a_misquoted_sentence(tmp_path, profiles):
    profile = yaml.safe_load(yaml.safe_dump(profiles["shangluo"]))
    text = "\n".join(q["sentence"] for s in ("structure", "published", "generator")
                     for q in profile[s].values() if "sentence" in q)
    (tmp_path / profile["source"]["file"]).write_text(text, encoding="utf-8")
    assert check_sources(profile, tmp_path)["status"] == "verified"
    profile["published"]["income_per_capita"]["sentence"] = "全市脱贫人口人均纯收入15250元"
    with pytest.raises(ProfileError, match=r"published\.income_per_capita"):
        check_sources(profile, tmp_path)


def test_check_sources_says_when_nothing_could_be_checked(tmp_path, profiles):
    profile = yaml.safe_load(yaml.safe_dump(profiles["yeji"]))
    assert check_sources(profile, None)["status"] == "not_at_hand"
    assert check_sources(profile, tmp_path)["status"] == "not_at_hand"
    profile["source"]["file"] = None
    with pytest.raises(ProfileError, match="no_text"):
        validate_profile(profile, "yeji.yaml")
    profile["source"]["no_text"] = "read from a printed bulletin"
    validate_profile(profile, "yeji.yaml")
    assert check_sources(profile, tmp_path) == {
        "file": None, "sentences": check_sources(profiles["yeji"], None)["sentences"],
        "status": "no_text", "reason": "read from a printed bulletin"}


def test_unknown_disaster_type_is_rejected(profiles):
    bad = yaml.safe_load(yaml.safe_dump(profiles["anshun"]))
    bad["generator"]["disaster_types"]["value"]["volcano"] = 0.1
    with pytest.raises(ProfileError, match=r"unknown type\(s\) \['volcano'\].*地震"):
        validate_profile(bad, "anshun.yaml")
    bad["generator"]["disaster_types"]["value"] = {"earthquake": 0.5, "flood": 0.5}
    validate_profile(bad, "anshun.yaml")


def test_shangluo_elimination_rate_is_on_persons(profiles):
    pub = profiles["shangluo"]["published"]
    on_persons = 100 * pub["eliminated_persons"]["value"] / pub["monitoring_persons_cumulative"]["value"]
    assert abs(on_persons - pub["elimination_rate"]["value"]) < 0.05


def test_every_needed_figure_has_a_value_or_fallback(profiles):
    for p in profiles.values():
        for name in FALLBACKS:
            assert figure(p, name) is not None


def _write(tmp_path, profile, name=None):
    path = tmp_path / f"{name or profile['county_id']}.yaml"
    path.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    return path


def test_error_names_file_and_key(tmp_path, profiles):
    bad = yaml.safe_load(yaml.safe_dump(profiles["yeji"]))
    bad["published"]["income_per_capita"]["value"] = "lots"
    path = _write(tmp_path, bad)
    with pytest.raises(ProfileError, match=r"yeji\.yaml: published\.income_per_capita\.value"):
        load_profile(path)


def test_assumed_without_reason_is_rejected(tmp_path, profiles):
    bad = yaml.safe_load(yaml.safe_dump(profiles["anshun"]))
    del bad["structure"]["households"]["reason"]
    with pytest.raises(ProfileError, match="structure.households"):
        load_profile(_write(tmp_path, bad))


def test_missing_fallback_is_rejected(tmp_path, profiles):
    bad = yaml.safe_load(yaml.safe_dump(profiles["xunyi"]))
    del bad["generator"]["income_per_capita"]
    with pytest.raises(ProfileError, match="generator.income_per_capita: required"):
        load_profile(_write(tmp_path, bad))


def test_file_stem_must_match_county_id(tmp_path, profiles):
    with pytest.raises(ProfileError, match="differs from the file name"):
        load_profile(_write(tmp_path, profiles["yeji"], name="other"))


def test_missing_file(tmp_path):
    with pytest.raises(ProfileError, match="not found"):
        load_profile(tmp_path / "nowhere.yaml")


def test_monitoring_line_of_a_profile_province():
    from relapse_models.core.lines import line_for_years, lines_for_province

    def monitoring_line(mon, province, year):
        return float(line_for_years(np.array([year]), lines_for_province(mon, province))[0])

    mon = {"line_by_province_year": {"national_assumed": {2021: 6000, "2022": 6600},
                                     "Yunnan": {2024: 8700}},
           "default_line": "national_assumed"}
    assert monitoring_line(mon, "Yunnan", 2024) == 8700
    assert monitoring_line(mon, "Shaanxi", 2022) == 6600
    with pytest.raises(KeyError):
        monitoring_line(mon, "Yunnan", 2021)   # a province's entry is not patched from the default


def test_sources_dir_comes_from_the_environment(monkeypatch, tmp_path):
    from relapse_models.core.profiles import sources_dir

    monkeypatch.delenv(SOURCES_ENV, raising=False)
    assert sources_dir() is None
    monkeypatch.setenv(SOURCES_ENV, str(tmp_path))
    assert sources_dir() == tmp_path
