"""Pictures for teaching gradient descent and activations (the optional ``[plots]`` extra).

One entry point, :func:`figure`, draws one of :data:`KINDS` to a PNG, SVG or PDF file, or a
GIF for the animated kinds:

``tangent``   a 1-D cost curve C(x) with the tangent at each gradient-descent iterate: red
              where the slope is positive (the step goes left), blue where it is negative
              (the step goes right), grey where it is about zero (the minimum). Animated.
``surface``   a 2-D cost surface with a local and a global minimum, and gradient-descent paths
              from four starts; two end in the local minimum and two in the global one, which
              :func:`surface_paths` checks numerically every time it runs. Animated.
``boundary``  the decision regions of two networks trained on XOR (or circles, moons, blobs)
              with the same size and seed: an identity hidden activation beside tanh.
``curves``    loss and accuracy per epoch from one training history, or several histories
              (squared error against cross-entropy) on the same axes, with a title that says
              which reached the higher final test accuracy and by how much.

An animated kind saved as PNG, SVG or PDF is a still of its last frame with the whole path.
Output is deterministic: rerunning gives a byte-identical file.

>>> paths, minima = surface_paths()
>>> sorted({p.minimum for p in paths})
['global', 'local']
>>> minima["global"].cost < minima["local"].cost
True
"""
from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from derive.files import UsageError, write_atomic
from derive.errors import DeriveError

KINDS = ("tangent", "surface", "boundary", "curves")
ANIMATED = ("tangent", "surface")
STILL_FORMATS = ("png", "svg", "pdf")
INSTALL_HINT = "figures need matplotlib: pip install 'derive[plots]'"

# Options each kind accepts through figure(**opts).
_OPTIONS = {
    "tangent": {"starts", "lr", "steps"},
    "surface": {"starts", "lr", "steps"},
    "boundary": {"activation", "hidden", "epochs", "lr", "optimizer", "batch"},
    "curves": {"title"},
}

# Colours: one meaning each, used the same way in every figure.
POSITIVE, NEGATIVE, FLAT = "#d62728", "#1f77b4", "#7f7f7f"       # slope > 0, < 0, ~ 0
PATH_COLOURS = ("#ff7f0e", "#d62728", "#ffffff", "#ff69b4", "#8c564b", "#17becf")
STILL_DPI, GIF_DPI, GIF_MS = 120, 90, 125                        # GIF at 8 frames per second

