"""What a worksheet gives and in what order it asks: the givens are the problem, never its
solution (no blank, nothing computed from a blank); ``--given`` adds steps on purpose; one
question order for the sheet, the key, the answers template, the manifest and Moodle, and
it is the order the key shows them; no tool names on what students read."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import NETWORK_EXAMPLES

from derive.cli import main
from derive.graph.builder import derive
from derive.graph.derivations import DERIVATIONS
from derive.model.spec import load_spec
from derive.present.derivation import derivation_section
from derive.present.moodle import moodle_xml
from derive.present.worksheet import answers_template, make_worksheet, render_class, render_key, render_sheet
from derive.teach.manifest import manifest_data
from derive.teach.worksheet import givens

ROOT = Path(__file__).resolve().parent.parent
WORKED = [p.stem for p in NETWORK_EXAMPLES]
FOUR = ROOT / "worked" / "four.yaml"


@cache
def _graph(name: str):
    return derive(load_spec(ROOT / "worked" / f"{name}.yaml"))


@cache
def _sheet(name: str, blanks: str | None = None):
    """The spec's own numbers (variant 0) as a worksheet, numbered as the CLI numbers it."""
    return make_worksheet(load_spec(ROOT / "worked" / f"{name}.yaml"), name, variants=0, blanks=blanks)


def _closure(graph, blanks: set[str]) -> set[str]:
    """The blanks' descendants, found independently: grow the set until no step is added."""
    found: set[str] = set()
    while True:
        more = {s.id for s in graph if s.id not in found and any(d in blanks | found for d in s.deps)}
        if not more:
            return found
        found |= more


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from(WORKED))
def test_givens_are_the_problem_not_the_solution(data, name):
    g = _graph(name)
    blanks = set(data.draw(st.sets(st.sampled_from(g.ids), min_size=1, max_size=8), label="blanks"))
    extra = set(data.draw(st.sets(st.sampled_from(sorted(set(g.ids) - blanks)), max_size=2), label="extra"))
    hidden = _closure(g, blanks)
    plain = set(givens(g, blanks))
    assert not plain & blanks and not plain & hidden  # nothing asked, nothing computed from an answer
    assert plain == set(g.ids) - blanks - hidden  # and everything else
    with_extra = givens(g, blanks, extra)
    assert set(with_extra) == plain | extra and not set(with_extra) & blanks
    assert with_extra == [sid for sid in g.ids if sid in set(with_extra)]  # graph order


def _known_names(sheet_md: str) -> list[str]:
    part = sheet_md.split("You may use these values:")[1].split("## Questions")[0]
    return re.findall(r"^\| \$(.+?)\$ \| \$", part, flags=re.M)


def test_the_issue_sheet_prints_no_answer():
    """The blanks of the issue on the softmax network: dJ/db_o2 (= delta_o2), the updates
    and the rest downstream of out_h1 are not printed; what out_h1 is computed from is."""
    blanks = "out_h1,loss,delta_o2,delta_h1,grad_w1_1_1,grad_w2_3_2,new_w1_1_1"
    ws = make_worksheet(load_spec(ROOT / "worked" / "softmax.yaml"), "softmax", variants=1, seed=5, blanks=blanks)
    v = ws.variants[0]
    md, tex = render_sheet(ws, v, "md"), render_sheet(ws, v, "tex")
    assert [s.id for s in ws.given_steps(v)] == ["net_h1", "net_h2", "out_h2", "dout_dnet_h2"]
    assert _known_names(md) == [
        r"\mathrm{net}_{h1}",
        r"\mathrm{net}_{h2}",
        r"\mathrm{out}_{h2}",
        r"\frac{\partial \mathrm{out}_{h2}}{\partial \mathrm{net}_{h2}}",
    ]
    assert r"\frac{\partial J}{\partial b_{o2}}" not in md and r"\frac{\partial J}{\partial b_{o2}}" not in tex
    late = make_worksheet(load_spec(ROOT / "worked" / "softmax.yaml"), "softmax", variants=0, blanks="new_w1_1_1")
    assert r"\frac{\partial J}{\partial b_{o2}}" in render_sheet(late, late.variants[0], "md")  # (its name)


