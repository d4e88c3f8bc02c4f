"""Three-way verification: SymPy step graph, NumPy core, finite differences.

Every step value (exact carry) is compared with the NumPy core's number for the same
quantity; every batch gradient also with central finite differences of the loss; and
with ``steps: N`` the loss history of the compiled step graph with the NumPy core's
training loop. Agreement means ``|a - b| <= rtol * max(|a|, |b|) + atol``:

====================  ======  =====================
comparison            rtol    atol
====================  ======  =====================
SymPy vs NumPy        1e-9    1e-12
finite differences    1e-6    1e-9 * max(1, loss)
loss history          1e-9    1e-12
====================  ======  =====================

Any disagreement raises :class:`VerificationError` naming the quantity.

On a ReLU kink (a ReLU-family net exactly 0) the derivative is the left-hand one, a
convention: the NumPy core's backward pass is held to it, finite differences whose
evaluation points straddle a kink are not compared, and neither is the loss history after
the first update (two float computations may take different branches there). The report's
notes say what was left out and why.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from derive.verify import oracle as numeric
from derive.errors import VerificationError  # noqa: F401 (raised here, caught by the CLI)
from derive.verify.history import run_steps
from derive.model.names import RELU_FAMILY
from derive.model.spec import Spec

RTOL_NUMPY, ATOL_NUMPY = 1e-9, 1e-12
RTOL_FD = 1e-6
FD_H = 1e-5   # the finite differences' step
RTOL_HISTORY = 1e-9


@dataclass
class Row:
    """One step's three values. The relative differences are the figures each check compares
    with its rtol: ``|a - b| / (max(|a|, |b|) + atol / rtol)``, so a value near 0 is measured
    against the absolute floor, exactly as :func:`_close` decides."""

    id: str
    sympy: float
    numpy: float
    fd: float | None = None
    fd_atol: float = 1e-9

    @property
    def rel_numpy(self) -> float:
        return _rel(self.sympy, self.numpy, ATOL_NUMPY / RTOL_NUMPY)

    @property
    def rel_fd(self) -> float | None:
        return None if self.fd is None else _rel(self.sympy, self.fd, self.fd_atol / RTOL_FD)


@dataclass
class Report:
    rows: list[Row]
    loss_history: list[float]
    final_parameters: dict[str, float]
    max_numpy: tuple[float, str | None] = (0.0, None)
    max_fd: tuple[float, str | None] = (0.0, None)
    max_history: tuple[float, str | None] = (0.0, None)
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def n_values(self) -> int:
        return len(self.rows)

    @property
    def n_gradients(self) -> int:
        return sum(r.fd is not None for r in self.rows)


def _rel(a: float, b: float, floor: float = 0.0) -> float:
    """``|a - b|`` relative to the larger magnitude, or to ``floor`` when both are smaller."""
    scale = max(abs(a), abs(b)) + floor
    if a == b:
        return 0.0
    return abs(a - b) / scale if np.isfinite(scale) and scale > 0 else float("inf")


def _close(a, b, rtol, atol) -> bool:
    if a == b and np.isinf(a):
        # Both beyond the float range with the same sign: SymPy's (always finite) exact value
        # overflows a float too, e.g. bce's dJ/dout = -1/out at out = e^-1000.
        return True
    return bool(np.isfinite(a) and np.isfinite(b) and abs(a - b) <= rtol * max(abs(a), abs(b)) + atol)


def numpy_layers(spec: Spec, params: dict[str, float] | None = None) -> list[numeric.Layer]:
    """The spec's network as NumPy-core layers (``params`` overrides values by name)."""
    layers = []
    for layer in spec.layers:
        names = spec.weight_names[layer.name]
        vals = spec.weights[layer.name]
        W = np.array([[float(params[n]) if params and n in params else float(v) for n, v in zip(nr, vr)]
                      for nr, vr in zip(names, vals)])
        b = None
        if layer.bias == "neuron":
            b = np.array([float(params[n]) if params and n in params else float(v)
                          for n, v in zip(spec.bias_names[layer.name], spec.biases[layer.name])])
        elif layer.bias == "shared":
            n = spec.bias_names[layer.name]
            b = float(params[n]) if params and n in params else float(spec.biases[layer.name])
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


