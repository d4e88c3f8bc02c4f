"""The spec's JSON Schema (draft 2020-12), generated from the field table in
:mod:`derive.model.fields`, so the validator and the schema cannot drift apart.

>>> sorted(json_schema()["required"])
['loss', 'network', 'parameters']
"""

from __future__ import annotations

import re

from derive.model.expression_fields import EXPRESSION
from derive.model.fields import (
    _NUMBER_TEXT,
    TOP,
    Field,
    Flag,
    ListOf,
    Name,
    Named,
    OneOf,
    Real,
    Section,
    Shaped,
    Text,
    Whole,
)
from derive.model.names import (
    _SAMPLE,
    _UPDATE,
    FUNCTION_NAMES,
    MAX_NAME,
    NAME_RE,
    RESERVED_NAMES,
    RESERVED_PREFIXES,
    RESERVED_SUFFIXES,
)


def _bound(v):
    return int(v) if v.q == 1 else float(v)


def _schema(rule) -> dict:
    if isinstance(rule, Section):
        out = {
            "type": "object",
            "additionalProperties": False,
            "properties": {k: _field_schema(f) for k, f in rule.fields.items()},
        }
        if rule.required:
            out["required"] = rule.required
        if rule.one_of:
            out["oneOf"] = [{"required": [k]} for group in rule.one_of for k in group]
        if rule.doc:
            out["description"] = rule.doc
        return out
    if isinstance(rule, Real):
        num = {"type": "number"}
        for bound, key, open_ in ((rule.low, "minimum", rule.low_open), (rule.high, "maximum", rule.high_open)):
            if bound is not None:
                num["exclusive" + key.capitalize() if open_ else key] = _bound(bound)
        return {"anyOf": [num, {"type": "string", "pattern": _NUMBER_TEXT}]}
    if isinstance(rule, Whole):
        return {"type": "integer", "minimum": rule.low, "maximum": rule.high}
    if isinstance(rule, OneOf):
        return {"enum": list(rule.options)}
    if isinstance(rule, Text):
        return {"type": ["string", "number", "null"], "maxLength": rule.limit}
    if isinstance(rule, Flag):
        return {"type": "boolean"}
    if isinstance(rule, Name):
        return {"$ref": "#/$defs/name"}
    if isinstance(rule, ListOf):
        out = {"type": "array", "items": _schema(rule.item), "minItems": rule.low}
        return out if rule.high is None else {**out, "maxItems": rule.high}
    if isinstance(rule, Named):
        return {"oneOf": [_schema(rule.section["name"].rule), _schema(rule.section)]}
    if isinstance(rule, Shaped):
        return {**rule.schema, "description": rule.doc}
    raise TypeError(f"no schema for {rule!r}")


def _field_schema(f: Field) -> dict:
    out = _schema(f.rule)
    if f.doc and "description" not in out:
        out["description"] = f.doc
    return out


def _name_schema() -> dict:
    """A plain name that is not one of the tool's own (:func:`derive.model.names.reserved`,
    from the same tuples: reserved names and prefixes, the sample, update and after suffixes,
    function names and Python keywords)."""
    prefixes = "|".join(re.escape(p) for p in RESERVED_PREFIXES)
    suffixes = "|".join([re.escape(x) for x in RESERVED_SUFFIXES] + [_SAMPLE.pattern[:-2], _UPDATE.pattern[:-2]])
    return {
        "type": "string",
        "pattern": "^" + NAME_RE.pattern.replace(r"\Z", "$"),
        "maxLength": MAX_NAME,
        "not": {
            "anyOf": [
                {"enum": sorted(set(RESERVED_NAMES) | FUNCTION_NAMES)},
                {"pattern": f"^({prefixes})"},
                {"pattern": f"({suffixes})$"},
            ]
        },
    }


def json_schema(kind: str = "network") -> dict:
    """A JSON Schema (draft 2020-12) of a spec's form, generated from the declaration (of a
    network spec, or with ``kind="expression"`` of an expression spec's).
    It checks the form of each field; the checks between fields (shapes that follow the
    layer sizes, names used twice, formulas) are the validator's alone."""
    top = EXPRESSION if kind == "expression" else TOP
    out = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": f"derive {kind} spec", **_schema(top)}
    out["$defs"] = {
        "number": _schema(Real()),
        "name": _name_schema(),
    }
    return out


def spec_schema() -> dict:
    """The JSON Schema of any spec, network or expression (by its ``kind``), as ``derive
    schema`` prints it and ``worked/spec.schema.json`` holds it for editors (a spec's first
    line ``# yaml-language-server: $schema=spec.schema.json`` names it).

    >>> s = spec_schema()
    >>> s["if"]["properties"], sorted(s["$defs"])
    ({'kind': {'const': 'expression'}}, ['expression', 'name', 'network', 'number'])
    """
    network, expression = json_schema("network"), json_schema("expression")
    defs = network.pop("$defs")
    for part in (network, expression):
        part.pop("$schema")
        part.pop("$defs", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "derive spec (a network, or kind: expression)",
        "if": {"properties": {"kind": {"const": "expression"}}, "required": ["kind"]},
        "then": {"$ref": "#/$defs/expression"},
        "else": {"$ref": "#/$defs/network"},
        "$defs": {**defs, "network": network, "expression": expression},
    }
