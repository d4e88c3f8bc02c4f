"""Tests for the training core (derive/train/) and its data sets (derive/train/datasets.py).

The core computes with the oracle's kernels (derive/verify/kernels.py), so the oracle is
no independent check of it. Its references here are the SymPy step graph
(derive.graph.builder.derive of a spec written from the network, on small networks with
every hidden activation, output layer and loss the core trains, and on the digits network
after a real training step) and central finite differences of its own loss.
"""

from __future__ import annotations

import dataclasses
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from support import need_module

from derive.graph.builder import derive
from derive.model.names import HIDDEN_ACTIVATIONS
from derive.model.spec import load_spec, load_spec_text
from derive.train import History, Network, TrainError, TrainOptions, gradients, network_from_spec, train
from derive.train.datasets import NAMES, DataError, Dataset, load
from derive.verify import kernels

WORKED = Path(__file__).resolve().parent.parent / "worked"


def need_sklearn():
    """The digits need scikit-learn: required in CI, skipped without it elsewhere."""
    need_module("sklearn", "data")


@pytest.fixture(scope="module")
def digits():
    need_sklearn()
    return load("digits")


def subset(data: Dataset, n: int) -> Dataset:
    """The first n training samples as a data set (one batch of n is one step)."""
    return dataclasses.replace(data, X_train=data.X_train[:n], y_train=data.y_train[:n])


