"""Answer sets for holding the browser's marking to the Python checker: built from a
worksheet variant's keys (all right, rounded to fewer places, truncated, each catalogued
misconception the diagnosis finds, follow-through chains, the accepted notations, and a
random mix of all of them with blanks and unreadable text)."""

from __future__ import annotations

import random

import sympy as sp

from derive.graph.compile import compile_formula
from derive.model.numbers import Number, is_short_decimal, round_half_up
from derive.teach import agreement
from derive.teach import marking as marking_module
from derive.teach.diagnosis import EXPRESSION_MISCONCEPTIONS, MISCONCEPTIONS, ROUNDING
from derive.teach.marking import Checker
from derive.teach.misconceptions import on_key
from derive.teach.mistakes_rewrite import trunc
from derive.teach.worksheet import is_expression_graph

MIN_SETS = 50
RANDOM = 15  # sets of randomly mixed answers, at least


def text(value, places: int) -> str:
    """``value`` (exact) rounded half away from zero to ``places``, as typed."""
    return Number.rounded(sp.nsimplify(value) if isinstance(value, float) else value, max(places, 0)).text


def cut(value, places: int) -> str:
    return Number.of(trunc.value_of(sp.sympify(value), places), places).text


def _chain(g, asked, d: int, start: str, factor) -> dict:
    """One early wrong answer (the key times ``factor``) and every later answer computed in
    floats from the student's own rounded answers, rounded to ``d`` places."""
    env = {str(s): float(v) for s, v in g.given.items()} | {s.id: float(s.value) for s in g}
    out = {}
    for st in g:
        if st.id == start:
            v = float(st.value) * factor + 0.01
        elif (
            st.id in out
            or any(dep in out for dep in st.deps)
            or any(env[dep] != float(g[dep].value) for dep in st.deps)
        ):
            try:
                v = float(compile_formula(st.formula)(env))
            except (ArithmeticError, ValueError):
                continue
        else:
            continue
        t = text(sp.Float(v, 30), d)
        env[st.id] = float(t)
        if st.id in asked:
            out[st.id] = t
    return out


def _written_out(g, st):
    """A step's formula with its inputs written out by their own formulas (sigma(net) for
    out, with net's sum in it)."""
    return st.formula.xreplace({g[dep].symbol: g[dep].formula for dep in st.deps})


def _notations(key: dict, g, d: int) -> list[dict]:
    """The right answers written in the notations derive check accepts."""
    styles = [
        lambda sid, v, t: f"= {t}",
        lambda sid, v, t: f"≈ {t}",
        lambda sid, v, t: f"{sid} = {t}",
        lambda sid, v, t: f"{t}.",
        lambda sid, v, t: t.replace(".", ","),
        lambda sid, v, t: t.replace("-", "- ") if t.startswith("-") else f"+{t}",
        lambda sid, v, t: f"{t} (rounded)",
        lambda sid, v, t: f"{text(v * 1000, d - 3)}×10⁻³" if abs(v) < 1 else t,
        lambda sid, v, t: f"{text(v * 1000, d - 3)}*10^-3" if abs(v) < 1 else t,
        lambda sid, v, t: f"{text(v * 100, d - 2)}%" if 0 <= v <= 1 else t,
        lambda sid, v, t: f"{sp.Rational(v).p}/{sp.Rational(v).q}" if g[sid].exact.is_Rational else t,
        lambda sid, v, t: f"2*({text(v / 2, d + 1)})",
        lambda sid, v, t: f"({t} + 1) - 1",
    ]
    return [{sid: style(sid, g[sid].exact, t) for sid, t in key.items()} for style in styles]


def _misconceptions(g, asked, key: dict, d: int) -> list[dict]:
    """All right but one answer: a catalogued misconception's (or rounding slip's) value."""
    catalogue = EXPRESSION_MISCONCEPTIONS if is_expression_graph(g) else MISCONCEPTIONS
    out = []
    for sid in asked:
        for m in catalogue + ROUNDING:
            for v in on_key(m, g, g[sid], d):
                out.append(key | {sid: text(sp.Float(v, 30), d)})
    return out


