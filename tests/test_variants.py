"""Worksheet variants draw numbers on a grid, and record them with the grid's places; they are
fair and equally hard, and their ids carry the version of the draw."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from derive.cli import main
from derive.model.numbers import Number, read_number, round_half_up
from derive.model.spec import load_spec, load_spec_text
from derive.teach.variants import (
    BAND,
    DEFAULTS,
    DRAW_VERSION,
    MAX_DRAWS,
    VariantError,
    difficulty_band,
    draw_rules,
    grid_places,
    make_variants,
    parse_variant_id,
    variant_id,
)

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
        checker.graph_for(f"four-d2-s7-v{k:02d}")
    in_order = len(made)
    made.clear()
    checker = Checker(load_spec(ROOT / "worked" / "four.yaml"), "four")
    checker.graph_for("four-d2-s7-v05")
    assert len(made) == in_order  # one draw sequence for 1..5, in either order


# --------------------------------------------------------------------------- fair variants


@pytest.fixture(scope="module")
def four30():
    spec = load_spec(ROOT / "worked" / "four.yaml")
    return spec, *make_variants(spec, "four", seed=7, count=30)


def _numbers(spec):
    """Every drawn number of a variant: weights, biases, inputs."""
    return [p.value for p in spec.iter_parameters()] + [x for s in spec.samples for x in s.x]


def test_no_variant_of_the_four_class_set_has_a_zero_or_a_zero_gradient(four30):
    _, vs, rejected = four30
    assert len(vs) == 30
    for v in vs:
        assert all(n != 0 for n in _numbers(v.spec)), v.id
        grads = [st for st in v.graph if st.kind == "grad"]
        assert len(grads) == 10 and all(round_half_up(st.exact, v.spec.decimals) != 0 for st in grads), v.id
        news = {st.param: st.value for st in v.graph if st.kind == "new"}
        assert all(round_half_up(news[p], 4) != round_half_up(v.graph.numbers[p], 4) for p in news), v.id
    assert rejected["a zero input, weight or bias"] > 0  # the rule is counted when it acts


def test_allow_zero_lifts_the_rule():
    grids = "  x: {low: 0, high: 0.3, step: 0.1}\n"
    strict = load_spec_text(FOUR + "vary:\n" + grids, "zeros.yaml")
    lifted = load_spec_text(FOUR + "vary:\n" + grids + "  allow_zero: true\n", "zeros.yaml")
    assert strict.vary.get("allow_zero", False) is False and lifted.vary["allow_zero"] is True
    fair, rejected = make_variants(strict, "zeros", seed=2, count=8)
    assert not any(n == 0 for v in fair for n in _numbers(v.spec))
    assert rejected["a zero input, weight or bias"] > 0
    free, rejected = make_variants(lifted, "zeros", seed=2, count=8)
    assert any(n == 0 for v in free for n in _numbers(v.spec))
    assert "a zero input, weight or bias" not in rejected


def _negatives(v) -> int:
    """The documented measure, counted here on its own: negative drawn numbers and step values."""
    return sum(1 for n in _numbers(v.spec) if n < 0) + sum(1 for st in v.graph if float(st.exact) < 0)


def test_the_difficulty_of_every_variant_lies_in_one_band(four30):
    _, vs, rejected = four30
    low, high = vs[0].band
    assert high - low == 2 * BAND == 2
    assert all(v.band == (low, high) for v in vs)
    levels = [_negatives(v) for v in vs]
    assert levels == [v.difficulty for v in vs]
    assert all(low <= n <= high for n in levels), levels
    assert max(levels) - min(levels) <= 2
    assert rejected["difficulty outside the band"] > 0


def test_the_band_centre_is_the_median_of_fair_draws(four30):
    spec, vs, _ = four30
    band = difficulty_band(spec, vs[0].graph, 7, draw_rules(spec))
    assert band == vs[0].band
    assert difficulty_band(spec, vs[0].graph, 8, draw_rules(spec)) is not None


def test_the_same_seed_gives_the_same_variants(four30):
    spec, vs, rejected = four30
    again, rejected_again = make_variants(spec, "four", seed=7, count=30)
    assert [v.id for v in again] == [v.id for v in vs]
    assert [v.spec.written for v in again] == [v.spec.written for v in vs]
    assert rejected_again == rejected
    other, _ = make_variants(spec, "four", seed=8, count=3)
    assert [v.spec.written for v in other] != [v.spec.written for v in vs[:3]]


# --------------------------------------------------------------------------- ids and the draw version


def test_ids_carry_the_draw_version():
    assert DRAW_VERSION == 2
    assert variant_id("four", 7, 3) == "four-d2-s7-v03"
    assert parse_variant_id("four-d2-s7-v03") == ("four", 7, 3)
    assert parse_variant_id("my-sheet-d2-s0-v10") == ("my-sheet", 0, 10)


@pytest.mark.parametrize(
    "vid, says",
    [("four-s7-v03", "an older version of derive (draw 1"), ("four-d3-s7-v03", "a newer version of derive (draw 3")],
)
def test_an_id_of_another_draw_is_refused_by_name(vid, says):
    with pytest.raises(VariantError) as e:
        parse_variant_id(vid)
    assert f"variant {vid!r} was drawn by {says}" in str(e.value)
    assert "worksheet.json they came with" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(VariantError, match="not a variant id like four-d2-s7-v03"):
        parse_variant_id("four-v03")


def test_worksheet_refuses_an_old_id(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["worksheet", str(ROOT / "worked" / "four.yaml"), "--variant", "four-s7-v03", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "four.yaml" in err and "'four-s7-v03' was drawn by an older version" in err
    assert not out.exists()


def test_check_without_a_manifest_refuses_an_old_id(tmp_path, capsys):
    from derive.teach.marking import Checker

    checker = Checker(load_spec(ROOT / "worked" / "four.yaml"), "four")
    with pytest.raises(VariantError, match="'four-s7-v03' was drawn by an older version of derive"):
        checker.graph_for("four-s7-v03")
    (tmp_path / "a.yaml").write_text("variant: four-s7-v03\nnet_h1: 0.5\n")
    assert main(["check", str(ROOT / "worked" / "four.yaml"), str(tmp_path / "a.yaml")]) == 2
    err = capsys.readouterr().err
    assert "a.yaml" in err and "'four-s7-v03' was drawn by an older version" in err
    assert "worksheet.json they came with" in err


def test_the_manifest_records_the_draw(tmp_path):
    out = tmp_path / "out"
    assert (
        main(["worksheet", str(ROOT / "worked" / "four.yaml"), "--variants", "3", "--seed", "7", "-o", str(out)]) == 0
    )
    m = json.loads((out / "worksheet.json").read_text())
    draw = m["draw"]
    assert draw["version"] == DRAW_VERSION
    rules = draw["rules"]
    assert rules["weights"] == {"low": "-0.9", "high": "0.9", "step": "0.1"}
    assert rules["x"] == {"low": "0", "high": "1", "step": "0.1"}
    assert (rules["max_net"], rules["allow_zero"], rules["max_draws"]) == ("3", False, MAX_DRAWS)
    low, high = rules["difficulty"]["band"]
    assert all(low <= v["difficulty"] <= high for v in m["variants"])
    assert [v["id"] for v in m["variants"]] == ["four-d2-s7-v01", "four-d2-s7-v02", "four-d2-s7-v03"]
    assert sum(m["rejected_draws"]["by_reason"].values()) == m["rejected_draws"]["total"] > 0
