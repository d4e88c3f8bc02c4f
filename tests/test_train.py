"""Tests for the training core (derive/train.py) and its data sets (derive/datasets.py).

The core is compared with three independent references: central finite differences of
its own loss, the NumPy oracle derive/numeric.py, and the SymPy derivation
(derive/symbolic.py) on the digits network after a real training step.
"""
from __future__ import annotations

import dataclasses
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from derive.verify import oracle as numeric
from derive.train.datasets import NAMES, DataError, Dataset, load
from derive.model.spec import load_spec, load_spec_text
from support import need_module
from derive.train.core import (History, Network, TrainError, TrainOptions, gradients, log_softmax,
                          loss_from_logits, network_from_spec, sigmoid, softmax, train)

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


def random_net(rng, acts, sizes=(3, 4, 3), bias=None, scale=1.0, dtype="float64"):
    weights = [(rng.normal(0, scale, (k, m)), rng.normal(0, scale, k)) for m, k in zip(sizes[:-1], sizes[1:])]
    if bias:
        weights = [(W, np.full_like(b, b[0]) if mode == "shared" else b) for (W, b), mode in zip(weights, bias)]
    return Network(weights, acts, alpha=0.1, bias=bias, dtype=dtype)


def as_numeric(net: Network) -> list[numeric.Layer]:
    """The same network as the oracle's layers (written here, not in train.py, so that the
    trainer never imports the oracle it is checked against)."""
    layers = []
    for (W, b), act, mode, trainable, alpha in zip(net.weights, net.activations, net.bias,
                                                   net.train_bias, net.alphas):
        bval = {"none": None, "neuron": np.array(b, float), "shared": float(b[0])}[mode]
        layers.append(numeric.Layer(np.array(W, float), act, mode, bval, alpha, trainable))
    return layers


# --------------------------------------------------------------------------- gradients


HIDDEN = ["sigmoid", "tanh", "relu", "leaky-relu", "identity"]
OUTPUT = {"cross-entropy": "softmax", "mse": "sigmoid"}


