"""A student's formula or arithmetic, from a whitelisted syntax tree to a SymPy expression.

:func:`derive.teach.answers.parse_answer` gives text that is not a plain number to
:func:`ast.parse` (which only parses, never runs), and :class:`Builder` builds the SymPy
expression node by node, reading the tree against the one whitelist of node types,
operators, functions (exp, log/ln, sqrt, sigma, tanh, softplus, relu) and caps in
:mod:`derive.model.syntax` (expression specs are read by the same rules) and the spec's
symbol names, computing every numeric
sub-expression's value alongside in a private mpmath context. Nesting, size, exponents,
digits and the size of intermediate numbers are capped; anything else is an
:class:`AnswerError` with a short reason for the student.

>>> import ast
>>> e, v = Builder("0.5*(1-0.64)", {}).build(ast.parse("0.5*(1-0.64)", mode="eval").body)
>>> e, float(v)
(9/50, 0.18)
"""

from __future__ import annotations

import ast
import sys
from typing import Callable, Mapping

import mpmath
import sympy as sp

from derive.graph.functions import relu, sigma, softplus
from derive.graph.functions.sigmoid import stable_sigmoid
from derive.graph.functions.softplus import softplus_of
from derive.model import syntax
from derive.model.syntax import (  # noqa: F401 (the whitelist's caps, re-exported for answers)
    CALLS,
    MAX_BITS,
    MAX_DEPTH,
    MAX_DIGITS,
    MAX_EXPONENT,
    MAX_LENGTH,
    MAX_NODES,
    check_size,
    read_literal,
)

#: An answer that cannot be read; ``str(e)`` is a short one-line reason for the student
#: (the whitelist's own error: :mod:`derive.model.syntax` raises it).
AnswerError = syntax.FormulaError


# ---------------------------------------------------------------- numbers alongside the tree

# Every numeric sub-expression also gets a value in a private mpmath context (113 bits, about
# 34 digits; never the global mpmath precision). It is computed bottom up, so it costs one
# operation per node, whereas SymPy's evalf (and its assumptions, which call evalf) can take
# exponential time on nested sigma/exp; and it catches 1/0, log(0), sqrt(-1) and numbers too
# large for a float before SymPy is asked to build them.
_MP = mpmath.MPContext()
_MP.prec = 113
_ZERO = _MP.mpf(0)
_HUGE = _MP.mpf(sys.float_info.max)
_CANCEL = _MP.mpf(2) ** (8 - _MP.prec)  # a sum this much smaller than its terms is zero
_EXP_MIN = -1_000_000  # exp(x) for x below this is refused (slow, and absurd)


def _finite(v):
    if abs(v) > _HUGE:
        raise AnswerError("number too large")
    return v


def _exp(x):
    if x > 710:
        raise AnswerError("number too large")
    if x < _EXP_MIN:
        raise AnswerError("number too large or too small")
    return _MP.exp(x)


def _log(x):
    if x <= 0:
        raise AnswerError("log of a number that is not positive")
    return _MP.log(x)


def _sqrt(x):
    if x < 0:
        raise AnswerError("square root of a negative number")
    return _MP.sqrt(x)


def _sigma(x):
    return stable_sigmoid(x, _exp)  # with _exp's checks on the size of the exponent


def _softplus(x):
    return softplus_of(x, _exp, _MP.log1p)  # with _exp's checks on the size of the exponent


def _relu(x):
    return x if x > 0 else _ZERO


# name -> (SymPy function, its value on an mpf, checking the domain)
FUNCTIONS: dict[str, tuple[Callable, Callable]] = {
    "exp": (sp.exp, _exp),
    "log": (sp.log, _log),
    "ln": (sp.log, _log),
    "sqrt": (sp.sqrt, _sqrt),
    "sigma": (sigma, _sigma),
    "tanh": (sp.tanh, _MP.tanh),
    "softplus": (softplus, _softplus),
    "relu": (relu, _relu),
}
assert tuple(FUNCTIONS) == CALLS, "one whitelist: derive.model.syntax.CALLS"
_BY_CLASS = {sp.exp: _exp, sp.log: _log, sigma: _sigma, sp.tanh: _MP.tanh, softplus: _softplus, relu: _relu}


def _mp_rational(r: sp.Rational):
    return _MP.mpf(r.p) / r.q


def _add(a, b, exact=None):
    if exact is not None and exact.is_Rational:
        return _mp_rational(exact)
    v = a + b
    if v != 0 and abs(v) < _CANCEL * max(abs(a), abs(b)):
        v = _ZERO  # cancelled to within working precision: sigma(0) - 1/2
    return _finite(v)


def _power(base, fb, p: sp.Rational):
    """Checks for base**p (p a Rational within the cap) and its value, or None if symbolic."""
    if fb is None:
        return None
    if p.is_negative and fb == 0:
        raise AnswerError("division by zero")
    if p.q != 1 and fb < 0:
        raise AnswerError("a negative number to a fractional power")
    if base.is_Rational and max(base.p.bit_length(), base.q.bit_length()) * abs(p) > MAX_BITS:
        raise AnswerError("number too large or too small")
    return _finite(_MP.power(fb, int(p)) if p.q == 1 else _MP.power(fb, _mp_rational(p)))


