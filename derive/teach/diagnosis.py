"""Why an answer is off: rounding slips and named misconceptions.

Every entry of the catalogue (:mod:`derive.teach.misconceptions`) rewrites a step's
formula as a student with that slip or misconception would compute it. A rewrite explains
an answer when, evaluated on the key's values or on the student's own earlier answers, it
gives the answer at the answer's precision. A misconception may also be followed by a
truncation (σ(−x), then cut off instead of rounded): two slips in one value.

A misconception is named only when exactly one explains the answer; when several do, they
are listed as possibilities and none is asserted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp

from derive.teach.agreement import within
from derive.teach.compiled import Compiled, call, trunc_float
from derive.teach.misconceptions import BY_NAME, CATALOGUE, Misconception

#: How far (relative, and absolute near zero) a rewrite's float value may sit from the
#: answer's and still reproduce it: the noise of evaluating a rewrite in floats.
NOISE = 1e-9
TRUNCATED = BY_NAME["truncated"]  # detected here, on the step's value: see Diagnoser.slip
ROUNDING = [m for m in CATALOGUE if m.slip and m is not TRUNCATED]
MISCONCEPTIONS = [m for m in CATALOGUE if not m.slip and m.graphs == "network"]
#: An expression graph's (:mod:`derive.teach.expression_mistakes`): the network's read
#: layers, losses and updates it does not have.
EXPRESSION_MISCONCEPTIONS = [m for m in CATALOGUE if not m.slip and m.graphs == "expression"]


@dataclass
class Explanation:
    """What reproduces an answer: from the key's values (``own`` False) or the student's."""

    found: list[Misconception] = field(default_factory=list)  # distinct, in catalogue order
    own: dict[str, bool] = field(default_factory=dict)  # name -> only the student's values explain it
    truncated: dict[str, bool] = field(default_factory=dict)  # name -> and then cut off

    def add(self, m: Misconception, own: bool, truncated: bool) -> None:
        if m.name in self.own:  # the key's values and no truncation are the simpler story
            self.own[m.name] = self.own[m.name] and own
            self.truncated[m.name] = self.truncated[m.name] and truncated
            return
        self.found.append(m)
        self.own[m.name], self.truncated[m.name] = own, truncated


class Diagnoser:
    """Evaluates the catalogue's rewrites of one spec's steps (compiled once)."""

    def __init__(self, compiled: Compiled, decimals: int) -> None:
        self.compiled, self.decimals = compiled, decimals

    def table(self, entries, g, st, places) -> tuple[list, Callable | None, list]:
        """Every rewrite of one step by ``entries``: (the entry of each, one compiled function
        giving all their values at once, and the rewrites themselves). Made once per step,
        entries and places."""
        k = ("table", tuple(m.name for m in entries), st.id, places)
        if k not in self.compiled.cache:
            owners, forms = [], []
            for m in entries:
                alts = m.alternatives(g, st, places, self.decimals)
                owners += [m] * len(alts)
                forms += alts
            together = self.compiled.fn(k + ("all",), lambda: sp.Tuple(*forms)) if forms else None
            self.compiled.cache[k] = (owners, together, [(k, i, a) for i, a in enumerate(forms)])
        return self.compiled.cache[k]

    def explain(self, entries, g, st, v: float, tol: float, places, envs) -> Explanation:
        """Which of ``entries`` reproduce ``v`` on any of ``envs`` ((own, values, spread)
        triples: spread is how far the values' own rounding can move the result); a
        misconception may also be followed by a truncation to the answer's places."""
        out = Explanation()
        owners, together, forms = self.table(entries, g, st, places)
        if together is None:
            return out
        for own, env, spread in envs:
            values: list[float | None]
            try:
                values = [float(a) for a in together(env)]
            except (ArithmeticError, ValueError, KeyError, TypeError):  # one of them fails here
                values = [call(self.single(*form), env) for form in forms]
            for m, a in zip(owners, values, strict=True):
                if a is None or not math.isfinite(a):
                    continue
                if within(v, a, tol + spread + NOISE * (1 + abs(a))):
                    out.add(m, own, False)
                elif places and cut_off(v, a, spread, places):
                    out.add(m, own, True)
        return out

    def single(self, table: tuple, i: int, form):
        """Rewrite ``i`` of a table compiled alone (when the table cannot be evaluated as a
        whole)."""
        return self.compiled.fn(table + ("single", i), lambda: form)

    def slip(self, g, st, v, tol, places, envs) -> Explanation:
        """Truncated (the step's value, or the student's own, cut off rather than rounded)
        or rounded too early."""
        out = Explanation()
        if places:
            f = self.compiled.fn(("step", st.id), lambda: st.formula)
            for own, env, spread in envs:
                a = call(f, env)
                if a is not None and cut_off(v, a, spread, places):
                    out.add(TRUNCATED, own, False)
        early = self.explain(ROUNDING, g, st, v, tol, places, envs)
        for m in early.found:
            out.add(m, early.own[m.name], False)
        return out

    def misconception(self, g, st, v, tol, places, envs) -> Explanation:
        expression = g.spec.kind == "expression"
        return self.explain(EXPRESSION_MISCONCEPTIONS if expression else MISCONCEPTIONS, g, st, v, tol, places, envs)


def cut_off(v: float, a: float, spread: float, places: int) -> bool:
    """``v`` is what cutting off ``a`` (give or take ``spread``) after ``places`` decimals
    gives, and not what rounding it gives."""
    if places > 15:
        return False
    lo, hi = trunc_float(a - spread, places), trunc_float(a + spread, places)
    eps = NOISE * (1 + abs(a))
    return lo - eps <= v <= hi + eps and not within(v, a, 0.5 * 10.0**-places + spread)
