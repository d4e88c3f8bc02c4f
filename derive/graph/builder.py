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
from derive.graph.optimizers import l2_penalty, rule_of, settings_of, unrolled, update_steps
from derive.graph.steps import Given, Step, StepGraph, check_order
from derive.model.names import sample_suffix, update_suffix
from derive.model.spec import Spec, SpecError


@dataclass
class _Pass:
    """One sample's steps, by layer and node, while its backward pass is built."""

    s: int
    x: list  # input names
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


def _sum(terms: list):
    """A sum recipe, or the one term alone."""
    return ("+", *terms) if len(terms) > 1 else terms[0]


class _Builder:
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
        self.loss = LOSSES[spec.loss]
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

    # ---- names
    def leaf(self, name: str, role: str, subject: str, sample: int | None = None) -> str:
        """Record a given number (parameter, input, target, eta); returns its name."""
        self.givens[name] = Given(name, role, subject, sample)
        return name

    def step_id(self, kind: str, subject: str | None, s: int | None) -> str:
        """A step's id (the grammar of derive.model.names.StepId): per-sample steps carry their
        sample only when there are several."""
        head = kind if subject is None else f"{kind}_{subject}"
        return head + sample_suffix(s if self.multi else None) + update_suffix(self.update)

    def add(self, kind: str, subject: str | None, recipe, s: int | None = None, deps=None, **meta) -> Step:
        """Append a step. ``deps`` lists the ids of the steps it reads; without it they are
        read off its (SymPy) formula, which is cheap for a per-node step."""
        symbols = None
        if deps is None:
            symbols = recipe.free_symbols
            deps = [f.name for f in symbols if f.name not in self.givens]
        step = Step(
            self.step_id(kind, subject, s),
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
        for u in range(unrolled(spec, len(self.trainable))):
            self.update = u or None
            per_sample = [self.sample(s) for s in range(len(spec.samples))]
            self.updates(self.batch(per_sample))
        check_order(self.steps)
        ids = {s.id for s in self.steps}
        for pid in spec.published:
            if pid not in ids:
                raise SpecError(spec.source, f"published.values.{pid}", "not a step id of this network")
        return StepGraph(spec, self.steps, self.values, self.givens)

    def sample(self, s: int) -> dict[str, Step]:
        """Forward and backward steps of sample ``s``; returns its per-parameter gradient steps."""
        spec, sfx = self.spec, sample_suffix(s if self.multi else None)
        one = s if self.multi else None
        p = _Pass(s, [self.leaf(f"{n}{sfx}", "input", n, one) for n in spec.inputs])
        for li in range(len(spec.layers)):
            self.forward(p, li)
        p.ys = [self.leaf(f"y_{o}{sfx}", "target", o, one) for o in spec.layers[-1].nodes]
        ys = [sp.Symbol(y) for y in p.ys]
        loss_expr = self.loss.expr([o.symbol for o in p.outs[-1]], ys)
        p.stable = self.loss.logit_forms([n.symbol for n in p.nets[-1]], ys) or (None, None, None)
        stable = p.stable[0]
        if self.lam and not self.multi:  # the one sample's loss is J: with the L2 penalty
            pen = l2_penalty(self.lam, self.weights())
            loss_expr, stable = loss_expr + pen, stable and stable + pen
        self.add("loss", None, loss_expr, s, stable=stable)
        p.douts = [None] * len(spec.layers)
        p.deltas = [None] * len(spec.layers)
        self.output_deltas(p)
        for li in range(len(spec.layers) - 2, -1, -1):
            self.hidden_deltas(p, li)
        return self.gradients(p)

    def forward(self, p: _Pass, li: int) -> None:
        """The nets and outputs of layer ``li``: net_j = sum_k w_jk in_k (+ b_j), out = f(net)."""
        layer = self.spec.layers[li]
        ins = p.inputs(li)
        biases = self.B[li]
        read = [n for row in self.W[li] for n in row] + (biases or [])
        in_ids = ([] if li == 0 else ins) + sorted({n for n in read if n not in self.givens})  # (updated ones)
        nets = []
        for j, node in enumerate(layer.nodes):
            terms: list = [("*", w, v) for w, v in zip(self.W[li][j], ins)]
            if biases is not None:
                terms.append(biases[j])
            nets.append(self.add("net", node, _sum(terms), p.s, in_ids, layer=li, node=j))
        forms = ACTIVATIONS[layer.activation].layer([n.symbol for n in nets], layer.alpha)
        p.nets.append(nets)
        p.outs.append([self.add("out", node, forms[j], p.s, layer=li, node=j) for j, node in enumerate(layer.nodes)])

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
            back = tuple((self.W[li + 1][m][j], d) for m, d in enumerate(nxt))
            dout = p.douts[li][j].id
            recipe = ("*", dout, _sum([("*", w, d) for w, d in back]))
            deps = [dout] + nxt + [w for w, _ in back if w not in self.givens]
            p.deltas[li].append(self.add("delta", node, recipe, p.s, deps, layer=li, node=j, back=back))

    def gradients(self, p: _Pass) -> dict[str, Step]:
        """dJ/dq for every trainable parameter q of this sample, in backprop order:
        d net_j / d w_jk is the input the weight multiplies, d net_j / d b_j is 1 (a shared
        bias sums over the nodes it feeds). A weight's step is made here directly (there are
        as many as weights times samples): what :meth:`add` would make, without its lookups."""
        paths = NodePaths(self.spec, self._ids(p), self.W)
        ins = [p.inputs(li) for li in range(len(self.spec.layers))]
        deltas = [[d.id for d in layer] for layer in p.deltas]
        sfx, s, append = self.step_id("", None, p.s), p.s, self.steps.append
        decay = self.lam if not self.multi else None  # one sample: its gradient is dJ/dw
        grads = {}
        for q in self.order:
            li, name = q.layer, q.name
            if q.kind == "weight":
                j = q.nodes[0]
                d, v = deltas[li][j], ins[li][q.k or 0]  # a weight always has its input index k
                deps: tuple = (d,) if li == 0 else ((d, v) if d < v else (v, d))
                recipe: tuple = ("*", d, v)
                w = self.W[li][j][q.k or 0]
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

        def ids(kind: str, li: int = 0, m: int = 0) -> str | None:
            if kind == "loss":
                return self.step_id("loss", None, p.s)
            if kind == "dloss_dout":
                return self.step_id(kind, self.spec.layers[L].nodes[m], p.s)
            steps = by_kind[kind][li]
            return None if steps is None or steps[m] is None else steps[m].id

        return ids

    def batch(self, per_sample: list[dict[str, Step]]) -> dict[str, Step]:
        """With several samples: the batch loss and gradients (mean or sum over samples)."""
        if not self.multi:
            return per_sample[0]
        S = len(per_sample)
        k = sp.Rational(1, S) if self.spec.batch == "mean" else sp.S.One

        def reduce(ids):
            return ("*", k, ("+", *ids)) if k != 1 else ("+", *ids)

        losses = [st.id for st in self.steps if st.kind == "loss" and st.update == self.update]
        loss, deps = reduce(losses), list(losses)
        if self.lam:  # J = the reduced loss + (lam/2) sum w^2
            weights = self.weights()
            loss = ("+", loss, l2_penalty(self.lam, weights, recipe=True))
            deps += [w for w in weights if w not in self.givens]
        self.add("loss", None, loss, None, deps)
        out = {}
        kinds = {q.name: q.kind for q in self.trainable}
        for p in per_sample[0]:
            ids = [g[p].id for g in per_sample]
            recipe, decay = reduce(ids), self.lam and kinds[p] == "weight"
            w = self.current(p)
            if decay:
                recipe, ids = ("+", recipe, ("*", self.lam, w)), ids + ([w] if w not in self.givens else [])
            out[p] = self.add("grad", p, recipe, None, ids, param=p, decay=w if decay else None)
        return out

    def weights(self) -> list[str]:
        """The current names (given, or updated steps) of every weight, for the L2 penalty."""
        return [w for layer in self.W for row in layer for w in row]

    def current(self, name: str) -> str:
        """The name a parameter's present value goes by: itself, or its latest new step."""
        q = self.params[name]
        if q.kind == "weight":
            return self.W[q.layer][q.nodes[0]][q.k or 0]
        return (self.B[q.layer] or [name])[q.nodes[0]]

    def updates(self, grads: dict[str, Step], at: int | None = None) -> None:
        """One update of every parameter from ``grads`` (:func:`~derive.graph.optimizers.update_steps`).
        ``at``: None, or the 0-based position of this update (its ids end in ``_s<at+1>``); the
        optimizer's state carries to the next call in ``self.state``; later steps read the new values."""
        self.t += 1
        renamed = {}
        for q in self.trainable:
            renamed[self.current(q.name)] = update_steps(self, q.name, grads[q.name].id, at)
        self.W = [[[renamed.get(w, w) for w in row] for row in layer] for layer in self.W]
        self.B = [None if b is None else [renamed.get(n, n) for n in b] for b in self.B]


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
