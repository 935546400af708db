"""Charts drawn as PNG images with matplotlib's object-oriented API on its headless Agg canvas (no pyplot, so no
global figure state and no display): safe to draw in a worker thread while the event loop goes on. Pillow makes
the image small enough to travel inline in a Teams message."""

from __future__ import annotations

import io
import textwrap
import warnings

import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

WIDTH_INCHES = 7.0
BAR_INCHES = 0.45  # height a bar takes
DPIS = (100, 80, 64, 48)  # resolutions tried in turn until the image fits `MAX_BYTES`
COLOURS = 16  # a chart's palette: few colours make a small PNG (Pillow's quantize)
# Teams takes an image inline only within its message limit (about 28 KB, the image base64-encoded: a third more)
MAX_BYTES = 15_000
LABEL_WIDTH = 28  # characters of an option's label on one line before it wraps
TITLE_WIDTH = 60


def bar_chart(title: str, labels: list[str], counts: list[int], total: int, *, note: str = "") -> bytes:
    """A horizontal bar chart as PNG bytes: one bar a label, top to bottom in the order given, each with its
    count and its share of `total` written beside it (a poll's voters: with several answers each, the shares add
    up to more than 100 %); `title` above (wrapped), `note` below it in small type. A character the font lacks (an
    emoji) is drawn as an empty box, so labels should carry something else that names them (their number).
    Drawn at the highest of `DPIS` whose image fits `MAX_BYTES` (the lowest if none does), with `COLOURS`
    colours. Raises ValueError when labels and counts differ in length."""
    if len(labels) != len(counts):
        raise ValueError(f"{len(labels)} labels for {len(counts)} counts")
    with warnings.catch_warnings():  # a glyph missing from the font: drawn as a box, said in the docstring
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        figure = _figure(title, labels, counts, total, note)
        for dpi in DPIS:
            png = _png(figure, dpi)
            if len(png) <= MAX_BYTES:
                break
    return png


def _figure(title: str, labels: list[str], counts: list[int], total: int, note: str) -> Figure:
    figure = Figure(figsize=(WIDTH_INCHES, 1.6 + BAR_INCHES * max(len(labels), 1)))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    rows = list(range(len(labels)))[::-1]  # the first option at the top
    axes.barh(rows, counts, color="#4a7ab8", height=0.6)
    axes.set_yticks(rows, ["\n".join(textwrap.wrap(label, LABEL_WIDTH)) or " " for label in labels])
    axes.set_xlim(0, max(max(counts, default=0), 1) * 1.25)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # votes are whole
    for row, count in zip(rows, counts, strict=True):
        share = count / total if total else 0.0
        axes.annotate(f"{count} ({share:.0%})", (count, row), xytext=(4, 0), textcoords="offset points", va="center")
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_title("\n".join(textwrap.wrap(title, TITLE_WIDTH)), loc="left", fontsize=11)
    if note:
        axes.set_xlabel(note, fontsize=8, loc="left")
    figure.tight_layout()
    return figure


def _png(figure: Figure, dpi: int) -> bytes:
    drawn = io.BytesIO()
    figure.savefig(drawn, format="png", dpi=dpi)
    drawn.seek(0)
    out = io.BytesIO()
    PIL.Image.open(drawn).convert("RGB").quantize(colors=COLOURS).save(out, format="PNG", optimize=True)
    return out.getvalue()
