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
from math import nan
from typing import Any

import numpy as np

from derive.graph.arith import as_float
from derive.model.names import RELU_FAMILY, sample_suffix
from derive.model.spec import Spec
from derive.verify import oracle as numeric

FD_H = 1e-5  # the finite differences' step
#: the steps of an optimizer's update, compared with the oracle's quantities of the same name
OPTIMIZER_KINDS = ("m", "v", "mhat", "vhat", "change")


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
    where: dict  # parameter name -> ('W', layer, j, k) or ('b', layer, nodes)
    kinks: list  # net steps exactly on a ReLU kink
    straddled: dict  # parameter -> the net its finite differences move across a kink
    after: numeric.Forward | None = None  # show: [after]: the forward pass at new_layers
    fd_X: np.ndarray | None = None  # input_gradients: (S, n_in) differences of each sample's loss
    #: the optimizer's quantities of the update by (layer, "W" or "b"): kind -> array
    record: dict = dataclasses.field(default_factory=dict)
    #: batch: online: one side per sample, each of that sample alone at the parameters the
    #: previous sample's update left (this side is then the first sample's)
    online: list = dataclasses.field(default_factory=list)
    #: the updates t >= 2 of an unrolled ``steps: N``, each a NumPySide of its own
    later: list = dataclasses.field(default_factory=list)


def optimizer_of(spec: Spec) -> numeric.Running | None:
    """The spec's optimizer as the oracle runs it (None: plain gradient descent)."""
    if spec.optimizer is None:
        return None
    settings = {k: as_float(n.value) for k, n in spec.optimizer.settings.items()}
    return numeric.Running(spec.optimizer.name, settings, as_float(spec.learning_rate))


def numpy_layers(spec: Spec, params: dict[str, float] | None = None) -> list[numeric.Layer]:
    """The spec's network as NumPy-oracle layers (``params`` overrides values by name)."""

    def value(n, v):
        return float(params[n]) if params and n in params else as_float(v)

    layers = []
    for layer in spec.layers:
        W = np.array(
            [
                [value(n, v) for n, v in zip(nr, vr)]
                for nr, vr in zip(spec.weight_names[layer.name], spec.weights[layer.name])
            ]
        )
        b = None
        if layer.bias == "neuron":
            b = np.array([value(n, v) for n, v in zip(spec.bias_names[layer.name], spec.biases[layer.name])])
        elif layer.bias == "shared":
            b = value(spec.bias_names[layer.name], spec.biases[layer.name])
        layers.append(numeric.Layer(W, layer.activation, layer.bias, b, float(layer.alpha), layer.train_bias))
    return layers


def _data(spec: Spec):
    X = np.array([[as_float(v) for v in s.x] for s in spec.samples])
    Y = np.array([[as_float(v) for v in s.y] for s in spec.samples]).reshape(len(X), -1)  # (S, 0) without a loss
    return X, Y


def _locate(spec: Spec) -> dict[str, tuple]:
    """Parameter name -> ('W', layer, j, k) or ('b', layer, nodes)."""
    where: dict[str, tuple] = {}
    for p in spec.iter_parameters():
        if p.kind == "weight":
            where[p.name] = ("W", p.layer, p.nodes[0], p.k)
        else:  # one node's bias, or the one shared by every node of the layer
            where[p.name] = ("b", p.layer, list(p.nodes))
    return where


def numpy_side(graph) -> NumPySide:
    """Run the oracle on the graph's spec: forward, backward (held to the graph's kinks),
    one update and the finite differences; online, one update per sample in turn."""
    spec = graph.spec
    X, Y = _data(spec)
    layers = numpy_layers(spec)
    kinks = _exact_kinks(graph)
    # plain gradient descent runs as the rule "sgd" (the same new values, its change recorded);
    # one Running keeps an optimizer's state from each update to the next
    run = optimizer_of(spec) or numeric.Running("sgd", {}, 0.0)
    if spec.batch != "online":
        side = _side(spec, layers, X, Y, spec.batch, kinks, None, run)
        for _ in range(max((st.update or 0) for st in graph.steps)):  # the unrolled updates
            prev = side.later[-1] if side.later else side
            side.later.append(_side(spec, prev.new_layers, X, Y, spec.batch, [], None, run))
        return side
    subs: list[NumPySide] = []
    for s in range(len(X)):  # each sample alone, at the parameters the update before left
        at = subs[-1].new_layers if subs else layers
        subs.append(_side(spec, at, X[s : s + 1], Y[s : s + 1], "mean", [k for k in kinks if k.sample == s], s, run))
    straddled = {p: net for sub in subs for p, net in sub.straddled.items()}
    return dataclasses.replace(subs[0], kinks=kinks, straddled=straddled, online=subs)


