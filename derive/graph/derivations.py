"""Derivative identities as sheets, by the name the CLI uses.

Each activation and loss declares its own sheet beside its definition (see
:mod:`derive.graph.functions`); this module collects them. A sheet is data
(:class:`Derivation`, :class:`Line`): :mod:`derive.verify.proofs` proves every line equal
to the one before it and :mod:`derive.present.derivation` renders it. Printed derivations
go wrong easily (the essay in the seeds prints :math:`\\sigma'(x) = e^{x}/(1 + e^{x})`,
which is :math:`\\sigma(x)` itself).

>>> d = DERIVATIONS["sigmoid"]
>>> d.lines[-1].expr == sigma(x) * (1 - sigma(x))
True
>>> get("swish")  # doctest: +ELLIPSIS
Traceback (most recent call last):
  ...
KeyError: "unknown derivation 'swish'; known: sigmoid, tanh, relu, leaky-relu, softplus, identity, softmax, ..."
"""

from __future__ import annotations

from derive.graph.functions import derivations, sigma
from derive.graph.functions.sheet import N_CLASSES, Derivation, Line, x
from derive.graph.optimizers import adam_sheet

#: Every derivation, by the name the CLI uses.
DERIVATIONS: dict[str, Derivation] = {d.name: d for d in derivations() + [adam_sheet()]}


def get(name) -> Derivation:
    """The derivation called ``name`` (or ``name`` itself when it is a Derivation)."""
    if isinstance(name, Derivation):
        return name
    try:
        return DERIVATIONS[name]
    except (KeyError, TypeError):
        raise KeyError(f"unknown derivation {name!r}; known: {', '.join(DERIVATIONS)}") from None


__all__ = ["DERIVATIONS", "N_CLASSES", "Derivation", "Line", "get", "sigma", "x"]
