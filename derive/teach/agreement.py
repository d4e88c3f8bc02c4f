"""When a number agrees with the key: the one rule the marker, Moodle export and published
tables share.

An answer stated to ``places`` decimals agrees with a target when it lies within half a unit
in its last place of it, widened by the drift a rounded-carry chain has from the exact value
(and by any extra tolerance the teacher allows), plus a float epsilon.

>>> within(0.5929, 0.59291, half_unit(4))
True
>>> within(0.5930, 0.59291, half_unit(4))
False
"""

from __future__ import annotations

import sympy as sp

from derive.model.numbers import round_half_up

#: Float noise allowed on top of every tolerance.
EPSILON = 1e-12


def half_unit(places: int) -> float:
    """Half a unit in the last of ``places`` decimal places."""
    return 0.5 * 10.0**-places


def within(value: float, target: float, allowed: float) -> bool:
    """``value`` agrees with ``target`` when they differ by at most ``allowed`` (+ EPSILON)."""
    return abs(value - target) <= allowed + EPSILON


def key_tolerance(step, decimals: int) -> sp.Rational:
    """The distance from a step's key value an answer to ``decimals`` places may have, exactly:
    half a unit in the last place plus the drift of a rounded-carry chain from the exact value
    (rounded to two more places), as an export that takes one number per answer needs it."""
    half = sp.Rational(1, 2) * sp.Rational(10) ** (-decimals)
    return half + round_half_up(abs(step.value - step.exact), decimals + 2)


def equivalent(a: sp.Expr, b: sp.Expr) -> bool:
    """Two formulas agree at several random points (rational, so the check is exact to 30
    digits). Cheaper and safer than ``simplify`` on a student's arbitrary formula."""
    a, b = a.rewrite(sp.exp), b.rewrite(sp.exp)
    names = sorted(a.free_symbols | b.free_symbols, key=str)
    for k in range(4):
        point = {s: sp.Rational(7 + 13 * k + 5 * i, 97) for i, s in enumerate(names)}
        try:
            diff = complex((a - b).xreplace(point).evalf(30))
        except (TypeError, ValueError, ArithmeticError):
            return False
        if not abs(diff) <= 1e-20:
            return False
    return True
