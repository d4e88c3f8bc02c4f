"""Published numbers (``published:`` in a spec) are marked at the places they were printed with."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp

from derive.graph.builder import derive
from derive.model.numbers import Number
from derive.model.spec import load_spec, load_spec_text
from derive.teach.published import mark_published

ROOT = Path(__file__).resolve().parent.parent

# One identity node: net_o1 = out_o1 = -0.136093 exactly.
SOURCE = """
network: {inputs: 1, layers: [{name: o, size: 1, activation: identity}]}
loss: half-sse
parameters: {weights: {o: [[-0.136093]]}}
sample: {x: [1], y: [0]}
learning_rate: 0.1
rounding: {decimals: 4}
published:
  source: a walkthrough that truncates
  values: {net_o1: %s}
"""


def _mark(printed: str):
    spec = load_spec_text(SOURCE % printed, "truncated.yaml")
    (mark,) = mark_published(spec, derive(spec))
    return mark


@pytest.mark.parametrize("printed", ["-0.1360", "'-0.1360'", '"-0.1360"'])
def test_a_truncated_number_with_a_trailing_zero_is_not_right(printed):
    """-0.1360 states four places; at four places the true -0.136093 is -0.1361. PyYAML
    alone reads the unquoted number as -0.136 (three places), which would be right."""
    m = _mark(printed)
    assert m.number == Number(sp.Rational(-136, 1000), 4, "-0.1360")
    assert (m.places, m.printed) == (4, sp.Rational(-136, 1000))
    assert (m.verdict, m.misconception) == ("slip", "truncated instead of rounded")


@pytest.mark.parametrize(
    "printed, places",
    [("-0.1361", 4), ("'-0.1361'", 4), ("-0.136", 3), ("-0.14", 2), ("-0.136093", 6), ("-0.13609300", 8)],
)
def test_numbers_rounded_at_their_own_places_are_right(printed, places):
    m = _mark(printed)
    assert (m.verdict, m.places) == ("right", places)


def test_an_exact_fraction_is_right_only_when_equal():
    assert _mark("'-136093/1000000'").verdict == "right"
    m = _mark("'-136/1000'")
    assert m.verdict == "wrong" and m.number.places is None and m.places == 4  # shown at the sheet's decimals


def test_the_essays_numbers_are_marked_as_before():
    spec = load_spec(ROOT / "worked" / "four.yaml")
    marks = {m.step_id: (m.verdict, m.places, m.follows, m.misconception) for m in mark_published(spec, derive(spec))}
    assert marks == {
        "net_h1": ("right", 3, (), None),
        "out_h1": ("wrong", 3, (), "σ(−x) instead of σ(x)"),
        "net_h2": ("right", 4, (), None),
        "out_h2": ("wrong", 3, (), "σ(−x) instead of σ(x), then truncated"),  # 0.45596 cut to 0.455
        "out_o1": ("right", 2, (), None),
        "dloss_dout_o1": ("right", 2, (), None),
        "dout_dnet_o1": ("consistent", 4, (), None),
        "grad_w9": ("slip", 3, ("out_h1",), "truncated instead of rounded"),
        "new_w9": ("follow-through", 3, ("grad_w9",), None),
        "dout_dnet_h1": ("right", 3, (), None),
        "grad_w1": ("wrong", 3, (), None),
        "new_w1": ("follow-through", 4, ("grad_w1",), None),
    }


def test_the_walkthrough_table_prints_the_number_as_printed():
    """The published table shows -0.1360 with its zero (as the source printed it), beside the
    verified value at that precision, and does not call it right."""
    from derive.present.walkthrough import Walkthrough

    md = Walkthrough(load_spec_text(SOURCE % "-0.1360", "truncated.yaml")).markdown()
    row = next(line for line in md.splitlines() if line.startswith(r"| $\mathrm{net}_{o1}$ |"))
    assert "| $-0.1360$ | $-0.1361$ |" in row and "right" not in row
