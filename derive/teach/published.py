"""A source's printed numbers (``published:`` in a spec) marked like a student's answers.

Each printed number is *right* when the verified value rounds to it at the precision it
was printed with, trailing zeros included (a printed ``-0.1360`` states four places, and
a true -0.136093 is -0.1361 at four places, so it is not right); *consistent* when it is
off in the last digit but is what the rounded numbers printed before it give; a
*follow-through* when it is right for the printed numbers it was computed from; and
otherwise *wrong*, named by the misconception that reproduces it where one does. The
walkthrough only displays these marks.

>>> from derive.model.spec import load_spec
>>> from derive.graph.builder import derive
>>> spec = load_spec("worked/four.yaml")
>>> marks = {m.step_id: m for m in mark_published(spec, derive(spec))}
>>> marks["net_h2"].verdict, marks["net_h2"].number.text, marks["out_h1"].verdict
('right', '0.1766', 'wrong')
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.model.numbers import Number
from derive.teach.marking import THEN_CUT, Checker, Options
from derive.teach.misconceptions import BY_NAME


@dataclass(frozen=True)
class PublishedMark:
    step_id: str
    printed: sp.Rational  # the printed number's exact value
    places: int  # decimal places it was printed with (the sheet's decimals for a fraction)
    verdict: str  # right | consistent | follow-through | slip | wrong
    follows: tuple[str, ...] = ()
    misconception: str | None = None  # the misconception's title
    number: Number | None = None  # the number as printed: value, places and text (-0.1360 keeps its zero)


def mark_published(spec, graph) -> list[PublishedMark]:
    """The marks of ``spec.published``, in the order the spec lists them."""
    if not spec.published:
        return []
    own = Options(own_places=True)  # a source is judged at the places it printed
    marks = Checker(spec, "", own, base=graph, questions=list(spec.published)).mark(dict(spec.published)).steps
    out = []
    for pid, n in spec.published.items():
        m = marks[pid]
        if n.agrees(graph[pid].exact):
            verdict = "right"
        elif m.verdict == "correct":  # explained by the rounding of printed inputs, not by the true value
            verdict = "consistent"
        else:
            verdict = m.verdict if m.verdict in ("follow-through", "slip") else "wrong"
        title = BY_NAME[m.misconception].title if (verdict in ("wrong", "slip") and m.misconception) else None
        if title and THEN_CUT in m.remarks:
            title += ", then truncated"
        places = spec.decimals if n.places is None else n.places
        out.append(PublishedMark(pid, n.value, places, verdict, tuple(m.follows), title, n))
    return out
