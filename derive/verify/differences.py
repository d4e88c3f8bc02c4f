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
    weights before biases; ``nets`` and ``outs`` are the unmoved network's, per layer (S, n).
    A layer's weights and neuron biases run in the same blocks (a bias multiplies 1)."""
    steps = h * np.array(FD_POINTS, float)
    for i, layer in enumerate(layers):
        # the widest layer run in full (a hidden layer's own nets are one column per copy)
        width = max(np.shape(l.W)[0] for l in layers[i + (i + 1 < len(layers)) :])
        size = max(1, BLOCK // (len(steps) * len(X) * width))
        a = X if i == 0 else outs[i - 1]
        inputs = np.ones((len(a), a.shape[1] + 1))  # what each parameter multiplies: in_k, or 1
        inputs[:, :-1] = a
        values, j, k = _movable(layer)
        n_weights = np.size(layer.W)
        for lo in range(0, len(values), size):
            at = slice(lo, min(lo + size, len(values)))
            run = _run(layers, i, values[at], j[at], inputs[:, k[at]].T, steps, nets, outs, Y, loss, reduction)
            yield from _split(run, lo, n_weights)
        if layer.bias == "shared" and layer.train_bias:  # one number that moves every net of the layer
            run = _run(
                layers, i, np.array([float(layer.b)]), None, np.ones((1, len(a))), steps, nets, outs, Y, loss, reduction
            )
            yield Perturbed(i, "b", np.array([0]), *run[1:])


def _movable(layer):
    """The weights and neuron biases of a layer as one table: value, node and the index of
    what it multiplies (n_in for a bias), weights first in C order."""
    W = np.asarray(layer.W, float)
    n_out, n_in = W.shape
    flat = np.arange(W.size)
    values, j, k = [W.ravel()], [flat // n_in], [flat % n_in]
    if layer.bias == "neuron" and layer.train_bias:
        values.append(np.asarray(layer.b, float))
        j.append(np.arange(n_out))
        k.append(np.full(n_out, n_in))
    return np.concatenate(values), np.concatenate(j), np.concatenate(k)


def _split(run, lo: int, n_weights: int):
    """A block's rows lo, lo + 1, ... of the table of :func:`_movable` as (at most) one
    :class:`Perturbed` of weights and one of biases."""
    layer, (loss, nets, column) = run[0], run[1:]
    cut = max(0, min(len(loss), n_weights - lo))
    for field, part, first in (("W", slice(0, cut), lo), ("b", slice(cut, len(loss)), lo + cut - n_weights)):
        if part.start < part.stop:
            col = None if column is None else (column[0][part], column[1][part])
            yield Perturbed(
                layer,
                field,
                np.arange(first, first + part.stop - part.start),
                loss[part],
                {m: v[part] for m, v in nets.items()},
                col,
            )


@np.errstate(under="ignore")
def _run(layers, i, values, j, mult, steps, nets, outs, Y, loss, reduction):
    """Layer ``i``'s parameters ``values`` (P,) moved to every point: each moves net_j (j:
    (P,) nodes; None for a shared bias, which moves every net) by what it moved times
    ``mult`` (P, S). Returns (i, loss (P, points), nets, column) as :class:`Perturbed` keeps them."""
    layer = layers[i]
    moved = (values[:, None] + steps) - values[:, None]  # (P, points): what each really moved by
    change = moved[:, :, None] * mult[:, None, :]  # (P, points, S)
    P, lead = len(values), (len(values), len(steps), mult.shape[1])
    if j is not None and layer.activation != "softmax" and i + 1 < len(layers):
        col = nets[i][:, j].T[:, None, :] + change  # (P, points, S): the one net that moved
        moved_out = kernels.activate(layer.activation, col, layer.alpha) - outs[i][:, j].T[:, None, :]
        w = np.asarray(layers[i + 1].W, float)[:, j].T[:, None, None, :]
        start, net, column = i + 1, nets[i + 1] + moved_out[..., None] * w, (j, col)
    else:
        start, net, column = i, np.empty(lead + nets[i].shape[1:]), None
        net[...] = nets[i]
        if j is None:
            net += change[..., None]
        else:
            net[np.arange(P), :, :, j] += change
    into: dict[int, np.ndarray] = {}
    return i, _rest(layers, start, net, Y, loss, reduction, into), into, column


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
    targets = np.empty(lead + Y.shape[1:])
    targets[...] = Y
    targets = targets.reshape(-1, Y.shape[1])
    per_sample = kernels.loss_per_sample(loss, flat, out, targets).reshape(lead)
    total = per_sample.sum(axis=2)
    return total / lead[2] if reduction == "mean" else total
