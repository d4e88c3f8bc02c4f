"""Expression specs (kind: expression): the chain rule on a computational graph.

The CS231n numbers, the step ids, the walkthrough in every format, spec errors and domain
errors as one line with exit status 2, verification that can fail, and a property test:
random graphs either verify three ways or are refused by the node that leaves its domain,
as this file's own float evaluation predicts.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from unittest.mock import ANY

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import EXPRESSION_EXAMPLES, need, need_module

from derive.cli import main
from derive.errors import VerificationError
from derive.graph.expression import derive_expression
from derive.model.expression import load_any, load_expression_text
from derive.model.load import SpecError
from derive.model.names import StepId
from derive.model.syntax import FormulaError, to_tree
from derive.present.expression import ExpressionWalkthrough
from derive.present.pdf import compile_pdf
from derive.teach.answers import parse_answer
from derive.verify import expression_oracle
from derive.verify.expression import verify_expression

ROOT = Path(__file__).resolve().parent.parent
CS231N = ROOT / "worked" / "expression.yaml"
SIGMOID = ROOT / "worked" / "expression-sigmoid.yaml"


def spec_text(values: str, define: str, output: str = "f", extra: str = "") -> str:
    return f"kind: expression\nvalues: {values}\ndefine:\n{define}\noutput: {output}\n{extra}"


# ---------------------------------------------------------------- the worked examples


def test_cs231n_numbers_come_out_exactly():
    g = ExpressionWalkthrough.from_file(CS231N).graph
    assert {i: g[i].value for i in ("val_q", "val_f", "dfd_x", "dfd_y", "dfd_z")} == {
        "val_q": 3,
        "val_f": -12,
        "dfd_x": -4,
        "dfd_y": -4,
        "dfd_z": 3,
    }
    assert g["dfd_f"].value == 1 and g["local_f__q"].value == -4  # dfd_q = dfd_f * local_f__q


def test_staged_sigmoid_matches_its_closed_form_and_sums_paths():
    """f(x, y) = (x + σ(y)) / (σ(x) + (x + y)²) at (3, -4), differentiated here by hand."""
    wt = ExpressionWalkthrough.from_file(SIGMOID)
    g = wt.graph

    def s(v):
        return 1 / (1 + math.exp(-v))

    x, y = 3.0, -4.0
    num, den = x + s(y), s(x) + (x + y) ** 2
    dfdx = (den - num * (s(x) * (1 - s(x)) + 2 * (x + y))) / den**2
    dfdy = (s(y) * (1 - s(y)) * den - num * 2 * (x + y)) / den**2
    assert float(g["val_f"].value) == pytest.approx(num / den, rel=1e-14)
    assert float(g["dfd_x"].value) == pytest.approx(dfdx, rel=1e-13)
    assert float(g["dfd_y"].value) == pytest.approx(dfdy, rel=1e-13)
    # x is read by num, sigx and xpy: its gradient sums three paths, and says so
    assert [u for u, _ in g["dfd_x"].back] == ["dfd_num", "dfd_sigx", "dfd_xpy"]
    assert str(g["local_sigy__y"].formula) == "val_sigy*(1 - val_sigy)"  # σ' = σ(1 − σ)
    md = wt.markdown()
    assert r"\frac{\partial f}{\partial x} &= \frac{\partial f}{\partial \mathrm{num}} \cdot" in md
    assert r"&= 0.5121 \cdot 1 + \left(-0.7916\right) \cdot 0.0452 + 1.5832 \cdot 1 \\" in md


def test_step_ids_never_parse_as_network_ids():
    for path in EXPRESSION_EXAMPLES:
        for sid in derive_expression(load_any(path)).ids:
            with pytest.raises(ValueError):
                StepId.parse(sid)


@pytest.mark.parametrize("path", EXPRESSION_EXAMPLES, ids=lambda p: p.stem)
def test_committed_markdown_is_current(path):
    md = path.with_suffix(".md")
    assert md.read_text(encoding="utf-8") == ExpressionWalkthrough.from_file(path).markdown(), (
        f"{md.name} is stale: python -m derive walkthrough worked/{path.name} --format md -o worked/{md.name}"
    )


@pytest.mark.parametrize("path", EXPRESSION_EXAMPLES, ids=lambda p: p.stem)
def test_json_and_pdf(path, tmp_path, capsys):
    assert main(["walkthrough", str(path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    wt = ExpressionWalkthrough.from_file(path)
    assert data["kind"] == "expression" and data["verified"] is True
    assert list(data["values"]) == wt.graph.ids
    need("pdflatex")
    pdf = compile_pdf(wt.latex())
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000


def test_verify_command_prints_the_table(capsys):
    assert main(["verify", str(SIGMOID)]) == 0
    out = capsys.readouterr().out
    assert "dfd_x" in out and "verified: all three agree" in out and "loss over" not in out


def test_real_process_renders_and_verifies(tmp_path):
    """As a user runs it (this tree: python -m derive with PYTHONPATH set by the caller)."""
    out = tmp_path / "e.tex"
    run = [sys.executable, "-m", "derive"]
    r = subprocess.run([*run, "walkthrough", str(CS231N), "--format", "tex", "-o", str(out)], capture_output=True)
    assert r.returncode == 0, r.stderr
    assert r"\frac{\partial f}{\partial x}" in out.read_text(encoding="utf-8")
    r = subprocess.run([*run, "verify", "expression"], capture_output=True, text=True)
    assert r.returncode == 0 and "dfd_z" in r.stdout and "verified: all three agree" in r.stdout


def test_literals_print_as_typed():
    text = spec_text("{x: 3}", "  a: x - 0.5\n  b: x / 4\n  c: (x + 1) / 2.5\n  f: a * b * c")
    md = ExpressionWalkthrough(load_expression_text(text, "lit.yaml")).markdown()
    assert "$$a = x - 0.5 = 3 - 0.5 = 2.5$$" in md
    assert r"$$b = \frac{x}{4} = \frac{3}{4} = 0.75$$" in md
    assert r"$$c = \frac{x + 1}{2.5} = \frac{3 + 1}{2.5} = 1.6$$" in md


def test_unused_nodes_and_inputs():
    g = derive_expression(load_expression_text(spec_text("{x: 1, y: 2}", "  u: y * 3\n  f: x * x"), "u.yaml"))
    assert "val_u" in g.ids and "dfd_u" not in g.ids and "local_u__y" not in g.ids
    assert g["dfd_y"].value == 0 and g["dfd_x"].value == 2  # x*x in one line: SymPy's 2x
    assert verify_expression(g).ok


def test_rounded_carry_rounds_every_value_before_it_is_used():
    text = spec_text("{x: 0.3, y: 0.7}", "  s: sigma(x)\n  f: s * y", extra="rounding: {decimals: 2, carry: rounded}")
    g = derive_expression(load_expression_text(text, "r.yaml"))
    assert g["val_s"].value == sp_rational("0.57") and g["val_f"].value == sp_rational("0.40")  # 0.57 * 0.7 = 0.399


def sp_rational(text: str):
    import sympy as sp

    return sp.Rational(text)


# ---------------------------------------------------------------- bad input: one line, exit 2


BAD = [
    ("  f: x + w", "define.f: unknown name 'w'"),
    ("  f: g * 2\n  g: x", "define.f: reads 'g', which is defined below it"),
    ("  f: f + x", "define.f: reads itself"),
    ("  exp: x + 1\n  f: exp", "define.exp: 'exp' is reserved"),
    ("  f: x +* 2", "define.f: not a number or formula"),
    ("  f: __import__('os').system('true')", "define.f: attribute access ('.') is not allowed"),
    ("  f: x ** y", "define.f: the exponent must be a plain number"),
    ("  f: x ** 1000", "define.f: exponent too large"),
    ("  f: max(x, 0)", "define.f: function 'max' is not allowed"),
    ("  x: 2\n  f: x", "define.x: 'x' is already an input"),
    ("  val_q: x\n  f: val_q", "define.val_q: 'val_q' looks like a step id"),
    ("  f: '[x]'", "define.f: a list ('[ ]') is not allowed"),
    ("  f:", "define.f: expected a formula, got nothing"),
]


@pytest.mark.parametrize("define, message", BAD)
def test_bad_define_is_one_line_naming_the_field(define, message, tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(spec_text("{x: 2}", define), encoding="utf-8")
    assert main(["walkthrough", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"derive: bad.yaml: {message}" in err, err


@pytest.mark.parametrize(
    "text, message",
    [
        (spec_text("{x: 2}", "  f: x", output="g"), "output: 'g' is not a node of define (f)"),
        (spec_text("{x: 2}", "  f: x", extra="colour: red\n"), "colour: unknown key"),
        (spec_text("{}", "  f: 1"), "values: expected a mapping of input names to numbers"),
        (spec_text("{x: .nan}", "  f: x"), "values.x: expected a finite number"),
        (spec_text("{x: 2}", "  f: x\n  f: x"), "found duplicate key 'f'"),
        ("kind: graph\nvalues: {x: 1}\n", "kind: expected one of network, expression, got 'graph'"),
    ],
)
def test_bad_spec_fields(text, message, tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["verify", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


DOMAIN = [
    ("{x: 2}", "  d: x - 2\n  f: log(d)", "define.f: log of a number that is not positive: log(0)"),
    ("{x: 2}", "  f: 1 / (x - 2)", "define.f: division by zero"),
    ("{x: 2}", "  f: sqrt(1 - x)", "define.f: square root of a negative number: sqrt(-1)"),
    ("{x: 2}", "  n: 1 - x\n  f: n ** 1.5", "define.f: a negative number to a fractional power"),
    ("{x: 2}", "  f: relu(x - 2)", "define.f: relu at exactly 0, its kink"),
    ("{x: 2}", "  f: sqrt(x - 2)", "define.f: sqrt(0) has an infinite slope"),
    ("{x: 800}", "  f: exp(x)", "define.f: a value beyond float64"),
    ("{x: 3}", "  s: sigma(x)\n  f: 1 / (s - s)", "define.f: division by zero"),
]


@pytest.mark.parametrize("values, define, message", DOMAIN)
def test_domain_and_kinks_are_spec_errors_naming_the_node(values, define, message, tmp_path, capsys):
    path = tmp_path / "dom.yaml"
    path.write_text(spec_text(values, define), encoding="utf-8")
    assert main(["walkthrough", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"derive: dom.yaml: {message}" in err, err


@pytest.mark.parametrize("command", [["train"]])  # (worksheet and check read them: test_expression_sheets.py)
def test_other_commands_refuse_expression_specs_in_one_line(command, tmp_path, capsys):
    answers = tmp_path / "a.yaml"
    answers.write_text("val_q: 3\n", encoding="utf-8")
    args = [c.replace("OUT", str(tmp_path / "out")).replace("ANSWERS", str(answers)) for c in command]
    assert main([args[0], str(CS231N), *args[1:]]) == 2
    err = capsys.readouterr().err
    assert "kind: not supported for expression specs yet" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_the_schema_of_expression_specs_accepts_the_examples_and_refuses_unknown_keys():
    need_module("jsonschema", "test")
    import jsonschema
    import yaml

    from derive.model.schema import json_schema

    check = jsonschema.Draft202012Validator(json_schema("expression"))
    check.check_schema(json_schema("expression"))
    for path in EXPRESSION_EXAMPLES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert not list(check.iter_errors(data)), path.name
        assert list(check.iter_errors({**data, "colour": "red"})) and list(check.iter_errors({**data, "kind": "x"}))
    assert json_schema()["properties"]["kind"] == {"enum": ["network", "expression"], "description": ANY}


def test_network_specs_may_say_kind_network():
    text = (ROOT / "worked" / "four.yaml").read_text(encoding="utf-8")
    assert load_any_text(text) == load_any_text("kind: network\n" + text)


def load_any_text(text: str):
    from derive.model.spec import load_spec_text

    spec = load_spec_text(text, "four.yaml")
    return [(s.id, s.value) for s in derive_graph(spec)]


def derive_graph(spec):
    from derive.graph.builder import derive

    return derive(spec)


# ---------------------------------------------------------------- one whitelist


@pytest.mark.parametrize("text", ["x.real", "lambda: 1", "x if x else 1", "x // 2", "[x]", "x ** x", "max(x)", "'a'"])
def test_define_lines_and_answers_refuse_the_same_syntax_with_the_same_reason(text):
    with pytest.raises(FormulaError) as a:
        to_tree(text, {"x"})
    with pytest.raises(FormulaError) as b:
        parse_answer(text, {"x": __import__("sympy").Symbol("x")})
    assert str(a.value) == str(b.value)


def test_relu_is_on_the_one_whitelist():
    assert parse_answer("relu(0.5) + relu(-1)").value == 0.5
    assert to_tree("relu(x)", {"x"}) == ("call", "relu", ("name", "x"))


# ---------------------------------------------------------------- the check can fail


def test_a_corrupted_value_is_caught():
    g = derive_expression(load_any(SIGMOID))
    g["dfd_y"].exact = g["dfd_y"].exact * (1 + __import__("sympy").Rational(1, 10**5))  # beyond both tolerances
    with pytest.raises(VerificationError, match="dfd_y: SymPy gives .*float evaluator gives"):
        verify_expression(g)
    report = verify_expression(g, strict=False)
    assert not report.ok and any("finite differences give" in f for f in report.failures)


def test_a_wrong_derivative_rule_in_the_oracle_is_caught(monkeypatch):
    value, _ = expression_oracle._CALLS["sigma"]
    monkeypatch.setitem(expression_oracle._CALLS, "sigma", (value, lambda a, v: v))  # σ' taken as σ
    with pytest.raises(VerificationError, match="local_sigy__y"):
        verify_expression(derive_expression(load_any(SIGMOID)))


# ---------------------------------------------------------------- random graphs

GRID = [v / 2 for v in range(-6, 7)]  # -3 .. 3 in halves, 0 included: domains and kinks happen
CALLS = ["exp", "log", "sqrt", "tanh", "sigma", "σ", "relu", "softplus"]
POWERS = ["2", "3", "-1", "0.5", "1.5", "-2"]
NEAR = 1e-9  # an argument this close to a boundary may fall either way in floats


class Problem(Exception):
    """The first domain problem this file's float evaluation finds, and whether it is certain."""

    def __init__(self, why: str, borderline: bool = False):
        super().__init__(why)
        self.borderline = borderline


