"""Where everything in a network diagram goes: the one layout that TikZ and SVG both draw.

Coordinates are centimetres, x to the right and y down; the TikZ picture uses them as they
are (``x=1cm, y=-1cm``) and the SVG multiplies them by :data:`PX_PER_CM`. A column per
layer, nodes spaced evenly; a layer wider than ``MAX_SHOWN`` nodes shows the first and last
few with a vertical ellipsis between them, as textbooks draw them.

Every text is a box whose size :func:`~derive.present.shapes.text_size` estimates from its
characters, on the generous side, so that what TeX or a browser sets fits inside it. The
names of a layer's biases ("+b_o1") go beside their nodes, all on one side (below, else
above, right, left) where no edge passes. Each weight's name sits on its own edge, a
fraction ``t`` of the way along it chosen per label among :data:`T_CANDIDATES`: the one
nearest 0.3 that keeps clear of the nodes and of every other edge (:data:`GAP`) and of the
texts placed before it (:data:`SPACE`). The labels with the fewest free points go first;
when that fails, nearest 0.7 and 0.5 are tried. When a layer's names find no places, the
picture is drawn again with rows and columns further apart (:data:`ROW_GAPS`,
:data:`COL_GAPS`, smallest picture first); a layer whose names fit at none of those sizes
is drawn without them, and its weights and biases are listed in a :class:`Table` below.

>>> from derive.model.spec import load_spec
>>> lay = layout(load_spec("worked/four.yaml"))
>>> len(lay.nodes), len(lay.edges), len(lay.labels), lay.tables
(7, 10, 10, ())
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from dataclasses import dataclass
from typing import NamedTuple

from derive.model.spec import Spec
from derive.present.shapes import PT, Box, Parts, crosses, name_parts, text_size

PX_PER_CM = 50  # the SVG's scale
NODE_PT, LABEL_PT, TITLE_PT = 11, 8, 9  # font sizes
LEADING = 1.2  # baselines (of a title's lines, of table rows) are this many times the font size apart
NODE_R = 0.45  # least node radius (cm); a longer node name widens every node
LINE_PT, NODE_LINE_PT = 0.6, 0.8  # stroke widths of edges and node circles
GAP = 0.03  # the least clearance (cm) between a text and an edge or a node
SPACE = 0.15  # the least clearance (cm) between two texts, so that each is seen on its own edge
MAX_SHOWN = 8  # a layer with more nodes is elided
HEAD, TAIL = 3, 2  # nodes kept at the top and bottom of an elided layer
ROW_GAPS = (1.25, 1.5, 1.8, 2.1)  # distances between node centres tried, smallest first
COL_GAPS = (3.4, 4.0, 4.6, 5.2, 6.0)
MAX_WIDTH = 15.0  # columns are not spread wider than this (cm)
#: Points along an edge tried for its label, as fractions of the way from source to target.
T_CANDIDATES = tuple(round(0.12 + 0.02 * i, 2) for i in range(39))
T_PREFERRED = (0.3, 0.7, 0.5)  # candidate orders tried: nearest this point first


@dataclass(frozen=True)
class Node:
    name: str
    x: float
    y: float
    r: float


@dataclass(frozen=True)
class Edge:
    source: Node
    target: Node
    weight: str
    layer: int  # index into spec.layers of the layer the edge feeds

    def at(self, t: float) -> tuple[float, float]:
        """The point a fraction ``t`` of the way between the two centres."""
        a, b = self.source, self.target
        return a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)

    @functools.cached_property
    def ends(self) -> tuple[float, float, float, float]:
        """The drawn line: from the source's circle to the target's."""
        a, b = self.source, self.target
        d = ((b.x - a.x) ** 2 + (b.y - a.y) ** 2) ** 0.5
        ux, uy = (b.x - a.x) / d, (b.y - a.y) / d
        return a.x + ux * a.r, a.y + uy * a.r, b.x - ux * b.r, b.y - uy * b.r

    @functools.cached_property
    def span(self) -> Box:
        """The box around the drawn line."""
        x1, y1, x2, y2 = self.ends
        return Box(min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


@dataclass(frozen=True)
class Label:
    """A text in a box: a weight's name on its edge (``edge`` is its index), a bias's name
    beside its node (``prefix`` "+"), or a column title (``lines``, no ``name``)."""

    box: Box
    pt: float
    name: str
    parts: Parts
    prefix: str = ""
    edge: int | None = None
    lines: tuple[str, ...] = ()


class Cell(NamedTuple):
    kind: str  # name (a spec name), text, dots ("⋯" or "⋮" for elided nodes) or "" (empty)
    text: str = ""

    @property
    def parts(self) -> Parts:
        return name_parts(self.text) if self.kind == "name" else Parts(self.text)


@dataclass(frozen=True)
class Table:
    """The parameter names of one layer that found no places on the picture, in ``cells``:
    a header row of source nodes (and "bias"), then a row per target node with the names of
    its weights (and its bias). Rows and columns follow the picture's nodes, elision too."""

    layer: str
    caption: str
    cells: tuple[tuple[Cell, ...], ...]
    widths: tuple[float, ...]  # of the columns, the row names' first
    row_h: float
    box: Box


