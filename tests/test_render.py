"""Report pages: no input code, images embedded, nothing fetched from the network."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from relapse_models.report.render import external_references, notebook_to_html


def _notebook(tmp_path):
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    nb = new_notebook(
        cells=[
            new_markdown_cell("# 商洛市报告"),
            new_code_cell(
                "secret_code_line = 1",
                outputs=[new_output("display_data", data={"image/png": png, "text/plain": "x"})],
            ),
        ]
    )
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def test_html_has_no_input_and_no_external_resource(tmp_path):
    out = notebook_to_html(_notebook(tmp_path), tmp_path / "r.html")
    html = out.read_text(encoding="utf-8")
    assert "secret_code_line" not in html
    assert "商洛市报告" in html
    assert "data:image/png;base64" in html
    assert '<html lang="zh">' in html
    assert external_references(html) == []


@pytest.mark.parametrize(
    "tag",
    [
        '<script src="https://cdn.example/x.js"></script>',
        '<link rel="stylesheet" href="//fonts.example/a.css">',
        "<img src='http://x/y.png'>",
    ],
)
def test_external_references_are_found(tag):
    assert external_references(f"<html>{tag}</html>")


def test_inline_data_is_not_external():
    assert external_references('<img src="data:image/png;base64,AAA">') == []


def test_page_text_drops_markup_scripts_and_data():
    from relapse_models.report.render import page_text

    html = ('<html><head><style>p{color:red}</style><script>var 秘 = 1;</script></head>'
            '<body><p>商洛&amp;市</p><img src="data:image/png;base64,6K+V"></body></html>')
    text = page_text(html)
    assert "商洛&市" in text and "秘" not in text and "color" not in text and "6K+V" not in text


def test_page_embeds_a_font_covering_every_character(tmp_path):
    """The embedded subset has a glyph for every character of the page (no tofu offline)."""
    import base64
    import io
    import re

    from fontTools.ttLib import TTFont

    from relapse_models.report.render import REPORT_FONT, page_text

    html = notebook_to_html(_notebook(tmp_path), tmp_path / "r.html").read_text(encoding="utf-8")
    m = re.search(r'font-family: "' + REPORT_FONT + r'"; src: url\(data:font/woff;base64,([^)]+)\)',
                  html)
    assert m, "no embedded font"
    font = TTFont(io.BytesIO(base64.b64decode(m.group(1))))
    cmap = font.getBestCmap()
    text = page_text(html)
    missing = {c for c in text if not c.isspace() and ord(c) not in cmap}
    assert "商" in text and missing == set()
    assert f'"{REPORT_FONT}", "Noto Sans CJK SC"' in html  # the page uses it first


def test_page_language_follows_the_notebook_config(tmp_path):
    """An English run (report.language: en in the papermill parameters) gives lang="en"."""
    import json

    path = _notebook(tmp_path)
    nb = nbformat.read(path, as_version=4)
    nb.metadata["papermill"] = {"parameters": {"config_json": json.dumps(
        {"report": {"language": "en"}})}}
    nbformat.write(nb, path)
    html = notebook_to_html(path, tmp_path / "en.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    zh = notebook_to_html(path, tmp_path / "zh.html", language="zh").read_text(encoding="utf-8")
    assert '<html lang="zh">' in zh
