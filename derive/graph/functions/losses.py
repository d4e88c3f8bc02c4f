"""Losses of one sample, each one object: its SymPy form, its float form, its local
derivative dJ/dout_j (the identity a textbook writes, proven equal to SymPy's derivative of
the form by the tests) and the sentence and sheet that explain it.

>>> y, out = sp.symbols("y out")
>>> LOSSES["half-sse"].expr([out], [y])
(-out + y)**2/2
>>> LOSSES["half-sse"].derivative([out], [y], 0), LOSSES["bce"].derivative([out], [y], 0)
(out - y, (1 - y)/(1 - out) - y/out)
>>> LOSSES["mse"].floats([0.5, 1.0], [1.0, 1.0])
0.125
"""

from __future__ import annotations

import math

import sympy as sp

from derive.graph.functions.forms import difference, plain, square_sum
from derive.graph.functions.sheet import N_CLASSES, OUT, OUTS, YS, Derivation, Line, vec
from derive.graph.functions.sigmoid import sigma
from derive.graph.functions.softplus import softplus


class Loss:
    """One loss (see the module's docstring)."""

    name: str
    latex: str  # the definition for the walkthrough, n = number of outputs
    text: str  # one phrase for prose
    explanation: str  # one sentence on its derivative

    def expr(self, outs: list, ys: list) -> sp.Expr:
        raise NotImplementedError

    def derivative(self, outs: list, ys: list, j: int) -> sp.Expr:
        """dJ/dout_j."""
        raise NotImplementedError

    def floats(self, outs: list[float], ys: list[float]) -> float:
        raise NotImplementedError

    def fused_delta(self, out: sp.Expr, y: sp.Expr) -> sp.Expr | None:
        """dJ/dnet_j directly, for a loss paired with its output activation; None otherwise."""
        return None

    def logit_forms(self, nets: list, ys: list) -> tuple | None:
        """The loss, each dJ/dout_j and each dJ/dnet_j written in the output layer's net
        inputs, for a loss whose output activation makes that exact: the same numbers
        without forms of ``out`` that cancel when the output saturates (None otherwise)."""
        return None

    def derivations(self) -> list[Derivation]:
        return []

    def __repr__(self) -> str:
        return f"<loss {self.name}>"


class SquaredError(Loss):
    """C(n) sum_j (y_j - out_j)^2 for n outputs."""

    def __init__(self, name, coefficient, latex, text, sheet):
        self.name, self.coefficient, self.latex, self.text, self._sheet = name, coefficient, latex, text, sheet
        self.explanation = "The derivative of a squared error is proportional to the error out_j - y_j."

    def expr(self, outs, ys):
        if plain(*outs, *ys) and not set(outs) & set(ys):
            return square_sum(self.coefficient(len(outs)), [difference(y, o) for o, y in zip(outs, ys, strict=True)])
        diffs = [y - o for o, y in zip(outs, ys, strict=True)]
        if len(outs) > 1:
            sq = sp.Add(*[d**2 for d in diffs], evaluate=False)
        else:
            sq = diffs[0] ** 2
        return self.coefficient(len(outs)) * sq

    def derivative(self, outs, ys, j):
        k = 2 * self.coefficient(len(outs))
        return difference(outs[j], ys[j]) if k == 1 else k * (outs[j] - ys[j])

    def floats(self, outs, ys):
        return float(self.coefficient(len(outs))) * sum((y - o) ** 2 for o, y in zip(outs, ys))

    def derivations(self):
        return [_squared(self, *self._sheet)]


class CrossEntropy(Loss):
    name = "cross-entropy"
    latex = r"J = -\sum_{j} y_j \log \mathrm{out}_j"
    text = "the cross-entropy of the softmax output"
    explanation = "After a softmax the cross-entropy's derivative with respect to a net input is simply out_j - y_j."

    def expr(self, outs, ys):
        return -sp.Add(*[y * sp.log(o) for o, y in zip(outs, ys)])

    def derivative(self, outs, ys, j):
        return -ys[j] / outs[j]

    def floats(self, outs, ys):
        return -sum(y * math.log(o) for o, y in zip(outs, ys) if y)

    def fused_delta(self, out, y):
        return out - y