_STYLE = {
    "svg.hashsalt": "derive-figures",   # SVG element ids from a fixed salt, not a random one
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


# --------------------------------------------------------------------------- entry point

def figure(kind: str, out_path, *, dataset: str = "xor", seed: int = 0, history=None,
           histories: Mapping | None = None, **opts) -> Path:
    """Draw the figure ``kind`` to ``out_path``; the suffix (.png .svg .pdf .gif) picks the format.

    ``dataset`` and ``seed`` are for ``boundary``; ``history`` (a ``derive.train.History``, or
    a dict such as summary.json with ``loss_history``, ``train_accuracy_history`` and
    ``test_accuracy_history``, or with ``loss``, ``train_accuracy``, ``test_accuracy``) or
    ``histories`` (label -> history) are for ``curves``. Other options: ``tangent`` takes
    ``starts``, ``lr``, ``steps``; ``surface`` takes ``starts``, ``lr``, ``steps``; ``boundary``
    takes ``activation`` (the non-linear one, default tanh), ``hidden``, ``epochs``, ``lr``,
    ``optimizer``, ``batch``; ``curves`` takes ``title``. The file is written to a temporary
    name in the same folder and renamed, so it is whole or absent.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = figure("tangent", Path(d) / "tangent.svg")
    ...     (out.name, out.read_bytes()[:5])
    ('tangent.svg', b'<?xml')
    """
    if kind not in KINDS:
        raise FigureError(f"unknown figure kind {kind!r}; choose one of: {', '.join(KINDS)}")
    out = Path(out_path)
    fmt = out.suffix.lower().lstrip(".")
    allowed = STILL_FORMATS + (("gif",) if kind in ANIMATED else ())
    if fmt not in allowed:
        shown = f"'.{fmt}'" if fmt else "no suffix"
        raise FigureError(f"{out}: a {kind} figure can be written as {', '.join('.' + a for a in allowed)}, "
                          f"not {shown}")
    unknown = sorted(set(opts) - _OPTIONS[kind])
    if unknown:
        ok = ", ".join(sorted(_OPTIONS[kind])) or "none"
        raise FigureError(f"unknown option(s) for {kind}: {', '.join(unknown)} (allowed: {ok})")
    if kind != "curves" and (history is not None or histories is not None):
        raise FigureError(f"history/histories are for the curves figure, not {kind}")
    mpl = _matplotlib()
    with mpl.rc_context(_STYLE):
        if kind == "tangent":
            data = _tangent(mpl, fmt, **opts)
        elif kind == "surface":
            data = _surface(mpl, fmt, **opts)
        elif kind == "boundary":
            data = _save(_boundary(mpl, dataset, seed, **opts), fmt)
        else:
            data = _save(_curves(mpl, history, histories, **opts), fmt)
    try:
        write_atomic(out, data)
    except UsageError as e:
        raise FigureError(str(e)) from None
    return out


class _Mpl:
    """The matplotlib pieces the figures use, imported on first use (an optional extra)."""

    def __init__(self):
        try:
            import matplotlib
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
            from matplotlib.lines import Line2D
            from matplotlib.patches import Patch
            import matplotlib.patheffects as patheffects
            import mpl_toolkits.mplot3d  # noqa: F401  (registers the "3d" projection)
            from PIL import Image
        except ImportError:
            raise FigureError(INSTALL_HINT) from None
        self.rc_context, self.patheffects = matplotlib.rc_context, patheffects
        self.Canvas, self.Figure, self.Line2D, self.Patch, self.Image = FigureCanvasAgg, Figure, Line2D, Patch, Image

    def new(self, width: float, height: float):
        # A Figure with its own Agg canvas, not pyplot: no global backend switch, no display,
        # no figure kept alive in pyplot's registry.
        fig = self.Figure(figsize=(width, height), layout="constrained")
        self.Canvas(fig)
        return fig


def _matplotlib() -> _Mpl:
    return _Mpl()


def _save(fig, fmt: str) -> bytes:
    """The still figure as bytes, with metadata fixed so that reruns are byte-identical."""
    metadata = {
        "png": {"Software": None},
        "svg": {"Date": None, "Creator": "derive"},
        "pdf": {"CreationDate": None, "ModDate": None, "Creator": "derive", "Producer": "derive"},
    }[fmt]
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=STILL_DPI, metadata=metadata)
    return buf.getvalue()


class _Frames:
    """Collects the frames of an animation and encodes them as a looping GIF (Pillow)."""

    def __init__(self, mpl: _Mpl, fig):
        self.mpl, self.fig, self.frames = mpl, fig, []
        fig.set_dpi(GIF_DPI)

    def grab(self):
        canvas = self.fig.canvas
        canvas.draw()
        if not self.frames:                 # fix the layout after the first frame: no jitter
            self.fig.set_layout_engine("none")
        rgb = np.asarray(canvas.buffer_rgba())[..., :3].copy()
        self.frames.append(self.mpl.Image.fromarray(rgb).quantize(
            colors=255, method=self.mpl.Image.Quantize.FASTOCTREE, dither=self.mpl.Image.Dither.NONE))
        # (fast octree keeps small patches of strong colour, such as a thin path; median cut
        # merges them into the surrounding gradient)

    def gif(self, hold_ms: int = 2000) -> bytes:
        buf = io.BytesIO()
        durations = [GIF_MS] * (len(self.frames) - 1) + [hold_ms]
        self.frames[0].save(buf, format="GIF", save_all=True, append_images=self.frames[1:],
                            duration=durations, loop=0, optimize=False)
        return buf.getvalue()


def _suptitle(fig, text: str, size: float = 12) -> None:
    """A figure title; a long one is broken after its last colon that leaves a line short enough
    (constrained layout makes room for a title's height, not its width)."""
    width = int(fig.get_figwidth() * 11.5 * 12 / size)      # about 11.5 characters per inch at 12 pt
    if len(text) > width:
        cuts = [i for i in range(len(text)) if text.startswith(": ", i) and i < width]
        text = (text[:cuts[-1] + 1] + "\n" + text[cuts[-1] + 2:]) if cuts else textwrap.fill(text, width)
    fig.suptitle(text, fontsize=size)


