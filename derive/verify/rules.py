"""The optimizers' update rules in floats, written once in NumPy for the oracle (and the
training core, which shares them): PyTorch's documented rules (torch.optim.SGD with
momentum or nesterov and dampening 0, RMSprop with alpha = rho and centered False, Adam
without amsgrad). Nothing here imports the symbolic code: the step graph's rules
(:mod:`derive.graph.optimizers`) are checked against these, and both against a plain
loop in the tests.

A :class:`Running` optimizer keeps each parameter array's state (by a key of the caller's)
and the update count ``t``; :meth:`Running.step` returns the new array and the update's
quantities by step kind (m, v, mhat, vhat, change), which the oracle compares with the
step graph's steps of the same names.

>>> import numpy as np
>>> run = Running("momentum", {"beta": 0.9}, lr=0.1)
>>> run.next(); p, q = run.step("w", np.array([1.0]), np.array([2.0]))
>>> p.tolist(), q["m"].tolist()   # PyTorch's buffer starts as the gradient
([0.8], [2.0])
>>> run.next(); run.step("w", p, np.array([2.0]))[1]["m"].tolist()
[3.8]
"""

from __future__ import annotations

import numpy as np

#: the rules these kernels know (the step graph's HAND_OPTIMIZERS)
RULES = ("sgd", "momentum", "nesterov", "rmsprop", "adam")


def quantities(name: str, g, state: dict, t: int, s: dict, lr: float) -> dict:
    """The update ``t`` (1, 2, ...) of one parameter array from its gradient ``g`` and the
    ``state`` the previous update left (empty before the first: m and v start at 0, and
    momentum's buffer as the gradient): kind -> array, ``change`` = new - old included."""
    g = np.asarray(g, float)
    if name == "sgd":
        return {"change": -lr * g}
    if name in ("momentum", "nesterov"):
        m = g.copy() if "m" not in state else s["beta"] * state["m"] + g
        step = m if name == "momentum" else g + s["beta"] * m
        return {"m": m, "change": -lr * step}
    if name == "rmsprop":
        v = s["rho"] * state.get("v", 0.0) + (1 - s["rho"]) * g * g
        return {"v": v, "change": -lr * g / (np.sqrt(v) + s["eps"])}
    if name == "adam":
        m = s["beta1"] * state.get("m", 0.0) + (1 - s["beta1"]) * g
        v = s["beta2"] * state.get("v", 0.0) + (1 - s["beta2"]) * g * g
        mhat, vhat = m / (1 - s["beta1"] ** t), v / (1 - s["beta2"] ** t)
        return {"m": m, "v": v, "mhat": mhat, "vhat": vhat, "change": -lr * mhat / (np.sqrt(vhat) + s["eps"])}
    raise ValueError(f"unknown optimizer {name!r}; known: {', '.join(RULES)}")


class Running:
    """An optimizer under way: its rule, settings, learning rate, each array's state and the
    number of updates begun (``t``; :meth:`next` begins one)."""

    def __init__(self, name: str, settings: dict, lr: float):
        if name not in RULES:
            raise ValueError(f"unknown optimizer {name!r}; known: {', '.join(RULES)}")
        self.name, self.settings, self.lr = name, dict(settings), lr
        self.state: dict = {}
        self.t = 0

    def next(self) -> None:
        self.t += 1

    def step(self, key, p, g) -> tuple[np.ndarray, dict]:
        """The array ``p`` after this update, and the update's quantities by kind."""
        q = quantities(self.name, g, self.state.get(key, {}), self.t, self.settings, self.lr)
        self.state[key] = {k: q[k] for k in ("m", "v") if k in q}
        return np.asarray(p, float) + q["change"], q
