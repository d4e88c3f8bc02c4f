"""The spec's fields, declared once.

Every key a spec may hold is declared here with its rule, whether it is required and its
default. The validator (:mod:`derive.model.validate`) reads this table for the keys each
mapping allows, the defaults and the checks of single values, and
:func:`derive.model.schema.json_schema` turns it into a JSON Schema, so the two cannot drift
apart (as scikit-learn's ``_param_validation``); checks across fields are :class:`Shaped`.

>>> TOP["steps"].rule, TOP["steps"].default
(Whole(low=1, high=100000), 1)
>>> TOP.required
['network', 'loss', 'parameters']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy as sp

from derive.model.names import (
    ACTIVATIONS,
    BATCH_MODES,
    BIAS_MODES,
    CARRY_MODES,
    HAND_OPTIMIZERS,
    LEARNING_RATE_MAX,
    SHOW_OPTIONS,
    SPEC_KINDS,
    SPEC_LOSSES,
    WEIGHT_NAMING,
)


@dataclass(frozen=True)
class Real:
    """A number: a YAML number, or text such as ``"3/8"`` or ``"1e-3"``; optionally
    bounded below (``low``) and above (``high``), each bound open or closed."""

    low: sp.Rational | None = None
    low_open: bool = False
    high: sp.Rational | None = None
    high_open: bool = False

    def contains(self, v: sp.Rational) -> bool:
        if self.low is not None and (v <= self.low if self.low_open else v < self.low):
            return False
        return self.high is None or (v < self.high if self.high_open else v <= self.high)

    def requirement(self, name: str) -> str:
        """What the bounds ask, for a message: 'must be positive', 'expected 0 <= alpha < 1'."""
        if self.low == 0 and self.low_open:
            if self.high is None:
                return "must be positive"
            return f"must be positive and {'below' if self.high_open else 'at most'} {self.high}"
        low = "" if self.low is None else f"{self.low} {'<' if self.low_open else '<='} "
        high = "" if self.high is None else f" {'<' if self.high_open else '<='} {self.high}"
        return f"expected {low}{name}{high}"


@dataclass(frozen=True)
class Whole:
    """A whole number from ``low`` to ``high``."""

    low: int
    high: int


@dataclass(frozen=True)
class OneOf:
    """One of a few words."""

    options: tuple[str, ...]


@dataclass(frozen=True)
class Text:
    """Free text of at most ``limit`` characters (a number is taken as its text)."""

    limit: int = 20000


@dataclass(frozen=True)
class Story(Text):
    """Text in which ``{name}`` stands for the given number ``name`` (w1, i1, eta, y_o1;
    i1_s2 with several samples), filled with each variant's number as written; ``{{`` and
    ``}}`` are literal braces, and any other brace is kept as it is.

    >>> Story().parts("{i1} and {{i2}}, {3}")
    [('name', 'i1'), ('text', ' and '), ('text', '{'), ('text', 'i2'), ('text', '}'), ('text', ', {3}')]
    """

    def parts(self, text: str) -> list[tuple[str, str]]:
        """The text cut into ``("text", literal)`` and ``("name", placeholder)`` parts."""
        out, at = [], 0
        for m in _PLACEHOLDER.finditer(text):
            if m.start() > at:
                out.append(("text", text[at : m.start()]))
            out.append(("name", m[1]) if m[1] else ("text", m[0][0]))
            at = m.end()
        return out + ([("text", text[at:])] if at < len(text) else [])


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z][A-Za-z0-9_]*)\}")
STORY = Story()


@dataclass(frozen=True)
class Flag:
    """true or false."""


@dataclass(frozen=True)
class Name:
    """A plain name: a letter, then letters, digits or _ (not a reserved one)."""


@dataclass(frozen=True)
class ListOf:
    """A list of ``item`` with ``low`` to ``high`` entries."""

    item: object
    low: int = 0
    high: int | None = None


@dataclass(frozen=True)
class Shaped:
    """A value whose check depends on other fields (written out in the validator);
    ``schema`` is the JSON Schema of its form alone."""

    doc: str
    schema: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Named:
    """One of ``section``'s names alone, or the section's mapping with its settings:
    ``adam`` or ``{name: adam, beta1: 0.9}``."""

    section: "Section"


@dataclass(frozen=True)
class Field:
    rule: object
    required: bool = False
    default: object = None
    doc: str = ""


@dataclass(frozen=True)
class Section:
    """A mapping with exactly the declared keys (``one_of``: groups of keys of which
    exactly one must be given)."""

    fields: dict[str, Field]
    doc: str = ""
    one_of: tuple[tuple[str, ...], ...] = ()

    def __getitem__(self, key: str) -> Field:
        return self.fields[key]

    @property
    def allowed(self) -> list[str]:
        """The keys, required ones first (the order a message lists them in)."""
        return [k for k, f in self.fields.items() if f.required] + [k for k, f in self.fields.items() if not f.required]

    @property
    def required(self) -> list[str]:
        return [k for k, f in self.fields.items() if f.required]


_NUMBER_TEXT = r"^\s*[+-]?\s*([0-9]+/[0-9]+|([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?)\s*$"
_NUMBERS = {"type": "array", "items": {"$ref": "#/$defs/number"}}


# Sections that others contain come first.
GRID = Section(
    {
        "low": Field(Real(), True),
        "high": Field(Real(), True),
        "step": Field(Real(sp.S.Zero, True), True),
    },
    "a grid from low to high in steps of step; high - low a whole number of steps",
)

LAYER = Section(
    {
        "name": Field(Name(), True),
        "size": Field(Whole(1, 1024), True),
        "activation": Field(OneOf(ACTIVATIONS), True),
        "bias": Field(OneOf(BIAS_MODES), default="none"),
        "alpha": Field(
            Real(sp.S.Zero, False, sp.S.One, True),
            default=sp.Rational(1, 100),
            doc="slope below zero of a leaky-relu layer",
        ),
        "train_bias": Field(Flag(), doc="default: network.train_biases"),
    }
)

NETWORK = Section(
    {
        "inputs": Field(
            Shaped(
                "a count (1 to 1024) or a list of input names",
                {
                    "oneOf": [
                        {"type": "integer", "minimum": 1, "maximum": 1024},
                        {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/name"}},
                    ]
                },
            ),
            True,
        ),
        "layers": Field(ListOf(LAYER, 1, 8), True),
        "weight_names": Field(
            Shaped(
                "a numbering style, or one row of names per node of each layer",
                {
                    "oneOf": [
                        {"enum": list(WEIGHT_NAMING)},
                        {
                            "type": "object",
                            "additionalProperties": {
                                "type": "array",
                                "items": {"type": "array", "items": {"$ref": "#/$defs/name"}},
                            },
                        },
                    ]
                },
            ),
            default="input-major",
        ),
        "bias_names": Field(
            Shaped(
                "per layer: a name (shared bias) or a list of names (one per node)",
                {
                    "type": "object",
                    "additionalProperties": {
                        "oneOf": [{"$ref": "#/$defs/name"}, {"type": "array", "items": {"$ref": "#/$defs/name"}}]
                    },
                },
            )
        ),
        "train_biases": Field(Flag(), default=True),
    }
)

PARAMETERS = Section(
    {
        "weights": Field(
            Shaped(
                "per layer, one row of numbers per node (one number per input)",
                {"type": "object", "additionalProperties": {"type": "array", "items": _NUMBERS}},
            ),
            True,
        ),
        "biases": Field(
            Shaped(
                "per layer: one number (shared bias) or one per node",
                {"type": "object", "additionalProperties": {"oneOf": [{"$ref": "#/$defs/number"}, _NUMBERS]}},
            ),
            default={},
        ),
    }
)

SAMPLE = Section(
    {
        "x": Field(Shaped("one number per input", _NUMBERS), True),
        "y": Field(
            Shaped(
                "one number per output, or a class index (cross-entropy); required unless loss: none",
                {"oneOf": [{"$ref": "#/$defs/number"}, _NUMBERS]},
            ),
        ),
    }
)

ROUNDING = Section(
    {
        "decimals": Field(Whole(0, 12), default=3),
        "carry": Field(OneOf(CARRY_MODES), default="exact"),
    }
)

PUBLISHED = Section(
    {
        "values": Field(
            Shaped(
                "step id -> the number as printed",
                {"type": "object", "additionalProperties": {"$ref": "#/$defs/number"}},
            ),
            True,
        ),
        "source": Field(Text(500), default=""),
    },
    "numbers printed in a source, marked like a student's answers",
)

VARY = Section(
    {
        "weights": Field(GRID),
        "biases": Field(GRID),
        "x": Field(GRID),
        "max_net": Field(Real(sp.S.Zero, True), default=sp.Integer(3), doc="largest |net| allowed"),
        "allow_zero": Field(Flag(), default=False, doc="let a drawn input, weight or bias be 0"),
    },
    "how worksheet variants draw their numbers",
)

_FRACTION = Real(sp.S.Zero, False, sp.S.One, True)
OPTIMIZER = Section(
    {
        "name": Field(OneOf(HAND_OPTIMIZERS), True),
        "beta": Field(_FRACTION, doc="momentum and nesterov: the momentum (default 0.9)"),
        "rho": Field(_FRACTION, doc="rmsprop: the decay of the mean square (default 0.99)"),
        "beta1": Field(_FRACTION, doc="adam: the decay of the first moment (default 0.9)"),
        "beta2": Field(_FRACTION, doc="adam: the decay of the second moment (default 0.999)"),
        "eps": Field(Real(sp.S.Zero, True, sp.S.One, False), doc="rmsprop and adam: added to the root (default 1e-8)"),
    },
    "the update rule, worked by hand: sgd, momentum, nesterov, rmsprop or adam (PyTorch's rules)",
)

SHEET = Section(
    {
        "school": Field(Text(120), default=""),
        "course": Field(Text(120), default=""),
        "date": Field(Text(60), default=""),
    },
    "what a printed worksheet's header shows (each may also be given on the command line)",
)

#: The whole spec.
TOP = Section(
    {
        "kind": Field(OneOf(SPEC_KINDS), default="network", doc="network (the default) or expression"),
        "network": Field(NETWORK, True, doc="the inputs and the layers (each: name, size, activation, bias)"),
        "loss": Field(
            OneOf(SPEC_LOSSES),
            True,
            doc=(
                "half-sse, sse, mse, half-mse, cross-entropy (softmax output), bce (sigmoid output), "
                "or none (the output itself is differentiated)"
            ),
        ),
        "parameters": Field(PARAMETERS, True, doc="the weights (one row per node) and biases, per layer"),
        "learning_rate": Field(
            Real(sp.S.Zero, True, sp.Integer(LEARNING_RATE_MAX), False),
            doc="eta, the size of the update's step (not with loss: none)",
        ),
        "title": Field(Text(300), default="Backpropagation walkthrough", doc="the heading of every output"),
        "story": Field(STORY, default="", doc="a paragraph above the problem; {w1} is w1's number"),
        "sample": Field(SAMPLE, doc="the training sample: x (one number per input) and y (the target)"),
        "samples": Field(ListOf(SAMPLE, 1, 64), doc="several samples (a batch), instead of sample"),
        "steps": Field(Whole(1, 100000), default=1, doc="how many updates (N > 1 adds the loss over N steps)"),
        "rounding": Field(ROUNDING, default={}, doc="decimals shown, and carry: exact or rounded"),
        "batch": Field(OneOf(BATCH_MODES), default="mean", doc="online: one update per sample, in turn"),
        "input_gradients": Field(Flag(), default=False, doc="add grad_<input> for every input"),
        "show": Field(ListOf(OneOf(SHOW_OPTIONS), 0, len(SHOW_OPTIONS)), default=(), doc="extra steps: change, after"),
        "optimizer": Field(Named(OPTIMIZER), doc="default: plain gradient descent (sgd)"),
        "weight_decay": Field(
            Real(sp.S.Zero, False, sp.Integer(LEARNING_RATE_MAX), False),
            default=sp.S.Zero,
            doc="L2: J + (lambda/2) * the sum of the squared weights (not the biases)",
        ),
        "published": Field(PUBLISHED, doc="numbers printed in a source, checked like a student's answers"),
        "vary": Field(VARY, default={}, doc="how worksheet variants draw their numbers"),
        "sheet": Field(SHEET, default={}, doc="a printed worksheet's header: school, course, date"),
    },
    "a network, one sample (or a batch) and one gradient-descent step",
    one_of=(("sample", "samples"),),
)
