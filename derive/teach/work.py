"""What marking one submission carries from step to step: the student's own values, and
the partial derivatives that say how far their rounding can move a later step."""

from __future__ import annotations

import sympy as sp

from derive.graph.compile import compile_formula


class Work:
    """One submission while it is marked: the student's answers that carried information
    (step -> (value, spread)) and the key's values with those answers put in, which are the
    inputs each later step had in the student's own work."""

    __slots__ = ("mine", "cur")

    def __init__(self, key: dict) -> None:
        self.mine: dict[str, float] = {}  # step -> the spread of the student's value
        self.cur = dict(key)  # the student's value is here

    def keep(self, sid: str, v: float, spread: float) -> None:
        self.mine[sid] = spread
        self.cur[sid] = v


class Derivatives(dict):
    """A step's partial derivatives by its inputs, each compiled when first needed. The
    derivative of a piecewise-constant function (ReLU's step) is 0 wherever it exists."""

    def __init__(self, g, st) -> None:
        super().__init__()
        self.g, self.st = g, st

    def __missing__(self, dep: str):
        f = self[dep] = compile_formula(derivative(self.g, self.st, dep))
        return f


def derivative(g, st, dep: str) -> sp.Expr:
    """The partial derivative of step ``st``'s formula by its input ``dep`` (0 where a
    piecewise-constant function's derivative would be)."""
    d = sp.diff(st.formula, g[dep].symbol)
    return d.replace(lambda e: isinstance(e, sp.Derivative), lambda e: sp.S.Zero)
