"""Worksheet variants draw numbers on a grid, and record them with the grid's places."""

from __future__ import annotations

import re
from pathlib import Path

from derive.model.numbers import Number, read_number
from derive.model.spec import load_spec, load_spec_text
from derive.teach.variants import DEFAULTS, grid_places, make_variants

ROOT = Path(__file__).resolve().parent.parent
FOUR = (ROOT / "worked" / "four.yaml").read_text().split("published:")[0]


def _drawn(variant):
    spec = variant.spec
    names = [n for l in spec.layers for row in spec.weight_names[l.name] for n in row] + spec.inputs
    return {n: spec.written[n] for n in names}


def test_default_grids_give_one_place():
    (v,), _ = make_variants(load_spec_text(FOUR, "four.yaml"), "four", seed=7, count=1)
    drawn = _drawn(v)
    assert all(n.places == 1 and re.fullmatch(r"-?\d\.\d", n.text) for n in drawn.values()), drawn
    assert drawn["w1"].value == v.spec.weights["h"][0][0]  # the spec keeps the exact value
    assert v.spec.written["eta"].text == "0.1"  # not drawn: as the spec wrote it


def test_a_finer_step_gives_more_places_and_zeros_are_kept():
    text = FOUR + "vary:\n  weights: {low: -0.90, high: 0.90, step: 0.05}\n  x: {low: 0, high: 1, step: 0.25}\n"
    vs, _ = make_variants(load_spec_text(text, "fine.yaml"), "fine", seed=3, count=5)
    for v in vs:
        drawn = _drawn(v)
        for name, n in drawn.items():
            assert n.places == 2 and re.fullmatch(r"-?\d\.\d\d", n.text), (name, n)
            assert Number.of(n.value, 2) == n
    assert any(n.text.endswith("0") for v in vs for n in _drawn(v).values())  # 0.10, 0.50, 1.00 keep their zeros


def test_the_places_of_a_grid_are_those_of_its_low_end_or_step():
    assert grid_places(DEFAULTS["weights"]) == 1
    assert grid_places((read_number("-1"), read_number("1"), read_number("0.25"))) == 2
    assert grid_places((read_number("0.125"), read_number("1"), read_number("0.5"))) == 3
    assert grid_places((read_number("0.10"), read_number("0.90"), read_number("0.1"))) == 2  # as written
    assert grid_places((read_number("0"), read_number("1"), read_number("1/3"))) is None
    text = FOUR + "vary:\n  x: {low: 0, high: 1, step: '1/3'}\n"
    (v,), _ = make_variants(load_spec_text(text, "thirds.yaml"), "thirds", seed=1, count=1)
    assert all(v.spec.written[i].places is None and v.spec.written[i].value * 3 in range(4) for i in v.spec.inputs)


def test_the_drawn_values_do_not_depend_on_how_the_grid_was_written():
    a = load_spec_text(FOUR + "vary:\n  weights: {low: -0.9, high: 0.9, step: 0.1}\n", "a.yaml")
    b = load_spec_text(FOUR + "vary:\n  weights: {low: -0.90, high: 0.90, step: 0.10}\n", "b.yaml")
    va, _ = make_variants(a, "x", seed=5, count=2)
    vb, _ = make_variants(b, "x", seed=5, count=2)
    assert [v.spec.weights for v in va] == [v.spec.weights for v in vb]
    assert _drawn(va[0])["w1"].places == 1 and _drawn(vb[0])["w1"].places == 2


def test_resumed_drawing_gives_the_same_variants():
    """Variants 1..k kept and drawing resumed gives exactly what drawing from 1 gives."""
    spec = load_spec(ROOT / "worked" / "four.yaml")
    fresh, _ = make_variants(spec, "four", seed=5, count=6)
    first, _ = make_variants(spec, "four", seed=5, count=3)
    resumed, _ = make_variants(spec, "four", seed=5, count=6, start=first)
    assert [v.id for v in resumed] == [v.id for v in fresh]
    assert [v.graph.values() for v in resumed] == [v.graph.values() for v in fresh]
    assert resumed[:3] == first


def test_the_checker_makes_each_variant_once_whatever_the_order(monkeypatch):
    """Answers sorted by variant used to rebuild variants 1..k for every new k."""
    import derive.teach.variants as variants
    from derive.teach.marking import Checker

    made = []
    real = variants.rebind

    def counting(graph, spec):
        made.append(1)
        return real(graph, spec)

    monkeypatch.setattr(variants, "rebind", counting)
    checker = Checker(load_spec(ROOT / "worked" / "four.yaml"), "four")
    for k in range(1, 6):
        checker.graph_for(f"four-s7-v{k:02d}")
    in_order = len(made)
    made.clear()
    checker = Checker(load_spec(ROOT / "worked" / "four.yaml"), "four")
    checker.graph_for("four-s7-v05")
    assert len(made) == in_order  # one draw sequence for 1..5, in either order
