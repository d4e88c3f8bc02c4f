"""Issue 15, the first hour of a teacher new to the tool: the built-in examples listed,
a starting spec written with its JSON Schema beside it, the schema generated from the one
field table (every worked example valid under it, every single-field fault in
tests/bad_specs refused by it), the step ids listed, and a missing spec that names the
examples."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support import WORKED, need_module

from derive.cli import main
from derive.cli.common import builtin_examples
from derive.cli.new import SCHEMA_LINE
from derive.model.expression import load_any
from derive.model.load import SpecError
from derive.model.schema import spec_schema

BAD = Path(__file__).resolve().parent / "bad_specs"
#: Bad specs whose fault is between fields, or in a value's meaning, or in the YAML itself:
#: the validator's alone (a JSON Schema checks each field's form).
NOT_THE_SCHEMAS = {
    "11_softmax_hidden",  # softmax on a hidden layer: the layer's place
    "12_softmax_size_1",  # a softmax layer's size
    "13_cross_entropy_sigmoid_output",  # the loss and the last activation
    "14_bce_tanh_output",
    "15_weights_row_count",  # matrix shapes follow the layer sizes
    "16_weights_row_length",
    "18_weight_nan",  # YAML's .nan is a number to JSON Schema
    "19_weight_inf",
    "35_input_named_like_weight",  # a name used twice
    "36_two_layers_same_name",
    "37_sample_x_wrong_length",  # lengths follow the network
    "38_sample_y_wrong_length",
    "39_class_index_out_of_range",
    "40_one_hot_not_summing_to_1",
    "41_bce_target_2",
    "45_bias_for_bias_none_layer",  # biases follow each layer's bias mode
    "46_bias_missing_for_neuron_layer",
    "47_shared_bias_as_list",
    "48_alpha_on_sigmoid_layer",
    "50_weight_names_wrong_shape",
    "51_published_unknown_step",  # step ids follow the network
    "56_weights_no_rows",
    "58_weights_missing_layer",
    "61_fraction_divide_by_zero",  # "1/0" has a number's form
    "64_duplicate_key",  # YAML itself (a parser keeps the last)
    "71_bias_names_for_bias_none_layer",
    "74_node_name_clash",
    "78_vary_high_below_low",
    "80_expression_undefined_name",  # formulas are read by the validator
    "81_expression_log_of_zero",
    "82_expression_relu_kink",
    "83_expression_no_eval",
}


def _validator():
    need_module("jsonschema", "test")
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(spec_schema())
    return jsonschema.Draft202012Validator(spec_schema())


def test_the_shipped_schema_is_the_generated_one():
    assert json.loads((WORKED / "spec.schema.json").read_text(encoding="utf-8")) == spec_schema()


@pytest.mark.parametrize("path", sorted(WORKED.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_worked_spec_names_the_schema_and_follows_it(path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith(SCHEMA_LINE)
    assert not list(_validator().iter_errors(yaml.safe_load(text)))


@pytest.mark.parametrize("path", sorted(BAD.glob("*.yaml")), ids=lambda p: p.stem)
def test_single_field_faults_are_refused_by_the_schema(path):
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except Exception:  # not UTF-8, not YAML, nested past Python's limits: no schema sees it
        return
    errors = list(_validator().iter_errors(data)) if data is not None else ["empty"]
    if path.stem in NOT_THE_SCHEMAS:
        return
    assert errors, f"{path.name}: the schema accepts it"
    with pytest.raises(SpecError):  # and the validator too
        load_any(path)


def test_examples_lists_every_built_in_example(capsys):
    assert main(["examples"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == sorted(builtin_examples())
    four = next(line for line in lines if line.startswith("four "))
    assert "4-2-1 sigmoid, half-sse" in four and "Is it a four?" in four


def test_new_writes_a_commented_spec_that_loads_and_never_overwrites(tmp_path, capsys):
    spec = tmp_path / "mine.yaml"
    assert main(["new", str(spec), "--from", "tanh"]) == 0
    assert "wrote" in capsys.readouterr().out
    text = spec.read_text(encoding="utf-8")
    assert text.startswith(SCHEMA_LINE) and "\n# loss: " in text
    assert load_any(spec).title == load_any(WORKED / "tanh.yaml").title
    assert json.loads((tmp_path / "spec.schema.json").read_text()) == spec_schema()
    spec.write_text("title: mine\n")
    assert main(["new", str(spec)]) == 2 and spec.read_text() == "title: mine\n"
    assert "already exists" in capsys.readouterr().err
    assert main(["new", str(tmp_path / "b.yaml"), "--from", "five"]) == 2
    assert "examples: adam" in capsys.readouterr().err and not (tmp_path / "b.yaml").exists()


def test_schema_command_prints_the_schema():
    r = subprocess.run([sys.executable, "-m", "derive", "schema"], capture_output=True, text=True)
    assert r.returncode == 0 and json.loads(r.stdout) == spec_schema()


def test_steps_lists_ids_with_what_they_are_and_their_values(capsys):
    assert main(["steps", "four"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 34 and out[0].split()[0] == "net_h1"
    row = next(line for line in out if line.startswith("out_h1 "))
    assert "0.5929" in row and "the output of h1" in row and r"\mathrm{out}_{h1}" in row
    assert main(["steps", "expression", "--format", "md"]) == 0
    assert "| `dfd_x` |" in capsys.readouterr().out


def test_a_missing_spec_names_the_examples(tmp_path, capsys):
    assert main(["walkthrough", str(tmp_path / "forr.yaml")]) == 2
    err = capsys.readouterr().err
    assert "no such file" in err and "four" in err and "derive examples" in err and err.count("\n") == 1


def test_long_work_shows_progress_on_a_terminal_only(tmp_path, monkeypatch, capsys):
    from derive.cli.common import ProgressBar
    from derive.teach.homework import mark_all
    from derive.teach.marking import Checker
    from derive.teach.submissions import read_submissions

    seen = []
    bar = ProgressBar("marking", on=True)
    spec = load_any(WORKED / "four.yaml")
    answers = tmp_path / "a.yaml"
    answers.write_text("out_h1: 0.5929\n")
    checker = Checker(spec, "four")
    subs = read_submissions([answers] * 3, checker.questions, None)
    mark_all(checker, subs, lambda done, total: (seen.append((done, total)), bar.update(done, total)))
    bar.close()
    assert seen == [(3, 3)]
    err = capsys.readouterr().err
    assert "marking [" in err and "3/3" in err and err.endswith("\n")
    quiet = ProgressBar("PDFs")  # standard error is not a terminal here: nothing is written
    quiet.update(1, 2)
    quiet.close()
    assert capsys.readouterr().err == ""
