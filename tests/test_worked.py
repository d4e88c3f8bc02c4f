"""The worked examples: committed renderings are current, and every format works."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from support import NETWORK_EXAMPLES, need

from derive import Walkthrough
from derive.model.spec import load_spec_text
from derive.present.pdf import compile_pdf

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = NETWORK_EXAMPLES


@pytest.fixture(scope="module", params=EXAMPLES, ids=[p.stem for p in EXAMPLES])
def wt(request):
    return Walkthrough.from_file(request.param)


def test_examples_cover_the_issue():
    names = {p.stem for p in EXAMPLES}
    assert {"four", "neuron-bias", "shared-bias", "tanh", "relu", "softmax", "batch", "four-1000"} <= names


def test_committed_markdown_is_current(wt):
    committed = Path(wt.spec.source)
    md = (ROOT / "worked" / committed.name).with_suffix(".md")
    assert md.exists(), f"{md.name} is missing: run derive walkthrough {committed.name} -o {md.name}"
    assert md.read_text(encoding="utf-8") == wt.markdown(), (
        f"{md.name} is stale; regenerate it with: derive walkthrough worked/{committed.name} -o worked/{md.name}"
    )


def test_json_has_every_step_and_is_verified(wt):
    data = json.loads(wt.json())
    assert data["verified"] is True
    assert list(data["values"]) == wt.graph.ids
    # no batch loss to follow without a loss, or online (each sample's update is verified step by step)
    one_update = wt.spec.learning_rate is not None and wt.spec.batch != "online"
    assert len(data["loss_history"]) == (wt.spec.steps + 1 if one_update else 0)
    assert data["max_disagreement"]["sympy_vs_numpy"]["relative"] < 1e-9


def test_latex_compiles(wt):
    need("pdflatex")
    pdf = compile_pdf(wt.latex())
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000


def test_four_matches_the_issue():
    wt = Walkthrough.from_file(ROOT / "worked" / "four.yaml")
    v = json.loads(wt.json())["values"]
    assert (round(v["out_h1"], 5), round(v["out_h2"], 5), round(v["out_o1"], 5)) == (0.59291, 0.54404, 0.63954)
    ids = set(v)
    for i in [
        "net_h1",
        "out_h1",
        "net_o1",
        "out_o1",
        "loss",
        "dloss_dout_o1",
        "dout_dnet_o1",
        "delta_o1",
        "dout_dnet_h1",
        "delta_h1",
        "grad_w1",
        "grad_w9",
        "grad_w10",
        "new_w1",
        "new_w9",
    ]:
        assert i in ids
    md = wt.markdown()
    # the essay's sigma(0.376) = 0.407 is flagged, and the right value printed
    assert r"| $\mathrm{out}_{h1}$ | $0.407$ | $0.5929$ | wrong: σ(−x) instead of σ(x) |" in md
    assert (
        r"| $w_{9}^{\text{new}}$ | $0.603$ | $0.6049$ | "
        r"follows from the printed $\frac{\partial J}{\partial w_{9}}$ |"
    ) in md
    assert r"\sigma\left(0.376\right) = 0.5929" in md


def test_shared_frozen_biases_match_the_classic_numbers():
    """The 2-2-2 network of many online walkthroughs: E = 0.298371109, w5 -> 0.35891648."""
    wt = Walkthrough.from_file(ROOT / "worked" / "shared-bias.yaml")
    assert abs(float(wt.graph["loss"].value) - 0.298371109) < 1e-9
    assert abs(float(wt.graph["new_w5"].value) - 0.35891648) < 1e-8
    assert abs(float(wt.graph["new_w1"].value) - 0.149780716) < 1e-9
    assert "grad_b1" not in wt.graph.ids and "new_b2" not in wt.graph.ids  # frozen


INJECTION = r"""
title: '\input{/etc/passwd} \write18{touch /tmp/derive-pwned} $x$ 100% & #1 ~ ^ _'
story: '\immediate\write18{{id}} } { \end{{document}}'  # {{ }}: braces, not placeholders
network: {inputs: 1, layers: [{name: o, size: 1, activation: sigmoid}]}
loss: half-sse
parameters: {weights: {o: [[0.5]]}}
sample: {x: [1], y: [1]}
learning_rate: 0.1
"""


def test_latex_injection_is_literal_text(tmp_path):
    need("pdflatex")
    need("pdftotext")
    marker = Path("/tmp/derive-pwned")
    marker.unlink(missing_ok=True)
    wt = Walkthrough(load_spec_text(INJECTION, "evil.yaml"))
    pdf = tmp_path / "evil.pdf"
    pdf.write_bytes(compile_pdf(wt.latex()))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert r"\input{/etc/passwd}" in text and r"\write18{touch" in text
    assert "root:" not in text and not marker.exists()


def test_markdown_escapes_user_text():
    wt = Walkthrough(load_spec_text(INJECTION.replace(r"\input", "*bold* [link](x) <b>"), "evil.yaml"))
    first = wt.markdown().splitlines()[0]
    assert r"\*bold\*" in first and r"\[link\]" in first and r"\<b\>" in first


def test_walkthrough_displays_in_a_notebook():
    wt = Walkthrough.from_file(ROOT / "worked" / "four.yaml")
    assert wt._repr_markdown_() == wt.markdown()


def test_readme_excerpt_is_current():
    """Every math line the README quotes from worked/four.md is still in it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    excerpt = readme.split("## An excerpt", 1)[1].split("## Commands", 1)[0]
    four = (ROOT / "worked" / "four.md").read_text(encoding="utf-8")
    lines = [ln for ln in excerpt.splitlines() if ln.startswith(("$$\\", "&=", "\\frac"))]
    assert len(lines) >= 5
    for ln in lines:
        assert ln in four, ln
