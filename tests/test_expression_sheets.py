"""Expression graphs in worksheets, the checker and the circuit diagram: variants drawn
fairly, blanks by group or id, the givens rule on the sheet and on the diagram, the
manifest read back, Moodle well-formed, round trips through the checker (follow-through,
misconceptions), a diagram whose texts never overlap."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from functools import cache
from itertools import combinations
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.cli import main
from derive.graph.expression import derive_expression
from derive.model.expression import load_expression, load_expression_text
from derive.model.load import SpecError
from derive.present.expression_diagram import expression_layout, expression_svg, expression_tikz, problems
from derive.present.moodle import moodle_xml
from derive.present.worksheet import answers_template, make_worksheet, render_sheet, worksheet_files
from derive.teach.manifest import read_manifest
from derive.teach.marking import Checker
from derive.teach.worksheet import descendants, givens, select_blanks

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ("expression", "expression-sigmoid")


@cache
def _spec(name: str):
    return load_expression(ROOT / "worked" / f"{name}.yaml")


@cache
def _sheet(name: str, blanks: str | None = None, variants: int = 2):
    return make_worksheet(_spec(name), name, variants, 5, blanks)


@pytest.mark.parametrize("name", EXAMPLES)
def test_variants_are_fair_and_verified(name):
    ws = _sheet(name)
    own = tuple(_spec(name).values.values())
    for v in ws.variants:
        assert v.report.ok
        assert 0 not in v.spec.values.values() and tuple(v.spec.values.values()) != own
        assert all(n.places == 0 and -5 <= n.value <= 5 for n in v.spec.written.values())
        assert all(round(float(s.exact), v.spec.decimals) != 0 for s in v.graph if s.kind == "dfd")
    assert len({tuple(v.spec.values.values()) for v in ws.variants}) == len(ws.variants)


def test_vary_grid_and_domain_refusals():
    text = """kind: expression
