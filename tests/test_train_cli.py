"""derive train and derive figure from the command line."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from derive.cli import main

ROOT = Path(__file__).resolve().parent.parent
WORKED = ROOT / "worked"


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text())


def test_train_digits_sgd_meets_the_accuracy_target(tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "digits",
                "--hidden",
                "32",
                "--loss",
                "cross-entropy",
                "--optimizer",
                "sgd",
                "--epochs",
                "50",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    s = _summary(out)
    assert s["test_accuracy"] >= 0.94
    assert len(s["loss_history"]) == 50 and s["loss_history"][-1] < s["loss_history"][0]
    assert s["optimizer"] == "sgd" and s["seconds"] > 0
    w, h = _png_size(out / "curves.png")
    assert w > 600 and h > 300
    assert "test accuracy 0.9" in capsys.readouterr().out


def test_a_data_set_keeps_todays_defaults(tmp_path):
    assert main(["train", "blobs", "--epochs", "2", "-o", str(tmp_path)]) == 0
    s = _summary(tmp_path)
    assert {
        k: s[k]
        for k in (
            "dataset",
            "spec",
            "layer_sizes",
            "activations",
            "bias_modes",
            "loss",
            "learning_rate",
            "optimizer",
            "optimizer_settings",
            "epochs",
            "batch",
            "seed",
            "dtype",
            "init",
        )
    } == {
        "dataset": "blobs",
        "spec": None,
        "layer_sizes": [2, 32, 2],
        "activations": ["sigmoid", "softmax"],
        "bias_modes": ["neuron", "neuron"],
        "loss": "cross-entropy",
        "learning_rate": 0.1,
        "optimizer": "sgd",
        "optimizer_settings": {},
        "epochs": 2,
        "batch": 32,
        "seed": 0,
        "dtype": "float64",
        "init": "auto",
    }


@pytest.mark.parametrize("loss", ["bce", "half-sse", "sse", "mse", "half-mse"])
def test_every_loss_on_a_data_set_gets_a_sigmoid_output(tmp_path, loss):
    assert main(["train", "blobs", "--loss", loss, "--lr", "0.5", "--epochs", "10", "-o", str(tmp_path)]) == 0
    s = _summary(tmp_path)
    assert s["loss"] == loss and s["activations"] == ["sigmoid", "sigmoid"] and s["test_accuracy"] == 1.0


def test_train_adam_relu_meets_the_accuracy_target(tmp_path):
    assert (
        main(
            [
                "train",
                "digits",
                "--hidden",
                "32",
                "--optimizer",
                "adam",
                "--lr",
                "0.001",
                "--activation",
                "relu",
                "--epochs",
                "50",
                "-o",
                str(tmp_path),
            ]
        )
        == 0
    )
    s = _summary(tmp_path)
    assert s["test_accuracy"] >= 0.96
    assert s["optimizer_settings"] == {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8} and s["init"] == "auto"


def test_compare_losses_shows_cross_entropy_ahead(tmp_path):
    assert main(["train", "digits", "--compare-losses", "--epochs", "50", "-o", str(tmp_path)]) == 0
    s = _summary(tmp_path)["compare_losses"]
    assert s["cross-entropy"]["test_accuracy"] > s["mse"]["test_accuracy"] + 0.1
    assert s["mse"]["activations"] == ["sigmoid", "sigmoid"] and s["cross-entropy"]["activations"][-1] == "softmax"
    _png_size(tmp_path / "curves.png")
    # the same summary redraws the comparison
    assert main(["figure", "curves", "--summary", str(tmp_path / "summary.json"), "-o", str(tmp_path / "c.svg")]) == 0
    assert b"cross-entropy reached the higher" in (tmp_path / "c.svg").read_bytes()


# --------------------------------------------------------------------------- a spec's network

TANH_SPEC = """
network:
  inputs: 2
  layers:
    - {name: h, size: 2, activation: tanh, bias: shared}
    - {name: o, size: 2, activation: softmax, bias: neuron, train_bias: false}
loss: cross-entropy
parameters:
  weights: {h: [[0.5, -0.4], [0.3, 0.8]], o: [[0.2, -0.1], [-0.3, 0.5]]}
  biases: {h: 0.1, o: [0.05, -0.05]}
