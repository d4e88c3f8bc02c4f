"""Network diagrams: TikZ for LaTeX, SVG for Markdown, both drawn from one
:func:`~derive.present.layout.layout`: the same node centres, edge ends and label boxes,
in centimetres for TikZ and times :data:`~derive.present.layout.PX_PER_CM` in pixels for SVG.

Every weight's name sits on its edge in a white box that no other edge crosses, every
bias's name ("+b_o1") beside its node. A layer whose names find no such places is drawn
without them, and its parameter names are listed in a table below the picture: a
``tabular`` inside the TikZ picture, rows of text inside the SVG, so that the Markdown
sheet's one ``network.svg`` stays complete on its own.

>>> from derive.model.spec import load_spec
>>> svg = diagram_svg(load_spec("worked/four.yaml"))
>>> svg.startswith("<svg") and svg.count("<circle") == 7
True
"""

from __future__ import annotations

import re
from collections.abc import Collection
from xml.sax.saxutils import escape

from derive.model.spec import Spec
from derive.present.layout import (
    LABEL_PT,
    LEADING,
    LINE_PT,
    NODE_LINE_PT,
    NODE_PT,
    PX_PER_CM,
    TITLE_PT,
    Label,
    Table,
    layout,
)
from derive.present.notation import latex_name, tex_escape
from derive.present.shapes import PT, SCRIPT, SUP_RISE, Box, Parts, ems, extent, name_parts, sub_drop


def _font(pt: float) -> str:
    return r"\fontsize{%g}{%g}\selectfont" % (pt, round(pt * LEADING, 2))


def diagram_tikz(spec: Spec) -> str:
    """A ``tikzpicture`` of the network (needs ``\\usepackage{tikz}``)."""
    lay = layout(spec)
    lines = [
        r"\begin{tikzpicture}[x=1cm, y=-1cm, >=stealth, line width=%gpt," % LINE_PT,
        r"  neuron/.style={circle, draw, line width=%gpt, minimum size=%.3fcm, inner sep=0pt, fill=white, font=%s},"
        % (NODE_LINE_PT, 2 * lay.nodes[0].r, _font(NODE_PT)),
        r"  label/.style={inner sep=0pt, outer sep=0pt, fill=white, font=%s}," % _font(LABEL_PT),
        r"  title/.style={align=center, font=%s\itshape}]" % _font(TITLE_PT),
    ]
    for e in lay.edges:
        lines.append(r"\draw[->] (%.3f, %.3f) -- (%.3f, %.3f);" % e.ends)
    for n in lay.nodes:
        lines.append(r"\node[neuron] (%s) at (%.3f, %.3f) {$%s$};" % (n.name, n.x, n.y, latex_name(n.name)))
    for l in lay.labels:
        (x, y), (w, h) = l.box.centre, l.box.size
        lines.append(
            r"\node[label, minimum width=%.3fcm, minimum height=%.3fcm] at (%.3f, %.3f) {$%s%s$};"
            % (w, h, x, y, l.prefix, latex_name(l.name))
        )
    for b in lay.ellipses:
        lines.append(r"\node at (%.3f, %.3f) {$\vdots$};" % b.centre)
    for t in lay.titles:
        lines.append(r"\node[title] at (%.3f, %.3f) {%s};" % (*t.box.centre, r"\\".join(map(tex_escape, t.lines))))
    lines += [_tikz_table(t) for t in lay.tables]
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


def _tikz_table(t: Table) -> str:
    """The table as a ``tabular`` in a node whose top left is the table's, every column and
    row exactly as wide and tall as the layout made it."""
    tex = {"name": lambda c: "$%s$" % latex_name(c.text), "text": lambda c: tex_escape(c.text), "": lambda c: ""}
    tex["dots"] = lambda c: r"$\cdots$" if c.text == "⋯" else r"$\vdots$"
    rows = [" & ".join(r"\makebox[%.3fcm]{%s}" % (w, tex[c.kind](c)) for c, w in zip(row, t.widths)) for row in t.cells]
    stretch = t.row_h / (LEADING * LABEL_PT * PT)
    return "\n".join(
        [
            r"\node[anchor=north west, inner sep=0pt, font=%s] at (%.3f, %.3f) {%%" % (_font(LABEL_PT), *t.box.corner),
            r"\setlength{\tabcolsep}{0pt}\renewcommand{\arraystretch}{%.3f}%%" % stretch,
            r"\begin{tabular}{c|%s}" % ("c" * (len(t.widths) - 1)),
            r"\multicolumn{%d}{c}{%s} \\" % (len(t.widths), tex_escape(t.caption)),
            rows[0] + r" \\ \hline",
            *(row + r" \\" for row in rows[1:]),
            r"\end{tabular}};",
        ]
    )


def _px(v: float) -> str:
    return "%.1f" % (v * PX_PER_CM)


