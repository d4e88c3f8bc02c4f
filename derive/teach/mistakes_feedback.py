"""The feedback sentences of the misconception catalogue, built for one sheet and one step.

Each function takes (graph, step) and returns one or two plain sentences that quote the
sheet's own loss and activation, in the sheet's symbols: the formulas come from the loss
and activation objects of :mod:`derive.graph.functions` (their SymPy forms and local
derivatives), evaluated on the step's node and sample and printed by
:func:`~derive.teach.mistakes_text.plain`. So a student on an MSE sheet reads about
(y − out)² and its derivative 2(out − y), one on a ½·SSE sheet about ½(y − out)² and
out − y, and one on a cross-entropy sheet about the logarithms.

>>> from derive.model.spec import load_spec
>>> from derive.graph.builder import derive
>>> g = derive(load_spec("worked/tanh.yaml"))
>>> half(g, g["dloss_dout_o1"])
'J = (y_o1 − out_o1)² differentiates to ∂J/∂out_o1 = 2(out_o1 − y_o1); this answer has a factor 2 too many or too few.'
>>> activation_for_derivative(g, g["dout_dnet_h1"])
'This is tanh(net_h1) = out_h1, the activation itself, not its derivative: tanh′(net_h1) = 1 − out_h1².'
"""

from __future__ import annotations

import sympy as sp

from derive.graph.functions import ACTIVATIONS, LOSSES, sigma
from derive.graph.functions.losses import SquaredError
from derive.model.names import StepId
from derive.teach import mistakes_rewrite as rw
from derive.teach.mistakes_text import function_name, node_step, outputs, plain, plain_cases

#: Above this many outputs a loss is quoted by the step's own term only.
MAX_TERMS = 3


def _derivative(g, st) -> tuple[str, sp.Expr]:
    """The activation's derivative at the node of ``st`` as text, "σ′(net_h1) = out_h1(1 −
    out_h1)", and as a formula."""
    layer = g.spec.layers[st.layer]
    act = ACTIVATIONS[layer.activation]
    net, out = node_step(g, st, "net").symbol, node_step(g, st, "out").symbol
    f = act.derivative(net, out, layer.alpha)
    return f"{function_name(act)}′({plain(net)}) = {plain_cases(f)}", f


def _loss_text(expr: sp.Expr, out) -> str:
    """A loss over the outputs, or with many outputs the term of ``out`` between ellipses."""
    if not expr.is_Add or len(expr.args) <= MAX_TERMS:
        return plain(expr)
    (term,) = [t for t in expr.args if out in t.free_symbols]
    neg = term.could_extract_minus_sign()
    return f"… {'−' if neg else '+'} {plain(-term if neg else term)} …"


def _loss(g, st) -> tuple[str, str, str]:
    """(J, the output of the step's node, ∂J/∂out of that node), as text, for the sample of
    ``st`` (the first output for a step of the whole loss)."""
    loss = LOSSES[g.spec.loss]
    outs, ys = outputs(g, st.sample)
    j = st.node if st.node is not None else 0
    dJ = plain(sp.factor_terms(loss.derivative(outs, ys, j)))
    return _loss_text(loss.expr(outs, ys), outs[j]), plain(outs[j]), dJ


# ---- activations


def sigma_neg(g, st) -> str:
    net, x = plain(node_step(g, st, "net").symbol), sp.Symbol("x")
    return f"This is σ(−{net}) = 1 − σ({net}): check the sign of the exponent in σ(x) = {plain(sigma.elementary(x))}."


def activation_for_derivative(g, st) -> str:
    act = ACTIVATIONS[g.spec.layers[st.layer].activation]
    net, out = (plain(node_step(g, st, k).symbol) for k in ("net", "out"))
    slope, _ = _derivative(g, st)
    return f"This is {function_name(act)}({net}) = {out}, the activation itself, not its derivative: {slope}."


def net_out_swapped(g, st) -> str:
    slope, f = _derivative(g, st)
    net, out = node_step(g, st, "net").symbol, node_step(g, st, "out").symbol
    right, wrong = (
        (f"the node's output {plain(out)}", plain(net))
        if out in f.free_symbols
        else (
            f"the net input {plain(net)}",
            plain(out),
        )
    )
    swapped = " or ".join(plain(a) for a in rw.net_out_swapped(g, st, None, 0))
    return f"The derivative {slope} is written with {right}; this answer puts {wrong} in its place, {swapped}."


