"""Forgiving reading of typed answers: the notation around a number, with its places kept,
and answer files that are not valid YAML read line by line (issue 10)."""

from pathlib import Path

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.model.numbers import Number
from derive.model.spec import load_spec
from derive.teach.answers import AnswerError, parse_answer
from derive.teach.marking import Checker
from derive.teach.submissions import read_lines, read_submissions

W = Path(__file__).resolve().parent.parent / "worked"
OUT = sp.Symbol("out_o1")
SYMBOLS = {"out_o1": OUT, "net_o1": sp.Symbol("net_o1"), "w4": sp.Symbol("w4")}
R = sp.Rational


# ---------------------------------------------------------------- each notation: value and places

NOTATIONS = [
    # text, exact value, places, label, remark, percent
    ("= 0.0650", R(65, 1000), 4, None, None, False),
    ("=0.0650", R(65, 1000), 4, None, None, False),
    ("≈ -0.0025", R(-25, 10000), 4, None, None, False),
    ("≈-0.0025", R(-25, 10000), 4, None, None, False),
    ("~ 0.5929", R(5929, 10000), 4, None, None, False),
    ("≃0.59290", R(5929, 10000), 5, None, None, False),
    ("w4 = 0.1105", R(1105, 10000), 4, "w4", None, False),
    ("new_w4 = 0.1105", R(1105, 10000), 4, "new_w4", None, False),
    ("new_w4=0.1105", R(1105, 10000), 4, "new_w4", None, False),
    ("out_h1: 0.5929", R(5929, 10000), 4, "out_h1", None, False),
    ("out_h1 ≈ 0.593", R(593, 1000), 3, "out_h1", None, False),
    ("-0.0036.", R(-36, 10000), 4, None, None, False),
    ("w4 = 0.1105.", R(1105, 10000), 4, "w4", None, False),
    ("0.1007 units", R(1007, 10000), 4, None, "units", False),
    ("0.2414 (rounded)", R(2414, 10000), 4, None, "(rounded)", False),
    ("0.2414(rounded)", R(2414, 10000), 4, None, "(rounded)", False),
    ("0.2414 (rounded to 4 d.p.)", R(2414, 10000), 4, None, "(rounded to 4 d.p.)", False),
    ("0.5929 approx", R(5929, 10000), 4, None, "approx", False),
    ("0.376 rad", R(376, 1000), 3, None, "rad", False),
    ("0.376 rad.", R(376, 1000), 3, None, "rad.", False),
    ("0,5929 ungefähr", R(5929, 10000), 4, None, "ungefähr", False),
    ("54.40%", R(544, 1000), 4, None, None, True),
    ("54.40 %", R(544, 1000), 4, None, None, True),
    ("54%", R(54, 100), 2, None, None, True),
    ("out_h2: 54,40% (rounded)", R(544, 1000), 4, "out_h2", "(rounded)", True),
    ("-1.2×10⁻³", R(-12, 10000), 4, None, None, False),
    ("−1.2 × 10⁻³", R(-12, 10000), 4, None, None, False),
    ("-1.2 x 10^-3", R(-12, 10000), 4, None, None, False),
    ("-1.2*10^-3", R(-12, 10000), 4, None, None, False),
    ("-1.2·10^(-3)", R(-12, 10000), 4, None, None, False),
    ("-1.2 * 10**(-3)", R(-12, 10000), 4, None, None, False),
    ("-1.2e-3", R(-12, 10000), 4, None, None, False),
    ("-1.2E-3", R(-12, 10000), 4, None, None, False),
    ("1.20e-2", R(12, 1000), 4, None, None, False),
    ("5e-4", R(5, 10000), 4, None, None, False),
    ("5×10⁻⁴", R(5, 10000), 4, None, None, False),
    ("1.5×10³", R(1500), 0, None, None, False),
    ("-1,2×10⁻³", R(-12, 10000), 4, None, None, False),
    ("= 1.2e-3 units", R(12, 10000), 4, None, "units", False),
    ("0,5929", R(5929, 10000), 4, None, None, False),
    ("-0,0120 ", R(-120, 10000), 4, None, None, False),
    ("  - 0,0120  ", R(-120, 10000), 4, None, None, False),
    ("w4 = 0,1105", R(1105, 10000), 4, "w4", None, False),
    ("0,1007 units", R(1007, 10000), 4, None, "units", False),
    ("- 0.0831", R(-831, 10000), 4, None, None, False),
    ("= - 0.0831", R(-831, 10000), 4, None, None, False),
    ("delta_o1: - 0.0831", R(-831, 10000), 4, "delta_o1", None, False),
    ("= 3/8", R(3, 8), None, None, None, False),
]


