"""Practise mode in a real browser: the JavaScript reader and marker held to the Python
reader and :class:`derive.teach.marking.Checker` (every worked example, at least 50
answer sets per variant, set through ``window.derive``), typed keystrokes, the variants,
the downloaded answers file, and screenshots at desktop and phone width."""

from __future__ import annotations

import glob
import math
from pathlib import Path

import pytest
import sympy as sp
from browser import PHONE, browser, screenshot  # noqa: F401 (the fixture)
from practise_corpus import JS_READ, corpus, disagreement, python_read
from practise_sets import MIN_SETS, answer_sets, at_boundary, compare, python_marks, text

from derive.graph.functions.sigmoid import stable_sigma
from derive.graph.functions.softplus import stable_softplus
from derive.model.expression import load_any
from derive.model.numbers import round_half_up_float
from derive.present.practise import standalone_page
from derive.present.worksheet import make_worksheet
from derive.teach.compiled import trunc_float
from derive.teach.marking import Checker
from derive.teach.submissions import read_submissions
from derive.teach.worksheet import givens

EXAMPLES = sorted(glob.glob(str(Path(__file__).resolve().parent.parent / "worked" / "*.yaml")))
#: Examples marked on two variants (switching variants in the page); the rest on one, to keep
#: the test's time reasonable.
TWO_VARIANTS = {"four": 2, "expression-sigmoid": 2, "softmax": 2}
#: Marks each answer set in the page: switch variant, clear, fill and mark, collect.
MARK_SETS = """
var out = []; window.derive.variant(arguments[0]);
for (const s of arguments[1]) { window.derive.clearAnswers(); out.push(window.derive.setAnswers(s)); }
return out;
"""


def _open(b, tmp_path: Path, path: str, variants: int = 2):
    """The practise page of an example in the browser: (worksheet, checker)."""
    spec = load_any(path)
    stem = Path(path).stem
    ws = make_worksheet(spec, stem, variants, 0)
    page = tmp_path / f"{stem}.html"
    page.write_text(standalone_page(ws), encoding="utf-8")
    b.get(page.as_uri())
    errors = [e for e in b.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
    return ws, Checker(spec, stem, questions=ws.blanks)


def _field(b, sid: str):
    return b.find_element("css selector", f'input[data-step="{sid}"]')


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: Path(p).stem)
def test_browser_marks_as_the_checker(browser, tmp_path, path, record_property):  # noqa: F811
    ws, checker = _open(browser, tmp_path, path, TWO_VARIANTS.get(Path(path).stem, 1))
    compared, boundary, differ = 0, [], []
    for vi, v in enumerate(ws.variants):
        sets = answer_sets(v.graph, ws.blanks, ws.spec.decimals, seed=vi)
        assert len(sets) >= MIN_SETS
        py = python_marks(checker, v.id, sets)
        js = browser.execute_script(MARK_SETS, vi, sets)
        for answers, p, j in zip(sets, py, js, strict=True):
            compared += 1
            for line in compare(p, j):
                sid = line.split()[0]
                args = ((ws.spec, Path(path).stem), {"questions": ws.blanks})
                (boundary if at_boundary(args, v.id, answers, sid) else differ).append(line)
    record_property("answer_sets", compared)
    record_property("boundary_cases", len(boundary))
    print(f"{Path(path).stem}: {compared} answer sets compared, {len(boundary)} boundary cases: {boundary[:3]}")
    assert not differ, differ[:10]


def test_the_comparison_can_fail(browser, tmp_path):  # noqa: F811
    """A deliberately wrong browser verdict (a slip marked correct) and a wrong reading
    (one place more) are both caught."""
    ws, checker = _open(browser, tmp_path, EXAMPLES[[Path(p).stem for p in EXAMPLES].index("four")])
    v = ws.variants[0]
    key = {sid: text(v.graph[sid].value, 4) for sid in ws.blanks}
    answers = key | {"out_h1": text(v.graph["out_h1"].value, 4)[:-1] + "0"}  # not a slip: a wrong digit
    browser.execute_script(
        "var M = window.deriveMark.Marker.prototype, score = M.score;"
        "M.score = function (r, w) { score.call(this, r, w); if (r.verdict === 'wrong') r.verdict = 'correct'; };"
    )
    (js,) = browser.execute_script(MARK_SETS, 0, [answers])
    (py,) = python_marks(checker, v.id, [answers])
    assert py["out_h1"]["verdict"] == "wrong"
    assert any(line.startswith("out_h1 verdict") for line in compare(py, js))
    browser.execute_script(
        "var read = window.derive.read;"
        "window.derive.read = function (t) { var a = read(t); if (a.places !== null) a.places += 1; return a; };"
    )
    (j,) = browser.execute_script(JS_READ, ["0.5929"])
    assert disagreement("0.5929", python_read("0.5929", checker.symbols), j)


def test_reader_agrees_on_the_corpus(browser, tmp_path):  # noqa: F811
    """Every typed answer of tests/answer_corpus.json: invalid or not, the value within
    1e-12 relative, the places typed, a formula or a number."""
    _, checker = _open(browser, tmp_path, EXAMPLES[[Path(p).stem for p in EXAMPLES].index("four")], 1)
    texts = corpus()
    assert len(texts) >= 300
    js = browser.execute_script(JS_READ, texts)
    found = [disagreement(t, python_read(t, checker.symbols), j) for t, j in zip(texts, js, strict=True)]
    invalid = sum(python_read(t, checker.symbols)["invalid"] for t in texts)
    assert 50 <= invalid <= len(texts) - 200  # both kinds are well represented
    assert [f for f in found if f] == []


