"""Printable worksheets: per-variant problem sheets, answer keys and answer templates, class
PDFs, the manifest and the Moodle bank, returned as ``{name: text or bytes}``;
:func:`write_worksheet` writes them safely. Nothing here re-derives the math: sheets and
keys read the step graph.
"""

from __future__ import annotations

import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from derive.figures import figure
from derive.files import UsageError, write_atomic
from derive.present.derivation import derivation_section
from derive.present.diagram import diagram_svg, diagram_tikz
from derive.present.env import make_env
from derive.present.moodle import moodle_xml
from derive.present.pdf import compile_pdf
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
    wt, _ = _key_view(ws, ws.variants[0])
    return ws.numbered(presented_order(wt))


def render_sheet(ws: Worksheet, variant, fmt_name: str, derivations: str = "", figures: tuple = ()) -> str:
    """One variant's problem sheet; ``derivations`` is a rendered section appended to it and
    ``figures`` are names of figure files (figure-<kind>.png) shown after the questions."""
    env = make_env(fmt_name)
    view = ProblemView(ws, variant)
    if fmt_name == "tex":
        return env.get_template("worksheet.tex.j2").render(
            sheets=[view], diagram=diagram_tikz(variant.spec), derivations=derivations, figures=figures
        )
    return env.get_template("worksheet.md.j2").render(
        s=view, svg="network.svg", derivations=derivations, figures=figures
    )


def _key_view(ws: Worksheet, variant):
    """The variant as a walkthrough titled as its answer key."""
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
        return env.get_template("worksheet.tex.j2").render(
            sheets=[ProblemView(ws, v) for v in ws.variants], diagram=diagram, derivations="", figures=()
        )
    docs = []
    for v in ws.variants:
        wt, questions = _key_view(ws, v)
        docs.append(document(wt, questions))
    return env.get_template("class-keys.tex.j2").render(docs=docs, diagram=diagram)


def answers_template(ws: Worksheet, variant) -> str:
    lines = [
        f"# Answers to worksheet {variant.id}: write each value after its colon.",
        "# A number (0.593), a fraction (3/8) or arithmetic (0.5*(1-0.64)) is accepted.",
        f"variant: {variant.id}",
    ]
    for q in ws.questions(variant):
        lines.append(f"{q.id}:   # Q{q.number}: {q.text}")
    return "\n".join(lines) + "\n"


def manifest(ws: Worksheet, options: dict) -> str:
    """worksheet.json: what ``derive check --worksheet`` marks from (:mod:`derive.teach.manifest`)."""
    return json.dumps(manifest_data(ws, options), indent=2, allow_nan=False, ensure_ascii=False) + "\n"


def figure_files(kinds: list[str]) -> dict[str, bytes]:
    """The named figures (``tangent``, ``surface``, ``boundary``) as still PNGs, by file name."""
    import tempfile

    out = {}
    with tempfile.TemporaryDirectory() as d:
        for kind in kinds:
            name = f"figure-{kind}.png"
            out[name] = figure(kind, Path(d) / name).read_bytes()
    return out


def worksheet_files(
    ws: Worksheet,
    pdf: bool = False,
    moodle: bool = False,
    options: dict | None = None,
    derivations: list[str] | None = None,
    figures: list[str] | None = None,
) -> dict[str, str | bytes]:
    """Every output file of a worksheet run, by name."""
    files: dict[str, str | bytes] = {"network.svg": diagram_svg(ws.spec)}
    pictures = figure_files(figures) if figures else {}
    files.update(pictures)
    names = tuple(pictures)
    extra = {"md": "", "tex": ""}
    if derivations:
        extra = {f: derivation_section(derivations, f) for f in ("md", "tex")}
    tex_jobs = {}
    for v in ws.variants:
        files[f"{v.id}-sheet.md"] = render_sheet(ws, v, "md", extra["md"], names)
        files[f"{v.id}-sheet.tex"] = tex_jobs[f"{v.id}-sheet.pdf"] = render_sheet(ws, v, "tex", extra["tex"], names)
        files[f"{v.id}-key.md"] = render_key(ws, v, "md")
        files[f"{v.id}-key.tex"] = tex_jobs[f"{v.id}-key.pdf"] = render_key(ws, v, "tex")
        files[f"{v.id}-answers.yaml"] = answers_template(ws, v)
    if moodle:
        files["moodle.xml"] = moodle_xml(ws)
    if pdf:
        tex_jobs["class-sheets.pdf"] = render_class(ws, "sheets")
        tex_jobs["class-keys.pdf"] = render_class(ws, "keys")
        with ThreadPoolExecutor(max_workers=2) as pool:  # pdflatex runs in its own process
            pdfs = pool.map(lambda tex: compile_pdf(tex, assets=pictures), tex_jobs.values())
            results = dict(zip(tex_jobs, pdfs, strict=True))
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
