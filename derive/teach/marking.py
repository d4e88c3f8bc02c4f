"""Mark a student's answers step by step, as a careful human marker would.

Every step's value is a function of its dependencies' values (the step graph), so each
answer is judged twice: against the key, and against the student's own upstream answers
(follow-through, or error carried forward). A wrong answer is tested against a catalogue
of known misconceptions (:mod:`derive.misconceptions`), each a rewrite of the step's
formula, and gets that misconception's feedback when one reproduces it.

Marking runs on float functions compiled once per step graph (all variants of a spec share
one structure), so a class of a thousand submissions takes about a second.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import sympy as sp

from derive.graph.builder import derive
from derive.graph.compile import SETTINGS, FloatPrinter, compile_formula
from derive.model.numbers import round_half_up_float as _rnd
from derive.model.spec import Spec
from derive.teach.agreement import half_unit, within
from derive.teach.answers import AnswerError, is_blank, parse_answer
from derive.teach.misconceptions import CATALOGUE, Misconception
from derive.teach.variants import VariantError, make_variants, parse_variant_id

SYMBOL = {"correct": "✓", "follow-through": "↪", "wrong": "✗", "missing": "–", "invalid": "?"}


@dataclass
class Options:
    follow_through_credit: float = 1.0  # fraction of the points for a follow-through
    points: dict[str, float] = field(default_factory=dict)  # per step kind (net, out, ..., new); default 1
    rtol: float = 0.0  # extra relative tolerance
    sigfigs: int | None = None  # judge by significant figures instead of places


@dataclass
class StepResult:
    verdict: str
    given: str | None
    expected: float
    follows: list[str] = field(default_factory=list)
    diagnosis: str | None = None
    misconception: str | None = None
    note: str | None = None
    points: float = 0.0
    max_points: float = 1.0


@dataclass
class Result:
    student: str
    variant: str | None
    steps: dict[str, StepResult]
    problems: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return round(sum(r.points for r in self.steps.values()), 6)

    @property
    def max_score(self) -> float:
        return round(sum(r.max_points for r in self.steps.values()), 6)

    def to_dict(self) -> dict:
        steps = {}
        for sid, r in self.steps.items():
            d = asdict(r)
            steps[sid] = {k: d[k] for k in ("verdict", "given", "expected", "follows", "diagnosis")}
            steps[sid].update({k: d[k] for k in ("misconception", "note", "points") if d[k] is not None})
        return {
            "student": self.student,
            "variant": self.variant,
            "steps": steps,
            "score": self.score,
            "max_score": self.max_score,
            "problems": self.problems,
        }


class _Printer(FloatPrinter):
    def _print_rnd(self, e):
        return f"_rnd({self._print(e.args[0])}, {int(e.args[1])})"

    def _print_trunc(self, e):
        return f"_trunc({self._print(e.args[0])}, {int(e.args[1])})"


def _trunc(x: float, places: int) -> float:
    k = 10.0**places
    return math.trunc(x * k) / k


class _Compiled:
    """Float functions of one step graph's formulas (and of their partial derivatives)."""

    def __init__(self) -> None:
        self.printer = _Printer(SETTINGS)
        self.cache: dict = {}

    def fn(self, key, build):
        """``build()`` (a SymPy formula) as a function of one dict of floats, built and
        compiled once per ``key``."""
        f = self.cache.get(key)
        if f is None:
            f = self.cache[key] = compile_formula(build(), self.printer, {"_rnd": _rnd, "_trunc": _trunc})
        return f


def _call(f, env) -> float | None:
    try:
        v = float(f(env))
    except (ArithmeticError, ValueError, KeyError, TypeError):
        return None
    return v if math.isfinite(v) else None


def _equivalent(a: sp.Expr, b: sp.Expr) -> bool:
    """Two formulas agree at several random points (rational, so the check is exact to 30
    digits). Cheaper and safer than ``simplify`` on a student's arbitrary formula."""
    a, b = a.rewrite(sp.exp), b.rewrite(sp.exp)
    names = sorted(a.free_symbols | b.free_symbols, key=str)
    for k in range(4):
        point = {s: sp.Rational(7 + 13 * k + 5 * i, 97) for i, s in enumerate(names)}
        try:
            diff = complex((a - b).xreplace(point).evalf(30))
        except (TypeError, ValueError, ArithmeticError):
            return False
        if not abs(diff) <= 1e-20:
            return False
    return True


