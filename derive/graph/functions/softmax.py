"""Softmax, the output layer of a classifier: out_j = e^(net_j) / sum_m e^(net_m).

Every output depends on every net of the layer, so its derivative is a Jacobian,
d out_j / d net_k = out_j ([j = k] - out_k), and the delta of an output is a
Jacobian-vector product (:meth:`Softmax.jacobian_product`) unless the loss is the
cross-entropy, whose pairing with softmax collapses to out_j - y_j (see
:func:`softmax_cross_entropy`).

>>> nets = sp.symbols("n1 n2")
>>> SOFTMAX.layer(nets)[0]
exp(n1)/(exp(n1) + exp(n2))
"""

from __future__ import annotations

import sympy as sp

from derive.graph.functions.base import Activation
from derive.graph.functions.losses import LOSSES
from derive.graph.functions.sheet import EXP_SUM, NET, NETS, OUT, SUM_E, YS, Derivation, Line, mat, vec
from derive.graph.functions.sheet import SOFTMAX as SOFT


class Softmax(Activation):
    name = "softmax"
    latex = r"\operatorname{softmax}"
    defined = r"\operatorname{softmax}(\mathrm{net})_j = \frac{e^{\mathrm{net}_j}}{\sum_k e^{\mathrm{net}_k}}"
    identity = (
        r"\frac{\partial\, \mathrm{out}_j}{\partial\, \mathrm{net}_k} = "
        r"\mathrm{out}_j\,([j = k] - \mathrm{out}_k)"
    )
    explanation = (
        "Each softmax output depends on every net input of its layer: raising net_k raises "
        "out_k and lowers the others, in proportion to the outputs themselves."
    )
    elementwise = False

    def layer(self, nets, alpha=None):
        exps = [sp.exp(n) for n in nets]
        denom = sp.Add(*exps, evaluate=False)
        return [e / denom for e in exps]

    def apply(self, net, alpha=None):
        raise TypeError("softmax is a function of a whole layer: use layer()")

    def floats(self, v, alpha=None):
        raise TypeError("softmax is a function of a whole layer")

    def derivative(self, net, out, alpha=None):
        raise TypeError("softmax has a Jacobian, not one derivative per node: use jacobian_product()")

    def jacobian_product(self, j: int, outs: list, grads: list) -> sp.Expr:
        """delta_j = sum_k dJ/dout_k * dout_k/dnet_j = out_j (g_j - sum_k g_k out_k)."""
        total = sp.Add(*[g * o for g, o in zip(grads, outs)], evaluate=False)
        return outs[j] * (grads[j] - total)

    def derivation(self) -> Derivation:
        d = sp.KroneckerDelta
        return Derivation(
            "softmax",
            "The Jacobian of softmax",
            r"Softmax turns the net inputs of a layer into probabilities, "
            r"$\mathrm{out}_j = e^{\mathrm{net}_j} / \sum_m e^{\mathrm{net}_m}$. Every output "
            r"depends on every net input, so its derivative is a matrix; $[j = k]$ is 1 when "
            r"$j = k$ and 0 otherwise.",
            (
                Line(
                    r"\frac{\partial\, %s_j}{\partial\, %s_k}" % (OUT, NET),
                    mat(lambda j, k: sp.Derivative(SOFT[j], NETS[k])),
                ),
                Line(
                    r"\frac{\partial}{\partial\, %s_k}\, \frac{e^{%s_j}}{%s}" % (NET, NET, SUM_E),
                    mat(lambda j, k: sp.Derivative(sp.exp(NETS[j]) / EXP_SUM, NETS[k])),
                    "definition of softmax",
                ),
                Line(
                    r"\frac{[j = k]\, e^{%s_j} \sum_m e^{%s_m} - e^{%s_j}\, e^{%s_k}}{\left(%s\right)^2}"
                    % (NET, NET, NET, NET, SUM_E),
                    mat(
                        lambda j, k: (
                            (d(j, k) * sp.exp(NETS[j]) * EXP_SUM - sp.exp(NETS[j]) * sp.exp(NETS[k])) / EXP_SUM**2
                        )
                    ),
                    "quotient rule",
                ),
                Line(
                    r"[j = k]\, \frac{e^{%s_j}}{%s} - \frac{e^{%s_j}}{%s} \cdot \frac{e^{%s_k}}{%s}"
                    % (NET, SUM_E, NET, SUM_E, NET, SUM_E),
                    mat(lambda j, k: d(j, k) * SOFT[j] - SOFT[j] * SOFT[k]),
                    "split the fraction",
                ),
                Line(
                    r"[j = k]\, %s_j - %s_j\, %s_k" % (OUT, OUT, OUT),
                    mat(lambda j, k: d(j, k) * SOFT[j] - SOFT[j] * SOFT[k]),
                    "definition of softmax",
                ),
                Line(
                    r"%s_j\,\bigl([j = k] - %s_k\bigr)" % (OUT, OUT),
                    mat(lambda j, k: SOFT[j] * (d(j, k) - SOFT[k])),
                    r"factor out $\mathrm{out}_j$",
                ),
            ),
            checked=f"with {len(NETS)} classes, for every pair $j, k$",
        )


