"""What a worksheet asks and gives: the variants (:mod:`derive.teach.variants`), the blank
steps in the order the sheet numbers them, each question's wording, and the steps the sheet
may print (:func:`givens`: the problem, never its solution). Rendering is in
:mod:`derive.present.worksheet`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from derive.files import UsageError
from derive.graph.builder import derive
from derive.graph.expression import derive_expression, local_parts
from derive.graph.optimizers import RULES
from derive.model.spec import Spec
from derive.teach.expression_variants import make_expression_variants
from derive.teach.variants import make_variants, parse_variant_id

#: ``--blanks`` groups, by step kind, in the order a student works.
GROUPS = {
    "forward": ("net", "out"),
    "loss": ("loss",),
    "backward": ("dloss_dout", "dout_dnet", "delta", "grad"),
    "update": ("m", "v", "mhat", "vhat", "change", "new"),
}
#: An expression graph's groups: its nodes' values, then its local gradients and gradients
#: (not the output's own, which is 1: the sheet gives it as the start of the backward pass).
EXPRESSION_GROUPS = {"forward": ("val",), "backward": ("local", "dfd")}
DESCRIBE = {
    "net": "the net input of {node}",
    "out": "the output of {node}",
    "loss": "the loss",
    "dloss_dout": "the derivative of the loss with respect to the output of {node}",
    "dout_dnet": "the derivative of the output of {node} with respect to its net input",
    "delta": "the error signal (delta) of {node}",
    "grad": "the gradient of the loss with respect to {param}",
    # (m, v, mhat, vhat: in the words of the sheet's optimizer, derive.graph.optimizers)
    "change": "the change of {param} in the update",
    "new": "the new value of {param} after the update",
    "val": "the value of {node}",
    "local": "the local gradient ∂{node}/∂{name} of {node} with respect to {name}",
    "dfd": "∂{out}/∂{name}, the gradient of {out} with respect to {name}",
}


def is_expression_graph(graph) -> bool:
    """Whether ``graph`` is an expression spec's (``val_``, ``local_``, ``dfd_`` steps)."""
    return graph.spec.kind == "expression"


def groups_of(graph) -> dict[str, tuple[str, ...]]:
    """The ``--blanks`` groups of a graph's kind of spec."""
    return EXPRESSION_GROUPS if is_expression_graph(graph) else GROUPS


def derive_any(spec):
    """The step graph of a spec of either kind."""
    return derive_expression(spec) if spec.kind == "expression" else derive(spec)


def variants_of(spec, stem: str, seed: int, count: int, **kw):
    """The variants of a spec of either kind (:func:`derive.teach.variants.make_variants`)."""
    if spec.kind == "expression":
        return make_expression_variants(spec, stem, seed, count, **kw)
    return make_variants(spec, stem, seed, count, **kw)


def describe(spec, st) -> str:
    """What step ``st`` of a graph of ``spec`` is, in words: the one wording of a question,
    on sheets, keys, answer templates, manifests and Moodle.

    >>> from derive.model.expression import load_expression
    >>> g = derive_expression(load_expression("worked/expression.yaml"))
    >>> describe(g.spec, g["local_f__q"]), describe(g.spec, g["dfd_x"])
    ('the local gradient ∂f/∂q of f with respect to q', '∂f/∂x, the gradient of f with respect to x')
    """
    if st.kind == "local":
        node, name = local_parts(st.id)
        return DESCRIBE["local"].format(node=node, name=name)
    if st.kind in ("val", "dfd"):
        return DESCRIBE[st.kind].format(node=st.subject, name=st.subject, out=spec.output)
    where: str | None = None
    if st.layer is not None and st.node is not None:
        where = spec.layers[st.layer].nodes[st.node]
    words = DESCRIBE.get(st.kind) or dict(RULES[spec.optimizer.name].words)[st.kind]
    text = words.format(node=where, param=st.param or st.subject)  # (or an input's)
    if spec.learning_rate is None:  # loss: none differentiates the output
        text = text.replace("of the loss", f"of the output {spec.outputs[0]}")
    if st.after:
        text += " at the updated parameters"
    if st.sample is not None and len(spec.samples) > 1:
        text += f" (sample {st.sample + 1})"
    if st.update:  # a later step of an unrolled steps: N
        text += f" (step {st.update + 1})"
    return text


@dataclass
class Question:
    number: int
    id: str
    text: str  # what it is, in words (its LaTeX is made by derive.present.problem)
    points: float = 1.0


