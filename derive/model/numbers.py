"""Numbers as a person wrote them: the exact value, the decimal places stated, the text.

A teacher who types ``-0.1360`` states four decimal places, and one who types ``-0.8``
states one; a fraction such as ``3/8`` is exact and states none. A :class:`Number` keeps
all three facts, so marking, published-number tables and worksheet variants judge a
number at the precision it was written with. Values are exact SymPy rationals, read
from the digits (never through a binary float).

This module holds the one reader of a typed literal (:func:`read_number`, and
:func:`scan_number` for callers that try other readings when the text is not a literal)
and the one rounding rule, half away from zero as a calculator rounds
(:func:`round_half_up`, and :func:`round_half_up_float` for compiled float code).

>>> n = read_number("-0.1360")
>>> n.value, n.places, n.text
(-17/125, 4, '-0.1360')
>>> [read_number(t).places for t in ("-0.8", "2", "1.5e-3", "3/8")]
[1, 0, 4, None]
>>> true = sp.Rational(-136093, 10**6)
>>> round_half_up(true, 4), n.agrees(true), read_number("-0.1361").agrees(true)
(-1361/10000, False, True)
>>> Number.rounded(true, 4)
Number(value=-1361/10000, places=4, text='-0.1361')
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from derive.errors import DeriveError

__all__ = [
    "Number",
    "NumberError",
    "read_number",
    "scan_number",
    "round_half_up",
    "round_half_up_float",
    "MAX_LENGTH",
    "MAX_EXP10",
]

#: Characters of one literal (a longer text is not read as a number).
MAX_LENGTH = 100
#: Largest |e| of a scientific literal such as ``1.5e-3``.
MAX_EXP10 = 999
#: Working precision (decimal digits) of every non-rational value: the step graph's
#: 50-digit floats, and the precision at which such a value is rounded.
PRECISION = 50
#: What :meth:`Number.agrees` allows beyond half a unit: the last digits of a 50-digit float.
FLOAT_SLACK = sp.Rational(1, 10**15)

# A sign (students write "- 0.5"), then a fraction or a decimal with an optional exponent.
_LITERAL = re.compile(
    r"""
    (?P<sign>[+-]?)\s*
    (?: (?P<num>[0-9]+)/(?P<den>[0-9]+)
      | (?P<mant>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE](?P<exp>[+-]?[0-9]+))? )
    """,
    re.ASCII | re.VERBOSE,
)


class NumberError(DeriveError, ValueError):
    """A literal that cannot be read; ``str(e)`` is a short one-line reason."""


@dataclass(frozen=True)
class Number:
    """A number as written: its exact ``value``, the decimal ``places`` it states (None
    for a fraction, which is exact and states none) and its ``text``.

    Two Numbers are equal when all three agree: ``0.5`` and ``0.50`` are different
    statements of one value (compare ``.value`` for the value alone)."""

    value: sp.Rational
    places: int | None
    text: str

    @classmethod
    def of(cls, value, places: int | None) -> "Number":
        """``value`` written with ``places`` decimals (zeros padded), or as a fraction when
        ``places`` is None. ValueError when the value needs more places than that.

        >>> Number.of(sp.Rational(1, 10), 2).text, Number.of(sp.Rational(-3, 8), None).text
        ('0.10', '-3/8')
        """
        value = sp.Rational(value)
        if places is None:
            return cls(value, None, f"{value.p}/{value.q}")
        if places < 0:
            raise ValueError(f"places must be 0 or more, got {places}")
        scaled = value * 10**places
        if scaled.q != 1:
            raise ValueError(f"{value} needs more than {places} decimal places")
        return cls(value, places, _decimal_text(int(scaled), places))

    @classmethod
    def rounded(cls, value, places: int) -> "Number":
        """``value`` (any real SymPy number) rounded half away from zero to ``places``."""
        return cls.of(round_half_up(value, places), places)

    @property
    def half_unit(self) -> sp.Rational:
        """Half a unit in the last stated place (0 for an exact fraction): how far the
        true value may lie from a number that is correctly rounded."""
        return sp.S.Zero if self.places is None else sp.Rational(1, 2 * 10**self.places)

    def agrees(self, exact, slack=FLOAT_SLACK) -> bool:
        """True when ``exact`` rounds to this number at its stated places (a fraction must
        equal it); ``slack`` absorbs the last digits of a 50-digit float."""
        return bool(abs(self.value - sp.sympify(exact, strict=True)) <= self.half_unit + slack)

    def __float__(self) -> float:
        return _to_float(self.value)

    def __str__(self) -> str:
        return self.text


def _decimal_text(m: int, places: int) -> str:
    """The integer ``m`` scaled by 10**-places, written out: (-1360, 4) -> '-0.1360'."""
    digits = str(abs(m)).rjust(places + 1, "0")
    body = digits if places == 0 else f"{digits[:-places]}.{digits[-places:]}"
    return ("-" if m < 0 else "") + body


def _to_float(r: sp.Rational) -> float:
    """The float nearest to ``r`` (Python's int division is correctly rounded)."""
    return int(r.p) / int(r.q)


def scan_number(text: str, *, max_digits: int | None = None, max_length: int = MAX_LENGTH) -> Number | None:
    """The :class:`Number` a literal states, or None when ``text`` is not a literal at
    all: a sign, then digits with an optional point and exponent (``-0.1360``, ``.5``,
    ``1.5e-3``), or a fraction of whole numbers (``3/8``). Surrounding whitespace is
    ignored. NumberError when it is a literal beyond the caps: more than ``max_digits``
    significant digits (in each part of a fraction), an exponent beyond ±999, longer than
    ``max_length`` characters, or a zero denominator.

    >>> scan_number("0.5*2") is None, scan_number(" +.50 ")
    (True, Number(value=1/2, places=2, text='+.50'))
    """
    text = text.strip()
    m = _LITERAL.fullmatch(text)  # linear: the pattern has one way to match each text
    if m is None:
        return None
    if len(text) > max_length:
        raise NumberError(f"number too long (at most {max_length} characters)")
    sign = -1 if m["sign"] == "-" else 1
    if m["num"] is not None:
        num, den = _digits(m["num"], max_digits), _digits(m["den"], max_digits)
        if den == 0:
            raise NumberError("division by zero")
        return Number(sp.Rational(sign * num, den), None, text)
    whole, _, frac = m["mant"].partition(".")
    exp10 = int(m["exp"] or 0)
    if abs(exp10) > MAX_EXP10:
        raise NumberError("number too large or too small")
    mantissa = sign * _digits(whole + frac, max_digits)
    scale = exp10 - len(frac)
    value = sp.Integer(mantissa * 10**scale) if scale >= 0 else sp.Rational(mantissa, 10**-scale)
    return Number(value, max(0, -scale), text)


def _digits(s: str, max_digits: int | None) -> int:
    if max_digits is not None and len(s.lstrip("0")) > max_digits:
        raise NumberError(f"number has too many digits (at most {max_digits})")
    return int(s)


def read_number(text: str, *, max_digits: int | None = None, max_length: int = MAX_LENGTH) -> Number:
    """Like :func:`scan_number`, but text that is not a literal is a NumberError too.

    >>> read_number("1e-3")
    Number(value=1/1000, places=3, text='1e-3')
    >>> read_number("0.5.5")
    Traceback (most recent call last):
        ...
    derive.model.numbers.NumberError: not a number
    """
    n = scan_number(text, max_digits=max_digits, max_length=max_length)
    if n is None:
        raise NumberError("not a number")
    return n


# --------------------------------------------------------------------------- rounding


def is_short_decimal(v) -> bool:
    """A rational with a terminating decimal of at most 15 significant digits, so that
    equal floats mean equal numbers (``0.376`` is one; ``1/3`` and ``sigma(0.2)`` are not).

    >>> is_short_decimal(sp.Rational(47, 125)), is_short_decimal(sp.Rational(1, 3))
    (True, False)
    """
    if not isinstance(v, sp.Rational):
        return False
    q, places = int(v.q), 0
    while 10**places % q and places < 20:  # the places of its decimal, if it terminates soon
        places += 1
    if 10**places % q:
        return False
    digits = str(abs(int(v.p)) * (10**places // q)).strip("0")
    return len(digits) <= 15


def round_half_up(v, decimals: int) -> sp.Rational:
    """``v`` rounded to ``decimals`` places the way a calculator user rounds: ties away
    from zero (Python's ``round`` and ``Decimal``'s default round ties to even). Exact for
    rationals, whatever their size; any other real number is first evaluated to 50 digits.

    >>> round_half_up(sp.Rational(5, 1000), 2), round_half_up(sp.Rational(-5, 1000), 2)
    (1/100, -1/100)
    >>> round_half_up(sp.sqrt(2), 3), round_half_up(sp.Integer(1250), -2)
    (707/500, 1300)
    """
    v = sp.sympify(v, strict=True)  # numbers only: text is never sympified
    if v.is_Rational:
        p, q = int(v.p), int(v.q)
    else:
        f = sp.Float(v, PRECISION) if v.is_Float else v.evalf(PRECISION)
        if not f.is_Float:
            raise ValueError(f"cannot round {v}: not a real number")
        f = Fraction(str(f))  # the decimal digits a 50-digit value shows
        p, q = f.numerator, f.denominator
    scale = 10 ** abs(decimals)
    n, q = (abs(p) * scale, q) if decimals >= 0 else (abs(p), q * scale)
    k = (2 * n + q) // (2 * q)  # floor(n/q + 1/2)
    k = -k if p < 0 else k
    return sp.Rational(k, scale) if decimals >= 0 else sp.Integer(k * scale)


def round_half_up_float(x: float, places: int) -> float:
    """:func:`round_half_up` for floats, as compiled marking code needs it (fast, and as
    exact as a float allows).

    >>> round_half_up_float(0.125, 2), round_half_up_float(-0.125, 2), round(0.125, 2)
    (0.13, -0.13, 0.12)
    """
    k = 10.0**places
    return math.copysign(math.floor(abs(x) * k + 0.5) / k, x)
