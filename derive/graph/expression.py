"""The step graph of an expression spec: forward node by node, backward by the chain rule.

Step ids (none of them parses as a network step id, :class:`derive.model.names.StepId`):

- ``val_<node>``: the node's value, its ``define`` line with the names it reads;
- ``local_<node>__<name>``: the node's local gradient with respect to a name its line reads
  (an input or an earlier node), SymPy's derivative of the line's own expression, with
  the node's own value put back where it appears, so that the textbook identities read as
  taught: σ' = σ(1 − σ), tanh' = 1 − tanh², exp' = exp, ReLU' = step;
- ``dfd_<name>``: the output's gradient with respect to a node or an input, the upstream
  gradient times the local one, summed over every node that reads the name (a name used
  in several places sums its paths); ``dfd_<output>`` is 1.

The forward steps come in the order of ``define``; the backward steps from the output
down, each node's ``dfd_`` before its local gradients, and the inputs' ``dfd_`` last, in
the order of ``values``. A node the output does not read has its value only, and an input
it does not read has gradient 0. A line used outside its domain (log of a non-positive
number, division by zero, ...) or on a kink (ReLU at exactly 0) is a :class:`SpecError`
naming its node (:mod:`derive.graph.expression_domain`).

>>> from derive.model.expression import load_expression_text
>>> g = derive_expression(load_expression_text('''
... kind: expression
... values: {x: -2, y: 5, z: -4}
... define: {q: x + y, f: q * z}
... output: f
... ''', "cs231n.yaml"))
>>> [(s.id, s.value) for s in g]  # doctest: +NORMALIZE_WHITESPACE
[('val_q', 3), ('val_f', -12), ('dfd_f', 1), ('local_f__q', -4), ('local_f__z', 3), ('dfd_q', -4),
 ('local_q__x', 1), ('local_q__y', 1), ('dfd_x', -4), ('dfd_y', -4), ('dfd_z', 3)]
>>> g["dfd_x"].formula, g["dfd_x"].back
(dfd_q*local_q__x, (('dfd_q', 'local_q__x'),))
"""

from __future__ import annotations

import dataclasses

import sympy as sp

from derive.graph.expression_domain import DomainError, line_value, sympy_of
from derive.graph.magnitude import below_float, beyond_float
from derive.graph.steps import Given, Step, StepGraph
from derive.model.expression import ExpressionSpec, names_in
from derive.model.load import SpecError

__all__ = ["derive_expression", "local_id", "local_parts", "rebind_expression", "with_values"]


def local_id(node: str, name: str) -> str:
    """The id of ``node``'s local gradient with respect to ``name``."""
    return f"local_{node}__{name}"


def local_parts(step_id: str) -> tuple[str, str]:
    """(node, name) of a local gradient's id (names never hold ``__``)."""
    node, _, name = step_id[len("local_") :].partition("__")
    return node, name