def _side(spec: Spec, layers, X, Y, reduction: str, kinks: list, sample: int | None, run) -> NumPySide:
    """The oracle's numbers for ``X`` (every sample, or the one sample ``sample``) at ``layers``,
    and one update by ``run`` (whose optimizer state it advances)."""
    decay = as_float(spec.weight_decay)
    fwd = numeric.forward(layers, X, Y, spec.loss, reduction, decay)
    fwd_b = fwd
    row = (lambda st: st.sample) if sample is None else (lambda st: 0)
    if any(fwd.nets[st.layer][row(st), st.node] != 0 for st in kinks):
        # (0.9*0.4 - 0.9*0.4 is 1.3e-17 with a fused multiply-add; the forward values are
        # still compared as NumPy computed them). Net and out both: the oracle's kernels read
        # an activation's derivative from its output.
        nets, outs = [n.copy() for n in fwd.nets], [o.copy() for o in fwd.outs]
        for st in kinks:
            nets[st.layer][row(st), st.node] = outs[st.layer][row(st), st.node] = 0.0
        fwd_b = dataclasses.replace(fwd, nets=nets, outs=outs)
    bwd = numeric.backward(layers, X, Y, spec.loss, reduction, fwd_b, decay)
    record: dict[tuple, dict] = {}
    new_layers = layers
    if spec.learning_rate is not None:  # (loss: none has no update)
        run.lr = float(spec.learning_rate)
        new_layers = numeric.update(layers, bwd, run.lr, run, record)
    after = numeric.forward(new_layers, X, Y, spec.loss, reduction, decay) if "after" in spec.show else None
    fd_W, fd_b = numeric.finite_difference_gradients(layers, X, Y, spec.loss, reduction, FD_H, decay)
    fd_X = numeric.input_differences(layers, X, Y, spec.loss, h=FD_H) if spec.input_gradients else None
    where = _locate(spec)
    straddled = _straddled(spec, layers, X, Y, fwd, where, reduction, sample)
    return NumPySide(layers, X, Y, fwd, bwd, new_layers, fd_W, fd_b, where, kinks, straddled, after, fd_X, record)


class _Sources:
    """Where the oracle keeps each step's counterpart: its arrays as nested lists (read
    number by number, a list is several times faster than an array), and ``values(step)``,
    the step's number there and its finite difference (NaN: none compared)."""

    def __init__(self, side: NumPySide, multi: bool):
        self.side, self.multi = side, multi
        fwd, bwd = side.fwd, side.bwd
        arrays: dict[Any, Any] = {"loss": [fwd.loss], "loss_s": fwd.loss_per_sample, "dloss_dout": bwd.dloss_dout}
        for li, layer in enumerate(side.layers):
            arrays.update(
                {
                    ("net", li): fwd.nets[li],
                    ("out", li): fwd.outs[li],
                    ("dout_dnet", li): bwd.dout_dnet[li],
                    ("delta", li): bwd.deltas[li],
                    ("grad_s", "W", li): bwd.grad_W_per_sample[li],
                    ("grad", "W", li): bwd.grad_W[li],
                    ("fd", "W", li): side.fd_W[li],
                    ("new", "W", li): side.new_layers[li].W,
                }
            )
            for (rl, field), q in side.record.items():
                if rl == li:  # the optimizer's quantities (a bias's as a 1-vector)
                    arrays.update({("opt", kind, field, li): np.array(a, float, ndmin=1) for kind, a in q.items()})
            if layer.bias != "none":  # a shared bias is one number: index 0 of a 1-vector
                shared = layer.bias == "shared"
                arrays[("grad_s", "b", li)] = bwd.deltas[li].sum(axis=1) if shared else bwd.deltas[li]
                arrays[("new", "b", li)] = np.array(side.new_layers[li].b, float, ndmin=1)
                if bwd.grad_b[li] is not None:
                    arrays[("grad", "b", li)] = np.array(bwd.grad_b[li], float, ndmin=1)
                    arrays[("fd", "b", li)] = np.array(side.fd_b[li], float, ndmin=1)
        if side.after is not None:
            arrays.update({"loss_after": [side.after.loss], "loss_after_s": side.after.loss_per_sample})
            arrays.update({(k, li): v for li in range(len(side.layers)) for k, v in _after(side.after, li)})
        if side.fd_X is not None:
            arrays.update({"grad_x": bwd.grad_X, "fd_x": side.fd_X})
        self.lists: dict[Any, Any] = {key: np.asarray(a, float).tolist() for key, a in arrays.items()}

    def values(self, st, row: int | None = None) -> tuple[float, float]:
        """The step's number and its finite difference; ``row`` is its sample's row when the
        side holds that sample alone (online)."""
        kind, s, lists = st.kind, st.sample if row is None else row, self.lists
        if st.after:
            if kind == "loss":
                whole = st.sample is None or not self.multi  # (online: the side of this sample alone)
                return (lists["loss_after"][0] if whole else lists["loss_after_s"][s]), nan
            return lists[(kind + "_after", st.layer)][s][st.node], nan
        if kind == "grad" and st.param is None:  # the gradient of an input (input_gradients)
            return lists["grad_x"][s][st.node], lists["fd_x"][s][st.node]
        if kind in ("net", "out", "dout_dnet", "delta"):
            return lists[(kind, st.layer)][s][st.node], nan
        if kind == "dloss_dout":
            return lists[kind][s][st.node], nan
        batch = s is None or not self.multi
        if kind == "loss":
            return (lists["loss"][0] if batch else lists["loss_s"][s]), nan
        field, li, *rest = self.side.where[st.param]
        if field == "W":
            j, k = rest
            if kind in OPTIMIZER_KINDS:
                return lists[("opt", kind, "W", li)][j][k], nan
            if kind == "new":
                return lists[("new", "W", li)][j][k], nan
            if not batch:
                return lists[("grad_s", "W", li)][s][j][k], nan
            fd = nan if st.param in self.side.straddled else lists[("fd", "W", li)][j][k]
            return lists[("grad", "W", li)][j][k], fd
        j = 0 if self.side.layers[li].bias == "shared" else rest[0][0]
        if kind in OPTIMIZER_KINDS:
            return lists[("opt", kind, "b", li)][j], nan
        if kind == "new":
            return lists[("new", "b", li)][j], nan
        if not batch:  # a sample's own gradient (a shared bias's sums its nodes' deltas)
            own = lists[("grad_s", "b", li)][s]
            return (own if self.side.layers[li].bias == "shared" else own[j]), nan
        fd = nan if st.param in self.side.straddled else lists[("fd", "b", li)][j]
        return lists[("grad", "b", li)][j], fd


