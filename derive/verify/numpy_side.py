"""The NumPy oracle's numbers for a step graph: the spec's network run forward, backward,
updated and differenced by :mod:`derive.verify.oracle`, and each step's counterpart among
them (:func:`numpy_values`).

On a ReLU-family net that is exactly 0 (a kink) the oracle's backward pass is given the
exact 0: its float net there is rounding error whose sign would pick the branch by chance.
Finite differences whose evaluation points cross a kink are set aside (``straddled``).

>>> from derive.model.spec import load_spec
>>> from derive.graph.builder import derive
>>> g = derive(load_spec("worked/four.yaml"))
>>> a, b, fd = numpy_values(g, numpy_side(g))
>>> float(abs(a - b).max()) < 1e-15, int((fd == fd).sum())
(True, 10)
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import sympy as sp
from mpmath.libmp import round_nearest, to_float

from derive.model.names import RELU_FAMILY
from derive.model.spec import Spec
from derive.verify import oracle as numeric

FD_H = 1e-5   # the finite differences' step


@dataclass
class NumPySide:
    layers: list
    X: np.ndarray
    Y: np.ndarray
    fwd: numeric.Forward
    bwd: numeric.Backward
    new_layers: list
    fd_W: list
    fd_b: list
    where: dict          # parameter name -> ('W', layer, j, k) or ('b', layer, nodes)
    kinks: list          # net steps exactly on a ReLU kink
    straddled: dict      # parameter -> the net its finite differences move across a kink


def numpy_layers(spec: Spec, params: dict[str, float] | None = None) -> list[numeric.Layer]:
    """The spec's network as NumPy-oracle layers (``params`` overrides values by name)."""
    def value(n, v):
        return float(params[n]) if params and n in params else float(v)

    layers = []
    for layer in spec.layers:
        W = np.array([[value(n, v) for n, v in zip(nr, vr)]
                      for nr, vr in zip(spec.weight_names[layer.name], spec.weights[layer.name])])
        b = None
        if layer.bias == "neuron":
            b = np.array([value(n, v) for n, v in zip(spec.bias_names[layer.name], spec.biases[layer.name])])
        elif layer.bias == "shared":
            b = value(spec.bias_names[layer.name], spec.biases[layer.name])
        layers.append(numeric.Layer(W, layer.activation, layer.bias, b, float(layer.alpha), layer.train_bias))
    return layers


def _data(spec: Spec):
    X = np.array([[float(v) for v in s.x] for s in spec.samples])
    Y = np.array([[float(v) for v in s.y] for s in spec.samples])
    return X, Y


def _locate(spec: Spec) -> dict[str, tuple]:
    """Parameter name -> ('W', layer, j, k) or ('b', layer, nodes)."""
    where = {}
    for li, layer in enumerate(spec.layers):
        for j, row in enumerate(spec.weight_names[layer.name]):
            for k, n in enumerate(row):
                where[n] = ("W", li, j, k)
        if layer.bias == "neuron":
            for j, n in enumerate(spec.bias_names[layer.name]):
                where[n] = ("b", li, [j])
        elif layer.bias == "shared":
            where[spec.bias_names[layer.name]] = ("b", li, list(range(layer.size)))
    return where


def numpy_side(graph) -> NumPySide:
    """Run the oracle on the graph's spec: forward, backward (held to the graph's kinks),
    one update and the finite differences."""
    spec = graph.spec
    X, Y = _data(spec)
    layers = numpy_layers(spec)
    fwd = numeric.forward(layers, X, Y, spec.loss, spec.batch)
    kinks = _exact_kinks(graph)
    fwd_b = fwd
    if any(fwd.nets[st.layer][st.sample, st.node] != 0 for st in kinks):
        # (0.9*0.4 - 0.9*0.4 is 1.3e-17 with a fused multiply-add; the forward values are
        # still compared as NumPy computed them). Net and out both: the oracle's kernels read
        # an activation's derivative from its output.
        nets, outs = [n.copy() for n in fwd.nets], [o.copy() for o in fwd.outs]
        for st in kinks:
            nets[st.layer][st.sample, st.node] = outs[st.layer][st.sample, st.node] = 0.0
        fwd_b = dataclasses.replace(fwd, nets=nets, outs=outs)
    bwd = numeric.backward(layers, X, Y, spec.loss, spec.batch, fwd_b)
    new_layers = numeric.update(layers, bwd, float(spec.learning_rate))
    fd_W, fd_b = numeric.finite_difference_gradients(layers, X, Y, spec.loss, spec.batch, h=FD_H)
    where = _locate(spec)
    straddled = _straddled(spec, layers, X, Y, fwd, where)
    return NumPySide(layers, X, Y, fwd, bwd, new_layers, fd_W, fd_b, where, kinks, straddled)


