"""Limits checked before the work, text a spec may hold, and spec file names that are
not plain words (issue 12: findings 3, 6, 7 and 9).

Every refusal is one line on standard error naming the file, the field and the limit, with
exit status 2, and it comes quickly: a spec is read in bounded chunks, its YAML values are
counted while it is parsed (an alias at every use), and the network's size, its batch and
``steps: N`` are checked from the layer sizes alone, before any weight is read.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from derive.cli import main
from derive.model import limits
from derive.model.expression import load_any
from derive.model.spec import SpecError, load_spec, load_spec_text
from derive.present.moodle import moodle_xml
from derive.present.worksheet import make_worksheet
from derive.train import TrainError, TrainOptions, train
from derive.train.datasets import load as load_data

ROOT = Path(__file__).resolve().parent.parent
WORKED = sorted((ROOT / "worked").glob("*.yaml"))
FOUR = (ROOT / "worked" / "four.yaml").read_text(encoding="utf-8")


def _one_line(err: str) -> str:
    assert err.startswith("derive: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    return err


def _refused(capsys, argv: list[str], *expect: str) -> str:
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 2, (status, err)
    _one_line(err)
    for e in expect:
        assert e in err, f"{e!r} not in {err!r}"
    return err


def _network(n_in: int, hidden: list[int], n_out: int, samples: int = 1, steps: int = 1) -> str:
    """A sigmoid network with every weight 0.1, one bias per node, ``samples`` samples."""
    sizes = [n_in, *hidden, n_out]
    names = [f"h{i}" for i in range(len(hidden))] + ["o"]
    layers = "".join(
        f"    - {{name: {n}, size: {s}, activation: sigmoid, bias: neuron}}\n" for n, s in zip(names, sizes[1:])
    )
    row = lambda k: "[" + ", ".join(["0.1"] * k) + "]"  # noqa: E731
    weights = "".join(f"    {n}: [{', '.join([row(a)] * b)}]\n" for n, a, b in zip(names, sizes, sizes[1:]))
    biases = "".join(f"    {n}: {row(b)}\n" for n, b in zip(names, sizes[1:]))
    one = f"{{x: {row(n_in)}, y: {row(n_out)}}}"
    data = f"sample: {one}\n" if samples == 1 else "samples:\n" + f"  - {one}\n" * samples
    return (
        f"network:\n  inputs: {n_in}\n  layers:\n{layers}loss: half-sse\nparameters:\n  weights:\n{weights}"
        f"  biases:\n{biases}{data}learning_rate: 0.5\nsteps: {steps}\n"
    )


# ---- finding 6: limits checked before the work


def test_every_worked_example_and_a_64_32_10_network_are_within_the_limits():
    for path in WORKED:
        load_any(path)  # (a network or an expression graph)
    spec = load_spec_text(_network(64, [32], 10), "64-32-10.yaml")
    assert len(spec.parameters()) == 64 * 32 + 32 + 32 * 10 + 10
    load_spec_text(_network(64, [128], 10), "64-128-10.yaml")  # 9,610 weights and biases


def test_dev_zero_stops_at_the_byte_limit_fast(capsys):
    start = time.perf_counter()
    _refused(capsys, ["verify", "/dev/zero"], "/dev/zero", f"larger than {limits.SPEC_BYTES:,} bytes")
    assert time.perf_counter() - start < 5


def test_a_million_inline_samples_are_refused_before_parsing(tmp_path, capsys):
    head = FOUR.split("sample:")[0]
    path = tmp_path / "many.yaml"
    with path.open("w") as f:
        f.write(head + "learning_rate: 0.1\nsamples:\n")
        f.write("  - {x: [0.5, 0.56, 0.3, 0.0], y: [1]}\n" * 1_000_000)
    start = time.perf_counter()
    _refused(capsys, ["verify", str(path)], "many.yaml", "limit on a spec file")
    assert time.perf_counter() - start < 5


def _alias_bomb() -> str:
    """8 layers of 1024 whose weight matrices are one aliased matrix of one aliased row."""
    row = "&r [" + ", ".join(["0.1"] * 1024) + "]"
    layers = "".join(f"    - {{name: l{i}, size: 1024, activation: sigmoid}}\n" for i in range(7))
    layers += "    - {name: o, size: 1024, activation: sigmoid}\n"
    weights = "    l0: &m [" + row + ", *r" * 1023 + "]\n" + "".join(f"    l{i}: *m\n" for i in range(1, 7))
    return (
        f"network:\n  inputs: 1024\n  layers:\n{layers}loss: half-sse\nparameters:\n  weights:\n{weights}"
        "    o: *m\nsample: {x: *r, y: *r}\nlearning_rate: 0.1\n"
    )


def test_aliases_are_counted_at_every_use(tmp_path, capsys):
    text = _alias_bomb()
    assert len(text) < 15_000
    path = tmp_path / "aliases.yaml"
    path.write_text(text)
    start = time.perf_counter()
    _refused(capsys, ["verify", str(path)], "aliases.yaml", f"more than {limits.YAML_NODES:,} YAML values")
    assert time.perf_counter() - start < 5


def test_aliases_within_the_limit_are_allowed():
    text = FOUR.replace("sample: {x: [", "base: &x\nsample: {x: [")  # (an unknown key: still read first)
    with pytest.raises(SpecError, match="base: unknown key"):
        load_spec_text(text, "x.yaml")
    four = load_spec_text(FOUR.replace("learning_rate: 0.1", "learning_rate: &eta 0.1\nsheet: {date: *eta}"), "x.yaml")
    assert four.sheet["date"] == "0.1"


def test_an_alias_inside_the_value_it_names_is_refused():
    with pytest.raises(SpecError, match="an alias inside the value it names"):
        load_spec_text(FOUR + "published: &p {values: *p}\n", "x.yaml")


@pytest.mark.parametrize(
    "net, field, limit",
    [
        ((8, [1024] * 7, 1024), "network", f"at most {limits.PARAMETERS:,}"),
        ((64, [32], 10, 64), "samples", f"at most {limits.WORK:,}"),
        ((64, [32], 10, 1, 5000), "steps", f"limit of {limits.TRAINING:,}"),
    ],
)
def test_the_size_of_the_work_is_checked_before_any_weight_is_read(net, field, limit, monkeypatch):
    text = _network(*net) if net[1] != [1024] * 7 else _network(8, [2], 1)
    if net[1] == [1024] * 7:  # the layer sizes alone: the weights given do not fit them and are never read
        text = text.replace("size: 2,", "size: 1024,").replace("size: 1,", "size: 1024,")
    from derive.model import checks, validate

    checked = []
    real_number, real_size = checks.FieldChecker.number, validate.size_problem

    def no_numbers(*a, **k):  # (after the size check, the report of other faults may read some)
        if not checked:
            raise AssertionError("a number was read before the size was checked")
        return real_number(*a, **k)

    def size_problem(*a, **k):
        checked.append(True)
        return real_size(*a, **k)

    monkeypatch.setattr(checks.FieldChecker, "number", no_numbers)
    monkeypatch.setattr(validate, "size_problem", size_problem)
    with pytest.raises(SpecError) as e:
        load_spec_text(text, "big.yaml")
    msg = str(e.value)
    assert msg.startswith(f"big.yaml: {field}: ") and limit in msg, msg


def test_the_readme_states_the_limits():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Limits", 1)[1].split("\n## ", 1)[0]
    for n in (limits.SPEC_BYTES, limits.YAML_NODES, limits.PARAMETERS, limits.WORK, limits.TRAINING):
        assert f"{n:,}" in section, n
    from derive.train import options

    for n in (options.TRAIN_LAYERS, options.TRAIN_WIDTH, options.TRAIN_PARAMETERS, options.TRAIN_WORK):
        assert f"{n:,}" in section, n


def test_train_refuses_a_hundred_wide_layers_before_allocating(capsys):
    hidden = ",".join(["4096"] * 100)
    start = time.perf_counter()
    _refused(capsys, ["train", "xor", "--hidden", hidden], "at most 16 hidden layers", "limits on training")
    _refused(
        capsys, ["train", "xor", "--hidden", "4096,4096,4096"], "33,583,106 weights and biases", "at most 10,000,000"
    )
    _refused(capsys, ["train", "xor", "--hidden", "4096", "--epochs", "999999"], "limit of 200,000,000,000 on training")
    assert time.perf_counter() - start < 10


def test_train_checks_the_size_of_a_given_network_too():
    import numpy as np

    from derive.train import Network, network_from_spec

    data = load_data("xor")
    wide = Network.initialise([2, 4096, 2], "sigmoid", "softmax", "auto", np.random.default_rng(0), "float64", 0.01)
    start = time.perf_counter()
    with pytest.raises(TrainError, match="at most 32,548 epochs for this network and data"):
        train(data, TrainOptions(epochs=999_999), network=wide)
    assert time.perf_counter() - start < 1
    net = network_from_spec(load_spec(ROOT / "worked" / "bce.yaml"), data)
    train(data, TrainOptions(epochs=2, loss="bce"), network=net)  # within the limits


# ---- finding 7: text a spec may hold


BAD_TEXT = {
    r"\uD800": "U+D800",
    r"\x01": "U+0001",
    r"\e": "U+001B",
    r"\f": "U+000C",
    r"\0": "U+0000",
    r"\uFFFE": "U+FFFE",
}


@pytest.mark.parametrize("escape", list(BAD_TEXT))
def test_a_control_character_or_unpaired_surrogate_in_a_title_is_one_line_exit_2(escape, tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(FOUR.replace("title: Is it a four?", f'title: "Four {escape} done"'), encoding="utf-8")
    err = _refused(capsys, ["walkthrough", str(path)], "bad.yaml: title: ", BAD_TEXT[escape])
    assert "only tab and newline" in err
    _refused(capsys, ["worksheet", str(path), "--moodle", "-o", str(tmp_path / "out")], BAD_TEXT[escape])
    assert not (tmp_path / "out").exists()


def test_tab_and_newline_are_text_and_other_fields_are_checked_too():
    spec = load_spec_text(FOUR.replace("title: Is it a four?", 'title: "Four\\tfour\\nfour"'), "x.yaml")
    assert spec.title == "Four\tfour\nfour"
    with pytest.raises(SpecError, match=r"x\.yaml: sheet\.school: control character U\+0007"):
        load_spec_text(FOUR + 'sheet: {school: "Hill\\a"}\n', "x.yaml")
    with pytest.raises(SpecError, match=r"x\.yaml: sheet: a key holds control character U\+0001"):
        load_spec_text(FOUR + 'sheet: {"a\\x01": 1}\n', "x.yaml")


# ---- finding 9: Moodle XML with such characters


@pytest.mark.parametrize("char", ["\x01", "\x1b", "\x0c", "\x00", "\ufffe", "\ud800"])
def test_moodle_xml_parses_strictly_whatever_the_title_holds(char):
    spec = load_spec_text(FOUR, "four.yaml")
    spec = replace(spec, title=f"Four {char} done")  # past the spec's own rule: the writer alone
    xml = moodle_xml(make_worksheet(spec, "four", variants=1, seed=1, blanks="loss"))
    root = ET.fromstring(xml.encode("utf-8"))  # strict: a character XML 1.0 cannot hold would raise
    assert "Four  done" in root.find("question[@type='numerical']").findtext("questiontext/text")


# ---- finding 3: spec file names that are not plain words


def _fill(folder: Path, variant: dict) -> Path:
    """The variant's answer template filled with its key (six places)."""
    template = (folder / f"{variant['id']}-answers.yaml").read_text(encoding="utf-8")
    filled = re.sub(r"^(\w+):   #", lambda m: f"{m[1]}: {variant['key'][m[1]]:.6f}   #", template, flags=re.MULTILINE)
    path = folder / "filled.yaml"
    path.write_text(filled, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["homework #2", "Week 3: backprop"])