@pytest.mark.parametrize("loss", ["cross-entropy", "mse"])
@pytest.mark.parametrize("hidden", HIDDEN)
def test_gradients_equal_numeric_oracle_and_finite_differences(hidden, loss):
    rng = np.random.default_rng(HIDDEN.index(hidden) * 7 + len(loss))
    net = random_net(rng, [hidden, hidden, OUTPUT[loss]], sizes=(3, 5, 4, 3))
    X = rng.normal(size=(6, 3))
    y = rng.integers(3, size=6)
    Y = np.eye(3)[y]
    ours = gradients(net, X, y, loss)

    oracle = numeric.backward(as_numeric(net), X, Y, loss)
    for (dW, db), gW, gb in zip(ours, oracle.grad_W, oracle.grad_b):
        np.testing.assert_allclose(dW, gW, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(db, gb, rtol=1e-10, atol=1e-14)

    # central differences of the trainer's own loss, for every weight and bias
    h = 1e-6
    for (dW, db), P in zip(ours, net.params):
        fd = np.zeros(P.shape)
        for idx in np.ndindex(P.shape):
            keep = P[idx]
            P[idx] = keep + h
            up = net.loss(X, y, loss)
            P[idx] = keep - h
            down = net.loss(X, y, loss)
            P[idx] = keep
            fd[idx] = (up - down) / (2 * h)
        np.testing.assert_allclose(np.column_stack([dW, db]), fd, rtol=1e-5, atol=1e-8)


def test_gradient_check_can_fail():
    """The comparison above is not vacuous: a network that differs in one weight gives
    gradients that the oracle of the original network rejects."""
    rng = np.random.default_rng(5)
    net = random_net(rng, ["sigmoid", "softmax"])
    X, y = rng.normal(size=(4, 3)), rng.integers(3, size=4)
    oracle = numeric.backward(as_numeric(net), X, np.eye(3)[y], "cross-entropy")
    net.weights[0][0][1, 2] += 1e-3
    ours = gradients(net, X, y, "cross-entropy")
    assert not np.allclose(ours[0][0], oracle.grad_W[0], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("modes", [("shared", "shared"), ("none", "neuron"), ("neuron", "none")])
def test_bias_modes_match_numeric(modes):
    rng = np.random.default_rng(11)
    net = random_net(rng, ["tanh", "softmax"], bias=list(modes))
    X, y = rng.normal(size=(5, 3)), rng.integers(3, size=5)
    ours = gradients(net, X, y)
    oracle = numeric.backward(as_numeric(net), X, np.eye(3)[y], "cross-entropy")
    for (dW, db), gW, gb, mode in zip(ours, oracle.grad_W, oracle.grad_b, modes):
        np.testing.assert_allclose(dW, gW, rtol=1e-10, atol=1e-14)
        if mode == "none":
            assert gb is None and np.all(db == 0)
        elif mode == "shared":
            # (a shared softmax bias has gradient sum_j (p_j - y_j) = 0: compare absolutely too)
            np.testing.assert_allclose(db, np.full(db.shape, gb), rtol=1e-10, atol=1e-14)
        else:
            np.testing.assert_allclose(db, gb, rtol=1e-10, atol=1e-14)


def test_one_training_step_is_numeric_update_for_a_spec_with_fixed_shared_biases():
    """worked/shared-bias.yaml: shared biases, kept fixed; sigmoid outputs. One step of the
    trainer (mse, the spec's input with class 1 as a one-sample data set) equals the
    oracle's update, and the biases stay shared and unchanged."""
    spec = load_spec(WORKED / "shared-bias.yaml")
    net = network_from_spec(spec)
    assert net.bias == ["shared", "shared"] and net.train_bias == [False, False]
    x = np.array([[float(v) for v in spec.samples[0].x]])
    data = Dataset("sample", x, np.array([1]), x, np.array([1]), 2, 2)
    lr = 0.5
    trained, _ = train(data, TrainOptions(loss="mse", lr=lr, epochs=1, batch=1, track=False), network=net)
    expected = numeric.update(as_numeric(net), numeric.backward(as_numeric(net), x, np.eye(2)[[1]], "mse"), lr)
    for (W, b), layer, (_, b0) in zip(trained.weights, expected, net.weights):
        np.testing.assert_allclose(W, layer.W, rtol=1e-12)
        np.testing.assert_array_equal(b, b0)        # train_biases: false
    assert not np.allclose(trained.theta, net.theta)
    # a trainable shared bias stays one value under Adam (element-wise, same gradient)
    free = Network(net.weights, net.activations, bias=net.bias)
    adam, _ = train(load("xor"), TrainOptions(loss="mse", optimizer="adam", lr=0.01, epochs=3, track=False), network=free)
    for (_, b), (_, b0) in zip(adam.weights, free.weights):
        assert b[0] == b[1] != b0[0]


# --------------------------------------------------------------------------- the tie to the symbolic derivation


def _spec_yaml(net: Network, x: np.ndarray, label: int) -> str:
    def vec(a):
        return "[" + ", ".join(repr(float(v)) for v in a) + "]"

    (W1, b1), (W2, b2) = net.weights
    return "\n".join([
        "title: The digits network after one SGD step",
        "network:",
        f"  inputs: {W1.shape[1]}",
        "  layers:",
        f"    - {{name: h, size: {W1.shape[0]}, activation: sigmoid, bias: neuron}}",
        f"    - {{name: o, size: {W2.shape[0]}, activation: softmax, bias: neuron}}",
        "  weight_names: indexed",
        "loss: cross-entropy",
        "parameters:",
        "  weights:",
        f"    h: [{', '.join(vec(r) for r in W1)}]",
        f"    o: [{', '.join(vec(r) for r in W2)}]",
        f"  biases: {{h: {vec(b1)}, o: {vec(b2)}}}",
        f"sample: {{x: {vec(x)}, y: {label}}}",
        "learning_rate: 0.1",
        "",
    ])


def test_digits_gradients_equal_the_symbolic_derivation(digits):
    from derive.graph.builder import derive

    opts = TrainOptions(hidden=(32,), activation="sigmoid", loss="cross-entropy", optimizer="sgd",
                        lr=0.1, epochs=1, batch=32, track=False)
    start = Network.initialise([64, 32, 10], "sigmoid", "softmax", seed=3)
    batch = subset(digits, 32)
    stepped, _ = train(batch, opts, network=start)
    # the trainer's step is plain SGD on gradients(): w - lr * dJ/dw
    expected = [(W - 0.1 * dW, b - 0.1 * db)
                for (W, b), (dW, db) in zip(start.weights, gradients(start, batch.X_train, batch.y_train))]
    for (W, b), (eW, eb) in zip(stepped.weights, expected):
        np.testing.assert_allclose(W, eW, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(b, eb, rtol=1e-12, atol=1e-15)

    # the weights, rounded to 6 decimals, become the spec and the network alike
    rounded = [(np.round(W, 6), np.round(b, 6)) for W, b in stepped.weights]
    stepped.set_weights(rounded)
    k = 40                                     # a test image the step did not train on
    x, label = digits.X_test[k], int(digits.y_test[k])
    spec = load_spec_text(_spec_yaml(stepped, x, label), "digits-step.yaml")
    graph = derive(spec)
    ours = gradients(stepped, x[None, :], np.array([label]), "cross-entropy")

    checked = 0
    for li, (dW, db) in enumerate(ours):
        layer = "ho"[li]
        exact_W = np.array([[float(graph[f"grad_w{li + 1}_{j + 1}_{i + 1}"].exact) for i in range(dW.shape[1])]
                            for j in range(dW.shape[0])])
        exact_b = np.array([float(graph[f"grad_b_{layer}{j + 1}"].exact) for j in range(db.shape[0])])
        for mine, exact in ((dW, exact_W), (db, exact_b)):
            assert np.all(np.abs(mine - exact) <= 1e-9 * np.abs(exact)), np.max(np.abs(mine - exact) / np.abs(exact))
            checked += exact.size
    assert checked == 64 * 32 + 32 + 32 * 10 + 10
    assert np.count_nonzero(exact_W) > 100    # the comparison is not a sea of zeros
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
    assert hist.test_accuracy[-1] == 1.0      # the blobs are linearly separable
    assert hist.test_accuracy[-1] == net.accuracy(data.X_test, data.y_test)


def test_momentum_differs_from_sgd():
    data = load("moons")
    a, _ = train(data, TrainOptions(optimizer="sgd", epochs=2, track=False))
    b, _ = train(data, TrainOptions(optimizer="momentum", momentum=0.9, epochs=2, track=False))
    c, _ = train(data, TrainOptions(optimizer="momentum", momentum=0.0, epochs=2, track=False))
    assert not np.allclose(a.theta, b.theta)
    np.testing.assert_allclose(a.theta, c.theta, rtol=1e-12)   # mu = 0 is plain SGD


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
    assert abs(hist64.loss[-1] - hist.loss[-1]) < 1e-3     # same run, less precision


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
    assert mse.loss[-1] < mse.loss[0]          # squared error does learn, only slower


def test_digits_float32(digits):
    _, hist = train(digits, TrainOptions(dtype="float32", epochs=50))
    assert hist.test_accuracy[-1] >= 0.94


# --------------------------------------------------------------------------- numerics at +-1000


def test_extreme_logits_stay_finite_and_silent():
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0], [0.0, 0.0, 0.0]])
    Y = np.eye(3)[[1, 2, 0]]
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        s = sigmoid(np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0]))
        p = softmax(z)
        lp = log_softmax(z)
        ce = loss_from_logits(z, Y, "cross-entropy")
        mse = loss_from_logits(z, Y, "mse")
        net = Network([(np.array([[1000.0], [-1000.0]]), np.zeros(2)),
                       (np.array([[1.0, -1.0], [-1.0, 1.0], [0.0, 0.0]]) * 1000, np.zeros(3))],
                      ["identity", "softmax"])
        g = gradients(net, [[1.0], [-1.0]], [1, 0], "cross-entropy")
        sig_net = Network([(np.array([[1000.0], [-1000.0]]), np.zeros(2))], ["sigmoid"])
        g2 = gradients(sig_net, [[1.0]], [0], "mse")
        probs = sig_net.predict_proba([[1.0], [-1.0]])
    assert s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5 and np.all(np.diff(s) > 0)
    assert np.all(np.isfinite(p)) and np.allclose(p.sum(axis=1), 1.0)
    assert np.all(np.isfinite(lp)) and lp[0, 1] == -2000.0
    # sample 1's target has logit -1000 against a max of 1000: loss 2000, not inf
    assert ce == pytest.approx((2000.0 + 0.0 + np.log(3.0)) / 3)
    assert np.isfinite(mse)
    assert all(np.all(np.isfinite(a)) for pair in g + g2 for a in pair)
    assert np.all(np.isfinite(probs)) and probs[0].tolist() == [1.0, 0.0]


