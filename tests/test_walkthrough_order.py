"""The order a walkthrough works in, and the numbers its closing tables show.

Every step comes after the steps its formula reads: in the step graph (which every consumer
reads: walkthroughs, sheets' question numbers, the checker) and in the rendered text, where
a step is first mentioned only after each of its dependencies has been. With ``carry:
rounded`` the tables show the rounded chain the text works with, and the verification
claims only what was checked. The ``steps: N`` tables keep the spec's decimals and leave
rows out of long runs only, saying how many.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sympy as sp
from support import NETWORK_EXAMPLES

from derive import Walkthrough
from derive.graph.builder import derive
from derive.model.spec import load_spec, load_spec_text
from derive.present.notation import symbol_names
from derive.present.numbers import fmt
from derive.present.render import render

ROOT = Path(__file__).resolve().parent.parent
WORKED = NETWORK_EXAMPLES

#: A softmax output of three nodes under the mean squared error (the Jacobian-product
#: delta, not the fused one), after two hidden layers, one of them tanh.
SOFTMAX3 = """
network:
  inputs: 2
  layers:
    - {name: h, size: 3, activation: tanh, bias: neuron}
    - {name: g, size: 2, activation: sigmoid, bias: shared}
    - {name: o, size: 3, activation: softmax, bias: neuron}
loss: mse
parameters:
  weights:
    h: [[0.3, -0.2], [0.4, 0.6], [-0.5, 0.1]]
    g: [[0.2, -0.4, 0.3], [0.5, 0.1, -0.2]]
    o: [[0.5, -0.3], [-0.4, 0.2], [0.1, 0.7]]
  biases: {h: [0.1, 0.0, -0.1], g: 0.2, o: [0.0, 0.1, 0.0]}
sample: {x: [0.9, 0.2], y: [0, 1, 0]}
learning_rate: 0.5
"""

#: A batch of two samples through a tanh hidden layer into a softmax with cross-entropy.
TANH_BATCH = """
network:
  inputs: 2
  layers:
    - {name: h, size: 2, activation: tanh, bias: neuron}
    - {name: o, size: 3, activation: softmax, bias: none}
loss: cross-entropy
parameters:
  weights:
    h: [[0.6, -0.3], [0.2, 0.9]]
    o: [[1.2, -0.7], [0.3, 0.4], [-0.5, 0.8]]
  biases: {h: [0.1, 0.0]}
samples:
  - {x: [0.8, 0.4], y: 0}
  - {x: [-0.2, 0.5], y: 2}
batch: sum
learning_rate: 0.1
"""

#: worked/tanh.yaml's network, rounded to four decimals with the rounded value carried.
ROUNDED = """
network:
  inputs: 2
  layers:
    - {{name: h, size: 2, activation: tanh, bias: neuron}}
    - {{name: o, size: 1, activation: identity, bias: none}}
loss: mse
parameters:
  weights:
    h: [[0.6, -0.3], [0.2, 0.9]]
    o: [[1.2, -0.7]]
  biases: {{h: [0.1, 0.0]}}
