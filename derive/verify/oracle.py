"""Independent NumPy reference implementation of forward pass, backprop and training.

This module is the numerical oracle for the SymPy derivations. It deliberately
imports nothing else from the ``derive`` package, so a mistake there cannot be
copied here and then "confirm" itself.

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

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky-relu", "softplus", "identity", "softmax")
LOSSES = ("half-sse", "sse", "mse", "half-mse", "cross-entropy", "bce")
BIAS_MODES = ("none", "neuron", "shared")
REDUCTIONS = ("mean", "sum")
# Squared-error losses as multiples of sum((y - yhat)^2); the value is a function of n outputs.
_SQUARED = {"half-sse": lambda n: 0.5, "sse": lambda n: 1.0,
            "mse": lambda n: 1.0 / n, "half-mse": lambda n: 0.5 / n}


@dataclass
class Layer:
    W: np.ndarray            # (n_out, n_in); row j holds the weights into node j
    activation: str          # one of ACTIVATIONS; softmax only on the last layer
    bias: str = "none"       # "none" | "neuron" | "shared"
    b: np.ndarray | float | None = None   # neuron: (n_out,); shared: a float; none: None
    alpha: float = 0.01      # leaky-relu slope for net <= 0
    train_bias: bool = True


@dataclass
class Forward:
    nets: list[np.ndarray]       # per layer (S, n_out)
    outs: list[np.ndarray]       # per layer (S, n_out)
    loss_per_sample: np.ndarray  # (S,)
    loss: float                  # batch loss


@dataclass
class Backward:
    dloss_dout: np.ndarray          # (S, n_last): dJ_s/d yhat
    dout_dnet: list[np.ndarray]     # per layer (S, n_out); NaN for softmax (a Jacobian, not elementwise)
    deltas: list[np.ndarray]        # per layer (S, n_out): dJ_s/d net
    grad_W: list[np.ndarray]        # per layer (n_out, n_in): gradient of the batch loss
    grad_b: list[np.ndarray | float | None]  # neuron (n_out,), shared float, none/frozen None
    grad_W_per_sample: list[np.ndarray]      # per layer (S, n_out, n_in)


def _check(layers, X, Y, loss, reduction):
    """Validate the inputs once, so the math below can stay free of special cases."""
    if loss not in LOSSES or reduction not in REDUCTIONS:
        raise ValueError(f"unknown loss {loss!r} or reduction {reduction!r}")
    X, Y = np.atleast_2d(np.asarray(X, float)), np.atleast_2d(np.asarray(Y, float))
    n_in = X.shape[1]
    for i, layer in enumerate(layers):
        if layer.activation not in ACTIVATIONS or layer.bias not in BIAS_MODES:
            raise ValueError(f"layer {i}: bad activation {layer.activation!r} or bias {layer.bias!r}")
        if layer.activation == "softmax" and i != len(layers) - 1:
            raise ValueError("softmax is allowed on the output layer only")
        if np.shape(layer.W)[1] != n_in:
            raise ValueError(f"layer {i}: W has {np.shape(layer.W)[1]} inputs, expected {n_in}")
        n_in = np.shape(layer.W)[0]
    last = layers[-1].activation
    if loss == "cross-entropy" and last != "softmax" or loss == "bce" and last != "sigmoid":
        raise ValueError(f"{loss} needs a {'softmax' if loss == 'cross-entropy' else 'sigmoid'} output")
    if X.shape[0] != Y.shape[0] or Y.shape[1] != n_in:
        raise ValueError(f"Y must be ({X.shape[0]}, {n_in}), got {Y.shape}")
    return X, Y


def _reduce(a, reduction):
    """Combine per-sample values (sample axis first) into the batch value."""
    return a.mean(axis=0) if reduction == "mean" else a.sum(axis=0)


def _logsumexp(net):
    m = net.max(axis=1, keepdims=True)   # subtracting the row max keeps exp() <= 1
    return m + np.log(np.exp(net - m).sum(axis=1, keepdims=True))


def _activate(layer, net):
    a = layer.activation
    if a == "sigmoid":
        return np.exp(-np.logaddexp(0.0, -net))   # 1/(1+e^-x) without overflow for any x
    if a == "tanh":
        return np.tanh(net)
    if a == "relu":
        return np.where(net > 0, net, 0.0)
    if a == "leaky-relu":
        return np.where(net > 0, net, layer.alpha * net)
    if a == "softplus":
        return np.logaddexp(0.0, net)              # log(1 + e^x), finite for any x
    if a == "identity":
        return net.copy()
    return np.exp(net - _logsumexp(net))           # softmax


def _activation_derivative(layer, net, out):
    a = layer.activation
    if a == "sigmoid":
        return out * (1.0 - out)
    if a == "tanh":
        return 1.0 - out**2
    if a == "relu":
        return np.where(net > 0, 1.0, 0.0)         # 0 exactly at the kink, by convention
    if a == "leaky-relu":
        return np.where(net > 0, 1.0, layer.alpha)
    if a == "softplus":
        return np.exp(-np.logaddexp(0.0, -net))   # softplus' = sigmoid(net), written out on its own
    if a == "identity":
        return np.ones_like(net)
    return np.full_like(net, np.nan)               # softmax: a full Jacobian, handled in backward


def _loss_per_sample(loss, net, yhat, Y):
    if loss in _SQUARED:
        return _SQUARED[loss](Y.shape[1]) * ((Y - yhat) ** 2).sum(axis=1)
    if loss == "cross-entropy":                    # from logits: log softmax = net - lse, never log(0)
        return -(Y * (net - _logsumexp(net))).sum(axis=1)
    log_p, log_q = -np.logaddexp(0.0, -net), -np.logaddexp(0.0, net)   # log s(z), log(1 - s(z))
    return -(Y * log_p + (1.0 - Y) * log_q).sum(axis=1)


def _ratio(num, den):
    """num/den with 0/anything = 0: a term whose coefficient is 0 has no derivative.
    A saturated prediction against its target still gives +-inf (honestly); the
    output deltas never use these values for cross-entropy or bce."""
    with np.errstate(divide="ignore", over="ignore"):   # 1/1e-320 overflows to inf: the same honest inf
        return np.divide(num, den, out=np.zeros_like(num), where=num != 0)


def _dloss_dout(loss, yhat, Y):
    if loss in _SQUARED:
        return -2.0 * _SQUARED[loss](Y.shape[1]) * (Y - yhat)
    if loss == "cross-entropy":
        return -_ratio(Y, yhat)
    return -_ratio(Y, yhat) + _ratio(1.0 - Y, 1.0 - yhat)


@np.errstate(under="ignore")
def forward(layers, X, Y, loss, reduction="mean") -> Forward:
    """Run the network on every sample at once and evaluate the loss."""
    X, Y = _check(layers, X, Y, loss, reduction)
    nets, outs, a = [], [], X
    for layer in layers:
        # A shared bias is a 0-d value and broadcasts over all nodes, a neuron bias over samples.
        b = 0.0 if layer.bias == "none" else np.asarray(layer.b, float)
        net = a @ np.asarray(layer.W, float).T + b
        a = _activate(layer, net)
        nets.append(net)
        outs.append(a)
    per_sample = _loss_per_sample(loss, nets[-1], outs[-1], Y)
    return Forward(nets, outs, per_sample, float(_reduce(per_sample, reduction)))


@np.errstate(under="ignore")
def backward(layers, X, Y, loss, reduction="mean", fwd: Forward | None = None) -> Backward:
    """Backpropagate per-sample deltas, then reduce them into batch gradients."""
    X, Y = _check(layers, X, Y, loss, reduction)
    fwd = fwd if fwd is not None else forward(layers, X, Y, loss, reduction)
    yhat, act = fwd.outs[-1], layers[-1].activation
    g = _dloss_dout(loss, yhat, Y)
    dout_dnet = [_activation_derivative(l, n, o) for l, n, o in zip(layers, fwd.nets, fwd.outs)]
    if loss == "cross-entropy":
        # Exact for any target; equals yhat - y because the targets sum to 1 (one-hot).
        delta = yhat * Y.sum(axis=1, keepdims=True) - Y
    elif loss == "bce":
        delta = yhat - Y                           # avoids the unstable g * s(1 - s) product
    elif act == "softmax":                         # Jacobian-vector product of softmax
        delta = yhat * (g - (g * yhat).sum(axis=1, keepdims=True))
    else:
        delta = g * dout_dnet[-1]
    deltas = [delta]
    for l in range(len(layers) - 1, 0, -1):
        deltas.insert(0, dout_dnet[l - 1] * (deltas[0] @ np.asarray(layers[l].W, float)))
    inputs = [X] + fwd.outs[:-1]
    per_sample = [np.einsum("so,si->soi", d, a) for d, a in zip(deltas, inputs)]
    grad_b = []
    for layer, d in zip(layers, deltas):
        if layer.bias == "none" or not layer.train_bias:
            grad_b.append(None)
        elif layer.bias == "neuron":
            grad_b.append(_reduce(d, reduction))
        else:                                      # one scalar feeds every node of the layer
            grad_b.append(float(_reduce(d.sum(axis=1), reduction)))
    return Backward(g, dout_dnet, deltas, [_reduce(p, reduction) for p in per_sample],
                    grad_b, per_sample)


def update(layers, grads: Backward, lr: float) -> list[Layer]:
    """One gradient-descent step; returns new Layer objects and leaves the inputs alone."""
    new = []
    for layer, gW, gb in zip(layers, grads.grad_W, grads.grad_b):
        b = layer.b.copy() if isinstance(layer.b, np.ndarray) else layer.b
        if gb is not None:
            b = float(b - lr * gb) if layer.bias == "shared" else np.asarray(b, float) - lr * gb
        new.append(dataclasses.replace(layer, W=np.asarray(layer.W, float) - lr * gW, b=b))
    return new


def loss_value(layers, X, Y, loss, reduction="mean") -> float:
    return forward(layers, X, Y, loss, reduction).loss


def train(layers, X, Y, loss, lr, steps, reduction="mean") -> tuple[list[Layer], list[float]]:
    """`steps` full-batch gradient-descent updates; returns final layers and loss history
    [loss before step 1, after step 1, ..., after step N] (length steps+1)."""
    layers = list(layers)
    fwd = forward(layers, X, Y, loss, reduction)
    history = [fwd.loss]
    for _ in range(steps):
        layers = update(layers, backward(layers, X, Y, loss, reduction, fwd), lr)
        fwd = forward(layers, X, Y, loss, reduction)
        history.append(fwd.loss)
    return layers, history


def finite_difference_gradients(layers, X, Y, loss, reduction="mean", h=1e-5):
    """Central differences of the batch loss for every weight and every trainable bias
    (same shapes as Backward.grad_W/grad_b), with the 4-point Richardson formula
    (8(f(x+h)-f(x-h)) - (f(x+2h)-f(x-2h)))/(12h), whose error is O(h^4)."""
    def derivative(i, field, idx):
        def f(step):
            value = np.array(getattr(layers[i], field), dtype=float)   # fresh copy each time
            value[idx] += step
            perturbed = list(layers)
            perturbed[i] = dataclasses.replace(layers[i], **{field: value})
            return loss_value(perturbed, X, Y, loss, reduction)
        return (8 * (f(h) - f(-h)) - (f(2 * h) - f(-2 * h))) / (12 * h)

    def gradient(i, field):
        shape = np.shape(getattr(layers[i], field))
        return np.array([derivative(i, field, idx) for idx in np.ndindex(shape)]).reshape(shape)

    grad_W = [gradient(i, "W") for i in range(len(layers))]
    grad_b = []
    for i, layer in enumerate(layers):
        if layer.bias == "none" or not layer.train_bias:
            grad_b.append(None)
        else:
            g = gradient(i, "b")
            grad_b.append(float(g) if layer.bias == "shared" else g)
    return grad_W, grad_b
