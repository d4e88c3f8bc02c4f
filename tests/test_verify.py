"""The three-way check can fail, says where, and survives extreme inputs."""

import importlib
import math
import warnings
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from support import KINK_SPEC

from derive.graph.builder import derive
from derive.model.spec import load_spec, load_spec_text
from derive.verify import oracle as numeric
from derive.verify.three_way import VerificationError, verify

# The module of the three-way check (the step-graph history is patched where it is used).
verify_module = importlib.import_module("derive.verify.three_way")


FOUR = Path(__file__).resolve().parent.parent / "worked" / "four.yaml"


@pytest.fixture
def four():
    return derive(load_spec(FOUR))


def test_unperturbed_four_verifies(four):
    report = verify(four)
    assert report.ok and not report.failures and not report.notes
    assert report.n_values == len(four) and report.n_gradients == 10
    assert report.max_numpy[0] < 1e-12 and report.max_fd[0] < 1e-8
    assert len(report.loss_history) == 2


def wrap(monkeypatch, module, name, change):
    real = getattr(module, name)

    def patched(*args, **kwargs):
        return change(real(*args, **kwargs))

    monkeypatch.setattr(module, name, patched)


def test_numpy_gradient_off_by_1e6_relative_is_caught(monkeypatch, four):
    def change(bwd):
        bwd.grad_W[0][0, 0] *= 1 + 1e-6  # w1: input-major, i1 -> h1
        return bwd

    wrap(monkeypatch, numeric, "backward", change)
    with pytest.raises(VerificationError, match=r"grad_w1: SymPy gives .*NumPy gives"):
        verify(four)
    report = verify(four, strict=False)
    assert not report.ok
    assert report.failures[0].startswith("grad_w1:")
    assert not any(f.startswith(("grad_w2:", "grad_w9:", "out_", "net_")) for f in report.failures)


def test_numpy_delta_off_is_caught(monkeypatch, four):
    def change(bwd):
        bwd.deltas[0][0, 1] *= 1 + 1e-6  # delta_h2
        return bwd

    wrap(monkeypatch, numeric, "backward", change)
    with pytest.raises(VerificationError, match="delta_h2"):
        verify(four)


def test_sympy_value_off_is_caught(four):
    st = four["out_h1"]
    st.exact = st.exact * (1 + sp.Rational(1, 10**6))
    report = verify(four, strict=False)
    # out_h1 is also the last factor printed in grad_w9's chain-rule product
    assert [f.split(":")[0] for f in report.failures] == ["out_h1", "grad_w9 (chain rule)"]


def test_finite_difference_off_is_caught(monkeypatch, four):
    def change(factor):
        def perturb(result):
            fd_W, fd_b = result
            fd_W[1][0, 0] *= factor  # w9: h1 -> o1
            return fd_W, fd_b

        return perturb

    # The finite differences agree to rtol 1e-6: 3e-6 relative is caught ...
    wrap(monkeypatch, numeric, "finite_difference_gradients", change(1 + 3e-6))
    with pytest.raises(VerificationError, match="grad_w9: SymPy gives .*finite differences give"):
        verify(four)
    report = verify(four, strict=False)
    assert [f.split(":")[0] for f in report.failures] == ["grad_w9"]
    # ... and 1e-7 relative is within the documented tolerance.
    monkeypatch.undo()
    wrap(monkeypatch, numeric, "finite_difference_gradients", change(1 + 1e-7))
    assert verify(four).ok


def test_numpy_loss_history_off_is_caught(monkeypatch, four):
    def change(result):
        layers, history = result
        history[1] *= 1 + 1e-6
        return layers, history

    wrap(monkeypatch, numeric, "train", change)
    with pytest.raises(VerificationError, match="loss after step 1: step graph gives"):
        verify(four)
    report = verify(four, strict=False)
    assert not report.ok and report.failures == [report.failures[0]]
    assert report.failures[0].startswith("loss after step 1:")


