"""The walkthrough of a verified step graph as a :class:`~derive.present.document.Doc`:
the problem, the forward and backward passes, the update, the training table, the
published numbers (marked by :mod:`derive.teach.published`) and the verification."""

from __future__ import annotations

from derive.graph.functions import ACTIVATIONS
from derive.model.names import sample_suffix, update_suffix
from derive.present.document import Doc, Eq, M, P, Para, Parts, Section, T, Table
from derive.present.notation import Printer, differentiated, latex_name, symbol_names
from derive.present.numbers import fmt
from derive.present.problem import statement
from derive.present.walkthrough_end import ClosingSections, say
from derive.present.walkthrough_forms import FormSections
from derive.teach.story import fill_story


class _Builder(ClosingSections, FormSections):
    def __init__(self, wt, questions: dict[str, int] | None = None):
        self.wt = wt
        self.questions = questions or {}  # answer keys: step id -> question number, boxed
        self.shown: list[str] = []  # the step ids, in the order their equations are shown
        self.g = wt.graph
        self.spec = wt.spec
        self.d = self.spec.decimals
        self.names = symbol_names(self.g)
        self.top = differentiated(self.spec)
        self.values = {s.symbol: s.value for s in self.g}
        self.values.update(self.g.given)
        self.fp = Printer(self.names)
        # printed as typed: the given numbers, and steps whose exact value is a short decimal
        self.exact = set(self.g.given) | {st.symbol for st in self.g if _is_exact(st)}
        self.sp_ = Printer(self.names, self.values, self.d, self.exact)
        self.u: int | None = None  # the update whose steps are being shown (unrolled steps: N)
        self.updates = 1 + max((st.update or 0) for st in self.g)

    # ---- helpers
    def tex(self, expr) -> str:
        return self.fp.doprint(expr)

    def num(self, expr) -> str:
        return self.sp_.doprint(expr)

    def val(self, step) -> str:
        return fmt(step.value, self.d, step.symbol in self.exact)

    def given(self, sym) -> str:
        return fmt(self.g.given[sym], self.d, as_given=True)

    def eq(self, step, *extra: str, label: Parts | None = None) -> Eq:
        lines = [self.names[step.symbol], self.tex(step.formula)]
        sub = self.num(step.formula)
        if sub != lines[-1]:
            lines.append(sub)
        lines += list(extra)
        v = self.val(step)
        if v != lines[-1]:
            lines.append(v)
        return self._mark(step, Eq(lines, list(label or [])))

    def _mark(self, step, eq: Eq) -> Eq:
        """In an answer key, box the answer to each question and say which question it is."""
        self.shown.append(step.id)
        eq.step = step.id
        n = self.questions.get(step.id)
        if n is not None:
            eq.lines[-1] = r"\boxed{%s}" % eq.lines[-1]
            eq.label = P(f"Question {n}:")
        return eq

    # ---- the document
    def build(self) -> Doc:
        spec = self.spec
        secs = [self.problem()]
        S, online, after = len(spec.samples), spec.batch == "online", "after" in spec.show
        for u in range(self.updates):
            self.u = u or None
            step = [f"step {u + 1}"] if self.updates > 1 else []
            for s in range(S):
                tags = ([f"sample {s + 1}"] if S > 1 else []) + step
                suffix = f" ({', '.join(tags)})" if tags else ""
                secs.append(self.forward(s, suffix))
                secs.append(self.backward(s, suffix))
                if online:  # each sample's update, then that sample at the new parameters
                    secs.append(self.update(s))
                    if after:
                        secs.append(self.after(s))
            if S > 1 and not online:
                secs.append(self.batch())
            if spec.learning_rate is not None and not online:
                secs.append(self.update())
                if after:
                    secs.append(self.after())
        if spec.steps > 1:
            secs.append(self.training())
        if spec.published:
            secs.append(self.published())
        secs.append(self.verification())
        return Doc(spec.title, fill_story(spec), secs, self.claim())

    def problem(self) -> Section:
        spec, g = self.spec, self.g
        sec = Section("The network and the numbers")
        layers = " → ".join([f"{len(spec.inputs)} inputs"] + [f"{l.size} {l.activation}" for l in spec.layers])
        sec.blocks.append(
            Para(
                P(
                    "A feed-forward network: ",
                    ("u", layers),
                    ". ",
                    "Node ",
                    ("m", r"j"),
                    " of a layer computes ",
                    ("m", r"\mathrm{net}_j = \sum_k w_{jk}\, \mathrm{out}_k + b_j"),
                    " from the outputs of the layer before it (the inputs, for the first layer) and then ",
                    ("m", r"\mathrm{out}_j = f(\mathrm{net}_j)"),
                    ".",
                )
            )
        )
        sec.blocks.append(self._layer_table())

        rows = [
            [M(self.names[g.leaves[name]]), P(("u", what)), M(self.given(g.leaves[name]))]
            for name, what, _ in spec.parameters()
        ]
        sec.blocks.append(Para(T("The parameters before training:" if spec.learning_rate else "The parameters:")))
        sec.blocks.append(Table([T("parameter"), T("connects"), T("value")], rows))

        multi = len(spec.samples) > 1
        header = [T("sample")] + [M(latex_name(n)) for n in spec.inputs] + [M(r"y_{%s}" % o) for o in spec.outputs]
        rows = []
        for s, smp in enumerate(spec.samples):
            rows.append(
                [T(str(s + 1))] + [M(fmt(v, self.d, True)) for v in smp.x] + [M(fmt(v, self.d, True)) for v in smp.y]
            )
        if spec.learning_rate is None:  # (loss: none)
            header = header[: 1 + len(spec.inputs)]
            sec.blocks.append(Para(T("The input (there is no target: the output itself is differentiated):")))
        else:
            sec.blocks.append(Para(T("The training sample" + ("s" if multi else "") + " (inputs and target):")))
        sec.blocks.append(Table(header, rows))

        sec.blocks.append(Para(statement(spec)))
        if spec.carry == "rounded":
            note = (
                f"Every value is rounded to {self.d} decimal places and the rounded value is used in the steps "
                "that follow, as with a calculator."
            )
        else:
            note = (
                f"Values are shown to {self.d} decimal places but carried at full precision; recomputing a step "
                "from the rounded numbers shown can differ in the last place."
            )
        sec.blocks.append(Para(T(note)))
        return sec

    def _layer_table(self) -> Table:
        """One row per layer: its nodes, activation, bias and where its inputs come from."""
        rows = []
        for li, layer in enumerate(self.spec.layers):
            prev = self.spec.inputs if li == 0 else self.spec.layers[li - 1].nodes
            bias = {"none": "none", "neuron": "one per node", "shared": "one for the layer"}[layer.bias]
            if layer.bias != "none" and not layer.train_bias:
                bias += " (frozen)"
            act = ACTIVATIONS[layer.activation]
            rows.append(
                [
                    P(("u", layer.name)),
                    P(("u", ", ".join(layer.nodes))),
                    P(("m", act.defined))
                    if layer.activation != "leaky-relu"
                    else P(("m", act.defined.replace(r"\alpha", fmt(layer.alpha, self.d, True)))),
                    P(("u", bias)),
                    P(("u", ", ".join(prev))),
                ]
            )
        return Table([T("layer"), T("nodes"), T("activation"), T("bias"), T("inputs from")], rows)

    def forward(self, s: int, suffix: str) -> Section:
        spec, g = self.spec, self.g
        sec = Section("Forward pass" + suffix)
        for li, layer in enumerate(spec.layers):
            act = ACTIVATIONS[layer.activation]
            kind = "output layer" if li == len(spec.layers) - 1 else "hidden layer"
            sec.blocks.append(
                Para(P(f"{kind.capitalize()} ", ("u", layer.name), ", activation ", ("m", act.defined), ":"))
            )
            # node by node; a softmax's outputs each read every net, so its nets come first
            groups = [("net", "out")] if act.elementwise else [("net",), ("out",)]
            for kinds in groups:
                sec.blocks += [self.eq(st) for st in self._layer_steps(s, li, kinds)]
        if spec.learning_rate is None:
            return sec
        loss = g["loss" + self._sfx(s) + update_suffix(self.u)]
        sec.blocks.append(Para(T("The loss of this sample:" if len(spec.samples) > 1 else "The loss:")))
        sec.blocks.append(self.eq(loss))
        return sec

    def backward(self, s: int, suffix: str) -> Section:
        sec = Section("Backward pass" + suffix)
        delta = r"\delta_j = \frac{\partial %s}{\partial \mathrm{net}_j}" % self.top
        say(
            sec,
            "The error signal of a node is ",
            ("m", delta),
            ". It is found at the output first and then passed back, layer by layer.",
        )
        self._output_deltas(sec, s)
        self._hidden_deltas(sec, s)
        say(
            sec,
            "The gradient of each parameter: the chain rule along every path from the "
            + ("loss" if self.top == "J" else "output")
            + " to it, and the same product written with the deltas (",
            ("m", r"\frac{\partial %s}{\partial w_{jk}} = \delta_j\, \mathrm{out}_k" % self.top),
            ").",
        )
        for st in self._grads(s):
            sec.blocks.append(self.grad_eq(st))
        self.input_grads(sec, s)
        return sec

    def _output_deltas(self, sec: Section, s: int) -> None:
        L = len(self.spec.layers) - 1
        last = self.spec.layers[L]
        if self.spec.learning_rate is None:
            kinds = self.no_loss_deltas(sec, s, L, ACTIVATIONS[last.activation])
            sec.blocks += [self.eq(st) for kind in kinds for st in self._layer_steps(s, L, (kind,))]
            return
        if self.spec.loss == "cross-entropy":
            chain = (
                r"\sum_k \frac{\partial J}{\partial \mathrm{out}_k}"
                r"\frac{\partial \mathrm{out}_k}{\partial \mathrm{net}_j}"
            )
            say(
                sec,
                "With a softmax output and the cross-entropy loss, the chain ",
                ("m", chain),
                " collapses to ",
                ("m", r"\delta_j = \mathrm{out}_j - y_j"),
                " (the derivation sheet “Cross-entropy after a softmax” works it out line by line).",
            )
        else:
            say(
                sec,
                "Output layer ",
                ("u", last.name),
                ": the derivative of the loss with respect to each output, taken from the loss formula,",
            )
            sec.blocks += [self.eq(st) for st in self._layer_steps(s, L, ("dloss_dout",))]
            if last.activation == "softmax":
                say(
                    sec,
                    "Softmax couples the outputs, so ",
                    ("m", ACTIVATIONS["softmax"].identity),
                    " and the delta is a Jacobian product:",
                )
            else:
                say(
                    sec,
                    "the derivative of the activation, by the identity ",
                    ("m", ACTIVATIONS[last.activation].identity),
                    ",",
                )
                sec.blocks += [self.eq(st) for st in self._layer_steps(s, L, ("dout_dnet",))]
                product = (
                    r"\delta_j = \frac{\partial J}{\partial \mathrm{out}_j}"
                    r"\cdot\frac{\partial \mathrm{out}_j}{\partial \mathrm{net}_j}"
                )
                say(sec, "and their product, ", ("m", product), ":")
        sec.blocks += [self.eq(st) for st in self._layer_steps(s, L, ("delta",))]

    def _hidden_deltas(self, sec: Section, s: int) -> None:
        layers = self.spec.layers
        for li in range(len(layers) - 2, -1, -1):
            say(
                sec,
                "Hidden layer ",
                ("u", layers[li].name),
                ": each node passes back the deltas of layer ",
                ("u", layers[li + 1].name),
                " through its outgoing weights (the weights before the update), ",
                ("m", r"\delta_j = f'(\mathrm{net}_j) \sum_m w_{mj}\,\delta_m"),
                ", with ",
                ("m", ACTIVATIONS[layers[li].activation].identity),
                ":",
            )
            sec.blocks += [self.eq(st) for st in self._layer_steps(s, li, ("dout_dnet",))]
            sec.blocks += [self.eq(st) for st in self._layer_steps(s, li, ("delta",))]

    def grad_eq(self, st) -> Eq:
        lines = [self.names[st.symbol]]
        if st.chain:
            sym_paths = [r" \cdot ".join(self._fraction(f) for f in path) for path in st.chain]
            num_paths = ["".join(f"({self._factor_value(f)})" for f in path) for path in st.chain]
            if st.decay:  # the L2 penalty's own term, lam * w, after the chain rule's paths
                lam, w = self.g.leaves["lam"], self._symbol(st.decay)
                sym_paths.append(rf"{self.names[lam]}\, {self.names[w]}")
                num_paths.append(rf"{self.given(lam)} \cdot ({fmt(self.values[w], self.d, w in self.exact)})")
            # one path a line: a line that starts with "+" continues the sum above it
            lines += [
                sym_paths[0],
                *("+ " + p for p in sym_paths[1:]),
                num_paths[0],
                *("+ " + p for p in num_paths[1:]),
            ]
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
        return r"\frac{\partial %s}{\partial %s}" % (
            self.names[self._symbol(factor.top)],
            self.names[self._symbol(factor.bottom)],
        )

    def _factor_value(self, factor) -> str:
        """The number a chain-rule factor stands for (verified by derive.verify.chains)."""
        if factor.value == 1:
            return fmt(1, self.d, True)
        sym = self._symbol(factor.value)
        return fmt(self.values[sym], self.d, sym in self.exact)

    def _sfx(self, s):
        return sample_suffix(s if len(self.spec.samples) > 1 else None)

    def _layer_steps(self, s, li, kinds):
        """The steps of layer ``li`` and sample ``s`` of the given kinds, in graph order: the
        graph lists every step after the steps it reads (:mod:`derive.graph.builder`), so a
        walkthrough that keeps its order never shows a value before those it is made from
        (a softmax output reads every net of its layer)."""
        return [
            st
            for st in self.g
            if st.layer == li and st.kind in kinds and st.sample == s and st.update == self.u and not st.after
        ]

    def _grads(self, s):
        return [
            st for st in self.g if st.kind == "grad" and st.sample == s and st.param is not None and st.update == self.u
        ]


def _is_exact(step) -> bool:
    """True when the shown value is the exact one (not a rounding of it)."""
    return step.value.is_Rational and step.value == step.exact


def document(wt, questions: dict[str, int] | None = None) -> Doc:
    """The format-neutral walkthrough of ``wt``; ``questions`` boxes those steps' answers."""
    return _Builder(wt, questions).build()


def presented_order(wt) -> list[str]:
    """Every step id in the order the walkthrough of ``wt`` (and so an answer key) first
    shows it; a worksheet numbers its questions in this order."""
    b = _Builder(wt)
    b.build()
    shown = dict.fromkeys(b.shown)
    return list(shown) + [sid for sid in wt.graph.ids if sid not in shown]