def softmax_cross_entropy() -> Derivation:
    """Why a softmax output trained with the cross-entropy has delta_j = out_j - y_j."""
    d = sp.KroneckerDelta
    J = LOSSES["cross-entropy"].expr(SOFT, list(YS))
    rng = range(len(NETS))
    return Derivation(
        "softmax-cross-entropy",
        "Cross-entropy after a softmax",
        r"A classifier's output layer is often a softmax, "
        r"$\mathrm{out}_k = e^{\mathrm{net}_k} / \sum_m e^{\mathrm{net}_m}$, trained with the "
        r"cross-entropy $J = -\sum_k y_k \log \mathrm{out}_k$ against one-hot (or any) targets "
        r"$y_k$ that sum to 1. The error signal of output $j$ comes out as simply as it can.",
        (
            Line(r"\frac{\partial J}{\partial\, %s_j}" % NET, vec(lambda j: sp.Derivative(J, NETS[j]))),
            Line(
                r"\frac{\partial}{\partial\, %s_j} \Bigl(-\sum_k y_k \log %s_k\Bigr)" % (NET, OUT),
                vec(lambda j: sp.Derivative(-sp.Add(*[YS[k] * sp.log(SOFT[k]) for k in rng]), NETS[j])),
                "definition of $J$",
            ),
            Line(
                r"-\sum_k y_k\, \frac{\partial}{\partial\, %s_j} \log %s_k" % (NET, OUT),
                vec(lambda j: -sp.Add(*[YS[k] * sp.Derivative(sp.log(SOFT[k]), NETS[j]) for k in rng])),
                "sum rule",
            ),
            Line(
                r"-\sum_k y_k\, \frac{\partial}{\partial\, %s_j} \Bigl(%s_k - \log %s\Bigr)" % (NET, NET, SUM_E),
                vec(lambda j: -sp.Add(*[YS[k] * sp.Derivative(NETS[k] - sp.log(EXP_SUM), NETS[j]) for k in rng])),
                r"$\log(a/b) = \log a - \log b$",
            ),
            Line(
                r"-\sum_k y_k \Bigl([j = k] - \frac{e^{%s_j}}{%s}\Bigr)" % (NET, SUM_E),
                vec(lambda j: -sp.Add(*[YS[k] * (d(j, k) - sp.exp(NETS[j]) / EXP_SUM) for k in rng])),
                r"chain rule, $(\log u)' = u'/u$",
            ),
            Line(
                r"-\sum_k y_k \bigl([j = k] - %s_j\bigr)" % OUT,
                vec(lambda j: -sp.Add(*[YS[k] * (d(j, k) - SOFT[j]) for k in rng])),
                "definition of softmax",
            ),
            Line(
                r"-y_j + %s_j \sum_k y_k" % OUT,
                vec(lambda j: -YS[j] + SOFT[j] * sp.Add(*YS)),
                r"only the term $k = j$ has $[j = k] = 1$",
            ),
            Line(
                r"%s_j - y_j" % OUT,
                vec(lambda j: SOFT[j] - YS[j]),
                r"the targets sum to 1",
                given=((YS[-1], 1 - sp.Add(*YS[:-1])),),
            ),
        ),
        checked=f"with {len(NETS)} classes, for every $j$",
    )


SOFTMAX = Softmax()
