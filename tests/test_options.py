"""The options of issue 13's walkthrough forms, as the spec reader checks them: loss: none,
input_gradients, batch: online, show, optimizer and weight_decay. A good spec loads with
the settings it asked for (PyTorch's defaults for the rest); a bad one is one line naming
the field, from the command line too (exit 2, nothing written)."""

import copy
import subprocess
import sys

import pytest
import sympy as sp
import yaml

from derive.model.names import StepId, reserved
from derive.model.spec import SpecError, load_spec_text

BASE = {
    "network": {
        "inputs": 2,
        "layers": [
            {"name": "h", "size": 2, "activation": "sigmoid"},
            {"name": "o", "size": 1, "activation": "sigmoid"},
        ],
    },
    "loss": "half-sse",
    "parameters": {"weights": {"h": [[0.1, 0.2], [0.3, 0.4]], "o": [[0.5, 0.6]]}},
    "sample": {"x": [1, 0], "y": [1]},
    "learning_rate": 0.5,
}
TWO = [{"x": [1, 0], "y": [1]}, {"x": [0, 1], "y": [0]}]


def text(**changes) -> str:
    d = copy.deepcopy(BASE)
    for k, v in changes.items():
        if v is None:
            d.pop(k, None)
        else:
            d[k] = v
    return yaml.safe_dump(d, sort_keys=False)


def load(**changes):
    return load_spec_text(text(**changes), "x.yaml")


def error(**changes) -> str:
    with pytest.raises(SpecError) as e:
        load(**changes)
    return str(e.value)


NO_LOSS = dict(loss="none", sample={"x": [1, 0]}, learning_rate=None)


def test_defaults_leave_a_spec_as_it_was():
    s = load()
    assert (s.optimizer, s.weight_decay, s.show, s.input_gradients, s.batch) == (None, 0, (), False, "mean")


def test_optimizer_by_name_takes_pytorchs_defaults():
    s = load(optimizer="adam")
    assert s.optimizer.name == "adam"
    assert {k: n.value for k, n in s.optimizer.settings.items()} == {
        "beta1": sp.Rational(9, 10),
        "beta2": sp.Rational(999, 1000),
        "eps": sp.Rational(1, 10**8),
    }
    assert s.written["beta2"].text == "0.999"


def test_optimizer_settings_as_written():
    s = load(optimizer={"name": "momentum", "beta": "0.50"}, weight_decay=0.01)
    assert s.optimizer.value("beta") == sp.Rational(1, 2) and s.written["beta"].places == 2
    assert s.weight_decay == sp.Rational(1, 100) and s.written["lam"].text == "0.01"


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(optimizer="lbfgs"), "optimizer.name: expected one of"),
        (dict(optimizer={"name": "sgd", "beta": 0.9}), "optimizer.beta: sgd takes no beta (momentum and nesterov do)"),
        (dict(optimizer={"name": "adam", "beta1": 1}), "optimizer.beta1: expected 0 <= beta1 < 1, got 1"),
        (dict(optimizer={"name": "adam", "eps": 0}), "optimizer.eps: must be positive and at most 1, got 0"),
        (dict(optimizer={"beta": 0.9}), "optimizer.name: missing"),
        (dict(weight_decay=-0.1), "weight_decay: expected 0 <= weight_decay <= 1000, got -0.1"),
        (dict(show=["before"]), "show[0]: expected one of change, after"),
        (dict(show=["after", "after"]), "show: an entry is given twice"),
        (dict(show="after"), "show: expected a list"),
        (dict(input_gradients="yes"), "input_gradients: expected true or false"),
        (dict(batch="online"), "batch: online updates need several samples"),
        (dict(batch="stochastic"), "batch: expected one of mean, sum, online"),
        (dict(learning_rate=None), "learning_rate: missing"),
        (dict(sample={"x": [1, 0]}), "sample.y: missing"),
    ],
)
def test_bad_options_name_their_field(changes, message):
    msg = error(**changes)
    assert msg.startswith("x.yaml: " + message), msg


def test_online_with_several_samples():
    s = load(batch="online", sample=None, samples=TWO)
    assert s.batch == "online" and len(s.samples) == 2


def test_loss_none_has_no_target_and_no_update():
    s = load(**NO_LOSS, input_gradients=True)
    assert s.loss == "none" and s.samples[0].y == () and s.learning_rate is None
    assert "eta" not in s.written and s.input_gradients


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(sample={"x": [1, 0], "y": [1]}), "sample.y: loss: none has no target; remove it"),
        (dict(learning_rate=0.1), "learning_rate: loss: none has no target and no update"),
        (dict(optimizer="adam"), "optimizer: loss: none has no target and no update"),
        (dict(weight_decay=0.1), "weight_decay: loss: none has no target and no update"),
        (dict(steps=3), "steps: loss: none has no target and no update"),
        (dict(show=["after"]), "show: loss: none has no update"),
        (dict(sample=None, samples=[{"x": [1, 0]}, {"x": [0, 1]}]), "samples: loss: none takes one sample"),
    ],
)
def test_loss_none_refuses_an_update(changes, message):
    msg = error(**{**NO_LOSS, **changes})
    assert msg.startswith("x.yaml: " + message), msg


def test_loss_none_needs_one_output():
    layers = [{"name": "o", "size": 2, "activation": "sigmoid"}]
    msg = error(**NO_LOSS, network={"inputs": 2, "layers": layers}, parameters={"weights": {"o": [[1, 2], [3, 4]]}})
    assert msg.startswith("x.yaml: loss: loss: none differentiates a single output node"), msg


@pytest.mark.parametrize("name", ["m_1", "v_x", "mhat_a", "vhat_b", "change_w", "x_after", "beta1", "eps", "lam"])
def test_new_names_are_reserved(name):
    assert reserved(name)
    msg = error(network={"inputs": [name, "ok"], "layers": BASE["network"]["layers"]})
    assert "network.inputs[0]" in msg and "reserved" in msg


@pytest.mark.parametrize(
    "sid", ["net_h1_after", "out_o1_after_s2", "loss_after", "m_w1", "vhat_b_h1_s3", "change_w9", "grad_x0"]
)
def test_step_ids_read_back(sid):
    assert str(StepId.parse(sid)) == sid


def test_after_only_follows_a_forward_step():
    with pytest.raises(ValueError):
        StepId.parse("grad_w1_after")


def test_cli_refuses_in_one_line(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text(text(optimizer={"name": "rmsprop", "beta1": 0.9}))
    out = tmp_path / "out.md"
    r = subprocess.run(
        [sys.executable, "-m", "derive", "walkthrough", str(spec), "-o", str(out)], capture_output=True, text=True
    )
    assert r.returncode == 2 and not out.exists()
    assert r.stderr.strip() == "derive: bad.yaml: optimizer.beta1: rmsprop takes no beta1 (adam does)"