def _fval(v: float) -> float:
    if not math.isfinite(v) or abs(v) > 1e300 or 0 < abs(v) < 1e-300:
        raise Problem("beyond float64")
    return v


def _at_zero(a: float, why: str) -> None:
    if a == 0:
        raise Problem(why)
    if abs(a) < NEAR:
        raise Problem(why, borderline=True)


def _call(name: str, a: float) -> float:
    if name == "log":
        if a < NEAR:
            raise Problem("log", borderline=a > -NEAR)
        return math.log(a)
    if name == "sqrt":
        if a < NEAR:
            raise Problem("sqrt", borderline=a > -NEAR)
        return math.sqrt(a)
    if name == "relu":
        _at_zero(a, "relu")
        return max(a, 0.0)
    if name in ("exp", "softplus") and a > 700:
        raise Problem("beyond float64")
    return {
        "exp": math.exp,
        "tanh": math.tanh,
        "sigma": lambda v: 1 / (1 + math.exp(-v)) if v > -700 else 0.0,
        "σ": lambda v: 1 / (1 + math.exp(-v)) if v > -700 else 0.0,
        "softplus": lambda v: math.log1p(math.exp(v)) if v < 30 else v + math.log1p(math.exp(-v)),
    }[name](a)


def _power(a: float, p: float) -> float:
    if p != int(p):
        if a <= 0:
            raise Problem("power")
        if abs(a) < NEAR:
            raise Problem("power", borderline=True)
    if p < 0:
        _at_zero(a, "division")
    if a != 0 and abs(p * math.log10(abs(a))) > 300:
        raise Problem("beyond float64")
    return a**p


