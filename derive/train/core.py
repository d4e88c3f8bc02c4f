"""Mini-batch training core: SGD, momentum and Adam on small fully connected networks.

This grows the project's NumPy core into a trainer for real data (``derive.datasets``),
with the walkthrough's conventions: ``net = out_prev @ W.T + b``, ``W`` is
(n_out, n_in) with row j holding the weights into node j, losses are the mean over
the samples of a batch. It does not import :mod:`derive.numeric` (the oracle its tests
compare it with) or the symbolic code.

- Losses are computed from the logits: softmax cross-entropy by log-sum-exp, never
  ``log(0)``; ``"mse"`` is the infographic's squared error on a sigmoid output layer
  with one-hot targets, ``J = mean over samples of (1/n) * sum_j (y_j - yhat_j)^2``
  (numeric.py's ``"mse"``, n = number of outputs).
- Sigmoid is ``0.5 + 0.5 * tanh(x / 2)``: an exact identity that cannot overflow, so
  it is finite and warning-free for any input (+-1000 included).
- Adam includes the bias correction of Kingma & Ba (2015); the article's formula omits
  it. The step is ``lr * m_hat / (sqrt(v_hat) + eps)``, computed in the equivalent form
  ``lr_t * m / (sqrt(v) + eps_t)`` with ``lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t)`` and
  ``eps_t = eps * sqrt(1 - b2^t)``, so the first step moves each weight by about
  ``lr * sign(g)``.
- Momentum is the classical (heavy-ball) form ``v = mu v - lr g; w += v``, as
  scikit-learn's ``nesterovs_momentum=False``.
- Initialisation: Xavier/Glorot uniform ``U(-a, a), a = sqrt(6 / (fan_in + fan_out))``
  or He normal ``N(0, 2 / fan_in)``; biases start at 0. ``"auto"`` gives He to ReLU-family
  layers and Xavier to the rest.
- BLAS runs single-threaded while training (``TrainOptions.threads``), see
  :func:`_blas_threads`.
- Reproducible: ``seed`` fixes the initial weights and the order of the mini-batches
  (two independent streams of one ``SeedSequence``); same seed, same data, same dtype
  and the same BLAS give bit-identical weights and history.

Speed: every parameter lives in one flat array (each layer's ``[W | b]`` is a view of
it), so an optimizer step is a handful of NumPy calls for the whole network; each
layer's input carries a trailing column of ones, so one matrix product gives both the
nets (bias included) and, on the way back, both weight and bias gradients; all work
arrays are allocated once; the training set is shuffled once per epoch with one
``take`` and the mini-batches are contiguous views of it; for SGD and momentum the
learning rate is folded into the output deltas.

History: ``loss`` is the mean training loss of each epoch (every mini-batch's loss
measured just before its update, as scikit-learn's ``loss_curve_`` reports it);
``train_accuracy`` and ``test_accuracy`` are measured after each epoch on the whole
train and test sets (skipped when ``TrainOptions.track`` is false).

>>> from derive.train.datasets import load
>>> net, hist = train(load("blobs"), TrainOptions(hidden=(4,), epochs=5, lr=0.5))
>>> len(hist.loss), hist.loss[-1] < hist.loss[0], hist.test_accuracy[-1] > 0.9
(5, True, True)
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from derive.errors import DeriveError

LOSSES = ("cross-entropy", "mse")
OPTIMIZERS = ("sgd", "momentum", "adam")
HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky-relu", "identity")
OUTPUT_FOR_LOSS = {"cross-entropy": "softmax", "mse": "sigmoid"}
INITS = ("auto", "xavier", "he")
DTYPES = ("float64", "float32")
BIAS_MODES = ("neuron", "shared", "none")


class TrainError(DeriveError, ValueError):
    """A training problem; ``str(err)`` is a one-line message for the user."""


@dataclass
class TrainOptions:
    hidden: tuple[int, ...] = (32,)
    activation: str = "sigmoid"      # hidden layers: sigmoid | tanh | relu | leaky-relu | identity
    loss: str = "cross-entropy"      # cross-entropy (softmax output) | mse (sigmoid output)
    optimizer: str = "sgd"           # sgd | momentum | adam
    lr: float = 0.1
    epochs: int = 50
    batch: int = 32
    seed: int = 0
    dtype: str = "float64"           # float64 | float32
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    init: str = "auto"               # auto (He for relu-family, Xavier otherwise) | xavier | he
    alpha: float = 0.01              # leaky-relu slope for net <= 0
    track: bool = True               # measure train/test accuracy after every epoch
    threads: int | None = 1          # BLAS threads while training (None: leave the setting alone)

    def check(self) -> None:
        """Raise TrainError naming the first bad field."""
        def fail(what):
            raise TrainError(what)

        hidden = tuple(self.hidden)
        if any(isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1 for h in hidden):
            fail(f"hidden layer sizes must be whole numbers >= 1, got {list(hidden)}")
        for name, value, options in (("activation", self.activation, HIDDEN_ACTIVATIONS),
                                     ("loss", self.loss, LOSSES), ("optimizer", self.optimizer, OPTIMIZERS),
                                     ("init", self.init, INITS), ("dtype", self.dtype, DTYPES)):
            if value not in options:
                fail(f"unknown {name} {value!r} (choose from {', '.join(options)})")
        for name in ("epochs", "batch"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                fail(f"{name} must be a whole number >= 1, got {v!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            fail(f"seed must be a whole number >= 0, got {self.seed!r}")
        if not _finite(self.lr) or self.lr <= 0:
            fail(f"the learning rate must be a positive number, got {self.lr!r}")
        for name in ("momentum", "beta1", "beta2"):
            v = getattr(self, name)
            if not _finite(v) or not 0 <= v < 1:
                fail(f"{name} must be a number from 0 up to (not including) 1, got {v!r}")
        if not _finite(self.eps) or self.eps <= 0:
            fail(f"eps must be a positive number, got {self.eps!r}")
        if self.threads is not None and (isinstance(self.threads, bool) or not isinstance(self.threads, int)
                                         or self.threads < 1):
            fail(f"threads must be a whole number >= 1 or None, got {self.threads!r}")
        if not _finite(self.alpha) or not 0 <= self.alpha < 1:
            fail(f"alpha must be a number from 0 up to (not including) 1, got {self.alpha!r}")


def _finite(v) -> bool:
    return isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool) and bool(np.isfinite(v))


@dataclass
class History:
    loss: list[float] = field(default_factory=list)            # mean training loss per epoch
    train_accuracy: list[float] = field(default_factory=list)  # after each epoch
    test_accuracy: list[float] = field(default_factory=list)   # after each epoch
    seconds: float = 0.0                                        # wall time of train()


# --------------------------------------------------------------------------- activations
# In place on ``a`` (which may be a strided view); each needs nothing but its own output
# for the derivative, so the nets need not be kept.


def _sigmoid_(a):
    np.multiply(a, 0.5, out=a)
    np.tanh(a, out=a)
    np.multiply(a, 0.5, out=a)
    np.add(a, 0.5, out=a)


def _tanh_(a):
    np.tanh(a, out=a)


def _relu_(a):
    np.maximum(a, 0.0, out=a)


def _identity_(a):
    pass


def _activate_(name: str, alpha: float):
    if name == "leaky-relu":
        def leaky(a):   # max(z, alpha z) for 0 <= alpha < 1
            np.maximum(a, a * alpha, out=a)
        return leaky
    return {"sigmoid": _sigmoid_, "tanh": _tanh_, "relu": _relu_, "identity": _identity_}[name]


def _derivative_(name: str, alpha: float):
    """A function (d, out, tmp) that multiplies d in place by the activation's derivative,
    written in terms of the activation's output."""
    if name == "sigmoid":            # s' = s (1 - s)
        def f(d, out, tmp):
            np.subtract(1.0, out, out=tmp)
            np.multiply(tmp, out, out=tmp)
            np.multiply(d, tmp, out=d)
    elif name == "tanh":             # tanh' = 1 - tanh^2
        def f(d, out, tmp):
            np.square(out, out=tmp)
            np.subtract(1.0, tmp, out=tmp)
            np.multiply(d, tmp, out=d)
    elif name == "relu":             # 1 for net > 0, 0 at and below the kink: sign(out)
        def f(d, out, tmp):
            np.sign(out, out=tmp)
            np.multiply(d, tmp, out=d)
    elif name == "leaky-relu":       # 1 for net > 0 (where out > 0), alpha otherwise
        def f(d, out, tmp):
            np.greater(out, 0.0, out=tmp)
            np.multiply(tmp, 1.0 - alpha, out=tmp)
            np.add(tmp, alpha, out=tmp)
            np.multiply(d, tmp, out=d)
    else:
        def f(d, out, tmp):
            pass
    return f


