"""A source's printed numbers (``published:`` in a spec) marked like a student's answers.

Each printed number is *right* when the verified value rounds to it at the precision it
was printed with; *consistent* when it is off in the last digit but is what the rounded
numbers printed before it give; a *follow-through* when it is right for the printed
numbers it was computed from; and otherwise *wrong*, named by the misconception that
reproduces it where one does. The walkthrough only displays these marks.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.graph.steps import fmt
from derive.teach.marking import Checker
from derive.teach.misconceptions import BY_NAME


@dataclass(frozen=True)
class PublishedMark:
    step_id: str
    printed: sp.Rational
    places: int                   # decimal places the number was printed with
    verdict: str                  # right | consistent | follow-through | wrong
    follows: tuple[str, ...] = ()
    misconception: str | None = None   # the misconception's title


def _places(v) -> int:
    s = fmt(v, 12, as_given=True)
    return len(s.split(".")[1]) if "." in s else 0


def _agrees(printed, exact) -> bool:
    """A printed number is right when the exact value rounds to it at its own precision."""
    p = _places(printed)
    return abs(sp.Rational(printed) - exact) <= sp.Rational(1, 2) * sp.Rational(10) ** (-p) + sp.Rational(1, 10 ** 15)


def mark_published(spec, graph) -> list[PublishedMark]:
    """The marks of ``spec.published``, in the order the spec lists them."""
    if not spec.published:
        return []
    marks = Checker(spec, "", base=graph).mark({pid: fmt(pv, 15, True) for pid, pv in spec.published.items()}).steps
    out = []
    for pid, pv in spec.published.items():
        m = marks[pid]
        if _agrees(pv, graph[pid].exact):
            verdict = "right"
        elif m.verdict == "correct":   # explained by the rounding of printed inputs, not by the true value
            verdict = "consistent"
        else:
            verdict = m.verdict if m.verdict == "follow-through" else "wrong"
        title = BY_NAME[m.misconception].title if (verdict == "wrong" and m.misconception) else None
        out.append(PublishedMark(pid, pv, _places(pv), verdict, tuple(m.follows), title))
    return out
