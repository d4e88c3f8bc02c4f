"""The hyperbolic tangent and its identity tanh' = 1 - tanh^2 (SymPy's own ``tanh``).

>>> TANH.derivative(*sp.symbols("net out"))
1 - out**2
>>> TANH.floats(1000.0)
1.0
"""

from __future__ import annotations

import math

import sympy as sp

from derive.graph.functions.base import Activation
from derive.graph.functions.sheet import Derivation, Line, x


class Tanh(Activation):
    name = "tanh"
    latex = r"\tanh"
    defined = r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}"
    identity = r"\tanh'(x) = 1 - \tanh^2(x)"
    explanation = "The slope of tanh is one minus the square of its output."
    uses_out = True

    def apply(self, net, alpha=None):
        return sp.tanh(net)

    def floats(self, v, alpha=None):
        return math.tanh(v)

    def derivative(self, net, out, alpha=None):
        return 1 - out**2

    def derivation(self) -> Derivation:
        P, Q = sp.exp(x) + sp.exp(-x), sp.exp(x) - sp.exp(-x)
        p, q = r"e^{x} + e^{-x}", r"e^{x} - e^{-x}"
        return Derivation(
            "tanh",
            "The derivative of tanh",
            r"The hyperbolic tangent squashes any number into $(-1, 1)$: "
            r"$\tanh(x) = (e^{x} - e^{-x})/(e^{x} + e^{-x})$. Like the sigmoid, its derivative "
            r"is a function of its own value.",
            (
                Line(r"\tanh'(x)", sp.Derivative(sp.tanh(x), x)),
                Line(r"\frac{d}{dx}\,\frac{%s}{%s}" % (q, p), sp.Derivative(Q / P, x), r"definition of $\tanh$"),
                Line(
                    r"\frac{(%s)\,\frac{d}{dx}(%s) - (%s)\,\frac{d}{dx}(%s)}{(%s)^2}" % (p, q, q, p, p),
                    (P * sp.Derivative(Q, x) - Q * sp.Derivative(P, x)) / P**2,
                    "quotient rule",
                ),
                Line(
                    r"\frac{(%s)(%s) - (%s)(%s)}{(%s)^2}" % (p, p, q, q, p),
                    (sp.Mul(P, P, evaluate=False) - sp.Mul(Q, Q, evaluate=False)) / P**2,
                    r"$(e^{\pm x})' = \pm e^{\pm x}$",
                ),
                Line(
                    r"\frac{(%s)^2}{(%s)^2} - \frac{(%s)^2}{(%s)^2}" % (p, p, q, p),
                    sp.Mul(P**2, 1 / P**2, evaluate=False) - Q**2 / P**2,
                    "split the fraction",
                ),
                Line(r"1 - \left(\frac{%s}{%s}\right)^2" % (q, p), 1 - (Q / P) ** 2, "cancel; a square of a quotient"),
                Line(r"1 - \tanh^2(x)", 1 - sp.tanh(x) ** 2, r"definition of $\tanh$"),
            ),
        )


TANH = Tanh()