# --------------------------------------------------------------------------- public numerics


def sigmoid(x) -> np.ndarray:
    """1 / (1 + e^-x), as 0.5 + 0.5 tanh(x/2): finite and warning-free for any x."""
    a = np.array(x, dtype=np.result_type(np.asarray(x).dtype, np.float32), copy=True)
    _sigmoid_(a)
    return a


def log_softmax(z) -> np.ndarray:
    """log softmax over the last axis by log-sum-exp (the row maximum is subtracted first)."""
    z = np.asarray(z, dtype=np.result_type(np.asarray(z).dtype, np.float32))
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(z) -> np.ndarray:
    """Row-wise softmax; exp never sees a positive argument, so nothing overflows."""
    z = np.asarray(z, dtype=np.result_type(np.asarray(z).dtype, np.float32))
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def loss_from_logits(logits, Y, loss: str) -> float:
    """The mean loss over the samples, from the output layer's nets (logits) and one-hot
    (or probability) targets ``Y``: cross-entropy ``-sum_j y_j log softmax(z)_j`` by
    log-sum-exp, or mse ``(1/n) sum_j (y_j - sigmoid(z_j))^2``."""
    logits, Y = np.atleast_2d(logits), np.atleast_2d(Y)
    if loss == "cross-entropy":
        return float(-(Y * log_softmax(logits)).sum(axis=1).mean())
    if loss == "mse":
        return float(((Y - sigmoid(logits)) ** 2).mean())
    raise TrainError(f"unknown loss {loss!r} (choose from {', '.join(LOSSES)})")


