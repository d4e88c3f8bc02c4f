"""The fields of an expression spec (``kind: expression``), declared as the network spec's
are (:mod:`derive.model.fields`, whose rules and shared sections this reads): the validator
(:mod:`derive.model.expression`) and the JSON Schema (:mod:`derive.model.schema`) read it."""

from __future__ import annotations

from derive.model.fields import GRID, ROUNDING, SHEET, Field, Flag, Name, OneOf, Section, Shaped, Text

_GRID = Field(GRID, doc="every input's grid (default -5 to 5, step 1)")
EXPRESSION_VARY = Section({"values": _GRID, "allow_zero": Field(Flag())}, "how expression variants draw their inputs")

#: An expression spec (``kind: expression``): the chain rule on a small computational graph.
EXPRESSION = Section(
    {
        "kind": Field(OneOf(("expression",)), True),
        "values": Field(
            Shaped(
                "input name -> its number",
                {
                    "type": "object",
                    "minProperties": 1,
                    "propertyNames": {"$ref": "#/$defs/name"},
                    "additionalProperties": {"$ref": "#/$defs/number"},
                },
            ),
            True,
        ),
        "define": Field(
            Shaped(
                "node name -> its formula in the inputs and earlier nodes, one node a line, in order",
                {
                    "type": "object",
                    "minProperties": 1,
                    "propertyNames": {"$ref": "#/$defs/name"},
                    "additionalProperties": {"type": ["string", "number"]},
                },
            ),
            True,
        ),
        "output": Field(Name(), True, doc="the node whose gradients are derived"),
        "title": Field(Text(300), default="The chain rule on a computational graph"),
        "story": Field(Text(20000), default="", doc="a paragraph above the problem (plain text)"),
        "rounding": Field(ROUNDING, default={}),
        "vary": Field(EXPRESSION_VARY, default={}),
        "sheet": Field(SHEET, default={}),
    },
    "a computational graph of scalar formulas, its values and its output",
)
