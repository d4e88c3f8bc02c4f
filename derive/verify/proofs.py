"""Proofs of the derivative identities: every line of a derivation equal to the one before.

>>> from derive.graph.derivations import DERIVATIONS, x
>>> from derive.graph.functions import sigma
>>> all(prove(DERIVATIONS["sigmoid"]))
True
>>> equal(sp.Derivative(sigma(x), x), sp.exp(x) / (1 + sp.exp(x)))   # the essay's first line
False
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from derive.graph.derivations import Derivation
from derive.graph.functions import FUNCTIONS, sigma  # noqa: F401 (the doctests use sigma)


class DerivationError(ValueError):
    """A line of a derivation is not proven equal to the line before it."""


def _elementary(e):
    """Replace the project's own functions by their definitions, so that a proof never
    relies on their derivative rules (``fdiff``): those rules are what we are proving.
    Each function declares its own definition (``elementary``)."""
    for f in FUNCTIONS:
        e = e.replace(f, f.elementary)
    return e


def _exp_as_symbols(e):
    """e^{u} -> a positive symbol t (and e^{-u} -> 1/t), which makes sums of exponentials rational."""
    ts, repl = {}, {}
    for f in sorted(e.atoms(sp.exp), key=sp.default_sort_key):
        arg = f.args[0]
        if -arg in ts:
            repl[f] = 1 / ts[-arg]
        else:
            repl[f] = ts[arg] = sp.Dummy("t", positive=True)
    return e.xreplace(repl)


def _is_zero(e) -> bool:
    if e == 0:
        return True
    attempts = (
        sp.simplify,
        lambda v: sp.simplify(sp.expand(v)),
        lambda v: sp.cancel(sp.together(sp.expand(v))),
        lambda v: sp.cancel(sp.together(_exp_as_symbols(sp.expand(v)))),
        lambda v: sp.simplify(sp.piecewise_fold(v)),
    )
    for attempt in attempts:
        if attempt(e) == 0:
            return True
    return False


def _prepare(e, subs):
    e = _elementary(sp.sympify(e))
    e = e.rewrite(sp.exp).doit() if e.has(sp.tanh) else e.doit()
    return e.subs(dict(subs)) if subs else e


def equal(a, b, cases=((),), given=()) -> bool:
    """True when SymPy shows ``a - b`` simplifies to 0 (entry by entry for matrices) in
    every case; ``given`` substitutions are applied first (facts that hold for the step).

    >>> x = sp.Symbol("x", real=True)
    >>> equal(sp.Derivative(sigma(x), x), sigma(x) * (1 - sigma(x)))
    True
    >>> equal(sp.Derivative(sigma(x), x), sp.exp(x) / (1 + sp.exp(x)))
    False
    """
    for case in cases:
        subs = tuple(given) + tuple(case)
        try:
            pa, pb = _prepare(a, subs), _prepare(b, subs)
            if isinstance(pa, sp.MatrixBase) != isinstance(pb, sp.MatrixBase):
                return False
            if isinstance(pa, sp.MatrixBase):
                if pa.shape != pb.shape:
                    return False
                ok = all(_is_zero(u - v) for u, v in zip(pa, pb))
            else:
                ok = _is_zero(pa - pb)
        except (TypeError, ValueError, AttributeError, NotImplementedError, sp.ShapeError):
            ok = False
        if not ok:
            return False
    return True


def prove(derivation: Derivation, *, cached: bool = True) -> list[bool]:
    """For each line, whether it is proven equal to the line before it (line 0, the
    left-hand side, is where the derivation starts and counts as proven). Proofs take
    a fraction of a second each, so they are remembered unless ``cached=False``."""
    return list(_proof(derivation) if cached else _proof.__wrapped__(derivation))


@lru_cache(maxsize=None)
def _proof(d: Derivation) -> tuple[bool, ...]:
    return (True,) + tuple(
        equal(d.lines[i - 1].expr, d.lines[i].expr, d.cases, d.lines[i].given) for i in range(1, len(d.lines))
    )


def check(derivation: Derivation) -> Derivation:
    """Raise :class:`DerivationError` naming the first line that is not proven."""
    for i, ok in enumerate(prove(derivation)):
        if not ok:
            line = derivation.lines[i]
            raise DerivationError(
                f"derivation {derivation.name!r}, line {i} ({line.tex}"
                + (f", by {line.why}" if line.why else "")
                + f") is not equal to line {i - 1} ({derivation.lines[i - 1].tex})"
            )
    return derivation
