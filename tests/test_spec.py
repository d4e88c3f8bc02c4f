"""derive/spec.py on valid specs (naming, exact numbers, defaults) and, by property
tests, on arbitrary input: a Spec or a one-line SpecError, never another exception."""

import copy

import pytest
import sympy as sp
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.model.numbers import Number
from derive.model.spec import Spec, SpecError, load_spec, load_spec_text

R = sp.Rational

BASE = {
    "network": {
        "inputs": 2,
        "layers": [
            {"name": "h", "size": 2, "activation": "sigmoid"},
            {"name": "o", "size": 1, "activation": "sigmoid"},
        ],
    },
    "loss": "half-sse",
    "parameters": {"weights": {"h": [[0.1, 0.2], [0.3, 0.4]], "o": [[0.5, 0.6]]}},
    "sample": {"x": [1, 0], "y": [1]},
    "learning_rate": 0.5,
}


def load(d=None, **changes) -> Spec:
    d = copy.deepcopy(BASE if d is None else d)
    d.update(changes)
    return load_spec_text(yaml.safe_dump(d, sort_keys=False), "x.yaml")


def net(inputs=2, layers=None, **extra):
    n = {"inputs": inputs, "layers": layers or BASE["network"]["layers"]}
    n.update(extra)
    return n


def error(d=None, **changes) -> str:
    with pytest.raises(SpecError) as e:
        load(d, **changes)
    return str(e.value)


FOUR_YAML = """
network:
  inputs: 4
  layers:
    - {name: h, size: 2, activation: sigmoid}
    - {name: o, size: 1, activation: sigmoid}
  weight_names: %s
loss: half-sse
parameters:
  weights:
    h: [[0.4, 0.1, 0.4, 0.2], [0.2, 0.11, 0.05, 0.44]]
    o: [[0.6, 0.4]]
sample: {x: [0.5, 0.56, 0.3, 0.0], y: [1]}
learning_rate: 0.1
"""


# --------------------------------------------------------------------------- names


def test_inputs_as_a_count():
    assert load(
        network=net(inputs=3),
        parameters={"weights": {"h": [[1, 2, 3]] * 2, "o": [[1, 2]]}},
        sample={"x": [1, 2, 3], "y": [1]},
    ).inputs == ["i1", "i2", "i3"]


def test_inputs_as_names():
    assert load(network=net(inputs=["x", "pixel_2"])).inputs == ["x", "pixel_2"]


def test_input_major_numbering():
    s = load_spec_text(FOUR_YAML % "input-major", "x.yaml")
    # w1 = i1->h1, w2 = i1->h2, w3 = i2->h1, ...; the next layer continues at w9
    assert s.weight_names["h"] == [["w1", "w3", "w5", "w7"], ["w2", "w4", "w6", "w8"]]
    assert s.weight_names["o"] == [["w9", "w10"]]


def test_input_major_is_the_default():
    assert load_spec_text(
        (FOUR_YAML % "input-major").replace("  weight_names: input-major\n", ""), "x.yaml"
    ).weight_names["h"][0] == ["w1", "w3", "w5", "w7"]


def test_four_yaml_names_match_the_essay():
    s = load_spec("worked/four.yaml")
    assert s.inputs == ["i1", "i2", "i3", "i4"]
    assert s.weight_names["h"][0][0] == "w1" and s.weight_names["o"] == [["w9", "w10"]]
    assert s.weights["o"] == [[R(3, 5), R(2, 5)]]
    assert s.published["grad_w9"] == Number(R(-33, 1000), 3, "-0.033")
    assert s.decimals == 4


def test_neuron_major_numbering():
    s = load_spec_text(FOUR_YAML % "neuron-major", "x.yaml")
    assert s.weight_names["h"] == [["w1", "w2", "w3", "w4"], ["w5", "w6", "w7", "w8"]]
    assert s.weight_names["o"] == [["w9", "w10"]]