def _number(name: str, value, lo: float, hi: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise FigureError(f"{name} must be a number, not {value!r}") from None
    if not (math.isfinite(v) and lo <= v <= hi):
        raise FigureError(f"{name} must be between {lo:g} and {hi:g}, not {value!r}")
    return v


def _count(name: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise FigureError(f"{name} must be a whole number from {lo} to {hi}, not {value!r}")
    return int(value)


# --------------------------------------------------------------------------- tangent

TANGENT_FORMULA = r"$C(x) = (x-1)^2 + 0.3\,\sin 2x$"
TANGENT_STARTS = (-1.5, 3.6)
FLAT_SLOPE = 0.05           # |C'(x)| below this counts as "about zero" (grey)


def cost_1d(x):
    """The 1-D cost of the tangent figure; C''(x) = 2 - 1.2 sin 2x > 0, so one minimum."""
    return (x - 1.0) ** 2 + 0.3 * np.sin(2.0 * x)


def slope_1d(x):
    """C'(x), the slope of the tangent."""
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


def _tangent(mpl: _Mpl, fmt: str, starts=TANGENT_STARTS, lr=0.15, steps=24) -> bytes:
    if isinstance(starts, (int, float)):
        starts = (starts,)
    starts = [_number("start", s, -2.0, 4.0) for s in starts]
    if not starts:
        raise FigureError("tangent needs at least one start")
    lr = _number("lr", lr, 1e-4, 0.5)       # above 0.5 the steps can leave the picture
    steps = _count("steps", steps, 1, 200)
    runs = [tangent_iterates(s, lr, steps) for s in starts]

    fig = mpl.new(9, 4.5)
    ax = fig.add_subplot()
    xs = np.linspace(-2.0, 4.0, 400)
    ax.plot(xs, cost_1d(xs), color="black", lw=2, zorder=2)
    xstar = minimum_1d()
    ax.axvline(xstar, color=FLAT, lw=1, ls=":", zorder=1)
    ax.annotate(f"minimum\nx* = {xstar:.3f}", (xstar, 6.0), xytext=(5, 0), textcoords="offset points",
                color="#555555", fontsize=8.5, va="center")
    ax.set(xlim=(-2.0, 4.0), ylim=(-0.6, 10.0), xlabel="x (one weight)", ylabel="cost C(x)")
    ax.set_title(f"Gradient descent on {TANGENT_FORMULA}:  x ← x − η·C′(x),  η = {lr:g}")
    ax.legend(handles=[
        mpl.Line2D([], [], color="black", lw=2, label="cost C(x)"),
        mpl.Line2D([], [], color=POSITIVE, lw=2.5, label="tangent, slope > 0: x moves left"),
        mpl.Line2D([], [], color=NEGATIVE, lw=2.5, label="tangent, slope < 0: x moves right"),
        mpl.Line2D([], [], color=FLAT, lw=2.5, label=f"tangent, slope ≈ 0 (|C′| < {FLAT_SLOPE:g}): minimum"),
    ], loc="upper center", framealpha=0.95, title_fontsize=8.5,
        title=f"dots: {steps} gradient-descent steps from x = " + " and ".join(f"{s:g}" for s in starts)
        + (", coloured by the slope" if fmt != "gif" else ""))
    aspect = 6.0 / 10.6           # x range over y range: tangents of one visual length

    def tangent(x, width=0.55):
        s = float(slope_1d(x))
        half = width / math.hypot(1.0, s * aspect)
        t = np.array([x - half, x + half])
        return t, cost_1d(x) + s * (t - x), s

    if fmt != "gif":
        for run in runs:
            cols = [_slope_colour(float(slope_1d(x))) for x in run]
            ax.plot(run, cost_1d(run), color="#bbbbbb", lw=1, zorder=3)
            ax.scatter(run, cost_1d(run), c=cols, s=22, zorder=4, edgecolors="white", linewidths=0.5)
            for k in sorted({0, 2, len(run) - 1}):
                t, y, s = tangent(run[k])
                ax.plot(t, y, color=_slope_colour(s), lw=2.5, zorder=5)
                # Labels go inside the bowl, away from the curve: right of a falling tangent,
                # left of a rising one; the last (flat) ones below, one to each side.
                if k == len(run) - 1:
                    right = run[k] >= xstar
                    off, ha = ((6, -16), "left") if right else ((-6, -16), "right")
                else:
                    off, ha = ((10, 6), "left") if s < 0 else ((-10, 6), "right")
                ax.annotate(f"C′ = {s:+.2f}", (run[k], cost_1d(run[k])), xytext=off, ha=ha,
                            textcoords="offset points", fontsize=8.5, color=_slope_colour(s), zorder=6)
        return _save(fig, fmt)

    frames = _Frames(mpl, fig)
    trail, = ax.plot([], [], "o", color="#999999", ms=4, zorder=3)
    point, = ax.plot([], [], "o", color="black", ms=8, zorder=6)
    line, = ax.plot([], [], lw=3, zorder=5)
    step = ax.annotate("", xy=(0, 0), xytext=(0, 0), zorder=6,
                       arrowprops=dict(arrowstyle="-|>", lw=1.8, color="black"))
    # Inside the bowl, above the curve: the tangents lie below a convex curve, so it is free.
    info = ax.text(0.5, 0.42, "", transform=ax.transAxes, fontsize=10, family="monospace", ha="center",
                   va="center", bbox=dict(boxstyle="round", fc="white", ec="#cccccc", lw=2))
    for r, run in enumerate(runs):
        for k, x in enumerate(run):
            t, y, s = tangent(x)
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


# --------------------------------------------------------------------------- surface

# C(w1, w2) = BOWL * |w|^2 - sum of Gaussian wells (centre x, centre y, depth, width).
WELLS = ((1.2, 0.8, 2.0, 1.0), (-1.4, -1.0, 1.3, 0.7))
BOWL = 0.06
SURFACE_STARTS = ((-2.7, 0.3), (-0.5, 0.4), (2.7, -2.4), (-0.2, -2.4))
SURFACE_BOX = 3.0           # the picture shows [-3, 3] x [-3, 3]


def cost_2d(x, y):
    """The 2-D cost surface: a shallow bowl with a deep (global) and a shallower (local) well."""
    z = BOWL * (x * x + y * y)
    for x0, y0, depth, width in WELLS:
        z = z - depth * np.exp(-((x - x0) ** 2 + (y - y0) ** 2) / (2 * width * width))
    return z


def grad_2d(x, y):
    """The gradient of :func:`cost_2d`, derived by hand and checked by a test."""
    gx, gy = 2 * BOWL * x, 2 * BOWL * y
    for x0, y0, depth, width in WELLS:
        e = depth * np.exp(-((x - x0) ** 2 + (y - y0) ** 2) / (2 * width * width)) / (width * width)
        gx, gy = gx + e * (x - x0), gy + e * (y - y0)
    return gx, gy


@dataclass(frozen=True)
class Minimum:
    name: str            # "global" or "local"
    x: float
    y: float
    cost: float


@dataclass(frozen=True)
class DescentPath:
    start: tuple[float, float]
    points: np.ndarray   # (steps + 1, 2): the start, then every iterate
    minimum: str | None  # the name of the minimum it ends in, None if it ends in neither


def _descend(p, lr: float, steps: int) -> np.ndarray:
    pts = [np.asarray(p, dtype=float)]
    for _ in range(steps):
        g = np.array(grad_2d(*pts[-1]))
        pts.append(pts[-1] - lr * g)
    return np.array(pts)


def surface_minima() -> dict[str, Minimum]:
    """The two minima of :func:`cost_2d`, found and checked numerically.

    Each is found by long gradient descent from its well's centre and checked to be a minimum
    (gradient below 1e-9, Hessian positive definite by central differences); "global" is the
    lower, and must also be the lowest point of a fine grid over the picture.
    """
    found = []
    for x0, y0, _, _ in WELLS:
        p = _descend((x0, y0), 0.1, 4000)[-1]
        g = np.hypot(*grad_2d(*p))
        h = 1e-5
        hess = np.array([[(grad_2d(*(p + h * e))[i] - grad_2d(*(p - h * e))[i]) / (2 * h)
                          for e in np.eye(2)] for i in range(2)])
        if not (g < 1e-9 and np.all(np.linalg.eigvalsh((hess + hess.T) / 2) > 0)):
            raise RuntimeError(f"surface: the well at ({x0}, {y0}) has no minimum near it")
        found.append((float(cost_2d(*p)), float(p[0]), float(p[1])))
    found.sort()
    if abs(found[0][1] - found[1][1]) + abs(found[0][2] - found[1][2]) < 1e-3:
        raise RuntimeError("surface: both wells lead to the same minimum")
    grid = np.linspace(-SURFACE_BOX, SURFACE_BOX, 601)
    gx, gy = np.meshgrid(grid, grid)
    if cost_2d(gx, gy).min() < found[0][0] - 1e-9:
        raise RuntimeError("surface: the grid has a point lower than the global minimum")
    return {name: Minimum(name, x, y, c) for name, (c, x, y) in zip(("global", "local"), found)}


def surface_paths(starts=SURFACE_STARTS, lr: float = 0.15, steps: int = 60):
    """Gradient-descent paths on :func:`cost_2d` and the minima they end in.

    Returns ``(paths, minima)``: a list of :class:`DescentPath` (one per start) and the dict
    from :func:`surface_minima`. A path "ends in" a minimum when its last point is within 0.01
    of it and the gradient there is below 1e-3. With the default starts, two paths end in
    the local minimum and two in the global one; a RuntimeError says so if that ever changes.

    >>> paths, minima = surface_paths()
    >>> [p.minimum for p in paths]
    ['local', 'global', 'global', 'local']
    """
    minima = surface_minima()
    paths = []
    for s in starts:
        pts = _descend(s, lr, steps)
        end = pts[-1]
        where = None
        if np.hypot(*grad_2d(*end)) < 1e-3:
            for m in minima.values():
                if math.hypot(end[0] - m.x, end[1] - m.y) < 0.01:
                    where = m.name
        paths.append(DescentPath((float(s[0]), float(s[1])), pts, where))
    if tuple(starts) == SURFACE_STARTS and {p.minimum for p in paths} != {"local", "global"}:
        raise RuntimeError("surface: the default paths no longer end in both minima")
    return paths, minima


def _paths(n: int) -> str:
    return "no path" if n == 0 else "1 path" if n == 1 else f"{n} paths"


def _surface(mpl: _Mpl, fmt: str, starts=SURFACE_STARTS, lr=0.15, steps=60) -> bytes:
    try:
        starts = tuple((_number("start", a, -SURFACE_BOX, SURFACE_BOX), _number("start", b, -SURFACE_BOX, SURFACE_BOX))
                       for a, b in starts)
    except (TypeError, ValueError) as e:
        if isinstance(e, FigureError):
            raise
        raise FigureError("starts must be pairs of numbers, e.g. ((-2.7, 0.3), (2.7, -2.4))") from None
    if not 1 <= len(starts) <= len(PATH_COLOURS):
        raise FigureError(f"surface takes 1 to {len(PATH_COLOURS)} starts")
    lr = _number("lr", lr, 1e-4, 0.5)
    steps = _count("steps", steps, 1, 500)
    paths, minima = surface_paths(starts, lr, steps)

    fig = mpl.new(10.5, 4.8)
    ax3 = fig.add_subplot(1, 2, 1, projection="3d", computed_zorder=False)
    ax2 = fig.add_subplot(1, 2, 2)
    grid = np.linspace(-SURFACE_BOX, SURFACE_BOX, 61)
    gx, gy = np.meshgrid(grid, grid)
    gz = cost_2d(gx, gy)
    ax3.plot_surface(gx, gy, gz, cmap="viridis", alpha=0.8, linewidth=0, antialiased=False, zorder=1)
    ax3.set(xlabel="$w_1$", ylabel="$w_2$", zlabel="cost C", xlim=(-3, 3), ylim=(-3, 3))
    ax3.set_zlim(gz.min() - 0.1, gz.max() + 0.1)
    ax3.set_title("the cost surface C($w_1$, $w_2$)")
    ax2.contourf(gx, gy, gz, levels=24, cmap="viridis")
    ax2.contour(gx, gy, gz, levels=24, colors="white", linewidths=0.3, alpha=0.5)
    ax2.set(xlabel="$w_1$", ylabel="$w_2$", aspect="equal", xlim=(-3, 3), ylim=(-3, 3))
    n_local = sum(p.minimum == "local" for p in paths)
    n_global = sum(p.minimum == "global" for p in paths)
    ax2.set_title(f"from above: {_paths(n_global)} end in the global minimum, {n_local} in the local one")
    for m in minima.values():
        star = dict(marker="*", ms=15, mfc="gold" if m.name == "global" else "white", mec="black", zorder=7)
        ax2.plot([m.x], [m.y], **star)
        ax3.plot([m.x], [m.y], [m.cost], **star)
        left = m.name == "global"        # the global label sits up-left, clear of the paths
        ax2.annotate(f"{m.name} minimum\nC = {m.cost:.2f}", (m.x, m.y), xytext=(-10, 8) if left else (10, 8),
                     ha="right" if left else "left", textcoords="offset points", fontsize=8.5, color="white",
                     fontweight="bold", zorder=8)
    _suptitle(fig, "Gradient descent goes downhill from where it starts: it finds a minimum, not always the lowest one"
                 f"  (η = {lr:g}, {steps} steps)")

    def label(p):
        end = {"global": "global minimum", "local": "local minimum"}.get(p.minimum, f"no minimum after {steps} steps")
        return f"start ({p.start[0]:g}, {p.start[1]:g}) → {end}"

    outline = [mpl.patheffects.Stroke(linewidth=3.6, foreground="black"), mpl.patheffects.Normal()]
    lines = []
    for p, colour in zip(paths, PATH_COLOURS):
        pz = cost_2d(p.points[:, 0], p.points[:, 1])
        l3, = ax3.plot([], [], [], color=colour, lw=2.2, zorder=5, path_effects=outline)
        b3, = ax3.plot([], [], [], "o", color=colour, mec="black", ms=7, zorder=6)
        l2, = ax2.plot([], [], color=colour, lw=1.8, zorder=5, label=label(p), path_effects=outline)
        b2, = ax2.plot([], [], "o", color=colour, mec="black", ms=7, zorder=6)
        ax2.plot([p.start[0]], [p.start[1]], "s", color=colour, mec="black", ms=6, zorder=6)
        ax3.plot([p.start[0]], [p.start[1]], [pz[0] + 0.03], "s", color=colour, mec="black", ms=5, zorder=6)
        lines.append((p, pz, l3, b3, l2, b2))
    ax2.legend(loc="upper left", fontsize=7.5, framealpha=0.9)

    def show(k):
        for p, pz, l3, b3, l2, b2 in lines:
            xy = p.points[: k + 1]
            l3.set_data_3d(xy[:, 0], xy[:, 1], pz[: k + 1] + 0.03)
            b3.set_data_3d(xy[-1:, 0], xy[-1:, 1], pz[k:k + 1] + 0.03)
            l2.set_data(xy[:, 0], xy[:, 1])
            b2.set_data(xy[-1:, 0], xy[-1:, 1])

    if fmt != "gif":
        ax3.view_init(elev=50, azim=-110)
        show(steps)
        return _save(fig, fmt)
    frames = _Frames(mpl, fig)
    n = 40
    for i in range(n):
        ax3.view_init(elev=50, azim=-135 + 50 * i / (n - 1))      # a slow turn while the balls roll
        show(round(steps * i / (n - 1)))
        frames.grab()
    return frames.gif()


# --------------------------------------------------------------------------- boundary

@dataclass
class BoundaryModel:
    activation: str
    network: object           # a derive.train.Network
    history: object           # its derive.train.History
    test_accuracy: float      # measured here on the test split, not read from the history


def boundary_models(dataset: str = "xor", *, seed: int = 0, activation: str = "tanh", hidden=(8,),
                    epochs: int = 200, lr: float = 0.01, optimizer: str = "adam", batch: int = 32):
    """Train the same network twice on a 2-D data set: identity hidden activation, then ``activation``.

    Returns ``(data, [identity_model, nonlinear_model])`` as :class:`BoundaryModel`. Same hidden
    size, seed, optimizer and epochs, so the activation is the only difference.
    """
    from derive import train
    from derive.train import datasets

    if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool):
        hidden = (int(hidden),)
    try:
        data = datasets.load(dataset, seed=seed)
    except datasets.DataError as e:
        raise FigureError(str(e)) from None
    if data.n_features != 2:
        raise FigureError(f"boundary needs a data set with 2 features (xor, circles, moons, blobs); "
                          f"{dataset} has {data.n_features}")
    if activation == "identity":
        raise FigureError("boundary compares identity with a non-linear activation; choose tanh, sigmoid or relu")
    models = []
    for act in ("identity", activation):
        opts = train.TrainOptions(hidden=tuple(hidden), activation=act, loss="cross-entropy", optimizer=optimizer,
                                  lr=lr, epochs=epochs, batch=batch, seed=seed)
        try:
            net, hist = train.train(data, opts)
        except ValueError as e:         # bad options reported by the training core
            raise FigureError(f"boundary: {e}") from None
        acc = float(np.mean(np.asarray(net.predict(data.X_test)) == np.asarray(data.y_test)))
        models.append(BoundaryModel(act, net, hist, acc))
    return data, models


def _boundary(mpl: _Mpl, dataset: str, seed: int, **opts):
    data, models = boundary_models(dataset, seed=seed, **opts)
    X = np.vstack([data.X_train, data.X_test])
    pad = 0.15 * (X.max(axis=0) - X.min(axis=0))
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 240), np.linspace(lo[1], hi[1], 240))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    k = data.n_classes
    import matplotlib.colors as mcolors
    class_colours = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"][:max(k, 2)]

    fig = mpl.new(8.4, 5.0)
    axes = fig.subplots(1, 2, sharex=True, sharey=True)
    for ax, m in zip(axes, models):
        if k == 2:      # shade by P(class 1); the 0.5 line is the decision boundary
            p1 = np.asarray(m.network.predict_proba(grid))[:, 1].reshape(gx.shape)
            cmap = mcolors.LinearSegmentedColormap.from_list("rb", ["#f4a6a6", "#ffffff", "#a6c8ec"])
            ax.contourf(gx, gy, p1, levels=np.linspace(0, 1, 11), cmap=cmap)
            ax.contour(gx, gy, p1, levels=[0.5], colors="black", linewidths=1.6)
        else:
            pred = np.asarray(m.network.predict(grid)).reshape(gx.shape)
            light = mcolors.ListedColormap([mcolors.to_rgba(c, 0.3) for c in class_colours])
            ax.contourf(gx, gy, pred, levels=np.arange(k + 1) - 0.5, cmap=light)
            ax.contour(gx, gy, pred, levels=np.arange(k) + 0.5, colors="black", linewidths=1.2)
        for c in range(k):
            tr, te = data.y_train == c, data.y_test == c
            ax.scatter(data.X_train[tr, 0], data.X_train[tr, 1], s=9, color=class_colours[c], alpha=0.35,
                       linewidths=0)
            ax.scatter(data.X_test[te, 0], data.X_test[te, 1], s=24, color=class_colours[c], edgecolors="black",
                       linewidths=0.6, label=f"class {c} (test point)")
        kind = "linear: no activation" if m.activation == "identity" else "non-linear"
        ax.set_title(f"hidden activation {m.activation} ({kind})\ntest accuracy {m.test_accuracy:.2f}")
        ax.set(xlabel="$x_1$", xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]))
        ax.set_aspect("equal", adjustable="box")        # both features in the same units: circles stay round
    axes[0].set_ylabel("$x_2$")
    handles, labels = axes[0].get_legend_handles_labels()
    handles += [mpl.Line2D([], [], color="black", lw=1.6),
                mpl.Line2D([], [], ls="", marker="o", ms=3, color="#888888", alpha=0.5)]
    labels += ["decision boundary", "faded: training points"]
    if k == 2:
        handles.append(mpl.Patch(facecolor="#f4a6a6", edgecolor="#a6c8ec", lw=2))
        labels.append("shade: how sure the network is")
    fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=8.5, frameon=False)
    lin, non = models
    hidden = models[1].network.sizes[1:-1]          # as trained, whatever form the option took
    verdict = (f"only {non.activation} separates the classes" if non.test_accuracy - lin.test_accuracy >= 0.2
               else f"test accuracy {lin.test_accuracy:.2f} vs {non.test_accuracy:.2f}")
    sizes = "-".join(str(h) for h in hidden)
    _suptitle(fig, f"{data.name}: the same network (hidden layer {sizes}, seed {seed}) with and without a "
              f"non-linear activation: {verdict}", size=11)
    return fig


