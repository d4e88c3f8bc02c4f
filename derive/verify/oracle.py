"""Independent NumPy reference implementation of forward pass, backprop and training.

This module is the numerical oracle for the SymPy derivations. It computes with the float
kernels of :mod:`derive.verify.kernels` (one form of each activation and loss, which the
training core shares) and imports nothing of the symbolic code, so a mistake there cannot
be copied here and then "confirm" itself.

Conventions: ``X`` is (S, n_inputs), ``Y`` is (S, n_last), every per-sample array
has the sample axis first, ``net = out_prev @ W.T + b`` and ``out = act(net)``.
Batch quantities are the mean (``reduction="mean"``) or sum (``"sum"``) over samples.

Underflow to 0 (e.g. ``exp(-1000)``) is the correct limit everywhere below, so the
public functions silence only that floating-point condition.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from derive.model.names import ACTIVATIONS, BIAS_MODES, LOSSES, NO_LOSS, REDUCTIONS
from derive.verify import differences, kernels
from derive.verify.differences import FD_POINTS, Perturbed
from derive.verify.rules import Running

__all__ = [
    "ACTIVATIONS",
    "BIAS_MODES",
    "LOSSES",
    "REDUCTIONS",
    "Backward",
    "FD_POINTS",
    "Forward",
    "Layer",
    "Perturbed",
    "backward",
    "finite_difference_gradients",
    "forward",
    "loss_value",
    "perturbed_runs",
    "input_differences",
    "Running",
    "train",
    "update",
]


@dataclass
class Layer:
    W: np.ndarray  # (n_out, n_in); row j holds the weights into node j
    activation: str  # one of ACTIVATIONS; softmax only on the last layer
    bias: str = "none"  # "none" | "neuron" | "shared"
    b: np.ndarray | float | None = None  # neuron: (n_out,); shared: a float; none: None
    alpha: float = 0.01  # leaky-relu slope for net <= 0
    train_bias: bool = True


@dataclass
class Forward:
    nets: list[np.ndarray]  # per layer (S, n_out)
    outs: list[np.ndarray]  # per layer (S, n_out)
    loss_per_sample: np.ndarray  # (S,)
    loss: float  # batch loss


@dataclass
class Backward:
    dloss_dout: np.ndarray  # (S, n_last): dJ_s/d yhat
    dout_dnet: list[np.ndarray]  # per layer (S, n_out); NaN for softmax (a Jacobian, not elementwise)
    deltas: list[np.ndarray]  # per layer (S, n_out): dJ_s/d net
    grad_W: list[np.ndarray]  # per layer (n_out, n_in): gradient of the batch loss
    grad_b: list[np.ndarray | float | None]  # neuron (n_out,), shared float, none/frozen None
    grad_W_per_sample: list[np.ndarray]  # per layer (S, n_out, n_in)
    #: (S, n_in): dJ_s / d x_s, each sample's loss (or, without a loss, its output) by its inputs
    grad_X: np.ndarray | None = None


def _check(layers, X, Y, loss, reduction):
    """Validate the inputs once, so the math below can stay free of special cases."""
    if (loss not in LOSSES and loss != NO_LOSS) or reduction not in REDUCTIONS:
        raise ValueError(f"unknown loss {loss!r} or reduction {reduction!r}")
    X, Y = np.atleast_2d(np.asarray(X, float)), np.atleast_2d(np.asarray(Y, float))
    if loss == NO_LOSS:  # no target: the "loss" of a sample is its single output
        if np.shape(layers[-1].W)[0] != 1:
            raise ValueError("without a loss the network must have one output")
        Y = np.zeros((X.shape[0], 1))
    n_in = X.shape[1]
    for i, layer in enumerate(layers):
        if layer.activation not in ACTIVATIONS or layer.bias not in BIAS_MODES:
            raise ValueError(f"layer {i}: bad activation {layer.activation!r} or bias {layer.bias!r}")
        if layer.activation == "softmax" and i != len(layers) - 1:
            raise ValueError("softmax is allowed on the output layer only")
        if np.shape(layer.W)[1] != n_in:
            raise ValueError(f"layer {i}: W has {np.shape(layer.W)[1]} inputs, expected {n_in}")
        n_in = np.shape(layer.W)[0]
    needs = kernels.OUTPUT_FOR.get(loss)
    if needs and layers[-1].activation != needs:
        raise ValueError(f"{loss} needs a {needs} output")
    if X.shape[0] != Y.shape[0] or Y.shape[1] != n_in:
        raise ValueError(f"Y must be ({X.shape[0]}, {n_in}), got {Y.shape}")
    return X, Y


def _reduce(a, reduction):
    """Combine per-sample values (sample axis first) into the batch value (a mean is the sum
    divided by the count, as ``mean`` computes it, without its Python wrapper)."""
    return a.sum(axis=0) / len(a) if reduction == "mean" else a.sum(axis=0)


def penalty(layers, decay: float) -> float:
    """The L2 weight decay's (decay/2) sum w^2 over every weight (not the biases)."""
    return 0.5 * decay * sum(float(np.sum(np.square(layer.W))) for layer in layers) if decay else 0.0


