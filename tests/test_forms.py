"""Issue 13's network forms: loss: none, input_gradients, batch: online, show: [after].

Each form is checked on its numbers (against hand values or the published ones), on its
ids and dependencies, on its three-way verification (with a test that the check can fail),
and through a worksheet and the checker."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import sympy as sp
import yaml
from support import NETWORK_EXAMPLES

from derive.cli import main
from derive.errors import VerificationError
from derive.graph.builder import derive
from derive.model.spec import load_spec, load_spec_text
from derive.present.walkthrough import Walkthrough
from derive.teach.misconceptions import CATALOGUE, on_key
from derive.verify.three_way import verify

ROOT = Path(__file__).resolve().parent.parent
W = ROOT / "worked"


def _with(name: str, extra: str):
    """A worked example with extra top-level YAML."""
    return load_spec_text((W / f"{name}.yaml").read_text() + "\n" + extra, f"{name}.yaml")


def test_cs231n_neuron_reproduces_the_notes():
    wt = Walkthrough.from_file(W / "cs231n-neuron.yaml")
    g = wt.graph
    assert {st.kind for st in g} == {"net", "out", "dout_dnet", "delta", "grad"}
    values = {sid: round(float(g[sid].value), 2) for sid in ("out_f1", "grad_w0", "grad_w1", "grad_w2")}
    assert values == {"out_f1": 0.73, "grad_w0": -0.20, "grad_w1": -0.39, "grad_w2": 0.20}
    assert [round(float(g[s].value), 2) for s in ("grad_x0", "grad_x1")] == [0.39, -0.59]
    # df/df = 1 starts every chain where a loss's dJ/dout would
    assert all(path[0].value == 1 and path[0].top == path[0].bottom == "out_f1" for path in g["grad_x1"].chain)
    assert [m.verdict for m in wt.published_marks] == ["right"] * 6
    assert wt.report.n_gradients == 5  # three parameters and two inputs, by finite differences
    text = wt.markdown()
    assert "learning rate" not in text and "The loss" not in text


def test_the_no_loss_check_can_fail():
    g = derive(load_spec(W / "cs231n-neuron.yaml"))
    g["grad_x0"].exact = g["grad_x0"].exact * sp.Rational(101, 100)
    with pytest.raises(VerificationError, match="grad_x0"):
        verify(g)


def test_input_gradients_with_a_batch_are_per_sample_and_verified():
    g = derive(_with("batch", "input_gradients: true"))
    st = g["grad_x1_s2"]
    assert st.deps == ("delta_h1_s2", "delta_h2_s2") and st.param is None
    # d J2/d x1_s2 = w1 delta_h1 + w2 delta_h2 (input-major: w1 and w2 leave x1)
    by_hand = g.numbers["w1"] * g["delta_h1_s2"].exact + g.numbers["w2"] * g["delta_h2_s2"].exact
    assert abs(float(st.exact - by_hand)) < 1e-30
    r = verify(g)
    assert r.n_gradients == 6 + 4  # batch gradients, then 2 inputs x 2 samples


def test_online_reads_the_previous_update():
    g = derive(load_spec(W / "online.yaml"))
    assert "loss" not in g.by_id and "grad_w1" not in g.by_id and "new_w1" not in g.by_id
    assert set(g["net_h1_s2"].deps) == {"new_w1_s1", "new_w3_s1", "new_b_h1_s1"}
    assert "new_w5_s1" in g["delta_h1_s2"].deps
    assert g["new_w1_s2"].deps == ("grad_w1_s2", "new_w1_s1")
    assert g["new_w1_s2"].sid.sample == 1 and g["out_o1_after_s2"].sid.after
    # every per-sample id ends in its sample's suffix
    assert all(st.id.endswith(f"_s{st.sample + 1}") for st in g)
    # sample 2's update is p - eta g at sample 1's new p
    eta = g.numbers["eta"]
    assert g["new_w5_s2"].exact == g["new_w5_s1"].exact - eta * g["grad_w5_s2"].exact


def test_online_is_verified_per_sample_and_can_fail():
    g = derive(load_spec(W / "online.yaml"))
    r = verify(g)
    assert r.n_gradients == 8 * 3  # each sample's gradients, at that sample's parameters
    g["net_o1_s3"].exact = g["net_o1_s3"].exact + sp.Rational(1, 10**6)
    with pytest.raises(VerificationError, match="net_o1_s3"):
        verify(g)


def test_after_with_a_batch():
    g = derive(_with("batch", "show: [after]"))
    for sid in ("net_h1_after_s1", "out_o1_after_s2", "loss_after_s1", "loss_after"):
        assert sid in g.by_id
    assert g["loss_after"].exact < g["loss"].exact
    assert set(g["net_h1_after_s1"].deps) == {"new_w1", "new_w3"}
    r = verify(g)
    assert r.ok and len(r.loss_history) == 2
    assert abs(r.loss_history[1] - float(g["loss_after"].exact)) < 1e-12
    assert "The batch loss went down" in Walkthrough(g.spec).markdown()


def test_after_is_only_shown_when_asked():
    for path in NETWORK_EXAMPLES:
        spec = load_spec(path)
        if "after" not in spec.show:
            assert not any(st.after for st in derive(spec)), path.name


def test_online_with_several_passes_is_refused(tmp_path, capsys):
    path = tmp_path / "many.yaml"
    path.write_text((W / "online.yaml").read_text() + "steps: 3\n")
    assert main(["walkthrough", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "many.yaml: steps:" in err and "online" in err


@pytest.mark.parametrize("name, blanks", [("online", "new_w1_s2,out_o1_after_s2,grad_w5_s3"), ("cs231n-neuron", "")])
def test_worksheet_and_checker_mark_the_new_steps(tmp_path, name, blanks):
    out = tmp_path / "ws"
    args = ["worksheet", str(W / f"{name}.yaml"), "--variants", "1", "--seed", "3", "-o", str(out)]
    assert main(args + (["--blanks", blanks] if blanks else [])) == 0
    manifest = json.loads((out / "worksheet.json").read_text())
    v = manifest["variants"][0]
    ans = yaml.safe_load((out / f"{v['id']}-answers.yaml").read_text())
    asked = [sid for sid in ans if sid != "variant"]
    if blanks:
        assert asked == blanks.split(",")
    else:
        assert "grad_x0" in asked and "loss" not in asked
    for sid in asked:
        ans[sid] = f"{v['key'][sid]:.4f}"
    wrong = asked[-1]
    ans[wrong] = f"{v['key'][wrong] + 0.5:.4f}"
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "a.yaml").write_text(yaml.safe_dump(ans))
    report = tmp_path / "report"
    assert main(["check", "--worksheet", str(out / "worksheet.json"), str(subs), "-o", str(report)]) == 0
    row = next(csv.DictReader((report / "summary.csv").open()))
    assert float(row["score"]) == float(row["max_score"]) - 1


def test_misconceptions_without_a_loss():
    g = derive(load_spec(W / "cs231n-neuron.yaml"))
    found = [v for m in CATALOGUE for st in g for v in on_key(m, g, st)]
    assert found  # (a sigma' slip, say, still applies; the loss's own mistakes do not, and do not crash)
