"""The one whitelist of formula syntax: what a student's answer and an expression spec's
``define`` line may contain.

Text is given to :func:`ast.parse` (which only parses, never runs) and the tree is read
against this whitelist: number literals (read by the one reader,
:func:`derive.model.numbers.scan_number`), known names, ``+ - * / **`` (the exponent a
plain whole or fractional number of at most :data:`MAX_EXPONENT`), unary minus and plus,
and calls of :data:`CALLS` with one argument. Length, nesting and size are capped. Both
readers build on these checks: :mod:`derive.teach.formula` builds a SymPy expression of an
answer, and :func:`to_tree` turns a ``define`` line into a small tree of plain tuples that
the step-graph builder and the independent float evaluator each read in their own way:

    tree := ("num", Number) | ("name", str) | ("neg", tree) | (op, tree, tree)
          | ("**", tree, Rational) | ("call", function, tree)        op in + - * /

>>> to_tree("x*(y + 1)", {"x", "y"})
('*', ('name', 'x'), ('+', ('name', 'y'), ('num', Number(value=1, places=0, text='1'))))
>>> to_tree("σ(x)**2 / ln(y)", {"x", "y"})[0:2]
('/', ('**', ('call', 'sigma', ('name', 'x')), 2))
>>> to_tree("x.y", {"x"})
Traceback (most recent call last):
    ...
derive.model.syntax.FormulaError: attribute access ('.') is not allowed
"""

from __future__ import annotations

import ast
import warnings
from typing import Collection

import sympy as sp

from derive.model.numbers import Number, NumberError, scan_number

MAX_LENGTH = 200  # characters of the stripped text
MAX_DEPTH = 30  # levels of the expression tree
MAX_NODES = 200  # expression nodes in the tree
MAX_EXPONENT = 100  # |exponent| of a power
MAX_DIGITS = 30  # significant digits of a number literal (|e| in 1.5e-3: model.numbers.MAX_EXP10)
MAX_BITS = 20_000  # size of an exact rational built by a power

#: The functions a formula may call, each with one argument (``ln`` is ``log``, the natural one).
CALLS = ("exp", "log", "ln", "sqrt", "sigma", "tanh", "softplus", "relu")
#: Other spellings of operators and functions, read as the one on the right.
SPELLINGS: dict[str, str | int | None] = {
    "×": "*",
    "·": "*",
    "⋅": "*",
    "∗": "*",
    "÷": "/",
    "∕": "/",
    "−": "-",
    "–": "-",
    "—": "-",
    "σ": "sigma",
}
BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}

NOT_ALLOWED = {  # how to name what is not allowed
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


class FormulaError(ValueError):
    """Text that is not an allowed number or formula; ``str(e)`` is a short one-line reason."""


def not_allowed(node: ast.AST) -> FormulaError:
    what = NOT_ALLOWED.get(type(node).__name__, f"'{type(node).__name__}'")
    return FormulaError(f"{what} is not allowed")


def read_literal(literal: str) -> Number | None:
    """A number literal (the one reader, with the caps on formulas), None when it is not one."""
    try:
        return scan_number(literal, max_digits=MAX_DIGITS, max_length=MAX_LENGTH)
    except NumberError as e:
        raise FormulaError(str(e)) from None


def parse(source: str) -> ast.Expression:
    """The syntax tree of ``source`` within the caps (nothing is run)."""
    if len(source) > 2 * MAX_LENGTH:
        raise FormulaError(f"too long (at most {MAX_LENGTH} characters)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source, mode="eval")  # parses only; nothing is run
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError, Warning):
        raise FormulaError("not a number or formula") from None
    check_size(tree)
    return tree


def check_size(tree: ast.Expression) -> None:
    """At most MAX_NODES expression nodes, at most MAX_DEPTH deep (iteratively: no recursion)."""
    count = 0
    stack = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise FormulaError(f"too deeply nested (at most {MAX_DEPTH} levels)")
        if count > MAX_NODES:
            raise FormulaError(f"formula too long (at most {MAX_NODES} parts)")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr))


def literal(node: ast.Constant, source: bytes) -> Number:
    """A number constant as written in ``source`` (UTF-8: ast offsets count bytes)."""
    v = node.value
    if isinstance(v, bool) or v is None or v is Ellipsis:
        raise FormulaError(f"'{v}' is not allowed")
    if isinstance(v, complex):
        raise FormulaError("imaginary numbers are not allowed")
    if not isinstance(v, (int, float)):
        raise FormulaError("a string is not allowed")
    text = source[node.col_offset : node.end_col_offset].decode("utf-8", "replace")
    n = read_literal(text)
    if n is None:
        raise FormulaError(f"number '{text[:20]}' is not allowed; write decimals like 0.5")
    return n


