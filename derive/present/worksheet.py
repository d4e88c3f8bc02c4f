"""Printable worksheets: per-variant problem sheets, answer keys and answer templates.

``build_worksheet`` draws the variants (:mod:`derive.variants`), picks the blank steps,
and returns every output file as ``{name: bytes or text}``; :func:`write_worksheet`
writes them safely. Nothing here re-derives the math: sheets and keys read the step graph.
"""
from __future__ import annotations

import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from derive.graph.activations import ACTIVATIONS
from derive.present.diagram import diagram_svg, diagram_tikz
from derive.present.files import UsageError, write_atomic
from derive.graph.losses import LOSSES
from derive.present.render import document, make_env, render
from derive.model.spec import Spec
from derive.graph.steps import fmt
from derive.graph.builder import derive, latex_name
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
    tex: str            # the quantity's LaTeX
    text: str           # what it is, in words


@dataclass
class Worksheet:
    spec: Spec
    stem: str
    seed: int
    variants: list
    blanks: list[str]
    rejected: dict = field(default_factory=dict)

    def questions(self, variant) -> list[Question]:
        g = variant.graph
        out = []
        for sid in self.blanks:
            st = g[sid]
            node = None
            if st.layer is not None and st.node is not None:
                node = variant.spec.layers[st.layer].nodes[st.node]
            text = DESCRIBE[st.kind].format(node=node, param=st.param)
            if st.sample is not None and len(variant.spec.samples) > 1:
                text += f" (sample {st.sample + 1})"
            out.append(Question(len(out) + 1, sid, g.latex_names[st.symbol], text))
        return out


def select_blanks(graph, option: str | None) -> list[str]:
    """Step ids to leave blank, in graph order: groups (forward, loss, backward, update) or ids."""
    if not option:
        option = ",".join(GROUPS)
    wanted = [w.strip() for w in option.split(",") if w.strip()]
    if not wanted:
        raise UsageError("--blanks: give groups (forward, loss, backward, update) or step ids")
    kinds, ids = set(), set()
    for w in wanted:
        if w in GROUPS:
            kinds.update(GROUPS[w])
        elif w in graph.by_id:
            ids.add(w)
        else:
            raise UsageError(f"--blanks: {w!r} is neither a group (forward, loss, backward, update) "
                             f"nor a step id of this network (e.g. {', '.join(graph.ids[:4])}, ...)")
    return [s.id for s in graph if s.kind in kinds or s.id in ids]


def build_worksheet(spec: Spec, stem: str, variants: int = 1, seed: int = 0, blanks: str | None = None,
                    only: str | None = None) -> Worksheet:
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


# --------------------------------------------------------------------------- sheets


class _View:
    """What a template needs to show one variant's problem."""

    def __init__(self, ws: Worksheet, variant):
        self.ws, self.v = ws, variant
        spec, g = variant.spec, variant.graph
        self.id = variant.id
        self.title = spec.title
        self.story = spec.story
        self.d = spec.decimals
        self.questions = ws.questions(variant)
        blank = set(ws.blanks)
        self.params = [(latex_name(n), what, fmt(v, self.d, True)) for n, what, v in spec.parameters()]
        multi = len(spec.samples) > 1
        self.inputs_tex = [latex_name(n) for n in spec.inputs]
        self.outputs_tex = [r"y_{%s}" % o for o in spec.outputs]
        self.samples = [([fmt(v, self.d, True) for v in s.x], [fmt(v, self.d, True) for v in s.y]) for s in spec.samples]
        self.multi = multi
        self.eta = fmt(spec.learning_rate, self.d, True)
        self.loss = LOSSES[spec.loss]
        self.layers = [(l.name, ", ".join(l.nodes), ACTIVATIONS[l.activation].defined, l.activation) for l in spec.layers]
        self.known = [(g.latex_names[s.symbol], fmt(s.value, self.d)) for s in g if s.id not in blank]
        carry = ("round each answer to {d} decimal places and use the rounded values in later steps"
                 if spec.carry == "rounded" else
                 "give each answer to {d} decimal places, but keep full precision for later steps")
        self.instructions = carry.format(d=self.d)


def render_sheet(ws: Worksheet, variant, fmt_name: str, derivations: str = "", figures: tuple = ()) -> str:
    """One variant's problem sheet; ``derivations`` is a rendered section appended to it and
    ``figures`` are names of figure files (figure-<kind>.png) shown after the questions."""
    env = make_env(fmt_name)
    view = _View(ws, variant)
    if fmt_name == "tex":
        return env.get_template("worksheet.tex.j2").render(sheets=[view], diagram=diagram_tikz(variant.spec),
                                                           derivations=derivations, figures=figures)
    return env.get_template("worksheet.md.j2").render(s=view, svg="network.svg", derivations=derivations,
                                                      figures=figures)


def _key_view(ws: Worksheet, variant):
    """The variant as a walkthrough titled as its answer key."""
    from derive.present.walkthrough import Walkthrough

    spec = dataclasses.replace(variant.spec, title=f"{variant.spec.title}: answer key {variant.id}")
    wt = Walkthrough.from_parts(spec, variant.graph, variant.report)
    return wt, {q.id: q.number for q in ws.questions(variant)}


