"""Derivations: every line proven by SymPy, wrong lines caught, renderings complete."""

from __future__ import annotations

import dataclasses
import re

import pytest
import sympy as sp
from support import need

from derive.graph.derivations import DERIVATIONS, N_CLASSES, Derivation, Line, get
from derive.graph.functions import ACTIVATIONS, LOSSES, leaky_step, sigma, step
from derive.present.derivation import CLOSING, derivation_section, render_derivation, why_tex
from derive.present.pdf import compile_pdf
from derive.verify.proofs import DerivationError, check, equal, prove

REQUIRED = [
    "sigmoid",
    "tanh",
    "relu",
    "leaky-relu",
    "identity",
    "softmax-cross-entropy",
    "sigmoid-bce",
    "half-sse",
    "sse",
    "mse",
    "half-mse",
    "softmax",
]
x = sp.Symbol("x", real=True)
N = N_CLASSES
net = sp.symbols(f"net1:{N + 1}", real=True)
out = sp.symbols(f"out1:{N + 1}", real=True)
ys = sp.symbols(f"y1:{N + 1}", real=True)
softmax = [sp.exp(n) / sp.Add(*[sp.exp(m) for m in net]) for n in net]


def with_line(d: Derivation, i: int, line: Line) -> Derivation:
    lines = list(d.lines)
    lines[i] = line
    return dataclasses.replace(d, lines=tuple(lines))


# ---------------------------------------------------------------- every derivation is proven


def test_required_derivations_exist():
    assert set(REQUIRED) <= set(DERIVATIONS)
    for name, d in DERIVATIONS.items():
        assert d.name == name


@pytest.mark.parametrize("name", list(DERIVATIONS))
def test_every_line_is_proven(name):
    d = DERIVATIONS[name]
    assert len(d.lines) >= 3
    result = prove(d)
    assert result == [True] * len(d.lines)
    assert check(d) is d
    result[0] = False  # the caller's copy: the remembered proof is unchanged
    assert prove(d)[0] is True


@pytest.mark.parametrize("name", list(DERIVATIONS))
def test_every_step_is_justified_and_text_is_safe(name):
    d = DERIVATIONS[name]
    assert all(line.why for line in d.lines[1:])
    # our text outside $math$ must be safe in Markdown and LaTeX alike (it is not escaped)
    for text in [d.title, d.intro] + [line.why for line in d.lines]:
        plain = re.sub(r"\$[^$]*\$", "", text)
        assert text.count("$") % 2 == 0
        assert not re.search(r"[\\_^&%#*{}<>|`~]", plain), text


def test_proof_does_not_use_the_functions_own_derivative_rules(monkeypatch):
    # sigma and leaky_relu carry fdiff rules; the proof must rewrite them to their
    # definitions, or it would be assuming what it proves.
    monkeypatch.setattr(sigma, "fdiff", lambda self, argindex=1: sp.Integer(0))
    assert sp.diff(sigma(x), x) == 0  # the rule is really broken
    for name in ("sigmoid", "sigmoid-bce"):
        d = DERIVATIONS[name]
        assert prove(d, cached=False) == [True] * len(d.lines)


# ---------------------------------------------------------------- where each derivation ends


def test_sigmoid_ends_in_sigma_one_minus_sigma():
    d = DERIVATIONS["sigmoid"]
    assert d.lines[-1].expr == sigma(x) * (1 - sigma(x))
    assert d.lines[0].expr == sp.Derivative(sigma(x), x)
    o = sp.Symbol("out")
    assert d.lines[-1].expr == ACTIVATIONS["sigmoid"].derivative(x, o).subs(o, sigma(x))


def test_tanh_ends_in_one_minus_tanh_squared():
    d = DERIVATIONS["tanh"]
    assert d.lines[-1].expr == 1 - sp.tanh(x) ** 2
    o = sp.Symbol("out")
    assert d.lines[-1].expr == ACTIVATIONS["tanh"].derivative(x, o).subs(o, sp.tanh(x))


def test_relu_and_leaky_relu_end_in_their_steps():
    assert DERIVATIONS["relu"].lines[-1].expr == step(x)
    assert DERIVATIONS["relu"].lines[-1].expr == ACTIVATIONS["relu"].derivative(x, sp.Symbol("out"))
    last = DERIVATIONS["leaky-relu"].lines[-1].expr
    assert last.func is leaky_step and last.args[0] == x


def test_identity_ends_in_one():
    assert DERIVATIONS["identity"].lines[-1].expr == 1


