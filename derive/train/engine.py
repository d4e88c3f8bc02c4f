"""Forward and backward passes of one mini-batch, with work arrays allocated once.

The walkthrough's conventions: ``net = out_prev @ W.T + b`` with ``W`` (n_out, n_in), row j
holding the weights into node j. Every number goes through the shared kernels of
:mod:`derive.verify.kernels`; what is here is the bookkeeping that makes them fast:

- Every parameter lives in one flat array ``theta``; layer l is the (n_out, n_in + 1)
  block ``[W | b]`` of it (:func:`blocks`), so an optimizer step is a handful of NumPy calls.
- Each layer's input carries a trailing column (or row) of ones, so one matrix product
  gives the nets with the bias, and on the way back both weight and bias gradients.
- Hidden layers are kept feature-major (n + 1, B): the activation and its derivative run
  on contiguous blocks (a (B, n) view that skips a ones column is strided, and NumPy's
  element-wise loops are ~3x slower on it). Inputs and the output layer stay
  sample-major, so mini-batches are contiguous row slices of the data.
- The output layer's rule (:class:`OutputRule`) leaves in the batch's slice of the epoch
  buffers what the epoch's loss needs, so the loss costs no second forward pass.

The network is any object with ``params``, ``sizes``, ``activations``, ``alphas``,
``bias``, ``train_bias``, ``dtype`` and ``theta`` (a :class:`derive.train.Network`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from derive.train.options import TrainError, refusal
from derive.verify import kernels


def blocks(flat: np.ndarray, sizes: Sequence[int]) -> list[np.ndarray]:
    """Views of ``flat`` as the per-layer (n_out, n_in + 1) blocks ``[W | b]``.

    >>> [b.shape for b in blocks(np.zeros(3 * 3 + 2 * 4), [2, 3, 2])]
    [(3, 3), (2, 4)]
    """
    out, o = [], 0
    for m, k in zip(sizes[:-1], sizes[1:], strict=True):
        out.append(flat[o : o + k * (m + 1)].reshape(k, m + 1))
        o += k * (m + 1)
    return out


def augment(X: np.ndarray, dtype) -> np.ndarray:
    """X with a trailing column of ones (the bias input)."""
    Xa = np.empty((X.shape[0], X.shape[1] + 1), dtype=dtype)
    Xa[:, :-1] = X
    Xa[:, -1] = 1.0
    return Xa


def targets(y, n_out: int, dtype) -> np.ndarray:
    """Target rows from class labels: one-hot rows, or the label itself as the one target of
    a single sigmoid output (two classes); 2-d targets pass through.

    >>> targets([2, 0], 3, float).tolist(), targets([1, 0], 1, float).tolist()
    ([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], [[1.0], [0.0]])
    """
    y = np.asarray(y)
    if y.ndim == 1:
        top = max(n_out, 2) - 1
        if y.size and (not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() > top):
            raise TrainError(f"class labels must be whole numbers from 0 to {top}")
        if n_out == 1:
            return y.astype(dtype)[:, None]
        Y = np.zeros((len(y), n_out), dtype=dtype)
        Y[np.arange(len(y)), y] = 1.0
        return Y
    if y.ndim != 2 or y.shape[1] != n_out:
        raise TrainError(f"targets must be labels or rows of {n_out} values, got shape {y.shape}")
    return np.asarray(y, dtype=dtype)


def predicted_class(z: np.ndarray) -> np.ndarray:
    """The class of each row of output nets: the largest (softmax and sigmoid are monotone),
    or, for one sigmoid output, class 1 where its net is above 0 (the output above 0.5)."""
    return (z[:, 0] > 0).astype(np.int64) if z.shape[1] == 1 else z.argmax(axis=1)


class Plan:
    """Work arrays for one batch size B."""

    def __init__(self, net, B: int):
        dt, sizes = net.dtype, net.sizes
        L = len(sizes) - 1
        self.B = B
        self.HT = []
        for n in sizes[1:-1]:
            h = np.empty((n + 1, B), dtype=dt)
            h[-1] = 1.0
            self.HT.append(h)
        self.HTv = [h[:-1] for h in self.HT]  # contiguous (n, B)
        inputs = [None] + [h.T for h in self.HT]  # sample-major views; None = the batch
        self.DT = [np.empty((n, B), dtype=dt) for n in sizes[1:-1]]  # hidden deltas, feature-major
        self.TT = [np.empty((n, B), dtype=dt) for n in sizes[1:-1]]  # scratch for derivatives
        self.D = np.empty((B, sizes[-1]), dtype=dt)  # output deltas, sample-major
        self.T = np.empty((B, sizes[-1]), dtype=dt)
        self.s = np.empty((B, 1), dtype=dt)
        P, acts, alphas = net.params, net.activations, net.alphas
        # forward: layer 0 reads the batch, layer l > 0 reads HT[l - 1]
        self.hidden = [
            (P[l], self.HT[l - 1] if l else None, self.HTv[l], kernels.ACTIVATE[acts[l]], alphas[l])
            for l in range(L - 1)
        ]
        self.out_WT = P[-1].T
        self.out_in = inputs[-1]
        # backward, from the output layer down: (l, delta^T, layer input, what flows below)
        self.back = []
        for l in range(L - 1, -1, -1):
            DT = self.D.T if l == L - 1 else self.DT[l]
            below = None
            if l:
                below = (P[l][:, :-1].T, self.DT[l - 1], acts[l - 1], alphas[l - 1], self.HTv[l - 1], self.TT[l - 1])
            self.back.append((l, DT, inputs[l], below))


def forward(plan: Plan, Xa: np.ndarray, z: np.ndarray) -> None:
    """Hidden outputs into plan.HT; the output layer's nets (B, n_out) into z."""
    for P, a_in, HTv, act, alpha in plan.hidden:
        np.matmul(P, Xa.T if a_in is None else a_in, out=HTv)
        act(HTv, HTv, alpha)
    np.matmul(Xa if plan.out_in is None else plan.out_in, plan.out_WT, out=z)