# --------------------------------------------------------------------------- curves

_KEYS = {
    "loss": ("loss_history", "loss"),
    "train": ("train_accuracy_history", "train_accuracy"),
    "test": ("test_accuracy_history", "test_accuracy"),
}


def history_series(history) -> dict[str, list[float]]:
    """Loss, train and test accuracy per epoch from a ``History`` or a summary dict.

    A dict may use the summary.json names (``loss_history``, ``train_accuracy_history``,
    ``test_accuracy_history``) or the History field names (``loss``, ``train_accuracy``,
    ``test_accuracy``). The accuracies are optional; the loss is required.

    >>> history_series({"loss_history": [0.9, 0.5], "test_accuracy_history": [0.6, 0.8]})
    {'loss': [0.9, 0.5], 'train': [], 'test': [0.6, 0.8]}
    """
    out = {}
    for key, names in _KEYS.items():
        value = None
        for name in names:
            value = history.get(name) if isinstance(history, Mapping) else getattr(history, name, None)
            if value is not None:
                break
        try:
            values = [float(v) for v in (value if value is not None else [])]
        except (TypeError, ValueError):
            raise FigureError(f"history: {names[0]} must be a list of numbers") from None
        if not all(math.isfinite(v) for v in values):
            raise FigureError(f"history: {names[0]} has a value that is not finite")
        out[key] = values
    if not out["loss"]:
        raise FigureError("history has no loss values (loss_history or loss)")
    return out


