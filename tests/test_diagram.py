"""Network diagrams: no text overlaps another or a node, no edge crosses a label but its
own, every weight and bias is named once (on the picture or in a table), the boxes hold
what TeX sets in them, and TikZ and SVG draw the same coordinates."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from support import NETWORK_EXAMPLES, need

from derive.model.spec import Spec, load_spec, load_spec_text
from derive.present.diagram import diagram_svg, diagram_tikz
from derive.present.layout import LABEL_PT, NODE_PT, PX_PER_CM, TITLE_PT, Layout, layout
from derive.present.notation import latex_name
from derive.present.shapes import Box, name_parts

ROOT = Path(__file__).resolve().parent.parent
WORKED = [p.stem for p in NETWORK_EXAMPLES]
SHAPES = [(3, 3, 2), (4, 4, 3), (2, 2)]
NAMINGS = ["default", "indexed"]


def network(sizes: tuple[int, ...], naming: str = "default", bias: str = "neuron") -> Spec:
    """``sizes[0]`` inputs, then layers h (or h1, h2, ...) and o of the other sizes, every weight 0.1."""
    hidden = len(sizes) - 2
    names = (["h"] if hidden == 1 else [f"h{i + 1}" for i in range(hidden)]) + ["o"]
    layers = ", ".join(f"{{name: {n}, size: {s}, activation: sigmoid, bias: {bias}}}" for n, s in zip(names, sizes[1:]))
    weights = ", ".join(f"{n}: {[[0.1] * p] * s}" for n, p, s in zip(names, sizes, sizes[1:]))
    biases = ", ".join(f"{n}: {[0.2] * s if bias == 'neuron' else 0.2}" for n, s in zip(names, sizes[1:]))
    naming_line = "" if naming == "default" else f"\n  weight_names: {naming}"
    return load_spec_text(
        f"""
network:
  inputs: {sizes[0]}
  layers: [{layers}]{naming_line}
loss: half-sse
parameters:
  weights: {{{weights}}}
  biases: {{{biases}}}
