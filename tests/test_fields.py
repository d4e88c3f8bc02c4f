"""The spec's declared fields (derive.model.fields): the validator and the JSON Schema read
one declaration, and the declaration generates the invalid-value tests below."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import sympy as sp
import yaml
from support import NETWORK_EXAMPLES, need_module

from derive.model.fields import TOP, Flag, ListOf, Name, OneOf, Real, Section, Shaped, Text, Whole
from derive.model.schema import json_schema
from derive.model.spec import SpecError, load_spec_text

ROOT = Path(__file__).resolve().parent.parent

VALID = {
    "title": "t",
    "story": "s",
    "network": {
        "inputs": 2,
        "train_biases": True,
        "layers": [
            {"name": "h", "size": 2, "activation": "leaky-relu", "alpha": 0.1, "bias": "neuron", "train_bias": True},
            {"name": "o", "size": 1, "activation": "sigmoid"},
        ],
    },
    "loss": "half-sse",
    "parameters": {"weights": {"h": [[0.1, 0.2], [0.3, 0.4]], "o": [[0.5, 0.6]]}, "biases": {"h": [0.1, 0.2]}},
    "sample": {"x": [1, 0], "y": [1]},
    "learning_rate": 0.5,
    "steps": 1,
    "batch": "mean",
    "rounding": {"decimals": 3, "carry": "exact"},
    "published": {"source": "a book", "values": {"net_h1": 0.1}},
    "vary": {"weights": {"low": -0.5, "high": 0.5, "step": 0.1}, "max_net": 3},
}


def _load(d):
    return load_spec_text(yaml.safe_dump(d, sort_keys=False), "x.yaml")


def _declared(decl: Section, data: dict, path: tuple = ()):
    """(path, rule) of every field with a rule of its own, within the parts of VALID."""
    for key, f in decl.fields.items():
        here = path + (key,)
        if isinstance(f.rule, Section):
            if key in data:
                yield from _declared(f.rule, data[key], here)
        elif isinstance(f.rule, ListOf):
            if key in data:
                yield from _declared(f.rule.item, data[key][0], here + (0,))
        elif not isinstance(f.rule, Shaped):
            yield here, f.rule


def _where(path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def _bad_values(rule):
    """Values the rule refuses, each with a piece of the message it gives."""
    if isinstance(rule, Real):
        yield "abc", "expected a number"
        if rule.low is not None:
            yield str(rule.low if rule.low_open else rule.low - 1), rule.requirement("x").split(" x")[0]
        if rule.high is not None:
            yield str(rule.high if rule.high_open else rule.high + 1), rule.requirement("x").split(" x")[0]
    elif isinstance(rule, Whole):
        yield 2.5, "expected a whole number, got 2.5"
        yield rule.high + 1, f"expected a whole number from {rule.low} to {rule.high}"
    elif isinstance(rule, OneOf):
        yield "nonsense", "expected one of " + ", ".join(rule.options)
    elif isinstance(rule, Flag):
        yield "yes", "expected true or false"
    elif isinstance(rule, Text):
        yield "x" * (rule.limit + 1), f"longer than {rule.limit} characters"
    elif isinstance(rule, Name):
        yield "1x", "is not a plain name"


CASES = [(path, value, expect) for path, rule in _declared(TOP, VALID) for value, expect in _bad_values(rule)]


def test_the_base_is_valid_and_the_cases_cover_the_declaration():
    assert _load(VALID).layers[0].alpha == sp.Rational(1, 10)
    covered = {_where(p) for p, _, _ in CASES}
    assert {
        "learning_rate",
        "steps",
        "rounding.decimals",
        "network.layers[0].alpha",
        "network.layers[0].name",
        "vary.weights.step",
        "vary.max_net",
        "published.source",
        "network.train_biases",
        "batch",
    } <= covered


@pytest.mark.parametrize("path, value, expect", CASES, ids=[f"{_where(p)}={str(v)[:8]}" for p, v, _ in CASES])
def test_every_declared_rule_refuses_a_bad_value(path, value, expect):
    d = copy.deepcopy(VALID)
    parent = d
    for p in path[:-1]:
        parent = parent[p]
    parent[path[-1]] = value
    with pytest.raises(SpecError) as e:
        _load(d)
    assert e.value.where == _where(path), str(e.value)
    assert expect in str(e.value) and "\n" not in str(e.value)


def _sections(decl: Section, data: dict, path=()):
    yield path, decl
    for key, f in decl.fields.items():
        rule = f.rule.item if isinstance(f.rule, ListOf) else f.rule
        if isinstance(rule, Section) and key in data:
            yield from _sections(
                rule,
                data[key][0] if isinstance(f.rule, ListOf) else data[key],
                path + (key,) + ((0,) if isinstance(f.rule, ListOf) else ()),
            )


@pytest.mark.parametrize(
    "path, decl", list(_sections(TOP, VALID)), ids=lambda x: _where(x) if isinstance(x, tuple) else ""
)
def test_unknown_keys_name_the_declared_ones(path, decl):
    d = copy.deepcopy(VALID)
    parent = d
    for p in path:
        parent = parent[p]
    parent["nonsense"] = 1
    with pytest.raises(SpecError) as e:
        _load(d)
    assert str(e.value).endswith(f"unknown key (allowed: {', '.join(decl.allowed)})")


def test_required_fields_are_required():
    for key in TOP.required:
        d = copy.deepcopy(VALID)
        del d[key]
        with pytest.raises(SpecError, match=f"{key}: missing"):
            _load(d)


def test_defaults_are_the_declared_ones():
    d = copy.deepcopy(VALID)
    for key in ("title", "story", "steps", "batch", "rounding", "vary"):
        del d[key]
    s = _load(d)
    assert (s.title, s.story, s.steps, s.batch, s.decimals, s.carry, s.vary) == (
        TOP["title"].default,
        "",
        TOP["steps"].default,
        TOP["batch"].default,
        3,
        "exact",
        {},
    )


def test_the_schema_is_generated_from_the_declaration():
    schema = json_schema()
    assert set(schema["properties"]) == set(TOP.fields) and schema["additionalProperties"] is False
    steps = {"type": "integer", "minimum": 1, "maximum": 100000, "description": TOP["steps"].doc}
    assert schema["properties"]["steps"] == steps
    layer = schema["properties"]["network"]["properties"]["layers"]["items"]
    assert layer["properties"]["alpha"]["anyOf"][0] == {"type": "number", "minimum": 0, "exclusiveMaximum": 1}
    assert schema["properties"]["loss"]["enum"] == list(TOP["loss"].rule.options)


def test_the_schema_accepts_the_worked_examples_and_refuses_bad_specs():
    need_module("jsonschema", "test")
    import jsonschema

    check = jsonschema.Draft202012Validator(json_schema())
    check.check_schema(json_schema())
    for path in NETWORK_EXAMPLES:  # (the schema is a network spec's)
        errors = [e.message for e in check.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))]
        assert not errors, (path.name, errors[:3])
    assert not list(check.iter_errors(VALID))
    for path, value, _ in CASES:
        if isinstance(value, str) and value.lstrip("-").replace(".", "").isdigit():
            continue  # numbers out of range given as text: the schema checks the form only
        d = copy.deepcopy(VALID)
        parent = d
        for p in path[:-1]:
            parent = parent[p]
        parent[path[-1]] = value
        assert list(check.iter_errors(d)), _where(path)