def render_key(ws: Worksheet, variant, fmt_name: str) -> str:
    wt, questions = _key_view(ws, variant)
    return render(wt, fmt_name, questions)


def render_class(ws: Worksheet, kind: str) -> str:
    """All variants' sheets (``kind='sheets'``) or keys in one LaTeX document."""
    env = make_env("tex")
    diagram = diagram_tikz(ws.spec)
    if kind == "sheets":
        return env.get_template("worksheet.tex.j2").render(sheets=[_View(ws, v) for v in ws.variants], diagram=diagram,
                                                           derivations="", figures=())
    docs = []
    for v in ws.variants:
        wt, questions = _key_view(ws, v)
        docs.append(document(wt, questions))
    return env.get_template("class-keys.tex.j2").render(docs=docs, diagram=diagram)


def answers_template(ws: Worksheet, variant) -> str:
    lines = [f"# Answers to worksheet {variant.id}: write each value after its colon.",
             "# A number (0.593), a fraction (3/8) or arithmetic (0.5*(1-0.64)) is accepted.",
             f"variant: {variant.id}"]
    for q in ws.questions(variant):
        lines.append(f"{q.id}:   # Q{q.number}: {q.text}")
    return "\n".join(lines) + "\n"


def manifest(ws: Worksheet, options: dict) -> str:
    data = {
        "spec": ws.stem,
        "seed": ws.seed,
        "options": options,
        "blanks": ws.blanks,
        "rejected_draws": {"total": sum(ws.rejected.values()), "by_reason": dict(sorted(ws.rejected.items()))},
        "variants": [{
            "id": v.id,
            "index": v.index,
            "parameters": {p: float(v.graph.given[v.graph.leaves[p]]) for p in v.spec.trainable() + v.spec.frozen()},
            "samples": [{"x": [float(a) for a in s.x], "y": [float(a) for a in s.y]} for s in v.spec.samples],
            "key": {s.id: float(s.value) for s in v.graph},
            "verified": v.report.ok,
        } for v in ws.variants],
    }
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def figure_files(kinds: list[str]) -> dict[str, bytes]:
    """The named figures (``tangent``, ``surface``, ``boundary``) as still PNGs, by file name."""
    import tempfile

    from derive.figures import figure

    out = {}
    with tempfile.TemporaryDirectory() as d:
        for kind in kinds:
            name = f"figure-{kind}.png"
            out[name] = figure(kind, Path(d) / name).read_bytes()
    return out


def worksheet_files(ws: Worksheet, pdf: bool = False, moodle: bool = False, options: dict | None = None,
                    derivations: list[str] | None = None, figures: list[str] | None = None) -> dict[str, str | bytes]:
    """Every output file of a worksheet run, by name."""
    files: dict[str, str | bytes] = {"network.svg": diagram_svg(ws.spec)}
    pictures = figure_files(figures) if figures else {}
    files.update(pictures)
    names = tuple(pictures)
    extra = {"md": "", "tex": ""}
    if derivations:
        from derive.present.derivation import derivation_section

        extra = {f: derivation_section(derivations, f) for f in ("md", "tex")}
    tex_jobs = {}
    for v in ws.variants:
        files[f"{v.id}-sheet.md"] = render_sheet(ws, v, "md", extra["md"], names)
        files[f"{v.id}-sheet.tex"] = tex_jobs[f"{v.id}-sheet.pdf"] = render_sheet(ws, v, "tex", extra["tex"], names)
        files[f"{v.id}-key.md"] = render_key(ws, v, "md")
        files[f"{v.id}-key.tex"] = tex_jobs[f"{v.id}-key.pdf"] = render_key(ws, v, "tex")
        files[f"{v.id}-answers.yaml"] = answers_template(ws, v)
    if moodle:
        from derive.present.moodle import moodle_xml

        files["moodle.xml"] = moodle_xml(ws)
    if pdf:
        tex_jobs["class-sheets.pdf"] = render_class(ws, "sheets")
        tex_jobs["class-keys.pdf"] = render_class(ws, "keys")
        from derive.present.pdf import compile_pdf

        with ThreadPoolExecutor(max_workers=2) as pool:   # pdflatex runs in its own process
            results = dict(zip(tex_jobs, pool.map(lambda tex: compile_pdf(tex, assets=pictures), tex_jobs.values())))
        files.update(results)
    files["worksheet.json"] = manifest(ws, options or {})
    return files


def write_worksheet(files: dict[str, str | bytes], out: Path, force: bool = False) -> None:
    """Write every file into ``out`` (created if needed). Checked first, so that a refusal
    writes nothing: filled-in answer files are never overwritten without ``force``."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder")
    if not out.parent.is_dir():
        raise UsageError(f"{out}: folder {out.parent} does not exist")
    if not force:
        for name in files:
            if name.endswith("-answers.yaml") and (out / name).exists():
                raise UsageError(f"{out / name}: exists and may hold a student's answers; use --force to overwrite")
    try:
        out.mkdir(exist_ok=True)
    except OSError as e:
        raise UsageError(f"{out}: cannot create ({e.strerror})") from None
    for name, data in files.items():
        write_atomic(out / name, data)


def variant_stem(path: Path) -> str:
    """The spec file's name without .yaml, as used in variant ids."""
    return path.name.rsplit(".", 1)[0]
