"""The reports in a real browser: headless Chromium opens every page from file:// and checks
what a reader would see break (issue 8).

Pages come from ``RELAPSE_REPORTS_DIR`` (the ``reports/`` folder of an earlier run, e.g.
after ``make report``) or else the session's tiny pipeline run (``pipeline_project`` in
tests/conftest.py, shared with the integration tests). English pages are rendered from the
same outputs with ``report.language: en`` by the report notebooks.

Chromium is Debian's ``/usr/bin/chromium`` (``CHROMIUM`` overrides); playwright drives it with
its own driver and never downloads a browser. Without Chromium the tests are skipped, except
under ``CI=true`` where they fail.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
WIDTH = 1280

pytestmark = pytest.mark.integration


def _require_chromium() -> None:
    try:
        import playwright  # noqa: F401
    except ImportError:  # pragma: no cover - requirements.txt pins it
        reason = "playwright is not installed"
    else:
        reason = None if CHROMIUM.is_file() else f"no Chromium at {CHROMIUM} (apt install chromium)"
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


# --- the pages ------------------------------------------------------------------------------


def _notebook(name: str, output: Path, html: Path, **params) -> None:
    from relapse_models.stages.notebook import run_notebook

    run_notebook(name, output, params, html=html)


def _render(project: Path, counties: list[str], language: str, out: Path) -> None:
    """County pages and index from a project's outputs, in ``language``, into ``out``."""
    from relapse_models.core.config import load_config

    config = load_config(project / "config" / "config.yaml")
    report_config = json.dumps({"report": {**config["report"], "language": language},
                                "capacity": config["capacity"],
                                "monitoring": config["monitoring"]}, ensure_ascii=False)
    profiles = [str(project / "config" / "counties" / f"{c}.yaml") for c in counties]
    cwd = Path.cwd()
    os.chdir(project)
    try:
        for c in counties:
            _notebook(
                "04_county_report", out / "notebooks" / f"04_{c}.ipynb",
                out / "counties" / f"{c}.html", county=c, config_json=report_config,
                profile_path=f"config/counties/{c}.yaml",
                cleaning_path=f"data/interim/{c}/cleaning_report.json",
                panel_path=f"data/interim/{c}/panel.parquet",
                features_path=f"data/processed/{c}/features.parquet",
                reconciliation_path=f"reports/metrics/reconciliation/{c}.csv",
                models_path=f"reports/metrics/models/{c}.json",
                coefficients_path=f"reports/metrics/coefficients/{c}.csv",
                thresholds_path=f"reports/metrics/thresholds/{c}.csv",
                recommended_path=f"reports/metrics/recommended/{c}.json",
                detail_dir=f"reports/metrics/thresholds_detail/{c}",
            )
        _notebook(
            "05_comparative_report", out / "notebooks" / "05.ipynb", out / "index.html",
            counties=counties, config_json=report_config, profiles=profiles,
            reconciliation_path="reports/reconciliation.csv",
            models_path="reports/metrics/models.json",
            thresholds_path="reports/metrics/thresholds.csv",
            recommended_path="reports/metrics/recommended_thresholds.json",
            tier_comparison_path="reports/metrics/tier_comparison.csv",
        )
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="session")
def browser_reports(request, tmp_path_factory) -> dict[str, Path]:
    """``{"zh": reports folder, "en": folder of the same pages in English}``."""
    _require_chromium()
    given = os.environ.get("RELAPSE_REPORTS_DIR")
    if given:
        project = Path(given).resolve().parent
    else:
        project = Path(request.getfixturevalue("pipeline_project"))
    counties = sorted(p.stem for p in (project / "reports" / "counties").glob("*.html"))
    assert counties, f"no county pages under {project / 'reports'}"
    en = tmp_path_factory.mktemp("reports_en")
    _render(project, counties, "en", en)
    return {"zh": project / "reports", "en": en}


def _pages(reports: dict[str, Path]) -> list[tuple[str, Path]]:
    out = []
    for lang, folder in reports.items():
        out.append((lang, folder / "index.html"))
        out += [(lang, p) for p in sorted((folder / "counties").glob("*.html"))]
    return out


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    _require_chromium()
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium_profile")  # a new, empty user-data-dir
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": WIDTH, "height": 900}, offline=True,
        )
        yield context
        context.close()


def _open(browser, path: Path) -> tuple[object, list[str]]:
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")
    return page, errors


def _pixel_std(png: bytes) -> float:
    from PIL import Image

    return float(np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float).std())


