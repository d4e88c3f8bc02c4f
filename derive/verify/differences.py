"""The loss at every finite-difference point of every parameter, many points at a time.

A central difference needs the batch loss with one parameter moved to ``x + h * t`` for each
point ``t`` of :data:`FD_POINTS`. Moving one parameter at a time and running the whole
network each time costs a forward pass (and its Python overhead) per point; here the points
of a block of parameters of one layer are stacked as leading axes (P parameters, 4 points,
S samples) and the network is run once per block from the layer that moved:

- a weight w_jk moves net_j of its layer by (what it really moved) * in_k, a neuron's bias
  moves its own net_j, a shared bias every net of the layer;
- where one net of a hidden layer moved, only its node's output changes, and the next
  layer's nets change by (out_j' - out_j) * w_mj; from there on every layer is run in full
  (a softmax output, whose outputs all depend on each net, is always run in full);
- the loss is the oracle's kernel on the moved outputs, reduced over the samples.

Every number is a float64 evaluation of the same loss at the same moved parameters; only
the order of the roundings differs from a fresh forward pass, by far less than the
differences' own round-off. The forward values of the unmoved network come in from the
oracle (:func:`derive.verify.oracle.perturbed_runs`), which validates the inputs once.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from derive.verify import kernels

#: The finite differences' evaluation points, in multiples of h, in the order the 4-point
#: formula (8(f(x+h) - f(x-h)) - (f(x+2h) - f(x-2h))) / 12h reads them.
FD_POINTS = (1, -1, 2, -2)
#: At most about this many float64 numbers per layer of one block (256 kB: small enough that a
#: block's arrays stay in the processor's cache, large enough that NumPy's overhead per call is small).
BLOCK = 1 << 15


@dataclass
class Perturbed:
    """One block of moved copies: ``layer``'s ``field`` ("W" or "b") at the flat indices
    ``params`` (C order; index 0 for a shared bias), each moved to every point. ``loss`` is
    the batch loss (P, points). ``nets`` holds the (P, points, S, n) nets of the layers run
    in full; ``column``, when only one net per copy moved in ``layer``, is (node per
    parameter (P,), that net (P, points, S))."""

    layer: int
    field: str
    params: np.ndarray
    loss: np.ndarray
    nets: dict[int, np.ndarray]
    column: tuple[np.ndarray, np.ndarray] | None = None

    def net(self, m: int, base: np.ndarray) -> np.ndarray:
        """The (P, points, S, n) nets of layer ``m`` in every copy; ``base`` is the unmoved
        network's (S, n)."""
        if m in self.nets:
            return self.nets[m]
        full = np.broadcast_to(base, self.loss.shape + base.shape).copy()
        if m == self.layer and self.column is not None:
            j, col = self.column
            full[np.arange(len(j)), :, :, j] = col
        return full


def blocks(layers, X, Y, nets, outs, loss, reduction, h):
    """Every block (:class:`Perturbed`) of every weight and trainable bias, layer by layer,
    weights before biases; ``nets`` and ``outs`` are the unmoved network's, per layer (S, n)."""
    steps = h * np.array(FD_POINTS, float)
    for i, layer in enumerate(layers):
        fields = ["W"] + ([] if layer.bias == "none" or not layer.train_bias else ["b"])
        # the widest layer run in full (a hidden layer's own nets are one column per copy)
        width = max(np.shape(l.W)[0] for l in layers[i + (layer.bias != "shared" and i + 1 < len(layers)):])
        size = max(1, BLOCK // (len(steps) * len(X) * width))
        for field in fields:
            n = np.size(getattr(layer, field))
            for lo in range(0, n, size):
                params = np.arange(lo, min(lo + size, n))
                yield _block(layers, i, field, params, steps, X if i == 0 else outs[i - 1], nets, outs, Y, loss,
                             reduction)


@np.errstate(under="ignore")
def _block(layers, i, field, params, steps, a, nets, outs, Y, loss, reduction) -> Perturbed:
    """One block; ``a`` is what layer ``i`` multiplies (S, n_in)."""
    layer = layers[i]
    value = np.asarray(getattr(layer, field), float).ravel()[params][:, None]
    moved = (value + steps) - value                       # (P, points): what each really moved by
    P, lead = len(params), (len(params), len(steps), len(a))
    if field == "W":
        j, k = np.divmod(params, np.shape(layer.W)[1])
        change = moved[:, :, None] * a[:, k].T[:, None, :]
    else:
        j = None if np.ndim(layer.b) == 0 else params   # a shared bias moves every net of the layer
        change = moved[:, :, None]
    if j is not None and layer.activation != "softmax" and i + 1 < len(layers):
        col = nets[i][:, j].T[:, None, :] + change        # (P, points, S): the one net that moved
        moved_out = kernels.activate(layer.activation, col, layer.alpha) - outs[i][:, j].T[:, None, :]
        w = np.asarray(layers[i + 1].W, float)[:, j].T[:, None, None, :]
        start, net, column = i + 1, nets[i + 1] + moved_out[..., None] * w, (j, col)
    else:
        start, net, column = i, np.broadcast_to(nets[i], lead + nets[i].shape[1:]).copy(), None
        if j is None:
            net += change[..., None]
        else:
            net[np.arange(P), :, :, j] += change
    run = Perturbed(i, field, params, np.empty(0), {}, column)
    run.loss = _rest(layers, start, net, Y, loss, reduction, run.nets)
    return run


def _rest(layers, start, net, Y, loss, reduction, into: dict) -> np.ndarray:
    """Run layers ``start``, ``start + 1``, ... from ``start``'s nets (P, points, S, n),
    keeping each layer's nets in ``into``; returns the batch loss (P, points)."""
    lead = net.shape[:3]
    into[start] = net
    flat = net.reshape(-1, net.shape[-1])
    out = kernels.activate(layers[start].activation, flat, layers[start].alpha)
    for m in range(start + 1, len(layers)):
        b = 0.0 if layers[m].bias == "none" else np.asarray(layers[m].b, float)
        flat = out @ np.asarray(layers[m].W, float).T + b
        into[m] = flat.reshape(lead + flat.shape[1:])
        out = kernels.activate(layers[m].activation, flat, layers[m].alpha)
    targets = np.broadcast_to(Y, lead + Y.shape[1:]).reshape(-1, Y.shape[1])
    per_sample = kernels.loss_per_sample(loss, flat, out, targets).reshape(lead)
    return per_sample.mean(axis=2) if reduction == "mean" else per_sample.sum(axis=2)
