"""What the browser's marking reads: one worksheet's step graph compiled to JavaScript, and
per variant only its numbers.

Practise mode marks in the browser by the rules of :class:`derive.teach.marking.Checker`.
Nothing that is a rule is decided again in JavaScript where it can be read from here: the
verdict words, the precision standard and its remarks (by places and significant figures,
from :func:`derive.teach.precision.grade`), the tolerances, the misconception catalogue's
rewrites of each step (compiled like the step's formula), their names, titles and
feedback sentences, the whitelist of the answer reader (functions, spellings, caps, Python's
keywords).

The payload (JSON) holds:

- ``rules``: verdicts, credit options, the standard, the grade table, epsilon, sentences;
- ``reader``: the whitelist the JavaScript answer reader (``mark.js``) follows;
- ``names``: every given symbol and step id (the order of each variant's ``key``);
- ``order``: the questions in graph order (a step's inputs are marked before it);
- ``questions``: number, step id, wording, points, in question order;
- ``steps``: per step id its ``deps``, the index of its formula's function ``f``, its
  derivatives ``d`` by each input, its rounding slips ``slips`` and misconceptions ``mis``
  as [name, function] pairs, ``msg`` (name -> feedback) and ``vars`` (its formula's symbols);
- ``titles``: misconception name -> title;
- ``variants``: per variant its ``id``, ``key`` (float per name), and per question step
  ``drift``, ``short`` (the exact key as a float when it is a short decimal), ``whole``,
  ``rational`` ("p/q" when the exact key is rational), ``unit`` (0 <= key <= 1), and the
  ``givens`` the sheet prints ([label, text] pairs: never a blank or anything computed
  from one, :func:`derive.teach.worksheet.givens`).

The functions themselves are JavaScript source (``fns``), kept apart from the JSON.
"""

from __future__ import annotations

import keyword
import math

from derive.model.numbers import is_short_decimal
from derive.model.syntax import CALLS, MAX_BITS, MAX_DEPTH, MAX_DIGITS, MAX_EXPONENT, MAX_LENGTH, MAX_NODES, SPELLINGS
from derive.present.jscode import js_function
from derive.present.numbers import fmt
from derive.teach import marking
from derive.teach.agreement import EPSILON, half_unit
from derive.teach.diagnosis import EXPRESSION_MISCONCEPTIONS, MISCONCEPTIONS, NOISE, ROUNDING, TRUNCATED
from derive.teach.misconceptions import CATALOGUE
from derive.teach.precision import FULL_SIGFIGS, Standard, Stated, grade
from derive.teach.results import SYMBOL, VERDICTS, Options
from derive.teach.work import derivative
from derive.teach.worksheet import Worksheet, givens, is_expression_graph

#: Decimal places the tables of half units and powers of ten cover (the browser computes
#: a half unit beyond them itself: too small to matter; beyond 15 places nothing is cut).
_PLACES = 31


class Functions:
    """JavaScript function sources, each kept once (many derivatives are alike)."""

    def __init__(self) -> None:
        self.sources: list[str] = []
        self._index: dict[str, int] = {}

    def add(self, expr) -> int:
        src = js_function(expr)
        if src not in self._index:
            self._index[src] = len(self.sources)
            self.sources.append(src)
        return self._index[src]


def grade_table(standard: Standard, options: Options) -> dict[str, list]:
    """places -> [factor, remark] for 0, 1, 2 and 3 or more significant figures, for every
    number of places below the standard (:func:`derive.teach.precision.grade` decides)."""
    table = {}
    for places in range(standard.decimals):
        row = []
        for figures in range(FULL_SIGFIGS + 1):
            v = 0.0 if figures == 0 else 10.0 ** (figures - places - 1)
            g = grade(Stated(v, places, False), standard, options.imprecise_credit)
            row.append([g.factor, g.remark])
        table[str(places)] = row
    return table


def rules(ws: Worksheet, options: Options) -> dict:
    standard = Standard(ws.spec.decimals)
    return {
        "verdicts": list(VERDICTS),
        "symbols": SYMBOL,
        "decimals": standard.decimals,
        "epsilon": EPSILON,
        "noise": NOISE,
        "options": {
            "follow_through_credit": options.follow_through_credit,
            "imprecise_credit": options.imprecise_credit,
            "slip_penalty": options.slip_penalty,
            "rtol": options.rtol,
        },
        "grades": grade_table(standard, options),
        "half": [half_unit(p) for p in range(_PLACES)],
        "pow10": [10.0**p for p in range(_PLACES)],
        "truncated": {"name": TRUNCATED.name, "message": TRUNCATED.message(None, None)},
        "text": {
            "carried": marking.CARRIED,
            "then_cut": marking.THEN_CUT,
            "several": marking.SEVERAL,
            "percent": marking.NOT_A_PROPORTION,
            "follows": marking.FOLLOWS,
        },
    }


