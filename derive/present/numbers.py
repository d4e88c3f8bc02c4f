"""Numbers as they are shown: :func:`fmt` for documents (LaTeX math in walkthroughs, keys
and sheets) and :func:`plain_decimal` for data files that any program reads (JSON, CSV,
Moodle XML).

The display format writes tiny values as ``2.12 \\times 10^{-18}``, which is LaTeX; a data
file must never carry it. A plain decimal keeps the asked places and, for a value smaller
than their last unit, enough further places to keep ``sig`` significant digits, never an
exponent.

>>> import sympy as sp
>>> plain_decimal(sp.Rational(1, 3), 4), plain_decimal(sp.Float("2.124183e-18"), 6)
('0.3333', '0.00000000000000000212418')
>>> plain_decimal(-0.5, 2), plain_decimal(0, 3), float(plain_decimal(sp.Float("-7.5e-9"), 3))
('-0.50', '0.000', -7.5e-09)
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

import sympy as sp
from mpmath.libmp import to_digits_exp

from derive.model.numbers import PRECISION, round_half_up


def _decimal(v) -> Decimal:
    v = sp.sympify(v)
    if v.is_Rational:
        with localcontext() as ctx:
            ctx.prec = 60
            return Decimal(v.p) / Decimal(v.q)
    return Decimal(str(sp.Float(v, 30)))


def plain_decimal(v, places: int, sig: int = 6) -> str:
    """``v`` as a decimal with at least ``places`` places; a non-zero value that would round
    to 0 there gets the places that show ``sig`` significant digits instead."""
    d = _decimal(v)
    unit = Decimal(1).scaleb(-places)
    if d != 0 and abs(d) < unit / 2:
        places = -d.adjusted() + sig - 1
        unit = Decimal(1).scaleb(-places)
    with localcontext() as ctx:
        ctx.prec = max(60, places + 20)
        q = d.quantize(unit, rounding=ROUND_HALF_UP)
    s = f"{q:f}"
    return s[1:] if s.startswith("-") and q == 0 else s


#: From this magnitude on, computed values are shown in scientific notation.
HUGE = 10**16


def scientific_parts(v, digits: int) -> tuple[str, int]:
    """The mantissa (``digits`` significant digits) and the exponent of ``v``, from its
    exact value: 5.08 and -435 for sigma(-1000), which float64 would call 0.

    >>> scientific_parts(sp.Rational(-2124183, 10**24), 3), scientific_parts(sp.Rational(9996, 10**7), 3)
    (('-2.12', -18), ('1.00', -3))
    """
    m = sp.Float(v, max(PRECISION, digits + 10))._mpf_ if not isinstance(v, sp.Float) else v._mpf_
    sign, digs, exp = to_digits_exp(m, digits + 5)
    mant = Decimal(f"{digs[0]}.{digs[1:]}").quantize(Decimal(1).scaleb(1 - digits), rounding=ROUND_HALF_UP)
    if mant >= 10:
        mant, exp = (mant / 10).quantize(Decimal(1).scaleb(1 - digits), rounding=ROUND_HALF_UP), exp + 1
    return f"{sign}{mant}", exp


def fmt(v, decimals: int, as_given: bool = False) -> str:
    """The value as the walkthrough prints it: ``decimals`` places; tiny non-zero values
    keep ``decimals`` significant figures rather than printing as 0. With ``as_given``, an
    exact short decimal (a number from the spec, or a step whose exact value is one) is
    printed as it is, without padding zeros.

    >>> fmt(sp.Rational(1, 2), 3), fmt(sp.Rational(1, 2000), 3, as_given=True), fmt(sp.Rational(-1, 3), 3)
    ('0.500', '0.0005', '-0.333')
    >>> fmt(sp.Integer(2 * 10**308), 3, as_given=True), fmt(sp.Integer(2 * 10**308) / 3, 3)
    ('2 \\\\times 10^{308}', '6.67 \\\\times 10^{307}')
    """
    v = sp.sympify(v)
    huge = not v.is_zero and abs(v) >= HUGE  # (digits beyond the 16th would be zeros it does not have)
    if as_given and v.is_Rational and round_half_up(v, 15) == v:  # a short exact decimal
        d = (Decimal(v.p) / Decimal(v.q)).normalize()
        if huge:  # 2 x 10^308, all its digits
            return f"{d.scaleb(-d.adjusted()):f} \\times 10^{{{d.adjusted()}}}"
        return f"{d:f}" if d != 0 else "0"
    if huge:
        mant, exp = scientific_parts(v, max(decimals, 1))
        return f"{mant} \\times 10^{{{exp}}}"
    r = round_half_up(v, decimals)
    if r == 0 and not v.is_zero:  # a Float 0 is != 0 in SymPy >= 1.13
        mant, exp = scientific_parts(v, max(decimals, 1))
        return f"{mant} \\times 10^{{{exp}}}"
    s = f"{Decimal(r.p) / Decimal(r.q):.{decimals}f}"
    return "0" + s[2:] if s.startswith("-0") and r == 0 else s
