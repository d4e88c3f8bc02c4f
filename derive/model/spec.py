"""A network spec: its data classes, the one walk over its parameters, and loading.

A :class:`Spec` is what the rest of the package trusts: every field was checked once, by
:mod:`derive.model.validate` against the declaration in :mod:`derive.model.fields`, after
:mod:`derive.model.load` read the YAML keeping every number as written. Numbers are exact
SymPy rationals: ``0.1`` in the file means 1/10, not the binary float nearest to it; how
each given number was written (``0.10`` states two places) is kept in ``Spec.written``.
Any problem raises :class:`SpecError`, whose message is one line naming the file, the
field and what is wrong.

>>> spec = load_spec_text('''
... network: {inputs: 2, layers: [{name: o, size: 1, activation: sigmoid}]}
... loss: half-sse
... parameters: {weights: {o: [[0.5, -0.5]]}}
... sample: {x: [1, 0], y: [1]}
... learning_rate: 0.1
... ''', "tiny.yaml")
>>> spec.weight_names["o"], spec.weights["o"], spec.written["w1"].text
([['w1', 'w2']], [[1/2, -1/2]], '0.5')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Iterator, TypeVar

import sympy as sp

from derive.model.checks import FieldChecker
from derive.model.faults import all_faults
from derive.model.fields import TOP
from derive.model.load import SpecError, parse_spec, read_spec_file
from derive.model.names import natural_key
from derive.model.numbers import Number
from derive.model.options import Optimizer
from derive.model.validate import validate

__all__ = ["Layer", "Param", "Sample", "Spec", "SpecError", "load_spec", "load_spec_text"]

_T = TypeVar("_T")
#: The commands that read expression specs (``kind: expression``); the others refuse them.
EXPRESSION_COMMANDS = "derive walkthrough, verify, worksheet and check"


@dataclass(frozen=True)
class Layer:
    name: str
    size: int
    activation: str
    bias: str = "none"  # none | neuron | shared
    alpha: sp.Rational = sp.Rational(1, 100)  # leaky-relu slope below zero
    train_bias: bool = True

    @property
    def nodes(self) -> list[str]:
        return [f"{self.name}{j + 1}" for j in range(self.size)]


@dataclass(frozen=True)
class Sample:
    x: tuple
    y: tuple  # always a vector, one entry per output node (class indices become one-hot)
    label: int | None = None  # the class index, when the spec gave one


@dataclass(frozen=True)
class Param:
    """One weight or bias: its name, which layer it belongs to and which of the layer's
    nodes it feeds (one node for a weight or a neuron bias, all of them for a shared bias),
    the input index ``k`` of a weight, its value, and whether it is trained."""

    name: str
    kind: str  # weight | bias
    layer: int
    nodes: tuple[int, ...]
    k: int | None
    value: sp.Rational
    trainable: bool
    connects: str  # "i1 → h1", "bias of h1", "bias of layer h"


@dataclass
class Spec:
    #: which kind of spec (an expression spec's is "expression"): read as ``spec.kind``
    kind: ClassVar[str] = "network"
    source: str
    title: str
    story: str
    inputs: list[str]
    layers: list[Layer]
    loss: str
    weights: dict[str, list[list[sp.Rational]]]
    weight_names: dict[str, list[list[str]]]
    biases: dict[str, sp.Rational | list[sp.Rational]]  # layer -> Rational (shared) or list of Rational (neuron)
    bias_names: dict[str, str | list[str]]  # layer -> str (shared) or list of str (neuron)
    samples: list[Sample]
    learning_rate: sp.Rational | None  # None with loss: none
    steps: int = 1
    decimals: int = 3
    carry: str = "exact"
    batch: str = "mean"
    published: dict[str, Number] = field(default_factory=dict)  # step id -> the number as printed
    published_source: str = ""
    # worksheet variants: {weights|biases|x: (low, high, step) Numbers, max_net}
    vary: dict = field(default_factory=dict)
    written: dict[str, Number] = field(default_factory=dict)  # given name (w1, i1, eta) -> as written
    sheet: dict[str, str] = field(default_factory=dict)  # a worksheet header: school, course, date
    optimizer: Optimizer | None = None  # None: plain gradient descent, as before optimizers were named
    weight_decay: sp.Rational = sp.S.Zero  # L2 on the weights: J + (lam/2) sum w^2
    show: tuple[str, ...] = ()  # extra steps: change, after
    input_gradients: bool = False  # grad_<input> steps
    text: str = field(default="", repr=False)  # the YAML it was read from (a worksheet's manifest keeps it)

    @property
    def outputs(self) -> list[str]:
        return self.layers[-1].nodes

    def iter_parameters(self) -> Iterator[Param]:
        """Every weight and bias, layer by layer: weights in their numbering order, then the
        layer's biases (one per node, or the one shared by the layer). The one walk over the
        naming and bias modes; everything that needs the parameters reads it."""
        for li, layer in enumerate(self.layers):
            prev = self.inputs if li == 0 else self.layers[li - 1].nodes
            weights = [
                Param(n, "weight", li, (j,), k, self.weights[layer.name][j][k], True, f"{prev[k]} → {node}")
                for j, node in enumerate(layer.nodes)
                for k, n in enumerate(self.weight_names[layer.name][j])
            ]
            yield from sorted(weights, key=lambda p: natural_key(p.name))
            yield from self._biases(li, layer)

    def _biases(self, li: int, layer: Layer) -> Iterator[Param]:
        """The biases of one layer: one per node (neuron), the one of the layer (shared) or none."""
        frozen = "" if layer.train_bias else " (frozen)"
        if layer.bias == "neuron":
            names, values = _listed(self.bias_names[layer.name]), _listed(self.biases[layer.name])
            for j, (n, node, b) in enumerate(zip(names, layer.nodes, values, strict=True)):
                yield Param(n, "bias", li, (j,), None, b, layer.train_bias, f"bias of {node}{frozen}")
        elif layer.bias == "shared":
            name, value = self.bias_names[layer.name], self.biases[layer.name]
            if isinstance(name, list) or isinstance(value, list):
                raise TypeError(f"layer {layer.name} has one shared bias, not a list")
            yield Param(
                name,
                "bias",
                li,
                tuple(range(layer.size)),
                None,
                value,
                layer.train_bias,
                f"bias of layer {layer.name}{frozen}",
            )

    def parameters(self) -> list[tuple[str, str, sp.Rational]]:
        """Every parameter as (name, what it connects, value): the table a problem starts from."""
        return [(p.name, p.connects, p.value) for p in self.iter_parameters()]

    def frozen(self) -> list[str]:
        """Names of the biases that are kept fixed (train_bias: false)."""
        return [p.name for p in self.iter_parameters() if not p.trainable]

    def trainable(self) -> list[str]:
        """Names of the trainable parameters, layer by layer, weights before biases."""
        return [p.name for p in self.iter_parameters() if p.trainable]


def _listed(v: _T | list[_T]) -> list[_T]:
    """The one-per-node entries of a layer with bias: neuron."""
    if not isinstance(v, list):
        raise TypeError(f"expected one bias per node, got {v!r}")
    return v


def _as_list(v) -> list:
    return list(v) if isinstance(v, list) else [v]


def load_spec(path: str | Path) -> Spec:
    """Read and validate the spec at ``path``."""
    path = Path(path)
    return load_spec_text(read_spec_file(path), path.name)


def load_spec_text(text: str, source: str = "<spec>") -> Spec:
    """Validate a spec given as YAML text; ``source`` names it in messages."""
    data = parse_spec(text, source)
    if isinstance(data, dict) and "kind" in data:  # network (the default), before the keys that depend on it
        if FieldChecker(source).field(data, "kind", TOP) == "expression":  # (derive.model.expression reads those)
            raise SpecError(source, "kind", f"not supported for expression specs yet ({EXPRESSION_COMMANDS} are)")
    try:
        fields = validate(data, source)
    except SpecError as e:  # with the faults of other single fields, all at once
        raise all_faults(data, TOP, source, e) from None
    fields["layers"] = [Layer(**layer) for layer in fields["layers"]]
    fields["samples"] = [Sample(**smp) for smp in fields["samples"]]
    return Spec(**fields, text=text)
