"""Step-graph formulas as JavaScript: the browser's marking (practise mode) evaluates the
same formulas the Python checker compiles (:mod:`derive.teach.compiled`), printed by SymPy's
JavaScript printer with the project's own functions and the marker's rounding mapped to the
helpers of ``templates/page/mark.js`` (``F.sigma``, ``F.rnd``, ...), which are as
numerically stable as their Python float code (:mod:`derive.graph.compile`).

A formula becomes one function of an object of floats, ``function(e){return ...;}``: the
page's inline script holds these functions (nothing is built from text at run time, so the
page's content security policy needs no ``eval``).

>>> import sympy as sp
>>> from derive.graph.functions import sigma
>>> x, y = sp.symbols("x y")
>>> js_function(sigma(x) * (1 - sigma(x)) + y**2)
'function(e){return F.pow(e.y, 2) + (1 - F.sigma(e.x))*F.sigma(e.x);}'
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.jscode import JavascriptCodePrinter

from derive.graph.functions import NodeFunction

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
#: SymPy functions and their helpers in mark.js (each raises where Python's math raises).
_HELPERS = {sp.exp: "F.exp", sp.log: "F.log", sp.tanh: "Math.tanh"}


class JsPrinter(JavascriptCodePrinter):
    """SymPy's JavaScript printer, reading symbols from ``e`` and calling mark.js's helpers."""

    def __init__(self) -> None:
        super().__init__({"order": "none"})

    def _print_Symbol(self, e):
        name = e.name
        return f"e.{name}" if _IDENTIFIER.fullmatch(name) else f"e[{name!r}]"

    def _print_Function(self, e):
        args = ", ".join(self._print(a) for a in e.args)
        if isinstance(e, NodeFunction) or type(e).__name__ in ("rnd", "trunc"):
            return f"F.{type(e).__name__}({args})"
        if e.func in _HELPERS:
            return f"{_HELPERS[e.func]}({args})"
        raise ValueError(f"no JavaScript for {type(e).__name__}")

    _print_exp = _print_log = _print_tanh = _print_Function

    def _print_Pow(self, e):
        base = self._print(e.base)
        if e.exp == sp.S.Half:
            return f"F.sqrt({base})"
        if e.exp == -1:
            return f"1/{self.parenthesize(e.base, 50)}"
        return f"F.pow({base}, {self._print(e.exp)})"

    def _print_Rational(self, e):
        return f"({e.p}/{e.q})"

    def _print_Integer(self, e):
        return str(e.p)


_PRINTER = JsPrinter()


def js_function(expr) -> str:
    """``expr`` as the source of a JavaScript function of one object of floats."""
    body = _PRINTER.doprint(sp.sympify(expr)).replace("\n", " ")
    return f"function(e){{return {body};}}"
