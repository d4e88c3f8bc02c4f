"""The ``tangent`` figure: a 1-D cost curve C(x) with the tangent at each gradient-descent
iterate, red where the slope is positive (the step goes left), blue where it is negative (the
step goes right), grey where it is about zero (the minimum). Animated as a GIF; a still shows a
few labelled tangents on every run.

>>> xs = tangent_iterates(-1.5)
>>> bool(slope_1d(xs[0]) < 0 < xs[1] - xs[0])       # a negative slope moves x right
True
"""

from __future__ import annotations

import math

import numpy as np

from derive.figures.base import FLAT, NEGATIVE, POSITIVE, FigureError, count, number, save
from derive.figures.gif import Frames

TANGENT_FORMULA = r"$C(x) = (x-1)^2 + 0.3\,\sin 2x$"
TANGENT_STARTS = (-1.5, 3.6)
FLAT_SLOPE = 0.05  # |C'(x)| below this counts as "about zero" (grey)
OPTIONS = {"starts", "lr", "steps"}
_ASPECT = 6.0 / 10.6  # the picture's x range over its y range: tangents of one visual length


def cost_1d(x):
    """The 1-D cost of the tangent figure; C''(x) = 2 - 1.2 sin 2x > 0, so one minimum.

    >>> float(cost_1d(1.0)) == 0.3 * math.sin(2.0)
    True
    """
    return (x - 1.0) ** 2 + 0.3 * np.sin(2.0 * x)


def slope_1d(x):
    """C'(x), the slope of the tangent.

    >>> float(slope_1d(1.0)) == 0.6 * math.cos(2.0)
    True
    """
    return 2.0 * (x - 1.0) + 0.6 * np.cos(2.0 * x)


def minimum_1d() -> float:
    """The x of the minimum of :func:`cost_1d`, by Newton's method (C is convex).

    >>> round(minimum_1d(), 4)
    1.2348
    """
    x = 1.0
    for _ in range(50):
        x -= slope_1d(x) / (2.0 - 1.2 * math.sin(2.0 * x))
    return float(x)


def tangent_iterates(start: float, lr: float = 0.15, steps: int = 24) -> np.ndarray:
    """Gradient-descent iterates x_{k+1} = x_k - lr * C'(x_k), the start included.

    >>> xs = tangent_iterates(3.6)
    >>> len(xs), bool(abs(slope_1d(xs[-1])) < FLAT_SLOPE)
    (25, True)
    """
    xs = [float(start)]
    for _ in range(steps):
        xs.append(xs[-1] - lr * float(slope_1d(xs[-1])))
    return np.array(xs)


def _slope_colour(s: float) -> str:
    return FLAT if abs(s) < FLAT_SLOPE else POSITIVE if s > 0 else NEGATIVE


def _slope_words(s: float) -> str:
    if abs(s) < FLAT_SLOPE:
        return "slope ≈ 0: at the minimum, the steps shrink to nothing"
    return "slope > 0: x moves left" if s > 0 else "slope < 0: x moves right"


def _checked(starts, lr, steps) -> tuple[list[float], float, int]:
    """The options as numbers in range, or a FigureError naming the first one that is not."""
    if isinstance(starts, (int, float)):
        starts = (starts,)
    starts = [number("start", s, -2.0, 4.0) for s in starts]
    if not starts:
        raise FigureError("tangent needs at least one start")
    lr = number("lr", lr, 1e-4, 0.5)  # above 0.5 the steps can leave the picture
    steps = count("steps", steps, 1, 200)
    return starts, lr, steps


def _segment(x, width=0.55):
    """The tangent at x as a short segment: its two x ends, their y, and the slope."""
    s = float(slope_1d(x))
    half = width / math.hypot(1.0, s * _ASPECT)
    t = np.array([x - half, x + half])
    return t, cost_1d(x) + s * (t - x), s


def render(mpl, fmt: str, starts=TANGENT_STARTS, lr=0.15, steps=24) -> bytes:
    """The tangent figure as ``fmt`` bytes: png, svg or pdf (a still), or gif (the animation)."""
    starts, lr, steps = _checked(starts, lr, steps)
    runs = [tangent_iterates(s, lr, steps) for s in starts]
    fig = mpl.new(9, 4.5)
    ax = fig.add_subplot()
    xstar = _draw_cost_curve(ax, lr)
    _draw_legend(mpl, ax, starts, steps, fmt)
    if fmt == "gif":
        return _animate(mpl, fig, ax, runs, lr)
    for run in runs:
        _draw_still_run(ax, run, xstar)
    return save(fig, fmt)