def test_every_page_opens_cleanly(browser, browser_reports):
    """No console error, every image decoded, no horizontal overflow at 1280 px, the screen is
    not blank, and the language is the page's."""
    problems = []
    for lang, path in _pages(browser_reports):
        page, errors = _open(browser, path)
        name = f"{lang}/{path.parent.name}/{path.name}"
        images = page.evaluate(
            "Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
        broken = [i for i, (done, width) in enumerate(images) if not done or width == 0]
        width = page.evaluate("document.scrollingElement.scrollWidth")
        std = _pixel_std(page.screenshot(full_page=False))
        html_lang = page.evaluate("document.documentElement.lang")
        if errors:
            problems.append(f"{name}: console errors {errors[:3]}")
        if not images:
            problems.append(f"{name}: no figure")
        if broken:
            problems.append(f"{name}: images not loaded {broken}")
        if width > WIDTH:
            problems.append(f"{name}: scrollWidth {width} > {WIDTH}")
        if std < 5:
            problems.append(f"{name}: blank screenshot (pixel std {std:.1f})")
        if html_lang != lang:
            problems.append(f"{name}: lang={html_lang!r}")
        page.close()
    assert not problems, "\n".join(problems)


def test_county_pages_have_every_section(browser, browser_reports):
    """Each county page shows the headline block, risk, models, warning (with the tier
    comparison) and data-quality sections, in its language."""
    from relapse_models.report.words import t

    for lang, path in _pages(browser_reports):
        if path.name == "index.html":
            continue
        page, _ = _open(browser, path)
        headings = page.evaluate(
            "Array.from(document.querySelectorAll('h1,h2,h3')).map(h => h.innerText.trim())")
        for key in ("headline", "risk", "models", "warning", "quality", "tier_comparison"):
            assert any(h.startswith(t(key, lang)) for h in headings), (path, key, headings)
        if lang == "en":  # the English page has no Chinese left but county names
            text = page.evaluate("document.body.innerText")
            han = set(re.findall(r"[\u4e00-\u9fff]", text))
            assert len(han) <= 12, (path, sorted(han)[:40])
        page.close()


def test_no_missing_glyphs(browser, browser_reports):
    """Every character on the page has a glyph in the embedded font, and the browser has
    loaded that font (so the text is drawn with it, not with boxes)."""
    from fontTools.ttLib import TTFont

    from relapse_models.report.render import REPORT_FONT

    for lang, path in _pages(browser_reports):
        html = path.read_text(encoding="utf-8")
        m = re.search(r"data:font/woff;base64,([^)]+)\)", html)
        assert m, f"{path}: no embedded font"
        cmap = TTFont(io.BytesIO(base64.b64decode(m.group(1)))).getBestCmap()
        page, _ = _open(browser, path)
        text = page.evaluate("document.body.innerText")
        loaded = page.evaluate(
            f"Array.from(document.fonts).filter(f => f.family.replace(/\"/g, '') === "
            f"'{REPORT_FONT}').map(f => f.status)")
        missing = sorted({c for c in text if not c.isspace() and ord(c) not in cmap})
        assert missing == [], f"{lang} {path.name}: no glyph for {missing[:20]}"
        assert loaded and set(loaded) == {"loaded"}, f"{path.name}: font {loaded}"
        page.close()


def test_screenshots_for_review(browser, browser_reports, tmp_path_factory):
    """Full-page screenshots of the index and one county page (kept in the test's temporary
    folder, or in ``RELAPSE_SCREENSHOT_DIR``) for a person to look at."""
    out = Path(os.environ.get("RELAPSE_SCREENSHOT_DIR") or tmp_path_factory.mktemp("shots"))
    out.mkdir(parents=True, exist_ok=True)
    zh = browser_reports["zh"]
    pages = sorted((zh / "counties").glob("*.html"))
    county = next((p for p in pages if p.stem == "shangluo"), pages[0])
    for name, path in (("index", zh / "index.html"), ("county", county)):
        page, _ = _open(browser, path)
        png = page.screenshot(full_page=True)
        (out / f"{name}.png").write_bytes(png)
        assert _pixel_std(png) > 5
        page.close()


def test_pages_print_on_a4(browser, browser_reports):
    """With print styles on an A4-wide page (794 px at 96 dpi), nothing sticks out sideways
    and Chromium lays the page out as a PDF."""
    zh = browser_reports["zh"]
    for path in (zh / "index.html", *sorted((zh / "counties").glob("*.html"))[:1]):
        page, errors = _open(browser, path)
        page.set_viewport_size({"width": 794, "height": 1123})
        page.emulate_media(media="print")
        width = page.evaluate("document.scrollingElement.scrollWidth")
        pdf = page.pdf(format="A4", print_background=True)
        page.close()
        assert width <= 794, f"{path.name}: {width} px wide in print"
        assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
        assert not errors, errors
