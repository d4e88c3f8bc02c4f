"""Derivative identities as data: each :class:`Derivation` is a title, an introduction and
an ordered list of :class:`Line` s. A line carries the LaTeX a reader sees, the SymPy
expression that LaTeX means, and a short justification ("chain rule", "add and subtract
1"). The first line is the quantity being derived; every later line is claimed equal to
the one before it, and :mod:`derive.verify.proofs` checks each claim with SymPy.
Printed derivations go wrong easily (the essay in the seeds prints
:math:`\\sigma'(x) = e^{x}/(1 + e^{x})`, which is :math:`\\sigma(x)` itself).

Sums over classes or outputs are written generally (with :math:`\\sum_k`) and proven
on ``N_CLASSES`` symbolic classes, as vectors over ``j`` (and matrices over ``j, k``
for the softmax Jacobian). Piecewise functions (ReLU, leaky ReLU) are proven on both
branches, ``x > 0`` and ``x < 0``.

>>> d = DERIVATIONS["sigmoid"]
>>> d.lines[-1].expr == sigma(x) * (1 - sigma(x))
True
>>> get("swish")
Traceback (most recent call last):
  ...
KeyError: "unknown derivation 'swish'; known: sigmoid, tanh, relu, leaky-relu, identity, softmax, softmax-cross-entropy, sigmoid-bce, half-sse, sse, mse, half-mse"
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.graph.activations import leaky_relu, leaky_step, relu, sigma, step
from derive.graph.losses import LOSSES

N_CLASSES = 3


@dataclass(frozen=True)
class Line:
    tex: str                 # what the reader sees (LaTeX math, hand-written for readability)
    expr: sp.Basic           # what the line means; this is what gets proven
    why: str = ""            # justification: text with $math$ inside
    given: tuple = ()        # (symbol, value) pairs that hold for this step, e.g. sum of targets is 1


@dataclass(frozen=True)
class Derivation:
    name: str
    title: str               # text with $math$ inside
    intro: str               # text with $math$ inside, in our own words
    lines: tuple[Line, ...]  # lines[0] is the left-hand side
    cases: tuple = ((),)     # substitutions proven separately, e.g. both branches of ReLU
    checked: str = ""        # how it was proven, when more than "simplifies to 0" needs saying


# --------------------------------------------------------------------------- the derivations

x = sp.Symbol("x", real=True)
_p = sp.Symbol("p", positive=True)
_alpha = sp.Symbol("alpha", positive=True)
_BRANCHES = (((x, _p),), ((x, -_p),))    # x > 0 and x < 0
_N = N_CLASSES
_net = sp.symbols(f"net1:{_N + 1}", real=True)
_out = sp.symbols(f"out1:{_N + 1}", real=True)
_y = sp.symbols(f"y1:{_N + 1}", real=True)
_S = sp.Add(*[sp.exp(n) for n in _net])
_soft = [sp.exp(n) / _S for n in _net]

OUT, NET = r"\mathrm{out}", r"\mathrm{net}"
SUM_E = r"\sum_m e^{\mathrm{net}_m}"


def _vec(f):
    """The column vector (f(0), ..., f(N-1)): one entry per class j."""
    return sp.ImmutableMatrix([f(j) for j in range(_N)])


def _mat(f):
    """The N x N matrix of f(j, k)."""
    return sp.ImmutableMatrix(_N, _N, lambda j, k: f(j, k))


def _sigmoid() -> Derivation:
    E = sp.exp(-x)
    u = r"1 + e^{-x}"
    return Derivation(
        "sigmoid", "The derivative of the sigmoid",
        r"The sigmoid squashes any number into $(0, 1)$: $\sigma(x) = 1/(1 + e^{-x})$. "
        r"Its derivative can be written in terms of $\sigma$ itself, which is why backpropagation "
        r"only needs the value $\mathrm{out} = \sigma(\mathrm{net})$ a node already computed.",
        (
            Line(r"\sigma'(x)", sp.Derivative(sigma(x), x)),
            Line(r"\frac{d}{dx}\,\frac{1}{%s}" % u, sp.Derivative(1 / (1 + E), x), r"definition of $\sigma$"),
            Line(r"-\frac{1}{(%s)^2} \cdot \frac{d}{dx}\left(%s\right)" % (u, u),
                 -1 / (1 + E) ** 2 * sp.Derivative(1 + E, x), r"chain rule, $(1/u)' = -1/u^2$"),
            Line(r"-\frac{1}{(%s)^2} \cdot \left(-e^{-x}\right)" % u,
                 sp.Mul(-1 / (1 + E) ** 2, -E, evaluate=False), r"$(e^{-x})' = -e^{-x}$"),
            Line(r"\frac{e^{-x}}{(%s)^2}" % u, E / (1 + E) ** 2, "the signs cancel"),
            Line(r"\frac{1}{%s} \cdot \frac{e^{-x}}{%s}" % (u, u), 1 / (1 + E) * (E / (1 + E)), "split the fraction"),
            Line(r"\frac{1}{%s} \cdot \frac{(%s) - 1}{%s}" % (u, u, u),
                 1 / (1 + E) * (((1 + E) - 1) / (1 + E)), "add and subtract 1"),
            Line(r"\frac{1}{%s} \left(1 - \frac{1}{%s}\right)" % (u, u),
                 1 / (1 + E) * (1 - 1 / (1 + E)), "split the fraction"),
            Line(r"\sigma(x)\,\bigl(1 - \sigma(x)\bigr)", sigma(x) * (1 - sigma(x)), r"definition of $\sigma$"),
        ))


def _tanh() -> Derivation:
    P, Q = sp.exp(x) + sp.exp(-x), sp.exp(x) - sp.exp(-x)
    p, q = r"e^{x} + e^{-x}", r"e^{x} - e^{-x}"
    return Derivation(
        "tanh", "The derivative of tanh",
        r"The hyperbolic tangent squashes any number into $(-1, 1)$: "
        r"$\tanh(x) = (e^{x} - e^{-x})/(e^{x} + e^{-x})$. Like the sigmoid, its derivative "
        r"is a function of its own value.",
        (
            Line(r"\tanh'(x)", sp.Derivative(sp.tanh(x), x)),
            Line(r"\frac{d}{dx}\,\frac{%s}{%s}" % (q, p), sp.Derivative(Q / P, x), r"definition of $\tanh$"),
            Line(r"\frac{(%s)\,\frac{d}{dx}(%s) - (%s)\,\frac{d}{dx}(%s)}{(%s)^2}" % (p, q, q, p, p),
                 (P * sp.Derivative(Q, x) - Q * sp.Derivative(P, x)) / P ** 2, "quotient rule"),
            Line(r"\frac{(%s)(%s) - (%s)(%s)}{(%s)^2}" % (p, p, q, q, p),
                 (sp.Mul(P, P, evaluate=False) - sp.Mul(Q, Q, evaluate=False)) / P ** 2,
                 r"$(e^{\pm x})' = \pm e^{\pm x}$"),
            Line(r"\frac{(%s)^2}{(%s)^2} - \frac{(%s)^2}{(%s)^2}" % (p, p, q, p),
                 sp.Mul(P ** 2, 1 / P ** 2, evaluate=False) - Q ** 2 / P ** 2, "split the fraction"),
            Line(r"1 - \left(\frac{%s}{%s}\right)^2" % (q, p), 1 - (Q / P) ** 2, "cancel; a square of a quotient"),
            Line(r"1 - \tanh^2(x)", 1 - sp.tanh(x) ** 2, r"definition of $\tanh$"),
        ))


def _relu() -> Derivation:
    return Derivation(
        "relu", "The derivative of ReLU",
        r"The rectified linear unit passes positive numbers and zeroes the rest: "
        r"$\operatorname{ReLU}(x) = \max(x, 0)$. It has no derivative at $x = 0$, where the graph "
        r"has a corner; like most code, we take the derivative there to be 0.",
        (
            Line(r"\operatorname{ReLU}'(x)", sp.Derivative(relu(x), x)),
            Line(r"\frac{d}{dx}\max(x, 0)", sp.Derivative(sp.Max(x, 0), x), r"definition of ReLU"),
            Line(r"\frac{d}{dx}\begin{cases} x & x > 0 \\ 0 & x \le 0 \end{cases}",
                 sp.Derivative(sp.Piecewise((x, x > 0), (0, True)), x), "the larger of $x$ and 0"),
            Line(r"\begin{cases} 1 & x > 0 \\ 0 & x < 0 \end{cases}",
                 sp.Piecewise((1, x > 0), (0, True)), "differentiate each piece"),
            Line(r"\operatorname{step}(x)", step(x), r"definition of step, with $\operatorname{step}(0) = 0$"),
        ),
        cases=_BRANCHES, checked="on both branches, $x > 0$ and $x < 0$")


def _leaky_relu() -> Derivation:
    a = _alpha
    return Derivation(
        "leaky-relu", "The derivative of leaky ReLU",
        r"Leaky ReLU keeps a small slope $\alpha$ (often $0.01$) for negative inputs, so that a "
        r"node whose net input is negative still passes some gradient back. Like ReLU it has a "
        r"corner at $x = 0$; we take the derivative there to be $\alpha$.",
        (
            Line(r"\operatorname{LReLU}_{\alpha}'(x)", sp.Derivative(leaky_relu(x, a), x)),
            Line(r"\frac{d}{dx}\begin{cases} x & x > 0 \\ \alpha x & x \le 0 \end{cases}",
                 sp.Derivative(sp.Piecewise((x, x > 0), (a * x, True)), x), "definition of leaky ReLU"),
            Line(r"\begin{cases} 1 & x > 0 \\ \alpha & x < 0 \end{cases}",
                 sp.Piecewise((1, x > 0), (a, True)), "differentiate each piece"),
            Line(r"\operatorname{step}_{\alpha}(x)", leaky_step(x, a),
                 r"definition of $\operatorname{step}_{\alpha}$, with $\operatorname{step}_{\alpha}(0) = \alpha$"),
        ),
        cases=_BRANCHES, checked=r"on both branches, $x > 0$ and $x < 0$, for any slope $\alpha > 0$")


def _identity() -> Derivation:
    h = sp.Symbol("h", real=True)
    return Derivation(
        "identity", "The derivative of the identity",
        r"The identity activation, $\operatorname{id}(x) = x$, leaves the net input unchanged "
        r"(a linear output layer, as in regression). Its derivative is 1 everywhere.",
        (
            Line(r"\operatorname{id}'(x)", sp.Derivative(sp.Lambda(x, x)(x), x, evaluate=False)),
            Line(r"\lim_{h \to 0} \frac{\operatorname{id}(x + h) - \operatorname{id}(x)}{h}",
                 sp.Limit(sp.Add(x + h, -x, evaluate=False) / h, h, 0), "definition of the derivative"),
            Line(r"\lim_{h \to 0} \frac{(x + h) - x}{h}",
                 sp.Limit(sp.Add(x + h, -x, evaluate=False) / h, h, 0), r"definition of $\operatorname{id}$"),
            Line(r"\lim_{h \to 0} \frac{h}{h}", sp.Limit(sp.Mul(h, 1 / h, evaluate=False), h, 0), "$x - x = 0$"),
            Line(r"1", sp.Integer(1), r"$\frac{h}{h} = 1$ for every $h \ne 0$"),
        ))


def _softmax() -> Derivation:
    d = sp.KroneckerDelta
    return Derivation(
        "softmax", "The Jacobian of softmax",
        r"Softmax turns the net inputs of a layer into probabilities, "
        r"$\mathrm{out}_j = e^{\mathrm{net}_j} / \sum_m e^{\mathrm{net}_m}$. Every output "
        r"depends on every net input, so its derivative is a matrix; $[j = k]$ is 1 when "
        r"$j = k$ and 0 otherwise.",
        (
            Line(r"\frac{\partial\, %s_j}{\partial\, %s_k}" % (OUT, NET),
                 _mat(lambda j, k: sp.Derivative(_soft[j], _net[k]))),
            Line(r"\frac{\partial}{\partial\, %s_k}\, \frac{e^{%s_j}}{%s}" % (NET, NET, SUM_E),
                 _mat(lambda j, k: sp.Derivative(sp.exp(_net[j]) / _S, _net[k])), "definition of softmax"),
            Line(r"\frac{[j = k]\, e^{%s_j} \sum_m e^{%s_m} - e^{%s_j}\, e^{%s_k}}{\left(%s\right)^2}"
                 % (NET, NET, NET, NET, SUM_E),
                 _mat(lambda j, k: (d(j, k) * sp.exp(_net[j]) * _S - sp.exp(_net[j]) * sp.exp(_net[k])) / _S ** 2),
                 "quotient rule"),
            Line(r"[j = k]\, \frac{e^{%s_j}}{%s} - \frac{e^{%s_j}}{%s} \cdot \frac{e^{%s_k}}{%s}"
                 % (NET, SUM_E, NET, SUM_E, NET, SUM_E),
                 _mat(lambda j, k: d(j, k) * _soft[j] - _soft[j] * _soft[k]), "split the fraction"),
            Line(r"[j = k]\, %s_j - %s_j\, %s_k" % (OUT, OUT, OUT),
                 _mat(lambda j, k: d(j, k) * _soft[j] - _soft[j] * _soft[k]), "definition of softmax"),
            Line(r"%s_j\,\bigl([j = k] - %s_k\bigr)" % (OUT, OUT),
                 _mat(lambda j, k: _soft[j] * (d(j, k) - _soft[k])), r"factor out $\mathrm{out}_j$"),
        ),
        checked=f"with {_N} classes, for every pair $j, k$")


def _softmax_cross_entropy() -> Derivation:
    d = sp.KroneckerDelta
    J = LOSSES["cross-entropy"].expr(_soft, list(_y))
    rng = range(_N)
    return Derivation(
        "softmax-cross-entropy", "Cross-entropy after a softmax",
        r"A classifier's output layer is often a softmax, "
        r"$\mathrm{out}_k = e^{\mathrm{net}_k} / \sum_m e^{\mathrm{net}_m}$, trained with the "
        r"cross-entropy $J = -\sum_k y_k \log \mathrm{out}_k$ against one-hot (or any) targets "
        r"$y_k$ that sum to 1. The error signal of output $j$ comes out as simply as it can.",
        (
            Line(r"\frac{\partial J}{\partial\, %s_j}" % NET, _vec(lambda j: sp.Derivative(J, _net[j]))),
            Line(r"\frac{\partial}{\partial\, %s_j} \Bigl(-\sum_k y_k \log %s_k\Bigr)" % (NET, OUT),
                 _vec(lambda j: sp.Derivative(-sp.Add(*[_y[k] * sp.log(_soft[k]) for k in rng]), _net[j])),
                 "definition of $J$"),
            Line(r"-\sum_k y_k\, \frac{\partial}{\partial\, %s_j} \log %s_k" % (NET, OUT),
                 _vec(lambda j: -sp.Add(*[_y[k] * sp.Derivative(sp.log(_soft[k]), _net[j]) for k in rng])),
                 "sum rule"),
            Line(r"-\sum_k y_k\, \frac{\partial}{\partial\, %s_j} \Bigl(%s_k - \log %s\Bigr)" % (NET, NET, SUM_E),
                 _vec(lambda j: -sp.Add(*[_y[k] * sp.Derivative(_net[k] - sp.log(_S), _net[j]) for k in rng])),
                 r"$\log(a/b) = \log a - \log b$"),
            Line(r"-\sum_k y_k \Bigl([j = k] - \frac{e^{%s_j}}{%s}\Bigr)" % (NET, SUM_E),
                 _vec(lambda j: -sp.Add(*[_y[k] * (d(j, k) - sp.exp(_net[j]) / _S) for k in rng])),
                 r"chain rule, $(\log u)' = u'/u$"),
            Line(r"-\sum_k y_k \bigl([j = k] - %s_j\bigr)" % OUT,
                 _vec(lambda j: -sp.Add(*[_y[k] * (d(j, k) - _soft[j]) for k in rng])), "definition of softmax"),
            Line(r"-y_j + %s_j \sum_k y_k" % OUT,
                 _vec(lambda j: -_y[j] + _soft[j] * sp.Add(*_y)), r"only the term $k = j$ has $[j = k] = 1$"),
            Line(r"%s_j - y_j" % OUT, _vec(lambda j: _soft[j] - _y[j]),
                 r"the targets sum to 1", given=((_y[-1], 1 - sp.Add(*_y[:-1])),)),
        ),
        checked=f"with {_N} classes, for every $j$")


def _sigmoid_bce() -> Derivation:
    net, y, o = sp.Symbol("net", real=True), sp.Symbol("y", real=True), sp.Symbol("out", real=True)
    s = sigma(net)
    Jo = LOSSES["bce"].expr([o], [y])
    return Derivation(
        "sigmoid-bce", "Binary cross-entropy after a sigmoid",
        r"A yes/no classifier ends in one sigmoid node, $\mathrm{out} = \sigma(\mathrm{net})$, "
        r"trained with the binary cross-entropy "
        r"$J = -\bigl[y \log \mathrm{out} + (1 - y) \log(1 - \mathrm{out})\bigr]$ for a target "
        r"$y$ between 0 and 1. The sigmoid's derivative cancels the fractions of the logarithms.",
        (
            Line(r"\frac{\partial J}{\partial\, %s}" % NET, sp.Derivative(Jo.subs(o, s), net)),
            Line(r"\frac{\partial J}{\partial\, %s} \cdot \frac{\partial\, %s}{\partial\, %s}" % (OUT, OUT, NET),
                 sp.Subs(sp.Derivative(Jo, o), o, s) * sp.Derivative(s, net),
                 r"chain rule, with $\mathrm{out} = \sigma(\mathrm{net})$"),
            Line(r"\frac{\partial}{\partial\, %s}\Bigl(-y \log %s - (1 - y) \log(1 - %s)\Bigr) \cdot %s\,(1 - %s)"
                 % (OUT, OUT, OUT, OUT, OUT),
                 sp.Subs(sp.Derivative(-y * sp.log(o) - (1 - y) * sp.log(1 - o), o), o, s) * s * (1 - s),
                 r"definition of $J$; $\sigma' = \sigma\,(1 - \sigma)$"),
            Line(r"\left(-\frac{y}{%s} + \frac{1 - y}{1 - %s}\right) %s\,(1 - %s)" % (OUT, OUT, OUT, OUT),
                 (-y / s + (1 - y) / (1 - s)) * s * (1 - s), r"$(\log u)' = 1/u$"),
            Line(r"-y\,(1 - %s) + (1 - y)\, %s" % (OUT, OUT), -y * (1 - s) + (1 - y) * s, "multiply out"),
            Line(r"-y + y\, %s + %s - y\, %s" % (OUT, OUT, OUT),
                 sp.Add(-y, y * s, s, -y * s, evaluate=False), "expand"),
            Line(r"%s - y" % OUT, s - y, r"the $y\,\mathrm{out}$ terms cancel"),
        ))


def _squared(name: str, title: str, what: str, c_tex: str, c, final_tex: str, final) -> Derivation:
    """The derivative of a squared-error loss C sum_k (y_k - out_k)^2 w.r.t. one output."""
    J = LOSSES[name].expr(list(_out), list(_y))
    rng = range(_N)
    c_dot = c_tex + r" \cdot " if c_tex else ""
    return Derivation(
        name, title,
        r"The loss $J = %s\sum_k (y_k - \mathrm{out}_k)^2$ is %s over the $n$ outputs of the "
        r"network. Backpropagation starts from its derivative with respect to one output, "
        r"$\mathrm{out}_j$." % (c_tex, what),
        (
            Line(r"\frac{\partial J}{\partial\, %s_j}" % OUT, _vec(lambda j: sp.Derivative(J, _out[j]))),
            Line(r"\frac{\partial}{\partial\, %s_j}\, %s\sum_k (y_k - %s_k)^2" % (OUT, c_tex, OUT),
                 _vec(lambda j: sp.Derivative(c * sp.Add(*[(_y[k] - _out[k]) ** 2 for k in rng]), _out[j])),
                 "definition of $J$"),
            Line(r"%s\sum_k 2\,(y_k - %s_k)\, \frac{\partial}{\partial\, %s_j}(y_k - %s_k)" % (c_tex, OUT, OUT, OUT),
                 _vec(lambda j: c * sp.Add(*[2 * (_y[k] - _out[k]) * sp.Derivative(_y[k] - _out[k], _out[j])
                                              for k in rng])),
                 "chain rule, term by term"),
            Line(r"%s\sum_k 2\,(y_k - %s_k)\,\bigl(-[j = k]\bigr)" % (c_tex, OUT),
                 _vec(lambda j: c * sp.Add(*[2 * (_y[k] - _out[k]) * -sp.KroneckerDelta(j, k) for k in rng])),
                 r"$\partial\, \mathrm{out}_k / \partial\, \mathrm{out}_j = [j = k]$"),
            Line(r"-%s2\,(y_j - %s_j)" % (c_dot, OUT), _vec(lambda j: -c * 2 * (_y[j] - _out[j])),
                 r"only the term $k = j$ is left"),
            Line(final_tex, _vec(lambda j: final * (_out[j] - _y[j])), "multiply out"),
        ),
        checked=f"with $n = {_N}$ outputs, for every $j$")


def _all() -> dict[str, Derivation]:
    n = sp.Integer(_N)
    ds = [
        _sigmoid(), _tanh(), _relu(), _leaky_relu(), _identity(), _softmax(), _softmax_cross_entropy(),
        _sigmoid_bce(),
        _squared("half-sse", "Half the sum of squared errors", "half the sum of the squared errors",
                 r"\frac{1}{2}", sp.Rational(1, 2),
                 r"%s_j - y_j" % OUT, 1),
        _squared("sse", "The sum of squared errors", "the sum of the squared errors", "", 1, r"2\,(%s_j - y_j)" % OUT, 2),
        _squared("mse", "The mean squared error", "the mean of the squared errors", r"\frac{1}{n}", 1 / n, r"\frac{2}{n}\,(%s_j - y_j)" % OUT, 2 / n),
        _squared("half-mse", "Half the mean squared error", "half the mean of the squared errors",
                 r"\frac{1}{2n}", 1 / (2 * n),
                 r"\frac{1}{n}\,(%s_j - y_j)" % OUT, 1 / n),
    ]
    return {d.name: d for d in ds}


#: Every derivation, by the name the CLI uses.
DERIVATIONS: dict[str, Derivation] = _all()


def get(name) -> Derivation:
    """The derivation called ``name`` (or ``name`` itself when it is a Derivation)."""
    if isinstance(name, Derivation):
        return name
    try:
        return DERIVATIONS[name]
    except (KeyError, TypeError):
        raise KeyError(f"unknown derivation {name!r}; known: {', '.join(DERIVATIONS)}") from None