@dataclass(frozen=True)
class Layout:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    labels: tuple[Label, ...]  # weight and bias labels
    titles: tuple[Label, ...]
    ellipses: tuple[Box, ...]
    tables: tuple[Table, ...]
    bounds: Box  # everything, with a margin


def layout(spec: Spec) -> Layout:
    """The diagram of ``spec``. Only names and sizes matter, so variants of one worksheet share it."""
    bias = {(p.layer, j): p.name for p in spec.iter_parameters() if p.kind == "bias" for j in p.nodes}
    layers = tuple(
        (
            layer.name,
            layer.activation,
            tuple(layer.nodes),
            tuple(map(tuple, spec.weight_names[layer.name])),
            tuple(bias.get((li, j)) for j in range(layer.size)),
        )
        for li, layer in enumerate(spec.layers)
    )
    return _layout(tuple(spec.inputs), layers)


@functools.lru_cache(maxsize=64)
def _layout(inputs: tuple[str, ...], layers: tuple) -> Layout:
    frame = _Frame(inputs, layers)
    best: tuple[int, Layout] | None = None
    for row_gap, col_gap in _geometries(len(layers)):
        failed, lay = frame.draw(row_gap, col_gap)
        if not failed:
            return lay
        if best is None or len(failed) < best[0]:
            best = (len(failed), lay)
    assert best is not None
    return best[1]


def _geometries(gaps: int) -> list[tuple[float, float]]:
    """Row and column distances to try, the smallest picture first."""
    cols = [c for c in COL_GAPS if c == COL_GAPS[0] or c * gaps <= MAX_WIDTH]
    return sorted(itertools.product(ROW_GAPS, cols), key=lambda g: (g[0] * g[1], g[0]))


