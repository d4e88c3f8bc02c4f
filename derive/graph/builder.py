"""Build the step graph of a spec with SymPy, by the delta recursion.

Every local derivative is taken by ``sympy.diff`` on a small local expression (one
node's net, one node's activation, one sample's loss), never on the expanded loss, so
the work grows linearly with the number of weights:

    delta_j (output)  = dJ/dout_j * dout_j/dnet_j        (softmax + cross-entropy: out_j - y_j)
    delta_j (hidden)  = dout_j/dnet_j * sum_m dnet_m/dout_j * delta_m
    dJ/dw_jk          = delta_j * dnet_j/dw_jk           (= delta_j * out_k)

>>> from derive.model.spec import load_spec
>>> g = derive(load_spec("worked/four.yaml"))
>>> g["grad_w9"].formula
delta_o1*out_h1
>>> g["dout_dnet_h1"].formula
out_h1*(1 - out_h1)
"""
from __future__ import annotations

import sympy as sp

from derive.graph.activations import ACTIVATIONS
from derive.graph.losses import LOSSES
from derive.model.spec import Spec, SpecError, _as_list
from derive.graph.steps import Step, StepGraph

#: Above this many chain-rule paths a gradient is shown in delta form only.
MAX_PATHS = 6


def latex_name(name: str) -> str:
    """LaTeX for a spec name: ``w9`` -> ``w_{9}``, ``b_h1`` -> ``b_{h1}``,
    ``w2_1_3`` -> ``w^{(2)}_{1,3}``, ``theta1`` -> ``\\theta_{1}``."""
    import re

    greek = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "theta", "kappa", "lambda", "mu",
             "nu", "xi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega"}

    def base(b):
        return "\\" + b if b in greek else (b if len(b) == 1 else r"\mathrm{%s}" % b)

    m = re.fullmatch(r"w(\d+)_(\d+)_(\d+)", name)
    if m:
        l, j, k = m.groups()
        sep = "," if len(j) > 1 or len(k) > 1 else ""
        return f"w^{{({l})}}_{{{j}{sep}{k}}}"
    m = re.fullmatch(r"([A-Za-z]+?)(\d+)", name) or re.fullmatch(r"([A-Za-z]+)_([A-Za-z0-9_]+)", name)
    if m:
        return f"{base(m.group(1))}_{{{m.group(2).replace('_', ',')}}}"
    return base(name.replace("_", r"\_"))


