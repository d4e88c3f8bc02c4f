"""The homework checker: marking, follow-through, misconceptions, class runs."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import NamedTuple

import pytest
import sympy as sp
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.cli import main
from derive.model.spec import load_spec
from derive.teach.marking import Checker, Options
from derive.teach.misconceptions import BY_NAME, CATALOGUE, on_key

ROOT = Path(__file__).resolve().parent.parent
W = ROOT / "worked"


@pytest.fixture(scope="module")
def four():
    return Checker(load_spec(W / "four.yaml"), "four")


def key_answers(checker, places=4, variant=None):
    g = checker.graph_for(variant)
    out = {s.id: f"{float(s.value):.{places}f}" for s in g}
    if variant:
        out["variant"] = variant
    return out


def test_the_key_scores_full_marks(four):
    r = four.mark(key_answers(four))
    assert r.score == r.max_score == len(four.base)
    assert {s.verdict for s in r.steps.values()} == {"correct"}


def test_one_wrong_upstream_value_makes_its_dependants_follow_through(four):
    """The essay's out_h1 = 0.407 (it is 0.5929), and everything after worked from it."""
    vals = four.base.run(overrides={"out_h1": sp.Rational("0.407")})
    r = four.mark({k: f"{float(v):.4f}" for k, v in vals.items()})
    assert r.steps["out_h1"].verdict == "wrong"
    assert r.steps["out_h1"].expected == pytest.approx(0.59291, abs=1e-5)
    for sid in ("net_o1", "out_o1", "loss", "delta_o1", "grad_w9", "new_w9", "grad_w1"):
        assert r.steps[sid].verdict == "follow-through", sid
    assert r.steps["net_o1"].follows == ["out_h1"]
    assert r.steps["net_h1"].verdict == "correct"
    assert r.score == r.max_score - 1  # full follow-through credit by default


def test_follow_through_credit_and_points_are_configurable():
    ch = Checker(load_spec(W / "four.yaml"), "four", Options(follow_through_credit=0.5, points={"grad": 2}))
    vals = ch.base.run(overrides={"out_o1": sp.Rational("0.7")})
    r = ch.mark({k: f"{float(v):.4f}" for k, v in vals.items()})
    assert r.steps["grad_w9"].points == 1.0 and r.steps["grad_w9"].max_points == 2.0
    assert r.steps["loss"].points == 0.5


def test_an_honest_chain_of_rounded_values_is_not_punished(four):
    """Rounding every step to the sheet's 4 places and carrying the rounded values is
    correct work; carrying 2 places is the same work stated too roughly: never wrong,
    only imprecise where 2 places leave fewer than three significant figures."""
    vals = four.base.run(decimals=4)
    r = four.mark({k: f"{float(v):.4f}" for k, v in vals.items()})
    assert r.score == r.max_score, {k: s.verdict for k, s in r.steps.items() if s.verdict != "correct"}
    vals = four.base.run(decimals=2)
    r = four.mark({k: f"{float(v):.2f}" for k, v in vals.items()})
    assert {s.verdict for s in r.steps.values()} <= {"correct", "imprecise", "wrong"}
    assert all("one significant figure" in (s.note or "") for s in r.steps.values() if s.verdict == "wrong")
    assert sum(s.verdict == "imprecise" and s.points == 0.5 for s in r.steps.values()) >= 10


def test_missing_and_invalid_answers(four):
    r = four.mark(
        {
            "net_h1": "",
            "out_h1": None,
            "net_h2": "__import__('os').system('echo hi')",
            "out_h2": "0.5440",
            "typo_id": "1",
        }
    )
    assert r.steps["net_h1"].verdict == r.steps["out_h1"].verdict == "missing"
    assert r.steps["net_h2"].verdict == "invalid" and r.steps["net_h2"].points == 0
    assert r.steps["out_h2"].verdict == "correct"
    assert any("typo_id" in p for p in r.problems)


def test_fractions_arithmetic_and_formulas(four):
    answers = {"net_h1": "47/125", "dloss_dout_o1": "0.6395 - 1", "dout_dnet_o1": "out_o1*(1 - out_o1)"}
    r = four.mark(answers)
    assert {r.steps[k].verdict for k in answers} == {"correct"}
    r = four.mark({"dout_dnet_o1": "out_o1*(1 + out_o1)"})
    assert r.steps["dout_dnet_o1"].verdict == "wrong"