# --------------------------------------------------------------------------- the network


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

    def __init__(self, weights: Sequence[tuple], activations: Sequence[str], *, alpha=0.01,
                 bias: Sequence[str] | None = None, train_bias: Sequence[bool] | None = None,
                 dtype: str | np.dtype = "float64"):
        weights = [(np.asarray(W, dtype=float), None if b is None else np.asarray(b, dtype=float))
                   for W, b in weights]
        n = len(weights)
        if n == 0:
            raise TrainError("a network needs at least one layer")
        self.activations = list(activations)
        if len(self.activations) != n:
            raise TrainError(f"{n} weight matrices but {len(self.activations)} activations")
        for i, a in enumerate(self.activations[:-1]):
            if a not in HIDDEN_ACTIVATIONS:
                raise TrainError(f"layer {i + 1}: hidden activation {a!r} is not one of {', '.join(HIDDEN_ACTIVATIONS)}")
        if self.activations[-1] not in ("softmax", "sigmoid"):
            raise TrainError(f"the output layer must be softmax or sigmoid, got {self.activations[-1]!r}")
        self.alphas = [float(a) for a in alpha] if isinstance(alpha, (list, tuple)) else [float(alpha)] * n
        self.bias = list(bias) if bias is not None else ["neuron"] * n
        self.train_bias = list(train_bias) if train_bias is not None else [True] * n
        if len(self.alphas) != n or len(self.bias) != n or len(self.train_bias) != n:
            raise TrainError("alpha, bias and train_bias need one entry per layer")
        if any(m not in BIAS_MODES for m in self.bias):
            raise TrainError(f"bias modes must be among {', '.join(BIAS_MODES)}, got {self.bias}")
        sizes = [weights[0][0].shape[1] if weights[0][0].ndim == 2 else -1]
        for i, (W, b) in enumerate(weights):
            if W.ndim != 2 or W.shape[1] != sizes[-1] or W.shape[0] < 1:
                raise TrainError(f"layer {i + 1}: W has shape {W.shape}, expected (n_out, {sizes[-1]})")
            if b is not None and b.shape != (W.shape[0],):
                raise TrainError(f"layer {i + 1}: b has shape {b.shape}, expected ({W.shape[0]},)")
            sizes.append(W.shape[0])
        if self.activations[-1] == "softmax" and sizes[-1] < 2:
            raise TrainError("a softmax output layer needs at least 2 nodes")
        self.sizes = sizes
        self.dtype = np.dtype(dtype)
        if self.dtype.name not in DTYPES:
            raise TrainError(f"dtype must be float64 or float32, got {self.dtype.name}")
        # One flat parameter array; layer l is the (n_out, n_in + 1) block [W | b].
        counts = [(m + 1) * k for m, k in zip(sizes[:-1], sizes[1:])]
        self.theta = np.zeros(sum(counts), dtype=self.dtype)
        self.params = _blocks(self.theta, sizes)
        for P, (W, b), mode in zip(self.params, weights, self.bias):
            P[:, :-1] = W
            P[:, -1] = 0.0 if (b is None or mode == "none") else (b if mode == "neuron" else b[0])

    # ---- construction
    @classmethod
    def initialise(cls, sizes: Sequence[int], activation: str = "sigmoid", output: str = "softmax",
                   init: str = "auto", seed: int | np.random.Generator = 0, dtype="float64",
                   alpha: float = 0.01) -> "Network":
        """Random starting weights: Xavier uniform or He normal per layer, zero biases."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        acts = [activation] * (len(sizes) - 2) + [output]
        weights = []
        for fan_in, fan_out, act in zip(sizes[:-1], sizes[1:], acts):
            he = init == "he" or (init == "auto" and act in ("relu", "leaky-relu"))
            if he:
                W = rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_out, fan_in))
            else:
                a = np.sqrt(6.0 / (fan_in + fan_out))
                W = rng.uniform(-a, a, (fan_out, fan_in))
            weights.append((W, np.zeros(fan_out)))
        return cls(weights, acts, alpha=alpha, dtype=dtype)

    def copy(self, dtype=None) -> "Network":
        return Network(self.weights, self.activations, alpha=self.alphas, bias=self.bias,
                       train_bias=self.train_bias, dtype=self.dtype if dtype is None else dtype)

    # ---- views
    @property
    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(P[:, :-1], P[:, -1]) for P in self.params]

    layers = weights

    def set_weights(self, weights: Sequence[tuple]) -> None:
        """Overwrite every (W, b) with the given values (same shapes)."""
        if len(weights) != len(self.params):
            raise TrainError(f"expected {len(self.params)} layers of weights, got {len(weights)}")
        for i, (P, (W, b)) in enumerate(zip(self.params, weights)):
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
        X = self._inputs(X)
        plan = _Plan(self, len(X))
        z = np.empty((len(X), self.n_outputs), dtype=self.dtype)
        _forward(plan, _augment(X, self.dtype), z)
        return z

    def predict_proba(self, X) -> np.ndarray:
        z = self.logits(X)
        return softmax(z) if self.output == "softmax" else sigmoid(z)

    def predict(self, X) -> np.ndarray:
        """The class with the largest output (sigmoid is monotone: the largest logit)."""
        return self.logits(X).argmax(axis=1)

    def loss(self, X, y, loss: str | None = None) -> float:
        """Mean loss on (X, y); y is class labels or one-hot rows."""
        loss = loss or ("cross-entropy" if self.output == "softmax" else "mse")
        return loss_from_logits(self.logits(X), _targets(y, self.n_outputs, np.float64), loss)

    def accuracy(self, X, y) -> float:
        return float(np.mean(self.predict(X) == np.asarray(y)))

    def _inputs(self, X) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=self.dtype))
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise TrainError(f"expected inputs with {self.n_inputs} features, got shape {X.shape}")
        return X


def _blocks(flat: np.ndarray, sizes: Sequence[int]) -> list[np.ndarray]:
    """Views of ``flat`` as the per-layer (n_out, n_in + 1) blocks."""
    out, o = [], 0
    for m, k in zip(sizes[:-1], sizes[1:]):
        out.append(flat[o:o + k * (m + 1)].reshape(k, m + 1))
        o += k * (m + 1)
    return out


def _augment(X: np.ndarray, dtype) -> np.ndarray:
    """X with a trailing column of ones (the bias input)."""
    Xa = np.empty((X.shape[0], X.shape[1] + 1), dtype=dtype)
    Xa[:, :-1] = X
    Xa[:, -1] = 1.0
    return Xa


def _targets(y, n_out: int, dtype) -> np.ndarray:
    """One-hot rows from class labels; 2-d targets pass through."""
    y = np.asarray(y)
    if y.ndim == 1:
        if y.size and (not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= n_out):
            raise TrainError(f"class labels must be whole numbers from 0 to {n_out - 1}")
        Y = np.zeros((len(y), n_out), dtype=dtype)
        Y[np.arange(len(y)), y] = 1.0
        return Y
    if y.ndim != 2 or y.shape[1] != n_out:
        raise TrainError(f"targets must be labels or rows of {n_out} values, got shape {y.shape}")
    return np.asarray(y, dtype=dtype)


# --------------------------------------------------------------------------- forward / backward


class _Plan:
    """Work arrays for one batch size B.

    Hidden layers are kept feature-major: layer l's outputs are ``HT[l]`` (n + 1, B)
    whose last row is ones (the next layer's bias input), so the activation and its
    derivative run on contiguous blocks (a (B, n) view that skips a ones column would be
    strided, and NumPy's element-wise loops are ~3x slower on it). Inputs and the output
    layer stay sample-major, so mini-batches are contiguous row slices of the data."""

    def __init__(self, net: Network, B: int):
        dt, sizes = net.dtype, net.sizes
        L = len(sizes) - 1
        self.B = B
        self.HT = []
        for n in sizes[1:-1]:
            h = np.empty((n + 1, B), dtype=dt)
            h[-1] = 1.0
            self.HT.append(h)
        self.HTv = [h[:-1] for h in self.HT]                       # contiguous (n, B)
        self.inputs = [None] + [h.T for h in self.HT]             # sample-major views; None = the batch
        self.DT = [np.empty((n, B), dtype=dt) for n in sizes[1:-1]]   # hidden deltas, feature-major
        self.TT = [np.empty((n, B), dtype=dt) for n in sizes[1:-1]]   # scratch for derivatives
        self.D = np.empty((B, sizes[-1]), dtype=dt)               # output deltas, sample-major
        self.Dout_T = self.D.T
        self.T = np.empty((B, sizes[-1]), dtype=dt)
        self.m = np.empty((B, 1), dtype=dt)
        self.s = np.empty((B, 1), dtype=dt)
        P = net.params
        act = [_activate_(a, al) for a, al in zip(net.activations[:-1], net.alphas)]
        der = [_derivative_(a, al) for a, al in zip(net.activations[:-1], net.alphas)]
        # forward: layer 0 reads the batch, layer l > 0 reads HT[l - 1]
        self.hidden = [(P[l], self.HT[l - 1] if l else None, self.HTv[l], act[l]) for l in range(L - 1)]
        self.out_WT = P[-1].T
        self.out_in = self.inputs[-1]
        # backward, from the output layer down: (l, delta^T, layer input, what flows below)
        self.back = []
        for l in range(L - 1, -1, -1):
            DT = self.Dout_T if l == L - 1 else self.DT[l]
            below = (P[l][:, :-1].T, self.DT[l - 1], der[l - 1], self.HTv[l - 1], self.TT[l - 1]) if l else None
            self.back.append((l, DT, self.inputs[l], below))


def _forward(plan: _Plan, Xa: np.ndarray, z: np.ndarray) -> None:
    """Hidden outputs into plan.HT; the output layer's nets (B, n_out) into z."""
    for P, a_in, HTv, act in plan.hidden:
        np.matmul(P, Xa.T if a_in is None else a_in, out=HTv)
        act(HTv)
    np.matmul(Xa if plan.out_in is None else plan.out_in, plan.out_WT, out=z)


class _Engine:
    """Gradients of one mini-batch into a flat array shaped like ``net.theta``."""

    def __init__(self, net: Network, loss: str):
        self.net, self.loss = net, loss
        self.G = np.zeros_like(net.theta)
        self.Gs = _blocks(self.G, net.sizes)
        # Bias columns whose gradient is post-processed: frozen ones are zeroed, a shared
        # bias gets the total over its nodes in every entry.
        self.frozen = [G[:, -1] for G, m, t in zip(self.Gs, net.bias, net.train_bias) if m == "none" or not t]
        self.shared = [G[:, -1] for G, m, t in zip(self.Gs, net.bias, net.train_bias) if m == "shared" and t]

    def gradient(self, plan: _Plan, Xa, Y, z, s, c: float) -> None:
        """Forward and backward for one batch: G = c * (sum over the batch of each
        sample's gradient); c = 1/B gives the gradient of the mean loss.
        Leaves the shifted logits z - max(z) in z (cross-entropy) or the sigmoid outputs
        (mse), and the softmax denominators in s, for the epoch's loss."""
        _forward(plan, Xa, z)
        D = plan.D
        if self.loss == "cross-entropy":
            m = plan.m
            np.maximum.reduce(z, axis=1, keepdims=True, out=m)
            np.subtract(z, m, out=z)
            np.exp(z, out=D)
            np.add.reduce(D, axis=1, keepdims=True, out=s)
            np.divide(D, s, out=D)
            np.subtract(D, Y, out=D)                 # delta = softmax - y (targets sum to 1)
            np.multiply(D, c, out=D)
        else:                                        # mse on sigmoid outputs
            _sigmoid_(z)
            T = plan.T
            np.subtract(z, Y, out=D)
            np.subtract(1.0, z, out=T)
            np.multiply(T, z, out=T)
            np.multiply(D, T, out=D)
            np.multiply(D, c * 2.0 / z.shape[1], out=D)
        Gs = self.Gs
        for l, DT, a_in, below in plan.back:
            np.matmul(DT, Xa if a_in is None else a_in, out=Gs[l])
            if below is not None:
                WT, DTn, der, out, tmp = below
                np.matmul(WT, DT, out=DTn)
                der(DTn, out, tmp)
        for g in self.frozen:
            g.fill(0.0)
        for g in self.shared:
            g[...] = g.sum()


def gradients(network: Network, X, Y, loss: str | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """The gradient of the mean loss over the batch (X, Y) with respect to every (W, b),
    by the same code the trainer runs. ``Y`` is class labels or one-hot (probability) rows.
    A bias that is not trained gets a zero gradient; a shared bias gets the gradient with
    respect to the one shared value in every entry.

    >>> net = Network([(np.array([[0.1, -0.2]]), np.array([0.0]))], ["sigmoid"])
    >>> [(dW.shape, db.shape) for dW, db in gradients(net, [[1.0, 2.0]], [[1.0]], "mse")]
    [((1, 2), (1,))]
    """
    loss = loss or ("cross-entropy" if network.output == "softmax" else "mse")
    _check_loss(network, loss)
    X = network._inputs(X)
    Y = _targets(Y, network.n_outputs, network.dtype)
    if len(Y) != len(X):
        raise TrainError(f"{len(X)} inputs but {len(Y)} targets")
    if loss == "cross-entropy" and not np.allclose(Y.sum(axis=1), 1.0, atol=1e-9):
        raise TrainError("cross-entropy targets must sum to 1 in every row")
    plan, engine = _Plan(network, len(X)), _Engine(network, loss)
    z = np.empty((len(X), network.n_outputs), dtype=network.dtype)
    with np.errstate(under="ignore"):
        engine.gradient(plan, _augment(X, network.dtype), Y, z, plan.s, 1.0 / len(X))
    return [(G[:, :-1].copy(), G[:, -1].copy()) for G in engine.Gs]


def _check_loss(network: Network, loss: str) -> None:
    if loss not in LOSSES:
        raise TrainError(f"unknown loss {loss!r} (choose from {', '.join(LOSSES)})")
    if network.output != OUTPUT_FOR_LOSS[loss]:
        raise TrainError(f"{loss} needs a {OUTPUT_FOR_LOSS[loss]} output layer; this network's is {network.output}")


# --------------------------------------------------------------------------- optimizers


def _optimizer(opts: TrainOptions, theta: np.ndarray, G: np.ndarray):
    """(gradient scale per sample, step function); the step applies G to theta in place."""
    if opts.optimizer == "sgd":
        def step():                      # G already holds lr * gradient
            np.subtract(theta, G, out=theta)
        return opts.lr, step
    if opts.optimizer == "momentum":
        v, mu = np.zeros_like(theta), opts.momentum

        def step():                      # v = mu v - lr g; theta += v
            np.multiply(v, mu, out=v)
            np.subtract(v, G, out=v)
            np.add(theta, v, out=theta)
        return opts.lr, step
    m, v, tmp = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    b1, b2, lr, eps = opts.beta1, opts.beta2, opts.lr, opts.eps
    t = [0]

    def step():
        t[0] += 1
        c1, c2 = 1.0 - b1 ** t[0], np.sqrt(1.0 - b2 ** t[0])
        np.multiply(m, b1, out=m)                    # m = b1 m + (1 - b1) g
        np.multiply(G, 1.0 - b1, out=tmp)
        np.add(m, tmp, out=m)
        np.multiply(v, b2, out=v)                    # v = b2 v + (1 - b2) g^2
        np.square(G, out=tmp)
        np.multiply(tmp, 1.0 - b2, out=tmp)
        np.add(v, tmp, out=v)
        np.sqrt(v, out=tmp)                          # lr_t m / (sqrt(v) + eps_t): bias-corrected
        np.add(tmp, eps * c2, out=tmp)
        np.divide(m, tmp, out=tmp)
        np.multiply(tmp, lr * c2 / c1, out=tmp)
        np.subtract(theta, tmp, out=theta)
    return 1.0, step


# --------------------------------------------------------------------------- training


def train(data, opts: TrainOptions | None = None, network: Network | None = None,
          progress: Callable[[int, int, float], None] | None = None) -> tuple[Network, History]:
    """Train on ``data`` (a :class:`derive.datasets.Dataset`) for ``opts.epochs`` epochs.

    Without ``network`` a new one is made from ``opts`` (hidden sizes, activation, init,
    seed). With one, its architecture is used as it is (``opts.hidden``, ``activation``
    and ``init`` are ignored) and a copy in ``opts.dtype`` is trained; the argument is
    not changed. ``progress(epoch, epochs, loss)`` is called after every epoch.
    Returns the trained network and its :class:`History`.
    """
    start = time.perf_counter()
    opts = opts or TrainOptions()
    opts.check()
    dt = np.dtype(opts.dtype)
    init_ss, shuffle_ss = np.random.SeedSequence(int(opts.seed)).spawn(2)
    if network is None:
        sizes = [data.n_features, *opts.hidden, data.n_classes]
        net = Network.initialise(sizes, opts.activation, OUTPUT_FOR_LOSS[opts.loss], opts.init,
                                 np.random.default_rng(init_ss), dt, opts.alpha)
    else:
        check_fits(network, data)
        net = network.copy(dtype=dt)
    _check_loss(net, opts.loss)

    X = np.asarray(data.X_train, dtype=dt)
    y = np.asarray(data.y_train)
    N, n_out = len(X), net.n_outputs
    if N == 0:
        raise TrainError(f"{data.name}: the training set is empty")
    Xa, Y = _augment(X, dt), _targets(y, n_out, dt)
    B = min(int(opts.batch), N)
    engine = _Engine(net, opts.loss)
    scale, step = _optimizer(opts, net.theta, engine.G)

    # The epoch's shuffled copy of the data, and the output buffers the loss reads.
    XS, YS = np.empty_like(Xa), np.empty_like(Y)
    ZE, SE = np.empty((N, n_out), dtype=dt), np.ones((N, 1), dtype=dt)
    full, rest = _Plan(net, B), (_Plan(net, N % B) if N % B else None)
    batches = []
    for i in range(0, N, B):
        j = min(i + B, N)
        plan = full if j - i == B else rest
        batches.append((plan, XS[i:j], YS[i:j], ZE[i:j], SE[i:j], scale / (j - i)))
    grad = engine.gradient

    tracker = _Tracker(net, data, dt) if opts.track else None
    history = History()
    rng = np.random.default_rng(shuffle_ss)
    ce = opts.loss == "cross-entropy"
    with _blas_threads(opts.threads), \
            np.errstate(under="ignore", over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(1, opts.epochs + 1):
            perm = rng.permutation(N)
            # mode="clip" (perm is always in range) lets take write straight into out;
            # the default mode="raise" copies through a temporary buffer.
            np.take(Xa, perm, axis=0, out=XS, mode="clip")
            np.take(Y, perm, axis=0, out=YS, mode="clip")
            for plan, xb, yb, zb, sb, c in batches:
                grad(plan, xb, yb, zb, sb, c)
                step()
            if ce:   # mean of log(sum exp(z - max)) - (z_y - max): the log-sum-exp loss
                loss = (float(np.log(SE).sum()) - float(np.vdot(ZE, YS))) / N
            else:
                np.subtract(ZE, YS, out=ZE)
                loss = float(np.vdot(ZE, ZE)) / (N * n_out)
            if not np.isfinite(loss) or not np.isfinite(net.theta).all():
                raise TrainError(f"training diverged in epoch {epoch} (the loss is {loss}); "
                                 f"try a smaller learning rate than {opts.lr}")
            history.loss.append(loss)
            if tracker is not None:
                history.train_accuracy.append(tracker.train())
                history.test_accuracy.append(tracker.test())
            if progress is not None:
                progress(epoch, opts.epochs, loss)
    history.seconds = time.perf_counter() - start
    return net, history


_CONTROLLER = []


def _blas_threads(n: int | None):
    """Limit the BLAS thread pool to n threads while training, when threadpoolctl (which
    scikit-learn brings) is installed. The matrices here are small: on 2 busy cores a
    second OpenBLAS thread made a digits run ~10x slower. Without threadpoolctl the
    environment decides (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, MKL_NUM_THREADS)."""
    if n is None:
        return contextlib.nullcontext()
    if not _CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController
            _CONTROLLER.append(ThreadpoolController())   # scans the loaded libraries once
        except Exception:   # not installed, or an unusual platform: leave threads alone
            _CONTROLLER.append(None)
    controller = _CONTROLLER[0]
    return contextlib.nullcontext() if controller is None else controller.limit(limits=n, user_api="blas")


class _Tracker:
    """Accuracy on the whole train and test sets with preallocated work arrays."""

    def __init__(self, net: Network, data, dt):
        self.parts = []
        for X, y in ((data.X_train, data.y_train), (data.X_test, data.y_test)):
            X = np.asarray(X, dtype=dt)
            y = np.asarray(y)
            if len(X):
                plan = _Plan(net, len(X))
                self.parts.append((plan, _augment(X, dt), y, np.empty((len(X), net.n_outputs), dtype=dt)))
            else:
                self.parts.append(None)

    def _accuracy(self, part) -> float:
        if part is None:
            return float("nan")
        plan, Xa, y, z = part
        _forward(plan, Xa, z)
        return float(np.count_nonzero(z.argmax(axis=1) == y)) / len(y)

    def train(self) -> float:
        return self._accuracy(self.parts[0])

    def test(self) -> float:
        return self._accuracy(self.parts[1])


def check_fits(network: Network, data) -> None:
    """Raise TrainError unless the network's inputs and outputs match the data set."""
    if network.n_inputs != data.n_features:
        raise TrainError(f"the network has {network.n_inputs} inputs but {data.name} has "
                         f"{data.n_features} features")
    if network.n_outputs != data.n_classes:
        raise TrainError(f"the network has {network.n_outputs} outputs but {data.name} has "
                         f"{data.n_classes} classes (one output per class)")


# --------------------------------------------------------------------------- specs


def network_from_spec(spec, data=None) -> Network:
    """The spec's layers, activations and weights as a :class:`Network` to train from.

    ``spec`` is a :class:`derive.spec.Spec` or a path to a spec file. With ``data`` the
    network is also checked against it (input count = features, output count = classes).
    Raises TrainError (one line) for a network the trainer cannot run: the output layer
    must be softmax (cross-entropy) or sigmoid (mse).
    """
    if isinstance(spec, (str, Path)):
        from derive.model.spec import load_spec
        spec = load_spec(spec)
    weights, acts, alphas, modes, trainable = [], [], [], [], []
    for layer in spec.layers:
        W = np.array([[float(v) for v in row] for row in spec.weights[layer.name]], dtype=float)
        if layer.bias == "neuron":
            b = np.array([float(v) for v in spec.biases[layer.name]], dtype=float)
        elif layer.bias == "shared":
            b = np.full(layer.size, float(spec.biases[layer.name]))
        else:
            b = np.zeros(layer.size)
        weights.append((W, b))
        acts.append(layer.activation)
        alphas.append(float(layer.alpha))
        modes.append(layer.bias)
        trainable.append(layer.train_bias)
    last = spec.layers[-1]
    if last.activation not in ("softmax", "sigmoid"):
        raise TrainError(f"{spec.source}: the trainer needs a softmax (cross-entropy) or sigmoid (mse) "
                         f"output layer; layer {last.name} is {last.activation}")
    for layer in spec.layers[:-1]:
        if layer.activation not in HIDDEN_ACTIVATIONS:
            raise TrainError(f"{spec.source}: layer {layer.name}: {layer.activation} is not a hidden activation")
    net = Network(weights, acts, alpha=alphas, bias=modes, train_bias=trainable)
    if data is not None:
        try:
            check_fits(net, data)
        except TrainError as e:
            raise TrainError(f"{spec.source}: {e}") from None
    return net
