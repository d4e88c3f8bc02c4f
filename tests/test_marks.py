"""Marks a careful marker would sign (issue 10): precision as typed, the sheet's questions as
the denominator, follow-through only from real work, slips, and marking from the manifest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sympy as sp
from support import NETWORK_EXAMPLES

from derive.cli import main
from derive.model.spec import load_spec, load_spec_text
from derive.teach.compiled import Compiled
from derive.teach.diagnosis import Diagnoser
from derive.teach.manifest import exact_text, read_manifest
from derive.teach.marking import Checker, Options
from derive.teach.misconceptions import Misconception

ROOT = Path(__file__).resolve().parent.parent
W = ROOT / "worked"
FOUR = Checker(load_spec(W / "four.yaml"), "four")
KEY = {s.id: float(s.value) for s in FOUR.base}


def answers(**given):
    return {k: v for k, v in given.items()}


def test_no_work_scores_at_most_30_percent():
    """One-decimal forward values, 0.0 for every gradient and the old weights copied as new."""
    g = FOUR.base
    sub = {}
    for st in g:
        if st.kind in ("net", "out", "loss"):
            sub[st.id] = f"{KEY[st.id]:.1f}"
        elif st.kind == "new":
            sub[st.id] = str(g.given[g.leaves[st.param]])
        else:
            sub[st.id] = "0.0"
    sub["loss"] = "0.1000"  # a typed 0.1000 states four places; the key is 0.0650
    r = FOUR.mark(sub)
    assert r.max_score == 34 and r.score <= 0.3 * 34, r.score
    assert r.steps["loss"].verdict == "wrong"
    assert r.steps["net_h1"].verdict == "imprecise" and r.steps["net_h1"].points == 0
    # the gradients are not 0: the copied weights follow from nothing
    assert r.steps["new_w9"].verdict == "wrong" and not r.steps["new_w9"].follows


def test_one_answer_scores_at_most_one_of_34():
    r = FOUR.mark({"net_h1": "0.3760"})
    assert (r.score, r.max_score) == (1, 34)
    assert sum(s.verdict == "missing" for s in r.steps.values()) == 33


def test_an_empty_file_is_every_answer_missing(tmp_path):
    (tmp_path / "empty.yaml").write_text("# nothing here\n")
    out = tmp_path / "out"
    assert main(["check", "four", str(tmp_path / "empty.yaml"), "--format", "json"]) == 0
    assert main(["check", "four", str(tmp_path / "empty.yaml"), str(tmp_path / "empty.yaml"), "-o", str(out)]) == 0
    row = (out / "summary.csv").read_text().splitlines()[1]
    assert ",0,34,0.0," in row


def test_misspelt_keys_are_listed_with_the_nearest_step():
    r = FOUR.mark({"out_hl": "0.5929", "new_w09": "0.6049"})
    assert r.max_score == 34 and r.score == 0
    assert any("out_hl" in p and "did you mean out_h1?" in p for p in r.problems)
    assert any("new_w09" in p and "new_w9" in p for p in r.problems)


def test_the_precision_policy():
    """Three significant figures: right with a remark; two: half; one or none: nothing."""
    m = {a: FOUR.mark({"delta_h1": a}).steps["delta_h1"] for a in ("-0.0120", "-0.012", "-0.01", "0.0")}
    assert [(s.verdict, s.points) for s in m.values()] == [
        ("correct", 1.0),
        ("imprecise", 0.5),
        ("imprecise", 0.0),
        ("imprecise", 0.0),
    ]
    half = Checker(FOUR.spec, "four", Options(imprecise_credit=0.25), FOUR.base)
    assert half.mark({"delta_h1": "-0.012"}).steps["delta_h1"].points == 0.25


TINY = """
network: {inputs: 1, layers: [{name: o, size: 1, activation: sigmoid, bias: none}]}
loss: half-sse
parameters: {weights: {o: [[-0.8]]}}
sample: {x: [1], y: [1]}
learning_rate: 0.5
rounding: {decimals: 4}
"""


def test_an_exact_short_answer_is_carried_as_exact():
    """net = -0.8 exactly: a student's -0.8 is exact, so out must be σ(-0.8) = 0.3100 and
    not anything within σ'·0.05 of it."""
    ch = Checker(load_spec_text(TINY, "tiny.yaml"), "tiny")
    r = ch.mark({"net_o1": "-0.8", "out_o1": "0.3100"})
    assert r.steps["net_o1"].verdict == r.steps["out_o1"].verdict == "correct"
    assert r.steps["net_o1"].note is None  # exact: no remark about places
    assert ch.mark({"net_o1": "-0.8", "out_o1": "0.3200"}).steps["out_o1"].verdict == "wrong"


