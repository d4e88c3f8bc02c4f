"""LaTeX is made at the edge: the step graph holds ids and references, and
derive.present.notation writes every symbol from a step id's parts and a given number's role."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp

from derive.graph.builder import derive
from derive.model.names import StepId
from derive.model.spec import load_spec
from derive.present.notation import Printer, given_latex, latex_name, step_latex, symbol_names

ROOT = Path(__file__).resolve().parent.parent
W = ROOT / "worked"


@pytest.mark.parametrize("module", ["builder", "steps", "chain", "arith", "compile"])
def test_the_graph_core_writes_no_latex(module):
    text = (ROOT / "derive" / "graph" / f"{module}.py").read_text(encoding="utf-8")
    for marker in (r"\mathrm", r"\frac", r"\partial", r"\delta_", "latex_name"):
        assert marker not in text, f"graph/{module}.py: {marker}"


def test_a_graph_has_no_latex_names():
    g = derive(load_spec(W / "batch.yaml"))
    assert not hasattr(g, "latex_names")
    for st in g:
        for path in st.chain:
            for f in path:
                assert "\\" not in f.top + f.bottom + str(f.value)


@pytest.mark.parametrize(
    "sid,tex",
    [
        (StepId("net", "h1"), r"\mathrm{net}_{h1}"),
        (StepId("out", "o2", 1), r"\mathrm{out}_{o2}^{(2)}"),
        (StepId("loss"), "J"),
        (StepId("loss", sample=0), "J^{(1)}"),
        (StepId("dloss_dout", "o1"), r"\frac{\partial J}{\partial \mathrm{out}_{o1}}"),
        (StepId("dout_dnet", "h2"), r"\frac{\partial \mathrm{out}_{h2}}{\partial \mathrm{net}_{h2}}"),
        (StepId("delta", "h1", 2), r"\delta_{h1}^{(3)}"),
        (StepId("grad", "w9"), r"\frac{\partial J}{\partial w_{9}}"),
        (StepId("grad", "b_h1", 0), r"\frac{\partial J^{(1)}}{\partial b_{h1}}"),
        (StepId("new", "w10"), r"w_{10}^{\text{new}}"),
        (StepId("new", "w2_1_3"), r"{w^{(2)}_{13}}^{\text{new}}"),
    ],
)
def test_step_latex_from_the_id_grammar(sid, tex):
    assert step_latex(sid) == tex
    assert step_latex(StepId.parse(str(sid))) == tex


def test_every_symbol_of_every_formula_has_a_name():
    for example in ("batch", "softmax", "shared-bias", "softplus"):
        g = derive(load_spec(W / f"{example}.yaml"))
        names = symbol_names(g)
        for st in g:
            assert st.formula.free_symbols <= set(names), st.id
    assert names[g.leaves["i1"]] == r"i_{1}" and given_latex(g.givens["eta"]) == r"\eta"
    batch = derive(load_spec(W / "batch.yaml"))
    assert given_latex(batch.givens["x1_s2"]) == r"x_{1}^{(2)}"
    assert given_latex(batch.givens["y_o1_s1"]) == r"y_{o1}^{(1)}"


def test_the_printer_names_our_functions_by_their_declared_notation():
    from derive.graph.functions import leaky_relu, sigma, softplus

    x = sp.Symbol("x")
    p = Printer({x: r"\mathrm{net}"})
    assert p.doprint(sigma(x)) == r"\sigma\left(\mathrm{net}\right)"
    assert p.doprint(softplus(x)) == r"\operatorname{softplus}\left(\mathrm{net}\right)"
    assert p.doprint(leaky_relu(x, sp.Rational(1, 10))) == r"\operatorname{LReLU}_{0.1}\left(\mathrm{net}\right)"
    assert p.doprint(sigma(x) ** 2) == r"\sigma\left(\mathrm{net}\right)^{2}"
    assert latex_name("theta1") == r"\theta_{1}"


def test_the_walkthrough_renders_the_chain_from_its_references():
    """Changing a chain's reference changes the printed fraction and number: the walkthrough
    re-derives nothing."""
    from derive.present.walkthrough import Walkthrough

    wt = Walkthrough.from_file(W / "four.yaml")
    before = wt.markdown()
    assert r"\frac{\partial \mathrm{net}_{o1}}{\partial \mathrm{out}_{h1}}" in before
    st = wt.graph["grad_w1"]
    f = st.chain[0][2]
    st.chain = ((st.chain[0][:2] + (type(f)(f.top, "out_h2", "w10"),) + st.chain[0][3:]),)
    after = wt.markdown()
    assert r"\frac{\partial \mathrm{net}_{o1}}{\partial \mathrm{out}_{h2}}" in after and after != before
