"""The SymPy side: derivative identities proved from their definitions, the delta recursion
against the naive derivative of the fully expanded loss, and the step graph's contract
(ids, dependencies, recomputation, rounding)."""

import re
from pathlib import Path

import pytest
import sympy as sp

from derive.graph.builder import derive
from derive.graph.functions import ACTIVATIONS, LOSSES, leaky_step, sigma, step
from derive.model.numbers import round_half_up
from derive.model.spec import load_spec, load_spec_text

FOUR = Path(__file__).resolve().parent.parent / "worked" / "four.yaml"
x = sp.Symbol("x", real=True)


# --------------------------------------------------------------------------- definitions
# Written out here from the textbook definitions, independently of derive/.


def sigmoid_def(z):
    return 1 / (1 + sp.exp(-z))


def tanh_def(z):
    return (sp.exp(z) - sp.exp(-z)) / (sp.exp(z) + sp.exp(-z))


ONE_PERCENT = sp.Rational(1, 100)


def activation_def(name, z, alpha=ONE_PERCENT):
    return {
        "sigmoid": lambda: sigmoid_def(z),
        "tanh": lambda: tanh_def(z),
        "relu": lambda: sp.Piecewise((z, z > 0), (0, True)),
        "leaky-relu": lambda: sp.Piecewise((z, z > 0), (alpha * z, True)),
        "identity": lambda: z,
    }[name]()


def loss_def(name, outs, ys):
    n = len(outs)
    sq = sum((y - o) ** 2 for o, y in zip(outs, ys))
    return {
        "half-sse": lambda: sq / 2,
        "sse": lambda: sq,
        "mse": lambda: sq / n,
        "half-mse": lambda: sq / (2 * n),
        "cross-entropy": lambda: -sum(y * sp.log(o) for o, y in zip(outs, ys)),
        "bce": lambda: -sum(y * sp.log(o) + (1 - y) * sp.log(1 - o) for o, y in zip(outs, ys)),
    }[name]()


def is_zero(expr) -> bool:
    return sp.simplify(sp.expand(expr.rewrite(sp.exp))) == 0


# --------------------------------------------------------------------------- identities


def test_sigmoid_derivative_identity_from_exp_definition():
    s = sigmoid_def(x)
    assert is_zero(sp.diff(s, x) - s * (1 - s))
    # and it is not vacuous: a wrong identity does not simplify to 0
    assert not is_zero(sp.diff(s, x) - s * (1 + s))


def test_tanh_derivative_identity_from_exp_definition():
    t = tanh_def(x)
    assert is_zero(t - sp.tanh(x))
    assert is_zero(sp.diff(t, x) - (1 - t**2))
    assert not is_zero(sp.diff(t, x) - (1 - t))


def test_sigma_function_is_the_exp_definition():
    assert is_zero(sigma(x).rewrite(sp.exp) - sigmoid_def(x))
    assert is_zero(sp.diff(sigma(x), x) - sp.diff(sigmoid_def(x), x))
    assert abs(sigma(sp.Rational(1, 3)).evalf(50) - sigmoid_def(sp.Rational(1, 3)).evalf(50)) < sp.Float("1e-49")


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_smooth_activation_derivative_equals_direct_derivative(name):
    net, out = sp.symbols("net out")
    act = ACTIVATIONS[name]
    d = act.derivative(net, out)
    assert out in d.free_symbols and act.uses_out  # written in terms of the output
    definition = activation_def(name, net)
    assert is_zero(act.apply(net) - definition)
    assert is_zero(d.xreplace({out: definition}) - sp.diff(definition, net))


POINTS = [
    sp.Integer(-3),
    sp.Rational(-1, 2),
    sp.Rational(-1, 1000),
    sp.Rational(1, 1000),
    sp.Rational(1, 2),
    sp.Integer(3),
]


