"""The rewrites of the misconception catalogue: each turns a step's formula into the ones a
student with that misconception would use, or gives none when it does not apply to the step.

Every rewrite reads the step graph's structure: a step's kind, its layer and node, the kinds
of the steps it depends on, and for a hidden delta the (weight, delta) terms of its sum
(``Step.back``); the activations and the loss come from :mod:`derive.graph.functions` by the
names the spec gives. Never the order of a formula's arguments or the spelling of step ids.
Each function takes (graph, step, places, decimals) and returns a list of SymPy formulas.

>>> from derive.model.spec import load_spec
>>> from derive.graph.builder import derive
>>> g = derive(load_spec("worked/tanh.yaml"))
>>> net_out_swapped(g, g["dout_dnet_h1"], 3, 3), derivative_forgotten(g, g["delta_h1"], 3, 3)
([1 - net_h1**2], [delta_o1*w5])
"""

from __future__ import annotations

import functools

import sympy as sp

from derive.graph.functions import ACTIVATIONS, LOSSES, sigma
from derive.graph.functions.losses import SquaredError
from derive.model.names import RELU_FAMILY, StepId
from derive.model.numbers import round_half_up
from derive.teach.mistakes_text import index, node_step


class rnd(sp.Function):
    """round(x, places) half away from zero, as a calculator does (compiled by the checker)."""

    @staticmethod
    def value_of(x, places) -> sp.Rational:
        """The number, for a number ``x`` (exact, or to 30 digits)."""
        return round_half_up(sp.Rational(x.evalf(30)), int(places))


class trunc(sp.Function):
    """x cut off after ``places`` decimals."""

    @staticmethod
    def value_of(x, places) -> sp.Rational:
        k = sp.Integer(10) ** int(places)
        return sp.Integer(int(sp.Rational(x.evalf(30)) * k)) / k