def test_stated_precision(four):
    """The sheet asks for 4 places: three significant figures are right with a remark, two
    earn half, one or none earn nothing, whatever they round to."""
    marks = {a: four.mark({"out_h1": a}).steps["out_h1"] for a in ("0.5929", "0.593", "0.59", "0.6", "0.5920")}
    assert [(marks[a].verdict, marks[a].points) for a in marks] == [
        ("correct", 1.0),
        ("correct", 1.0),
        ("imprecise", 0.5),
        ("imprecise", 0.0),
        ("wrong", 0.0),
    ]
    assert marks["0.593"].note == "given to 3 decimal places; the sheet asks for 4"


class Case(NamedTuple):
    """A hand-made wrong answer: the misconception, the worked example and step, the answer
    written as the misconceived student would from the key's own values, phrases the
    feedback must quote from that sheet and phrases it must not."""

    name: str
    spec: str
    step: str
    answer: str
    quotes: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()


def _case(name: str, where: str, answer: str, *quotes: str, absent: tuple[str, ...] = ()) -> Case:
    spec, _, step = where.partition(":")
    return Case(name, spec, step, answer, quotes, absent)


# At least one per misconception, each reproduced by its misconception alone (no other
# rewrite gives the same number on the key's values), on the sheets whose messages differ.
def _cases():
    def k(name):
        g = Checker(load_spec(W / f"{name}.yaml"), name).base
        return {s.id: float(s.value) for s in g}

    f, sb, b, t, r = k("four"), k("shared-bias"), k("batch"), k("tanh"), k("relu")
    soft, bce, sm = k("softplus"), k("bce"), k("softmax")
    ln10 = math.log(10)
    half_sse, mse = "½(y_o1 − out_o1)²", "J = (y_o1 − out_o1)²"
    c = _case
    return [
        c("sigma-of-minus-x", "four:out_h1", f"{1 - f['out_h1']:.4f}", "σ(−net_h1)"),
        c("activation-for-derivative", "four:dout_dnet_h1", f"{f['out_h1']:.4f}", "σ′(net_h1) = out_h1·(1 − out_h1)"),
        c("activation-for-derivative", "tanh:dout_dnet_h1", f"{t['out_h1']:.3f}", "tanh′(net_h1) = 1 − out_h1²"),
        c("activation-for-derivative", "relu:dout_dnet_h1", f"{r['out_h1']:.4f}", "ReLU′(net_h1) = 1 for net_h1 > 0"),
        c(
            "activation-for-derivative",
            "softplus:dout_dnet_h1",
            f"{soft['out_h1']:.4f}",
            "softplus′(net_h1) = σ(net_h1)",
        ),
        c("net-out-swapped", "four:dout_dnet_h1", f"{f['net_h1'] * (1 - f['net_h1']):.4f}", "net_h1·(1 − net_h1)"),
        c("net-out-swapped", "tanh:dout_dnet_h1", f"{1 - t['net_h1'] ** 2:.3f}", "1 − net_h1²"),
        c("net-out-swapped", "softplus:dout_dnet_h1", f"{1 / (1 + math.exp(-soft['out_h1'])):.4f}", "σ(out_h1)"),
        c("relu-slope-one", "relu:dout_dnet_h2", "1", "where net_h2 ≤ 0 it is 0, not 1"),
        c("relu-slope-one", "bce:dout_dnet_h1", "1", "LReLU′(net_h1)", "it is 0.1, not 1"),
        c("derivative-forgotten", "four:delta_o1", f"{f['dloss_dout_o1']:.4f}", "σ′(net_o1) = out_o1·(1 − out_o1)"),
        c("derivative-forgotten", "tanh:delta_h1", f"{t['delta_o1'] * 1.2:.3f}", "tanh′(net_h1) = 1 − out_h1²"),
        c("derivative-forgotten", "relu:delta_h2", f"{r['delta_o1'] * 0.4:.4f}", "ReLU′(net_h2) = 1 for net_h2 > 0"),
        c("unit-loss-derivative", "four:dloss_dout_o1", "-1", half_sse, "= out_o1 − y_o1"),
        c("unit-loss-derivative", "bce:dloss_dout_o1", "1", "(1 − y_o1)·ln(1 − out_o1)", absent=("²",)),
        c("wrong-sign", "four:dloss_dout_o1", f"{-f['dloss_dout_o1']:.4f}", half_sse, "= out_o1 − y_o1"),
        c("wrong-sign", "tanh:dloss_dout_o1", f"{-t['dloss_dout_o1']:.3f}", mse, "= 2(out_o1 − y_o1)", absent=("½",)),
        c("wrong-sign", "bce:dloss_dout_o1", f"{-bce['dloss_dout_o1']:.4f}", "ln(out_o1)", absent=("½", "²")),
        c("target-minus-output", "softmax:delta_o3", f"{-sm['delta_o3']:.4f}", "delta_o3 = ∂J/∂net_o3 = out_o3 − y_o3"),
        c("half-dropped-or-doubled", "four:loss", f"{2 * f['loss']:.4f}", half_sse),
        c("half-dropped-or-doubled", "four:dloss_dout_o1", f"{2 * f['dloss_dout_o1']:.4f}", half_sse, "no 2 left"),
        c("half-dropped-or-doubled", "tanh:dloss_dout_o1", f"{t['dloss_dout_o1'] / 2:.3f}", mse, absent=("½", "no 2")),
        c("log10-for-ln", "bce:loss", f"{bce['loss'] / ln10:.4f}", "binary cross-entropy", "ln(1 − out_o1)"),
        c("log10-for-ln", "bce:dloss_dout_o1", f"{bce['dloss_dout_o1'] / ln10:.4f}", "log10"),
        c("log10-for-ln", "softmax:loss", f"{sm['loss'] / ln10:.4f}", "softmax", "y_o3·ln(out_o3)"),
        c("mean-vs-sum", "batch:grad_w5", f"{2 * b['grad_w5']:.4f}", "(batch: mean)", "½(grad_w5_s1 + grad_w5_s2)"),
        c("mean-vs-sum", "batch:loss", f"{2 * b['loss']:.4f}", "loss = ½(loss_s1 + loss_s2)", "their sum"),
        c("plus-update", "four:new_w9", f"{0.6 + 0.1 * f['grad_w9']:.4f}", "new_w9 = w9 − η·grad_w9"),
        c("no-learning-rate", "four:new_w1", f"{0.4 - f['grad_w1']:.4f}", "new_w1 = w1 − η·grad_w1"),
        c(
            "updated-weights-in-delta",
            "four:delta_h1",
            f"{f['dout_dnet_h1'] * f['new_w9'] * f['delta_o1']:.6f}",
            "new_w9 where it needs w9",
        ),
        c(
            "missing-sum",
            "shared-bias:delta_h1",
            f"{sb['dout_dnet_h1'] * 0.40 * sb['delta_o1']:.5f}",
            "w5·delta_o1 + w7·delta_o2",
        ),
        c("truncated", "four:dloss_dout_o1", "-0.3604"),  # -0.360462 cut, not rounded
        c("rounded-too-early", "four:grad_w9", f"{-0.08 * 0.59:.4f}"),  # from delta 0.08, out 0.59
    ]


