"""The closing sections of a walkthrough: the batch gradients, the update, the training
table of ``steps: N``, the published numbers (marked by :mod:`derive.teach.published`) and
the verification. A mixin of the walkthrough's document builder, which supplies ``g``,
``spec``, ``d``, ``names``, ``eq`` and the other helpers these methods read."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import sympy as sp

from derive.graph.optimizers import rule_of
from derive.model.names import StepId, update_suffix
from derive.present.document import Eq, M, P, Para, Parts, Section, T, Table
from derive.present.numbers import fmt
from derive.verify.chains import RTOL_CHAIN
from derive.verify.history import rounded_steps
from derive.verify.three_way import RTOL_FD, RTOL_NUMPY

#: The steps of an update, in the order each parameter's are made.
UPDATE_KINDS = ("m", "v", "mhat", "vhat", "change", "new")
#: How a section names each optimizer's update.
OPTIMIZER_TITLES = {
    "sgd": "Gradient-descent",
    "momentum": "Momentum",
    "nesterov": "Nesterov momentum",
    "rmsprop": "RMSprop",
    "adam": "Adam",
}


class ClosingSections:
    # supplied by the document builder (derive.present.walkthrough_doc)
    wt: Any
    g: Any
    spec: Any
    d: int
    names: dict
    u: int | None
    updates: int
    values: dict
    exact: set

    if TYPE_CHECKING:  # the builder's helpers these sections use

        def eq(self, step, *extra: str, label: Parts | None = None) -> Eq: ...

        def val(self, step) -> str: ...

        def given(self, sym) -> str: ...

    def batch(self) -> Section:
        sec = Section("Batch gradients")
        word = "mean" if self.spec.batch == "mean" else "sum"
        sec.blocks.append(Para(P(f"The batch loss and each gradient are the {word} over the samples:")))
        sec.blocks.append(self.eq(self.g["loss" + update_suffix(self.u)]))
        for st in self.g:
            if st.kind == "grad" and st.sample is None and st.update == self.u:
                sec.blocks.append(self.eq(st))
        return sec

    def update(self, s: int | None = None) -> Section:
        """The update of the steps shown (online: the one after sample ``s``, from the
        parameters the one before left; unrolled steps: N, update ``self.u``)."""
        u, rule = self.u, rule_of(self.spec)
        tag = f" (step {(u or 0) + 1})" if self.updates > 1 else ""
        title = ("Gradient-descent" if rule is None else OPTIMIZER_TITLES[rule.name]) + " update" + tag
        sec = Section(title + ("" if s is None else f" after sample {s + 1}"))
        change = "change" in self.spec.show
        if rule is None:
            rule_tex = r"p^{\text{new}} = p - \eta\,\frac{\partial J}{\partial p}"
            whose = "" if s is None else " of this sample's loss"
            say(
                sec,
                f"Every trainable parameter moves against its gradient{whose}, ",
                ("m", rule_tex),
                "." if change else ":",
            )
        else:
            say(sec, rule.explain + " With g the gradient of parameter p at step t:")
            sec.blocks += [Para(P(("m", line))) for line in rule.textbook]
        if change:
            delta = r"\Delta p = p^{\text{new}} - p"
            say(sec, "The change of each parameter, ", ("m", delta), ", is a step of its own:")
        rows = []
        for st in self.g:
            if st.update != u or st.kind not in UPDATE_KINDS or st.sample != s:
                continue
            sec.blocks.append(self.eq(st))
            if st.kind == "new":
                rows.append(self._update_row(st, s))
        sec.blocks.append(Table([T("parameter"), T("before"), T("gradient"), T("after")], rows))
        frozen = self.spec.frozen()
        if frozen:
            sec.blocks.append(
                Para(P("Frozen (not trained): ", ("m", ", ".join(self.names[self.g.leaves[n]] for n in frozen)), "."))
            )
        return sec

    def _update_row(self, st, s: int | None) -> list:
        """A parameter's row of the update table: its value before, its gradient, after."""
        u, p = self.u, st.param
        if s:  # online: what the previous sample's update left
            before = self.g[str(StepId("new", p, s - 1))].symbol
        elif u:  # unrolled steps: N: what the previous step left
            before = self.g[f"new_{p}" + update_suffix(u - 1)].symbol
        else:
            before = self.g.leaves[p]
        grad = self.g[str(StepId("grad", p, s, update=u))]
        shown = fmt(self.values[before], self.d, before in self.exact)
        return [M(self.names[self.g.leaves[p]]), M(shown), M(self.val(grad)), M(self.val(st))]

    def training(self) -> Section:
        spec, N = self.spec, self.spec.steps
        rounded = spec.carry == "rounded"
        # the chain the text works with: the rounded one, or the exact one (verified)
        params: list = []
        hist, final = rounded_steps(self.g, N, params) if rounded else (self.wt.loss_history, self.wt.final_parameters)
        params = params if rounded else self.wt.param_history
        sec = Section(f"Training for {N} steps")
        how = f", every value rounded to {self.d} decimal places before it is used again" if rounded else ""
        sec.blocks.append(
            Para(
                P(
                    f"Repeating the update {N} times{how} (each step uses the whole batch; the hidden deltas of a "
                    "step use the weights from before that step's update"
                    + ("; the optimizer's state carries from each step to the next" if self.spec.optimizer else "")
                    + "):"
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
        sec.blocks.append(
            Para(
                T(
                    "The parameters before training and after each step"
                    + (" shown above:" if len(shown) < N + 1 else ":")
                )
            )
        )
        names = list(final)
        for lo in range(0, len(names), PARAM_COLUMNS):  # a wide network: several tables side by side in time
            cols = names[lo : lo + PARAM_COLUMNS]
            rows = [[T(str(i))] + [M(self._shown(params[i][p])) for p in cols] for i in shown]
            sec.blocks.append(Table([T("step")] + [M(self.names[self.g.leaves[p]]) for p in cols], rows))
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
#: The parameter table of a training run shows this many parameters a table.
PARAM_COLUMNS = 6
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
