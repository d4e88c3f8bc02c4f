"""Three-way verification: SymPy step graph, NumPy oracle, finite differences.

Every step value (exact carry) is compared with the NumPy oracle's number for the same
quantity; every batch gradient also with central finite differences of the loss; every
chain-rule product the walkthrough prints with the gradient it multiplies out to
(:mod:`derive.verify.chains`); and the loss before and after each of the ``steps: N``
updates, and the parameters after each, with the oracle's training loop (its optimizer and
weight decay too; :mod:`derive.verify.history`). Agreement means
``|a - b| <= rtol * max(|a|, |b|) + atol``:

====================  ======  =====================
comparison            rtol    atol
====================  ======  =====================
SymPy vs NumPy        1e-9    1e-12
finite differences    1e-6    1e-9 * max(1, loss)
chain-rule products   1e-9    (see verify.chains)
loss history          1e-9    1e-12
parameter history     1e-9    1e-12
====================  ======  =====================

Any disagreement raises :class:`VerificationError` naming the quantity.

On a ReLU kink (a ReLU-family net exactly 0) the derivative is the left-hand one, a
convention: the NumPy oracle's backward pass is held to it, finite differences whose
evaluation points straddle a kink are not compared, and neither is the loss history after
the first update (two float computations may take different branches there). The report's
notes say what was left out and why.

>>> from derive.model.spec import load_spec
>>> from derive.graph.builder import derive
>>> r = verify(derive(load_spec("worked/four.yaml")))
>>> r.ok, r.n_values, r.n_gradients, r.n_chains
(True, 34, 10, 10)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from derive.errors import VerificationError  # noqa: F401 (raised here, caught by the CLI)
from derive.graph.arith import as_float
from derive.graph.collector import paused_collector
from derive.verify import oracle as numeric
from derive.verify.beyond import not_comparable
from derive.verify.chains import check_chains
from derive.verify.history import run_steps
from derive.verify.numpy_side import FD_H, numpy_layers, numpy_side, numpy_values, optimizer_of  # noqa: F401 (API)

RTOL_NUMPY, ATOL_NUMPY = 1e-9, 1e-12
RTOL_FD = 1e-6
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
    #: the exact value in scientific notation, when it is beyond float64
    exact: str | None = None
    #: why float64 cannot judge this row (None: it was compared)
    not_compared: str | None = None

    @property
    def rel_numpy(self) -> float | None:
        return None if self.not_compared else _rel(self.sympy, self.numpy, ATOL_NUMPY / RTOL_NUMPY)

    @property
    def rel_fd(self) -> float | None:
        return None if self.fd is None else _rel(self.sympy, self.fd, self.fd_atol / RTOL_FD)


@dataclass
class Report:
    ids: list[str]
    sympy: np.ndarray  # every step's exact value, as a float
    numpy: np.ndarray  # the oracle's value of the same quantity
    fd: np.ndarray  # finite differences (NaN where none was compared)
    fd_atol: float = 1e-9
    loss_history: list[float] = field(default_factory=list)
    final_parameters: dict[str, float] = field(default_factory=dict)
    #: the parameters before step 1 and after every step (the step graph's, verified)
    param_history: list[dict[str, float]] = field(default_factory=list)
    max_numpy: tuple[float, str | None] = (0.0, None)
    max_fd: tuple[float, str | None] = (0.0, None)
    max_history: tuple[float, str | None] = (0.0, None)
    n_chains: int = 0
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    #: step id -> exact value in scientific notation, for the values beyond float64
    beyond: dict[str, str] = field(default_factory=dict)
    #: step id -> why float64 could not judge it: beyond float64, or read from such a value
    not_compared: dict[str, str] = field(default_factory=dict)

    @cached_property
    def rows(self) -> list[Row]:
        """One :class:`Row` per step, in graph order (made when asked for: a large graph has
        tens of thousands)."""
        fds = [None if np.isnan(v) else float(v) for v in self.fd]
        return [
            Row(i, float(a), float(b), f, self.fd_atol, self.beyond.get(i), self.not_compared.get(i))
            for i, a, b, f in zip(self.ids, self.sympy, self.numpy, fds)
        ]

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def n_values(self) -> int:
        return len(self.ids)

    @property
    def n_gradients(self) -> int:
        return int(np.count_nonzero(~np.isnan(self.fd)))


def _rel(a: float, b: float, floor: float = 0.0) -> float:
    """``|a - b|`` relative to the larger magnitude, or to ``floor`` when both are smaller."""
    scale = max(abs(a), abs(b)) + floor
    if a == b:
        return 0.0
    return abs(a - b) / scale if np.isfinite(scale) and scale > 0 else float("inf")


def _close(a, b, rtol, atol) -> bool:
    return bool(np.isfinite(a) and np.isfinite(b) and abs(a - b) <= rtol * max(abs(a), abs(b)) + atol)


@np.errstate(invalid="ignore", divide="ignore", over="ignore")
def _rels(a: np.ndarray, b: np.ndarray, floor: float) -> np.ndarray:
    """:func:`_rel` of every pair at once (NaN where either side is missing)."""
    scale = np.maximum(np.abs(a), np.abs(b)) + floor
    out = np.where(np.isfinite(scale) & (scale > 0), np.abs(a - b) / scale, np.inf)
    out[a == b] = 0.0
    out[np.isnan(a) | np.isnan(b)] = np.nan
    return out


@np.errstate(invalid="ignore", over="ignore")
def _closes(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """:func:`_close` of every pair at once."""
    return np.isfinite(a) & np.isfinite(b) & (np.abs(a - b) <= rtol * np.maximum(np.abs(a), np.abs(b)) + atol)


def _largest(rel: np.ndarray, ids: list[str]) -> tuple[float, str | None]:
    """The largest figure and the last step that has it (NaN skipped)."""
    seen = ~np.isnan(rel)
    if not seen.any():
        return (0.0, None)
    top = rel[seen].max()
    return (float(top), ids[int(np.flatnonzero(rel == top)[-1])])


def _compare(report: Report, graph) -> None:
    """The SymPy-vs-NumPy and finite-difference figures, and a failure per disagreement
    (row by row, NumPy before finite differences). Rows float64 cannot judge
    (:func:`derive.verify.beyond.not_comparable`) are left out of both, with a note."""
    ids, a, b, fd = report.ids, report.sympy, report.numpy, report.fd
    bad_np = ~_closes(a, b, RTOL_NUMPY, ATOL_NUMPY)
    bad_fd = ~np.isnan(fd) & ~_closes(a, fd, RTOL_FD, report.fd_atol)
    judged = not_comparable(graph, a, b, bad_np, bad_fd)
    report.beyond, report.not_compared, report.notes = judged.beyond, judged.not_compared, report.notes + judged.notes
    fd[judged.skip_fd] = np.nan
    bad_np &= ~judged.skip_np
    bad_fd &= ~judged.skip_fd
    report.max_numpy = _largest(np.where(judged.skip_np, np.nan, _rels(a, b, ATOL_NUMPY / RTOL_NUMPY)), ids)
    report.max_fd = _largest(_rels(a, fd, report.fd_atol / RTOL_FD), ids)
    for i in np.flatnonzero(bad_np | bad_fd):
        if bad_np[i]:
            report.failures.append(f"{ids[i]}: SymPy gives {float(a[i])!r}, NumPy gives {float(b[i])!r}")
        if bad_fd[i]:
            report.failures.append(f"{ids[i]}: SymPy gives {float(a[i])!r}, finite differences give {float(fd[i])!r}")


def _history(report: Report, graph, side) -> None:
    """N updates: the step graph against the NumPy oracle's training loop."""
    spec, params, np_params = graph.spec, list[dict](), list[list]()
    if spec.learning_rate is None or spec.batch == "online":
        # no update (loss: none), or one per sample, whose every step was compared above
        return
    history, final = run_steps(graph, spec.steps, params)
    _, np_history = numeric.train(
        side.layers,
        side.X,
        side.Y,
        spec.loss,
        float(spec.learning_rate),
        spec.steps,
        spec.batch,
        first=side.fwd,
        run=optimizer_of(spec),
        decay=as_float(spec.weight_decay),
        params=np_params,
    )
    compared = len(history)
    if side.kinks:
        # Both are float computations: each takes the kink's branch by the sign of its own
        # rounding error, so from the first update on they may rightly differ.
        compared = 1
        report.notes.append(
            f"The loss history was compared before the first update only: {side.kinks[0].id} is "
            "exactly 0, on the kink of a ReLU, where two float computations may take "
            "different branches."
        )
    upto = compared  # the parameters are compared where the loss was (the loss after step i is at them)
    for i, (a, b) in enumerate(zip(history[:compared], np_history[:compared])):
        upto = i
        if not (np.isfinite(a) or np.isfinite(b)):
            # Beyond float64: from the start (the exact loss is finite but too large), or a
            # learning rate too large for the network, where both overflow at the same step
            # and what follows (inf - inf) has no value to compare.
            report.notes.append(
                f"The loss is beyond float64 from the start ({report.beyond['loss']}), so the loss history was "
                "not compared."
                if i == 0 and "loss" in report.beyond
                else f"The training diverges: after step {i} the loss is {a!r} in the step graph and "
                f"{b!r} in NumPy; the loss history was compared up to there."
            )
            break
        if not _close(a, b, RTOL_HISTORY, ATOL_NUMPY):
            report.failures.append(f"loss after step {i}: step graph gives {a!r}, NumPy gives {b!r}")
            break
        rel = _rel(a, b, ATOL_NUMPY / RTOL_HISTORY)
        if rel >= report.max_history[0]:
            report.max_history = (rel, f"loss after step {i}")
        upto = i + 1
    report.loss_history = history
    report.final_parameters = final
    report.param_history = params
    _compare_params(report, side, params[:upto], np_params)


