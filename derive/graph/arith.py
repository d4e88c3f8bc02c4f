"""How a step's value is computed: exactly as SymPy evaluates its formula.

Values are SymPy numbers: exact rationals while the arithmetic stays rational (the inputs
are decimals, so nets are exact), and 50-digit floats after a transcendental function
(sigma, tanh, exp, log). :func:`evaluate` substitutes numbers into a formula.

Most steps are sums and products of other steps and given numbers (a gradient is
delta * input, an update is w - eta g). For those the builder keeps a *recipe*, a small
tree of plain tuples, instead of a SymPy expression:

    recipe := name | number | ("*", recipe, recipe, ...) | ("+", recipe, recipe, ...)

where a name is a step id or a given number's name. Its formula (:func:`recipe_formula`,
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

import sympy as sp
from mpmath.libmp import finf, fnan, fninf

#: Working precision (decimal digits) of every non-rational value.
PRECISION = 50
#: The most digits a value near +-1 is carried with (see :func:`to_number`).
MAX_DIGITS = 4000


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
        gap = abs(1 - abs(f))
        if not gap.is_zero and gap >= sp.Float(10) ** (PRECISION - 10 - digits):
            break
        digits = min(4 * digits, MAX_DIGITS)
        f = v.evalf(digits)
    if not f.is_number or not f.is_comparable:
        raise ArithmeticError(f"cannot evaluate {v} to a real number")
    return f


_SPECIAL = (finf, fninf, fnan)


def _finite(v) -> bool:
    return isinstance(v, sp.Rational) or isinstance(v, sp.Float) and v._mpf_ not in _SPECIAL


def _mul(vals: list) -> sp.Expr:
    """``Mul(*vals)`` for finite numbers, the way SymPy's Mul evaluates them: 1s dropped, a
    rational second factor moved first, then a left-to-right product."""
    vals = [v for v in vals if v is not sp.S.One]
    if len(vals) < 2:
        return vals[0] if vals else sp.S.One
    if len(vals) == 2 and vals[1].is_Rational:
        vals.reverse()
    coeff = sp.S.One
    for v in vals:
        coeff *= v
    return coeff


def _add(vals: list) -> sp.Expr:
    """``Add(*vals)`` for finite numbers, the way SymPy's Add evaluates them: 0s dropped,
    then a left-to-right sum."""
    vals = [v for v in vals if v is not sp.S.Zero]
    if len(vals) < 2:
        return vals[0] if vals else sp.S.Zero
    coeff = sp.S.Zero
    for v in vals:
        coeff += v
    return coeff


def _tree(node, look):
    """(value, replaced) of a sum/product tree whose leaves are names (valued by ``look``)
    or numbers; value None when it is not all finite numbers. ``replaced`` says whether a
    name is inside: a sum or product of numbers alone stays unevaluated under ``xreplace``
    (and so is left to it)."""
    if isinstance(node, tuple):
        parts, replaced = [], False
        for a in node[1:]:
            v, r = _tree(a, look)
            if v is None:
                return None, True
            parts.append(v)
            replaced = replaced or r
        if not replaced:
            return None, False
        return (_mul(parts) if node[0] == "*" else _add(parts)), True
    if isinstance(node, str):
        v = look(node)
        return (v if _finite(v) else None), True
    node = sp.sympify(node)
    return (node if _finite(node) else None), False


def _arith(e: sp.Expr, env: dict):
    """What ``e.xreplace(env)`` evaluates to when ``e`` is sums and products of symbols
    (valued in ``env``) and numbers, without building the expressions in between; None
    otherwise (the same walk as :func:`_tree`, over a SymPy expression)."""
    if e.is_Symbol:
        v = env.get(e)
        return v if _finite(v) else None
    if not (e.is_Mul or e.is_Add):
        return None
    vals, replaced = [], False
    for a in e.args:
        if a.is_Number:
            if not _finite(a):
                return None
            vals.append(a)
            continue
        v = _arith(a, env)
        if v is None:
            return None
        vals.append(v)
        replaced = True
    if not replaced:
        return None
    return _mul(vals) if e.is_Mul else _add(vals)


def _cancelled(v, terms, value_of) -> sp.Expr:
    """A sum that cancels to within its rounding error, like 0.1 s + 0.2 s - 0.3 s for a
    50-digit s = sigma(0.3) (3e-52), is 0 as far as the working precision can tell; its
    noise must not pick a side of a ReLU kink, so it is taken as exactly 0."""
    if v.is_Float and abs(v) < 1e-20:
        scale = max(abs(value_of(t)) for t in terms)
        if abs(v) <= scale * sp.Float(10) ** (5 - PRECISION):
            return sp.Integer(0)
    return v


def evaluate(formula: sp.Expr, env: dict) -> sp.Expr:
    """The value of ``formula`` with ``env`` (symbol -> number) substituted.

    >>> a, b = sp.symbols("a b")
    >>> evaluate(sp.Mul(a, b, evaluate=False), {a: sp.Rational(1, 2), b: sp.Rational(3, 10)})
    3/20
    """
    def value_of(e):
        v = _arith(e, env)
        return to_number(e.xreplace(env)) if v is None else v

    v = value_of(formula)
    return _cancelled(v, formula.args, value_of) if formula.is_Add else v


def recipe_formula(recipe) -> sp.Expr:
    """The unevaluated SymPy formula of a recipe (see the module's docstring)."""
    if isinstance(recipe, tuple):
        args = [recipe_formula(a) for a in recipe[1:]]
        return (sp.Mul if recipe[0] == "*" else sp.Add)(*args, evaluate=False)
    return sp.Symbol(recipe) if isinstance(recipe, str) else sp.sympify(recipe)


def recipe_value(recipe, vals: dict) -> sp.Expr | None:
    """The value of a recipe with ``vals`` (name -> number), or None when a value is not a
    finite number (then evaluate its formula instead)."""
    v = _tree(recipe, vals.get)[0]
    if v is None or not (isinstance(recipe, tuple) and recipe[0] == "+"):
        return v

    def value_of(term):
        w = _tree(term, vals.get)[0]
        return to_number(recipe_formula(term)) if w is None else w
    return _cancelled(v, recipe[1:], value_of)
