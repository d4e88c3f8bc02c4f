"""A walkthrough as Markdown, LaTeX or JSON: the document through one template per format."""

from __future__ import annotations

import json

from derive.graph.magnitude import json_number
from derive.present.diagram import diagram_tikz
from derive.present.env import make_env
from derive.present.walkthrough_doc import document


def render(wt, fmt_name: str, questions: dict[str, int] | None = None) -> str:
    """The walkthrough as ``md`` or ``tex`` text."""
    tpl = make_env(fmt_name).get_template(f"walkthrough.{fmt_name}.j2")
    diagram = diagram_tikz(wt.spec) if fmt_name == "tex" else ""
    return tpl.render(doc=document(wt, questions), spec=wt.spec, diagram=diagram)


def render_json(wt) -> str:
    """The walkthrough's numbers as JSON. JSON has no Infinity: a value beyond float64 is a
    string of its exact value in scientific notation (``"-1.970071114017047e+434"``), and
    ``not_compared`` says which values the float checks could not judge, and why."""
    r, g = wt.report, wt.graph
    history = [json_number(v) for v in wt.loss_history]
    final = {k: json_number(v) for k, v in wt.final_parameters.items()}
    if history:  # the first loss, and after one step the parameters, are steps: their exact values
        history[0] = json_number(g["loss"].exact)
    if wt.spec.steps == 1:
        final = {st.param: json_number(st.exact) for st in g if st.kind == "new"}
    data = {
        "title": wt.spec.title,
        "values": {s.id: json_number(s.value) for s in g},
        "loss_history": history,
        "verified": r.ok,
        "not_compared": r.not_compared,
        "max_disagreement": {
            "sympy_vs_numpy": {"relative": json_number(r.max_numpy[0]), "at": r.max_numpy[1]},
            "gradients_vs_finite_differences": {"relative": json_number(r.max_fd[0]), "at": r.max_fd[1]},
            "loss_history": {"relative": json_number(r.max_history[0]), "at": r.max_history[1]},
        },
        "final_parameters": final,
        "steps": wt.spec.steps,
        "rounding": {"decimals": wt.spec.decimals, "carry": wt.spec.carry},
    }
    if wt.spec.steps > 1:  # the parameters before step 1 and after every step
        data["param_history"] = [{k: json_number(v) for k, v in row.items()} for row in wt.param_history]
    return json.dumps(data, indent=2, allow_nan=False) + "\n"
