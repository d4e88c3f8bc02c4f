r"""MathML Core from the LaTeX our printer and documents write, for the web page.

Chromium, Firefox and Safari render MathML Core natively, so the page needs no JavaScript
math library and no fonts. The converter knows exactly the LaTeX that
:mod:`derive.present.notation` and the documents emit (fractions, ``\mathrm``, ``\left``/
``\right``, scripts, Greek letters, ``\hat``, ``\sqrt``, ``\text``, ``aligned``, ...) and
refuses anything else with :class:`ValueError`, so that a new command fails the tests
(every worked example's page is built in them) instead of showing raw LaTeX.

>>> to_mathml(r"\mathrm{out}_{h1} = \sigma\left(0.376\right)")  # doctest: +ELLIPSIS
'<math><msub><mi>out</mi><mrow><mi>h</mi><mn>1</mn></mrow></msub><mo>=</mo><mi>σ</mi><mrow><mo fence...'
>>> to_mathml(r"\frac{\partial J}{\partial w_{1}}", display=True)  # doctest: +ELLIPSIS
'<math display="block"><mfrac><mrow><mi>∂</mi><mi>J</mi></mrow>...'
"""

from __future__ import annotations

import re
from html import escape

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\d+(?:\.\d+)?|\s+|.", re.S)

#: letters and symbols that stand as identifiers (upright capitals as TeX sets them)
_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε", "eta": "η",
    "theta": "θ", "lambda": "λ", "mu": "μ", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "ϕ", "pi": "π",
    "omega": "ω", "xi": "ξ", "partial": "∂", "infty": "∞", "ell": "ℓ", "nabla": "∇",
}  # fmt: skip
_UPRIGHT = {"Delta": "Δ", "Sigma": "Σ", "Gamma": "Γ", "Theta": "Θ", "Lambda": "Λ", "Phi": "Φ", "Omega": "Ω"}
_OPERATORS = {
    "cdot": "⋅", "times": "×", "pm": "±", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "neq": "≠",
    "approx": "≈", "leftarrow": "←", "rightarrow": "→", "to": "→", "gets": "←", "sum": "∑", "prod": "∏",
    "cdots": "⋯", "ldots": "…", "vdots": "⋮", "in": "∈", "mid": "|", "{": "{", "}": "}", "%": "%",
    "|": "‖", "lbrace": "{", "rbrace": "}", "langle": "⟨", "rangle": "⟩",
}  # fmt: skip
_FUNCTIONS = ("tanh", "log", "ln", "exp", "max", "min", "sin", "cos", "sinh", "cosh", "arg")
_SPACES = {"qquad": "2em", "quad": "1em", ",": "0.1667em", ";": "0.2778em", ":": "0.2222em", " ": "0.25em"}
_CHAR_OPS = set("+=()[],/|<>!':;?*")
#: parentheses set as written: Chromium spaces a stretchy or dictionary fence like an operator
_TIGHT = 'lspace="0" rspace="0" stretchy="false"'


def to_mathml(tex: str, display: bool = False) -> str:
    """``<math>`` for one LaTeX formula; ValueError for LaTeX outside the known set."""
    body = _Parser(tex).parse()
    return f'<math display="block">{body}</math>' if display else f"<math>{body}</math>"


