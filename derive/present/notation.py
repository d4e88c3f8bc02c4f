"""LaTeX for the step graph's symbols and formulas, and escaping for user text.

Every symbol's LaTeX is made here from what the graph records about it: a step's id parts
(:class:`~derive.model.names.StepId`: kind, node or parameter, sample) and a given number's
role (:class:`~derive.graph.steps.Given`), with spec names written by :func:`latex_name`.
The graph itself holds no LaTeX.

The printer (a SymPy ``LatexPrinter`` subclass) knows every symbol's LaTeX name
(``net_h1`` -> ``\\mathrm{net}_{h1}``) and, in substituted mode, prints a symbol as its
number instead, parenthesised when negative, so ``w_9 - \\eta g`` becomes
``0.6 - 0.1 \\cdot (-0.049)``. The project's own functions (sigma, ReLU, softplus, ...)
print under the name each declares (``notation``).

>>> import sympy as sp
>>> a, b = sp.symbols("a b")
>>> Printer({a: r"\\alpha"}).doprint(sp.Mul(a, b, evaluate=False))
'\\\\alpha \\\\cdot b'
>>> Printer({}, values={a: sp.Rational(-1, 2), b: 2}, decimals=2).doprint(sp.Mul(a, b, evaluate=False))
'\\\\left(-0.50\\\\right) \\\\cdot 2.00'
>>> step_latex(StepId("dout_dnet", "h1", 1))
'\\\\frac{\\\\partial \\\\mathrm{out}_{h1}^{(2)}}{\\\\partial \\\\mathrm{net}_{h1}^{(2)}}'
>>> latex_name("w2_1_3"), latex_name("w2_10_3"), latex_name("b_h1"), latex_name("theta1")
('w^{(2)}_{13}', 'w^{(2)}_{10,3}', 'b_{h1}', '\\\\theta_{1}')
>>> tex_escape(r"\\input{/etc/passwd} 100% & _")
'\\\\textbackslash{}input\\\\{/etc/passwd\\\\} 100\\\\% \\\\& \\\\_'
"""

from __future__ import annotations

import re

import yaml
from sympy.printing.latex import LatexPrinter

from derive.graph.functions import NodeFunction
from derive.graph.steps import Given
from derive.model.names import StepId
from derive.present.numbers import fmt

#: Sums with more terms than this are printed with the middle elided.
MAX_TERMS = 8


_GREEK = {
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "theta",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "rho",
    "sigma",
    "tau",
    "phi",
    "chi",
    "psi",
    "omega",
}


def latex_name(name: str) -> str:
    """LaTeX for a spec name: ``w9`` -> ``w_{9}``, ``b_h1`` -> ``b_{h1}``, ``w2_1_3`` ->
    ``w^{(2)}_{13}`` (a comma only between indices of several digits: ``w^{(2)}_{10,3}``),
    ``theta1`` -> ``\\theta_{1}``."""

    def base(b):
        return "\\" + b if b in _GREEK else (b if len(b) == 1 else r"\mathrm{%s}" % b)

    m = re.fullmatch(r"w(\d+)_(\d+)_(\d+)", name)
    if m:
        l, j, k = m.groups()
        sep = "," if len(j) > 1 or len(k) > 1 else ""
        return f"w^{{({l})}}_{{{j}{sep}{k}}}"
    m = re.fullmatch(r"([A-Za-z]+?)(\d+)", name) or re.fullmatch(r"([A-Za-z]+)_([A-Za-z0-9_]+)", name)
    if m:
        return f"{base(m.group(1))}_{{{m.group(2).replace('_', ',')}}}"
    return base(name.replace("_", r"\_"))


def _sup(sample: int | None, update: int | None = None) -> str:
    """The superscript of a per-sample quantity, ``^{(2)}`` for sample index 1, and of a
    quantity of update t >= 2 of an unrolled ``steps: N``, ``^{[t]}``."""
    marks = ("" if sample is None else "(%d)" % (sample + 1)) + ("" if not update else "[%d]" % (update + 1))
    return "^{%s}" % marks if marks else ""


#: An optimizer's state steps: m_{w_1}, v_{w_1}, \hat m_{w_1}, \hat v_{w_1}; the change Delta w_1.
_STATE = {"m": "m", "v": "v", "mhat": r"\hat m", "vhat": r"\hat v"}
#: The LaTeX of the optimizer settings' and the weight decay's symbols.
SETTING_LATEX = {
    "beta": r"\beta",
    "rho": r"\rho",
    "beta1": r"\beta_1",
    "beta2": r"\beta_2",
    "eps": r"\epsilon",
    "lam": r"\lambda",
}


