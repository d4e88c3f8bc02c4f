"""Practise mode of the web page: the worksheet's blanks as input fields, marked in the
browser the moment each is entered, by the rules of ``derive check``.

:func:`practise_html` is the HTML fragment the page (``derive page``) puts in its body: a
``<section id="practise">`` with its markup and style, the payload (JSON, from
:mod:`derive.present.practise_data`), and inline scripts: the reader and marker
(``templates/page/mark.js``, ``marker.js``), the step graph's formulas compiled to
JavaScript functions, and the interface (``practise.js``). No script uses ``eval`` or
inline event handlers, so the page's content security policy can allow exactly these
scripts by their hashes.
"""

from __future__ import annotations

import json
from html import escape

from derive.present.env import template_text
from derive.present.practise_data import practise_data
from derive.teach.results import Options
from derive.teach.worksheet import Worksheet

#: The scripts of templates/page, in the order they run.
SCRIPTS = ("mark.js", "marker.js")
UI = "practise.js"


def practise_css() -> str:
    """The practise section's style (also inside :func:`practise_html`'s fragment).

    >>> practise_css().startswith("#practise")
    True
    """
    return template_text("page/practise.css")


def _json_safe(text: str) -> str:
    """JSON inside a ``<script>`` element: no ``<`` at all, so that nothing in it (a
    question's wording) can close the element early; ``\\u003c`` is the same JSON."""
    return text.replace("<", "\\u003c")


def _script(text: str) -> str:
    """A script element of our own code (never of user text)."""
    if "</script" in text.lower() or "<!--" in text:
        raise ValueError("a script must not contain </script or <!--")
    return f"<script>{text}</script>"


def functions_script(sources: list[str]) -> str:
    """The compiled step functions as one script: ``window.deriveFns``, a list.

    >>> functions_script(["function(e){return e.x;}"]).splitlines()[1]
    'function(e){return e.x;}'
    """
    body = ",\n".join(sources)
    return f"window.deriveFns = (function (F) {{ return [\n{body}\n]; }})(window.deriveF);\n"


def practise_html(ws: Worksheet, options: Options | None = None) -> str:
    """The HTML fragment of practise mode for worksheet ``ws`` (every variant it holds).

    >>> from derive.model.spec import load_spec
    >>> from derive.teach.worksheet import build_worksheet
    >>> html = practise_html(build_worksheet(load_spec("worked/four.yaml"), "four", 2, blanks="forward"))
    >>> html.startswith('<section id="practise"'), html.count("<script"), "onclick" in html
    (True, 5, False)
    """
    data, sources = practise_data(ws, options)
    payload = _json_safe(json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False))
    scripts = [template_text(f"page/{name}") for name in SCRIPTS]
    scripts += [functions_script(sources), template_text(f"page/{UI}")]
    parts = [
        '<section id="practise" aria-labelledby="practise-title">',
        f"<style>{practise_css()}</style>",
        '<h2 id="practise-title">Practise</h2>',
        f"<p>Type each answer and press Enter: it is marked at once, as <code>derive check</code> marks it "
        f"(to {ws.spec.decimals} decimal places; later answers may follow from your own earlier ones).</p>",
        '<div class="practise-variant"><span>Numbers: <span class="variant-id"></span></span> '
        '<button type="button" class="new-numbers">New numbers</button></div>',
        '<details class="practise-givens" open><summary>Given</summary><ul class="givens"></ul></details>',
        '<ol class="questions"></ol>',
        '<p class="score" role="status"></p>',
        '<button type="button" class="download">Download my answers</button>',
        f'<script type="application/json" id="derive-practise-data">{payload}</script>',
    ]
    parts += [_script(s) for s in scripts]
    parts.append("</section>")
    return "\n".join(parts) + "\n"


def standalone_page(ws: Worksheet, title: str = "Practise") -> str:
    """A minimal HTML document around :func:`practise_html` (for development and tests;
    ``derive page`` makes the real page).

    >>> from derive.model.spec import load_spec
    >>> from derive.teach.worksheet import build_worksheet
    >>> standalone_page(build_worksheet(load_spec("worked/four.yaml"), "four", blanks="net_h1"))[:15]
    '<!DOCTYPE html>'
    """
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head><body>\n{practise_html(ws)}</body></html>\n"
    )