def _mp_eval(expr: sp.Expr, memo: dict):
    """The value of a SymPy expression without free symbols built from the whitelist (used
    when symbols cancel, as in sigma(x - x)); linear in the size of the tree."""
    if expr in memo:
        return memo[expr]
    if expr.is_Rational:
        v = _mp_rational(expr)
    elif expr is sp.E:
        v = _MP.e
    elif expr.is_Add or expr.is_Mul:
        v = None
        for arg in expr.args:
            w = _mp_eval(arg, memo)
            v = w if v is None else (_finite(v * w) if expr.is_Mul else _add(v, w))
    elif expr.is_Pow and expr.exp.is_Rational:
        v = _power(expr.base, _mp_eval(expr.base, memo), expr.exp)
    elif expr.func in _BY_CLASS and len(expr.args) == 1:
        v = _finite(_BY_CLASS[expr.func](_mp_eval(expr.args[0], memo)))
    else:
        raise AnswerError("not a number or formula")
    memo[expr] = v
    return v


# ---------------------------------------------------------------- building


class Builder:
    """Builds (SymPy expression, mpf value or None when symbolic) from a whitelisted AST.

    SymPy's assumptions (is_zero, is_negative, ...) are asked only of Rationals: on other
    numbers they call evalf. Decisions use the mpf value instead."""

    def __init__(self, source: str, symbols: Mapping[str, sp.Symbol]):
        self.source = source.encode("utf-8")  # ast offsets count UTF-8 bytes
        self.symbols = symbols
        self.symbolic = False
        self.memo: dict = {}
        self.lazy: set = set()

    def literal(self, node: ast.Constant) -> tuple[sp.Rational, object]:
        n = syntax.literal(node, self.source)
        return n.value, _finite(_mp_rational(n.value))

    def exponent(self, node: ast.expr) -> sp.Rational:
        return syntax.exponent(node, self.source)

    def build(self, node: ast.AST):
        e, v = self._build(node)
        if v is None and self.symbolic and not e.free_symbols:  # symbols cancelled: x - x
            v = _mp_eval(e, self.memo)
        return e, v

    # SymPy simplifies as it builds (exp(x)**-1 -> exp(-x), tanh(-x) -> -tanh(x)) by asking
    # assumptions, which run evalf and take time exponential in the nesting of functions
    # (tanh(1-tanh(1-...)), 1/exp(1/exp(...))). So an expression that contains exp, log,
    # sigma or tanh is built unevaluated (``self.lazy`` holds them); polynomials and
    # rationals in the symbols, and all exact arithmetic on numbers, are evaluated.
    def _lazy(self, *parts) -> bool:
        return any(p in self.lazy for p in parts)

    def _build(self, node: ast.AST):
        if isinstance(node, ast.Constant):
            return self.literal(node)
        if isinstance(node, ast.Name):
            name = syntax.name(node, self.symbols)
            self.symbolic = True
            return self.symbols[name], None
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                e, v = self.build(node.operand)
                return self.neg(e), (None if v is None else -v)
            if isinstance(node.op, ast.UAdd):
                return self.build(node.operand)
            raise syntax.not_allowed(node.op)
        if isinstance(node, ast.BinOp):
            if not isinstance(node.op, syntax.BINOPS):
                raise syntax.not_allowed(node.op)
            if isinstance(node.op, ast.Pow):
                p = self.exponent(node.right)  # checked first: 10**10**10 builds nothing
                b, fb = self.build(node.left)
                return self.power(b, fb, p)
            a, fa = self.build(node.left)
            b, fb = self.build(node.right)
            return self.arithmetic(node.op, a, fa, b, fb)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise syntax.not_allowed(node)

    def power(self, b, fb, p: sp.Rational):
        f = _power(b, fb, p)
        if p.q != 1 and not (b.is_Rational or b.is_Symbol) and not self._lazy(b):
            # a root of a non-rational: SymPy's denesting of 1-sqrt(1-sqrt(...)) is exponential
            e = sp.Pow(b, p, evaluate=False)
            self.lazy.add(e)
            return e, f
        return self.make(sp.Pow, b, p), f

    def make(self, cls, *args):
        if self._lazy(*args):
            e = cls(*args, evaluate=False)
            self.lazy.add(e)
            return e
        return cls(*args)

    def neg(self, e):
        return self.make(sp.Mul, sp.S.NegativeOne, e) if self._lazy(e) else -e

    def arithmetic(self, op, a, fa, b, fb):
        numeric = fa is not None and fb is not None
        if isinstance(op, ast.Add):
            e = self.make(sp.Add, a, b)
            return e, (_add(fa, fb, e) if numeric else None)
        if isinstance(op, ast.Sub):
            e = self.make(sp.Add, a, self.neg(b))
            return e, (_add(fa, -fb, e) if numeric else None)
        if isinstance(op, ast.Mult):
            return self.make(sp.Mul, a, b), (_finite(fa * fb) if numeric else None)
        if b is sp.S.Zero or (fb is not None and fb == 0):
            raise AnswerError("division by zero")
        return self.make(sp.Mul, a, self.make(sp.Pow, b, sp.S.NegativeOne)), (_finite(fa / fb) if numeric else None)

    def call(self, node: ast.Call):
        fn = syntax.call_name(node, self.symbols)
        make, value = FUNCTIONS[fn]
        a, fa = self.build(node.args[0])
        if fn == "sqrt":
            if fa is not None and fa < 0:
                raise AnswerError("square root of a negative number")
            return self.power(a, fa, sp.S.Half)  # sqrt(4) -> 2, sqrt(8) -> 2*sqrt(2)
        f = None if fa is None else _finite(value(fa))
        e = make(a, evaluate=False)  # see _lazy
        self.lazy.add(e)
        return e, f


def check_powers(expr: sp.Expr) -> None:
    """SymPy merges (x**60)**2 into x**120: keep every power's exponent within the cap."""
    for sub in sp.preorder_traversal(expr):
        if sub.is_Pow and sub.exp.is_Number and abs(sub.exp) > MAX_EXPONENT:
            raise AnswerError(f"exponent too large (at most {MAX_EXPONENT})")
