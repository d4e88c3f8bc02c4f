"""Property tests: every small network the spec language allows verifies three ways
(SymPy step graph, NumPy core, finite differences and loss history)."""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import KINK_SPEC

from derive.graph.builder import derive
from derive.model.spec import load_spec_text
from derive.verify.three_way import verify

HIDDEN = ["sigmoid", "tanh", "relu", "leaky-relu", "softplus", "identity"]
SQUARED = ["half-sse", "sse", "mse", "half-mse"]


def decimal_number(lo=-1, hi=1, values=None):
    """One- or two-decimal numbers in [lo, hi], as typed in a spec."""
    if values is not None:
        return st.sampled_from(values)
    return st.one_of(
        st.integers(lo * 10, hi * 10).map(lambda k: str(Decimal(k) / 10)),
        st.integers(lo * 100, hi * 100).map(lambda k: str(Decimal(k) / 100)),
    )


def vector(items):
    return "[" + ", ".join(items) + "]"


@st.composite
def spec_texts(draw, numbers=None, hidden=HIDDEN):
    """YAML text of a random network: 1-3 layers of 1-3 nodes, any loss with an output
    activation it allows, any bias mode, 1-3 samples, mean or sum, 1-3 steps."""
    num = decimal_number(values=numbers)
    n_in = draw(st.integers(1, 3))
    n_layers = draw(st.integers(1, 3))
    loss = draw(st.sampled_from(SQUARED + ["cross-entropy", "bce"]))
    out_act = {"cross-entropy": "softmax", "bce": "sigmoid"}.get(loss) or draw(st.sampled_from(hidden + ["softmax"]))
    acts = [draw(st.sampled_from(hidden)) for _ in range(n_layers - 1)] + [out_act]
    sizes = [draw(st.integers(2 if a == "softmax" else 1, 3)) for a in acts]
    names = ["h", "g", "k"][: n_layers - 1] + ["o"]
    layers, weights, biases = [], [], []
    prev = n_in
    for name, act, n in zip(names, acts, sizes, strict=True):
        bias = draw(st.sampled_from(["none", "neuron", "shared"]))
        extra = f", bias: {bias}"
        if bias != "none":
            extra += f", train_bias: {str(draw(st.booleans())).lower()}"
        if act == "leaky-relu" and draw(st.booleans()):
            extra += f", alpha: {draw(st.sampled_from(['0.1', '0.2', '0.05', '0']))}"
        layers.append(f"    - {{name: {name}, size: {n}, activation: {act}{extra}}}")
        weights.append(f"    {name}: " + vector(vector(draw(num) for _ in range(prev)) for _ in range(n)))
        if bias == "neuron":
            biases.append(f"    {name}: {vector(draw(num) for _ in range(n))}")
        elif bias == "shared":
            biases.append(f"    {name}: {draw(num)}")
        prev = n
    samples = []
    n_out = sizes[-1]
    for _ in range(draw(st.integers(1, 3))):
        x = vector(draw(num) for _ in range(n_in))
        if loss == "cross-entropy":
            kind = draw(st.sampled_from(["index", "one-hot", "probability"]))
            c = draw(st.integers(0, n_out - 1))
            if kind == "index":
                y = str(c)
            elif kind == "one-hot":
                y = vector("1" if j == c else "0" for j in range(n_out))
            else:  # tenths summing to 1
                cuts = sorted(draw(st.lists(st.integers(0, 10), min_size=n_out - 1, max_size=n_out - 1)))
                parts = [b - a for a, b in zip([0] + cuts, cuts + [10], strict=True)]
                y = vector(str(Decimal(p) / 10) for p in parts)
        elif loss == "bce":
            y = vector(draw(decimal_number(0, 1)) for _ in range(n_out))
        else:
            y = vector(draw(decimal_number()) for _ in range(n_out))
        samples.append(f"  - {{x: {x}, y: {y}}}")
    text = [
        "network:",
        f"  inputs: {n_in}",
        "  layers:",
        *layers,
        f"  weight_names: {draw(st.sampled_from(['input-major', 'neuron-major', 'indexed']))}",
        f"loss: {loss}",
        "parameters:",
        "  weights:",
        *weights,
    ]
    if biases:
        text += ["  biases:", *biases]
    text += [
        "samples:",
        *samples,
        f"batch: {draw(st.sampled_from(['mean', 'sum']))}",
        f"learning_rate: {draw(st.sampled_from(['0.1', '0.5', '1', '0.05']))}",
        f"steps: {draw(st.integers(1, 3))}",
    ]
    return "\n".join(text) + "\n"


def check(text):
    spec = load_spec_text(text, "hypothesis.yaml")
    graph = derive(spec)
    report = verify(graph, strict=False)
    assert report.ok, (report.failures, text)
    assert report.n_values == len(graph)
    assert len(report.loss_history) == spec.steps + 1
    # Every batch gradient was compared with finite differences unless a note says why not.
    batch_grads = [s for s in graph if s.kind == "grad" and (s.sample is None or len(spec.samples) == 1)]
    skipped = len(batch_grads) - report.n_gradients
    if skipped:
        note = next(n for n in report.notes if n.startswith("Finite differences were not compared for "))
        params = note.removeprefix("Finite differences were not compared for ").split(":")[0].split(", ")
        assert len(params) == skipped and set(params) <= set(spec.trainable())
    assert set(report.final_parameters) == set(spec.trainable())
    return report


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec_texts())
def test_random_networks_verify_three_ways(text):
    check(text)


# Numbers that make ReLU nets land exactly on the kink (0.9*0.4 - 0.9*0.4 is 1.3e-17 in
# floats), and hidden nodes with equal outputs whose weighted sum cancels exactly.
KINKY = ["0", "0.1", "-0.1", "0.2", "-0.3", "0.4", "-0.4", "0.9", "-0.9", "0.5", "-0.5"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec_texts(numbers=KINKY, hidden=["relu", "leaky-relu", "sigmoid", "identity"]))
def test_networks_on_relu_kinks_verify(text):
    check(text)


def test_exact_kink_verifies_with_notes():
    """A case hypothesis found: net_h2_s2 is exactly 0 but 1.3e-17 in NumPy's floats. It
    verifies because verify gives the NumPy backward pass the exact 0, skips the finite
    differences that straddle the kink and compares the loss history before the update only."""
    text = KINK_SPEC.format(steps=2)
    report = check(text)
    assert any("net_h2_s2" in n and "kink" in n for n in report.notes)
