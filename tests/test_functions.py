"""Activations and losses, one object each: their SymPy forms, float forms, local
derivatives and sheets agree with each other, with SymPy's own derivatives and with the
NumPy oracle's independent kernels; softplus is added the way any activation would be."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import sympy as sp

from derive.graph.compile import FloatPrinter
from derive.graph.derivations import DERIVATIONS
from derive.graph.functions import ACTIVATIONS, FUNCTIONS, LOSSES, sigma, softplus
from derive.model import names
from derive.verify import kernels, oracle
from derive.verify.proofs import DerivationError, check, equal, prove

ELEMENTWISE = [a for a in ACTIVATIONS.values() if a.elementwise]
POINTS = [-1000.0, -40.0, -3.0, -0.5, -1e-3, 0.0, 1e-3, 0.376, 2.0, 40.0, 1000.0]
ALPHA = sp.Rational(1, 10)


def test_the_registry_is_the_vocabulary():
    assert list(ACTIVATIONS) == list(names.ACTIVATIONS) == list(oracle.ACTIVATIONS)
    assert list(LOSSES) == list(names.LOSSES) == list(oracle.LOSSES)
    for name in names.ACTIVATIONS:
        assert name in DERIVATIONS, f"{name} declares no derivation sheet"
    # a formula, an answer or the compiled code may name our functions: no spec name may
    assert {f.__name__ for f in FUNCTIONS} <= names.FUNCTION_NAMES


@pytest.mark.parametrize("act", ELEMENTWISE, ids=lambda a: a.name)
def test_local_derivative_is_sympys_derivative_of_the_form(act):
    """The identity each activation declares is SymPy's derivative of its SymPy form, written
    with the node's output where the activation says it is (the identity is proven)."""
    net, out = sp.symbols("net out")
    form = act.apply(net, ALPHA)
    derived = sp.diff(form, net).xreplace({form: out}) if form != net else sp.Integer(1)
    assert act.derivative(net, out, ALPHA) == derived
    assert (out in act.derivative(net, out, ALPHA).free_symbols) == act.uses_out


@pytest.mark.parametrize("act", ELEMENTWISE, ids=lambda a: a.name)
def test_float_form_agrees_with_the_sympy_form(act):
    for x in POINTS:
        exact = act.apply(sp.Float(x, 50), ALPHA)
        assert math.isclose(act.floats(x, float(ALPHA)), float(sp.N(exact, 50)), rel_tol=1e-14, abs_tol=1e-300), x


@pytest.mark.parametrize("act", ELEMENTWISE, ids=lambda a: a.name)
def test_each_activation_explains_itself(act):
    assert act.explanation.endswith(".") and len(act.explanation.split()) > 6
    assert act.derivation().name == act.name and all(prove(act.derivation()))


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_functions_carry_consistent_rules(f):
    """fdiff, the elementary definition, the float code and the float function agree."""
    x = sp.Symbol("x", real=True)
    args = (x, ALPHA) if f.__name__.startswith("leaky") else (x,)
    if f.__name__ not in ("step", "leaky_step"):  # the steps are derivatives themselves
        assert equal(
            sp.Derivative(f(*args), x),
            sp.diff(f(*args), x),
            cases=(((x, sp.Rational(3, 7)),), ((x, -sp.Rational(3, 7)),)),
        )
    code = FloatPrinter({"standard": "python3"}).doprint(f(*args))
    for v in POINTS:
        fargs = (v, float(ALPHA))[: len(args)]
        by_code = eval(code, {"math": math, "_sigma": sigma.floats, "x": v})  # our own generated code
        assert by_code == f.floats(*fargs)
        exact = f.elementary(*((sp.Float(v, 50),) + args[1:])).evalf(50)
        assert math.isclose(f.floats(*fargs), float(exact), rel_tol=1e-14, abs_tol=1e-300), (v, exact)


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("loss", LOSSES.values(), ids=lambda l: l.name)
def test_loss_derivative_is_sympys_derivative_of_the_loss(loss, n):
    outs = sp.symbols(f"out1:{n + 1}")
    ys = sp.symbols(f"y1:{n + 1}")
    J = loss.expr(list(outs), list(ys))
    for j in range(n):
        assert loss.derivative(list(outs), list(ys), j) == sp.diff(J, outs[j])
    vals_o = [0.2 + 0.3 * k for k in range(n)]
    vals_y = [1.0 - 0.25 * k for k in range(n)]
    exact = J.xreplace({**dict(zip(outs, vals_o)), **dict(zip(ys, vals_y))})
    assert math.isclose(loss.floats(vals_o, vals_y), float(exact), rel_tol=1e-12)
    assert loss.explanation.endswith(".")


def test_only_cross_entropy_fuses_with_its_output():
    o, y = sp.symbols("o y")
    assert LOSSES["cross-entropy"].fused_delta(o, y) == o - y
    assert all(loss.fused_delta(o, y) is None for name, loss in LOSSES.items() if name != "cross-entropy")


# --------------------------------------------------------------------------- softplus


def test_softplus_identity_is_proven_and_a_wrong_one_is_not():
    sheet = check(DERIVATIONS["softplus"])
    assert sheet.lines[-1].expr == sigma(sp.Symbol("x", real=True))
    x = sp.Symbol("x", real=True)
    assert equal(sp.Derivative(softplus(x), x), sigma(x))
    assert not equal(sp.Derivative(softplus(x), x), sp.exp(x))  # a plausible slip
    wrong = sheet.__class__(
        sheet.name, sheet.title, sheet.intro, sheet.lines[:-1] + (sheet.lines[-1].__class__(r"e^{x}", sp.exp(x)),)
    )
    with pytest.raises(DerivationError, match="softplus"):
        check(wrong)


def test_softplus_sympy_form_at_extremes():
    big, small = softplus(sp.Integer(1000)).evalf(50), softplus(sp.Integer(-1000)).evalf(50)
    assert big == sp.Float(1000, 50)  # 1000 + e^-1000, to 50 digits
    assert 0 < small < sp.Float("1e-434")  # e^-1000 itself, not log(1) = 0


def test_oracle_softplus_kernel_matches_the_sympy_form():
    """The oracle's own kernel (np.logaddexp, its slope 1 - e^-out read from the output),
    written without graph/, against SymPy at 50 digits; stable at +-1000 (no warnings, finite)."""
    net = np.array([POINTS])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = kernels.activate("softplus", net)
        slope = kernels.derivative("softplus", out)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(slope))
    for x, o, d in zip(POINTS, out[0], slope[0]):
        assert math.isclose(o, float(softplus(sp.Float(x, 50)).evalf(50)), rel_tol=1e-15, abs_tol=1e-300)
        assert math.isclose(d, float(sigma(sp.Float(x, 50)).evalf(50)), rel_tol=1e-15, abs_tol=1e-300)


