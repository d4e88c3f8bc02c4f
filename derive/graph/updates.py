"""The batch values and the updates of the step graph (a mixin of the builder,
:class:`derive.graph.builder._Builder`, which supplies the spec, the steps made so far and
``add``): the batch loss and gradients of several samples (mean or sum, with weight
decay's L2 term at the batch level), and each parameter's update, the one place updates
are made (:func:`derive.graph.optimizers.update_steps`: plain gradient descent or the
spec's optimizer, whose state carries from one update to the next).

>>> from derive.model.spec import load_spec
>>> from derive.graph.builder import derive
>>> g = derive(load_spec("worked/batch.yaml"))
>>> g["grad_w1"].deps, g["new_w1"].deps
(('grad_w1_s1', 'grad_w1_s2'), ('grad_w1',))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy as sp

from derive.graph.optimizers import l2_penalty, update_steps

if TYPE_CHECKING:
    from derive.graph.steps import Step


class Updates:
    """The builder's batch values and updates."""

    spec: Any
    steps: list
    givens: dict
    multi: bool
    trainable: list
    lam: str | None
    update: int | None
    t: int
    W: list
    latest: dict
    if TYPE_CHECKING:

        def add(self, kind: str, subject: str | None, recipe, s: int | None = None, deps=None, **meta) -> Step: ...

    def batch(self, per_sample: list[dict[str, Step]]) -> dict[str, Step]:
        """With several samples: the batch loss and gradients (mean or sum over samples)."""
        if not self.multi:
            return per_sample[0]
        losses = [st.id for st in self.steps if st.kind == "loss" and st.update == self.update and not st.after]
        self.batch_loss(losses)
        out = {}
        kinds = {q.name: q.kind for q in self.trainable}
        for p in per_sample[0]:
            ids = [g[p].id for g in per_sample]
            recipe, decay = self.reduce(ids), self.lam and kinds[p] == "weight"
            w = self.current(p)
            if decay:
                recipe, ids = ("+", recipe, ("*", self.lam, w)), ids + ([w] if w not in self.givens else [])
            out[p] = self.add("grad", p, recipe, None, ids, param=p, decay=w if decay else None)
        return out

    def batch_loss(self, losses: list[str], after: bool = False) -> Step:
        """The batch loss J from the samples' ``losses`` (their mean or sum) and, with weight
        decay, the L2 penalty (lam/2) sum w^2 at the parameters' current values."""
        loss, deps = self.reduce(losses), list(losses)
        if self.lam:
            weights = self.weights()
            loss = ("+", loss, l2_penalty(self.lam, weights, recipe=True))
            deps += [w for w in weights if w not in self.givens]
        return self.add("loss", None, loss, None, deps, after=after)

    def reduce(self, ids: list[str]):
        """The batch value of per-sample steps: their mean or sum."""
        if self.spec.batch == "sum":
            return ("+", *ids)
        return ("*", sp.Rational(1, len(ids)), ("+", *ids))

    def weights(self) -> list[str]:
        """The current names (given, or updated steps) of every weight, for the L2 penalty."""
        return [self.latest[w] for layer in self.W for row in layer for w in row]

    def current(self, name: str) -> str:
        """The name a parameter's present value goes by: itself, or its latest new step."""
        return self.latest[name]

    def updates(self, grads: dict[str, Step], at: int | None = None) -> dict[str, str]:
        """One update of every parameter from ``grads``: the one place updates are made
        (:func:`~derive.graph.optimizers.update_steps`: plain gradient descent or the spec's
        optimizer, whose state carries to the next call in ``self.state``). ``at`` is None,
        or the 0-based position of the update (online: the sample, whose ids end in
        ``_s<at+1>``). Each update reads the parameter's current value and becomes it;
        returns the new step ids."""
        self.t += 1
        made = {q.name: update_steps(self, q.name, grads[q.name].id, at) for q in self.trainable}
        self.latest.update(made)
        return made