def test_truncating_throughout_costs_about_one_mark():
    """Every value cut off (not rounded) at four places and carried: slips, not errors."""
    g = FOUR.base
    vals, env = {}, dict(g.given)
    for st in g:
        env_vals = {**{s: v for s, v in env.items()}, **{g[k].symbol: v for k, v in vals.items()}}
        exact = st.formula.xreplace(env_vals)
        v = sp.Rational(int(sp.floor(abs(exact) * 10**4)), 10**4) * (1 if exact >= 0 else -1)
        vals[st.id] = v
    r = FOUR.mark({k: f"{float(v):.4f}" for k, v in vals.items()})
    slips = [k for k, s in r.steps.items() if s.verdict == "slip"]
    assert slips and all("truncated" in (r.steps[k].note or "") for k in slips)
    assert {s.verdict for s in r.steps.values()} <= {"correct", "slip", "follow-through"}
    assert r.max_score - r.score <= 1.5


@pytest.mark.parametrize("wrong, step", [("0.5000", "grad_w9")])
def test_a_truncated_follow_through_is_a_slip_that_says_both(wrong, step):
    """A wrong out_h1, then a step computed from it (with the calculator's digits, not the
    rounded delta the student wrote down) and cut off instead of rounded. (Where the
    rounding of the student's inputs alone can explain the last digit, as for net_o1 after
    out_h1 = 0.4071, the answer is a plain follow-through.)"""
    own = FOUR.base.run(overrides={"out_h1": sp.Rational(wrong)})
    sub = {k: f"{float(v):.4f}" for k, v in own.items()}
    cut = f"{int(float(own[step]) * 10**4) / 10**4:.4f}"
    assert cut != sub[step]
    sub[step] = cut
    r = FOUR.mark(sub).steps[step]
    assert (r.verdict, r.points) == ("slip", 0.9) and "out_h1" in r.follows
    assert "follows from your " in r.note and "truncated" in r.note


def test_slip_penalty_is_an_option():
    ch = Checker(FOUR.spec, "four", Options(slip_penalty=0.25), FOUR.base)
    assert ch.mark({"grad_w9": "-0.0492"}).steps["grad_w9"].points == 0.75


@pytest.mark.parametrize(
    "step, typed",
    [
        ("loss", "= 0.0650"),
        ("out_h2", "54.40%"),
        ("new_w4", "w4 = 0.1105"),
        ("dout_dnet_h2", "0.5440(1-0.5440)"),
        ("grad_w5", "-0.0036."),
        ("grad_w6", "≈ -0.0025"),
        ("new_w3", "0.1007 units"),
        ("dout_dnet_h1", "0.2414 (rounded)"),
        ("delta_o1", "- 0.0831"),
        ("delta_h1", "-1.203×10⁻²"),
        ("delta_h2", "-8.25*10^-3"),
        ("out_h1", "0,5929"),
    ],
)
def test_ordinary_notations_are_accepted(step, typed):
    s = FOUR.mark({step: typed}).steps[step]
    assert (s.verdict, s.points) == ("correct", 1.0), (s.verdict, s.note)


def test_a_percentage_only_for_a_proportion():
    assert FOUR.mark({"out_h1": "59.29%"}).steps["out_h1"].verdict == "correct"
    s = FOUR.mark({"dloss_dout_o1": "-36.05%"}).steps["dloss_dout_o1"]
    assert s.verdict == "invalid" and "proportion" in s.note


def test_two_explanations_are_listed_not_asserted():
    """When two catalogue entries give the same number, neither is named."""
    g, st = FOUR.base, FOUR.base["out_h1"]
    same = sp.Integer(1) - st.formula
    a = Misconception("a", "first story", "A.", lambda g, s, p, d: [same])
    b = Misconception("b", "second story", "B.", lambda g, s, p, d: [same])
    key = {str(k): float(v) for k, v in g.given.items()} | KEY
    found = Diagnoser(Compiled(), 4).explain([a, b], g, st, round(1 - KEY["out_h1"], 4), 5e-5, 4, [(False, key, 0.0)])
    assert [m.name for m in found.found] == ["a", "b"]


# --------------------------------------------------------------------------- from the manifest


def _worksheet(tmp_path, name: str, variants: int = 2, blanks: str | None = None) -> Path:
    spec = tmp_path / f"{name}.yaml"
    shutil.copy(W / f"{name}.yaml", spec)
    out = tmp_path / f"ws-{name}"
    extra = ["--blanks", blanks] if blanks else []
    assert main(["worksheet", str(spec), "--variants", str(variants), "--seed", "3", "-o", str(out), *extra]) == 0
    return out


