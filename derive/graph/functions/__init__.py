"""Every activation and loss, one object each, by the name a spec uses.

Each activation lives in its own module (sigmoid, tanh, relu with leaky ReLU, identity,
softplus, softmax) and declares its SymPy form, float form, local derivative, explanation
and derivation sheet together; the losses are in :mod:`~derive.graph.functions.losses`.
Adding an activation means adding its module here, its kernel to the NumPy oracle
(:mod:`derive.verify.oracle`, independent on purpose) and its name to
:data:`derive.model.names.ACTIVATIONS`.

>>> list(ACTIVATIONS) == list(names.ACTIVATIONS) and list(LOSSES) == list(names.LOSSES)
True
>>> sorted(f.__name__ for f in FUNCTIONS)
['leaky_relu', 'leaky_step', 'relu', 'sigma', 'softplus', 'step']
"""

from __future__ import annotations

from derive.graph.functions.base import DEFAULT_ALPHA, Activation, NodeFunction
from derive.graph.functions.identity import IDENTITY
from derive.graph.functions.losses import LOSSES, Loss
from derive.graph.functions.relu import LEAKY_RELU, RELU, leaky_relu, leaky_step, relu, step
from derive.graph.functions.sheet import Derivation, Line
from derive.graph.functions.sigmoid import SIGMOID, sigma
from derive.graph.functions.softmax import SOFTMAX, softmax_cross_entropy
from derive.graph.functions.softplus import SOFTPLUS, softplus
from derive.graph.functions.tanh import TANH
from derive.model import names

_ALL = {a.name: a for a in (SIGMOID, TANH, RELU, LEAKY_RELU, SOFTPLUS, IDENTITY, SOFTMAX)}
#: Every activation by name, in the order of :data:`derive.model.names.ACTIVATIONS`.
ACTIVATIONS: dict[str, Activation] = {name: _ALL[name] for name in names.ACTIVATIONS}
#: The project's own SymPy functions (the printers and the proofs dispatch on these).
FUNCTIONS: tuple[type[NodeFunction], ...] = (sigma, step, relu, leaky_step, leaky_relu, softplus)


def derivations() -> list[Derivation]:
    """Every derivation sheet: the activations', then the losses' paired with an output
    activation, then the losses' own."""
    sheets = [a.derivation() for a in ACTIVATIONS.values()] + [softmax_cross_entropy()]
    bce = LOSSES["bce"].derivations()
    return sheets + bce + [d for name, loss in LOSSES.items() if name != "bce" for d in loss.derivations()]


__all__ = [
    "ACTIVATIONS",
    "DEFAULT_ALPHA",
    "FUNCTIONS",
    "LOSSES",
    "Activation",
    "Derivation",
    "Line",
    "Loss",
    "NodeFunction",
    "derivations",
    "leaky_relu",
    "leaky_step",
    "relu",
    "sigma",
    "softplus",
    "step",
]