def test_given_option_adds_steps_and_is_recorded(tmp_path):
    out = tmp_path / "o"
    argv = ["worksheet", str(FOUR), "--blanks", "forward,loss", "--given", "grad_w1, delta_o1", "-o", str(out)]
    assert main(argv) == 0
    sheet = (out / "four-d2-s0-v01-sheet.md").read_text(encoding="utf-8")
    assert _known_names(sheet) == [r"\delta_{o1}", r"\frac{\partial J}{\partial w_{1}}"]
    manifest = json.loads((out / "worksheet.json").read_text(encoding="utf-8"))
    assert manifest["options"]["given"] == ["delta_o1", "grad_w1"]
    # without --given the backward pass, all computed from the blanks, is not given at all
    assert main(["worksheet", str(FOUR), "--blanks", "forward,loss", "-o", str(tmp_path / "p")]) == 0
    assert "You may use these values" not in (tmp_path / "p" / "four-d2-s0-v01-sheet.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "given_, expect",
    [
        ("grad_w1,grad_w99", "--given: 'grad_w99' is not a step id of this network"),
        ("net_h1", "--given: 'net_h1' is also a blank"),
    ],
)
def test_bad_given_is_one_line(tmp_path, capsys, given_, expect):
    argv = ["worksheet", str(FOUR), "--blanks", "forward", "--given", given_, "-o", str(tmp_path / "out")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expect in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def _labels(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"Question (\d+):", text)]


@pytest.mark.parametrize("name", WORKED)
def test_one_question_order_everywhere(name):
    """The key shows the questions 1, 2, 3, ...; the sheet, the answers template, the
    manifest and Moodle ask them in that order, and it is an order one can work in."""
    ws = _sheet(name)
    v = ws.variants[0]
    ids = [q.id for q in ws.questions(v)]
    n = len(ids)
    assert ws.blanks == ids and sorted(ids) == sorted(v.graph.ids)
    for fmt in ("md", "tex"):
        assert _labels(render_key(ws, v, fmt)) == list(range(1, n + 1)), fmt
    assert _labels(render_class(ws, "keys")) == list(range(1, n + 1))
    sheet = render_sheet(ws, v, "md")
    rows = re.findall(r"^\| (\d+) \| \$(.+?)\$ \|", sheet.split("## Questions")[1], flags=re.M)
    assert [int(k) for k, _ in rows] == list(range(1, n + 1))
    template = [line.split(":")[0] for line in answers_template(ws, v).splitlines()[3:]]
    assert template == ids
    assert [q["id"] for q in manifest_data(ws, {})["questions"]] == ids
    assert [q["number"] for q in manifest_data(ws, {})["questions"]] == list(range(1, n + 1))
    names = [q.findtext("name/text") for q in ET.fromstring(moodle_xml(ws)).findall("question[@type='numerical']")]
    assert names == [f"{v.id} Q{k} {sid}" for k, sid in enumerate(ids, 1)]
    before: set[str] = set()
    for sid in ids:  # each question reads only the given numbers and earlier answers
        assert set(v.graph[sid].deps) <= before, sid
        before.add(sid)


def test_order_holds_for_a_subset_and_for_every_variant():
    ws = make_worksheet(load_spec(FOUR), "four", variants=3, seed=2, blanks="out_h2,net_h1,grad_w1,out_h1,net_h2")
    # the key's order: a layer's nets, then its outputs (the step graph's order)
    assert ws.blanks == ["net_h1", "net_h2", "out_h1", "out_h2", "grad_w1"]
    for v in ws.variants:
        for fmt in ("md", "tex"):
            assert _labels(render_key(ws, v, fmt)) == [1, 2, 3, 4, 5]


TOOLS = re.compile(r"sympy|numpy|test suite|unit test", re.I)


@pytest.mark.parametrize("name", WORKED)
def test_no_tool_names_on_what_students_read(name):
    ws = _sheet(name, "backward,update")
    v = ws.variants[0]
    extra = {f: derivation_section(list(DERIVATIONS), f) for f in ("md", "tex")}
    texts = {f"sheet.{f}": render_sheet(ws, v, f, extra[f]) for f in ("md", "tex")}
    texts |= {f"key.{f}": render_key(ws, v, f) for f in ("md", "tex")}
    texts["class-keys"] = render_class(ws, "keys")
    for what, text in texts.items():
        found = TOOLS.search(text)
        assert found is None, f"{name} {what}: {text[max(0, found.start() - 80) : found.end() + 40]!r}"
    assert "checked" in texts["key.md"] and "checked equal to the line before" in texts["sheet.md"]
