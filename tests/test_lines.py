"""Monitoring lines by province: published or assumed, refused when a province has none."""

import re
import shutil

import pytest
import yaml

from relapse_models.core.config import (
    PROJECT_ROOT,
    ConfigError,
    check_lines,
    load_config,
    load_schema,
    validate_config,
)
from relapse_models.core.lines import MonitoringLineError, line_provenance, lines_for_province

DOMAIN_FIGURES = {("Liaoning", 2022): 7260, ("Henan", 2023): 7500, ("Yunnan", 2024): 8700}
"""Provincial lines stated as public figures (docs/monitoring_lines.md)."""


@pytest.fixture(scope="module")
def monitoring():
    return load_config()["monitoring"]


def test_every_public_figure_is_in_the_config_and_marked_published(monitoring):
    for (province, year), value in DOMAIN_FIGURES.items():
        assert lines_for_province(monitoring, province)[year] == value
        assert line_provenance(monitoring, province)[year] == "published"
    published = {(p, int(y)) for p, ys in monitoring["line_published"].items() for y in ys}
    assert published == set(DOMAIN_FIGURES)


def test_other_years_are_assumed(monitoring):
    prov = line_provenance(monitoring, "Yunnan")
    assert prov[2021] == prov[2025] == "assumed"
    assert set(line_provenance(monitoring, "Shaanxi").values()) == {"assumed"}


def test_extrapolation_is_seven_percent_a_year_from_the_published_year(monitoring):
    for (province, year), value in DOMAIN_FIGURES.items():
        for y, line in lines_for_province(monitoring, province).items():
            if province == "Liaoning" and y == 2021:
                assert line == round(7260 / 1.10)  # from the stated 10 % rise
            else:
                assert line == round(value * 1.07 ** (y - year) / 10) * 10


def test_docs_table_agrees_with_the_config(monitoring):
    text = (PROJECT_ROOT / "docs" / "monitoring_lines.md").read_text(encoding="utf-8")
    for entry in ("national_assumed", "Liaoning", "Henan", "Yunnan"):
        row = re.search(rf"^\| {entry} \|(.*)\|$", text, re.M).group(1)
        values = [int(v.strip(" *")) for v in row.split("|")]
        assert values == [int(v) for v in lines_for_province(monitoring, entry).values()], entry


def test_schema_default_is_the_config_table(monitoring):
    props = load_schema()["properties"]["monitoring"]["properties"]
    as_int = {p: {int(y): v for y, v in ys.items()} for p, ys in monitoring["line_by_province_year"].items()}
    assert props["line_by_province_year"]["default"] == as_int
    assert props["line_published"]["default"] == monitoring["line_published"]


def test_a_province_without_a_line_is_refused_naming_county_and_province(monitoring):
    with pytest.raises(MonitoringLineError, match=r"county 'lijiang' is in province 'Sichuan'"):
        lines_for_province(monitoring, "Sichuan", "lijiang")


def test_a_named_default_is_used_only_when_opted_into(monitoring):
    opted = {**monitoring, "default_line": "national_assumed"}
    assert lines_for_province(opted, "Sichuan") == lines_for_province(monitoring, "national_assumed")
    assert set(line_provenance(opted, "Sichuan").values()) == {"default"}
    assert line_provenance(opted, "Yunnan")[2024] == "published"  # own entries still win


def _project_with(tmp_path, province):
    profiles = tmp_path / "config" / "counties"
    profiles.mkdir(parents=True)
    profile = yaml.safe_load((PROJECT_ROOT / "config/counties/xunyi.yaml").read_text(encoding="utf-8"))
    profile.update(county_id="lijiang", province_en=province)
    (profiles / "lijiang.yaml").write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    shutil.copy(PROJECT_ROOT / "config/counties/xunyi.yaml", profiles / "xunyi.yaml")
    return tmp_path


def test_check_lines_refuses_before_any_job(tmp_path):
    root = _project_with(tmp_path, "Sichuan")
    config = validate_config({"counties": ["xunyi", "lijiang"], "profiles_dir": "config/counties"})
    with pytest.raises(ConfigError, match=r"county 'lijiang' is in province 'Sichuan'") as err:
        check_lines(config, root)
    assert "xunyi" not in str(err.value)
    opted = validate_config({**config, "monitoring": {"default_line": "national_assumed"}})
    check_lines(opted, root)  # opted in: accepted


def test_check_lines_names_a_simulated_year_without_a_line(tmp_path):
    root = _project_with(tmp_path, "Shaanxi")
    config = validate_config({"counties": ["lijiang"], "profiles_dir": "config/counties",
                              "simulate": {"end": "2026Q4"},
                              "models": {"train_until_year": 2023}})
    with pytest.raises(ConfigError, match=r"'lijiang' \(province 'Shaanxi'\).*\[2026\]"):
        check_lines(config, root)


def test_default_config_gives_every_county_a_line():
    check_lines(load_config(), PROJECT_ROOT)
