"""Values beyond what float64 holds, and beyond what a walkthrough writes out.

Exact values have no range: bce's dJ/dout at a net of -1000 is -1.97 x 10^434, which
float64 (at most 1.8 x 10^308) can only call -inf. Such a value is written from the exact
value in scientific notation (:func:`scientific`), in JSON as a string of it
(:func:`json_number`: JSON has no Infinity), and the float checks report it as not
comparable instead of agreeing on two infinities.

A walkthrough writes values out to their decimals, so a value must also stay within
10^-:data:`MAGNITUDE` .. 10^:data:`MAGNITUDE` (or be 0): sigma(-10^308) is about
10^(-4 x 10^307), a number no page can show; :func:`magnitude_problem` says so, and the
step graph refuses it by the step's name.

>>> import sympy as sp
>>> v = sp.exp(sp.Integer(1000)).evalf(50)
>>> beyond_float(v), scientific(-v), json_number(-v), json_number(1 / v), json_number(sp.Rational(1, 4))
(True, '-1.970071114017047e+434', '-1.970071114017047e+434', '5.075958897549457e-435', 0.25)
>>> magnitude_problem(sp.Integer(10) ** 1200)
'about 10^1200, beyond the 10^±1000 a walkthrough writes out'
"""

from __future__ import annotations

import math
import sys

import sympy as sp
from mpmath.libmp import from_rational, round_nearest, to_str

#: The largest float64, and its smallest normal (full-precision) positive number.
FLOAT_MAX, FLOAT_MIN = sys.float_info.max, sys.float_info.min
#: The largest decimal exponent, either way, of a step value a walkthrough writes out.
MAGNITUDE = 1000
_BITS = math.ceil(MAGNITUDE * math.log2(10))
_LOG10_2 = math.log10(2)


def _mpf(v):
    """An mpmath number of ``v`` (a SymPy Float or Rational), or None for other values."""
    if isinstance(v, sp.Float):
        return v._mpf_
    if isinstance(v, sp.Rational):
        return from_rational(int(v.p), int(v.q), 80, round_nearest)
    return None


def _log2(v) -> int | None:
    """About log2 |v| of a non-zero SymPy Float or Rational (None for 0 or anything else)."""
    if isinstance(v, sp.Float):
        _, man, exp, bc = v._mpf_
        return exp + bc if man else None
    if isinstance(v, sp.Rational) and v.p:
        return abs(int(v.p)).bit_length() - int(v.q).bit_length()
    return None


def beyond_float(v) -> bool:
    """True when the exact number ``v`` is larger in magnitude than float64 can hold."""
    e = _log2(v)
    return e is not None and e > 1020 and abs(v) > FLOAT_MAX


def scientific(v, digits: int = 16) -> str:
    """``v`` in scientific notation from its exact value, ``digits`` significant digits
    (the float's own ``repr`` for a float)."""
    if isinstance(v, float):
        return repr(v)
    m = _mpf(v)
    if m is None:
        return str(v)
    s = to_str(m, digits)
    return s if "e" in s else to_str(m, digits, min_fixed=0, max_fixed=0)


def below_float(v) -> bool:
    """True when the exact number ``v`` is not 0 but float64 can only round it to 0 or to
    a subnormal number (fewer digits than a float's 15): sigma(-1000) is 5.08 x 10^-435."""
    e = _log2(v)
    return e is not None and e < -1015 and abs(v) < FLOAT_MIN


def json_number(v):
    """``v`` as JSON data: a float, or, beyond float64's range (larger than its largest
    number, or non-zero and smaller than its smallest normal one), a string of its exact
    value in scientific notation. A float that overflowed with no exact value behind it is
    written as its ``repr``, "inf" or "-inf" ("nan" for no number): JSON has no Infinity."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v) if math.isfinite(v) else repr(float(v))
    if beyond_float(v) or below_float(v):
        return scientific(v)
    return float(v)


def magnitude_problem(v) -> str | None:
    """What is wrong with a step value beyond 10^±MAGNITUDE (None within, and for 0)."""
    e = _log2(v)
    if e is None or -_BITS < e <= _BITS:
        return None
    k = round(e * _LOG10_2)
    about = f"10^{k}" if abs(k) < 10**6 else f"10^({'-' if k < 0 else ''}{abs(k):.1e})"
    return f"about {about}, beyond the 10^±{MAGNITUDE} a walkthrough writes out"