def random_net(rng, acts, sizes=(3, 4, 3), bias=None, scale=1.0, dtype="float64", train_bias=None):
    weights = [
        (rng.normal(0, scale, (k, m)), rng.normal(0, scale, k)) for m, k in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    if bias:
        weights = [
            (W, np.full_like(b, b[0]) if mode == "shared" else b) for (W, b), mode in zip(weights, bias, strict=True)
        ]
    return Network(weights, acts, alpha=0.1, bias=bias, dtype=dtype, train_bias=train_bias)


# --------------------------------------------------------------------------- the symbolic reference

LAYER_NAMES = ["h", "g", "k", "m", "p", "q", "r"]


def _vec(a) -> str:
    return "[" + ", ".join(repr(float(v)) for v in np.ravel(a)) + "]"


def spec_text(net: Network, X, Y, loss: str, lr: float = 0.1) -> str:
    """The network, samples (X, target rows Y) and loss as a spec (indexed weight names,
    layers h, g, ..., o), written here from the network's own numbers: repr gives the
    shortest decimal that reads back as the same float."""
    names = LAYER_NAMES[: len(net.weights) - 1] + ["o"]
    layers, weights, biases = [], [], []
    for name, (W, b), act, mode, trained, alpha in zip(
        names, net.weights, net.activations, net.bias, net.train_bias, net.alphas, strict=True
    ):
        slope = f", alpha: {alpha!r}" if act == "leaky-relu" else ""
        layers.append(
            f"    - {{name: {name}, size: {W.shape[0]}, activation: {act}, bias: {mode}, "
            f"train_bias: {str(trained).lower()}{slope}}}"
        )
        weights.append(f"    {name}: [{', '.join(_vec(row) for row in W)}]")
        if mode != "none":
            biases.append(f"{name}: {_vec(b) if mode == 'neuron' else repr(float(b[0]))}")
    samples = [f"  - {{x: {_vec(x)}, y: {_vec(y)}}}" for x, y in zip(np.atleast_2d(X), np.atleast_2d(Y), strict=True)]
    return "\n".join(
        [
            "network:",
            f"  inputs: {net.sizes[0]}",
            "  layers:",
            *layers,
            "  weight_names: indexed",
            f"loss: {loss}",
            "parameters:",
            "  weights:",
            *weights,
            f"  biases: {{{', '.join(biases)}}}",
            "samples:",
            *samples,
            "batch: mean",
            f"learning_rate: {lr!r}",
            "",
        ]
    )


def symbolic_gradients(net: Network, X, Y, loss: str):
    """The step graph's batch gradients, shaped like gradients(): [(dW, db)] per layer, read
    through Spec.iter_parameters (0 for a bias that is not trained)."""
    spec = load_spec_text(spec_text(net, X, Y, loss), "symbolic.yaml")
    graph = derive(spec)
    out = [(np.zeros(W.shape), np.zeros(b.shape)) for W, b in net.weights]
    for p in spec.iter_parameters():
        if p.trainable:
            dW, db = out[p.layer]
            value = float(graph[f"grad_{p.name}"].exact)
            if p.kind == "weight":
                dW[p.nodes[0], p.k] = value
            else:
                db[list(p.nodes)] = value
    return out


def assert_gradients_equal(ours, reference, rtol=1e-9, atol=1e-13):
    for (dW, db), (rW, rb) in zip(ours, reference, strict=True):
        np.testing.assert_allclose(dW, rW, rtol=rtol, atol=atol)
        np.testing.assert_allclose(db, rb, rtol=rtol, atol=atol)


def finite_differences(net: Network, X, y, loss: str, h: float = 1e-6):
    """Central differences of the trainer's own mean loss for every weight and bias."""
    out = []
    for P in net.params:
        fd = np.zeros(P.shape)
        for idx in np.ndindex(P.shape):
            keep = P[idx]
            P[idx] = keep + h
            up = net.loss(X, y, loss)
            P[idx] = keep - h
            down = net.loss(X, y, loss)
            P[idx] = keep
            fd[idx] = (up - down) / (2 * h)
        out.append(fd)
    return out


def random_targets(rng, loss: str, S: int, n: int):
    if loss == "cross-entropy":
        return np.eye(n)[rng.integers(n, size=S)]
    if loss == "bce":
        return rng.uniform(size=(S, n))  # bce takes any target in [0, 1]
    return rng.normal(0.5, 0.5, size=(S, n))


# --------------------------------------------------------------------------- gradients

SQUARED = ("half-sse", "sse", "mse", "half-mse")
#: Every hidden activation with softmax + cross-entropy, and every other loss the core
#: trains on each output layer it trains it on (hidden activations taken in turn).
CASES = [(h, "softmax", "cross-entropy") for h in HIDDEN_ACTIVATIONS]
CASES += [
    (HIDDEN_ACTIVATIONS[i % len(HIDDEN_ACTIVATIONS)], out, loss)
    for i, (out, loss) in enumerate([("sigmoid", "bce")] + [(o, s) for s in SQUARED for o in ("sigmoid", "softmax")])
]


@pytest.mark.parametrize("hidden, output, loss", CASES)
def test_gradients_equal_the_step_graph_and_finite_differences(hidden, output, loss):
    rng = np.random.default_rng(CASES.index((hidden, output, loss)))
    net = random_net(rng, [hidden, hidden, output], sizes=(3, 4, 3, 3))
    X = rng.normal(size=(4, 3))
    Y = random_targets(rng, loss, 4, 3)
    ours = gradients(net, X, Y, loss)
    assert_gradients_equal(ours, symbolic_gradients(net, X, Y, loss))
    for (dW, db), fd in zip(ours, finite_differences(net, X, Y, loss), strict=True):
        np.testing.assert_allclose(np.column_stack([dW, db]), fd, rtol=1e-5, atol=1e-8)


def test_gradient_check_can_fail():
    """The comparison above is not vacuous: a network that differs in one weight by 1e-3
    gives gradients that the step graph of the original network rejects."""
    rng = np.random.default_rng(5)
    net = random_net(rng, ["sigmoid", "softmax"])
    X, Y = rng.normal(size=(3, 3)), np.eye(3)[[0, 2, 1]]
    reference = symbolic_gradients(net, X, Y, "cross-entropy")
    net.weights[0][0][1, 2] += 1e-3
    with pytest.raises(AssertionError):
        assert_gradients_equal(gradients(net, X, Y, "cross-entropy"), reference)


@pytest.mark.parametrize(
    "modes, trained",
    [
        (("shared", "shared"), (True, True)),
        (("none", "neuron"), (True, True)),
        (("neuron", "shared"), (False, True)),
        (("shared", "neuron"), (True, False)),
    ],
)
def test_bias_modes_equal_the_step_graph(modes, trained):
    rng = np.random.default_rng(11)
    net = random_net(rng, ["tanh", "sigmoid"], bias=list(modes), train_bias=list(trained))
    X, Y = rng.normal(size=(3, 3)), rng.uniform(size=(3, 3))
    ours = gradients(net, X, Y, "half-sse")
    assert_gradients_equal(ours, symbolic_gradients(net, X, Y, "half-sse"))
    for (_, db), mode, t in zip(ours, modes, trained, strict=True):
        if mode == "none" or not t:
            assert np.all(db == 0)
        elif mode == "shared":
            assert np.all(db == db[0]) and db[0] != 0


def test_one_training_step_is_the_walkthroughs_step_for_a_spec_with_fixed_shared_biases():
    """worked/shared-bias.yaml: neuron-major weight names, shared biases kept fixed, sigmoid
    outputs and half-sse. Its gradients are the step graph's; and one step of the trainer
    on its input (class 1, target [0, 1]) is the walkthrough's update of the same spec with
    that target: every new_<weight> of the graph, biases unchanged."""
    spec = load_spec(WORKED / "shared-bias.yaml")
    net = network_from_spec(spec)
    assert net.bias == ["shared", "shared"] and net.train_bias == [False, False]
    graph = derive(spec)
    x, y = np.array([[float(v) for v in spec.samples[0].x]]), np.array([[float(v) for v in spec.samples[0].y]])
    ours = gradients(net, x, y, "half-sse")
    for p in spec.iter_parameters():
        if p.kind == "weight":
            assert ours[p.layer][0][p.nodes[0], p.k] == pytest.approx(float(graph[f"grad_{p.name}"].exact), rel=1e-12)

    text = (WORKED / "shared-bias.yaml").read_text().replace("y: [0.01, 0.99]", "y: [0, 1]")
    one_hot = load_spec_text(text, "shared-bias-one-hot.yaml")
    stepped, _ = train(
        Dataset("sample", x, np.array([1]), x, np.array([1]), 2, 2),
        TrainOptions(loss="half-sse", lr=0.5, epochs=1, batch=1, track=False),
        network=net,
    )
    walk = derive(one_hot)
    for p in one_hot.iter_parameters():
        W, b = stepped.weights[p.layer]
        if p.kind == "weight":
            assert W[p.nodes[0], p.k] == pytest.approx(float(walk[f"new_{p.name}"].exact), rel=1e-12)
        else:
            assert np.all(b == float(p.value))  # train_biases: false
    # a trainable shared bias stays one value under Adam (element-wise, same gradient)
    free = Network(net.weights, net.activations, bias=net.bias)
    adam, _ = train(
        load("xor"), TrainOptions(loss="mse", optimizer="adam", lr=0.01, epochs=3, track=False), network=free
    )
    for (_, b), (_, b0) in zip(adam.weights, free.weights, strict=True):
        assert b[0] == b[1] != b0[0]


# --------------------------------------------------------------------------- the tie to the symbolic derivation


def test_digits_gradients_equal_the_symbolic_derivation(digits):
    opts = TrainOptions(
        hidden=(32,),
        activation="sigmoid",
        loss="cross-entropy",
        optimizer="sgd",
        lr=0.1,
        epochs=1,
        batch=32,
        track=False,
    )
    start = Network.initialise([64, 32, 10], "sigmoid", "softmax", seed=3)
    batch = subset(digits, 32)
    stepped, _ = train(batch, opts, network=start)
    # the trainer's step is plain SGD on gradients(): w - lr * dJ/dw
    expected = [
        (W - 0.1 * dW, b - 0.1 * db)
        for (W, b), (dW, db) in zip(start.weights, gradients(start, batch.X_train, batch.y_train), strict=True)
    ]
    for (W, b), (eW, eb) in zip(stepped.weights, expected, strict=True):
        np.testing.assert_allclose(W, eW, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(b, eb, rtol=1e-12, atol=1e-15)

    # the weights, rounded to 6 decimals, become the spec and the network alike
    rounded = [(np.round(W, 6), np.round(b, 6)) for W, b in stepped.weights]
    stepped.set_weights(rounded)
    k = 40  # a test image the step did not train on
    x, label = digits.X_test[k][None, :], int(digits.y_test[k])
    Y = np.eye(10)[[label]]
    spec = load_spec_text(spec_text(stepped, x, Y, "cross-entropy"), "digits-step.yaml")
    graph = derive(spec)
    ours = gradients(stepped, x, np.array([label]), "cross-entropy")
    reference = symbolic_gradients(stepped, x, Y, "cross-entropy")
    for (dW, db), (rW, rb) in zip(ours, reference, strict=True):
        for mine, exact in ((dW, rW), (db, rb)):
            assert np.all(np.abs(mine - exact) <= 1e-9 * np.abs(exact)), np.max(np.abs(mine - exact) / np.abs(exact))
    assert sum(dW.size + db.size for dW, db in reference) == 64 * 32 + 32 + 32 * 10 + 10
    assert np.count_nonzero(reference[0][0]) > 100  # the comparison is not a sea of zeros
    # and the step the walkthrough shows is the step the trainer takes
    assert abs(float(graph["new_w2_7_5"].exact) - (rounded[1][0][6, 4] - 0.1 * ours[1][0][6, 4])) < 1e-12


# --------------------------------------------------------------------------- optimizers


def test_adam_first_step_is_bias_corrected():
    """At t = 1, m_hat = g and v_hat = g^2, so every weight moves by lr * sign(g) (up to
    eps). Without the bias correction the step would be lr * 0.1 / sqrt(0.001) ~ 3.2 lr."""
    data = load("moons", seed=1)
    data = subset(data, 64)
    start = Network.initialise([2, 8, 2], "tanh", "softmax", seed=4)
    lr = 1e-3
    stepped, _ = train(data, TrainOptions(optimizer="adam", lr=lr, epochs=1, batch=64, track=False), network=start)
    g = np.concatenate([np.column_stack(gb).ravel() for gb in gradients(start, data.X_train, data.y_train)])
    move = stepped.theta - start.theta
    big = np.abs(g) > 1e-5
    assert big.sum() > 30
    np.testing.assert_allclose(move[big], -lr * np.sign(g[big]), rtol=1e-3)
    assert np.all(np.abs(move) <= lr * (1 + 1e-9))


@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.5), ("momentum", 0.1), ("adam", 0.02)])
def test_each_optimizer_reduces_the_loss_on_blobs(optimizer, lr):
    data = load("blobs", seed=2)
    net, hist = train(data, TrainOptions(hidden=(4,), optimizer=optimizer, lr=lr, epochs=20, seed=1))
    assert len(hist.loss) == len(hist.train_accuracy) == len(hist.test_accuracy) == 20
    assert hist.loss[-1] < 0.5 * hist.loss[0]
    assert hist.loss[-1] < 0.1
    assert hist.test_accuracy[-1] == 1.0  # the blobs are linearly separable
    assert hist.test_accuracy[-1] == net.accuracy(data.X_test, data.y_test)


