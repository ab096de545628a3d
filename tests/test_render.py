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


def test_page_title_is_the_first_heading_and_figures_keep_their_alt_text(tmp_path):
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    nb = new_notebook(cells=[new_code_cell("x", outputs=[
        new_output("display_data", data={"text/markdown": "# 旬邑县报告（2024年）"}),
        new_output("display_data", data={"image/png": png},
                   metadata={"image/png": {"alt": "柱状图：各风险类型的户数 \"因病\" <最多>"}}),
    ])])
    path = tmp_path / "t.ipynb"
    nbformat.write(nb, path)
    html = notebook_to_html(path, tmp_path / "t.html").read_text(encoding="utf-8")
    assert "<title>旬邑县报告（2024年）</title>" in html
    import html as html_lib
    import re

    alts = [html_lib.unescape(a[1:-1]) for a in re.findall(r"""alt=("[^"]*"|'[^']*')""", html)]
    assert alts == ['柱状图：各风险类型的户数 "因病" <最多>']  # escaped in the page
    from relapse_models.report.render import page_title

    assert page_title(nbformat.read(_notebook(tmp_path), as_version=4)) == "商洛市报告"
    assert page_title(new_notebook(cells=[new_code_cell("x")])) is None


def test_show_figure_requires_alt_text():
    import matplotlib.pyplot as plt

    from relapse_models.report.display import figure_png, show_figure

    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="alt text"):
        show_figure(fig, " ")
    assert figure_png(fig).startswith(b"\x89PNG")


def test_embedded_font_covers_what_scripts_draw():
    """The explorer draws its labels from a script: those characters are in the font too."""
    import base64
    import io
    import re

    from fontTools.ttLib import TTFont

    from relapse_models.report.render import embed_font

    html = embed_font("<html><head></head><body><p>甲</p>"
                      "<script>var label = '虚线';</script></body></html>")
    data = re.search(r"base64,([^)]+)\)", html).group(1)
    cmap = TTFont(io.BytesIO(base64.b64decode(data))).getBestCmap()
    assert all(ord(c) in cmap for c in "甲虚线")
