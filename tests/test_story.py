"""The story is told with each variant's numbers: placeholders, braces, unknown names, and the
warning for a story that writes out numbers a variant does not have."""

from __future__ import annotations

from pathlib import Path

import pytest

from derive.cli import main
from derive.model.fields import STORY
from derive.model.schema import json_schema
from derive.model.spec import SpecError, load_spec, load_spec_text
from derive.present.problem import ProblemView
from derive.present.walkthrough import Walkthrough
from derive.teach.story import fill_story, story_warning, written_numbers
from derive.teach.worksheet import build_worksheet

ROOT = Path(__file__).resolve().parent.parent
FOUR = ROOT / "worked" / "four.yaml"
BODY = FOUR.read_text().split("network:", 1)[1].split("published:")[0]


def _spec_text(story: str) -> str:
    return f"title: t\nstory: '{story}'\nnetwork:{BODY}"


def _pixels(spec) -> str:
    return ", ".join(spec.written[i].text for i in ("i1", "i2", "i3")) + f" and {spec.written['i4'].text}"


def test_the_four_story_is_filled_per_variant():
    ws = build_worksheet(load_spec(FOUR), "four", variants=3, seed=7)
    stories = []
    for v in ws.variants:
        story = ProblemView(ws, v).story
        assert f"1 (dark): {_pixels(v.spec)}. A small network" in story, v.id
        assert "{" not in story and "0.56" not in story
        stories.append(story)
    assert len(set(stories)) == 3  # three variants, three sets of pixels


def test_the_walkthrough_of_the_spec_tells_its_own_numbers():
    md = Walkthrough.from_file(FOUR).markdown()
    assert "1 (dark): 0.5, 0.56, 0.3 and 0.0. A small network" in md
    assert "{i1}" not in md


def test_every_given_number_may_be_named():
    spec = load_spec_text(_spec_text("eta {eta}, w9 {w9}, target {y_o1}, pixel {i4}"), "all.yaml")
    assert fill_story(spec) == "eta 0.1, w9 0.6, target 1, pixel 0.0"


def test_double_braces_are_braces_and_other_braces_stay():
    spec = load_spec_text(_spec_text("{{i1}} is {i1}; a set { } and {1}"), "braces.yaml")
    assert fill_story(spec) == "{i1} is 0.5; a set { } and {1}"
    assert STORY.parts("{{") == [("text", "{")]


def test_an_unknown_placeholder_is_a_spec_error():
    with pytest.raises(SpecError) as e:
        load_spec_text(_spec_text("the pixels are {i1} and {i9}"), "typo.yaml")
    msg = str(e.value)
    assert msg.startswith("typo.yaml: story: unknown placeholder {i9}") and "{{" in msg and "\n" not in msg


@pytest.mark.parametrize("command", [["worksheet", "--variants", "2"], ["walkthrough"]])
def test_an_unknown_placeholder_is_exit_2_with_one_line(tmp_path, capsys, command):
    bad = tmp_path / "typo.yaml"
    bad.write_text(_spec_text("the learning rate is {learning_rate}"))
    out = tmp_path / "out"
    assert main([command[0], str(bad), *command[1:], "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "typo.yaml: story: unknown placeholder {learning_rate}" in err
    assert not out.exists()


def test_a_story_with_the_specs_numbers_written_out_warns(tmp_path, capsys):
    spec_file = tmp_path / "literal.yaml"
    spec_file.write_text(_spec_text("The pixels are 0.5, 0.56, 0.3 and 0; the rate is 0.1 and 3 layers are 1.5 too"))
    assert main(["worksheet", str(spec_file), "--variants", "3", "--seed", "7", "-o", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("derive: literal.yaml: story: writes out 0.5, 0.56 and 0.3, but 3 of 3 variants")
    assert "{i2} for 0.56" in line
    assert "0.1" not in line.split("but")[0] and "1.5" not in line  # eta is every variant's; 1.5 is not the spec's


def test_a_story_with_placeholders_does_not_warn(tmp_path, capsys):
    assert main(["worksheet", str(FOUR), "--variants", "3", "--seed", "7", "-o", str(tmp_path / "o")]) == 0
    assert "story" not in capsys.readouterr().err


def test_a_story_that_agrees_with_the_numbers_does_not_warn():
    spec = load_spec_text(_spec_text("The pixels are 0.5 and 0.56"), "own.yaml")
    assert written_numbers(spec) == ["0.5", "0.56"]
    ws = build_worksheet(spec, "own", variants=0)
    assert story_warning(spec, ws.variants) is None  # variant 0: the spec's own numbers
    ws = build_worksheet(spec, "own", variants=2, seed=1)
    assert "0.56" in (story_warning(spec, ws.variants) or "")


def test_the_schema_describes_the_placeholders():
    assert "{w1}" in json_schema()["properties"]["story"]["description"]
