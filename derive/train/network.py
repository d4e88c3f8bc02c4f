"""A small fully connected network whose parameters live in one flat array.

Initialisation: Xavier/Glorot uniform ``U(-a, a), a = sqrt(6 / (fan_in + fan_out))`` or He
normal ``N(0, 2 / fan_in)``; biases start at 0. ``"auto"`` gives He to ReLU-family layers
and Xavier to the rest.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from derive.model.names import BIAS_MODES, DTYPES, HIDDEN_ACTIVATIONS, RELU_FAMILY
from derive.train.engine import Plan, augment, blocks, default_loss, forward, predicted_class, targets
from derive.train.options import OUTPUT_ACTIVATIONS, TrainError
from derive.verify import kernels


class Network:
    """A fully connected network: per layer ``W`` (n_out, n_in), ``b`` (n_out,) and an
    activation; the last layer's activation is ``softmax`` or ``sigmoid``.

    ``weights`` (also ``layers``) lists ``(W, b)`` per layer as views of the one flat
    parameter array (``theta``), so writing into them changes the network; use
    :meth:`copy` for an independent network.

    Bias modes (as in the walkthrough spec): ``neuron`` (one bias per node), ``shared``
    (one value for the whole layer, kept in every entry of ``b``) and ``none`` (fixed 0);
    ``train_bias=False`` keeps a layer's bias at its starting value.

    >>> net = Network([(np.ones((2, 3)), np.zeros(2)), (np.ones((2, 2)), np.zeros(2))], ["relu", "softmax"])
    >>> net.sizes, net.predict_proba(np.ones((1, 3))).round(3).tolist()
    ([3, 2, 2], [[0.5, 0.5]])
    """

    def __init__(
        self,
        weights: Sequence[tuple],
        activations: Sequence[str],
        *,
        alpha=0.01,
        bias: Sequence[str] | None = None,
        train_bias: Sequence[bool] | None = None,
        dtype: str | np.dtype = "float64",
    ):
        weights = [(np.asarray(W, dtype=float), None if b is None else np.asarray(b, dtype=float)) for W, b in weights]
        n = len(weights)
        if n == 0:
            raise TrainError("a network needs at least one layer")
        self.activations = list(activations)
        self.alphas = [float(a) for a in alpha] if isinstance(alpha, (list, tuple)) else [float(alpha)] * n
        self.bias = list(bias) if bias is not None else ["neuron"] * n
        self.train_bias = list(train_bias) if train_bias is not None else [True] * n
        self._check_layers(n)
        self.sizes = _sizes(weights)
        if self.activations[-1] == "softmax" and self.sizes[-1] < 2:
            raise TrainError("a softmax output layer needs at least 2 nodes")
        self.dtype = np.dtype(dtype)
        if self.dtype.name not in DTYPES:
            raise TrainError(f"dtype must be float64 or float32, got {self.dtype.name}")
        counts = [(m + 1) * k for m, k in zip(self.sizes[:-1], self.sizes[1:], strict=True)]
        self.theta = np.zeros(sum(counts), dtype=self.dtype)
        self.params = blocks(self.theta, self.sizes)
        for P, (W, b), mode in zip(self.params, weights, self.bias, strict=True):
            P[:, :-1] = W
            P[:, -1] = 0.0 if (b is None or mode == "none") else (b if mode == "neuron" else b[0])

    def _check_layers(self, n: int) -> None:
        if len(self.activations) != n:
            raise TrainError(f"{n} weight matrices but {len(self.activations)} activations")
        for i, a in enumerate(self.activations[:-1]):
            if a not in HIDDEN_ACTIVATIONS:
                raise TrainError(
                    f"layer {i + 1}: hidden activation {a!r} is not one of {', '.join(HIDDEN_ACTIVATIONS)}"
                )
        if self.activations[-1] not in OUTPUT_ACTIVATIONS:
            raise TrainError(
                f"the output layer must be {' or '.join(OUTPUT_ACTIVATIONS)}, got {self.activations[-1]!r}"
            )
        if len(self.alphas) != n or len(self.bias) != n or len(self.train_bias) != n:
            raise TrainError("alpha, bias and train_bias need one entry per layer")
        if any(m not in BIAS_MODES for m in self.bias):
            raise TrainError(f"bias modes must be among {', '.join(BIAS_MODES)}, got {self.bias}")

    # ---- construction
    @classmethod
    def initialise(
        cls,
        sizes: Sequence[int],
        activation: str = "sigmoid",
        output: str = "softmax",
        init: str = "auto",
        seed: int | np.random.Generator = 0,
        dtype="float64",
        alpha: float = 0.01,
    ) -> "Network":
        """Random starting weights (Xavier uniform or He normal per layer), zero biases.

        >>> Network.initialise([4, 3, 2], "relu", seed=1)
        Network(4-3-2, relu-softmax, float64)
        """
        acts = [activation] * (len(sizes) - 2) + [output]
        shapes = [(k, m) for m, k in zip(sizes[:-1], sizes[1:], strict=True)]
        weights = [(W, np.zeros(len(W))) for W in draw_weights(shapes, acts, init, seed)]
        return cls(weights, acts, alpha=alpha, dtype=dtype)

    def copy(self, dtype=None) -> "Network":
        return Network(
            self.weights,
            self.activations,
            alpha=self.alphas,
            bias=self.bias,
            train_bias=self.train_bias,
            dtype=self.dtype if dtype is None else dtype,
        )

    def with_hidden_activation(self, activation: str) -> "Network":
        """A copy whose hidden layers all use ``activation``; same weights and biases."""
        acts = [activation] * (len(self.activations) - 1) + [self.output]
        return Network(
            self.weights, acts, alpha=self.alphas, bias=self.bias, train_bias=self.train_bias, dtype=self.dtype
        )

    def redrawn(self, init: str = "auto", seed: int = 0) -> "Network":
        """A copy with new random weight matrices drawn as :meth:`initialise` draws them (from
        the same random stream as :func:`derive.train.train` for this seed); biases are kept.

        >>> net = Network.initialise([2, 3, 2], seed=5)
        >>> fresh = net.redrawn("he", seed=1)
        >>> fresh.sizes == net.sizes, bool((fresh.weights[0][0] != net.weights[0][0]).all())
        (True, True)
        """
        shapes = [P[:, :-1].shape for P in self.params]
        drawn = draw_weights(shapes, self.activations, init, streams(seed)[0])
        weights = [(W, b) for W, (_, b) in zip(drawn, self.weights, strict=True)]
        return Network(
            weights, self.activations, alpha=self.alphas, bias=self.bias, train_bias=self.train_bias, dtype=self.dtype
        )

    # ---- views
    @property
    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(P[:, :-1], P[:, -1]) for P in self.params]

    layers = weights

    def set_weights(self, weights: Sequence[tuple]) -> None:
        """Overwrite every (W, b) with the given values (same shapes)."""
        if len(weights) != len(self.params):
            raise TrainError(f"expected {len(self.params)} layers of weights, got {len(weights)}")
        for i, (P, (W, b)) in enumerate(zip(self.params, weights, strict=True)):
            if np.shape(W) != P[:, :-1].shape or np.shape(b) != P[:, -1].shape:
                raise TrainError(f"layer {i + 1}: expected W {P[:, :-1].shape} and b {P[:, -1].shape}")
            P[:, :-1] = W
            P[:, -1] = b

    @property
    def n_inputs(self) -> int:
        return self.sizes[0]

    @property
    def n_outputs(self) -> int:
        return self.sizes[-1]

    @property
    def output(self) -> str:
        return self.activations[-1]

    def __repr__(self) -> str:
        acts = "-".join(self.activations)
        return f"Network({'-'.join(map(str, self.sizes))}, {acts}, {self.dtype.name})"

    # ---- inference
    def logits(self, X) -> np.ndarray:
        """The output layer's nets for every row of X."""
        X = self.inputs(X)
        z = np.empty((len(X), self.n_outputs), dtype=self.dtype)
        with np.errstate(under="ignore", over="ignore"):
            forward(Plan(self, len(X)), augment(X, self.dtype), z)
        return z

    def predict_proba(self, X) -> np.ndarray:
        """The output layer's outputs (softmax probabilities or sigmoid outputs)."""
        return kernels.activate(self.output, self.logits(X))

    def predict(self, X) -> np.ndarray:
        """The class of every row: the largest output, or for one sigmoid output, 1 above 0.5."""
        return predicted_class(self.logits(X))

    def loss(self, X, y, loss: str | None = None) -> float:
        """Mean loss on (X, y); y is class labels or target rows."""
        loss = loss or default_loss(self)
        z = self.logits(X)
        Y = targets(y, self.n_outputs, self.dtype)
        with np.errstate(under="ignore"):
            return float(kernels.loss_per_sample(loss, z, kernels.activate(self.output, z), Y).mean())

    def accuracy(self, X, y) -> float:
        return float(np.mean(self.predict(X) == np.asarray(y)))

    def inputs(self, X) -> np.ndarray:
        """X as a 2-d array of this network's dtype, checked against the input count."""
        X = np.atleast_2d(np.asarray(X, dtype=self.dtype))
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise TrainError(f"expected inputs with {self.n_inputs} features, got shape {X.shape}")
        return X


