"""Network diagrams: TikZ for LaTeX, SVG for Markdown.

One layout serves both: a column per layer, nodes spaced evenly, every edge labelled with
its weight's name in the spec's notation. Layers wider than ``MAX_SHOWN`` nodes show the
first and last few and a vertical ellipsis between them, as textbooks draw them.

>>> from derive.model.spec import load_spec
>>> svg = diagram_svg(load_spec("worked/four.yaml"))
>>> svg.startswith("<svg") and svg.count("<circle") == 7
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape

from derive.model.spec import Spec
from derive.present.notation import latex_name

MAX_SHOWN = 8  # a layer with more nodes is elided
HEAD, TAIL = 3, 2  # nodes kept at the top and bottom of an elided layer
MAX_LABELLED = 24  # more edges than this between two layers: no weight labels


@dataclass
class _Node:
    name: str  # i1, h2, ...
    col: int
    row: float  # 0 = top
    bias: str | None = None


def _layout(spec: Spec):
    """Columns of shown nodes (None marks an ellipsis) and the edges between shown nodes."""
    names = [spec.inputs] + [layer.nodes for layer in spec.layers]
    cols: list[list[int | None]] = []
    for col in names:
        shown: list[int | None] = list(range(len(col)))
        if len(col) > MAX_SHOWN:
            shown = shown[:HEAD] + [None] + shown[-TAIL:]
        cols.append(shown)
    height = max(len(c) for c in cols)
    nodes: dict[tuple[int, int], _Node] = {}
    ellipses: list[tuple[int, float]] = []
    # the bias that feeds node j of layer l, by (l, j)
    bias = {(p.layer, j): p.name for p in spec.iter_parameters() if p.kind == "bias" for j in p.nodes}
    for c, idx in enumerate(cols):
        offset = (height - len(idx)) / 2
        for r, k in enumerate(idx):
            if k is None:
                ellipses.append((c, r + offset))
                continue
            nodes[(c, k)] = _Node(names[c][k], c, r + offset, bias.get((c - 1, k)))
    edges = []
    for li, layer in enumerate(spec.layers):
        wn = spec.weight_names[layer.name]
        pairs = [
            (k, j)
            for j in range(layer.size)
            for k in range(len(names[li]))
            if (li, k) in nodes and (li + 1, j) in nodes
        ]
        labelled = len(pairs) <= MAX_LABELLED
        for k, j in pairs:
            edges.append((nodes[(li, k)], nodes[(li + 1, j)], wn[j][k] if labelled else None))
    return nodes, edges, ellipses, height, len(cols)


def diagram_tikz(spec: Spec) -> str:
    """A ``tikzpicture`` of the network (needs ``\\usepackage{tikz}``)."""
    nodes, edges, ellipses, height, ncols = _layout(spec)
    lines = [
        r"\begin{tikzpicture}[x=3.4cm, y=-1.25cm, >=stealth,",
        r"  neuron/.style={circle, draw, thick, minimum size=9mm, inner sep=0pt, fill=white},",
        r"  wlabel/.style={inner sep=1pt, font=\scriptsize, sloped, above}]",
    ]
    for n in nodes.values():
        lines.append(r"\node[neuron] (%s) at (%d, %.2f) {$%s$};" % (n.name, n.col, n.row, latex_name(n.name)))
        if n.bias:
            lines.append(r"\node[font=\scriptsize, below=0pt of %s] {$+%s$};" % (n.name, latex_name(n.bias)))
    for c, r in ellipses:
        lines.append(r"\node at (%d, %.2f) {$\vdots$};" % (c, r))
    for a, b, w in edges:
        label = r" node[wlabel, pos=0.3] {$%s$}" % latex_name(w) if w else ""
        lines.append(r"\draw[->] (%s) --%s (%s);" % (a.name, label, b.name))
    titles = ["input"] + [f"layer {l.name} ({l.activation})" for l in spec.layers]
    for c, t in enumerate(titles):
        lines.append(r"\node[font=\small\itshape] at (%d, -0.9) {%s};" % (c, t))
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


def _svg_name(name: str) -> str:
    """``w10`` -> w<tspan baseline-shift="sub">10</tspan>."""
    base = name.rstrip("0123456789")
    sub = name[len(base) :]
    if base.endswith("_"):
        base, sub = base[:-1], sub
    if "_" in base:
        base, _, rest = base.partition("_")
        sub = rest + sub
    text = escape(base)
    if sub:
        text += '<tspan baseline-shift="sub" font-size="70%%">%s</tspan>' % escape(sub)
    return text


def diagram_svg(spec: Spec) -> str:
    """The same diagram as a standalone SVG (for Markdown: ``![network](file.svg)``)."""
    nodes, edges, ellipses, height, ncols = _layout(spec)
    dx, dy, r, top, left = 170, 64, 20, 56, 50
    W = left * 2 + dx * (ncols - 1)
    H = top + dy * (height - 1) + 60

    def xy(n):
        return left + n.col * dx, top + n.row * dy

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
        'font-family="DejaVu Sans, Arial, sans-serif" font-size="14">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#444"/></marker></defs>',
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    for a, b, _ in edges:
        (x1, y1), (x2, y2) = xy(a), xy(b)
        d = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
        ux, uy = (x2 - x1) / d, (y2 - y1) / d
        out.append(
            f'<line x1="{x1 + ux * r:.1f}" y1="{y1 + uy * r:.1f}" x2="{x2 - ux * r:.1f}" y2="{y2 - uy * r:.1f}" '
            'stroke="#444" stroke-width="1.3" marker-end="url(#arrow)"/>'
        )
    for a, b, w in edges:
        if w:
            (x1, y1), (x2, y2) = xy(a), xy(b)
            lx, ly = x1 + 0.3 * (x2 - x1), y1 + 0.3 * (y2 - y1)
            angle = math.degrees(math.atan2(y2 - y1, x2 - x1))
            out.append(
                f'<text x="{lx:.1f}" y="{ly - 4:.1f}" text-anchor="middle" font-size="12" '
                f'transform="rotate({angle:.1f} {lx:.1f} {ly:.1f})">{_svg_name(w)}</text>'
            )
    for n in nodes.values():
        x, y = xy(n)
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="white" stroke="black" stroke-width="2"/>')
        out.append(f'<text x="{x:.1f}" y="{y + 5:.1f}" text-anchor="middle">{_svg_name(n.name)}</text>')
        if n.bias:
            out.append(
                f'<text x="{x:.1f}" y="{y + r + 15:.1f}" text-anchor="middle" font-size="11">'
                f"+{_svg_name(n.bias)}</text>"
            )
    for c, row in ellipses:
        x, y = left + c * dx, top + row * dy
        out.append(f'<text x="{x}" y="{y + 6:.1f}" text-anchor="middle" font-size="22">⋮</text>')
    titles = ["input"] + [f"{l.name} ({l.activation})" for l in spec.layers]
    for c, t in enumerate(titles):
        out.append(
            f'<text x="{left + c * dx}" y="18" text-anchor="middle" font-style="italic" font-size="12">'
            f"{escape(t)}</text>"
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