class _Builder:
    def __init__(self, spec: Spec):
        self.spec = spec
        self.steps: list[Step] = []
        self.latex: dict[sp.Symbol, str] = {}
        self.given: dict[sp.Symbol, sp.Rational] = {}
        self.leaves: dict[str, sp.Symbol] = {}
        self.values = given_values(spec)
        self.multi = len(spec.samples) > 1
        self.loss = LOSSES[spec.loss]
        self.shortcut = spec.loss == "cross-entropy"   # softmax + CE: delta = out - y
        self.terms: dict[tuple[int, int, int], list[sp.Expr]] = {}   # (sample, layer, node) -> net terms
        trainable = spec.trainable()
        owned = [_layer_params(spec, layer) for layer in spec.layers]
        by_layer = [[p for p in trainable if p in names] for names in owned]
        self.order = [p for ps in reversed(by_layer) for p in ps]

    # ---- symbols
    def leaf(self, name: str, tex: str) -> sp.Symbol:
        """The symbol of a given number (parameter, input, target, eta), valued from the spec."""
        sym = sp.Symbol(name)
        self.given[sym] = self.values[name]
        self.latex[sym] = tex
        self.leaves[name] = sym
        return sym

    def sfx(self, s: int) -> str:
        return f"_s{s + 1}" if self.multi else ""

    def sup(self, s: int) -> str:
        return f"^{{({s + 1})}}" if self.multi else ""

    def add(self, step_id: str, kind: str, formula: sp.Expr, tex: str, **meta) -> Step:
        """Append a step; its dependencies are the step symbols its formula reads."""
        sym = sp.Symbol(step_id)
        self.latex[sym] = tex
        deps = tuple(sorted(str(f) for f in formula.free_symbols if str(f) not in self.leaves))
        step = Step(step_id, kind, sym, formula, deps, **meta)
        self.steps.append(step)
        return step

    # ---- the graph
    def build(self) -> StepGraph:
        spec = self.spec
        self.eta = self.leaf("eta", r"\eta")
        self.W, self.B = [], []
        for layer in spec.layers:
            self.W.append([[self.leaf(n, latex_name(n)) for n in r] for r in spec.weight_names[layer.name]])
            if layer.bias == "neuron":
                self.B.append([self.leaf(n, latex_name(n)) for n in spec.bias_names[layer.name]])
            elif layer.bias == "shared":
                b = self.leaf(spec.bias_names[layer.name], latex_name(spec.bias_names[layer.name]))
                self.B.append([b] * layer.size)
            else:
                self.B.append(None)

        per_sample = [self.sample(s) for s in range(len(spec.samples))]
        grads = self.batch(per_sample)
        self.updates(grads)
        for pid in spec.published:
            if pid not in {s.id for s in self.steps}:
                raise SpecError(spec.source, f"published.values.{pid}", "not a step id of this network")
        return StepGraph(spec, self.steps, self.given, self.latex, self.leaves)

    def sample(self, s: int) -> dict[str, Step]:
        """Forward and backward steps of sample ``s``; returns its per-parameter gradient steps."""
        spec, sfx, sup = self.spec, self.sfx(s), self.sup(s)
        x = [self.leaf(f"{n}{sfx}", latex_name(n) + sup) for n in spec.inputs]
        prev = x
        nets, outs = [], []
        for li, layer in enumerate(spec.layers):
            act = ACTIVATIONS[layer.activation]
            net_steps, out_steps = [], []
            for j, node in enumerate(layer.nodes):
                terms = [sp.Mul(w, p, evaluate=False) for w, p in zip(self.W[li][j], prev)]
                if self.B[li] is not None:
                    terms.append(self.B[li][j])
                self.terms[(s, li, j)] = terms
                f = sp.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]
                net_steps.append(self.add(f"net_{node}{sfx}", "net", f, r"\mathrm{net}_{%s}%s" % (node, sup),
                                          layer=li, node=j, sample=s))
            if layer.activation == "softmax":
                exps = [sp.exp(n.symbol) for n in net_steps]
                denom = sp.Add(*exps, evaluate=False)
                forms = [e / denom for e in exps]
            else:
                forms = [act.apply(n.symbol, layer.alpha) for n in net_steps]
            for j, node in enumerate(layer.nodes):
                out_steps.append(self.add(f"out_{node}{sfx}", "out", forms[j], r"\mathrm{out}_{%s}%s" % (node, sup),
                                          layer=li, node=j, sample=s))
            nets.append(net_steps)
            outs.append(out_steps)
            prev = [o.symbol for o in out_steps]

        last = spec.layers[-1]
        ys = [self.leaf(f"y_{o}{sfx}", r"y_{%s}%s" % (o, sup)) for o in last.nodes]
        yhat = [o.symbol for o in outs[-1]]
        loss_expr = self.loss.expr(yhat, ys)
        self.add(f"loss{sfx}", "loss", loss_expr, "J" + sup, sample=s)

        # Backward: deltas of the output layer, then the recursion.
        L = len(spec.layers) - 1
        deltas: list[list[Step]] = [None] * len(spec.layers)
        douts: list[list[Step | None]] = [None] * len(spec.layers)
        out_layer = []
        if self.shortcut:   # softmax + cross-entropy: dJ/dnet_j = out_j - y_j (derived in the tests)
            for j, node in enumerate(last.nodes):
                out_layer.append(self.delta(node, sfx, sup, yhat[j] - ys[j], L, j, s))
            douts[L] = [None] * last.size
        else:
            g = [self.add(f"dloss_dout_{node}{sfx}", "dloss_dout", sp.diff(loss_expr, yhat[j]),
                          r"\frac{\partial J%s}{\partial \mathrm{out}_{%s}%s}" % (sup, node, sup), layer=L, node=j, sample=s)
                 for j, node in enumerate(last.nodes)]
            if last.activation == "softmax":   # Jacobian-vector product
                gsum = sp.Add(*[gk.symbol * o for gk, o in zip(g, yhat)], evaluate=False)
                douts[L] = [None] * last.size
                for j, node in enumerate(last.nodes):
                    out_layer.append(self.delta(node, sfx, sup, yhat[j] * (g[j].symbol - gsum), L, j, s))
            else:
                douts[L] = [self.dout(L, j, nets, outs, sfx, sup, s) for j in range(last.size)]
                for j, node in enumerate(last.nodes):
                    out_layer.append(self.delta(node, sfx, sup, sp.Mul(g[j].symbol, douts[L][j].symbol, evaluate=False), L, j, s))
        deltas[L] = out_layer
        for li in range(L - 1, -1, -1):
            layer = spec.layers[li]
            douts[li] = [self.dout(li, j, nets, outs, sfx, sup, s) for j in range(layer.size)]
            deltas[li] = []
            for j, node in enumerate(layer.nodes):
                # d net_m / d out_j, by SymPy, on the one term of net_m that holds out_j
                back = [sp.Mul(sp.diff(self.terms[(s, li + 1, m)][j], outs[li][j].symbol), deltas[li + 1][m].symbol, evaluate=False)
                        for m in range(spec.layers[li + 1].size)]
                total = sp.Add(*back, evaluate=False) if len(back) > 1 else back[0]
                deltas[li].append(self.delta(node, sfx, sup, sp.Mul(douts[li][j].symbol, total, evaluate=False), li, j, s))

        # Gradients of this sample's loss.
        self.cur = dict(x=x, nets=nets, outs=outs, deltas=deltas, douts=douts, ys=ys, sfx=sfx, sup=sup)
        grads = {}
        for li, layer in enumerate(spec.layers):
            prev = x if li == 0 else [o.symbol for o in outs[li - 1]]
            for j in range(layer.size):
                dj = deltas[li][j].symbol
                for k, w in enumerate(self.W[li][j]):
                    dnet_dw = sp.diff(self.terms[(s, li, j)][k], w)   # = the input the weight multiplies
                    gid = f"grad_{w}{sfx}" if self.multi else f"grad_{w}"
                    grads[str(w)] = dict(step_id=gid, kind="grad", formula= sp.Mul(dj, dnet_dw, evaluate=False),
                                         tex=r"\frac{\partial J%s}{\partial %s}" % (sup, self.latex[w]),
                                         layer=li, node=j, sample=s, param=str(w),
                                         chain=self.chain(li, j, prev[k]))
            if layer.bias != "none" and layer.train_bias:
                for b in dict.fromkeys(self.B[li]):   # one entry for a shared bias
                    nodes = [j for j in range(layer.size) if self.B[li][j] == b]
                    terms = [sp.Mul(deltas[li][j].symbol, sp.diff(self.terms[(s, li, j)][-1], b), evaluate=False) for j in nodes]
                    f = sp.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]
                    gid = f"grad_{b}{sfx}" if self.multi else f"grad_{b}"
                    grads[str(b)] = dict(step_id=gid, kind="grad", formula=f,
                                         tex=r"\frac{\partial J%s}{\partial %s}" % (sup, self.latex[b]),
                                         layer=li, node=nodes[0] if len(nodes) == 1 else None, sample=s, param=str(b),
                                         chain=self.chain(li, nodes[0], sp.Integer(1)) if len(nodes) == 1 else [])
        # Emitted in backprop order: output layer first, parameters in their numbering order.
        return {p: self.add(**grads[p]) for p in self.order if p in grads}

    def dout(self, li, j, nets, outs, sfx, sup, s) -> Step:
        layer = self.spec.layers[li]
        node = layer.nodes[j]
        f = ACTIVATIONS[layer.activation].derivative(nets[li][j].symbol, outs[li][j].symbol, layer.alpha)
        return self.add(f"dout_dnet_{node}{sfx}", "dout_dnet", f,
                        r"\frac{\partial \mathrm{out}_{%s}%s}{\partial \mathrm{net}_{%s}%s}" % (node, sup, node, sup),
                        layer=li, node=j, sample=s)

    def delta(self, node, sfx, sup, formula, li, j, s) -> Step:
        return self.add(f"delta_{node}{sfx}", "delta", formula, r"\delta_{%s}%s" % (node, sup), layer=li, node=j, sample=s)

    def chain(self, li: int, j: int, last_factor) -> list:
        """Chain-rule paths from the loss down to node ``j`` of layer ``li``, as lists of
        factors ``(numerator latex, denominator latex, step id or given symbol)``; the
        last factor is dnet_j/dparam. Empty when there are more than MAX_PATHS paths."""
        c = self.cur
        spec, sup = self.spec, c["sup"]
        L = len(spec.layers) - 1
        n_paths = 1
        for layer in spec.layers[li + 1:]:
            n_paths *= layer.size
        if n_paths > MAX_PATHS:
            return []

        def net(l, m):
            return r"\mathrm{net}_{%s}%s" % (spec.layers[l].nodes[m], sup)

        def out(l, m):
            return r"\mathrm{out}_{%s}%s" % (spec.layers[l].nodes[m], sup)

        def paths(l, m):
            if l == L:
                if c["douts"][L][m] is None:   # softmax output: start from dJ/dnet
                    return [[("J" + sup, net(l, m), c["deltas"][L][m].id)]]
                return [[("J" + sup, out(l, m), f"dloss_dout_{spec.layers[l].nodes[m]}{c['sfx']}"),
                         (out(l, m), net(l, m), c["douts"][L][m].id)]]
            result = []
            for n in range(spec.layers[l + 1].size):
                for p in paths(l + 1, n):
                    result.append(p + [(net(l + 1, n), out(l, m), self.W[l + 1][n][m]),
                                       (out(l, m), net(l, m), c["douts"][l][m].id)])
            return result

        return [p + [(net(li, j), None, last_factor)] for p in paths(li, j)]

    def batch(self, per_sample: list[dict[str, Step]]) -> dict[str, Step]:
        """With several samples: the batch loss and gradients (mean or sum over samples)."""
        if not self.multi:
            return per_sample[0]
        S = len(per_sample)
        k = sp.Rational(1, S) if self.spec.batch == "mean" else sp.Integer(1)
        losses = [self.by_id(f"loss_s{s + 1}").symbol for s in range(S)]
        self.add("loss", "loss", sp.Mul(k, sp.Add(*losses, evaluate=False), evaluate=False) if k != 1 else sp.Add(*losses, evaluate=False), "J")
        grads = {}
        for p in per_sample[0]:
            terms = sp.Add(*[g[p].symbol for g in per_sample], evaluate=False)
            grads[p] = self.add(f"grad_{p}", "grad", sp.Mul(k, terms, evaluate=False) if k != 1 else terms,
                                r"\frac{\partial J}{\partial %s}" % self.latex[self.leaves[p]], param=p)
        return grads

    def by_id(self, step_id: str) -> Step:
        return next(s for s in reversed(self.steps) if s.id == step_id)

    def updates(self, grads: dict[str, Step]) -> None:
        for p in self.spec.trainable():
            g, sym = grads[p], self.leaves[p]
            self.add(f"new_{p}", "new", sp.Add(sym, sp.Mul(-1, self.eta, g.symbol, evaluate=False), evaluate=False),
                     r"{%s}^{\text{new}}" % self.latex[sym] if "^" in self.latex[sym] else r"%s^{\text{new}}" % self.latex[sym],
                     param=p)


