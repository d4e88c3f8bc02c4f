"""What every activation and every function of our own is made of.

A :class:`NodeFunction` is a SymPy function the project defines (sigma, ReLU, softplus,
...). Like an operation in micrograd it carries its own local rules: its derivative
(``fdiff``), its value as a float (``floats``, and ``float_code`` for generated code) and
its definition in SymPy's elementary functions (``elementary``), which the proofs use so
that they never rely on the derivative rule they are proving. Its ``notation`` is the
name a reader sees; :mod:`derive.present.notation` prints it.

An :class:`Activation` is one object per activation function: its SymPy form
(:meth:`~Activation.apply`), its float form (:meth:`~Activation.floats`), its local
derivative written the way textbooks write it (:meth:`~Activation.derivative`, in terms of
the node's output where the identity allows), the sentence that explains it and the
derivation sheet that proves it.

>>> from derive.graph.functions import ACTIVATIONS
>>> net, out = sp.symbols("net out")
>>> ACTIVATIONS["sigmoid"].derivative(net, out)
out*(1 - out)
>>> ACTIVATIONS["sigmoid"].floats(0.0)
0.5
"""

from __future__ import annotations

from typing import Callable, ClassVar

import sympy as sp

from derive.graph.arith import to_number
from derive.graph.functions.sheet import Derivation

#: The leaky-ReLU slope when a layer does not give one.
DEFAULT_ALPHA = sp.Rational(1, 100)


class NodeFunction(sp.Function):
    """Base of the project's own SymPy functions (see the module's docstring)."""

    #: LaTeX of the function's name; a second argument (a slope) is printed as a subscript.
    notation: ClassVar[str] = ""
    #: A Python expression using only ``math`` (and ``_sigma``), with ``{0}``, ``{1}`` for the arguments.
    float_code: ClassVar[str] = ""

    #: The function in floats (a staticmethod in every subclass).
    floats: ClassVar[Callable[..., float]]

    @classmethod
    def elementary(cls, *args) -> sp.Expr:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    @classmethod
    def value_at(cls, *args) -> sp.Expr:
        """The step value of this function at number arguments: ``to_number(cls(*args))``
        (a subclass may compute the same number faster)."""
        return to_number(cls(*args))


class Activation:
    """One activation function (see the module's docstring). Subclasses set the class
    attributes and define :meth:`apply`, :meth:`floats`, :meth:`derivative` and
    :meth:`derivation`."""

    name: ClassVar[str]
    latex: ClassVar[str]  # the function's name in formulas
    defined: ClassVar[str]  # the definition, in LaTeX
    identity: ClassVar[str]  # the derivative identity, in LaTeX
    explanation: ClassVar[str]  # one sentence on the identity, in words
    #: True when the local derivative is a function of the node's output (sigmoid, tanh).
    uses_out: ClassVar[bool] = False
    #: False for softmax, whose outputs each depend on every net of the layer.
    elementwise: ClassVar[bool] = True

    def apply(self, net: sp.Expr, alpha=DEFAULT_ALPHA) -> sp.Expr:
        """The SymPy form: the output of a node whose net input is ``net``."""
        raise NotImplementedError

    def floats(self, x: float, alpha: float = 0.01) -> float:
        """The float form (stable for inputs of +-1000)."""
        raise NotImplementedError

    def derivative(self, net: sp.Symbol, out: sp.Symbol, alpha=DEFAULT_ALPHA) -> sp.Expr:
        """d out / d net, written in terms of ``out`` where the identity allows."""
        raise NotImplementedError

    def derivation(self) -> Derivation:
        """The sheet that derives :meth:`derivative` line by line."""
        raise NotImplementedError

    def jacobian_product(self, j: int, outs: list, grads: list) -> sp.Expr:
        """delta_j from dJ/dout of every output, for an activation that couples its outputs
        (``elementwise`` False: softmax)."""
        raise NotImplementedError(f"{self.name} is element-wise")

    def layer(self, nets: list[sp.Expr], alpha=DEFAULT_ALPHA) -> list[sp.Expr]:
        """The outputs of a layer whose net inputs are ``nets``."""
        return [self.apply(n, alpha) for n in nets]

    def __repr__(self) -> str:
        return f"<activation {self.name}>"