class _Frame:
    """The network's structure, drawn at one size at a time."""

    def __init__(self, inputs: tuple[str, ...], layers: tuple):
        self.layers = layers
        self.columns = [inputs] + [nodes for _, _, nodes, _, _ in layers]
        self.shown = [_shown(len(c)) for c in self.columns]
        self.height = max(len(s) for s in self.shown)
        longest = max(text_size(name_parts(n), NODE_PT) for c in self.columns for n in c)
        self.r = max(NODE_R, (longest[0] ** 2 + longest[1] ** 2) ** 0.5 / 2 + GAP)

    def draw(self, row_gap: float, col_gap: float) -> tuple[list[int], Layout]:
        """The picture at one size, and the layers whose labels found no place."""
        nodes, ellipses = self._nodes(row_gap, col_gap)
        edges = tuple(self._edges(nodes))
        titles = tuple(self._titles(nodes, col_gap))
        fixed = _Obstacles(tuple(nodes.values()), edges, [t.box for t in titles] + ellipses)
        labels: list[Label] = []
        failed = []
        for li in range(len(self.layers)):
            biases = _bias_labels(self.layers[li][4], li, nodes, fixed)
            weights = None if biases is None else _weight_labels(edges, li, fixed.with_boxes(biases))
            if biases is None or weights is None:
                failed.append(li)
            else:
                labels += biases + weights
                fixed = fixed.with_boxes(biases + weights)
        content = [l.box for l in (*labels, *titles)] + ellipses + [_node_box(n) for n in nodes.values()]
        tables = tuple(self._tables(failed, _union(content)))
        bounds = _union(content + [t.box for t in tables]).padded(0.2)
        return failed, Layout(tuple(nodes.values()), edges, tuple(labels), titles, tuple(ellipses), tables, bounds)

    def _nodes(self, row_gap: float, col_gap: float) -> tuple[dict[tuple[int, int], Node], list[Box]]:
        nodes, ellipses = {}, []
        for c, shown in enumerate(self.shown):
            offset = (self.height - len(shown)) / 2
            for row, k in enumerate(shown):
                x, y = c * col_gap, (row + offset) * row_gap
                if k is None:
                    ellipses.append(Box.around(x, y, 0.3, 0.55))
                else:
                    nodes[(c, k)] = Node(self.columns[c][k], x, y, self.r)
        return nodes, ellipses

    def _edges(self, nodes: dict[tuple[int, int], Node]):
        for li, (_, _, targets, names, _) in enumerate(self.layers):
            for j in range(len(targets)):
                for k in range(len(self.columns[li])):
                    if (li, k) in nodes and (li + 1, j) in nodes:
                        yield Edge(nodes[(li, k)], nodes[(li + 1, j)], names[j][k], li)

    def _titles(self, nodes: dict[tuple[int, int], Node], col_gap: float):
        top = min(n.y for n in nodes.values()) - self.r - 0.25
        names = [("input",)] + [(f"layer {name}", f"({act})") for name, act, _, _, _ in self.layers]
        for c, lines in enumerate(names):
            sizes = [text_size(Parts(line), TITLE_PT) for line in lines]
            w, h = max(s[0] for s in sizes), max(s[1] for s in sizes) + (len(lines) - 1) * LEADING * TITLE_PT * PT
            yield Label(Box.around(c * col_gap, top - h / 2, w, h), TITLE_PT, "", Parts(lines[0]), lines=lines)

    def _tables(self, failed: list[int], above: Box):
        """A table for each failed layer, below the picture, side by side while they fit."""
        x, y = above.x0, above.y1 + 0.4
        bottom = y
        for li in failed:
            layer, _, targets, names, biases = self.layers[li]
            sources, rows = self.shown[li], self.shown[li + 1]
            header = [Cell(""), *(_named(k, self.columns[li], "⋯") for k in sources)]
            cells = [header + [Cell("text", "bias")] * any(biases)]
            for j in rows:
                weights = (
                    Cell("dots", "⋮" if j is None else "⋯") if j is None or k is None else Cell("name", names[j][k])
                    for k in sources
                )
                cells.append([_named(j, targets, "⋮"), *weights, *[_named(j, biases, "⋮")] * any(biases)])
            table = _table(layer, cells)
            w, h = table.box.size
            if x > above.x0 and x + w > above.x0 + MAX_WIDTH:  # no room beside the last: below it
                x, y = above.x0, bottom + 0.4
            table = dataclasses.replace(table, box=Box(x, y, x + w, y + h))
            yield table
            x, bottom = table.box.x1 + 0.6, max(bottom, table.box.y1)


def _named(i: int | None, names, dots: str) -> Cell:
    return Cell("dots", dots) if i is None else Cell("name", names[i])


def _table(layer: str, cells: list[list[Cell]]) -> Table:
    """A table with its top left at (0, 0), a caption row first, sized from its texts:
    each column as wide as its widest text and a little more, every row as tall as the tallest."""
    caption = f"parameters of layer {layer}"
    sizes = [[text_size(c.parts, LABEL_PT) for c in row] for row in cells]
    widths = [max(row[i][0] for row in sizes) + 0.2 for i in range(len(cells[0]))]
    extra = max(0.0, text_size(Parts(caption), LABEL_PT)[0] - sum(widths))
    widths = [w + extra / len(widths) for w in widths]  # a long caption widens every column
    row_h = max(s[1] for row in sizes for s in row)
    box = Box(0, 0, sum(widths), row_h * (len(cells) + 1))
    return Table(layer, caption, tuple(map(tuple, cells)), tuple(widths), row_h, box)