def given_values(spec: Spec) -> dict[str, sp.Rational]:
    """Every given number by the name of its symbol: eta, weights, biases, and each
    sample's inputs and targets (``i1``, ``y_o1``; ``i1_s2`` with several samples)."""
    multi = len(spec.samples) > 1
    values: dict[str, sp.Rational] = {"eta": spec.learning_rate}
    for layer in spec.layers:
        for names, row in zip(spec.weight_names[layer.name], spec.weights[layer.name]):
            values.update(zip(names, row))
        if layer.bias == "neuron":
            values.update(zip(spec.bias_names[layer.name], spec.biases[layer.name]))
        elif layer.bias == "shared":
            values[spec.bias_names[layer.name]] = spec.biases[layer.name]
    for s, smp in enumerate(spec.samples):
        sfx = f"_s{s + 1}" if multi else ""
        values.update({f"{n}{sfx}": v for n, v in zip(spec.inputs, smp.x)})
        values.update({f"y_{o}{sfx}": v for o, v in zip(spec.outputs, smp.y)})
    return values


def _layer_params(spec: Spec, layer) -> set[str]:
    names = {n for row in spec.weight_names[layer.name] for n in row}
    if layer.bias != "none":
        names |= set(_as_list(spec.bias_names[layer.name]))
    return names


def derive(spec: Spec) -> StepGraph:
    """The evaluated step graph of ``spec`` (one update from the spec's parameters)."""
    return _Builder(spec).build()
