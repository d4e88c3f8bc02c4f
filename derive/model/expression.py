"""An expression spec (``kind: expression``): the chain rule on a small computational graph.

Before networks the chain rule is taught on a few lines of scalar arithmetic, each line one
node of a graph (CS231n's f = (x + y) z at x = -2, y = 5, z = -4):

.. code-block:: yaml

    kind: expression
    values: {x: -2, y: 5, z: -4}
    define: {q: x + y, f: q * z}
    output: f

Every key is declared in :data:`derive.model.fields.EXPRESSION`. Each ``define`` line is
read by the one formula whitelist (:func:`derive.model.syntax.to_tree`; never ``eval`` or
``sympify``) into a tree of plain tuples, and may read the ``values`` and the nodes defined
above it. Every problem is a one-line :class:`SpecError` naming the file and the field
(``define.f``). Whether each node is within its function's domain is decided where the
values are computed (:mod:`derive.graph.expression`), and named by node there.

>>> spec = load_expression_text('''
... kind: expression
... values: {x: -2, y: 5, z: -4}
... define: {q: x + y, f: q * z}
... output: f
... ''', "cs231n.yaml")
>>> spec.values, [(n.name, n.tree) for n in spec.nodes][1], spec.reads("f")
({'x': -2, 'y': 5, 'z': -4}, ('f', ('*', ('name', 'q'), ('name', 'z'))), ('q', 'z'))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sympy as sp

from derive.model.checks import FieldChecker, kind, show
from derive.model.expression_fields import EXPRESSION, EXPRESSION_VARY
from derive.model.faults import all_faults
from derive.model.fields import ROUNDING, SHEET
from derive.model.load import SpecError, parse_spec, read_spec_file
from derive.model.numbers import Number
from derive.model.spec import Spec, load_spec_text
from derive.model.syntax import FormulaError, to_tree
from derive.model.validate import grid

__all__ = [
    "ExpressionSpec",
    "Node",
    "is_expression",
    "load_any",
    "load_any_text",
    "load_expression",
    "load_expression_text",
    "names_in",
]

#: The step ids of an expression graph: ``val_<node>`` (a node's value), ``local_<node>__<name>``
#: (the local gradient of a node with respect to a name it reads) and ``dfd_<name>`` (the
#: output's gradient with respect to a node or an input). A name may not look like one.
ID_PREFIXES = ("val_", "local_", "dfd_")
#: At most this many inputs, and nodes: a graph a class works through by hand.
MAX_VALUES = 32
MAX_NODES = 64


@dataclass(frozen=True)
class Node:
    """One ``define`` line: its name, its tree (:mod:`derive.model.syntax`) and its text."""

    name: str
    tree: tuple
    text: str


@dataclass
class ExpressionSpec:
    source: str
    title: str
    story: str
    values: dict[str, sp.Rational]  # input name -> exact value
    written: dict[str, Number]  # input name -> as written
    nodes: list[Node]
    output: str
    decimals: int = 3
    carry: str = "exact"
    text: str = field(default="", repr=False)
    kind: str = "expression"
    #: worksheet variants: {values: (low, high, step) Numbers, allow_zero}
    vary: dict = field(default_factory=dict)
    sheet: dict[str, str] = field(default_factory=dict)  # a worksheet header: school, course, date

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def reads(self, name: str) -> tuple[str, ...]:
        """The names a node's line reads, each once, in the order they first appear."""
        return names_in(self.node(name).tree)


def names_in(tree: tuple) -> tuple[str, ...]:
    """The names a tree reads, each once, in reading order.

    >>> names_in(("+", ("name", "x"), ("*", ("name", "y"), ("name", "x"))))
    ('x', 'y')
    """
    out: list[str] = []
    todo = [tree]
    while todo:
        t = todo.pop()
        if t[0] == "name":
            if t[1] not in out:
                out.append(t[1])
        elif t[0] == "call":
            todo.append(t[2])
        elif t[0] != "num":
            todo.extend(reversed([c for c in t[1:] if isinstance(c, tuple)]))
    return tuple(out)


def is_expression(data) -> bool:
    """Whether parsed YAML asks for an expression spec (``kind: expression``)."""
    return isinstance(data, dict) and data.get("kind") == "expression"


