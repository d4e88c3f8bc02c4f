"""How a step's value is computed: exactly as SymPy evaluates its formula.

Values are SymPy numbers: exact rationals while the arithmetic stays rational (the inputs
are decimals, so nets are exact), and 50-digit floats after a transcendental function
(sigma, tanh, exp, log). :func:`evaluate` substitutes numbers into a formula.

Most steps are sums and products of other steps and given numbers (a gradient is
delta * input, an update is w - eta g). For those the builder keeps a *recipe*, a small
tree of plain tuples, instead of a SymPy expression:

    recipe := name | number | ("*", recipe, recipe, ...) | ("+", recipe, recipe, ...)

where a name is a step id or a given number's name, and every sum and product names one
(:func:`names_in_every_operation`). Its formula (:func:`recipe_formula`,
unevaluated ``Mul`` and ``Add`` in the same order) is built only when something reads it,
and its value (:func:`recipe_value`) is computed the way SymPy's ``Mul`` and ``Add``
evaluate numbers, so it is the value of ``evaluate(recipe_formula(r), env)`` without
building the expressions: building them cost more than everything else in a large graph.

>>> recipe = ("+", "w9", ("*", -1, "eta", "grad_w9"))
>>> recipe_formula(recipe)
-eta*grad_w9 + w9
>>> vals = {"w9": sp.Rational(3, 5), "eta": sp.Rational(1, 2), "grad_w9": sp.Rational(-1, 20)}
>>> recipe_value(recipe, vals)
5/8
"""

from __future__ import annotations

from functools import lru_cache
from math import gcd, ldexp

import sympy as sp
from mpmath.libmp import (
    fone,
    from_int,
    from_rational,
    fzero,
    mpf_abs,
    mpf_add,
    mpf_ge,
    mpf_mul,
    mpf_pow_int,
    mpf_sub,
    round_nearest,
)

from derive.model.numbers import PRECISION  # working precision (decimal digits) of every non-rational value

#: The most digits a value near +-1 is carried with (see :func:`to_number`).
MAX_DIGITS = 4000


def wide_gap(f: sp.Expr, digits: int = PRECISION) -> bool:
    """True when ``f`` (evaluated to ``digits`` digits) is far enough from +-1 that
    1 - |f| keeps 40 digits of its own (see :func:`to_number`). For a Float, the same
    decision without SymPy's objects: 1 - |f| rounded once at f's precision, as SymPy's
    subtraction rounds it, compared exactly with the floor."""
    if isinstance(f, sp.Float):
        gap = mpf_abs(mpf_sub(fone, mpf_abs(f._mpf_), f._prec, round_nearest))
        return gap != fzero and mpf_ge(gap, _floor_mpf(digits))
    gap = abs(1 - abs(f))
    return not gap.is_zero and gap >= sp.Float._new(_floor_mpf(digits), 53)


@lru_cache(maxsize=None)
def _floor_mpf(digits: int):
    """10^(PRECISION - 10 - digits) as ``Float(10) ** (PRECISION - 10 - digits)`` makes it:
    mpmath's integer power of 10 at a Float's default 53 bits."""
    return mpf_pow_int(from_int(10), PRECISION - 10 - digits, 53, round_nearest)


def to_number(v: sp.Expr) -> sp.Expr:
    """Collapse an evaluated formula to a SymPy number: rationals stay exact."""
    if v.is_Rational or v.is_Float:
        return v
    f = v.evalf(PRECISION)
    # bce's log(1 - out) and (1 - y)/(1 - out) need the gap 1 - out of a sigmoid near 1,
    # which 50 digits of out keep only in part (net ~ 100: 1 - out ~ 1e-44) or not at all
    # (net > ~115: out rounds to 1, and log(1 - out) would be log(0)). Carry enough digits
    # (about net / ln 10 more, up to a cap) that 1 - |value| keeps 40 digits of its own.
    digits = PRECISION
    while f.is_Float and digits < MAX_DIGITS:
        if wide_gap(f, digits):
            break
        digits = min(4 * digits, MAX_DIGITS)
        f = v.evalf(digits)
    if not f.is_number or not f.is_comparable:
        raise ArithmeticError(f"cannot evaluate {v} to a real number")
    return f


