"""Misconception rewrites read the step graph's structure (dependencies, kinds and the
recorded terms of a hidden delta's sum), not the order in which the builder happened to
write a formula's arguments or the spelling of step ids."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import pytest
import sympy as sp
import yaml
from support import NETWORK_EXAMPLES

from derive.graph.builder import derive
from derive.graph.functions import sigma
from derive.model.numbers import round_half_up_float
from derive.model.spec import load_spec, load_spec_text
from derive.teach.misconceptions import BY_NAME, CATALOGUE, on_key

W = Path(__file__).resolve().parent.parent / "worked"
S = sp.Symbol


def _alternatives(name, g, st):
    return BY_NAME[name].alternatives(g, st, 3, 3)


def test_missing_sum_reads_the_recorded_terms_not_the_argument_order():
    g = derive(load_spec(W / "shared-bias.yaml"))
    st = g["delta_h1"]
    assert len(st.back) > 1
    expected = [S("dout_dnet_h1") * S(w) * S(d) for w, d in st.back]
    assert _alternatives("missing-sum", g, st) == expected
    # the same step with its product written the other way round: the same alternatives
    total, dout = sp.Add(*[sp.Mul(S(w), S(d), evaluate=False) for w, d in st.back], evaluate=False), S("dout_dnet_h1")
    flipped = dataclasses.replace(st, recipe=sp.Mul(total, dout, evaluate=False))
    assert _alternatives("missing-sum", g, flipped) == expected
    # a hidden delta that sums one term has no sum to miss
    four = derive(load_spec(W / "four.yaml"))
    assert _alternatives("missing-sum", four, four["delta_h1"]) == []


def test_unit_derivative_replaces_the_nodes_own_loss_derivative():
    """A softmax delta reads every output's dJ/dout; the misconception is about its own."""
    g = derive(
        load_spec_text(
            """
network: {inputs: 1, layers: [{name: o, size: 3, activation: softmax}]}
loss: mse
parameters: {weights: {o: [[0.5], [0.3], [-0.1]]}}
sample: {x: [1], y: [0, 1, 0]}
learning_rate: 0.5
""",
            "softmax-mse.yaml",
        )
    )
    st = g["delta_o2"]
    assert {d for d in st.deps if d.startswith("dloss")} == {"dloss_dout_o1", "dloss_dout_o2", "dloss_dout_o3"}
    for alt, u in zip(_alternatives("unit-loss-derivative", g, st), (1, -1)):
        assert alt == st.formula.xreplace({S("dloss_dout_o2"): u})


def test_rewrites_find_steps_by_kind_and_dependency():
    g = derive(load_spec(W / "four.yaml"))
    assert _alternatives("activation-for-derivative", g, g["dout_dnet_h1"]) == [S("out_h1")]
    assert _alternatives("sigma-of-minus-x", g, g["out_h1"]) == [sigma(-S("net_h1"))]
    assert _alternatives("plus-update", g, g["new_w9"]) == [S("w9") + S("eta") * S("grad_w9")]
    assert _alternatives("no-learning-rate", g, g["new_w9"]) == [S("w9") - S("grad_w9")]
    assert _alternatives("updated-weights-in-delta", g, g["delta_h1"]) == [
        g["delta_h1"].formula.xreplace({S("w9"): S("new_w9")})
    ]


# --------------------------------------------------------------------------- the catalogue


GRAPHS = {p.stem: derive(load_spec(p)) for p in NETWORK_EXAMPLES}


def test_every_misconception_applies_to_some_step_of_some_worked_example():
    unused = {
        m.name
        for m in CATALOGUE
        if m.graphs != "expression"  # (the network examples; an expression graph's: test_expression_sheets.py)
        and not any(m.alternatives(g, st, g.spec.decimals, g.spec.decimals) for g in GRAPHS.values() for st in g)
    }
    assert not unused


def test_every_rewrite_differs_from_the_correct_formula():
    for name, g in GRAPHS.items():
        for st in g:
            for m in CATALOGUE:
                for alt in m.alternatives(g, st, g.spec.decimals, g.spec.decimals):
                    assert sp.expand(alt - st.formula) != 0, (name, st.id, m.name, alt)


def test_every_message_is_one_or_two_sentences_in_the_sheets_symbols():
    for g in GRAPHS.values():
        for st in g:
            for m in CATALOGUE:
                if m.alternatives(g, st, g.spec.decimals, g.spec.decimals):
                    text = m.message(g, st)
                    assert text.endswith(".") and (text[0].isupper() or not text[0].isascii()), text
                    assert text.count(". ") <= 1 and "*" not in text and "None" not in text, text