def _fill(ws: Path, values) -> list[Path]:
    """Each variant's template with ``values(variant graph)`` written after the colons."""
    handout = read_manifest(ws / "worksheet.json")
    files = []
    for vid, g in handout.graphs.items():
        vals = values(g)
        lines = []
        for line in (ws / f"{vid}-answers.yaml").read_text().splitlines():
            sid = line.split(":", 1)[0]
            lines.append(f"{sid}: {vals[sid]}   # {line.split('#', 1)[1]}" if sid in vals else line)
        path = ws.parent / f"filled-{vid}.yaml"
        path.write_text("\n".join(lines) + "\n")
        files.append(path)
    return files


@pytest.mark.parametrize("name", [p.stem for p in NETWORK_EXAMPLES])
def test_round_trip_key_and_calculator_work_score_full_marks(tmp_path, name, capsys):
    ws = _worksheet(tmp_path, name)
    d = load_spec(W / f"{name}.yaml").decimals
    for how in ("key", "calculator"):

        def values(g, how=how):
            vals = g.run(decimals=d) if how == "calculator" else {s.id: s.value for s in g}
            return {k: f"{float(v):.{d}f}" for k, v in vals.items()}

        out = tmp_path / f"marks-{how}"
        files = [str(f) for f in _fill(ws, values)]
        assert main(["check", "--worksheet", str(ws / "worksheet.json"), *files, "-o", str(out)]) == 0
        rows = (out / "summary.csv").read_text().splitlines()[1:]
        assert len(rows) == 2
        for row in rows:
            cells = row.split(",")
            assert cells[2] == cells[3] and cells[4] == "100.0", (how, row)


def test_marks_do_not_change_when_the_spec_changes_after_the_sheets(tmp_path):
    ws = _worksheet(tmp_path, "four", variants=2, blanks="forward,loss")
    files = [str(f) for f in _fill(ws, lambda g: {s.id: f"{float(s.value):.4f}" for s in g})]
    spec = tmp_path / "four.yaml"
    spec.write_text(spec.read_text().replace("[0.6, 0.4]", "[0.9, -0.4]"))  # edited...
    spec.rename(tmp_path / "renamed.yaml")  # ...and renamed
    out = tmp_path / "marks"
    assert main(["check", "--worksheet", str(ws / "worksheet.json"), *files, "-o", str(out)]) == 0
    for row in (out / "summary.csv").read_text().splitlines()[1:]:
        assert ",7,7,100.0," in row  # the 7 questions of the sheet: forward (6) and the loss


def test_a_variant_not_in_the_manifest_is_not_marked(tmp_path, capsys):
    ws = _worksheet(tmp_path, "four", variants=1)
    (tmp_path / "a.yaml").write_text("variant: four-d2-s3-v02\nnet_h1: 0.5\n")
    assert main(["check", "--worksheet", str(ws / "worksheet.json"), str(tmp_path / "a.yaml")]) == 2
    assert "not one of this worksheet's variants" in capsys.readouterr().err


def test_a_broken_manifest_is_one_line_exit_2(tmp_path, capsys):
    ws = _worksheet(tmp_path, "four", variants=1)
    data = json.loads((ws / "worksheet.json").read_text())
    data["variants"][0]["parameters"]["w1"] = "0.7"  # the key no longer follows
    (ws / "worksheet.json").write_text(json.dumps(data))
    (tmp_path / "a.yaml").write_text("net_h1: 0.5\n")
    assert main(["check", "--worksheet", str(ws / "worksheet.json"), str(tmp_path / "a.yaml")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "variants[0].key" in err and "worksheet.json" in err


def test_blanks_without_a_manifest_are_the_denominator(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text("net_h1: 0.3760\n")
    assert main(["check", "four", str(tmp_path / "a.yaml"), "--blanks", "forward", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["score"], data["max_score"]) == (1, 6)


@pytest.mark.parametrize(
    "option",
    [["--rtol", "nan"], ["--rtol", "-1"], ["--sigfigs", "-5"], ["--points", "grad=nan"], ["--slip-penalty", "2"]],
)
def test_options_are_validated(tmp_path, option, capsys):
    (tmp_path / "a.yaml").write_text("net_h1: 0.3760\n")
    assert main(["check", "four", str(tmp_path / "a.yaml"), *option]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and option[0] in err


def test_exact_text_round_trips():
    for v in (sp.Rational(-1, 4), sp.Rational(1, 3), sp.Rational(7, 1250), sp.Integer(-3)):
        from derive.model.numbers import read_number

        assert read_number(exact_text(v)).value == v


def test_sigfigs_sets_the_standard():
    """--sigfigs 3: three significant figures meet the standard, two are imprecise."""
    ch = Checker(FOUR.spec, "four", Options(sigfigs=3), FOUR.base)
    marks = {a: ch.mark({"out_h1": a}).steps["out_h1"] for a in ("0.593", "0.59", "0.5929")}
    assert [(m.verdict, m.points) for m in marks.values()] == [("correct", 1.0), ("imprecise", 0.5), ("correct", 1.0)]
    assert marks["0.593"].note is None
