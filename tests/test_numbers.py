"""derive.model.numbers and derive.model.load: numbers keep how they were written.

The reader, the rounding rule and the YAML/JSON readers, by examples and by property
tests (for any decimal text, the exact value and the places round-trip)."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
import sympy as sp
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.errors import DeriveError
from derive.model.load import read_json, read_yaml
from derive.model.numbers import (
    MAX_EXP10,
    Number,
    NumberError,
    read_number,
    round_half_up,
    round_half_up_float,
    scan_number,
)
from derive.model.spec import SpecError, load_spec_text

R = sp.Rational


# --------------------------------------------------------------------------- the reader


@pytest.mark.parametrize(
    "text, value, places",
    [
        ("-0.1360", R(-136, 1000), 4),
        ("-0.8", R(-4, 5), 1),
        ("2", sp.Integer(2), 0),
        ("1.5e-3", R(3, 2000), 4),
        ("3/8", R(3, 8), None),
        ("-3/8", R(-3, 8), None),
        ("0.0", sp.Integer(0), 1),
        ("-0", sp.Integer(0), 0),
        (".5", R(1, 2), 1),
        ("2.", sp.Integer(2), 0),
        ("+0.25", R(1, 4), 2),
        ("1.50E+1", sp.Integer(15), 1),
        ("1e3", sp.Integer(1000), 0),
        ("0.001e3", sp.Integer(1), 0),
        ("1.0e-05", R(1, 100000), 6),
        ("- 0.5", R(-1, 2), 1),  # students put a space after the sign
        ("  0.40\n", R(2, 5), 2),
    ],
)
def test_value_and_places_as_written(text, value, places):
    n = read_number(text)
    assert (n.value, n.places, n.text) == (value, places, text.strip())
    assert isinstance(n.value, sp.Rational)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "abc",
        "0.5.5",
        "1e",
        "e3",
        "--1",
        "+-1",
        "1/2/3",
        "1 / 2",
        "0x10",
        "1_000",
        "inf",
        "nan",
        "½",
        "٣",
        "1,5",
        "0.5*2",
        "(1)",
        "1e+",
        ".",
        "/2",
        "2/",
    ],
)
def test_what_is_not_a_literal(text):
    assert scan_number(text) is None
    with pytest.raises(NumberError, match="not a number"):
        read_number(text)


@pytest.mark.parametrize(
    "text, kwargs, message",
    [
        ("1/0", {}, "division by zero"),
        ("-3/00", {}, "division by zero"),
        (f"1e{MAX_EXP10 + 1}", {}, "too large or too small"),
        (f"1e-{MAX_EXP10 + 1}", {}, "too large or too small"),
        ("1" * 31, {"max_digits": 30}, "too many digits \\(at most 30\\)"),
        ("1" * 20 + "/" + "1" * 31, {"max_digits": 30}, "too many digits"),
        ("0." + "0" * 200 + "1", {}, "too long \\(at most 100 characters\\)"),
    ],
)
def test_literals_beyond_the_caps(text, kwargs, message):
    with pytest.raises(NumberError, match=message) as e:
        read_number(text, **kwargs)
    assert isinstance(e.value, DeriveError) and isinstance(e.value, ValueError)


def test_leading_and_trailing_zeros_count_as_written():
    assert read_number("0" * 40 + "1", max_digits=30).value == 1  # leading zeros are not significant digits
    assert read_number("1." + "0" * 28, max_digits=30).places == 28  # trailing ones are, and state places


def test_a_long_non_literal_is_rejected_quickly():
    assert scan_number("1" * 1_000_000 + "x") is None  # linear pattern, no backtracking
    with pytest.raises(NumberError, match="too long"):
        scan_number("1" * 1_000_000)


@st.composite
def decimal_texts(draw):
    """Decimal literals as people type them, with the value and places they state."""
    sign = draw(st.sampled_from(["", "-", "+"]))
    whole = draw(st.text("0123456789", max_size=12))
    frac = draw(st.one_of(st.none(), st.text("0123456789", max_size=12)))
    if not whole and not frac:
        whole = draw(st.text("0123456789", min_size=1, max_size=5))
    exp = draw(st.one_of(st.none(), st.integers(-40, 40)))
    body = whole + ("" if frac is None else "." + frac)
    text = sign + body + ("" if exp is None else draw(st.sampled_from(["e", "E"])) + f"{exp:+d}")
    digits = Fraction(int(whole + (frac or "") or "0"), 10 ** len(frac or ""))
    value = (-1 if sign == "-" else 1) * digits * Fraction(10) ** (exp or 0)
    return text, value, max(0, len(frac or "") - (exp or 0))


@settings(max_examples=500, deadline=None)
@given(decimal_texts())
def test_any_decimal_text_round_trips(case):
    text, value, places = case
    n = read_number(text)
    assert n.value == value and Fraction(int(n.value.p), int(n.value.q)) == Fraction(text)
    assert n.places == places and n.text == text
    again = read_number(Number.of(n.value, n.places).text)  # written out and read back
    assert (again.value, again.places) == (n.value, n.places)


@settings(max_examples=300, deadline=None)
@given(st.integers(-(10**12), 10**12), st.integers(0, 15))
def test_written_numbers_read_back_exactly(m, places):
    n = Number.of(R(m, 10**places), places)
    assert read_number(n.text) == n
    assert len(n.text.split(".")[1]) == places if places else "." not in n.text


@settings(max_examples=200, deadline=None)
@given(st.integers(-(10**9), 10**9), st.integers(1, 10**9))
def test_fractions_round_trip(p, q):
    n = Number.of(R(p, q), None)
    assert read_number(n.text) == n and n.places is None


def test_number_of_refuses_a_value_needing_more_places():
    with pytest.raises(ValueError, match="more than 2 decimal places"):
        Number.of(R(1, 1000), 2)
    with pytest.raises(ValueError):
        Number.of(R(1, 3), 5)


def test_number_is_frozen_and_shows_its_text():
    n = read_number("-0.1360")
    with pytest.raises(AttributeError):
        n.places = 3
    assert str(n) == "-0.1360" and f"{n}" == "-0.1360" and float(n) == -0.136
    assert n != read_number("-0.136") and n.value == read_number("-0.136").value
    assert len({n, read_number("-0.1360")}) == 1


def test_agrees_at_the_places_written():
    true = R(-136093, 10**6)
    assert not read_number("-0.1360").agrees(true)  # at four places the true value is -0.1361
    assert read_number("-0.1361").agrees(true)
    assert read_number("-0.136").agrees(true)  # at three places it is -0.136
    assert read_number("-0.14").agrees(true)
    assert read_number("0.5").agrees(R(1, 2)) and read_number("3/8").agrees(R(3, 8))
    assert not read_number("3/8").agrees(R(3, 8) + R(1, 10**12))  # a fraction states the exact value
    assert read_number("0.593").agrees(sp.Float("0.59290799046636879", 50))


# --------------------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    "v, d, expected",
    [
        (R(5, 1000), 2, R(1, 100)),
        (R(-5, 1000), 2, R(-1, 100)),
        (R(15, 100), 1, R(2, 10)),
        (R(25, 100), 1, R(3, 10)),
        (R(-25, 100), 1, R(-3, 10)),
        (R(1, 3), 3, R(333, 1000)),
        (R(2, 3), 0, 1),
        (sp.Integer(0), 4, 0),
        (sp.Integer(1250), -2, 1300),
        (sp.Integer(-1249), -2, -1200),
    ],
)
def test_round_half_up_rounds_ties_away_from_zero(v, d, expected):
    assert round_half_up(v, d) == expected


def test_round_half_up_is_exact_where_a_28_digit_decimal_is_not():
    # 0.4999...9 (31 nines): Decimal's default 28-digit division makes it 0.5, which rounds up
    v = R(5 * 10**30 - 1, 10**31)
    assert round_half_up(v, 0) == 0
    assert round_half_up(R(10**40 + 1, 2), 0) == (10**40 + 2) // 2  # beyond 28 digits: no InvalidOperation


def test_round_half_up_of_other_reals():
    assert round_half_up(sp.sqrt(2), 3) == R(707, 500)
    assert round_half_up(sp.exp(-1), 4) == R(3679, 10000)
    assert round_half_up(sp.Float("0.12345", 50), 4) == R(1235, 10000)
    assert round_half_up(3, 1) == 3 and round_half_up(0.125, 2) == R(13, 100)  # Python numbers are sympified
    with pytest.raises(ValueError, match="not a real number"):
        round_half_up(sp.I, 2)
    with pytest.raises(sp.SympifyError):
        round_half_up("__import__('os')", 2)  # text is never handed to sympify


def _decimal_rounding(v: sp.Rational, d: int) -> sp.Rational:
    """The same rule through Decimal with ample precision: an independent oracle."""
    with localcontext() as ctx:
        ctx.prec = 200
        q = (Decimal(int(v.p)) / Decimal(int(v.q))).quantize(Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP)
    return sp.Rational(str(q))


@settings(max_examples=400, deadline=None)
@given(st.integers(-(10**15), 10**15), st.integers(0, 20), st.integers(0, 12))
def test_round_half_up_agrees_with_decimal(m, scale, d):
    v = R(m, 10**scale)
    assert round_half_up(v, d) == _decimal_rounding(v, d)


@settings(max_examples=300, deadline=None)
@given(st.integers(-(10**6), 10**6), st.integers(1, 4))
def test_float_rounding_matches_the_exact_rule_on_ties(m, d):
    x = (m + 0.5) / 10**d  # a tie at d places (when the float is exact)
    if Fraction(x) == Fraction(2 * m + 1, 2 * 10**d):
        assert round_half_up_float(x, d) == float(round_half_up(R(2 * m + 1, 2 * 10**d), d))


# --------------------------------------------------------------------------- YAML and JSON


def test_yaml_numbers_keep_their_text_quoted_or_not():
    data = read_yaml("a: -0.1360\nb: '-0.1360'\nc: 2\nd: 1.50e-3\ne: 3/8\nf: text\ng: true\nh: null\n")
    assert data["a"] == Number(R(-136, 1000), 4, "-0.1360")
    assert data["b"] == "-0.1360" and read_number(data["b"]) == data["a"]  # quoted: text, read by the validator
    assert data["c"] == Number(sp.Integer(2), 0, "2")
    assert data["d"] == Number(R(3, 2000), 5, "1.50e-3")
    assert (data["e"], data["f"], data["g"], data["h"]) == ("3/8", "text", True, None)
    assert yaml.safe_load("a: -0.1360")["a"] == -0.136  # what PyYAML alone keeps


def test_yaml_forms_that_are_not_plain_decimals_keep_yamls_value():
    data = read_yaml("a: 0x1F\nb: 0b101\nc: 017\nd: 1_000\ne: 1_000.50\nf: .inf\ng: -.inf\nh: .nan\ni: 1:30\n")
    assert data["a"] == Number(sp.Integer(31), 0, "31")
    assert data["b"].value == 5 and data["c"].value == 15 and data["d"] == Number(sp.Integer(1000), 0, "1000")
    assert data["e"] == Number(R(2001, 2), 2, "1000.50")
    assert data["f"] == float("inf") and data["g"] == float("-inf") and data["h"] != data["h"]
    assert data["i"] == Number(sp.Integer(90), 0, "90")  # YAML 1.1 sexagesimal


def test_yaml_loader_refuses_duplicate_keys_and_python_tags():
    with pytest.raises(yaml.YAMLError, match="duplicate key 'a'"):
        read_yaml("a: 1\na: 2\n")
    with pytest.raises(yaml.YAMLError):
        read_yaml("a: !!python/object/apply:os.system ['true']\n")


@settings(max_examples=300, deadline=None)
@given(decimal_texts())
def test_any_yaml_decimal_round_trips(case):
    text, value, places = case
    v = read_yaml(f"a: {text}\nb: '{text}'\n")
    for x in (v["a"], v["b"]):
        n = x if isinstance(x, Number) else read_number(x)
        digits = text.lstrip("+-")
        if digits.startswith("0") and "." not in text and "e" not in text.lower() and len(digits) > 1:
            continue  # 017: YAML 1.1 reads an octal integer
        assert (n.value, n.places) == (value, places), (text, x)


def test_json_numbers_keep_their_text():
    data = read_json('{"a": -0.1360, "b": 7, "c": 1.50E-3, "d": "0.3760", "e": [0.10, 2], "f": 1e1000}')
    assert data["a"] == Number(R(-136, 1000), 4, "-0.1360")
    assert data["b"] == Number(sp.Integer(7), 0, "7")
    assert data["c"] == Number(R(3, 2000), 5, "1.50E-3")
    assert data["d"] == "0.3760" and [n.places for n in data["e"]] == [2, 0]
    assert data["f"] == float("inf")  # beyond the reader's caps: a float, refused downstream
    assert json.loads('{"a": -0.1360}')["a"] == -0.136


# --------------------------------------------------------------------------- in a spec

SPEC = """
network: {inputs: 2, layers: [{name: o, size: 1, activation: sigmoid, bias: neuron}]}
loss: half-sse
parameters: {weights: {o: [[0.50, "-0.10"]]}, biases: {o: [1e-3]}}
sample: {x: [1, 0.0], y: [1]}
learning_rate: 0.10
published: {values: {net_o1: 0.4010, out_o1: '0.599'}}
"""


def test_spec_numbers_stay_rationals_and_remember_how_they_were_written():
    s = load_spec_text(SPEC, "x.yaml")
    assert s.weights["o"] == [[R(1, 2), R(-1, 10)]] and all(isinstance(v, sp.Rational) for v in s.weights["o"][0])
    assert s.biases["o"] == [R(1, 1000)] and s.learning_rate == R(1, 10) and s.samples[0].x == (1, 0)
    written = {k: n.text for k, n in s.written.items()}
    assert written == {"eta": "0.10", "w1": "0.50", "w2": "-0.10", "b_o1": "1e-3", "i1": "1", "i2": "0.0", "y_o1": "1"}
    assert s.published == {"net_o1": Number(R(401, 1000), 4, "0.4010"), "out_o1": Number(R(599, 1000), 3, "0.599")}


def test_spec_number_messages_show_the_text_as_written():
    with pytest.raises(SpecError, match=r"learning_rate: must be positive and at most 1000, got -0\.10$"):
        load_spec_text(SPEC.replace("learning_rate: 0.10", "learning_rate: -0.10"), "x.yaml")
    with pytest.raises(SpecError, match=r"steps: expected a whole number, got 2\.0$"):
        load_spec_text(SPEC + "steps: 2.0\n", "x.yaml")
    with pytest.raises(SpecError, match=r"published.values.net_o1: expected a number, got '1/0'$"):
        load_spec_text(SPEC.replace("0.4010", "'1/0'"), "x.yaml")