#: Steps of the worked examples on which two misconceptions (at least one of them not a
#: rounding slip) give the same number at the sheet's decimals, so the marker cannot tell
#: them apart there. On a half-SSE sheet with two outputs, dividing by the number of outputs
#: is halving; the batch example's round numbers (net_h1_s1 = 0.4) make a few coincidences.
COINCIDENCES = {
    ("batch", "dout_dnet_h1_s1", "net-out-swapped", "rounded-too-early"),
    ("batch", "delta_h2_s1", "updated-weights-in-delta", "rounded-too-early"),
    ("shared-bias", "loss", "half-dropped-or-doubled", "mean-vs-sum"),
    ("shared-bias", "dloss_dout_o1", "half-dropped-or-doubled", "mean-vs-sum"),
    ("shared-bias", "dloss_dout_o2", "half-dropped-or-doubled", "mean-vs-sum"),
    # sample 2's first-layer gradients are small (|eta g| < 0.0005): p + eta g rounds to what
    # rounding p too early gives
    ("online", "new_w1_s2", "plus-update", "rounded-too-early"),
    ("online", "new_w2_s2", "plus-update", "rounded-too-early"),
}


def _coinciding(name, g):
    """(example, step, misconception, misconception) for every pair that gives the same
    number, other than the key's, at the sheet's decimals."""
    d = g.spec.decimals
    for st in g:
        key = round_half_up_float(float(st.value), d)
        vals = {m.name: {round_half_up_float(v, d) for v in on_key(m, g, st, d)} - {key} for m in CATALOGUE}
        for a, b in itertools.combinations(vals, 2):
            if vals[a] & vals[b]:
                yield name, st.id, a, b


def test_which_misconceptions_coincide_on_the_worked_examples():
    found = {c for name, g in GRAPHS.items() for c in _coinciding(name, g)}
    slips = {m.name for m in CATALOGUE if m.slip}
    # a truncated number is often also what a too-early rounding gives: both are slips
    assert {c for c in found if not {c[2], c[3]} <= slips} == COINCIDENCES
    assert {(c[2], c[3]) for c in found if {c[2], c[3]} <= slips} == {("truncated", "rounded-too-early")}


# --------------------------------------------------------------------------- per sheet


def _spec(loss: str, outputs: int = 1, samples: int = 1, batch: str = "mean", act: str = "sigmoid"):
    ws = [[0.1 * (j + 1), -0.2] for j in range(outputs)]
    ys = [[1 - (j % 2) for j in range(outputs)] for _ in range(samples)]
    if loss == "cross-entropy":
        ys = [[1] + [0] * (outputs - 1) for _ in range(samples)]
    text = yaml.safe_dump(
        {
            "network": {"inputs": 2, "layers": [{"name": "o", "size": outputs, "activation": act}]},
            "loss": loss,
            "parameters": {"weights": {"o": ws}},
            "samples": [{"x": [0.5, 0.25 * (s + 1)], "y": y} for s, y in enumerate(ys)],
            "batch": batch,
            "learning_rate": 0.5,
        }
    )
    return derive(load_spec_text(text, f"{loss}.yaml"))


@pytest.mark.parametrize(
    "loss, outputs, J, dJ",
    [
        ("half-sse", 1, "J = ½(y_o1 − out_o1)²", "∂J/∂out_o1 = out_o1 − y_o1, with no 2 left;"),
        ("sse", 1, "J = (y_o1 − out_o1)²", "∂J/∂out_o1 = 2(out_o1 − y_o1);"),
        ("mse", 1, "J = (y_o1 − out_o1)²", "∂J/∂out_o1 = 2(out_o1 − y_o1);"),
        ("mse", 2, "J = ½(y_o1 − out_o1)² + ½(y_o2 − out_o2)²", "∂J/∂out_o1 = out_o1 − y_o1, with no 2 left;"),
        ("half-mse", 1, "J = ½(y_o1 − out_o1)²", "∂J/∂out_o1 = out_o1 − y_o1, with no 2 left;"),
        ("half-mse", 2, "J = ¼(y_o1 − out_o1)² + ¼(y_o2 − out_o2)²", "∂J/∂out_o1 = ½(out_o1 − y_o1);"),
    ],
)
def test_the_factor_two_message_quotes_the_sheets_own_squared_error(loss, outputs, J, dJ):
    g = _spec(loss, outputs)
    text = BY_NAME["half-dropped-or-doubled"].message(g, g["dloss_dout_o1"])
    assert text.startswith(f"{J} differentiates to {dJ}"), text
    assert _alternatives("half-dropped-or-doubled", g, g["dloss_dout_o1"]) == [
        2 * g["dloss_dout_o1"].formula,
        g["dloss_dout_o1"].formula / 2,
    ]
    for name in ("wrong-sign", "unit-loss-derivative"):
        assert J in BY_NAME[name].message(g, g["dloss_dout_o1"])


