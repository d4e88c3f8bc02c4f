"""Load and validate a network spec (YAML).

Every field is checked here, once; the rest of the package trusts a :class:`Spec`.
Numbers are kept as exact SymPy rationals: ``0.1`` in the file means 1/10, not the
binary float nearest to it. Any problem raises :class:`SpecError`, whose message is
one line naming the file, the field and what is wrong.

>>> spec = load_spec_text('''
... network: {inputs: 2, layers: [{name: o, size: 1, activation: sigmoid}]}
... loss: half-sse
... parameters: {weights: {o: [[0.5, -0.5]]}}
... sample: {x: [1, 0], y: [1]}
... learning_rate: 0.1
... ''', "tiny.yaml")
>>> spec.weight_names["o"]
[['w1', 'w2']]
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import sympy as sp
import yaml

from derive.errors import DeriveError, one_line
from derive.model.names import (ACTIVATIONS, BIAS_MODES, CARRY_MODES, LOSSES, MAX_NAME, NAME_RE, REDUCTIONS,
                                WEIGHT_NAMING, natural_key, reserved)

class SpecError(DeriveError, ValueError):
    """A spec problem; ``str(err)`` is the one-line message for the user."""

    def __init__(self, source: str, where: str, what: str):
        self.source, self.where, self.what = source, where, what
        msg = f"{source}: {where}: {what}" if where else f"{source}: {what}"
        super().__init__(one_line(msg))


@dataclass(frozen=True)
class Layer:
    name: str
    size: int
    activation: str
    bias: str = "none"            # none | neuron | shared
    alpha: sp.Rational = sp.Rational(1, 100)   # leaky-relu slope below zero
    train_bias: bool = True

    @property
    def nodes(self) -> list[str]:
        return [f"{self.name}{j + 1}" for j in range(self.size)]


@dataclass(frozen=True)
class Sample:
    x: tuple
    y: tuple            # always a vector, one entry per output node (class indices become one-hot)
    label: int | None = None   # the class index, when the spec gave one


@dataclass(frozen=True)
class Param:
    """One weight or bias: its name, which layer it belongs to and which of the layer's
    nodes it feeds (one node for a weight or a neuron bias, all of them for a shared bias),
    the input index ``k`` of a weight, its value, and whether it is trained."""

    name: str
    kind: str                  # weight | bias
    layer: int
    nodes: tuple[int, ...]
    k: int | None
    value: sp.Rational
    trainable: bool
    connects: str              # "i1 → h1", "bias of h1", "bias of layer h"


@dataclass
class Spec:
    source: str
    title: str
    story: str
    inputs: list[str]
    layers: list[Layer]
    loss: str
    weights: dict[str, list[list[sp.Rational]]]
    weight_names: dict[str, list[list[str]]]
    biases: dict[str, object]          # layer -> Rational (shared) or list of Rational (neuron)
    bias_names: dict[str, object]      # layer -> str (shared) or list of str (neuron)
    samples: list[Sample]
    learning_rate: sp.Rational
    steps: int = 1
    decimals: int = 3
    carry: str = "exact"
    batch: str = "mean"
    published: dict[str, sp.Rational] = field(default_factory=dict)
    published_source: str = ""
    vary: dict = field(default_factory=dict)   # worksheet variants: see _Validator.vary

    @property
    def outputs(self) -> list[str]:
        return self.layers[-1].nodes

    def iter_parameters(self) -> Iterator[Param]:
        """Every weight and bias, layer by layer: weights in their numbering order, then the
        layer's biases (one per node, or the one shared by the layer). The one walk over the
        naming and bias modes; everything that needs the parameters reads it."""
        for li, layer in enumerate(self.layers):
            prev = self.inputs if li == 0 else self.layers[li - 1].nodes
            weights = [Param(n, "weight", li, (j,), k, self.weights[layer.name][j][k], True, f"{prev[k]} → {node}")
                       for j, node in enumerate(layer.nodes) for k, n in enumerate(self.weight_names[layer.name][j])]
            yield from sorted(weights, key=lambda p: natural_key(p.name))
            frozen = "" if layer.train_bias else " (frozen)"
            if layer.bias == "neuron":
                for j, (n, node, b) in enumerate(zip(self.bias_names[layer.name], layer.nodes, self.biases[layer.name])):
                    yield Param(n, "bias", li, (j,), None, b, layer.train_bias, f"bias of {node}{frozen}")
            elif layer.bias == "shared":
                yield Param(self.bias_names[layer.name], "bias", li, tuple(range(layer.size)), None,
                            self.biases[layer.name], layer.train_bias, f"bias of layer {layer.name}{frozen}")

    def parameters(self) -> list[tuple[str, str, sp.Rational]]:
        """Every parameter as (name, what it connects, value): the table a problem starts from."""
        return [(p.name, p.connects, p.value) for p in self.iter_parameters()]

    def frozen(self) -> list[str]:
        """Names of the biases that are kept fixed (train_bias: false)."""
        return [p.name for p in self.iter_parameters() if not p.trainable]

    def trainable(self) -> list[str]:
        """Names of the trainable parameters, layer by layer, weights before biases."""
        return [p.name for p in self.iter_parameters() if p.trainable]


def _as_list(v) -> list:
    return list(v) if isinstance(v, list) else [v]


# --------------------------------------------------------------------------- loading


def load_spec(path: str | Path) -> Spec:
    """Read and validate the spec at ``path``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(str(path), "", "no such file") from None
    except IsADirectoryError:
        raise SpecError(str(path), "", "is a folder, not a spec file") from None
    except UnicodeDecodeError:
        raise SpecError(str(path), "", "not UTF-8 text") from None
    except OSError as e:
        raise SpecError(str(path), "", f"cannot read ({e.strerror})") from None
    return load_spec_text(text, path.name)