@pytest.mark.parametrize("alpha", [sp.Rational(1, 100), sp.Rational(1, 10), sp.Rational(1, 5)])
@pytest.mark.parametrize("name", ["relu", "leaky-relu"])
def test_kinked_activation_derivative_on_both_sides_of_zero(name, alpha):
    net, out = sp.symbols("net out")
    act = ACTIVATIONS[name]
    d = act.derivative(net, out, alpha)
    definition = activation_def(name, x, alpha)
    direct = sp.diff(definition, x)
    for p in POINTS:
        assert act.apply(p, alpha) == definition.subs(x, p)
        assert d.xreplace({net: p}) == direct.subs(x, p)
    below = alpha if name == "leaky-relu" else 0
    assert {d.xreplace({net: p}) for p in POINTS} == {1, below}
    # At the kink the one-sided slopes differ; the convention is the left-hand one.
    h = sp.Symbol("h", positive=True)
    f0 = definition.subs(x, 0)
    left = sp.limit((f0 - definition.subs(x, -h)) / h, h, 0)
    right = sp.limit((definition.subs(x, h) - f0) / h, h, 0)
    assert (left, right) == (below, 1)
    assert d.xreplace({net: 0}) == left


def test_step_functions_at_zero():
    assert step(sp.Integer(0)) == 0 and step(sp.Rational(1, 10**9)) == 1
    assert leaky_step(sp.Integer(0), sp.Rational(1, 10)) == sp.Rational(1, 10)


def test_identity_derivative():
    net, out = sp.symbols("net out")
    assert ACTIVATIONS["identity"].derivative(net, out) == 1 == sp.diff(activation_def("identity", x), x)
    assert ACTIVATIONS["identity"].apply(net) == net


def test_softmax_jacobian_from_exp_definition():
    nets = sp.symbols("n1:4", real=True)
    outs = [sp.exp(n) / sum(sp.exp(m) for m in nets) for n in nets]
    for j in range(3):
        for k in range(3):
            assert is_zero(sp.diff(outs[j], nets[k]) - outs[j] * (int(j == k) - outs[k]))


@pytest.mark.parametrize("target", ["one-hot", "general"])
def test_softmax_cross_entropy_delta_is_out_minus_y(target):
    nets = sp.symbols("n1:4", real=True)
    outs = [sp.exp(n) / sum(sp.exp(m) for m in nets) for n in nets]
    if target == "one-hot":
        ys = [sp.Integer(0), sp.Integer(1), sp.Integer(0)]
    else:
        y1, y2 = sp.symbols("y1 y2", positive=True)
        ys = [y1, y2, 1 - y1 - y2]  # any probability vector summing to 1
    J = LOSSES["cross-entropy"].expr(outs, ys)
    assert is_zero(J - loss_def("cross-entropy", outs, ys))
    for j in range(3):
        assert is_zero(sp.diff(J, nets[j]) - (outs[j] - ys[j]))
    if target == "general":  # the identity needs sum(y) = 1: with y3 free it is off by out_j (sum y - 1)
        y3 = sp.Symbol("y3", positive=True)
        free = [ys[0], ys[1], y3]
        J = loss_def("cross-entropy", outs, free)
        assert not is_zero(sp.diff(J, nets[0]) - (outs[0] - free[0]))
        assert is_zero(sp.diff(J, nets[0]) - (outs[0] * sum(free) - free[0]))


def test_sigmoid_bce_delta_is_out_minus_y():
    y = sp.Symbol("y", positive=True)
    out = sigmoid_def(x)
    J = LOSSES["bce"].expr([out], [y])
    assert is_zero(J - loss_def("bce", [out], [y]))
    assert is_zero(sp.diff(J, x) - (out - y))


def _spec(layers, weights, samples, loss="half-sse", biases=None, extra=""):
    text = f"network: {{inputs: {len(samples[0][0])}, layers: {layers}}}\nloss: {loss}\n"
    text += f"parameters: {{weights: {weights}" + (f", biases: {biases}" if biases else "") + "}\n"
    text += "samples: [" + ", ".join(f"{{x: {x}, y: {y}}}" for x, y in samples) + "]\n"
    text += "learning_rate: 0.5\n" + extra
    return load_spec_text(text, "test.yaml")


