"""The training loop: mini-batches of a data set, one optimizer step each, per-epoch history.

- Reproducible: ``seed`` fixes the initial weights and the order of the mini-batches (two
  independent streams of one ``SeedSequence``); same seed, same data, same dtype and the
  same BLAS give bit-identical weights and history.
- The training set is shuffled once per epoch with one ``take`` into a preallocated copy,
  and the mini-batches are contiguous views of it.
- BLAS runs single-threaded while training (``TrainOptions.threads``, see :func:`blas_threads`).

History: ``loss`` is the mean training loss per sample of each epoch (every mini-batch's
loss measured just before its update, as scikit-learn's ``loss_curve_`` reports it);
``train_accuracy`` and ``test_accuracy`` are measured after each epoch on the whole train
and test sets (skipped when ``TrainOptions.track`` is false).

>>> from derive.train.datasets import load
>>> net, hist = train(load("blobs"), TrainOptions(hidden=(4,), epochs=5, lr=0.5))
>>> len(hist.loss), hist.loss[-1] < hist.loss[0], hist.test_accuracy[-1] > 0.9
(5, True, True)
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Callable

import numpy as np

from derive.train.engine import Engine, Plan, augment, check_loss, forward, predicted_class, targets
from derive.train.network import Network, streams
from derive.train.optimizers import optimizer
from derive.train.options import History, TrainError, TrainOptions, new_parameters, output_for, size_problem


def train(
    data,
    opts: TrainOptions | None = None,
    network: Network | None = None,
    progress: Callable[[int, int, float], None] | None = None,
) -> tuple[Network, History]:
    """Train on ``data`` (a :class:`derive.train.datasets.Dataset`) for ``opts.epochs`` epochs.

    Without ``network`` a new one is made from ``opts`` (hidden sizes, activation, init,
    seed; the output layer the loss needs). With one, its architecture is used as it is
    (``opts.hidden``, ``activation`` and ``init`` are ignored) and a copy in ``opts.dtype``
    is trained; the argument is not changed. ``progress(epoch, epochs, loss)`` is called
    after every epoch. Returns the trained network and its :class:`History`.

    >>> from derive.train.datasets import load
    >>> net, hist = train(load("xor"), TrainOptions(hidden=(8,), activation="tanh", optimizer="adam", lr=0.05,
    ...                                            epochs=30))
    >>> net, hist.test_accuracy[-1] > 0.9
    (Network(2-8-2, tanh-softmax, float64), True)
    """
    start = time.perf_counter()
    opts = opts or TrainOptions()
    opts.check()
    init_rng, rng = streams(opts.seed)
    sizes = [data.n_features, *opts.hidden, data.n_classes]
    n = new_parameters(sizes) if network is None else network.theta.size
    too_big = size_problem(n, len(data.y_train), opts.epochs)
    if too_big:
        raise TrainError(too_big)
    if network is None:
        net = Network.initialise(
            sizes, opts.activation, output_for(opts.loss), opts.init, init_rng, opts.dtype, opts.alpha
        )
    else:
        check_fits(network, data)
        net = network.copy(dtype=opts.dtype)
    check_loss(net, opts.loss)
    if len(data.y_train) == 0:
        raise TrainError(f"{data.name}: the training set is empty")
    history = History()
    epochs = _Epochs(net, data, opts)
    tracker = _Tracker(net, data) if opts.track else None
    with blas_threads(opts.threads), np.errstate(under="ignore", over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(1, opts.epochs + 1):
            loss = epochs.run(rng.permutation(len(data.y_train)))
            if not np.isfinite(loss) or not np.isfinite(net.theta).all():
                raise TrainError(
                    f"training diverged in epoch {epoch} (the loss is {loss}); "
                    f"try a smaller learning rate than {opts.lr}"
                )
            history.loss.append(loss)
            if tracker is not None:
                history.train_accuracy.append(tracker.accuracy(0))
                history.test_accuracy.append(tracker.accuracy(1))
            if progress is not None:
                progress(epoch, opts.epochs, loss)
    history.seconds = time.perf_counter() - start
    return net, history


class _Epochs:
    """One epoch after another over a fixed training set, with every buffer allocated once."""

    def __init__(self, net: Network, data, opts: TrainOptions):
        dt = net.dtype
        self.engine = engine = Engine(net, opts.loss)
        scale, self.step = optimizer(opts, net.theta, engine.G)
        self.Xa = augment(np.asarray(data.X_train, dtype=dt), dt)
        self.Y = targets(np.asarray(data.y_train), net.n_outputs, dt)
        N, B = len(self.Xa), min(int(opts.batch), len(self.Xa))
        # The epoch's shuffled copy of the data, and the output buffers the loss reads.
        self.XS, self.YS = np.empty_like(self.Xa), np.empty_like(self.Y)
        self.ZE, self.SE = np.empty((N, net.n_outputs), dtype=dt), np.ones((N, 1), dtype=dt)
        full = Plan(net, B)
        rest = Plan(net, N % B) if N % B else full  # the last, shorter batch (if any)
        self.batches: list[tuple[Plan, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]] = []
        for i in range(0, N, B):
            j = min(i + B, N)
            c = scale / (j - i) if opts.reduction == "mean" else scale
            self.batches.append(
                (full if j - i == B else rest, self.XS[i:j], self.YS[i:j], self.ZE[i:j], self.SE[i:j], c)
            )

    def run(self, perm: np.ndarray) -> float:
        """One pass over the data in the order ``perm``; the mean loss per sample."""
        # mode="clip" (perm is always in range) lets take write straight into out;
        # the default mode="raise" copies through a temporary buffer.
        np.take(self.Xa, perm, axis=0, out=self.XS, mode="clip")
        np.take(self.Y, perm, axis=0, out=self.YS, mode="clip")
        grad, step = self.engine.gradient, self.step
        for plan, xb, yb, zb, sb, c in self.batches:
            grad(plan, xb, yb, zb, sb, c)
            step()
        return self.engine.rule.total(self.ZE, self.SE, self.YS) / len(perm)


class _Tracker:
    """Accuracy on the whole train and test sets with preallocated work arrays."""

    def __init__(self, net: Network, data):
        dt = net.dtype
        self.parts: list[tuple[Plan, np.ndarray, np.ndarray, np.ndarray] | None] = []  # None: an empty set
        for X, y in ((data.X_train, data.y_train), (data.X_test, data.y_test)):
            X, y = np.asarray(X, dtype=dt), np.asarray(y)
            if len(X):
                z = np.empty((len(X), net.n_outputs), dtype=dt)
                self.parts.append((Plan(net, len(X)), augment(X, dt), y, z))
            else:
                self.parts.append(None)

    def accuracy(self, i: int) -> float:
        """Accuracy on the training (0) or test (1) set."""
        part = self.parts[i]
        if part is None:
            return float("nan")
        plan, Xa, y, z = part
        forward(plan, Xa, z)
        return float(np.count_nonzero(predicted_class(z) == y)) / len(y)


#: threadpoolctl's ThreadpoolController once made, or None when threadpoolctl is missing.
_CONTROLLER: list[Any] = []


def blas_threads(n: int | None):
    """Limit the BLAS thread pool to n threads while training, when threadpoolctl (which
    scikit-learn brings) is installed. The matrices here are small: on 2 busy cores a
    second OpenBLAS thread made a digits run ~10x slower. Without threadpoolctl the
    environment decides (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, MKL_NUM_THREADS)."""
    if n is None:
        return contextlib.nullcontext()
    if not _CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController

            _CONTROLLER.append(ThreadpoolController())  # scans the loaded libraries once
        except Exception:  # not installed, or an unusual platform: leave threads alone
            _CONTROLLER.append(None)
    controller = _CONTROLLER[0]
    return contextlib.nullcontext() if controller is None else controller.limit(limits=n, user_api="blas")


class FitError(TrainError):
    """The network does not fit the data set; ``part`` is ``"inputs"`` or ``"outputs"``."""

    def __init__(self, message: str, part: str):
        super().__init__(message)
        self.part = part


def check_fits(network: Network, data) -> None:
    """Raise :class:`FitError` unless the network has one input per feature of the data set
    and one output per class (or one sigmoid output for two classes).

    >>> from derive.train.datasets import load
    >>> check_fits(Network.initialise([2, 3], output="sigmoid"), load("xor"))  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    derive.train.loop.FitError: the network has 3 outputs but xor has 2 classes
    (one output per class, or one sigmoid output for two)
    """
    if network.n_inputs != data.n_features:
        raise FitError(
            f"the network has {network.n_inputs} inputs but {data.name} has {data.n_features} features", "inputs"
        )
    binary = network.n_outputs == 1 and network.output == "sigmoid" and data.n_classes == 2
    if network.n_outputs != data.n_classes and not binary:
        raise FitError(
            f"the network has {network.n_outputs} outputs but {data.name} has "
            f"{data.n_classes} classes (one output per class, or one sigmoid output for two)",
            "outputs",
        )