class _Checker(FieldChecker):
    def spec(self, d, text: str) -> ExpressionSpec:
        d = self.section(d, "", EXPRESSION)
        written = self.values(d["values"])
        nodes = self.define(d["define"], written)
        output = self.field(d, "output", EXPRESSION)
        if output not in [n.name for n in nodes]:
            self.fail("output", f"{output!r} is not a node of define ({', '.join(n.name for n in nodes)})")
        rounding = self.field(d, "rounding", EXPRESSION)
        return ExpressionSpec(
            source=self.source,
            title=self.field(d, "title", EXPRESSION) or str(EXPRESSION["title"].default),
            story=self.field(d, "story", EXPRESSION),
            values={k: n.value for k, n in written.items()},
            written=written,
            nodes=nodes,
            output=output,
            decimals=self.field(rounding, "decimals", ROUNDING, "rounding"),
            carry=self.field(rounding, "carry", ROUNDING, "rounding"),
            text=text,
            vary=self.vary(self.field(d, "vary", EXPRESSION)),
            sheet={k: self.field(self.field(d, "sheet", EXPRESSION), k, SHEET, "sheet") for k in SHEET.fields},
        )

    def vary(self, v: dict) -> dict:
        out = {}
        if v.get("values") is not None:
            out["values"] = grid(self, self.field(v, "values", EXPRESSION_VARY, "vary"), "vary.values")
        if v.get("allow_zero") is not None:
            out["allow_zero"] = self.field(v, "allow_zero", EXPRESSION_VARY, "vary")
        return out

    def graph_name(self, v, where: str) -> str:
        name = self.name(v, where)
        if name.startswith(ID_PREFIXES) or "__" in name:
            self.fail(where, f"{name!r} looks like a step id (val_, local_, dfd_, or __); choose another name")
        return name

    def values(self, v) -> dict[str, Number]:
        if not isinstance(v, dict) or not v:
            self.fail("values", f"expected a mapping of input names to numbers, got {kind(v)}")
        if len(v) > MAX_VALUES:
            self.fail("values", f"at most {MAX_VALUES} inputs, got {len(v)}")
        return {self.graph_name(k, f"values.{k}"): self.number(x, f"values.{k}") for k, x in v.items()}

    def define(self, v, written: dict) -> list[Node]:
        if not isinstance(v, dict) or not v:
            self.fail("define", f"expected a mapping of node names to formulas, in order, got {kind(v)}")
        if len(v) > MAX_NODES:
            self.fail("define", f"at most {MAX_NODES} nodes, got {len(v)}")
        later = {str(k) for k in v}
        known: list[str] = list(written)
        nodes = []
        for k, line in v.items():
            where = f"define.{k}"
            name = self.graph_name(k, where)
            if name in written:
                self.fail(where, f"{name!r} is already an input (values); a node needs a name of its own")
            if isinstance(line, Number):
                line = line.text
            if not isinstance(line, str):
                self.fail(where, f"expected a formula, got {show(line) if line is not None else kind(line)}")
            try:
                tree = to_tree(line, later | set(known))
            except FormulaError as e:
                self.fail(where, str(e))
            early = [r for r in names_in(tree) if r not in known]
            if early:
                what = "itself" if early[0] == name else f"{early[0]!r}, which is defined below it"
                self.fail(where, f"reads {what}; a node reads the values and the nodes above it")
            nodes.append(Node(name, tree, line))
            known.append(name)
        return nodes


def load_expression_text(text: str, source: str = "<spec>") -> ExpressionSpec:
    """Validate an expression spec given as YAML text; ``source`` names it in messages."""
    return _expression(parse_spec(text, source), text, source)


def _expression(data, text: str, source: str) -> ExpressionSpec:
    try:
        return _Checker(source).spec(data, text)
    except SpecError as e:  # with the faults of other single fields, all at once
        raise all_faults(data, EXPRESSION, source, e) from None


def load_expression(path: str | Path) -> ExpressionSpec:
    """Read and validate the expression spec at ``path``."""
    path = Path(path)
    return load_expression_text(read_spec_file(path), path.name)


def load_any(path: str | Path) -> Spec | ExpressionSpec:
    """The spec at ``path``, of the kind it says (``kind: expression``, or a network)."""
    path = Path(path)
    return load_any_text(read_spec_file(path), path.name)


def load_any_text(text: str, source: str = "<spec>") -> Spec | ExpressionSpec:
    """A spec given as YAML text, of the kind it says (a worksheet's manifest keeps it)."""
    data = parse_spec(text, source)
    if is_expression(data):
        return _expression(data, text, source)
    return load_spec_text(text, source)
