"""Hand-friendly variants of a spec: new numbers on a grid, each one verified.

The step graph's formulas do not depend on the numbers, so the graph is derived once and
re-evaluated for every draw (:func:`rebind`). A draw is kept only when it is pleasant to
work by hand, fair and fully verified; the reasons for every rejection are counted.

Fair: no drawn input, weight or bias is 0 (unless the spec's ``vary:`` says ``allow_zero:
true``), no gradient rounds to 0 and no updated parameter rounds to its old value at the
sheet's places (with ``allow_zero``, except those that a zero input makes so): a blank
whose answer is 0, or a new weight equal to the old one, is a free question. And equally
hard: the :func:`difficulty` of every drawn variant of a seed lies within ±:data:`BAND` of
the median difficulty of :data:`CALIBRATION` fair draws from the seed's own stream
(:func:`difficulty_band`), so no variant, the first included, sets the band alone.
Variant 0, the spec's own numbers, stays as written.

Variant ids read ``<stem>-d<draw>-s<seed>-v<index>`` (``four-d2-s7-v03``): ``draw`` is
:data:`DRAW_VERSION`, the version of these rules. Index 0 is the spec's own numbers; index
i >= 1 draws from its own random stream, so any variant can be rebuilt from its id alone
(the earlier variants' numbers are redrawn, not re-rendered, to keep all variants
distinct). An id of another draw version (``four-s7-v03``, from before ids carried it, is
draw 1) is refused by name, never silently drawn again with other numbers: its sheets are
marked with the worksheet.json they came with.

>>> from derive.model.spec import load_spec
>>> vs, rejected = make_variants(load_spec("worked/four.yaml"), "four", seed=7, count=2)
>>> [v.id for v in vs]
['four-d2-s7-v01', 'four-d2-s7-v02']
>>> all(v.report.ok for v in vs)
True
"""

from __future__ import annotations

import dataclasses
import functools
import random
import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable

import sympy as sp

from derive.errors import DeriveError
from derive.graph.builder import derive, given_values
from derive.graph.steps import StepGraph
from derive.model.names import sample_suffix
from derive.model.numbers import Number, read_number, round_half_up
from derive.model.spec import Sample, Spec
from derive.verify.three_way import verify

#: The version of the draw (which draws are accepted): 1 allowed zeros and had no
#: difficulty band; 2 is fair (see above). Variant ids carry it.
DRAW_VERSION = 2
#: The rules when the spec's ``vary:`` does not say: the grids numbers are drawn from,
#: (low, high, step) as written, so that a drawn number has the places of its grid (0.1
#: steps: one place); the largest |net|; whether a drawn number may be 0.
DEFAULTS = {
    "weights": (read_number("-0.9"), read_number("0.9"), read_number("0.1")),
    "biases": (read_number("-0.5"), read_number("0.5"), read_number("0.1")),
    "x": (read_number("0"), read_number("1"), read_number("0.1")),
    "max_net": sp.Integer(3),
    "allow_zero": False,
}
MAX_DRAWS = 2000  # per variant; beyond this the ranges are called impossible
#: Every drawn variant's difficulty lies within ±BAND of the centre.
BAND = 1
#: How many fair draws the centre of the difficulty band is the median of.
CALIBRATION = 31
#: What :func:`difficulty` counts, in words (the manifest records it).
MEASURE = "negative numbers among the drawn weights, biases and inputs and the values of the steps"
ID_RE = re.compile(r"(?P<stem>.+)-d(?P<draw>\d+)-s(?P<seed>\d+)-v(?P<index>\d+)\Z")
DRAW1_ID_RE = re.compile(r"(?P<stem>.+)-s(?P<seed>\d+)-v(?P<index>\d+)\Z")
REFUSED = "mark those sheets with the worksheet.json they came with (derive check --worksheet)"


class VariantError(DeriveError, ValueError):
    """No acceptable variant within the draw budget, or a malformed variant id, or the id
    of another draw version."""


@dataclass
class Variant:
    id: str
    index: int
    spec: Spec
    graph: StepGraph
    report: object  # verify.Report
    difficulty: int = 0  # see difficulty()
    band: tuple[int, int] | None = None  # the difficulty band it was drawn in (None: not drawn)

    @property
    def values(self) -> dict[str, sp.Expr]:
        return self.graph.values()


def variant_id(stem: str, seed: int, index: int) -> str:
    return f"{stem}-d{DRAW_VERSION}-s{seed}-v{index:02d}"


