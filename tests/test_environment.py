"""The pinned pip set and the conda environment must describe the same versions."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pins() -> dict[str, str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return {
        name.lower(): version
        for name, version in (line.split("==", 1) for line in lines if "==" in line)
    }


def _top_level() -> list[str]:
    lines = (ROOT / "requirements.in").read_text().splitlines()
    return [line.strip().lower() for line in lines if line.strip() and not line.startswith("#")]


def _conda_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins: dict[str, str] = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for spec in dep["pip"]:
                name, version = spec.split("==")
                pins[name.lower()] = version
        elif "=" in dep:
            name, version = dep.split("=", 1)
            pins[name.lower()] = version
    return pins


def test_every_top_level_requirement_is_pinned_exactly():
    pins = _pins()
    missing = [name for name in _top_level() if name not in pins]
    assert not missing, f"requirements.in names not pinned in requirements.txt: {missing}"


def test_environment_yml_pins_the_same_versions():
    pins, conda = _pins(), _conda_pins()
    conda.pop("python")
    assert set(conda) == set(_top_level()), "environment.yml and requirements.in list different packages"
    differ = {n: (conda[n], pins[n]) for n in conda if conda[n] != pins[n]}
    assert not differ, f"versions differ (environment.yml, requirements.txt): {differ}"


def test_python_version_agrees():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]


def test_browser_driver_is_pinned_and_needs_no_browser_download():
    """playwright drives Debian's Chromium (tests/test_browser.py): pinned like the rest; the
    Python package ships its own node driver, so nothing is fetched at test time."""
    assert _pins()["playwright"] == "1.65.2" and "playwright" in _top_level()
    import playwright

    driver = Path(playwright.__file__).parent / "driver"
    assert any(driver.rglob("node*")), f"playwright driver missing under {driver}"
