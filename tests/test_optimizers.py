"""Optimizers worked by hand (issue 13): the step graph, the NumPy oracle and PyTorch's
documented update rules, written out below as a plain loop in Python floats, agree.

The reference is torch.optim's documentation, as formulas (no PyTorch needed):
SGD with momentum mu and dampening 0: b_1 = g_1, b_t = mu b_{t-1} + g_t; p -= lr b_t, or with
nesterov p -= lr (g_t + mu b_t). RMSprop (alpha, centered False): v_t = alpha v_{t-1} +
(1 - alpha) g_t^2, p -= lr g_t / (sqrt(v_t) + eps). Adam (amsgrad False): m_t = b1 m + (1 - b1)
g, v_t = b2 v + (1 - b2) g^2, p -= lr (m_t / (1 - b1^t)) / (sqrt(v_t / (1 - b2^t)) + eps).
Weight decay lam adds lam * w to a weight's gradient (L2: J + lam/2 sum w^2; the biases are
not decayed, the textbook convention).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from derive.graph import optimizers
from derive.graph.builder import derive
from derive.model.spec import load_spec, load_spec_text
from derive.verify import rules
from derive.verify.three_way import VerificationError, verify

ROOT = Path(__file__).resolve().parent.parent
X, Y = (0.5, -0.3), 0.8
W0, B0, LR = (0.4, -0.2), 0.1, 0.3
SETTINGS = {
    "sgd": {},
    "momentum": {"beta": 0.9},
    "nesterov": {"beta": 0.8},
    "rmsprop": {"rho": 0.9, "eps": 1e-8},
    "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
}


def spec_text(name: str, steps: int, lam: float) -> str:
    opt = "{name: %s%s}" % (name, "".join(f", {k}: {v}" for k, v in SETTINGS[name].items()))
    return f"""
network:
  inputs: [x1, x2]
  layers:
    - {{name: o, size: 1, activation: sigmoid, bias: neuron}}
loss: half-sse
parameters:
  weights: {{o: [[{W0[0]}, {W0[1]}]]}}
  biases: {{o: [{B0}]}}
sample: {{x: [{X[0]}, {X[1]}], y: [{Y}]}}
learning_rate: {LR}
optimizer: {opt}
weight_decay: {lam}
steps: {steps}
"""


def torch_reference(name: str, steps: int, lam: float, bias_correction: bool = True) -> list[list[float]]:
    """[w1, w2, b] before step 1 and after every step, by PyTorch's documented rules."""
    s = SETTINGS[name]
    p = [W0[0], W0[1], B0]
    buf, sq, m = [0.0] * 3, [0.0] * 3, [0.0] * 3
    rows = [list(p)]
    for t in range(1, steps + 1):
        out = 1 / (1 + math.exp(-(p[0] * X[0] + p[1] * X[1] + p[2])))
        delta = (out - Y) * out * (1 - out)  # half-sse after a sigmoid
        grads = [delta * X[0] + lam * p[0], delta * X[1] + lam * p[1], delta]
        for i, g in enumerate(grads):
            if name == "sgd":
                p[i] -= LR * g
            elif name in ("momentum", "nesterov"):
                buf[i] = g if t == 1 else s["beta"] * buf[i] + g
                p[i] -= LR * (buf[i] if name == "momentum" else g + s["beta"] * buf[i])
            elif name == "rmsprop":
                sq[i] = s["rho"] * sq[i] + (1 - s["rho"]) * g * g
                p[i] -= LR * g / (math.sqrt(sq[i]) + s["eps"])
            else:
                m[i] = s["beta1"] * m[i] + (1 - s["beta1"]) * g
                sq[i] = s["beta2"] * sq[i] + (1 - s["beta2"]) * g * g
                c1, c2 = (1 - s["beta1"] ** t, 1 - s["beta2"] ** t) if bias_correction else (1, 1)
                p[i] -= LR * (m[i] / c1) / (math.sqrt(sq[i] / c2) + s["eps"])
        rows.append(list(p))
    return rows


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b)) + 1e-15


def _agree(rows, reference) -> bool:
    return all(_close(a, b) for r, q in zip(rows, reference, strict=True) for a, b in zip(r, q, strict=True))


