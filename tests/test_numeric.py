"""Tests for the independent NumPy oracle, derive/numeric.py."""

import copy
import dataclasses
import itertools
import warnings
import zlib

import mpmath
import numpy as np
import pytest

from derive.verify.oracle import (
    ACTIVATIONS,
    Layer,
    backward,
    finite_difference_gradients,
    forward,
    loss_value,
    train,
    update,
)

HIDDEN = [a for a in ACTIVATIONS if a != "softmax"]
# (output activation, loss): every squared loss with every output activation, plus the
# two probabilistic losses with the output they require.
OUTPUTS = [(a, l) for l in ("half-sse", "sse", "mse", "half-mse") for a in ACTIVATIONS]
OUTPUTS += [("softmax", "cross-entropy"), ("sigmoid", "bce")]


def random_network(rng, hidden, out_act, bias, sizes=(3, 4, 3, 2)):
    layers = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        act = out_act if i == len(sizes) - 2 else hidden
        b = {"none": None, "neuron": rng.normal(size=n_out), "shared": float(rng.normal())}[bias]
        layers.append(Layer(rng.normal(size=(n_out, n_in)), act, bias, b, alpha=0.1))
    return layers


def random_targets(rng, loss, S, n):
    if loss == "cross-entropy":
        return np.eye(n)[rng.integers(n, size=S)]  # one-hot
    if loss == "bce":
        return rng.uniform(size=(S, n))  # bce allows any target in [0, 1]
    return rng.normal(size=(S, n))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("S", [1, 3])
@pytest.mark.parametrize("bias", ["none", "neuron", "shared"])
@pytest.mark.parametrize("out_act,loss", OUTPUTS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_backward_matches_finite_differences(hidden, out_act, loss, bias, S, reduction):
    # A stable per-case seed (str hash() is randomized between runs).
    rng = np.random.default_rng(zlib.crc32(repr((hidden, out_act, loss, bias, S, reduction)).encode()))
    layers = random_network(rng, hidden, out_act, bias)
    X, Y = rng.normal(size=(S, 3)), random_targets(rng, loss, S, 2)
    grads = backward(layers, X, Y, loss, reduction)
    fd_W, fd_b = finite_difference_gradients(layers, X, Y, loss, reduction)
    # The differences' round-off grows with the loss (softplus outputs are unbounded, and a
    # squared loss of 95 leaves 1e-9 of noise): the absolute floor verify uses, 1e-9 max(1, J).
    atol = 1e-9 * max(1.0, forward(layers, X, Y, loss, reduction).loss)
    for g, fd in zip(grads.grad_W, fd_W):
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=atol)
    for layer, g, fd in zip(layers, grads.grad_b, fd_b):
        if bias == "none":
            assert g is None and fd is None
        else:
            assert np.shape(g) == np.shape(layer.b)
            np.testing.assert_allclose(g, fd, rtol=1e-6, atol=atol)
    # The batch gradient is the reduction of the per-sample ones.
    reduce = np.mean if reduction == "mean" else np.sum
    for g, per in zip(grads.grad_W, grads.grad_W_per_sample, strict=True):
        assert per.shape[0] == S
        np.testing.assert_allclose(g, reduce(per, axis=0), rtol=1e-12, atol=1e-15)


def _one_at_a_time(layers, X, Y, loss, reduction, h=1e-5):
    """The 4-point differences the plain way: a fresh copy of the network per evaluation."""

    def derivative(i, field, idx):
        def f(step):
            value = np.array(getattr(layers[i], field), dtype=float)
            value[idx] += step
            moved = list(layers)
            moved[i] = dataclasses.replace(layers[i], **{field: value})
            return loss_value(moved, X, Y, loss, reduction)

        return (8 * (f(h) - f(-h)) - (f(2 * h) - f(-2 * h))) / (12 * h)

    grads = []
    for i, layer in enumerate(layers):
        for field in ("W", "b"):
            if field == "b" and (layer.bias == "none" or not layer.train_bias):
                continue
            shape = np.shape(getattr(layer, field))
            grads.append(np.array([derivative(i, field, idx) for idx in np.ndindex(shape)]).reshape(shape))
    return grads


