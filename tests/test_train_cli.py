"""derive train and derive figure from the command line."""
from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from derive.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_train_digits_sgd_meets_the_accuracy_target(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "digits", "--hidden", "32", "--loss", "cross-entropy", "--optimizer", "sgd",
                 "--epochs", "50", "-o", str(out)]) == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["test_accuracy"] >= 0.94
    assert len(s["loss_history"]) == 50 and s["loss_history"][-1] < s["loss_history"][0]
    assert s["options"]["optimizer"] == "sgd" and s["seconds"] > 0
    w, h = _png_size(out / "curves.png")
    assert w > 600 and h > 300
    assert "test accuracy 0.9" in capsys.readouterr().out


def test_train_adam_relu_meets_the_accuracy_target(tmp_path):
    assert main(["train", "digits", "--hidden", "32", "--optimizer", "adam", "--lr", "0.001",
                 "--activation", "relu", "--epochs", "50", "-o", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "summary.json").read_text())["test_accuracy"] >= 0.96


def test_compare_losses_shows_cross_entropy_ahead(tmp_path):
    assert main(["train", "digits", "--compare-losses", "--epochs", "50", "-o", str(tmp_path)]) == 0
    s = json.loads((tmp_path / "summary.json").read_text())["compare_losses"]
    assert s["cross-entropy"]["test_accuracy"] > s["mse"]["test_accuracy"] + 0.1
    _png_size(tmp_path / "curves.png")
    # the same summary redraws the comparison
    assert main(["figure", "curves", "--summary", str(tmp_path / "summary.json"), "-o", str(tmp_path / "c.svg")]) == 0
    assert b"cross-entropy reached the higher" in (tmp_path / "c.svg").read_bytes()


def test_train_a_spec_network(tmp_path, capsys):
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
    assert main(["train", str(spec), "--data", "xor", "--optimizer", "adam", "--lr", "0.02", "--epochs", "200",
                 "-o", str(tmp_path / "o")]) == 0
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["test_accuracy"] > 0.85


@pytest.mark.parametrize("argv, expect", [
    (["train", "mnist"], "neither a dataset"),
    (["train", "digits", "--hidden", "0"], "--hidden"),
    (["train", "digits", "--optimizer", "rmsprop"], "invalid choice"),
    (["train", "digits", "--lr", "-1"], "--lr"),
    (["train", str(ROOT / "worked" / "softmax.yaml"), "--data", "digits"], "64 features"),
    (["train", str(ROOT / "worked" / "softmax.yaml"), "--data", "blobs"], "3 outputs but blobs has 2 classes"),
    (["figure", "spiral"], "unknown kind"),
    (["figure", "boundary", "--dataset", "xor"], ".gif"),
])
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
    assert main(["train", "xor", "--hidden", "8", "--optimizer", "adam", "--lr", "0.01", "--activation", "tanh",
                 "--epochs", "100"]) == 0
    assert "test accuracy" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []
