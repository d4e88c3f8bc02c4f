"""Step values: exact numbers, rounding, printing, evaluation and the compiled float graph."""

import math
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from support import NETWORK_EXAMPLES

from derive.graph.builder import derive
from derive.graph.compile import compile_graph
from derive.graph.functions import relu, sigma
from derive.graph.steps import PRECISION, evaluate, to_number
from derive.model.numbers import round_half_up
from derive.model.spec import load_spec, load_spec_text
from derive.present.numbers import fmt
from derive.verify.history import run_steps

FOUR = Path(__file__).resolve().parent.parent / "worked" / "four.yaml"


def test_to_number_keeps_rationals_exact_and_floats_at_50_digits():
    assert to_number(sp.Rational(47, 125)) == sp.Rational(47, 125)
    assert to_number(relu(sp.Rational(-1, 3))) == 0
    v = to_number(sigma(sp.Rational(1, 2)))
    assert v.is_Float and v._prec >= 165  # 50 decimal digits
    assert abs(v - (1 / (1 + sp.exp(-sp.Rational(1, 2)))).evalf(60)) < sp.Float("1e-49")
    with pytest.raises(ArithmeticError):
        to_number(sp.log(sp.Integer(0)))


@pytest.mark.parametrize("net", [30, 111, 120, 1000, 3000])
def test_saturated_sigma_carries_the_digits_that_one_minus_it_needs(net):
    out = to_number(sigma(sp.Integer(net)))
    exact = sp.exp(-net) / (1 + sp.exp(-net))  # 1 - sigma(net)
    assert (1 - out) > 0
    assert abs((1 - out) - exact.evalf(60)) < exact.evalf(60) * sp.Float("1e-45")
    low = to_number(sigma(sp.Integer(-net)))  # the other side needs no extra digits
    assert low._prec <= 200 and abs(low / exact.evalf(60) - 1) < 1e-45


def test_evaluate_takes_a_sum_that_cancels_within_rounding_as_zero():
    a, b, c, s = sp.symbols("a b c s")
    f = sp.Add(a * s, b * s, c * s, evaluate=False)
    env = {
        a: sp.Rational(1, 10),
        b: sp.Rational(2, 10),
        c: sp.Rational(-3, 10),
        s: to_number(sigma(sp.Rational(3, 10))),
    }
    assert f.xreplace(env) != 0  # 50-digit noise, ~3e-52
    assert evaluate(f, env) == 0 and evaluate(f, env).is_Integer
    # a small true difference is kept
    env[c] = sp.Rational(-3, 10) + sp.Rational(1, 10**30)
    v = evaluate(f, env)
    assert abs(v - env[s] / 10**30) < sp.Float("1e-50")  # within the rounding of the sum
    # exact sums stay exact
    assert evaluate(sp.Add(a, c, evaluate=False), {a: sp.Rational(3, 10), c: sp.Rational(-3, 10)}) == 0


@pytest.mark.parametrize(
    "v,d,expected",
    [
        (sp.Rational(1, 8), 2, "0.13"),
        (sp.Rational(-1, 8), 2, "-0.13"),
        (sp.Rational(5, 1000), 2, "0.01"),
        (sp.Rational(-5, 1000), 2, "-0.01"),
        (sp.Rational(2, 3), 3, "0.667"),
        (sp.Rational(7, 2), 0, "4"),
    ],
)
def test_round_half_up_rounds_ties_away_from_zero(v, d, expected):
    assert round_half_up(v, d) == sp.Rational(expected)
    assert round_half_up(sp.Float(v, PRECISION), d) == sp.Rational(expected)


def test_fmt():
    assert fmt(sp.Rational(1, 2), 3) == "0.500"
    assert fmt(sp.Rational(1, 2), 3, as_given=True) == "0.5"
    assert fmt(sp.Rational(1, 3), 3, as_given=True) == "0.333"
    assert fmt(sp.Rational(-1, 3), 3) == "-0.333"
    assert fmt(sp.Rational(-1, 10**6), 3) == r"-1.00 \times 10^{-6}"
    assert fmt(sp.Float("2.5e-9", PRECISION), 3) == r"2.50 \times 10^{-9}"
    assert fmt(sp.Float("-0.0001", PRECISION), 3) == r"-1.00 \times 10^{-4}"
    assert fmt(sp.Integer(0), 3) == "0.000"
    assert fmt(sp.Float(0, PRECISION), 3) == "0.000"  # a Float zero is not "tiny"
    assert fmt(sp.Rational(-1, 3000), 2) == r"-3.3 \times 10^{-4}"


