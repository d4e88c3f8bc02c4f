"""The ``boundary`` figure: the decision regions of two networks trained on a 2-D data set (XOR,
circles, moons, blobs) with the same size, seed and optimizer, an identity hidden activation
beside a non-linear one (tanh unless asked otherwise), each titled with its test accuracy.

The training core is imported when the networks are trained, not when this module is, so that
``import derive.figures`` stays light.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from derive.figures.base import FigureError, suptitle

if TYPE_CHECKING:  # for the annotation only: training loads when a boundary is drawn
    from derive.train import Network

OPTIONS = {"activation", "hidden", "epochs", "lr", "optimizer", "batch"}
CLASS_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")
UNSURE, SURE_0, SURE_1 = "#ffffff", "#f4a6a6", "#a6c8ec"  # shades of P(class 1) for two classes


@dataclass
class BoundaryModel:
    activation: str
    network: Network  # as trained
    history: object  # its derive.train.History
    test_accuracy: float  # measured here on the test split, not read from the history


def boundary_models(
    dataset: str = "xor",
    *,
    seed: int = 0,
    activation: str = "tanh",
    hidden=(8,),
    epochs: int = 200,
    lr: float = 0.01,
    optimizer: str = "adam",
    batch: int = 32,
):
    """Train the same network twice on a 2-D data set: identity hidden activation, then ``activation``.

    Returns ``(data, [identity_model, nonlinear_model])`` as :class:`BoundaryModel`. Same hidden
    size, seed, optimizer and epochs, so the activation is the only difference.

    >>> data, (lin, non) = boundary_models("xor", epochs=20)
    >>> (lin.activation, non.activation), lin.network.sizes == non.network.sizes
    (('identity', 'tanh'), True)
    """
    from derive.train import TrainOptions, train
    from derive.train.datasets import DataError, load

    if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool):
        hidden = (int(hidden),)
    try:
        data = load(dataset, seed=seed)
    except DataError as e:
        raise FigureError(str(e)) from None
    if data.n_features != 2:
        raise FigureError(
            f"boundary needs a data set with 2 features (xor, circles, moons, blobs); {dataset} has {data.n_features}"
        )
    if activation == "identity":
        raise FigureError("boundary compares identity with a non-linear activation; choose tanh, sigmoid or relu")
    models = []
    for act in ("identity", activation):
        opts = TrainOptions(
            hidden=tuple(hidden),
            activation=act,
            loss="cross-entropy",
            optimizer=optimizer,
            lr=lr,
            epochs=epochs,
            batch=batch,
            seed=seed,
        )
        try:
            net, hist = train(data, opts)
        except ValueError as e:  # bad options reported by the training core
            raise FigureError(f"boundary: {e}") from None
        acc = float(np.mean(np.asarray(net.predict(data.X_test)) == np.asarray(data.y_test)))
        models.append(BoundaryModel(act, net, hist, acc))
    return data, models


def draw(mpl, dataset: str, seed: int, **opts):
    """The boundary figure (a matplotlib Figure): both models side by side, a shared legend below,
    and a title with the verdict. ``opts`` go to :func:`boundary_models`."""
    data, models = boundary_models(dataset, seed=seed, **opts)
    view = _View(data)
    k = data.n_classes
    class_colours = list(CLASS_COLOURS[: max(k, 2)])
    fig = mpl.new(8.4, 5.0)
    axes = fig.subplots(1, 2, sharex=True, sharey=True)
    for ax, m in zip(axes, models, strict=True):
        _draw_regions(mpl, ax, m.network, view, k, class_colours)
        _draw_points(ax, data, class_colours)
        kind = "linear: no activation" if m.activation == "identity" else "non-linear"
        ax.set_title(f"hidden activation {m.activation} ({kind})\ntest accuracy {m.test_accuracy:.2f}")
        ax.set(xlabel="$x_1$", xlim=(view.lo[0], view.hi[0]), ylim=(view.lo[1], view.hi[1]))
        ax.set_aspect("equal", adjustable="box")  # both features in the same units: circles stay round
    axes[0].set_ylabel("$x_2$")
    _draw_legend(mpl, fig, axes[0], k)
    _title(fig, data.name, models, seed)
    return fig


class _View:
    """The picture's box (the data with a margin) and the grid of points the regions are shaded on."""

    def __init__(self, data):
        X = np.vstack([data.X_train, data.X_test])
        pad = 0.15 * (X.max(axis=0) - X.min(axis=0))
        self.lo, self.hi = X.min(axis=0) - pad, X.max(axis=0) + pad
        self.gx, self.gy = np.meshgrid(
            np.linspace(self.lo[0], self.hi[0], 240), np.linspace(self.lo[1], self.hi[1], 240)
        )
        self.grid = np.column_stack([self.gx.ravel(), self.gy.ravel()])