@pytest.mark.parametrize("loss", ["half-sse", "sse", "mse", "half-mse", "bce"])
def test_dloss_dout_step_is_the_derivative_of_the_loss_definition(loss):
    spec = _spec(
        "[{name: o, size: 2, activation: sigmoid}]", "{o: [[0.5, -0.2], [0.3, 0.8]]}", [([1, 0.5], [0.25, 0.75])], loss
    )
    g = derive(spec)
    outs = [sp.Symbol("out_o1"), sp.Symbol("out_o2")]
    ys = [sp.Symbol("y_o1"), sp.Symbol("y_o2")]
    J = loss_def(loss, outs, ys)
    assert sp.simplify(g["loss"].formula - J) == 0
    for j, o in enumerate(outs):
        st = g[f"dloss_dout_o{j + 1}"]
        assert st.kind == "dloss_dout"
        assert sp.simplify(st.formula - sp.diff(J, o)) == 0
        assert st.deps == (f"out_o{j + 1}",)


def test_cross_entropy_graph_uses_the_derived_shortcut():
    spec = _spec(
        "[{name: o, size: 3, activation: softmax}]", "{o: [[0.5], [0.3], [-0.1]]}", [([1], [0, 1, 0])], "cross-entropy"
    )
    g = derive(spec)
    assert not [s for s in g if s.kind == "dloss_dout"]
    for j in range(3):
        assert g[f"delta_o{j + 1}"].formula == sp.Symbol(f"out_o{j + 1}") - sp.Symbol(f"y_o{j + 1}")


def test_bce_graph_delta_composes_to_out_minus_y():
    spec = _spec("[{name: o, size: 1, activation: sigmoid}]", "{o: [[0.5]]}", [([1], [0.3])], "bce")
    g = derive(spec)
    net, out = sp.Symbol("net_o1"), sp.Symbol("out_o1")
    delta = g["delta_o1"].formula.xreplace(
        {sp.Symbol("dloss_dout_o1"): g["dloss_dout_o1"].formula, sp.Symbol("dout_dnet_o1"): g["dout_dnet_o1"].formula}
    )
    delta = delta.xreplace({out: sigmoid_def(net)})
    assert is_zero(delta - (sigmoid_def(net) - sp.Symbol("y_o1")))


# --------------------------------------------------------------------------- delta recursion = naive


def naive_loss(spec):
    """The batch loss as one SymPy expression in the parameter symbols."""
    params = {}
    total = 0
    for smp in spec.samples:
        a = list(smp.x)
        for layer in spec.layers:
            names = spec.weight_names[layer.name]
            W = [[params.setdefault(n, sp.Symbol(n)) for n in row] for row in names]
            if layer.bias == "neuron":
                b = [params.setdefault(n, sp.Symbol(n)) for n in spec.bias_names[layer.name]]
            elif layer.bias == "shared":
                b = [
                    params.setdefault(spec.bias_names[layer.name], sp.Symbol(spec.bias_names[layer.name]))
                ] * layer.size
            else:
                b = [0] * layer.size
            nets = [sum(w * v for w, v in zip(row, a)) + bj for row, bj in zip(W, b)]
            if layer.activation == "softmax":
                a = [sp.exp(n) / sum(sp.exp(m) for m in nets) for n in nets]
            else:
                a = [activation_def(layer.activation, n, layer.alpha) for n in nets]
        total += loss_def(spec.loss, a, list(smp.y))
    if spec.batch == "mean":
        total = total / len(spec.samples)
    return total, params


def given_values(spec):
    vals = {}
    for layer in spec.layers:
        for names, row in zip(spec.weight_names[layer.name], spec.weights[layer.name]):
            vals.update(zip(names, row))
        if layer.bias == "neuron":
            vals.update(zip(spec.bias_names[layer.name], spec.biases[layer.name]))
        elif layer.bias == "shared":
            vals[spec.bias_names[layer.name]] = spec.biases[layer.name]
    return vals


