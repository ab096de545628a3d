"""County profiles: schema, provenance of every figure, clear errors."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from relapse_models.core.profiles import (
    FALLBACKS,
    ProfileError,
    figure,
    load_profile,
    load_profiles,
)

ROOT = Path(__file__).resolve().parents[1]
COUNTIES = ["shangluo", "anshun", "xunyi", "yeji", "anon_county"]
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="module")
def profiles():
    return load_profiles(ROOT / "config" / "counties", COUNTIES)


def test_all_profiles_valid(profiles):
    assert list(profiles) == COUNTIES


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed reports not available")
def test_every_sentence_is_verbatim_in_its_seed(profiles):
    for cid, p in profiles.items():
        text = (SEEDS / p["source"]["file"]).read_text(encoding="utf-8")
        for section in ("structure", "published", "generator"):
            for key, q in p[section].items():
                if "sentence" in q:
                    assert q["sentence"] in text, f"{cid}.{section}.{key}"


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed reports not available")
def test_published_numbers_appear_in_their_sentence(profiles):
    """A published value is written in its sentence (as is, or in 万)."""
    for cid, p in profiles.items():
        for key, q in p["published"].items():
            v = q["value"]
            if v is None or key in ("public_welfare_jobs",) and q.get("kind") == "target":
                continue
            forms = {f"{v:g}", f"{v / 1e4:g}万"}
            assert any(f in q["sentence"] for f in forms), f"{cid}.{key}={v}"


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


def test_monitoring_line_falls_back_to_default():
    from relapse_models.core.lines import line_for_years, lines_for_province

    def monitoring_line(mon, province, year):
        return float(line_for_years(np.array([year]), lines_for_province(mon, province))[0])

    mon = {"line_by_province_year": {"default": {2021: 6000, "2022": 6600}, "Yunnan": {2024: 8700}}}
    assert monitoring_line(mon, "Yunnan", 2024) == 8700
    assert monitoring_line(mon, "Yunnan", 2021) == 6000
    assert monitoring_line(mon, "Shaanxi", 2022) == 6600
    with pytest.raises(KeyError):
        monitoring_line(mon, "Shaanxi", 2030)