def test_a_diverging_run_is_reported():
    data = load("blobs")
    data = dataclasses.replace(data, X_train=data.X_train * 1e150)
    with pytest.raises(TrainError, match="diverged"):
        train(data, TrainOptions(hidden=(4,), activation="identity", lr=10.0, epochs=3))


# --------------------------------------------------------------------------- specs and options


def test_network_from_spec_matches_the_spec_and_the_oracle():
    spec = load_spec(WORKED / "softmax.yaml")
    net = network_from_spec(spec)
    assert net.sizes == [2, 2, 3] and net.activations == ["sigmoid", "softmax"]
    np.testing.assert_array_equal(net.weights[1][0], [[0.5, -0.3], [-0.4, 0.2], [0.1, 0.7]])
    x = np.array([[0.9, 0.2]])
    fwd = numeric.forward(as_numeric(net), x, np.eye(3)[[2]], "cross-entropy")
    np.testing.assert_allclose(net.predict_proba(x), fwd.outs[-1], rtol=1e-14)
    # and it trains, from those weights, on a 2-feature 3-class set
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    data = Dataset("three", X[:45], y[:45], X[45:], y[45:], 3, 2)
    trained, hist = train(data, TrainOptions(epochs=20, lr=0.5), network=network_from_spec(WORKED / "softmax.yaml", data))
    assert trained.sizes == [2, 2, 3] and hist.loss[-1] < hist.loss[0]