def test_indexed_names():
    s = load_spec_text(FOUR_YAML % "indexed", "x.yaml")
    assert s.weight_names["h"][1] == ["w1_2_1", "w1_2_2", "w1_2_3", "w1_2_4"]
    assert s.weight_names["o"] == [["w2_1_1", "w2_1_2"]]


def test_explicit_weight_names():
    names = {"h": [["a", "b"], ["c", "d"]], "o": [["e", "f"]]}
    s = load(network=net(weight_names=names))
    assert s.weight_names == names
    assert s.trainable() == ["a", "b", "c", "d", "e", "f"]


def test_explicit_weight_names_must_be_unique():
    names = {"h": [["a", "b"], ["c", "a"]], "o": [["e", "f"]]}
    msg = error(network=net(weight_names=names))
    assert "network.weight_names.h[0][0]: name 'a' is also used by network.weight_names.h[1][1]" in msg


def bias_spec(**network_extra):
    layers = [
        {"name": "h", "size": 2, "activation": "relu", "bias": "neuron"},
        {"name": "o", "size": 1, "activation": "sigmoid", "bias": "shared"},
    ]
    params = {"weights": BASE["parameters"]["weights"], "biases": {"h": [0.25, "-1/4"], "o": 0.5}}
    return dict(network=net(layers=layers, **network_extra), parameters=params)


def test_bias_names_default():
    s = load(**bias_spec())
    assert s.bias_names == {"h": ["b_h1", "b_h2"], "o": "b_o"}
    assert s.biases == {"h": [R(1, 4), R(-1, 4)], "o": R(1, 2)}
    assert s.trainable() == ["w1", "w2", "w3", "w4", "b_h1", "b_h2", "w5", "w6", "b_o"]


def test_bias_names_explicit():
    s = load(**bias_spec(bias_names={"h": ["c1", "c2"], "o": "c"}))
    assert s.bias_names == {"h": ["c1", "c2"], "o": "c"}


def test_explicit_bias_name_wrong_length():
    assert "network.bias_names.h: expected a list of 2 names" in error(**bias_spec(bias_names={"h": ["c1"]}))


def test_explicit_bias_name_clashing_with_a_weight():
    msg = error(**bias_spec(bias_names={"o": "w1"}))
    assert msg == "x.yaml: network.weight_names.h[0][0]: name 'w1' is also used by network.bias_names.o"


def test_train_bias_per_layer_overrides_network():
    d = bias_spec(train_biases=False)
    d["network"]["layers"][1]["train_bias"] = True
    s = load(**d)
    assert [(layer.name, layer.train_bias) for layer in s.layers] == [("h", False), ("o", True)]
    assert "b_h1" not in s.trainable() and "b_o" in s.trainable()


def test_train_biases_default_true():
    assert all(layer.train_bias for layer in load(**bias_spec()).layers)


# --------------------------------------------------------------------------- numbers


def test_decimals_are_exact_rationals():
    s = load(learning_rate=0.1)
    assert s.learning_rate == R(1, 10) and isinstance(s.learning_rate, sp.Rational)
    assert s.weights["h"] == [[R(1, 10), R(1, 5)], [R(3, 10), R(2, 5)]]


def test_fraction_text():
    assert load(learning_rate="3/8").learning_rate == R(3, 8)
    assert load(learning_rate=" +3/8 ").learning_rate == R(3, 8)
    assert load(sample={"x": ["-1/3", "2/6"], "y": [1]}).samples[0].x == (R(-1, 3), R(1, 3))
    assert "learning_rate: must be positive and at most 1000, got -3/8" in error(learning_rate="-3/8")


def test_scientific_notation_that_yaml_reads_as_text():
    text = yaml.safe_dump(BASE, sort_keys=False).replace("learning_rate: 0.5", "learning_rate: 1e-3")
    assert load_spec_text(text, "x.yaml").learning_rate == R(1, 1000)
    assert load(learning_rate="2.5E+1").learning_rate == 25