CASES = _cases()


def _case_id(case: Case) -> str:
    return f"{case.name}-{case.spec}-{case.step}"


def test_every_misconception_has_a_case():
    # (an expression graph's are diagnosed in test_expression_sheets.py)
    assert {c.name for c in CASES} == {m.name for m in CATALOGUE if m.graphs != "expression"}
    assert len({_case_id(c) for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_misconception_is_diagnosed(case):
    ch = Checker(load_spec(W / f"{case.spec}.yaml"), case.spec)
    r = ch.mark({case.step: case.answer}).steps[case.step]
    assert r.verdict == ("slip" if BY_NAME[case.name].slip else "wrong")
    assert r.misconception == case.name, (r.misconception, r.given, r.expected)
    assert r.diagnosis and r.diagnosis.endswith(".")
    for phrase in case.quotes:
        assert phrase in r.diagnosis, (phrase, r.diagnosis)
    for phrase in case.absent:
        assert phrase not in r.diagnosis, (phrase, r.diagnosis)
    # no other misconception gives the same number on the key's values: not ambiguous
    g, places = ch.base, len(case.answer.partition(".")[2]) or None
    half = 0.5 * 10.0 ** -(places or g.spec.decimals)
    st, v = g[case.step], float(case.answer)
    assert {m.name for m in CATALOGUE if any(abs(a - v) <= half for a in on_key(m, g, st, places))} == {case.name}


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "net_h1",
                "out_h1",
                "net_o1",
                "out_o1",
                "loss",
                "delta_o1",
                "delta_h1",
                "grad_w1",
                "grad_w9",
                "new_w9",
                "dout_dnet_h2",
            ]
        ),
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.integers(-(10**6), 10**6),
            st.text(max_size=30),
            st.none(),
        ),
    )
)
def test_random_answers_never_crash(answers):
    ch = _FOUR_CHECKER
    r = ch.mark(answers)
    assert set(r.steps) == set(ch.questions.ids) >= set(answers)
    assert 0 <= r.score <= r.max_score