@pytest.mark.parametrize("x", [-30.0, -2.0, -0.4, 0.0, 0.7, 3.0, 30.0])
def test_softplus_slope_by_finite_differences(x):
    h = 1e-5
    f = softplus.floats
    fd = (8 * (f(x + h) - f(x - h)) - (f(x + 2 * h) - f(x - 2 * h))) / (12 * h)
    assert math.isclose(fd, sigma.floats(x), rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(
        fd, float(ACTIVATIONS["softplus"].derivative(sp.Float(x, 30), None).evalf(30)), rel_tol=1e-9, abs_tol=1e-12
    )


def test_softplus_network_verifies_three_ways():
    from derive.graph.builder import derive
    from derive.model.spec import load_spec_text
    from derive.verify.three_way import verify

    g = derive(
        load_spec_text(
            """
network: {inputs: 2, layers: [{name: h, size: 3, activation: softplus, bias: neuron},
                              {name: o, size: 2, activation: softplus}]}
loss: mse
parameters:
  weights: {h: [[40, -1], [0.5, 0.5], [-60, 2]], o: [[0.1, -0.2, 0.3], [-0.4, 0.5, 0.6]]}
  biases: {h: [0.1, -0.2, 0.3]}
samples: [{x: [1, 0.5], y: [1, 0]}, {x: [-0.5, 2], y: [0.5, 0.5]}]
learning_rate: 0.1
steps: 3
""",
            "softplus.yaml",
        )
    )
    assert g["dout_dnet_h1_s1"].formula == sigma(sp.Symbol("net_h1_s1"))
    report = verify(g)
    assert report.ok and report.n_gradients == 15 and len(report.loss_history) == 4


def _loss_as_sympy_builds_it(loss, outs, ys):
    """SquaredError.expr as it was written before it skipped SymPy's evaluation."""
    if len(outs) > 1:
        sq = sp.Add(*[(y - o) ** 2 for o, y in zip(outs, ys, strict=True)], evaluate=False)
    else:
        sq = (ys[0] - outs[0]) ** 2
    return loss.coefficient(len(outs)) * sq


@pytest.mark.parametrize("name", ["half-sse", "sse", "mse", "half-mse"])
@pytest.mark.parametrize("n", [1, 2, 3, 10, 12])
@pytest.mark.parametrize("fmt", ["out_o{j}", "out_o{j}_s3", "out_z{j}", "o{j}"])
def test_squared_losses_are_what_sympy_builds(name, n, fmt):
    """The squared losses made without SymPy's evaluation are the objects SymPy's own
    arithmetic makes (same structure, same order of terms), for any node names."""
    from derive.graph.functions.losses import LOSSES

    outs = [sp.Symbol(fmt.format(j=j)) for j in range(1, n + 1)]
    ys = [sp.Symbol("y_" + fmt.format(j=j)) for j in range(n, 0, -1)]
    for o, y in ((outs, ys), (ys, outs)):
        assert sp.srepr(LOSSES[name].expr(o, y)) == sp.srepr(_loss_as_sympy_builds_it(LOSSES[name], o, y))
    r = [sp.Symbol(f"r{j}", real=True) for j in range(n)]  # not plain symbols: SymPy's own arithmetic
    assert sp.srepr(LOSSES[name].expr(r, ys)) == sp.srepr(_loss_as_sympy_builds_it(LOSSES[name], r, ys))


@pytest.mark.parametrize(
    "a,b",
    [
        ("out_o1", "y_o1"),
        ("y_o1", "out_o1"),
        ("out_o10_s3", "y_o10_s3"),
        ("a", "b"),
        ("z", "a"),
        ("out_h1", "out_h1_s1"),
        ("x1", "X1"),
    ],
)
def test_forms_are_what_sympy_builds(a, b):
    """Each form made without SymPy's evaluation is the object SymPy's own operators make;
    with symbols that are not plain (or not symbols), SymPy's operators make it."""
    from derive.graph.functions.forms import difference, one_minus, times

    x, y = sp.Symbol(a), sp.Symbol(b)
    same = [
        (difference(x, y), x - y),
        (difference(y, x), y - x),
        (one_minus(x), 1 - x),
        (times(x, one_minus(x)), x * (1 - x)),
        (times(y, difference(x, y)), y * (x - y)),
        (difference(x, x), x - x),
    ]
    r = sp.Symbol("r", positive=True)
    same += [
        (difference(r, x), r - x),
        (one_minus(r), 1 - r),
        (times(r, one_minus(r)), r * (1 - r)),
        (difference(x, sp.Rational(1, 2)), x - sp.Rational(1, 2)),
        (times(x, x + 1), x * (x + 1)),
    ]
    for ours, sympys in same:
        assert sp.srepr(ours) == sp.srepr(sympys)


@pytest.mark.parametrize("name", ["half-sse", "sse", "mse", "half-mse"])
def test_squared_loss_derivatives_are_what_sympy_builds(name):
    from derive.graph.functions.losses import LOSSES

    outs, ys = sp.symbols("out_o1 out_o2 out_o3"), sp.symbols("y_o1 y_o2 y_o3")
    loss = LOSSES[name]
    for j in range(3):
        assert sp.srepr(loss.derivative(outs, ys, j)) == sp.srepr(2 * loss.coefficient(3) * (outs[j] - ys[j]))
    net, out = sp.symbols("net_h1 out_h1")
    assert sp.srepr(ACTIVATIONS["sigmoid"].derivative(net, out)) == sp.srepr(out * (1 - out))