def parse_variant_id(vid: str) -> tuple[str, int, int]:
    """(stem, seed, index) of an id of this draw version; a VariantError naming the id
    when it is of another version (``four-s7-v03`` is draw 1) or not an id at all.

    >>> parse_variant_id("four-d2-s7-v03")
    ('four', 7, 3)
    >>> parse_variant_id("four-s7-v03")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    derive.teach.variants.VariantError: variant 'four-s7-v03' was drawn by an older version of derive (draw 1, ...
    """
    m = ID_RE.match(vid)
    draw = int(m["draw"]) if m else 1 if DRAW1_ID_RE.match(vid) else None
    if draw is None:
        raise VariantError(f"{vid!r} is not a variant id like {variant_id('four', 7, 3)}")
    if draw != DRAW_VERSION:
        by = "an older" if draw < DRAW_VERSION else "a newer"
        raise VariantError(
            f"variant {vid!r} was drawn by {by} version of derive (draw {draw}, now draw {DRAW_VERSION}) "
            f"and cannot be drawn again; {REFUSED}"
        )
    assert m is not None
    return m["stem"], int(m["seed"]), int(m["index"])


def draw_rules(spec: Spec) -> dict:
    """The rules variants of ``spec`` are drawn by: :data:`DEFAULTS` and the spec's ``vary:``."""
    return {**DEFAULTS, **spec.vary}


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
    return grid_point(rule, rng.randint(0, grid_size(rule)))


# A grid's size and points are worked out once: a draw picks a few dozen, many times over.
@functools.lru_cache(maxsize=64)
def grid_size(rule) -> int:
    """How many steps a (low, high, step) grid has: its points are 0..grid_size."""
    low, high, step = rule
    return int((high.value - low.value) / step.value)


@functools.lru_cache(maxsize=4096)
def grid_point(rule, k: int) -> Number:
    """Point ``k`` of a grid, with the grid's places (:func:`grid_places`)."""
    low, _, step = rule
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


def _drawn(spec: Spec) -> tuple:
    """Every number a variant draws: the weights, the biases, every sample's inputs."""
    weights = (v for l in spec.layers for row in spec.weights[l.name] for v in row)
    biases = (v for b in spec.biases.values() for v in (b if isinstance(b, list) else [b]))
    return (*weights, *biases, *(v for s in spec.samples for v in s.x))


def difficulty(spec: Spec, graph: StepGraph) -> int:
    """How hard a variant is to work by hand: how many of the numbers a student handles are
    negative (:data:`MEASURE`; a value counts by its sign, read from its float, which
    keeps the sign). Signs are where hand arithmetic goes wrong, and they vary most
    between draws.

    >>> from derive.model.spec import load_spec
    >>> spec = load_spec("worked/four.yaml")
    >>> difficulty(spec, derive(spec))
    12
    """
    return sum(1 for v in _drawn(spec) if v < 0) + sum(1 for st in graph if float(st.value) < 0)


def _number_reason(spec: Spec, rules: dict) -> str | None:
    """Why a draw's numbers alone make it unfit, or None."""
    for l in spec.layers:
        for row in spec.weights[l.name]:
            if len(set(row)) < len(row):
                return "two equal weights into one node"
    if not rules["allow_zero"] and any(v == 0 for v in _drawn(spec)):
        return "a zero input, weight or bias"
    return None


def _graph_reason(spec: Spec, graph: StepGraph, rules: dict) -> str | None:
    """Why a draw is not hand-friendly, or None: a saturated unit, a gradient or an
    optimizer's square average that rounds to 0 at the sheet's places, or a new parameter
    that rounds to the old one (with
    ``allow_zero``, those a zero input makes so are kept)."""
    max_net = rules["max_net"]
    for st in graph:
        if st.kind == "net" and abs(st.exact) > max_net:
            return f"|net| > {max_net} (a saturated unit)"
    zero_inputs = {k for k in range(len(spec.inputs)) if all(s.x[k] == 0 for s in spec.samples)}
    first = spec.layers[0]
    structural = {spec.weight_names[first.name][j][k] for j in range(first.size) for k in zero_inputs}
    multi, d = len(spec.samples) > 1, spec.decimals
    unit = 10.0**-d  # (a float at least a unit from 0, or from the old value, cannot round to it)
    for st in graph:
        if (
            st.kind == "v" and round_half_up(st.exact, d) == 0
        ):  # (then the step is -eta mhat / eps at the sheet's places)
            return "a square average rounds to zero"
        if st.kind not in ("grad", "new") or st.param in structural or (st.sample is not None and multi):
            continue
        if st.param is None:  # an input's gradient (input_gradients) may well be small
            continue
        if st.kind == "grad" and abs(float(st.exact)) < unit and round_half_up(st.exact, d) == 0:
            return "a gradient rounds to zero"
        old = graph.numbers[st.param]
        if (
            st.kind == "new"
            and abs(float(st.exact - old)) < unit
            and round_half_up(st.exact, d) == round_half_up(old, d)
        ):
            return "an update too small to show"
    return None