class OutputRule:
    """The output layer of one (activation, loss) pair: its deltas for a batch, and the
    epoch's total loss from what :meth:`delta` left in the epoch buffers.

    After :meth:`delta`, ``z`` holds: the logits less their row maxima, with the row sums
    of their exponentials in ``s`` (cross-entropy); the logits (bce); the outputs (the
    squared losses)."""

    def __init__(self, output: str, loss: str, alpha: float = 0.01):
        why = refusal(output, loss)
        if why:
            raise TrainError(why)
        self.output, self.loss, self.alpha = output, loss, alpha

    def delta(self, plan: Plan, z, Y, s, c: float) -> None:
        """plan.D = c * dJ_s/dnet for every sample of the batch."""
        D, loss = plan.D, self.loss
        if loss == "cross-entropy":
            kernels.softmax(z, D, work=s)
            kernels.output_delta(loss, "softmax", D, Y, out=D, one_hot=True)
        elif loss == "bce":
            kernels.sigmoid(z, D)
            kernels.output_delta(loss, "sigmoid", D, Y, out=D)
        else:
            kernels.activate(self.output, z, self.alpha, out=z)
            kernels.output_delta(loss, self.output, z, Y, self.alpha, out=D, work=plan.T)
        np.multiply(D, c, out=D)

    def total(self, ZE, SE, YS) -> float:
        """The sum over the epoch's samples of their losses."""
        if self.loss == "cross-entropy":
            return float(kernels.cross_entropy_shifted(ZE, SE, YS, one_hot=True).sum())
        if self.loss == "bce":
            return float(kernels.bce(ZE, YS).sum())
        return float(kernels.squared(self.loss, ZE, YS).sum())


class Engine:
    """Gradients of one mini-batch into a flat array ``G`` shaped like ``net.theta``."""

    def __init__(self, net, loss: str):
        self.rule = OutputRule(net.activations[-1], loss, net.alphas[-1])
        self.G = np.zeros_like(net.theta)
        self.Gs = blocks(self.G, net.sizes)
        # Bias columns whose gradient is post-processed: frozen ones are zeroed, a shared
        # bias gets the total over its nodes in every entry.
        layers = list(zip(self.Gs, net.bias, net.train_bias, strict=True))
        self.frozen = [G[:, -1] for G, m, t in layers if m == "none" or not t]
        self.shared = [G[:, -1] for G, m, t in layers if m == "shared" and t]

    def gradient(self, plan: Plan, Xa, Y, z, s, c: float) -> None:
        """Forward and backward for one batch: G = c * (sum over the batch of each
        sample's gradient); c = 1/B gives the gradient of the mean loss."""
        forward(plan, Xa, z)
        self.rule.delta(plan, z, Y, s, c)
        Gs = self.Gs
        for l, DT, a_in, below in plan.back:
            np.matmul(DT, Xa if a_in is None else a_in, out=Gs[l])
            if below is not None:
                WT, DTn, act, alpha, out, work = below
                np.matmul(WT, DT, out=DTn)
                kernels.times_derivative(act, DTn, out, alpha, work)
        for g in self.frozen:
            g.fill(0.0)
        for g in self.shared:
            g[...] = g.sum()


def check_loss(network, loss: str) -> None:
    """Raise TrainError unless the core can train ``loss`` on this network's output layer."""
    why = refusal(network.activations[-1], loss)
    if why:
        raise TrainError(why)


def default_loss(network) -> str:
    """cross-entropy for a softmax output, mse for a sigmoid one."""
    return "cross-entropy" if network.activations[-1] == "softmax" else "mse"


def gradients(network, X, Y, loss: str | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """The gradient of the mean loss over the batch (X, Y) with respect to every (W, b),
    by the same code the trainer runs. ``Y`` is class labels or target rows; ``loss``
    defaults to cross-entropy for a softmax output and mse for a sigmoid one. A bias that
    is not trained gets a zero gradient; a shared bias gets the gradient with respect to
    the one shared value in every entry.

    >>> from derive.train import Network
    >>> net = Network([(np.array([[0.1, -0.2]]), np.array([0.0]))], ["sigmoid"])
    >>> [(dW.shape, db.shape) for dW, db in gradients(net, [[1.0, 2.0]], [[1.0]], "mse")]
    [((1, 2), (1,))]
    """
    loss = loss or default_loss(network)
    check_loss(network, loss)
    X = network.inputs(X)
    Y = targets(Y, network.sizes[-1], network.dtype)
    if len(Y) != len(X):
        raise TrainError(f"{len(X)} inputs but {len(Y)} targets")
    if loss == "cross-entropy" and not np.allclose(Y.sum(axis=1), 1.0, atol=1e-9):
        raise TrainError("cross-entropy targets must sum to 1 in every row")
    plan, engine = Plan(network, len(X)), Engine(network, loss)
    z = np.empty((len(X), network.sizes[-1]), dtype=network.dtype)
    with np.errstate(under="ignore", over="ignore"):
        engine.gradient(plan, augment(X, network.dtype), Y, z, plan.s, 1.0 / len(X))
    return [(G[:, :-1].copy(), G[:, -1].copy()) for G in engine.Gs]