@settings(max_examples=100, deadline=None)
@given(st.integers(-(10**6), 10**6), st.integers(1, 10**4), st.integers(0, 6))
def test_fmt_prints_the_rounded_value(p, q, d):
    v = sp.Rational(p, q)
    s = fmt(v, d)
    r = round_half_up(v, d)
    if r != 0 or v == 0:
        assert sp.Rational(s) == r and (d == 0 or len(s.split(".")[1]) == d)
    else:
        mant = s.split(" ")[0]
        assert abs(sp.Rational(mant) - v * 10 ** -int(s.split("{")[-1].rstrip("}"))) <= sp.Rational(
            1, 10 ** max(d - 1, 0)
        )


def test_graph_run_with_overrides_changes_only_downstream():
    g = derive(load_spec(FOUR))
    base = g.run()
    changed = g.run(overrides={"out_h1": sp.Rational(1, 2)})
    assert changed["out_h1"] == sp.Rational(1, 2)
    assert changed["net_h1"] == base["net_h1"] and changed["out_h2"] == base["out_h2"]
    assert changed["net_o1"] == sp.Rational(3, 10) + sp.Rational(2, 5) * base["out_h2"]
    assert changed["dout_dnet_h1"] == sp.Rational(1, 4)
    assert changed["grad_w1"] != base["grad_w1"]


def test_graph_container_protocol():
    g = derive(load_spec(FOUR))
    assert len(g) == len(g.ids) == len(list(g)) == 34
    assert g["loss"] is g.by_id["loss"]
    assert set(g.values()) == set(g.ids)
    assert g.values(exact=True)["out_o1"] == g["out_o1"].exact


def test_compiled_graph_matches_exact_values():
    for text in [FOUR.read_text(), SOFTMAX]:
        g = derive(load_spec_text(text))
        f = compile_graph(g)
        vals = f({str(s): float(v) for s, v in g.given.items()})
        for s, v in zip(g, vals):
            assert v == pytest.approx(float(s.exact), rel=1e-12, abs=1e-15), s.id


SOFTMAX = """
network:
  inputs: 2
  layers:
    - {name: h, size: 2, activation: leaky-relu, bias: shared, alpha: 0.2}
    - {name: o, size: 3, activation: softmax, bias: neuron}
loss: cross-entropy
parameters:
  weights: {h: [[0.1, -0.2], [0.3, 0.4]], o: [[0.5, -0.6], [0.7, 0.8], [-0.9, 0.1]]}
  biases: {h: 0.05, o: [0.1, 0.2, 0.3]}
samples: [{x: [1, -1], y: 2}, {x: [0.5, 0.25], y: [0.5, 0.25, 0.25]}]
learning_rate: 0.5
steps: 3
"""


def test_run_steps_first_loss_is_the_graph_loss_and_updates_follow_new_steps():
    g = derive(load_spec_text(SOFTMAX))
    history, final = run_steps(g, 3)
    assert len(history) == 4 and history[0] == pytest.approx(float(g["loss"].exact), rel=1e-14)
    assert history[3] < history[0]
    one, params = run_steps(g, 1)
    for p in g.spec.trainable():
        assert params[p] == pytest.approx(float(g[f"new_{p}"].exact), rel=1e-13, abs=1e-15)


