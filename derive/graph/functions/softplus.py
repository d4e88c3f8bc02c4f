"""Softplus, log(1 + e^x): a smooth ReLU whose derivative is the sigmoid, softplus' = sigma.

Its derivative is written in terms of the net input (sigma(net)), as textbooks write it;
it could also be written with the output (1 - e^-out), but sigma(net) is the identity a
reader recognises. Adding it touched this module, the oracle's NumPy kernel and tests.

>>> net, out = sp.symbols("net out")
>>> SOFTPLUS.derivative(net, out)
sigma(net)
>>> softplus(net).diff(net)
sigma(net)
>>> SOFTPLUS.floats(1000.0), SOFTPLUS.floats(-1000.0), round(SOFTPLUS.floats(0.0), 6)
(1000.0, 0.0, 0.693147)
"""

from __future__ import annotations

import math

import mpmath
import sympy as sp
from mpmath.libmp import mpf_pos, round_nearest

from derive.graph.functions.base import Activation, NodeFunction
from derive.graph.functions.sheet import Derivation, Line, x
from derive.graph.functions.sigmoid import sigma


def softplus_of(v, exp, log1p):
    """log(1 + e^v) = max(v, 0) + log(1 + e^-|v|) for any number type with its ``exp`` and
    ``log1p``: e^-|v| <= 1 never overflows. The one stable form, for floats here and for the
    answer parser's checked mpmath numbers."""
    return max(v, 0) + log1p(exp(-abs(v)))


def stable_softplus(v: float) -> float:
    """Softplus in floats (see :func:`softplus_of`)."""
    return float(softplus_of(v, math.exp, math.log1p))


class softplus(NodeFunction):
    """log(1 + e^x)."""

    notation = r"\operatorname{softplus}"
    float_code = "(max({0}, 0.0) + math.log1p(math.exp(-abs({0}))))"
    floats = staticmethod(stable_softplus)

    @classmethod
    def elementary(cls, v):
        return sp.log(1 + sp.exp(v))

    def fdiff(self, argindex=1):
        return sigma(self.args[0])

    def _eval_rewrite_as_exp(self, v, **kwargs):
        return self.elementary(v)

    def _eval_evalf(self, prec):
        v = self.args[0]
        if not v.is_Number:
            return self.rewrite(sp.exp)._eval_evalf(prec)
        # log(1 + e^v) with mpmath, 20 guard bits, rounded once: log1p keeps e^v's digits
        # when it is tiny (v = -1000), and mpmath's exponents do not overflow (v = 1000)
        with mpmath.workprec(prec + 20):
            m = mpmath.log1p(mpmath.exp(mpmath.mpf(v._as_mpf_val(prec + 20))))._mpf_
        return sp.Float._new(mpf_pos(m, prec, round_nearest), prec)


class Softplus(Activation):
    name = "softplus"
    latex = r"\operatorname{softplus}"
    defined = r"\operatorname{softplus}(x) = \log\left(1 + e^{x}\right)"
    identity = r"\operatorname{softplus}'(x) = \sigma(x) = \frac{1}{1 + e^{-x}}"
    explanation = (
        "Softplus is a smooth ReLU: its slope is the sigmoid of its input, near 0 for "
        "large negative inputs and near 1 for large positive ones."
    )

    def apply(self, net, alpha=None):
        return softplus(net)

    def floats(self, v, alpha=None):
        return stable_softplus(v)

    def derivative(self, net, out, alpha=None):
        return sigma(net)

    def derivation(self) -> Derivation:
        E, u = sp.exp(x), r"1 + e^{x}"
        return Derivation(
            "softplus",
            "The derivative of softplus",
            r"Softplus, $\operatorname{softplus}(x) = \log(1 + e^{x})$, is a smooth version of ReLU: "
            r"close to 0 for large negative $x$ and close to $x$ for large positive $x$. Its "
            r"derivative is the sigmoid, so its slope moves smoothly from 0 to 1 where ReLU's jumps.",
            (
                Line(r"\operatorname{softplus}'(x)", sp.Derivative(softplus(x), x)),
                Line(
                    r"\frac{d}{dx}\,\log\left(%s\right)" % u, sp.Derivative(sp.log(1 + E), x), r"definition of softplus"
                ),
                Line(
                    r"\frac{1}{%s} \cdot \frac{d}{dx}\left(%s\right)" % (u, u),
                    1 / (1 + E) * sp.Derivative(1 + E, x),
                    r"chain rule, $(\log u)' = u'/u$",
                ),
                Line(r"\frac{e^{x}}{%s}" % u, E / (1 + E), r"$(e^{x})' = e^{x}$"),
                Line(
                    r"\frac{e^{x} \cdot e^{-x}}{\left(%s\right) e^{-x}}" % u,
                    sp.Mul(E, sp.exp(-x), evaluate=False) / sp.Mul(1 + E, sp.exp(-x), evaluate=False),
                    r"multiply above and below by $e^{-x}$",
                ),
                Line(r"\frac{1}{e^{-x} + 1}", 1 / (sp.exp(-x) + 1), r"$e^{x} e^{-x} = 1$"),
                Line(r"\sigma(x)", sigma(x), r"definition of $\sigma$"),
            ),
        )


SOFTPLUS = Softplus()
