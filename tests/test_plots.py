"""Chinese text renders with the project's own font: no missing glyphs."""

import warnings

import matplotlib.pyplot as plt

from relapse_models.plots import CJK_FONT_NAME, cjk_font_path, setup_fonts


def test_font_file_ships_with_mplfonts():
    assert cjk_font_path().stat().st_size > 1_000_000


def test_chinese_figure_has_no_missing_glyphs(tmp_path):
    assert setup_fonts() == CJK_FONT_NAME
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" becomes an error
        fig, ax = plt.subplots()
        ax.set_title("商洛市 监测对象 风险消除率 −5%")
        ax.plot([1, 2], [-1, 2], label="边缘易致贫户")
        ax.legend()
        fig.savefig(tmp_path / "zh.png")
        plt.close(fig)
    assert (tmp_path / "zh.png").stat().st_size > 5_000