@pytest.mark.parametrize("lam", [0, 0.05])
@pytest.mark.parametrize("name", list(SETTINGS))
def test_graph_oracle_and_pytorch_rules_agree_over_ten_steps(name, lam):
    g = derive(load_spec_text(spec_text(name, 10, lam), "opt.yaml"))
    assert g["new_w1_t10"].update == 9  # all ten worked by hand
    report = verify(g)  # the oracle: every step and the loss history (raises on disagreement)
    ours = [[row["w1"], row["w2"], row["b_o1"]] for row in report.param_history]
    assert len(ours) == 11 and _agree(ours, torch_reference(name, 10, lam))
    graph_rows = [
        [float(g[f"new_{p}" + ("" if t == 1 else f"_t{t}")].exact) for p in ("w1", "w2", "b_o1")] for t in range(1, 11)
    ]
    assert _agree(graph_rows, torch_reference(name, 10, lam)[1:])


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_beyond_the_unrolling_limit_the_compiled_history_carries_the_state(name, monkeypatch):
    monkeypatch.setattr(optimizers, "UNROLL", 3)
    g = derive(load_spec_text(spec_text(name, 10, 0.05), "opt.yaml"))
    assert not any(st.update for st in g)  # step 1 by hand, the rest from the compiled graph
    report = verify(g)
    ours = [[row["w1"], row["w2"], row["b_o1"]] for row in report.param_history]
    assert _agree(ours, torch_reference(name, 10, 0.05))


def test_the_reference_check_can_fail():
    """Adam without its bias correction (the seed essay's formula) is another optimizer."""
    assert not _agree(torch_reference("adam", 10, 0), torch_reference("adam", 10, 0, bias_correction=False))


def test_an_oracle_without_bias_correction_fails_verification(monkeypatch):
    real = rules.quantities

    def uncorrected(name, g, state, t, s, lr):
        return real(name, g, state, 1, s, lr)  # bias correction of step 1 at every step

    monkeypatch.setattr(rules, "quantities", uncorrected)
    with pytest.raises(VerificationError, match="mhat_w1_t2|vhat_w1_t2"):
        verify(derive(load_spec_text(spec_text("adam", 3, 0), "opt.yaml")))


def test_first_steps_follow_pytorchs_initialisation():
    g = derive(load_spec_text(spec_text("momentum", 2, 0), "opt.yaml"))
    assert g["m_w1"].formula == g["grad_w1"].symbol  # the buffer starts as the gradient
    assert str(g["m_w1_t2"].formula) == "beta*m_w1 + grad_w1_t2"
    a = derive(load_spec_text(spec_text("adam", 1, 0), "opt.yaml"))
    assert [st.id for st in a if st.param == "w1" and st.kind != "grad"] == [
        "m_w1",
        "v_w1",
        "mhat_w1",
        "vhat_w1",
        "new_w1",
    ]


def test_weight_decay_is_in_the_loss_and_every_weights_gradient_not_the_biases():
    g = derive(load_spec_text(spec_text("sgd", 1, 0.05), "opt.yaml"))
    assert "lam" in str(g["loss"].formula) and "lam*w1" in str(g["grad_w1"].formula)
    assert "lam" not in str(g["grad_b_o1"].formula)
    report = verify(g)
    assert report.n_gradients == 3  # finite differences of the same J agree with the full gradient


def test_a_worksheet_of_an_adam_spec_blanks_its_steps_and_the_checker_marks_them():
    from derive.present.worksheet import worksheet_files
    from derive.teach.marking import Checker
    from derive.teach.worksheet import build_worksheet

    spec = load_spec(ROOT / "worked" / "adam.yaml")
    ws = build_worksheet(spec, "adam", variants=1, seed=7, blanks="m_w1,new_w1")
    files = worksheet_files(ws)
    key = next(text for name, text in files.items() if name.endswith("-key.md"))
    assert key.count(r"\boxed{") == 2 and r"m_{w_{1}}" in key
    checker = Checker(spec, "adam")
    g = checker.graph_for(None)
    right = {"m_w1": f"{float(g['m_w1'].value):.6f}", "new_w1": f"{float(g['new_w1'].value):.6f}"}
    r = checker.mark(right)
    assert r.steps["m_w1"].verdict == "correct" and r.steps["new_w1"].verdict == "correct"
    r = checker.mark({**right, "m_w1": "0.5"})
    assert r.steps["m_w1"].verdict == "wrong"


def test_step_ids_of_unrolled_steps_and_reserved_suffixes():
    from derive.model.names import StepId, reserved

    assert StepId.parse("new_w1_t3") == StepId("new", "w1", update=2)
    assert str(StepId("m", "w1", sample=1, update=1)) == "m_w1_s2_t2"
    with pytest.raises(ValueError):
        StepId.parse("m_w1_t1")  # the first step has no suffix
    assert reserved("x_t2") and not reserved("xt2")
    g = derive(load_spec(ROOT / "worked" / "adam.yaml"))
    assert all(StepId.parse(st.id) == st.sid for st in g)  # the id and the step's parts agree


