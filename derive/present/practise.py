"""PLACEHOLDER, replaced at merge by the branch ``mark`` (the Practise section with its
in-browser marking). It keeps the agreed interface so that the page works end to end:
:func:`practise_html` returns ``<section id="practise">`` with markup, a JSON
``<script type="application/json">`` payload and (in ``mark``'s version) inline scripts,
without inline event handlers or eval.

>>> from derive.model.spec import load_spec
>>> from derive.present.worksheet import make_worksheet
>>> html = practise_html(make_worksheet(load_spec("worked/four.yaml"), "four", 2, 7))
>>> html.startswith('<section id="practise"') and html.count('class="variant"') == 2
True
"""

from __future__ import annotations

import json
from html import escape

from derive.present.numbers import fmt


def practise_html(ws) -> str:
    """The worksheet ``ws``'s questions, variant by variant (no marking in this placeholder),
    and their keys as the JSON payload the marking will read."""
    keys: dict[str, dict[int, str]] = {}
    out = ['<section id="practise" aria-labelledby="practise-title">', '<h2 id="practise-title">Practise</h2>']
    out.append("<p>Placeholder (branch <code>page</code>): the questions without marking.</p>")
    for v in ws.variants:
        d = v.spec.decimals
        out.append(f'<div class="variant"><h3>Variant {escape(v.id)}</h3><ol>')
        keys[v.id] = {}
        for q in ws.questions(v):
            out.append(f"<li>{escape(q.text)}</li>")
            keys[v.id][q.number] = fmt(v.graph[q.id].value, d)
        out.append("</ol></div>")
    payload = json.dumps({"keys": keys}).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    out.append(f'<script type="application/json" id="practise-data">{payload}</script>')
    out.append("</section>")
    return "\n".join(out)