def test_step_graph_loss_history_off_is_caught(monkeypatch, four):
    def change(result):
        history, final = result
        return [history[0] * (1 + 1e-6)] + history[1:], final

    wrap(monkeypatch, verify_module, "run_steps", change)
    report = verify(four, strict=False)
    assert [f.split(":")[0] for f in report.failures] == ["loss after step 0"]


def test_strict_error_counts_the_other_failures(monkeypatch, four):
    def change(bwd):
        bwd.grad_W[0] *= 2  # every weight into the hidden layer
        return bwd

    wrap(monkeypatch, numeric, "backward", change)
    report = verify(four, strict=False)
    assert len(report.failures) > 8
    with pytest.raises(VerificationError, match=rf"\(and {len(report.failures) - 1} more\)"):
        verify(four)


# --------------------------------------------------------------------------- extreme logits

ONE_LAYER = """
network: {{inputs: 1, layers: [{{name: o, size: {size}, activation: {act}}}]}}
loss: {loss}
parameters: {{weights: {{o: {w}}}}}
sample: {{x: [1], y: {y}}}
learning_rate: 0.1
steps: 2
"""

EXTREME = [
    ("sigmoid", "half-sse", "[[1000]]", "[1]"),
    ("sigmoid", "half-sse", "[[-1000]]", "[1]"),
    ("sigmoid", "bce", "[[1000]]", "[1]"),
    ("sigmoid", "bce", "[[1000]]", "[0.5]"),
    ("sigmoid", "bce", "[[-1000]]", "[1]"),
    ("sigmoid", "bce", "[[-1000]]", "[0]"),
    ("tanh", "sse", "[[1000]]", "[0.5]"),
    ("tanh", "sse", "[[-1000]]", "[0.5]"),
    ("softmax", "cross-entropy", "[[1000], [-1000]]", "[0, 1]"),
    ("softmax", "cross-entropy", "[[1000], [-1000]]", "[1, 0]"),
    ("softmax", "cross-entropy", "[[-1000], [1000]]", "[0.5, 0.5]"),
    ("softmax", "half-sse", "[[1000], [-1000]]", "[0, 1]"),
    ("relu", "half-sse", "[[1000]]", "[1]"),
    ("identity", "mse", "[[-1000]]", "[1]"),
]


