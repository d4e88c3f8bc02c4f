"""Safe parsing of a student's typed answer: a number, a fraction, arithmetic or a formula.

A value may be a plain number (``0.40``), a fraction (``3/8``), arithmetic
(``0.5*(1-0.64)``, ``-(1-0.64)``) or, for formula questions, a symbolic answer in the
spec's own symbol names (``out_o1*(1-out_o1)``). The text is never given to ``eval``,
``sympify`` or ``parse_expr`` (they run Python): a plain number is read with a regular
expression (:func:`derive.model.numbers.scan_number`, the one reader of typed numbers,
which keeps the places as typed: ``0.3760`` states four), anything else with
:func:`ast.parse` (which only parses), and the SymPy
expression is built node by node from a whitelist of node types, operators, functions
(exp, log/ln, sqrt, sigma, tanh) and names. Length, nesting, exponents, digits and the
size of intermediate numbers are capped; anything else is an :class:`AnswerError` whose
message is a short reason for the student.

>>> a = parse_answer("0.3760")
>>> a.value, a.exact, a.places, a.symbolic
(0.376, 47/125, 4, False)
>>> parse_answer("0.5 × (1 − 0.64)").exact
9/50
>>> c = parse_answer("out_h2: 54.40% (rounded)")
>>> c.value, c.places, c.label, c.remark, c.percent
(0.544, 4, 'out_h2', '(rounded)', True)
>>> import sympy as sp
>>> out = sp.Symbol("out_o1")
>>> b = parse_answer("out_o1*(1-out_o1)", {"out_o1": out})
>>> b.symbolic, b.value, sp.expand(b.exact - out * (1 - out))
(True, None, 0)
>>> parse_answer("__import__('os').system('rm -rf /')")
Traceback (most recent call last):
    ...
derive.model.syntax.FormulaError: attribute access ('.') is not allowed
>>> parse_answer("10**10**10")
Traceback (most recent call last):
    ...
derive.model.syntax.FormulaError: the exponent must be a plain number, e.g. x**2
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import sympy as sp

from derive.model.numbers import Number
from derive.model.syntax import parse
from derive.teach.formula import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_DIGITS,
    MAX_EXPONENT,
    MAX_LENGTH,
    MAX_NODES,
    AnswerError,
    Builder,
    check_powers,
    read_literal,
)
from derive.teach.notation import Reading, read_notation

__all__ = [
    "Answer",
    "Submission",
    "AnswerError",
    "is_blank",
    "parse_answer",
    "FUNCTIONS",
    "MAX_LENGTH",
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_EXPONENT",
    "MAX_DIGITS",
]


@dataclass(frozen=True)
class Answer:
    text: str  # as given (stripped)
    value: float | None  # numeric value (None for a symbolic answer with free symbols)
    exact: sp.Expr  # SymPy expression built from the answer (decimals as Rationals)
    number: Number | None  # a plain number or fraction as typed (its places), else None
    symbolic: bool  # True when it contains symbol names
    label: str | None = None  # the name typed before the answer: "w4" in "w4 = 0.1105"
    remark: str | None = None  # words typed after the number, ignored: "units", "(rounded)"
    percent: bool = False  # typed as a percent (54.40%): value and number are the proportion

    @property
    def places(self) -> int | None:
        """Decimal places the answer states: those typed in a plain decimal number
        (``0.3760`` states 4), None for fractions, arithmetic and formulas."""
        return None if self.number is None else self.number.places


@dataclass
class Submission:
    """One student's answers, by step id, and where they came from."""

    student: str
    source: str  # file (and row) it came from
    answers: dict | None  # None when unreadable
    problem: str | None = None  # why it could not be read (answers is None)
    notes: list[str] = field(default_factory=list)  # warnings about how it was read
    extra: dict[str, str] = field(default_factory=dict)  # columns carried through to summary.csv


def is_blank(v) -> bool:
    """True for an answer that was not given: None, "" or only whitespace."""
    return v is None or (isinstance(v, str) and not v.strip())


# ---------------------------------------------------------------- numbers


def _number_answer(text: str, n: Number, reading: Reading) -> Answer:
    """The answer that is the number ``n`` (a percent of it when the reading says so)."""
    if reading.percent:  # 54.40% states 0.5440: two more places
        n = Number.of(n.value / 100, None if n.places is None else n.places + 2)
    try:
        value = float(n)
    except OverflowError:
        raise AnswerError("number too large") from None
    return Answer(text, value, n.value, n, False, reading.label, reading.remark, reading.percent)


def _as_text(given) -> str:
    """The text of an answer: as typed, as read from YAML or JSON (a Number keeps its text),
    or the shortest text of a float or int handed over by a program."""
    if given is None:
        raise AnswerError("missing")
    if isinstance(given, Number):
        return given.text
    if isinstance(given, bool) or not isinstance(given, (str, int, float)):
        raise AnswerError("not a number or formula")
    if isinstance(given, float):
        if not math.isfinite(given):
            raise AnswerError("not a finite number")
        return repr(given)
    if isinstance(given, int):
        if abs(given).bit_length() > 4 * MAX_LENGTH:  # str() of a huge int is slow
            raise AnswerError(f"too long (at most {MAX_LENGTH} characters)")
        return str(given)
    return given


def parse_answer(text, symbols: Mapping[str, sp.Symbol] = {}) -> Answer:
    """Read a typed answer (or an int/float read from YAML) into an :class:`Answer`.

    Raises :class:`AnswerError` with a short reason when it is missing or not an allowed
    number or formula; the text is never executed."""
    text = _as_text(text).strip()
    if not text:
        raise AnswerError("missing")
    if len(text) > MAX_LENGTH:
        raise AnswerError(f"too long (at most {MAX_LENGTH} characters)")

    n = read_literal(text)  # fast path: a plain number or fraction, no ast
    if n is not None:
        return _number_answer(text, n, Reading(text))
    if "\\" in text:
        raise AnswerError("LaTeX and backslashes are not allowed; type e.g. 0.5*(1-0.64)")
    reading = read_notation(text, {*symbols, *FUNCTIONS})
    source = reading.source
    if len(source) > 2 * MAX_LENGTH:
        raise AnswerError(f"too long (at most {MAX_LENGTH} characters)")
    n = read_literal(reading.literal or source)
    if n is not None:
        return _number_answer(text, n, reading)

    tree = parse(source)  # parses only, within the whitelist's caps; nothing is run
    try:
        builder = Builder(source, symbols)
        exact, v = builder.build(tree.body)
        check_powers(exact)
        if exact.has(sp.zoo, sp.oo, -sp.oo, sp.nan, sp.I):
            raise AnswerError("not a real number")
        if v is None:
            value = None
        elif exact.is_Rational:
            value = exact.p / exact.q  # correctly rounded
        else:
            value = float(v)
    except AnswerError:
        raise
    except (RecursionError, MemoryError, OverflowError, ValueError, ZeroDivisionError, TypeError):
        raise AnswerError("not a number or formula") from None
    return Answer(text, value, exact, None, builder.symbolic, reading.label)