NETWORKS = {
    "2-2-1 sigmoid": (
        "[{name: h, size: 2, activation: sigmoid}, {name: o, size: 1, activation: sigmoid}]",
        "{h: [[0.15, 0.2], [0.25, 0.3]], o: [[0.4, 0.45]]}",
        None,
        [([0.05, 0.1], [0.01])],
        "half-sse",
        "",
    ),
    "2-3-2 tanh, neuron biases": (
        "[{name: h, size: 3, activation: tanh, bias: neuron}, {name: o, size: 2, activation: tanh, bias: neuron}]",
        "{h: [[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]], o: [[0.7, -0.8, 0.9], [0.2, 0.1, -0.3]]}",
        "{h: [0.1, -0.1, 0.2], o: [0.05, -0.05]}",
        [([0.5, -0.3], [0.2, -0.4])],
        "mse",
        "",
    ),
    "3-2-3 softmax cross-entropy, sum of 2": (
        "[{name: h, size: 2, activation: sigmoid, bias: shared},"
        " {name: o, size: 3, activation: softmax, bias: neuron}]",
        "{h: [[0.2, -0.4, 0.6], [0.5, 0.1, -0.3]], o: [[0.3, -0.6], [0.9, 0.2], [-0.5, 0.4]]}",
        "{h: 0.1, o: [0.1, 0.0, -0.2]}",
        [([1, 0.5, -0.5], [0, 1, 0]), ([0.2, -0.7, 0.4], [0.25, 0.25, 0.5])],
        "cross-entropy",
        "batch: sum\n",
    ),
    "2-2-2-1 relu/leaky, shared biases": (
        "[{name: h, size: 2, activation: relu, bias: shared},"
        " {name: g, size: 2, activation: leaky-relu, bias: shared, alpha: 0.1},"
        " {name: o, size: 1, activation: identity, bias: shared, train_bias: false}]",
        "{h: [[0.5, -0.3], [-0.4, 0.2]], g: [[0.6, -0.7], [-0.9, 0.3]], o: [[0.8, -0.5]]}",
        "{h: 0.1, g: -0.2, o: 0.05}",
        [([0.9, 0.2], [0.5]), ([-0.6, 0.8], [-0.3])],
        "half-sse",
        "",
    ),
    "2-2-2 softmax squared error": (
        "[{name: h, size: 2, activation: tanh}, {name: o, size: 2, activation: softmax}]",
        "{h: [[0.3, -0.2], [0.1, 0.5]], o: [[0.4, -0.6], [0.7, 0.2]]}",
        None,
        [([0.6, -0.4], [1, 0])],
        "sse",
        "",
    ),
    "2-2-1 sigmoid bce": (
        "[{name: h, size: 2, activation: leaky-relu, bias: neuron},"
        " {name: o, size: 1, activation: sigmoid, bias: neuron}]",
        "{h: [[0.3, -0.2], [-0.1, 0.5]], o: [[0.4, -0.6]]}",
        "{h: [0.1, 0.2], o: [-0.1]}",
        [([0.6, -0.4], [0.7])],
        "bce",
        "",
    ),
}


@pytest.mark.parametrize("name", list(NETWORKS))
def test_delta_recursion_equals_naive_derivative_of_expanded_loss(name):
    layers, weights, biases, samples, loss, extra = NETWORKS[name]
    spec = _spec(layers, weights, samples, loss, biases, extra)
    g = derive(spec)
    J, params = naive_loss(spec)
    vals = {params[n]: v for n, v in given_values(spec).items()}
    tol = sp.Float("1e-30")
    assert abs(J.xreplace(vals).evalf(60) - g["loss"].exact) < tol
    trainable = spec.trainable()
    assert trainable and set(trainable) <= set(params)
    eta = spec.learning_rate
    for p in trainable:
        expected = sp.diff(J, params[p]).xreplace(vals).evalf(60)
        got = g[f"grad_{p}"].exact
        assert abs(got - expected) < tol, (p, got, expected)
        assert abs(g[f"new_{p}"].exact - (vals[params[p]] - eta * expected)) < tol
    # frozen or missing parameters get no gradient step
    for p in set(params) - set(trainable):
        assert f"grad_{p}" not in g.ids


