"""Hand-friendly variants of an expression spec: new inputs on a grid, each one verified.

The rules are the network variants' (:mod:`derive.teach.variants`) where they apply: the
graph is derived once and evaluated again at every draw (:func:`rebind_expression`); a
draw is kept only when every line is inside its domain and off its kinks there (log of a
positive number, no division by zero, ReLU not at exactly 0), no drawn input is 0 (unless
``vary: {allow_zero: true}``), no gradient ``dfd_`` rounds to 0 at the sheet's places (a
free question), it differs from every other variant, it verifies three ways, and its
difficulty (how many of the inputs and the steps' values are negative) lies within
±:data:`~derive.teach.variants.BAND` of the median of
:data:`~derive.teach.variants.CALIBRATION` fair draws of the seed. Inputs are drawn from
``vary: {values: {low, high, step}}``, whole numbers from -5 to 5 when the spec does not
say, as a first example is worked by hand. Variant ids are the networks'.

>>> from derive.model.expression import load_expression
>>> vs, rejected = make_expression_variants(load_expression("worked/expression.yaml"), "expression", 7, 2)
>>> [v.id for v in vs], all(v.report.ok for v in vs)
(['expression-d2-s7-v01', 'expression-d2-s7-v02'], True)
>>> all(n.places == 0 for v in vs for n in v.spec.written.values())
True
"""

from __future__ import annotations

import random
from collections import Counter

from derive.graph.expression import derive_expression, rebind_expression, with_values
from derive.graph.steps import StepGraph
from derive.model.expression import ExpressionSpec
from derive.model.load import SpecError
from derive.model.numbers import read_number, round_half_up
from derive.teach.variants import MAX_DRAWS, Variant, VariantError, band_of, grid_point, grid_size, variant_id
from derive.verify.expression import verify_expression

#: The rules when the spec's ``vary:`` does not say: whole inputs from -5 to 5; none 0.
DEFAULTS = {"values": "-5 to 5 in steps of 1", "allow_zero": False}
#: What :func:`difficulty` counts, in words (the manifest records it).
MEASURE = "negative numbers among the drawn inputs and the values of the steps"
DOMAIN = "a line outside its domain or on a kink"


def draw_rules(spec: ExpressionSpec) -> dict:
    """The rules variants of ``spec`` are drawn by: :data:`DEFAULTS` and the spec's ``vary:``."""
    own = {"values": tuple(read_number(t) for t in ("-5", "5", "1")), "allow_zero": False}
    return {**own, **spec.vary}


def difficulty(spec: ExpressionSpec, graph: StepGraph) -> int:
    """How many of the inputs and the steps' values are negative (:data:`MEASURE`)."""
    return sum(1 for v in spec.values.values() if v < 0) + sum(1 for st in graph if float(st.value) < 0)


def _draw(spec: ExpressionSpec, rng: random.Random, rules: dict) -> ExpressionSpec:
    """New inputs, in the order of ``values``, each with the places of its grid."""
    rule = rules["values"]
    return with_values(spec, {name: grid_point(rule, rng.randint(0, grid_size(rule))) for name in spec.values})


def _graph_reason(spec: ExpressionSpec, graph: StepGraph) -> str | None:
    """A gradient that rounds to 0 at the sheet's places: a free question."""
    d = spec.decimals
    for st in graph:
        if st.kind == "dfd" and abs(float(st.exact)) < 10.0**-d and round_half_up(st.exact, d) == 0:
            return "a gradient rounds to zero"
    return None


def _judge(cand: ExpressionSpec, base: StepGraph, rules: dict, seen: set) -> tuple[str | None, StepGraph | None]:
    """Why ``cand`` is refused (None: it is not), and its step graph when it was made."""
    drawn = tuple(cand.values.values())
    if drawn in seen:
        return "the same numbers as another variant", None
    if not rules["allow_zero"] and 0 in drawn:
        return "a zero input", None
    try:
        graph = rebind_expression(base, cand)
    except SpecError:
        return DOMAIN, None
    return _graph_reason(cand, graph), graph


def difficulty_band(spec: ExpressionSpec, base: StepGraph, seed: int, rules: dict) -> tuple[int, int] | None:
    """The band the variants of ``seed`` are drawn in (:func:`derive.teach.variants.band_of`)."""

    def fair_level(rng: random.Random) -> int | None:
        cand = _draw(spec, rng, rules)
        reason, graph = _judge(cand, base, rules, set())
        return difficulty(cand, graph) if reason is None and graph is not None else None

    return band_of(seed, fair_level)


def _variant(spec, base, rules, seed, band, seen: set, rejected: Counter, vid: str, index: int) -> Variant:
    """Variant ``index``: the first acceptable draw of its own random stream."""
    rng = random.Random(f"derive-worksheet:{seed}:{index}")
    for _ in range(MAX_DRAWS):
        cand = _draw(spec, rng, rules)
        reason, graph = _judge(cand, base, rules, seen)
        if reason is None and graph is not None:
            level = difficulty(cand, graph)
            if band is not None and not band[0] <= level <= band[1]:
                reason = "difficulty outside the band"
            elif (report := verify_expression(graph, strict=False)).ok:
                seen.add(tuple(cand.values.values()))
                return Variant(vid, index, cand, graph, report, level, band)  # type: ignore[arg-type]
            else:
                reason = "failed verification"
        rejected[reason] += 1
    common = ", ".join(f"{r} ({n})" for r, n in rejected.most_common(2))
    raise VariantError(
        f"vary: no acceptable variant {index} in {MAX_DRAWS} draws (most common rejections: {common}); "
        "widen vary.values or set allow_zero"
    )


def make_expression_variants(
    spec: ExpressionSpec,
    stem: str,
    seed: int,
    count: int,
    upto: int | None = None,
    base: StepGraph | None = None,
    start: list[Variant] | None = None,
) -> tuple[list[Variant], Counter]:
    """Variants 1..count (or up to index ``upto``), as :func:`derive.teach.variants.make_variants`
    makes a network's; index 0, the spec's own numbers, when ``count`` is 0."""
    base = base or derive_expression(spec)
    rules = draw_rules(spec)
    rejected: Counter = Counter()
    if count == 0:
        report = verify_expression(base)
        own = Variant(variant_id(stem, seed, 0), 0, spec, base, report, difficulty(spec, base))  # type: ignore[arg-type]
        return [own], rejected
    out = list(start or [])
    band = out[0].band if out else difficulty_band(spec, base, seed, rules)
    seen = {tuple(spec.values.values())} | {tuple(v.spec.values.values()) for v in out}  # type: ignore[attr-defined]
    last = count if upto is None else upto
    for i in range(len(out) + 1, last + 1):
        out.append(_variant(spec, base, rules, seed, band, seen, rejected, variant_id(stem, seed, i), i))
    return out, rejected
