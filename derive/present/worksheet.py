"""Printable worksheets: per-variant problem sheets, answer keys and answer templates, class
PDFs, the manifest and the Moodle bank, returned as ``{name: text or bytes}``;
:func:`write_worksheet` writes them safely. Nothing here re-derives the math: sheets and
keys read the step graph.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from derive.errors import one_line
from derive.figures import figure
from derive.files import UsageError, check_outputs, temp_folder, write_files
from derive.present.derivation import derivation_section
from derive.present.diagram import diagram_svg, diagram_tikz
from derive.present.env import make_env
from derive.present.expression import ExpressionWalkthrough
from derive.present.expression_sheet import problem_view
from derive.present.moodle import moodle_xml
from derive.present.notation import yaml_scalar
from derive.present.numbers import fmt
from derive.present.pdf import compile_pdfs
from derive.present.problem import ProblemView
from derive.present.render import render
from derive.present.walkthrough import Walkthrough
from derive.present.walkthrough_doc import document, presented_order
from derive.teach.manifest import manifest_data
from derive.teach.worksheet import Worksheet, build_worksheet


def make_worksheet(
    spec,
    stem: str,
    variants: int = 1,
    seed: int = 0,
    blanks: str | None = None,
    only: str | None = None,
    given: str | None = None,
) -> Worksheet:
    """The worksheet (:func:`derive.teach.worksheet.build_worksheet`) with its questions
    numbered in the order its answer key shows them: one order for the sheet, the key, the
    answers template, the manifest and Moodle."""
    ws = build_worksheet(spec, stem, variants, seed, blanks, only, given)
    if _expression(ws):  # its walkthrough shows the steps in graph order
        return ws.numbered(ws.variants[0].graph.ids)
    wt, _ = _key_view(ws, ws.variants[0])
    return ws.numbered(presented_order(wt))


def _expression(ws: Worksheet) -> bool:
    return ws.spec.kind == "expression"


def picture_name(ws: Worksheet, variant) -> str:
    """The SVG a Markdown sheet shows: the network's (one for every variant), or the
    variant's own circuit, with its given numbers on it."""
    return f"{variant.id}-graph.svg" if _expression(ws) else "network.svg"


@dataclass(frozen=True)
class SheetStyle:
    """How sheets and keys are laid out: ``layout`` standard (the givens and questions one
    after the other) or compact (both on one page, in two columns); ``key`` full (the
    worked walkthrough), answers (a table per variant) or both; ``header`` the (label,
    value) pairs printed under the title: school, course, date."""

    layout: str = "standard"
    key: str = "full"
    header: tuple[tuple[str, str], ...] = ()


LAYOUTS = ("standard", "compact")
KEYS = ("full", "answers", "both")


def _working(view: ProblemView) -> str:
    """The space left for working under each question on a compact sheet's column."""
    n = max(len(view.questions), 1)
    return f"{max(0.2, min(2.5, (20.0 - 1.6 * n) / n)):.1f}cm"


def render_sheet(
    ws: Worksheet, variant, fmt_name: str, derivations: str = "", figures: tuple = (), style: SheetStyle = SheetStyle()
) -> str:
    """One variant's problem sheet; ``derivations`` is a rendered section appended to it and
    ``figures`` are names of figure files (figure-<kind>.png) shown after the questions."""
    if fmt_name == "tex":
        return render_sheets(ws, [variant], derivations, figures, style)
    view = problem_view(ws, variant)
    return (
        make_env("md")
        .get_template("worksheet.md.j2")
        .render(s=view, svg=picture_name(ws, variant), derivations=derivations, figures=figures, style=style)
    )


def render_sheets(ws: Worksheet, variants, derivations: str, figures: tuple, style: SheetStyle) -> str:
    """The LaTeX of the sheets of ``variants``, one after the other (each on an odd page)."""
    views = [problem_view(ws, v) for v in variants]
    working = {view.id: _working(view) for view in views}
    template = make_env("tex").get_template("worksheet.tex.j2")
    return template.render(
        sheets=views,
        working=working,
        diagram="" if _expression(ws) else diagram_tikz(ws.spec),
        derivations=derivations,
        figures=figures,
        style=style,
    )


def _key_view(ws: Worksheet, variant):
    """The variant as a walkthrough titled as its answer key."""
    spec = dataclasses.replace(variant.spec, title=f"{variant.spec.title}: answer key {variant.id}")
    kind = ExpressionWalkthrough if _expression(ws) else Walkthrough
    wt = kind.from_parts(spec, variant.graph, variant.report)
    return wt, {q.id: q.number for q in ws.questions(variant)}


def render_key(ws: Worksheet, variant, fmt_name: str) -> str:
    wt, questions = _key_view(ws, variant)
    if _expression(ws):
        return wt.render(fmt_name, questions)
    return render(wt, fmt_name, questions)


def answer_rows(ws: Worksheet, variant) -> list[tuple]:
    """(number, the quantity's LaTeX, the verified answer at the sheet's places, points) per question."""
    view = problem_view(ws, variant)
    g, d = variant.graph, variant.spec.decimals
    return [(q.number, q.tex, fmt(g[q.id].value, d), q.points) for q in view.questions]


def render_answer_key(ws: Worksheet, variants, fmt_name: str, style: SheetStyle = SheetStyle()) -> str:
    """The answers-only key: one table per variant (each on a page of its own in LaTeX)."""
    keys = [(v.id, answer_rows(ws, v)) for v in variants]
    name = "answer-key.tex.j2" if fmt_name == "tex" else "answer-key.md.j2"
    return make_env(fmt_name).get_template(name).render(title=ws.spec.title, keys=keys, style=style)