@pytest.mark.parametrize("text, exact, places, label, remark, percent", NOTATIONS)
def test_each_notation_keeps_value_and_places(text, exact, places, label, remark, percent):
    a = parse_answer(text, SYMBOLS)
    assert a.exact == exact and a.value == exact.p / exact.q
    assert a.places == places and a.number is not None and a.number.value == exact
    assert (a.label, a.remark, a.percent) == (label, remark, percent)
    assert a.text == text.strip() and a.symbolic is False


def test_the_number_of_a_percent_is_the_proportion():
    a = parse_answer("54.40%")
    assert a.number == Number(R(544, 1000), 4, "0.5440")
    assert parse_answer("0.5440").percent is False


def test_a_parenthesis_of_arithmetic_after_a_number_is_a_product():
    for text in ("0.5440(1-0.5440)", "0.5440 (1 − 0.5440)", "w4 = 0.5440(1-0.5440)"):
        a = parse_answer(text, SYMBOLS)
        assert a.exact == R(544, 1000) * (1 - R(544, 1000))
        assert a.number is None and a.places is None and a.remark is None
    assert parse_answer("w4 = 0.5440(1-0.5440)", SYMBOLS).label == "w4"
    b = parse_answer("0.5(1-out_o1)", SYMBOLS)
    assert b.symbolic and sp.expand(b.exact - R(1, 2) * (1 - OUT)) == 0
    with pytest.raises(AnswerError, match="unknown name 'x'"):
        parse_answer("0.5 (x)")


def test_a_label_may_be_any_name_and_a_formula_keeps_it():
    a = parse_answer("out_o1: out_o1*(1-out_o1)", SYMBOLS)
    assert a.symbolic and a.label == "out_o1" and sp.expand(a.exact - OUT * (1 - OUT)) == 0
    assert parse_answer("net_h2 = 0.5").label == "net_h2"  # another step's name: kept, not refused


STILL_REFUSED = [
    ("0.5 + hello", "unknown name"),
    ("abc", "unknown name"),
    ("0.5 0.6", "not a number or formula"),
    ("1,234,567", "comma"),
    ("0.5, 0.6", "comma"),
    ("0,5, 0,6", "comma"),
    ("0.5 or 0.6", "not allowed"),
    ("0.5 (or 0.6)", "not a number or formula|not allowed"),
    ("1.2 x 10", "not a number or formula"),
    ("1 if 1 else 2", "'if ... else' is not allowed"),
    ("0.376rad", "not a number or formula"),
    ("0.5 out_o1", "not a number or formula"),
    ("0.5 sigma(1)", "not a number or formula"),
    ("lambda: 1", "'lambda' is not allowed"),
    ("0.5 %", None),  # accepted: a percent
    ("(1-0.5)%", "not a number or formula"),
    ("7 % 2", "'%' is not allowed"),
    ("50%%", "not a number or formula"),
    ("= ", "not a number or formula|missing"),
    ("w4 =", "not a number or formula"),
    ("1e999999", "too large or too small"),
    ("10^-99999", "exponent too large"),
    ("1×10^-99999", "too large or too small"),
    ("-1.2×10⁻⁹⁹⁹⁹⁹⁹⁹⁹⁹", "too large or too small"),
    ("2 x 10^" + "9" * 150, "too large or too small"),
    ("9×10^999", "number too large"),
    ("1" * 31 + "×10⁻³", "too many digits"),
    ("²" * 150, "too long|not a number"),
]


