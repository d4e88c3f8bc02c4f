"""Worksheets: variants, sheets, keys, answer templates, manifest, Moodle export."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sympy as sp
import yaml
from support import need

from derive.cli import main
from derive.model.numbers import round_half_up
from derive.model.spec import load_spec, load_spec_text
from derive.present.worksheet import worksheet_files
from derive.teach.variants import DEFAULTS, make_variants
from derive.teach.worksheet import build_worksheet

ROOT = Path(__file__).resolve().parent.parent
FOUR = ROOT / "worked" / "four.yaml"


@pytest.fixture(scope="module")
def four30():
    return build_worksheet(load_spec(FOUR), "four", variants=30, seed=7)


def _on_grid(v, rule):
    low, high, step = (n.value for n in rule)
    return low <= v <= high and ((v - low) / step).q == 1


def test_thirty_distinct_hand_friendly_verified_variants(four30):
    vs = four30.variants
    assert [v.id for v in vs] == [f"four-d2-s7-v{i:02d}" for i in range(1, 31)]
    keys = set()
    for v in vs:
        assert v.report.ok
        ws = [w for l in v.spec.layers for row in v.spec.weights[l.name] for w in row]
        assert all(_on_grid(w, DEFAULTS["weights"]) for w in ws)
        assert all(_on_grid(x, DEFAULTS["x"]) for x in v.spec.samples[0].x)
        for l in v.spec.layers:  # no two equal weights into one node
            for row in v.spec.weights[l.name]:
                assert len(set(row)) == len(row)
        for st in v.graph:
            if st.kind == "net":
                assert abs(st.exact) <= 3
            if st.kind == "grad" and round_half_up(st.exact, v.spec.decimals) == 0:
                # only a weight whose input is 0 may have a zero gradient
                k = int(st.param[1:]) - 1
                assert st.layer == 0 and v.spec.samples[0].x[k // 2] == 0, st.id
        keys.add((tuple(ws), v.spec.samples[0].x))
    assert len(keys) == 30
    assert (
        tuple(w for l in load_spec(FOUR).layers for row in load_spec(FOUR).weights[l.name] for w in row),
        load_spec(FOUR).samples[0].x,
    ) not in keys  # distinct from the spec's own numbers too


def test_variant_zero_is_the_specs_own_numbers():
    ws = build_worksheet(load_spec(FOUR), "four", variants=0, seed=7)
    (v,) = ws.variants
    assert v.id == "four-d2-s7-v00"
    assert round(float(v.graph["out_o1"].value), 5) == 0.63954


def test_vary_rules_and_impossible_ranges(tmp_path, capsys):
    text = FOUR.read_text().split("published:")[0]
    vary = "vary:\n  weights: {low: 0.1, high: 0.5, step: 0.1}\n  x: {low: 0.5, high: 0.5, step: 0.1}\n"
    spec = load_spec_text(text + vary, "narrow.yaml")
    vs, rejected = make_variants(spec, "narrow", seed=1, count=1)
    assert all(
        w in [sp.Rational(k, 10) for k in range(1, 6)]
        for l in vs[0].spec.layers
        for row in vs[0].spec.weights[l.name]
        for w in row
    )
    assert vs[0].spec.samples[0].x == (sp.Rational(1, 2),) * 4
    # four weights into h1 from only three grid values: impossible, reported with the reason
    bad = tmp_path / "impossible.yaml"
    bad.write_text(text + "vary:\n  weights: {low: 0.1, high: 0.3, step: 0.1}\n")
    assert main(["worksheet", str(bad), "--variants", "2", "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "impossible.yaml" in err and "two equal weights into one node" in err
    assert not (tmp_path / "out").exists()


def test_command_writes_every_file_and_is_byte_identical(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert main(["worksheet", str(FOUR), "--variants", "3", "--seed", "7", "--moodle", "-o", str(out)]) == 0
    names = sorted(p.name for p in a.iterdir())
    for v in ("four-d2-s7-v01", "four-d2-s7-v02", "four-d2-s7-v03"):
        for suffix in ("-sheet.md", "-sheet.tex", "-key.md", "-key.tex", "-answers.yaml"):
            assert v + suffix in names
    assert {"worksheet.json", "moodle.xml", "network.svg"} <= set(names)
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes(), n
    # --variant regenerates exactly that variant
    c = tmp_path / "c"
    assert main(["worksheet", str(FOUR), "--variant", "four-d2-s7-v02", "-o", str(c)]) == 0
    for suffix in ("-sheet.md", "-sheet.tex", "-key.md", "-key.tex", "-answers.yaml"):
        assert (c / f"four-d2-s7-v02{suffix}").read_bytes() == (a / f"four-d2-s7-v02{suffix}").read_bytes()


def test_answers_template_and_manifest(tmp_path):
    assert (
        main(["worksheet", str(FOUR), "--variants", "2", "--seed", "3", "--blanks", "backward", "-o", str(tmp_path)])
        == 0
    )
    ans = yaml.safe_load((tmp_path / "four-d2-s3-v01-answers.yaml").read_text())
    assert ans.pop("variant") == "four-d2-s3-v01"
    assert set(ans) == {
        "dloss_dout_o1",
        "dout_dnet_o1",
        "delta_o1",
        "dout_dnet_h1",
        "dout_dnet_h2",
        "delta_h1",
        "delta_h2",
    } | {f"grad_w{i}" for i in range(1, 11)}
    assert all(v is None for v in ans.values())
    m = json.loads((tmp_path / "worksheet.json").read_text())
    assert [v["id"] for v in m["variants"]] == ["four-d2-s3-v01", "four-d2-s3-v02"]
    assert all(v["verified"] for v in m["variants"])
    assert m["rejected_draws"]["total"] == sum(m["rejected_draws"]["by_reason"].values())
    assert set(m["variants"][0]["key"]) >= set(ans)
    sheet = (tmp_path / "four-d2-s3-v01-sheet.md").read_text()
    assert "You may use these values" in sheet and r"$\mathrm{out}_{o1}$" in sheet  # forward pass is given


def test_existing_answers_are_not_overwritten(tmp_path, capsys):
    assert main(["worksheet", str(FOUR), "--variants", "1", "-o", str(tmp_path)]) == 0
    filled = tmp_path / "four-d2-s0-v01-answers.yaml"
    filled.write_text("variant: four-d2-s0-v01\nnet_h1: 0.5\n")
    (tmp_path / "worksheet.json").unlink()
    assert main(["worksheet", str(FOUR), "--variants", "1", "-o", str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert filled.read_text() == "variant: four-d2-s0-v01\nnet_h1: 0.5\n"
    assert not (tmp_path / "worksheet.json").exists()  # nothing written at all
    assert main(["worksheet", str(FOUR), "--variants", "1", "--force", "-o", str(tmp_path)]) == 0
    assert "net_h1:" in filled.read_text() and "net_h1: 0.5" not in filled.read_text()


@pytest.mark.parametrize(
    "argv, expect",
    [
        (["--blanks", "forward,nonsense"], "'nonsense' is neither a group"),
        (["--variant", "four-s7"], "is not a variant id"),
        (["--variant", "tanh-d2-s7-v01"], "belongs to spec 'tanh'"),
        (["--variants", "-3"], "expected a whole number"),
    ],
)
def test_bad_options_are_one_line(tmp_path, capsys, argv, expect):
    assert main(["worksheet", str(FOUR), *argv, "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expect in err
    assert not (tmp_path / "out").exists()


def test_unwritable_folder(capsys):
    # /proc refuses new folders even to root, so this holds wherever the tests run
    assert main(["worksheet", str(FOUR), "-o", "/proc/derive-worksheet-out"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot create" in err


def test_output_folder_must_have_an_existing_parent(tmp_path, capsys):
    assert main(["worksheet", str(FOUR), "-o", str(tmp_path / "no" / "such" / "dir")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_moodle_xml_structure(four30):
    ws = build_worksheet(load_spec(FOUR), "four", variants=2, seed=7, blanks="forward,update")
    root = ET.fromstring(worksheet_files(ws, moodle=True)["moodle.xml"])
    assert root.tag == "quiz"
    cats = root.findall("question[@type='category']")
    nums = root.findall("question[@type='numerical']")
    assert len(cats) == 2 and len(nums) == 2 * len(ws.blanks)
    for q, (v, sid) in zip(nums, [(v, s) for v in ws.variants for s in ws.blanks], strict=True):
        assert q.find("name/text").text.startswith(v.id)
        assert q.find("questiontext").get("format") == "html"
        text = q.find("questiontext/text").text
        assert r"\(" in text and "learning rate" in text
        ans = q.find("answer")
        assert ans.get("fraction") == "100"
        assert abs(float(ans.find("text").text) - float(v.graph[sid].value)) < 1e-6
        tol = float(ans.find("tolerance").text)
        assert 0 < tol <= 10**-v.spec.decimals
        for tag in ("defaultgrade", "penalty", "hidden", "unitgradingtype", "showunits"):
            assert q.find(tag) is not None


def test_keys_box_the_blanks(four30):
    files = worksheet_files(build_worksheet(load_spec(FOUR), "four", variants=1, seed=7, blanks="grad_w1,new_w9"))
    key = files["four-d2-s7-v01-key.md"]
    assert key.count(r"\boxed{") == 2 and "Question 1:" in key and "Question 2:" in key
    sheet = files["four-d2-s7-v01-sheet.md"]
    assert "| 1 | $\\frac{\\partial J}{\\partial w_{1}}$" in sheet


def test_pdf_class_set(tmp_path):
    need("pdflatex")
    assert main(["worksheet", str(FOUR), "--variants", "2", "--seed", "7", "--pdf", "-o", str(tmp_path)]) == 0
    for n in ("four-d2-s7-v01-sheet.pdf", "four-d2-s7-v02-key.pdf", "class-sheets.pdf", "class-keys.pdf"):
        assert (tmp_path / n).read_bytes().startswith(b"%PDF")
    first = (tmp_path / "class-keys.pdf").read_bytes()
    assert (
        main(["worksheet", str(FOUR), "--variants", "2", "--seed", "7", "--pdf", "--force", "-o", str(tmp_path)]) == 0
    )
    assert (tmp_path / "class-keys.pdf").read_bytes() == first  # byte-identical PDFs


def test_derivation_sections_on_sheets(tmp_path):
    assert main(["worksheet", str(FOUR), "--derivations", "sigmoid,half-sse", "-o", str(tmp_path)]) == 0
    md = (tmp_path / "four-d2-s0-v01-sheet.md").read_text()
    tex = (tmp_path / "four-d2-s0-v01-sheet.tex").read_text()
    assert r"\sigma(x)\,\bigl(1 - \sigma(x)\bigr)" in md and r"\sigma(x)\,\bigl(1 - \sigma(x)\bigr)" in tex
    assert "checked equal to the line before" in md


def test_unknown_derivation_is_one_line(tmp_path, capsys):
    assert main(["worksheet", str(FOUR), "--derivations", "swish", "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown derivation 'swish'" in err
    assert main(["derivation", "swish"]) == 2


def test_derivation_command(capsys, tmp_path):
    assert main(["derivation", "tanh"]) == 0
    assert r"&= 1 - \tanh^2(x)" in capsys.readouterr().out
    assert main(["derivation", "sigmoid", "--format", "tex", "-o", str(tmp_path / "s.tex")]) == 0
    assert (tmp_path / "s.tex").read_text().startswith(r"\documentclass")


def test_worksheet_pdf_with_hostile_title(tmp_path):
    need("pdflatex")
    need("pdftotext")
    import subprocess

    spec = tmp_path / "evil.yaml"
    hostile = "title: '\\input{/etc/passwd} \\write18{touch /tmp/derive-ws-pwned} 100% & #'"
    spec.write_text(FOUR.read_text().replace("title: Is it a four?", hostile))
    assert main(["worksheet", str(spec), "--variants", "1", "--pdf", "-o", str(tmp_path / "o")]) == 0
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "o" / "evil-d2-s0-v01-sheet.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert r"\input{/etc/passwd}" in text and "root:" not in text
    assert not Path("/tmp/derive-ws-pwned").exists()


def test_figures_on_sheets_by_name(tmp_path, capsys):
    assert main(["worksheet", str(FOUR), "--figures", "tangent", "-o", str(tmp_path)]) == 0
    assert (tmp_path / "figure-tangent.png").read_bytes()[:4] == b"\x89PNG"
    assert "![figure-tangent.png](figure-tangent.png)" in (tmp_path / "four-d2-s0-v01-sheet.md").read_text()
    assert (
        r"\includegraphics[width=\textwidth]{figure-tangent.png}" in (tmp_path / "four-d2-s0-v01-sheet.tex").read_text()
    )
    assert main(["worksheet", str(FOUR), "--figures", "spiral", "-o", str(tmp_path / "x")]) == 2
    assert "unknown figure 'spiral'" in capsys.readouterr().err


SATURATED = """
network: {inputs: 1, layers: [{name: o, size: 1, activation: sigmoid}]}
loss: half-sse
parameters: {weights: {o: [[40]]}}
sample: {x: [1], y: [1]}
learning_rate: 0.1
"""


def test_moodle_answers_are_plain_decimals_even_when_tiny():
    """A saturated unit has values near 1e-18; Moodle must get a decimal, not LaTeX."""
    ws = build_worksheet(load_spec_text(SATURATED, "saturated.yaml"), "saturated", variants=0)
    root = ET.fromstring(worksheet_files(ws, moodle=True)["moodle.xml"])
    answers = root.findall("question[@type='numerical']/answer")
    tiny = 0
    for ans, sid in zip(answers, ws.blanks, strict=True):
        text, tol = ans.find("text").text, ans.find("tolerance").text
        assert re.fullmatch(r"-?\d+\.\d+", text) and re.fullmatch(r"\d+\.\d+", tol), (sid, text, tol)
        value = float(ws.variants[0].graph[sid].value)
        assert abs(float(text) - value) <= 1e-6 * abs(value) + 1e-12
        tiny += 0 < abs(value) < 1e-12
    assert tiny >= 2  # the test really covers tiny values (dloss_dout, delta, grad)