def test_momentum_differs_from_sgd():
    data = load("moons")
    a, _ = train(data, TrainOptions(optimizer="sgd", epochs=2, track=False))
    b, _ = train(data, TrainOptions(optimizer="momentum", momentum=0.9, epochs=2, track=False))
    c, _ = train(data, TrainOptions(optimizer="momentum", momentum=0.0, epochs=2, track=False))
    assert not np.allclose(a.theta, b.theta)
    np.testing.assert_allclose(a.theta, c.theta, rtol=1e-12)  # mu = 0 is plain SGD


# --------------------------------------------------------------------------- reproducibility and dtype


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_same_seed_same_run(optimizer):
    data = load("circles")
    opts = TrainOptions(hidden=(8, 6), activation="tanh", optimizer=optimizer, lr=0.05, epochs=5, seed=7)
    a, ha = train(data, opts)
    b, hb = train(data, opts)
    assert np.array_equal(a.theta, b.theta)
    assert ha.loss == hb.loss and ha.train_accuracy == hb.train_accuracy and ha.test_accuracy == hb.test_accuracy
    c, hc = train(data, dataclasses.replace(opts, seed=8))
    assert not np.array_equal(a.theta, c.theta) and hc.loss != ha.loss


def test_float32_keeps_float32():
    data = load("xor")
    net, hist = train(data, TrainOptions(hidden=(8,), dtype="float32", lr=0.5, epochs=30))
    assert net.dtype == np.float32 and net.theta.dtype == np.float32
    assert all(W.dtype == np.float32 and b.dtype == np.float32 for W, b in net.weights)
    assert net.logits(data.X_test).dtype == np.float32
    assert net.predict_proba(data.X_test).dtype == np.float32
    assert all(dW.dtype == np.float32 for dW, _ in gradients(net, data.X_test, data.y_test))
    assert all(isinstance(v, float) for v in hist.loss)
    assert hist.test_accuracy[-1] > 0.85
    net64, hist64 = train(data, TrainOptions(hidden=(8,), lr=0.5, epochs=30))
    assert net64.theta.dtype == np.float64
    assert abs(hist64.loss[-1] - hist.loss[-1]) < 1e-3  # same run, less precision


