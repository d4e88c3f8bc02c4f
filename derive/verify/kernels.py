"""The float forms of the activations and losses, each written once in NumPy.

The oracle (:mod:`derive.verify.oracle`) and the training core (:mod:`derive.train`) both
compute with these kernels, so a sigmoid or a cross-entropy cannot mean one thing in a
walkthrough's check and another in training. Nothing here imports the symbolic code: the
step graph (SymPy) stays the independent reference that these kernels are tested against.

Conventions: arrays have the sample axis first (``(S, n)``), ``net`` is a layer's input
to its activation and ``out`` (``yhat`` for the last layer) its output. Every kernel takes
an optional ``out=`` array and then works in place without allocating (the training loop
calls them thousands of times on small arrays); ``out`` may be the input itself.

- Every derivative is written in terms of the activation's *output*, as a student writes
  sigma' = sigma (1 - sigma) and tanh' = 1 - tanh^2; for ReLU and leaky ReLU ``out > 0``
  exactly when ``net > 0``, and the derivative at the kink (net = 0) is taken as 0 (ReLU)
  or alpha (leaky ReLU), the convention of the step graph.
- sigmoid is ``1 / (1 + exp(-x))``: accurate to the last bit in both tails (the form
  ``0.5 + 0.5 tanh(x / 2)`` loses every digit of sigma(-40) = 4.2e-18). For x < -709,
  ``exp(-x)`` overflows to inf and the result is the correct limit 0; the in-place forms
  leave NumPy's overflow flag to their caller (the training loop silences it once per
  run), :func:`activate` and :func:`sigmoid` without ``out`` silence it themselves.
- softmax and cross-entropy subtract each row's maximum before ``exp`` (log-sum-exp), so
  nothing overflows and ``log(0)`` is never taken; bce is computed from the logits.

>>> import numpy as np
>>> activate("sigmoid", np.array([-1000.0, 0.0, 1000.0])).tolist()
[0.0, 0.5, 1.0]
>>> derivative("tanh", np.array([0.0, 0.5])).tolist()
[1.0, 0.75]
>>> float(loss_per_sample("cross-entropy", np.array([[1000.0, -1000.0]]), None, np.array([[0.0, 1.0]]))[0])
2000.0
"""

from __future__ import annotations

import numpy as np

from derive.model.names import ACTIVATIONS, LOSSES, NO_LOSS

#: The squared-error losses as multiples of sum_j (y_j - yhat_j)^2, for n outputs.
SQUARED = {"half-sse": lambda n: 0.5, "sse": lambda n: 1.0, "mse": lambda n: 1.0 / n, "half-mse": lambda n: 0.5 / n}
#: The output activation each probabilistic loss needs (the squared losses take any).
OUTPUT_FOR = {"cross-entropy": "softmax", "bce": "sigmoid"}


def _target(x, out):
    return np.empty_like(x, dtype=np.result_type(x, np.float32)) if out is None else out


# --------------------------------------------------------------------------- activations


def sigmoid(x, out=None) -> np.ndarray:
    """1 / (1 + e^-x) element-wise (see the module notes on the tails).

    >>> [f"{v:.6e}" for v in sigmoid(np.array([-40.0, 0.0]))]
    ['4.248354e-18', '5.000000e-01']
    """
    x = np.asarray(x)
    if out is None:
        with np.errstate(over="ignore"):
            return sigmoid(x, _target(x, None))
    np.negative(x, out=out)
    np.exp(out, out=out)
    np.add(out, 1.0, out=out)
    np.reciprocal(out, out=out)
    return out


def softmax(z, out=None, *, work=None) -> np.ndarray:
    """Row-wise softmax ``exp(z - max) / sum exp(z - max)``; ``exp`` never sees a positive
    argument. With ``work`` (an (S, 1) array) nothing is allocated: ``z`` itself is shifted
    in place (its rows less their maxima: the same logits for softmax) and the row sums are
    left in ``work``, which is what :func:`cross_entropy_shifted` reads afterwards.

    >>> softmax(np.array([[1000.0, 1000.0], [0.0, np.log(3.0)]])).round(6).tolist()
    [[0.5, 0.5], [0.25, 0.75]]
    """
    z = np.asarray(z)
    if work is None:
        z = z - z.max(axis=-1, keepdims=True)
        work = np.empty(z.shape[:-1] + (1,), dtype=z.dtype)
    else:
        np.maximum.reduce(z, axis=-1, keepdims=True, out=work)
        np.subtract(z, work, out=z)
    out = _target(z, out)
    np.exp(z, out=out)
    np.add.reduce(out, axis=-1, keepdims=True, out=work)
    np.divide(out, work, out=out)
    return out


