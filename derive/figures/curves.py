"""The ``curves`` figure: loss and accuracy per epoch from one training history, or from several
(squared error against cross-entropy) on the same axes, titled with which run reached the
higher final test accuracy and by how much.

>>> series = {"a": history_series({"loss": [1.0], "test_accuracy": [0.9]}),
...           "b": history_series({"loss": [1.0], "test_accuracy": [0.8]})}
>>> compare_title(series).split(":")[0]
'a reached the higher final test accuracy'
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from derive.figures.base import FigureError, suptitle

OPTIONS = {"title"}
RUN_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")
SINGLE_TITLE = "training loss and accuracy per epoch"

# Each series, and the names it may have in a history: summary.json's first, History's second.
_KEYS = {
    "loss": ("loss_history", "loss"),
    "train": ("train_accuracy_history", "train_accuracy"),
    "test": ("test_accuracy_history", "test_accuracy"),
}
_LABELS = {"mse": "squared error"}  # loss names as derive.train spells them -> words for a title


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
        return SINGLE_TITLE
    ranked = sorted(finals.items(), key=lambda kv: -kv[1])
    (best, a), (second, b) = ranked[0], ranked[1]
    if a == b:
        return f"{best} and {second} reached the same final test accuracy: {a:.3f}"
    others = ", ".join(f"{v:.3f} ({label})" for label, v in ranked[1:])
    return (
        f"{best} reached the higher final test accuracy: {a:.3f} vs {others}, "
        f"{100 * (a - b):.1f} percentage points higher"
    )


def _series(history, histories) -> dict[str, dict[str, list[float]]]:
    """label -> series from exactly one of ``history`` (label "") and ``histories``."""
    if history is None and histories is None:
        raise FigureError("curves needs history= (one run) or histories= (label -> history)")
    if history is not None and histories is not None:
        raise FigureError("curves takes history= or histories=, not both")
    if histories is None:
        return {"": history_series(history)}
    if not isinstance(histories, Mapping) or not histories:
        raise FigureError("histories must map a label to a history, e.g. {'cross-entropy': h1, 'squared error': h2}")
    if len(histories) > len(RUN_COLOURS):  # one colour a run: more runs would not be drawn
        raise FigureError(f"curves draws at most {len(RUN_COLOURS)} runs, got {len(histories)}")
    return {_LABELS.get(str(label), str(label)): history_series(h) for label, h in histories.items()}


def draw(mpl, history, histories, title: str | None = None):
    """The curves figure (a matplotlib Figure): loss on the left, accuracy on the right, one
    colour a run, and a title that states the outcome unless ``title`` is given."""
    series = _series(history, histories)
    compare = len(series) > 1
    fig = mpl.new(9, 4)
    ax_loss, ax_acc = fig.subplots(1, 2)
    for (label, s), colour in zip(series.items(), RUN_COLOURS, strict=False):
        _draw_run(ax_loss, ax_acc, label, s, colour)
    _dress_axes(ax_loss, ax_acc, series, compare)
    if title is None:
        title = _outcome(series, compare)
    suptitle(fig, title)
    return fig


def _draw_run(ax_loss, ax_acc, label: str, s: dict[str, list[float]], colour: str) -> None:
    """One run: its loss, its train accuracy dashed, its test accuracy solid with the final value."""
    name = f"{label}: " if label else ""
    n = len(s["loss"])
    ax_loss.plot(_epochs(s["loss"], n), s["loss"], color=colour, lw=1.8, label=label or "training loss")
    if s["train"]:
        ax_acc.plot(_epochs(s["train"], n), s["train"], color=colour, lw=1.4, ls="--", alpha=0.8, label=f"{name}train")
    if s["test"]:
        ax_acc.plot(_epochs(s["test"], n), s["test"], color=colour, lw=2, label=f"{name}test")
        last = len(s["test"]) - 1
        ax_acc.annotate(
            f"{s['test'][-1]:.3f}",
            (_epochs(s["test"], n)[last], s["test"][-1]),
            xytext=(3, 3),
            textcoords="offset points",
            fontsize=8.5,
            color=colour,
        )


def _dress_axes(ax_loss, ax_acc, series, compare: bool) -> None:
    """Labels, scales, limits, legends and grids of both panels."""
    if compare and all(v > 0 for s in series.values() for v in s["loss"]):
        ax_loss.set_yscale("log")  # different losses live on different scales
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


def _outcome(series, compare: bool) -> str:
    """The default title: the comparison's winner, or one run's final test accuracy."""
    if compare:
        return compare_title(series)
    test = next(iter(series.values()))["test"]
    return SINGLE_TITLE + (f": final test accuracy {test[-1]:.3f}" if test else "")