def test_train_leaves_the_given_network_alone():
    data = load("moons")
    start = Network.initialise([2, 5, 2], "relu", "softmax", seed=0)
    before = start.theta.copy()
    trained, _ = train(data, TrainOptions(epochs=2), network=start)
    assert np.array_equal(start.theta, before)
    assert not np.array_equal(trained.theta, before)


def test_progress_and_history():
    data = load("xor")
    seen = []
    _, hist = train(data, TrainOptions(epochs=4), progress=lambda e, n, loss: seen.append((e, n, loss)))
    assert [(e, n) for e, n, _ in seen] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert [loss for _, _, loss in seen] == hist.loss
    assert isinstance(hist, History) and hist.seconds > 0
    _, quiet = train(data, TrainOptions(epochs=4, track=False))
    assert quiet.loss == hist.loss and quiet.test_accuracy == [] and quiet.train_accuracy == []


def test_loss_history_is_the_mean_loss_of_the_epoch():
    """With one batch per epoch the recorded loss is the loss before that epoch's step."""
    data = load("blobs")
    start = Network.initialise([2, 3, 2], "sigmoid", "softmax", seed=1)
    for loss in ("cross-entropy", "mse"):
        s = start if loss == "cross-entropy" else Network.initialise([2, 3, 2], "sigmoid", "sigmoid", seed=1)
        _, hist = train(data, TrainOptions(loss=loss, epochs=1, batch=10_000, track=False), network=s)
        assert hist.loss[0] == pytest.approx(s.loss(data.X_train, data.y_train, loss), rel=1e-12)


