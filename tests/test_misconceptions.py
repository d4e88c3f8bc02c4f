"""Misconception rewrites read the step graph's structure (dependencies, kinds and the
recorded terms of a hidden delta's sum), not the order in which the builder happened to
write a formula's arguments or the spelling of step ids."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import sympy as sp

from derive.graph.builder import derive
from derive.graph.functions import sigma
from derive.model.spec import load_spec, load_spec_text
from derive.teach.misconceptions import BY_NAME

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