sample: {{x: [0.8, 0.4], y: [0.5]}}
learning_rate: 0.1
steps: {steps}
rounding: {{decimals: 4, carry: {carry}}}
"""

SPECS = {p.stem: (lambda p=p: load_spec(p)) for p in WORKED}
SPECS.update(
    {
        "softmax3-mse": lambda: load_spec_text(SOFTMAX3, "softmax3.yaml"),
        "tanh-batch": lambda: load_spec_text(TANH_BATCH, "tanh-batch.yaml"),
        "rounded": lambda: load_spec_text(ROUNDED.format(steps=3, carry="rounded"), "rounded.yaml"),
    }
)


@pytest.fixture(scope="module", params=sorted(SPECS))
def wt(request):
    return Walkthrough(SPECS[request.param]())


# ---- step order


def test_the_graph_lists_every_step_after_its_dependencies(wt):
    seen: set[str] = set()
    for st in wt.graph:
        assert set(st.deps) <= seen, f"{st.id} comes before {sorted(set(st.deps) - seen)}"
        seen.add(st.id)


def test_the_builder_refuses_a_step_before_one_it_reads():
    from derive.graph.builder import check_order

    steps = list(derive(load_spec(ROOT / "worked" / "softmax.yaml")))
    check_order(steps)
    i, j = next((i, j) for i, st in enumerate(steps) for j, d in enumerate(steps) if d.id in st.deps)
    steps[i], steps[j] = steps[j], steps[i]
    with pytest.raises(RuntimeError, match=f"{steps[j].id} is built before {steps[i].id}"):
        check_order(steps)


def _display_math(md: str) -> str:
    """The display equations of a Markdown walkthrough, in order, separated by newlines
    (the paragraphs' generic symbols, such as J in the statement of the loss, left out)."""
    return "\n".join(re.findall(r"\$\$(.*?)\$\$", md, flags=re.S))


def _first_mentions(wt) -> dict[str, int]:
    """Each step id -> where its LaTeX name first occurs in the walkthrough's equations (a
    name followed by a sample's superscript, such as J^{(1)} for J, is another symbol)."""
    text = _display_math(wt.markdown())
    names = symbol_names(wt.graph)
    first = {}
    for st in wt.graph:
        m = re.search(r"(?<![A-Za-z\\])" + re.escape(names[st.symbol]) + r"(?![\^_{A-Za-z0-9])", text)
        assert m, f"{st.id} is never shown"
        first[st.id] = m.start()
    return first


def test_the_walkthrough_mentions_a_step_only_after_its_dependencies(wt):
    first = _first_mentions(wt)
    for st in wt.graph:
        for d in st.deps:
            assert first[d] < first[st.id], f"{st.id} is shown before {d}, which it is computed from"


def test_softmax_shows_every_net_of_its_layer_before_any_output():
    md = Walkthrough.from_file(ROOT / "worked" / "softmax.yaml").markdown()
    nets = [m.start() for m in re.finditer(r"\\mathrm\{net\}_\{o\d\} &?=", md)]
    outs = [m.start() for m in re.finditer(r"\\mathrm\{out\}_\{o\d\} &?=", md)]
    assert len(nets) == len(outs) == 3
    assert max(nets) < min(outs)


def test_an_answer_key_numbers_its_questions_in_the_order_it_shows_them():
    wt = Walkthrough.from_file(ROOT / "worked" / "softmax.yaml")
    questions = {sid: n for n, sid in enumerate(wt.graph.ids, 1)}
    shown = [int(n) for n in re.findall(r"Question (\d+):", render(wt, "md", questions))]
    assert shown == sorted(shown) == list(range(1, len(wt.graph) + 1))


# ---- the closing tables and the verification under carry: rounded


def _section(md: str, title: str) -> str:
    return md.split(title, 1)[1].split("\n## ", 1)[0]


def _tables(text: str) -> list[tuple[list[str], list[list[str]]]]:
    """Each Markdown table in ``text``: its header and its body rows, cells stripped of $."""
    tables: list = []
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if line.startswith("| ")]
        if len(lines) >= 2 and lines[1].startswith("| ---"):
            cells = [[c.strip().strip("$") for c in line.strip().strip("|").split("|")] for line in lines]
            tables.append((cells[0], cells[2:]))
    return tables


def _cells(table_text: str) -> list[list[str]]:
    """The body rows of the Markdown tables in ``table_text``, their cells stripped of $."""
    rows = []
    for line in table_text.splitlines():
        if line.startswith("| ---"):
            rows.pop()  # the header above it
        elif line.startswith("| "):
            rows.append([c.strip().strip("$") for c in line.strip().strip("|").split("|")])
    return rows


def _rounded_chain(graph, n: int, d: int):
    """The loss before and after each of n updates, every value rounded to d places before
    it is used again, and the parameters after the last: worked out here step by step."""
    given = dict(graph.given)
    values = graph.run(given=given, decimals=d)
    losses = [values["loss"]]
    for _ in range(n):
        for st in graph:
            if st.kind == "new":
                given[graph.leaves[st.param]] = values[st.id]
        values = graph.run(given=given, decimals=d)
        losses.append(values["loss"])
    return losses, {p.name: given[graph.leaves[p.name]] for p in graph.spec.iter_parameters() if p.trainable}


