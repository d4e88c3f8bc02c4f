"""Boxes and texts for the network diagram: how big a name is, and what overlaps what.

A spec name is typeset as a main part with a superscript and a subscript stacked after it,
the same parts :func:`~derive.present.notation.latex_name` writes: ``w9`` is w with 9 below,
``b_h1`` is b with h1 below, ``w2_1_3`` is w with (2) above and 13 below.

>>> name_parts("w2_1_3"), name_parts("b_h1"), name_parts("theta1")
(Parts(main='w', sup='(2)', sub='13', italic=True), Parts(main='b', sup='', sub='h1', italic=True), \
Parts(main='θ', sup='', sub='1', italic=True))
>>> w, h = text_size(name_parts("w9"), 8)
>>> 0.36 < w < 0.5 and 0.16 < h < 0.3  # TeX sets w_{9} at 8pt 0.36 cm wide, 0.16 cm high
True
>>> crosses((0, 0, 2, 2), Box(0.9, 0.9, 1.1, 1.1)), crosses((0, 0, 2, 0), Box(0.9, 0.1, 1.1, 0.3))
(True, False)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

from derive.present.notation import latex_name

PT = 2.54 / 72.27  # one TeX point in centimetres
SCRIPT = 0.7  # the size of a sub- or superscript, relative to its text
NARROW = frozenset("fijlrt.,:;!|()[]' -")
ASCENT, X_HEIGHT, DESCENT = 0.8, 0.55, 0.25  # in ems: capitals, digits and b d f h k l t; x; g j p q y
TALL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789bdfhklt()[]|+!?")
DEEP = frozenset("gjpqy()[]|,;")
SUB_DROP, SUP_RISE = 0.25, 0.55  # baseline shifts of the scripts, in ems of the main text
WIDE = frozenset("mwMW")


class Parts(NamedTuple):
    main: str
    sup: str = ""
    sub: str = ""
    italic: bool = False  # a one-letter (or Greek) main part is math italic


def name_parts(name: str) -> Parts:
    """How a spec name is typeset, in parts (the rule of :func:`latex_name`)."""
    m = re.fullmatch(r"w(\d+)_(\d+)_(\d+)", name)
    if m:
        l, j, k = m.groups()
        return Parts("w", f"({l})", j + ("," if len(j) > 1 or len(k) > 1 else "") + k, True)
    m = re.fullmatch(r"([A-Za-z]+?)(\d+)", name) or re.fullmatch(r"([A-Za-z]+)_([A-Za-z0-9_]+)", name)
    base, sub = (m.group(1), m.group(2).replace("_", ",")) if m else (name, "")
    tex = latex_name(base)
    if tex.startswith("\\") and not tex.startswith(r"\mathrm"):  # a Greek letter
        return Parts(unicodedata.lookup("GREEK SMALL LETTER " + base.replace("lambda", "lamda").upper()), "", sub, True)
    return Parts(base, "", sub, len(base) == 1)


def ems(text: str) -> float:
    """A generous width of ``text`` in ems: wider than Latin Modern, DejaVu or Times set it."""
    return sum(0.45 if c in NARROW else 0.95 if c in WIDE else 0.66 if c != "+" else 0.85 for c in text)


def extent(parts: Parts, prefix: str = "") -> tuple[float, float, float]:
    """How far ``prefix`` and ``parts`` reach above and below the baseline and how wide they
    are, in ems of the main text: the scripts stacked at :data:`SCRIPT` size, the subscript
    :func:`sub_drop` below the baseline, the superscript :data:`SUP_RISE` above it.
    Generous: what TeX and the SVG's fonts set stays inside."""
    main = prefix + parts.main
    above = [ASCENT if TALL & set(main) or not main.isascii() else X_HEIGHT]
    below = [DESCENT if DEEP & set(main) else 0.05]
    if parts.sup:
        above.append(SUP_RISE + SCRIPT * ASCENT)
    if parts.sub:
        below.append(sub_drop(parts) + SCRIPT * (DESCENT if DEEP & set(parts.sub) else 0.05))
    width = ems(main) + SCRIPT * max(ems(parts.sup), ems(parts.sub)) + 0.15
    return max(above), max(below), width


def sub_drop(parts: Parts) -> float:
    """How far (ems) the subscript's baseline sits below the main one: lower under a superscript."""
    return SUB_DROP + 0.12 * bool(parts.sup)


def text_size(parts: Parts, pt: float, prefix: str = "") -> tuple[float, float]:
    """The estimated width and height (cm) of ``prefix`` and ``parts`` set at ``pt`` points:
    the one estimate every box in the diagram comes from (:func:`extent`)."""
    above, below, width = extent(parts, prefix)
    return width * pt * PT, (above + below) * pt * PT


@dataclass(frozen=True)
class Box:
    """An upright rectangle, (x0, y0) its top left and (x1, y1) its bottom right (cm)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @classmethod
    def around(cls, x: float, y: float, w: float, h: float) -> Box:
        return cls(x - w / 2, y - h / 2, x + w / 2, y + h / 2)

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2

    @property
    def corner(self) -> tuple[float, float]:
        return self.x0, self.y0

    @property
    def size(self) -> tuple[float, float]:
        return self.x1 - self.x0, self.y1 - self.y0

    def padded(self, d: float) -> Box:
        return Box(self.x0 - d, self.y0 - d, self.x1 + d, self.y1 + d)

    def overlaps(self, other: Box) -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1

    def meets_circle(self, x: float, y: float, r: float) -> bool:
        dx = max(self.x0 - x, 0.0, x - self.x1)
        dy = max(self.y0 - y, 0.0, y - self.y1)
        return dx * dx + dy * dy < r * r


def crosses(segment: tuple[float, float, float, float], box: Box) -> bool:
    """Whether the segment (x1, y1, x2, y2) passes through the inside of ``box`` (Liang-Barsky)."""
    x1, y1, x2, y2 = segment
    lo, hi = 0.0, 1.0
    for p, q in ((x1 - x2, x1 - box.x0), (x2 - x1, box.x1 - x1), (y1 - y2, y1 - box.y0), (y2 - y1, box.y1 - y1)):
        if p == 0:
            if q <= 0:
                return False
            continue
        t = q / p
        if p < 0:
            lo = max(lo, t)
        else:
            hi = min(hi, t)
    return lo < hi
