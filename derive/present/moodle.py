"""Moodle XML export: one numerical question per blank per variant.

Each question's text is HTML with TeX math in ``\\( \\)`` (Moodle's MathJax filter renders
it) and carries the variant's given numbers, so it stands on its own in a quiz. Answers and
tolerances are plain decimals (:mod:`derive.present.numbers`), never display notation. The
tolerance follows the rounding policy: half a unit in the last asked place, widened
by how far the rounded-carry chain drifts from the exact value.

Format: https://docs.moodle.org/en/Moodle_XML_format (``<quiz>``, ``<question
type="numerical">``, ``<answer fraction="100"><text/><tolerance/></answer>``).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from derive.present.numbers import fmt, plain_decimal
from derive.present.problem import ProblemView
from derive.teach.agreement import key_tolerance


def _html(parts) -> str:
    """Document parts as HTML: text escaped, math in MathJax's inline delimiters."""
    return "".join(f"\\({text}\\)" if kind == "m" else escape(text) for kind, text in parts)


def _given_html(view) -> str:
    rows = "".join(f"<tr><td>\\({n}\\)</td><td>{escape(c)}</td><td>\\({v}\\)</td></tr>" for n, c, v in view.params)
    samples = []
    for i, (x, y) in enumerate(view.samples):
        xs = ", ".join(f"{t} = {v}" for t, v in zip(view.inputs_tex, x, strict=True))
        ys = ", ".join(f"{t} = {v}" for t, v in zip(view.outputs_tex, y, strict=True))
        samples.append(f"<p>Sample {i + 1}: \\({xs}\\); target \\({ys}\\).</p>")
    layers = "; ".join(f"layer {escape(n)} ({escape(nodes)}): \\({act}\\)" for n, nodes, act, _ in view.layers)
    return (
        f"<p>{escape(view.title)} (variant {escape(view.id)}). {layers}. "
        f"{_html(view.statement)}</p>"
        f'<table border="1"><tr><th>parameter</th><th>connects</th><th>value</th></tr>{rows}</table>' + "".join(samples)
    )


def moodle_xml(ws) -> str:
    """The whole worksheet as a Moodle question bank, one category per variant."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    for v in ws.variants:
        view = ProblemView(ws, v)
        out += [
            '  <question type="category">',
            f"    <category><text>$course$/derive/{escape(v.id)}</text></category>",
            "  </question>",
        ]
        given = _given_html(view)
        for q in view.questions:
            st = v.graph[q.id]
            ask = (
                f"<p><b>Question {q.number}.</b> Compute \\({q.tex}\\), {escape(q.text)}. "
                f"Give it to {view.d} decimal places; {escape(view.instructions)}.</p>"
            )
            key = plain_decimal(st.value, max(view.d, 6))
            out += [
                '  <question type="numerical">',
                f"    <name><text>{escape(v.id)} Q{q.number} {escape(q.id)}</text></name>",
                f'    <questiontext format="html"><text><![CDATA[{given}{ask}]]></text></questiontext>',
                f'    <generalfeedback format="html"><text><![CDATA[<p>\\({q.tex} = {fmt(st.value, view.d)}\\)</p>'
                "]]></text></generalfeedback>",
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
    out.append("</quiz>")
    return "\n".join(out) + "\n"
