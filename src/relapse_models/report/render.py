"""Render an executed notebook as a report page: no input cells, images embedded, no
external resources, so the file opens offline and can be mailed as is."""

from __future__ import annotations

import base64
import html as html_lib
import io
import json
import os
import re
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from relapse_models.core.io import write_text
from relapse_models.report.figures import cjk_font_path

TEMPLATES_DIR = Path(__file__).parent / "templates"

_EXTERNAL = re.compile(r"""<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)


def notebook_language(nb: nbformat.NotebookNode, default: str = "zh") -> str:
    """The report language the notebook ran with: ``report.language`` in the ``config_json``
    parameter papermill recorded (the pipeline passes it), else ``default``."""
    params = (nb.metadata.get("papermill") or {}).get("parameters") or {}
    try:
        config = json.loads(params.get("config_json") or "{}")
    except (TypeError, ValueError):
        return default
    return str(config["report"]["language"]) if "report" in config else default


def notebook_to_html(
    notebook: str | os.PathLike[str], html: str | os.PathLike[str], language: str | None = None
) -> Path:
    """Write ``notebook`` as self-contained HTML without input cells or prompts; the page's
    ``lang`` is ``language``, by default the one the notebook ran with."""
    nb = nbformat.read(notebook, as_version=4)
    language = language or notebook_language(nb)
    title = page_title(nb)
    if title:
        nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="offline",
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"language_code": language})
    body = body.replace('<html lang="en">', f'<html lang="{language}">')
    body = embed_font(body)
    external = external_references(body)
    if external:
        raise ValueError(f"report {html} would load external resources: {external[:3]}")
    return write_text(body, html)


def page_title(nb: nbformat.NotebookNode) -> str | None:
    """The page's ``<title>``: the text of the first level-one heading the notebook shows (a
    markdown cell, or ``display(Markdown("# ..."))`` in a code cell's outputs), else None."""
    for cell in nb.cells:
        texts = [cell.source] if cell.cell_type == "markdown" else [
            (output.get("data") or {}).get("text/markdown") for output in cell.get("outputs", [])]
        for text in texts:
            if isinstance(text, list):
                text = "".join(text)
            if text and text.lstrip().startswith("# "):
                return text.lstrip()[2:].splitlines()[0].strip()
    return None


def external_references(html: str) -> list[str]:
    """Tags that would fetch something from the network when the page opens."""
    return [m.group(0) for m in _EXTERNAL.finditer(html)]


REPORT_FONT = "Report CJK"
"""Family name of the font embedded in every page: the subset of Noto Sans CJK SC (from
``mplfonts``, the figures' font) that covers the page's own text, so Chinese renders without
missing-glyph boxes on a machine with no CJK font, offline."""

_TAG = re.compile(r"<[^>]*>")
_SCRIPT_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_DATA_URI = re.compile(r"data:[^\"')\s]+")


def page_text(html: str) -> str:
    """The characters a reader can see: tags, scripts, styles and data URIs removed,
    entities decoded."""
    text = _SCRIPT_STYLE.sub(" ", html)
    text = _DATA_URI.sub(" ", text)
    return html_lib.unescape(_TAG.sub(" ", text))


def font_subset(text: str) -> bytes:
    """WOFF of the CJK font restricted to the characters of ``text`` (plus printable ASCII)."""
    from fontTools import subset


    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    options.hinting = False
    options.notdef_outline = True
    font = subset.load_font(str(cjk_font_path()), options, lazy=True)
    chars = set(text) | {chr(c) for c in range(0x20, 0x7F)}
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(chars)))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.flavor = "woff"
    font.save(buffer)
    return buffer.getvalue()


def embed_font(html: str) -> str:
    """Add ``@font-face`` for :data:`REPORT_FONT` (the page's characters, base64) to the
    page head; the template's CSS names that family first. Characters that scripts draw
    (the explorer's labels, inside its chart spec) are covered too."""
    drawn = "".join(m.group(0) for m in _SCRIPT_STYLE.finditer(html))
    extra = "".join(sorted({c for c in drawn if ord(c) > 0x7F}))
    data = base64.b64encode(font_subset(page_text(html) + extra)).decode("ascii")
    face = (
        f'<style type="text/css">@font-face {{ font-family: "{REPORT_FONT}"; '
        f'src: url(data:font/woff;base64,{data}) format("woff"); }}</style>'
    )
    return html.replace("</head>", face + "\n</head>", 1)