def _judge(cand: Spec, base: StepGraph, rules: dict, seen: set) -> tuple[str | None, StepGraph | None]:
    """Why ``cand`` is refused (None: it is not), and its step graph when it was made."""
    if _drawn(cand) in seen:
        return "the same numbers as another variant", None
    reason = _number_reason(cand, rules)
    if reason:
        return reason, None
    graph = rebind(base, cand)
    return _graph_reason(cand, graph, rules), graph


def difficulty_band(spec: Spec, base: StepGraph, seed: int, rules: dict) -> tuple[int, int] | None:
    """The band the variants of ``seed`` are drawn in (:func:`band_of`, a network's draws)."""

    def fair_level(rng: random.Random) -> int | None:
        cand = _draw(spec, rng, rules)
        reason, graph = _judge(cand, base, rules, set())
        return difficulty(cand, graph) if reason is None and graph is not None else None

    return band_of(seed, fair_level)


def band_of(seed: int, fair_level: Callable[[random.Random], int | None]) -> tuple[int, int] | None:
    """±BAND around the median difficulty of CALIBRATION fair draws from the seed's own
    stream (``fair_level(rng)``: one draw's difficulty, None when it is not fair); None when
    none is fair (the variants then fail with the reasons counted). One rule for a network's
    draws and an expression graph's."""
    rng = random.Random(f"derive-worksheet:{seed}:band")
    levels: list[int] = []
    for _ in range(MAX_DRAWS):
        level = fair_level(rng)
        if level is not None:
            levels.append(level)
            if len(levels) == CALIBRATION:
                break
    if not levels:
        return None
    centre = sorted(levels)[len(levels) // 2]
    return centre - BAND, centre + BAND


@dataclass
class _Drawing:
    """The drawing of one seed's variants: what is drawn and by which rules, in which
    difficulty band, the numbers already used and the rejections counted so far."""

    spec: Spec
    base: StepGraph
    rules: dict
    seed: int
    band: tuple[int, int] | None
    seen: set
    rejected: Counter

    def variant(self, vid: str, index: int) -> Variant:
        """Variant ``index``: the first acceptable draw of its own random stream."""
        rng = random.Random(f"derive-worksheet:{self.seed}:{index}")
        for _ in range(MAX_DRAWS):
            cand = _draw(self.spec, rng, self.rules)
            reason, graph = _judge(cand, self.base, self.rules, self.seen)
            if reason is None and graph is not None:
                level = difficulty(cand, graph)
                if self.band is not None and not self.band[0] <= level <= self.band[1]:
                    reason = "difficulty outside the band"
                elif (report := verify(graph, strict=False)).ok:
                    self.seen.add(_drawn(cand))
                    return Variant(vid, index, cand, graph, report, level, self.band)
                else:
                    reason = "failed verification"
            self.rejected[reason] += 1
        common = ", ".join(f"{r} ({n})" for r, n in self.rejected.most_common(2))
        raise VariantError(
            f"vary: no acceptable variant {index} in {MAX_DRAWS} draws "
            f"(most common rejections: {common}); widen the ranges, raise max_net or set allow_zero"
        )


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
    variants' numbers, which ``start`` carries, decide what is a repeat, and the band is
    the one they were drawn in). An expression spec's: :mod:`derive.teach.expression_variants`."""
    base = base or derive(spec)
    rules = draw_rules(spec)
    rejected: Counter = Counter()
    if count == 0:
        own = Variant(variant_id(stem, seed, 0), 0, spec, base, verify(base), difficulty(spec, base))
        return [own], rejected
    out = list(start or [])
    band = out[0].band if out else difficulty_band(spec, base, seed, rules)
    seen = {_drawn(spec)} | {_drawn(v.spec) for v in out}
    drawing = _Drawing(spec, base, rules, seed, band, seen, rejected)
    last = count if upto is None else upto
    out += [drawing.variant(variant_id(stem, seed, i), i) for i in range(len(out) + 1, last + 1)]
    return out, rejected