def _epochs(values: list[float], n_loss: int) -> np.ndarray:
    # One value per epoch, 1..n; a series one longer than the loss includes the state before
    # training, drawn at epoch 0.
    start = 0 if len(values) == n_loss + 1 else 1
    return np.arange(start, start + len(values))


def compare_title(series: Mapping[str, Mapping[str, list[float]]]) -> str:
    """The sentence the comparison figure states: which reached the higher final test accuracy.

    >>> compare_title({"cross-entropy": {"test": [0.8, 0.95]}, "squared error": {"test": [0.5, 0.9]}})
    'cross-entropy reached the higher final test accuracy: 0.950 vs 0.900 (squared error), 5.0 percentage points higher'
    """
    finals = {label: s["test"][-1] for label, s in series.items() if s["test"]}
    if len(finals) < 2:
        return "training loss and accuracy per epoch"
    ranked = sorted(finals.items(), key=lambda kv: -kv[1])
    (best, a), (second, b) = ranked[0], ranked[1]
    if a == b:
        return f"{best} and {second} reached the same final test accuracy: {a:.3f}"
    others = ", ".join(f"{v:.3f} ({label})" for label, v in ranked[1:])
    return (f"{best} reached the higher final test accuracy: {a:.3f} vs {others}, "
            f"{100 * (a - b):.1f} percentage points higher")