@pytest.mark.parametrize("bias", ["none", "neuron", "shared"])
@pytest.mark.parametrize(
    "hidden,out_act,loss,S,reduction",
    [
        ("sigmoid", "sigmoid", "half-sse", 1, "mean"),
        ("tanh", "softmax", "cross-entropy", 3, "mean"),
        ("leaky-relu", "sigmoid", "bce", 3, "sum"),
        ("softplus", "identity", "mse", 2, "mean"),
    ],
)
def test_vectorised_differences_are_the_one_at_a_time_differences(hidden, out_act, loss, S, reduction, bias):
    """The blocks of moved copies give the differences of moving one parameter at a time, to
    the round-off of the loss (the absolute floor verify uses, 1e-9 max(1, J)): the same
    formula of the same float64 loss, not another approximation."""
    rng = np.random.default_rng(zlib.crc32(repr((hidden, loss, bias, S)).encode()))
    layers = random_network(rng, hidden, out_act, bias)
    layers[1] = dataclasses.replace(layers[1], train_bias=bias == "none" or S != 2)  # a frozen bias too
    X, Y = rng.normal(size=(S, 3)), random_targets(rng, loss, S, 2)
    fd_W, fd_b = finite_difference_gradients(layers, X, Y, loss, reduction)
    ours = [g for pair in zip(fd_W, fd_b, strict=True) for g in pair if g is not None]
    atol = 1e-9 * max(1.0, forward(layers, X, Y, loss, reduction).loss)
    for a, b in zip(ours, _one_at_a_time(layers, X, Y, loss, reduction), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=atol)