def test_no_hidden_layer_is_a_linear_classifier():
    blobs, xor = load("blobs"), load("xor")
    net, hist = train(blobs, TrainOptions(hidden=(), lr=0.5, epochs=30))
    assert net.sizes == [2, 2] and hist.train_accuracy[-1] == 1.0
    _, lin = train(xor, TrainOptions(hidden=(), lr=0.5, epochs=30))
    _, deep = train(xor, TrainOptions(hidden=(8,), activation="tanh", lr=0.5, epochs=60))
    assert lin.test_accuracy[-1] < 0.8 < 0.9 < deep.test_accuracy[-1]


# --------------------------------------------------------------------------- digits, end to end


def test_digits_sgd_sigmoid_cross_entropy(digits):
    _, hist = train(digits, TrainOptions(hidden=(32,), loss="cross-entropy", optimizer="sgd", epochs=50))
    assert hist.test_accuracy[-1] >= 0.94


def test_digits_adam_relu(digits):
    _, hist = train(digits, TrainOptions(hidden=(32,), activation="relu", optimizer="adam", lr=1e-3, epochs=50))
    assert hist.test_accuracy[-1] >= 0.96


def test_cross_entropy_beats_squared_error_on_the_same_budget(digits):
    budget = dict(hidden=(32,), activation="sigmoid", optimizer="sgd", lr=0.1, epochs=50, batch=32)
    _, ce = train(digits, TrainOptions(loss="cross-entropy", **budget))
    _, mse = train(digits, TrainOptions(loss="mse", **budget))
    assert ce.test_accuracy[-1] > mse.test_accuracy[-1] + 0.05
    assert mse.loss[-1] < mse.loss[0]  # squared error does learn, only slower


def test_digits_float32(digits):
    _, hist = train(digits, TrainOptions(dtype="float32", epochs=50))
    assert hist.test_accuracy[-1] >= 0.94


# --------------------------------------------------------------------------- numerics at +-1000


def test_extreme_logits_stay_finite_and_silent():
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0], [0.0, 0.0, 0.0]])
    Y = np.eye(3)[[1, 2, 0]]
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        s = kernels.sigmoid(np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0]))
        p = kernels.softmax(z)
        lp = kernels.log_softmax(z)
        ce = kernels.loss_per_sample("cross-entropy", z, p, Y).mean()
        bce = kernels.loss_per_sample("bce", z, kernels.sigmoid(z), Y)
        net = Network(
            [
                (np.array([[1000.0], [-1000.0]]), np.zeros(2)),
                (np.array([[1.0, -1.0], [-1.0, 1.0], [0.0, 0.0]]) * 1000, np.zeros(3)),
            ],
            ["identity", "softmax"],
        )
        g = gradients(net, [[1.0], [-1.0]], [1, 0], "cross-entropy")
        sig_net = Network([(np.array([[1000.0], [-1000.0]]), np.zeros(2))], ["sigmoid"])
        g2 = gradients(sig_net, [[1.0]], [0], "mse")
        g3 = gradients(sig_net, [[1.0]], [0], "bce")
        probs = sig_net.predict_proba([[1.0], [-1.0]])
        losses = [sig_net.loss([[1.0], [-1.0]], [1, 0], loss) for loss in ("bce", "mse")]
    assert s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5 and np.all(np.diff(s) > 0)
    assert np.all(np.isfinite(p)) and np.allclose(p.sum(axis=1), 1.0)
    assert np.all(np.isfinite(lp)) and lp[0, 1] == -2000.0
    # sample 1's target has logit -1000 against a max of 1000: loss 2000, not inf
    assert ce == pytest.approx((2000.0 + 0.0 + np.log(3.0)) / 3)
    assert bce[0] == pytest.approx(2000.0 + np.log(2.0)) and np.all(np.isfinite(bce))
    assert all(np.all(np.isfinite(a)) for pair in g + g2 + g3 for a in pair)
    assert np.all(np.isfinite(probs)) and probs[0].tolist() == [1.0, 0.0]
    assert losses[0] == pytest.approx(2000.0) and losses[1] == pytest.approx(1.0)


def test_sigmoid_keeps_its_digits_in_both_tails():
    """1 / (1 + e^-x) is accurate to the last bit where 0.5 + 0.5 tanh(x/2) is 0."""
    x = np.array([-40.0, -20.0, 20.0, 40.0])
    exact = [1 / (1 + np.exp(40.0)), 1 / (1 + np.exp(20.0)), 1 / (1 + np.exp(-20.0)), 1.0]
    np.testing.assert_allclose(kernels.sigmoid(x), exact, rtol=1e-15)
    assert kernels.sigmoid(np.float32(-40.0)) > 0


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky-relu", "identity"])
def test_in_place_kernels_equal_the_plain_forms(name):
    """The training core calls the kernels with out= on its own buffers (also in place)."""
    x = np.random.default_rng(1).normal(size=(4, 5)) * 3
    y = kernels.activate(name, x, 0.2)
    buf = x.copy()
    kernels.activate(name, buf, 0.2, out=buf)
    np.testing.assert_array_equal(buf, y)
    d = np.ones_like(x) * 2.5
    kernels.times_derivative(name, d, y, 0.2, np.empty_like(d))
    np.testing.assert_array_equal(d, 2.5 * kernels.derivative(name, y, 0.2))


