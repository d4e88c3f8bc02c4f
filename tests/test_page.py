"""``derive page``: the page's structure for every worked example, its safety (escaping, a
Content-Security-Policy whose script hashes match, nothing loaded from the network), its
size, bad input, and the MathML converter."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest
from support import WORKED

from derive.cli import main
from derive.model.expression import load_any
from derive.present.expression import walkthrough_of
from derive.present.mathml import to_mathml
from derive.present.page import content_policy, page_html, script_hashes
from derive.present.worksheet import make_worksheet

SPECS = sorted(WORKED.glob("*.yaml"))
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S)


def build(path, variants=1, seed=0, watch=False) -> str:
    spec = load_any(path)
    return page_html(walkthrough_of(spec), make_worksheet(spec, path.stem, variants, seed), watch=watch)


def csp_of(html: str) -> str:
    m = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', html)
    assert m, "no Content-Security-Policy meta"
    return m.group(1).replace("&#39;", "'")


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_page_of_every_worked_example(path):
    html = build(path)
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    for part in ('id="explore"', '<section id="practise"', 'id="explore-data"', 'id="teacher-note"'):
        assert part in html, part
    # the diagram's elements are buttons a keyboard reaches, and each has its steps
    elements = set(re.findall(r'<g class="el" data-el="([^"]+)" tabindex="0" role="button"', html))
    assert len(elements) >= 2
    data = re.search(r'<script type="application/json" id="explore-data">(.*?)</script>', html, re.S).group(1)
    steps = re.findall(r'"id":"([^"]+)","el":"([^"]+)"', data)
    assert steps and {el for _, el in steps} >= elements - {"loss"}
    for sid, _ in steps:  # every step the buttons visit has its equation in the text
        assert f'id="eq-{sid}"' in html
    assert "<math" in html and "$" not in re.sub(r"<script.*?</script>", "", html, flags=re.S)


@pytest.mark.parametrize("path", [WORKED / "four.yaml", WORKED / "expression.yaml"], ids=["four", "expression"])
def test_page_loads_nothing_and_its_policy_lists_its_scripts(path):
    html = build(path)
    # no resource from anywhere: no src/href to a URL, no CSS url(), no inline event handler
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", html, re.I)
    assert not re.search(r"url\((?!#)", html) and not re.search(r"<(link|iframe|object|embed|img)\b", html, re.I)
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html, re.I)
    csp = csp_of(html)
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp and "unsafe-eval" not in csp
    running = [body for attrs, body in SCRIPT.findall(html) if "application/json" not in attrs]
    assert running, "the page has scripts"
    for body in running:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    # the check can fail: a script changed after hashing is not allowed
    tampered = html.replace(running[0], running[0] + ";")
    assert script_hashes(tampered) != script_hashes(html)


def test_watch_page_may_ask_its_own_server_only():
    html = build(WORKED / "expression.yaml", watch=True)
    assert "connect-src 'self'" in csp_of(html) and 'fetch("/version"' in html
    assert content_policy(html, watch=False).count("connect-src 'none'") == 1


def test_user_text_is_escaped(tmp_path):
    text = (WORKED / "four.yaml").read_text().split("network:", 1)[1]
    head = 'title: "<script>alert(1)</script> & <b>bold</b>"\nstory: "A <img src=x onerror=alert(2)> story"\n'
    text = head + "network:" + text
    spec = tmp_path / "evil.yaml"
    spec.write_text(text)
    html = build(spec)
    assert "<script>alert(1)" not in html and "<b>bold" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html


def test_four_with_ten_variants_is_under_two_megabytes(tmp_path, capsys):
    out = tmp_path / "four.html"
    assert main(["page", str(WORKED / "four.yaml"), "--variants", "10", "--seed", "3", "-o", str(out)]) == 0
    size = out.stat().st_size
    assert 10_000 < size < 2_000_000
    html = out.read_text()
    payload = html.split('id="derive-practise-data">', 1)[1].split("</script>", 1)[0]
    assert len(json.loads(payload)["variants"]) == 10  # (every variant's numbers, for practise)


def test_page_to_standard_output(capsys):
    assert main(["page", "expression"]) == 0
    assert capsys.readouterr().out.startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    "argv",
    [
        ["page", "tests/bad_specs/01_empty_file.yaml"],
        ["page", "no-such-spec.yaml"],
        ["page", "four", "--variants", "x"],
        ["page", "four", "--watch", "-o", "x.html"],
        ["page", "four", "--blanks", "no_such_step"],
    ],
)
def test_bad_input_is_one_line_status_2_nothing_written(argv, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(WORKED.parent)
    out = tmp_path / "page.html"
    argv = argv + (["-o", str(out)] if "-o" not in argv and "--watch" not in argv else [])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("derive: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.iterdir())


def test_mathml_of_the_printers_latex():
    m = to_mathml(r"\frac{\partial J}{\partial \mathrm{out}_{o1}} = \sigma\left(0.376\right) \cdot \hat{m}")
    assert m.startswith("<math>") and "<mfrac>" in m and "<mi>out</mi>" in m and "<mi>σ</mi>" in m
    assert '<mo fence="true" stretchy="false" lspace="0" rspace="0">(</mo>' in m and "<mover" in m
    assert 'stretchy="true"' in to_mathml(r"\left(\frac{1}{2}\right)")  # only tall content stretches
    assert '<mo form="prefix">−</mo><mn>0.36</mn>' in to_mathml("= (-0.36)")  # a sign, not a minus
    assert "<msqrt>" in to_mathml(r"\sqrt{\hat{v}} + \epsilon")
    table = to_mathml(r"\begin{aligned} a &= b \\ &= c \end{aligned}")
    assert table.count("<mtr>") == 2 and table.count("<mtd>") == 4
    assert to_mathml(r"\text{a < b}") == "<math><mtext>a &lt; b</mtext></math>"
    assert to_mathml("x - 1", display=True) == '<math display="block"><mi>x</mi><mo>−</mo><mn>1</mn></math>'


@pytest.mark.parametrize("tex", [r"\unknown{x}", r"\frac{1}{2", r"a}", r"\left( x", r"\begin{matrix}a\end{matrix}"])
def test_mathml_refuses_what_it_does_not_know(tex):
    with pytest.raises(ValueError, match="MathML"):
        to_mathml(tex)
