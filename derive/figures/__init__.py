"""Pictures for teaching gradient descent and activations (the optional ``[plots]`` extra).

One entry point, :func:`figure`, draws one of :data:`KINDS` to a PNG, SVG or PDF file, or a
GIF for the animated kinds; each kind is its own module:

``tangent``   (:mod:`derive.figures.tangent`) a 1-D cost curve with the tangent at each
              gradient-descent iterate, coloured by the sign of its slope. Animated.
``surface``   (:mod:`derive.figures.surface`) a 2-D cost surface with a local and a global
              minimum, and gradient-descent paths that end in each. Animated.
``boundary``  (:mod:`derive.figures.boundary`) the decision regions of two networks trained with
              the same size and seed, an identity hidden activation beside tanh.
``curves``    (:mod:`derive.figures.curves`) loss and accuracy per epoch from one training
              history, or several on the same axes with the winner in the title.

What they share is in :mod:`derive.figures.base` (matplotlib imported on first use, style,
deterministic saving) and :mod:`derive.figures.gif` (the frames encoder). An animated kind saved
as PNG, SVG or PDF is a still of its last frame with the whole path. Output is deterministic:
rerunning gives a byte-identical file. Importing this package does not import matplotlib.

>>> paths, minima = surface_paths()
>>> sorted({p.minimum for p in paths})
['global', 'local']
>>> minima["global"].cost < minima["local"].cost
True
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from derive.figures import boundary, curves, surface, tangent
from derive.figures.base import (
    FLAT,
    INSTALL_HINT,
    NEGATIVE,
    POSITIVE,
    STILL_DPI,
    STYLE,
    FigureError,
    load_matplotlib,
    save,
)
from derive.figures.boundary import BoundaryModel, boundary_models
from derive.figures.curves import compare_title, history_series
from derive.figures.gif import GIF_DPI, GIF_MS
from derive.figures.surface import (
    BOWL,
    PATH_COLOURS,
    SURFACE_BOX,
    SURFACE_STARTS,
    WELLS,
    DescentPath,
    Minimum,
    cost_2d,
    grad_2d,
    surface_minima,
    surface_paths,
)
from derive.figures.tangent import (
    FLAT_SLOPE,
    TANGENT_FORMULA,
    TANGENT_STARTS,
    cost_1d,
    minimum_1d,
    slope_1d,
    tangent_iterates,
)
from derive.files import UsageError, write_atomic

KINDS = ("tangent", "surface", "boundary", "curves")
ANIMATED = ("tangent", "surface")
STILL_FORMATS = ("png", "svg", "pdf")

# Options each kind accepts through figure(**opts), as each kind's module declares them.
_OPTIONS = {
    "tangent": tangent.OPTIONS,
    "surface": surface.OPTIONS,
    "boundary": boundary.OPTIONS,
    "curves": curves.OPTIONS,
}

__all__ = [
    "ANIMATED",
    "BOWL",
    "FLAT",
    "FLAT_SLOPE",
    "GIF_DPI",
    "GIF_MS",
    "INSTALL_HINT",
    "KINDS",
    "NEGATIVE",
    "PATH_COLOURS",
    "POSITIVE",
    "STILL_DPI",
    "STILL_FORMATS",
    "SURFACE_BOX",
    "SURFACE_STARTS",
    "TANGENT_FORMULA",
    "TANGENT_STARTS",
    "WELLS",
    "BoundaryModel",
    "DescentPath",
    "FigureError",
    "Minimum",
    "boundary_models",
    "compare_title",
    "cost_1d",
    "cost_2d",
    "figure",
    "grad_2d",
    "history_series",
    "minimum_1d",
    "slope_1d",
    "surface_minima",
    "surface_paths",
    "tangent_iterates",
]


def figure(
    kind: str, out_path, *, dataset: str = "xor", seed: int = 0, history=None, histories: Mapping | None = None, **opts
) -> Path:
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
    fmt = _check_request(kind, Path(out_path), opts, history, histories)
    mpl = load_matplotlib()
    with mpl.rc_context(STYLE):
        if kind == "tangent":
            data = tangent.render(mpl, fmt, **opts)
        elif kind == "surface":
            data = surface.render(mpl, fmt, **opts)
        elif kind == "boundary":
            data = save(boundary.draw(mpl, dataset, seed, **opts), fmt)
        else:
            data = save(curves.draw(mpl, history, histories, **opts), fmt)
    out = Path(out_path)
    try:
        write_atomic(out, data)
    except UsageError as e:
        raise FigureError(str(e)) from None
    return out


def _check_request(kind: str, out: Path, opts: Mapping, history, histories) -> str:
    """The output format, once the kind, the suffix and the options are known to fit together;
    otherwise a FigureError before anything is drawn or written."""
    if kind not in KINDS:
        raise FigureError(f"unknown figure kind {kind!r}; choose one of: {', '.join(KINDS)}")
    fmt = out.suffix.lower().lstrip(".")
    allowed = STILL_FORMATS + (("gif",) if kind in ANIMATED else ())
    if fmt not in allowed:
        shown = f"'.{fmt}'" if fmt else "no suffix"
        raise FigureError(
            f"{out}: a {kind} figure can be written as {', '.join('.' + a for a in allowed)}, not {shown}"
        )
    unknown = sorted(set(opts) - _OPTIONS[kind])
    if unknown:
        ok = ", ".join(sorted(_OPTIONS[kind])) or "none"
        raise FigureError(f"unknown option(s) for {kind}: {', '.join(unknown)} (allowed: {ok})")
    if kind != "curves" and (history is not None or histories is not None):
        raise FigureError(f"history/histories are for the curves figure, not {kind}")
    return fmt