def _shown(n: int) -> list[int | None]:
    """Indices of the nodes drawn in a column of ``n``; None is the ellipsis."""
    if n <= MAX_SHOWN:
        return list(range(n))
    return [*range(HEAD), None, *range(n - TAIL, n)]


def _node_box(n: Node) -> Box:
    return Box.around(n.x, n.y, 2 * n.r, 2 * n.r)


def _union(boxes: list[Box]) -> Box:
    return Box(min(b.x0 for b in boxes), min(b.y0 for b in boxes), max(b.x1 for b in boxes), max(b.y1 for b in boxes))


class _Obstacles:
    """What a new label must keep clear of: nodes, the boxes placed so far, and edges."""

    def __init__(self, nodes: tuple[Node, ...], edges: tuple[Edge, ...], boxes: list[Box]):
        self.nodes, self.edges, self.boxes = nodes, edges, boxes
        self.lines = [
            (i, e.ends, _union([Box(*e.ends[:2], *e.ends[:2]), Box(*e.ends[2:], *e.ends[2:])]))
            for i, e in enumerate(edges)
        ]

    def with_boxes(self, labels: list[Label]) -> _Obstacles:
        return _Obstacles(self.nodes, self.edges, self.boxes + [l.box for l in labels])

    def free(self, box: Box, own: int | None = None) -> bool:
        """Whether ``box`` (its clearance included) touches no node, box or edge but its own."""
        room, space = box.padded(GAP), box.padded(SPACE)
        return (
            not any(room.meets_circle(n.x, n.y, n.r) for n in self.nodes)
            and not any(space.overlaps(b) for b in self.boxes)
            and not any(i != own and room.overlaps(span) and crosses(ends, room) for i, ends, span in self.lines)
        )


#: Where the names of a layer's biases may go, as directions from their nodes' centres.
DIRECTIONS = ((0, 1), (0, -1), (1, 0), (-1, 0))


def _bias_labels(biases: tuple, li: int, nodes: dict, fixed: _Obstacles) -> list[Label] | None:
    """A place beside each biased node of layer ``li``, all on the same side: the first of
    :data:`DIRECTIONS` free for every one of them, or None."""
    wanted = [(nodes[(li + 1, j)], name) for j, name in enumerate(biases) if name and (li + 1, j) in nodes]
    for ux, uy in DIRECTIONS:
        out: list[Label] = []
        for node, name in wanted:
            parts = name_parts(name)
            w, h = text_size(parts, LABEL_PT, prefix="+")
            d = node.r + 2 * GAP + abs(ux) * w / 2 + abs(uy) * h / 2
            box = Box.around(node.x + ux * d, node.y + uy * d, w, h)
            if not fixed.free(box) or any(box.padded(SPACE).overlaps(l.box) for l in out):
                break
            out.append(Label(box, LABEL_PT, name, parts, prefix="+"))
        else:
            return out
    return None


def _weight_labels(edges: tuple[Edge, ...], li: int, fixed: _Obstacles) -> list[Label] | None:
    """A place on its own edge for the name of every weight into layer ``li``, or None.
    Each label's free points are found once; then, for each preferred point in turn, the
    labels with the fewest free points are placed first, each at its free point nearest
    the preferred one that overlaps no label placed before it."""
    mine = [i for i, e in enumerate(edges) if e.layer == li]
    sizes = {i: text_size(name_parts(edges[i].weight), LABEL_PT) for i in mine}
    free = {i: [t for t in T_CANDIDATES if fixed.free(Box.around(*edges[i].at(t), *sizes[i]), i)] for i in mine}
    for preferred in T_PREFERRED:
        placed: dict[int, Box] = {}
        for i in sorted(mine, key=lambda i: len(free[i])):
            ts = sorted(free[i], key=lambda t: (abs(t - preferred), t))
            boxes = (Box.around(*edges[i].at(t), *sizes[i]) for t in ts)
            box = next((b for b in boxes if not any(b.padded(SPACE).overlaps(p) for p in placed.values())), None)
            if box is None:
                break
            placed[i] = box
        else:
            return [Label(placed[i], LABEL_PT, edges[i].weight, name_parts(edges[i].weight), edge=i) for i in mine]
    return None