def test_float_helpers_are_as_stable_as_python(browser, tmp_path):  # noqa: F811
    """The compiled formulas' sigma, softplus and rounding give Python's floats, also at
    +-1000 (no overflow), and exp of 1000 fails as math.exp does."""
    _open(browser, tmp_path, EXAMPLES[[Path(p).stem for p in EXAMPLES].index("four")], 1)
    got = browser.execute_script(
        "var F = window.deriveF, out = [];"
        "[-1000, -30, -0.376, 0, 0.376, 30, 1000].forEach(function (x) { out.push([F.sigma(x), F.softplus(x)]); });"
        "out.push([F.rnd(0.125, 2), F.rnd(-0.125, 2), F.trunc(0.59999999, 4), F.trunc(-0.12345, 3)]);"
        "var failed = false; try { F.exp(1000); } catch (e) { failed = true; } out.push([failed]); return out;"
    )
    xs = [-1000, -30, -0.376, 0, 0.376, 30, 1000]
    assert got[: len(xs)] == [[stable_sigma(x), stable_softplus(x)] for x in xs]
    assert got[len(xs)] == [
        round_half_up_float(0.125, 2),
        round_half_up_float(-0.125, 2),
        trunc_float(0.59999999, 4),
        trunc_float(-0.12345, 3),
    ]
    assert got[-1] == [True]


def test_typed_keystrokes_and_downstream_remarking(browser, tmp_path):  # noqa: F811
    ws, checker = _open(browser, tmp_path, EXAMPLES[[Path(p).stem for p in EXAMPLES].index("four")])
    g = ws.variants[0].graph
    net, out = _field(browser, "net_h1"), _field(browser, "out_h1")
    net.send_keys(text(g["net_h1"].value, 4) + "\n")
    assert net.get_attribute("data-verdict") == "correct"
    net.clear()
    net.send_keys("0.5000\n")  # wrong; out_h1 from it is follow-through
    out.send_keys(text(sp.Float(1 / (1 + math.exp(-0.5)), 30), 4) + "\n")
    assert net.get_attribute("data-verdict") == "wrong"
    assert out.get_attribute("data-verdict") == "follow-through"
    net.clear()
    net.send_keys(text(g["net_h1"].value, 4) + "\n")  # corrected: out_h1 is now wrong
    assert out.get_attribute("data-verdict") == "wrong"
    verdict_text = browser.find_element("id", "practise-out_h1-verdict").text
    assert "wrong" in verdict_text  # in words, not colour only
    py = checker.mark(
        {"variant": ws.variants[0].id, "net_h1": net.get_attribute("value"), "out_h1": out.get_attribute("value")}
    )
    assert py.steps["out_h1"].verdict == "wrong" and py.steps["net_h1"].verdict == "correct"


def test_new_numbers_and_the_downloaded_answers(browser, tmp_path):  # noqa: F811
    ws, checker = _open(browser, tmp_path, EXAMPLES[[Path(p).stem for p in EXAMPLES].index("four")], 3)
    shown = browser.find_element("css selector", "#practise .variant-id").text
    browser.find_element("css selector", "#practise .new-numbers").click()
    now = browser.find_element("css selector", "#practise .variant-id").text
    assert now.startswith(ws.variants[1].id) and now != shown
    listed = [li.text.split(" = ")[0] for li in browser.find_elements("css selector", "#practise .givens li")]
    g = ws.variants[1].graph
    assert set(listed) - {str(s) for s in g.given} == set(givens(g, ws.blanks, ws.given))
    assert not set(listed) & set(ws.blanks)
    answers = {sid: text(g[sid].value, 3 + i % 2) for i, sid in enumerate(ws.blanks[:4])}
    answers |= {ws.blanks[4]: text(g[ws.blanks[4]].value, 2), ws.blanks[5]: "- 0,5 (rounded)"}
    js = browser.execute_script("return window.derive.setAnswers(arguments[0])", answers)
    path = tmp_path / "mine-answers.yaml"
    path.write_text(browser.execute_script("return window.derive.answersYaml()"), encoding="utf-8")
    (sub,) = read_submissions([path])
    assert sub.answers is not None and sub.answers["variant"] == ws.variants[1].id
    py = checker.mark(sub.answers).to_dict()["steps"]
    assert compare(py, js) == []
    assert {r["verdict"] for r in py.values()} >= {"imprecise", "missing"}


def test_screenshots(browser, tmp_path):  # noqa: F811
    ws, _ = _open(browser, tmp_path, EXAMPLES[[Path(p).stem for p in EXAMPLES].index("four")], 3)
    g = ws.variants[0].graph
    net_h1 = float(g["net_h1"].value)
    answers = {"net_h1": text(g["net_h1"].value, 4), "out_h1": text(sp.Float(1 / (1 + math.exp(net_h1)), 30), 4)}
    answers |= {"net_h2": "0.3000", "out_h2": text(sp.Float(1 / (1 + math.exp(-0.3)), 30), 4), "net_o1": "abc"}
    answers |= {"out_o1": text(g["out_o1"].value, 3), "loss": "0.1"}
    marked = browser.execute_script("return window.derive.setAnswers(arguments[0])", answers)
    assert marked["out_h1"]["misconception"] == "sigma-of-minus-x" and marked["out_h2"]["verdict"] == "follow-through"
    assert screenshot(browser, "practise-desktop").stat().st_size > 10_000
    browser.set_window_size(*PHONE)
    try:
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= PHONE[0]  # nothing runs off a phone's screen
        assert screenshot(browser, "practise-phone").stat().st_size > 10_000
    finally:
        browser.set_window_size(1280, 900)