def test_softmax_cross_entropy_ends_in_out_minus_y():
    d = DERIVATIONS["softmax-cross-entropy"]
    assert d.lines[-1].tex == r"\mathrm{out}_j - y_j"
    expected = sp.ImmutableMatrix([softmax[j] - ys[j] for j in range(N)])
    assert d.lines[-1].expr == expected
    # independently of the derivation: differentiate the project's loss directly
    J = LOSSES["cross-entropy"].expr(softmax, list(ys))
    for j in range(N):
        diff = (sp.diff(J, net[j]) - expected[j]).subs(ys[-1], 1 - sum(ys[:-1]))
        assert sp.simplify(diff) == 0


def test_softmax_jacobian_ends_in_out_j_times_kronecker_minus_out_k():
    d = DERIVATIONS["softmax"]
    assert d.lines[-1].tex == r"\mathrm{out}_j\,\bigl([j = k] - \mathrm{out}_k\bigr)"
    last = d.lines[-1].expr
    assert last.shape == (N, N)
    for j in range(N):
        for k in range(N):
            assert sp.simplify(last[j, k] - sp.diff(softmax[j], net[k])) == 0
            assert sp.simplify(last[j, k] - softmax[j] * (int(j == k) - softmax[k])) == 0


def test_sigmoid_bce_ends_in_out_minus_y():
    d = DERIVATIONS["sigmoid-bce"]
    n, y = sp.Symbol("net", real=True), sp.Symbol("y", real=True)
    assert d.lines[-1].expr == sigma(n) - y
    assert d.lines[-1].tex == r"\mathrm{out} - y"


@pytest.mark.parametrize(
    "name, factor", [("half-sse", 1), ("sse", 2), ("mse", sp.Rational(2, N)), ("half-mse", sp.Rational(1, N))]
)
def test_squared_losses_end_in_factor_times_out_minus_y(name, factor):
    last = DERIVATIONS[name].lines[-1].expr
    J = LOSSES[name].expr(list(out), list(ys))
    for j in range(N):
        assert sp.expand(last[j] - factor * (out[j] - ys[j])) == 0
        assert sp.expand(last[j] - sp.diff(J, out[j])) == 0


# ---------------------------------------------------------------- wrong lines are caught


def test_the_essays_first_line_is_caught():
    d = DERIVATIONS["sigmoid"]
    essay = Line(r"\frac{e^{x}}{1 + e^{x}}", sp.exp(x) / (1 + sp.exp(x)), "the essay's claim")
    bad = with_line(d, 1, essay)
    result = prove(bad)
    assert result[1] is False
    with pytest.raises(DerivationError, match=r"'sigmoid', line 1 .*e\^\{x\}"):
        check(bad)
    with pytest.raises(DerivationError):
        render_derivation(bad, "md")
    with pytest.raises(DerivationError):
        render_derivation(bad, "tex")
    with pytest.raises(DerivationError):
        derivation_section(["tanh", bad], "md")


def test_the_essays_other_lines():
    lhs = sp.Derivative(sigma(x), x)
    e = sp.exp(x)
    # the essay's middle line is wrong ...
    assert not equal(lhs, e * (1 + e) * e / (1 + e) ** 2)
    # ... and its third line, e^x / (1 + e^x)^2, is right (it equals e^-x / (1 + e^-x)^2)
    assert equal(lhs, e / (1 + e) ** 2)


def test_a_wrong_middle_line_is_caught_and_named():
    d = DERIVATIONS["sigmoid"]
    u = 1 + sp.exp(-x)
    # "add and subtract 1" done wrong: (1 + e^-x) + 1
    bad = with_line(d, 6, Line("wrong", 1 / u * ((u + 1) / u), "add and subtract 1"))
    assert prove(bad) == [True] * 6 + [False, False, True]
    with pytest.raises(DerivationError, match=r"line 6 \(wrong, by add and subtract 1\)"):
        check(bad)


def test_a_wrong_branch_of_relu_is_caught():
    d = DERIVATIONS["relu"]
    # right for x > 0 only
    assert prove(with_line(d, 4, Line("1", sp.Integer(1), "wrong")))[-1] is False
    # right for x < 0 only
    assert prove(with_line(d, 4, Line("0", sp.Integer(0), "wrong")))[-1] is False
    # a leaky step with the wrong slope
    a = sp.Symbol("alpha", positive=True)
    lk = DERIVATIONS["leaky-relu"]
    assert prove(with_line(lk, 3, Line("s", leaky_step(x, 2 * a), "wrong")))[-1] is False


def test_the_targets_summing_to_one_is_needed():
    d = DERIVATIONS["softmax-cross-entropy"]
    last = d.lines[-1]
    assert last.given
    assert prove(with_line(d, len(d.lines) - 1, dataclasses.replace(last, given=())))[-1] is False