def _svg_text(parts: Parts, x: float, y: float, pt: float, prefix: str = "") -> str:
    """A name centred at (x, y) as :func:`~derive.present.shapes.extent` measures it: the
    main part ending where the stacked scripts begin."""
    size = pt * PT
    above, below, _ = extent(parts, prefix)
    base = y + (above - below) / 2 * size
    main = escape(prefix) + (_math(parts.main) if parts.italic else escape(parts.main))
    if not (parts.sup or parts.sub):
        return f'<text x="{_px(x)}" y="{_px(base)}" text-anchor="middle" font-size="{_px(size)}">{main}</text>'
    main_w = ems(prefix + parts.main) * size
    script_w = SCRIPT * max(ems(parts.sup), ems(parts.sub)) * size
    join = x - (main_w + script_w) / 2 + main_w
    out = [f'<text x="{_px(join)}" y="{_px(base)}" text-anchor="end" font-size="{_px(size)}">{main}</text>']
    for text, dy in ((parts.sup, -SUP_RISE), (parts.sub, sub_drop(parts))):
        if text:
            out.append(
                f'<text x="{_px(join + 0.04 * size)}" y="{_px(base + dy * size)}" font-size="{_px(SCRIPT * size)}">'
                f"{_math(text)}</text>"
            )
    return "".join(out)


def _math(text: str) -> str:
    """Letters in italic, as TeX sets them in math; digits and signs upright."""
    runs = re.split(r"([^\W\d_]+)", text)
    return "".join(f'<tspan font-style="italic">{escape(r)}</tspan>' if r.isalpha() else escape(r) for r in runs if r)


def _svg_rect(b: Box, fill: str = "white") -> str:
    (w, h) = b.size
    return f'<rect x="{_px(b.x0)}" y="{_px(b.y0)}" width="{_px(w)}" height="{_px(h)}" fill="{fill}"/>'


def hook(name: str, what: str, svg: str, focus: bool = True) -> str:
    """``svg`` in a group the web page's script finds by ``data-el`` (a node's or a
    parameter's name) and, with ``focus``, a keyboard reaches as a button."""
    attrs = f' tabindex="0" role="button" aria-label="{escape(what, {chr(34): "&quot;"})}"' if focus else ""
    return f'<g class="el" data-el="{escape(name, {chr(34): "&quot;"})}"{attrs}>{svg}</g>'


def diagram_svg(spec: Spec, hooks: Collection[str] = ()) -> str:
    """The same diagram as a standalone SVG (for Markdown: ``![network](file.svg)``); the
    nodes, weights and biases named in ``hooks`` are :func:`hook` s for the web page."""
    lay = layout(spec)
    on_edge = {l.edge: l.name for l in lay.labels if l.edge is not None}
    b = lay.bounds
    w, h = b.size
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_px(w)}" height="{_px(h)}" '
        f'viewBox="{_px(b.x0)} {_px(b.y0)} {_px(w)} {_px(h)}" '
        "font-family=\"'Latin Modern Roman', 'Latin Modern Math', 'STIX Two Text', 'Times New Roman', "
        "'Liberation Serif', 'DejaVu Serif', serif\">",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#333"/></marker></defs>',
        _svg_rect(b),
    ]
    for i, e in enumerate(lay.edges):
        x1, y1, x2, y2 = map(_px, e.ends)
        line = (
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#333" '
            f'stroke-width="{_px(LINE_PT * PT)}" marker-end="url(#arrow)"/>'
        )
        out.append(hook(on_edge[i], "", line, focus=False) if on_edge.get(i) in hooks else line)
    for n in lay.nodes:
        node = (
            (
                f'<circle cx="{_px(n.x)}" cy="{_px(n.y)}" r="{_px(n.r)}" fill="white" stroke="black" '
                f'stroke-width="{_px(NODE_LINE_PT * PT)}"/>'
            )
            + "\n"
            + _svg_text(name_parts(n.name), n.x, n.y, NODE_PT)
        )
        out.append(hook(n.name, f"node {n.name}", node) if n.name in hooks else node)
    for l in lay.labels:
        what = f"{'bias' if l.prefix else 'weight'} {l.name}"
        out.append(hook(l.name, what, _svg_label(l)) if l.name in hooks else _svg_label(l))
    for b in lay.ellipses:
        out.append(_svg_text(Parts("⋮"), *b.centre, NODE_PT))
    for t in lay.titles:
        out.append(_svg_title(t))
    out += [_svg_table(t) for t in lay.tables]
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _svg_label(l: Label) -> str:
    return _svg_rect(l.box) + _svg_text(l.parts, *l.box.centre, l.pt, l.prefix)


def _svg_title(t: Label) -> str:
    x, y = t.box.centre
    size = t.pt * PT
    first = y - (len(t.lines) - 1) * LEADING / 2 * size
    return "".join(
        f'<text x="{_px(x)}" y="{_px(first + i * LEADING * size + 0.3 * size)}" text-anchor="middle" '
        f'font-style="italic" font-size="{_px(size)}">{escape(line)}</text>'
        for i, line in enumerate(t.lines)
    )


def _svg_table(t: Table) -> str:
    """The table as rows of text, a line under its header and one after its row names."""
    x0, y0 = t.box.x0, t.box.y0
    out = [_svg_text(Parts(t.caption), x0 + t.box.size[0] / 2, y0 + t.row_h / 2, LABEL_PT)]
    for r, row in enumerate(t.cells):
        x = x0
        for c, w in zip(row, t.widths):
            out.append(_svg_text(c.parts, x + w / 2, y0 + (r + 1.5) * t.row_h, LABEL_PT))
            x += w
    right, line_y, line_x = x0 + sum(t.widths), y0 + 2 * t.row_h, x0 + t.widths[0]
    out.append(
        f'<path d="M {_px(x0)} {_px(line_y)} H {_px(right)} M {_px(line_x)} {_px(line_y - t.row_h)} V {_px(t.box.y1)}" '
        f'stroke="black" stroke-width="{_px(0.4 * PT)}" fill="none"/>'
    )
    return "".join(out)