# Each activation as f(net, out, alpha) writing into out, and its derivative as
# f(out, d, alpha) writing d out / d net into d, from the output alone.


def _tanh(x, out, alpha):
    np.tanh(x, out=out)


def _relu(x, out, alpha):
    np.maximum(x, 0.0, out=out)


def _leaky_relu(x, out, alpha):  # max(z, alpha z) for 0 <= alpha < 1
    np.maximum(x, np.multiply(x, alpha), out=out)


def _softplus(x, out, alpha):  # log(1 + e^x), finite for any x
    np.logaddexp(0.0, x, out=out)


def _identity(x, out, alpha):
    if out is not x:
        np.copyto(out, x)


def _d_sigmoid(y, d, alpha):  # s' = s (1 - s)
    np.subtract(1.0, y, out=d)
    np.multiply(d, y, out=d)


def _d_tanh(y, d, alpha):  # tanh' = 1 - tanh^2
    np.square(y, out=d)
    np.subtract(1.0, d, out=d)


def _d_relu(y, d, alpha):  # 1 where net > 0, 0 at and below the kink
    np.sign(y, out=d)  # (out >= 0, so its sign is 1 or 0; faster than a compare)


def _d_leaky_relu(y, d, alpha):  # 1 where net > 0, alpha at and below the kink
    np.greater(y, 0.0, out=d)
    np.multiply(d, 1.0 - alpha, out=d)
    np.add(d, alpha, out=d)


def _d_softplus(y, d, alpha):  # softplus' = sigma(net) = 1 - e^-out, from the output
    np.negative(y, out=d)
    np.expm1(d, out=d)
    np.negative(d, out=d)


def _d_identity(y, d, alpha):
    d.fill(1.0)


def _d_softmax(y, d, alpha):  # a full Jacobian, not element-wise: see output_delta
    d.fill(np.nan)


ACTIVATE = {
    "sigmoid": lambda x, out, alpha: sigmoid(x, out),
    "tanh": _tanh,
    "relu": _relu,
    "leaky-relu": _leaky_relu,
    "softplus": _softplus,
    "identity": _identity,
    "softmax": lambda x, out, alpha: softmax(x, out),
}
DERIVATIVE = {
    "sigmoid": _d_sigmoid,
    "tanh": _d_tanh,
    "relu": _d_relu,
    "leaky-relu": _d_leaky_relu,
    "softplus": _d_softplus,
    "identity": _d_identity,
    "softmax": _d_softmax,
}


def _check_activation(name: str) -> None:
    if name not in ACTIVATE:
        raise ValueError(f"unknown activation {name!r} (choose from {', '.join(ACTIVATIONS)})")


def activate(name: str, net, alpha: float = 0.01, out=None) -> np.ndarray:
    """The activation ``name`` (one of :data:`derive.model.names.ACTIVATIONS`) of ``net``;
    ``alpha`` is the leaky-ReLU slope for net <= 0."""
    _check_activation(name)
    net = np.asarray(net)
    if out is None and name == "sigmoid":
        return sigmoid(net)  # silences exp's overflow to inf (the right limit)
    out = _target(net, out)
    ACTIVATE[name](net, out, alpha)
    return out


def derivative(name: str, out, alpha: float = 0.01, into=None) -> np.ndarray:
    """d out / d net element-wise, from the activation's output ``out``. softmax has a full
    Jacobian instead (see :func:`output_delta`): its element-wise entry is NaN."""
    _check_activation(name)
    out = np.asarray(out)
    d = _target(out, into)
    DERIVATIVE[name](out, d, alpha)
    return d


