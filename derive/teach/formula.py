"""A student's formula or arithmetic, from a whitelisted syntax tree to a SymPy expression.

:func:`derive.teach.answers.parse_answer` gives text that is not a plain number to
:func:`ast.parse` (which only parses, never runs), and :class:`Builder` builds the SymPy
expression node by node from a whitelist of node types, operators, functions (exp,
log/ln, sqrt, sigma, tanh, softplus) and the spec's symbol names, computing every numeric
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

from derive.graph.functions import sigma, softplus
from derive.graph.functions.sigmoid import stable_sigmoid
from derive.graph.functions.softplus import softplus_of
from derive.model.numbers import Number, NumberError, scan_number

MAX_LENGTH = 200  # characters of the stripped text
MAX_DEPTH = 30  # levels of the expression tree
MAX_NODES = 200  # expression nodes in the tree
MAX_EXPONENT = 100  # |exponent| of a power
MAX_DIGITS = 30  # significant digits of a number literal (|e| in 1.5e-3: model.numbers.MAX_EXP10)
MAX_BITS = 20_000  # size of an exact rational built by a power


class AnswerError(ValueError):
    """An answer that cannot be read; ``str(e)`` is a short one-line reason for the student."""


def read_literal(literal: str) -> Number | None:
    """A number literal (the one reader, with the caps on answers), None when it is not one."""
    try:
        return scan_number(literal, max_digits=MAX_DIGITS, max_length=MAX_LENGTH)
    except NumberError as e:
        raise AnswerError(str(e)) from None


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


# name -> (SymPy function, its value on an mpf, checking the domain)
FUNCTIONS: dict[str, tuple[Callable, Callable]] = {
    "exp": (sp.exp, _exp),
    "log": (sp.log, _log),
    "ln": (sp.log, _log),
    "sqrt": (sp.sqrt, _sqrt),
    "sigma": (sigma, _sigma),
    "tanh": (sp.tanh, _MP.tanh),
    "softplus": (softplus, _softplus),
}
_BY_CLASS = {sp.exp: _exp, sp.log: _log, sigma: _sigma, sp.tanh: _MP.tanh, softplus: _softplus}


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


# ---------------------------------------------------------------- the whitelist

_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)

_NOT_ALLOWED = {  # how to name what is not allowed
    "Attribute": "attribute access ('.')",
    "Subscript": "indexing ('[ ]')",
    "Slice": "a slice (':')",
    "Lambda": "'lambda'",
    "List": "a list ('[ ]')",
    "Set": "braces ('{ }')",
    "Dict": "braces ('{ }')",
    "Tuple": "a comma (write decimals with a point: 0.5)",
    "ListComp": "a comprehension",
    "SetComp": "a comprehension",
    "DictComp": "a comprehension",
    "GeneratorExp": "a comprehension",
    "Compare": "a comparison",
    "BoolOp": "'and'/'or'",
    "IfExp": "'if ... else'",
    "NamedExpr": "':='",
    "JoinedStr": "a string",
    "FormattedValue": "a string",
    "Await": "'await'",
    "Yield": "'yield'",
    "YieldFrom": "'yield'",
    "Starred": "'*' unpacking",
    "FloorDiv": "'//'",
    "Mod": "'%'",
    "MatMult": "'@'",
    "LShift": "'<<'",
    "RShift": "'>>'",
    "BitOr": "'|'",
    "BitAnd": "'&'",
    "BitXor": "'^'",
    "Invert": "'~'",
    "Not": "'not'",
}


def _not_allowed(node: ast.AST) -> AnswerError:
    what = _NOT_ALLOWED.get(type(node).__name__, f"'{type(node).__name__}'")
    return AnswerError(f"{what} is not allowed")


def check_size(tree: ast.Expression) -> None:
    """At most MAX_NODES expression nodes, at most MAX_DEPTH deep (iteratively: no recursion)."""
    count = 0
    stack = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise AnswerError(f"too deeply nested (at most {MAX_DEPTH} levels)")
        if count > MAX_NODES:
            raise AnswerError(f"formula too long (at most {MAX_NODES} parts)")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr))


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
        v = node.value
        if isinstance(v, bool) or v is None or v is Ellipsis:
            raise AnswerError(f"'{v}' is not allowed")
        if isinstance(v, complex):
            raise AnswerError("imaginary numbers are not allowed")
        if not isinstance(v, (int, float)):
            raise AnswerError("a string is not allowed")
        text = self.source[node.col_offset : node.end_col_offset].decode("utf-8", "replace")
        n = read_literal(text)
        if n is None:
            raise AnswerError(f"number '{text[:20]}' is not allowed; write decimals like 0.5")
        return n.value, _finite(_mp_rational(n.value))

    def exponent(self, node: ast.expr) -> sp.Rational:
        negative = False
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            negative = isinstance(node.op, ast.USub)
            node = node.operand
        if not isinstance(node, ast.Constant):
            raise AnswerError("the exponent must be a plain number, e.g. x**2")
        e, _ = self.literal(node)
        if abs(e) > MAX_EXPONENT:
            raise AnswerError(f"exponent too large (at most {MAX_EXPONENT})")
        return -e if negative else e

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
            if node.id in self.symbols:
                self.symbolic = True
                return self.symbols[node.id], None
            if node.id in FUNCTIONS:
                raise AnswerError(f"function '{node.id}' needs its argument in parentheses, e.g. {node.id}(1)")
            raise AnswerError(f"unknown name '{node.id[:30]}'")
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                e, v = self.build(node.operand)
                return self.neg(e), (None if v is None else -v)
            if isinstance(node.op, ast.UAdd):
                return self.build(node.operand)
            raise _not_allowed(node.op)
        if isinstance(node, ast.BinOp):
            if not isinstance(node.op, _BINOPS):
                raise _not_allowed(node.op)
            if isinstance(node.op, ast.Pow):
                p = self.exponent(node.right)  # checked first: 10**10**10 builds nothing
                b, fb = self.build(node.left)
                return self.power(b, fb, p)
            a, fa = self.build(node.left)
            b, fb = self.build(node.right)
            return self.arithmetic(node.op, a, fa, b, fb)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise _not_allowed(node)

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
        func = node.func
        if not isinstance(func, ast.Name):
            if type(func).__name__ in _NOT_ALLOWED:  # x.y(...), x[0](...), (lambda: 1)(...)
                raise _not_allowed(func)
            raise AnswerError(f"only {', '.join(FUNCTIONS)} can be called; write * to multiply")
        if func.id not in FUNCTIONS:
            if func.id in self.symbols:
                raise AnswerError(f"'{func.id}' is not a function; write * to multiply")
            raise AnswerError(f"function '{func.id[:30]}' is not allowed")
        if node.keywords:
            raise AnswerError("keyword arguments are not allowed")
        if len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise AnswerError(f"function '{func.id}' takes exactly one argument")
        make, value = FUNCTIONS[func.id]
        a, fa = self.build(node.args[0])
        if func.id == "sqrt":
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
