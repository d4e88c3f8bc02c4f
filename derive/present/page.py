"""The web page (``derive page``): one self-contained HTML file that works offline.

**Explore** shows the network's diagram (or an expression's circuit), whose nodes, weights
and biases are buttons; each opens its steps, taken from the same
:class:`~derive.present.document.Doc` the walkthrough renders (nothing is derived again),
with the math as MathML (:mod:`derive.present.mathml`). **Practise** is the worksheet's
fragment (:func:`derive.present.practise.practise_html`).

Nothing is loaded at view time: styles, scripts, data and pictures are inline, and a
Content-Security-Policy forbids the rest; scripts run only when their SHA-256 hash, computed
here, is listed in it (so there are no inline event handlers).

>>> from derive.present.walkthrough import Walkthrough
>>> from derive.present.worksheet import make_worksheet
>>> wt = Walkthrough.from_file("worked/four.yaml")
>>> html = page_html(wt, make_worksheet(wt.spec, "four", 1, 0))
>>> from html import unescape
>>> html.startswith("<!DOCTYPE html>") and "default-src 'none'" in unescape(html) and "https://" not in html
True
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

from markupsafe import Markup

from derive.model.names import PARAM_KINDS
from derive.present.diagram import diagram_svg
from derive.present.env import make_env
from derive.present.expression_diagram import expression_svg
from derive.present.practise import practise_html

#: the steps that belong to the update (the "through the update" button's stops)
UPDATE_KINDS = frozenset(PARAM_KINDS) - {"grad"}
_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)


def json_script(data, element_id: str) -> Markup:
    """Data for the page's script, in a ``<script type="application/json">`` that no text
    inside can close or comment out (``<``, ``>`` and ``&`` written as JSON escapes)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(f'<script type="application/json" id="{element_id}">{text}</script>')


def script_hashes(html: str) -> list[str]:
    """The CSP source of every script that runs on the page (data blocks do not run)."""
    out = []
    for attrs, body in _SCRIPT.findall(html):
        if "application/json" in attrs:
            continue
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        out.append(f"'sha256-{digest}'")
    return sorted(set(out))


def content_policy(html: str, watch: bool = False) -> str:
    """The page's Content-Security-Policy: nothing from anywhere, except its own inline
    styles, its hashed inline scripts, data: images and, for --watch, its own server."""
    scripts = " ".join(script_hashes(html)) or "'none'"
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {scripts}",
            "style-src 'unsafe-inline'",
            "img-src data:",
            "font-src 'none'",
            "connect-src 'self'" if watch else "connect-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def _element(graph, step, expression: bool) -> str:
    """The diagram element a step belongs to: its node or parameter ("loss" for a loss);
    an expression's local gradient belongs to its node (``local_f__q``: f)."""
    subject = step.subject
    if subject is None:
        return "loss"
    return str(subject).partition("__")[0] if expression else str(subject)


def element_names(spec) -> dict[str, str]:
    """What each diagram element is called in the page's text: "node h1", "weight w1"."""
    if spec.kind == "expression":
        out = {n: f"input {n}" for n in spec.values}
        out.update({n.name: f"node {n.name}" for n in spec.nodes})
        return out
    out = {n: f"input {n}" for n in spec.inputs}
    out.update({n: f"node {n}" for layer in spec.layers for n in layer.nodes})
    out.update({p.name: f"{p.kind} {p.name}" for p in spec.iter_parameters()})
    out["loss"] = "the loss"
    return out


def explore_steps(doc, graph, expression: bool) -> tuple[list[dict], set[int]]:
    """The document's equations that show a step, in its order, each with the diagram
    element it belongs to, and the equations that anchor them (``id()``s: a step shown
    twice is found at its first equation)."""
    seen: set[str] = set()
    out, anchors = [], set()
    for sec in doc.sections:
        for b in sec.blocks:
            if b.kind != "eq" or not b.step or b.step in seen:
                continue
            seen.add(b.step)
            anchors.add(id(b))
            st = graph[b.step]
            out.append({"id": st.id, "el": _element(graph, st, expression), "update": st.kind in UPDATE_KINDS})
    return out, anchors


def _diagram(wt, expression: bool, elements: set[str]) -> Markup:
    """The picture, its elements that have steps made buttons (an input without a gradient
    has none: it is given)."""
    svg = expression_svg(wt.graph, hooks=elements) if expression else diagram_svg(wt.spec, hooks=elements)
    return Markup(svg)


def page_html(wt, ws, watch: bool = False, version: int = 0) -> str:
    """The page of a verified walkthrough ``wt`` (network or expression) and the worksheet
    ``ws`` its Practise tab asks (:func:`derive.present.worksheet.make_worksheet`)."""
    expression = wt.spec.kind == "expression"
    doc = wt.document
    steps, anchors = explore_steps(doc, wt.graph, expression)
    context = dict(
        doc=doc,
        anchor=lambda eq: id(eq) in anchors,
        diagram=_diagram(wt, expression, {s["el"] for s in steps}),
        data=json_script({"steps": steps, "names": element_names(wt.spec)}, "explore-data"),
        practise=Markup(practise_html(ws)),
        expression=expression,
        watch=watch,
        version=version,
        error="",
    )
    return _with_policy("page.html.j2", context, watch)


def error_page(line: str, version: int = 0) -> str:
    """What --watch shows while the spec has an error: the line the command prints."""
    context = dict(doc=None, error=line, watch=True, version=version)
    return _with_policy("page.html.j2", context, True)


def _with_policy(template: str, context: dict, watch: bool) -> str:
    """Render twice: the scripts do not depend on the policy, so the second rendering's
    scripts are those whose hashes the first gave."""
    tpl = make_env("html").get_template(template)
    first = tpl.render(csp="", **context)
    return tpl.render(csp=content_policy(first, watch), **context)