@pytest.mark.parametrize("act,loss,w,y", EXTREME)
def test_logits_of_1000_give_no_warning_and_no_crash(act, loss, w, y):
    text = ONE_LAYER.format(size=w.count("[") - 1, act=act, loss=loss, w=w, y=y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = derive(load_spec_text(text, "extreme.yaml"))
        report = verify(g, strict=False)
    assert report.ok, report.failures
    assert all(math.isfinite(v) for v in report.loss_history)
    for s in g:  # every exact value is a finite real number, however large or small
        assert s.exact.is_number and s.exact.is_finite and s.exact.is_real, s.id


def test_saturated_bce_values_are_right():
    text = ONE_LAYER.format(size=1, act="sigmoid", loss="bce", w="[[1000]]", y="[0.5]")
    g = derive(load_spec_text(text))
    # J = -(0.5 log s(1000) + 0.5 log s(-1000)) = 500 + log(1 + e^-1000); dJ/dnet = out - y
    assert abs(g["loss"].exact - 500) < 1e-40
    assert abs(g["delta_o1"].exact - sp.Rational(1, 2)) < 1e-40
    assert abs(g["dloss_dout_o1"].exact - (sp.exp(1000) + 1) / 2 + sp.Rational(1, 2)) / sp.exp(1000) < 1e-40
    # net = 111: 50 digits of out would keep only 3 digits of 1 - out = 6e-49
    text = ONE_LAYER.format(size=1, act="sigmoid", loss="bce", w="[[111]]", y="[0.5]")
    g = derive(load_spec_text(text))
    assert abs(g["loss"].exact - (sp.Rational(111, 2) + sp.log(1 + sp.exp(-111)))) < 1e-40
    assert abs(g["delta_o1"].exact - (sp.Rational(1, 2) - 1 / (1 + sp.exp(111)))) < 1e-40
    text = ONE_LAYER.format(size=1, act="sigmoid", loss="bce", w="[[-1000]]", y="[1]")
    g = derive(load_spec_text(text))
    assert abs(g["loss"].exact - 1000) < 1e-40
    assert float(g["dloss_dout_o1"].exact) == -math.inf  # beyond the float range ...
    assert verify(g).ok  # ... and NumPy's -inf agrees


# --------------------------------------------------------------------------- ReLU kinks

KINK = KINK_SPEC.format(steps=3)


def test_exact_kink_takes_the_left_branch_everywhere():
    g = derive(load_spec_text(KINK))
    assert g["net_h2_s2"].exact == 0  # 0.4*0.9 + 0.4*(-0.9)
    assert g["dout_dnet_h2_s2"].exact == sp.Rational(1, 10)  # the left-hand slope, alpha
    fwd = numeric.forward(verify_module.numpy_layers(g.spec), [[0.4, 0.7], [0.9, -0.9]], [[1], [0.51]], "mse")
    assert fwd.nets[0][1, 1] != 0  # NumPy's float is rounding noise
    report = verify(g)
    assert report.ok
    fd_note, history_note = report.notes
    assert fd_note.startswith("Finite differences were not compared for w2, w5:")  # i1, i2 -> h2
    assert "net_h2_s2" in fd_note and "net_h2_s2" in history_note
    assert report.n_gradients == len(g.spec.trainable()) - 2


def test_relu_kink_straddled_by_finite_differences_is_not_compared():
    """net_o1 = 2e-4 is not on the kink, but moving w2 by 2h = 2e-5 moves it by 4e-4."""
    text = """
network: {inputs: 2, layers: [{name: o, size: 1, activation: relu}]}
loss: half-sse
parameters: {weights: {o: [[0.5, 0.00001]]}}
sample: {x: [0, 20], y: [1]}
learning_rate: 0.1
"""
    g = derive(load_spec_text(text))
    report = verify(g)
    assert report.notes == [report.notes[0]] and "for w2:" in report.notes[0] and "net_o1" in report.notes[0]
    assert [r.id for r in report.rows if r.fd is not None] == ["grad_w1"]
    # without the skip, the difference quotient would indeed be wrong
    fd_W, _ = numeric.finite_difference_gradients(verify_module.numpy_layers(g.spec), [[0, 20]], [[1]], "half-sse")
    assert not np.isclose(fd_W[0][0, 1], float(g["grad_w2"].exact), rtol=1e-3)


def test_diverging_training_is_compared_up_to_the_overflow():
    text = """
network: {inputs: 1, layers: [{name: o, size: 1, activation: identity}]}
loss: half-sse
parameters: {weights: {o: [[1]]}}
sample: {x: [1], y: [0]}
learning_rate: 1000
steps: 120
"""
    g = derive(load_spec_text(text))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the NumPy core's own overflow warnings
        report = verify(g)
    assert report.ok
    assert [n for n in report.notes if n.startswith("The training diverges: after step ")]
    finite = [h for h in report.loss_history if math.isfinite(h)]
    assert 40 < len(finite) < 60  # w -> -999 w each step: w^2/2 overflows near 1e308
    assert finite[1] == pytest.approx(999.0**2 / 2, rel=1e-12)


def test_shared_bias_straddling_a_kink_is_not_compared():
    text = """
network: {inputs: 2, layers: [{name: o, size: 2, activation: relu, bias: shared}]}
loss: half-sse
parameters: {weights: {o: [[0.5, -0.5], [0.3, 0.2]]}, biases: {o: 0.00001}}
sample: {x: [0.4, 0.4], y: [1, 0]}
learning_rate: 0.1
"""
    report = verify(derive(load_spec_text(text)))
    assert report.notes == [
        "Finite differences were not compared for b_o: moving it by up to 2h = 2e-05 moves "
        "net_o1 across the kink of a ReLU, where a difference quotient mixes the two one-sided slopes."
    ]
    assert [r.id for r in report.rows if r.fd is not None] == ["grad_w1", "grad_w2", "grad_w3", "grad_w4"]


# --------------------------------------------------------------------------- chain-rule products


def _retarget(step, path, factor, value):
    """``step``'s chain with one factor's value reference changed."""
    paths = [list(p) for p in step.chain]
    f = paths[path][factor]
    paths[path][factor] = type(f)(f.top, f.bottom, value)
    step.chain = tuple(tuple(p) for p in paths)


def test_chain_factors_are_references_that_multiply_out(four):
    chain = four["grad_w1"].chain
    assert [(f.top, f.bottom, f.value) for f in chain[0]] == [
        ("loss", "out_o1", "dloss_dout_o1"),
        ("out_o1", "net_o1", "dout_dnet_o1"),
        ("net_o1", "out_h1", "w9"),
        ("out_h1", "net_h1", "dout_dnet_h1"),
        ("net_h1", "w1", "i1"),
    ]
    assert verify(four).n_chains == 10


def test_a_chain_that_does_not_multiply_out_is_caught(four):
    _retarget(four["grad_w1"], 0, 2, "w10")  # the weight of another path
    report = verify(four, strict=False)
    assert [f.split(":")[0] for f in report.failures] == ["grad_w1 (chain rule)"]
    with pytest.raises(VerificationError, match=r"grad_w1 \(chain rule\): its 1 path\(s\) multiply out to"):
        verify(four)


def test_chains_whose_floats_underflow_are_decided_exactly():
    """dout/dnet of a saturated sigmoid is e^-1000: 0 as a float, but the exact product is
    what the check compares; a wrong factor is still caught."""
    from derive.verify.chains import check_chains

    g = derive(
        load_spec_text(ONE_LAYER.format(size=1, act="sigmoid", loss="half-sse", w="[[1000]]", y="[0]"), "sat.yaml")
    )
    assert float(g["dout_dnet_o1"].exact) == 0.0 and not g["grad_w1"].exact.is_zero
    assert check_chains(g) == (1, [])
    _retarget(g["grad_w1"], 0, 2, "eta")
    assert check_chains(g)[1][0].startswith("grad_w1 (chain rule)")


def test_one_update_history_and_parameters_are_the_graphs_own_values(four):
    report = verify(four)
    assert report.loss_history[0] == float(four["loss"].exact)
    assert report.final_parameters == {st.param: float(st.exact) for st in four if st.kind == "new"}


# --------------------------------------------------------------------------- floats of exact values


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.tuples(st.integers(-(10**60), 10**60), st.integers(1, 10**30)).map(lambda t: sp.Rational(*t)),
        st.tuples(st.integers(-(10**6), 10**6), st.integers(0, 330)).map(lambda t: sp.Rational(t[0], 10 ** t[1])),
        st.tuples(st.floats(-1e6, 1e6, allow_nan=False), st.integers(-1100, 1100), st.sampled_from([15, 50, 400])).map(
            lambda t: sp.Float(t[0], t[2]) * sp.Float(2, t[2]) ** t[1]
        ),
        st.tuples(st.integers(1, 2**200), st.integers(-1200, 1100)).map(
            lambda t: sp.Float._new(mpmath.libmp.from_man_exp(t[0], t[1]), 700)
        ),
    )
)
def test_as_float_is_sympys_float(v):
    """The check's conversion of exact values gives what ``float()`` gives, to the bit (ties
    to even, subnormals, beyond the float range)."""
    from derive.graph.arith import as_float

    assert as_float(v) == float(v) or math.isnan(float(v))