# ---- SymPy's arithmetic on numbers, without a SymPy object per operation
#
# A "raw" number is (p, q) for the rational p/q (ints, not necessarily in lowest terms) or
# (mpf, prec) for a non-zero float: an mpmath tuple and its precision in bits. SymPy's
# Float arithmetic is mpmath's at the larger precision of the two operands (a rational is
# first rounded to that precision), rounding to nearest, and an exact 0 becomes the
# rational 0; rationals are exact. Doing the same on raw numbers and making one SymPy
# number at the end gives SymPy's result for a fraction of the time (the tests compare the
# two on random numbers).


def _raw(v):
    """A SymPy number as a raw number, or None (not a finite number, or a float 0)."""
    if isinstance(v, sp.Rational):
        return (v.p, v.q)
    if isinstance(v, sp.Float) and v._mpf_[1]:  # a zero or special float has mantissa 0
        return (v._mpf_, v._prec)
    return None


class RawValues(dict):
    """Name -> raw number of the SymPy numbers in ``values`` (name -> number), each made
    when first read (None for a name without a finite number)."""

    def __init__(self, values: dict):
        super().__init__()
        self.numbers = values

    def __missing__(self, name):
        r = self[name] = _raw(self.numbers.get(name))
        return r


_new_expr = sp.Expr.__new__


def _cooked(r) -> sp.Expr:
    """A raw number as a SymPy number. A float that mpmath made is already normal at its
    precision (odd mantissa, no more bits than the precision), which is all that
    ``Float._new`` would see to: it is made directly."""
    a, b = r
    if type(a) is int:
        return sp.Rational(a, b)
    if a[1] & 1 and a[3] <= b:
        f = _new_expr(sp.Float)
        f._mpf_, f._prec = a, b
        return f
    return sp.Float._new(a, b)


@lru_cache(maxsize=1 << 16)
def _rounded(p: int, q: int, prec: int):
    """p/q as an mpmath float of ``prec`` bits, rounded to nearest (the same given numbers
    meet floats of the same precision again and again)."""
    return from_rational(p, q, prec, round_nearest)


def _binary(x, y, exact, mpf_op):
    a, b = x
    c, d = y
    if type(a) is int:
        if type(c) is int:
            return exact(a, b, c, d)
        prec, a = d, _rounded(a, b, d)
    elif type(c) is int:
        prec, c = b, _rounded(c, d, b)
    else:
        prec = b if b > d else d
    m = mpf_op(a, c, prec, round_nearest)
    return (0, 1) if m == fzero else (m, prec)


def _exact_mul(a, b, c, d):
    return (a * c, b * d)