def times_derivative(name: str, d, out, alpha: float = 0.01, work=None) -> np.ndarray:
    """``d *= d out / d net`` in place (the step of the delta recursion); ``work`` is a
    scratch array shaped like ``d``. Nothing to do for identity.

    >>> times_derivative("sigmoid", np.array([2.0, 2.0]), np.array([0.5, 0.9])).round(6).tolist()
    [0.5, 0.18]
    """
    if name != "identity":
        work = np.empty_like(d) if work is None else work
        DERIVATIVE[name](out, work, alpha)
        np.multiply(d, work, out=d)
    return d


# --------------------------------------------------------------------------- losses


def logsumexp(z) -> np.ndarray:
    """log sum_j exp(z_j) per row, as an (S, 1) column; never overflows.

    >>> logsumexp(np.array([[1000.0, 1000.0]])).round(6).tolist()
    [[1000.693147]]
    """
    m = z.max(axis=-1, keepdims=True)
    return m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def log_softmax(z) -> np.ndarray:
    """log softmax(z) per row: ``z - logsumexp(z)``, finite for any finite z."""
    z = np.asarray(z, dtype=np.result_type(np.asarray(z).dtype, np.float32))
    return z - logsumexp(z)


def cross_entropy_shifted(shifted, sums, Y, one_hot: bool = False) -> np.ndarray:
    """Per-sample cross-entropy ``-sum_j y_j log softmax_j`` from the logits less their row
    maxima and the row sums of their exponentials (what :func:`softmax` leaves with
    ``work``): ``sum(y) log(sums) - sum_j y_j shifted_j``, where ``one_hot`` promises
    ``sum(y) = 1``.

    >>> z, sums = np.array([[0.0, -1000.0]]), np.array([[1.0]])
    >>> cross_entropy_shifted(z, sums, np.array([[0.0, 1.0]])).tolist()
    [1000.0]
    """
    log_sums = np.log(sums[..., 0])
    if not one_hot:
        log_sums *= Y.sum(axis=-1)
    return log_sums - np.einsum("ij,ij->i", Y, shifted)


def bce(z, Y) -> np.ndarray:
    """Per-sample binary cross-entropy of sigmoid outputs, from the logits ``z``:
    ``sum_j y_j log(1 + e^-z_j) + (1 - y_j) log(1 + e^z_j)`` (never log(0)).

    >>> bce(np.array([[-1000.0, 0.0]]), np.array([[1.0, 1.0]])).round(6).tolist()
    [1000.693147]
    """
    return (Y * np.logaddexp(0.0, -z) + (1.0 - Y) * np.logaddexp(0.0, z)).sum(axis=-1)


def squared(loss: str, yhat, Y) -> np.ndarray:
    """Per-sample squared error: the loss's multiple of sum_j (y_j - yhat_j)^2.

    >>> [float(squared(loss, np.array([[0.5, 0.0]]), np.array([[1.0, 1.0]]))[0]) for loss in SQUARED]
    [0.625, 1.25, 0.625, 0.3125]
    """
    diff = np.subtract(Y, yhat)
    return SQUARED[loss](Y.shape[-1]) * np.einsum("ij,ij->i", diff, diff)


def loss_per_sample(loss: str, z, yhat, Y) -> np.ndarray:
    """The loss of every sample (S,), from the output layer's nets ``z`` (the logits, used
    by cross-entropy and bce) and outputs ``yhat`` (used by the squared losses)."""
    if loss in SQUARED:
        return squared(loss, yhat, Y)
    if loss == NO_LOSS:  # the single output itself is what is differentiated
        return np.array(yhat[..., 0], dtype=float)
    if loss == "cross-entropy":
        work = np.empty((len(z), 1), dtype=np.result_type(z, np.float32))
        shifted = np.array(z, dtype=work.dtype)
        softmax(shifted, work=work)
        return cross_entropy_shifted(shifted, work, Y)
    if loss == "bce":
        return bce(z, Y)
    raise ValueError(f"unknown loss {loss!r} (choose from {', '.join(LOSSES)})")


