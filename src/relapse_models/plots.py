"""Figures: a CJK font the project installs itself, and the house style.

The Noto Sans CJK SC file ships in the PyPI package ``mplfonts``; it is registered with
matplotlib as a file (mplfonts' own ``init`` rewrites matplotlib's files and is not used).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib import font_manager

CJK_FONT_NAME = "Noto Sans CJK SC"


def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK SC file inside the installed ``mplfonts`` package."""
    import mplfonts

    path = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    if not path.exists():
        raise FileNotFoundError(f"CJK font missing: {path} (reinstall mplfonts)")
    return path


def setup_fonts() -> str:
    """Register the CJK font and make it the fallback after DejaVu Sans, so Latin text and
    digits keep their usual look and Chinese characters render instead of boxes."""
    font_manager.fontManager.addfont(str(cjk_font_path()))
    plt.rcParams["font.family"] = ["DejaVu Sans", CJK_FONT_NAME]
    plt.rcParams["axes.unicode_minus"] = False
    plt.rcParams["figure.dpi"] = 100
    plt.rcParams["savefig.dpi"] = 110
    plt.rcParams["axes.spines.top"] = False
    plt.rcParams["axes.spines.right"] = False
    return CJK_FONT_NAME


setup_fonts()


def gain_axes(ax, table, language: str = "zh", capacity_share: float | None = None,
              title: str | None = None) -> None:
    """Recall against flagged share for every score on ``ax``: the targeting curve
    (Aiken et al. 2022) a county reads to choose how many households to visit."""
    from relapse_models.report.labels import model_label, t

    for score, group in table.groupby("score", sort=False):
        group = group.sort_values("flagged_share")
        style = "--" if score == "oracle" else "-"
        ax.plot(group["flagged_share"], group["recall"], style, label=model_label(score, language))
    if capacity_share is not None:
        ax.axvline(capacity_share, color="grey", linewidth=1)
    ax.set_xlabel(t("flagged_share", language))
    ax.set_ylabel(t("recall", language))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=7)


def gain_curves(table, language: str = "zh", capacity_share: float | None = None):
    """One county's gain curves as a figure (the grey line marks visit capacity)."""
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    gain_axes(ax, table, language, capacity_share)
    fig.tight_layout()
    return fig