def test_integers_stay_integers():
    s = load(sample={"x": [3, -2], "y": [1]})
    assert s.samples[0].x == (3, -2) and all(isinstance(v, sp.Integer) for v in s.samples[0].x)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), True, "1/0", "0x10", "1e9999", [1]])
def test_bad_numbers(value):
    msg = error(learning_rate=value)
    assert msg.startswith("x.yaml: learning_rate: expected a")


def test_an_empty_learning_rate_is_missing():
    assert error(learning_rate=None) == "x.yaml: learning_rate: missing"


# --------------------------------------------------------------------------- targets and samples


def softmax_spec(y):
    layers = [{"name": "h", "size": 2, "activation": "tanh"}, {"name": "o", "size": 3, "activation": "softmax"}]
    return dict(
        network=net(layers=layers),
        loss="cross-entropy",
        parameters={"weights": {"h": [[1, 2], [3, 4]], "o": [[1, 2], [3, 4], [5, 6]]}},
        sample={"x": [1, 0], "y": y},
    )


def test_class_index_becomes_one_hot():
    s = load(**softmax_spec(2))
    assert s.samples[0].y == (0, 0, 1)
    assert s.samples[0].label == 2


def test_one_hot_target_kept():
    s = load(**softmax_spec([0, 1, 0]))
    assert s.samples[0].y == (0, 1, 0) and s.samples[0].label is None


def test_probability_target_for_cross_entropy():
    assert load(**softmax_spec([0.25, 0.25, 0.5])).samples[0].y == (R(1, 4), R(1, 4), R(1, 2))


def test_class_index_out_of_range():
    assert "sample.y: class index must be from 0 to 2, got -1" in error(**softmax_spec(-1))


def test_scalar_target_for_one_output():
    assert load(sample={"x": [1, 0], "y": 0.25}).samples[0].y == (R(1, 4),)


def load_without_sample(**changes):
    d = copy.deepcopy(BASE)
    del d["sample"]
    d.update(changes)
    return load(d)


def test_samples_list():
    s = load_without_sample(samples=[{"x": [1, 0], "y": [1]}, {"x": [0, 1], "y": 0}], batch="sum")
    assert [smp.y for smp in s.samples] == [(1,), (0,)]
    assert s.batch == "sum"


def test_sample_position_in_message():
    with pytest.raises(SpecError) as e:
        load_without_sample(samples=[{"x": [1, 0], "y": [1]}, {"x": [0, "?"], "y": 0}])
    assert str(e.value) == "x.yaml: samples[1].x[1]: expected a number, got '?'"


# --------------------------------------------------------------------------- defaults


def test_defaults():
    s = load()
    assert (s.steps, s.decimals, s.carry, s.batch) == (1, 3, "exact", "mean")
    assert s.title == "Backpropagation walkthrough" and s.story == ""
    assert s.published == {} and s.source == "x.yaml"
    assert all(layer.bias == "none" for layer in s.layers) and s.biases == {} and s.bias_names == {}
    assert s.outputs == ["o1"]


def test_empty_sections_mean_defaults():
    text = yaml.safe_dump(BASE, sort_keys=False) + "rounding:\nsteps: 3\n"
    s = load_spec_text(text, "x.yaml")
    assert (s.steps, s.decimals, s.carry) == (3, 3, "exact")


def test_rounding_and_steps_given():
    s = load(rounding={"decimals": 0, "carry": "rounded"}, steps=7)
    assert (s.decimals, s.carry, s.steps) == (0, "rounded", 7)


def test_leaky_relu_alpha():
    layers = [
        {"name": "h", "size": 2, "activation": "leaky-relu", "alpha": 0.2},
        {"name": "o", "size": 1, "activation": "identity"},
    ]
    s = load(network=net(layers=layers))
    assert s.layers[0].alpha == R(1, 5) and s.layers[1].alpha == R(1, 100)


# --------------------------------------------------------------------------- YAML itself


def test_duplicate_key_is_an_error():
    text = yaml.safe_dump(BASE, sort_keys=False) + "learning_rate: 0.1\n"
    with pytest.raises(SpecError, match="duplicate key 'learning_rate'"):
        load_spec_text(text, "x.yaml")


