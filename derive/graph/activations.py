"""Activation functions: each knows its SymPy form and its derivative identity.

The derivative is obtained with ``sympy.diff`` and then written in terms of the
node's own output, as textbooks do: sigma' = sigma(1 - sigma), tanh' = 1 - tanh^2.
``sigma``, ``relu``, ``step``, ``leaky_relu`` and ``leaky_step`` are SymPy functions
that carry their own derivative rule (``fdiff``), the way micrograd's operations carry
their local gradients.

>>> x, out = sp.symbols("x out")
>>> ACTIVATIONS["sigmoid"].derivative(x, out)
out*(1 - out)
>>> ACTIVATIONS["tanh"].derivative(x, out)
1 - out**2
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp


def _arg(printer, x) -> str:
    """A function's argument in LaTeX without a redundant outer pair of parentheses (a
    negative number substituted into sigma(net) prints as sigma(-0.5), not sigma((-0.5)))."""
    s = printer._print(x)
    if s.startswith(r"\left(") and s.endswith(r"\right)"):
        inner, depth = s[6:-7], 0
        for i in range(len(inner)):
            if inner.startswith(r"\left(", i):
                depth += 1
            elif inner.startswith(r"\right)", i):
                depth -= 1
                if depth < 0:
                    return s
        return inner
    return s


def _slope(printer, a) -> str:
    """A leaky-ReLU slope as the decimal a teacher wrote (0.1, not 1/10)."""
    if a.is_Rational and a.q in (1, 2, 4, 5, 8, 10, 20, 25, 50, 100, 1000):
        return f"{float(a):g}"
    return printer._print(a)


class sigma(sp.Function):
    """The logistic sigmoid 1 / (1 + e^-x)."""

    def fdiff(self, argindex=1):
        s = sigma(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))

    def _eval_evalf(self, prec):
        return self.rewrite(sp.exp)._eval_evalf(prec)

    def _latex(self, printer, exp=None):
        s = r"\sigma\left(%s\right)" % _arg(printer, self.args[0])
        return s if exp is None else r"%s^{%s}" % (s, exp)


class step(sp.Function):
    """The unit step: 1 for x > 0, else 0 (the derivative of ReLU, taken as 0 at 0)."""

    @classmethod
    def eval(cls, x):
        if x.is_number and x.is_comparable:
            return sp.Integer(1) if x > 0 else sp.Integer(0)

    def _latex(self, printer, exp=None):
        return r"\operatorname{step}\left(%s\right)" % _arg(printer, self.args[0])


class relu(sp.Function):
    """max(x, 0)."""

    @classmethod
    def eval(cls, x):
        if x.is_number and x.is_comparable:
            return x if x > 0 else sp.Integer(0)

    def fdiff(self, argindex=1):
        return step(self.args[0])

    def _latex(self, printer, exp=None):
        return r"\operatorname{ReLU}\left(%s\right)" % _arg(printer, self.args[0])


class leaky_step(sp.Function):
    """1 for x > 0, else alpha (the derivative of leaky ReLU)."""

    @classmethod
    def eval(cls, x, alpha):
        if x.is_number and x.is_comparable:
            return sp.Integer(1) if x > 0 else alpha

    def _latex(self, printer, exp=None):
        x, a = _arg(printer, self.args[0]), _slope(printer, self.args[1])
        return r"\operatorname{step}_{%s}\left(%s\right)" % (a, x)


class leaky_relu(sp.Function):
    """x for x > 0, else alpha * x."""

    @classmethod
    def eval(cls, x, alpha):
        if x.is_number and x.is_comparable:
            return x if x > 0 else alpha * x

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return leaky_step(*self.args)

    def _latex(self, printer, exp=None):
        x, a = _arg(printer, self.args[0]), _slope(printer, self.args[1])
        return r"\operatorname{LReLU}_{%s}\left(%s\right)" % (a, x)


@dataclass(frozen=True)
class Activation:
    name: str
    latex: str            # the function's name in formulas
    identity: str         # the derivative identity, in LaTeX, for the walkthrough text
    defined: str          # the definition, in LaTeX

    def apply(self, net: sp.Expr, alpha=sp.Rational(1, 100)) -> sp.Expr:
        return {
            "sigmoid": lambda: sigma(net),
            "tanh": lambda: sp.tanh(net),
            "relu": lambda: relu(net),
            "leaky-relu": lambda: leaky_relu(net, alpha),
            "identity": lambda: net,
        }[self.name]()

    def derivative(self, net: sp.Symbol, out: sp.Symbol, alpha=sp.Rational(1, 100)) -> sp.Expr:
        """d out / d net, derived by SymPy and written in terms of ``out`` where the identity allows."""
        f = self.apply(net, alpha)
        return sp.diff(f, net).xreplace({f: out}) if f != net else sp.Integer(1)

    @property
    def uses_out(self) -> bool:
        """True when the derivative is a function of the node's output (sigmoid, tanh)."""
        return self.name in ("sigmoid", "tanh")


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("sigmoid", r"\sigma", r"\sigma'(x) = \sigma(x)\,(1 - \sigma(x))", r"\sigma(x) = \frac{1}{1 + e^{-x}}"),
        Activation("tanh", r"\tanh", r"\tanh'(x) = 1 - \tanh^2(x)", r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}"),
        Activation("relu", r"\operatorname{ReLU}", r"\operatorname{ReLU}'(x) = \operatorname{step}(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}", r"\operatorname{ReLU}(x) = \max(x, 0)"),
        Activation("leaky-relu", r"\operatorname{LReLU}", r"\operatorname{LReLU}_{\alpha}'(x) = \begin{cases} 1 & x > 0 \\ \alpha & x \le 0 \end{cases}", r"\operatorname{LReLU}_{\alpha}(x) = \begin{cases} x & x > 0 \\ \alpha x & x \le 0 \end{cases}"),
        Activation("identity", r"\operatorname{id}", r"\operatorname{id}'(x) = 1", r"\operatorname{id}(x) = x"),
        Activation("softmax", r"\operatorname{softmax}", r"\frac{\partial\, \mathrm{out}_j}{\partial\, \mathrm{net}_k} = \mathrm{out}_j\,([j = k] - \mathrm{out}_k)", r"\operatorname{softmax}(\mathrm{net})_j = \frac{e^{\mathrm{net}_j}}{\sum_k e^{\mathrm{net}_k}}"),
    )
}