values: {x: 2}
define: {l: log(x), f: l * x}
output: f
vary: {values: {low: -3, high: 3, step: 1}}
"""
    ws = make_worksheet(load_expression_text(text, "log.yaml"), "log", 2, 1)
    assert all(v.spec.values["x"] > 0 for v in ws.variants)  # log of x <= 0 redrawn
    assert ws.rejected["a line outside its domain or on a kink"] > 0
    with pytest.raises(SpecError, match=r"vary.values.step"):
        load_expression_text(text.replace("step: 1", "step: 0.7"), "log.yaml")


def test_blank_groups_and_wording():
    g = derive_expression(_spec("expression"))
    assert select_blanks(g, "forward") == ["val_q", "val_f"]
    assert "dfd_f" not in select_blanks(g, "backward") and "local_f__q" in select_blanks(g, "backward")
    ws = _sheet("expression", "val_q,local_f__q,dfd_x")
    texts = [q.text for q in ws.questions(ws.variants[0])]
    assert texts == [
        "the value of q",
        "the local gradient ∂f/∂q of f with respect to q",
        "∂f/∂x, the gradient of f with respect to x",
    ]


@pytest.mark.parametrize("name", EXAMPLES)
def test_diagram_texts_never_overlap(name):
    for v in _sheet(name).variants:
        for shown in (None, set(givens(v.graph, select_blanks(v.graph, "backward")))):
            lay = expression_layout(v.graph, shown)
            assert problems(lay) == []
            boxes = [b for w in lay.wires for b in (w.above_box, w.below_box) if b.size[0] > 0]
            assert not any(a.overlaps(b) for a, b in combinations(boxes, 2))
            assert not any(b.meets_circle(c.x, c.y, c.r) for b in boxes for c in lay.circles)


def test_overlap_check_can_fail():
    lay = expression_layout(derive_expression(_spec("expression")))
    w = lay.wires[0]
    clash = type(w)(w.name, w.x0, w.x1, w.y, w.above, w.below, w.above_box, w.above_box, w.branches)
    assert problems(type(lay)(lay.circles, (clash, *lay.wires[1:]), lay.bounds))


def _numbers_on(svg: str) -> list[str]:
    return re.findall(r">([^<]*)</text>", svg)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_sheet_never_shows_a_blank_or_what_follows_from_it(data):
    name = data.draw(st.sampled_from(EXAMPLES))
    g = derive_expression(_spec(name))
    blanks = data.draw(st.lists(st.sampled_from(g.ids), min_size=1, max_size=6, unique=True))
    ws = make_worksheet(_spec(name), name, 0, 0, ",".join(blanks))
    v = ws.variants[0]
    hidden = set(blanks) | descendants(v.graph, blanks)
    shown = {s.id for s in ws.given_steps(v)}
    assert not shown & hidden
    texts = _numbers_on(expression_svg(v.graph, shown))
    tikz = expression_tikz(v.graph, shown)
    for sid in hidden:
        st_ = v.graph[sid]
        if st_.kind == "val":  # the name alone, never "q = 3"
            assert not any(t.startswith(f"{st_.subject} = ") for t in texts)
            assert f"{st_.subject} = " not in tikz.replace("\\mathrm{", "").replace("}", "")
    md = render_sheet(ws, v, "md")
    for sid in hidden:
        assert f"| ${v.graph[sid].symbol}$" not in md


@pytest.mark.parametrize("name", EXAMPLES)
def test_manifest_reads_back_and_moodle_is_well_formed(name, tmp_path):
    ws = _sheet(name)
    files = worksheet_files(ws, moodle=True)
    (tmp_path / "worksheet.json").write_text(files["worksheet.json"])
    handout = read_manifest(tmp_path / "worksheet.json")
    for v in ws.variants:
        assert {s.id: s.value for s in handout.graphs[v.id]} == {s.id: s.value for s in v.graph}
        assert f"{v.id}-graph.svg" in files
    assert handout.questions == ws.blanks
    root = ET.fromstring(moodle_xml(ws))
    assert len(root.findall("question[@type='numerical']")) == len(ws.variants) * len(ws.blanks)
    data = json.loads(files["worksheet.json"])
    data["variants"][0]["key"]["val_" + _spec(name).output] = 123456.0
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(Exception, match=r"key\.val_"):
        read_manifest(tmp_path / "bad.json")


def _answers(ws, v, wrong: dict | None = None) -> dict:
    """The key's answers at the sheet's places, with ``wrong`` ones and what follows from them."""
    vals = v.graph.run(overrides=wrong or {})
    d = v.spec.decimals
    return {"variant": v.id, **{sid: f"{float(vals[sid]):.{d}f}" for sid in ws.blanks}}


@pytest.mark.parametrize("name", EXAMPLES)
def test_round_trip_marks_the_key_correct(name, tmp_path):
    ws = _sheet(name)
    checker = Checker.from_handout(_handout(ws, tmp_path))
    for v in ws.variants:
        r = checker.mark(_answers(ws, v))
        assert {s.verdict for s in r.steps.values()} == {"correct"}, r.steps
        template = yaml.safe_load(answers_template(ws, v))
        assert set(template) - {"variant"} == set(ws.blanks)


def _handout(ws, tmp_path):
    (tmp_path / "worksheet.json").write_text(worksheet_files(ws)["worksheet.json"])
    return read_manifest(tmp_path / "worksheet.json")


def test_follow_through_along_the_graph(tmp_path):
    ws = _sheet("expression")
    v = ws.variants[0]
    wrong_q = v.graph["val_q"].value + 1
    answers = _answers(ws, v, {"val_q": wrong_q})
    answers["val_q"] = str(wrong_q)  # typed as a whole number
    r = Checker.from_handout(_handout(ws, tmp_path)).mark(answers)
    assert r.steps["val_q"].verdict == "wrong"
    for sid in ("val_f", "local_f__z"):
        assert r.steps[sid].verdict == "follow-through" and r.steps[sid].follows == ["val_q"]
    assert r.steps["dfd_z"].verdict == "follow-through"
    assert r.steps["dfd_x"].verdict == "correct"


def test_misconceptions_of_the_chain_rule(tmp_path):
    ws = _sheet("expression-sigmoid", "dfd_x,local_f__num,dfd_sigx", 1)
    v = ws.variants[0]
    g, d = v.graph, v.spec.decimals
    checker = Checker.from_handout(_handout(ws, tmp_path))
    one = g["dfd_num"].value * g["local_num__x"].value  # one path of three
    own = g["val_f"].value  # f's value for its local gradient
    local = g["local_sigx__x"].value  # without the upstream gradient... of dfd_x? use dfd_sigx
    answers = {
        "variant": v.id,
        "dfd_x": f"{float(one):.{d}f}",
        "local_f__num": f"{float(own):.{d}f}",
        "dfd_sigx": f"{float(g['local_den__sigx'].value):.{d}f}",
    }
    r = checker.mark(answers)
    assert r.steps["dfd_x"].misconception == "one-path-only"
    assert "3 paths from x" in r.steps["dfd_x"].diagnosis
    assert r.steps["local_f__num"].misconception == "local-as-value"
    assert r.steps["dfd_sigx"].misconception == "upstream-forgotten"
    assert local != 0


def test_cli_worksheet_and_check(tmp_path, capsys):
    out = tmp_path / "ws"
    assert main(["worksheet", str(ROOT / "worked/expression.yaml"), "--variants", "2", "--seed", "3",
                 "--blanks", "forward,dfd_x", "--moodle", "-o", str(out)]) == 0  # fmt: skip
    sheet = (out / "expression-d2-s3-v01-sheet.md").read_text()
    assert "![The graph](expression-d2-s3-v01-graph.svg)" in sheet
    key = (out / "expression-d2-s3-v01-key.md").read_text()
    assert "<svg" in key and r"\boxed" in key
    template = out / "expression-d2-s3-v01-answers.yaml"
    capsys.readouterr()
    assert main(["check", "--worksheet", str(out / "worksheet.json"), str(template), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {s["verdict"] for s in data["steps"].values()} == {"missing"}
    assert main(["check", str(ROOT / "worked/expression.yaml"), str(template)]) == 0


def test_bad_vary_is_one_line_a_fault(tmp_path, capsys):
    spec = tmp_path / "e.yaml"
    spec.write_text("kind: expression\nvalues: {x: 1}\ndefine: {f: x * x}\noutput: f\nvary: {values: {low: 1}}\n")
    assert main(["worksheet", str(spec), "-o", str(tmp_path / "o")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()  # (both missing fields, one line each)
    assert lines == ["derive: e.yaml: vary.values.high: missing", "derive: e.yaml: vary.values.step: missing"]
    assert not (tmp_path / "o").exists()
