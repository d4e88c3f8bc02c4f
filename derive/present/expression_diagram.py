"""Circuit diagrams of expression graphs, drawn as CS231n's course notes draw them.

Inputs on the left, one circle per node labelled with its operation (``+``, ``×``, ``σ``,
``1/x``; a line of several operations shows the node's name), wires left to right. Every
name (an input or a node) has one wire: a stub out of its source with the forward value
ABOVE it (``q = 3``) and the gradient of the output BELOW it (``−4``, in red), then a
branch to every node that reads it; the output's wire ends in an arrow. Local gradients
are not drawn (the walkthrough lists them).

One :func:`expression_layout` in centimetres, drawn by TikZ as it is and by SVG times
:data:`~derive.present.layout.PX_PER_CM`, text boxes estimated by
:func:`~derive.present.shapes.text_size` on the generous side. Rows are spread further
apart until no text overlaps another text or a circle and no wire crosses a text
(:func:`problems`).

What is shown is chosen by the caller: ``shown`` is the set of step ids whose values may
be printed (a sheet's givens, :func:`derive.teach.worksheet.givens`); None shows all
(keys and walkthroughs). Inputs are always shown. A value not shown leaves the name alone
(``q``); a gradient not shown leaves no text.

>>> from derive.model.expression import load_expression
>>> from derive.graph.expression import derive_expression
>>> g = derive_expression(load_expression("worked/expression.yaml"))
>>> lay = expression_layout(g)
>>> [(w.name, w.above, w.below) for w in lay.wires]
[('x', 'x = -2', '-4'), ('y', 'y = 5', '-4'), ('z', 'z = -4', '3'), ('q', 'q = 3', '-4'), ('f', 'f = -12', '1')]
>>> [c.op for c in lay.circles], problems(lay)
(['+', '×'], [])
>>> [w.above for w in expression_layout(g, shown={"dfd_f"}).wires][3:]
['q', 'f']
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from xml.sax.saxutils import escape

from derive.present.diagram import hook
from derive.present.layout import LABEL_PT, LINE_PT, NODE_LINE_PT, NODE_PT, PX_PER_CM
from derive.present.numbers import fmt
from derive.present.shapes import PT, Box, Parts, crosses, text_size

ROW_GAPS = (1.6, 2.0, 2.5, 3.0, 3.6)  # distances between rows tried, smallest first (cm)
BRANCH = 1.1  # the least horizontal run of a branch, from its fork to the next column (cm)
NODE_R = 0.38  # least circle radius (cm)
GRADIENT = "#c0392b"  # the gradients' colour, as course notes print them (red)
_OPS = {"+": "+", "-": "−", "*": "×", "/": "÷", "neg": "−"}
_CALLS = {"sigma": "σ", "sqrt": "√", "exp": "exp", "log": "log", "tanh": "tanh", "relu": "relu", "softplus": "sp"}


def op_label(tree: tuple, name: str) -> str:
    """The operation a circle shows: one operation on names and numbers by its sign,
    anything longer by the node's name.

    >>> op_label(("+", ("name", "x"), ("name", "y")), "q"), op_label(("call", "exp", ("neg", ("name", "x"))), "e")
    ('+', 'e')
    """
    leaf = lambda t: t[0] in ("name", "num")  # noqa: E731
    op = tree[0]
    if op in ("+", "-", "*") and leaf(tree[1]) and leaf(tree[2]):
        return _OPS[op]
    if op == "/" and leaf(tree[1]) and leaf(tree[2]):
        return "1/x" if tree[1][0] == "num" and tree[1][1].value == 1 else "÷"
    if op == "neg" and leaf(tree[1]):
        return "−"
    if op == "**" and leaf(tree[1]):
        return "x²" if tree[2] == 2 else f"x^{tree[2]}"
    if op == "call" and leaf(tree[2]):
        return _CALLS[tree[1]]
    return name


@dataclass(frozen=True)
class Circle:
    name: str
    op: str
    x: float
    y: float
    r: float

    @property
    def box(self) -> Box:
        return Box.around(self.x, self.y, 2 * self.r, 2 * self.r)


@dataclass(frozen=True)
class Wire:
    """One name's wire: a stub from (x0, y) to (x1, y) with its texts above and below,
    then branches to the circles that read it (``ends``; none for the output's)."""

    name: str
    x0: float
    x1: float
    y: float
    above: str
    below: str
    above_box: Box
    below_box: Box
    branches: tuple[tuple[float, float, float, float], ...]


@dataclass(frozen=True)
class ExpressionLayout:
    circles: tuple[Circle, ...]
    wires: tuple[Wire, ...]
    bounds: Box


def _size(text: str, pt: float = LABEL_PT) -> tuple[float, float]:
    return text_size(Parts(text), pt) if text else (0.0, 0.0)


def _value_text(graph, name: str, shown) -> str:
    spec = graph.spec
    if name in spec.values:
        return f"{name} = {spec.written[name].text}"
    st = graph[f"val_{name}"]
    if shown is not None and st.id not in shown:
        return name
    return f"{name} = {fmt(st.value, spec.decimals, st.value.is_Rational and st.value == st.exact)}"


def _gradient_text(graph, name: str, shown) -> str:
    st = graph.by_id.get(f"dfd_{name}")
    if st is None or (shown is not None and st.id not in shown):
        return ""
    return fmt(st.value, graph.spec.decimals, st.value.is_Rational and st.value == st.exact)


def _columns(spec, late: bool) -> dict[str, int]:
    """Each node a column right of everything it reads: as early as it can be, or (``late``)
    as late, just left of its first reader, so that fewer wires run past other columns."""
    col = {name: 0 for name in spec.values}
    for n in spec.nodes:
        col[n.name] = 1 + max((col[r] for r in spec.reads(n.name)), default=0)
    if late:
        for n in reversed(spec.nodes):
            readers = [col[m.name] for m in spec.nodes if n.name in spec.reads(m.name)]
            if readers:
                col[n.name] = min(readers) - 1
    return col


def _rows(spec, col: dict[str, int], gap: float) -> dict[str, float]:
    """Inputs one row apart; a node at the mean height of what it reads, pushed down its
    column until it is a row from the node above it."""
    y = {name: i * gap for i, name in enumerate(spec.values)}
    taken: dict[int, list[float]] = {}
    for n in spec.nodes:
        reads = spec.reads(n.name)
        want = sum(y[r] for r in reads) / len(reads) if reads else 0.0
        for other in sorted(taken.get(col[n.name], [])):
            if abs(other - want) < gap:
                want = other + gap
        taken.setdefault(col[n.name], []).append(want)
        y[n.name] = want
    return y


def _try(graph, shown, gap: float, late: bool) -> ExpressionLayout:
    spec = graph.spec
    col = _columns(spec, late)
    y = _rows(spec, col, gap)
    texts = {n: (_value_text(graph, n, shown), _gradient_text(graph, n, shown)) for n in col}
    radius = {n.name: max(NODE_R, _size(op_label(n.tree, n.name), NODE_PT)[0] / 2 + 0.08) for n in spec.nodes}
    ncol = max(col.values()) + 1
    stub = [
        max([max(_size(a)[0], _size(b)[0]) + 0.3 for n, (a, b) in texts.items() if col[n] == c] + [0.8])
        for c in range(ncol)
    ]
    rmax = [max([radius[n] for n in radius if col[n] == c] + [0.0]) for c in range(ncol)]
    left = [0.0] * ncol  # where the stubs of column c start (circles' centres sit rmax before it)
    for c in range(1, ncol):
        left[c] = left[c - 1] + stub[c - 1] + BRANCH + 2 * rmax[c]
    circles = tuple(
        Circle(n.name, op_label(n.tree, n.name), left[col[n.name]] - rmax[col[n.name]], y[n.name], radius[n.name])
        for n in spec.nodes
    )
    at = {c.name: c for c in circles}
    wires = []
    for name, (above, below) in texts.items():
        c = col[name]
        x0 = left[c] - rmax[c] + radius[name] if name in radius else left[c]
        x1 = left[c] + stub[c]
        (wa, ha), (wb, hb) = _size(above), _size(below)
        mid = (x0 + x1) / 2
        readers = [at[n.name] for n in spec.nodes if name in spec.reads(n.name)]
        branches = tuple(_branch(x1, y[name], r) for r in readers)
        wires.append(
            Wire(
                name, x0, x1, y[name], above, below,
                Box(mid - wa / 2, y[name] - 0.06 - ha, mid + wa / 2, y[name] - 0.06),
                Box(mid - wb / 2, y[name] + 0.06, mid + wb / 2, y[name] + 0.06 + hb),
                branches,
            )
        )  # fmt: skip
    boxes = [c.box for c in circles] + [b for w in wires for b in (w.above_box, w.below_box)]
    bounds = Box(
        min(b.x0 for b in boxes) - 0.3,
        min(b.y0 for b in boxes) - 0.3,
        max([b.x1 for b in boxes] + [w.x1 for w in wires]) + 0.5,
        max(b.y1 for b in boxes) + 0.3,
    )
    return ExpressionLayout(circles, tuple(wires), bounds)


def _branch(x: float, y: float, c: Circle) -> tuple[float, float, float, float]:
    """From the fork at (x, y) to the edge of circle ``c``."""
    dx, dy = c.x - x, c.y - y
    d = (dx * dx + dy * dy) ** 0.5
    return x, y, c.x - dx / d * c.r, c.y - dy / d * c.r


def problems(lay: ExpressionLayout) -> list[str]:
    """What overlaps: two texts, a text and a circle, or a wire and a text not its own."""
    texts = [(w.name, b) for w in lay.wires for b in (w.above_box, w.below_box) if b.size[0] > 0]
    out = []
    for i, (a, ba) in enumerate(texts):
        for b, bb in texts[i + 1 :]:
            if ba.padded(0.05).overlaps(bb):
                out.append(f"texts of {a} and {b} overlap")
        for c in lay.circles:
            if ba.meets_circle(c.x, c.y, c.r + 0.03):
                out.append(f"a text of {a} meets circle {c.name}")
        for w in lay.wires:
            segs = list(w.branches) + ([(w.x0, w.y, w.x1, w.y)] if w.name != a else [])
            if any(crosses(s, ba.padded(0.02)) for s in segs):
                out.append(f"the wire of {w.name} crosses a text of {a}")
    return out


def expression_layout(graph, shown: set[str] | None = None) -> ExpressionLayout:
    """The layout of an expression graph's diagram: rows spread until nothing overlaps
    (with its columns as early, else as late, as they can be); else the one with the
    fewest overlaps (the tests hold the examples to none)."""
    tried = []
    for gap in ROW_GAPS:
        for late in (False, True):
            lay = _try(graph, shown, gap, late)
            found = len(problems(lay))
            if not found:
                return lay
            tried.append((found, gap, late, lay))
    return min(tried, key=lambda t: t[:3])[3]


def _tex_text(text: str) -> str:
    return text.replace("−", "-").replace(" = ", " = ").replace("²", "^2")


def expression_tikz(graph, shown: set[str] | None = None) -> str:
    """The diagram as a ``tikzpicture`` (needs ``\\usepackage{tikz}``)."""
    from derive.present.notation import latex_name

    lay = expression_layout(graph, shown)
    f = lambda pt: r"\fontsize{%g}{%g}\selectfont" % (pt, round(pt * 1.2, 2))  # noqa: E731
    out = [
        r"\begin{tikzpicture}[x=1cm, y=-1cm, >=stealth, line width=%gpt]" % LINE_PT,
        r"\definecolor{gradient}{HTML}{%s}" % GRADIENT[1:],
    ]
    for w in lay.wires:
        arrow = "[->]" if not w.branches else ""
        out.append(r"\draw%s (%.3f, %.3f) -- (%.3f, %.3f);" % (arrow, w.x0, w.y, w.x1, w.y))
        out += [r"\draw[->] (%.3f, %.3f) -- (%.3f, %.3f);" % b for b in w.branches]
        name, _, value = w.above.partition(" = ")
        above = latex_name(name) + (" = " + value if value else "")
        out.append(r"\node[inner sep=0pt, font=%s] at (%.3f, %.3f) {$%s$};" % (f(LABEL_PT), *w.above_box.centre, above))
        if w.below:
            out.append(
                r"\node[inner sep=0pt, text=gradient, font=%s] at (%.3f, %.3f) {$%s$};"
                % (f(LABEL_PT), *w.below_box.centre, w.below)
            )
    for c in lay.circles:
        label = {"×": r"\times", "÷": r"\div", "σ": r"\sigma", "√": r"\sqrt{\ }", "−": "-", "x²": "x^2"}.get(c.op)
        label = label or (r"\mathrm{%s}" % c.op.replace("^", "}^{") if c.op.isascii() else c.op)
        out.append(
            r"\node[circle, draw, line width=%gpt, minimum size=%.3fcm, inner sep=0pt, fill=white, font=%s]"
            r" at (%.3f, %.3f) {$%s$};" % (NODE_LINE_PT, 2 * c.r, f(NODE_PT), c.x, c.y, label)
        )
    out.append(r"\end{tikzpicture}")
    return "\n".join(out)


def _px(v: float) -> str:
    return "%.1f" % (v * PX_PER_CM)


def _svg_text(text: str, box: Box, pt: float, colour: str = "black") -> str:
    x, y = box.centre
    size = pt * PT
    return (
        f'<text x="{_px(x)}" y="{_px(y + 0.3 * size)}" text-anchor="middle" font-size="{_px(size)}" '
        f'fill="{colour}">{escape(text.replace("-", "−"))}</text>'
    )


def expression_svg(graph, shown: set[str] | None = None, hooks: Collection[str] = ()) -> str:
    """The same diagram as a standalone SVG (for Markdown), on one line per element and
    without blank lines, so that it may stand inline in a Markdown file; the nodes' circles
    and the inputs' wires named in ``hooks`` are :func:`~derive.present.diagram.hook` s for
    the web page (a node's wire lights up with its circle)."""
    lay = expression_layout(graph, shown)
    nodes = {c.name for c in lay.circles}
    b = lay.bounds
    w, h = b.size
    line = f'stroke="#333" stroke-width="{_px(LINE_PT * PT)}"'
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_px(w)}" height="{_px(h)}" '
        f'viewBox="{_px(b.x0)} {_px(b.y0)} {_px(w)} {_px(h)}" '
        "font-family=\"'Latin Modern Math', 'STIX Two Math', 'Times New Roman', 'DejaVu Serif', serif\">",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#333"/></marker></defs>',
        f'<rect x="{_px(b.x0)}" y="{_px(b.y0)}" width="{_px(w)}" height="{_px(h)}" fill="white"/>',
    ]
    for wire in lay.wires:
        arrow = "" if wire.branches else ' marker-end="url(#arrow)"'
        out.append(
            f'<line x1="{_px(wire.x0)}" y1="{_px(wire.y)}" x2="{_px(wire.x1)}" y2="{_px(wire.y)}" {line}{arrow}/>'
        )
        for x1, y1, x2, y2 in wire.branches:
            out.append(
                f'<line x1="{_px(x1)}" y1="{_px(y1)}" x2="{_px(x2)}" y2="{_px(y2)}" {line} marker-end="url(#arrow)"/>'
            )
        texts = _svg_text(wire.above, wire.above_box, LABEL_PT)
        if wire.below:
            texts += "\n" + _svg_text(wire.below, wire.below_box, LABEL_PT, GRADIENT)
        if wire.name in hooks:  # a box behind the texts, so that a click between them counts
            boxes = (wire.above_box, wire.below_box) if wire.below else (wire.above_box,)
            x0, y0 = min(b.x0 for b in boxes), min(b.y0 for b in boxes)
            w, h = max(b.x1 for b in boxes) - x0, max(b.y1 for b in boxes) - y0
            hit = f'<rect class="hit" x="{_px(x0)}" y="{_px(y0)}" width="{_px(w)}" height="{_px(h)}" fill="none"/>'
            focus = wire.name not in nodes  # an input's wire is the input itself
            texts = hook(wire.name, f"input {wire.name}", hit + texts, focus)
        out.append(texts)
    for c in lay.circles:
        circle = (
            (
                f'<circle cx="{_px(c.x)}" cy="{_px(c.y)}" r="{_px(c.r)}" fill="white" stroke="black" '
                f'stroke-width="{_px(NODE_LINE_PT * PT)}"/>'
            )
            + "\n"
            + _svg_text(c.op, c.box, NODE_PT)
        )
        out.append(hook(c.name, f"node {c.name}", circle) if c.name in hooks else circle)
    out.append("</svg>")
    return "\n".join(out) + "\n"
