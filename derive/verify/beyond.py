"""The rows of the three-way check that float64 cannot judge, and why.

An exact value larger in magnitude than float64's largest number (1.8 x 10^308: bce's
dJ/dout at a net of -1000 is -1.97 x 10^434, a product of weights of 10^308 is larger
still) has no float64 counterpart: the NumPy oracle can only give inf. Two infinities
agreeing says nothing, so such a value is *not compared*, with the reason, never reported
as agreeing or as failing. A value computed from one of them (an update w - eta g with g
beyond float64) is compared when float64 still agrees with it, and otherwise not compared
either; finite differences of a loss beyond float64 are not compared at all.

>>> from derive.model.spec import load_spec_text
>>> from derive.graph.builder import derive
>>> from derive.verify.three_way import verify
>>> spec = load_spec_text('''
... network: {inputs: 1, layers: [{name: o, size: 1, activation: sigmoid}]}
... loss: bce
... parameters: {weights: {o: [[-1000]]}}
... sample: {x: [1], y: [1]}
... learning_rate: 0.1
... ''', "saturated.yaml")
>>> r = verify(derive(spec))
>>> r.ok, r.beyond
(True, {'dloss_dout_o1': '-1.970071114017047e+434'})
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from derive.graph.magnitude import FLOAT_MAX, scientific

#: How many steps a note names before it says "and N more".
NAMED = 4


@dataclass
class Judgement:
    """Which rows float64 cannot judge: ``skip_np`` (SymPy vs NumPy) and ``skip_fd``
    (finite differences), the exact values beyond float64 and the reasons, and the notes."""

    skip_np: np.ndarray
    skip_fd: np.ndarray
    beyond: dict[str, str] = field(default_factory=dict)
    not_compared: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _named(items: list[str]) -> str:
    more = f", and {len(items) - NAMED} more" if len(items) > NAMED else ""
    return ", ".join(items[:NAMED]) + more


def not_comparable(graph, exact: np.ndarray, numpy: np.ndarray, bad_np: np.ndarray, bad_fd: np.ndarray) -> Judgement:
    """The rows of ``graph`` that float64 cannot judge. ``exact`` holds the exact values as
    floats (inf where one is beyond float64: exact values are always finite), ``numpy`` the
    oracle's, and ``bad_np``, ``bad_fd`` mark the rows whose comparisons disagree."""
    steps = graph.steps
    out = Judgement(np.zeros(len(steps), bool), np.zeros(len(steps), bool))
    beyond = np.isinf(exact)
    if not beyond.any():
        return out
    at = {st.id: i for i, st in enumerate(steps)}
    reads = np.zeros(len(steps), bool)  # computed from a value beyond float64
    for i, st in enumerate(steps):
        reads[i] = any(beyond[at[d]] or reads[at[d]] for d in st.deps)
    lost = reads & ~beyond & bad_np
    out.skip_np = beyond | lost
    out.beyond = {steps[i].id: scientific(steps[i].exact) for i in np.flatnonzero(beyond)}
    out.not_compared = {st: "beyond float64" for st in out.beyond}
    out.not_compared.update({steps[i].id: "computed from a value beyond float64" for i in np.flatnonzero(lost)})
    shown = [f"{k} = {v}" for k, v in out.beyond.items()]
    out.notes.append(
        f"{len(shown)} value(s) are beyond float64, whose largest number is {FLOAT_MAX:.1e}: {_named(shown)}. "
        "They are exact; float64 has no counterpart to compare them with, so they were not compared."
    )
    if lost.any():
        shown = [f"{steps[i].id} (NumPy gives {float(numpy[i])!r})" for i in np.flatnonzero(lost)]
        out.notes.append(
            f"{len(shown)} value(s) computed from them were not compared either, as float64 loses them: "
            f"{_named(shown)}."
        )
    loss = [i for i, st in enumerate(steps) if st.id == "loss"]
    if loss and beyond[loss[0]]:
        out.skip_fd[:] = True
        out.notes.append(
            "Finite differences were not compared: they are differences of the loss, which is beyond float64."
        )
    else:
        out.skip_fd = bad_fd & (beyond | reads)
        if out.skip_fd.any():
            shown = [steps[i].id for i in np.flatnonzero(out.skip_fd)]
            out.notes.append(
                f"Finite differences were not compared for {_named(shown)}: read from values beyond float64."
            )
    return out
