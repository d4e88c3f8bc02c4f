"""The Moodle XML bank, read back with a strict XML parser and checked against the
documented structure (https://docs.moodle.org/en/Moodle_XML_format): a ``<quiz>`` of
category questions and numerical questions, each with ``<name><text>``, ``<questiontext
format="html"><text>`` (and the diagram as a ``<file>`` it refers to), ``<answer
fraction="100">`` with a plain decimal ``<text>`` and ``<tolerance>``. Each stem states the
problem with the sheet's givens, says the precision once, and gives no answer away."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest
from support import NETWORK_EXAMPLES

from derive.graph.builder import derive
from derive.model.spec import load_spec, load_spec_text
from derive.present.moodle import PICTURE, moodle_xml
from derive.present.numbers import fmt
from derive.present.worksheet import make_worksheet

ROOT = Path(__file__).resolve().parent.parent
WORKED = [p.stem for p in NETWORK_EXAMPLES]
PLAIN = re.compile(r"-?\d+\.\d+")
#: blank sets: everything, the backward pass and the update, and every fifth step
BLANKS = (None, "backward,update", "scattered")


@cache
def _bank(name: str, blanks: str | None):
    spec = load_spec(ROOT / "worked" / f"{name}.yaml")
    if blanks == "scattered":
        blanks = ",".join(derive(spec).ids[2::5])
    ws = make_worksheet(spec, name, variants=2, seed=11, blanks=blanks)
    return ws, ET.fromstring(moodle_xml(ws))


def _words(html: str) -> str:
    """The stem as text: tags dropped, entities read."""
    return re.sub(r"<[^>]+>", " ", html).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z<])", text) if len(s.strip()) > 3]


@pytest.mark.parametrize("blanks", BLANKS)
@pytest.mark.parametrize("name", WORKED)
def test_every_question_has_moodles_fields(name, blanks):
    ws, root = _bank(name, blanks)
    assert root.tag == "quiz"
    questions = root.findall("question")
    assert {q.get("type") for q in questions} == {"category", "numerical"}
    cats = [q for q in questions if q.get("type") == "category"]
    assert [c.findtext("category/text") for c in cats] == [f"$course$/derive/{v.id}" for v in ws.variants]
    nums = [q for q in questions if q.get("type") == "numerical"]
    asked = [(v, q) for v in ws.variants for q in ws.questions(v)]
    assert len(nums) == len(asked)
    for el, (v, q) in zip(nums, asked, strict=True):
        assert el.findtext("name/text") == f"{v.id} Q{q.number} {q.id}"
        qt = el.find("questiontext")
        assert qt is not None and qt.get("format") == "html" and qt.findtext("text")
        answers = el.findall("answer")
        assert len(answers) == 1 and answers[0].get("fraction") == "100"
        text, tol = answers[0].findtext("text"), answers[0].findtext("tolerance")
        assert PLAIN.fullmatch(text) and PLAIN.fullmatch(tol) and not tol.startswith("-"), (text, tol)
        value = float(v.graph[q.id].value)
        assert abs(float(text) - value) <= 1e-6 * max(1.0, abs(value))
        assert float(tol) >= 0.5 * 10**-v.spec.decimals  # at least half a unit in the last place asked
        for tag in ("defaultgrade", "penalty", "hidden", "generalfeedback"):
            assert el.find(tag) is not None, tag


@pytest.mark.parametrize("blanks", BLANKS)
@pytest.mark.parametrize("name", WORKED)
def test_each_stem_states_the_problem_once_and_no_answer(name, blanks):
    ws, root = _bank(name, blanks)
    nums = root.findall("question[@type='numerical']")
    asked = [(v, q) for v in ws.variants for q in ws.questions(v)]
    for el, (v, q) in zip(nums, asked, strict=True):
        html = el.findtext("questiontext/text")
        text = _words(html)
        sentences = _sentences(text)
        assert len(sentences) == len(set(sentences)), [s for s in sentences if sentences.count(s) > 1]
        assert text.count("decimal places") == 1
        # the update's learning rate, or (loss: none) what is differentiated instead
        assert "learning rate" in text if v.spec.learning_rate is not None else "There is no loss" in text
        assert f"Question {q.number}." in text
        # the diagram: a file the question carries, an SVG, that the text shows
        f = el.find("questiontext/file")
        assert f is not None and f.get("name") == PICTURE and f.get("encoding") == "base64"
        assert ET.fromstring(base64.b64decode(f.text)).tag.endswith("svg")
        assert f'src="@@PLUGINFILE@@/{PICTURE}"' in html
        # every parameter, input and given step, at the sheet's precision
        d = v.spec.decimals
        shown = {fmt(p, d, True) for _, _, p in v.spec.parameters()}
        shown |= {fmt(x, d, True) for s in v.spec.samples for x in (*s.x, *s.y)}
        shown |= {fmt(v.spec.learning_rate, d, True)} if v.spec.learning_rate is not None else set()
        given = {fmt(s.value, d) for s in ws.given_steps(v)}
        for value in shown | given:
            assert re.search(rf"(?<![\d.]){re.escape(value)}(?![\d])", html), (q.id, value)
        # and no blank's answer, unless it is also the value of something given
        numbers = set(PLAIN.findall(html))
        for sid in ws.blanks:
            key = fmt(v.graph[sid].value, d)
            assert key not in numbers or key in shown | given, (q.id, sid, key)


def test_given_steps_in_the_stem_are_the_sheets():
    ws, root = _bank("four", "backward,update")
    v = ws.variants[0]
    stem = root.find("question[@type='numerical']").findtext("questiontext/text")
    ids = [s.id for s in ws.given_steps(v)]
    assert ids == ["net_h1", "net_h2", "out_h1", "out_h2", "net_o1", "out_o1", "loss"]
    assert "You may use these values" in stem and r"\(\mathrm{out}_{o1}\)" in stem
    assert r"\delta" not in stem.split("Question")[0]  # nothing of the backward pass is given


FOUR = (ROOT / "worked" / "four.yaml").read_text(encoding="utf-8")


def test_control_characters_and_markup_in_the_title_keep_the_xml_valid():
    import dataclasses

    from derive.model.spec import SpecError

    title = 'title: "Four \\x01\\x07\\x1b]]> <b>&amp; \\u0085 \\x7f done"'
    with pytest.raises(SpecError, match="title: control character U\\+0001"):  # the spec's own rule comes first
        load_spec_text(FOUR.replace("title: Is it a four?", title), "hostile.yaml")
    spec = load_spec_text(FOUR.replace("title: Is it a four?", 'title: "Four ]]> <b>&amp; done"'), "hostile.yaml")
    spec = dataclasses.replace(spec, title="Four \x01\x07\x1b]]> <b>&amp; \x85 \x7f done")  # the writer alone
    ws = make_worksheet(spec, "hostile", variants=0, blanks="loss")
    xml = moodle_xml(ws)
    root = ET.fromstring(xml)  # strict: a control character or a broken CDATA would raise
    stem = root.find("question[@type='numerical']").findtext("questiontext/text")
    assert "Four ]]&gt; &lt;b&gt;&amp;amp;" in stem and "done" in stem
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", xml)