@settings(max_examples=150, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(2, 4)), elements=st.floats(-1e4, 1e4)),
    st.integers(0, 3),
)
def test_kernels_are_finite_and_silent_for_any_logits(z, label):
    """Logits from anywhere in +-1e4: no overflow, no invalid value, no log(0); outputs in
    range, probabilities summing to 1, losses finite and >= 0, deltas finite."""
    Y = np.eye(z.shape[1])[np.full(len(z), label % z.shape[1])]
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        s, p = kernels.sigmoid(z), kernels.softmax(z)
        losses = [
            kernels.loss_per_sample(loss, z, p if loss == "cross-entropy" else s, Y)
            for loss in ("cross-entropy", "bce", "mse")
        ]
        deltas = [
            kernels.output_delta("cross-entropy", "softmax", p, Y),
            kernels.output_delta("bce", "sigmoid", s, Y),
            kernels.output_delta("sse", "softmax", p, Y),
        ]
    buf = z.copy()
    with np.errstate(over="ignore"):  # the in-place form leaves exp's overflow (to inf) to its caller
        kernels.sigmoid(buf, buf)
    assert np.all((0 <= s) & (s <= 1)) and np.array_equal(buf, s)
    assert np.allclose(p.sum(axis=1), 1.0) and np.all(p >= 0)
    assert all(np.all(np.isfinite(v)) and np.all(v >= 0) for v in losses)
    assert all(np.all(np.isfinite(d)) for d in deltas)


def test_a_diverging_run_is_reported():
    data = load("blobs")
    data = dataclasses.replace(data, X_train=data.X_train * 1e150)
    with pytest.raises(TrainError, match="diverged"):
        train(data, TrainOptions(hidden=(4,), activation="identity", lr=10.0, epochs=3))


# --------------------------------------------------------------------------- specs and options


def test_network_from_spec_matches_the_spec_and_the_step_graph():
    spec = load_spec(WORKED / "softmax.yaml")
    net = network_from_spec(spec)
    assert net.sizes == [2, 2, 3] and net.activations == ["sigmoid", "softmax"]
    np.testing.assert_array_equal(net.weights[1][0], [[0.5, -0.3], [-0.4, 0.2], [0.1, 0.7]])
    np.testing.assert_array_equal(net.weights[0][1], [0.0, 0.1])
    graph = derive(spec)
    x = np.array([[float(v) for v in spec.samples[0].x]])
    expected = [float(graph[f"out_{node}"].exact) for node in spec.outputs]
    np.testing.assert_allclose(net.predict_proba(x)[0], expected, rtol=1e-14)
    assert net.loss(x, [2]) == pytest.approx(float(graph["loss"].exact), rel=1e-14)
    # and it trains, from those weights, on a 2-feature 3-class set
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    data = Dataset("three", X[:45], y[:45], X[45:], y[45:], 3, 2)
    trained, hist = train(
        data, TrainOptions(epochs=20, lr=0.5), network=network_from_spec(WORKED / "softmax.yaml", data)
    )
    assert trained.sizes == [2, 2, 3] and hist.loss[-1] < hist.loss[0]


def test_network_from_spec_rejects_a_mismatch():
    spec = load_spec(WORKED / "softmax.yaml")  # 2 inputs, 3 outputs
    wide = Dataset("wide", np.zeros((4, 5)), np.array([0, 1, 2, 0]), np.zeros((2, 5)), np.array([1, 2]), 3, 5)
    with pytest.raises(TrainError, match="2 inputs but wide has 5 features") as err:
        network_from_spec(spec, wide)
    assert "\n" not in str(err.value)
    with pytest.raises(TrainError, match="3 outputs but xor has 2 classes"):
        network_from_spec(spec, load("xor"))
    with pytest.raises(TrainError, match="2 inputs but wide has 5 features"):
        train(wide, TrainOptions(), network=network_from_spec(spec))
    with pytest.raises(
        TrainError, match=r"tanh.yaml: network.layers\[1\].activation: .*softmax or sigmoid; got identity"
    ):
        network_from_spec(WORKED / "tanh.yaml")  # identity output
    with pytest.raises(TrainError, match=r"^softmax.yaml: network.layers\[1\].size: the network has 3 outputs"):
        network_from_spec(spec, load("xor"))
    with pytest.raises(TrainError, match=r"^softmax.yaml: network.inputs: the network has 2 inputs"):
        network_from_spec(spec, wide)


