"""The values inside one ``define`` line, and whether each function is used where it has a
value and a derivative.

A line's tree (:mod:`derive.model.syntax`) is walked children first with the exact values
of the names it reads; every sub-expression's value is computed as the step graph computes
values (:func:`derive.graph.arith.evaluate`: exact rationals, 50 digits after a
transcendental function) and checked before the next is built, so that ``exp(1000)`` or a
tower of powers is refused by its size before it is computed. What is refused, with the
reason a teacher reads:

- log of a number that is not positive, a square root of a negative number, division by
  zero, a negative number to a fractional power;
- a point where the derivative does not exist: ReLU at exactly 0 (its kink), a square root
  or a fractional power at 0 (the edge of its domain: no value below it);
- a value beyond float64 (the float checks could not judge it).

>>> from derive.model.numbers import read_number
>>> line = ("call", "log", ("+", ("name", "x"), ("num", read_number("1"))))
>>> line_problem(line, {"x": sp.Integer(-1)})
'log of a number that is not positive: log(0)'
>>> line_problem(("call", "relu", ("name", "x")), {"x": sp.Integer(2)}) is None
True
"""

from __future__ import annotations

import math

import sympy as sp

from derive.graph.arith import evaluate
from derive.graph.functions import relu, sigma, softplus
from derive.graph.magnitude import FLOAT_MAX, _log2, below_float, beyond_float

#: The one-argument functions of a line, by the name the whitelist gives them.
CALL = {"exp": sp.exp, "log": sp.log, "tanh": sp.tanh, "sigma": sigma, "softplus": softplus, "relu": relu}
_A, _B = sp.Dummy("a"), sp.Dummy("b")
#: The largest argument of exp whose value float64 holds.
EXP_MAX = math.log(FLOAT_MAX)


class DomainError(ValueError):
    """A function used where it has no value or no derivative; ``str(e)`` says which."""


def bottom_up(tree: tuple, make) -> object:
    """``make(node, [its children's results])`` for every node of a tree, children first
    (iteratively: no recursion on input); the root's result."""
    done: dict[int, object] = {}
    todo = [tree]
    while todo:
        t = todo[-1]
        kids = _kids(t)
        waiting = [k for k in kids if id(k) not in done]
        if waiting:
            todo.extend(waiting)
            continue
        todo.pop()
        done[id(t)] = make(t, [done[id(k)] for k in kids])
    return done[id(tree)]


def sympy_of(tree: tuple, symbol) -> sp.Expr:
    """The SymPy expression of a tree, built unevaluated so that it reads as written
    (``symbol(name)`` is the symbol a name stands for)."""
    return bottom_up(tree, lambda t, a: _build(t, a, symbol))


def _kids(t: tuple) -> list:
    if t[0] in ("num", "name"):
        return []
    if t[0] in ("neg", "**"):
        return [t[1]]
    if t[0] == "call":
        return [t[2]]
    return [t[1], t[2]]


def _build(t: tuple, a: list, symbol) -> sp.Expr:
    op = t[0]
    if op == "num":
        return t[1].value
    if op == "name":
        return symbol(t[1])
    if not any(x.free_symbols for x in a):
        # numbers only (0.5 + 0.5): folded, since substituting values never rebuilds them
        # and relu(0.5 + 0.5) left unevaluated would have no value (checked in the domain first)
        return _build_evaluated(t, a)
    return _build_as_written(t, a)


def _build_evaluated(t: tuple, a: list) -> sp.Expr:
    op = t[0]
    if op == "neg":
        return -a[0]
    if op == "+":
        return a[0] + a[1]
    if op == "-":
        return a[0] - a[1]
    if op == "*":
        return a[0] * a[1]
    if op == "/":
        return a[0] / a[1]
    if op == "**":
        return a[0] ** t[2]
    return sp.sqrt(a[0]) if t[1] == "sqrt" else CALL[t[1]](a[0])