def test_wrong_signs_and_wrong_matrices_are_caught():
    d = DERIVATIONS["half-sse"]
    flipped = sp.ImmutableMatrix([ys[j] - out[j] for j in range(N)])
    assert prove(with_line(d, len(d.lines) - 1, Line("y_j - out_j", flipped, "wrong")))[-1] is False
    s = DERIVATIONS["softmax"]
    wrong = sp.ImmutableMatrix(N, N, lambda j, k: softmax[j] * (int(j == k) + softmax[k]))
    assert prove(with_line(s, len(s.lines) - 1, Line("w", wrong, "wrong")))[-1] is False
    # a scalar claimed equal to a matrix is not proven, and does not crash the proof
    assert prove(with_line(s, len(s.lines) - 1, Line("w", sp.Integer(0), "wrong")))[-1] is False


# ---------------------------------------------------------------- rendering


@pytest.mark.parametrize("name", list(DERIVATIONS))
def test_markdown_contains_every_line_and_justification(name):
    d = DERIVATIONS[name]
    md = render_derivation(name, "md")
    assert md.startswith(f"# {d.title}\n")
    for line in d.lines:
        assert line.tex in md
    for line in d.lines[1:]:
        assert why_tex(line.why) in md
    assert md.count("&= ") == len(d.lines) - 1
    assert md.count("$$") == 2
    assert md.rstrip().endswith(f"*{CLOSING}*")


@pytest.mark.parametrize("name", list(DERIVATIONS))
def test_latex_contains_every_line_in_align(name):
    d = DERIVATIONS[name]
    tex = render_derivation(name, "tex")
    assert tex.startswith(r"\documentclass")
    assert r"\title{%s}" % d.title in tex
    body = tex[tex.index(r"\begin{align*}") : tex.index(r"\end{align*}")]
    for line in d.lines:
        assert line.tex in body
    for line in d.lines[1:]:
        assert "&= %s && %s" % (line.tex, why_tex(line.why)) in body
    assert body.count(r"\\" + "\n") == len(d.lines) - 2
    # the closing sentence is the last thing on the sheet
    assert tex.rstrip().endswith(r"\emph{%s}" % CLOSING + "\n" + r"\end{document}")


def test_section_is_a_body_with_headings():
    md = derivation_section(["sigmoid", "softmax-cross-entropy"], "md", level=3)
    assert "### The derivative of the sigmoid" in md and "### Cross-entropy after a softmax" in md
    assert not md.startswith("# ")
    assert md.count(CLOSING) == 1 and md.rstrip().endswith(f"*{CLOSING}*")
    tex = derivation_section(["sigmoid", "softmax-cross-entropy"], "tex", level=3)
    assert r"\documentclass" not in tex and r"\begin{document}" not in tex
    assert r"\subsection*{The derivative of the sigmoid}" in tex
    assert tex.count(r"\begin{align*}") == 2
    assert r"\section*{" in derivation_section(["relu"], "tex")
    for line in DERIVATIONS["softmax-cross-entropy"].lines:
        assert line.tex in tex and line.tex in md


def test_why_tex_escapes_text_and_keeps_math():
    assert why_tex(r"definition of $\sigma$") == r"\text{(definition of }{\textstyle \sigma}\text{)}"
    assert why_tex(r"$\frac{1}{u}$") == r"\text{(}{\textstyle \frac{1}{u}}\text{)}"
    assert why_tex("50% & #1") == r"\text{(50\% \& \#1)}"


def test_unknown_names_and_formats():
    with pytest.raises(KeyError) as e:
        render_derivation("swish", "md")
    assert "swish" in str(e.value) and all(n in str(e.value) for n in REQUIRED)
    with pytest.raises(KeyError, match="known: sigmoid"):
        derivation_section(["sigmoid", "gelu"], "tex")
    with pytest.raises(KeyError):
        get(["sigmoid"])
    with pytest.raises(ValueError, match="unknown format"):
        render_derivation("sigmoid", "html")
    with pytest.raises(ValueError):
        derivation_section([], "md")
    with pytest.raises(ValueError):
        derivation_section(["relu"], "tex", level=7)


def test_standalone_latex_compiles():
    need("pdflatex")
    for name in DERIVATIONS:
        pdf = compile_pdf(render_derivation(name, "tex"))
        assert pdf.startswith(b"%PDF"), name


def test_section_compiles_inside_a_document():
    need("pdflatex")
    from derive.present.env import make_env

    preamble = make_env("tex").get_template("preamble.tex.j2").render()
    body = derivation_section(list(DERIVATIONS), "tex", level=3)
    pdf = compile_pdf(preamble + "\\begin{document}\n\\section*{Derivations}\n" + body + "\\end{document}\n")
    assert pdf.startswith(b"%PDF")