def test_naive_comparison_can_fail():
    """The comparison above is not vacuous: a perturbed definition disagrees."""
    layers, weights, biases, samples, loss, extra = NETWORKS["2-2-1 sigmoid"]
    spec = _spec(layers, weights, samples, "half-sse", biases, extra)
    g = derive(spec)
    J, params = naive_loss(spec)
    vals = {params[n]: v for n, v in given_values(spec).items()}
    wrong = sp.diff(J * (1 + sp.Rational(1, 10**20)), params["w1"]).xreplace(vals).evalf(60)
    assert abs(g["grad_w1"].exact - wrong) > sp.Float("1e-30")


# --------------------------------------------------------------------------- the four example


def test_four_example_values():
    g = derive(load_spec(FOUR))
    assert g["net_h1"].value == sp.Rational(47, 125) and g["net_h1"].value.is_Rational
    assert g["net_h2"].value == sp.Rational(883, 5000)
    for s in g:
        if s.kind == "net" and s.layer == 0:
            assert s.value.is_Rational
    assert round(float(g["out_h1"].value), 5) == 0.59291
    assert round(float(g["out_h2"].value), 5) == 0.54404
    assert round(float(g["out_o1"].value), 5) == 0.63954
    assert g["grad_w7"].value == 0 and g["new_w7"].value == sp.Rational(1, 5)  # input i4 = 0


def test_four_example_ids_and_deps():
    g = derive(load_spec(FOUR))
    assert g.ids == [
        "net_h1",
        "net_h2",
        "out_h1",
        "out_h2",
        "net_o1",
        "out_o1",
        "loss",
        "dloss_dout_o1",
        "dout_dnet_o1",
        "delta_o1",
        "dout_dnet_h1",
        "dout_dnet_h2",
        "delta_h1",
        "delta_h2",
        "grad_w9",
        "grad_w10",
        "grad_w1",
        "grad_w2",
        "grad_w3",
        "grad_w4",
        "grad_w5",
        "grad_w6",
        "grad_w7",
        "grad_w8",
        *[f"new_w{k}" for k in range(1, 11)],
    ]
    deps = {
        "net_h1": (),
        "out_h1": ("net_h1",),
        "net_o1": ("out_h1", "out_h2"),
        "out_o1": ("net_o1",),
        "loss": ("out_o1",),
        "dloss_dout_o1": ("out_o1",),
        "dout_dnet_o1": ("out_o1",),
        "delta_o1": ("dloss_dout_o1", "dout_dnet_o1"),
        "dout_dnet_h1": ("out_h1",),
        "delta_h1": ("delta_o1", "dout_dnet_h1"),
        "grad_w9": ("delta_o1", "out_h1"),
        "grad_w1": ("delta_h1",),
        "new_w1": ("grad_w1",),
    }
    for step_id, d in deps.items():
        assert g[step_id].deps == d, step_id
    assert g["grad_w9"].formula == sp.Symbol("delta_o1") * sp.Symbol("out_h1")
    assert g["new_w9"].param == "w9" and g["grad_w1"].layer == 0 and g["delta_h2"].node == 1


ID = re.compile(
    r"(?P<kind>net|out|dloss_dout|dout_dnet|delta)_(?P<node>[A-Za-z]\w*?)(?P<s>_s\d+)?"
    r"|loss(?P<ls>_s\d+)?|(?P<pk>grad|new)_(?P<param>\w+?)(?P<ps>_s\d+)?"
)