def _build_as_written(t: tuple, a: list) -> sp.Expr:
    op = t[0]
    if op == "neg":
        return sp.Mul(sp.S.NegativeOne, a[0], evaluate=False)
    if op == "+":
        return sp.Add(a[0], a[1], evaluate=False)
    # a part made of numbers only is built evaluated: substituting values rebuilds only
    # the parts that hold a symbol, and SymPy cannot evaluate 1/2 - 1*1/2 left unevaluated
    if op == "-":
        minus = -a[1] if not a[1].free_symbols else sp.Mul(sp.S.NegativeOne, a[1], evaluate=False)
        return sp.Add(a[0], minus, evaluate=False)
    if op == "*":
        return sp.Mul(a[0], a[1], evaluate=False)
    if op == "/":
        # x / 4 stays a division by 4 (Mul evaluates a number's inverse when it is rebuilt)
        written = a[1].free_symbols or a[1].is_Number
        inverse = sp.Pow(a[1], sp.S.NegativeOne, evaluate=False) if written else 1 / a[1]
        return inverse if a[0] is sp.S.One else sp.Mul(a[0], inverse, evaluate=False)  # 1/d, not 1 * 1/d
    if op == "**":
        return sp.Pow(a[0], t[2], evaluate=False)
    if t[1] == "sqrt":
        return sp.Pow(a[0], sp.S.Half, evaluate=False)
    return CALL[t[1]](a[0], evaluate=False)


def _show(v) -> str:
    """A value for a message: exact when short, else 6 significant digits."""
    if v.is_Rational and v.q == 1 and abs(v) < 10**12:
        return str(v)
    if v.is_Rational and abs(v) < 10**12 and (10**6 * v).is_Integer:
        return f"{float(v):g}"
    return f"{float(v):.6g}" if not beyond_float(v) else "a number beyond float64"


def _check_value(v) -> None:
    if beyond_float(v) or below_float(v):
        raise DomainError(f"a value beyond float64 ({'too large' if beyond_float(v) else 'too close to 0'})")


def _power(t: tuple, b) -> None:
    """Checks of ``b ** p`` before it is computed (p a Rational within the whitelist's cap)."""
    p = t[2]
    if b.is_zero and p < 0:
        raise DomainError(f"division by zero: 0**({_show(p)})")
    if b < 0 and p.q != 1:
        raise DomainError(f"a negative number to a fractional power: ({_show(b)})**({_show(p)})")
    if b.is_zero and p.q != 1:  # (below 0 it has no value: its slope at 0 is one-sided, or infinite)
        raise DomainError(f"0**({_show(p)}) is on the edge of its domain, where it has no derivative")
    e = _log2(b)
    if e is not None and abs(e * p) > 1100:
        raise DomainError(f"a value beyond float64: ({_show(b)})**({_show(p)})")


def _call(name: str, x) -> None:
    """Checks of a function's argument before its value is computed."""
    if name == "log" and not x > 0:
        raise DomainError(f"log of a number that is not positive: log({_show(x)})")
    if name == "sqrt" and x < 0:
        raise DomainError(f"square root of a negative number: sqrt({_show(x)})")
    if name == "sqrt" and x.is_zero:
        raise DomainError("sqrt(0) has an infinite slope, so no derivative")
    if name == "relu" and x.is_zero:
        raise DomainError("relu at exactly 0, its kink, where it has no derivative")
    if name in ("exp", "softplus") and x > EXP_MAX:
        raise DomainError(f"a value beyond float64: {name}({_show(x)})")


def _value(t: tuple, a: list, env: dict):
    op = t[0]
    if op == "num":
        return t[1].value
    if op == "name":
        return env[t[1]]
    if op == "/" and a[1].is_zero:
        raise DomainError(f"division by zero: {_show(a[0])}/0")
    if op == "**":
        _power(t, a[0])
    if op == "call":
        _call(t[1], a[0])
    form = _build(t, [_A, _B][: len(a)], None)
    return evaluate(form, {_A: a[0], _B: a[1]} if len(a) == 2 else {_A: a[0]})


def line_value(tree: tuple, env: dict):
    """The exact value of a line with ``env`` (name -> value); :class:`DomainError` when
    a function is used outside its domain or the line's value is beyond float64."""

    def value(t: tuple, a: list):
        v = _value(t, a, env)
        _check_value(v)
        return v

    return bottom_up(tree, value)


def line_problem(tree: tuple, env: dict) -> str | None:
    """What is wrong with a line at these values (see :func:`line_value`), or None."""
    try:
        line_value(tree, env)
    except DomainError as e:
        return str(e)
    return None
