"""Printable A4 PDFs of the report pages, laid out by headless Chromium with the pages' print
styles (each numbered section on a new page, figures and table rows never split).

    python -m relapse_models.report.pdf reports/counties/*.html --out reports/pdf

Chromium is Debian's ``/usr/bin/chromium`` (``CHROMIUM`` overrides), driven by playwright; the
pages open from ``file://`` with the network off, as a reader would open them offline.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from relapse_models.core.io import write_bytes

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]


def print_pdfs(pages: Iterable[str | os.PathLike[str]], out_dir: str | os.PathLike[str],
               chromium: Path = CHROMIUM) -> list[Path]:
    """Each HTML page as ``<out_dir>/<page stem>.pdf`` (A4, backgrounds printed); the
    explorer, when a page has one, is drawn before printing."""
    from playwright.sync_api import sync_playwright

    if not chromium.is_file():
        raise FileNotFoundError(f"no Chromium at {chromium}: apt-get install chromium "
                                "fonts-noto-cjk (or set CHROMIUM)")
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), headless=True,
                                    args=CHROMIUM_ARGS)
        context = browser.new_context(offline=True)
        for page_path in map(Path, pages):
            page = context.new_page()
            page.goto(page_path.resolve().as_uri(), wait_until="load")
            page.evaluate("document.fonts.ready.then(() => true)")
            if page.locator("#threshold-explorer").count():
                page.wait_for_selector("#threshold-explorer[data-ready='1']", timeout=30_000)
            page.emulate_media(media="print")
            pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
            written.append(write_bytes(pdf, Path(out_dir) / f"{page_path.stem}.pdf"))
            page.close()
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="+", help="HTML report pages")
    parser.add_argument("--out", default="reports/pdf", help="folder for the PDFs")
    args = parser.parse_args(argv)
    for path in print_pdfs(args.pages, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