def answer_sets(g, asked: list[str], d: int, seed: int = 0) -> list[dict]:
    """At least :data:`MIN_SETS` answer sets (step id -> text) for the questions ``asked``."""
    rng = random.Random(seed)
    key = {sid: text(g[sid].value, d) for sid in asked}
    sets = [dict(key)]
    sets += [{sid: text(g[sid].value, p) for sid in asked} for p in range(max(d - 3, 0), d)]
    sets += [{sid: cut(g[sid].value, d) for sid in asked}, {sid: cut(g[sid].value, d - 1) for sid in asked}]
    sets += _notations(key, g, d)
    for sign in (1, -1):  # half a unit off the key, one place more: at the rounding boundary
        half = sign * sp.Rational(5, 10 ** (d + 1))
        at = [sid for sid in asked if is_short_decimal(g[sid].exact) and (g[sid].exact * 10**d).q == 1]
        sets.append({sid: Number.of(g[sid].exact + half, d + 1).text for sid in at})
    mis = _misconceptions(g, asked, key, d)
    sets += mis if len(mis) <= 40 else rng.sample(mis, 40)
    for start in asked[:: max(1, len(asked) // 6)]:
        sets.append(key | _chain(g, set(asked), d, start, rng.choice([1.1, 0.9, -1])))
    kinds = ["right", "round", "cut", "wrong", "blank", "junk", "formula", "written-out", "wrong-formula"]
    mixed = len(sets) + RANDOM
    while len(sets) < max(MIN_SETS, mixed):
        s = {}
        for sid in asked:
            k, v = rng.choice(kinds), g[sid].value
            s[sid] = {
                "right": key[sid],
                "round": text(v, rng.randint(0, d)),
                "cut": cut(v, rng.randint(1, d)),
                "wrong": text(sp.Float(float(v) * rng.uniform(-2, 2), 30), d),
                "blank": "",
                "junk": rng.choice(["abc", "1..2", "0.5 0.6", "__import__('os')", "?", "1/0", "log(-1)"]),
                "formula": str(g[sid].formula),
                "written-out": str(_written_out(g, g[sid])),
                "wrong-formula": str(-g[sid].formula if g[sid].formula.free_symbols else g[sid].formula + 1),
            }[k]
        sets.append(s)
    return sets


def python_marks(checker: Checker, variant: str, sets: list[dict]) -> list[dict]:
    """The Python checker's results of each set, as JSON-like dicts."""
    return [checker.mark(dict(s, variant=variant)).to_dict()["steps"] for s in sets]


def at_boundary(checker_args, variant: str, answers: dict, sid: str) -> bool:
    """Whether the Python verdict of ``sid`` changes when the float epsilon every tolerance
    carries (1e-12) is left out or doubled: the answer sits within 1e-12 of a boundary."""
    verdicts = set()
    for eps in (0.0, 2 * agreement.EPSILON):
        saved = agreement.EPSILON, marking_module.EPSILON
        agreement.EPSILON = marking_module.EPSILON = eps
        try:
            verdicts.add(
                Checker(*checker_args[0], **checker_args[1]).mark(dict(answers, variant=variant)).steps[sid].verdict
            )
        finally:
            agreement.EPSILON, marking_module.EPSILON = saved
    return len(verdicts) > 1


def compare(py: dict, js: dict) -> list[str]:
    """The differences between one set's Python and browser results (empty: they agree)."""
    out = []
    for sid, p in py.items():
        j = js.get(sid) or {}
        for field in ("verdict", "misconception", "diagnosis"):
            if (p.get(field) or None) != (j.get(field) or None):
                out.append(f"{sid} {field}: python {p.get(field)!r}, browser {j.get(field)!r} (given {p['given']!r})")
        if abs(p["points"] - (j.get("points") or 0)) > 1e-6:
            out.append(f"{sid} points: python {p['points']}, browser {j.get('points')} (given {p['given']!r})")
        if sorted(p["follows"]) != sorted(j.get("follows") or []):
            out.append(f"{sid} follows: python {p['follows']}, browser {j.get('follows')} (given {p['given']!r})")
    return out


__all__ = ["answer_sets", "python_marks", "compare", "at_boundary", "round_half_up"]
