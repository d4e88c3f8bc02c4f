"""A worksheet's manifest (``worksheet.json``): all that is needed to mark the sheets that
were handed out, whatever later happens to the spec file or to how variants are drawn.

It holds the spec's text, the questions (number, step id, wording, points), the version and
rules of the draw (:func:`draw_record`) and, for every variant, its numbers written exactly
(``0.3``, or ``1/3``), its difficulty and its key. Marking from it
(:func:`read_manifest`) rebuilds each variant's step graph from those numbers and checks
that it gives the recorded key, so renaming the spec, editing it, or a new way of drawing
variants never changes the marks of sheets already handed out.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import sympy as sp

from derive.errors import UsageError
from derive.graph.expression import rebind_expression, with_values
from derive.graph.magnitude import json_number
from derive.graph.steps import StepGraph
from derive.model.expression import load_any_text
from derive.model.numbers import Number, NumberError, read_number
from derive.model.spec import SpecError
from derive.teach.expression_variants import MEASURE as EXPRESSION_MEASURE
from derive.teach.expression_variants import draw_rules as expression_rules
from derive.teach.variants import BAND, CALIBRATION, DRAW_VERSION, MAX_DRAWS, MEASURE, draw_rules, rebind, with_numbers
from derive.teach.worksheet import Worksheet, derive_any

#: The manifest's format; a manifest of another format is refused by name.
FORMAT = 2
#: How far a recorded key may be from the value its numbers give (float rounding only).
KEY_RTOL = 1e-9


def exact_text(value: sp.Rational) -> str:
    """A rational written exactly: a terminating decimal (``-0.25``) or a fraction (``1/3``).

    >>> exact_text(sp.Rational(-1, 4)), exact_text(sp.Rational(1, 3)), exact_text(sp.Integer(2))
    ('-0.25', '1/3', '2')
    """
    q = int(value.q)
    places = 0
    while q % 10 == 0 or q % 2 == 0 or q % 5 == 0:
        if q == 1:
            break
        places += 1
        q = int((value * 10**places).q)
    if q != 1:
        return f"{value.p}/{value.q}"
    return Number.of(value, places).text


def _expression(spec) -> bool:
    return spec.kind == "expression"


def draw_record(ws: Worksheet) -> dict:
    """The version and the rules of the draw that made the variants: the grids (as
    written), max_net, allow_zero and the difficulty band (None for the spec's own numbers,
    which are not drawn). An expression's: its one grid of values, and allow_zero."""
    expression = _expression(ws.spec)
    rules = expression_rules(ws.spec) if expression else draw_rules(ws.spec)  # type: ignore[arg-type]
    keys = ("values",) if expression else ("weights", "biases", "x")
    grids: dict = {k: dict(zip(("low", "high", "step"), (n.text for n in rules[k]), strict=True)) for k in keys}
    if not expression:
        grids["max_net"] = exact_text(rules["max_net"])
    band = ws.variants[0].band
    return {
        "version": DRAW_VERSION,
        "rules": {
            **grids,
            "allow_zero": rules["allow_zero"],
            "max_draws": MAX_DRAWS,
            "difficulty": {
                "measure": EXPRESSION_MEASURE if expression else MEASURE,
                "band": list(band) if band else None,
                "rule": f"every drawn variant within ±{BAND} of the median measure of {CALIBRATION} fair draws",
            },
        },
    }


def manifest_data(ws: Worksheet, options: dict) -> dict:
    """The manifest of a worksheet run, as JSON-ready data."""
    first = ws.variants[0]
    return {
        "format": FORMAT,
        "spec": ws.stem,
        "spec_text": ws.spec.text,
        "seed": ws.seed,
        "options": {**options, "given": list(ws.given)},  # the steps given on purpose (--given)
        "blanks": ws.blanks,
        "questions": [
            {"number": q.number, "id": q.id, "text": q.text, "points": q.points} for q in ws.questions(first)
        ],
        "draw": draw_record(ws),
        "rejected_draws": {"total": sum(ws.rejected.values()), "by_reason": dict(sorted(ws.rejected.items()))},
        "variants": [
            {
                "id": v.id,
                "index": v.index,
                **_numbers(v.spec),
                "key": {s.id: json_number(s.value) for s in v.graph},
                "difficulty": v.difficulty,
                "verified": v.report.ok,
            }
            for v in ws.variants
        ],
    }


def _numbers(spec) -> dict:
    """A variant's numbers, written exactly: an expression's ``values``, or a network's
    ``parameters`` and ``samples``."""
    if _expression(spec):
        return {"values": {name: exact_text(v) for name, v in spec.values.items()}}
    return {
        "parameters": {p.name: exact_text(p.value) for p in spec.iter_parameters()},
        "samples": [{"x": [exact_text(a) for a in s.x], "y": [exact_text(a) for a in s.y]} for s in spec.samples],
    }


@dataclass
class Handout:
    """A worksheet as handed out: its spec, questions, points and every variant's graph."""

    spec: object  # Spec
    stem: str
    questions: list[str]
    points: dict[str, float]  # step id -> points
    graphs: dict[str, StepGraph]  # variant id -> its step graph
    base: StepGraph