def test_loss_must_fit_the_output_layer():
    spec_net = network_from_spec(WORKED / "softmax.yaml")
    data = Dataset("three", np.zeros((3, 2)), np.array([0, 1, 2]), np.zeros((3, 2)), np.array([0, 1, 2]), 3, 2)
    with pytest.raises(TrainError, match="bce needs a sigmoid output layer, got softmax"):
        train(data, TrainOptions(loss="bce"), network=spec_net)
    sigmoid_net = network_from_spec(WORKED / "shared-bias.yaml")
    with pytest.raises(TrainError, match="cross-entropy needs a softmax output layer, got sigmoid"):
        gradients(sigmoid_net, [[0.0, 1.0]], [1], "cross-entropy")


@pytest.mark.parametrize("loss", ["cross-entropy", "bce", "half-sse", "sse", "mse", "half-mse"])
def test_every_loss_the_core_trains_learns_the_blobs(loss):
    """A new network gets the output layer its loss needs (softmax for cross-entropy,
    sigmoid otherwise), one output per class."""
    data = load("blobs", seed=2)
    net, hist = train(data, TrainOptions(hidden=(4,), loss=loss, lr=0.5, epochs=20, seed=1))
    assert net.output == ("softmax" if loss == "cross-entropy" else "sigmoid") and net.n_outputs == 2
    assert hist.loss[-1] < 0.5 * hist.loss[0] and hist.test_accuracy[-1] == 1.0
    assert hist.loss[0] == pytest.approx(max(hist.loss))


@pytest.mark.parametrize("loss", ["bce", "half-sse"])
def test_one_sigmoid_output_classifies_two_classes(loss):
    """worked/bce.yaml has one sigmoid output: class 1 when it is above 0.5. Its target for
    a label is the label itself."""
    data = load("moons", seed=0)
    start = network_from_spec(WORKED / "bce.yaml", data)
    assert start.n_outputs == 1 and start.predict(np.array([[0.0, 0.0]])).tolist() in ([0], [1])
    net, hist = train(data, TrainOptions(loss=loss, lr=0.2, epochs=40, seed=0), network=start)
    assert hist.test_accuracy[-1] > 0.75 and hist.loss[-1] < hist.loss[0]
    assert hist.test_accuracy[-1] == net.accuracy(data.X_test, data.y_test)
    np.testing.assert_array_equal(net.predict(data.X_test), (net.predict_proba(data.X_test)[:, 0] > 0.5).astype(int))
    # its loss and gradients read the label as the target
    assert net.loss(data.X_test, data.y_test, loss) == pytest.approx(
        net.loss(data.X_test, data.y_test[:, None].astype(float), loss), rel=1e-15
    )


def test_reduction_sum_steps_by_the_sum_of_the_batch_gradients():
    data = subset(load("xor"), 8)
    start = Network.initialise([2, 3, 2], "tanh", "softmax", seed=2)
    opts = TrainOptions(lr=0.1, epochs=1, batch=8, track=False)
    mean, _ = train(data, opts, network=start)
    total, _ = train(data, dataclasses.replace(opts, reduction="sum"), network=start)
    np.testing.assert_allclose(total.theta - start.theta, 8 * (mean.theta - start.theta), rtol=1e-12)


def test_a_spec_network_with_another_activation_or_new_weights():
    net = network_from_spec(WORKED / "softmax.yaml")
    relu = net.with_hidden_activation("relu")
    assert relu.activations == ["relu", "softmax"] and np.array_equal(relu.theta, net.theta)
    fresh = net.redrawn("he", seed=4)
    assert fresh.sizes == net.sizes and fresh.bias == net.bias
    assert not np.array_equal(fresh.weights[0][0], net.weights[0][0])
    # biases kept
    assert all(np.array_equal(b, b0) for (_, b), (_, b0) in zip(fresh.weights, net.weights, strict=True))
    # the same stream as train() draws a new network's weights from
    data = Dataset("three", np.zeros((3, 2)), np.array([0, 1, 2]), np.zeros((3, 2)), np.array([0, 1, 2]), 3, 2)
    new, _ = train(data, TrainOptions(hidden=(2,), init="he", epochs=1, lr=1e-12, track=False, seed=4))
    np.testing.assert_allclose(new.weights[0][0], fresh.weights[0][0], rtol=1e-9)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("optimizer", "lion", "unknown optimizer"),
        ("activation", "softmax", "unknown activation"),
        ("loss", "hinge", "unknown loss"),
        ("lr", 0.0, "learning rate"),
        ("lr", float("nan"), "learning rate"),
        ("epochs", 0, "epochs"),
        ("batch", 2.5, "batch"),
        ("hidden", (0,), "hidden"),
        ("dtype", "float16", "dtype"),
        ("beta2", 1.0, "beta2"),
        ("init", "lecun", "unknown init"),
        ("seed", -1, "seed"),
    ],
)
def test_bad_options_are_one_line_errors(field, value, message):
    with pytest.raises(TrainError, match=message) as err:
        train(load("xor"), dataclasses.replace(TrainOptions(), **{field: value}))
    assert "\n" not in str(err.value)


