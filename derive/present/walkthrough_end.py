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
from derive.verify.history import rounded_steps
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

    def update(self, s: int | None = None) -> Section:
        """The update (online: the one after sample ``s``, from the parameters the one before left)."""
        sec = Section("Gradient-descent update" + ("" if s is None else f" after sample {s + 1}"))
        sec.blocks.append(
            Para(
                P(
                    "Every trainable parameter moves against its gradient"
                    + ("" if s is None else " of this sample's loss")
                    + ", ",
                    ("m", r"p^{\text{new}} = p - \eta\,\frac{\partial J}{\partial p}"),
                    ":",
                )
            )
        )
        rows = []
        for st in self.g:
            if st.kind == "new" and st.sample == s:
                sec.blocks.append(self.eq(st))
                sym = self.g.leaves[st.param]
                before = self.given(sym) if not s else self.val(self.g[str(StepId("new", st.param, s - 1))])
                rows.append(
                    [
                        M(self.names[sym]),
                        M(before),
                        M(self.val(self.g[str(StepId("grad", st.param, s))])),
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
        spec, N = self.spec, self.spec.steps
        rounded = spec.carry == "rounded"
        # the chain the text works with: the rounded one, or the exact one (verified)
        hist, final = rounded_steps(self.g, N) if rounded else (self.wt.loss_history, self.wt.final_parameters)
        sec = Section(f"Training for {N} steps")
        how = f", every value rounded to {self.d} decimal places before it is used again" if rounded else ""
        sec.blocks.append(
            Para(
                P(
                    f"Repeating the update {N} times{how} (each step uses the whole batch; the hidden deltas of a "
                    "step use the weights from before that step's update):"
                )
            )
        )
        shown = _log_rows(N)
        rows = [[T(str(i)), M(self._shown(hist[i]))] for i in shown]
        sec.blocks.append(Table([T("step"), T("loss J")], rows))
        if len(shown) < N + 1:
            spaced = [str(i) for i in shown if FIRST_ROWS < i < N]
            at = ", ".join(spaced[:-1]) + " and " + spaced[-1] if len(spaced) > 1 else spaced[0]
            sec.blocks.append(
                Para(
                    T(
                        f"{N + 1 - len(shown)} of the {N + 1} rows are left out: the table shows the loss before "
                        f"training, after each of the first {FIRST_ROWS} steps, after steps {at}, and after the last."
                    )
                )
            )
        rows = [[M(self.names[self.g.leaves[p]]), M(self._shown(v))] for p, v in final.items()]
        sec.blocks.append(Para(T(f"The parameters after {N} steps:")))
        sec.blocks.append(Table([T("parameter"), T("value")], rows))
        return sec

    def _shown(self, v) -> str:
        """A number of the training tables at the spec's decimals (a float of the exact
        chain, or a SymPy number of the rounded one)."""
        return fmt(v if isinstance(v, sp.Basic) else sp.Float(v, 17), self.d)

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

    def claim(self) -> str:
        """The one sentence under a walkthrough's title: what was verified."""
        checked = "checked against an independent floating-point computation and finite differences"
        skipped = len(self.wt.report.not_compared)
        if skipped:  # values beyond float64 have no float to be checked against
            checked += (
                f", except {skipped} value{'s' if skipped > 1 else ''} beyond the range of floating point "
                "(see Verification)"
            )
        if self.spec.carry != "rounded":
            return f"Every number below was derived exactly and {checked}."
        return (
            f"Every number below was derived exactly, each computed value rounded to {self.d} decimal places "
            f"before it is used again, as with a calculator; the same steps carried at full precision were {checked}."
        )

    def verification(self) -> Section:
        r, N = self.wt.report, self.spec.steps
        sec = Section("Verification")
        if self.spec.carry == "rounded":
            say(
                sec,
                "The values above are the rounded chain a student with a calculator follows: each is its formula "
                f"evaluated at the rounded values shown before it, then rounded to {self.d} decimal places. "
                "Rounding moves them away from the exact values, so they are not compared with anything. ",
                *self._checks(
                    f"The exact chain behind them (the same {r.n_values} values carried at full precision"
                    + (f", {len(r.not_compared)} of them beyond floating point" if r.not_compared else "")
                    + ")",
                    "its",
                    "each chain-rule product, at full precision,",
                ),
                f" Its loss over all {N} steps was recomputed both ways too; the training table shows the rounded "
                "chain's."
                if N > 1
                else "",
            )
        else:
            say(
                sec,
                *self._checks(
                    f"Each of the {r.n_values - len(r.not_compared)} values above"
                    + (" that floating point can hold" if r.not_compared else ""),
                    "the",
                    "each chain-rule product printed",
                ),
                f" The loss over all {N} steps was recomputed both ways too." if N > 1 else "",
            )
        if r.notes:
            sec.blocks.append(Para(P(("u", " ".join(r.notes)))))
        return sec

    def _checks(self, values: str, whose: str, products: str) -> tuple:
        """The report's three-way checks of ``values``, as parts of a paragraph."""
        r = self.wt.report
        chains: tuple = ()
        if r.n_chains:
            chains = (f", and the factors of {products} multiply out to it, to ", ("m", _ten(RTOL_CHAIN)))
        return (
            f"{values} was computed twice: exactly (fractions, and 50-digit decimals after a transcendental "
            "function), and again by an independent program in ordinary floating point; the two agree to ",
            ("m", _ten(RTOL_NUMPY)),
            f" (relative). Each of {whose} ",
            ("u", str(r.n_gradients)),
            " gradients was also checked by central finite differences of the "
            + ("loss" if self.spec.learning_rate is not None else "output")
            + (" (each sample's own, at the parameters its forward pass used)" if self.spec.batch == "online" else "")
            + ", agreeing to ",
            ("m", _ten(RTOL_FD)),
            *chains,
            ".",
        )


#: A run of up to this many steps shows the loss after every one; a longer run, the first
#: FIRST_ROWS steps, then steps 10, 20, 50, 100, ... and the last.
ALL_ROWS = 20
FIRST_ROWS = 5


def _log_rows(n: int) -> list[int]:
    """The rows of a loss table: every step of a short run; of a long one, the first
    steps, then log-spaced ones, then the last."""
    if n <= ALL_ROWS:
        return list(range(n + 1))
    rows = set(range(FIRST_ROWS + 1)) | {n}
    k = 1
    while k < n:
        for m in (1, 2, 5):
            if m * k <= n:
                rows.add(m * k)
        k *= 10
    return sorted(rows)


def _ten(tolerance: float) -> str:
    """A tolerance that is a power of ten, as LaTeX: 1e-09 -> 10^{-9}."""
    return r"10^{%d}" % round(math.log10(tolerance))


def say(sec: Section, *items) -> None:
    """Append a paragraph made of text and ("m", tex) / ("u", user text) parts."""
    sec.blocks.append(Para(P(*items)))