def _fail(path: Path, field: str, what: str) -> UsageError:
    return UsageError(f"{path}: {field}: {what}")


def _number(path: Path, field: str, text) -> Number:
    if not isinstance(text, str):
        raise _fail(path, field, f"expected a number written as text, got {type(text).__name__}")
    try:
        return read_number(text)
    except NumberError as e:
        raise _fail(path, field, str(e)) from None


def read_manifest(path: Path) -> Handout:
    """The worksheet a manifest describes; a one-line UsageError for anything amiss."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
        raise UsageError(f"{path}: not a readable worksheet manifest ({getattr(e, 'strerror', None) or e})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else None
        raise _fail(path, "format", f"expected {FORMAT}, got {found!r}; make the worksheet again with this version")
    for field, kind in (("spec", str), ("spec_text", str), ("questions", list), ("variants", list)):
        if not isinstance(data.get(field), kind):
            raise _fail(path, field, f"missing or not a {kind.__name__}")
    try:
        spec = load_any_text(data["spec_text"], f"{path} (spec_text)")
        base = derive_any(spec)
    except SpecError as e:
        raise _fail(path, "spec_text", str(e)) from None
    questions, points = _questions(path, data["questions"], base)
    graphs = {}
    for i, v in enumerate(data["variants"]):
        vid, g = _variant(path, f"variants[{i}]", v, spec, base)
        graphs[vid] = g
    return Handout(spec, data["spec"], questions, points, graphs, base)


def _questions(path: Path, items: list, base: StepGraph) -> tuple[list[str], dict[str, float]]:
    questions, points = [], {}
    for i, q in enumerate(items):
        where = f"questions[{i}]"
        if not isinstance(q, dict) or q.get("id") not in base.by_id:
            raise _fail(path, where, "expected {number, id, text, points} with a step id of the spec")
        pts = q.get("points", 1)
        if isinstance(pts, bool) or not isinstance(pts, (int, float)) or not math.isfinite(pts) or pts < 0:
            raise _fail(path, f"{where}.points", f"expected a number 0 or more, got {pts!r}")
        questions.append(q["id"])
        points[q["id"]] = float(pts)
    if not questions:
        raise _fail(path, "questions", "the worksheet asks nothing")
    return questions, points


def _variant(path: Path, where: str, v, spec, base: StepGraph) -> tuple[str, StepGraph]:
    if not isinstance(v, dict) or not isinstance(v.get("id"), str):
        raise _fail(path, where, "expected a variant with an id")
    g = (
        _expression_graph(path, where, v, spec, base)
        if _expression(spec)
        else _network_graph(path, where, v, spec, base)
    )
    _same_key(path, where, v, g)
    return v["id"], g


def _expression_graph(path: Path, where: str, v: dict, spec, base: StepGraph) -> StepGraph:
    values = v.get("values")
    if not isinstance(values, dict) or sorted(values) != sorted(spec.values):
        raise _fail(path, f"{where}.values", f"expected the spec's inputs {', '.join(spec.values)}")
    numbers = {n: _number(path, f"{where}.values.{n}", values[n]) for n in spec.values}
    try:
        return rebind_expression(base, with_values(spec, numbers))
    except SpecError as e:
        raise _fail(path, f"{where}.values", str(e)) from None


def _network_graph(path: Path, where: str, v: dict, spec, base: StepGraph) -> StepGraph:
    params, samples = v.get("parameters"), v.get("samples")
    names = [p.name for p in spec.iter_parameters()]
    if not isinstance(params, dict) or sorted(params) != sorted(names):
        raise _fail(path, f"{where}.parameters", f"expected the spec's parameters {', '.join(names)}")
    if not isinstance(samples, list) or len(samples) != len(spec.samples):
        raise _fail(path, f"{where}.samples", f"expected {len(spec.samples)} samples")
    numbers = {n: _number(path, f"{where}.parameters.{n}", params[n]) for n in names}
    xs = []
    for j, (s, own) in enumerate(zip(samples, spec.samples, strict=True)):
        x = s.get("x") if isinstance(s, dict) else None
        if not isinstance(x, list) or len(x) != len(own.x):
            raise _fail(path, f"{where}.samples[{j}].x", f"expected {len(own.x)} inputs")
        xs.append([_number(path, f"{where}.samples[{j}].x[{k}]", a) for k, a in enumerate(x)])
    return rebind(base, with_numbers(spec, numbers, xs))


def _same_key(path: Path, where: str, v: dict, g: StepGraph) -> None:
    """The recorded key is what the variant's numbers give (else the manifest was edited)."""
    key = v.get("key")
    if not isinstance(key, dict):
        raise _fail(path, f"{where}.key", "missing")
    for st in g:
        recorded, value = key.get(st.id), json_number(st.value)  # (a string beyond float64)
        if isinstance(value, str) or isinstance(recorded, str):
            same = recorded == value
        else:
            same = isinstance(recorded, (int, float)) and math.isclose(recorded, value, rel_tol=KEY_RTOL, abs_tol=1e-12)
        if not same:
            raise _fail(path, f"{where}.key.{st.id}", f"{recorded!r} is not what the variant's numbers give")