def reader(symbols: list[str]) -> dict:
    """The whitelist of :mod:`derive.model.syntax` and :mod:`derive.teach.notation`."""
    return {
        "calls": list(CALLS),
        "spellings": SPELLINGS,
        "keywords": keyword.kwlist,
        "symbols": symbols,
        "caps": {
            "length": MAX_LENGTH,
            "depth": MAX_DEPTH,
            "nodes": MAX_NODES,
            "exponent": MAX_EXPONENT,
            "digits": MAX_DIGITS,
            "bits": MAX_BITS,
        },
    }


def _step_code(g, st, fns: Functions, asked: bool) -> dict:
    """One step's compiled formula and, when it is asked, what marking it needs."""
    out: dict = {"deps": list(st.deps), "f": fns.add(st.formula), "vars": sorted(map(str, st.formula.free_symbols))}
    if not asked:
        return out
    out["d"] = {dep: fns.add(derivative(g, st, dep)) for dep in st.deps}
    catalogue = EXPRESSION_MISCONCEPTIONS if is_expression_graph(g) else MISCONCEPTIONS
    msg = {}
    for key, entries in (("slips", ROUNDING), ("mis", catalogue)):
        pairs = []
        for m in entries:
            alts = m.alternatives(g, st, None, g.spec.decimals)
            pairs += [[m.name, fns.add(a)] for a in alts]
            if alts:
                msg[m.name] = m.message(g, st)
        out[key] = pairs
    out["msg"] = msg
    out["formula"] = str(st.formula)
    return out


def _float(v) -> float | None:
    f = float(v)
    return f if math.isfinite(f) else None


def _plain(text: str) -> str:
    """A number fmt wrote for LaTeX (``2 \\times 10^{308}``), in plain text."""
    return text.replace(" \\times 10^{", "×10^").replace("}", "")


def variant_data(ws: Worksheet, v, names: list[str]) -> dict:
    g = v.graph
    key = {str(s): val for s, val in g.given.items()} | {s.id: s.value for s in g}
    asked = [g[sid] for sid in ws.blanks]
    shown = [(str(s), fmt(val, ws.spec.decimals, True)) for s, val in g.given.items()]
    shown += [(sid, fmt(g[sid].value, ws.spec.decimals)) for sid in givens(g, ws.blanks, ws.given)]
    return {
        "id": v.id,
        "key": [_float(key[n]) for n in names],
        "drift": [_float(abs(float(s.value) - float(s.exact))) for s in asked],
        "short": [float(s.exact) if is_short_decimal(s.exact) else None for s in asked],
        "whole": [bool(s.exact.is_Integer) for s in asked],
        "rational": [f"{s.exact.p}/{s.exact.q}" if s.exact.is_Rational else None for s in asked],
        "unit": [bool(0 <= float(s.exact) <= 1) for s in asked],
        "givens": [[label, _plain(text)] for label, text in shown],
    }


def practise_data(ws: Worksheet, options: Options | None = None) -> tuple[dict, list[str]]:
    """(the JSON payload, the JavaScript function sources) of a worksheet's practise mode.

    >>> from derive.model.spec import load_spec
    >>> from derive.teach.worksheet import build_worksheet
    >>> data, fns = practise_data(build_worksheet(load_spec("worked/four.yaml"), "four", 2, blanks="out_h1"))
    >>> data["questions"][0]["id"], len(data["variants"]), fns[data["steps"]["out_h1"]["f"]]
    ('out_h1', 2, 'function(e){return F.sigma(e.net_h1);}')
    """
    options = options or Options()
    base = ws.variants[0].graph
    fns = Functions()
    names = [str(s) for s in base.given] + [s.id for s in base]
    symbols = {str(s): str(s) for s in base.given} | {s.id: str(s.symbol) for s in base}
    questions = ws.questions(ws.variants[0])
    asked = set(ws.blanks)
    steps = {st.id: _step_code(base, st, fns, st.id in asked) for st in base}
    data = {
        "rules": rules(ws, options),
        "reader": reader(sorted(symbols)),
        "names": names,
        "order": [sid for sid in base.ids if sid in asked],
        "questions": [{"n": q.number, "id": q.id, "text": q.text, "points": q.points} for q in questions],
        "steps": steps,
        "titles": {m.name: m.title for m in CATALOGUE},
        "variants": [variant_data(ws, v, names) for v in ws.variants],
    }
    return data, fns.sources