def numpy_values(graph, side: NumPySide) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three arrays in graph order: each step's exact value as a float, the oracle's value
    and the finite difference (NaN where none is compared)."""
    steps, multi = graph.steps, len(graph.spec.samples) > 1
    if side.online:  # each step of a sample from the side of that sample alone
        subs = [_Sources(sub, False).values for sub in side.online]

        def values(st):
            return subs[st.sample](st, 0)
    else:
        sources = [_Sources(u, multi).values for u in [side] + side.later]

        def values(st):
            return sources[st.update or 0](st)

    a = np.fromiter((as_float(st.exact) for st in steps), float, len(steps))
    b, fd = np.array([values(st) for st in steps]).reshape(len(steps), 2).T
    return a, b, fd


def _exact_kinks(graph) -> list:
    """The net steps of ReLU-family layers whose exact value is 0."""
    relu = {li for li, layer in enumerate(graph.spec.layers) if layer.activation in RELU_FAMILY}
    return [
        st for st in graph if st.kind == "net" and st.layer in relu and not st.after and st.exact.is_zero
    ]  # (a Float 0 is != 0)


def _after(fwd: numeric.Forward, li: int):
    """The (key, array) pairs of one layer of a forward pass at the updated parameters."""
    return ((("net_after"), fwd.nets[li]), ("out_after", fwd.outs[li]))


def _straddled(spec: Spec, layers, X, Y, fwd, where, reduction: str, sample: int | None) -> dict[str, str]:
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
    for run in numeric.perturbed_runs(layers, X, Y, spec.loss, reduction, FD_H):
        flips = {m: (run.net(m, fwd.nets[m]) > 0) != side[m] for m in relu if m >= run.layer}  # (P, points, S, n)
        if not any(f.any() for f in flips.values()):
            continue
        for p, q in enumerate(run.params):
            t = next((t for t in range(len(numeric.FD_POINTS)) if any(f[p, t].any() for f in flips.values())), None)
            if t is not None:
                m = next(m for m, f in flips.items() if f[p, t].any())
                s, j = np.argwhere(flips[m][p, t])[0]
                sfx = sample_suffix((int(s) if sample is None else sample) if len(spec.samples) > 1 else None)
                found[name_of[(run.layer, run.field, int(q))]] = f"net_{spec.layers[m].nodes[j]}{sfx}"
    return {p: found[p] for p in spec.trainable() if p in found}