def _compare_params(report: Report, side, params: list[dict], np_params: list) -> None:
    """The parameters after each step, the step graph's against the oracle's training loop."""
    for i, (ours, layers) in enumerate(zip(params, np_params)):
        for p, a in ours.items():
            field_, li, *rest = side.where[p]
            if field_ == "W":
                b = float(layers[li].W[rest[0], rest[1]])
            else:
                b = float(np.array(layers[li].b, float, ndmin=1)[0 if layers[li].bias == "shared" else rest[0][0]])
            if (np.isfinite(a) or np.isfinite(b)) and not _close(a, b, RTOL_HISTORY, ATOL_NUMPY):
                report.failures.append(f"{p} after step {i}: step graph gives {a!r}, NumPy gives {b!r}")
                return


def verify(graph, strict: bool = True) -> Report:
    """Compare the graph's exact values with the NumPy oracle, finite differences, its own
    chain-rule products and the oracle's training loop."""
    with paused_collector():  # (a float per step, and the graph's own objects to walk past)
        report = _verify(graph)
    if strict and report.failures:
        more = f" (and {len(report.failures) - 1} more)" if len(report.failures) > 1 else ""
        raise VerificationError(f"{graph.spec.source}: verification failed: {report.failures[0]}{more}")
    return report


def _verify(graph) -> Report:
    side = numpy_side(graph)
    sympy_values, np_values, fd_values = numpy_values(graph, side)
    report = Report(graph.ids, sympy_values, np_values, fd_values, 1e-9 * max(1.0, side.fwd.loss))
    if side.straddled:
        net = next(iter(side.straddled.values()))
        them = "it" if len(side.straddled) == 1 else "them"
        report.notes.append(
            f"Finite differences were not compared for {', '.join(side.straddled)}: moving "
            f"{them} by up to 2h = {2 * FD_H:g} moves {net} across the kink of a ReLU, where a "
            "difference quotient mixes the two one-sided slopes."
        )
    _compare(report, graph)
    report.n_chains, chain_failures = check_chains(graph, dict(zip(graph.ids, sympy_values.tolist())))
    report.failures += chain_failures
    _history(report, graph, side)
    return report
