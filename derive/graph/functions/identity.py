"""The identity activation, id(x) = x (a linear layer, as in regression), with id' = 1.

>>> IDENTITY.apply(sp.Symbol("net")), IDENTITY.derivative(*sp.symbols("net out"))
(net, 1)
"""

from __future__ import annotations

import sympy as sp

from derive.graph.functions.base import Activation
from derive.graph.functions.sheet import Derivation, Line, x


class Identity(Activation):
    name = "identity"
    latex = r"\operatorname{id}"
    defined = r"\operatorname{id}(x) = x"
    identity = r"\operatorname{id}'(x) = 1"
    explanation = "The identity passes its input on unchanged, so its slope is 1 everywhere."

    def apply(self, net, alpha=None):
        return net

    def floats(self, v, alpha=None):
        return v

    def derivative(self, net, out, alpha=None):
        return sp.Integer(1)

    def derivation(self) -> Derivation:
        h = sp.Symbol("h", real=True)
        return Derivation(
            "identity",
            "The derivative of the identity",
            r"The identity activation, $\operatorname{id}(x) = x$, leaves the net input unchanged "
            r"(a linear output layer, as in regression). Its derivative is 1 everywhere.",
            (
                Line(r"\operatorname{id}'(x)", sp.Derivative(sp.Lambda(x, x)(x), x, evaluate=False)),
                Line(
                    r"\lim_{h \to 0} \frac{\operatorname{id}(x + h) - \operatorname{id}(x)}{h}",
                    sp.Limit(sp.Add(x + h, -x, evaluate=False) / h, h, 0),
                    "definition of the derivative",
                ),
                Line(
                    r"\lim_{h \to 0} \frac{(x + h) - x}{h}",
                    sp.Limit(sp.Add(x + h, -x, evaluate=False) / h, h, 0),
                    r"definition of $\operatorname{id}$",
                ),
                Line(r"\lim_{h \to 0} \frac{h}{h}", sp.Limit(sp.Mul(h, 1 / h, evaluate=False), h, 0), "$x - x = 0$"),
                Line(r"1", sp.Integer(1), r"$\frac{h}{h} = 1$ for every $h \ne 0$"),
            ),
        )


IDENTITY = Identity()
