"""Derivations as sheets: Markdown, or LaTeX (standalone or as a worksheet section).
A derivation that is not proven (:func:`derive.verify.proofs.check`) is never rendered.

>>> print(render_derivation("sigmoid", "md").splitlines()[0])
# The derivative of the sigmoid
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from derive.graph.derivations import Derivation, get
from derive.present.env import make_env
from derive.present.notation import tex_escape
from derive.verify.proofs import check

_MATH = re.compile(r"\$([^$]*)\$")


def why_tex(why: str) -> str:
    r"""A justification (our text with ``$math$`` inside) as display-math LaTeX: text in
    ``\text{}``, math in ``{\textstyle ...}``. No ``$`` inside: GitHub's Markdown math
    and LaTeX read it alike.

    >>> why_tex(r"definition of $\sigma$, 100%")
    '\\text{(definition of }{\\textstyle \\sigma}\\text{, 100\\%)}'
    """
    out, pos = [], 0
    text = "(" + why + ")"
    for m in _MATH.finditer(text):
        if m.start() > pos:
            out.append(r"\text{%s}" % tex_escape(text[pos : m.start()]))
        out.append(r"{\textstyle %s}" % m.group(1))
        pos = m.end()
    if pos < len(text):
        out.append(r"\text{%s}" % tex_escape(text[pos:]))
    return "".join(out)


@dataclass
class _View:
    """What the templates read for one derivation."""

    title: str
    intro: str
    lhs: str
    rows: list = field(default_factory=list)  # (tex, justification tex)
    checked: str = ""


def _view(d: Derivation) -> _View:
    check(d)  # a derivation that is not proven is never rendered
    return _View(
        d.title, d.intro, d.lines[0].tex, [(ln.tex, why_tex(ln.why) if ln.why else "") for ln in d.lines[1:]], d.checked
    )


CLOSING = (
    "Every line was checked equal to the line before it by computer algebra: the difference of the two simplifies to 0."
)


def _env(fmt: str):
    if fmt not in ("md", "tex"):
        raise ValueError(f"unknown format {fmt!r}; use md or tex")
    return make_env(fmt)


_TEX_HEADINGS = {2: "section*", 3: "subsection*", 4: "subsubsection*"}


def render_derivation(name, fmt: str) -> str:
    """One derivation as a standalone sheet: Markdown, or a complete LaTeX document."""
    d = get(name)
    view = _view(d)
    if fmt == "tex":
        return (
            _env(fmt)
            .get_template("derivation.tex.j2")
            .render(title=d.title, items=[view], heading=None, closing=CLOSING)
        )
    return _env(fmt).get_template("derivation.md.j2").render(title=d.title, items=[view], heading=None, closing=CLOSING)


def derivation_section(names, fmt: str, level: int = 2) -> str:
    """The derivations ``names`` as a section body to embed in a worksheet, each under a
    heading of ``level`` (Markdown ``##`` for 2; LaTeX ``\\section*`` for 2,
    ``\\subsection*`` for 3), ending with the sentence that every line was checked."""
    views = [_view(get(n)) for n in names]
    if not views:
        raise ValueError("no derivations given")
    if fmt == "tex":
        if level not in _TEX_HEADINGS:
            raise ValueError(f"level must be one of {sorted(_TEX_HEADINGS)}")
        return (
            _env(fmt)
            .get_template("derivation-body.tex.j2")
            .render(items=views, heading=_TEX_HEADINGS[level], closing=CLOSING)
        )
    return (
        _env(fmt).get_template("derivation.md.j2").render(title=None, items=views, heading="#" * level, closing=CLOSING)
    )