@dataclass
class Worksheet:
    spec: Spec
    stem: str
    seed: int
    variants: list
    blanks: list[str]  # the steps asked, in question order: Q1 is blanks[0]
    rejected: dict = field(default_factory=dict)
    points: dict[str, float] = field(default_factory=dict)  # per step kind, as --points gives them; 1 else
    given: list[str] = field(default_factory=list)  # steps given on purpose (--given)
    order: list[str] = field(default_factory=list)  # every step id, in the sheet's order

    def numbered(self, order: Sequence[str]) -> Worksheet:
        """The same sheet with its questions (and givens) in ``order``, a list of every step
        id: the order its answer key shows them (:func:`derive.present.worksheet.make_worksheet`)."""
        rank = {sid: i for i, sid in enumerate(order)}
        return replace(
            self,
            blanks=sorted(self.blanks, key=rank.__getitem__),
            given=sorted(self.given, key=rank.__getitem__),
            order=list(order),
        )

    def given_steps(self, variant) -> list:
        """The steps this sheet prints under its given values (:func:`givens`), in its order."""
        shown = set(givens(variant.graph, self.blanks, self.given))
        order = self.order or variant.graph.ids
        return [variant.graph[sid] for sid in order if sid in shown]

    def questions(self, variant) -> list[Question]:
        g = variant.graph
        out: list[Question] = []
        for sid in self.blanks:
            st = g[sid]
            text = describe(variant.spec, st)
            out.append(Question(len(out) + 1, sid, text, float(self.points.get(st.kind, 1.0))))
        return out


def select_blanks(graph, option: str | None) -> list[str]:
    """Step ids to leave blank, in graph order: groups (forward, loss, backward, update; an
    expression's forward, backward) or ids. The groups leave out an expression's
    ``dfd_<output>``, which is 1."""
    groups = groups_of(graph)
    names = ", ".join(groups)
    if not option:
        option = ",".join(groups)
    wanted = [w.strip() for w in option.split(",") if w.strip()]
    if not wanted:
        raise UsageError(f"--blanks: give groups ({names}) or step ids")
    kinds: set[str] = set()
    ids: set[str] = set()
    for w in wanted:
        if w in groups:
            kinds.update(groups[w])
        elif w in graph.by_id:
            ids.add(w)
        else:
            what = "expression graph" if is_expression_graph(graph) else "network"
            raise UsageError(
                f"--blanks: {w!r} is neither a group ({names}) "
                f"nor a step id of this {what} (e.g. {', '.join(graph.ids[:4])}, ...)"
            )
    one = f"dfd_{graph.spec.output}" if is_expression_graph(graph) else ""
    return [s.id for s in graph if (s.kind in kinds and s.id != one) or s.id in ids]


def descendants(graph, roots: Iterable[str]) -> set[str]:
    """Every step computed from one of ``roots``, directly or through other steps (read
    from each step's ``deps``; the graph lists a step after every step it reads)."""
    found: set[str] = set()
    roots = set(roots)
    for st in graph:
        if any(d in roots or d in found for d in st.deps):
            found.add(st.id)
    return found


def givens(graph, blanks: Iterable[str], extra: Iterable[str] = ()) -> list[str]:
    """The steps a sheet may print besides the network and its numbers, in graph order: the
    problem, not its solution. A step is printed when it is neither a blank nor computed
    from one (dJ/db_o2 = delta_o2 * 1 descends from delta_o2, a new weight from its
    gradient); a step a blank is computed from may be printed. ``extra`` steps (``--given``)
    are printed whatever they descend from. The one rule for sheets and Moodle."""
    blanks = set(blanks)
    hidden = blanks | descendants(graph, blanks)
    extra = set(extra)
    return [st.id for st in graph if st.id not in hidden or st.id in extra]


def select_given(graph, option: str | None, blanks: Sequence[str]) -> list[str]:
    """The ``--given`` step ids, in graph order: each a step of the network and not a blank."""
    wanted = [w.strip() for w in (option or "").split(",") if w.strip()]
    for w in wanted:
        if w not in graph.by_id:
            raise UsageError(f"--given: {w!r} is not a step id of this network (e.g. {', '.join(graph.ids[:4])}, ...)")
        if w in blanks:
            raise UsageError(f"--given: {w!r} is also a blank; a step is either asked or given")
    return [sid for sid in graph.ids if sid in wanted]


def build_worksheet(
    spec: Spec,
    stem: str,
    variants: int = 1,
    seed: int = 0,
    blanks: str | None = None,
    only: str | None = None,
    given: str | None = None,
) -> Worksheet:
    """Draw the variants (all, or only the one with id ``only``), choose the blanks and the
    steps given on purpose. Its questions are in graph order; the sheets number them in the
    order the answer key shows them (:func:`derive.present.worksheet.make_worksheet`)."""
    base = derive_any(spec)
    chosen = select_blanks(base, blanks)
    extra = select_given(base, given, chosen)
    if only is not None:
        v_stem, v_seed, index = parse_variant_id(only)
        if v_stem != stem:
            raise UsageError(f"--variant {only}: belongs to spec {v_stem!r}, not {stem!r}")
        vs, rejected = variants_of(spec, stem, v_seed, index, base=base)
        return Worksheet(spec, stem, v_seed, vs[-1:], chosen, dict(rejected), given=extra, order=list(base.ids))
    vs, rejected = variants_of(spec, stem, seed, variants, base=base)
    return Worksheet(spec, stem, seed, vs, chosen, dict(rejected), given=extra, order=list(base.ids))


def variant_stem(path: Path) -> str:
    """The spec file's name without .yaml, as used in variant ids."""
    return path.name.rsplit(".", 1)[0]