class _Parser:
    def __init__(self, tex: str):
        self.tex = tex
        self.toks = [t for t in _TOKEN.findall(tex)]
        self.i = 0

    def fail(self, what: str) -> ValueError:
        return ValueError(f"cannot convert {what} in {self.tex!r} to MathML")

    def peek(self) -> str | None:
        while self.i < len(self.toks) and self.toks[self.i].isspace():
            self.i += 1
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> str:
        t = self.peek()
        if t is None:
            raise self.fail("an unfinished formula")
        self.i += 1
        return t

    def parse(self) -> str:
        out = self.row(stop=())
        if self.peek() is not None:
            raise self.fail(f"an unmatched {self.peek()!r}")
        return out

    def row(self, stop: tuple[str, ...]) -> str:
        """Atoms with their scripts up to (not including) a token in ``stop`` or the end."""
        items = []
        while (t := self.peek()) is not None and t not in stop:
            if t == "}":
                raise self.fail("an unmatched '}'")
            items.append(self.scripted())
        return "".join(items)

    def group(self) -> str:
        """A braced group, or the single atom after a command or script mark."""
        if self.peek() == "{":
            self.take()
            inner = self.row(stop=("}",))
            self.take()
            return f"<mrow>{inner}</mrow>"
        return self.atom()

    def raw_group(self) -> str:
        """The text of a braced group as written (for \\mathrm, \\text, \\begin)."""
        if self.take() != "{":
            raise self.fail("a command without its {argument}")
        depth, out = 1, list[str]()
        while True:
            if self.i >= len(self.toks):
                raise self.fail("an unclosed '{'")
            t = self.toks[self.i]
            self.i += 1
            depth += (t == "{") - (t == "}")
            if depth == 0:
                return "".join(out)
            out.append(t)

    def scripted(self) -> str:
        base = self.atom()
        sub = sup = None
        while self.peek() in ("_", "^"):
            mark = self.take()
            arg = self.group()
            if mark == "_":
                sub = arg
            else:
                sup = arg
        if sub and sup:
            return f"<msubsup>{base}{sub}{sup}</msubsup>"
        if sub:
            return f"<msub>{base}{sub}</msub>"
        return f"<msup>{base}{sup}</msup>" if sup else base

    def atom(self) -> str:
        t = self.take()
        if t == "{":
            self.i -= 1
            return self.group()
        if t.startswith("\\"):
            return self.command(t[1:])
        if t[0].isdigit():
            return f"<mn>{t}</mn>"
        if t.isalpha():
            return f"<mi>{escape(t)}</mi>"
        if t == "-":
            return self._minus()
        if t == "(":  # a group of its own, so that its parentheses are fences, not infix operators
            inner = self.row(stop=(")",))
            close = f"<mo {_TIGHT}>)</mo>" if self.peek() == ")" and self.take() else ""
            return f"<mrow><mo {_TIGHT}>(</mo>{inner}{close}</mrow>"
        if t in _CHAR_OPS:
            return f"<mo>{escape(t)}</mo>"
        if t == "&":  # an alignment point outside an aligned environment: nothing to show
            raise self.fail("'&' outside an aligned environment")
        raise self.fail(f"{t!r}")

    def _minus(self) -> str:
        """A sign (at the start, or after an operator) binds to what follows: -0.36, not - 0.36."""
        before = self.toks[: self.i - 1]
        while before and before[-1].isspace():
            before.pop()
        prev = before[-1] if before else "("
        if prev in _CHAR_OPS or prev in ("{", "&", r"\cdot", r"	imes", r"\left", "\\", "^", "_"):
            return f'<mrow><mo form="prefix">−</mo>{self.scripted() if self.peek() is not None else ""}</mrow>'
        return "<mo>−</mo>"

    def command(self, name: str) -> str:
        if name in _GREEK:
            return f"<mi>{_GREEK[name]}</mi>"
        if name in _UPRIGHT:
            return f'<mi mathvariant="normal">{_UPRIGHT[name]}</mi>'
        if name in _OPERATORS:
            return f"<mo>{escape(_OPERATORS[name])}</mo>"
        if name in _FUNCTIONS:
            return f"<mi>{name}</mi>"
        if name in _SPACES:
            return f'<mspace width="{_SPACES[name]}"/>'
        if name == "!":
            return ""
        handler = getattr(self, f"_cmd_{name}", None)
        if handler is None:
            raise self.fail(f"\\{name}")
        return handler()

    def _cmd_frac(self) -> str:
        return f"<mfrac>{self.group()}{self.group()}</mfrac>"

    def _cmd_tfrac(self) -> str:
        return f'<mstyle displaystyle="false" scriptlevel="0"><mfrac>{self.group()}{self.group()}</mfrac></mstyle>'

    def _cmd_dfrac(self) -> str:
        return f'<mstyle displaystyle="true"><mfrac>{self.group()}{self.group()}</mfrac></mstyle>'

    def _cmd_mathrm(self) -> str:
        text = self.raw_group()
        variant = ' mathvariant="normal"' if len(text) == 1 and text.isalpha() else ""
        return f"<mi{variant}>{escape(text)}</mi>" if text.isalpha() else f"<mtext>{escape(text)}</mtext>"

    _cmd_operatorname = _cmd_mathrm

    def _cmd_text(self) -> str:
        return f"<mtext>{escape(self.raw_group())}</mtext>"

    def _cmd_sqrt(self) -> str:
        return f"<msqrt>{self.group()}</msqrt>"

    def _cmd_hat(self) -> str:
        return f'<mover accent="true">{self.group()}<mo>^</mo></mover>'

    def _cmd_boxed(self) -> str:
        return f'<mrow class="boxed">{self.group()}</mrow>'

    def _delimiter(self, tall: bool) -> str:
        t = self.take()
        if t == ".":
            return ""
        d = t[1:] if t.startswith("\\") else t
        d = _OPERATORS.get(d, d) if t.startswith("\\") else d
        if len(d) != 1:
            raise self.fail(f"the delimiter {t!r}")
        return f'<mo fence="true" stretchy="{str(tall).lower()}" lspace="0" rspace="0">{escape(d)}</mo>'

    def _cmd_left(self) -> str:
        start = self.i
        self._delimiter(False)  # (read again below, once the content's height is known)
        inner = self.row(stop=(r"\right",))
        self.take()
        # only a tall content stretches the fences: a stretched glyph is set wider, even at text size
        tall = any(tag in inner for tag in ("<mfrac", "<msqrt", "<mtable", "<msubsup", "<mover"))
        end, self.i = self.i, start
        opening = self._delimiter(tall)
        self.i = end
        return f"<mrow>{opening}{inner}{self._delimiter(tall)}</mrow>"

    def _cmd_right(self) -> str:
        raise self.fail(r"a \right without \left")

    def _cmd_begin(self) -> str:
        env = self.raw_group()
        if env not in ("aligned", "align*", "cases"):
            raise self.fail(f"the environment {env!r}")
        rows: list[list[str]] = []
        cells: list[str] = []
        cell: list[str] = []
        while (t := self.peek()) != r"\end":
            if t is None:
                raise self.fail(f"an unclosed {env!r}")
            if t in ("&", "\\\\"):
                self.take()
                cells.append("".join(cell))
                cell = []
                if t == "\\\\":
                    rows.append(cells)
                    cells = []
            else:
                cell.append(self.scripted())
        self.take()
        if self.raw_group() != env:
            raise self.fail(f"an unmatched end of {env!r}")
        rows.append(cells + ["".join(cell)])
        align = ' columnalign="right left"' if env != "cases" else ' columnalign="left left"'
        trs = "".join("<mtr>" + "".join(f"<mtd>{c}</mtd>" for c in r) + "</mtr>" for r in rows)
        return f"<mtable{align}>{trs}</mtable>"
