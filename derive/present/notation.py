"""LaTeX for formulas (a SymPy ``LatexPrinter`` subclass) and escaping for user text.

The printer knows every symbol's LaTeX name (``net_h1`` -> ``\\mathrm{net}_{h1}``) and,
in substituted mode, prints a symbol as its number instead, parenthesised when
negative, so ``w_9 - \\eta g`` becomes ``0.6 - 0.1 \\cdot (-0.049)``.

>>> import sympy as sp
>>> a, b = sp.symbols("a b")
>>> Printer({a: r"\\alpha"}).doprint(sp.Mul(a, b, evaluate=False))
'\\\\alpha \\\\cdot b'
>>> Printer({}, values={a: sp.Rational(-1, 2), b: 2}, decimals=2).doprint(sp.Mul(a, b, evaluate=False))
'\\\\left(-0.50\\\\right) \\\\cdot 2.00'
>>> tex_escape(r"\\input{/etc/passwd} 100% & _")
'\\\\textbackslash{}input\\\\{/etc/passwd\\\\} 100\\\\% \\\\& \\\\_'
"""
from __future__ import annotations

import re

from sympy.printing.latex import LatexPrinter

from derive.graph.activations import _arg
from derive.graph.steps import fmt

#: Sums with more terms than this are printed with the middle elided.
MAX_TERMS = 8


class Printer(LatexPrinter):
    """Formulas in the spec's notation; with ``values``, numbers in place of symbols."""

    def __init__(self, names: dict, values: dict | None = None, decimals: int = 3, given=()):
        super().__init__({"order": "none", "mul_symbol": "dot"})
        self.names = names
        self.values = values or {}
        self.decimals = decimals
        self.given = given           # symbols whose numbers were given: printed as typed

    def _print_Symbol(self, expr, style="plain"):
        if expr in self.values:
            s = fmt(self.values[expr], self.decimals, expr in self.given)
            return r"\left(%s\right)" % s if s.startswith("-") else s
        if expr in self.names:
            return self.names[expr]
        return super()._print_Symbol(expr, style)

    def _print_Rational(self, expr):
        if self.values and expr.q != 1:   # constants inside substituted formulas stay fractions
            return r"\tfrac{%d}{%d}" % (expr.p, expr.q) if expr.p > 0 else r"-\tfrac{%d}{%d}" % (-expr.p, expr.q)
        return super()._print_Rational(expr)

    def _print_Add(self, expr, order=None):
        if len(expr.args) <= MAX_TERMS:
            return super()._print_Add(expr, order="none")
        shown = list(expr.args[:3]) + [None] + [expr.args[-1]]
        out = ""
        for term in shown:
            s = r"\cdots" if term is None else self._print(term)
            if not out:
                out = s
            elif s.startswith("-"):
                out += " - " + s[1:]
            else:
                out += " + " + s
        return out

    def _print_exp(self, expr, exp=None):
        return r"e^{%s}" % _arg(self, expr.args[0])

    def _print_tanh(self, expr, exp=None):
        s = r"\tanh\left(%s\right)" % _arg(self, expr.args[0])
        return s if exp is None else r"\tanh^{%s}\left(%s\right)" % (exp, _arg(self, expr.args[0]))


_TEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "#": r"\#", "$": r"\$", "%": r"\%",
    "&": r"\&", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
_TEX_RE = re.compile("|".join(re.escape(k) for k in _TEX_SPECIAL))
#: Characters pdflatex (with inputenc utf8 and T1) cannot typeset directly.
_UNICODE = {"×": r"$\times$", "σ": r"$\sigma$", "η": r"$\eta$", "δ": r"$\delta$", "→": r"$\to$", "′": r"$'$",
            "½": r"$\tfrac12$", "±": r"$\pm$", "∂": r"$\partial$", "ŷ": r"$\hat y$", "Σ": r"$\Sigma$",
            "−": "-", "≤": r"$\le$", "≥": r"$\ge$", "·": r"$\cdot$", "²": r"$^2$", "…": r"\ldots{}"}


def tex_escape(text: str) -> str:
    """Make user text safe to typeset: every LaTeX special becomes a literal character."""
    out = _TEX_RE.sub(lambda m: _TEX_SPECIAL[m.group()], str(text))
    out = "".join(_UNICODE.get(c, c) for c in out)
    # anything outside Latin-1 that we do not map would stop pdflatex: show it as '?'
    return "".join(c if ord(c) < 0x250 else "?" for c in out)


_MD_RE = re.compile(r"([\\`*_{}\[\]<>#+!|$~])")


def md_escape(text: str) -> str:
    """User text for Markdown: no accidental emphasis, links, HTML or math."""
    return _MD_RE.sub(r"\\\1", str(text))
