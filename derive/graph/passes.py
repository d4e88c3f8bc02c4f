"""Which passes a spec's step graph holds, and the steps of its optional forms.

The standard graph is one forward and backward pass per sample, the batch values and one
update. The spec's options change that (:mod:`derive.model.options`):

- ``loss: none``: one pass that differentiates the single output itself. Where a loss's
  dJ/dout would start the backward pass, d out / d out = 1 does, so the output's delta is its
  dout_dnet and every gradient is d out / d p; there is no loss, target or update.
- ``input_gradients: true``: ``grad_<input>`` (``grad_x0_s2`` with several samples), the
  gradient of the sample's loss (or output) with respect to each input,
  sum_j w_jk delta_j over the first layer's nodes j.
- ``batch: online``: sample 1's forward and backward pass and its update, then sample 2's
  at the parameters that update left (its nets read ``new_<p>_s1``), and so on; every
  per-sample id ends in the sample's suffix (``new_w1_s2``), and there are no batch values.
- ``show: [after]``: the forward pass at the updated parameters (``net_h1_after``,
  ``out_o1_after``, ``loss_after``; per sample ``out_o1_after_s2`` and, with a batch, the
  batch loss ``loss_after``); online, after each sample's update on that sample.

>>> from derive.model.spec import load_spec
>>> from derive.graph.builder import derive
>>> g = derive(load_spec("worked/online.yaml"))
>>> g["net_h1_s2"].deps, "batch loss" if "loss" in g.by_id else "no batch loss"
(('new_b_h1_s1', 'new_w1_s1', 'new_w3_s1'), 'no batch loss')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from derive.graph.chain import MAX_PATHS, NodePaths, n_paths

if TYPE_CHECKING:
    from derive.graph.steps import Step


def recipe_sum(terms: list):
    """A sum recipe, or the one term alone."""
    return ("+", *terms) if len(terms) > 1 else terms[0]


class Passes:
    """The builder's passes (a mixin of :class:`derive.graph.builder._Builder`, which supplies
    ``spec``, ``loss``, ``online``, ``multi``, ``givens`` and the step-making methods)."""

    spec: Any
    loss: Any
    online: bool
    multi: bool
    givens: dict
    if TYPE_CHECKING:

        def sample(self, s: int) -> dict[str, Step]: ...
        def new_pass(self, s: int, after: bool = False) -> Any: ...
        def forward(self, p: Any, li: int) -> None: ...
        def loss_step(self, p: Any) -> Step: ...
        def dout(self, p: Any, li: int, j: int) -> Step: ...
        def batch(self, per_sample: list[dict[str, Step]]) -> dict[str, Step]: ...
        def reduce(self, ids: list[str]) -> tuple: ...
        def batch_loss(self, losses: list[str], after: bool = False) -> Step: ...
        def updates(self, grads: dict[str, Step], at: int | None = None) -> dict[str, str]: ...
        def add(self, kind: str, subject: str | None, recipe, s: int | None = None, deps=None, **meta) -> Step: ...
        def _ids(self, p: Any) -> Any: ...

    def passes(self) -> None:
        """Every pass of the spec, in the order a student works them."""
        S, after = len(self.spec.samples), "after" in self.spec.show
        if self.loss is None:  # one sample, nothing to update
            self.sample(0)
            return
        if self.online:
            for s in range(S):
                self.updates(self.sample(s), s)
                if after:
                    self.after_pass(s)
            return
        self.updates(self.batch([self.sample(s) for s in range(S)]))
        if after:
            losses = [self.after_pass(s).id for s in range(S)]
            if self.multi:
                self.batch_loss(losses, after=True)

    def after_pass(self, s: int) -> Step:
        """Sample ``s``'s forward pass and loss at the parameters' current (updated) values."""
        p = self.new_pass(s, after=True)
        for li in range(len(self.spec.layers)):
            self.forward(p, li)
        return self.loss_step(p)

    def output_of_itself(self, p) -> None:
        """``loss: none``: the output's delta d out / d net, as d out / d out = 1 starts the chain."""
        L = len(self.spec.layers) - 1
        p.douts[L] = [self.dout(p, L, 0)]
        node = self.spec.layers[L].nodes[0]
        p.deltas[L] = [self.add("delta", node, p.douts[L][0].symbol, p.s, layer=L, node=0)]

    def input_gradients(self, p) -> None:
        """d J / d x_k = sum_j w_jk delta_j over the first layer's nodes j, for each input."""
        spec = self.spec
        size = spec.layers[0].size
        deltas = [d.id for d in p.deltas[0]]
        paths = NodePaths(spec, self._ids(p), p.W)
        few = size * n_paths(spec, 0) <= MAX_PATHS
        for k, x in enumerate(p.x):
            ws = [p.W[0][j][k] for j in range(size)]
            chain = tuple(path for j in range(size) for path in paths.chain(0, j, x, ws[j])) if few else ()
            deps = deltas + [w for w in ws if w not in self.givens]
            recipe = recipe_sum([("*", w, d) for w, d in zip(ws, deltas)])
            self.add("grad", spec.inputs[k], recipe, p.s, deps, node=k, chain=chain)