def exponent(node: ast.expr, source: bytes) -> sp.Rational:
    """The exponent of a power: a plain number, optionally signed, within the cap."""
    negative = False
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        negative = isinstance(node.op, ast.USub)
        node = node.operand
    if not isinstance(node, ast.Constant):
        raise FormulaError("the exponent must be a plain number, e.g. x**2")
    e = literal(node, source).value
    if abs(e) > MAX_EXPONENT:
        raise FormulaError(f"exponent too large (at most {MAX_EXPONENT})")
    return -e if negative else e


def call_name(node: ast.Call, symbols: Collection[str]) -> str:
    """The function a call names, once the call is one the whitelist allows."""
    func = node.func
    if not isinstance(func, ast.Name):
        if type(func).__name__ in NOT_ALLOWED:  # x.y(...), x[0](...), (lambda: 1)(...)
            raise not_allowed(func)
        raise FormulaError(f"only {', '.join(CALLS)} can be called; write * to multiply")
    if func.id not in CALLS:
        if func.id in symbols:
            raise FormulaError(f"'{func.id}' is not a function; write * to multiply")
        raise FormulaError(f"function '{func.id[:30]}' is not allowed")
    if node.keywords:
        raise FormulaError("keyword arguments are not allowed")
    if len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
        raise FormulaError(f"function '{func.id}' takes exactly one argument")
    return func.id


def name(node: ast.Name, symbols: Collection[str]) -> str:
    """A name the formula may read: one of ``symbols`` (a function needs its parentheses)."""
    if node.id in symbols:
        return node.id
    if node.id in CALLS:
        raise FormulaError(f"function '{node.id}' needs its argument in parentheses, e.g. {node.id}(1)")
    raise FormulaError(f"unknown name '{node.id[:30]}'")


def spelled(text: str) -> str:
    """``text`` with the other spellings of :data:`SPELLINGS` replaced (σ is sigma)."""
    return text.translate(str.maketrans(SPELLINGS))


def to_tree(text: str, symbols: Collection[str]) -> tuple:
    """The tree of the formula ``text`` in the names ``symbols`` (see the module's grammar);
    a :class:`FormulaError` for anything the whitelist does not allow."""
    text = spelled(text).strip()
    if not text:
        raise FormulaError("missing")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"too long (at most {MAX_LENGTH} characters)")
    source = text.encode("utf-8")
    root = parse(text).body
    todo: list = [root]
    done: dict[int, tuple] = {}
    while todo:  # iteratively, children first (no recursion on user input)
        node = todo[-1]
        kids = _children(node, symbols)
        waiting = [k for k in kids if id(k) not in done]
        if waiting:
            todo.extend(waiting)
            continue
        todo.pop()
        done[id(node)] = _tree_node(node, [done[id(k)] for k in kids], symbols, source)
    return done[id(root)]


def _children(node: ast.AST, symbols) -> list:
    if isinstance(node, (ast.Constant, ast.Name)):
        return []
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise not_allowed(node.op)
        return [node.operand]
    if isinstance(node, ast.BinOp):
        if not isinstance(node.op, BINOPS):
            raise not_allowed(node.op)
        return [node.left] if isinstance(node.op, ast.Pow) else [node.left, node.right]
    if isinstance(node, ast.Call):
        call_name(node, symbols)
        return [node.args[0]]
    raise not_allowed(node)


def _tree_node(node: ast.AST, kids: list, symbols, source: bytes) -> tuple:
    if isinstance(node, ast.Constant):
        return ("num", literal(node, source))
    if isinstance(node, ast.Name):
        return ("name", name(node, symbols))
    if isinstance(node, ast.UnaryOp):
        return ("neg", kids[0]) if isinstance(node.op, ast.USub) else kids[0]
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow):
            return ("**", kids[0], exponent(node.right, source))
        return (_OPS[type(node.op)], kids[0], kids[1])
    assert isinstance(node, ast.Call)  # (_children refused every other node)
    fn = call_name(node, symbols)
    return ("call", "log" if fn == "ln" else fn, kids[0])
