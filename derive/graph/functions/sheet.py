"""Derivation sheets as data: a title, an introduction and an ordered list of lines.

A :class:`Line` carries the LaTeX a reader sees, the SymPy expression that LaTeX means and
a short justification ("chain rule", "add and subtract 1"). The first line is the quantity
being derived; every later line is claimed equal to the one before it, and
:mod:`derive.verify.proofs` checks each claim with SymPy. Each activation and loss declares
its own sheet beside its definition (``derivation()``); :mod:`derive.graph.derivations`
collects them.

Sums over classes or outputs are written generally (with :math:`\\sum_k`) and proven on
``N_CLASSES`` symbolic classes, as vectors over ``j`` (:func:`vec`) or matrices over
``j, k`` (:func:`mat`). Piecewise functions are proven on both branches (``BRANCHES``).

>>> vec(lambda j: OUTS[j] - YS[j]).shape
(3, 1)
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

N_CLASSES = 3


@dataclass(frozen=True)
class Line:
    tex: str  # what the reader sees (LaTeX math, hand-written for readability)
    expr: sp.Basic  # what the line means; this is what gets proven
    why: str = ""  # justification: text with $math$ inside
    given: tuple = ()  # (symbol, value) pairs that hold for this step, e.g. sum of targets is 1


@dataclass(frozen=True)
class Derivation:
    name: str
    title: str  # text with $math$ inside
    intro: str  # text with $math$ inside, in our own words
    lines: tuple[Line, ...]  # lines[0] is the left-hand side
    cases: tuple = ((),)  # substitutions proven separately, e.g. both branches of ReLU
    checked: str = ""  # how it was proven, when more than "simplifies to 0" needs saying


# The symbols every sheet shares: x for one-variable identities, and N_CLASSES nets,
# outputs and targets for the identities over a layer.
x = sp.Symbol("x", real=True)
POSITIVE = sp.Symbol("p", positive=True)
ALPHA = sp.Symbol("alpha", positive=True)
BRANCHES = (((x, POSITIVE),), ((x, -POSITIVE),))  # x > 0 and x < 0
NETS = sp.symbols(f"net1:{N_CLASSES + 1}", real=True)
OUTS = sp.symbols(f"out1:{N_CLASSES + 1}", real=True)
YS = sp.symbols(f"y1:{N_CLASSES + 1}", real=True)
EXP_SUM = sp.Add(*[sp.exp(n) for n in NETS])
SOFTMAX = [sp.exp(n) / EXP_SUM for n in NETS]

OUT, NET = r"\mathrm{out}", r"\mathrm{net}"
SUM_E = r"\sum_m e^{\mathrm{net}_m}"


def vec(f):
    """The column vector (f(0), ..., f(N-1)): one entry per class j."""
    return sp.ImmutableMatrix([f(j) for j in range(N_CLASSES)])


def mat(f):
    """The N x N matrix of f(j, k)."""
    return sp.ImmutableMatrix(N_CLASSES, N_CLASSES, lambda j, k: f(j, k))
