"""A few small formulas built exactly as SymPy's own arithmetic builds them, without its
evaluation.

SymPy's operators put every sum and product they make into canonical form (flattened, terms
sorted, numbers collected), and on the way ask the assumptions system about each new object;
for the handful of shapes the builder makes for every node of every sample (an output less
its target, one minus an output, their product, the square of a difference) that is most of
the time of building the step graph. For *plain* symbols (no assumptions, as every step's
and given number's symbol is) the canonical form of these shapes is known: the terms in
SymPy's own canonical order (``_addsort``, ``_mulsort``), nothing else changed. The tests
compare every form with SymPy's result (``srepr``) for many names; anything that is not
plain symbols goes through SymPy's operators.

>>> o, y = sp.symbols("out_o1 y_o1")
>>> difference(o, y), one_minus(o), times(o, one_minus(o))
(out_o1 - y_o1, 1 - out_o1, out_o1*(1 - out_o1))
"""

from __future__ import annotations

import sympy as sp
from sympy.core.add import _addsort
from sympy.core.mul import _mulsort


def plain(*vs) -> bool:
    """True when every one of ``vs`` is a symbol without assumptions."""
    return all(isinstance(v, sp.Symbol) and not (v.assumptions0.keys() - {"commutative"}) for v in vs)


def _sum(terms: list) -> sp.Expr:
    _addsort(terms)  # (in place)
    return sp.Add(*terms, evaluate=False)


def difference(a, b) -> sp.Expr:
    """``a - b``."""
    if plain(a, b) and a != b:
        return _sum([a, sp.Mul(sp.S.NegativeOne, b, evaluate=False)])
    return a - b


def one_minus(x) -> sp.Expr:
    """``1 - x``."""
    if plain(x):
        return _sum([sp.S.One, sp.Mul(sp.S.NegativeOne, x, evaluate=False)])
    return 1 - x


def times(x, factor) -> sp.Expr:
    """``x * factor`` for a plain symbol x and a sum ``factor`` (the product of two different
    bases: nothing to collect, only the order to find)."""
    if plain(x) and factor.is_Add and not factor.is_number:
        factors = [x, factor]
        _mulsort(factors)  # (in place)
        return sp.Mul(*factors, evaluate=False)
    return x * factor


def square_sum(c, diffs: list) -> sp.Expr:
    """``c * sum_j d_j**2`` for differences ``d_j`` of plain symbols made by
    :func:`difference`, as ``c * Add(*[d**2 ...], evaluate=False)`` builds it: SymPy leaves
    the power of such a difference as it is (after asking whether either term is infinite,
    and again each time a product or sum rebuilds it). Its result: one square times c (c
    first); several, each times c and in canonical order; with c = 1, the squares in the
    order given."""
    squares = [sp.Pow(d, 2, evaluate=False) for d in diffs]
    if c == 1:
        return squares[0] if len(squares) == 1 else sp.Add(*squares, evaluate=False)
    terms = [sp.Mul(c, sq, evaluate=False) for sq in squares]
    return terms[0] if len(terms) == 1 else _sum(terms)
