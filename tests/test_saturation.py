"""Saturated outputs and values beyond float64 (issue 12, finding 8).

bce at a net of -1000 with target 1: dJ/dout is -1.97e434, which float64 can only call -inf;
two infinities agreeing must not read "verified", and JSON must not hold -Infinity. At a net
of +1000 with target 0 the true loss is about 1000 (1 - sigma(1000) must not cancel to 0).
Weights of 1e308 overflow float64, which is what the report must say, not that
verification failed.
"""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.cli import main
from derive.graph.builder import derive
from derive.graph.functions import LOSSES, sigma, softplus
from derive.model.spec import SpecError, load_spec_text
from derive.verify import kernels
from derive.verify.three_way import verify

ROOT = Path(__file__).resolve().parent.parent


def one_output(weight: str, target: int, loss: str = "bce", act: str = "sigmoid", extra: str = "") -> str:
    return (
        "network:\n  inputs: 1\n  layers:\n"
        f"    - {{name: o, size: 1, activation: {act}}}\n"
        f"loss: {loss}\nparameters:\n  weights: {{o: [[{weight}]]}}\n"
        f"sample: {{x: [1], y: [{target}]}}\nlearning_rate: 0.1\n{extra}"
    )


#: Two weights of 1e308 into an identity output: the net is 2e308, beyond float64.
OVERFLOW = """\
network:
  inputs: 2
  layers:
    - {name: o, size: 1, activation: identity}
loss: half-sse
parameters:
  weights: {o: [[1e308, 1e308]]}
sample: {x: [1, 1], y: [1]}
learning_rate: 0.1
"""


