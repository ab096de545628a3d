"""Putting figures and tables on a page from a notebook: every figure with alt text that says
what it shows, every table with a caption."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import pandas as pd

from relapse_models.report.tables import html_table


def figure_png(fig) -> bytes:
    """The figure as PNG bytes; the figure is closed (a notebook shows it once, here)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def show_figure(fig, alt: str) -> None:
    """Display ``fig`` as a PNG whose ``alt`` text (kept in the output's metadata, written
    into ``<img alt>`` by the report template) says what the figure shows."""
    from IPython.display import Image, display

    if not alt or not alt.strip():
        raise ValueError("a report figure needs alt text that says what it shows")
    display(Image(data=figure_png(fig), format="png", metadata={"alt": alt.strip()}))


def show_table(df: pd.DataFrame, caption: str) -> None:
    """Display ``df`` as a report table with its caption."""
    from IPython.display import HTML, display

    if df is None or df.empty:
        return
    display(HTML(html_table(df, caption=caption)))