def test_run_steps_falls_back_to_the_exact_graph_where_floats_overflow():
    text = """
network: {inputs: 1, layers: [{name: o, size: 2, activation: softmax}]}
loss: cross-entropy
parameters: {weights: {o: [[1000], [-1000]]}}
sample: {x: [1], y: [0, 1]}
learning_rate: 0.1
"""
    g = derive(load_spec_text(text))
    with pytest.raises(OverflowError):
        compile_graph(g)({str(s): float(v) for s, v in g.given.items()})
    history, final = run_steps(g, 2)
    # dJ/dw = (out - y) x = (1, -1): each step moves the logits 0.2 closer
    assert history == pytest.approx([2000.0, 1999.8, 1999.6], rel=1e-12)
    assert final == pytest.approx({"w1": 999.8, "w2": -999.8}, rel=1e-12)
    assert all(math.isfinite(h) for h in history)


def test_run_steps_keeps_diverged_parameters_diverged():
    """No fallback to the exact graph from parameters that overflowed (Rational(inf) is 0)."""
    text = """
network: {inputs: 1, layers: [{name: o, size: 1, activation: identity}]}
loss: half-sse
parameters: {weights: {o: [[1]]}}
sample: {x: [1], y: [0]}
learning_rate: 1000
"""
    g = derive(load_spec_text(text))
    history, final = run_steps(g, 120)
    assert history[0] == 0.5 and history[1] == pytest.approx(999.0**2 / 2)
    assert not any(h == 0 for h in history) and not math.isfinite(history[-1])


# --------------------------------------------------------------------------- SymPy's values, faster


def _numbers():
    """Numbers as steps hold them: small rationals, integers (0 and 1 among them) and
    50-digit floats of any sign and size."""
    return st.one_of(
        st.integers(-3, 3).map(sp.Integer),
        st.tuples(st.integers(-(10**6), 10**6), st.integers(1, 10**4)).map(lambda t: sp.Rational(*t)),
        st.tuples(st.floats(-1e6, 1e6, allow_nan=False), st.integers(-60, 60)).map(
            lambda t: sp.Float(t[0], 50) * sp.Float(2, 50) ** t[1]
        ),
        st.floats(-10, 10, allow_nan=False).map(lambda f: sp.Float(f, 30)),
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(_numbers(), min_size=1, max_size=5), st.sampled_from(["*", "+"]))
def test_raw_arithmetic_is_sympys(vals, op):
    """Sums and products done on raw mpmath numbers give exactly the SymPy number that
    Mul and Add give (same value, type and precision)."""
    from derive.graph.arith import _add, _cooked, _mul, _raw

    raw = [_raw(v) for v in vals]
    if any(r is None for r in raw):  # a float 0: left to SymPy
        return
    ours = _cooked(_mul(raw) if op == "*" else _add(raw))
    theirs = (sp.Mul if op == "*" else sp.Add)(*vals)
    assert sp.srepr(ours) == sp.srepr(theirs)


class _RewriteSigma(sp.Function):
    """sigma as it was evaluated before the fast path: rewritten to 1/(1 + exp(-x))."""

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))

    def _eval_evalf(self, prec):
        return self.rewrite(sp.exp)._eval_evalf(prec)


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.integers(-40, 40).map(sp.Integer),
        st.tuples(st.integers(-4 * 10**6, 4 * 10**6), st.sampled_from([10, 100, 10**4, 10**5])).map(
            lambda t: sp.Rational(*t)
        ),
        st.floats(-300, 300, allow_nan=False).map(lambda f: sp.Float(f, 50) * sp.Rational(37, 41)),
    )
)
def test_sigma_is_evaluated_exactly_as_sympys_evalf_would(x):
    """sigma's mpmath path repeats SymPy's own evaluation of 1/(1 + exp(-x)) operation by
    operation; this test fails if a SymPy release evaluates it differently."""
    net = sp.Symbol("net")
    assert sp.srepr(evaluate(sigma(net), {net: x})) == sp.srepr(to_number(_RewriteSigma(x)))
    assert sp.srepr(to_number(sigma(x))) == sp.srepr(to_number(_RewriteSigma(x)))