class _SafeLoader(yaml.SafeLoader):
    """``yaml.safe_load``'s loader, except that a key given twice in one mapping is an
    error (YAML forbids it; PyYAML silently keeps the last value)."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=deep)
                try:
                    if key in seen:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"found duplicate key {key!r}", key_node.start_mark)
                    seen.add(key)
                except TypeError:   # unhashable key: SafeConstructor reports it
                    pass
        return super().construct_mapping(node, deep)


def load_spec_text(text: str, source: str = "<spec>") -> Spec:
    """Validate a spec given as YAML text; ``source`` names it in messages."""
    try:
        data = yaml.load(text, Loader=_SafeLoader)   # noqa: S506 -- a SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(e, "problem", None) or "malformed"
        raise SpecError(source, "", f"not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise SpecError(source, "", "not valid YAML: nested too deeply") from None
    except (ValueError, OverflowError) as e:   # a tagged or oversized scalar, e.g. !!float abc
        raise SpecError(source, "", f"not valid YAML: {_short(str(e))}") from None
    if data is None:
        raise SpecError(source, "", "the file is empty")
    return _Validator(source).spec(data)


class _Validator:
    """Walks the parsed YAML; each method checks one field and names it on failure."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, what: str):
        raise SpecError(self.source, where, what)

    # ---- primitives
    def mapping(self, v, where, required=(), optional=()):
        if not isinstance(v, dict):
            self.fail(where or "top level", f"expected a mapping, got {_kind(v)}")
        for k in v:
            if not isinstance(k, str):
                self.fail(where or "top level", f"keys must be text, got {k!r}")
        unknown = [k for k in v if k not in required and k not in optional]
        if unknown:
            allowed = ", ".join(list(required) + list(optional))
            self.fail(_join(where, unknown[0]), f"unknown key (allowed: {allowed})")
        for k in required:
            if k not in v:
                self.fail(_join(where, k), "missing")
        return v

    def number(self, v, where) -> sp.Rational:
        if isinstance(v, bool) or v is None:
            self.fail(where, f"expected a number, got {_kind(v)}")
        if isinstance(v, int):
            return sp.Integer(v)
        if isinstance(v, float):
            if not math.isfinite(v):
                self.fail(where, f"expected a finite number, got {v}")
            # repr gives the shortest decimal that round-trips: the digits the teacher typed.
            return sp.Rational(repr(v))
        if isinstance(v, str):
            # "3/8" and "1e-3" (which YAML 1.1 reads as text, not as a number)
            s = v.strip()
            if len(s) <= 100 and re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d{1,3})?|[-+]?\d+/\d+", s):
                try:
                    return sp.Rational(Fraction(s))
                except (ValueError, ZeroDivisionError):
                    pass
            self.fail(where, f"expected a number, got {_show(v)}")
        self.fail(where, f"expected a number, got {_kind(v)}")

    def integer(self, v, where, low: int, high: int) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            self.fail(where, f"expected a whole number, got {_show(v)}")
        if not low <= v <= high:
            self.fail(where, f"expected a whole number from {low} to {high}, got {v}")
        return v

    def choice(self, v, where, options):
        if v not in options:
            self.fail(where, f"expected one of {', '.join(options)}, got {_show(v)}")
        return v

    def text(self, v, where, limit=20000) -> str:
        if v is None:
            return ""
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            v = str(v)
        if not isinstance(v, str):
            self.fail(where, f"expected text, got {_kind(v)}")
        if len(v) > limit:
            self.fail(where, f"longer than {limit} characters")
        return v

    def name(self, v, where) -> str:
        if not isinstance(v, str) or not NAME_RE.match(v):
            self.fail(where, f"{_show(v)} is not a plain name (a letter, then letters, digits or _)")
        if len(v) > MAX_NAME:
            self.fail(where, f"{_show(v)} is longer than {MAX_NAME} characters")
        why = reserved(v)
        if why:
            self.fail(where, f"{v!r} is {why}")
        return v

    def vector(self, v, where, n=None) -> list[sp.Rational]:
        if not isinstance(v, list):
            self.fail(where, f"expected a list of numbers, got {_kind(v)}")
        if n is not None and len(v) != n:
            self.fail(where, f"expected {_count(n, 'number')}, got {len(v)}")
        return [self.number(x, f"{where}[{i}]") for i, x in enumerate(v)]

    # ---- the whole spec
    def spec(self, d) -> Spec:
        d = self.mapping(
            d, "",
            required=("network", "loss", "parameters", "learning_rate"),
            optional=("title", "story", "sample", "samples", "steps", "rounding", "batch", "published", "vary"),
        )
        net = self.mapping(d["network"], "network", required=("inputs", "layers"),
                           optional=("weight_names", "bias_names", "train_biases"))
        inputs = self.inputs(net["inputs"])
        train_biases = net.get("train_biases", True)
        if not isinstance(train_biases, bool):
            self.fail("network.train_biases", f"expected true or false, got {_show(train_biases)}")
        layers = self.layers(net["layers"], train_biases)
        loss = self.choice(d["loss"], "loss", LOSSES)
        self.check_loss(loss, layers)

        sizes = [len(inputs)] + [layer.size for layer in layers]
        weight_names = self.weight_names(net.get("weight_names", "input-major"), layers, sizes)
        bias_names = self.bias_names(net.get("bias_names"), layers)
        params = self.mapping(d["parameters"], "parameters", required=("weights",), optional=("biases",))
        weights = self.weights(params["weights"], layers, sizes)
        biases = self.biases(_default(params.get("biases"), {}), layers)

        if ("sample" in d) == ("samples" in d):
            self.fail("sample", "give exactly one of sample: or samples:")
        if "sample" in d:
            samples = [self.sample(d["sample"], "sample", len(inputs), layers[-1], loss)]
        else:
            raw = d["samples"]
            if not isinstance(raw, list) or not raw:
                self.fail("samples", "expected a non-empty list of {x: ..., y: ...}")
            if len(raw) > 64:
                self.fail("samples", f"at most 64 samples in a walkthrough, got {len(raw)}")
            samples = [self.sample(s, f"samples[{i}]", len(inputs), layers[-1], loss) for i, s in enumerate(raw)]

        lr = self.number(d["learning_rate"], "learning_rate")
        if lr <= 0:
            self.fail("learning_rate", f"must be positive, got {d['learning_rate']}")
        steps = self.integer(d.get("steps", 1), "steps", 1, 100000)
        rounding = self.mapping(_default(d.get("rounding"), {}), "rounding", optional=("decimals", "carry"))
        decimals = self.integer(rounding.get("decimals", 3), "rounding.decimals", 0, 12)
        carry = self.choice(rounding.get("carry", "exact"), "rounding.carry", CARRY_MODES)
        batch = self.choice(d.get("batch", "mean"), "batch", REDUCTIONS)

        spec = Spec(
            source=self.source, title=self.text(d.get("title"), "title", 300) or "Backpropagation walkthrough",
            story=self.text(d.get("story"), "story"), inputs=inputs, layers=layers, loss=loss,
            weights=weights, weight_names=weight_names, biases=biases, bias_names=bias_names,
            samples=samples, learning_rate=lr, steps=steps, decimals=decimals, carry=carry, batch=batch,
        )
        self.check_unique_names(spec)
        if "published" in d:
            self.published(d["published"], spec)
        spec.vary = self.vary(_default(d.get("vary"), {}))
        return spec

    def inputs(self, v) -> list[str]:
        if isinstance(v, int) and not isinstance(v, bool):
            self.integer(v, "network.inputs", 1, 1024)
            return [f"i{k + 1}" for k in range(v)]
        if not isinstance(v, list) or not v:
            self.fail("network.inputs", "expected a count or a list of input names")
        return [self.name(x, f"network.inputs[{k}]") for k, x in enumerate(v)]

    def layers(self, v, train_biases: bool) -> list[Layer]:
        if not isinstance(v, list) or not v:
            self.fail("network.layers", "expected a non-empty list of layers")
        if len(v) > 8:
            self.fail("network.layers", f"at most 8 layers, got {len(v)}")
        out = []
        for i, raw in enumerate(v):
            w = f"network.layers[{i}]"
            raw = self.mapping(raw, w, required=("name", "size", "activation"),
                               optional=("bias", "alpha", "train_bias"))
            name = self.name(raw["name"], f"{w}.name")
            size = self.integer(raw["size"], f"{w}.size", 1, 1024)
            act = self.choice(raw["activation"], f"{w}.activation", ACTIVATIONS)
            if act == "softmax" and i != len(v) - 1:
                self.fail(f"{w}.activation", "softmax is allowed on the output layer only")
            if act == "softmax" and size < 2:
                self.fail(f"{w}.size", "a softmax layer needs at least 2 nodes")
            bias = self.choice(raw.get("bias", "none"), f"{w}.bias", BIAS_MODES)
            alpha = self.number(raw.get("alpha", sp.Rational(1, 100)), f"{w}.alpha") if "alpha" in raw else sp.Rational(1, 100)
            if "alpha" in raw and act != "leaky-relu":
                self.fail(f"{w}.alpha", "only a leaky-relu layer takes alpha")
            if not 0 <= alpha < 1:
                self.fail(f"{w}.alpha", f"expected 0 <= alpha < 1, got {raw['alpha']}")
            train = raw.get("train_bias", train_biases)
            if not isinstance(train, bool):
                self.fail(f"{w}.train_bias", f"expected true or false, got {_show(train)}")
            out.append(Layer(name, size, act, bias, alpha, train))
        names = [layer.name for layer in out]
        for i, n in enumerate(names):
            if n in names[:i]:
                self.fail(f"network.layers[{i}].name", f"layer name {n!r} is used twice")
        return out

    def check_loss(self, loss: str, layers: list[Layer]):
        last = layers[-1]
        if loss == "cross-entropy" and last.activation != "softmax":
            self.fail("loss", f"cross-entropy needs a softmax output layer, got {last.activation} (use bce for one sigmoid output)")
        if loss == "bce" and last.activation != "sigmoid":
            self.fail("loss", f"bce needs a sigmoid output layer, got {last.activation}")

    def weight_names(self, v, layers, sizes) -> dict[str, list[list[str]]]:
        where = "network.weight_names"
        names: dict[str, list[list[str]]] = {}
        if isinstance(v, dict):
            self.mapping(v, where, required=[layer.name for layer in layers])
            for layer, n_in in zip(layers, sizes):
                rows = v[layer.name]
                w = f"{where}.{layer.name}"
                if not (isinstance(rows, list) and len(rows) == layer.size
                        and all(isinstance(r, list) and len(r) == n_in for r in rows)):
                    self.fail(w, f"expected {_count(layer.size, 'row')} of {_count(n_in, 'name')}, one row per node")
                names[layer.name] = [[self.name(x, f"{w}[{j}][{k}]") for k, x in enumerate(r)] for j, r in enumerate(rows)]
            return names
        style = self.choice(v, where, WEIGHT_NAMING)
        offset = 0
        for li, (layer, n_in) in enumerate(zip(layers, sizes)):
            n_out = layer.size
            if style == "input-major":      # w1 = i1->h1, w2 = i1->h2, w3 = i2->h1 (the essay's numbering)
                rows = [[f"w{offset + k * n_out + j + 1}" for k in range(n_in)] for j in range(n_out)]
            elif style == "neuron-major":   # all weights into h1 first, then into h2
                rows = [[f"w{offset + j * n_in + k + 1}" for k in range(n_in)] for j in range(n_out)]
            else:                           # w^{(l)}_{jk}
                rows = [[f"w{li + 1}_{j + 1}_{k + 1}" for k in range(n_in)] for j in range(n_out)]
            names[layer.name] = rows
            offset += n_in * n_out
        return names

    def bias_names(self, v, layers) -> dict[str, object]:
        where = "network.bias_names"
        given = {}
        if v is not None:
            given = self.mapping(v, where, optional=[layer.name for layer in layers])
        names: dict[str, object] = {}
        for layer in layers:
            w = f"{where}.{layer.name}"
            if layer.name in given and layer.bias == "none":
                self.fail(w, f"layer {layer.name} has bias: none")
            if layer.bias == "neuron":
                if layer.name in given:
                    raw = given[layer.name]
                    if not isinstance(raw, list) or len(raw) != layer.size:
                        self.fail(w, f"expected a list of {_count(layer.size, 'name')}")
                    names[layer.name] = [self.name(x, f"{w}[{j}]") for j, x in enumerate(raw)]
                else:
                    names[layer.name] = [f"b_{n}" for n in layer.nodes]
            elif layer.bias == "shared":
                names[layer.name] = self.name(given[layer.name], w) if layer.name in given else f"b_{layer.name}"
        return names

    def weights(self, v, layers, sizes) -> dict[str, list[list[sp.Rational]]]:
        where = "parameters.weights"
        self.mapping(v, where, required=[layer.name for layer in layers])
        out = {}
        for layer, n_in in zip(layers, sizes):
            w = f"{where}.{layer.name}"
            rows = v[layer.name]
            expected = f"{_count(layer.size, 'row')} of {_count(n_in, 'number')}"
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                got = "a list of numbers" if isinstance(rows, list) else _kind(rows)
                self.fail(w, f"expected {expected} (one row per node of {layer.name}), got {got}")
            shape_ok = len(rows) == layer.size and all(len(r) == n_in for r in rows)
            if not shape_ok:
                lens = sorted({len(r) for r in rows})
                got = _count(len(rows), "row") + (f" of {'/'.join(map(str, lens))}" if lens else "")
                self.fail(w, f"expected {expected}, got {got}")
            out[layer.name] = [[self.number(x, f"{w}[{j}][{k}]") for k, x in enumerate(r)] for j, r in enumerate(rows)]
        return out

    def biases(self, v, layers) -> dict[str, object]:
        where = "parameters.biases"
        self.mapping(v, where, optional=[layer.name for layer in layers])
        out: dict[str, object] = {}
        for layer in layers:
            w = f"{where}.{layer.name}"
            if layer.bias == "none":
                if layer.name in v:
                    self.fail(w, f"layer {layer.name} has bias: none; remove this entry or set its bias mode")
                continue
            if layer.name not in v:
                self.fail(w, f"missing (layer {layer.name} has bias: {layer.bias})")
            if layer.bias == "shared":
                if isinstance(v[layer.name], list):
                    self.fail(w, "a shared bias is one number, not a list")
                out[layer.name] = self.number(v[layer.name], w)
            else:
                out[layer.name] = self.vector(v[layer.name], w, layer.size)
        return out

    def sample(self, v, where, n_in, last: Layer, loss: str) -> Sample:
        self.mapping(v, where, required=("x", "y"))
        x = self.vector(v["x"], f"{where}.x", n_in)
        y_raw, label = v["y"], None
        if loss == "cross-entropy" and isinstance(y_raw, int) and not isinstance(y_raw, bool):
            label = y_raw
            if not 0 <= label < last.size:
                self.fail(f"{where}.y", f"class index must be from 0 to {last.size - 1}, got {label}")
            y = [sp.Integer(int(j == label)) for j in range(last.size)]
        else:
            if not isinstance(y_raw, list):
                y_raw = [y_raw] if last.size == 1 else y_raw
            y = self.vector(y_raw, f"{where}.y", last.size)
        if loss == "cross-entropy":
            if any(t < 0 for t in y) or sum(y) != 1:
                self.fail(f"{where}.y", "cross-entropy needs a one-hot (or probability) target summing to 1, or a class index")
        if loss == "bce" and any(not 0 <= t <= 1 for t in y):
            self.fail(f"{where}.y", "bce targets must lie between 0 and 1")
        return Sample(tuple(x), tuple(y), label)

    def check_unique_names(self, spec: Spec):
        seen: dict[str, str] = {}

        def claim(name, what):
            if name in seen:
                self.fail(seen[name], f"name {name!r} is also used by {what}")
            seen[name] = what

        for k, n in enumerate(spec.inputs):
            claim(n, f"network.inputs[{k}]")
        for i, layer in enumerate(spec.layers):
            for node in layer.nodes:
                claim(node, f"network.layers[{i}] (node {node})")
        for layer in spec.layers:
            for j, row in enumerate(spec.weight_names[layer.name]):
                for k, n in enumerate(row):
                    claim(n, f"network.weight_names.{layer.name}[{j}][{k}]")
            if layer.name in spec.bias_names:
                for n in _as_list(spec.bias_names[layer.name]):
                    claim(n, f"network.bias_names.{layer.name}")
        for n in [f"y_{o}" for o in spec.outputs]:
            claim(n, "the targets")

    def vary(self, v) -> dict:
        """How worksheet variants draw their numbers: ``weights``, ``biases`` and ``x`` each
        ``{low, high, step}`` (a grid), ``max_net`` (largest |net| allowed, default 3)."""
        v = self.mapping(v, "vary", optional=("weights", "biases", "x", "max_net"))
        out = {}
        for key in ("weights", "biases", "x"):
            if key in v:
                w = f"vary.{key}"
                g = self.mapping(v[key], w, required=("low", "high", "step"))
                low, high, step = (self.number(g[k], f"{w}.{k}") for k in ("low", "high", "step"))
                if step <= 0:
                    self.fail(f"{w}.step", f"must be positive, got {_show(g['step'])}")
                if high < low:
                    self.fail(f"{w}.high", f"must be at least low ({_show(g['low'])}), got {_show(g['high'])}")
                count = (high - low) / step
                if count.q != 1:
                    self.fail(f"{w}.step", "high - low must be a whole number of steps")
                if count > 100000:
                    self.fail(f"{w}.step", f"the grid has {count + 1} points; at most 100001")
                out[key] = (low, high, step)
        if "max_net" in v:
            m = self.number(v["max_net"], "vary.max_net")
            if m <= 0:
                self.fail("vary.max_net", f"must be positive, got {_show(v['max_net'])}")
            out["max_net"] = m
        return out

    def published(self, v, spec: Spec):
        v = self.mapping(v, "published", required=("values",), optional=("source",))
        spec.published_source = self.text(v.get("source"), "published.source", 500)
        raw = v["values"]
        vals = self.mapping(raw, "published.values", optional=list(raw) if isinstance(raw, dict) else ())
        spec.published = {k: self.number(x, f"published.values.{k}") for k, x in vals.items()}


def _join(where: str, key) -> str:
    return f"{where}.{key}" if where else str(key)


def _default(v, empty):
    """An absent or empty (``key:``) entry means the default; anything else is checked."""
    return empty if v is None else v


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _short(s: str, limit: int = 80) -> str:
    return s if len(s) <= limit else s[:limit - 3] + "..."


def _show(v) -> str:
    """A user value for a message: its repr for text and numbers, cut short; else its kind."""
    if isinstance(v, (str, int, float)) and not isinstance(v, bool):
        return _short(repr(v))
    return _kind(v)


def _kind(v) -> str:
    if v is None:
        return "nothing"
    return {bool: "true/false", int: "a whole number", float: "a number", str: "text",
            list: "a list", dict: "a mapping"}.get(type(v), type(v).__name__)