@pytest.mark.parametrize("text, message", STILL_REFUSED)
def test_what_is_not_an_answer_stays_refused(text, message):
    if message is None:
        assert parse_answer(text).percent is True
        return
    with pytest.raises(AnswerError, match=message) as info:
        parse_answer(text, SYMBOLS)
    reason = str(info.value)
    assert reason and "\n" not in reason and len(reason) < 100


# ---------------------------------------------------------------- answer files read line by line

VARIANT = "four-d2-s7-v01"
CHECKER = Checker(load_spec(W / "four.yaml"), "four")


def _template() -> tuple[str, dict[str, str]]:
    """A filled-in answers template with the key to four places; three lines are not YAML."""
    key = CHECKER.key_env(VARIANT)[1]
    k = {s: Number.rounded(sp.Rational(repr(key[s])), 4).text for s in ("net_h1", "net_h2", "out_h2", "delta_o1")}
    assert k["delta_o1"].startswith("-")
    text = "\n".join(
        [
            f"# Answers to worksheet {VARIANT}: write each value after its colon.",
            "# A number (0.593), a fraction (3/8) or arithmetic (0.5*(1-0.64)) is accepted.",
            f"variant: {VARIANT}",
            f"net_h1: {k['net_h1']}   # Q1: the net input of h1",
            f"net_h2: '{k['net_h2']}'   # Q2: quoted",
            "out_h1: ?   # Q3",
            "",
            f"delta_o1: - {k['delta_o1'][1:]}   # Q9: a space after the sign",
            "out_o1: [0.5",
            "SECRET hunter2 is not an answer line",
            f"out_h2: {k['out_h2']} (rounded)",
            "loss:   # Q7: left blank",
        ]
    )
    return text + "\n", k


def test_a_template_that_is_not_yaml_is_read_line_by_line(tmp_path):
    text, k = _template()
    (tmp_path / "ann.yaml").write_text(text)
    (sub,) = read_submissions([tmp_path / "ann.yaml"])
    assert sub.problem is None
    assert sub.answers == {
        "variant": VARIANT,
        "net_h1": k["net_h1"],
        "net_h2": k["net_h2"],
        "out_h1": "?",
        "delta_o1": "- " + k["delta_o1"][1:],
        "out_o1": "[0.5",
        "out_h2": k["out_h2"] + " (rounded)",
        "loss": None,
    }
    assert sub.notes == ["read line by line: the file is not valid YAML at line 6", 'line 10: not "step: answer"']
    assert "hunter2" not in " ".join(sub.notes)  # a bad line's text is never repeated

    r = CHECKER.mark(sub.answers)
    verdicts = {sid: (s.verdict, s.given, s.note) for sid, s in r.steps.items() if sid in sub.answers}
    assert (
        verdicts
        == {
            "net_h1": ("correct", k["net_h1"], None),  # four places typed, four read: no note
            "net_h2": ("correct", k["net_h2"], None),
            "out_h1": ("invalid", "?", "not a number or formula"),
            "out_h2": ("correct", k["out_h2"] + " (rounded)", None),
            "loss": ("missing", None, None),
            "out_o1": ("invalid", "[0.5", "not a number or formula"),
            "delta_o1": ("correct", "- " + k["delta_o1"][1:], None),
        }
    )
    assert parse_answer(sub.answers["delta_o1"]).places == 4


def test_places_stay_as_typed_in_the_line_by_line_reading():
    data, problem, _ = read_lines("a: 0.3760 # c\nb: '0.50'\nc: \"-0.0120\"  # q\nd: 1.20e-2\ne: 0.1 #2\n", 2)
    assert problem is None
    assert data == {"a": "0.3760", "b": "0.50", "c": "-0.0120", "d": "1.20e-2", "e": "0.1"}
    assert [parse_answer(v).places for v in data.values()] == [4, 2, 4, 4, 1]