@np.errstate(under="ignore")
def forward(layers, X, Y, loss, reduction="mean", decay: float = 0.0) -> Forward:
    """Run the network on every sample at once and evaluate the loss (the batch loss with
    the L2 penalty of ``decay``; each sample's own loss without it)."""
    X, Y = _check(layers, X, Y, loss, reduction)
    nets, outs, a = [], [], X
    for layer in layers:
        # A shared bias is a 0-d value and broadcasts over all nodes, a neuron bias over samples.
        b = 0.0 if layer.bias == "none" else np.asarray(layer.b, float)
        net = a @ np.asarray(layer.W, float).T + b
        a = kernels.activate(layer.activation, net, layer.alpha)
        nets.append(net)
        outs.append(a)
    per_sample = kernels.loss_per_sample(loss, nets[-1], outs[-1], Y)
    return Forward(nets, outs, per_sample, float(_reduce(per_sample, reduction)) + penalty(layers, decay))


@np.errstate(under="ignore")
def backward(layers, X, Y, loss, reduction="mean", fwd: Forward | None = None, decay: float = 0.0) -> Backward:
    """Backpropagate per-sample deltas, then reduce them into batch gradients (each weight's
    gaining ``decay`` * w, the L2 penalty's)."""
    X, Y = _check(layers, X, Y, loss, reduction)
    fwd = fwd if fwd is not None else forward(layers, X, Y, loss, reduction)
    yhat, last = fwd.outs[-1], layers[-1]
    g = kernels.dloss_dout(loss, yhat, Y, z=fwd.nets[-1])
    dout_dnet = [kernels.derivative(l.activation, o, l.alpha) for l, o in zip(layers, fwd.outs, strict=True)]
    delta = kernels.output_delta(loss, last.activation, yhat, Y, last.alpha)
    deltas = [delta]
    for l in range(len(layers) - 1, 0, -1):
        deltas.insert(0, dout_dnet[l - 1] * (deltas[0] @ np.asarray(layers[l].W, float)))
    inputs = [X] + fwd.outs[:-1]
    per_sample = [np.einsum("so,si->soi", d, a) for d, a in zip(deltas, inputs, strict=True)]
    grad_b: list[np.ndarray | float | None] = []
    for layer, d in zip(layers, deltas, strict=True):
        if layer.bias == "none" or not layer.train_bias:
            grad_b.append(None)
        elif layer.bias == "neuron":
            grad_b.append(_reduce(d, reduction))
        else:  # one scalar feeds every node of the layer
            grad_b.append(float(_reduce(d.sum(axis=1), reduction)))
    grad_W = [_reduce(p, reduction) + decay * np.asarray(l.W, float) for p, l in zip(per_sample, layers)]
    grad_X = deltas[0] @ np.asarray(layers[0].W, float)  # one more step of the same recursion
    return Backward(g, dout_dnet, deltas, grad_W, grad_b, per_sample, grad_X)


def update(layers, grads: Backward, lr: float, run: Running | None = None, record: dict | None = None) -> list[Layer]:
    """One gradient-descent step, or with ``run`` one step of that optimizer (its state kept
    by (layer, "W" or "b")); returns new Layer objects and leaves the inputs alone.
    ``record`` receives each array's quantities (m, v, mhat, vhat, change) by that key."""
    if run is not None:
        return _optimizer_update(layers, grads, run, record if record is not None else {})
    new = []
    for layer, gW, gb in zip(layers, grads.grad_W, grads.grad_b, strict=True):
        b = layer.b.copy() if isinstance(layer.b, np.ndarray) else layer.b
        if gb is not None:
            b = float(b - lr * gb) if layer.bias == "shared" else np.asarray(b, float) - lr * gb
        new.append(dataclasses.replace(layer, W=np.asarray(layer.W, float) - lr * gW, b=b))
    return new


def _optimizer_update(layers, grads: Backward, run: Running, record: dict) -> list[Layer]:
    run.next()
    new = []
    for li, (layer, gW, gb) in enumerate(zip(layers, grads.grad_W, grads.grad_b, strict=True)):
        W, record[(li, "W")] = run.step((li, "W"), layer.W, gW)
        b = layer.b.copy() if isinstance(layer.b, np.ndarray) else layer.b
        if gb is not None:
            b, record[(li, "b")] = run.step((li, "b"), np.array(layer.b, float, ndmin=1), np.array(gb, float, ndmin=1))
            b = float(b[0]) if layer.bias == "shared" else b
        new.append(dataclasses.replace(layer, W=W, b=b))
    return new