def step_latex(sid: StepId, top: str = "J", inputs=()) -> str:
    """The LaTeX of a step, from its id's parts. ``top`` is what the gradients differentiate
    (the loss J, or with ``loss: none`` the output); a gradient whose subject is one of
    ``inputs`` is by that sample's input. A forward step at the updated parameters carries
    "after" beside its sample (``\\mathrm{out}_{o1}^{(2)\\,\\text{after}}``); a parameter's
    value after update t >= 2 of an unrolled ``steps: N`` is ``w_1^{[t]}``.

    >>> print(step_latex(StepId("grad", "x0", 1), inputs=("x0",)), step_latex(StepId("new", "w1", 1)))
    \\frac{\\partial J^{(2)}}{\\partial x_{0}^{(2)}} w_{1}^{\\text{new}\\,(2)}
    >>> step_latex(StepId("mhat", "w1", update=1)), step_latex(StepId("new", "w1", update=2))
    ('\\\\hat m_{w_{1}}^{[2]}', 'w_{1}^{[3]}')
    """
    n, sup = sid.subject or "", _sup(sid.sample, sid.update)  # only the loss has no subject
    if sid.kind == "grad":
        own = top + sup if top == "J" else top
        return r"\frac{\partial %s}{\partial %s}" % (own, latex_name(n) + (sup if n in inputs else ""))
    if sid.kind in _STATE:
        return r"%s_{%s}%s" % (_STATE[sid.kind], latex_name(n), sup)
    if sid.kind == "change":
        return r"\Delta %s%s" % (latex_name(n), sup)
    if sid.kind == "new":
        if sid.update:
            return _marked(n, "[%d]" % (sid.update + 1))
        return _marked(n, r"\text{new}" + ("" if sid.sample is None else r"\,(%d)" % (sid.sample + 1)))
    if sid.after:
        marks = ("" if sid.sample is None else "(%d)" % (sid.sample + 1)) + (
            "[%d]" % (sid.update + 1) if sid.update else ""
        )
        sup = "^{%s\\text{after}}" % (marks + "\\," if marks else "")
    return {
        "net": r"\mathrm{net}_{%s}%s" % (n, sup),
        "out": r"\mathrm{out}_{%s}%s" % (n, sup),
        "loss": "J" + sup,
        "dloss_dout": r"\frac{\partial J%s}{\partial \mathrm{out}_{%s}%s}" % (sup, n, sup),
        "dout_dnet": r"\frac{\partial \mathrm{out}_{%s}%s}{\partial \mathrm{net}_{%s}%s}" % (n, sup, n, sup),
        "delta": r"\delta_{%s}%s" % (n, sup),
    }[sid.kind]


def differentiated(spec) -> str:
    """The LaTeX of what the gradients differentiate: the loss J, or the single output."""
    return "J" if spec.learning_rate is not None else r"\mathrm{out}_{%s}" % spec.outputs[0]


def _marked(name: str, mark: str) -> str:
    """A parameter with a superscript mark: ``w_{1}^{\text{new}}``, ``{w^{(2)}_{13}}^{[2]}``."""
    tex = latex_name(name)
    return r"{%s}^{%s}" % (tex, mark) if "^" in tex else r"%s^{%s}" % (tex, mark)


def given_latex(given: Given) -> str:
    """The LaTeX of a given number: a parameter, an input or target (of one sample), eta."""
    if given.role == "rate":
        return r"\eta"
    if given.role == "setting":
        return SETTING_LATEX[given.subject]
    if given.role == "target":
        return r"y_{%s}%s" % (given.subject, _sup(given.sample))
    return latex_name(given.subject) + _sup(given.sample)


def symbol_names(graph) -> dict:
    """Every symbol of ``graph`` (steps and given numbers) -> its LaTeX."""
    names = {graph.leaves[name]: given_latex(g) for name, g in graph.givens.items()}
    top, inputs = differentiated(graph.spec), tuple(graph.spec.inputs)
    names.update({st.symbol: step_latex(st.sid, top, inputs) for st in graph})
    if any(st.update for st in graph):  # an unrolled steps: N numbers every new value: w^{[1]}, w^{[2]}, ...
        names.update({st.symbol: _marked(st.subject, "[1]") for st in graph if st.kind == "new" and st.update is None})
    return names