def test_a_repeated_step_is_still_an_unreadable_file(tmp_path):
    (tmp_path / "a.yaml").write_text("out_h2: 0.5440\nout_h2: 0.9\n")  # valid YAML but for the repeat
    (tmp_path / "b.yaml").write_text("out_h1: ?\nnet_h1: 0.3760\nout_h1: 0.5929\n")
    a, b = read_submissions([tmp_path / "a.yaml", tmp_path / "b.yaml"])
    assert a.answers is None and a.problem.startswith("not valid YAML at line 2")
    assert b.answers is None and "given twice (lines 1 and 3)" in b.problem
    assert a.notes == [] and b.notes == []


def test_a_file_with_no_answer_line_is_unreadable(tmp_path):
    (tmp_path / "a.yaml").write_text("[0.5\n# only this\n")
    (tmp_path / "b.json").write_text('{"out_h1": - 0.5}')
    (tmp_path / "c.yml").write_text("- 0.5\n- [0.6\n")
    a, b, c = read_submissions([tmp_path / "a.yaml", tmp_path / "b.json", tmp_path / "c.yml"])
    assert a.answers is None and a.problem == "not valid YAML at line 3"
    assert b.answers is None and b.problem.startswith("not valid JSON")  # JSON is not read line by line
    assert c.answers is None and c.problem.startswith("not valid YAML at line")


def test_valid_yaml_is_read_as_before(tmp_path):
    (tmp_path / "a.yaml").write_text("student: ann\nnet_h1: 0.3760\nout_h1: '= 0.5929'\n")
    (sub,) = read_submissions([tmp_path / "a.yaml"])
    assert sub.student == "ann" and sub.notes == []
    assert sub.answers["net_h1"] == Number(R(376, 1000), 4, "0.3760")
    assert parse_answer(sub.answers["out_h1"]).places == 4


# ---------------------------------------------------------------- properties

ALPHABET = "0123456789.,+-−=≈~≃: %×x*·^()⁻⁰¹²³⁹eEaw_(rounded)units\t"


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=60), st.text(alphabet=ALPHABET, max_size=40)))
def test_random_text_raises_only_answer_error(text):
    try:
        a = parse_answer(text, SYMBOLS)
    except AnswerError as e:
        assert str(e) and "\n" not in str(e)
        return
    if a.number is not None:
        assert a.exact == a.number.value and a.value == a.number.value.p / a.number.value.q
    if a.percent:
        assert a.number is not None and a.places is not None and a.places >= 2
    assert a.remark is None or a.number is not None


def _superscript(k: int) -> str:
    return "⁻" + str(k).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def _decimal(n: int, places: int) -> str:
    return ("-" if n < 0 else "") + f"{abs(n) / 10**places:.{places}f}"


@settings(max_examples=200, deadline=None)
@given(st.integers(-(10**6), 10**6), st.integers(0, 7), st.integers(1, 9))
def test_random_decimals_in_every_notation(n, places, k):
    d = _decimal(n, places)
    value = R(n, 10**places)
    assert R(d) == value
    cases = [
        (d, value, places, False),
        (f"= {d}", value, places, False),
        (f"≈{d}", value, places, False),
        (f"w4 = {d}", value, places, False),
        (f"{d} units", value, places, False),
        (f"{d} (rounded)", value, places, False),
        (f"{d}.", value, places, False),
        (f"{d.replace('.', ',')} approx" if places else f"{d} approx", value, places, False),
        (f"{d}%", value / 100, places + 2, True),
        (f"{d}×10{_superscript(k)}", value / 10**k, places + k, False),
        (f"{d} x 10^-{k}", value / 10**k, places + k, False),
        (f"{d}e-{k}", value / 10**k, places + k, False),
    ]
    for text, exact, want_places, percent in cases:
        a = parse_answer(text, SYMBOLS)
        assert (a.exact, a.places, a.percent) == (exact, want_places, percent), text
        assert a.value == exact.p / exact.q, text
