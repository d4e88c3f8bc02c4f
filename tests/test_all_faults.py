"""Every fault of a spec in one run (issue 15): each spec in tests/bad_specs_multi holds
three or more faults of single fields (a typo'd key, a word not among the choices, a
missing field, a number out of range, a value of the wrong type), and one run names every
one of them, one line each, with exit status 2 and nothing written. A spec with one fault
still gives the one line it always gave (tests/test_cli.py's corpus)."""

import copy
from pathlib import Path

import pytest
import yaml

from derive.cli import main
from derive.model.load import SpecError, SpecErrors
from derive.model.spec import load_spec_text

MULTI = Path(__file__).resolve().parent / "bad_specs_multi"
#: The fields each spec gets wrong: every one must be named in one run.
FAULTS = {
    "01_typos": ["learning_rat", "setps", "titel"],
    "02_choices": ["network.layers[0].activation", "network.layers[1].bias", "loss", "batch"],
    "03_missing": ["network.inputs", "network.layers[0].activation", "loss"],
    "04_ranges": [
        "network.layers[0].size",
        "network.layers[0].alpha",
        "learning_rate",
        "steps",
        "rounding.decimals",
        "rounding.carry",
    ],
    "05_types": ["network.layers[0].size", "network.layers[1].train_bias", "learning_rate", "input_gradients", "show"],
    "06_expression": ["outptu", "output", "title", "rounding.decimals"],
}


def test_every_multi_fault_spec_is_listed():
    assert sorted(p.stem for p in MULTI.glob("*.yaml")) == sorted(FAULTS)


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_every_fault_is_named_in_one_run(name, tmp_path, capsys):
    out = tmp_path / "out.md"
    assert main(["walkthrough", str(MULTI / f"{name}.yaml"), "-o", str(out)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert not out.exists()
    assert len(lines) == len(FAULTS[name]) and len(FAULTS[name]) >= 3
    named = {line.split(": ")[2] for line in lines}
    assert named == set(FAULTS[name])
    assert all(line.startswith(f"derive: {name}.yaml: ") for line in lines)


BASE = {
    "network": {"inputs": 2, "layers": [{"name": "o", "size": 1, "activation": "sigmoid"}]},
    "loss": "half-sse",
    "parameters": {"weights": {"o": [[0.5, 0.6]]}},
    "sample": {"x": [1, 0], "y": [1]},
    "learning_rate": 0.5,
}


def test_at_most_ten_lines_then_how_many_more():
    d = copy.deepcopy(BASE)
    d.update({f"extra{i}": i for i in range(14)})
    with pytest.raises(SpecErrors) as e:
        load_spec_text(yaml.safe_dump(d), "many.yaml")
    lines = e.value.lines()
    assert len(lines) == 11 and lines[-1] == "many.yaml: and 4 more faults"
    assert str(e.value) == lines[0]  # (a caller that reads one message reads the first)


def test_one_fault_is_one_line_as_before():
    with pytest.raises(SpecError) as e:
        load_spec_text(yaml.safe_dump({**BASE, "steps": 0}), "one.yaml")
    assert not isinstance(e.value, SpecErrors)
    assert e.value.lines() == ["one.yaml: steps: expected a whole number from 1 to 100000, got 0"]


def test_a_fault_between_fields_is_reported_with_the_others():
    d = copy.deepcopy(BASE)
    d["parameters"]["weights"]["o"] = [[0.5]]  # a row too short: the validator's
    d["loss"], d["stepz"] = "hinge", 1
    with pytest.raises(SpecErrors) as e:
        load_spec_text(yaml.safe_dump(d), "mix.yaml")
    wheres = [line.split(": ")[1] for line in e.value.lines()]
    assert set(wheres) == {"stepz", "loss"}  # a fault between fields shows once the fields are right
    d.pop("stepz")
    d["loss"] = "half-sse"
    with pytest.raises(SpecError, match="parameters.weights.o: expected 1 row of 2 numbers"):
        load_spec_text(yaml.safe_dump(d), "mix.yaml")
