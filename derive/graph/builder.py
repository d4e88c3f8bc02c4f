"""Build the step graph of a spec with SymPy, by the delta recursion.

Every local derivative comes from the object that owns it, as in micrograd: an activation
knows d out / d net (:mod:`derive.graph.functions`), a loss knows dJ/dout, and a net input
knows that d net_j / d w_jk is the input the weight multiplies and d net_m / d out_j is the
weight between them. So no step is found by differentiating a larger expression, and the
work grows linearly with the number of weights:

    delta_j (output)  = dJ/dout_j * dout_j/dnet_j        (softmax + cross-entropy: out_j - y_j)
    delta_j (hidden)  = dout_j/dnet_j * sum_m w_mj * delta_m
    dJ/dw_jk          = delta_j * out_k                  (out_k: the input the weight multiplies)

The graph holds formulas, values and references (deps, chain-rule paths, the terms of a
hidden delta's sum); how they are written is decided in :mod:`derive.present`.

>>> from derive.model.spec import load_spec
>>> g = derive(load_spec("worked/four.yaml"))
>>> g["grad_w9"].formula
delta_o1*out_h1
>>> g["dout_dnet_h1"].formula
out_h1*(1 - out_h1)
>>> g["delta_h1"].back
(('w9', 'delta_o1'),)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from derive.graph.chain import NodePaths
from derive.graph.collector import paused_collector
from derive.graph.functions import ACTIVATIONS, LOSSES
from derive.graph.optimizers import l2_penalty, rule_of, settings_of, unrolled
from derive.graph.passes import Passes
from derive.graph.passes import recipe_sum as _sum
from derive.graph.steps import Given, Step, StepGraph, check_order
from derive.graph.updates import Updates
from derive.model.names import AFTER, sample_suffix, update_suffix
from derive.model.spec import Spec, SpecError


@dataclass
class _Pass:
    """One sample's steps, by layer and node, while its backward pass is built."""

    s: int
    x: list  # input names
    #: the names this pass reads for the weights (W[layer][j][k]) and biases (B[layer][j]):
    #: given names, or ``new_<p>_s<k>`` steps in an online pass after the first
    W: list = field(default_factory=list)
    B: list = field(default_factory=list)
    after: bool = False  # a forward pass at the updated parameters (net_h1_after)
    ys: list = field(default_factory=list)  # target names
    nets: list = field(default_factory=list)
    outs: list = field(default_factory=list)
    douts: list = field(default_factory=list)  # None for a softmax output layer
    deltas: list = field(default_factory=list)
    #: the loss, dJ/dout and delta of the output layer from its nets (Loss.logit_forms), or Nones
    stable: tuple = (None, None, None)

    def inputs(self, li: int) -> list[str]:
        """The names of what layer ``li`` multiplies by its weights."""
        return self.x if li == 0 else [o.id for o in self.outs[li - 1]]


