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
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import numeric
from .compiled import run_steps
from .spec import Spec

RTOL_NUMPY, ATOL_NUMPY = 1e-9, 1e-12
RTOL_FD = 1e-6
RTOL_HISTORY = 1e-9


class VerificationError(RuntimeError):
    """Two independent computations of one quantity disagree."""


@dataclass
class Row:
    id: str
    sympy: float
    numpy: float
    fd: float | None = None

    @property
    def rel_numpy(self) -> float:
        return _rel(self.sympy, self.numpy)

    @property
    def rel_fd(self) -> float | None:
        return None if self.fd is None else _rel(self.sympy, self.fd)


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


def _rel(a: float, b: float) -> float:
    scale = max(abs(a), abs(b))
    return 0.0 if scale == 0 else abs(a - b) / scale


def _close(a, b, rtol, atol) -> bool:
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
    bwd = numeric.backward(layers, X, Y, spec.loss, spec.batch, fwd)
    new_layers = numeric.update(layers, bwd, float(spec.learning_rate))
    fd_W, fd_b = numeric.finite_difference_gradients(layers, X, Y, spec.loss, spec.batch)
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

    kink = _kinks(spec, fwd)
    report = Report([], [], {})
    if kink:
        report.notes.append(f"Finite differences were not compared: {kink} sits on the kink of a ReLU, "
                            "where the derivative is taken as the right-hand one and a difference quotient is not.")
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
            if kink:
                fdv = None
        elif st.kind == "new":
            nv = param_value(new_layers, st.param)
        else:   # pragma: no cover - every kind is listed above
            raise AssertionError(st.kind)
        row = Row(st.id, float(st.exact), float(nv), None if fdv is None else float(fdv))
        report.rows.append(row)
        if not _close(row.sympy, row.numpy, RTOL_NUMPY, ATOL_NUMPY):
            report.failures.append(f"{st.id}: SymPy gives {row.sympy!r}, NumPy gives {row.numpy!r}")
        if row.rel_numpy >= report.max_numpy[0]:
            report.max_numpy = (row.rel_numpy, st.id)
        if row.fd is not None:
            if not _close(row.sympy, row.fd, RTOL_FD, 1e-9 * max(1.0, fwd.loss)):
                report.failures.append(f"{st.id}: SymPy gives {row.sympy!r}, finite differences give {row.fd!r}")
            if row.rel_fd >= report.max_fd[0]:
                report.max_fd = (row.rel_fd, st.id)

    # N updates: the compiled step graph against the NumPy core's training loop.
    history, final = run_steps(graph, spec.steps)
    _, np_history = numeric.train(layers, X, Y, spec.loss, float(spec.learning_rate), spec.steps, spec.batch)
    for i, (a, b) in enumerate(zip(history, np_history)):
        if not _close(a, b, RTOL_HISTORY, ATOL_NUMPY):
            report.failures.append(f"loss after step {i}: step graph gives {a!r}, NumPy gives {b!r}")
            break
        if _rel(a, b) >= report.max_history[0]:
            report.max_history = (_rel(a, b), f"loss after step {i}")
    report.loss_history = history
    report.final_parameters = final
    if strict and report.failures:
        more = f" (and {len(report.failures) - 1} more)" if len(report.failures) > 1 else ""
        raise VerificationError(f"{spec.source}: verification failed: {report.failures[0]}{more}")
    return report


def _kinks(spec: Spec, fwd) -> str | None:
    """The first ReLU-family net close enough to 0 for a finite difference to straddle it."""
    for li, layer in enumerate(spec.layers):
        if layer.activation in ("relu", "leaky-relu"):
            hit = np.argwhere(np.abs(fwd.nets[li]) < 1e-4)
            if hit.size:
                s, j = hit[0]
                sfx = f"_s{s + 1}" if len(spec.samples) > 1 else ""
                return f"net_{layer.nodes[j]}{sfx} = {fwd.nets[li][s, j]:.3g}"
    return None
