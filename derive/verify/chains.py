"""The chain-rule products a walkthrough prints, checked like every other number.

A gradient step's chain (:attr:`derive.graph.steps.Step.chain`) lists its paths from the
loss down to the parameter, each factor a reference to the step or given number that holds
its value. The walkthrough prints those values; this check proves that they multiply along
each path, and the paths sum, to the gradient's own value:

    |sum_paths prod_factors - gradient| <= RTOL_CHAIN * max(|gradient|, sum_paths |prod|)

(the scale is the larger of the gradient and the paths' magnitudes, so that paths that
cancel are judged against their own size). The values are the exact ones; the check runs
in floats and, where floats could mislead (an underflow), again in SymPy's arbitrary
exponent range, and only a disagreement there counts.

>>> from derive.model.spec import load_spec
>>> from derive.graph.builder import derive
>>> check_chains(derive(load_spec("worked/four.yaml")))
(10, [])
"""

from __future__ import annotations

import math

import sympy as sp

from derive.graph.arith import as_float

RTOL_CHAIN = 1e-9


class _Values:
    """Exact and float values of the references a chain holds, looked up when first needed."""

    def __init__(self, graph, floats: dict[str, float] | None):
        self.graph = graph
        self.fl = dict(floats) if floats else {}
        self.exact: dict[str, sp.Expr] = {}

    def exact_of(self, name: str) -> sp.Expr:
        if name not in self.exact:
            g = self.graph
            self.exact[name] = g.by_id[name].exact if name in g.by_id else g.numbers[name]
        return self.exact[name]

    def float_of(self, name: str) -> float:
        if name not in self.fl:
            self.fl[name] = as_float(self.exact_of(name))
        return self.fl[name]


def _sums(chain, value, one, decay: str | None = None) -> tuple:
    """The sum over paths of the product of the factors' values, and the sum of |products|
    (with weight decay, the penalty's lam * w is one more term)."""
    total, size = (None, None) if decay is None else (value("lam") * value(decay), abs(value("lam") * value(decay)))
    for path in chain:
        prod = one
        for f in path:
            prod = prod * (one if f.value == 1 else value(f.value))
        total = prod if total is None else total + prod
        size = abs(prod) if size is None else size + abs(prod)
    return total, size


def _agree(total, size, g) -> bool:
    return abs(total - g) <= RTOL_CHAIN * max(abs(g), size)


def check_chains(graph, floats: dict[str, float] | None = None) -> tuple[int, list[str]]:
    """Check every gradient's chain-rule products; returns how many chains were checked
    and one failure message per chain that does not multiply out to its gradient.
    ``floats`` may give the float values of steps already converted."""
    values = _Values(graph, floats)
    n, failures = 0, []
    for st in graph:
        if not st.chain:
            continue
        n += 1
        total, size = _sums(st.chain, values.float_of, 1.0, st.decay)
        g = values.float_of(st.id)
        normal = abs(g) > 1e-290 or st.exact.is_zero  # no underflow hides a difference
        if normal and math.isfinite(total) and _agree(total, size, g):
            continue
        total, size = _sums(st.chain, values.exact_of, sp.S.One, st.decay)  # floats can underflow: decide exactly
        if not _agree(total, size, st.exact):
            failures.append(
                f"{st.id} (chain rule): its {len(st.chain)} path(s) multiply out to {float(total)!r}, "
                f"the step's value is {float(st.exact)!r}"
            )
    return n, failures