_LABELS = {"mse": "squared error"}      # loss names as train.py spells them -> words for a title


def _curves(mpl: _Mpl, history, histories, title: str | None = None):
    if history is None and histories is None:
        raise FigureError("curves needs history= (one run) or histories= (label -> history)")
    if history is not None and histories is not None:
        raise FigureError("curves takes history= or histories=, not both")
    if histories is not None:
        if not isinstance(histories, Mapping) or not histories:
            raise FigureError("histories must map a label to a history, "
                              "e.g. {'cross-entropy': h1, 'squared error': h2}")
        series = {_LABELS.get(str(label), str(label)): history_series(h) for label, h in histories.items()}
    else:
        series = {"": history_series(history)}
    compare = len(series) > 1

    fig = mpl.new(9, 4)
    ax_loss, ax_acc = fig.subplots(1, 2)
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
    for (label, s), colour in zip(series.items(), colours):
        name = f"{label}: " if label else ""
        n = len(s["loss"])
        ax_loss.plot(_epochs(s["loss"], n), s["loss"], color=colour, lw=1.8, label=label or "training loss")
        if s["train"]:
            ax_acc.plot(_epochs(s["train"], n), s["train"], color=colour, lw=1.4, ls="--", alpha=0.8,
                        label=f"{name}train")
        if s["test"]:
            ax_acc.plot(_epochs(s["test"], n), s["test"], color=colour, lw=2, label=f"{name}test")
            last = len(s["test"]) - 1
            ax_acc.annotate(f"{s['test'][-1]:.3f}", (_epochs(s["test"], n)[last], s["test"][-1]),
                            xytext=(3, 3), textcoords="offset points", fontsize=8.5, color=colour)
    if compare and all(v > 0 for s in series.values() for v in s["loss"]):
        ax_loss.set_yscale("log")       # different losses live on different scales
        ax_loss.set_ylabel("training loss (log scale; each run its own loss)")
    else:
        ax_loss.set_ylabel("training loss")
    ax_loss.set(xlabel="epoch", title="loss per epoch")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy per epoch (dashed: train, solid: test)")
    hi = max([1.0] + [v for s in series.values() for v in s["train"] + s["test"]])
    ax_acc.set_ylim(0, hi * 1.04)
    ax_loss.legend(fontsize=8)
    if any(s["train"] or s["test"] for s in series.values()):
        ax_acc.legend(fontsize=8, loc="lower right")
    ax_loss.grid(alpha=0.3)
    ax_acc.grid(alpha=0.3)
    if title is None:
        title = compare_title(series) if compare else "training loss and accuracy per epoch"
        test = next(iter(series.values()))["test"]
        if not compare and test:
            title += f": final test accuracy {test[-1]:.3f}"
    _suptitle(fig, title)
    return fig