@pytest.mark.parametrize("loss, act", [("bce", "sigmoid"), ("cross-entropy", "softmax")])
def test_no_factor_two_for_a_cross_entropy_but_log10(loss, act):
    g = _spec(loss, 3 if act == "softmax" else 1, act=act)
    assert not any(_alternatives("half-dropped-or-doubled", g, st) for st in g)
    (alt,) = _alternatives("log10-for-ln", g, g["loss"])
    assert sp.simplify(alt * sp.log(10) - g["loss"].formula) == 0
    for name in ("wrong-sign", "unit-loss-derivative", "target-minus-output"):
        for st in g:
            if _alternatives(name, g, st):
                text, o = BY_NAME[name].message(g, st), st.subject
                assert f"ln(out_{o})" in text or f"= out_{o} − y_{o}" in text, text
                assert "½" not in text and "²" not in text, text


def test_a_fused_delta_has_its_own_sign_misconception():
    g = GRAPHS["softmax"]
    st = g["delta_o2"]
    assert _alternatives("wrong-sign", g, st) == [] and _alternatives("unit-loss-derivative", g, st) == []
    assert _alternatives("target-minus-output", g, st) == [S("y_o2") - S("out_o2")]
    assert _alternatives("target-minus-output", GRAPHS["four"], GRAPHS["four"]["delta_o1"]) == []


@pytest.mark.parametrize(
    "batch, rewrite, says", [("mean", 2, "(batch: mean)"), ("sum", sp.Rational(1, 2), "(batch: sum)")]
)
def test_mean_vs_sum_over_a_batch_names_the_sheets_reduction(batch, rewrite, says):
    g = _spec("half-sse", samples=2, batch=batch)
    for sid in ("loss", "grad_w1"):
        assert _alternatives("mean-vs-sum", g, g[sid]) == [g[sid].formula * rewrite]
        assert says in BY_NAME["mean-vs-sum"].message(g, g[sid])
    assert _alternatives("mean-vs-sum", g, g["loss_s1"]) == []  # one output: no mean over outputs


def test_mean_vs_sum_over_the_outputs_follows_the_loss():
    mse, sse = _spec("mse", 2), _spec("half-sse", 2)
    assert _alternatives("mean-vs-sum", mse, mse["loss"]) == [mse["loss"].formula * 2]
    assert _alternatives("mean-vs-sum", sse, sse["loss"]) == [sse["loss"].formula / 2]
    assert "mean over the 2 outputs" in BY_NAME["mean-vs-sum"].message(mse, mse["loss"])
    assert "adds up the 2 outputs" in BY_NAME["mean-vs-sum"].message(sse, sse["loss"])


def test_a_long_loss_is_quoted_by_the_steps_own_term():
    g = _spec("half-sse", 5)
    text = BY_NAME["wrong-sign"].message(g, g["dloss_dout_o4"])
    assert "J = … + ½(y_o4 − out_o4)² … gives ∂J/∂out_o4 = out_o4 − y_o4." in text


@pytest.mark.parametrize(
    "example, step, slope",
    [
        ("four", "dout_dnet_h1", "σ′(net_h1) = out_h1·(1 − out_h1)"),
        ("tanh", "dout_dnet_h1", "tanh′(net_h1) = 1 − out_h1²"),
        ("relu", "dout_dnet_h2", "ReLU′(net_h2) = 1 for net_h2 > 0, else 0"),
        ("bce", "dout_dnet_h1", "LReLU′(net_h1) = 1 for net_h1 > 0, else 0.1"),
        ("softplus", "dout_dnet_h2", "softplus′(net_h2) = σ(net_h2)"),
    ],
)
def test_activation_messages_quote_the_sheets_derivative(example, step, slope):
    g = GRAPHS[example]
    st = g[step]
    assert slope in BY_NAME["activation-for-derivative"].message(g, st)
    delta = g[step.replace("dout_dnet", "delta")]
    assert slope in BY_NAME["derivative-forgotten"].message(g, delta)
    assert _alternatives("derivative-forgotten", g, delta) == [delta.formula.xreplace({st.symbol: 1})]


def test_net_and_out_are_swapped_only_where_it_changes_the_value():
    assert _alternatives("net-out-swapped", GRAPHS["softplus"], GRAPHS["softplus"]["dout_dnet_h1"]) == [
        sigma(S("out_h1"))
    ]
    for example in ("relu", "bce"):  # ReLU, leaky ReLU: out > 0 exactly when net > 0
        g = GRAPHS[example]
        for st in (g["dout_dnet_h1"], g["dout_dnet_h2"]):
            assert _alternatives("net-out-swapped", g, st) == []
            assert _alternatives("relu-slope-one", g, st) == [1]
    # the identity's slope is the constant 1: nothing to forget or swap
    relu = GRAPHS["relu"]
    assert relu["dout_dnet_o1"].formula == 1
    for name in ("derivative-forgotten", "activation-for-derivative", "net-out-swapped"):
        assert _alternatives(name, relu, relu["dout_dnet_o1"]) == [] == _alternatives(name, relu, relu["delta_o1"])