@pytest.mark.parametrize("example", NETWORK_EXAMPLES, ids=lambda p: p.stem)
def test_every_step_value_is_its_formula_evaluated_by_sympy(example):
    """Recipes and the fast paths give what substituting into the formula and letting SymPy
    evaluate it gives, step by step, for every worked example."""
    g = derive(load_spec(example))
    env = dict(g.given)
    for s in g:
        v = s.formula.xreplace(env)
        v = v if v.is_Rational or v.is_Float else to_number(v)
        if s.formula.is_Add and v.is_Float and abs(v) < 1e-20:
            v = evaluate(s.formula, env)  # (the cancellation rule)
        if s.stable is not None:  # (bce's loss, dJ/dout and delta: from the net, equal to 40 digits)
            assert abs(s.exact - v) <= sp.Float(10) ** -40 * abs(v), s.id
            v = to_number(s.stable.xreplace(env))
        assert sp.srepr(s.exact) == sp.srepr(v), s.id
        env[s.symbol] = s.exact


def test_recipes_build_their_formulas_only_when_read():
    from derive.graph.arith import names_in_every_operation, recipe_formula, recipe_value

    for example in NETWORK_EXAMPLES:
        for s in derive(load_spec(example)):
            assert isinstance(s.recipe, sp.Basic) or names_in_every_operation(s.recipe), s.id
    assert not names_in_every_operation(("+", "a", ("*", 2, 3)))

    r = ("+", "w9", ("*", sp.S.NegativeOne, "eta", "grad_w9"))
    assert recipe_formula(r) == sp.Symbol("w9") - sp.Symbol("eta") * sp.Symbol("grad_w9")
    vals = {"w9": sp.Rational(3, 5), "eta": sp.Rational(1, 10), "grad_w9": sp.Float("-0.049", 50)}
    assert recipe_value(r, vals) == evaluate(recipe_formula(r), {sp.Symbol(k): v for k, v in vals.items()})
    g = derive(load_spec(FOUR))
    st_ = g["grad_w1"]
    assert st_._formula is None and isinstance(st_.recipe, tuple)
    assert st_.formula == sp.Symbol("delta_h1") * sp.Symbol("i1") and st_._formula is not None


@settings(max_examples=300, deadline=None)
@given(_numbers(), st.integers(-3, 5))
def test_raw_powers_are_sympys(v, n):
    """Integer powers of raw numbers give exactly the SymPy number that Pow gives."""
    from derive.graph.arith import _cooked, _power, _raw

    r = _raw(v)
    if r is None or n in (0, 1) or (v.is_zero and n < 0):
        return
    assert sp.srepr(_cooked(_power(r, n))) == sp.srepr(sp.Pow(v, n))


@settings(max_examples=300, deadline=None)
@given(_numbers(), st.sampled_from([50, 200, 800, 3200]))
def test_wide_gap_of_a_float_is_sympys_decision(v, digits):
    """The gap test done in mpmath decides as SymPy's arithmetic and comparison do, also for
    floats within a few units of the floor and of 1."""
    from derive.graph.arith import _floor_mpf, wide_gap

    floor = sp.Float(10) ** (PRECISION - 10 - digits)  # the floor as SymPy makes it
    assert _floor_mpf(digits) == floor._mpf_
    for f in (sp.Float(v, 50), 1 - floor * sp.Float(v, 50) / 1000, sp.Float(1, 50) - floor):
        if isinstance(f, sp.Float):
            gap = abs(1 - abs(f))
            assert wide_gap(f, digits) == bool(not gap.is_zero and gap >= floor)


def test_the_collector_is_paused_and_resumed_as_it_was():
    """derive and verify pause Python's cyclic collector and resume it as they found it,
    handing what they made to the oldest generation, except where the program has frozen
    objects of its own (gc.freeze is left alone then)."""
    import gc

    from derive.graph.collector import paused_collector
    from derive.verify.three_way import verify

    assert gc.isenabled() and gc.get_freeze_count() == 0
    verify(derive(load_spec(FOUR)))
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        with paused_collector():
            pass
        assert not gc.isenabled()  # it was off: it stays off
    finally:
        gc.enable()
    kept = [[i] for i in range(100)]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        derive(load_spec(FOUR))
        assert gc.get_freeze_count() == frozen and gc.isenabled()
    finally:
        gc.unfreeze()
    assert kept
