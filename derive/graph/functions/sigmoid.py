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
from mpmath.libmp import fone, from_rational, mpf_add, mpf_div, mpf_exp, mpf_neg, mpf_pos, round_down, round_nearest
from sympy.core.evalf import dps_to_prec, prec_to_dps

from derive.graph.arith import PRECISION, to_number, wide_gap
from derive.graph.functions.base import Activation, NodeFunction
from derive.graph.functions.forms import one_minus, times
from derive.graph.functions.sheet import Derivation, Line, x


def _sigma_mpf(v, prec: int):
    """The mpmath number that SymPy's evaluation of 1/(1 + exp(-v)) at ``prec`` bits gives,
    for a non-integer number v (None otherwise), by the same mpmath operations at the same
    precisions without SymPy's expressions in between (25 times faster; the tests compare the
    two). A rational v: exp at ``prec`` (its argument at prec + 5 bits), then 1 + e and its
    reciprocal at ``prec``. A float v is first exponentiated at construction, at its own
    precision p (exp at p + 4 bits rounded down, then to p), and the rest is done at p."""
    if isinstance(v, sp.Float):
        p = dps_to_prec(prec_to_dps(v._prec))
        e = mpf_pos(mpf_exp(mpf_neg(v._mpf_), p + 4, round_down), p, round_nearest)
        return mpf_div(fone, mpf_add(e, fone, p, round_nearest), p, round_nearest)
    if isinstance(v, sp.Rational) and v.q != 1:  # (exp of an integer may become E**n)
        e = mpf_exp(from_rational(-v.p, v.q, prec + 5, round_nearest), prec, round_nearest)
        return mpf_div(fone, mpf_add(fone, e, prec, round_nearest), prec, round_nearest)
    return None


def stable_sigmoid(v, exp):
    """1/(1 + e^-v) for any number type with its ``exp``, without overflow: e^-v is only
    formed for v >= 0. The one stable form, for floats here and for the answer parser's
    checked mpmath numbers."""
    if v >= 0:
        return 1 / (1 + exp(-v))
    e = exp(v)
    return e / (1 + e)


def stable_sigma(v: float) -> float:
    """The sigmoid in floats (see :func:`stable_sigmoid`)."""
    return float(stable_sigmoid(v, math.exp))


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

    @classmethod
    def value_at(cls, v):
        if isinstance(v, sp.Float) and v._prec == dps_to_prec(PRECISION):
            m = _sigma_mpf(v, v._prec)  # evaluated as sigma(v) is built, at v's precision
        else:
            m = _sigma_mpf(v, dps_to_prec(PRECISION) + 4)  # as evalf(PRECISION) evaluates it
        if m is None:
            return to_number(cls(v))
        f = sp.Float._new(mpf_pos(m, dps_to_prec(PRECISION), round_nearest), dps_to_prec(PRECISION))
        # an output near 1 is carried with more digits (to_number), a float argument is not
        return f if isinstance(v, sp.Float) or wide_gap(f) else to_number(cls(v))

    def _eval_rewrite_as_exp(self, v, **kwargs):
        return self.elementary(v)

    def _eval_evalf(self, prec):
        m = _sigma_mpf(self.args[0], prec)
        if m is not None:
            return sp.Float._new(mpf_pos(m, prec, round_nearest), prec)
        return self.rewrite(sp.exp)._eval_evalf(prec)


class Sigmoid(Activation):
    name = "sigmoid"
    latex = r"\sigma"
    defined = r"\sigma(x) = \frac{1}{1 + e^{-x}}"
    identity = r"\sigma'(x) = \sigma(x)\,(1 - \sigma(x))"
    explanation = (
        "The slope of the sigmoid is its output times one minus its output, so a node "
        "needs only the output it already computed."
    )
    uses_out = True

    def apply(self, net, alpha=None):
        return sigma(net)

    def floats(self, v, alpha=None):
        return stable_sigma(v)

    def derivative(self, net, out, alpha=None):
        return times(out, one_minus(out))

    def derivation(self) -> Derivation:
        E = sp.exp(-x)
        u = r"1 + e^{-x}"
        return Derivation(
            "sigmoid",
            "The derivative of the sigmoid",
            r"The sigmoid squashes any number into $(0, 1)$: $\sigma(x) = 1/(1 + e^{-x})$. "
            r"Its derivative can be written in terms of $\sigma$ itself, which is why backpropagation "
            r"only needs the value $\mathrm{out} = \sigma(\mathrm{net})$ a node already computed.",
            (
                Line(r"\sigma'(x)", sp.Derivative(sigma(x), x)),
                Line(r"\frac{d}{dx}\,\frac{1}{%s}" % u, sp.Derivative(1 / (1 + E), x), r"definition of $\sigma$"),
                Line(
                    r"-\frac{1}{(%s)^2} \cdot \frac{d}{dx}\left(%s\right)" % (u, u),
                    -1 / (1 + E) ** 2 * sp.Derivative(1 + E, x),
                    r"chain rule, $(1/u)' = -1/u^2$",
                ),
                Line(
                    r"-\frac{1}{(%s)^2} \cdot \left(-e^{-x}\right)" % u,
                    sp.Mul(-1 / (1 + E) ** 2, -E, evaluate=False),
                    r"$(e^{-x})' = -e^{-x}$",
                ),
                Line(r"\frac{e^{-x}}{(%s)^2}" % u, E / (1 + E) ** 2, "the signs cancel"),
                Line(
                    r"\frac{1}{%s} \cdot \frac{e^{-x}}{%s}" % (u, u), 1 / (1 + E) * (E / (1 + E)), "split the fraction"
                ),
                Line(
                    r"\frac{1}{%s} \cdot \frac{(%s) - 1}{%s}" % (u, u, u),
                    1 / (1 + E) * (((1 + E) - 1) / (1 + E)),
                    "add and subtract 1",
                ),
                Line(
                    r"\frac{1}{%s} \left(1 - \frac{1}{%s}\right)" % (u, u),
                    1 / (1 + E) * (1 - 1 / (1 + E)),
                    "split the fraction",
                ),
                Line(r"\sigma(x)\,\bigl(1 - \sigma(x)\bigr)", sigma(x) * (1 - sigma(x)), r"definition of $\sigma$"),
            ),
        )


SIGMOID = Sigmoid()