_FOUR_CHECKER = Checker(load_spec(W / "four.yaml"), "four")


# --------------------------------------------------------------------------- command line


def test_json_contract(tmp_path, capsys):
    ans = tmp_path / "a.yaml"
    ans.write_text(yaml.safe_dump({"net_h1": 0.376, "out_h1": "0.407", "net_o1": ""}))
    before = ans.read_bytes()
    assert main(["check", str(W / "four.yaml"), str(ans), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"steps", "score", "max_score"}
    s = data["steps"]
    assert s["net_h1"]["verdict"] == "correct" and s["net_o1"]["verdict"] == "missing"
    assert s["out_h1"] == {**s["out_h1"], "verdict": "wrong", "given": "0.407", "follows": []}
    assert "σ(−net_h1)" in s["out_h1"]["diagnosis"]
    assert (data["score"], data["max_score"]) == (1, 34)  # the sheet's questions are the denominator
    assert s["out_o1"]["verdict"] == "missing" and s["out_o1"]["question"] == 6
    assert ans.read_bytes() == before


def test_text_and_markdown_reports(tmp_path, capsys):
    ans = tmp_path / "a.yaml"
    ans.write_text("net_h1: 0.376\nout_h1: 0.407\n")
    assert main(["check", "four", str(ans)]) == 0
    out = capsys.readouterr().out
    assert "✓" in out and "✗" in out and "1 / 34" in out
    assert main(["check", "four", str(ans), "--format", "md"]) == 0
    out = capsys.readouterr().out
    assert "| Q1 | net_h1 | ✓ correct | 0.376 | 0.3760 | 1/1 |" in out
    assert "Score: **1 / 34 (2.9%)**. 2 of 34 questions answered." in out


def test_worksheet_round_trip(tmp_path):
    """Answer files filled with a worksheet's key are marked all correct."""
    out = tmp_path / "ws"
    assert main(["worksheet", str(W / "four.yaml"), "--variants", "3", "--seed", "7", "-o", str(out)]) == 0
    manifest = json.loads((out / "worksheet.json").read_text())
    subs = tmp_path / "subs"
    subs.mkdir()
    for v in manifest["variants"]:
        ans = yaml.safe_load((out / f"{v['id']}-answers.yaml").read_text())
        for sid in ans:
            if sid != "variant":
                ans[sid] = f"{v['key'][sid]:.4f}"  # as a student types them
        (subs / f"{v['id']}.yaml").write_text(yaml.safe_dump(ans))
    report = tmp_path / "report"
    assert main(["check", str(W / "four.yaml"), str(subs), "-o", str(report)]) == 0
    rows = list(csv.DictReader((report / "summary.csv").open()))
    assert len(rows) == 3
    for row in rows:
        assert row["score"] == row["max_score"] == "34"
        assert row["variant"].startswith("four-d2-s7-v")


def test_class_csv_with_problems(tmp_path, capsys):
    g = _FOUR_CHECKER.base
    ids = ["net_h1", "out_h1", "out_o1"]
    good = {s: f"{float(g[s].value):.4f}" for s in ids}
    path = tmp_path / "class.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", *ids, "not_a_step"])
        w.writerow(["ada", *good.values(), "1"])
        w.writerow(["bob", good["net_h1"], "0.4071", "0.6395"])
        w.writerow(["cy", "x", "", "0.64", "", "extra"])
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "dee.yaml").write_text("[unclosed\n")  # no "step: answer" line, so not even read line by line
    (folder / "eve.json").write_text(json.dumps({"net_h1": "0.376"}))
    out = tmp_path / "out"
    assert main(["check", "four", str(path), str(folder), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "row 4" in err and "dee.yaml" in err
    rows = {r["student"]: r for r in csv.DictReader((out / "summary.csv").open())}
    assert rows["ada"]["score"] == "3" and rows["bob"]["out_h1 verdict"] == "wrong" and rows["bob"]["out_h1"] == "0"
    assert rows["bob"]["out_o1 verdict"] in ("correct", "follow-through") and rows["bob"]["out_o1"] == "1"
    assert "not_a_step" in rows["ada"]["problems"]
    assert rows["eve"]["score"] == "1"
    assert "unreadable" in rows["dee"]["problems"]
    mis = (out / "misconceptions.md").read_text()
    assert "σ(−x) instead of σ(x)" in mis and "bob" in mis
    assert (out / "feedback" / "bob.md").exists()


def test_nothing_readable_is_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,net_h1\nx,1,2\n")
    assert main(["check", "four", str(bad), str(tmp_path / "missing.yaml"), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "row 2 has 3 columns" in err and "missing.yaml: not marked: no such file" in err
    assert not (tmp_path / "o").exists()


def test_variant_answers_use_the_variant_numbers(tmp_path):
    ch = Checker(load_spec(W / "four.yaml"), "four")
    ans = key_answers(ch, variant="four-d2-s7-v02")
    r = ch.mark(ans)
    assert r.score == r.max_score
    r0 = ch.mark({k: v for k, v in ans.items() if k != "variant"})  # against the spec's own numbers
    assert r0.score < r0.max_score


def test_formula_answers_may_write_out_their_inputs(four):
    for answer in ("sigma(net_o1)*(1 - sigma(net_o1))", "out_o1 - out_o1^2"):
        assert four.mark({"dout_dnet_o1": answer}).steps["dout_dnet_o1"].verdict == "correct", answer
    assert four.mark({"dout_dnet_o1": "sigma(net_o1)"}).steps["dout_dnet_o1"].verdict == "wrong"


def test_relative_tolerance_and_significant_figures():
    spec = load_spec(W / "four.yaml")
    off = f"{0.59291 * 1.01:.4f}"  # 1% high
    assert Checker(spec, "four").mark({"out_h1": off}).steps["out_h1"].verdict == "wrong"
    assert Checker(spec, "four", Options(rtol=0.02)).mark({"out_h1": off}).steps["out_h1"].verdict == "correct"
    # judged to 2 significant figures, 0.5988 is 0.60 and 0.5929 is 0.59: still wrong; 0.5931 is right
    sig = Checker(spec, "four", Options(sigfigs=2))
    assert sig.mark({"out_h1": "0.5931"}).steps["out_h1"].verdict == "correct"
    assert sig.mark({"out_h1": "0.5988"}).steps["out_h1"].verdict == "wrong"


def test_answer_files_keep_the_places_typed(tmp_path):
    """An unquoted 0.5440 in YAML or JSON states four places, as the quoted one does
    (yaml.safe_load and json.loads would read 0.544 and the checker would say 'given to
    3 decimal places'); a repeated step id is an unreadable file, not a silent overwrite."""
    from derive.teach.homework import mark_all
    from derive.teach.submissions import read_submissions

    (tmp_path / "a.yaml").write_text("student: 42\nout_h2: 0.5440\ndelta_h1: '-0.0120'\nnet_h1: 0.376\n")
    (tmp_path / "b.json").write_text('{"out_h2": 0.5440, "delta_h1": -0.0120, "net_h1": 0.376}')
    (tmp_path / "c.yaml").write_text("out_h2: 0.5440\nout_h2: 0.9\n")
    subs = read_submissions([tmp_path / "a.yaml", tmp_path / "b.json", tmp_path / "c.yaml"])
    assert [s.student for s in subs] == ["42", "b", "c"]
    marked = mark_all(_FOUR_CHECKER, subs)
    for _, r in marked[:2]:
        assert {sid: (s.verdict, s.given, s.note) for sid, s in r.steps.items() if s.given} == {
            "out_h2": ("correct", "0.5440", None),
            "delta_h1": ("correct", "-0.0120", None),
            "net_h1": ("correct", "0.376", None),  # net_h1 is exactly 0.376: an exact answer needs no zero
        }
    assert marked[2][1] is None and "not valid YAML at line 2" in marked[2][0].problem
