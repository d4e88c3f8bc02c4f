"""The one Jinja2 environment per output format, with templates loaded from the package."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

import jinja2
import markupsafe

from derive.present.mathml import to_mathml
from derive.present.notation import md_escape, tex_escape


def template_text(name: str) -> str:
    """A file of the templates folder as text (the web page's scripts and style).

    >>> "deriveMark" in template_text("page/mark.js")
    True
    """
    return (_template_dir() / name).read_text(encoding="utf-8")


def _template_dir() -> Path:
    installed = resources.files("derive") / "templates"
    if installed.is_dir():
        return Path(str(installed))
    return Path(__file__).resolve().parents[2] / "templates"


@functools.lru_cache(maxsize=None)  # one environment per format, so templates compile once
def make_env(fmt_name: str) -> jinja2.Environment:
    """The Jinja2 environment of one format: LaTeX gets ``\\VAR{}``/``\\BLOCK{}`` delimiters
    so that braces in LaTeX never clash with the template language."""
    opts: dict = dict(
        loader=jinja2.FileSystemLoader(str(_template_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # HTML escapes every value unless it is Markup (our MathML and SVG): safe by default
        autoescape=fmt_name == "html",
    )
    if fmt_name == "tex":
        opts.update(
            block_start_string=r"\BLOCK{",
            block_end_string="}",
            variable_start_string=r"\VAR{",
            variable_end_string="}",
            comment_start_string=r"\#{",
            comment_end_string="}",
            line_comment_prefix="%#",
        )
    env = jinja2.Environment(**opts)
    if fmt_name == "html":
        _html_filters(env)
        return env
    esc = tex_escape if fmt_name == "tex" else md_escape
    env.filters["u"] = esc

    def parts(ps):
        out = []
        for kind, text in ps:
            out.append(esc(text) if kind == "u" else f"${text}$" if kind == "m" else text)
        return "".join(out)

    env.filters["parts"] = parts
    return env


def _html_filters(env: jinja2.Environment) -> None:
    """HTML: every text escaped (ours too: it is plain text, not markup), math as MathML."""
    env.filters["u"] = markupsafe.escape
    env.filters["math"] = lambda tex: markupsafe.Markup(to_mathml(tex))
    env.filters["parts"] = lambda ps: markupsafe.Markup("").join(
        _inline_math(text) if kind == "m" else markupsafe.escape(text) for kind, text in ps
    )


#: inline math longer than this (LaTeX characters) may be wider than a phone: it scrolls in a box
LONG_INLINE = 60


def _inline_math(tex: str) -> markupsafe.Markup:
    """Math in a line of text; MathML does not wrap, so a long formula gets a box that
    scrolls on its own (short ones stay on the text's baseline)."""
    math = to_mathml(tex)
    return markupsafe.Markup(f'<span class="wide">{math}</span>' if len(tex) > LONG_INLINE else math)
