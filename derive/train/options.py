"""What a training run is asked to do (:class:`TrainOptions`), what it records
(:class:`History`), its error type, and which output layers and losses the core trains.

The core trains classifiers: the output layer is a softmax or a sigmoid, and the loss is
one the output can be trained with (cross-entropy needs softmax, bce needs sigmoid, the
squared-error family takes either).

>>> TrainOptions(hidden=(4,), lr=0.5).check()
>>> output_for("bce"), output_for("cross-entropy"), refusal("softmax", "bce")
('sigmoid', 'softmax', 'bce needs a sigmoid output layer, got softmax')
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from derive.errors import DeriveError
from derive.model.names import DTYPES, HIDDEN_ACTIVATIONS, INITS, LOSSES, OPTIMIZERS, REDUCTIONS, learning_rate_problem
from derive.verify.kernels import OUTPUT_FOR

#: Output activations the core trains (a classifier's outputs).
OUTPUT_ACTIVATIONS = ("softmax", "sigmoid")

#: What one training run may ask for (the README's "Limits"), checked before anything is
#: allocated: hidden layers, nodes per hidden layer, weights and biases, and the work of
#: the run, epochs x training samples x weights and biases (about a minute's arithmetic).
TRAIN_LAYERS = 16
TRAIN_WIDTH = 4096
TRAIN_PARAMETERS = 10_000_000
TRAIN_WORK = 200_000_000_000


class TrainError(DeriveError, ValueError):
    """A training problem; ``str(err)`` is a one-line message for the user (exit status 2)."""


def output_for(loss: str) -> str:
    """The output activation a new network gets for ``loss``: the one the loss needs, else
    sigmoid (the squared-error family on sigmoid outputs)."""
    return OUTPUT_FOR.get(loss, "sigmoid")


def refusal(output: str, loss: str) -> str | None:
    """Why the core cannot train ``loss`` on an ``output`` layer, or None when it can."""
    if loss not in LOSSES:
        return f"unknown loss {loss!r} (choose from {', '.join(LOSSES)})"
    if output not in OUTPUT_ACTIVATIONS:
        return (
            f"the training core trains classifiers, whose output layer is {' or '.join(OUTPUT_ACTIVATIONS)}; "
            f"got {output}"
        )
    if loss in OUTPUT_FOR and OUTPUT_FOR[loss] != output:
        return f"{loss} needs a {OUTPUT_FOR[loss]} output layer, got {output}"
    return None


@dataclass
class TrainOptions:
    """How to train: the new network's shape (``hidden``, ``activation``, ``init``), the loss,
    the optimizer and its settings, the schedule and the arithmetic.

    >>> TrainOptions(optimizer="adam", lr=1e-3).check()
    >>> TrainOptions(lr=0).check()
    Traceback (most recent call last):
    ...
    derive.train.options.TrainError: the learning rate must be positive and at most 1000, got 0
    """

    hidden: tuple[int, ...] = (32,)
    activation: str = "sigmoid"  # hidden layers of a new network: one of HIDDEN_ACTIVATIONS
    loss: str = "cross-entropy"  # one of LOSSES that fits the output layer (see refusal)
    optimizer: str = "sgd"  # sgd | momentum | nesterov | rmsprop | adam
    lr: float = 0.1
    epochs: int = 50
    batch: int = 32
    seed: int = 0
    dtype: str = "float64"  # float64 | float32
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    rho: float = 0.99  # rmsprop's square-average decay (PyTorch's alpha)
    init: str = "auto"  # auto (He for relu-family, Xavier otherwise) | xavier | he
    alpha: float = 0.01  # leaky-relu slope for net <= 0 (new networks)
    reduction: str = "mean"  # a mini-batch's gradient: of the mean or of the sum of its losses
    track: bool = True  # measure train/test accuracy after every epoch
    threads: int | None = 1  # BLAS threads while training (None: leave the setting alone)

    def check(self) -> None:
        """Raise TrainError naming the first bad field."""
        hidden = tuple(self.hidden)
        if any(not _whole(h) or h < 1 for h in hidden):
            raise TrainError(f"hidden layer sizes must be whole numbers >= 1, got {list(hidden)}")
        if len(hidden) > TRAIN_LAYERS or any(h > TRAIN_WIDTH for h in hidden):
            raise TrainError(
                f"at most {TRAIN_LAYERS} hidden layers of at most {TRAIN_WIDTH} nodes each (the limits on "
                f"training), got {len(hidden)} layers of up to {max(hidden)} nodes"
            )
        for name, options in (
            ("activation", HIDDEN_ACTIVATIONS),
            ("loss", LOSSES),
            ("optimizer", OPTIMIZERS),
            ("init", INITS),
            ("dtype", DTYPES),
            ("reduction", REDUCTIONS),
        ):
            if getattr(self, name) not in options:
                raise TrainError(f"unknown {name} {getattr(self, name)!r} (choose from {', '.join(options)})")
        for name, low in (("epochs", 1), ("batch", 1), ("seed", 0)):
            v = getattr(self, name)
            if not _whole(v) or v < low:
                raise TrainError(f"{name} must be a whole number >= {low}, got {v!r}")
        problem = learning_rate_problem(self.lr) if _finite(self.lr) else "must be a finite number"
        if problem:
            raise TrainError(f"the learning rate {problem}, got {self.lr!r}")
        for name in ("momentum", "beta1", "beta2", "alpha", "rho"):
            v = getattr(self, name)
            if not _finite(v) or not 0 <= v < 1:
                raise TrainError(f"{name} must be a number from 0 up to (not including) 1, got {v!r}")
        if not _finite(self.eps) or self.eps <= 0:
            raise TrainError(f"eps must be a positive number, got {self.eps!r}")
        if self.threads is not None and (not _whole(self.threads) or self.threads < 1):
            raise TrainError(f"threads must be a whole number >= 1 or None, got {self.threads!r}")


def new_parameters(sizes) -> int:
    """Weights and biases of a new network of layer ``sizes`` (inputs first; a bias per node)."""
    return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))


def size_problem(n: int, n_train: int, epochs: int) -> str | None:
    """Why a network of ``n`` weights and biases trained for ``epochs`` epochs on
    ``n_train`` samples exceeds the limits on training, or None.

    >>> size_problem(new_parameters([64, 32, 10]), 1437, 50) is None
    True
    >>> size_problem(new_parameters([2] + [4096] * 100 + [2]), 100, 1)
    'the network has 1,661,370,370 weights and biases; training allows at most 10,000,000'
    """
    if n > TRAIN_PARAMETERS:
        return f"the network has {n:,} weights and biases; training allows at most {TRAIN_PARAMETERS:,}"
    if epochs * n_train * n > TRAIN_WORK:
        most = max(TRAIN_WORK // (n_train * n), 1)
        return (
            f"{epochs:,} epochs of {n_train:,} samples through {n:,} weights and biases exceed the limit of "
            f"{TRAIN_WORK:,} on training (at most {most:,} epochs for this network and data)"
        )
    return None


def _whole(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _finite(v) -> bool:
    return isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool) and bool(np.isfinite(v))


@dataclass
class History:
    loss: list[float] = field(default_factory=list)  # mean training loss per epoch
    train_accuracy: list[float] = field(default_factory=list)  # after each epoch
    test_accuracy: list[float] = field(default_factory=list)  # after each epoch
    seconds: float = 0.0  # wall time of train()