def _ratio(num, den):
    """num/den with 0/anything = 0: a term whose coefficient is 0 has no derivative.
    A saturated prediction against its target still gives +-inf (honestly)."""
    with np.errstate(divide="ignore", over="ignore"):  # 1/1e-320 overflows to inf: the same honest inf
        return np.divide(num, den, out=np.zeros_like(num), where=num != 0)


def dloss_dout(loss: str, yhat, Y, out=None, z=None) -> np.ndarray:
    """dJ_s / d yhat_j for every sample. The squared losses' ``2 c(n) (yhat - y)`` can be
    written into ``out``; the log losses' ratios (-y / yhat, ...) are for display only,
    since their output deltas never go through them (see :func:`output_delta`). With the
    logits ``z``, bce's is ``-y (1 + e^-z) + (1 - y)(1 + e^z)``: 1 - yhat, which rounds to 0
    once yhat rounds to 1 (z = 40), is never formed; only a value beyond float64 is inf.

    >>> dloss_dout("half-sse", np.array([[0.25]]), np.array([[1.0]])).tolist()
    [[-0.75]]
    >>> z = np.array([[40.0]])
    >>> dloss_dout("bce", sigmoid(z), np.array([[0.0]])).tolist(), dloss_dout("bce", None, np.array([[0.0]]), z=z)
    ([[inf]], array([[2.35385267e+17]]))
    """
    if loss == NO_LOSS:  # d out / d out
        return np.ones_like(yhat, dtype=float)
    if loss == "bce" and z is not None:
        with np.errstate(over="ignore"):  # beyond float64: inf, honestly
            return _ratio(-Y, sigmoid(z)) + _ratio(1.0 - Y, sigmoid(-z))

    if loss in SQUARED:
        out = _target(yhat, out)
        np.subtract(yhat, Y, out=out)
        np.multiply(out, 2.0 * SQUARED[loss](Y.shape[-1]), out=out)
        return out
    if loss == "cross-entropy":
        return -_ratio(Y, yhat)
    return -_ratio(Y, yhat) + _ratio(1.0 - Y, 1.0 - yhat)


def output_delta(
    loss: str, activation: str, yhat, Y, alpha: float = 0.01, out=None, work=None, one_hot: bool = False
) -> np.ndarray:
    """The output layer's deltas dJ_s / d net_j for every sample, from its outputs ``yhat``.

    softmax + cross-entropy: ``yhat sum(y) - y`` (``yhat - y`` when the targets sum to 1,
    which ``one_hot`` promises); sigmoid + bce: ``yhat - y`` (the product of dJ/dyhat and
    sigma' would be unstable); softmax + a squared loss: the Jacobian-vector product
    ``yhat (g - sum_k g_k yhat_k)`` with ``g = dJ/dyhat``; otherwise ``g * f'(out)``.
    ``out`` must not be ``yhat`` for the squared losses; ``work`` is scratch like ``yhat``.

    >>> yhat, y = np.array([[0.25, 0.75]]), np.array([[0.0, 1.0]])
    >>> output_delta("cross-entropy", "softmax", yhat, y).tolist()
    [[0.25, -0.25]]
    >>> output_delta("half-sse", "sigmoid", yhat, y).tolist()
    [[0.046875, -0.046875]]
    """
    if loss in OUTPUT_FOR and activation != OUTPUT_FOR[loss]:
        raise ValueError(f"{loss} needs a {OUTPUT_FOR[loss]} output, got {activation}")
    out = _target(yhat, out)
    if loss == NO_LOSS:  # the output's own derivative: 1 * f'(out)
        return derivative(activation, yhat, alpha, out)
    if loss == "cross-entropy" and not one_hot:
        np.multiply(yhat, Y.sum(axis=-1, keepdims=True), out=out)
        return np.subtract(out, Y, out=out)
    if loss in OUTPUT_FOR:
        return np.subtract(yhat, Y, out=out)
    dloss_dout(loss, yhat, Y, out=out)
    if activation == "softmax":
        work = _target(yhat, work)
        np.multiply(out, yhat, out=work)
        np.subtract(out, work.sum(axis=-1, keepdims=True), out=out)
        return np.multiply(out, yhat, out=out)
    return times_derivative(activation, out, yhat, alpha, work)
