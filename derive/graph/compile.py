"""The step graph compiled to one plain-Python float function by SymPy's code printer.

Used where exact arithmetic would be wasteful: running ``steps: N`` updates of the
same graph (every step's formula, in graph order, once per update). It is the SymPy
side of the loss-history check; the NumPy core is the other.
"""
from __future__ import annotations

import math

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter


def _sigma(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


class _FloatPrinter(PythonCodePrinter):
    def _print_sigma(self, e):
        return f"_sigma({self._print(e.args[0])})"

    def _print_relu(self, e):
        return f"max({self._print(e.args[0])}, 0.0)"

    def _print_step(self, e):
        return f"(1.0 if {self._print(e.args[0])} > 0 else 0.0)"

    def _print_leaky_relu(self, e):
        x, a = (self._print(v) for v in e.args)
        return f"(({x}) if ({x}) > 0 else ({a}) * ({x}))"

    def _print_leaky_step(self, e):
        x, a = (self._print(v) for v in e.args)
        return f"(1.0 if ({x}) > 0 else float({a}))"


def compile_graph(graph):
    """A function ``f(env) -> list of step values`` (graph order) for float inputs;
    ``env`` maps every given symbol's name to a float."""
    # order="none": print sums as built; sorting their terms was half the printing time
    printer = _FloatPrinter({"fully_qualified_modules": False, "standard": "python3", "order": "none"})
    lines = ["def _graph(env):"]
    lines += [f"    {name} = env[{name!r}]" for name in sorted(str(s) for s in graph.given)]
    for s in graph.steps:
        lines.append(f"    {s.id} = {printer.doprint(s.formula)}")
    lines.append("    return [" + ", ".join(s.id for s in graph.steps) + "]")
    namespace = {"_sigma": _sigma, "exp": math.exp, "log": math.log, "tanh": math.tanh, "math": math}
    exec(compile("\n".join(lines), "<step graph>", "exec"), namespace)   # our own generated code only
    return namespace["_graph"]


def run_steps(graph, n: int) -> tuple[list[float], dict[str, float]]:
    """``n`` gradient-descent updates with the compiled graph. Returns the loss history
    (before step 1, after step 1, ..., after step n) and the final parameters."""
    f = compile_graph(graph)
    env = {str(sym): float(v) for sym, v in graph.given.items()}
    ids = graph.ids
    i_loss = ids.index("loss")
    news = [(i, graph.steps[i].param) for i in range(len(ids)) if graph.steps[i].kind == "new"]

    def values():
        # Where float arithmetic fails at a finite point, e.g. exp(1000) in a softmax or
        # log(1 - 1.0) for a saturated bce output, the graph's own high-precision evaluation
        # at the same point. (Parameters that diverged to inf stay so: Rational(inf) is 0.)
        try:
            vals = f(env)
        except (OverflowError, ValueError, ZeroDivisionError):
            vals = [math.nan] * len(ids)
        if all(math.isfinite(v) for v in vals) or not all(math.isfinite(v) for v in env.values()):
            return vals
        exact = graph.run(given={sym: sp.Rational(env[str(sym)]) for sym in graph.given})
        return [float(exact[i]) for i in ids]

    history = []
    for _ in range(n):
        vals = values()
        history.append(vals[i_loss])
        for i, p in news:
            env[p] = vals[i]
    history.append(values()[i_loss])
    return history, {p: env[p] for _, p in news}