def verify(graph, strict: bool = True) -> Report:
    """Compare the graph's exact values with the NumPy core and finite differences."""
    spec = graph.spec
    X, Y = _data(spec)
    layers = numpy_layers(spec)
    fwd = numeric.forward(layers, X, Y, spec.loss, spec.batch)
    # A ReLU-family net that is exactly 0 sits on the kink, where the derivative is a
    # convention (the left-hand one: 0, or alpha). The NumPy core's float net there is
    # rounding error (0.9*0.4 - 0.9*0.4 is 1.3e-17 with a fused multiply-add) whose sign
    # would pick the branch by chance, so its backward pass is given the exact 0 (net and
    # out: derivatives are read from outputs). Forward values are compared as computed.
    kinks = _exact_kinks(graph)
    fwd_b = fwd
    if any(fwd.nets[st.layer][st.sample, st.node] != 0 for st in kinks):
        nets, outs = [n.copy() for n in fwd.nets], [o.copy() for o in fwd.outs]
        for st in kinks:
            nets[st.layer][st.sample, st.node] = outs[st.layer][st.sample, st.node] = 0.0
        fwd_b = dataclasses.replace(fwd, nets=nets, outs=outs)
    bwd = numeric.backward(layers, X, Y, spec.loss, spec.batch, fwd_b)
    new_layers = numeric.update(layers, bwd, float(spec.learning_rate))
    fd_W, fd_b = numeric.finite_difference_gradients(layers, X, Y, spec.loss, spec.batch, h=FD_H)
    where = _locate(spec)
    multi = len(spec.samples) > 1

    def param_value(ls, p):
        kind, li, *rest = where[p]
        if kind == "W":
            return ls[li].W[rest[0], rest[1]]
        b = ls[li].b
        return b if np.ndim(b) == 0 else b[rest[0][0]]

    def grad_value(p, s):
        kind, li, *rest = where[p]
        if s is None:   # batch gradient
            if kind == "W":
                return bwd.grad_W[li][rest[0], rest[1]], fd_W[li][rest[0], rest[1]]
            g, f = bwd.grad_b[li], fd_b[li]
            return (g, f) if np.ndim(g) == 0 else (g[rest[0][0]], f[rest[0][0]])
        if kind == "W":
            return bwd.grad_W_per_sample[li][s, rest[0], rest[1]], None
        return bwd.deltas[li][s, rest[0]].sum(), None

    straddled = _straddled(spec, layers, X, Y, fwd, where)
    report = Report([], [], {})
    if straddled:
        net = next(iter(straddled.values()))
        report.notes.append(f"Finite differences were not compared for {', '.join(straddled)}: moving "
                            f"{'it' if len(straddled) == 1 else 'them'} by "
                            f"up to 2h = {2 * FD_H:g} moves {net} across the kink of a ReLU, where a difference "
                            "quotient mixes the two one-sided slopes.")
    for st in graph:
        s = st.sample
        fdv = None
        if st.kind == "net":
            nv = fwd.nets[st.layer][s, st.node]
        elif st.kind == "out":
            nv = fwd.outs[st.layer][s, st.node]
        elif st.kind == "loss":
            nv = fwd.loss if (s is None or not multi) else fwd.loss_per_sample[s]
        elif st.kind == "dloss_dout":
            nv = bwd.dloss_dout[s, st.node]
        elif st.kind == "dout_dnet":
            nv = bwd.dout_dnet[st.layer][s, st.node]
        elif st.kind == "delta":
            nv = bwd.deltas[st.layer][s, st.node]
        elif st.kind == "grad":
            batch = s is None or not multi
            nv, fdv = grad_value(st.param, None if batch else s)
            if st.param in straddled:
                fdv = None
        elif st.kind == "new":
            nv = param_value(new_layers, st.param)
        else:   # pragma: no cover - every kind is listed above
            raise AssertionError(st.kind)
        fd_atol = 1e-9 * max(1.0, fwd.loss)
        row = Row(st.id, float(st.exact), float(nv), None if fdv is None else float(fdv), fd_atol)
        report.rows.append(row)
        if not _close(row.sympy, row.numpy, RTOL_NUMPY, ATOL_NUMPY):
            report.failures.append(f"{st.id}: SymPy gives {row.sympy!r}, NumPy gives {row.numpy!r}")
        if row.rel_numpy >= report.max_numpy[0]:
            report.max_numpy = (row.rel_numpy, st.id)
        if row.fd is not None:
            if not _close(row.sympy, row.fd, RTOL_FD, fd_atol):
                report.failures.append(f"{st.id}: SymPy gives {row.sympy!r}, finite differences give {row.fd!r}")
            if row.rel_fd >= report.max_fd[0]:
                report.max_fd = (row.rel_fd, st.id)

    # N updates: the compiled step graph against the NumPy core's training loop.
    history, final = run_steps(graph, spec.steps)
    _, np_history = numeric.train(layers, X, Y, spec.loss, float(spec.learning_rate), spec.steps, spec.batch)
    compared = len(history)
    if kinks:
        # Both are float computations: each takes the kink's branch by the sign of its own
        # rounding error (see above), so from the first update on they may rightly differ.
        compared = 1
        report.notes.append(f"The loss history was compared before the first update only: {kinks[0].id} is "
                            "exactly 0, on the kink of a ReLU, where two float computations may take "
                            "different branches.")
    for i, (a, b) in enumerate(zip(history[:compared], np_history[:compared])):
        if not (np.isfinite(a) or np.isfinite(b)):
            # A learning rate too large for the network: both overflow at the same step, and
            # what follows (inf - inf) has no value to compare.
            report.notes.append(f"The training diverges: after step {i} the loss is {a!r} in the step graph and "
                                f"{b!r} in NumPy; the loss history was compared up to there.")
            break
        if not _close(a, b, RTOL_HISTORY, ATOL_NUMPY):
            report.failures.append(f"loss after step {i}: step graph gives {a!r}, NumPy gives {b!r}")
            break
        rel = _rel(a, b, ATOL_NUMPY / RTOL_HISTORY)
        if rel >= report.max_history[0]:
            report.max_history = (rel, f"loss after step {i}")
    report.loss_history = history
    report.final_parameters = final
    if strict and report.failures:
        more = f" (and {len(report.failures) - 1} more)" if len(report.failures) > 1 else ""
        raise VerificationError(f"{spec.source}: verification failed: {report.failures[0]}{more}")
    return report


