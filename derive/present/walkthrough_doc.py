"""The walkthrough of a verified step graph as a :class:`~derive.present.document.Doc`:
the problem, the forward and backward passes, the update, the training table, the
published numbers (marked by :mod:`derive.teach.published`) and the verification."""
from __future__ import annotations

import math

import sympy as sp

from derive.graph.functions import ACTIVATIONS, LOSSES
from derive.graph.steps import fmt
from derive.model.names import StepId, sample_suffix
from derive.present.document import Doc, Eq, M, P, Para, Parts, Section, T, Table
from derive.present.notation import Printer, latex_name, symbol_names
from derive.present.problem import statement
from derive.verify.chains import RTOL_CHAIN
from derive.verify.three_way import RTOL_FD, RTOL_NUMPY


class _Builder:
    def __init__(self, wt, questions: dict[str, int] | None = None):
        self.wt = wt
        self.questions = questions or {}   # answer keys: step id -> question number, boxed
        self.g = wt.graph
        self.spec = wt.spec
        self.d = self.spec.decimals
        self.names = symbol_names(self.g)
        self.values = {s.symbol: s.value for s in self.g}
        self.values.update(self.g.given)
        self.fp = Printer(self.names)
        # printed as typed: the given numbers, and steps whose exact value is a short decimal
        self.exact = set(self.g.given) | {st.symbol for st in self.g if _is_exact(st)}
        self.sp_ = Printer(self.names, self.values, self.d, self.exact)

    # ---- helpers
    def tex(self, expr) -> str:
        return self.fp.doprint(expr)

    def num(self, expr) -> str:
        return self.sp_.doprint(expr)

    def val(self, step) -> str:
        return fmt(step.value, self.d, step.symbol in self.exact)

    def given(self, sym) -> str:
        return fmt(self.g.given[sym], self.d, as_given=True)

    def eq(self, step, *extra: str, label: Parts = ()) -> Eq:
        lines = [self.names[step.symbol], self.tex(step.formula)]
        sub = self.num(step.formula)
        if sub != lines[-1]:
            lines.append(sub)
        lines += list(extra)
        v = self.val(step)
        if v != lines[-1]:
            lines.append(v)
        return self._mark(step, Eq(lines, list(label)))

    def _mark(self, step, eq: Eq) -> Eq:
        """In an answer key, box the answer to each question and say which question it is."""
        n = self.questions.get(step.id)
        if n is not None:
            eq.lines[-1] = r"\boxed{%s}" % eq.lines[-1]
            eq.label = P(f"Question {n}:")
        return eq

    # ---- the document
    def build(self) -> Doc:
        spec = self.spec
        secs = [self.problem()]
        S = len(spec.samples)
        for s in range(S):
            suffix = f" (sample {s + 1})" if S > 1 else ""
            secs.append(self.forward(s, suffix))
            secs.append(self.backward(s, suffix))
        if S > 1:
            secs.append(self.batch())
        secs.append(self.update())
        if spec.steps > 1:
            secs.append(self.training())
        if spec.published:
            secs.append(self.published())
        secs.append(self.verification())
        return Doc(spec.title, spec.story, secs)

    def problem(self) -> Section:
        spec, g = self.spec, self.g
        sec = Section("The network and the numbers")
        layers = " → ".join([f"{len(spec.inputs)} inputs"] + [f"{l.size} {l.activation}" for l in spec.layers])
        sec.blocks.append(Para(P("A feed-forward network: ", ("u", layers), ". ",
                                 "Node ", ("m", r"j"), " of a layer computes ",
                                 ("m", r"\mathrm{net}_j = \sum_k w_{jk}\, \mathrm{out}_k + b_j"),
                                 " from the outputs of the layer before it (the inputs, for the first layer) and then ",
                                 ("m", r"\mathrm{out}_j = f(\mathrm{net}_j)"), ".")))
        rows = []
        for li, layer in enumerate(spec.layers):
            prev = spec.inputs if li == 0 else spec.layers[li - 1].nodes
            bias = {"none": "none", "neuron": "one per node", "shared": "one for the layer"}[layer.bias]
            if layer.bias != "none" and not layer.train_bias:
                bias += " (frozen)"
            act = ACTIVATIONS[layer.activation]
            rows.append([P(("u", layer.name)), P(("u", ", ".join(layer.nodes))),
                         P(("m", act.defined)) if layer.activation != "leaky-relu" else P(("m", act.defined.replace(r"\alpha", fmt(layer.alpha, self.d, True)))),
                         P(("u", bias)), P(("u", ", ".join(prev)))])
        sec.blocks.append(Table([T("layer"), T("nodes"), T("activation"), T("bias"), T("inputs from")], rows))

        rows = [[M(self.names[g.leaves[name]]), P(("u", what)), M(self.given(g.leaves[name]))]
                for name, what, _ in spec.parameters()]
        sec.blocks.append(Para(T("The parameters before training:")))
        sec.blocks.append(Table([T("parameter"), T("connects"), T("value")], rows))

        multi = len(spec.samples) > 1
        header = [T("sample")] + [M(latex_name(n)) for n in spec.inputs] \
            + [M(r"y_{%s}" % o) for o in spec.outputs]
        rows = []
        for s, smp in enumerate(spec.samples):
            rows.append([T(str(s + 1))] + [M(fmt(v, self.d, True)) for v in smp.x] + [M(fmt(v, self.d, True)) for v in smp.y])
        sec.blocks.append(Para(T("The training sample" + ("s" if multi else "") + " (inputs and target):")))
        sec.blocks.append(Table(header, rows))

        sec.blocks.append(Para(statement(spec)))
        if spec.carry == "rounded":
            note = f"Every value is rounded to {self.d} decimal places and the rounded value is used in the steps that follow, as with a calculator."
        else:
            note = (f"Values are shown to {self.d} decimal places but carried at full precision; recomputing a step "
                    "from the rounded numbers shown can differ in the last place.")
        sec.blocks.append(Para(T(note)))
        return sec

    def forward(self, s: int, suffix: str) -> Section:
        spec, g = self.spec, self.g
        sec = Section("Forward pass" + suffix)
        for li, layer in enumerate(spec.layers):
            act = ACTIVATIONS[layer.activation]
            kind = "output layer" if li == len(spec.layers) - 1 else "hidden layer"
            sec.blocks.append(Para(P(f"{kind.capitalize()} ", ("u", layer.name), ", activation ", ("m", act.defined), ":")))
            for st in self._layer_steps(s, li, ("net", "out")):
                sec.blocks.append(self.eq(st))
        loss = g["loss" + self._sfx(s)]
        sec.blocks.append(Para(T("The loss of this sample:" if len(spec.samples) > 1 else "The loss:")))
        sec.blocks.append(self.eq(loss))
        return sec

    def backward(self, s: int, suffix: str) -> Section:
        spec = self.spec
        sec = Section("Backward pass" + suffix)
        L = len(spec.layers) - 1
        last = spec.layers[L]
        sec.blocks.append(Para(P("The error signal of a node is ", ("m", r"\delta_j = \frac{\partial J}{\partial \mathrm{net}_j}"),
                                 ". It is found at the output first and then passed back, layer by layer.")))
        if spec.loss == "cross-entropy":
            sec.blocks.append(Para(P("With a softmax output and the cross-entropy loss, the chain ",
                                     ("m", r"\sum_k \frac{\partial J}{\partial \mathrm{out}_k}\frac{\partial \mathrm{out}_k}{\partial \mathrm{net}_j}"),
                                     " collapses to ", ("m", r"\delta_j = \mathrm{out}_j - y_j"),
                                     " (SymPy proves this identity in the test suite).")))
        else:
            sec.blocks.append(Para(P("Output layer ", ("u", last.name), ": the derivative of the loss with respect to each output, taken from the loss formula,")))
            for st in self._layer_steps(s, L, ("dloss_dout",)):
                sec.blocks.append(self.eq(st))
            if last.activation == "softmax":
                sec.blocks.append(Para(P("Softmax couples the outputs, so ", ("m", ACTIVATIONS["softmax"].identity),
                                         " and the delta is a Jacobian product:")))
            else:
                sec.blocks.append(Para(P("the derivative of the activation, by the identity ", ("m", ACTIVATIONS[last.activation].identity), ","))) 
                for st in self._layer_steps(s, L, ("dout_dnet",)):
                    sec.blocks.append(self.eq(st))
                sec.blocks.append(Para(P("and their product, ", ("m", r"\delta_j = \frac{\partial J}{\partial \mathrm{out}_j}\cdot\frac{\partial \mathrm{out}_j}{\partial \mathrm{net}_j}"), ":")))
        for st in self._layer_steps(s, L, ("delta",)):
            sec.blocks.append(self.eq(st))
        for li in range(L - 1, -1, -1):
            layer = spec.layers[li]
            nxt = spec.layers[li + 1]
            sec.blocks.append(Para(P("Hidden layer ", ("u", layer.name), ": each node passes back the deltas of layer ", ("u", nxt.name),
                                     " through its outgoing weights (the weights before the update), ",
                                     ("m", r"\delta_j = f'(\mathrm{net}_j) \sum_m w_{mj}\,\delta_m"),
                                     ", with ", ("m", ACTIVATIONS[layer.activation].identity), ":")))
            for st in self._layer_steps(s, li, ("dout_dnet",)):
                sec.blocks.append(self.eq(st))
            for st in self._layer_steps(s, li, ("delta",)):
                sec.blocks.append(self.eq(st))
        sec.blocks.append(Para(P("The gradient of each parameter: the chain rule along every path from the loss to it, "
                                 "and the same product written with the deltas (",
                                 ("m", r"\frac{\partial J}{\partial w_{jk}} = \delta_j\, \mathrm{out}_k"), ").")))
        for st in self._grads(s):
            sec.blocks.append(self.grad_eq(st))
        return sec

    def grad_eq(self, st) -> Eq:
        lines = [self.names[st.symbol]]
        if st.chain:
            sym_paths = [r" \cdot ".join(self._fraction(f) for f in path) for path in st.chain]
            num_paths = ["".join(f"({self._factor_value(f)})" for f in path) for path in st.chain]
            # one path a line: a line that starts with "+" continues the sum above it
            lines += [sym_paths[0], *("+ " + p for p in sym_paths[1:]),
                      num_paths[0], *("+ " + p for p in num_paths[1:])]
        f = self.tex(st.formula)
        lines.append(f)
        sub = self.num(st.formula)
        if sub != f:
            lines.append(sub)
        lines.append(self.val(st))
        return self._mark(st, Eq(lines))

    def _symbol(self, ref: str):
        """The symbol of a step id or of a given number's name."""
        return self.g[ref].symbol if ref in self.g.by_id else self.g.leaves[ref]

    def _fraction(self, factor) -> str:
        return r"\frac{\partial %s}{\partial %s}" % (self.names[self._symbol(factor.top)],
                                                     self.names[self._symbol(factor.bottom)])

    def _factor_value(self, factor) -> str:
        """The number a chain-rule factor stands for (verified by derive.verify.chains)."""
        if factor.value == 1:
            return fmt(1, self.d, True)
        sym = self._symbol(factor.value)
        return fmt(self.values[sym], self.d, sym in self.exact)

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
        sec.blocks.append(Para(P("Every trainable parameter moves against its gradient, ",
                                 ("m", r"p^{\text{new}} = p - \eta\,\frac{\partial J}{\partial p}"), ":")))
        rows = []
        for st in self.g:
            if st.kind == "new":
                sec.blocks.append(self.eq(st))
                sym = self.g.leaves[st.param]
                rows.append([M(self.names[sym]), M(self.given(sym)), M(self.val(self.g[str(StepId("grad", st.param))])), M(self.val(st))])
        sec.blocks.append(Table([T("parameter"), T("before"), T("gradient"), T("after")], rows))
        frozen = self.spec.frozen()
        if frozen:
            sec.blocks.append(Para(P("Frozen (not trained): ", ("m", ", ".join(self.names[self.g.leaves[n]] for n in frozen)), ".")))
        return sec

    def training(self) -> Section:
        wt, spec = self.wt, self.spec
        hist = wt.loss_history
        N = spec.steps
        sec = Section(f"Training for {N} steps")
        sec.blocks.append(Para(P(f"Repeating the update {N} times (each step uses the whole batch; the hidden deltas of a step use "
                                 "the weights from before that step's update):")))
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
        sec.blocks.append(Para(P("The numbers printed in ", ("u", src), " marked like a student's answers: right when the "
                                 "verified value rounds to the digits printed, a follow-through when the number is right "
                                 "for the printed numbers it was computed from, and otherwise wrong, with the known "
                                 "mistake that reproduces it where there is one.")))
        rows = []
        for m in self.wt.published_marks:
            st = self.g[m.step_id]
            if m.verdict == "right":
                verdict = P("right")
            elif m.verdict == "consistent":
                verdict = P("off in the last digit, but consistent with the rounded numbers printed before it")
            elif m.verdict == "follow-through":
                verdict = P("follows from the printed ", ("m", ", ".join(self.names[self.g[f].symbol] for f in m.follows)))
            else:
                # the catalogue's titles use σ, η and ½: escaped per format like user text
                verdict = P("wrong", ("u", f": {m.misconception}" if m.misconception else ""))
            rows.append([M(self.names[st.symbol]), M(m.number.text if m.number else fmt(m.printed, self.d, True)),
                         M(fmt(st.exact, max(self.d, m.places))), verdict])
        sec.blocks.append(Table([T("quantity"), T("printed"), T("verified"), T("verdict")], rows))
        return sec

    def verification(self) -> Section:
        r = self.wt.report
        sec = Section("Verification")
        sec.blocks.append(Para(P(
            f"Each of the {r.n_values} values above was computed by SymPy (exact rationals, 50-digit floats after a "
            "transcendental function) and again by an independent NumPy implementation in float64; the two agree to ",
            ("m", _ten(RTOL_NUMPY)), " (relative). Each of the ", ("u", str(r.n_gradients)),
            " gradients was also checked by central finite differences of the loss, agreeing to ", ("m", _ten(RTOL_FD)),
            *(() if not r.n_chains else
              (", and the factors of each chain-rule product printed multiply out to it, to ", ("m", _ten(RTOL_CHAIN)))),
            "." + (f" The loss over all {self.spec.steps} steps was recomputed both ways too." if self.spec.steps > 1 else ""))))
        if r.notes:
            sec.blocks.append(Para(P(("u", " ".join(r.notes)))))
        return sec

    # ---- selection
    def _sfx(self, s):
        return sample_suffix(s if len(self.spec.samples) > 1 else None)

    def _layer_steps(self, s, li, kinds):
        return [st for st in self.g if st.layer == li and st.kind in kinds and st.sample == s
                for _ in [0]] if len(kinds) == 1 else \
            [st for j in range(self.spec.layers[li].size) for k in kinds
             for st in self.g if st.layer == li and st.node == j and st.kind == k and st.sample == s]

    def _grads(self, s):
        return [st for st in self.g if st.kind == "grad" and st.sample == s]


def _is_exact(step) -> bool:
    """True when the shown value is the exact one (not a rounding of it)."""
    return step.value.is_Rational and step.value == step.exact


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




def document(wt, questions: dict[str, int] | None = None) -> Doc:
    """The format-neutral walkthrough of ``wt``; ``questions`` boxes those steps' answers."""
    return _Builder(wt, questions).build()


def _ten(tolerance: float) -> str:
    """A tolerance that is a power of ten, as LaTeX: 1e-09 -> 10^{-9}."""
    return r"10^{%d}" % round(math.log10(tolerance))
