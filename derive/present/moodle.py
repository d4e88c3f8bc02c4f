"""Moodle XML export: one numerical question per blank per variant.

Each question's text is HTML with TeX math in ``\\( \\)`` (Moodle's MathJax filter renders
it) and stands on its own in a quiz: the network's diagram (an SVG file the question
carries, ``<file>``, shown by ``@@PLUGINFILE@@/network.svg`` as Moodle's own export shows
images), its layers, the loss and the update rule, the variant's numbers and the steps the
sheet gives (:func:`derive.teach.worksheet.givens`: never a blank or a step computed from
one), then the question and, once, the precision asked. Answers and tolerances are plain decimals
(:mod:`derive.present.numbers`), never display notation. The tolerance follows the rounding
policy: half a unit in the last asked place, widened by how far the rounded-carry chain
drifts from the exact value. Characters XML 1.0 cannot carry (control characters, U+FFFE)
are refused in a spec's text before anything is written (:mod:`derive.model.limits`); any
that reach this writer another way (a variant id from a file name) are left out.

Format: https://docs.moodle.org/en/Moodle_XML_format (``<quiz>``, ``<question
type="numerical">``, ``<questiontext format="html"><text/><file name path encoding/>``,
``<answer fraction="100"><text/><tolerance/></answer>``).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from xml.sax.saxutils import escape

from derive.present.diagram import diagram_svg
from derive.present.expression_sheet import problem_view
from derive.present.numbers import fmt, plain_decimal
from derive.teach.agreement import key_tolerance

#: The diagram's file name inside each question.
PICTURE = "network.svg"
#: Characters XML 1.0 does not allow, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _html(parts) -> str:
    """Document parts as HTML: text escaped, math in MathJax's inline delimiters."""
    return "".join(f"\\({text}\\)" if kind == "m" else escape(text) for kind, text in parts)


def _cdata(html: str) -> str:
    """``html`` in a CDATA section (one that contains ``]]>`` is split around it)."""
    return "<![CDATA[" + html.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table border="1"><tr>{head}</tr>{body}</table>'


def _known_html(view) -> str:
    if not view.known:
        return ""
    rows = [(f"\\({n}\\)", f"\\({v}\\)") for n, v in view.known]
    return "<p>You may use these values:</p>" + _table(("quantity", "value"), rows)


def _expression_html(view) -> str:
    """An expression graph's problem: its circuit (the sheet's givens only), inputs and lines."""
    inputs = _table(("input", "value"), [(f"\\({n}\\)", f"\\({v}\\)") for n, v in view.inputs])
    nodes = _table(("node", "formula"), [(f"\\({n}\\)", f"\\({f}\\)") for n, f in view.nodes])
    return (
        f"<p><b>{escape(view.title)}</b> (variant {escape(view.id)})</p>"
        f'<p><img src="@@PLUGINFILE@@/{PICTURE}" alt="The computational graph"></p>'
        f"<p>A computational graph: each line is one node, computed from the inputs and the nodes above it; "
        f"the output is \\({view.output}\\). Each wire carries its value above it and the gradient of the output "
        f"below it, where given.</p>{inputs}{nodes}{_known_html(view)}"
    )


def _problem_html(view) -> str:
    """The variant's problem, as every one of its questions states it."""
    if view.kind == "expression":
        return _expression_html(view)
    layers = "; ".join(f"layer {escape(n)} ({escape(nodes)}): \\({act}\\)" for n, nodes, act, _ in view.layers)
    params = _table(
        ("parameter", "connects", "value"), [(f"\\({n}\\)", escape(c), f"\\({v}\\)") for n, c, v in view.params]
    )
    samples = []
    for i, (x, y) in enumerate(view.samples):
        xs = ", ".join(f"{t} = {v}" for t, v in zip(view.inputs_tex, x, strict=True))
        ys = ", ".join(f"{t} = {v}" for t, v in zip(view.outputs_tex, y, strict=True))
        samples.append(f"<p>Sample {i + 1}: \\({xs}\\); target \\({ys}\\).</p>")
    known = _known_html(view)
    return (
        f"<p><b>{escape(view.title)}</b> (variant {escape(view.id)})</p>"
        f'<p><img src="@@PLUGINFILE@@/{PICTURE}" alt="The network"></p>'
        f"<p>{layers}. Each node computes \\(\\mathrm{{net}}_j = \\sum_k w_{{jk}}\\,\\mathrm{{out}}_k + b_j\\) "
        f"and \\(\\mathrm{{out}}_j = f(\\mathrm{{net}}_j)\\). {_html(view.statement)}</p>"
        f"{params}{''.join(samples)}{known}"
    )


def _question(v, view, q, problem: str, picture: str) -> list[str]:
    st = v.graph[q.id]
    ask = (
        f"<p><b>Question {q.number}.</b> Compute \\({q.tex}\\), {escape(q.text)}.</p>"
        f"<p>{escape(view.instructions[:1].upper() + view.instructions[1:])}.</p>"
    )
    key = plain_decimal(st.value, max(view.d, 6))
    feedback = f"<p>\\({q.tex} = {fmt(st.value, view.d)}\\)</p>"
    return [
        '  <question type="numerical">',
        f"    <name><text>{escape(v.id)} Q{q.number} {escape(q.id)}</text></name>",
        f'    <questiontext format="html"><text>{_cdata(problem + ask)}</text>',
        f'      <file name="{PICTURE}" path="/" encoding="base64">{picture}</file>',
        "    </questiontext>",
        f'    <generalfeedback format="html"><text>{_cdata(feedback)}</text></generalfeedback>',
        "    <defaultgrade>1.0000000</defaultgrade>",
        "    <penalty>0.3333333</penalty>",
        "    <hidden>0</hidden>",
        f"    <idnumber>{escape(v.id)}-{escape(q.id)}</idnumber>",
        '    <answer fraction="100" format="moodle_auto_format">',
        f"      <text>{key}</text>",
        f"      <tolerance>{plain_decimal(key_tolerance(st, view.d), view.d + 2)}</tolerance>",
        '      <feedback format="html"><text>Correct.</text></feedback>',
        "    </answer>",
        "    <unitgradingtype>0</unitgradingtype>",
        "    <unitpenalty>0.1000000</unitpenalty>",
        "    <showunits>3</showunits>",
        "    <unitsleft>0</unitsleft>",
        "  </question>",
    ]


def moodle_xml(ws) -> str:
    """The whole worksheet as a Moodle question bank, one category per variant (an
    expression graph's picture is the variant's own, with the sheet's givens on it)."""

    def encoded(svg: str) -> str:
        return base64.b64encode(svg.encode("utf-8")).decode("ascii")

    network = None if ws.spec.kind == "expression" else encoded(diagram_svg(ws.spec))
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    for v in ws.variants:
        view = problem_view(ws, v)
        picture = network or encoded(view.svg)
        out += [
            '  <question type="category">',
            f"    <category><text>$course$/derive/{escape(v.id)}</text></category>",
            "  </question>",
        ]
        problem = _problem_html(view)
        for q in view.questions:
            out += _question(v, view, q, problem, picture)
    out.append("</quiz>")
    return _NOT_XML.sub("", "\n".join(out) + "\n")
