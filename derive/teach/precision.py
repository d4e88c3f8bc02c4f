"""The precision policy: how much an answer says, and what that is worth.

The sheet's precision is the standard (its ``decimals``, or ``--sigfigs`` significant
figures). An answer's precision is read from the text as typed: ``0.3760`` states four
places and three significant figures, ``0.0`` states one place and no significant figure.

- An answer equal to the exact key is exact, whatever its length (``-0.8`` for -0.8), and
  it is carried into follow-through with no rounding spread.
- An answer that meets the standard is judged at the sheet's precision.
- One with fewer places is judged by what it still says, at its own last place: with at
  least three significant figures it earns full credit with a remark (0.593 for 0.5929);
  with two it earns ``imprecise_credit``; with one or none it earns nothing, whatever it
  rounds to (0.0 for -0.0120, 0.4 for 0.376).

Fractions and arithmetic (``3/8``, ``0.5*(1-0.64)``) state no places: they are judged at the
sheet's precision.

>>> sigfigs(0.0120, 4), sigfigs(0.0, 1), sigfigs(0.593, 3), sigfigs(120.0, 0)
(3, 0, 3, 3)
>>> g = grade(Stated(0.593, 3, exact=False), Standard(4), imprecise_credit=0.5)
>>> g.factor, g.remark
(1.0, 'given to 3 decimal places; the sheet asks for 4')
>>> grade(Stated(0.59, 2, exact=False), Standard(4), 0.5).factor
0.5
>>> grade(Stated(0.0, 1, exact=False), Standard(4), 0.5).factor
0.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from derive.teach.agreement import half_unit

#: Significant figures an answer with fewer places than the sheet needs for full credit.
FULL_SIGFIGS = 3
#: ... and for partial credit (``imprecise_credit``).
SOME_SIGFIGS = 2


def sigfigs(value: float, places: int) -> int:
    """Significant figures stated by a number written with ``places`` decimals (trailing
    zeros count; leading zeros do not; 0 states none)."""
    if value == 0:
        return 0
    return max(0, places + math.floor(math.log10(abs(value))) + 1)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class Stated:
    """What an answer says about its own precision."""

    value: float
    places: int | None  # decimal places typed (None: a fraction, arithmetic or formula)
    exact: bool  # carried with no rounding: equal to the exact key, or an exact fraction

    @property
    def sigfigs(self) -> int | None:
        return None if self.places is None else sigfigs(self.value, self.places)


def whole_claim(places: int | None, key) -> bool:
    """Whether an answer written as a whole number (``-8``) claims an exact value: when the
    exact key is a whole number too (an expression graph worked in whole numbers, a derivative
    of 1). Such an answer is judged and carried as exact, so a wrong ``-8`` is wrong by 1, not
    "too rough to earn anything", and later steps can follow through from it.

    >>> import sympy as sp
    >>> whole_claim(0, sp.Integer(-12)), whole_claim(0, sp.Rational(1, 2)), whole_claim(1, sp.Integer(3))
    (True, False, False)
    """
    return places == 0 and bool(getattr(key, "is_Integer", False))


@dataclass(frozen=True)
class Standard:
    """The sheet's precision: ``decimals`` places, or ``figures`` significant figures."""

    decimals: int
    figures: int | None = None
    own_places: bool = False  # judge each number at its own places (a source's printed numbers)

    def met_by(self, s: Stated) -> bool:
        if s.exact or s.places is None or self.own_places:
            return True
        if self.figures:
            return (s.sigfigs or 0) >= self.figures
        return s.places >= self.decimals

    def tolerance(self, s: Stated, key: float) -> float:
        """How far from the key (or from the value the student's own work gives) an answer
        may be and still agree: half a unit in the last place judged."""
        if self.own_places and s.places is not None:
            return half_unit(s.places)
        if self.figures:
            stated = s.sigfigs if s.sigfigs is not None else self.figures
            figures = min(stated, self.figures)
            return 0.5 * 10.0 ** (math.floor(math.log10(abs(key) or 1.0)) - figures + 1)
        places = self.decimals if s.places is None else min(s.places, self.decimals)
        return half_unit(places)

    def describe(self) -> str:
        if self.figures:
            return plural(self.figures, "significant figure")
        return plural(self.decimals, "decimal place")


@dataclass(frozen=True)
class Grade:
    factor: float  # fraction of the step's credit the precision allows
    remark: str | None


def grade(s: Stated, standard: Standard, imprecise_credit: float) -> Grade:
    """What the answer's stated precision is worth (whatever it agrees with)."""
    if standard.met_by(s):
        return Grade(1.0, None)
    places = s.places if s.places is not None else standard.decimals
    figures = s.sigfigs or 0
    given = f"given to {plural(places, 'decimal place')}"
    if standard.figures:
        given = f"given to {plural(figures, 'significant figure')}"
    asks = f"the sheet asks for {standard.figures or standard.decimals}"
    if figures >= FULL_SIGFIGS:
        return Grade(1.0, f"{given}; {asks}")
    asks = f"the sheet asks for {standard.describe()}"
    if figures >= SOME_SIGFIGS:
        return Grade(imprecise_credit, f"only {_WORDS[figures]} significant figures; {asks}")
    if figures == 1:
        return Grade(0.0, f"only one significant figure, too little to show the working; {asks}")
    return Grade(0.0, f"shows no significant figure; {asks}")


_WORDS = {2: "two"}


def spread(s: Stated, standard: Standard) -> float:
    """How far the true value behind an answer may lie from it, as carried into the steps
    that use it (follow-through): none for an exact answer."""
    if s.exact:
        return 0.0
    return half_unit(standard.decimals if s.places is None else s.places)
