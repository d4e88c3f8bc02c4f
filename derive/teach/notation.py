"""How students write an answer around the number: the forgiving reading of typed notation.

Before :func:`derive.teach.answers.parse_answer` reads a typed answer as a number or a
formula, the notation around it is taken apart here, keeping the decimal places the
student stated (the marker judges precision from them):

- a leading ``=``, ``≈``, ``~`` or ``≃``, or a ``name =`` / ``name:`` prefix (``w4 = 0.1105``,
  ``out_h1: 0.5929``; the name is kept as the label);
- a full stop at the end (``-0.0036.``);
- units or a remark after a number (``0.1007 units``, ``0.2414 (rounded)``; kept as the
  remark), whereas a parenthesis of arithmetic right after a number is a product
  (``0.5440(1-0.5440)``);
- a percent sign (``54.40%`` is 0.5440, four places);
- powers of ten (``-1.2×10⁻³``, ``-1.2 x 10^-3``, ``-1.2*10^(-3)``), rewritten as the literal
  ``-1.2e-3`` so that the one reader of numbers (:func:`derive.model.numbers.scan_number`)
  gives the value and the places (1 + 3 = 4);
- a decimal comma (``0,5929``) and a space after the sign (``- 0.0831``).

Nothing here evaluates anything: text is only rewritten, with regular expressions that
each have one way to match a text.

>>> r = read_notation("w4 = -1,2×10⁻³ (rounded)")
>>> r.literal, r.label, r.remark, r.percent
('-1.2e-3', 'w4', '(rounded)', False)
>>> read_notation("0.5440(1-0.5440)").source
'0.5440*(1-0.5440)'
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from typing import Collection

from derive.model.syntax import SPELLINGS

__all__ = ["Reading", "normalize", "read_notation"]

_TRANSLATE = str.maketrans(SPELLINGS)  # the whitelist's own other spellings (σ is sigma)
_SUPERSCRIPT = str.maketrans("⁺⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "+-0123456789")
_POWER = re.compile("[⁺⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+")  # x², 10⁻³


def normalize(text: str) -> str:
    """One spelling of the operators: ``×`` is ``*``, ``−`` is ``-``, ``^`` and superscripts
    are ``**`` (``10⁻³`` is ``10**(-3)``), every run of whitespace is one space."""
    text = _POWER.sub(lambda m: f"**({m[0].translate(_SUPERSCRIPT)})", text)
    text = " ".join(text.translate(_TRANSLATE).split())
    return text.replace("^", "**")


@dataclass(frozen=True)
class Reading:
    """What is left of a typed answer once its notation is taken apart."""

    source: str  # the answer itself, normalized: a number, arithmetic or a formula
    literal: str | None = None  # when it is one number: that number as a plain literal (1.2e-3)
    label: str | None = None  # the name typed before it: "w4" in "w4 = 0.1105"
    remark: str | None = None  # words after the number, ignored: "units", "(rounded)"
    percent: bool = False  # the number was followed by a percent sign


# A leading "name =" or "name:" (also "name ≈"), or a leading =, ≈, ~ or ≃ alone.
_LABEL = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*) ?[=:≈≃~] ?(?P<rest>.+)")
_RELATION = re.compile(r"[=≈≃~] ?(?P<rest>.+)")

# A number at the start: sign, digits (a decimal point or comma), a power of ten, a percent sign.
_HEAD = re.compile(
    r"""
    (?P<sign>[+-]?)\ ?
    (?P<mant>[0-9]+,[0-9]+|[0-9]+(?:\.[0-9]*)?|\.[0-9]+)
    (?: [eE](?P<e>[+-]?[0-9]+)
      | \ ?[*xX]\ ?10\ ?\*\*\ ?(?: \(\ ?(?P<p>[+-]?\ ?[0-9]+)\ ?\) | (?P<q>[+-]?[0-9]+) ) )?
    (?P<pct>\ ?%)?
    """,
    re.ASCII | re.VERBOSE,
)
# A remark: words (letters first, or a parenthesis), spaces and a little punctuation; no operators.
_REMARK = re.compile(r"""[^\W\d_][\w .,;:!?'"()/%-]*|\([\w .,;:!?'"()/%-]*""")
_WORD = re.compile(r"[^\W\d_]\w*")
_DECIMAL = re.compile(r"[0-9][.,][0-9]")  # a second number in the remark: "0.5 or 0.6"
_ASIDE = re.compile(r"\([^()]*\)")  # a parenthesis in a remark: "(4 d.p.)"
# A number right before a parenthesis (not the end of a name such as out_o1): a product.
_PRODUCT = re.compile(r"(?<![\w.])((?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?) ?\(")


def _peel_label(s: str) -> tuple[str | None, str]:
    """(the name typed before the answer or None, the rest)."""
    m = _LABEL.fullmatch(s)
    if m is not None and not keyword.iskeyword(m["name"]):  # "lambda: 1" is not a label
        return m["name"], m["rest"]
    m = _RELATION.fullmatch(s)
    return None, (s if m is None else m["rest"])


def _is_remark(rest: str, names: Collection[str]) -> bool:
    """Whether the text after a number is words to ignore: it starts with a letter (after a
    space) or with a parenthesis that holds a word, has no operator, no second decimal
    number, no digit outside parentheses ("1.2 x 10", "1 if 1 else 2") and no name of the
    answer's symbols or functions."""
    text = rest.lstrip()
    if _REMARK.fullmatch(text) is None or _DECIMAL.search(text):
        return False
    if any(c.isdigit() for c in _ASIDE.sub("", text)):
        return False
    if text[0] != "(" and not rest.startswith(" "):  # 2x is not "2, remark x"
        return False
    words = _WORD.findall(text)
    if any(w in names for w in words) or words[:1] in (["x"], ["X"]):  # 1.2 x 10 is a product
        return False
    if text[0] == "(":  # (rounded) is a remark, (1-0.5440) is arithmetic
        inner = text[1:].partition(")")[0]
        return any(len(w) > 1 for w in _WORD.findall(inner))
    return True


def _number(s: str, names: Collection[str]) -> tuple[str, str | None, bool] | None:
    """(the literal, the remark, whether a percent) when ``s`` is one number, maybe with a
    remark after it; else None."""
    m = _HEAD.match(s)
    if m is None:
        return None
    rest = s[m.end() :]
    if rest and not _is_remark(rest, names):
        return None
    exp10 = (m["e"] or m["p"] or m["q"] or "").replace(" ", "")
    literal = m["sign"] + m["mant"].replace(",", ".") + (f"e{exp10}" if exp10 else "")
    return literal, (rest.strip() or None), m["pct"] is not None


def read_notation(text: str, names: Collection[str] = ()) -> Reading:
    """Take the notation around a typed answer apart. ``names`` are the symbols and
    functions the answer may use (a word among them is not a remark)."""
    label, s = _peel_label(normalize(text))
    if len(s) > 1 and s.endswith(".") and (s[-2].isdigit() or s[-2] in ")%"):
        s = s[:-1]  # a full stop: -0.0036.
    number = _number(s, names)
    if number is not None:
        literal, remark, percent = number
        return Reading(s, literal, label, remark, percent)
    return Reading(_PRODUCT.sub(r"\1*(", s), None, label)