class Checker:
    """Marks submissions against one spec (and any of its worksheet variants)."""

    def __init__(self, spec: Spec, stem: str, options: Options | None = None, base=None):
        self.spec, self.stem = spec, stem
        self.options = options or Options()
        self.base = base or derive(spec)
        self.compiled = _Compiled()
        self.symbols = {str(s): s for s in self.base.given} | {s.id: s.symbol for s in self.base}
        self._variants: dict[int, list] = {}  # seed -> variants 1..n
        self._envs: dict[str | None, tuple] = {}

    # ---- keys
    def graph_for(self, variant: str | None):
        """The step graph of a variant id (None or index 0: the spec's own numbers)."""
        if variant is None:
            return self.base
        stem, seed, index = parse_variant_id(variant)
        if stem != self.stem:
            raise VariantError(f"variant {variant!r} is not a variant of {self.stem!r}")
        if index == 0:
            return self.base
        have = self._variants.get(seed, [])
        if len(have) < index:  # resume after the variants made so far: each is made once
            have, _ = make_variants(self.spec, self.stem, seed, index, base=self.base, start=have)
            self._variants[seed] = have
        return have[index - 1].graph

    def key_env(self, variant: str | None):
        """(graph, float env of every given and key value, carry drift per step), cached."""
        if variant not in self._envs:
            g = self.graph_for(variant)
            env = {str(s): float(v) for s, v in g.given.items()}
            env.update({s.id: float(s.value) for s in g})
            # how far the shown (carry policy) value may sit from the exact one
            drift = {s.id: abs(float(s.value) - float(s.exact)) for s in g}
            self._envs[variant] = (g, env, drift)
        return self._envs[variant]

    # ---- marking
    def mark(self, answers: dict, student: str = "student") -> Result:
        answers = dict(answers)
        variant = answers.pop("variant", None)
        variant = None if is_blank(variant) else str(variant)
        problems = []
        g, key, drift = self.key_env(variant)
        d = self.spec.decimals
        results: dict[str, StepResult] = {}
        mine: dict[str, tuple[float, float]] = {}  # step -> (student's value, its half-unit)
        for sid in list(answers):
            if sid not in g.by_id:
                problems.append(f"{sid}: not a step id of this network")
                del answers[sid]
        for st in g:
            if st.id not in answers:
                continue
            results[st.id] = self._mark_step(g, key, drift[st.id], st, answers[st.id], mine, results, d)
        return Result(student, variant, results, problems)

    def _points(self, st) -> float:
        return float(self.options.points.get(st.kind, 1.0))

    def _mark_step(self, g, key, drift, st, raw, mine, results, d) -> StepResult:
        pts = self._points(st)
        expected = key[st.id]
        if is_blank(raw):
            return StepResult("missing", None, expected, max_points=pts)
        try:
            ans = parse_answer(raw, self.symbols)
        except AnswerError as e:
            return StepResult("invalid", str(raw)[:80], expected, note=str(e), max_points=pts)
        if ans.symbolic:  # a formula answer: equivalent to the step's formula?
            return self._mark_formula(g, st, ans, expected, pts)
        v = ans.value
        if v is None:  # parse_answer gives every answer without symbols a value
            raise AssertionError(f"answer {ans.text!r} has no value")
        half, note = self._precision(ans, expected, d)
        mine[st.id] = (v, half)
        if within(v, expected, half + drift + self.options.rtol * abs(expected)):
            return StepResult("correct", ans.text, expected, note=note, points=pts, max_points=pts)

        env, used, verdict, off = self._follow_through(g, key, st, v, half, mine, results, d)
        if verdict == "follow-through":
            credit = pts * self.options.follow_through_credit
            return StepResult(verdict, ans.text, expected, follows=off, note=note, points=credit, max_points=pts)
        if verdict == "correct":
            note = note or "agrees with the rounded values carried from earlier steps"
            return StepResult(verdict, ans.text, expected, points=pts, max_points=pts, note=note)
        m, where = self._diagnose(g, key, env, st, v, half, ans)
        result = StepResult("wrong", ans.text, expected, note=note, max_points=pts)
        if m is not None:
            result.misconception, result.diagnosis = m.name, m.message(g, st)
            if where == "own":
                result.follows = used
        return result

    def _mark_formula(self, g, st, ans, expected: float, pts: float) -> StepResult:
        """A formula answer is right when it is equivalent to the step's formula; the step's
        inputs may also be written out (sigma(net) for out)."""
        defs = {g[dep].symbol: g[dep].formula for dep in st.deps}
        same = _equivalent(ans.exact, st.formula) or _equivalent(ans.exact.xreplace(defs), st.formula.xreplace(defs))
        note = None if same else f"not equivalent to {st.formula}"
        return StepResult(
            "correct" if same else "wrong", ans.text, expected, max_points=pts, points=pts if same else 0.0, note=note
        )

    def _follow_through(self, g, key, st, v, half, mine, results, d) -> tuple[dict, list, str | None, list]:
        """Whether ``v`` is the step's formula on the student's own upstream answers, with the
        stated precision of each carried through the formula (first order). An upstream step
        the student did not answer is taken at its key value, exact or as printed (rounded to
        the sheet's decimals), whichever explains the answer. Returns (the values it used,
        the student's answers it used, "follow-through" | "correct" | None, the used answers
        that were themselves off the key)."""
        env = dict(key)
        used = [dep for dep in st.deps if dep in mine]
        for dep in used:
            env[dep] = mine[dep][0]
        shown = dict(env)
        for dep in st.deps:
            if dep not in mine:
                shown[dep] = _rnd(key[dep], d)
        f = self.compiled.fn(("step", st.id), lambda: st.formula)
        spread = 0.0
        for dep in used:
            df = self.compiled.fn(("d", st.id, dep), lambda dep=dep: sp.diff(st.formula, g[dep].symbol))
            spread += abs(_call(df, env) or 0.0) * mine[dep][1]
        for values in (env, shown):
            own = _call(f, values)
            if own is not None and within(v, own, half + spread + self.options.rtol * abs(own)):
                off = [dep for dep in used if results[dep].verdict in ("wrong", "follow-through")]
                return env, used, "follow-through" if off else "correct", off
        return env, used, None, []

    def _precision(self, ans, expected: float, d: int) -> tuple[float, str | None]:
        """Half a unit in the last place the answer states, as typed (``0.3760`` states
        four; exact forms and whole numbers count as the sheet's ``d``), and a note when it
        states fewer places than the sheet asks for."""
        places = ans.places if ans.places else d
        half = half_unit(places)
        if self.options.sigfigs:
            half = max(half, 0.5 * 10.0 ** (math.floor(math.log10(abs(expected) or 1)) - self.options.sigfigs + 1))
        note = None
        if ans.places is not None and 0 < ans.places < d:
            note = f"given to {ans.places} decimal place{'s' * (ans.places != 1)}; the sheet asks for {d}"
        return half, note

    def _alternatives(self, m: Misconception, g, st, places) -> list:
        """The compiled rewrites of one step under one misconception (same for every variant)."""
        k = ("alts", m.name, st.id, places)
        if k not in self.compiled.cache:
            forms = m.alternatives(g, st, places, self.spec.decimals)
            self.compiled.cache[k] = [
                self.compiled.fn(("alt", m.name, st.id, places, i), lambda a=a: a) for i, a in enumerate(forms)
            ]
        return self.compiled.cache[k]

    def _diagnose(self, g, key, env, st, v, half, ans) -> tuple[Misconception | None, str | None]:
        """The first misconception that reproduces ``v``, from the key's values or the student's."""
        for m in CATALOGUE:
            for f in self._alternatives(m, g, st, ans.places):
                for where, e in (("key", key), ("own", env)):
                    a = _call(f, e)
                    if a is not None and within(v, a, half + 1e-9 * (1 + abs(a))):
                        return m, where
        return None, None
