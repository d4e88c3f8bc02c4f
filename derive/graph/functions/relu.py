"""ReLU and leaky ReLU, with their derivatives ``step`` and ``step_alpha``.

Both have a corner at 0, where the derivative is a convention: like most code we take
ReLU'(0) = 0 and LReLU'(0) = alpha (the left-hand slopes).

>>> net, out, a = sp.symbols("net out alpha")
>>> RELU.derivative(net, out), LEAKY_RELU.derivative(net, out, a)
(step(net), leaky_step(net, alpha))
>>> relu(sp.Rational(-1, 2)), leaky_relu(sp.Rational(-1, 2), sp.Rational(1, 10))
(0, -1/20)
"""

from __future__ import annotations

import sympy as sp

from derive.graph.functions.base import DEFAULT_ALPHA, Activation, NodeFunction
from derive.graph.functions.sheet import ALPHA, BRANCHES, Derivation, Line, x


def _number(v) -> bool:
    return v.is_number and v.is_comparable


class step(NodeFunction):
    """The unit step: 1 for x > 0, else 0 (the derivative of ReLU, taken as 0 at 0)."""

    notation = r"\operatorname{step}"
    float_code = "(1.0 if {0} > 0 else 0.0)"

    @staticmethod
    def floats(v):
        return 1.0 if v > 0 else 0.0

    @classmethod
    def elementary(cls, v):
        return sp.Piecewise((1, v > 0), (0, True))

    @classmethod
    def eval(cls, v):
        if _number(v):
            return sp.Integer(1) if v > 0 else sp.Integer(0)


class relu(NodeFunction):
    """max(x, 0)."""

    notation = r"\operatorname{ReLU}"
    float_code = "max({0}, 0.0)"

    @staticmethod
    def floats(v):
        return max(v, 0.0)

    @classmethod
    def elementary(cls, v):
        return sp.Piecewise((v, v > 0), (0, True))

    @classmethod
    def eval(cls, v):
        if _number(v):
            return v if v > 0 else sp.Integer(0)

    def fdiff(self, argindex=1):
        return step(self.args[0])


class leaky_step(NodeFunction):
    """1 for x > 0, else alpha (the derivative of leaky ReLU)."""

    notation = r"\operatorname{step}"
    float_code = "(1.0 if ({0}) > 0 else float({1}))"

    @staticmethod
    def floats(v, alpha):
        return 1.0 if v > 0 else float(alpha)

    @classmethod
    def elementary(cls, v, alpha):
        return sp.Piecewise((1, v > 0), (alpha, True))

    @classmethod
    def eval(cls, v, alpha):
        if _number(v):
            return sp.Integer(1) if v > 0 else alpha


class leaky_relu(NodeFunction):
    """x for x > 0, else alpha * x."""

    notation = r"\operatorname{LReLU}"
    float_code = "(({0}) if ({0}) > 0 else ({1}) * ({0}))"

    @staticmethod
    def floats(v, alpha):
        return v if v > 0 else alpha * v

    @classmethod
    def elementary(cls, v, alpha):
        return sp.Piecewise((v, v > 0), (alpha * v, True))

    @classmethod
    def eval(cls, v, alpha):
        if _number(v):
            return v if v > 0 else alpha * v

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return leaky_step(*self.args)


class ReLU(Activation):
    name = "relu"
    latex = r"\operatorname{ReLU}"
    defined = r"\operatorname{ReLU}(x) = \max(x, 0)"
    identity = (
        r"\operatorname{ReLU}'(x) = \operatorname{step}(x) = "
        r"\begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}"
    )
    explanation = (
        "ReLU passes its input where it is positive, so its slope is 1 there and 0 "
        "elsewhere (0 at the corner, by convention)."
    )

    def apply(self, net, alpha=None):
        return relu(net)

    def floats(self, v, alpha=None):
        return max(v, 0.0)

    def derivative(self, net, out, alpha=None):
        return step(net)

    def derivation(self) -> Derivation:
        return Derivation(
            "relu",
            "The derivative of ReLU",
            r"The rectified linear unit passes positive numbers and zeroes the rest: "
            r"$\operatorname{ReLU}(x) = \max(x, 0)$. It has no derivative at $x = 0$, where the graph "
            r"has a corner; like most code, we take the derivative there to be 0.",
            (
                Line(r"\operatorname{ReLU}'(x)", sp.Derivative(relu(x), x)),
                Line(r"\frac{d}{dx}\max(x, 0)", sp.Derivative(sp.Max(x, 0), x), r"definition of ReLU"),
                Line(
                    r"\frac{d}{dx}\begin{cases} x & x > 0 \\ 0 & x \le 0 \end{cases}",
                    sp.Derivative(sp.Piecewise((x, x > 0), (0, True)), x),
                    "the larger of $x$ and 0",
                ),
                Line(
                    r"\begin{cases} 1 & x > 0 \\ 0 & x < 0 \end{cases}",
                    sp.Piecewise((1, x > 0), (0, True)),
                    "differentiate each piece",
                ),
                Line(r"\operatorname{step}(x)", step(x), r"definition of step, with $\operatorname{step}(0) = 0$"),
            ),
            cases=BRANCHES,
            checked="on both branches, $x > 0$ and $x < 0$",
        )


class LeakyReLU(Activation):
    name = "leaky-relu"
    latex = r"\operatorname{LReLU}"
    defined = r"\operatorname{LReLU}_{\alpha}(x) = \begin{cases} x & x > 0 \\ \alpha x & x \le 0 \end{cases}"
    identity = r"\operatorname{LReLU}_{\alpha}'(x) = \begin{cases} 1 & x > 0 \\ \alpha & x \le 0 \end{cases}"
    explanation = (
        "Leaky ReLU keeps a small slope alpha for inputs at or below 0, so its slope is 1 "
        "for positive inputs and alpha otherwise."
    )

    def apply(self, net, alpha=DEFAULT_ALPHA):
        return leaky_relu(net, alpha)

    def floats(self, v, alpha=0.01):
        return v if v > 0 else alpha * v

    def derivative(self, net, out, alpha=DEFAULT_ALPHA):
        return leaky_step(net, alpha)

    def derivation(self) -> Derivation:
        a = ALPHA
        return Derivation(
            "leaky-relu",
            "The derivative of leaky ReLU",
            r"Leaky ReLU keeps a small slope $\alpha$ (often $0.01$) for negative inputs, so that a "
            r"node whose net input is negative still passes some gradient back. Like ReLU it has a "
            r"corner at $x = 0$; we take the derivative there to be $\alpha$.",
            (
                Line(r"\operatorname{LReLU}_{\alpha}'(x)", sp.Derivative(leaky_relu(x, a), x)),
                Line(
                    r"\frac{d}{dx}\begin{cases} x & x > 0 \\ \alpha x & x \le 0 \end{cases}",
                    sp.Derivative(sp.Piecewise((x, x > 0), (a * x, True)), x),
                    "definition of leaky ReLU",
                ),
                Line(
                    r"\begin{cases} 1 & x > 0 \\ \alpha & x < 0 \end{cases}",
                    sp.Piecewise((1, x > 0), (a, True)),
                    "differentiate each piece",
                ),
                Line(
                    r"\operatorname{step}_{\alpha}(x)",
                    leaky_step(x, a),
                    r"definition of $\operatorname{step}_{\alpha}$, with $\operatorname{step}_{\alpha}(0) = \alpha$",
                ),
            ),
            cases=BRANCHES,
            checked=r"on both branches, $x > 0$ and $x < 0$, for any slope $\alpha > 0$",
        )


RELU = ReLU()
LEAKY_RELU = LeakyReLU()
