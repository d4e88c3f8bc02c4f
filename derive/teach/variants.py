"""Hand-friendly variants of a spec: new numbers on a grid, each one verified.

The step graph's formulas do not depend on the numbers, so the graph is derived once and
re-evaluated for every draw (:func:`rebind`). A draw is kept only when it is pleasant to
work by hand and fully verified; the reasons for every rejection are counted.

Variant ids read ``<stem>-s<seed>-v<index>`` (``four-s7-v03``). Index 0 is the spec's own
numbers; index i >= 1 draws from its own random stream, so any variant can be rebuilt from
its id alone (the earlier variants' numbers are redrawn, not re-rendered, to keep all
variants distinct).

>>> from derive.model.spec import load_spec
>>> vs, rejected = make_variants(load_spec("worked/four.yaml"), "four", seed=7, count=2)
>>> [v.id for v in vs]
['four-s7-v01', 'four-s7-v02']
>>> all(v.report.ok for v in vs)
True
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections import Counter
from dataclasses import dataclass

import sympy as sp

from derive.errors import DeriveError
from derive.graph.builder import derive, given_values
from derive.graph.steps import StepGraph
from derive.model.names import sample_suffix
from derive.model.numbers import Number, read_number, round_half_up
from derive.model.spec import Sample, Spec
from derive.verify.three_way import verify

#: The grids numbers are drawn from when the spec's ``vary:`` does not say: (low, high, step)
#: as written, so that a drawn number has the places of its grid (0.1 steps: one place).
DEFAULTS = {
    "weights": (read_number("-0.9"), read_number("0.9"), read_number("0.1")),
    "biases": (read_number("-0.5"), read_number("0.5"), read_number("0.1")),
    "x": (read_number("0"), read_number("1"), read_number("0.1")),
    "max_net": sp.Integer(3),
}
MAX_DRAWS = 2000  # per variant; beyond this the ranges are called impossible
ID_RE = re.compile(r"(?P<stem>.+)-s(?P<seed>\d+)-v(?P<index>\d+)\Z")


class VariantError(DeriveError, ValueError):
    """No acceptable variant within the draw budget, or a malformed variant id."""


@dataclass
class Variant:
    id: str
    index: int
    spec: Spec
    graph: StepGraph
    report: object  # verify.Report

    @property
    def values(self) -> dict[str, sp.Expr]:
        return self.graph.values()


def variant_id(stem: str, seed: int, index: int) -> str:
    return f"{stem}-s{seed}-v{index:02d}"


def parse_variant_id(vid: str) -> tuple[str, int, int]:
    m = ID_RE.match(vid)
    if not m:
        raise VariantError(f"{vid!r} is not a variant id like four-s7-v03")
    return m["stem"], int(m["seed"]), int(m["index"])


def rebind(graph: StepGraph, spec: Spec) -> StepGraph:
    """The same step graph evaluated with ``spec``'s numbers (same structure, new values)."""
    steps = [dataclasses.replace(s, value=None, exact=None) for s in graph.steps]
    return StepGraph(spec, steps, given_values(spec), graph.givens)


def grid_places(rule: tuple[Number, Number, Number]) -> int | None:
    """Decimal places of the numbers on a grid: those of its low end or of its step,
    whichever states more (None, written as fractions, when either is a fraction).

    >>> grid_places((read_number("-1"), read_number("1"), read_number("0.25")))
    2
    """
    low, _, step = rule
    if low.places is None or step.places is None:
        return None
    return max(low.places, step.places)


def _grid(rule, rng: random.Random) -> Number:
    low, high, step = rule
    k = rng.randint(0, int((high.value - low.value) / step.value))
    return Number.of(low.value + step.value * k, grid_places(rule))


def _draw(spec: Spec, rng: random.Random, rules: dict) -> Spec:
    """New weights, biases and inputs from the grids, drawn in one fixed order (weights
    layer by layer and row by row, then biases, then every sample's inputs) whatever the
    places; each drawn number keeps the places of its grid."""
    drawn: dict[str, Number] = {}
    for l in spec.layers:
        for row in spec.weight_names[l.name]:
            drawn.update((name, _grid(rules["weights"], rng)) for name in row)
    for l in spec.layers:
        bias_names = spec.bias_names.get(l.name)  # a list (neuron), a name (shared) or None (none)
        if l.bias == "neuron" and isinstance(bias_names, list):
            drawn.update((name, _grid(rules["biases"], rng)) for name in bias_names)
        elif l.bias == "shared" and isinstance(bias_names, str):
            drawn[bias_names] = _grid(rules["biases"], rng)
        elif l.bias != "none":
            raise TypeError(f"layer {l.name} has bias: {l.bias} but bias names {bias_names!r}")
    xs = [[_grid(rules["x"], rng) for _ in s.x] for s in spec.samples]
    return with_numbers(spec, drawn, xs)


