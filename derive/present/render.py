"""A walkthrough as Markdown, LaTeX or JSON: the document through one template per format."""

from __future__ import annotations

import json

from derive.present.diagram import diagram_tikz
from derive.present.env import make_env
from derive.present.walkthrough_doc import document


def render(wt, fmt_name: str, questions: dict[str, int] | None = None) -> str:
    """The walkthrough as ``md`` or ``tex`` text."""
    tpl = make_env(fmt_name).get_template(f"walkthrough.{fmt_name}.j2")
    diagram = diagram_tikz(wt.spec) if fmt_name == "tex" else ""
    return tpl.render(doc=document(wt, questions), spec=wt.spec, diagram=diagram)


def render_json(wt) -> str:
    r = wt.report
    data = {
        "title": wt.spec.title,
        "values": {s.id: float(s.value) for s in wt.graph},
        "loss_history": wt.loss_history,
        "verified": r.ok,
        "max_disagreement": {
            "sympy_vs_numpy": {"relative": r.max_numpy[0], "at": r.max_numpy[1]},
            "gradients_vs_finite_differences": {"relative": r.max_fd[0], "at": r.max_fd[1]},
            "loss_history": {"relative": r.max_history[0], "at": r.max_history[1]},
        },
        "final_parameters": wt.final_parameters,
        "steps": wt.spec.steps,
        "rounding": {"decimals": wt.spec.decimals, "carry": wt.spec.carry},
    }
    return json.dumps(data, indent=2, allow_nan=False) + "\n"