def test_differences_in_small_blocks_are_the_same(monkeypatch):
    """Splitting the moved copies into blocks (to bound memory) changes nothing (but, perhaps,
    the round-off of a matrix product of another height)."""
    from derive.verify import differences

    rng = np.random.default_rng(5)
    layers, X = random_network(rng, "tanh", "sigmoid", "neuron"), rng.normal(size=(4, 3))
    Y = rng.uniform(size=(4, 2))
    whole = finite_difference_gradients(layers, X, Y, "half-sse")
    monkeypatch.setattr(differences, "BLOCK", 1)
    blocks = finite_difference_gradients(layers, X, Y, "half-sse")
    for a, b in zip(whole[0] + whole[1], blocks[0] + blocks[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize(
    "loss,value,dloss",
    [
        # yhat = [1, 2, 4], y = [0, 0, 1]: residuals y - yhat = [-1, -2, -3], sum of squares 14, n = 3
        ("half-sse", 7.0, [1.0, 2.0, 3.0]),
        ("sse", 14.0, [2.0, 4.0, 6.0]),
        ("mse", 14.0 / 3, [2 / 3, 4 / 3, 2.0]),
        ("half-mse", 14.0 / 6, [1 / 3, 2 / 3, 1.0]),
    ],
)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_squared_loss_values(loss, value, dloss, reduction):
    # Finite differences cannot see a wrong loss scale (value and gradient would agree),
    # so pin the definitions down directly. Two identical samples: sum doubles, mean does not.
    layers = [Layer(np.array([[1.0], [2.0], [4.0]]), "identity")]
    X, Y = np.ones((2, 1)), np.array([[0.0, 0.0, 1.0]] * 2)
    fwd = forward(layers, X, Y, loss, reduction)
    np.testing.assert_allclose(fwd.loss_per_sample, [value, value], rtol=1e-15)
    assert fwd.loss == pytest.approx(value * (2 if reduction == "sum" else 1), rel=1e-15)
    np.testing.assert_allclose(backward(layers, X, Y, loss, reduction).dloss_dout, [dloss] * 2, rtol=1e-15)


def test_probabilistic_loss_values():
    layers = [Layer(np.array([[0.0], [np.log(3.0)]]), "softmax")]  # softmax -> [1/4, 3/4]
    fwd = forward(layers, [[1.0]], [[0.0, 1.0]], "cross-entropy")
    assert fwd.loss == pytest.approx(-np.log(0.75), rel=1e-14)
    layers = [Layer(np.array([[np.log(3.0)]]), "sigmoid")]  # sigmoid -> 3/4
    fwd = forward(layers, [[1.0]], [[0.2]], "bce")
    assert fwd.loss == pytest.approx(-(0.2 * np.log(0.75) + 0.8 * np.log(0.25)), rel=1e-14)


def test_softmax_dout_dnet_is_nan_and_others_finite():
    rng = np.random.default_rng(0)
    layers = random_network(rng, "tanh", "softmax", "neuron")
    grads = backward(layers, rng.normal(size=(2, 3)), np.eye(2), "cross-entropy")
    assert np.isnan(grads.dout_dnet[-1]).all()
    assert all(np.isfinite(d).all() for d in grads.dout_dnet[:-1])


# --- the classic 4-2-1 sigmoid example --------------------------------------------

X_421 = np.array([[0.5, 0.56, 0.3, 0.0]])
Y_421 = np.array([[1.0]])
W_H = [[0.4, 0.1, 0.4, 0.2], [0.2, 0.11, 0.05, 0.44]]
W_O = [[0.6, 0.4]]


def net_421():
    return [Layer(np.array(W_H), "sigmoid"), Layer(np.array(W_O), "sigmoid")]


def test_hand_computed_421_example():
    mpmath.mp.dps = 40

    def sig(z):
        return 1 / (1 + mpmath.exp(-z))

    x = [mpmath.mpf(str(v)) for v in X_421[0]]
    w_h = [[mpmath.mpf(str(v)) for v in row] for row in W_H]
    w_o = [mpmath.mpf(str(v)) for v in W_O[0]]
    h = [sig(mpmath.fsum(w * xi for w, xi in zip(row, x, strict=True))) for row in w_h]
    o = sig(mpmath.fsum(w * hj for w, hj in zip(w_o, h, strict=True)))
    # Chain rule by hand for J = 0.5 (y - o)^2.
    d_o = (o - 1) * o * (1 - o)
    d_h = [d_o * w_o[j] * h[j] * (1 - h[j]) for j in range(2)]

    fwd = forward(net_421(), X_421, Y_421, "half-sse")
    assert [round(float(v), 5) for v in h] == [0.59291, 0.54404]
    assert round(float(o), 5) == 0.63954
    np.testing.assert_allclose(fwd.outs[0][0], [float(v) for v in h], rtol=1e-14)
    np.testing.assert_allclose(fwd.outs[1][0, 0], float(o), rtol=1e-14)
    assert fwd.loss == pytest.approx(float((1 - o) ** 2 / 2), rel=1e-13)

    grads = backward(net_421(), X_421, Y_421, "half-sse")
    np.testing.assert_allclose(grads.grad_W[1][0], [float(d_o * hj) for hj in h], rtol=1e-12)
    np.testing.assert_allclose(grads.grad_W[0], [[float(d * xi) for xi in x] for d in d_h], rtol=1e-12, atol=1e-300)
    assert grads.grad_b == [None, None]


def test_train_history_and_decrease():
    layers, history = train(net_421(), X_421, Y_421, "half-sse", lr=0.1, steps=20)
    assert len(history) == 21
    assert history[0] == loss_value(net_421(), X_421, Y_421, "half-sse")
    assert history[-1] == loss_value(layers, X_421, Y_421, "half-sse")
    assert all(b < a for a, b in itertools.pairwise(history))


def test_train_zero_steps():
    _, history = train(net_421(), X_421, Y_421, "half-sse", lr=0.1, steps=0)
    assert history == [loss_value(net_421(), X_421, Y_421, "half-sse")]


# --- numerical stability -------------------------------------------------------------


def _assert_finite_no_warnings(layers, X, Y, loss):
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        fwd = forward(layers, X, Y, loss)
        grads = backward(layers, X, Y, loss, fwd=fwd)
    assert np.isfinite(fwd.loss_per_sample).all() and np.isfinite(fwd.loss)
    for arr in fwd.outs + grads.deltas + grads.grad_W:
        assert np.isfinite(arr).all()
    return fwd, grads


@pytest.mark.parametrize("z", [1000.0, -1000.0])
def test_sigmoid_bce_extreme_logits(z):
    # One sample hits the target, one misses it by the full logit.
    layers = [Layer(np.array([[z]]), "sigmoid")]
    X, Y = np.array([[1.0], [1.0]]), np.array([[1.0], [0.0]])
    fwd, grads = _assert_finite_no_warnings(layers, X, Y, "bce")
    hit, miss = (0, 1) if z > 0 else (1, 0)
    assert fwd.loss_per_sample[hit] == 0.0
    assert fwd.loss_per_sample[miss] == pytest.approx(1000.0)
    assert fwd.outs[0][:, 0].tolist() == ([1.0, 1.0] if z > 0 else [0.0, 0.0])
    np.testing.assert_allclose(grads.deltas[0], fwd.outs[0] - Y)


@pytest.mark.parametrize("loss", ["cross-entropy", "half-sse", "mse"])
def test_softmax_extreme_logits(loss):
    layers = [Layer(np.array([[1000.0], [-1000.0]]), "softmax")]
    X, Y = np.array([[1.0], [1.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])
    fwd, _ = _assert_finite_no_warnings(layers, X, Y, loss)
    np.testing.assert_array_equal(fwd.outs[0], [[1.0, 0.0], [1.0, 0.0]])
    if loss == "cross-entropy":
        np.testing.assert_allclose(fwd.loss_per_sample, [0.0, 2000.0])


def test_hidden_sigmoid_extreme_logits():
    layers = [Layer(np.array([[1000.0], [-1000.0]]), "sigmoid"), Layer(np.ones((1, 2)), "tanh")]
    fwd, grads = _assert_finite_no_warnings(layers, [[1.0]], [[0.5]], "half-sse")
    np.testing.assert_array_equal(fwd.outs[0], [[1.0, 0.0]])
    np.testing.assert_array_equal(grads.dout_dnet[0], [[0.0, 0.0]])


# --- update ----------------------------------------------------------------------------


def test_update_is_pure_and_respects_frozen_biases():
    rng = np.random.default_rng(1)
    layers = random_network(rng, "tanh", "identity", "neuron")
    layers[0].train_bias = False
    layers[1] = Layer(layers[1].W, "leaky-relu", "shared", 0.25, train_bias=True)
    X, Y = rng.normal(size=(3, 3)), rng.normal(size=(3, 2))
    before = copy.deepcopy(layers)
    grads = backward(layers, X, Y, "mse")
    assert grads.grad_b[0] is None and isinstance(grads.grad_b[1], float)
    new = update(layers, grads, lr=0.01)

    for old, kept in zip(layers, before, strict=True):  # inputs untouched
        np.testing.assert_array_equal(old.W, kept.W)
        np.testing.assert_array_equal(old.b, kept.b)
    np.testing.assert_array_equal(new[0].b, before[0].b)  # frozen bias unchanged
    assert new[0].b is not layers[0].b  # ... but not aliased either
    assert new[1].b == pytest.approx(0.25 - 0.01 * grads.grad_b[1])
    np.testing.assert_allclose(new[2].b, before[2].b - 0.01 * grads.grad_b[2])
    for n, old, g in zip(new, before, grads.grad_W, strict=True):
        np.testing.assert_allclose(n.W, old.W - 0.01 * g)
    assert loss_value(new, X, Y, "mse") < loss_value(layers, X, Y, "mse")


def test_frozen_bias_has_no_finite_difference_gradient():
    rng = np.random.default_rng(2)
    layers = random_network(rng, "relu", "sigmoid", "shared")
    layers[1].train_bias = False
    X, Y = rng.normal(size=(2, 3)), rng.uniform(size=(2, 2))
    _, fd_b = finite_difference_gradients(layers, X, Y, "bce")
    assert fd_b[1] is None and isinstance(fd_b[0], float)
    assert backward(layers, X, Y, "bce").grad_b[1] is None


@pytest.mark.parametrize(
    "bad",
    [
        dict(acts=("softmax", "identity"), loss="half-sse"),
        dict(acts=("tanh", "identity"), loss="cross-entropy"),
        dict(acts=("tanh", "identity"), loss="bce"),
        dict(acts=("tanh", "identity"), loss="nope"),
    ],
)
def test_invalid_configurations_raise(bad):
    layers = [Layer(np.ones((2, 2)), bad["acts"][0]), Layer(np.ones((2, 2)), bad["acts"][1])]
    with pytest.raises(ValueError):
        forward(layers, np.ones((1, 2)), np.array([[1.0, 0.0]]), bad["loss"])