def _strict_json(text: str):
    def refuse(name):
        raise AssertionError(f"JSON holds {name}")

    return json.loads(text, parse_constant=refuse)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _run(capsys, argv: list[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


# ---- bce at a net of -1000, target 1


def test_verify_does_not_call_two_infinities_verified(tmp_path, capsys):
    path = _write(tmp_path, "low.yaml", one_output("-1000", 1))
    status, out, err = _run(capsys, ["verify", str(path)])
    assert status == 0 and err == ""
    assert "verified: all three agree" not in out
    assert "checked: all three agree on the values float64 can hold; 1 was not compared" in out
    row = next(line for line in out.splitlines() if line.startswith("dloss_dout_o1"))
    assert "-1.970071114017047e+434" in row and "not comp." in row
    assert "dloss_dout_o1 = -1.970071114017047e+434" in out  # the note, from the exact value


def test_the_saturated_values_are_the_true_ones():
    g = derive(load_spec_text(one_output("-1000", 1), "low.yaml"))
    true_loss = mpmath.log1p(mpmath.exp(1000))  # -log sigma(-1000) = softplus(1000)
    assert abs(float(g["loss"].exact) - float(true_loss)) < 1e-9
    assert math.isclose(float(g["dloss_dout_o1"].exact / -(1 + sp.exp(sp.Integer(1000)).evalf(60))), 1, rel_tol=1e-40)
    assert float(g["delta_o1"].exact) == pytest.approx(-1.0, abs=1e-300)


def test_json_of_a_saturated_walkthrough_holds_no_infinity(tmp_path, capsys):
    path = _write(tmp_path, "low.yaml", one_output("-1000", 1))
    status, out, err = _run(capsys, ["walkthrough", str(path), "--format", "json"])
    assert status == 0, err
    data = _strict_json(out)
    assert data["values"]["dloss_dout_o1"] == "-1.970071114017047e+434"
    assert data["values"]["out_o1"] == "5.075958897549457e-435"  # not 0.0: float64 would lose it
    assert data["values"]["loss"] == pytest.approx(1000.0)
    assert data["not_compared"] == {"dloss_dout_o1": "beyond float64"}
    assert data["verified"] is True


def test_the_markdown_shows_the_exact_values_in_scientific_notation(tmp_path, capsys):
    path = _write(tmp_path, "low.yaml", one_output("-1000", 1))
    status, out, _ = _run(capsys, ["walkthrough", str(path)])
    assert status == 0
    assert r"\sigma\left(-1000\right) = 5.08 \times 10^{-435}" in out
    assert r"&= -1.97 \times 10^{434}" in out
    assert "0.00 \\times 10^{0}" not in out and not re.search(r"\d{40}", out)
    assert "except 1 value beyond the range of floating point" in out.splitlines()[2]


def test_a_worksheet_of_a_saturated_spec_writes_strict_json(tmp_path, capsys):
    path = _write(tmp_path, "low.yaml", one_output("-1000", 1))
    out = tmp_path / "out"
    status, _, err = _run(capsys, ["worksheet", str(path), "--variant", "low-d2-s0-v00", "-o", str(out)])
    assert status == 0, err
    manifest = _strict_json((out / "worksheet.json").read_text(encoding="utf-8"))
    assert manifest["variants"][0]["key"]["dloss_dout_o1"] == "-1.970071114017047e+434"
    answers = _write(tmp_path, "a.yaml", "variant: low-d2-s0-v00\nloss: 1000\n")
    status, stdout, err = _run(capsys, ["check", "--worksheet", str(out / "worksheet.json"), str(answers)])
    assert status == 0, err  # the manifest, with its string, reads back


def test_check_json_holds_no_infinity(tmp_path, capsys):
    path = _write(tmp_path, "low.yaml", one_output("-1000", 1))
    answers = _write(tmp_path, "a.yaml", "loss: 1000\ndloss_dout_o1: -1.97e434\n")
    status, out, err = _run(capsys, ["check", str(path), str(answers), "--format", "json"])
    assert status == 0, err
    assert "Infinity" not in out
    data = _strict_json(out)
    assert data["steps"]["dloss_dout_o1"]["expected"] == "-1.970071114017047e+434"
    assert data["steps"]["loss"]["expected"] == pytest.approx(1000.0)


# ---- bce at a net of +1000, target 0


@pytest.mark.parametrize("extra", ["", "steps: 5\n", "rounding: {decimals: 3, carry: rounded}\n"])
def test_net_plus_1000_target_0_gives_the_true_loss(extra, tmp_path, capsys):
    path = _write(tmp_path, "high.yaml", one_output("1000", 0, extra=extra))
    status, out, err = _run(capsys, ["verify", str(path)])
    assert status == 0, err
    assert "zoo" not in out + err and "NOT VERIFIED" not in out
    loss = next(line for line in out.splitlines() if line.startswith("loss "))
    assert float(loss.split()[1]) == pytest.approx(1000.0)
    status, out, err = _run(capsys, ["walkthrough", str(path), "--format", "json"])
    data = _strict_json(out)
    assert data["values"]["loss"] == pytest.approx(1000.0)
    assert all(isinstance(v, float) and math.isfinite(v) for v in data["loss_history"])
    assert data["loss_history"][1] == pytest.approx(999.9, rel=1e-6)  # the loss after the update


def test_a_moderately_saturated_output_is_verified(tmp_path, capsys):
    """At a net of 40, 1 - sigma(40) rounds to 0 in float64: dJ/dout = 1 + e^40 must come
    from the logit, or NumPy's inf disagrees with SymPy's 2.35e17 (a false failure)."""
    path = _write(tmp_path, "forty.yaml", one_output("40", 0))
    status, out, _ = _run(capsys, ["verify", str(path)])
    assert status == 0 and out.rstrip().endswith("verified: all three agree")


# ---- values beyond float64


def test_weights_of_1e308_report_float64_overflow_not_a_failure(tmp_path, capsys):
    path = _write(tmp_path, "overflow.yaml", OVERFLOW)
    status, out, err = _run(capsys, ["verify", str(path)])
    assert status == 0, out + err
    assert "NOT VERIFIED" not in out and "verified: all three agree" not in out
    assert "net_o1 = 2.0e+308" in out and "loss = 2.0e+616" in out
    assert "new_w1 (NumPy gives -inf)" in out  # 1e308 - 0.1 * 2e308 = 8e307: float64 lost it on the way
    assert "The loss is beyond float64 from the start" in out
    status, out, err = _run(capsys, ["walkthrough", str(path), "--format", "json"])
    data = _strict_json(out)
    assert data["values"]["loss"] == "2.0e+616" and data["values"]["new_w1"] == pytest.approx(8e307)
    assert data["loss_history"][0] == "2.0e+616"
    status, out, err = _run(capsys, ["walkthrough", str(path)])
    assert r"&= 2 \times 10^{308}" in out and not re.search(r"\d{40}", out)


def test_a_number_beyond_float64_in_a_spec_is_refused(tmp_path, capsys):
    path = _write(tmp_path, "huge.yaml", OVERFLOW.replace("1e308, 1e308", "1e400, 1"))
    status, _, err = _run(capsys, ["verify", str(path)])
    assert status == 2 and err.count("\n") == 1
    assert "huge.yaml: parameters.weights.o[0][0]: 1e400 is beyond float64" in err


@pytest.mark.parametrize(
    "text",
    [
        one_output("1e308", 0),  # sigma(1e308): 1 - out is about 10^(-4e307)
        (ROOT / "worked" / "softmax.yaml").read_text().replace("o: [[0.5, -0.3]", "o: [[1e308, -0.3]"),
    ],
    ids=["bce", "softmax"],
)
def test_values_no_page_can_show_are_refused_in_one_line_by_the_step(text, tmp_path, capsys):
    path = _write(tmp_path, "absurd.yaml", text)
    start = time.perf_counter()
    status, out, err = _run(capsys, ["walkthrough", str(path)])
    assert time.perf_counter() - start < 30  # (rendering such a number used to hang)
    assert status == 2 and out == "" and err.count("\n") == 1
    assert re.search(r"absurd\.yaml: \w+: about 10\^\(-?[\d.]+e\+\d+\), beyond the 10\^±1000", err), err


# ---- the stable forms are the same numbers


def test_the_logit_forms_are_the_loss_and_its_derivatives():
    net, y = sp.symbols("net y", real=True)
    loss = LOSSES["bce"]
    stable_loss, (dloss,), (delta,) = loss.logit_forms([net], [y])
    out = sigma(net)
    for form, direct in (
        (stable_loss, loss.expr([out], [y])),
        (dloss, loss.derivative([out], [y], 0)),
        (delta, loss.derivative([out], [y], 0) * out * (1 - out)),
    ):
        for n, t in ((sp.Rational(-3, 7), sp.Rational(1, 4)), (sp.Integer(2), sp.Integer(1)), (sp.Rational(9, 2), 0)):
            a = form.subs({net: n, y: t}).rewrite(sp.exp).evalf(60)
            b = direct.subs({net: n, y: t}).rewrite(sp.exp).evalf(60)
            assert abs(a - b) < sp.Float(10) ** -50 * max(1, abs(b)), (form, n, t)
    assert softplus in {type(a) for a in stable_loss.atoms(sp.Function)}


@settings(max_examples=200, deadline=None)
@given(st.floats(-700, 700), st.sampled_from([0.0, 1.0, 0.25]))
def test_the_float_kernel_of_bce_dj_dout_is_exact_to_float_precision(z, y):
    got = float(kernels.dloss_dout("bce", None, np.array([[y]]), z=np.array([[z]]))[0, 0])
    mpmath.mp.dps = 60
    Z = mpmath.mpf(z)
    want = -y * (1 + mpmath.exp(-Z)) + (1 - y) * (1 + mpmath.exp(Z))
    assert got == pytest.approx(float(want), rel=1e-12, abs=1e-300)


def test_a_saturated_graph_verifies_in_process():
    spec = load_spec_text(one_output("-1000", 1), "low.yaml")
    r = verify(derive(spec))
    assert r.ok and list(r.not_compared) == ["dloss_dout_o1"]
    assert r.max_numpy[0] < 1e-12  # the rows compared all agree; the one that cannot be is left out
    with pytest.raises(SpecError):
        derive(load_spec_text(one_output("1e308", 0), "x.yaml"))