def _binary(op: str, a: float, b: float) -> float:
    if op == "/":
        _at_zero(b, "division")
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else 0.0}[op]


def _leaf(draw, names: list[str]):
    if draw(st.integers(0, 3)):
        n = draw(st.sampled_from(names))
        return n, lambda env: env[n]
    c = draw(st.sampled_from(["0.5", "1", "2", "3"]))
    return c, lambda env: float(c)


def _wrap(draw, kind: str, a_text: str, a, b_text: str, b):
    """One operation of a formula: on a, or on a and b."""
    if kind == "call":
        fn = draw(st.sampled_from(CALLS))
        return f"{fn}({a_text})", lambda env: _fval(_call(fn, a(env)))
    if kind == "pow":
        p = draw(st.sampled_from(POWERS))
        return f"({a_text})**{p}", lambda env: _fval(_power(a(env), float(p)))
    if kind == "neg":
        return f"-({a_text})", lambda env: -a(env)
    op = draw(st.sampled_from("+-*/"))
    return f"({a_text}) {op} ({b_text})", lambda env: _fval(_binary(op, a(env), b(env)))


@st.composite
def formulas(draw, names: list[str], depth: int = 2):
    """(text, float function of env) of a random formula over ``names``."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return _leaf(draw, names)
    kind = draw(st.sampled_from(["op", "op", "call", "pow", "neg"]))
    a_text, a = draw(formulas(names, depth - 1))
    b_text, b = draw(formulas(names, depth - 1)) if kind == "op" else ("", None)
    return _wrap(draw, kind, a_text, a, b_text, b)


@st.composite
def lines_of(draw, names: list[str]):
    """A node's line: an operation on a name defined just above (so the graph is deep and
    the output reads most of it) and a random formula, inside another operation or not."""
    head = names[-1] if draw(st.booleans()) else draw(st.sampled_from(names))
    rest_text, rest = draw(formulas(names, 1))
    text, fn = _wrap(draw, "op", head, lambda env: env[head], rest_text, rest)
    kind = draw(st.sampled_from(["none", "none", "call", "pow", "neg"]))
    return (text, fn) if kind == "none" else _wrap(draw, kind, text, fn, "", None)


@st.composite
def graphs(draw):
    inputs = ["a", "b", "c"][: draw(st.integers(1, 3))]
    values = {n: draw(st.sampled_from(GRID)) for n in inputs}
    lines, names = [], list(inputs)
    for i in range(draw(st.integers(1, 12))):
        text, fn = draw(formulas(names) if draw(st.integers(0, 4)) == 0 else lines_of(names))
        lines.append((f"n{i + 1}", text, fn))
        names.append(f"n{i + 1}")
    define = "".join(f"  {n}: {t}\n" for n, t, _ in lines)
    return spec_text("{" + ", ".join(f"{k}: {v}" for k, v in values.items()) + "}", define.rstrip("\n"), names[-1]), (
        values,
        lines,
    )


def _predict(values: dict, lines: list) -> tuple[str | None, bool, float | None]:
    """(first node with a problem or None, whether it is borderline, the output's float)."""
    env = dict(values)
    for name, _, fn in lines:
        try:
            env[name] = fn(env)
        except Problem as p:
            return name, p.borderline, None
    return None, False, env[lines[-1][0]]


def _floats_lose(graph, values: dict, lines: list) -> bool:
    """Whether a float64 evaluation of the lines, written here, loses more than about five
    of float64's sixteen digits of some exact value (1 - tanh(9) keeps eight): the graph is
    ill-conditioned in floats, and a gradient computed from such values may rightly miss
    the 1e-9 tolerance of the check."""
    env = dict(values)
    scale = max([1.0] + [abs(float(s.exact)) for s in graph if s.kind == "val"])
    for name, _, fn in lines:
        try:
            env[name] = fn(env)
        except (Problem, ZeroDivisionError, OverflowError, ValueError):
            return True
        if not math.isclose(env[name], float(graph[f"val_{name}"].exact), rel_tol=1e-11, abs_tol=1e-14 * scale):
            return True
    return False


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(graphs())
def test_random_graphs_verify_or_are_refused_by_the_right_node(case):
    text, (values, lines) = case
    bad, borderline, out = _predict(values, lines)
    try:
        wt = ExpressionWalkthrough(load_expression_text(text, "random.yaml"))
    except VerificationError as e:
        # Only where float64 itself cannot compute the graph (1 - tanh(24) is 0 in floats):
        # this file's own float evaluation must lose a value that exact arithmetic keeps.
        g = derive_expression(load_expression_text(text, "random.yaml"))
        assert _floats_lose(g, values, lines), f"verification failed, but floats compute every value: {e}\n{text}"
        return
    except SpecError as e:
        if e.where.startswith("values.") or "beyond float64" in e.what:
            # a gradient (or a value) beyond float64: the refusal names where, and says why
            assert "beyond float64" in e.what, str(e)
            return
        assert bad is not None, f"refused, but every node is in its domain here: {e}\n{text}"
        assert e.where == f"define.{bad}" or borderline, f"{e} (expected define.{bad})\n{text}"
        return
    assert bad is None or borderline, f"not refused, but {bad} leaves its domain\n{text}"
    assert wt.report.ok and wt.report.n_gradients + len(wt.report.notes) >= 1
    if out is not None:
        assert float(wt.graph[f"val_{lines[-1][0]}"].exact) == pytest.approx(out, rel=1e-9, abs=1e-12)