def test_network_from_spec_rejects_a_mismatch():
    spec = load_spec(WORKED / "softmax.yaml")              # 2 inputs, 3 outputs
    wide = Dataset("wide", np.zeros((4, 5)), np.array([0, 1, 2, 0]), np.zeros((2, 5)), np.array([1, 2]), 3, 5)
    with pytest.raises(TrainError, match="2 inputs but wide has 5 features") as err:
        network_from_spec(spec, wide)
    assert "\n" not in str(err.value)
    with pytest.raises(TrainError, match="3 outputs but xor has 2 classes"):
        network_from_spec(spec, load("xor"))
    with pytest.raises(TrainError, match="2 inputs but wide has 5 features"):
        train(wide, TrainOptions(), network=network_from_spec(spec))
    with pytest.raises(TrainError, match="softmax .* or sigmoid"):
        network_from_spec(WORKED / "tanh.yaml")             # identity output


def test_loss_must_fit_the_output_layer():
    spec_net = network_from_spec(WORKED / "softmax.yaml")
    data = Dataset("three", np.zeros((3, 2)), np.array([0, 1, 2]), np.zeros((3, 2)), np.array([0, 1, 2]), 3, 2)
    with pytest.raises(TrainError, match="mse needs a sigmoid output layer"):
        train(data, TrainOptions(loss="mse"), network=spec_net)


@pytest.mark.parametrize("field, value, message", [
    ("optimizer", "rmsprop", "unknown optimizer"), ("activation", "softmax", "unknown activation"),
    ("loss", "hinge", "unknown loss"), ("lr", 0.0, "learning rate"), ("lr", float("nan"), "learning rate"),
    ("epochs", 0, "epochs"), ("batch", 2.5, "batch"), ("hidden", (0,), "hidden"), ("dtype", "float16", "dtype"),
    ("beta2", 1.0, "beta2"), ("init", "lecun", "unknown init"), ("seed", -1, "seed"),
])
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
    assert np.max(np.abs(he.weights[1][0])) <= np.sqrt(6 / 310)     # softmax layer: Xavier
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
    w = np.zeros(3)       # the perceptron converges only on separable data
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
