"""Practise mode's fragment and payload, without a browser (tests/test_practise_browser.py
runs it): its size, what the content security policy needs, and that its rules are the
Python checker's, emitted rather than retyped."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from derive.model.expression import load_any
from derive.model.spec import load_spec
from derive.present import practise
from derive.present.practise import practise_css, practise_html
from derive.present.practise_data import practise_data
from derive.teach import marking
from derive.teach.precision import Standard, Stated, grade
from derive.teach.results import VERDICTS, Options
from derive.teach.worksheet import build_worksheet, givens

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "templates" / "page"


@pytest.fixture(scope="module")
def four10():
    return build_worksheet(load_spec(ROOT / "worked" / "four.yaml"), "four", 10, 0)


def _payload(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="derive-practise-data">(.*?)</script>', html, re.S)
    assert m is not None
    return json.loads(m[1])


def test_ten_variants_of_four_fit_well_under_two_megabytes(four10):
    html = practise_html(four10)
    assert len(html.encode("utf-8")) < 2_000_000 // 4  # the page's shell has the rest
    data = _payload(html)
    assert len(data["variants"]) == 10
    # numbers per variant only: the compiled code is shared, not repeated per variant
    assert html.count("function(e){return F.sigma(e.net_h1);}") == 1


def test_scripts_need_no_eval_and_no_inline_handlers(four10):
    html = practise_html(four10)
    assert not re.search(r"\son[a-z]+\s*=", html)  # onclick=, onchange=, ...
    for src in PAGE.glob("*.js"):
        code = src.read_text(encoding="utf-8")
        assert not re.search(r"\beval\s*\(|new\s+Function|innerHTML|setTimeout\s*\(\s*['\"]", code), src.name
    assert html.count("<script") == 5 and "<style>" in html and practise_css() in html


def test_rules_come_from_the_python_checker(four10):
    data = _payload(practise_html(four10))
    rules = data["rules"]
    assert rules["verdicts"] == list(VERDICTS)
    assert rules["text"]["carried"] == marking.CARRIED and rules["text"]["several"] == marking.SEVERAL
    standard = Standard(4)
    for places, row in rules["grades"].items():
        for figures, (factor, remark) in enumerate(row):
            v = 0.0 if figures == 0 else 10.0 ** (figures - int(places) - 1)
            g = grade(Stated(v, int(places), False), standard, Options().imprecise_credit)
            assert (factor, remark) == (g.factor, g.remark)
    assert [q["id"] for q in data["questions"]] == four10.blanks


def test_givens_never_show_a_blank_or_what_follows_from_one():
    ws = build_worksheet(load_spec(ROOT / "worked" / "four.yaml"), "four", 2, 0, blanks="out_h1,delta_o1")
    data, _ = practise_data(ws)
    for v, vd in zip(ws.variants, data["variants"], strict=True):
        shown = {label for label, _ in vd["givens"]}
        steps = shown - {str(s) for s in v.graph.given}
        assert steps == set(givens(v.graph, ws.blanks, ws.given))
        assert "out_h1" not in shown and "net_o1" not in shown and "net_h1" in shown


def test_nothing_in_the_payload_can_close_its_script(four10, monkeypatch):
    monkeypatch.setattr(practise, "practise_data", lambda ws, o=None: ({"x": "</script><script>alert(1)"}, []))
    html = practise.practise_html(four10)
    assert "alert" in html and "</script><script>alert" not in html
    assert _payload(html) == {"x": "</script><script>alert(1)"}


def test_a_boundary_case_is_recognised():
    """val_q = 3 exactly: 3.0005 is half a unit off, inside only by the float epsilon."""
    from practise_sets import at_boundary

    spec = load_any(ROOT / "worked" / "expression.yaml")
    assert at_boundary(((spec, "expression"), {}), None, {"val_q": "3.0005"}, "val_q")
    assert not at_boundary(((spec, "expression"), {}), None, {"val_q": "3.0004"}, "val_q")


def test_every_verdict_word_in_the_scripts_and_style_is_the_checkers():
    code = "".join(p.read_text(encoding="utf-8") for p in sorted(PAGE.iterdir()))
    used = set(re.findall(r"""verdict\s*(?:[!=]==?|=)\s*["']([^"']+)["']""", code))
    used |= set(re.findall(r"""verdict === "([^"]+)" \?""", code))
    used |= set(re.findall(r"""data-verdict="([^"]+)"\]""", code))
    assert {"correct", "follow-through", "wrong", "invalid", "slip", "imprecise", "missing"} <= used
    assert used <= set(VERDICTS)