class _Builder:
    def __init__(self, spec: ExpressionSpec):
        self.spec = spec
        self.symbols = {name: sp.Symbol(name) for name in spec.values}
        self.symbols.update({n.name: sp.Symbol(f"val_{n.name}") for n in spec.nodes})
        self.exprs = {n.name: sympy_of(n.tree, self.symbols.__getitem__) for n in spec.nodes}
        self.reads = {n.name: names_in(n.tree) for n in spec.nodes}
        self.live = self._live()
        self.steps: list[Step] = []

    def _live(self) -> list[str]:
        """The nodes the output reads, itself included, in the order of ``define``."""
        live, todo = {self.spec.output}, [self.spec.output]
        while todo:
            for r in self.reads[todo.pop()]:
                if r in self.reads and r not in live:
                    live.add(r)
                    todo.append(r)
        return [n.name for n in self.spec.nodes if n.name in live]

    def add(self, sid: str, kind: str, subject: str, formula: sp.Expr, back: tuple = ()) -> None:
        deps = tuple(sorted({s.name for s in formula.free_symbols if s.name not in self.spec.values}))
        self.steps.append(Step(sid, kind, formula, deps, subject=subject, back=back))

    def forward(self) -> None:
        for n in self.spec.nodes:
            self.add(f"val_{n.name}", "val", n.name, self.exprs[n.name])

    def local(self, node: str, name: str) -> None:
        """d node / d name, with the node's own expression put back as its value."""
        # differentiated as SymPy evaluates the line: the derivative of an unevaluated power
        # keeps a division by its base, 0/0 where the base is 0
        expr = self.exprs[node].doit()
        d = sp.diff(expr, self.symbols[name])
        d = d.xreplace({expr: self.symbols[node]}) if not (expr.is_Symbol or expr.is_Number) else d
        self.add(local_id(node, name), "local", f"{node}__{name}", d)

    def gradient(self, name: str) -> None:
        """d output / d name: the sum over the live nodes that read ``name`` of upstream x local."""
        if name == self.spec.output:
            self.add(f"dfd_{name}", "dfd", name, sp.Integer(1))
            return
        back = tuple((f"dfd_{c}", local_id(c, name)) for c in self.live if name in self.reads[c])
        terms = [sp.Mul(sp.Symbol(u), sp.Symbol(loc), evaluate=False) for u, loc in back]
        formula = sp.Integer(0) if not terms else terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)
        self.add(f"dfd_{name}", "dfd", name, formula, back)

    def backward(self) -> None:
        for node in reversed(self.live):
            self.gradient(node)
            for name in self.reads[node]:
                self.local(node, name)
        for name in self.spec.values:
            self.gradient(name)


def _where(spec: ExpressionSpec, step: Step) -> str:
    subject = str(step.subject).partition("__")[0]  # (a local gradient's node)
    return f"values.{subject}" if subject in spec.values else f"define.{subject}"


def check_values(spec: ExpressionSpec) -> None:
    """Every line within its functions' domains at the spec's values (a SpecError naming
    the node otherwise), node by node, before any step is built."""
    env = dict(spec.values)
    for n in spec.nodes:
        try:
            env[n.name] = line_value(n.tree, env)
        except DomainError as e:
            raise SpecError(spec.source, f"define.{n.name}", str(e)) from None


def derive_expression(spec: ExpressionSpec) -> StepGraph:
    """The step graph of an expression spec, its values computed and checked."""
    check_values(spec)
    b = _Builder(spec)
    b.forward()
    b.backward()
    return _evaluated(spec, b.steps)


def _evaluated(spec: ExpressionSpec, steps: list[Step]) -> StepGraph:
    givens = {name: Given(name, "input", name) for name in spec.values}
    try:
        graph = StepGraph(spec, steps, dict(spec.values), givens)
    except SpecError as e:  # a gradient beyond 10^±1000 (σ' at 2700): named by its node
        step = next(s for s in steps if s.id == e.where)
        raise SpecError(spec.source, _where(spec, step), f"{step.id} is beyond float64; choose other values") from None
    for s in graph:
        if beyond_float(s.exact) or below_float(s.exact):
            raise SpecError(spec.source, _where(spec, s), f"{s.id} is beyond float64; choose other values")
    return graph


def with_values(spec: ExpressionSpec, written: dict) -> ExpressionSpec:
    """``spec`` with new inputs (name -> :class:`~derive.model.numbers.Number`), e.g. a
    worksheet variant's.

    >>> from derive.model.expression import load_expression
    >>> from derive.model.numbers import read_number
    >>> with_values(load_expression("worked/expression.yaml"), {"x": read_number("1")}).values
    {'x': 1, 'y': 5, 'z': -4}
    """
    written = {**spec.written, **written}
    return dataclasses.replace(spec, values={k: n.value for k, n in written.items()}, written=written)


def rebind_expression(graph: StepGraph, spec: ExpressionSpec) -> StepGraph:
    """The same graph evaluated at ``spec``'s values (its formulas do not depend on them,
    so nothing is derived again); a SpecError naming the node, as :func:`derive_expression`,
    when a line is outside its domain or on a kink there."""
    check_values(spec)
    return _evaluated(spec, [dataclasses.replace(s, value=None, exact=None) for s in graph.steps])