def _draw_cost_curve(ax, lr: float) -> float:
    """The curve C(x), its minimum marked, the axes and the title; returns the minimum's x."""
    xs = np.linspace(-2.0, 4.0, 400)
    ax.plot(xs, cost_1d(xs), color="black", lw=2, zorder=2)
    xstar = minimum_1d()
    ax.axvline(xstar, color=FLAT, lw=1, ls=":", zorder=1)
    ax.annotate(
        f"minimum\nx* = {xstar:.3f}",
        (xstar, 6.0),
        xytext=(5, 0),
        textcoords="offset points",
        color="#555555",
        fontsize=8.5,
        va="center",
    )
    ax.set(xlim=(-2.0, 4.0), ylim=(-0.6, 10.0), xlabel="x (one weight)", ylabel="cost C(x)")
    ax.set_title(f"Gradient descent on {TANGENT_FORMULA}:  x ← x − η·C′(x),  η = {lr:g}")
    return xstar


def _draw_legend(mpl, ax, starts: list[float], steps: int, fmt: str) -> None:
    """The key to the colours, titled with the runs it shows."""
    ax.legend(
        handles=[
            mpl.Line2D([], [], color="black", lw=2, label="cost C(x)"),
            mpl.Line2D([], [], color=POSITIVE, lw=2.5, label="tangent, slope > 0: x moves left"),
            mpl.Line2D([], [], color=NEGATIVE, lw=2.5, label="tangent, slope < 0: x moves right"),
            mpl.Line2D([], [], color=FLAT, lw=2.5, label=f"tangent, slope ≈ 0 (|C′| < {FLAT_SLOPE:g}): minimum"),
        ],
        loc="upper center",
        framealpha=0.95,
        title_fontsize=8.5,
        title=f"dots: {steps} gradient-descent steps from x = "
        + " and ".join(f"{s:g}" for s in starts)
        + (", coloured by the slope" if fmt != "gif" else ""),
    )


def _draw_still_run(ax, run: np.ndarray, xstar: float) -> None:
    """One run in a still: every iterate as a dot coloured by its slope, and labelled tangents
    at the start, the third iterate and the end."""
    cols = [_slope_colour(float(slope_1d(x))) for x in run]
    ax.plot(run, cost_1d(run), color="#bbbbbb", lw=1, zorder=3)
    ax.scatter(run, cost_1d(run), c=cols, s=22, zorder=4, edgecolors="white", linewidths=0.5)
    for k in sorted({0, 2, len(run) - 1}):
        t, y, s = _segment(run[k])
        ax.plot(t, y, color=_slope_colour(s), lw=2.5, zorder=5)
        # Labels go inside the bowl, away from the curve: right of a falling tangent,
        # left of a rising one; the last (flat) ones below, one to each side.
        if k == len(run) - 1:
            right = run[k] >= xstar
            off, ha = ((6, -16), "left") if right else ((-6, -16), "right")
        else:
            off, ha = ((10, 6), "left") if s < 0 else ((-10, 6), "right")
        ax.annotate(
            f"C′ = {s:+.2f}",
            (run[k], cost_1d(run[k])),
            xytext=off,
            ha=ha,
            textcoords="offset points",
            fontsize=8.5,
            color=_slope_colour(s),
            zorder=6,
        )


def _animate(mpl, fig, ax, runs: list[np.ndarray], lr: float) -> bytes:
    """The GIF: one frame per iterate of every run, with the point, its tangent, an arrow for
    the step it is about to take, and a box with the numbers."""
    frames = Frames(mpl, fig)
    (trail,) = ax.plot([], [], "o", color="#999999", ms=4, zorder=3)
    (point,) = ax.plot([], [], "o", color="black", ms=8, zorder=6)
    (line,) = ax.plot([], [], lw=3, zorder=5)
    step = ax.annotate("", xy=(0, 0), xytext=(0, 0), zorder=6, arrowprops=dict(arrowstyle="-|>", lw=1.8, color="black"))
    # Inside the bowl, above the curve: the tangents lie below a convex curve, so it is free.
    info = ax.text(
        0.5,
        0.42,
        "",
        transform=ax.transAxes,
        fontsize=10,
        family="monospace",
        ha="center",
        va="center",
        bbox=dict(boxstyle="round", fc="white", ec="#cccccc", lw=2),
    )
    for r, run in enumerate(runs):
        for k, x in enumerate(run):
            t, y, s = _segment(x)
            colour = _slope_colour(s)
            trail.set_data(run[:k], cost_1d(run[:k]))
            point.set_data([x], [cost_1d(x)])
            line.set_data(t, y)
            line.set_color(colour)
            nxt = x - lr * s
            step.xy, step.xyann = (nxt, -0.3), (x, -0.3)
            step.set_visible(abs(nxt - x) > 0.02)
            info.set_text(f"run {r + 1}, step {k:2d}:  x = {x:+.3f}   C′(x) = {s:+.3f}\n{_slope_words(s)}")
            info.get_bbox_patch().set_edgecolor(colour)
            frames.grab()
    return frames.gif()
