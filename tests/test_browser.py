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
                                "monitoring": config["monitoring"],
                                "data": config["data"], "simulate": config["simulate"]},
                               ensure_ascii=False)
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
        for key in ("summary", "headline", "risk", "models", "warning", "quality",
                    "tier_comparison", "explorer"):
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


# --- what a reader is told (issue: pages a county official can trust) ------------------------

_TABLES_JS = """Array.from(document.querySelectorAll('table')).map(t => ({
    caption: t.caption ? t.caption.innerText.trim() : '',
    headers: Array.from(t.querySelectorAll('thead th')).map(h => h.innerText.trim()),
    rows: Array.from(t.querySelectorAll('tbody tr')).map(
        r => Array.from(r.querySelectorAll('td,th')).map(c => c.innerText.trim()))}))"""

ALLOWED_LATIN = {"AUC", "PR", "Brier", "ECE", "O", "E", "Logit", "p", "XX", "PSI"}
"""Latin words a Chinese page may show: the metrics' standard abbreviations, and the
anonymous county's published name (XX县)."""


def test_titles_alt_text_and_captions(browser, browser_reports):
    """Every page has its own title (its heading, not "Notebook"), every figure alt text that
    says what it shows, every table a caption."""
    problems = []
    for lang, path in _pages(browser_reports):
        page, _ = _open(browser, path)
        name = f"{lang}/{path.name}"
        h1 = page.evaluate("document.querySelector('h1').innerText.trim()")
        if page.title() != h1 or page.title() in ("", "Notebook"):
            problems.append(f"{name}: title {page.title()!r}, heading {h1!r}")
        for alt in page.evaluate("Array.from(document.images).map(i => i.alt)"):
            if len(alt) < 10 or "No description" in alt:
                problems.append(f"{name}: alt text {alt!r}")
        for table in page.evaluate(_TABLES_JS):
            if not table["caption"]:
                problems.append(f"{name}: a table without caption, headers {table['headers']}")
        page.close()
    assert not problems, "\n".join(problems)


def test_tables_and_summary_hold_no_artefacts_or_code_names(browser, browser_reports):
    """No "nan", "None", "—–—", "@capacity", scientific notation, snake_case code names or
    synthetic ids in any table, the summary or the data statement; on a Chinese page no
    English words either (the provenance table's package names aside)."""
    from relapse_models.report.words import t

    code = re.compile(r"\b[a-z]+_[a-z0-9_]+\b|-t\d{3}\b|-v\d{3}\b")
    bad = ("—–—", "(—", "@capacity", "No description")
    problems = []
    for lang, path in _pages(browser_reports):
        page, _ = _open(browser, path)
        name = f"{lang}/{path.name}"
        texts = []
        for table in page.evaluate(_TABLES_JS):
            if table["caption"] == t("caption_provenance", lang):
                continue
            texts += [table["caption"], *table["headers"]] + [c for r in table["rows"] for c in r]
        texts += page.evaluate("Array.from(document.querySelectorAll("
                               "'.plain-summary, .data-statement')).map(e => e.innerText)")
        for text in texts:
            words = set(re.findall(r"[A-Za-z]+", text))
            if any(b in text for b in bad) or {"nan", "NaN", "None"} & words:
                problems.append(f"{name}: artefact in {text!r}")
            if code.search(text) or re.search(r"\d[eE][+-]\d", text):
                problems.append(f"{name}: code name or notation in {text!r}")
            if lang == "zh" and words - ALLOWED_LATIN:
                problems.append(f"{name}: English {sorted(words - ALLOWED_LATIN)} in {text!r}")
        page.close()
    assert not problems, "\n".join(problems[:30])


def test_one_recall_figure_per_model_per_page(browser, browser_reports):
    """Recall at capacity appears once per model on a county page: in the capacity table
    (rows named by score, no group column); no other table has a recall column for the whole
    county, and the model table has none."""
    from relapse_models.report.words import t

    for lang, path in _pages(browser_reports):
        if path.name == "index.html":
            continue
        page, _ = _open(browser, path)
        seen: dict[str, list[str]] = {}
        for table in page.evaluate(_TABLES_JS):
            headers = table["headers"]
            recall = [i for i, h in enumerate(headers) if h.startswith(t("recall", lang))]
            if not recall or t("group", lang) in headers or t("line_multiple", lang) in headers \
                    or t("year", lang) in headers:
                continue  # a group's recall, at a raised line or in a later year: another figure
            assert headers[0] == t("score", lang), (path.name, headers)
            for row in table["rows"]:
                seen.setdefault(row[0].rstrip(" ★"), []).extend(row[i] for i in recall)
        page.close()
        assert seen, f"{path.name}: no recall table"
        assert all(len(v) == 1 for v in seen.values()), (path.name, seen)


