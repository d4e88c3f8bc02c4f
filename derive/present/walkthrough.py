"""The public object: a verified walkthrough of one spec.

>>> wt = Walkthrough.from_file("worked/four.yaml")
>>> round(float(wt.graph["out_o1"].value), 5)
0.63954
>>> wt.report.ok
True
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from derive.graph.builder import derive
from derive.model.spec import Spec, load_spec
from derive.present.document import Doc
from derive.present.render import render, render_json
from derive.present.walkthrough_doc import document
from derive.teach.published import PublishedMark, mark_published
from derive.verify.three_way import verify


class Walkthrough:
    """Derive, verify and render one spec. Raises ``VerificationError`` when the three
    computations disagree; displays itself as Markdown in a notebook."""

    def __init__(self, spec: Spec, strict: bool = True):
        self.spec = spec
        self.graph = derive(spec)
        self.report = verify(self.graph, strict)

    @classmethod
    def from_file(cls, path: str | Path) -> "Walkthrough":
        return cls(load_spec(path))

    @classmethod
    def from_parts(cls, spec: Spec, graph, report) -> "Walkthrough":
        """A walkthrough of an already derived and verified graph (worksheet variants)."""
        wt = cls.__new__(cls)
        wt.spec, wt.graph, wt.report = spec, graph, report
        return wt

    @cached_property
    def published_marks(self) -> list[PublishedMark]:
        """The spec's ``published:`` numbers, marked like a student's answers."""
        return mark_published(self.spec, self.graph)

    @property
    def loss_history(self) -> list[float]:
        return self.report.loss_history

    @property
    def final_parameters(self) -> dict[str, float]:
        return self.report.final_parameters

    @property
    def param_history(self) -> list[dict[str, float]]:
        """The trainable parameters before step 1 and after every step (verified floats)."""
        return self.report.param_history

    @cached_property
    def document(self) -> Doc:
        """The format-neutral document every format renders (as an expression's has)."""
        return document(self)

    def markdown(self) -> str:
        return render(self, "md")

    def latex(self) -> str:
        return render(self, "tex")

    def json(self) -> str:
        return render_json(self)

    def _repr_markdown_(self) -> str:
        return self.markdown()