def graphs():
    yield derive(load_spec(FOUR))
    for name in NETWORKS:
        layers, weights, biases, samples, loss, extra = NETWORKS[name]
        yield derive(_spec(layers, weights, samples, loss, biases, extra))


def test_step_ids_and_deps_follow_the_documented_scheme():
    for g in graphs():
        spec = g.spec
        multi = len(spec.samples) > 1
        nodes = {n for layer in spec.layers for n in layer.nodes}
        seen = set()
        assert len(set(g.ids)) == len(g.ids)
        for s in g:
            m = ID.fullmatch(s.id)
            assert m, s.id
            if m["kind"]:
                assert s.kind == m["kind"] and m["node"] in nodes
                assert spec.layers[s.layer].nodes[s.node] == m["node"]
                suffix = m["s"]
            elif m["pk"]:
                assert s.kind == m["pk"] and m["param"] == s.param and s.param in spec.trainable()
                suffix = m["ps"]
            else:
                assert s.kind == "loss"
                suffix = m["ls"]
            if suffix:
                assert multi and s.sample == int(suffix[2:]) - 1
            elif multi and s.kind in ("loss", "grad", "new"):
                assert s.sample is None  # the batch value
            elif not multi:
                assert s.sample in (0, None)
            # deps: exactly the earlier steps the formula reads; the rest are given numbers
            names = {str(f) for f in s.formula.free_symbols}
            assert set(s.deps) == names - set(g.leaves) and set(s.deps) <= seen
            assert names - set(s.deps) <= set(g.leaves)
            seen.add(s.id)
        if multi:
            for p in spec.trainable():
                assert g[f"grad_{p}"].deps == tuple(sorted(f"grad_{p}_s{k + 1}" for k in range(len(spec.samples))))


def test_every_value_is_recomputed_from_its_dependencies():
    for g in graphs():
        values = g.values()
        for s in g:
            v = g.recompute(s.id, values)
            assert v == s.value or abs(v - s.value) < sp.Float("1e-45"), s.id


def test_recompute_from_someone_elses_upstream_values():
    g = derive(load_spec(FOUR))
    assert g.recompute("dout_dnet_h1", {"out_h1": sp.Rational(3, 5)}) == sp.Rational(6, 25)
    assert g.recompute(
        "delta_o1", {"dloss_dout_o1": sp.Rational(-36, 100), "dout_dnet_o1": sp.Rational(2306, 10000)}
    ) == sp.Rational(-36, 100) * sp.Rational(2306, 10000)
    v = g.recompute("out_h1", {"net_h1": sp.Rational(1, 2)})
    assert abs(v - sigmoid_def(sp.Rational(1, 2)).evalf(50)) < sp.Float("1e-45")
    # a missing dependency falls back to the key's value
    assert g.recompute("net_o1", {"out_h1": sp.Integer(0)}) == sp.Rational(2, 5) * g["out_h2"].value


@pytest.mark.parametrize("decimals", [2, 4])
def test_carry_rounded_rounds_each_recomputation(decimals):
    rounding = f"rounding: {{decimals: {decimals}, carry: rounded}}"
    layers, weights, biases, samples, loss, extra = NETWORKS["3-2-3 softmax cross-entropy, sum of 2"]
    specs = [
        load_spec_text(re.sub(r"rounding: \{[^}]*\}", rounding, FOUR.read_text()), "four.yaml"),
        _spec(layers, weights, samples, loss, biases, extra + rounding + "\n"),
    ]
    carried = 0
    for spec in specs:
        assert spec.carry == "rounded" and spec.decimals == decimals
        g = derive(spec)
        values = g.values()
        differs = 0
        for s in g:
            assert s.value.is_Rational and (10**decimals) % s.value.q == 0, s.id
            assert s.value == round_half_up(g.recompute(s.id, values), decimals), s.id
            differs += s.value != s.exact
            # rounding the exact value is not the same thing: count where carrying mattered
            carried += s.value != round_half_up(s.exact, decimals)
        assert differs > 0
    assert carried > 0