def test_initialisation():
    he = Network.initialise([400, 300, 10], "relu", "softmax", seed=0)
    xa = Network.initialise([400, 300, 10], "sigmoid", "softmax", seed=0)
    assert np.std(he.weights[0][0]) == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert np.max(np.abs(xa.weights[0][0])) <= np.sqrt(6 / 700)
    assert np.std(xa.weights[0][0]) == pytest.approx(np.sqrt(2 / 700), rel=0.02)
    assert np.max(np.abs(he.weights[1][0])) <= np.sqrt(6 / 310)  # softmax layer: Xavier
    assert all(np.all(b == 0) for _, b in he.weights)
    forced = Network.initialise([400, 300, 10], "sigmoid", "softmax", init="he", seed=0)
    assert np.std(forced.weights[0][0]) == pytest.approx(np.sqrt(2 / 400), rel=0.02)


# --------------------------------------------------------------------------- datasets


def test_digits_data(digits):
    d = digits
    assert d.n_features == 64 and d.n_classes == 10
    assert len(d.y_train) + len(d.y_test) == 1797
    assert d.X_train.shape == (len(d.y_train), 64) and d.X_test.shape == (len(d.y_test), 64)
    assert 0.24 < len(d.y_test) / 1797 < 0.26
    assert d.X_train.min() == 0.0 and d.X_train.max() == 1.0
    assert d.y_train.dtype == np.int64 and set(np.unique(d.y_test)) == set(range(10))
    # stratified: every class has its share of the test set
    for c in range(10):
        n_c = np.sum(d.y_train == c) + np.sum(d.y_test == c)
        assert abs(np.sum(d.y_test == c) - 0.25 * n_c) <= 1
    again, other = load("digits", seed=0), load("digits", seed=1)
    assert np.array_equal(again.X_train, d.X_train) and np.array_equal(again.y_test, d.y_test)
    assert not np.array_equal(other.y_train, d.y_train)


def test_digits_without_sklearn_say_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(DataError) as err:
        load("digits")
    assert str(err.value) == "the digits need scikit-learn: pip install 'derive[data]'"


@pytest.mark.parametrize("name", [n for n in NAMES if n != "digits"])
def test_synthetic_sets(name):
    d = load(name, seed=3)
    assert d.n_features == 2 and d.n_classes == 2
    assert d.X_train.shape == (300, 2) and d.X_test.shape == (100, 2)
    assert np.bincount(d.y_train).tolist() == [150, 150] and np.bincount(d.y_test).tolist() == [50, 50]
    again = load(name, seed=3)
    assert np.array_equal(again.X_train, d.X_train) and np.array_equal(again.y_train, d.y_train)
    assert not np.array_equal(load(name, seed=4).X_train, d.X_train)
    # train and test together hold 400 distinct points
    assert len(np.unique(np.vstack([d.X_train, d.X_test]), axis=0)) == 400


def test_synthetic_sets_need_no_sklearn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    assert load("moons").X_train.shape == (300, 2)


def test_blobs_are_linearly_separable_and_xor_is_not():
    blobs = load("blobs", seed=5)
    X = np.vstack([blobs.X_train, blobs.X_test])
    y = np.concatenate([blobs.y_train, blobs.y_test])
    s = np.where(y == 1, 1.0, -1.0)
    w = np.zeros(3)  # the perceptron converges only on separable data
    for _ in range(1000):
        wrong = s * (X @ w[:2] + w[2]) <= 0
        if not wrong.any():
            break
        i = np.flatnonzero(wrong)[0]
        w += s[i] * np.append(X[i], 1.0)
    assert not wrong.any()
    xor = load("xor")
    assert set(np.unique(xor.y_train)) == {0, 1}
    # each class sits in two opposite quadrants
    q = (xor.X_train[:, 0] > 0) == (xor.X_train[:, 1] > 0)
    assert np.mean(q == (xor.y_train == 0)) > 0.85


def test_bad_dataset_requests():
    with pytest.raises(DataError, match="unknown data set 'mnist'"):
        load("mnist")
    with pytest.raises(DataError, match="test_fraction"):
        load("xor", test_fraction=1.0)
    with pytest.raises(DataError, match="seed"):
        load("xor", seed=-2)
