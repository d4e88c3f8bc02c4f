"""What a worksheet shows of one variant of an expression spec: its circuit (the sheet's
givens only, :func:`derive.teach.worksheet.givens`), its inputs, its lines and its
questions. The same attributes as a network's :class:`~derive.present.problem.ProblemView`
where the templates and Moodle read both (``kind`` tells them apart).

>>> from derive.model.expression import load_expression
>>> from derive.present.worksheet import make_worksheet
>>> ws = make_worksheet(load_expression("worked/expression.yaml"), "expression", 1, 7, "dfd_x,val_q")
>>> view = ExpressionProblemView(ws, ws.variants[0])
>>> [(q.number, q.id) for q in view.questions], len(view.known)
([(1, 'val_q'), (2, 'dfd_x')], 6)
>>> "q = " in view.svg, "q = " in expression_svg(ws.variants[0].graph)
(False, True)
"""

from __future__ import annotations

from derive.present.expression import LinePrinter, names
from derive.present.expression_diagram import expression_svg, expression_tikz
from derive.present.notation import latex_name
from derive.present.numbers import fmt
from derive.present.problem import ProblemView, QuestionView, instructions


def problem_view(ws, variant):
    """What a sheet shows of one variant: a network's, or an expression graph's."""
    expression = ws.spec.kind == "expression"
    return ExpressionProblemView(ws, variant) if expression else ProblemView(ws, variant)


class ExpressionProblemView:
    """What a template needs to show one variant's problem of an expression graph."""

    kind = "expression"

    def __init__(self, ws, variant):
        self.ws, self.v = ws, variant
        spec, g = variant.spec, variant.graph
        tex = names(g)
        self.id, self.title, self.story, self.d = variant.id, spec.title, spec.story, spec.decimals
        self.questions = [
            QuestionView(q.number, q.id, tex[g[q.id].symbol], q.text, q.points) for q in ws.questions(variant)
        ]
        self.total = sum(q.points for q in self.questions)
        self.inputs = [(latex_name(n), spec.written[n].text) for n in spec.values]
        printer = LinePrinter(tex)
        self.nodes = [(latex_name(n.name), printer.doprint(g[f"val_{n.name}"].formula)) for n in spec.nodes]
        given = ws.given_steps(variant)  # none a blank or computed from one (teach.worksheet.givens)
        self.known = [(tex[s.symbol], fmt(s.value, self.d, s.value.is_Rational and s.value == s.exact)) for s in given]
        shown = {s.id for s in given}
        self.svg = expression_svg(g, shown)
        self.tikz = expression_tikz(g, shown)
        self.output = latex_name(spec.output)
        self.instructions = instructions(spec)
