"""Mark a student's answers step by step, as a careful human marker would.

Every step's value is a function of its dependencies' values (the step graph), so each
answer is judged against the key, then against the student's own earlier answers
(follow-through), then against the rounding slips and misconceptions of the catalogue
(:mod:`derive.teach.diagnosis`). Its precision, as typed, is judged by the sheet's
standard (:mod:`derive.teach.precision`). Each question gets one verdict:

``correct``, ``imprecise`` (right, but stated too roughly for full credit), ``slip``
(rounded or truncated wrongly: credit less ``slip_penalty``), ``follow-through`` (right
from the student's own earlier answers), ``wrong``, ``invalid`` (not readable) or
``missing``. The sheet's question list is the denominator.

Follow-through is credited only from real work: an earlier answer is carried only when it
said something (not a blank, not a zero standing in for a non-zero key, not an answer
whose precision earned nothing).
"""

from __future__ import annotations

import re

from derive.model.numbers import Number, is_short_decimal, round_half_up_float
from derive.model.spec import Spec
from derive.teach.agreement import EPSILON, equivalent, half_unit, within
from derive.teach.answers import AnswerError, is_blank, parse_answer
from derive.teach.compiled import Compiled, call
from derive.teach.diagnosis import Diagnoser
from derive.teach.precision import Grade, Standard, Stated, grade, spread, whole_claim
from derive.teach.questions import QuestionList
from derive.teach.results import SYMBOL, VERDICTS, Options, Result, StepResult
from derive.teach.submissions import is_key
from derive.teach.variants import VariantError, parse_variant_id
from derive.teach.work import Derivatives, Work
from derive.teach.worksheet import derive_any, select_blanks, variants_of

#: A plain decimal, as most answers are typed (the quick path); its decimals are group 1.
_plain_match = re.compile(r"[+-]?[0-9]{1,15}(?:\.([0-9]{1,15}))?").fullmatch

#: Right answers typed alike share one result, up to this many texts per question and variant.
SHARED = 64
#: Without a manifest a variant is drawn again, after all before it of its seed: the highest
#: index marked so (README: "Checking homework"). A longer variant text is not an id at all.
MAX_VARIANT_INDEX, _MAX_VARIANT_TEXT = 999, 200
LISTED = 10  # keys that are not questions named in a submission's problems; the rest are counted

#: The remark on an answer that is right from the rounded values of the earlier steps.
CARRIED = "agrees with the rounded values carried from earlier steps"

#: The remark on an answer a misconception explains only once it is cut off, not rounded.
THEN_CUT = "the result was then cut off instead of rounded"
#: The start of a diagnosis listing several misconceptions, of a slip's remark from the
#: student's own values, and the reason a percent is refused (the browser's marking reads them).
SEVERAL, FOLLOWS = "Several mistakes give this number: ", "follows from your "
NOT_A_PROPORTION = "a percentage, but this value is not a proportion"

__all__ = ["MAX_VARIANT_INDEX", "THEN_CUT", "Checker", "Options", "Result", "StepResult", "SYMBOL", "VERDICTS"]


