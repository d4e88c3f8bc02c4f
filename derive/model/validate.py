"""Checking a spec's parsed YAML, field by field, against the declaration in
:mod:`derive.model.fields`.

The declaration gives each mapping's keys, the required ones, the defaults (an absent or
empty ``key:`` entry means the default) and the checks of single values; the methods here
add the checks between fields (a weight matrix has one row per node of its layer). Any
problem is a :class:`~derive.model.load.SpecError` whose message is one line naming the file, the field and
what is wrong. The result is plain data, the fields of a :class:`~derive.model.spec.Spec`
(layers and samples as dicts), which :mod:`derive.model.spec` assembles; numbers are exact
rationals, and ``published``, ``vary`` and ``written`` keep them as
:class:`~derive.model.numbers.Number` (how they were written).

>>> from derive.model.load import read_yaml
>>> fields = validate(read_yaml('''
... network: {inputs: 1, layers: [{name: o, size: 1, activation: sigmoid}]}
... loss: half-sse
... parameters: {weights: {o: [[0.50]]}}
... sample: {x: [1], y: [1]}
... learning_rate: 0.1
... '''), "tiny.yaml")
>>> fields["weights"], fields["written"]["w1"].text
({'o': [[1/2]]}, '0.50')
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from derive.model.checks import FieldChecker, comma_hint, count, kind, whole
from derive.model.fields import (
    GRID,
    LAYER,
    NETWORK,
    PARAMETERS,
    PUBLISHED,
    ROUNDING,
    SAMPLE,
    SHEET,
    STORY,
    TOP,
    VARY,
    ListOf,
    Section,
)
from derive.model.limits import count_parameters, size_problem
from derive.model.names import NO_LOSS, WEIGHT_NAMING, natural_key, sample_suffix
from derive.model.numbers import Number
from derive.model.options import check_options

__all__ = ["validate"]


def validate(data, source: str) -> dict:
    """The fields of a Spec from parsed YAML (``source`` names the file in messages)."""
    return _Validator(source).spec(data)


class _Validator(FieldChecker):
    """Walks the parsed YAML of a spec; each method checks one field and names it on failure."""

    # ---- the whole spec
    def spec(self, d) -> dict:
        d = self.section(d, "", TOP, one_of=False)
        out: dict[str, Any] = {"source": self.source}  # the Spec's fields, by name
        self.network(self.section(d["network"], "network", NETWORK), d, out)
        self.check_size(d, out)
        params = self.section(d["parameters"], "parameters", PARAMETERS)
        out["weights"] = self.weights(params["weights"], out)
        out["biases"] = self.biases(self.field(params, "biases", PARAMETERS, "parameters"), out)
        self.one_of(d, "", TOP)  # sample: or samples:
        if "sample" in d:
            raw, where = [d["sample"]], ["sample"]
        else:
            raw = d["samples"]
            if not isinstance(raw, list) or not raw:
                self.fail("samples", "expected a non-empty list of {x: ..., y: ...}")
            limit = _most(TOP, "samples")
            if len(raw) > limit:
                self.fail("samples", f"at most {limit} samples in a walkthrough, got {len(raw)}")
            where = [f"samples[{i}]" for i in range(len(raw))]
        out["samples"] = [self.sample(s, w, out) for s, w in zip(raw, where, strict=True)]
        self.settings(d, out)
        check_options(self, d, out)
        self.check_unique_names(out)
        self.published(self.field(d, "published", TOP), out)
        out["vary"] = self.vary(self.field(d, "vary", TOP))
        sheet = self.field(d, "sheet", TOP)
        out["sheet"] = {k: self.field(sheet, k, SHEET, "sheet") for k in SHEET.fields}
        return self.story(_settle(out))

    def network(self, net: dict, d: dict, out: dict):
        out["inputs"] = self.inputs(net["inputs"])
        train_biases = self.field(net, "train_biases", NETWORK, "network")
        out["layers"] = self.layers(net["layers"], train_biases)
        out["loss"] = self.field(d, "loss", TOP)
        self.check_loss(out["loss"], out["layers"])
        out["sizes"] = [len(out["inputs"])] + [layer["size"] for layer in out["layers"]]
        out["weight_names"] = self.weight_names(self.field(net, "weight_names", NETWORK), out)
        out["bias_names"] = self.bias_names(net.get("bias_names"), out["layers"])

    def check_size(self, d: dict, out: dict):
        """The network, its batch and ``steps: N`` within the limits, from the layer sizes,
        the sample count and the steps alone: before a weight is read or a step built."""
        n = count_parameters(out["sizes"], [layer["bias"] for layer in out["layers"]])
        raw = d.get("samples")
        samples = len(raw) if "sample" not in d and isinstance(raw, list) else 1
        bad = size_problem(n, samples, self.field(d, "steps", TOP))
        if bad:
            self.fail(*bad)

    def settings(self, d: dict, out: dict):
        self.field(d, "kind", TOP)  # network, or absent (an expression spec never gets here)
        out["eta"] = self.field(d, "learning_rate", TOP)
        out["learning_rate"] = out["eta"] and out["eta"].value
        out["steps"] = self.field(d, "steps", TOP)
        rounding = self.field(d, "rounding", TOP)
        out["decimals"] = self.field(rounding, "decimals", ROUNDING, "rounding")
        out["carry"] = self.field(rounding, "carry", ROUNDING, "rounding")
        out["batch"] = self.field(d, "batch", TOP)
        out["title"] = self.field(d, "title", TOP) or TOP["title"].default
        out["story"] = self.field(d, "story", TOP)

    def story(self, out: dict) -> dict:
        """Every ``{name}`` of the story names a given number (the names of ``written``)."""
        known = sorted(out["written"], key=natural_key)
        for part, name in STORY.parts(out["story"]):
            if part == "name" and name not in known:
                shown = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
                self.fail("story", f"unknown placeholder {{{name}}} (known: {shown}; write {{{{ and }}}} for braces)")
        return out

    def inputs(self, v) -> list[str]:
        if whole(v) is not None:
            n = self.integer(v, "network.inputs", 1, 1024)
            return [f"i{k + 1}" for k in range(n)]
        if not isinstance(v, list) or not v:
            self.fail("network.inputs", "expected a count or a list of input names")
        if len(v) > 1024:
            self.fail("network.inputs", f"at most 1024 inputs, got {len(v)}")
        return [self.name(x, f"network.inputs[{k}]") for k, x in enumerate(v)]

    def layers(self, v, train_biases: bool) -> list[dict]:
        if not isinstance(v, list) or not v:
            self.fail("network.layers", "expected a non-empty list of layers")
        limit = _most(NETWORK, "layers")
        if len(v) > limit:
            self.fail("network.layers", f"at most {limit} layers, got {len(v)}")
        out = [self.layer(raw, f"network.layers[{i}]", i == len(v) - 1, train_biases) for i, raw in enumerate(v)]
        names = [layer["name"] for layer in out]
        for i, n in enumerate(names):
            if n in names[:i]:
                self.fail(f"network.layers[{i}].name", f"layer name {n!r} is used twice")
        return out

    def layer(self, raw, w: str, last: bool, train_biases: bool) -> dict:
        raw = self.section(raw, w, LAYER)
        name = self.field(raw, "name", LAYER, w)
        size = self.field(raw, "size", LAYER, w)
        act = self.field(raw, "activation", LAYER, w)
        if act == "softmax" and not last:
            self.fail(f"{w}.activation", "softmax is allowed on the output layer only")
        if act == "softmax" and size < 2:
            self.fail(f"{w}.size", "a softmax layer needs at least 2 nodes")
        bias = self.field(raw, "bias", LAYER, w)
        if "alpha" in raw and act != "leaky-relu":
            self.fail(f"{w}.alpha", "only a leaky-relu layer takes alpha")
        alpha = self.field(raw, "alpha", LAYER, w)
        train = self.field(raw, "train_bias", LAYER, w)
        return {
            "name": name,
            "size": size,
            "activation": act,
            "bias": bias,
            "alpha": alpha.value if isinstance(alpha, Number) else alpha,
            "train_bias": train_biases if train is None else train,
        }

    def check_loss(self, loss: str, layers: list[dict]):
        last = layers[-1]["activation"]
        if loss == "cross-entropy" and last != "softmax":
            self.fail(
                "loss", f"cross-entropy needs a softmax output layer, got {last} (use bce for one sigmoid output)"
            )
        if loss == "bce" and last != "sigmoid":
            self.fail("loss", f"bce needs a sigmoid output layer, got {last}")

    def weight_names(self, v, out: dict) -> dict[str, list[list[str]]]:
        where, layers = "network.weight_names", out["layers"]
        fan_in = out["sizes"][:-1]  # the nodes feeding each layer
        names: dict[str, list[list[str]]] = {}
        if isinstance(v, dict):
            self.keys(v, where, required=[layer["name"] for layer in layers])
            for layer, n_in in zip(layers, fan_in, strict=True):
                rows, w, size = v[layer["name"]], f"{where}.{layer['name']}", layer["size"]
                if not (
                    isinstance(rows, list)
                    and len(rows) == size
                    and all(isinstance(r, list) and len(r) == n_in for r in rows)
                ):
                    self.fail(w, f"expected {count(size, 'row')} of {count(n_in, 'name')}, one row per node")
                names[layer["name"]] = [
                    [self.name(x, f"{w}[{j}][{k}]") for k, x in enumerate(r)] for j, r in enumerate(rows)
                ]
            return names
        style = self.choice(v, where, WEIGHT_NAMING)
        offset = 0
        for li, (layer, n_in) in enumerate(zip(layers, fan_in, strict=True)):
            n_out = layer["size"]
            if style == "input-major":  # w1 = i1->h1, w2 = i1->h2, w3 = i2->h1 (the essay's numbering)
                rows = [[f"w{offset + k * n_out + j + 1}" for k in range(n_in)] for j in range(n_out)]
            elif style == "neuron-major":  # all weights into h1 first, then into h2
                rows = [[f"w{offset + j * n_in + k + 1}" for k in range(n_in)] for j in range(n_out)]
            else:  # w^{(l)}_{jk}
                rows = [[f"w{li + 1}_{j + 1}_{k + 1}" for k in range(n_in)] for j in range(n_out)]
            names[layer["name"]] = rows
            offset += n_in * n_out
        return names

    def bias_names(self, v, layers: list[dict]) -> dict[str, str | list[str]]:
        where = "network.bias_names"
        given = {} if v is None else self.keys(v, where, optional=[layer["name"] for layer in layers])
        names: dict[str, str | list[str]] = {}
        for layer in layers:
            name, bias, w = layer["name"], layer["bias"], f"{where}.{layer['name']}"
            nodes = [f"{name}{j + 1}" for j in range(layer["size"])]
            if name in given and bias == "none":
                self.fail(w, f"layer {name} has bias: none")
            if bias == "neuron":
                if name in given:
                    raw = given[name]
                    if not isinstance(raw, list) or len(raw) != layer["size"]:
                        self.fail(w, f"expected a list of {count(layer['size'], 'name')}")
                    names[name] = [self.name(x, f"{w}[{j}]") for j, x in enumerate(raw)]
                else:
                    names[name] = [f"b_{n}" for n in nodes]
            elif bias == "shared":
                names[name] = self.name(given[name], w) if name in given else f"b_{name}"
        return names

    def weights(self, v, out: dict) -> dict[str, list[list[Number]]]:
        where, layers = "parameters.weights", out["layers"]
        self.keys(v, where, required=[layer["name"] for layer in layers])
        result: dict[str, list[list[Number]]] = {}
        fan_in = out["sizes"][:-1]  # the nodes feeding each layer
        for layer, n_in in zip(layers, fan_in, strict=True):
            name, size = layer["name"], layer["size"]
            w, rows = f"{where}.{name}", v[name]
            expected = f"{count(size, 'row')} of {count(n_in, 'number')}"
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                got = "a list of numbers" if isinstance(rows, list) else kind(rows)
                self.fail(w, f"expected {expected} (one row per node of {name}), got {got}")
            if not (len(rows) == size and all(len(r) == n_in for r in rows)):
                lens = sorted({len(r) for r in rows})
                got = count(len(rows), "row") + (f" of {'/'.join(map(str, lens))}" if lens else "")
                self.fail(w, f"expected {expected}, got {got}{comma_hint(rows)}")
            result[name] = [[self.number(x, f"{w}[{j}][{k}]") for k, x in enumerate(r)] for j, r in enumerate(rows)]
        return result

    def biases(self, v, out: dict) -> dict[str, Number | list[Number]]:
        where, layers = "parameters.biases", out["layers"]
        self.keys(v, where, optional=[layer["name"] for layer in layers])
        result: dict[str, Number | list[Number]] = {}
        for layer in layers:
            name, bias, w = layer["name"], layer["bias"], f"{where}.{layer['name']}"
            if bias == "none":
                if name in v:
                    self.fail(w, f"layer {name} has bias: none; remove this entry or set its bias mode")
                continue
            if name not in v:
                self.fail(w, f"missing (layer {name} has bias: {bias})")
            if bias == "shared":
                if isinstance(v[name], list):
                    self.fail(w, "a shared bias is one number, not a list")
                result[name] = self.number(v[name], w)
            else:
                result[name] = self.vector(v[name], w, layer["size"])
        return result

    def sample(self, v, where, out: dict) -> dict:
        self.section(v, where, SAMPLE)
        last, loss = out["layers"][-1], out["loss"]
        x = self.vector(v["x"], f"{where}.x", len(out["inputs"]))
        if (loss == NO_LOSS) == ("y" in v):
            self.fail(f"{where}.y", "loss: none has no target; remove it" if "y" in v else "missing")
        if loss == NO_LOSS:
            return {"x": tuple(x), "y": (), "label": None}
        y_raw = v["y"]
        label = whole(y_raw) if loss == "cross-entropy" else None
        if label is not None:
            if not 0 <= label < last["size"]:
                self.fail(f"{where}.y", f"class index must be from 0 to {last['size'] - 1}, got {label}")
            y = [Number(sp.Integer(int(j == label)), 0, str(int(j == label))) for j in range(last["size"])]
        else:
            if not isinstance(y_raw, list):
                y_raw = [y_raw] if last["size"] == 1 else y_raw
            y = self.vector(y_raw, f"{where}.y", last["size"])
        targets = [t.value for t in y]
        if loss == "cross-entropy" and (any(t < 0 for t in targets) or sum(targets) != 1):
            self.fail(
                f"{where}.y", "cross-entropy needs a one-hot (or probability) target summing to 1, or a class index"
            )
        if loss == "bce" and any(not 0 <= t <= 1 for t in targets):
            self.fail(f"{where}.y", "bce targets must lie between 0 and 1")
        return {"x": tuple(x), "y": tuple(y), "label": label}

    def check_unique_names(self, out: dict):
        seen: dict[str, str] = {}

        def claim(name, what):
            if name in seen:
                self.fail(seen[name], f"name {name!r} is also used by {what}")
            seen[name] = what

        for k, n in enumerate(out["inputs"]):
            claim(n, f"network.inputs[{k}]")
        for i, layer in enumerate(out["layers"]):
            for j in range(layer["size"]):
                claim(f"{layer['name']}{j + 1}", f"network.layers[{i}] (node {layer['name']}{j + 1})")
        for layer in out["layers"]:
            for j, row in enumerate(out["weight_names"][layer["name"]]):
                for k, n in enumerate(row):
                    claim(n, f"network.weight_names.{layer['name']}[{j}][{k}]")
            names = out["bias_names"].get(layer["name"], [])
            for n in names if isinstance(names, list) else [names]:
                claim(n, f"network.bias_names.{layer['name']}")

    def vary(self, v: dict) -> dict:
        """How variants draw their numbers: ``weights``, ``biases``, ``x`` grids, ``max_net``, ``allow_zero``."""
        out = {}
        for key in ("weights", "biases", "x"):
            if (g := self.field(v, key, VARY, "vary")) is not None:
                out[key] = grid(self, g, f"vary.{key}")
        if v.get("max_net") is not None:
            out["max_net"] = self.field(v, "max_net", VARY, "vary").value
        if v.get("allow_zero") is not None:
            out["allow_zero"] = self.field(v, "allow_zero", VARY, "vary")
        return out

    def published(self, v: dict | None, out: dict):
        """The printed numbers (as Numbers: a printed -0.1360 states four places) and their source."""
        out["published"], out["published_source"] = {}, ""
        if v is None:
            return
        out["published_source"] = self.field(v, "source", PUBLISHED, "published")
        raw = v["values"]
        vals = self.keys(raw, "published.values", optional=list(raw) if isinstance(raw, dict) else ())
        out["published"] = {k: self.number(x, f"published.values.{k}") for k, x in vals.items()}


def grid(checker: FieldChecker, g: dict, w: str) -> tuple:
    """A checked ``{low, high, step}`` grid at ``w``: (low, high, step) Numbers (both kinds of spec)."""
    low, high, step = (checker.field(g, k, GRID, w) for k in ("low", "high", "step"))
    if high.value < low.value:
        checker.fail(f"{w}.high", f"must be at least low ({low.text}), got {high.text}")
    count = (high.value - low.value) / step.value
    if count.q != 1:
        checker.fail(f"{w}.step", "high - low must be a whole number of steps")
    if count > 100000:
        checker.fail(f"{w}.step", f"the grid has {count + 1} points; at most 100001")
    return low, high, step


def _most(decl: Section, key: str) -> int:
    """The most entries the list field ``key`` of ``decl`` allows."""
    rule = decl[key].rule
    if not isinstance(rule, ListOf) or rule.high is None:
        raise TypeError(f"{key} is not declared as a list with a most number of entries")
    return rule.high


def _settle(out: dict) -> dict:
    """The Spec's fields: the weights, biases and samples become exact values, and
    ``written`` records every given number as the spec wrote it, by the name of its symbol
    (the names the step graph gives them: eta, w1, b_h1, i1, y_o1; i1_s2 with several
    samples; a target given as a class index is not a written number)."""
    eta = out.pop("eta")
    out["written"] = written = ({} if eta is None else {"eta": eta}) | out.pop("settings_written")
    for layer in out["layers"]:
        name = layer["name"]
        for names, row in zip(out["weight_names"][name], out["weights"][name], strict=True):
            written.update(zip(names, row, strict=True))
        out["weights"][name] = [[n.value for n in row] for row in out["weights"][name]]
        if name in out["biases"]:
            b = out["biases"][name]
            names = out["bias_names"][name]
            written.update(zip(names, b, strict=True) if isinstance(b, list) else [(names, b)])
            out["biases"][name] = [n.value for n in b] if isinstance(b, list) else b.value
    multi = len(out["samples"]) > 1
    outputs = [f"{out['layers'][-1]['name']}{j + 1}" for j in range(out["layers"][-1]["size"])]
    for s, smp in enumerate(out["samples"]):
        sfx = sample_suffix(s) if multi else ""
        written.update({f"{n}{sfx}": v for n, v in zip(out["inputs"], smp["x"], strict=True)})
        if smp["label"] is None and smp["y"]:  # (loss: none has no target)
            written.update({f"y_{o}{sfx}": v for o, v in zip(outputs, smp["y"], strict=True)})
        smp["x"], smp["y"] = tuple(n.value for n in smp["x"]), tuple(n.value for n in smp["y"])
    del out["sizes"]
    return out
