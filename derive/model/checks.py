"""Checking single values and mappings of a parsed YAML document, with one-line messages.

:class:`FieldChecker` knows the declaration's rules (:mod:`derive.model.fields`): the keys a
mapping allows and requires, defaults for absent or empty entries, numbers (read by the one
reader, :mod:`derive.model.numbers`, so they keep how they were written), whole numbers,
words from a list, text, true/false and plain names. Every failure is a :class:`SpecError`
naming the file, the field and what is wrong; the spec's own walk
(:mod:`derive.model.validate`) builds on it.

>>> c = FieldChecker("x.yaml")
>>> c.number("-0.1360", "published.values.delta_o1").places
4
>>> c.integer(2.5, "steps", 1, 10)
Traceback (most recent call last):
    ...
derive.model.load.SpecError: x.yaml: steps: expected a whole number, got 2.5
"""

from __future__ import annotations

import math
import re
from typing import NoReturn

import sympy as sp

from derive.model.fields import Flag, Name, OneOf, Real, Section, Text, Whole
from derive.model.limits import NUMBER_MAX
from derive.model.load import SpecError
from derive.model.names import MAX_NAME, NAME_RE, reserved
from derive.model.numbers import Number, NumberError, read_number, scan_number

__all__ = ["FieldChecker", "count", "join", "kind", "show", "whole"]

_WHOLE_TEXT = re.compile(r"[-+]?[0-9]+\Z")


