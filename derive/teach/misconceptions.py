"""Known misconceptions, each a rewrite of a step's formula with one feedback sentence.

A misconception applies to some kinds of step and turns the step's correct formula into
the formula a student with that misconception would use. The checker evaluates each
rewrite on the key's values and on the student's own upstream values; a rewrite that
reproduces a wrong answer names the misconception.

The rewrites (:mod:`~derive.teach.mistakes_rewrite`) read the step graph's structure: a
step's kind, the kinds of the steps it depends on, and for a hidden delta the (weight,
delta) terms of its sum that the builder records (``Step.back``); never the order of a
formula's arguments or the spelling of step ids. The feedback
(:mod:`~derive.teach.mistakes_feedback`) quotes the sheet's own loss and activation, from
:mod:`derive.graph.functions`, in the sheet's symbols.

Which steps each misconception can name:

- activations: ``sigma-of-minus-x`` (a sigmoid's out), ``activation-for-derivative``,
  ``net-out-swapped`` (σ′ as net(1 − net), tanh′ as 1 − net², softplus′ as σ(out); not for
  ReLU, where the swap changes no value) and ``relu-slope-one`` (ReLU′ and leaky ReLU′
  taken as 1 below zero) on dout_dnet; ``derivative-forgotten`` on a delta whose
  activation slope is not the constant 1 (the identity's). ReLU's "derivative taken as the
  value itself" is ``activation-for-derivative``.
- the loss: ``unit-loss-derivative`` and ``wrong-sign`` on dJ/dout and a composed output
  delta; ``target-minus-output`` on a delta the loss gives directly (softmax with
  cross-entropy: y − out for out − y); ``half-dropped-or-doubled`` on a sample's loss and
  dJ/dout for squared errors only; ``log10-for-ln`` on a sample's loss and dJ/dout for a
  loss with logarithms (the cross-entropies); ``mean-vs-sum`` over the outputs (a sample's
  loss and dJ/dout, several outputs) and over the samples (the batch loss and gradients).
- the backward pass and the update: ``updated-weights-in-delta``, ``missing-sum``,
  ``plus-update``, ``no-learning-rate``; and two rounding slips, ``truncated`` and
  ``rounded-too-early``.

>>> from derive.model.spec import load_spec
>>> from derive.graph.builder import derive
>>> g = derive(load_spec("worked/four.yaml"))
>>> BY_NAME["sigma-of-minus-x"].alternatives(g, g["out_h1"], 3, 3)
[sigma(-net_h1)]
>>> BY_NAME["sigma-of-minus-x"].message(g, g["out_h1"])
'This is σ(−net_h1) = 1 − σ(net_h1): check the sign of the exponent in σ(x) = 1/(1 + e^(−x)).'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from derive.teach import expression_mistakes as xm
from derive.teach import mistakes_feedback as say
from derive.teach import mistakes_rewrite as rw
from derive.teach.mistakes_rewrite import evaluate_slips, rnd, trunc


@dataclass(frozen=True)
class Misconception:
    name: str
    title: str
    feedback: str | Callable  # a sentence, or (graph, step) -> the sentence for this sheet
    alternatives: Callable  # (graph, step, places, decimals) -> list of SymPy formulas
    slip: bool = False  # a rounding slip (credit less a penalty), not a misconception
    graphs: str = "network"  # the graphs it reads: network, expression, or any (the slips)

    def message(self, g, st) -> str:
        """The feedback sentence for step ``st`` of graph ``g``."""
        return self.feedback(g, st) if callable(self.feedback) else self.feedback


M = Misconception
CATALOGUE: list[Misconception] = [
    M("sigma-of-minus-x", "σ(−x) instead of σ(x)", say.sigma_neg, rw.sigma_neg),
    M(
        "activation-for-derivative",
        "the activation in place of its derivative",
        say.activation_for_derivative,
        rw.activation_for_derivative,
    ),
    M("net-out-swapped", "f′ applied to net instead of out (or the reverse)", say.net_out_swapped, rw.net_out_swapped),
    M("relu-slope-one", "ReLU′ taken as 1 for a net input ≤ 0", say.relu_slope_one, rw.relu_slope_one),
    M(
        "derivative-forgotten",
        "delta without the activation's slope f′(net)",
        say.derivative_forgotten,
        rw.derivative_forgotten,
    ),
    M("unit-loss-derivative", "∂J/∂ŷ taken as ±1", say.unit_derivative, rw.unit_derivative),
    M("wrong-sign", "∂J/∂ŷ with the wrong sign", say.wrong_sign, rw.wrong_sign),
    M("target-minus-output", "δ = y − ŷ instead of ŷ − y", say.target_minus_output, rw.target_minus_output),
    M("half-dropped-or-doubled", "factor ½ or 2 dropped or doubled", say.half, rw.half),
    M("log10-for-ln", "log10 instead of ln in the cross-entropy", say.log10_for_ln, rw.log10_for_ln),
    M("mean-vs-sum", "mean instead of sum (or the reverse)", say.mean_sum, rw.mean_sum),
    M("plus-update", "update with + instead of −", say.plus, rw.plus),
    M("no-learning-rate", "η left out", say.no_eta, rw.no_eta),
    M(
        "updated-weights-in-delta",
        "hidden delta with already-updated weights",
        say.updated_weights,
        rw.updated_weights,
    ),
    M("missing-sum", "hidden delta missing the sum over the next layer", say.missing_sum, rw.missing_sum),
    M(
        "truncated",
        "truncated instead of rounded",
        "The digits were cut off instead of rounded: round the last digit up when the next one is 5 or more.",
        rw.truncated,
        slip=True,
        graphs="any",
    ),
    M(
        "rounded-too-early",
        "rounded too early",
        "Earlier values were rounded too much before this step; carry more digits until the final answer.",
        rw.rounded_early,
        slip=True,
        graphs="any",
    ),
    M("one-path-only", "only one path of a name read twice", xm.one_path_message, xm.one_path, graphs="expression"),
    M(
        "upstream-forgotten",
        "local gradient without the upstream gradient",
        xm.upstream_forgotten_message,
        xm.upstream_forgotten,
        graphs="expression",
    ),
    M(
        "local-as-value",
        "node's value for its local gradient",
        xm.local_as_value_message,
        xm.local_as_value,
        graphs="expression",
    ),
]
BY_NAME = {m.name: m for m in CATALOGUE}

__all__ = ["BY_NAME", "CATALOGUE", "Misconception", "rnd", "trunc"]


def on_key(m: Misconception, g, st, places: int | None = None) -> list[float]:
    """The values of ``m``'s rewrites of step ``st`` on the key's values (SymPy's own
    evaluation, for tests and for listing which misconceptions a sheet cannot tell apart;
    the marker compiles the rewrites instead). ``places``: the decimals of the answer."""
    env = dict(g.given) | {s.symbol: s.value for s in g}
    out = []
    for alt in m.alternatives(g, st, places, g.spec.decimals):
        v = complex(evaluate_slips(alt.xreplace(env)).evalf(30))
        if v.imag == 0:
            out.append(v.real)
    return out