def _sizes(weights) -> list[int]:
    sizes = [weights[0][0].shape[1] if weights[0][0].ndim == 2 else -1]
    for i, (W, b) in enumerate(weights):
        if W.ndim != 2 or W.shape[1] != sizes[-1] or W.shape[0] < 1:
            raise TrainError(f"layer {i + 1}: W has shape {W.shape}, expected (n_out, {sizes[-1]})")
        if b is not None and b.shape != (W.shape[0],):
            raise TrainError(f"layer {i + 1}: b has shape {b.shape}, expected ({W.shape[0]},)")
        sizes.append(W.shape[0])
    return sizes


def streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Two independent random streams of one seed: (starting weights, order of the batches)."""
    init, shuffle = np.random.SeedSequence(int(seed)).spawn(2)
    return np.random.default_rng(init), np.random.default_rng(shuffle)


def draw_weights(shapes, activations, init: str = "auto", seed: int | np.random.Generator = 0) -> list[np.ndarray]:
    """Random weight matrices of the given (n_out, n_in) shapes, one scheme per layer:
    He normal for ``init="he"`` or (``"auto"``) a ReLU-family layer, Xavier uniform otherwise.

    >>> [W.shape for W in draw_weights([(3, 2), (1, 3)], ["relu", "sigmoid"])]
    [(3, 2), (1, 3)]
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    out = []
    for (fan_out, fan_in), act in zip(shapes, activations, strict=True):
        if init == "he" or (init == "auto" and act in RELU_FAMILY):
            out.append(rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_out, fan_in)))
        else:
            a = np.sqrt(6.0 / (fan_in + fan_out))
            out.append(rng.uniform(-a, a, (fan_out, fan_in)))
    return out
