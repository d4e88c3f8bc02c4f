"""Formulas as plain text for feedback sentences, and what one sheet says about a step.

Feedback is shown to students in text, Markdown and JSON reports, so formulas are written
in plain Unicode with the sheet's own step ids (``out_o1``, ``y_o1``, ``net_h1``): ``½``
for a half, ``²`` for a square, ``−`` for minus, ``σ`` for the sigmoid, ``ln`` for the
natural logarithm, ``·`` between factors (a number directly before its factor:
``2(out_o1 − y_o1)``) and a sum's positive terms first (``y_o1 − out_o1``, not SymPy's
``-out_o1 + y_o1``). Nothing here restates a loss or an activation: the formulas come from
their objects in :mod:`derive.graph.functions`, evaluated on the sheet's symbols.

>>> import sympy as sp
>>> from derive.graph.functions import LOSSES
>>> out, y = sp.symbols("out_o1 y_o1")
>>> plain(LOSSES["half-sse"].expr([out], [y])), plain(sp.factor_terms(LOSSES["mse"].derivative([out], [y], 0)))
('½(y_o1 − out_o1)²', '2(out_o1 − y_o1)')
>>> plain(LOSSES["bce"].expr([out], [y]))
'−y_o1·ln(out_o1) − (1 − y_o1)·ln(1 − out_o1)'
"""

from __future__ import annotations

import re
import weakref

import sympy as sp
from sympy.printing.str import StrPrinter

from derive.graph.functions import Activation, NodeFunction, sigma

_VULGAR = {2: "½", 3: "⅓", 4: "¼", 5: "⅕", 8: "⅛"}
_SUPER = {2: "²", 3: "³"}
_NAMES = {"log": "ln", "sigma": "σ", "relu": "ReLU", "leaky_relu": "LReLU"}
_SYMBOLS = {"eta": "η"}


def _negative(e) -> bool:
    return e.could_extract_minus_sign() if e.is_Add else e.as_coeff_Mul()[0].is_negative


class _Plain(StrPrinter):
    """SymPy's str printer with the conventions of the module's docstring."""

    def _print_Symbol(self, e):
        return _SYMBOLS.get(e.name, e.name)

    def _print_Rational(self, e):
        if e.p == 1 and e.q in _VULGAR:
            return _VULGAR[e.q]
        return self._print_Float(sp.Float(e, 15)) if 10**15 % e.q == 0 else f"{e.p}/{e.q}"

    def _print_Float(self, e):
        return f"{float(e):g}"

    def _print_Add(self, e, order=None):
        terms = sorted(e.args, key=_negative)  # (stable: positive terms first, as built)
        out = ""
        for t in terms:
            neg = _negative(t)
            body = self._print(-t if neg else t)
            out += (" − " if neg else " + ") + body if out else ("−" if neg else "") + body
        return out

    def _factor(self, f) -> str:
        s = self._print(f)
        return f"({s})" if f.is_Add or _negative(f) else s

    def _print_Mul(self, e):
        c, rest = e.as_coeff_Mul()
        if c.is_negative:
            return "−" + self._factor(-e) if (-e).is_Add else "−" + self._print(-e)
        num, den = sp.fraction(rest, exact=True)
        factors = [self._factor(f) for f in sp.Mul.make_args(num) if f != 1]
        text = "·".join(factors)
        if c != 1:
            lead = self._print(c)
            text = lead + text if not text or text.startswith("(") or lead in _VULGAR.values() else f"{lead}·{text}"
        if den != 1:
            d = self._factor(den)
            text = f"{text or '1'}/{f'({d})' if den.is_Mul and not d.startswith('(') else d}"
        return text or "1"

    def _print_Pow(self, e, rational=False):
        if e.exp.is_negative:
            return self._print_Mul(sp.Mul(e, evaluate=False))
        base = self._print(e.base)
        if e.base.is_Add or e.base.is_Mul or e.base.is_Pow:
            base = f"({base})"
        return base + _SUPER[int(e.exp)] if e.exp in _SUPER else f"{base}^{self._print(e.exp)}"

    def _print_exp(self, e):
        arg = self._print(e.args[0])
        return f"e^{arg}" if e.args[0].is_Symbol else f"e^({arg})"

    def _print_Function(self, e):
        name = type(e).__name__
        return f"{_NAMES.get(name, name)}({', '.join(self._print(a) for a in e.args)})"

    def _print_Piecewise(self, e):
        (first, cond), *rest = e.args
        return f"{self._print(first)} for {self._print(cond)}, else {self._print(rest[-1][0])}"

    def _print_StrictGreaterThan(self, e):
        return f"{self._print(e.lhs)} > {self._print(e.rhs)}"


_PRINTER = _Plain()


def plain(expr) -> str:
    """A formula in plain text (see the module's docstring)."""
    return _PRINTER.doprint(sp.sympify(expr))


def plain_cases(expr) -> str:
    """A formula with the project's piecewise functions (ReLU's step) written out by their
    definitions: ``1 for net_h1 > 0, else 0``."""
    return plain(expr.replace(lambda e: isinstance(e, NodeFunction) and e.func != sigma, _elementary))


def _elementary(e):
    return e.elementary(*e.args)


def function_name(act: Activation) -> str:
    """An activation's name as a reader sees it (σ, tanh, ReLU), from its LaTeX."""
    tex = re.sub(r"\\operatorname\{(.*)\}", r"\1", act.latex)
    return {r"\sigma": "σ", r"\tanh": "tanh"}.get(tex, tex)


# ---- the steps of one node or one sample, by the graph's structure (kind, layer, node, sample)

_INDEX: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def index(g) -> dict:
    """(kind, layer, node, sample) -> step, and ("loss", sample) -> the sample's loss, once per graph."""
    ix = _INDEX.get(g)
    if ix is None:
        ix = {}
        for s in g:
            # a forward step at the updated parameters (show: [after]) is kept apart from its
            # namesake before the update, under a key that ends in "after"
            ix[(s.kind, s.layer, s.node, s.sample) + (("after",) if s.after else ())] = s
            if s.kind == "loss" and not s.after:
                ix.setdefault(("loss", s.sample), s)
        _INDEX[g] = ix
    return ix


def node_step(g, st, kind: str):
    """The step of ``kind`` of the same node and sample as ``st`` (None when there is none)."""
    return index(g).get((kind, st.layer, st.node, st.sample) + (("after",) if st.after else ()))


def outputs(g, sample) -> tuple[list, list]:
    """The output-layer ``out`` symbols of ``sample`` and their target symbols, node by node."""
    L = len(g.spec.layers) - 1
    ix = index(g)
    outs = [ix[("out", L, j, sample)].symbol for j in range(g.spec.layers[L].size)]
    one = sample if len(g.spec.samples) > 1 else None
    targets = {t.subject: g.leaves[t.name] for t in g.givens.values() if t.role == "target" and t.sample == one}
    return outs, [targets[n] for n in g.spec.layers[L].nodes]
