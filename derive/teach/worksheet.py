"""What a worksheet asks: the variants (:mod:`derive.teach.variants`), the blank steps in
working order, and each question's wording. Rendering is in :mod:`derive.present.worksheet`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from derive.files import UsageError
from derive.graph.builder import derive
from derive.model.spec import Spec
from derive.teach.variants import make_variants, parse_variant_id

#: ``--blanks`` groups, by step kind, in the order a student works.
GROUPS = {
    "forward": ("net", "out"),
    "loss": ("loss",),
    "backward": ("dloss_dout", "dout_dnet", "delta", "grad"),
    "update": ("new",),
}
DESCRIBE = {
    "net": "the net input of {node}",
    "out": "the output of {node}",
    "loss": "the loss",
    "dloss_dout": "the derivative of the loss with respect to the output of {node}",
    "dout_dnet": "the derivative of the output of {node} with respect to its net input",
    "delta": "the error signal (delta) of {node}",
    "grad": "the gradient of the loss with respect to {param}",
    "new": "the new value of {param} after the update",
}


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
    blanks: list[str]
    rejected: dict = field(default_factory=dict)
    points: dict[str, float] = field(default_factory=dict)  # per step kind, as --points gives them; 1 else

    def questions(self, variant) -> list[Question]:
        g = variant.graph
        out: list[Question] = []
        for sid in self.blanks:
            st = g[sid]
            node = None
            if st.layer is not None and st.node is not None:
                node = variant.spec.layers[st.layer].nodes[st.node]
            text = DESCRIBE[st.kind].format(node=node, param=st.param)
            if st.sample is not None and len(variant.spec.samples) > 1:
                text += f" (sample {st.sample + 1})"
            out.append(Question(len(out) + 1, sid, text, float(self.points.get(st.kind, 1.0))))
        return out


def select_blanks(graph, option: str | None) -> list[str]:
    """Step ids to leave blank, in graph order: groups (forward, loss, backward, update) or ids."""
    if not option:
        option = ",".join(GROUPS)
    wanted = [w.strip() for w in option.split(",") if w.strip()]
    if not wanted:
        raise UsageError("--blanks: give groups (forward, loss, backward, update) or step ids")
    kinds: set[str] = set()
    ids: set[str] = set()
    for w in wanted:
        if w in GROUPS:
            kinds.update(GROUPS[w])
        elif w in graph.by_id:
            ids.add(w)
        else:
            raise UsageError(
                f"--blanks: {w!r} is neither a group (forward, loss, backward, update) "
                f"nor a step id of this network (e.g. {', '.join(graph.ids[:4])}, ...)"
            )
    return [s.id for s in graph if s.kind in kinds or s.id in ids]


def build_worksheet(
    spec: Spec, stem: str, variants: int = 1, seed: int = 0, blanks: str | None = None, only: str | None = None
) -> Worksheet:
    """Draw the variants (all, or only the one with id ``only``) and choose the blanks."""
    base = derive(spec)
    chosen = select_blanks(base, blanks)
    if only is not None:
        v_stem, v_seed, index = parse_variant_id(only)
        if v_stem != stem:
            raise UsageError(f"--variant {only}: belongs to spec {v_stem!r}, not {stem!r}")
        vs, rejected = make_variants(spec, stem, v_seed, index, base=base)
        return Worksheet(spec, stem, v_seed, vs[-1:], chosen, dict(rejected))
    vs, rejected = make_variants(spec, stem, seed, variants, base=base)
    return Worksheet(spec, stem, seed, vs, chosen, dict(rejected))


def variant_stem(path: Path) -> str:
    """The spec file's name without .yaml, as used in variant ids."""
    return path.name.rsplit(".", 1)[0]
