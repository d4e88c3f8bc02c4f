"""What marking produces: the options it follows, one result per question, one per student.

The verdict words are the same in every output (text, Markdown, JSON, summary.csv and the
browser page)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from derive.graph.magnitude import json_number

#: One word per question, from best to worst.
VERDICTS = ("correct", "imprecise", "slip", "follow-through", "wrong", "invalid", "missing")
SYMBOL = {
    "correct": "✓",
    "imprecise": "≈",
    "slip": "~",
    "follow-through": "↪",
    "wrong": "✗",
    "invalid": "?",
    "missing": "–",
}


@dataclass
class Options:
    follow_through_credit: float = 1.0  # fraction of the points for a follow-through
    points: dict[str, float] = field(default_factory=dict)  # per step kind (net, out, ..., new); default 1
    rtol: float = 0.0  # extra relative tolerance
    sigfigs: int | None = None  # the sheet's standard in significant figures instead of places
    imprecise_credit: float = 0.5  # fraction of the points for an answer with two significant figures
    slip_penalty: float = 0.1  # fraction of the points a rounding slip costs
    own_places: bool = False  # judge each number at its own places (a source's printed numbers)


@dataclass(slots=True)
class StepResult:
    """One question marked. Light on purpose (slots, shared empty tuples): a class of ten
    thousand submissions makes a third of a million of them. Read-only once marking has
    returned it: students who typed the same right answer to the same question of the same
    variant are handed one shared result."""

    verdict: str
    given: str | None
    expected: float
    question: int | None = None  # the sheet's question number
    follows: Sequence[str] = ()  # the student's own earlier answers it follows from
    diagnosis: str | None = None  # the misconception's feedback, or the possibilities
    misconception: str | None = None  # its name, when exactly one explains the answer
    possibilities: Sequence[str] = ()  # titles, when several do
    remarks: Sequence[str] = ()
    points: float = 0.0
    max_points: float = 1.0

    def remark(self, text: str) -> None:
        self.remarks = (*self.remarks, text)

    @property
    def note(self) -> str | None:
        """The remarks as one clause list ("given to 3 decimal places; ...")."""
        return "; ".join(self.remarks) or None


@dataclass
class Result:
    student: str
    variant: str | None
    steps: dict[str, StepResult]  # every question, in question order
    problems: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return round(sum(r.points for r in self.steps.values()), 6)

    @property
    def max_score(self) -> float:
        return round(sum(r.max_points for r in self.steps.values()), 6)

    @property
    def percent(self) -> float:
        return round(100 * self.score / self.max_score, 1) if self.max_score else 0.0

    def to_dict(self, graph=None) -> dict:
        """JSON-ready data. JSON has no Infinity: an expected value beyond float64 is a
        string of its exact value in scientific notation, read from the step ``graph`` the
        answers were marked against (without it, "inf" or "-inf")."""
        steps = {}
        for sid, r in self.steps.items():
            expected = r.expected
            if graph is not None and not math.isfinite(expected):
                expected = graph[sid].value
            d = {
                "question": r.question,
                "verdict": r.verdict,
                "given": r.given,
                "expected": json_number(expected),
                "points": r.points,
                "max_points": r.max_points,
                "follows": list(r.follows),
                "diagnosis": r.diagnosis,
            }
            extra = {"misconception": r.misconception, "possibilities": list(r.possibilities) or None, "note": r.note}
            d.update({k: v for k, v in extra.items() if v is not None})
            steps[sid] = d
        return {
            "student": self.student,
            "variant": self.variant,
            "steps": steps,
            "score": self.score,
            "max_score": self.max_score,
            "percent": self.percent,
            "problems": self.problems,
        }