def _arg(printer, x) -> str:
    """A function's argument in LaTeX without a redundant outer pair of parentheses (a
    negative number substituted into sigma(net) prints as sigma(-0.5), not sigma((-0.5)))."""
    s = printer._print(x)
    if s.startswith(r"\left(") and s.endswith(r"\right)"):
        inner, depth = s[6:-7], 0
        for i in range(len(inner)):
            if inner.startswith(r"\left(", i):
                depth += 1
            elif inner.startswith(r"\right)", i):
                depth -= 1
                if depth < 0:
                    return s
        return inner
    return s


def _slope(printer, a) -> str:
    """A leaky-ReLU slope as the decimal a teacher wrote (0.1, not 1/10)."""
    if a.is_Rational and a.q in (1, 2, 4, 5, 8, 10, 20, 25, 50, 100, 1000):
        return f"{float(a):g}"
    return printer._print(a)


class Printer(LatexPrinter):
    """Formulas in the spec's notation; with ``values``, numbers in place of symbols."""

    def __init__(self, names: dict, values: dict | None = None, decimals: int = 3, given=()):
        super().__init__({"order": "none", "mul_symbol": "dot"})
        self.names = names
        self.values = values or {}
        self.decimals = decimals
        self.given = given  # symbols whose numbers were given: printed as typed

    def _print_Symbol(self, expr, style="plain"):
        if expr in self.values:
            s = fmt(self.values[expr], self.decimals, expr in self.given)
            return r"\left(%s\right)" % s if s.startswith("-") else s
        if expr in self.names:
            return self.names[expr]
        return super()._print_Symbol(expr, style)

    def _print_Rational(self, expr):
        if self.values and expr.q != 1:  # constants inside substituted formulas stay fractions
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

    def _print_Pow(self, expr):
        # a symbol written as a fraction (a gradient, dJ/dw) squared needs its parentheses,
        # which SymPy leaves out for a symbol: (dJ/dw)^2, not dJ/dw^2
        b = expr.base
        if b.is_Symbol and b not in self.values and expr.exp.is_Integer and r"\frac" in self.names.get(b, ""):
            return r"\left(%s\right)^{%s}" % (self.names[b], self._print(expr.exp))
        return super()._print_Pow(expr)

    def _print_Function(self, expr, exp=None):
        # SymPy's dispatch skips intermediate classes of a Function, so ours are caught here
        if not isinstance(expr, NodeFunction):
            return super()._print_Function(expr, exp)
        name = expr.notation
        if len(expr.args) > 1:  # a parameter of the function (a slope) as a subscript
            name += "_{%s}" % _slope(self, expr.args[1])
        s = r"%s\left(%s\right)" % (name, _arg(self, expr.args[0]))
        return s if exp is None else r"%s^{%s}" % (s, exp)

    def _print_exp(self, expr, exp=None):
        return r"e^{%s}" % _arg(self, expr.args[0])

    def _print_tanh(self, expr, exp=None):
        s = r"\tanh\left(%s\right)" % _arg(self, expr.args[0])
        return s if exp is None else r"\tanh^{%s}\left(%s\right)" % (exp, _arg(self, expr.args[0]))


_TEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "#": r"\#",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_TEX_RE = re.compile("|".join(re.escape(k) for k in _TEX_SPECIAL))
#: Characters pdflatex (with inputenc utf8 and T1) cannot typeset directly.
_UNICODE = {
    "×": r"$\times$",
    "σ": r"$\sigma$",
    "η": r"$\eta$",
    "δ": r"$\delta$",
    "→": r"$\to$",
    "′": r"$'$",
    "½": r"$\tfrac12$",
    "±": r"$\pm$",
    "∂": r"$\partial$",
    "ŷ": r"$\hat y$",
    "Σ": r"$\Sigma$",
    "−": "-",
    "≤": r"$\le$",
    "≥": r"$\ge$",
    "·": r"$\cdot$",
    "²": r"$^2$",
    "…": r"\ldots{}",
}


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


def yaml_scalar(text: str) -> str:
    """``text`` as a YAML scalar that reads back as written, whatever it holds: plain when
    it reads back so (``four-d2-s7-v01``), else double-quoted (a spec's file name in a
    variant id: ``homework #2``, ``Week 3: backprop``).

    >>> yaml_scalar("four-d2-s7-v01"), yaml_scalar("homework #2-d2-s1-v01")
    ('four-d2-s7-v01', '"homework #2-d2-s1-v01"')
    """
    text = str(text)
    try:
        if text.isprintable() and yaml.safe_load(f"v: {text}") == {"v": text}:
            return text
    except yaml.YAMLError:
        pass
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif c.isprintable():
            out.append(c)
        else:
            out.append(f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}")
    return '"' + "".join(out) + '"'
