"""Three-way verification of an expression graph: SymPy, the float oracle, finite differences.

Every step's exact value (:func:`derive.graph.expression.derive_expression`) is compared
with the independent float evaluator's number for the same id
(:mod:`derive.verify.expression_oracle`: forward and reverse mode written apart from the
symbolic code), and the output's gradient with respect to every input also with a central
finite difference of the output (the 4-point formula of the network check, step h = 1e-5
scaled by the input's size). Agreement means ``|a - b| <= rtol * max(|a|, |b|) + atol``
with the network check's tolerances, the absolute floors scaled by the graph's largest
value (a float sum of large terms is only as exact as its largest term):

=====================  ======  ================================
comparison             rtol    atol
=====================  ======  ================================
SymPy vs floats        1e-9    1e-12 * max(1, largest value)
finite differences     1e-6    1e-9 * max(1, largest value)
=====================  ======  ================================

A finite difference whose evaluation points move a ReLU argument across 0 (its kink)
mixes two slopes; a smaller step is tried, and if every step straddles, that gradient is
not compared, with a note. Any disagreement raises :class:`VerificationError`.

>>> from derive.model.expression import load_expression
>>> from derive.graph.expression import derive_expression
>>> r = verify_expression(derive_expression(load_expression("worked/expression.yaml")))
>>> r.ok, r.n_values, r.n_gradients
(True, 11, 3)
"""

from __future__ import annotations

import math

import numpy as np

from derive.errors import VerificationError
from derive.graph.arith import as_float
from derive.verify import expression_oracle as oracle
from derive.verify.differences import FD_POINTS
from derive.verify.numpy_side import FD_H

# The network check's comparisons, one rule (private there, shared here on purpose).
from derive.verify.three_way import ATOL_NUMPY, RTOL_FD, RTOL_NUMPY, Report, _closes, _largest, _rels

__all__ = ["finite_differences", "verify_expression"]

#: Smaller steps tried, in multiples of h, when a finite difference straddles a kink.
SHRINK = (1, 1e-2, 1e-4)


def _difference(spec, name: str, h: float) -> float | None:
    """The 4-point central difference of the output in ``name`` with step ``h``, or None
    when a point straddles a ReLU kink or leaves a function's domain."""
    base = {k: float(v) for k, v in spec.values.items()}
    _, signs = oracle.output_at(spec, base)
    f = {}
    for t in FD_POINTS:
        moved = dict(base, **{name: base[name] + t * h})
        f[t], s = oracle.output_at(spec, moved)
        if s != signs or not math.isfinite(f[t]):
            return None
    return (8 * (f[1] - f[-1]) - (f[2] - f[-2])) / (12 * h)


def finite_differences(spec) -> tuple[dict[str, float], list[str]]:
    """d output / d input by finite differences, for every input; and the inputs whose
    every step straddled a kink (not compared)."""
    out, straddled = {}, []
    for name, v in spec.values.items():
        h0 = FD_H * max(1.0, abs(float(v)))
        for k in SHRINK:
            d = _difference(spec, name, h0 * k)
            if d is not None:
                out[f"dfd_{name}"] = d
                break
        else:
            straddled.append(name)
    return out, straddled


def verify_expression(graph, strict: bool = True) -> Report:
    """Compare every step of an expression graph with the float oracle and the gradients of
    the inputs with finite differences (a :class:`Report`, as the network check gives)."""
    spec, ids = graph.spec, graph.ids
    exact = np.array([as_float(s.exact) for s in graph])
    floats = oracle.run(spec)
    numpy = np.array([floats.get(i, math.nan) for i in ids])
    fds, straddled = finite_differences(spec)
    fd = np.array([fds.get(i, math.nan) for i in ids])
    scale = max([1.0] + [abs(v) for v in exact if math.isfinite(v)])
    report = Report(ids, exact, numpy, fd, 1e-9 * scale)
    if straddled:
        report.notes.append(
            f"Finite differences were not compared for {', '.join(straddled)}: every step tried "
            "moves a ReLU argument across 0, its kink, where a difference quotient mixes two slopes."
        )
    bad_np = ~_closes(exact, numpy, RTOL_NUMPY, ATOL_NUMPY * scale)
    bad_fd = ~np.isnan(fd) & ~_closes(exact, fd, RTOL_FD, report.fd_atol)
    report.max_numpy = _largest(_rels(exact, numpy, ATOL_NUMPY * scale / RTOL_NUMPY), ids)
    report.max_fd = _largest(_rels(exact, fd, report.fd_atol / RTOL_FD), ids)
    for i in np.flatnonzero(bad_np | bad_fd):
        if bad_np[i]:
            report.failures.append(
                f"{ids[i]}: SymPy gives {float(exact[i])!r}, the float evaluator gives {float(numpy[i])!r}"
            )
        if bad_fd[i]:
            report.failures.append(
                f"{ids[i]}: SymPy gives {float(exact[i])!r}, finite differences give {float(fd[i])!r}"
            )
    if strict and report.failures:
        more = f" (and {len(report.failures) - 1} more)" if len(report.failures) > 1 else ""
        raise VerificationError(f"{spec.source}: verification failed: {report.failures[0]}{more}")
    return report