class Checker:
    """Marks submissions against one spec (and any of its worksheet variants)."""

    def __init__(self, spec: Spec, stem: str, options: Options | None = None, base=None, questions=None):
        self.spec, self.stem = spec, stem
        self.options = options or Options()
        self.base = base or derive_any(spec)
        ids = tuple(questions) if questions is not None else tuple(select_blanks(self.base, None))
        self.questions = QuestionList(ids, tuple(self.base.ids))
        self.standard = Standard(spec.decimals, self.options.sigfigs, self.options.own_places)
        self.compiled = Compiled()
        self.diagnoser = Diagnoser(self.compiled, spec.decimals)
        self.symbols = {str(s): s for s in self.base.given} | {s.id: s.symbol for s in self.base}
        self._variants: dict[int, list] = {}  # seed -> variants 1..n
        self._graphs: dict[str, object] = {}  # variant id -> step graph given from outside (a manifest)
        self._closed = False  # True: the variants are exactly those of a manifest
        self.step_points: dict[str, float] = {}  # step id -> points, from a manifest
        self._envs: dict[str | None, tuple] = {}
        self._numbers = {sid: i + 1 for i, sid in enumerate(self.questions.ids)}  # step -> question number
        self._step_pts = {st.id: self._points(st) for st in self.base}
        # the quick path applies when the standard is the sheet's places
        self._fast = not (self.options.sigfigs or self.options.own_places)
        self._half = half_unit(spec.decimals) + EPSILON
        self._d, self._rtol = spec.decimals, self.options.rtol
        self._step_fns: dict[str, tuple] = {}
        self._in_graph_order = list(self.questions.ids) == [s.id for s in self.base if s.id in self._numbers]

    @classmethod
    def from_handout(cls, handout, options: Options | None = None) -> Checker:
        """A checker for the sheets a manifest describes: its questions, its points (unless
        ``options.points`` gives points per step kind) and exactly its variants."""
        checker = cls(handout.spec, handout.stem, options, base=handout.base, questions=handout.questions)
        checker._graphs, checker._closed = dict(handout.graphs), True
        if not checker.options.points:
            checker.step_points = dict(handout.points)
            checker._step_pts = {st.id: checker._points(st) for st in checker.base}
        return checker

    # ---- keys
    def graph_for(self, variant: str | None):
        """The step graph of a variant id (None or index 0: the spec's own numbers)."""
        if variant is None:
            return self.base
        if variant in self._graphs:
            return self._graphs[variant]
        if self._closed:
            raise VariantError(f"variant {variant[:60]!r} is not one of this worksheet's variants")
        if len(variant) > _MAX_VARIANT_TEXT:
            raise VariantError(f"the variant is {len(variant)} characters long: not a variant id")
        stem, seed, index = parse_variant_id(variant)
        if stem != self.stem:
            raise VariantError(f"variant {variant!r} is not a variant of {self.stem!r}")
        if index > MAX_VARIANT_INDEX:
            raise VariantError(
                f"variant {variant!r}: index {index} is beyond {MAX_VARIANT_INDEX}, the most marked without "
                "the worksheet's manifest (give --worksheet DIR/worksheet.json)"
            )
        if index == 0:
            return self.base
        have = self._variants.get(seed, [])
        if len(have) < index:  # resume after the variants made so far: each is made once
            have, _ = variants_of(self.spec, self.stem, seed, index, base=self.base, start=have)
            self._variants[seed] = have
        return have[index - 1].graph

    def key_env(self, variant: str | None):
        """(graph, float env of every given and key value, carry drift per step, and the
        plan: for each question in graph order, its step, id, drift, the float of its exact
        key when that is a short decimal, and the results shared by the answers typed alike
        that the key alone decides), cached."""
        if variant not in self._envs:
            g = self.graph_for(variant)
            env = {str(s): float(v) for s, v in g.given.items()}
            env.update({s.id: float(s.value) for s in g})
            # how far the shown (carry policy) value may sit from the exact one
            drift = {s.id: abs(float(s.value) - float(s.exact)) for s in g}
            plan: list[tuple] = [
                (s, s.id, drift[s.id], float(s.exact) if is_short_decimal(s.exact) else None, {})
                for s in g
                if s.id in self._numbers
            ]
            self._envs[variant] = (g, env, drift, plan)
        return self._envs[variant]

    # ---- marking
    def mark(self, answers: dict, student: str = "student") -> Result:
        """Every question marked: answered, missing or unreadable, in question order."""
        variant = answers.get("variant")
        variant = None if is_blank(variant) else str(variant)
        g, key, _, plan = self.key_env(variant)
        problems = self._unknown_keys(answers, g, self._numbers)
        results: dict[str, StepResult] = {}
        work = Work(key)
        mine, cur = work.mine, work.cur
        for st, sid, drift, short, same in plan:  # graph order: a step's inputs are marked before it
            raw = answers.get(sid)
            if type(raw) is not str and isinstance(raw, Number):
                raw = raw.text
            hit = same.get(raw) if type(raw) is str else None
            if hit is not None:  # this text, marked from the key alone before: the commonest case
                results[sid], v, spread = hit
                if spread is not None:
                    mine[sid], cur[sid] = spread, v
                continue
            results[sid] = self._quick(g, key, st, raw, drift, short, work, same) or self._mark_step(
                g, key, drift, st, raw, work, short
            )
        if not self._in_graph_order:
            results = {sid: results[sid] for sid in self.questions.ids}
        return Result(student, variant, results, problems)

    def _unknown_keys(self, answers: dict, g, asked) -> list[str]:
        """A problem for each key that is not a question: named when it may be a step id
        (the first :data:`LISTED`), else only counted, its text never repeated (the file
        may not be an answers file at all)."""
        unknown = [k for k in answers if k not in asked and k not in ("student", "variant")]
        named = [k for k in unknown if is_key(k)][:LISTED]
        problems = []
        for k in named:
            if k in g.by_id:
                problems.append(f"{k}: not a question on this sheet, not marked")
                continue
            near = self.questions.nearest(k)
            problems.append(f"{k}: not a step of this sheet" + (f" (did you mean {near}?)" if near else ""))
        rest = len(unknown) - len(named)
        if rest:
            other = " other" if named else ""
            problems.append(f"{rest}{other} key{'s' * (rest > 1)} not a step of this sheet (not shown)")
        return problems

    def _points(self, st) -> float:
        return self.step_points.get(st.id, float(self.options.points.get(st.kind, 1.0)))

    def _quick(self, g, key, st, raw, drift: float, short, work: Work, same: dict) -> StepResult | None:
        """A plain decimal, marked without parsing: right (exactly, at the sheet's places, or
        at fewer places as the precision rule grades it) or right from the student's own
        earlier answers. What the key alone decides is kept in ``same`` for the next
        student who types the same text. None: mark it in full (slips, diagnosis)."""
        m = _plain_match(raw) if self._fast and type(raw) is str else None
        if m is None:
            return None
        sid, v, places = st.id, float(raw), len(m[1] or "")
        expected, pts, q = key[sid], self._step_pts[sid], self._numbers[sid]
        if v == short:  # the exact key, however short: carried exactly
            r = StepResult("correct", raw, expected, q, points=pts, max_points=pts)
            return self._share(same, sid, raw, r, v, 0.0, work)
        claim = whole_claim(places, st.exact)
        stated = Stated(v, places, claim)  # the same rule as a parsed answer's (precision.py)
        worth = grade(stated, self.standard, self.options.imprecise_credit)
        tol = self.standard.tolerance(stated, expected) + EPSILON
        # what the answer carries into later steps: nothing when it is a zero standing for a
        # non-zero key, or too rough to earn anything
        carried = spread(stated, self.standard) if (v or not expected) and worth.factor > 0 else None
        if abs(v - expected) <= tol + drift + self._rtol * abs(expected):
            verdict = "correct" if worth.factor == 1 else "imprecise"
            remarks: tuple[str, ...] = (worth.remark,) if worth.remark else ()
            points = round(pts * worth.factor, 6)
            r = StepResult(verdict, raw, expected, q, remarks=remarks, points=points, max_points=pts)
            return self._share(same, sid, raw, r, v, carried, work)
        if carried is None:
            return None  # wrong, and saying little: the full marking may name a misconception
        work.keep(sid, v, carried)
        found, follows, _, _ = self._follow(g, key, st, v, tol, work)
        if found is None:
            return None
        remarks = tuple(filter(None, [None if follows else CARRIED, worth.remark]))
        credit = self.options.follow_through_credit if follows else 1.0
        verdict = found if worth.factor == 1 else "imprecise"
        points = round(pts * credit * worth.factor, 6)
        return StepResult(verdict, raw, expected, q, follows, remarks=remarks, points=points, max_points=pts)

    @staticmethod
    def _share(same: dict, sid: str, raw: str, r: StepResult, v: float, spread, work: Work) -> StepResult:
        """Keep a result the key alone decided, for the next student who types ``raw``, and
        carry the answer into this student's own work when it says something."""
        if len(same) < SHARED:
            same[raw] = (r, v, spread)
        if spread is not None:
            work.keep(sid, v, spread)
        return r

    def _mark_step(self, g, key, drift, st, raw, work: Work, short=None) -> StepResult:
        pts = self._step_pts[st.id]
        r = StepResult("missing", None, key[st.id], question=self._numbers[st.id], max_points=pts)
        if is_blank(raw):
            return r
        try:
            ans = parse_answer(raw, self.symbols)
        except AnswerError as e:
            r.verdict, r.given, r.remarks = "invalid", str(raw)[:80], [str(e)]
            return r
        r.given = ans.text
        if ans.symbolic:  # a formula answer: equivalent to the step's formula?
            return self._mark_formula(g, st, ans, r)
        if ans.value is None:  # parse_answer gives every answer without symbols a value
            raise AssertionError(f"answer {ans.text!r} has no value")
        if ans.percent and not 0 <= float(st.exact) <= 1:
            r.verdict, r.remarks = "invalid", [NOT_A_PROPORTION]
            return r
        if ans.number is not None:  # a plain number: equal to a short exact key as floats
            exact = short is not None and ans.value == short
        else:
            exact = st.exact.is_Rational and ans.exact == st.exact
        claim = ans.number is not None and whole_claim(ans.places, st.exact)
        stated = Stated(ans.value, ans.places, exact or claim or (ans.number is not None and ans.places is None))
        worth = grade(stated, self.standard, self.options.imprecise_credit)
        if worth.factor > 0 and not (ans.value == 0 and key[st.id] != 0):
            work.keep(st.id, ans.value, spread(stated, self.standard))
        if worth.factor == 0:  # says too little to earn anything, right or wrong
            self._too_rough(g, key, drift, st, stated, r)
            r.remark(worth.remark or "")
            return r
        if exact:
            r.verdict = "correct"
        else:
            self._relate(g, key, drift, st, stated, ans.places, work, r)
        self._score(r, worth)
        return r

    def _score(self, r: StepResult, worth: Grade) -> None:
        """Points from the relation found (``r.verdict``) and the precision's worth."""
        o = self.options
        credit = {"correct": 1.0, "follow-through": o.follow_through_credit}.get(r.verdict, 0.0)
        if r.verdict == "slip":
            base = o.follow_through_credit if r.follows else 1.0
            credit = max(0.0, base - o.slip_penalty)
        if worth.remark:
            r.remark(worth.remark)
        if r.verdict != "wrong" and worth.factor < 1:
            r.verdict = "imprecise"
        r.points = round(r.max_points * credit * worth.factor, 6)

    def _relate(self, g, key, drift, st, stated: Stated, places, work: Work, r: StepResult) -> None:
        """Sets ``r.verdict`` to how the answer relates to the key and the student's own work
        (correct, follow-through, slip or wrong) and explains it."""
        v, expected = stated.value, key[st.id]
        tol = self.standard.tolerance(stated, expected)
        if within(v, expected, tol + drift + self.options.rtol * abs(expected)):
            r.verdict = "correct"
            return
        verdict, off, used, spread_ = self._follow(g, key, st, v, tol, work)
        if verdict is not None:
            r.verdict, r.follows = verdict, off
            if not off:
                r.remark(CARRIED)
            return
        envs = [(False, key, drift), (True, work.cur, spread_)] if used else [(False, key, drift)]
        if places is not None:  # a slip or a misconception reproduces the digits written
            tol = half_unit(min(places, self.spec.decimals))
        slips = self.diagnoser.slip(g, st, v, tol, places, envs)
        if slips.found:
            m = slips.found[0]
            from_own = slips.own[m.name] and bool(off)
            r.verdict, r.follows, r.misconception = "slip", off if from_own else [], m.name
            r.diagnosis = m.message(g, st)
            r.remark((FOLLOWS + ", ".join(off) + "; " if from_own else "") + m.title)
            return
        r.verdict = "wrong"
        self._name_misconception(g, st, v, tol, places, envs, off, r)

    def _compiled_step(self, g, st) -> tuple:
        """The step's formula, and its partial derivatives by each input, compiled once."""
        fns = self._step_fns.get(st.id)
        if fns is None:
            f = self.compiled.fn(("step", st.id), lambda: st.formula)
            fns = self._step_fns[st.id] = (f, Derivatives(g, st))
        return fns

    def _follow(self, g, key, st, v: float, tol: float, work: Work) -> tuple[str | None, list, list, float]:
        """Whether ``v`` is the step's formula on the student's own earlier answers (where
        they did real work; the key elsewhere, exact or as printed at the sheet's places),
        give or take how far their stated precision moves it (first order). Returns
        ("follow-through" | "correct" | None, the answers used that were off the key, the
        answers used, that spread)."""
        mine, cur = work.mine, work.cur
        used = [dep for dep in st.deps if dep in mine]
        off = [d for d in used if not within(cur[d], key[d], max(mine[d], self._half))]
        f, derivatives = self._compiled_step(g, st)
        a = call(f, cur)
        room = tol + self._rtol * abs(a or 0.0)
        if a is not None and within(v, a, room):  # found without the spread, which only widens
            return ("follow-through" if off else "correct"), off, used, 0.0
        total = 0.0
        for dep in used:
            if mine[dep]:
                total += abs(call(derivatives[dep], cur) or 0.0) * mine[dep]
        found = a is not None and within(v, a, room + total)
        if not found and len(used) < len(st.deps):  # the unanswered inputs as printed
            shown = dict(cur)
            for dep in st.deps:
                if dep not in mine:
                    shown[dep] = round_half_up_float(key[dep], self._d)
            a = call(f, shown)
            found = a is not None and within(v, a, tol + total + self._rtol * abs(a))
        if not found:
            return None, off, used, total
        return ("follow-through" if off else "correct"), off, used, total

    def _too_rough(self, g, key, drift, st, stated: Stated, r: StepResult) -> None:
        """An answer with one significant figure or none: imprecise when it agrees with the
        key, else wrong; a whole number (``-1``) is a claim of an exact value, so the
        misconception that gives exactly it is named."""
        if within(stated.value, key[st.id], self.standard.tolerance(stated, key[st.id]) + drift):
            r.verdict = "imprecise"
            return
        r.verdict = "wrong"
        if stated.places == 0:
            self._name_misconception(g, st, stated.value, 0.0, None, [(False, key, 0.0)], [], r)

    def _name_misconception(self, g, st, v, tol, places, envs, off, r: StepResult) -> None:
        found = self.diagnoser.misconception(g, st, v, tol, places, envs)
        if len(found.found) == 1:
            m = found.found[0]
            r.misconception, r.diagnosis = m.name, m.message(g, st)
            if found.own[m.name]:
                r.follows = off
            if found.truncated[m.name]:
                r.remark(THEN_CUT)
        elif found.found:
            r.possibilities = [m.title for m in found.found]
            r.diagnosis = SEVERAL + "; ".join(r.possibilities) + "."

    def _mark_formula(self, g, st, ans, r: StepResult) -> StepResult:
        """A formula answer is right when it is equivalent to the step's formula; the step's
        inputs may also be written out (sigma(net) for out)."""
        defs = {g[dep].symbol: g[dep].formula for dep in st.deps}
        same = equivalent(ans.exact, st.formula) or equivalent(ans.exact.xreplace(defs), st.formula.xreplace(defs))
        r.verdict = "correct" if same else "wrong"
        r.points = r.max_points if same else 0.0
        if not same:
            r.remark(f"not equivalent to {st.formula}")
        return r