sample: {x: [1, 0], y: 1}
learning_rate: 0.5
"""


def _spec(tmp_path, text=TANH_SPEC, name="net.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_spec_is_trained_as_written(tmp_path, capsys):
    """eta = 0.5 and 2 tanh units with a shared bias and a frozen output bias: that network
    is trained (the run equals training the spec's own network with its own rate), and
    summary.json says so."""
    from derive.train import TrainOptions, network_from_spec, train
    from derive.train.datasets import load

    spec = _spec(tmp_path)
    assert main(["train", str(spec), "--data", "xor", "--epochs", "5", "-o", str(tmp_path / "o")]) == 0
    s = _summary(tmp_path / "o")
    assert {
        k: s[k]
        for k in (
            "dataset",
            "spec",
            "layer_sizes",
            "activations",
            "bias_modes",
            "train_bias",
            "loss",
            "reduction",
            "learning_rate",
            "optimizer",
            "epochs",
            "batch",
            "seed",
            "dtype",
            "init",
        )
    } == {
        "dataset": "xor",
        "spec": str(spec),
        "layer_sizes": [2, 2, 2],
        "activations": ["tanh", "softmax"],
        "bias_modes": ["shared", "neuron"],
        "train_bias": [True, False],
        "loss": "cross-entropy",
        "reduction": "mean",
        "learning_rate": 0.5,
        "optimizer": "sgd",
        "epochs": 5,
        "batch": 32,
        "seed": 0,
        "dtype": "float64",
        "init": "from the spec",
    }
    data = load("xor")
    _, hist = train(data, TrainOptions(loss="cross-entropy", lr=0.5, epochs=5), network=network_from_spec(spec, data))
    assert s["loss_history"] == hist.loss and s["test_accuracy"] == hist.test_accuracy[-1]
    assert "net.yaml on xor (2-2-2, tanh/softmax, cross-entropy, sgd lr 0.5)" in capsys.readouterr().out


def test_options_given_override_the_spec(tmp_path):
    spec = _spec(tmp_path)
    assert (
        main(
            [
                "train",
                str(spec),
                "--data",
                "xor",
                "--lr",
                "0.05",
                "--loss",
                "half-mse",
                "--activation",
                "relu",
                "--init",
                "xavier",
                "--optimizer",
                "momentum",
                "--epochs",
                "3",
                "--batch",
                "16",
                "--seed",
                "2",
                "--dtype",
                "float32",
                "-o",
                str(tmp_path / "o"),
            ]
        )
        == 0
    )
    s = _summary(tmp_path / "o")
    assert (
        s["learning_rate"],
        s["loss"],
        s["activations"],
        s["init"],
        s["optimizer"],
        s["optimizer_settings"],
        s["epochs"],
        s["batch"],
        s["seed"],
        s["dtype"],
    ) == (0.05, "half-mse", ["relu", "softmax"], "xavier", "momentum", {"momentum": 0.9}, 3, 16, 2, "float32")
    assert s["layer_sizes"] == [2, 2, 2] and s["bias_modes"] == ["shared", "neuron"]  # still the spec's


def test_a_spec_with_one_sigmoid_output_and_a_summed_batch(tmp_path):
    text = (WORKED / "batch.yaml").read_text()
    assert "batch: mean" in text
    spec = _spec(tmp_path, text.replace("batch: mean", "batch: sum"), "sum.yaml")
    assert main(["train", str(spec), "--data", "moons", "--epochs", "3", "-o", str(tmp_path / "o")]) == 0
    s = _summary(tmp_path / "o")
    assert s["layer_sizes"] == [2, 2, 1] and s["loss"] == "half-sse" and s["reduction"] == "sum"
    assert s["learning_rate"] == 0.5 and s["bias_modes"] == ["none", "none"]


def test_train_a_spec_network(tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text("""
network: {inputs: 2, layers: [{name: h, size: 4, activation: tanh, bias: neuron},
                              {name: o, size: 2, activation: softmax, bias: neuron}]}
loss: cross-entropy
parameters:
  weights: {h: [[0.5, -0.4], [0.3, 0.8], [-0.6, 0.2], [0.1, -0.9]], o: [[0.2, -0.1, 0.4, 0.3], [-0.3, 0.5, -0.2, 0.1]]}
  biases: {h: [0, 0, 0, 0], o: [0, 0]}
sample: {x: [1, 0], y: 1}
learning_rate: 0.1
""")
    assert (
        main(
            [
                "train",
                str(spec),
                "--data",
                "xor",
                "--optimizer",
                "adam",
                "--lr",
                "0.02",
                "--epochs",
                "200",
                "-o",
                str(tmp_path / "o"),
            ]
        )
        == 0
    )
    s = _summary(tmp_path / "o")
    assert s["test_accuracy"] > 0.85 and s["learning_rate"] == 0.02


def test_train_through_a_subprocess(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "derive.cli",
            "train",
            str(WORKED / "bce.yaml"),
            "--data",
            "moons",
            "--epochs",
            "5",
            "-o",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    s = _summary(tmp_path / "o")
    assert (s["layer_sizes"], s["activations"], s["loss"], s["learning_rate"]) == (
        [2, 2, 1],
        ["leaky-relu", "sigmoid"],
        "bce",
        0.2,
    )
    assert s["leaky_relu_alpha"] == [0.1, None]
    bad = subprocess.run(
        [sys.executable, "-m", "derive.cli", "train", str(WORKED / "softmax.yaml"), "--data", "blobs"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "softmax.yaml: network.layers[1].size: the network has 3 outputs but blobs has 2 classes" in bad.stderr


SOFTMAX = str(WORKED / "softmax.yaml")


@pytest.mark.parametrize(
    "argv, expect",
    [
        (["train", "mnist"], "neither a data set"),
        (["train", "digits", "--hidden", "0"], "--hidden"),
        (["train", "digits", "--optimizer", "lion"], "invalid choice"),
        (["train", "digits", "--loss", "hinge"], "invalid choice"),
        (["train", "digits", "--lr", "-1"], "--lr"),
        (["train", "digits", "--data", "xor"], "--data is for a spec file"),
        (
            ["train", SOFTMAX, "--data", "digits"],
            "softmax.yaml: network.inputs: the network has 2 inputs but digits has 64 features",
        ),
        (
            ["train", SOFTMAX, "--data", "blobs"],
            "softmax.yaml: network.layers[1].size: the network has 3 outputs but blobs has 2 classes",
        ),
        (["train", SOFTMAX], "network.inputs"),  # the digits by default
        (["train", SOFTMAX, "--data", "mnist"], "--data: unknown data set 'mnist'"),
        (["train", str(WORKED / "tanh.yaml"), "--data", "xor"], "tanh.yaml: network.layers[1].activation:"),
        (["train", str(WORKED / "relu.yaml"), "--data", "xor"], "relu.yaml: network.layers[1].activation:"),
        (["train", SOFTMAX, "--data", "xor", "--loss", "bce"], "--loss bce: bce needs a sigmoid output layer"),
        (["train", str(WORKED / "bce.yaml"), "--data", "xor", "--loss", "cross-entropy"], "--loss cross-entropy: "),
        (["train", SOFTMAX, "--data", "xor", "--hidden", "8"], "--hidden: the layer sizes come from the spec"),
        (["train", SOFTMAX, "--data", "xor", "--compare-losses"], "--compare-losses"),
        (["figure", "spiral"], "unknown kind"),
        (["figure", "boundary", "--dataset", "xor"], ".gif"),
    ],
)
def test_bad_training_options_are_one_line(tmp_path, capsys, argv, expect):
    target = "x.gif" if argv[0] == "figure" else "out"
    assert main([*argv, "-o", str(tmp_path / target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expect in err
    assert not (tmp_path / "out" / "summary.json").exists()


@pytest.mark.parametrize("kind, suffix", [("tangent", "png"), ("surface", "svg"), ("boundary", "pdf")])
def test_figure_command(tmp_path, kind, suffix):
    out = tmp_path / f"{kind}.{suffix}"
    assert main(["figure", kind, "-o", str(out)]) == 0
    assert out.stat().st_size > 5000


def test_train_without_an_output_folder_only_prints(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert (
        main(
            [
                "train",
                "xor",
                "--hidden",
                "8",
                "--optimizer",
                "adam",
                "--lr",
                "0.01",
                "--activation",
                "tanh",
                "--epochs",
                "100",
            ]
        )
        == 0
    )
    assert "test accuracy" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_train_keeps_the_spec_weights_it_was_given(tmp_path):
    """The spec's starting weights are the network's (read through Spec.iter_parameters,
    whatever the naming): one full-batch step moves them by lr times the gradient."""
    from derive.model.spec import load_spec
    from derive.train import gradients, network_from_spec
    from derive.train.datasets import load

    spec = load_spec(WORKED / "shared-bias.yaml")  # neuron-major names, fixed shared biases
    net = network_from_spec(spec)
    for p in spec.iter_parameters():
        W, b = net.weights[p.layer]
        got = W[p.nodes[0], p.k] if p.kind == "weight" else b[list(p.nodes)]
        assert np.all(got == float(p.value))
    assert (
        main(
            [
                "train",
                str(WORKED / "shared-bias.yaml"),
                "--data",
                "xor",
                "--epochs",
                "1",
                "--batch",
                "1000",
                "--lr",
                "0.5",
                "-o",
                str(tmp_path),
            ]
        )
        == 0
    )
    data = load("xor")
    g = gradients(net, data.X_train, data.y_train, "half-sse")
    first = net.loss(data.X_train, data.y_train, "half-sse")
    assert _summary(tmp_path)["loss_history"][0] == pytest.approx(first, rel=1e-12)
    assert any(np.abs(dW).max() > 0 for dW, _ in g)
