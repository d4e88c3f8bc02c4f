"""The step graph in floats: compiled to one plain-Python function by SymPy's code printer,
or evaluated formula by formula (:func:`float_run`).

Exact arithmetic would be wasteful for ``steps: N`` updates of the same graph: those run
the compiled function (every step's formula, in graph order, once per update). It is the
SymPy side of the loss-history check; the NumPy oracle is the other. Compiling costs about
as much as deriving the graph, so it is done only when a step count needs it; a single
evaluation walks the formulas instead (:func:`float_run`).

Each of the project's own functions prints itself from its ``float_code``, so a new
activation needs no change here.

>>> import sympy as sp
>>> from derive.graph.functions import softplus
>>> x = sp.Symbol("x")
>>> FloatPrinter({"standard": "python3"}).doprint(softplus(x))
'(max(x, 0.0) + math.log1p(math.exp(-abs(x))))'
>>> from derive.graph.steps import Step
>>> float_run([Step("y", "out", softplus(x) * 2, ())], {"x": 0.0})["y"]
1.3862943611198906
"""

from __future__ import annotations

import math

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from derive.graph.functions import NodeFunction
from derive.graph.functions.sigmoid import stable_sigma as _sigma

#: What the generated code may call (``_sigma`` is the float code of sigma).
NAMESPACE = {"_sigma": _sigma, "exp": math.exp, "log": math.log, "tanh": math.tanh, "sqrt": math.sqrt, "math": math}
#: The printer settings of all generated code: order="none" prints sums as built (sorting
#: their terms was half the printing time).
SETTINGS = {"fully_qualified_modules": False, "standard": "python3", "order": "none"}


def define(source: str, name: str, extra: dict | None = None):
    """The function ``name`` defined by ``source``, code this module generated from our own
    formulas (never from user text), run with :data:`NAMESPACE` and ``extra`` as globals.
    The one place the package executes generated code."""
    namespace = {**NAMESPACE, **(extra or {})}
    exec(compile(source, f"<{name}>", "exec"), namespace)
    return namespace[name]


def compile_formula(expr: sp.Expr, printer: PythonCodePrinter | None = None, extra: dict | None = None):
    """One formula as a float function ``f(env)`` of a dict of its symbols' names to floats;
    ``printer`` and ``extra`` add functions of a caller's own (the marker's rounding).

    >>> x, y = sp.symbols("x y")
    >>> compile_formula(x * y + 1)({"x": 2.0, "y": 3.0})
    7.0
    """
    printer = printer or FloatPrinter(SETTINGS)
    names = sorted(str(s) for s in expr.free_symbols)
    reads = "; ".join(f"{n} = env[{n!r}]" for n in names) or "pass"
    return define(f"def _f(env):\n    {reads}\n    return {printer.doprint(expr)}\n", "_f", extra)


class FloatPrinter(PythonCodePrinter):
    def _print_Function(self, e):
        # SymPy's dispatch skips intermediate classes of a Function, so ours are caught here
        if isinstance(e, NodeFunction):
            return e.float_code.format(*(self._print(a) for a in e.args))
        return super()._print_Function(e)


def compile_graph(graph):
    """A function ``f(env) -> list of step values`` (graph order) for float inputs;
    ``env`` maps every given symbol's name to a float."""
    printer = FloatPrinter(SETTINGS)
    lines = ["def _graph(env):"]
    lines += [f"    {name} = env[{name!r}]" for name in sorted(str(s) for s in graph.given)]
    for s in graph.steps:
        lines.append(f"    {s.id} = {printer.doprint(s.formula if s.stable is None else s.stable)}")
    lines.append("    return [" + ", ".join(s.id for s in graph.steps) + "]")
    return define("\n".join(lines), "_graph")


_ELEMENTARY = {sp.exp: math.exp, sp.log: math.log, sp.tanh: math.tanh}


def float_value(e, env: dict) -> float:
    """A formula or a recipe (:mod:`derive.graph.arith`) in floats; ``env`` maps names to floats
    (the one float evaluator of formulas: the loss history, an optimizer's long runs)."""
    if isinstance(e, str):
        return env[e]
    if isinstance(e, tuple):
        args = [
            env[a]
            if type(a) is str
            else env[a[1]] * env[a[2]]
            if type(a) is tuple and len(a) == 3 and a[0] == "*" and type(a[1]) is str and type(a[2]) is str
            else float_value(a, env)
            for a in e[1:]
        ]  # (a net's terms w * in, at once)
        return math.prod(args) if e[0] == "*" else math.fsum(args)
    if e.is_Symbol:
        return env[e.name]
    if e.is_Number:
        return float(e)
    args = [float_value(a, env) for a in e.args]
    if e.is_Add:
        return math.fsum(args)
    if e.is_Mul:
        return math.prod(args)
    if e.is_Pow:
        return args[0] ** args[1]
    if isinstance(e, NodeFunction):
        return e.floats(*args)
    return _ELEMENTARY[e.func](*args)


def float_run(steps, env: dict) -> dict:
    """Evaluate steps in order in floats, each reading ``env`` (names to floats: the given
    numbers and the steps before it); returns ``env`` with every step's value bound by its id.
    Raises OverflowError, ValueError or ZeroDivisionError where floats fail."""
    for st in steps:
        env[st.id] = float_value(st.recipe if st.stable is None else st.stable, env)
    return env