class BinaryCrossEntropy(Loss):
    name = "bce"
    latex = r"J = -\sum_{j} \left[y_j \log \mathrm{out}_j + (1 - y_j)\log(1 - \mathrm{out}_j)\right]"
    text = "the binary cross-entropy"
    explanation = "After a sigmoid the binary cross-entropy's derivative with respect to a net input is out - y."

    def expr(self, outs, ys):
        return -sp.Add(*[y * sp.log(o) + (1 - y) * sp.log(1 - o) for o, y in zip(outs, ys)])

    def derivative(self, outs, ys, j):
        return -ys[j] / outs[j] + (1 - ys[j]) / (1 - outs[j])

    def floats(self, outs, ys):
        return -sum(
            (y * math.log(o) if y else 0.0) + ((1 - y) * math.log(1 - o) if y != 1 else 0.0) for o, y in zip(outs, ys)
        )

    def logit_forms(self, nets, ys):
        """From the sigmoid's net inputs (logits): -log out = softplus(-net),
        -log(1 - out) = softplus(net), 1/out = 1 + e^-net, 1/(1 - out) = 1 + e^net and
        dJ/dnet = sigma(net) - y = (1 - y) sigma(net) - y sigma(-net). 1 - out, which
        cancels to 0 once out rounds to 1 (net = 1000), never appears, and no logarithm of 0
        is taken; with a target of 0 or 1 each is one term, which cannot cancel.

        >>> net, y = sp.symbols("net y")
        >>> LOSSES["bce"].logit_forms([net], [y])[0]
        y*softplus(-net) + (1 - y)*softplus(net)
        """
        pairs = list(zip(nets, ys, strict=True))
        loss = sp.Add(*[y * softplus(-n) + (1 - y) * softplus(n) for n, y in pairs])
        dloss = [-y * (1 + sp.exp(-n)) + (1 - y) * (1 + sp.exp(n)) for n, y in pairs]
        return loss, dloss, [(1 - y) * sigma(n) - y * sigma(-n) for n, y in pairs]

    def derivations(self):
        return [_sigmoid_bce()]


def _squared(loss: SquaredError, title: str, what: str, c_tex: str, final_tex: str) -> Derivation:
    """The derivative of a squared-error loss C sum_k (y_k - out_k)^2 w.r.t. one output."""
    n = N_CLASSES
    c = loss.coefficient(n)
    J = loss.expr(list(OUTS), list(YS))
    rng = range(n)
    c_dot = c_tex + r" \cdot " if c_tex else ""
    return Derivation(
        loss.name,
        title,
        r"The loss $J = %s\sum_k (y_k - \mathrm{out}_k)^2$ is %s over the $n$ outputs of the "
        r"network. Backpropagation starts from its derivative with respect to one output, "
        r"$\mathrm{out}_j$." % (c_tex, what),
        (
            Line(r"\frac{\partial J}{\partial\, %s_j}" % OUT, vec(lambda j: sp.Derivative(J, OUTS[j]))),
            Line(
                r"\frac{\partial}{\partial\, %s_j}\, %s\sum_k (y_k - %s_k)^2" % (OUT, c_tex, OUT),
                vec(lambda j: sp.Derivative(c * sp.Add(*[(YS[k] - OUTS[k]) ** 2 for k in rng]), OUTS[j])),
                "definition of $J$",
            ),
            Line(
                r"%s\sum_k 2\,(y_k - %s_k)\, \frac{\partial}{\partial\, %s_j}(y_k - %s_k)" % (c_tex, OUT, OUT, OUT),
                vec(
                    lambda j: (
                        c * sp.Add(*[2 * (YS[k] - OUTS[k]) * sp.Derivative(YS[k] - OUTS[k], OUTS[j]) for k in rng])
                    )
                ),
                "chain rule, term by term",
            ),
            Line(
                r"%s\sum_k 2\,(y_k - %s_k)\,\bigl(-[j = k]\bigr)" % (c_tex, OUT),
                vec(lambda j: c * sp.Add(*[2 * (YS[k] - OUTS[k]) * -sp.KroneckerDelta(j, k) for k in rng])),
                r"$\partial\, \mathrm{out}_k / \partial\, \mathrm{out}_j = [j = k]$",
            ),
            Line(
                r"-%s2\,(y_j - %s_j)" % (c_dot, OUT),
                vec(lambda j: -c * 2 * (YS[j] - OUTS[j])),
                r"only the term $k = j$ is left",
            ),
            Line(final_tex, vec(lambda j: 2 * c * (OUTS[j] - YS[j])), "multiply out"),
        ),
        checked=f"with $n = {n}$ outputs, for every $j$",
    )


