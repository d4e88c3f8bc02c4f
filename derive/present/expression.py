"""The walkthrough of an expression spec: the graph, the forward pass node by node, the
backward pass from d f / d f = 1 down to every input, and the verification.

It is built as the same format-neutral :class:`~derive.present.document.Doc` as a
network's walkthrough and rendered by the same templates in the one Jinja environment
(:func:`derive.present.env.make_env`), with the same printer and number format
(:class:`~derive.present.notation.Printer`, :func:`~derive.present.numbers.fmt`).

>>> wt = ExpressionWalkthrough.from_file("worked/expression.yaml")
>>> [float(wt.graph[i].value) for i in ("val_q", "val_f", "dfd_x", "dfd_y", "dfd_z")]
[3.0, -12.0, -4.0, -4.0, 3.0]
>>> r"\\right|_{\\mathrm{local}} = 1 \\cdot" in wt.markdown()
True
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

from derive.graph.expression import derive_expression, local_parts
from derive.graph.magnitude import json_number
from derive.model.expression import ExpressionSpec, load_expression
from derive.present.document import Doc, Eq, M, P, Para, Section, T, Table
from derive.present.env import make_env
from derive.present.expression_diagram import expression_svg, expression_tikz
from derive.present.notation import Printer, latex_name, symbol_names
from derive.present.numbers import fmt
from derive.verify.expression import verify_expression

__all__ = ["ExpressionWalkthrough", "LinePrinter", "local_latex", "names"]


class LinePrinter(Printer):
    """The notation's printer, with a line's number literals as a teacher typed them:
    ``x - 0.5``, not ``x - 1/2`` (a fraction that is no short decimal stays a fraction)."""

    def _print_Rational(self, expr):
        if expr.q != 1 and 10**12 % expr.q == 0:  # a short decimal: 1/2, 3/8, 1/20
            return fmt(expr, 12, as_given=True)
        return super()._print_Rational(expr)


def _partial(top: str, bottom: str) -> str:
    return r"\frac{\partial %s}{\partial %s}" % (latex_name(top), latex_name(bottom))


def local_latex(node: str, name: str) -> str:
    r"""A local gradient, marked as one: the output's local gradient with respect to q is
    not the gradient of the output at q (the same fraction), which students confuse.

    >>> print(local_latex("f", "q"))
    \left.\frac{\partial f}{\partial q}\right|_{\mathrm{local}}
    """
    return r"\left.%s\right|_{\mathrm{local}}" % _partial(node, name)


def symbols_of(graph) -> dict:
    """Every symbol of a step graph of either kind -> its LaTeX (an expression graph's
    :func:`names`, a network's :func:`derive.present.notation.symbol_names`)."""
    return names(graph) if graph.spec.kind == "expression" else symbol_names(graph)


def names(graph) -> dict:
    """Every symbol of an expression graph -> its LaTeX: an input or a node by its name,
    a local gradient as d node / d name marked local (:func:`local_latex`), a gradient as
    d output / d name."""
    out = {graph.leaves[n]: latex_name(n) for n in graph.numbers}
    for s in graph:
        if s.kind == "val":
            out[s.symbol] = latex_name(s.subject)
        elif s.kind == "local":
            out[s.symbol] = local_latex(*local_parts(s.id))
        else:
            out[s.symbol] = _partial(graph.spec.output, s.subject)
    return out


class _Builder:
    def __init__(self, wt: "ExpressionWalkthrough", questions: dict[str, int] | None = None):
        self.wt, self.g, self.spec = wt, wt.graph, wt.spec
        self.questions = questions or {}
        self.d = self.spec.decimals
        self.names = names(self.g)
        values = {s.symbol: s.value for s in self.g}
        values.update(self.g.given)
        # printed as typed: the given numbers, and the values that are exact short decimals
        self.exact = set(self.g.given) | {s.symbol for s in self.g if s.value.is_Rational and s.value == s.exact}
        self.fp = LinePrinter(self.names)
        self.sp_ = LinePrinter(self.names, values, self.d, self.exact)

    def eq(self, step, label=None) -> Eq:
        lines = [self.names[step.symbol], self.fp.doprint(step.formula)]
        numbers = () if step.formula.is_Symbol else (self.sp_.doprint(step.formula),)  # z = -4, not z = (-4) = -4
        for more in (*numbers, fmt(step.value, self.d, step.symbol in self.exact)):
            if more != lines[-1]:
                lines.append(more)
        eq = Eq(lines, list(label or []), step=step.id)
        n = self.questions.get(step.id)
        if n is not None:  # an answer key: the answer boxed, its question named
            eq.lines[-1] = r"\boxed{%s}" % eq.lines[-1]
            eq.label = P(f"Question {n}: ") + eq.label
        return eq

    def build(self) -> Doc:
        secs = [self.problem(), self.forward(), self.backward(), self.results(), self.verification()]
        diagram = {"md": expression_svg(self.g), "tex": expression_tikz(self.g)}
        return Doc(self.spec.title, self.spec.story, secs, self.claim(), diagram)

    def claim(self) -> str:
        checked = "checked against an independent floating-point evaluator and finite differences"
        if self.spec.carry != "rounded":
            return f"Every number below was derived exactly and {checked}."
        return (
            f"Every number below was derived exactly, each computed value rounded to {self.d} decimal places "
            f"before it is used again, as with a calculator; the same steps carried at full precision were {checked}."
        )

    def problem(self) -> Section:
        sec = Section("The graph and the numbers")
        out = latex_name(self.spec.output)
        sec.blocks.append(
            Para(
                P(
                    "A computational graph: each line is one node, computed from the inputs and the nodes above "
                    "it. The output is ",
                    ("m", out),
                    "; the walkthrough computes every node forward, then the gradient of ",
                    ("m", out),
                    " with respect to every node and input backward, by the chain rule.",
                )
            )
        )
        rows = [[M(latex_name(n)), M(fmt(v, self.d, True))] for n, v in self.spec.values.items()]
        sec.blocks.append(Table([T("input"), T("value")], rows))
        rows = [[M(latex_name(n.name)), M(self.fp.doprint(self.g[f"val_{n.name}"].formula))] for n in self.spec.nodes]
        sec.blocks.append(Table([T("node"), T("formula")], rows))
        return sec

    def forward(self) -> Section:
        sec = Section("Forward pass")
        sec.blocks.append(Para(T("Node by node, in order: the formula, its numbers, its value.")))
        sec.blocks += [self.eq(s) for s in self.g if s.kind == "val"]
        return sec

    def backward(self) -> Section:
        sec = Section("Backward pass")
        out = latex_name(self.spec.output)
        sec.blocks.append(
            Para(
                P(
                    "From the output down: the gradient ",
                    ("m", _partial(self.spec.output, self.spec.output) + " = 1"),
                    " starts it. The gradient at a node is the upstream gradient (the gradient at the node "
                    "that reads it) times that node's local gradient, written ",
                    ("m", local_latex("g", "a")),
                    " for a node g reading a; a name read by several nodes adds up its paths. Each local "
                    "gradient is the derivative of one line, with the line's own value put "
                    "back where it appears (",
                    ("m", r"\sigma' = \sigma(1 - \sigma)"),
                    ", ",
                    ("m", r"\tanh' = 1 - \tanh^2"),
                    ", ReLU' = step).",
                )
            )
        )
        for s in self.g:
            if s.kind == "dfd" and s.subject not in self.spec.values:
                label = P("Gradient at ", ("m", latex_name(s.subject)), ", upstream gradient × local gradient:")
                sec.blocks.append(self.eq(s, label))
            elif s.kind == "local":
                node, name = local_parts(s.id)
                label = P("Local gradient of ", ("m", latex_name(node)), " with respect to ", ("m", latex_name(name)))
                sec.blocks.append(self.eq(s, label + [("t", ":")]))
        sec.blocks.append(Para(P("The gradients of ", ("m", out), " with respect to the inputs:")))
        sec.blocks += [self.eq(s) for s in self.g if s.kind == "dfd" and s.subject in self.spec.values]
        return sec

    def results(self) -> Section:
        sec = Section("Result")
        rows = [[M(latex_name(self.spec.output)), M(fmt(self.g[f"val_{self.spec.output}"].value, self.d, True))]]
        rows += [[M(self.names[self.g[f"dfd_{n}"].symbol]), M(self.val(f"dfd_{n}"))] for n in self.spec.values]
        sec.blocks.append(Table([T("quantity"), T("value")], rows))
        return sec

    def val(self, step_id: str) -> str:
        s = self.g[step_id]
        return fmt(s.value, self.d, s.symbol in self.exact)

    def verification(self) -> Section:
        r = self.wt.report
        sec = Section("Verification")
        parts = P(
            f"Each of the {r.n_values} values above was computed exactly with SymPy (exact fractions, 50 digits "
            "after exp, log, ",
            ("m", r"\sigma"),
            " and tanh) and again by an independent floating-point evaluator, forward and reverse mode "
            f"(largest relative difference {r.max_numpy[0]:.1e}). ",
        )
        if r.n_gradients:
            parts += T(
                f"The {r.n_gradients} gradients with respect to the inputs were also computed by central finite "
                f"differences of the output (largest relative difference {r.max_fd[0]:.1e}). "
            )
        sec.blocks.append(Para(parts + T("All agree." if r.ok else f"{len(r.failures)} disagree.")))
        if r.notes:
            sec.blocks.append(Para(P(("u", " ".join(r.notes)))))
        return sec


class ExpressionWalkthrough:
    """Derive, verify and render one expression spec (``VerificationError`` when the three
    computations disagree and ``strict``)."""

    def __init__(self, spec: ExpressionSpec, strict: bool = True):
        self.spec = spec
        self.graph = derive_expression(spec)
        self.report = verify_expression(self.graph, strict)

    @classmethod
    def from_file(cls, path: str | Path) -> "ExpressionWalkthrough":
        return cls(load_expression(path))

    @classmethod
    def from_parts(cls, spec: ExpressionSpec, graph, report) -> "ExpressionWalkthrough":
        """A walkthrough of an already derived and verified graph (worksheet variants)."""
        wt = cls.__new__(cls)
        wt.spec, wt.graph, wt.report = spec, graph, report
        return wt

    @cached_property
    def document(self) -> Doc:
        return _Builder(self).build()

    def keyed(self, questions: dict[str, int]) -> Doc:
        """The document as an answer key: each question's answer boxed and numbered."""
        return _Builder(self, questions).build()

    def _render(self, fmt_name: str, doc: Doc | None = None) -> str:
        tpl = make_env(fmt_name).get_template(f"walkthrough.{fmt_name}.j2")
        return tpl.render(doc=doc or self.document, diagram="")

    def render(self, fmt_name: str, questions: dict[str, int] | None = None) -> str:
        """Markdown or LaTeX; with ``questions`` (step id -> number), as an answer key."""
        return self._render(fmt_name, self.keyed(questions) if questions else None)

    def markdown(self) -> str:
        return self._render("md")

    def latex(self) -> str:
        return self._render("tex")

    def json(self) -> str:
        """The numbers as JSON: every step's value, and what was verified."""
        r, g = self.report, self.graph
        data = {
            "kind": "expression",
            "title": self.spec.title,
            "output": self.spec.output,
            "inputs": {n: json_number(v) for n, v in self.spec.values.items()},
            "values": {s.id: json_number(s.value) for s in g},
            "verified": r.ok,
            "max_disagreement": {
                "sympy_vs_floats": {"relative": json_number(r.max_numpy[0]), "at": r.max_numpy[1]},
                "gradients_vs_finite_differences": {"relative": json_number(r.max_fd[0]), "at": r.max_fd[1]},
            },
            "rounding": {"decimals": self.spec.decimals, "carry": self.spec.carry},
        }
        return json.dumps(data, indent=2, allow_nan=False) + "\n"

    def _repr_markdown_(self) -> str:
        return self.markdown()


def walkthrough_of(spec, strict: bool = True):
    """The walkthrough of a spec of either kind (a network's, or an expression's)."""
    if spec.kind == "expression":
        return ExpressionWalkthrough(spec, strict)
    from derive.present.walkthrough import Walkthrough

    return Walkthrough(spec, strict)