class _Builder(Passes, Updates):
    """Builds the steps in the order a student works: for each sample the forward pass, the
    loss and the backward pass; then the batch values and the updates. Sums and products are
    kept as recipes (:mod:`derive.graph.arith`); other formulas are SymPy expressions.

    The order is the one every consumer keeps (the walkthrough, a sheet's question numbers,
    the checker), so it obeys one rule, checked by :func:`check_order`: every step comes
    after all the steps its formula reads. Within a layer that means every net before any
    output, as a softmax output reads all the nets of its layer."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.steps: list[Step] = []
        self.values = given_values(spec)
        self.givens: dict[str, Given] = {}
        self.multi = len(spec.samples) > 1
        self.loss = LOSSES.get(spec.loss)  # None with loss: none (the output itself is differentiated)
        self.online = spec.batch == "online"
        self.trainable = [p for p in spec.iter_parameters() if p.trainable]
        # gradients are emitted in backprop order: the output layer's parameters first
        self.order = sorted(self.trainable, key=lambda p: -p.layer)
        self.params = {q.name: q for q in spec.iter_parameters()}
        self.update: int | None = None  # the update being built (None: the first)
        self.rule = rule_of(spec)
        #: the optimizer's state between updates: parameter -> {"m": step id, "v": step id}
        self.state: dict[str, dict[str, str]] = {}
        self.t = 0  # updates made so far
        self.lam = "lam" if spec.weight_decay else None
        #: the L2 term in each sample's own loss and gradients: with one sample, or online
        #: (each sample's update descends its own J); a batch adds it to the batch values
        self.decay = self.lam if not self.multi or spec.batch == "online" else None

    # ---- names
    def leaf(self, name: str, role: str, subject: str, sample: int | None = None) -> str:
        """Record a given number (parameter, input, target, eta); returns its name."""
        self.givens[name] = Given(name, role, subject, sample)
        return name

    def step_id(self, kind: str, subject: str | None, s: int | None, after: bool = False) -> str:
        """A step's id (the grammar of derive.model.names.StepId): per-sample steps carry their
        sample only when there are several."""
        head = kind if subject is None else f"{kind}_{subject}"
        return head + (AFTER if after else "") + sample_suffix(s if self.multi else None) + update_suffix(self.update)

    def add(self, kind: str, subject: str | None, recipe, s: int | None = None, deps=None, **meta) -> Step:
        """Append a step. ``deps`` lists the ids of the steps it reads; without it they are
        read off its (SymPy) formula, which is cheap for a per-node step."""
        symbols = None
        if deps is None:
            symbols = recipe.free_symbols
            deps = [f.name for f in symbols if f.name not in self.givens]
        step = Step(
            self.step_id(kind, subject, s, meta.get("after", False)),
            kind,
            recipe,
            tuple(sorted(deps)),
            sample=s,
            subject=subject,
            update=self.update,
            **meta,
        )
        if symbols is not None:
            step.remember_symbols(symbols)
        self.steps.append(step)
        return step

    # ---- the graph
    def build(self) -> StepGraph:
        spec = self.spec
        if self.loss is not None:
            self.eta = self.leaf("eta", "rate", "eta")
        for name in settings_of(spec):
            if name != "eta":
                self.leaf(name, "setting", name)
        if self.lam:
            self.leaf(self.lam, "setting", self.lam)
        self.W: list[list[list[str]]] = []
        self.B: list[list[str] | None] = []
        for layer in spec.layers:
            self.W.append([[self.leaf(n, "parameter", n) for n in r] for r in spec.weight_names[layer.name]])
            if layer.bias == "neuron":
                self.B.append([self.leaf(n, "parameter", n) for n in spec.bias_names[layer.name]])
            elif layer.bias == "shared":
                shared = str(spec.bias_names[layer.name])
                b = self.leaf(shared, "parameter", shared)
                self.B.append([b] * layer.size)
            else:
                self.B.append(None)
        #: each parameter's current value: its given name, then the step of its latest update
        self.latest = {p.name: p.name for p in spec.iter_parameters()}
        for u in range(unrolled(spec, len(self.trainable)) if self.loss is not None else 1):
            self.update = u or None
            self.passes()
        check_order(self.steps)
        ids = {s.id for s in self.steps}
        for pid in spec.published:
            if pid not in ids:
                raise SpecError(spec.source, f"published.values.{pid}", "not a step id of this network")
        return StepGraph(spec, self.steps, self.values, self.givens)

    def sample(self, s: int) -> dict[str, Step]:
        """Forward and backward steps of sample ``s``; returns its per-parameter gradient steps."""
        spec = self.spec
        p = self.new_pass(s)
        for li in range(len(spec.layers)):
            self.forward(p, li)
        p.douts = [None] * len(spec.layers)
        p.deltas = [None] * len(spec.layers)
        if self.loss is None:
            self.output_of_itself(p)
        else:
            self.loss_step(p)
            self.output_deltas(p)
        for li in range(len(spec.layers) - 2, -1, -1):
            self.hidden_deltas(p, li)
        grads = self.gradients(p)
        if spec.input_gradients:
            self.input_gradients(p)
        return grads

    def new_pass(self, s: int, after: bool = False) -> _Pass:
        """A pass over sample ``s`` reading the parameters' current values (:attr:`latest`)."""
        spec, sfx = self.spec, sample_suffix(s if self.multi else None)
        one = s if self.multi else None
        cur = self.latest
        W = [[[cur[w] for w in row] for row in layer] for layer in self.W]
        B = [None if b is None else [cur[n] for n in b] for b in self.B]
        p = _Pass(s, [self.leaf(f"{n}{sfx}", "input", n, one) for n in spec.inputs], W=W, B=B, after=after)
        if self.loss is not None:
            p.ys = [self.leaf(f"y_{o}{sfx}", "target", o, one) for o in spec.layers[-1].nodes]
        return p

    def loss_step(self, p: _Pass) -> Step:
        """The loss of the pass's sample from its outputs (and, where exact, its output nets)."""
        ys = [sp.Symbol(y) for y in p.ys]
        loss_expr = self.loss.expr([o.symbol for o in p.outs[-1]], ys)
        p.stable = self.loss.logit_forms([n.symbol for n in p.nets[-1]], ys) or (None, None, None)
        stable = p.stable[0]
        if self.decay:  # this sample's loss is the J its update descends: with the L2 penalty
            pen = l2_penalty(self.decay, [w for layer in p.W for row in layer for w in row])
            loss_expr, stable = loss_expr + pen, stable and stable + pen
        return self.add("loss", None, loss_expr, p.s, stable=stable, after=p.after)

    def forward(self, p: _Pass, li: int) -> None:
        """The nets and outputs of layer ``li``: net_j = sum_k w_jk in_k (+ b_j), out = f(net)."""
        layer = self.spec.layers[li]
        ins = p.inputs(li)
        in_ids = [] if li == 0 else ins
        nets = []
        biases = p.B[li]
        for j, node in enumerate(layer.nodes):
            terms: list = [("*", w, v) for w, v in zip(p.W[li][j], ins)]
            if biases is not None:
                terms.append(biases[j])
            # an online pass after the first reads the updated parameters, which are steps
            deps = in_ids + [t for t in p.W[li][j] + (biases[j : j + 1] if biases else []) if t not in self.givens]
            nets.append(self.add("net", node, _sum(terms), p.s, deps, layer=li, node=j, after=p.after))
        forms = ACTIVATIONS[layer.activation].layer([n.symbol for n in nets], layer.alpha)
        p.nets.append(nets)
        p.outs.append(
            [
                self.add("out", node, forms[j], p.s, layer=li, node=j, after=p.after)
                for j, node in enumerate(layer.nodes)
            ]
        )

    def output_deltas(self, p: _Pass) -> None:
        """dJ/dout, dout/dnet and delta of the output layer (or the loss's own delta)."""
        L = len(self.spec.layers) - 1
        last = self.spec.layers[L]
        act = ACTIVATIONS[last.activation]
        yhat, ys = [o.symbol for o in p.outs[L]], [sp.Symbol(y) for y in p.ys]
        meta = [dict(layer=L, node=j) for j in range(last.size)]
        fused = [self.loss.fused_delta(yhat[j], ys[j]) for j in range(last.size)]
        if fused[0] is not None:  # softmax + cross-entropy: dJ/dnet_j = out_j - y_j (derived in the tests)
            p.douts[L] = [None] * last.size
            p.deltas[L] = [self.add("delta", n, fused[j], p.s, **meta[j]) for j, n in enumerate(last.nodes)]
            return
        _, dloss, delta = p.stable
        g = [
            self.add("dloss_dout", n, self.loss.derivative(yhat, ys, j), p.s, stable=dloss and dloss[j], **meta[j])
            for j, n in enumerate(last.nodes)
        ]
        if not act.elementwise:  # softmax: a Jacobian-vector product
            gs = [gk.symbol for gk in g]
            p.douts[L] = [None] * last.size
            p.deltas[L] = [
                self.add("delta", n, act.jacobian_product(j, yhat, gs), p.s, **meta[j])
                for j, n in enumerate(last.nodes)
            ]
            return
        p.douts[L] = [self.dout(p, L, j) for j in range(last.size)]
        p.deltas[L] = [
            self.add(
                "delta",
                n,
                ("*", g[j].id, p.douts[L][j].id),
                p.s,
                [g[j].id, p.douts[L][j].id],
                stable=delta and delta[j],
                **meta[j],
            )
            for j, n in enumerate(last.nodes)
        ]

    def dout(self, p: _Pass, li: int, j: int) -> Step:
        layer = self.spec.layers[li]
        f = ACTIVATIONS[layer.activation].derivative(p.nets[li][j].symbol, p.outs[li][j].symbol, layer.alpha)
        return self.add("dout_dnet", layer.nodes[j], f, p.s, layer=li, node=j)

    def hidden_deltas(self, p: _Pass, li: int) -> None:
        """delta_j = dout_j/dnet_j * sum_m w_mj delta_m, over the nodes m of layer li + 1
        (d net_m / d out_j is the weight w_mj between them)."""
        layer = self.spec.layers[li]
        nxt = [d.id for d in p.deltas[li + 1]]
        p.douts[li] = [self.dout(p, li, j) for j in range(layer.size)]
        p.deltas[li] = []
        for j, node in enumerate(layer.nodes):
            back = tuple((p.W[li + 1][m][j], d) for m, d in enumerate(nxt))
            dout = p.douts[li][j].id
            recipe = ("*", dout, _sum([("*", w, d) for w, d in back]))
            deps = [dout] + nxt + [w for w, _ in back if w not in self.givens]
            p.deltas[li].append(self.add("delta", node, recipe, p.s, deps, layer=li, node=j, back=back))

    def gradients(self, p: _Pass) -> dict[str, Step]:
        """dJ/dq for every trainable parameter q of this sample, in backprop order:
        d net_j / d w_jk is the input the weight multiplies, d net_j / d b_j is 1 (a shared
        bias sums over the nodes it feeds). A weight's step is made here directly (there are
        as many as weights times samples): what :meth:`add` would make, without its lookups."""
        paths = NodePaths(self.spec, self._ids(p), p.W)
        ins = [p.inputs(li) for li in range(len(self.spec.layers))]
        deltas = [[d.id for d in layer] for layer in p.deltas]
        sfx, s, append = self.step_id("", None, p.s), p.s, self.steps.append
        decay = self.decay  # (one sample, or online: this sample's gradient is the update's)
        grads = {}
        for q in self.order:
            li, name = q.layer, q.name
            if q.kind == "weight":
                j = q.nodes[0]
                d, v = deltas[li][j], ins[li][q.k or 0]  # a weight always has its input index k
                deps: tuple = (d,) if li == 0 else ((d, v) if d < v else (v, d))
                recipe: tuple = ("*", d, v)
                w = p.W[li][j][q.k or 0]
                if decay:
                    recipe = ("+", recipe, ("*", decay, w))
                    deps = tuple(sorted(set(deps) | ({w} - self.givens.keys())))
                st = grads[name] = Step(
                    f"grad_{name}{sfx}",
                    "grad",
                    recipe,
                    deps,
                    li,
                    j,
                    s,
                    name,
                    paths.chain(li, j, name, v),
                    (),
                    None,
                    None,
                    name,
                    update=self.update,
                    decay=w if decay else None,
                )
                append(st)
                continue
            ds = [deltas[li][j] for j in q.nodes]
            one = len(ds) == 1
            grads[name] = self.add(
                "grad",
                name,
                _sum([("*", d, sp.S.One) for d in ds]),
                s,
                ds,
                layer=li,
                node=q.nodes[0] if one else None,
                param=name,
                chain=paths.chain(li, q.nodes[0], name, 1) if one else (),
            )
        return grads

    def _ids(self, p: _Pass):
        """The step ids of sample ``p`` by (kind, layer, node), for the chain-rule paths."""
        by_kind = {"net": p.nets, "out": p.outs, "dout_dnet": p.douts, "delta": p.deltas}
        L = len(self.spec.layers) - 1

        def ids(kind: str, li: int = 0, m: int = 0):
            if self.loss is None and kind in ("loss", "dloss_dout"):
                # no loss: the path starts at the output itself, d out / d out = 1
                return p.outs[L][m].id if kind == "loss" else 1
            if kind == "loss":
                return self.step_id("loss", None, p.s)
            if kind == "dloss_dout":
                return self.step_id(kind, self.spec.layers[L].nodes[m], p.s)
            steps = by_kind[kind][li]
            return None if steps is None or steps[m] is None else steps[m].id

        return ids


def given_values(spec: Spec) -> dict[str, sp.Rational]:
    """Every given number by the name of its symbol: eta, weights, biases, and each
    sample's inputs and targets (``i1``, ``y_o1``; ``i1_s2`` with several samples)."""
    multi = len(spec.samples) > 1
    values: dict[str, sp.Rational] = settings_of(spec)
    if spec.weight_decay:
        values["lam"] = spec.weight_decay
    values.update({p.name: p.value for p in spec.iter_parameters()})
    for s, smp in enumerate(spec.samples):
        sfx = sample_suffix(s if multi else None)
        values.update({f"{n}{sfx}": v for n, v in zip(spec.inputs, smp.x)})
        values.update({f"y_{o}{sfx}": v for o, v in zip(spec.outputs, smp.y)})
    return values


def derive(spec: Spec) -> StepGraph:
    """The evaluated step graph of ``spec``: one update from the spec's parameters, or with
    an optimizer every one of its ``steps: N`` while :func:`~derive.graph.optimizers.unrolled` allows."""
    with paused_collector():  # (tens of thousands of objects without cycles)
        return _Builder(spec).build()
