"""Render an executed notebook as a report page: no input cells, images embedded, no
external resources, so the file opens offline and can be mailed as is."""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from relapse_models.io import write_text

TEMPLATES_DIR = Path(__file__).parent / "templates"

_EXTERNAL = re.compile(r"""<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)


def notebook_to_html(
    notebook: str | os.PathLike[str], html: str | os.PathLike[str], language: str = "zh"
) -> Path:
    """Write ``notebook`` as self-contained HTML without input cells or prompts."""
    nb = nbformat.read(notebook, as_version=4)
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
    external = external_references(body)
    if external:
        raise ValueError(f"report {html} would load external resources: {external[:3]}")
    return write_text(body, html)


def external_references(html: str) -> list[str]:
    """Tags that would fetch something from the network when the page opens."""
    return [m.group(0) for m in _EXTERNAL.finditer(html)]
