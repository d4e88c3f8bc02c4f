"""The closing sections of a walkthrough: the batch gradients, the update, the training
table of ``steps: N``, the published numbers (marked by :mod:`derive.teach.published`) and
the verification. A mixin of the walkthrough's document builder, which supplies ``g``,
``spec``, ``d``, ``names``, ``eq`` and the other helpers these methods read."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import sympy as sp

from derive.model.names import StepId
from derive.present.document import Eq, M, P, Para, Parts, Section, T, Table
from derive.present.numbers import fmt
from derive.verify.chains import RTOL_CHAIN
from derive.verify.three_way import RTOL_FD, RTOL_NUMPY


class ClosingSections:
    # supplied by the document builder (derive.present.walkthrough_doc)
    wt: Any
    g: Any
    spec: Any
    d: int
    names: dict

    if TYPE_CHECKING:  # the builder's helpers these sections use

        def eq(self, step, *extra: str, label: Parts | None = None) -> Eq: ...

        def val(self, step) -> str: ...

        def given(self, sym) -> str: ...

    def batch(self) -> Section:
        sec = Section("Batch gradients")
        word = "mean" if self.spec.batch == "mean" else "sum"
        sec.blocks.append(Para(P(f"The batch loss and each gradient are the {word} over the samples:")))
        sec.blocks.append(self.eq(self.g["loss"]))
        for st in self.g:
            if st.kind == "grad" and st.sample is None:
                sec.blocks.append(self.eq(st))
        return sec

    def update(self) -> Section:
        sec = Section("Gradient-descent update")
        sec.blocks.append(
            Para(
                P(
                    "Every trainable parameter moves against its gradient, ",
                    ("m", r"p^{\text{new}} = p - \eta\,\frac{\partial J}{\partial p}"),
                    ":",
                )
            )
        )
        rows = []
        for st in self.g:
            if st.kind == "new":
                sec.blocks.append(self.eq(st))
                sym = self.g.leaves[st.param]
                rows.append(
                    [
                        M(self.names[sym]),
                        M(self.given(sym)),
                        M(self.val(self.g[str(StepId("grad", st.param))])),
                        M(self.val(st)),
                    ]
                )
        sec.blocks.append(Table([T("parameter"), T("before"), T("gradient"), T("after")], rows))
        frozen = self.spec.frozen()
        if frozen:
            sec.blocks.append(
                Para(P("Frozen (not trained): ", ("m", ", ".join(self.names[self.g.leaves[n]] for n in frozen)), "."))
            )
        return sec

    def training(self) -> Section:
        wt, spec = self.wt, self.spec
        hist = wt.loss_history
        N = spec.steps
        sec = Section(f"Training for {N} steps")
        sec.blocks.append(
            Para(
                P(
                    f"Repeating the update {N} times (each step uses the whole batch; the hidden deltas of a step use "
                    "the weights from before that step's update):"
                )
            )
        )
        rows = [[T(str(i)), M(fmt(sp.Float(hist[i], 17), max(self.d, 6)))] for i in sorted(_log_rows(N))]
        sec.blocks.append(Table([T("step"), T("loss J")], rows))
        final = wt.final_parameters
        rows = [[M(self.names[self.g.leaves[p]]), M(fmt(sp.Float(v, 17), self.d))] for p, v in final.items()]
        sec.blocks.append(Para(T(f"The parameters after {N} steps:")))
        sec.blocks.append(Table([T("parameter"), T("value")], rows))
        return sec

    def published(self) -> Section:
        """The printed numbers, marked like a student's answers (by teach.published)."""
        sec = Section("Checking the published numbers")
        src = self.spec.published_source or "the source"
        sec.blocks.append(
            Para(
                P(
                    "The numbers printed in ",
                    ("u", src),
                    " marked like a student's answers: right when the "
                    "verified value rounds to the digits printed, a follow-through when the number is right "
                    "for the printed numbers it was computed from, and otherwise wrong, with the known "
                    "mistake that reproduces it where there is one.",
                )
            )
        )
        rows = []
        for m in self.wt.published_marks:
            st = self.g[m.step_id]
            if m.verdict == "right":
                verdict = P("right")
            elif m.verdict == "consistent":
                verdict = P("off in the last digit, but consistent with the rounded numbers printed before it")
            elif m.verdict == "slip" and m.follows:
                printed = ", ".join(self.names[self.g[f].symbol] for f in m.follows)
                verdict = P("follows from the printed ", ("m", printed), ("u", f", then {m.misconception}"))
            elif m.verdict == "slip":
                verdict = P("a rounding slip", ("u", f": {m.misconception}" if m.misconception else ""))
            elif m.verdict == "follow-through":
                verdict = P(
                    "follows from the printed ", ("m", ", ".join(self.names[self.g[f].symbol] for f in m.follows))
                )
            else:
                # the catalogue's titles use σ, η and ½: escaped per format like user text
                verdict = P("wrong", ("u", f": {m.misconception}" if m.misconception else ""))
            rows.append(
                [
                    M(self.names[st.symbol]),
                    M(m.number.text if m.number else fmt(m.printed, self.d, True)),
                    M(fmt(st.exact, max(self.d, m.places))),
                    verdict,
                ]
            )
        sec.blocks.append(Table([T("quantity"), T("printed"), T("verified"), T("verdict")], rows))
        return sec

    def verification(self) -> Section:
        r = self.wt.report
        sec = Section("Verification")
        sec.blocks.append(
            Para(
                P(
                    f"Each of the {r.n_values} values above was computed twice: exactly (fractions, and 50-digit "
                    "decimals after a transcendental function), and again by an independent program in "
                    "ordinary floating point; the two agree to ",
                    ("m", _ten(RTOL_NUMPY)),
                    " (relative). Each of the ",
                    ("u", str(r.n_gradients)),
                    " gradients was also checked by central finite differences of the loss, agreeing to ",
                    ("m", _ten(RTOL_FD)),
                    *(
                        ()
                        if not r.n_chains
                        else (
                            ", and the factors of each chain-rule product printed multiply out to it, to ",
                            ("m", _ten(RTOL_CHAIN)),
                        )
                    ),
                    "."
                    + (
                        f" The loss over all {self.spec.steps} steps was recomputed both ways too."
                        if self.spec.steps > 1
                        else ""
                    ),
                )
            )
        )
        if r.notes:
            sec.blocks.append(Para(P(("u", " ".join(r.notes)))))
        return sec

    # ---- selection


def _log_rows(n: int) -> set[int]:
    """The rows of a loss table: the first steps, then log-spaced ones, then the last."""
    rows = set(range(min(n, 5) + 1)) | {n}
    k = 1
    while k < n:
        for m in (1, 2, 5):
            if m * k <= n:
                rows.add(m * k)
        k *= 10
    return rows


def _ten(tolerance: float) -> str:
    """A tolerance that is a power of ten, as LaTeX: 1e-09 -> 10^{-9}."""
    return r"10^{%d}" % round(math.log10(tolerance))