def _exact_add(a, b, c, d):
    if b == d:
        return (a + c, b)
    g = gcd(b, d)  # (the common denominator stays small: a net's 64 terms would multiply theirs)
    return (a * (d // g) + c * (b // g), b // g * d)


def _product(x, y):
    """``Mul(x, y)`` of two raw numbers (or None), as :func:`_mul` gives it."""
    if x is None or y is None:
        return None
    if type(x[0]) is int and x[0] == x[1]:
        return y
    if type(y[0]) is int and y[0] == y[1]:
        return x
    return _binary(x, y, _exact_mul, mpf_mul)


def _mul(vals: list):
    """``Mul(*vals)`` of raw numbers as SymPy evaluates it: factors equal to 1 dropped, then a
    left-to-right product (with two factors the order does not matter)."""
    out = None
    for v in vals:
        if type(v[0]) is int and v[0] == v[1]:
            continue
        out = v if out is None else _binary(out, v, _exact_mul, mpf_mul)
    return (1, 1) if out is None else out


def _add(vals: list):
    """``Add(*vals)`` of raw numbers as SymPy evaluates it: zeros dropped, then a
    left-to-right sum."""
    out = None
    for v in vals:
        if type(v[0]) is int and v[0] == 0:
            continue
        out = v if out is None else _binary(out, v, _exact_add, mpf_add)
    return (0, 1) if out is None else out


def _tree(node, raws: RawValues):
    """The raw value of a recipe whose names have the raw values ``raws``; None when a value
    is not a finite number. Every sum and product of a recipe names a step or a given number
    (the builder makes them so), so ``xreplace`` would replace inside each and SymPy
    evaluates each of them: that is the fold below."""
    if type(node) is str:
        return raws[node]
    if type(node) is not tuple:
        return _raw(node if isinstance(node, sp.Basic) else sp.sympify(node))
    mul = node[0] == "*"
    exact, mpf_op = (_exact_mul, mpf_mul) if mul else (_exact_add, mpf_add)
    out = None
    for a in node[1:]:
        if type(a) is str:
            v = raws[a]
        elif type(a) is tuple and len(a) == 3 and a[0] == "*" and type(a[1]) is str and type(a[2]) is str:
            v = _product(raws[a[1]], raws[a[2]])
        else:
            v = _tree(a, raws)
        if v is None:
            return None
        if type(v[0]) is int and (v[0] == v[1] if mul else v[0] == 0):
            continue  # a factor 1 or a term 0: dropped, as Mul and Add drop them
        if out is None:
            out = v
        elif type(v[0]) is not int and type(out[0]) is not int and v[1] == out[1]:  # two floats of one precision
            m = mpf_op(out[0], v[0], v[1], round_nearest)
            out = (0, 1) if m == fzero else (m, v[1])
        else:
            out = _binary(out, v, exact, mpf_op)
    return out if out is not None else ((1, 1) if mul else (0, 1))


def _power(b, n: int):
    """``Pow(b, n)`` of a raw number and an integer as SymPy evaluates it. For n >= 2: a
    rational's powers are exact; a float's is mpmath's ``mpf_pow_int`` at the float's
    precision (SymPy first takes a negative base's sign out, which round-to-nearest makes
    no difference to). Other exponents: SymPy's own power."""
    a, prec = b
    if n >= 2:
        return (a**n, prec**n) if type(a) is int else (mpf_pow_int(a, n, prec, round_nearest), prec)
    return _raw(sp.Pow(_cooked(b), n))


def _arith(e: sp.Expr, env: dict):
    """What ``e.xreplace(env)`` evaluates to, as a raw number, when ``e`` is sums,
    products and integer powers of symbols (valued in ``env``) and numbers; None
    otherwise (the same walk as :func:`_tree`, over a SymPy expression)."""
    if e.is_Symbol:
        return _raw(env.get(e))
    if e.is_Pow and e.exp.is_Integer:
        b = _arith(e.base, env)
        return None if b is None else _power(b, int(e.exp))
    if not (e.is_Mul or e.is_Add):
        return None
    vals, replaced = [], False
    for a in e.args:
        if a.is_Number:
            v = _raw(a)
        else:
            v = _arith(a, env)
            replaced = True
        if v is None:
            return None
        vals.append(v)
    if not replaced:
        return None
    return _mul(vals) if e.is_Mul else _add(vals)


def _tiny(r) -> bool:
    """True when a raw float is below 1e-20 in magnitude (2^-66 is 1.4e-20)."""
    a = r[0]
    return type(a) is not int and a[2] + a[3] <= -66 and abs(_cooked(r)) < 1e-20


def _cancelled(r, v, terms, raw_of) -> sp.Expr:
    """A sum that cancels to within its rounding error, like 0.1 s + 0.2 s - 0.3 s for a
    50-digit s = sigma(0.3) (3e-52), is 0 as far as the working precision can tell; its
    noise must not pick a side of a ReLU kink, so it is taken as exactly 0. (``v`` is the
    SymPy number of the raw sum ``r``.)"""
    if _tiny(r):
        scale = max(abs(_cooked(raw_of(t))) for t in terms)
        if abs(v) <= scale * sp.Float(10) ** (5 - PRECISION):
            return sp.Integer(0)
    return v


def evaluate(formula: sp.Expr, env: dict) -> sp.Expr:
    """The value of ``formula`` with ``env`` (symbol -> number) substituted.

    >>> a, b = sp.symbols("a b")
    >>> evaluate(sp.Mul(a, b, evaluate=False), {a: sp.Rational(1, 2), b: sp.Rational(3, 10)})
    3/20
    """
    value_at = getattr(type(formula), "value_at", None)  # one of our functions of numbers
    if value_at is not None and all(a in env or a.is_Number for a in formula.args):
        return value_at(*[a if a.is_Number else env[a] for a in formula.args])

    def raw_of(e):
        r = _arith(e, env)
        return _raw(to_number(e.xreplace(env))) if r is None else r

    r = _arith(formula, env)
    if r is None:
        v = to_number(formula.xreplace(env))
        r = _raw(v)
        if r is None:  # (a float 0 from a sum is exactly 0, as a cancelled sum is)
            return sp.Integer(0) if formula.is_Add and v.is_Float and v.is_zero else v
        if not formula.is_Add:
            return v
    return _cancelled(r, _cooked(r), formula.args, raw_of) if formula.is_Add else _cooked(r)


def as_float(v) -> float:
    """``float(v)`` of a SymPy number, as SymPy's ``float()`` gives it (correctly rounded to
    nearest, ties to even) without its wrappers: it is most of the three-way check's time on
    a large graph. A Float's mantissa is rounded once by ``float()`` of the integer (53 bits,
    to nearest even, as mpmath's ``to_float`` rounds it) and then scaled exactly; a rational
    is one true division of integers, which Python also rounds correctly. Near the ends of
    the float range (subnormals, overflow) SymPy's own conversion decides.

    >>> as_float(sp.Rational(1, 3)), as_float(sp.Float("0.1", 50))
    (0.3333333333333333, 0.1)
    """
    if isinstance(v, sp.Float):
        sign, man, exp, bc = v._mpf_
        if man and bc <= 1000 and -1000 < exp + bc < 1000:
            f = ldexp(float(man), exp)
            return -f if sign else f
    elif isinstance(v, sp.Rational) and v.p:
        try:
            f = v.p / v.q
        except OverflowError:
            return float(v)
        if abs(f) >= 1e-300:
            return f
    return float(v)


def recipe_formula(recipe) -> sp.Expr:
    """The unevaluated SymPy formula of a recipe (see the module's docstring)."""
    if isinstance(recipe, tuple):
        args = [recipe_formula(a) for a in recipe[1:]]
        return (sp.Mul if recipe[0] == "*" else sp.Add)(*args, evaluate=False)
    return sp.Symbol(recipe) if isinstance(recipe, str) else sp.sympify(recipe)


def recipe_value(recipe, vals: dict, raws: RawValues | None = None, name: str | None = None) -> sp.Expr | None:
    """The value of a recipe with ``vals`` (name -> number), or None when a value is not a
    finite number (then evaluate its formula instead). ``raws`` may carry the raw forms of
    ``vals`` across calls; with ``name``, the value's own raw form is kept there under it."""
    raws = RawValues(vals) if raws is None else raws
    if (
        type(recipe) is tuple
        and len(recipe) == 3
        and recipe[0] == "*"
        and type(recipe[1]) is str
        and type(recipe[2]) is str
    ):  # the product of two names (most gradients): _tree without the loop
        r = _product(raws[recipe[1]], raws[recipe[2]])
    else:
        r = _tree(recipe, raws)
    if r is None:
        return None
    v = _cooked(r)
    if isinstance(recipe, tuple) and recipe[0] == "+":
        cancelled = _cancelled(r, v, recipe[1:], lambda term: _tree(term, raws))
        if cancelled is not v:
            v, r = cancelled, (0, 1)
    if name is not None:
        raws[name] = r
    return v


def names_in_every_operation(recipe) -> bool:
    """True when every sum and product of ``recipe`` names a step or given number (what
    :func:`recipe_value` relies on)."""
    if not isinstance(recipe, tuple):
        return isinstance(recipe, str)
    inner = [names_in_every_operation(a) for a in recipe[1:]]
    return all(ok or not isinstance(a, tuple) for ok, a in zip(inner, recipe[1:])) and any(inner)
