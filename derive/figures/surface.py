"""The ``surface`` figure: a 2-D cost surface with a local and a global minimum, and
gradient-descent paths from four starts; two end in the local minimum and two in the global
one, which :func:`surface_paths` checks numerically every time it runs. Drawn in 3-D beside a
contour map seen from above; animated as a GIF while the view turns slowly.

>>> paths, minima = surface_paths()
>>> sorted({p.minimum for p in paths})
['global', 'local']
>>> minima["global"].cost < minima["local"].cost
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from derive.figures.base import FigureError, count, number, save, suptitle
from derive.figures.gif import Frames

# C(w1, w2) = BOWL * |w|^2 - sum of Gaussian wells (centre x, centre y, depth, width).
WELLS = ((1.2, 0.8, 2.0, 1.0), (-1.4, -1.0, 1.3, 0.7))
BOWL = 0.06
SURFACE_STARTS = ((-2.7, 0.3), (-0.5, 0.4), (2.7, -2.4), (-0.2, -2.4))
SURFACE_BOX = 3.0  # the picture shows [-3, 3] x [-3, 3]
PATH_COLOURS = ("#ff7f0e", "#d62728", "#ffffff", "#ff69b4", "#8c564b", "#17becf")
OPTIONS = {"starts", "lr", "steps"}


def cost_2d(x, y):
    """The 2-D cost surface: a shallow bowl with a deep (global) and a shallower (local) well.

    >>> round(float(cost_2d(0.0, 0.0)), 3)
    -0.77
    """
    z = BOWL * (x * x + y * y)
    for x0, y0, depth, width in WELLS:
        z = z - depth * np.exp(-((x - x0) ** 2 + (y - y0) ** 2) / (2 * width * width))
    return z


def grad_2d(x, y):
    """The gradient of :func:`cost_2d`, derived by hand and checked by a test.

    >>> gx, gy = grad_2d(3.0, 3.0)
    >>> bool(gx > 0 and gy > 0)          # far out, uphill is outwards
    True
    """
    gx, gy = 2 * BOWL * x, 2 * BOWL * y
    for x0, y0, depth, width in WELLS:
        e = depth * np.exp(-((x - x0) ** 2 + (y - y0) ** 2) / (2 * width * width)) / (width * width)
        gx, gy = gx + e * (x - x0), gy + e * (y - y0)
    return gx, gy


@dataclass(frozen=True)
class Minimum:
    name: str  # "global" or "local"
    x: float
    y: float
    cost: float


@dataclass(frozen=True)
class DescentPath:
    start: tuple[float, float]
    points: np.ndarray  # (steps + 1, 2): the start, then every iterate
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

    >>> sorted(surface_minima())
    ['global', 'local']
    """
    found = []
    for x0, y0, _, _ in WELLS:
        p = _descend((x0, y0), 0.1, 4000)[-1]
        g = np.hypot(*grad_2d(*p))
        h = 1e-5
        hess = np.array(
            [[(grad_2d(*(p + h * e))[i] - grad_2d(*(p - h * e))[i]) / (2 * h) for e in np.eye(2)] for i in range(2)]
        )
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
    return {name: Minimum(name, x, y, c) for name, (c, x, y) in zip(("global", "local"), found, strict=True)}


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


def _checked(starts, lr, steps) -> tuple[tuple, float, int]:
    """The options as numbers in range, or a FigureError naming the first one that is not."""
    try:
        starts = tuple(
            (number("start", a, -SURFACE_BOX, SURFACE_BOX), number("start", b, -SURFACE_BOX, SURFACE_BOX))
            for a, b in starts
        )
    except (TypeError, ValueError) as e:
        if isinstance(e, FigureError):
            raise
        raise FigureError("starts must be pairs of numbers, e.g. ((-2.7, 0.3), (2.7, -2.4))") from None
    if not 1 <= len(starts) <= len(PATH_COLOURS):
        raise FigureError(f"surface takes 1 to {len(PATH_COLOURS)} starts")
    lr = number("lr", lr, 1e-4, 0.5)
    steps = count("steps", steps, 1, 500)
    return starts, lr, steps