def _sigmoid_bce() -> Derivation:
    net, y, o = sp.Symbol("net", real=True), sp.Symbol("y", real=True), sp.Symbol("out", real=True)
    s = sigma(net)
    Jo = LOSSES["bce"].expr([o], [y])
    return Derivation(
        "sigmoid-bce",
        "Binary cross-entropy after a sigmoid",
        r"A yes/no classifier ends in one sigmoid node, $\mathrm{out} = \sigma(\mathrm{net})$, "
        r"trained with the binary cross-entropy "
        r"$J = -\bigl[y \log \mathrm{out} + (1 - y) \log(1 - \mathrm{out})\bigr]$ for a target "
        r"$y$ between 0 and 1. The sigmoid's derivative cancels the fractions of the logarithms.",
        (
            Line(r"\frac{\partial J}{\partial\, %s}" % r"\mathrm{net}", sp.Derivative(Jo.subs(o, s), net)),
            Line(
                r"\frac{\partial J}{\partial\, %s} \cdot \frac{\partial\, %s}{\partial\, %s}"
                % (OUT, OUT, r"\mathrm{net}"),
                sp.Subs(sp.Derivative(Jo, o), o, s) * sp.Derivative(s, net),
                r"chain rule, with $\mathrm{out} = \sigma(\mathrm{net})$",
            ),
            Line(
                r"\frac{\partial}{\partial\, %s}\Bigl(-y \log %s - (1 - y) \log(1 - %s)\Bigr) \cdot %s\,(1 - %s)"
                % (OUT, OUT, OUT, OUT, OUT),
                sp.Subs(sp.Derivative(-y * sp.log(o) - (1 - y) * sp.log(1 - o), o), o, s) * s * (1 - s),
                r"definition of $J$; $\sigma' = \sigma\,(1 - \sigma)$",
            ),
            Line(
                r"\left(-\frac{y}{%s} + \frac{1 - y}{1 - %s}\right) %s\,(1 - %s)" % (OUT, OUT, OUT, OUT),
                (-y / s + (1 - y) / (1 - s)) * s * (1 - s),
                r"$(\log u)' = 1/u$",
            ),
            Line(r"-y\,(1 - %s) + (1 - y)\, %s" % (OUT, OUT), -y * (1 - s) + (1 - y) * s, "multiply out"),
            Line(
                r"-y + y\, %s + %s - y\, %s" % (OUT, OUT, OUT), sp.Add(-y, y * s, s, -y * s, evaluate=False), "expand"
            ),
            Line(r"%s - y" % OUT, s - y, r"the $y\,\mathrm{out}$ terms cancel"),
        ),
    )


_SSE = r"J = \sum_{j} (y_j - \mathrm{out}_j)^2"
LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        SquaredError(
            "half-sse",
            lambda n: sp.Rational(1, 2),
            r"J = \tfrac{1}{2}\sum_{j} (y_j - \mathrm{out}_j)^2",
            "half the sum of squared errors",
            (
                "Half the sum of squared errors",
                "half the sum of the squared errors",
                r"\frac{1}{2}",
                r"%s_j - y_j" % OUT,
            ),
        ),
        SquaredError(
            "sse",
            lambda n: sp.Integer(1),
            _SSE,
            "the sum of squared errors",
            ("The sum of squared errors", "the sum of the squared errors", "", r"2\,(%s_j - y_j)" % OUT),
        ),
        SquaredError(
            "mse",
            lambda n: sp.Rational(1, n),
            r"J = \tfrac{1}{n}\sum_{j} (y_j - \mathrm{out}_j)^2",
            "the mean squared error over the n outputs",
            (
                "The mean squared error",
                "the mean of the squared errors",
                r"\frac{1}{n}",
                r"\frac{2}{n}\,(%s_j - y_j)" % OUT,
            ),
        ),
        SquaredError(
            "half-mse",
            lambda n: sp.Rational(1, 2 * n),
            r"J = \tfrac{1}{2n}\sum_{j} (y_j - \mathrm{out}_j)^2",
            "half the mean squared error over the n outputs",
            (
                "Half the mean squared error",
                "half the mean of the squared errors",
                r"\frac{1}{2n}",
                r"\frac{1}{n}\,(%s_j - y_j)" % OUT,
            ),
        ),
        CrossEntropy(),
        BinaryCrossEntropy(),
    )
}