sample: {{x: {[0.5] * sizes[0]}, y: {[1] * sizes[-1]}}}
learning_rate: 0.1
"""
    )


CASES = {f"worked/{n}": (lambda n=n: load_spec(ROOT / "worked" / f"{n}.yaml")) for n in WORKED}
CASES.update({f"{'-'.join(map(str, s))} {n}": (lambda s=s, n=n: network(s, n)) for s in SHAPES for n in NAMINGS})
CASES["3-3-2 shared bias"] = lambda: network((3, 3, 2), bias="shared")
CASES["10-8-3 elided"] = lambda: network((10, 8, 3))


def _crosses(ends: tuple[float, float, float, float], box: Box) -> bool:
    """Whether any of 2001 points along the segment lies inside the box (independent of the
    layout's own test)."""
    s = np.linspace(0, 1, 2001)
    x, y = ends[0] + s * (ends[2] - ends[0]), ends[1] + s * (ends[3] - ends[1])
    return bool(np.any((box.x0 < x) & (x < box.x1) & (box.y0 < y) & (y < box.y1)))


def problems(lay: Layout) -> list[str]:
    """Every collision in the layout, described."""
    texts = (
        [(f"label {l.prefix}{l.name}", l.box, l.edge) for l in lay.labels]
        + [(f"title {' '.join(t.lines)}", t.box, None) for t in lay.titles]
        + [(f"table of {t.layer}", t.box, None) for t in lay.tables]
        + [("ellipsis", b, None) for b in lay.ellipses]
    )
    out = [f"{a} overlaps {b}" for (a, p, _), (b, q, _) in combinations(texts, 2) if p.overlaps(q)]
    out += [f"{a} covers node {n.name}" for a, box, _ in texts for n in lay.nodes if box.meets_circle(n.x, n.y, n.r)]
    out += [
        f"nodes {n.name} and {m.name} overlap"
        for n, m in combinations(lay.nodes, 2)
        if (n.x - m.x) ** 2 + (n.y - m.y) ** 2 < (n.r + m.r) ** 2
    ]
    out += [
        f"edge {e.source.name}->{e.target.name} crosses {a}"
        for a, box, own in texts
        for i, e in enumerate(lay.edges)
        if i != own and _crosses(e.ends, box)
    ]
    return out


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    spec = CASES[request.param]()
    return request.param, spec, layout(spec)


def test_nothing_collides(case):
    name, _, lay = case
    assert problems(lay) == [], name


def test_the_check_sees_collisions():
    lay = layout(network((3, 3, 2)))
    a, b = lay.labels[-2:]
    assert problems(dataclasses.replace(lay, labels=lay.labels + (dataclasses.replace(a, box=b.box),)))
    bias = next(l for l in lay.labels if l.prefix)
    on_edge = Box.around(*lay.edges[0].at(0.5), *bias.box.size)
    assert any(
        "crosses" in p for p in problems(dataclasses.replace(lay, labels=(dataclasses.replace(bias, box=on_edge),)))
    )
    node = lay.nodes[0]
    assert any(
        "covers node" in p for p in problems(dataclasses.replace(lay, ellipses=(Box.around(node.x, node.y, 1, 1),)))
    )


def test_every_name_once_on_its_own_edge_or_in_a_table(case):
    name, spec, lay = case
    for l in lay.labels:
        if l.edge is None:
            continue
        e = lay.edges[l.edge]
        assert l.name == e.weight
        (x, y), (a, b) = l.box.centre, (e.source, e.target)
        assert abs((b.x - a.x) * (y - a.y) - (b.y - a.y) * (x - a.x)) < 1e-9, f"{l.name} is off its edge"
        assert a.x + a.r < x < b.x - b.r
    shown = {n.name for n in lay.nodes}
    wanted = Counter(e.weight for e in lay.edges)
    for p in spec.iter_parameters():
        if p.kind == "bias":
            nodes = spec.layers[p.layer].nodes
            wanted[p.name] += sum(nodes[j] in shown for j in p.nodes)
    tabled = Counter(c.text for t in lay.tables for row in t.cells[1:] for c in row[1:] if c.kind == "name")
    assert Counter(l.name for l in lay.labels) + tabled == wanted, name


def test_labels_fit_when_they_can_and_a_table_takes_them_when_not():
    for name in ["worked/four", "worked/softmax", "3-3-2 default", "4-4-3 default", "2-2 indexed", "3-3-2 indexed"]:
        assert layout(CASES[name]()).tables == (), name
    lay = layout(network((4, 4, 3), "indexed"))
    assert [t.layer for t in lay.tables] == ["h"]
    assert not any(l.name.startswith("w1_") or l.name.startswith("b_h") for l in lay.labels)
    spec = network((10, 8, 3))
    lay = layout(spec)
    table = lay.tables[0]
    assert [c.text for c in table.cells[0]] == ["", "i1", "i2", "i3", "⋯", "i9", "i10", "bias"]
    assert [c.text for c in table.cells[1]][:5] == ["h1", "w1", "w9", "w17", "⋯"]
    tikz, svg = diagram_tikz(spec), diagram_svg(spec)
    assert tikz.count(r"\begin{tabular}") == len(lay.tables) and "parameters of layer h" in tikz
    assert svg.count("parameters of layer h") == 1


def test_bias_names_are_beside_their_nodes_on_one_side():
    lay = layout(network((3, 3, 2)))
    for layer in ("h", "o"):
        biases = [l for l in lay.labels if l.prefix and l.name.startswith(f"b_{layer}")]
        nodes = {n.name: n for n in lay.nodes}
        offsets = {
            (round(l.box.centre[0] - n.x, 6), round(l.box.centre[1] - n.y, 6))
            for l in biases
            for n in [nodes[l.name[2:]]]
        }
        assert len(biases) == (3 if layer == "h" else 2) and len(offsets) == 1


_NUM = r"(-?[\d.]+)"


def test_tikz_and_svg_draw_the_same_coordinates(case):
    _, spec, lay = case
    tikz, svg = diagram_tikz(spec), ET.fromstring(diagram_svg(spec))
    ns = "{http://www.w3.org/2000/svg}"

    def same(tex: list, px: list):
        assert len(tex) == len(px) and tex
        assert np.allclose(np.array(tex, dtype=float) * PX_PER_CM, np.array(px), atol=0.08)

    edges = re.findall(r"\\draw\[->\] \(%s, %s\) -- \(%s, %s\);" % (_NUM, _NUM, _NUM, _NUM), tikz)
    same(edges, [tuple(float(l.get(k)) for k in ("x1", "y1", "x2", "y2")) for l in svg.iter(f"{ns}line")])
    nodes = re.findall(r"\\node\[neuron\] \(\w+\) at \(%s, %s\)" % (_NUM, _NUM), tikz)
    circles = list(svg.iter(f"{ns}circle"))
    same(nodes, [(float(c.get("cx")), float(c.get("cy"))) for c in circles])
    size = re.search(r"minimum size=([\d.]+)cm", tikz)
    assert size and {float(c.get("r")) for c in circles} == {round(float(size[1]) / 2 * PX_PER_CM, 1)}
    found = re.findall(r"minimum width=%scm, minimum height=%scm\] at \(%s, %s\)" % (_NUM, _NUM, _NUM, _NUM), tikz)
    boxes = [(x - w / 2, y - h / 2, w, h) for w, h, x, y in (tuple(map(float, b)) for b in found)]
    rects = [tuple(float(r.get(k)) for k in ("x", "y", "width", "height")) for r in svg.iter(f"{ns}rect")][1:]
    assert len(boxes) == len(lay.labels)
    if boxes:
        same(boxes, rects)


def test_name_parts_follow_latex_name():
    names = ["w9", "w12", "b_h1", "b_o10", "w2_1_3", "w2_10_3", "theta1", "lambda2", "b1", "x1", "bias_h", "eta"]
    for name in names:
        main, sup, sub, italic = name_parts(name)
        if main.isalpha() and len(main) == 1 and not main.isascii():
            letter = unicodedata.name(main).split()[-1].lower().replace("lamda", "lambda")
            main = "\\" + letter
        elif not italic:
            main = r"\mathrm{%s}" % main
        tex = main + ("^{%s}" % sup if sup else "") + ("_{%s}" % sub if sub else "")
        assert tex == latex_name(name)


def _measure_document(specs: dict[str, Spec]) -> tuple[str, list[tuple[str, float, float]]]:
    """A LaTeX document that measures every text of the layouts in the diagram's fonts and
    also sets the diagrams; the sizes the layout reserved, in the same order."""
    fonts = {LABEL_PT: r"\fontsize{8}{9.6}\selectfont", NODE_PT: r"\fontsize{11}{13.2}\selectfont"}
    body, boxes = [], []
    for spec in specs.values():
        lay = layout(spec)
        for l in lay.labels:
            body.append(r"%s\m{$%s%s$}" % (fonts[LABEL_PT], l.prefix, latex_name(l.name)))
            boxes.append((l.name, *l.box.size))
        for t in lay.titles:
            body.append(r"\fontsize{%d}{10.8}\selectfont\m{\itshape\shortstack{%s}}" % (TITLE_PT, r"\\".join(t.lines)))
            boxes.append((" ".join(t.lines), *t.box.size))
        for n in lay.nodes:
            body.append(r"%s\m{$%s$}" % (fonts[NODE_PT], latex_name(n.name)))
            boxes.append((n.name, 2 * n.r, 2 * n.r))
        body.append(r"\par\noindent" + diagram_tikz(spec) + r"\clearpage")
    preamble = (ROOT / "templates" / "preamble.tex.j2").read_text(encoding="utf-8")
    measure = (
        r"\newlength\mw\newlength\mh\newlength\md"
        r"\newcommand\m[1]{\settowidth\mw{#1}\settoheight\mh{#1}\settodepth\md{#1}"
        r"\typeout{MEASURED \the\mw\space\the\mh\space\the\md}}"
    )
    return preamble + measure + "\n\\begin{document}\n" + "\n".join(body) + "\n\\end{document}\n", boxes


def test_boxes_hold_what_tex_sets_and_the_pictures_compile(tmp_path):
    """TeX's sizes of every label, title and node name are within the layout's estimate,
    and the pictures (with a table among them) compile."""
    need("pdflatex")
    specs = {n: CASES[n]() for n in ["worked/four", "worked/softmax", "worked/shared-bias", "3-3-2 default"]}
    specs["tables"] = network((10, 8, 3))
    specs["indexed"] = network((4, 4, 3), "indexed")
    tex, boxes = _measure_document(specs)
    (tmp_path / "m.tex").write_text(tex, encoding="utf-8")
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "m.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    log = (tmp_path / "m.log").read_text(encoding="latin-1")
    measured = [
        tuple(float(v) * 2.54 / 72.27 for v in m) for m in re.findall(r"MEASURED ([\d.]+)pt ([\d.]+)pt ([\d.]+)pt", log)
    ]
    assert len(measured) == len(boxes)
    for (name, w, h), (tw, th, td) in zip(boxes, measured):
        if w == h:  # a node: its name fits inside the circle
            assert (tw**2 + (th + td) ** 2) ** 0.5 < w, name
        else:
            assert tw < w and th + td < h, (name, (tw, th + td), (w, h))
