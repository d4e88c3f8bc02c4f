"""The optimizers: each updates the flat parameter array in place from the flat gradient.

- SGD: ``theta -= lr g``. The learning rate is folded into the gradient's scale (the
  output deltas are multiplied by it), so the step is one subtraction.
- Momentum: the classical (heavy-ball) form ``v = mu v - lr g; theta += v``, as
  scikit-learn's ``nesterovs_momentum=False``.
- Adam, with the bias correction of Kingma & Ba (2015) (the article's formula omits it):
  the step is ``lr * m_hat / (sqrt(v_hat) + eps)`` (computed in an equivalent form with
  fewer array operations, see :func:`_adam`), so the first step moves each weight by
  about ``lr * sign(g)``.
- Nesterov momentum and RMSprop: the oracle's own float rules (:mod:`derive.verify.rules`,
  PyTorch's documented ones), applied to the flat array in place, so the training core and
  the walkthrough's check cannot mean different things by them.

>>> import numpy as np
>>> from derive.train.options import TrainOptions
>>> theta, G = np.zeros(2), np.array([0.5, -2.0])
>>> scale, step = optimizer(TrainOptions(optimizer="adam", lr=0.1), theta, G)
>>> step(); theta.round(6).tolist()
[-0.1, 0.1]
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from derive.train.options import TrainOptions
from derive.verify.rules import Running


def optimizer(opts: TrainOptions, theta: np.ndarray, G: np.ndarray) -> tuple[float, Callable[[], None]]:
    """``(scale, step)``: the gradient is to be computed times ``scale`` into ``G``, then
    ``step()`` applies it to ``theta`` in place."""
    if opts.optimizer == "sgd":
        return opts.lr, _sgd(theta, G)
    if opts.optimizer == "momentum":
        return opts.lr, _momentum(theta, G, opts.momentum)
    if opts.optimizer == "nesterov":
        return 1.0, _shared(theta, G, "nesterov", {"beta": opts.momentum}, opts.lr)
    if opts.optimizer == "rmsprop":
        return 1.0, _shared(theta, G, "rmsprop", {"rho": opts.rho, "eps": opts.eps}, opts.lr)
    return 1.0 - opts.beta1, _adam(theta, G, opts.lr, opts.beta1, opts.beta2, opts.eps)


def _shared(theta, G, name: str, settings: dict, lr: float):
    run = Running(name, settings, lr)

    def step():  # G holds the gradient itself (scale 1)
        run.next()
        theta[...] = run.step("theta", theta, G)[0]

    return step


def _sgd(theta, G):
    def step():  # G already holds lr * gradient
        np.subtract(theta, G, out=theta)

    return step


def _momentum(theta, G, mu):
    v = np.zeros_like(theta)

    def step():  # v = mu v - lr g; theta += v
        np.multiply(v, mu, out=v)
        np.subtract(v, G, out=v)
        np.add(theta, v, out=theta)

    return step


def _adam(theta, G, lr, b1, b2, eps):
    # G holds (1 - b1) g: the factor is folded into the output deltas (the scale returned
    # by optimizer()), so the first moment is m = b1 m + G. The second moment is kept as
    # u = b2 u + G^2, which is v (1 - b1)^2 / (1 - b2); then, with
    # q = sqrt(1 - b2) / ((1 - b1) sqrt(1 - b2^t)), sqrt(v_hat) = q sqrt(u) and the step
    # lr m_hat / (sqrt(v_hat) + eps) is (lr / ((1 - b1^t) q)) m / (sqrt(u) + eps / q):
    # ten array operations instead of twelve, the same update.
    m, u, tmp = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    t = [0]

    def step():
        t[0] += 1
        q = np.sqrt(1.0 - b2) / ((1.0 - b1) * np.sqrt(1.0 - b2 ** t[0]))
        np.multiply(m, b1, out=m)
        np.add(m, G, out=m)
        np.multiply(u, b2, out=u)
        np.square(G, out=tmp)
        np.add(u, tmp, out=u)
        np.sqrt(u, out=tmp)
        np.add(tmp, eps / q, out=tmp)
        np.divide(m, tmp, out=tmp)
        np.multiply(tmp, lr / ((1.0 - b1 ** t[0]) * q), out=tmp)
        np.subtract(theta, tmp, out=theta)

    return step