def loss_value(layers, X, Y, loss, reduction="mean", decay: float = 0.0) -> float:
    return forward(layers, X, Y, loss, reduction, decay).loss


def train(
    layers,
    X,
    Y,
    loss,
    lr,
    steps,
    reduction="mean",
    first: Forward | None = None,
    run: Running | None = None,
    decay: float = 0.0,
    params: list | None = None,
) -> tuple[list[Layer], list[float]]:
    """`steps` full-batch updates (gradient descent, or the optimizer ``run``; ``decay``
    the L2 weight decay); returns final layers and loss history [loss before step 1, after
    step 1, ..., after step N] (length steps+1). ``first`` may give the forward pass of
    ``layers`` when the caller has made it already; ``params`` receives the layers before
    step 1 and after every step."""
    layers = list(layers)
    fwd = first if first is not None else forward(layers, X, Y, loss, reduction, decay)
    history = [fwd.loss]
    if params is not None:
        params.append(layers)
    for _ in range(steps):
        layers = update(layers, backward(layers, X, Y, loss, reduction, fwd, decay), lr, run)
        fwd = forward(layers, X, Y, loss, reduction, decay)
        history.append(fwd.loss)
        if params is not None:
            params.append(layers)
    return layers, history


@np.errstate(under="ignore")
def input_differences(layers, X, Y, loss, h=1e-5) -> np.ndarray:
    """(S, n_in): central differences (the 4-point formula) of each sample's own loss (or
    output, without a loss) with respect to each of its inputs."""
    X, Y = _check(layers, X, Y, loss, "mean")
    S, n = X.shape
    grads = np.empty((S, n))
    for k in range(n):
        moved = np.repeat(X[None], len(FD_POINTS), axis=0)  # (points, S, n)
        moved[:, :, k] += h * np.array(FD_POINTS, float)[:, None]
        f = forward(layers, moved.reshape(-1, n), np.tile(Y, (len(FD_POINTS), 1)), loss).loss_per_sample
        f = f.reshape(len(FD_POINTS), S)
        grads[:, k] = (8 * (f[0] - f[1]) - (f[2] - f[3])) / (12 * h)
    return grads


def perturbed_runs(layers, X, Y, loss, reduction="mean", h=1e-5):
    """The batch loss with one parameter moved to each of the points ``x + h * FD_POINTS``,
    for every weight and every trainable bias, in blocks of parameters of one layer
    (:class:`~derive.verify.differences.Perturbed`). The inputs are validated and the
    network run forward once; :mod:`derive.verify.differences` runs the moved copies."""
    X, Y = _check(layers, X, Y, loss, reduction)
    fwd = forward(layers, X, Y, loss, reduction)
    return differences.blocks(layers, X, Y, fwd.nets, fwd.outs, loss, reduction, h)


def finite_difference_gradients(layers, X, Y, loss, reduction="mean", h=1e-5, decay: float = 0.0):
    """Central differences of the batch loss for every weight and every trainable bias
    (same shapes as Backward.grad_W/grad_b), with the 4-point Richardson formula
    (8(f(x+h)-f(x-h)) - (f(x+2h)-f(x-2h)))/(12h), whose error is O(h^4); the loss at the
    moved points comes from :func:`perturbed_runs`, plus the L2 penalty of ``decay`` at the
    moved weight."""
    base = penalty(layers, decay)
    grads = {(i, f): np.empty(np.size(getattr(layer, f))) for i, layer in enumerate(layers) for f in ("W", "b")}
    for run in perturbed_runs(layers, X, Y, loss, reduction, h):
        f = run.loss
        if decay and run.field == "W":  # J at the moved weight: its penalty moves with it
            x = np.asarray(layers[run.layer].W, float).ravel()[run.params][:, None]
            f = f + base + 0.5 * decay * ((x + h * np.array(FD_POINTS)) ** 2 - x**2)
        elif decay:
            f = f + base
        grads[(run.layer, run.field)][run.params] = (8 * (f[:, 0] - f[:, 1]) - (f[:, 2] - f[:, 3])) / (12 * h)
    grad_W = [grads[(i, "W")].reshape(np.shape(layer.W)) for i, layer in enumerate(layers)]
    grad_b: list = []
    for i, layer in enumerate(layers):
        if layer.bias == "none" or not layer.train_bias:
            grad_b.append(None)
        elif layer.bias == "shared":
            grad_b.append(float(grads[(i, "b")][0]))
        else:
            grad_b.append(grads[(i, "b")].reshape(np.shape(layer.b)))
    return grad_W, grad_b