def evaluate_slips(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every rnd and trunc of a number replaced by its value."""
    return expr.replace(lambda e: isinstance(e, (rnd, trunc)), lambda e: e.value_of(*e.args))


def _activation(g, st):
    return ACTIVATIONS[g.spec.layers[st.layer].activation]


def _sym(g, step_id):
    return g[step_id].symbol if step_id in g.by_id else None


def _deps(g, st, kind: str) -> list:
    """The steps of ``kind`` that step ``st`` reads (its recorded dependencies)."""
    return [g[d] for d in st.deps if g[d].kind == kind]


def is_output_delta(g, st) -> bool:
    """The delta of an output node of a loss (with ``loss: none`` the delta is dout/dnet, and
    the loss's mistakes do not apply)."""
    return st.kind == "delta" and st.layer == len(g.spec.layers) - 1 and g.spec.loss in LOSSES


def is_fused_delta(g, st) -> bool:
    """An output delta the loss gives directly (softmax with cross-entropy: out - y), with no
    dJ/dout step in between."""
    return is_output_delta(g, st) and not _deps(g, st, "dloss_dout")


def per_sample_loss(st) -> bool:
    """A loss of one sample, or its derivative (the batch loss has no sample)."""
    return st.kind == "dloss_dout" or (st.kind == "loss" and st.sample is not None)


def batch_value(g, st) -> bool:
    """The batch loss or a batch gradient: the mean or sum of the samples' values."""
    return len(g.spec.samples) > 1 and st.kind in ("loss", "grad") and st.sample is None


@functools.cache
def averages_outputs(loss) -> bool:
    """Whether a loss is a mean over the outputs (two equal outputs cost what one does)
    rather than a sum, read off its formula."""
    o, y = sp.symbols("o y")
    return sp.simplify(loss.expr([o, o], [y, y]) - loss.expr([o], [y])) == 0


# ---- activations


def sigma_neg(g, st, places, d):
    if st.kind == "out" and _activation(g, st).name == "sigmoid":
        return [sigma(-net.symbol) for net in _deps(g, st, "net")]
    return []


def _slope(st) -> bool:
    """A local derivative that is not a constant (the identity's is 1)."""
    return st.kind == "dout_dnet" and bool(st.formula.free_symbols)


def activation_for_derivative(g, st, places, d):
    """The node's output (the activation's value) given for its derivative."""
    return [node_step(g, st, "out").symbol] if _slope(st) else []


def net_out_swapped(g, st, places, d):
    """The derivative's formula with net and out swapped: sigma' as net(1 - net), tanh' as
    1 - net^2, softplus' as sigma(out). Not for ReLU: out > 0 exactly when net > 0, so
    step(out) is step(net)."""
    if not _slope(st) or _activation(g, st).name in RELU_FAMILY:
        return []
    net, out = node_step(g, st, "net").symbol, node_step(g, st, "out").symbol
    swapped = st.formula.xreplace({net: out, out: net})
    return [swapped] if swapped != st.formula else []


def relu_slope_one(g, st, places, d):
    """ReLU' taken as 1 everywhere, also where the node is switched off (net <= 0)."""
    return [sp.Integer(1)] if st.kind == "dout_dnet" and _activation(g, st).name in RELU_FAMILY else []


def derivative_forgotten(g, st, places, d):
    """A delta without its f'(net) factor: a hidden delta as the sum alone, an output delta
    as dJ/dout alone."""
    if st.kind != "delta":
        return []
    slopes = {s.symbol: sp.Integer(1) for s in _deps(g, st, "dout_dnet") if s.formula.free_symbols}
    return [st.formula.xreplace(slopes)] if slopes else []


# ---- the loss and its derivative


def unit_derivative(g, st, places, d):
    if st.kind == "dloss_dout":
        return [sp.Integer(1), sp.Integer(-1)]
    if is_output_delta(g, st):
        # the node's own dJ/dout (a softmax delta reads every output's)
        dl = [s.symbol for s in _deps(g, st, "dloss_dout") if s.node == st.node]
        return [st.formula.xreplace({dl[0]: sp.Integer(u)}) for u in (1, -1)] if dl else []
    return []


def wrong_sign(g, st, places, d):
    if st.kind == "dloss_dout" or (is_output_delta(g, st) and not is_fused_delta(g, st)):
        return [-st.formula]
    return []


def target_minus_output(g, st, places, d):
    """y - out for a delta the loss gives as out - y (softmax with cross-entropy)."""
    return [-st.formula] if is_fused_delta(g, st) else []


def half(g, st, places, d):
    """The factor in front of a squared error dropped or doubled (the 2 of the derivative)."""
    if per_sample_loss(st) and isinstance(LOSSES[g.spec.loss], SquaredError):
        return [2 * st.formula, st.formula / 2]
    return []


def _log10(e):
    return e.replace(sp.log, lambda x: sp.log(x, 10))


def log10_for_ln(g, st, places, d):
    """A loss written with logarithms, computed with log10 (and its derivative with it)."""
    if st.kind == "loss" and st.sample is not None and st.formula.has(sp.log):
        return [_log10(st.formula)]
    if st.kind == "dloss_dout":
        loss = index(g)[("loss", st.sample)]
        if loss.formula.has(sp.log):
            return [sp.diff(_log10(loss.formula), node_step(g, st, "out").symbol)]
    return []


def mean_sum(g, st, places, d):
    """The other reduction: a sum where the sheet takes the mean, or the reverse, over the
    outputs (a sample's loss and its derivative) or over the samples (the batch values)."""
    if batch_value(g, st):
        S = len(g.spec.samples)
        return [st.formula * S] if g.spec.batch == "mean" else [st.formula / S]
    n = g.spec.layers[-1].size
    if per_sample_loss(st) and n > 1:
        return [st.formula * n] if averages_outputs(LOSSES[g.spec.loss]) else [st.formula / n]
    return []


# ---- the update and the backward pass


def _plain_update(g, st) -> bool:
    """A plain gradient-descent update of a given parameter (p - eta g), which the update's
    misconceptions rewrite; an optimizer's update reads its own steps instead."""
    return st.kind == "new" and st.update is None and bool(_deps(g, st, "grad")) and st.param in g.leaves


def plus(g, st, places, d):
    if _plain_update(g, st):
        p, eta, grad = g.leaves[st.param], g.leaves["eta"], _deps(g, st, "grad")[0].symbol
        return [p + eta * grad]
    return []


def no_eta(g, st, places, d):
    if _plain_update(g, st):
        return [g.leaves[st.param] - _deps(g, st, "grad")[0].symbol]
    return []


def updated_weights(g, st, places, d):
    if st.kind == "delta" and st.back:
        new = {w: _sym(g, str(StepId("new", w))) for w, _ in st.back}
        swap = {g.leaves[w]: sym for w, sym in new.items() if sym is not None and w in g.leaves}
        return [st.formula.xreplace(swap)] if swap else []
    return []


def missing_sum(g, st, places, d):
    # a hidden delta records the (weight, next delta) pairs of its sum; one pair alone is
    # what a student who forgot the sum writes
    if st.kind == "delta" and len(st.back) > 1:
        dout = _deps(g, st, "dout_dnet")[0].symbol
        return [sp.Mul(dout, g.leaves[w], g[delta].symbol) for w, delta in st.back]
    return []


# ---- rounding slips


def truncated(g, st, places, d):
    return [trunc(st.formula, places)] if places else []


def rounded_early(g, st, places, d):
    deps = [g[dep].symbol for dep in st.deps]
    if not deps:
        return []
    return [st.formula.xreplace({s: rnd(s, r) for s in deps}) for r in range(max(d - 2, 1), d)]