def _exact_kinks(graph) -> list:
    """The net steps of ReLU-family layers whose exact value is 0."""
    return [st for st in graph if st.kind == "net" and st.exact.is_zero   # (a Float 0 is != 0)
            and graph.spec.layers[st.layer].activation in RELU_FAMILY]


def _straddled(spec: Spec, layers, X, Y, fwd, where) -> dict[str, str]:
    """Parameter -> the ReLU-family net that one of its finite-difference evaluation points
    (the parameter moved by +-h and +-2h) puts on the other side of the kink, where the loss
    is not differentiable and a difference quotient is no derivative."""
    relu = [li for li, layer in enumerate(spec.layers) if layer.activation in RELU_FAMILY]
    if not relu:
        return {}
    side = {li: fwd.nets[li] > 0 for li in relu}
    found = {}
    for p in spec.trainable():
        kind, li, *rest = where[p]
        for step in (FD_H, -FD_H, 2 * FD_H, -2 * FD_H):
            value = np.array(layers[li].W if kind == "W" else layers[li].b, dtype=float)
            value[(rest[0], rest[1]) if kind == "W" else (() if value.ndim == 0 else rest[0][0])] += step
            moved = list(layers)
            moved[li] = dataclasses.replace(layers[li], **{"W" if kind == "W" else "b": value})
            nets = numeric.forward(moved, X, Y, spec.loss, spec.batch).nets
            flipped = [(m, np.argwhere((nets[m] > 0) != side[m])) for m in relu]
            flipped = [(m, at[0]) for m, at in flipped if at.size]
            if flipped:
                m, (s, j) = flipped[0]
                sfx = f"_s{s + 1}" if len(spec.samples) > 1 else ""
                found[p] = f"net_{spec.layers[m].nodes[j]}{sfx}"
                break
    return found