def test_a_template_of_a_spec_named_oddly_filled_with_the_key_scores_full_marks(name, tmp_path, capsys):
    spec = tmp_path / f"{name}.yaml"
    shutil.copy(ROOT / "worked" / "four.yaml", spec)
    out = tmp_path / "out"
    assert main(["worksheet", str(spec), "--variants", "2", "--seed", "3", "-o", str(out)]) == 0
    capsys.readouterr()
    manifest = json.loads((out / "worksheet.json").read_text(encoding="utf-8"))
    variant = manifest["variants"][1]
    assert variant["id"] == f"{name}-d2-s3-v02"
    filled = _fill(out, variant)
    assert main(["check", "--worksheet", str(out / "worksheet.json"), str(filled), "--format", "json"]) == 0
    stdout, err = capsys.readouterr()
    assert err == ""  # read as YAML, not line by line
    result = json.loads(stdout)
    assert result["variant"] == variant["id"]
    assert result["score"] == result["max_score"] == len(manifest["questions"])
    sheet = (out / f"{variant['id']}-sheet.md").read_text(encoding="utf-8")
    header = sheet.splitlines()[2]
    assert header.startswith("**Worksheet ") and "#2" not in header.replace("\\#2", "")


def test_the_template_is_valid_yaml_through_a_real_process(tmp_path):
    spec = tmp_path / "homework #2.yaml"
    shutil.copy(ROOT / "worked" / "four.yaml", spec)
    r = subprocess.run(
        [sys.executable, "-m", "derive.cli", "worksheet", str(spec), "--variants", "1", "-o", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    import yaml

    (template,) = (tmp_path / "o").glob("*-answers.yaml")
    assert yaml.safe_load(template.read_text(encoding="utf-8"))["variant"] == "homework #2-d2-s0-v01"
