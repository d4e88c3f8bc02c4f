"""Float functions of a step graph's formulas, compiled once and shared by every variant
(all variants of a spec have one structure), so marking a class costs float arithmetic."""

from __future__ import annotations

import math

from derive.graph.compile import SETTINGS, FloatPrinter, compile_formula
from derive.model.numbers import round_half_up_float


def trunc_float(x: float, places: int) -> float:
    """``x`` cut off after ``places`` decimals (towards zero), as a student who truncates."""
    if places > 15:  # beyond a float's digits there is nothing to cut
        return x
    k = 10.0**places
    return math.trunc(round(x * k, 6)) / k


class _Printer(FloatPrinter):
    def _print_rnd(self, e):
        return f"_rnd({self._print(e.args[0])}, {int(e.args[1])})"

    def _print_trunc(self, e):
        return f"_trunc({self._print(e.args[0])}, {int(e.args[1])})"


class Compiled:
    """A cache of compiled formulas, each a function of one dict of floats."""

    def __init__(self) -> None:
        self.printer = _Printer(SETTINGS)
        self.cache: dict = {}

    def fn(self, key, build):
        """``build()`` (a SymPy formula) compiled once per ``key``."""
        f = self.cache.get(key)
        if f is None:
            names = {"_rnd": round_half_up_float, "_trunc": trunc_float}
            f = self.cache[key] = compile_formula(build(), self.printer, names)
        return f


def call(f, env) -> float | None:
    """``f(env)`` as a finite float, or None when it cannot be evaluated there."""
    try:
        v = float(f(env))
    except (ArithmeticError, ValueError, KeyError, TypeError):
        return None
    return v if math.isfinite(v) else None
