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
