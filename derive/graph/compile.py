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