def render(mpl, fmt: str, starts=SURFACE_STARTS, lr=0.15, steps=60) -> bytes:
    """The surface figure as ``fmt`` bytes: png, svg or pdf (a still with the whole paths), or
    gif (the paths growing while the 3-D view turns)."""
    starts, lr, steps = _checked(starts, lr, steps)
    paths, minima = surface_paths(starts, lr, steps)
    fig = mpl.new(10.5, 4.8)
    ax3 = fig.add_subplot(1, 2, 1, projection="3d", computed_zorder=False)
    ax2 = fig.add_subplot(1, 2, 2)
    _draw_terrain(ax3, ax2)
    _draw_minima(ax3, ax2, paths, minima)
    suptitle(
        fig,
        "Gradient descent goes downhill from where it starts: it finds a minimum, not always the lowest one"
        f"  (η = {lr:g}, {steps} steps)",
    )
    lines = _draw_path_artists(mpl, ax3, ax2, paths, steps)
    ax2.legend(loc="upper left", fontsize=7.5, framealpha=0.9)
    if fmt != "gif":
        ax3.view_init(elev=50, azim=-110)
        _show_paths_to(lines, steps)
        return save(fig, fmt)
    frames = Frames(mpl, fig)
    n = 40
    for i in range(n):
        ax3.view_init(elev=50, azim=-135 + 50 * i / (n - 1))  # a slow turn while the balls roll
        _show_paths_to(lines, round(steps * i / (n - 1)))
        frames.grab()
    return frames.gif()


def _draw_terrain(ax3, ax2) -> None:
    """The cost as a 3-D surface on the left and as filled contours seen from above on the right."""
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


def _draw_minima(ax3, ax2, paths, minima) -> None:
    """The two minima as stars (gold: global) with their costs, and the map's title counting
    the paths that end in each."""
    n_local = sum(p.minimum == "local" for p in paths)
    n_global = sum(p.minimum == "global" for p in paths)
    ax2.set_title(f"from above: {_paths(n_global)} end in the global minimum, {n_local} in the local one")
    for m in minima.values():
        star = dict(marker="*", ms=15, mfc="gold" if m.name == "global" else "white", mec="black", zorder=7)
        ax2.plot([m.x], [m.y], **star)
        ax3.plot([m.x], [m.y], [m.cost], **star)
        left = m.name == "global"  # the global label sits up-left, clear of the paths
        ax2.annotate(
            f"{m.name} minimum\nC = {m.cost:.2f}",
            (m.x, m.y),
            xytext=(-10, 8) if left else (10, 8),
            ha="right" if left else "left",
            textcoords="offset points",
            fontsize=8.5,
            color="white",
            fontweight="bold",
            zorder=8,
        )


def _path_label(p: DescentPath, steps: int) -> str:
    names = {"global": "global minimum", "local": "local minimum"}
    end = names[p.minimum] if p.minimum in names else f"no minimum after {steps} steps"
    return f"start ({p.start[0]:g}, {p.start[1]:g}) → {end}"


def _draw_path_artists(mpl, ax3, ax2, paths, steps: int) -> list[tuple]:
    """Each path's start as a square on both views, and its (still empty) line and ball, to be
    filled in by :func:`_show_paths_to`; one colour a path, outlined in black."""
    outline = [mpl.patheffects.Stroke(linewidth=3.6, foreground="black"), mpl.patheffects.Normal()]
    lines = []
    for p, colour in zip(paths, PATH_COLOURS, strict=False):
        pz = cost_2d(p.points[:, 0], p.points[:, 1])
        (l3,) = ax3.plot([], [], [], color=colour, lw=2.2, zorder=5, path_effects=outline)
        (b3,) = ax3.plot([], [], [], "o", color=colour, mec="black", ms=7, zorder=6)
        (l2,) = ax2.plot([], [], color=colour, lw=1.8, zorder=5, label=_path_label(p, steps), path_effects=outline)
        (b2,) = ax2.plot([], [], "o", color=colour, mec="black", ms=7, zorder=6)
        ax2.plot([p.start[0]], [p.start[1]], "s", color=colour, mec="black", ms=6, zorder=6)
        ax3.plot([p.start[0]], [p.start[1]], [pz[0] + 0.03], "s", color=colour, mec="black", ms=5, zorder=6)
        lines.append((p, pz, l3, b3, l2, b2))
    return lines


def _show_paths_to(lines: list[tuple], k: int) -> None:
    """Every path drawn up to iterate ``k``, with its ball at iterate ``k``."""
    for p, pz, l3, b3, l2, b2 in lines:
        xy = p.points[: k + 1]
        l3.set_data_3d(xy[:, 0], xy[:, 1], pz[: k + 1] + 0.03)
        b3.set_data_3d(xy[-1:, 0], xy[-1:, 1], pz[k : k + 1] + 0.03)
        l2.set_data(xy[:, 0], xy[:, 1])
        b2.set_data(xy[-1:, 0], xy[-1:, 1])