def test_rounded_carry_tables_show_the_rounded_chain_the_text_uses():
    wt = Walkthrough(load_spec_text(ROUNDED.format(steps=3, carry="rounded"), "rounded.yaml"))
    md, g = wt.markdown(), wt.graph
    text_loss = fmt(g["loss"].value, 4)
    assert f"= {text_loss}$$" in md  # the loss the text works out
    training = _section(md, "Training for 3 steps")
    (_, rows), *param_tables = _tables(training)
    losses, final = _rounded_chain(g, 3, 4)
    assert rows == [[str(i), fmt(v, 4)] for i, v in enumerate(losses)]
    assert rows[0][1] == text_loss
    params = {}  # the parameter tables' last rows: after step 3
    for header, body in param_tables:
        assert [r[0] for r in body] == ["0", "1", "2", "3"]
        params.update(zip(header[1:], body[-1][1:]))
    names = symbol_names(g)
    assert params == {names[g.leaves[p]]: fmt(v, 4) for p, v in final.items()}
    # the rounded chain ends elsewhere than the exact one here, so the test tells them apart
    exact = {names[g.leaves[p]]: fmt(sp.Float(v, 17), 4) for p, v in wt.final_parameters.items()}
    assert exact.keys() == params.keys() and exact != params


def test_rounded_carry_verification_claims_only_what_was_checked():
    wt = Walkthrough(load_spec_text(ROUNDED.format(steps=3, carry="rounded"), "rounded.yaml"))
    md = wt.markdown()
    verification = _section(md, "Verification")
    assert "values above was computed" not in verification  # the rounded values were not
    assert "exact chain" in verification and "rounded chain" in verification
    header = md.split("## 1.", 1)[0]
    assert "rounded" in header  # the claim at the top says which numbers were verified
    exact = Walkthrough(load_spec_text(ROUNDED.format(steps=3, carry="exact"), "exact.yaml")).markdown()
    assert "rounded chain" not in exact


# ---- the steps: N tables


@pytest.mark.parametrize("carry", ["exact", "rounded"])
def test_a_short_run_shows_every_step_at_the_spec_decimals(carry):
    wt = Walkthrough(load_spec_text(ROUNDED.format(steps=8, carry=carry), "short.yaml"))
    (_, rows), *params = _tables(_section(wt.markdown(), "Training for 8 steps"))
    assert [r[0] for r in rows] == [str(i) for i in range(9)]
    assert params and all([r[0] for r in body] == [r[0] for r in rows] for _, body in params)
    for _, v in rows:  # four places, or four significant figures when that would show 0
        assert re.fullmatch(r"-?\d+\.\d{4}|\d\.\d{3} \\times 10\^\{-\d+\}", v), v
    if carry == "exact":
        assert [r[1] for r in rows] == [fmt(sp.Float(v, 17), 4) for v in wt.loss_history]


def test_a_long_run_says_how_many_rows_it_leaves_out():
    wt = Walkthrough(load_spec_text(ROUNDED.format(steps=40, carry="exact"), "long.yaml"))
    training = _section(wt.markdown(), "Training for 40 steps")
    (_, shown), *params = _tables(training)
    assert params and all([r[0] for r in body] == [r[0] for r in shown] for _, body in params)
    assert 2 < len(shown) < 41 and shown[0][0] == "0" and shown[-1][0] == "40"
    left_out = 41 - len(shown)
    assert f"{left_out} of the 41 rows" in training


@pytest.mark.parametrize("path", NETWORK_EXAMPLES)
def test_the_key_shows_the_steps_in_the_graphs_order(path):
    """So a sheet's question numbers (the key's order) and the checker's without a manifest
    (the graph's order) are the same numbers."""
    from derive.model.spec import load_spec
    from derive.present.walkthrough import Walkthrough
    from derive.present.walkthrough_doc import presented_order

    wt = Walkthrough(load_spec(path))
    assert presented_order(wt) == list(wt.graph.ids)