def _draw_regions(mpl, ax, network, view: _View, k: int, class_colours: list[str]) -> None:
    """The decision regions: for two classes shaded by P(class 1) with the 0.5 line as the
    boundary, for more a light colour per predicted class with the lines between them."""
    gx, gy, mcolors = view.gx, view.gy, mpl.colors
    if k == 2:
        p1 = np.asarray(network.predict_proba(view.grid))[:, 1].reshape(gx.shape)
        cmap = mcolors.LinearSegmentedColormap.from_list("rb", [SURE_0, UNSURE, SURE_1])
        ax.contourf(gx, gy, p1, levels=np.linspace(0, 1, 11), cmap=cmap)
        ax.contour(gx, gy, p1, levels=[0.5], colors="black", linewidths=1.6)
    else:
        pred = np.asarray(network.predict(view.grid)).reshape(gx.shape)
        light = mcolors.ListedColormap([mcolors.to_rgba(c, 0.3) for c in class_colours])
        ax.contourf(gx, gy, pred, levels=np.arange(k + 1) - 0.5, cmap=light)
        ax.contour(gx, gy, pred, levels=np.arange(k) + 0.5, colors="black", linewidths=1.2)


def _draw_points(ax, data, class_colours: list[str]) -> None:
    """The data, one colour a class: training points small and faded, test points outlined."""
    for c in range(data.n_classes):
        tr, te = data.y_train == c, data.y_test == c
        ax.scatter(data.X_train[tr, 0], data.X_train[tr, 1], s=9, color=class_colours[c], alpha=0.35, linewidths=0)
        ax.scatter(
            data.X_test[te, 0],
            data.X_test[te, 1],
            s=24,
            color=class_colours[c],
            edgecolors="black",
            linewidths=0.6,
            label=f"class {c} (test point)",
        )


def _draw_legend(mpl, fig, ax, k: int) -> None:
    """One legend below both panels: the classes, the boundary, the faded training points and,
    for two classes, what the shading means."""
    handles, labels = ax.get_legend_handles_labels()
    handles += [
        mpl.Line2D([], [], color="black", lw=1.6),
        mpl.Line2D([], [], ls="", marker="o", ms=3, color="#888888", alpha=0.5),
    ]
    labels += ["decision boundary", "faded: training points"]
    if k == 2:
        handles.append(mpl.Patch(facecolor=SURE_0, edgecolor=SURE_1, lw=2))
        labels.append("shade: how sure the network is")
    fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=8.5, frameon=False)


def _title(fig, name: str, models: list[BoundaryModel], seed: int) -> None:
    """The figure's title: the network and the verdict, the non-linear one alone separating the
    classes when it is at least 0.2 more accurate, else both accuracies."""
    lin, non = models
    hidden = non.network.sizes[1:-1]  # as trained, whatever form the option took
    verdict = (
        f"only {non.activation} separates the classes"
        if non.test_accuracy - lin.test_accuracy >= 0.2
        else f"test accuracy {lin.test_accuracy:.2f} vs {non.test_accuracy:.2f}"
    )
    sizes = "-".join(str(h) for h in hidden)
    suptitle(
        fig,
        f"{name}: the same network (hidden layer {sizes}, seed {seed}) with and without a "
        f"non-linear activation: {verdict}",
        size=11,
    )
