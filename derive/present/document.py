"""The format-neutral document every walkthrough, key and sheet is built as: sections of
paragraphs, equations and tables. Text is a list of parts: ``("t", ours)`` (already safe in
both formats), ``("u", user text)`` (escaped per format) and ``("m", latex math)``."""

from __future__ import annotations

from dataclasses import dataclass, field

Parts = list  # of (kind, text)


@dataclass
class Eq:
    lines: list[str]  # LaTeX pieces joined by '=' (a piece starting with '+' continues
    # the one before); the first is the left-hand side
    label: Parts = field(default_factory=list)  # optional text before the equation
    kind: str = "eq"
    step: str = ""  # the id of the step it shows, if one (the web page links it to the diagram)

    @property
    def multiline(self) -> bool:
        """Too long for one line, or a sum split over lines (Markdown shows it aligned)."""
        return sum(map(len, self.lines)) > 160 or any(line.startswith("+ ") for line in self.lines)


@dataclass
class Para:
    parts: Parts
    kind: str = "para"


@dataclass
class Table:
    header: list[Parts]
    rows: list[list[Parts]]
    kind: str = "table"


@dataclass
class Section:
    title: str
    blocks: list = field(default_factory=list)
    level: int = 2


@dataclass
class Doc:
    title: str
    story: str
    sections: list[Section]
    claim: str = ""  # what was verified, in one sentence of ours, printed under the story
    #: a picture of its own, by format ("md": an inline SVG, "tex": a tikzpicture): an
    #: expression graph's circuit with this document's numbers (a network's is the spec's)
    diagram: dict = field(default_factory=dict)


def T(s):
    return [("t", s)]


def M(s):
    return [("m", s)]


def P(*items) -> Parts:
    """Parts from strings (ours), ('m', tex) and ('u', user) tuples."""
    return [("t", i) if isinstance(i, str) else i for i in items]
