"""Issue 13's options together: online batches, optimizers, weight decay, the change and
after steps, unrolled steps and input gradients were built apart, so every mixture is
derived, verified three ways and rendered here (the online example's network). A
mixture that verified with one option's term missing on one side would fail: the test
that the L2 term reaches the online pass after the update is the one that found it."""

import itertools
from pathlib import Path

import pytest
import yaml

from derive.errors import VerificationError
from derive.graph.builder import derive
from derive.model.spec import load_spec_text
from derive.present.walkthrough import Walkthrough
from derive.verify.three_way import verify

BASE = yaml.safe_load((Path(__file__).resolve().parent.parent / "worked" / "online.yaml").read_text())
MIXES = [
    (batch, opt, wd, steps)
    for batch, opt, wd, steps in itertools.product(
        ["online", "mean", "sum"], [None, "nesterov", "rmsprop", "adam"], [0, 0.01], [1, 3]
    )
    if not (batch == "online" and steps > 1)
]


def spec_of(batch, opt, wd, steps):
    d = dict(BASE, batch=batch, show=["change", "after"], steps=steps, input_gradients=True)
    if opt:
        d["optimizer"] = opt
    if wd:
        d["weight_decay"] = wd
    return load_spec_text(yaml.safe_dump(d), "mix.yaml")


@pytest.mark.parametrize("batch, opt, wd, steps", MIXES)
def test_every_mixture_verifies_and_renders(batch, opt, wd, steps):
    spec = spec_of(batch, opt, wd, steps)
    g = derive(spec)
    report = verify(g)
    assert report.ok, report.failures[:3]
    kinds = {st.kind for st in g}
    assert {"change", "new"} <= kinds and any(st.after for st in g)
    if opt == "adam":
        assert {"m", "v", "mhat", "vhat"} <= kinds
    if steps > 1:  # an optimizer's steps are all worked by hand; plain descent's first only
        assert any(st.update for st in g) == (opt is not None)
    md = Walkthrough(spec).markdown()
    assert "went down" in md or "went up" in md


def test_the_after_loss_of_an_online_sample_carries_the_l2_term():
    g = derive(spec_of("online", None, 0.01, 1))
    after = g["loss_after_s1"]
    assert "lam" in str(after.formula) and {"new_w1_s1", "out_o1_after_s1"} <= set(after.deps)
    g["loss_after_s1"].exact -= 0.0057  # the size of the L2 term here: without it, the oracle disagrees
    with pytest.raises(VerificationError, match="loss_after_s1"):
        verify(g)