def relu_slope_one(g, st) -> str:
    slope, f = _derivative(g, st)
    net = node_step(g, st, "net").symbol
    below = plain_cases(f.subs(net, -1))
    return f"The slope is {slope}: where {plain(net)} ≤ 0 it is {below}, not 1."


def derivative_forgotten(g, st) -> str:
    (dout,) = [g[d] for d in st.deps if g[d].kind == "dout_dnet"]
    slope, _ = _derivative(g, dout)
    return f"The activation's slope is missing: {st.id} = {plain(st.formula)}, where {dout.id} = {slope}."


# ---- the loss


def unit_derivative(g, st) -> str:
    J, out, dJ = _loss(g, st)
    return f"∂J/∂{out} is not ±1: differentiate the loss, J = {J} gives ∂J/∂{out} = {dJ}."


def wrong_sign(g, st) -> str:
    J, out, dJ = _loss(g, st)
    return f"The sign is flipped: J = {J} gives ∂J/∂{out} = {dJ}."


def target_minus_output(g, st) -> str:
    loss = LOSSES[g.spec.loss]
    outs, ys = outputs(g, st.sample)
    right = loss.fused_delta(outs[st.node], ys[st.node])
    assert right is not None  # (the rewrite offers this only for a delta the loss gives)
    net = plain(node_step(g, st, "net").symbol)
    return (
        f"With {loss.text}, {st.id} = ∂J/∂{net} = {plain(right)}, the prediction minus the target; "
        f"this answer is {plain(-right)}."
    )


def half(g, st) -> str:
    J, out, dJ = _loss(g, st)
    loss, n = LOSSES[g.spec.loss], g.spec.layers[-1].size
    c = loss.coefficient(n) if isinstance(loss, SquaredError) else sp.S.One
    if st.kind == "loss":
        front = "no factor" if c == 1 else f"the factor {plain(c)}"
        return f"This sheet's loss is J = {J}, with {front} in front; this answer is twice or half of it."
    cancels = ", with no 2 left" if 2 * c == 1 else ""
    return f"J = {J} differentiates to ∂J/∂{out} = {dJ}{cancels}; this answer has a factor 2 too many or too few."


def log10_for_ln(g, st) -> str:
    J, _, _ = _loss(g, st)
    text = LOSSES[g.spec.loss].text
    return (
        f"The logarithm in {text} is the natural one, J = {J}; this answer used log10, "
        f"which is ln 10 ≈ {float(sp.log(10)):.3f} times smaller."
    )


def mean_sum(g, st) -> str:
    if rw.batch_value(g, st):
        S, formula = len(g.spec.samples), f"{st.id} = {plain(st.formula)}"
        if g.spec.batch == "mean":
            return f"The sheet takes the mean over the {S} samples (batch: mean), {formula}; this answer is their sum."
        return f"The sheet adds up the {S} samples (batch: sum), {formula}; this answer divides by {S} as for a mean."
    J, _, _ = _loss(g, st)
    n = g.spec.layers[-1].size
    if rw.averages_outputs(LOSSES[g.spec.loss]):
        return f"This sheet's loss is the mean over the {n} outputs, J = {J}; this answer adds them up instead."
    return f"This sheet's loss adds up the {n} outputs, J = {J}; this answer divides by {n} as for a mean."


# ---- the update and the backward pass


def plus(g, st) -> str:
    return f"Gradient descent moves against the gradient: {st.id} = {plain(st.formula)}, with a minus."


def no_eta(g, st) -> str:
    return f"The learning rate is missing: {st.id} = {plain(st.formula)}."


def updated_weights(g, st) -> str:
    ws = [w for w, _ in st.back if str(StepId("new", w)) in g.by_id]
    new = ", ".join(str(StepId("new", w)) for w in ws)
    old = ", ".join(ws)
    them = "the weight" if len(ws) == 1 else "the weights"
    return f"The delta used {new} where it needs {old}, {them} from before the update."


def missing_sum(g, st) -> str:
    return (
        "A hidden node feeds every node of the next layer, so its delta sums over all of them: "
        f"{st.id} = {plain(st.formula)}."
    )