def test_merge_keys_still_work():
    text = """
layer: &sig {size: 2, activation: sigmoid}
"""
    with pytest.raises(SpecError, match="layer: unknown key"):  # parsed fine, then validated
        load_spec_text(text + yaml.safe_dump(BASE, sort_keys=False), "x.yaml")
    body = yaml.safe_dump(BASE, sort_keys=False).replace(
        "- name: h\n    size: 2\n    activation: sigmoid", "- <<: {size: 2, activation: sigmoid}\n    name: h"
    )
    assert "<<" in body
    assert load_spec_text(body, "x.yaml").layers[0].size == 2


def test_python_tags_are_not_run(tmp_path):
    marker = tmp_path / "ran"
    text = f'learning_rate: !!python/object/apply:os.system ["touch {marker}"]\n'
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec_text(text, "x.yaml")
    assert not marker.exists()


def test_error_fields():
    with pytest.raises(SpecError) as e:
        load(learning_rate=0)
    assert (e.value.source, e.value.where) == ("x.yaml", "learning_rate")
    assert isinstance(e.value, ValueError)


def test_long_values_are_cut_short_in_messages():
    msg = error(learning_rate="x" * 10000)
    assert len(msg) < 200 and "..." in msg


# --------------------------------------------------------------------------- property tests

PLAUSIBLE_KEYS = [
    "network",
    "inputs",
    "layers",
    "name",
    "size",
    "activation",
    "bias",
    "alpha",
    "loss",
    "parameters",
    "weights",
    "biases",
    "h",
    "o",
    "sample",
    "samples",
    "x",
    "y",
    "learning_rate",
    "steps",
    "rounding",
    "decimals",
    "carry",
    "published",
    "values",
    "weight_names",
    "bias_names",
    "train_bias",
    "train_biases",
    "title",
    "story",
    "batch",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(
        [
            "sigmoid",
            "softmax",
            "neuron",
            "shared",
            "bce",
            "3/8",
            "1e-3",
            "input-major",
            "h1",
            "w1",
            "",
            "net_h1",
            "\\input{x}",
        ]
    ),
)
structures = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(PLAUSIBLE_KEYS), st.integers(0, 3)), inner, max_size=5),
    ),
    max_leaves=25,
)


def check(text: str):
    try:
        spec = load_spec_text(text, "fuzz.yaml")
    except SpecError as e:
        msg = str(e)
        assert msg.startswith("fuzz.yaml: ")
        assert "\n" not in msg and "\r" not in msg
        return None
    assert isinstance(spec, Spec)
    return spec


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_random_text(text):
    check(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structures)
def test_random_structures(data):
    check(yaml.safe_dump(data))


def paths(d, prefix=()):
    """Every position in a nested dict/list structure."""
    yield prefix
    if isinstance(d, dict):
        for k, v in d.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            yield from paths(v, prefix + (i,))


VALID = copy.deepcopy(BASE)
VALID["network"]["layers"][0]["bias"] = "neuron"
VALID["parameters"]["biases"] = {"h": [0.1, 0.2]}
VALID["rounding"] = {"decimals": 2, "carry": "rounded"}
VALID["published"] = {"values": {"net_h1": 0.1}}
ALL_PATHS = list(paths(VALID))[1:]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ALL_PATHS), structures, st.booleans())
def test_one_field_changed(path, value, delete):
    """A valid spec with one field replaced (or removed): a Spec or a one-line SpecError."""
    d = copy.deepcopy(VALID)
    parent = d
    for k in path[:-1]:
        parent = parent[k]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    spec = check(yaml.safe_dump(d))
    if spec is not None and not delete:
        assert spec.loss in ("half-sse", "sse", "mse", "half-mse", "cross-entropy", "bce")


def test_valid_base_really_is_valid():
    spec = check(yaml.safe_dump(VALID))
    assert spec is not None and spec.biases["h"] == [R(1, 10), R(1, 5)]