def test_explorer_moves_with_the_slider(browser, browser_reports):
    """Moving the capacity slider changes the displayed threshold and recall to the grid's
    row at the new capacity (:func:`relapse_models.report.explorer.at_share`); at the
    county's own capacity the recall is the capacity table's."""
    import pandas as pd

    from relapse_models.report import explorer as rx
    from relapse_models.report.words import model_label, t

    zh = browser_reports["zh"]
    for path in sorted((zh / "counties").glob("*.html"))[:2]:
        county = path.stem
        recommended = json.loads((zh / "metrics" / "recommended" / f"{county}.json").read_text(
            encoding="utf-8"))[county]
        grid = rx.explorer_grid(pd.read_csv(zh / "metrics" / "thresholds" / f"{county}.csv",
                                            encoding="utf-8-sig"), recommended["households"])
        best = recommended["best_score"]
        page, errors = _open(browser, path)
        page.wait_for_selector("#threshold-explorer[data-ready='1']", timeout=30_000)

        def shown(key: str, page=page) -> str:
            prefix = t(key, "zh") + "："
            texts = page.evaluate("Array.from(document.querySelectorAll("
                                  "'#threshold-explorer svg text')).map(e => e.textContent)")
            return next(x for x in texts if x.startswith(prefix))[len(prefix):]

        def expected(share: float, grid=grid, best=best) -> pd.Series:
            rows = rx.at_share(grid, share)
            return rows[rows["score"] == best].iloc[0]

        step = rx.CAPACITY_STEP
        start = round(recommended["capacity_share"] / step) * step
        def number(value: float) -> str:
            return "—" if pd.isna(value) else f"{value:.3f}"

        row = expected(start)
        assert shown("recall_rows") == number(row["recall"])
        assert shown("threshold") == f"{row['threshold']:.3f}"
        tables = page.evaluate(_TABLES_JS)
        capacity = next(x for x in tables if x["caption"] == t("caption_capacity", "zh"))
        best_row = next(r for r in capacity["rows"] if r[0].endswith("★"))
        assert best_row[0].startswith(model_label(best, "zh"))
        # the same recall as the page's table
        assert best_row[capacity["headers"].index(t("recall_ci", "zh"))].startswith(
            number(row["recall"]))
        target = round(max(step, start / 3) / step) * step
        page.evaluate(
            "v => { const s = document.querySelector('#threshold-explorer input[type=range]');"
            " s.value = v; s.dispatchEvent(new Event('input', {bubbles: true})); }", target)
        moved = expected(target)
        want = f"{t('threshold', 'zh')}：{moved['threshold']:.3f}"
        page.wait_for_function(
            "w => Array.from(document.querySelectorAll('#threshold-explorer svg text'))"
            ".some(e => e.textContent === w)", arg=want, timeout=10_000)
        assert shown("recall_rows") == number(moved["recall"])
        assert shown("flagged_share").startswith(f"{100 * moved['flagged_share']:.1f}%")
        assert not errors, errors
        page.close()


def test_make_pdf_prints_each_county_page_on_a4(browser_reports, tmp_path):
    """``python -m relapse_models.report.pdf`` (``make pdf``): one A4 PDF per county page, the
    sections on pages of their own (more pages than the page has numbered sections)."""
    _require_chromium()
    import subprocess
    import sys

    zh = browser_reports["zh"]
    page = sorted((zh / "counties").glob("*.html"))[0]
    # its own process, as `make pdf` runs it (the session's browser fixture holds an event loop)
    run = subprocess.run([sys.executable, "-m", "relapse_models.report.pdf", str(page),
                          "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    pdf = (tmp_path / f"{page.stem}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes and all(abs(float(w) - 595.92) < 1.5 and abs(float(h) - 842.88) < 1.5
                         for w, h in boxes), boxes[:3]  # A4 in points
    assert len(boxes) >= 6  # summary, five numbered sections: each starts a page