@pytest.mark.parametrize(
    "change, message",
    [
        ("optimizer: {name: adam, beta: 0.9}", "optimizer.beta: adam takes no beta"),
        ("optimizer: {name: lion}", "optimizer"),
        ("weight_decay: -1", "weight_decay"),
        ("show: [changes]", "show[0]"),
    ],
)
def test_bad_optimizer_input_is_one_line_naming_the_field(tmp_path, capsys, change, message):
    from derive.cli import main

    text = spec_text("sgd", 1, 0).replace("optimizer: {name: sgd}", change)
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["walkthrough", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.yaml" in err and message in err, err


@pytest.mark.parametrize("name", ["momentum", "nesterov", "rmsprop", "adam"])
def test_the_training_core_follows_pytorchs_rules(name):
    """derive train's optimizers on the gradient of sum(theta^2), against the plain loop."""
    import numpy as np

    from derive.train.optimizers import optimizer
    from derive.train.options import TrainOptions

    s = SETTINGS[name]
    opts = TrainOptions(
        optimizer=name, lr=0.1, momentum=s.get("beta", 0.9), rho=s.get("rho", 0.99), eps=s.get("eps", 1e-8)
    )
    theta, G = np.array([1.0, -2.0]), np.zeros(2)
    scale, step = optimizer(opts, theta, G)
    ref, buf, sq, m = [1.0, -2.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]
    for t in range(1, 11):
        G[:] = scale * 2 * theta
        step()
        for i in range(2):
            g = 2 * ref[i]
            if name in ("momentum", "nesterov"):
                buf[i] = g if t == 1 else opts.momentum * buf[i] + g
                ref[i] -= 0.1 * (buf[i] if name == "momentum" else g + opts.momentum * buf[i])
            elif name == "rmsprop":
                sq[i] = opts.rho * sq[i] + (1 - opts.rho) * g * g
                ref[i] -= 0.1 * g / (math.sqrt(sq[i]) + opts.eps)
            else:
                m[i] = 0.9 * m[i] + 0.1 * g
                sq[i] = 0.999 * sq[i] + 0.001 * g * g
                ref[i] -= 0.1 * (m[i] / (1 - 0.9**t)) / (math.sqrt(sq[i] / (1 - 0.999**t)) + 1e-8)
    assert _agree([theta.tolist()], [ref])


def test_show_change_with_an_optimizer_puts_the_change_before_new():
    text = spec_text("adam", 2, 0.05) + "show: [change]\n"
    g = derive(load_spec_text(text, "opt.yaml"))
    ids = [st.id for st in g if st.param == "w1" and st.update is None]
    assert ids[-2:] == ["change_w1", "new_w1"] and str(g["new_w1"].formula) == "change_w1 + w1"
    assert str(g["new_w1_t2"].formula) == "change_w1_t2 + new_w1"
    report = verify(g)  # change steps compared with the oracle's own new - old
    assert report.ok and "change_w1_t2" in report.ids


def test_rounded_carry_with_an_optimizer_must_be_worked_by_hand(tmp_path, capsys):
    from derive.cli import main

    path = tmp_path / "long.yaml"
    path.write_text(spec_text("adam", 100, 0) + "rounding: {decimals: 4, carry: rounded}\n", encoding="utf-8")
    assert main(["walkthrough", str(path)]) == 2
    err = capsys.readouterr().err
    assert "long.yaml" in err and "steps" in err and "carry: rounded" in err


def test_json_param_history_is_every_step_and_the_verified_one(tmp_path):
    import json

    from derive.present.render import render_json
    from derive.present.walkthrough import Walkthrough

    wt = Walkthrough(load_spec_text(spec_text("rmsprop", 4, 0.05), "opt.yaml"))
    data = json.loads(render_json(wt))
    assert len(data["param_history"]) == 5 and data["param_history"][0] == {"w1": 0.4, "w2": -0.2, "b_o1": 0.1}
    assert _agree([[r["w1"], r["w2"], r["b_o1"]] for r in data["param_history"]], torch_reference("rmsprop", 4, 0.05))
    md = wt.markdown()
    assert "The parameters before training and after each step:" in md and r"| 4 | $" in md