def render_class(ws: Worksheet, kind: str, derivations: str = "", figures: tuple = (), style=SheetStyle()) -> str:
    """All variants' sheets (``kind='sheets'``) or keys in one LaTeX document, every section
    of the single sheets included."""
    if kind == "sheets":
        return render_sheets(ws, ws.variants, derivations, figures, style)
    if kind == "answers":
        return render_answer_key(ws, ws.variants, "tex", style)
    docs = []
    for v in ws.variants:
        wt, questions = _key_view(ws, v)
        docs.append(wt.keyed(questions) if _expression(ws) else document(wt, questions))
    diagram = "" if _expression(ws) else diagram_tikz(ws.spec)  # (an expression key's is its own)
    return make_env("tex").get_template("class-keys.tex.j2").render(docs=docs, diagram=diagram)


def answers_template(ws: Worksheet, variant) -> str:
    lines = [
        f"# Answers to worksheet {one_line(variant.id)}: write each value after its colon.",
        "# A number (0.593), a fraction (3/8) or arithmetic (0.5*(1-0.64)) is accepted.",
        f"variant: {yaml_scalar(variant.id)}",
    ]
    for q in ws.questions(variant):
        lines.append(f"{q.id}:   # Q{q.number}: {q.text}")
    return "\n".join(lines) + "\n"


def manifest(ws: Worksheet, options: dict) -> str:
    """worksheet.json: what ``derive check --worksheet`` marks from (:mod:`derive.teach.manifest`)."""
    return json.dumps(manifest_data(ws, options), indent=2, allow_nan=False, ensure_ascii=False) + "\n"


def figure_files(kinds: list[str]) -> dict[str, bytes]:
    """The named figures (``tangent``, ``surface``, ``boundary``) as still PNGs, by file name."""
    out = {}
    with temp_folder("fig") as d:
        for kind in kinds:
            name = f"figure-{kind}.png"
            out[name] = figure(kind, d / name).read_bytes()
    return out


def worksheet_files(
    ws: Worksheet,
    pdf: bool = False,
    moodle: bool = False,
    options: dict | None = None,
    derivations: list[str] | None = None,
    figures: list[str] | None = None,
    style: SheetStyle = SheetStyle(),
    progress=None,
) -> dict[str, str | bytes]:
    """Every output file of a worksheet run, by name; ``progress(done, total)`` is told as
    each PDF is made."""
    files: dict[str, str | bytes] = {}
    if _expression(ws):
        files.update((picture_name(ws, v), problem_view(ws, v).svg) for v in ws.variants)
    else:
        files["network.svg"] = diagram_svg(ws.spec)
    pictures = figure_files(figures) if figures else {}
    files.update(pictures)
    names = tuple(pictures)
    extra = {"md": "", "tex": ""}
    if derivations:
        extra = {f: derivation_section(derivations, f) for f in ("md", "tex")}
    full, answers = style.key in ("full", "both"), style.key in ("answers", "both")
    tex_jobs = {}
    for v in ws.variants:
        files[f"{v.id}-sheet.md"] = render_sheet(ws, v, "md", extra["md"], names, style)
        files[f"{v.id}-sheet.tex"] = tex_jobs[f"{v.id}-sheet.pdf"] = render_sheet(
            ws, v, "tex", extra["tex"], names, style
        )
        if full:
            files[f"{v.id}-key.md"] = render_key(ws, v, "md")
            files[f"{v.id}-key.tex"] = tex_jobs[f"{v.id}-key.pdf"] = render_key(ws, v, "tex")
        if answers:
            files[f"{v.id}-answer-key.md"] = render_answer_key(ws, [v], "md", style)
            files[f"{v.id}-answer-key.tex"] = tex_jobs[f"{v.id}-answer-key.pdf"] = render_answer_key(
                ws, [v], "tex", style
            )
        files[f"{v.id}-answers.yaml"] = answers_template(ws, v)
    if moodle:
        files["moodle.xml"] = moodle_xml(ws)
    if pdf:
        tex_jobs["class-sheets.pdf"] = render_class(ws, "sheets", extra["tex"], names, style)
        if full:
            tex_jobs["class-keys.pdf"] = render_class(ws, "keys")
        if answers:
            tex_jobs["class-answer-keys.pdf"] = render_class(ws, "answers", style=style)
        files.update(compile_pdfs(tex_jobs, assets=pictures, progress=progress))
    files["worksheet.json"] = manifest(ws, options or {})
    return files


def check_destination(out: Path, ws: Worksheet, force: bool = False, names: Iterable[str] = ()) -> None:
    """Refuse, before any work, a destination that cannot take the worksheet: not a folder,
    a missing parent, a folder that cannot be written or made, an output name (of
    ``names``, the files to write when they are known, and the answer files) taken by a
    folder, or answer files (which may hold a student's answers) that would be overwritten
    without ``force``."""
    answers = [f"{v.id}-answers.yaml" for v in ws.variants]
    check_outputs(out, [*names, *answers])
    if not force:
        for name in answers:
            if (out / name).exists():
                raise UsageError(f"{out / name}: exists and may hold a student's answers; use --force to overwrite")


def write_worksheet(files: dict[str, str | bytes], out: Path, ws: Worksheet, force: bool = False) -> None:
    """Write every file into ``out`` (created if needed), every name checked first (as
    :func:`check_destination`), so that a refusal writes nothing."""
    check_destination(out, ws, force, files)
    write_files(out, files)