class FieldChecker:
    """Checks values of one document (``source`` names it in messages); each method checks
    one value and names its field (``where``) on failure."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, what: str) -> NoReturn:
        raise SpecError(self.source, where, what)

    # ---- mappings, by the declaration
    def keys(self, v, where, required=(), optional=()) -> dict:
        problems = self.key_problems(v, where, required, optional)
        if problems:
            raise problems[0]
        return v

    def key_problems(self, v, where, required=(), optional=()) -> list[SpecError]:
        """Every problem with the keys of mapping ``v`` (not a mapping, a key that is not
        text; then each unknown key and each missing one), in that order."""
        if not isinstance(v, dict):
            return [SpecError(self.source, where or "top level", f"expected a mapping, got {kind(v)}")]
        for k in v:
            if not isinstance(k, str):
                return [SpecError(self.source, where or "top level", f"keys must be text, got {show(k)}")]
        allowed = ", ".join(list(required) + list(optional))
        unknown = [k for k in v if k not in required and k not in optional]
        out = [SpecError(self.source, join(where, k), f"unknown key (allowed: {allowed})") for k in unknown]
        return out + [SpecError(self.source, join(where, k), "missing") for k in required if k not in v]

    def section(self, v, where, decl: Section, one_of: bool = True) -> dict:
        v = self.keys(v, where, decl.required, [k for k in decl.allowed if k not in decl.required])
        if one_of:
            self.one_of(v, where, decl)
        return v

    def one_of(self, v: dict, where, decl: Section):
        for group in decl.one_of:
            if sum(k in v for k in group) != 1:
                self.fail(join(where, group[0]), "give exactly one of " + " or ".join(f"{k}:" for k in group))

    def field(self, d: dict, key: str, decl: Section, where: str = ""):
        """The checked value of a declared field of ``d``, or its default."""
        f = decl[key]
        raw = d.get(key)
        if raw is None and not f.required:
            return f.default
        at, rule = join(where, key), f.rule
        if isinstance(rule, Real):
            n = self.number(raw, at)
            if not rule.contains(n.value):
                self.fail(at, f"{rule.requirement(key)}, got {n.text}")
            return n
        if isinstance(rule, Whole):
            return self.integer(raw, at, rule.low, rule.high)
        if isinstance(rule, OneOf):
            return self.choice(raw, at, rule.options)
        if isinstance(rule, Text):
            return self.text(raw, at, rule.limit)
        if isinstance(rule, Flag):
            if not isinstance(raw, bool):
                self.fail(at, f"expected true or false, got {show(raw)}")
            return raw
        if isinstance(rule, Name):
            return self.name(raw, at)
        if isinstance(rule, Section):
            return self.section(raw, at, rule)
        return raw  # Shaped and ListOf: checked by their own methods, which know the shapes

    # ---- single values
    def number(self, v, where) -> Number:
        n = self._number(v, where)
        if abs(n.value) > NUMBER_MAX:
            self.fail(where, f"{show(n)} is beyond float64 (at most {NUMBER_MAX:.4g} in magnitude)")
        return n

    def _number(self, v, where) -> Number:
        if isinstance(v, Number):
            return v
        if isinstance(v, bool) or v is None:
            self.fail(where, f"expected a number, got {kind(v)}")
        if isinstance(v, int):
            return Number(sp.Integer(v), 0, str(v))
        if isinstance(v, float):
            if not math.isfinite(v):
                self.fail(where, f"expected a finite number, got {v}")
            return read_number(repr(v))  # repr: the shortest decimal that round-trips
        if isinstance(v, str):
            # "3/8" and "1e-3" (which YAML 1.1 reads as text, not as a number), or a quoted "-0.1360"
            try:
                n = scan_number(v)
            except NumberError:
                n = None
            if n is not None:
                return n
            parts = v.split()
            if len(parts) > 1 and all(_is_number(p) for p in parts):  # [0.1 0.2]: a comma left out
                self.fail(where, f"read {show(v)} as one value: a comma is missing (write {', '.join(parts)})")
            self.fail(where, f"expected a number, got {show(v)}")
        self.fail(where, f"expected a number, got {kind(v)}")

    def integer(self, v, where, low: int, high: int) -> int:
        n = whole(v)
        if n is None:
            self.fail(where, f"expected a whole number, got {show(v)}")
        if not low <= n <= high:
            self.fail(where, f"expected a whole number from {low} to {high}, got {show(v)}")
        return n

    def choice(self, v, where, options):
        if not isinstance(v, str) or v not in options:
            self.fail(where, f"expected one of {', '.join(options)}, got {show(v)}")
        return v

    def text(self, v, where, limit=20000) -> str:
        if v is None:
            return ""
        if isinstance(v, (Number, int, float)) and not isinstance(v, bool):
            v = str(v)
        if not isinstance(v, str):
            self.fail(where, f"expected text, got {kind(v)}")
        if len(v) > limit:
            self.fail(where, f"longer than {limit} characters")
        return v

    def name(self, v, where) -> str:
        if not isinstance(v, str) or not NAME_RE.match(v):
            self.fail(where, f"{show(v)} is not a plain name (a letter, then letters, digits or _)")
        if len(v) > MAX_NAME:
            self.fail(where, f"{show(v)} is longer than {MAX_NAME} characters")
        why = reserved(v)
        if why:
            self.fail(where, f"{v!r} is {why}")
        return v

    def vector(self, v, where, n=None) -> list[Number]:
        if not isinstance(v, list):
            self.fail(where, f"expected a list of numbers, got {kind(v)}")
        if n is not None and len(v) != n:
            self.fail(where, f"expected {count(n, 'number')}, got {len(v)}")
        return [self.number(x, f"{where}[{i}]") for i, x in enumerate(v)]


def whole(v) -> int | None:
    """The whole number ``v`` states when it is written as one (``2``, not ``2.0``), else None."""
    if isinstance(v, Number):
        return int(v.value) if _WHOLE_TEXT.match(v.text) else None
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    return None


def comma_hint(rows: list) -> str:
    """Why a matrix has too few numbers in a row, when a comma was left out (``[0.1 0.2]`` is
    one value to YAML): ``"; row 1 read '0.1 0.2' as one value: a comma is missing"``, else ""."""
    for j, row in enumerate(rows):
        for v in row if isinstance(row, list) else ():
            if isinstance(v, str) and len(v.split()) > 1 and all(_is_number(p) for p in v.split()):
                return f"; row {j + 1} read {show(v)} as one value: a comma is missing (write {', '.join(v.split())})"
    return ""


def _is_number(text: str) -> bool:
    try:
        return scan_number(text) is not None
    except NumberError:
        return False


def join(where: str, key) -> str:
    return f"{where}.{key}" if where else str(key)


def count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _short(s: str, limit: int = 80) -> str:
    return s if len(s) <= limit else s[: limit - 3] + "..."


def show(v) -> str:
    """A user value for a message: a number as written, text quoted, cut short; else its kind."""
    if isinstance(v, Number):
        return _short(v.text)
    if isinstance(v, (str, int, float)) and not isinstance(v, bool):
        return _short(repr(v))
    return kind(v)


def kind(v) -> str:
    if v is None:
        return "nothing"
    if isinstance(v, Number):
        return "a whole number" if whole(v) is not None else "a number"
    return {
        bool: "true/false",
        int: "a whole number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a mapping",
    }.get(type(v), type(v).__name__)
