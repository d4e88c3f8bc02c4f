"""Known misconceptions, each a rewrite of a step's formula with one feedback sentence.

A misconception applies to some kinds of step and turns the step's correct formula into
the formula a student with that misconception would use. The checker evaluates each
rewrite on the key's values and on the student's own upstream values; a rewrite that
reproduces a wrong answer names the misconception.

Rewrites read the step graph's structure: a step's kind, the kinds of the steps it depends
on, and for a hidden delta the (weight, delta) terms of its sum that the builder records
(``Step.back``); never the order of a formula's arguments or the spelling of step ids.

>>> from derive.model.spec import load_spec
>>> from derive.graph.builder import derive
>>> g = derive(load_spec("worked/four.yaml"))
>>> BY_NAME["sigma-of-minus-x"].alternatives(g, g["out_h1"], 3, 3)
[sigma(-net_h1)]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp

from derive.graph.functions import ACTIVATIONS, sigma
from derive.model.names import StepId


class rnd(sp.Function):
    """round(x, places) half away from zero, as a calculator does (compiled by the checker)."""


class trunc(sp.Function):
    """x cut off after ``places`` decimals."""


@dataclass(frozen=True)
class Misconception:
    name: str
    title: str
    feedback: str | Callable  # a sentence, or (graph, step) -> the sentence for this sheet
    alternatives: Callable  # (graph, step, places, decimals) -> list of SymPy formulas
    slip: bool = False  # a rounding slip (credit less a penalty), not a misconception

    def message(self, g, st) -> str:
        """The feedback sentence for step ``st`` of graph ``g``."""
        return self.feedback(g, st) if callable(self.feedback) else self.feedback


def _layer(g, st):
    return g.spec.layers[st.layer] if st.layer is not None else None


def _sym(g, step_id):
    return g[step_id].symbol if step_id in g.by_id else None


def _deps(g, st, kind: str) -> list:
    """The steps of ``kind`` that step ``st`` reads (its recorded dependencies)."""
    return [g[d] for d in st.deps if g[d].kind == kind]


def _sigma_neg(g, st, places, d):
    if st.kind == "out" and _layer(g, st).activation == "sigmoid":
        return [sigma(-net.symbol) for net in _deps(g, st, "net")]
    return []


def _activation_for_derivative(g, st, places, d):
    # an activation whose derivative is written with its output: the output itself was given
    if st.kind == "dout_dnet" and ACTIVATIONS[_layer(g, st).activation].uses_out:
        return [o.symbol for o in _deps(g, st, "out")]
    return []


def _unit_derivative(g, st, places, d):
    if st.kind == "dloss_dout":
        return [sp.Integer(1), sp.Integer(-1)]
    if st.kind == "delta" and st.layer == len(g.spec.layers) - 1:
        # the node's own dJ/dout (a softmax delta reads every output's)
        dl = [s.symbol for s in _deps(g, st, "dloss_dout") if s.node == st.node]
        return [st.formula.xreplace({dl[0]: sp.Integer(u)}) for u in (1, -1)] if dl else []
    return []


def _wrong_sign(g, st, places, d):
    if st.kind == "dloss_dout" or (st.kind == "delta" and st.layer == len(g.spec.layers) - 1):
        return [-st.formula]
    return []


def _per_sample_loss(st) -> bool:
    """A loss of one sample, or its derivative (the batch loss has no sample)."""
    return st.kind == "dloss_dout" or (st.kind == "loss" and st.sample is not None)


def _half(g, st, places, d):
    return [2 * st.formula, st.formula / 2] if _per_sample_loss(st) else []


def _mean_sum(g, st, places, d):
    n = g.spec.layers[-1].size
    S = len(g.spec.samples)
    out = []
    if _per_sample_loss(st) and n > 1:
        out += [st.formula * n, st.formula / n]
    if S > 1 and st.kind in ("loss", "grad") and st.sample is None:
        out += [st.formula * S, st.formula / S]
    return out


def _plus(g, st, places, d):
    if st.kind == "new":
        p, eta, grad = g.leaves[st.param], g.leaves["eta"], _deps(g, st, "grad")[0].symbol
        return [p + eta * grad]
    return []


def _no_eta(g, st, places, d):
    if st.kind == "new":
        return [g.leaves[st.param] - _deps(g, st, "grad")[0].symbol]
    return []


def _updated_weights(g, st, places, d):
    if st.kind == "delta" and st.back:
        new = {w: _sym(g, str(StepId("new", w))) for w, _ in st.back}
        swap = {g.leaves[w]: sym for w, sym in new.items() if sym is not None}
        return [st.formula.xreplace(swap)] if swap else []
    return []


def _missing_sum(g, st, places, d):
    # a hidden delta records the (weight, next delta) pairs of its sum; one pair alone is
    # what a student who forgot the sum writes
    if st.kind == "delta" and len(st.back) > 1:
        dout = _deps(g, st, "dout_dnet")[0].symbol
        return [sp.Mul(dout, g.leaves[w], g[delta].symbol) for w, delta in st.back]
    return []


def _truncated(g, st, places, d):
    return [trunc(st.formula, places)] if places else []


def _rounded_early(g, st, places, d):
    deps = [g[dep].symbol for dep in st.deps]
    if not deps:
        return []
    return [st.formula.xreplace({s: rnd(s, r) for s in deps}) for r in range(max(d - 2, 1), d)]


CATALOGUE: list[Misconception] = [
    Misconception(
        "sigma-of-minus-x",
        "σ(−x) instead of σ(x)",
        "This is σ(−net) = 1 − σ(net): check the sign of the exponent in σ(x) = 1/(1 + e^(−x)).",
        _sigma_neg,
    ),
    Misconception(
        "activation-for-derivative",
        "σ in place of σ′",
        "This is the activation itself, not its derivative: σ′ = σ(1 − σ) and tanh′ = 1 − tanh².",
        _activation_for_derivative,
    ),
    Misconception(
        "unit-loss-derivative",
        "∂J/∂ŷ taken as ±1",
        "∂J/∂out is not ±1: differentiate the loss, e.g. ½(y − out)² gives −(y − out).",
        _unit_derivative,
    ),
    Misconception(
        "wrong-sign",
        "∂J/∂ŷ with the wrong sign",
        "The sign is flipped: the derivative of ½(y − out)² with respect to out is −(y − out) = out − y.",
        _wrong_sign,
    ),
    Misconception(
        "half-dropped-or-doubled",
        "½ dropped or doubled",
        "The factor ½ was dropped or applied twice: ½(y − out)² differentiates to −(y − out), with no 2 left.",
        _half,
    ),
    Misconception(
        "mean-vs-sum",
        "mean instead of sum (or the reverse)",
        "Mean and sum are swapped: check whether the loss divides by the number of outputs or samples.",
        _mean_sum,
    ),
    Misconception(
        "plus-update",
        "update with + instead of −",
        "Gradient descent moves against the gradient: w_new = w − η ∂J/∂w, with a minus.",
        _plus,
    ),
    Misconception(
        "no-learning-rate", "η left out", "The learning rate is missing: the step is η ∂J/∂w, not ∂J/∂w.", _no_eta
    ),
    Misconception(
        "updated-weights-in-delta",
        "hidden delta with already-updated weights",
        "The hidden delta used output weights that were already updated; use the weights from before the update.",
        _updated_weights,
    ),
    Misconception(
        "missing-sum",
        "hidden delta missing the sum over the next layer",
        "A hidden node feeds every node of the next layer, so its delta sums over all of them: "
        "δ_j = f′(net_j) Σ_m w_mj δ_m.",
        _missing_sum,
    ),
    Misconception(
        "truncated",
        "truncated instead of rounded",
        "The digits were cut off instead of rounded: round the last digit up when the next one is 5 or more.",
        _truncated,
        slip=True,
    ),
    Misconception(
        "rounded-too-early",
        "rounded too early",
        "Earlier values were rounded too much before this step; carry more digits until the final answer.",
        _rounded_early,
        slip=True,
    ),
]
BY_NAME = {m.name: m for m in CATALOGUE}
