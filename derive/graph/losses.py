"""Loss functions for one sample, as SymPy expressions of the outputs and targets.

>>> y, out = sp.symbols("y out")
>>> LOSSES["half-sse"].expr([out], [y])
(-out + y)**2/2
>>> sp.diff(LOSSES["half-sse"].expr([out], [y]), out)
out - y
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp


@dataclass(frozen=True)
class Loss:
    name: str
    latex: str        # the definition for the walkthrough, n = number of outputs
    text: str         # one phrase for prose

    def expr(self, outs: list[sp.Symbol], ys: list[sp.Symbol]) -> sp.Expr:
        n = len(outs)
        sq = sp.Add(*[(y - o) ** 2 for o, y in zip(outs, ys)], evaluate=False) if n > 1 else (ys[0] - outs[0]) ** 2
        if self.name == "half-sse":
            return sp.Rational(1, 2) * sq
        if self.name == "sse":
            return sq
        if self.name == "mse":
            return sp.Rational(1, n) * sq
        if self.name == "half-mse":
            return sp.Rational(1, 2 * n) * sq
        if self.name == "cross-entropy":
            return -sp.Add(*[y * sp.log(o) for o, y in zip(outs, ys)])
        if self.name == "bce":
            return -sp.Add(*[y * sp.log(o) + (1 - y) * sp.log(1 - o) for o, y in zip(outs, ys)])
        raise KeyError(self.name)


LOSSES: dict[str, Loss] = {
    l.name: l
    for l in (
        Loss("half-sse", r"J = \tfrac{1}{2}\sum_{j} (y_j - \mathrm{out}_j)^2", "half the sum of squared errors"),
        Loss("sse", r"J = \sum_{j} (y_j - \mathrm{out}_j)^2", "the sum of squared errors"),
        Loss("mse", r"J = \tfrac{1}{n}\sum_{j} (y_j - \mathrm{out}_j)^2", "the mean squared error over the n outputs"),
        Loss("half-mse", r"J = \tfrac{1}{2n}\sum_{j} (y_j - \mathrm{out}_j)^2", "half the mean squared error over the n outputs"),
        Loss("cross-entropy", r"J = -\sum_{j} y_j \log \mathrm{out}_j", "the cross-entropy of the softmax output"),
        Loss("bce", r"J = -\sum_{j} \left[y_j \log \mathrm{out}_j + (1 - y_j)\log(1 - \mathrm{out}_j)\right]", "the binary cross-entropy"),
    )
}
