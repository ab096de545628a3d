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