def _param(side: NumPySide, layers, p: str):
    kind, li, *rest = side.where[p]
    if kind == "W":
        return layers[li].W[rest[0], rest[1]]
    b = layers[li].b
    return b if np.ndim(b) == 0 else b[rest[0][0]]


def _grad(side: NumPySide, p: str, s: int | None):
    """The oracle's gradient (and finite difference) of the batch loss, or of sample ``s``'s."""
    kind, li, *rest = side.where[p]
    bwd = side.bwd
    if s is None:
        if kind == "W":
            return bwd.grad_W[li][rest[0], rest[1]], side.fd_W[li][rest[0], rest[1]]
        g, f = bwd.grad_b[li], side.fd_b[li]
        return (g, f) if np.ndim(g) == 0 else (g[rest[0][0]], f[rest[0][0]])
    if kind == "W":
        return bwd.grad_W_per_sample[li][s, rest[0], rest[1]], None
    return bwd.deltas[li][s, rest[0]].sum(), None


def _lookup(st, side: NumPySide, multi: bool):
    """The oracle's value for step ``st``, and its finite difference (gradients only)."""
    fwd, bwd, s = side.fwd, side.bwd, st.sample
    kind = st.kind
    if kind == "net":
        return fwd.nets[st.layer][s, st.node], None
    if kind == "out":
        return fwd.outs[st.layer][s, st.node], None
    if kind == "loss":
        return (fwd.loss if (s is None or not multi) else fwd.loss_per_sample[s]), None
    if kind == "dloss_dout":
        return bwd.dloss_dout[s, st.node], None
    if kind == "dout_dnet":
        return bwd.dout_dnet[st.layer][s, st.node], None
    if kind == "delta":
        return bwd.deltas[st.layer][s, st.node], None
    if kind == "grad":
        nv, fdv = _grad(side, st.param, None if (s is None or not multi) else s)
        return nv, (None if st.param in side.straddled else fdv)
    if kind == "new":
        return _param(side, side.new_layers, st.param), None
    raise AssertionError(kind)   # pragma: no cover - every kind is listed above


def as_float(v) -> float:
    """``float(v)`` of a SymPy number: a float's digits rounded to nearest once (the same
    mpmath call SymPy's ``float()`` makes, without its wrappers: it is most of this check's
    time on a large graph)."""
    return to_float(v._mpf_, False, round_nearest) if isinstance(v, sp.Float) else float(v)


def numpy_values(graph, side: NumPySide) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three arrays in graph order: each step's exact value as a float, the oracle's value
    and the finite difference (NaN where none is compared)."""
    multi = len(graph.spec.samples) > 1
    n = len(graph.steps)
    a, b, fd = np.empty(n), np.empty(n), np.full(n, np.nan)
    for i, st in enumerate(graph.steps):
        a[i] = as_float(st.exact)
        b[i], f = _lookup(st, side, multi)
        if f is not None:
            fd[i] = f
    return a, b, fd


def _exact_kinks(graph) -> list:
    """The net steps of ReLU-family layers whose exact value is 0."""
    return [st for st in graph if st.kind == "net" and st.exact.is_zero   # (a Float 0 is != 0)
            and graph.spec.layers[st.layer].activation in RELU_FAMILY]


def _straddled(spec: Spec, layers, X, Y, fwd, where) -> dict[str, str]:
    """Parameter -> the ReLU-family net that one of its finite-difference evaluation points
    (the parameter moved by +-h and +-2h, in that order) puts on the other side of the kink,
    where the loss is not differentiable and a difference quotient is no derivative."""
    relu = [li for li, layer in enumerate(spec.layers) if layer.activation in RELU_FAMILY]
    if not relu:
        return {}
    side = {li: fwd.nets[li] > 0 for li in relu}
    name_of = {}
    for p, (kind, li, *rest) in where.items():
        name_of[(li, kind, rest[0] * layers[li].W.shape[1] + rest[1] if kind == "W" else rest[0][0])] = p
    found = {}
    for run in numeric.perturbed_runs(layers, X, Y, spec.loss, spec.batch, FD_H):
        flips = {m: (run.nets[m] > 0) != side[m] for m in relu if m in run.nets}   # (P, points, S, n)
        if not any(f.any() for f in flips.values()):
            continue
        for p, q in enumerate(run.params):
            t = next((t for t in range(len(numeric.FD_POINTS)) if any(f[p, t].any() for f in flips.values())), None)
            if t is not None:
                m = next(m for m, f in flips.items() if f[p, t].any())
                s, j = np.argwhere(flips[m][p, t])[0]
                sfx = f"_s{s + 1}" if len(spec.samples) > 1 else ""
                found[name_of[(run.layer, run.field, int(q))]] = f"net_{spec.layers[m].nodes[j]}{sfx}"
    return {p: found[p] for p in spec.trainable() if p in found}
