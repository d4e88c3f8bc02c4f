"""The logistic sigmoid, sigma(x) = 1 / (1 + e^-x), and its identity sigma' = sigma (1 - sigma).

>>> SIGMOID.derivative(*sp.symbols("net out"))
out*(1 - out)
>>> sigma(sp.Symbol("x")).diff()
(1 - sigma(x))*sigma(x)
>>> round(SIGMOID.floats(-1000.0), 3), round(SIGMOID.floats(0.376), 4)
(0.0, 0.5929)
"""
from __future__ import annotations

import math

import sympy as sp

from derive.graph.functions.base import Activation, NodeFunction
from derive.graph.functions.sheet import Derivation, Line, x


def stable_sigma(v: float) -> float:
    """1/(1 + e^-v) in floats without overflow: e^-v is only formed for v >= 0."""
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


class sigma(NodeFunction):
    """The logistic sigmoid 1 / (1 + e^-x)."""

    notation = r"\sigma"
    float_code = "_sigma({0})"
    floats = staticmethod(stable_sigma)

    @classmethod
    def elementary(cls, v):
        return 1 / (1 + sp.exp(-v))

    def fdiff(self, argindex=1):
        s = sigma(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, v, **kwargs):
        return self.elementary(v)

    def _eval_evalf(self, prec):
        return self.rewrite(sp.exp)._eval_evalf(prec)


class Sigmoid(Activation):
    name = "sigmoid"
    latex = r"\sigma"
    defined = r"\sigma(x) = \frac{1}{1 + e^{-x}}"
    identity = r"\sigma'(x) = \sigma(x)\,(1 - \sigma(x))"
    explanation = ("The slope of the sigmoid is its output times one minus its output, so a node "
                   "needs only the output it already computed.")
    uses_out = True

    def apply(self, net, alpha=None):
        return sigma(net)

    def floats(self, v, alpha=None):
        return stable_sigma(v)

    def derivative(self, net, out, alpha=None):
        return out * (1 - out)

    def derivation(self) -> Derivation:
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
                Line(r"\frac{1}{%s} \cdot \frac{e^{-x}}{%s}" % (u, u), 1 / (1 + E) * (E / (1 + E)),
                     "split the fraction"),
                Line(r"\frac{1}{%s} \cdot \frac{(%s) - 1}{%s}" % (u, u, u),
                     1 / (1 + E) * (((1 + E) - 1) / (1 + E)), "add and subtract 1"),
                Line(r"\frac{1}{%s} \left(1 - \frac{1}{%s}\right)" % (u, u),
                     1 / (1 + E) * (1 - 1 / (1 + E)), "split the fraction"),
                Line(r"\sigma(x)\,\bigl(1 - \sigma(x)\bigr)", sigma(x) * (1 - sigma(x)), r"definition of $\sigma$"),
            ))


SIGMOID = Sigmoid()
