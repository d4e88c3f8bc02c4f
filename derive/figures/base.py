"""What every figure shares: the error type, the palette and style, matplotlib imported on first
use, deterministic saving, titles, and the checks on numeric options.

Nothing here imports matplotlib at module level; :func:`load_matplotlib` does, when a figure
is drawn, so that ``import derive.figures`` works without the optional ``[plots]`` extra.
"""

from __future__ import annotations

import io
import math
import textwrap

import numpy as np

from derive.errors import DeriveError

INSTALL_HINT = "figures need matplotlib: pip install 'derive[plots]'"

# Colours: one meaning each, used the same way in every figure.
POSITIVE, NEGATIVE, FLAT = "#d62728", "#1f77b4", "#7f7f7f"  # slope > 0, < 0, ~ 0
STILL_DPI = 120

STYLE = {
    "svg.hashsalt": "derive-figures",  # SVG element ids from a fixed salt, not a random one
    "svg.fonttype": "path",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 8.5,
    "figure.titlesize": 12,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


class FigureError(DeriveError, ValueError):
    """A figure that cannot be drawn as asked: one line, for the command line to print."""


class Mpl:
    """The matplotlib pieces the figures use, imported when one is made (an optional extra).

    >>> mpl = load_matplotlib()
    >>> fig = mpl.new(2, 1)
    >>> fig.get_size_inches().tolist()
    [2.0, 1.0]
    """

    def __init__(self):
        try:
            import matplotlib
            import matplotlib.colors as colors
            import matplotlib.patheffects as patheffects
            import mpl_toolkits.mplot3d  # noqa: F401  (registers the "3d" projection)
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
            from matplotlib.lines import Line2D
            from matplotlib.patches import Patch
            from PIL import Image
        except ImportError:
            raise FigureError(INSTALL_HINT) from None
        self.rc_context, self.patheffects, self.colors = matplotlib.rc_context, patheffects, colors
        self.Canvas, self.Figure, self.Line2D, self.Patch, self.Image = FigureCanvasAgg, Figure, Line2D, Patch, Image

    def new(self, width: float, height: float):
        # A Figure with its own Agg canvas, not pyplot: no global backend switch, no display,
        # no figure kept alive in pyplot's registry.
        fig = self.Figure(figsize=(width, height), layout="constrained")
        self.Canvas(fig)
        return fig


def load_matplotlib() -> Mpl:
    """Import matplotlib now; a :class:`FigureError` with :data:`INSTALL_HINT` if it is missing."""
    return Mpl()


def save(fig, fmt: str) -> bytes:
    """The still figure as ``fmt`` (png, svg or pdf) bytes, with the metadata that would carry a
    date or a version left out, so that reruns are byte-identical.

    >>> fig = load_matplotlib().new(1, 1)
    >>> save(fig, "svg")[:5]
    b'<?xml'
    """
    metadata = {
        "png": {"Software": None},
        "svg": {"Date": None, "Creator": "derive"},
        "pdf": {"CreationDate": None, "ModDate": None, "Creator": "derive", "Producer": "derive"},
    }[fmt]
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=STILL_DPI, metadata=metadata)
    return buf.getvalue()


def suptitle(fig, text: str, size: float = 12) -> None:
    """A figure title; a long one is broken after its last colon that leaves a line short enough
    (constrained layout makes room for a title's height, not its width).

    >>> fig = load_matplotlib().new(4, 3)
    >>> suptitle(fig, "a long title about training: with a second part after the colon")
    >>> print(fig.get_suptitle())
    a long title about training:
    with a second part after the colon
    """
    width = int(fig.get_figwidth() * 11.5 * 12 / size)  # about 11.5 characters per inch at 12 pt
    if len(text) > width:
        cuts = [i for i in range(len(text)) if text.startswith(": ", i) and i < width]
        text = (text[: cuts[-1] + 1] + "\n" + text[cuts[-1] + 2 :]) if cuts else textwrap.fill(text, width)
    fig.suptitle(text, fontsize=size)


def number(name: str, value, lo: float, hi: float) -> float:
    """``value`` as a float in [lo, hi], or a :class:`FigureError` naming the option.

    >>> number("lr", "0.5", 0, 1)
    0.5
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise FigureError(f"{name} must be a number, not {value!r}") from None
    if not (math.isfinite(v) and lo <= v <= hi):
        raise FigureError(f"{name} must be between {lo:g} and {hi:g}, not {value!r}")
    return v


def count(name: str, value, lo: int, hi: int) -> int:
    """``value`` as a whole number in [lo, hi] (not a bool, not a float), or a :class:`FigureError`.

    >>> count("steps", 3, 1, 10)
    3
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise FigureError(f"{name} must be a whole number from {lo} to {hi}, not {value!r}")
    return int(value)