def with_numbers(spec: Spec, params: dict[str, Number], xs: list[list[Number]]) -> Spec:
    """``spec`` with new weights and biases (by name) and new inputs for each sample (the
    targets stay); ``written`` records the new numbers as written."""
    written = dict(spec.written)
    written.update(params)
    weights = {l.name: [[params[n].value for n in row] for row in spec.weight_names[l.name]] for l in spec.layers}
    biases: dict[str, sp.Rational | list[sp.Rational]] = {}
    for l in spec.layers:
        names = spec.bias_names.get(l.name)
        if isinstance(names, list):
            biases[l.name] = [params[n].value for n in names]
        elif isinstance(names, str):
            biases[l.name] = params[names].value
    multi = len(spec.samples) > 1
    samples = []
    for i, (s, x) in enumerate(zip(spec.samples, xs, strict=True)):
        written.update({f"{n}{sample_suffix(i) if multi else ''}": v for n, v in zip(spec.inputs, x, strict=True)})
        samples.append(Sample(tuple(n.value for n in x), s.y, s.label))
    return dataclasses.replace(spec, weights=weights, biases=biases, samples=samples, published={}, written=written)


def _key(spec: Spec) -> tuple:
    """What makes two variants different: every number that was drawn."""
    return (
        tuple(v for l in spec.layers for row in spec.weights[l.name] for v in row),
        tuple(tuple(b) if isinstance(b, list) else (b,) for b in spec.biases.values()),
        tuple(s.x for s in spec.samples),
    )


def _reject_reason(spec: Spec, graph: StepGraph, max_net) -> str | None:
    """Why a draw is not hand-friendly, or None when it is."""
    for l in spec.layers:
        for row in spec.weights[l.name]:
            if len(set(row)) < len(row):
                return "two equal weights into one node"
    for st in graph:
        if st.kind == "net" and abs(st.exact) > max_net:
            return f"|net| > {max_net} (a saturated unit)"
    zero_inputs = {k for k in range(len(spec.inputs)) if all(s.x[k] == 0 for s in spec.samples)}
    first = spec.layers[0]
    structural = {spec.weight_names[first.name][j][k] for j in range(first.size) for k in zero_inputs}
    multi = len(spec.samples) > 1
    for st in graph:
        if st.kind == "grad" and (st.sample is None or not multi) and st.param not in structural:
            if round_half_up(st.exact, spec.decimals) == 0:
                return "a gradient rounds to zero"
    return None


def make_variants(
    spec: Spec,
    stem: str,
    seed: int,
    count: int,
    upto: int | None = None,
    base: StepGraph | None = None,
    start: list[Variant] | None = None,
) -> tuple[list[Variant], Counter]:
    """Variants 1..count (or only up to index ``upto``), each verified. Index 0 (the
    spec's own numbers) is returned when ``count`` is 0. ``start`` holds variants 1..k
    already made with this seed: they are kept and drawing resumes at k + 1, with the same
    result as drawing from 1 (each index has its own random stream; only the earlier
    variants' numbers, which ``start`` carries, decide what is a repeat)."""
    base = base or derive(spec)
    rules = {**DEFAULTS, **spec.vary}
    rejected: Counter = Counter()
    if count == 0:
        return [Variant(variant_id(stem, seed, 0), 0, spec, base, verify(base))], rejected
    out = list(start or [])
    seen = {_key(spec)} | {_key(v.spec) for v in out}
    last = count if upto is None else upto
    for index in range(len(out) + 1, last + 1):
        rng = random.Random(f"derive-worksheet:{seed}:{index}")
        for _ in range(MAX_DRAWS):
            cand = _draw(spec, rng, rules)
            key = _key(cand)
            if key in seen:
                rejected["the same numbers as another variant"] += 1
                continue
            graph = rebind(base, cand)
            reason = _reject_reason(cand, graph, rules["max_net"])
            if reason is None:
                report = verify(graph, strict=False)
                if not report.ok:
                    reason = "failed verification"
            if reason:
                rejected[reason] += 1
                continue
            seen.add(key)
            out.append(Variant(variant_id(stem, seed, index), index, cand, graph, report))
            break
        else:
            common = ", ".join(f"{r} ({n})" for r, n in rejected.most_common(2))
            raise VariantError(
                f"vary: no acceptable variant {index} in {MAX_DRAWS} draws "
                f"(most common rejections: {common}); widen the ranges or raise max_net"
            )
    return out, rejected
