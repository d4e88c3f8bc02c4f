"""Misconceptions of the chain rule on an expression graph: each a rewrite of a step's
formula (as :mod:`derive.teach.mistakes_rewrite` writes a network's) and its feedback.

Read from the graph's structure only (a gradient's paths, ``Step.back``; a local
gradient's node), so that each is named only where it is true of the sheet:

- ``one-path-only``: the gradient of a name read by several nodes, with one path's term
  (upstream × local) and not the sum of all of them;
- ``upstream-forgotten``: a gradient taken as the local gradient(s) alone, where the
  upstream gradient is not 1 (where it is 1 the two agree, and nothing is named);
- ``local-as-value``: a local gradient taken as the node's own value (∂f/∂q of f = q·z
  written as f's value), where the two differ.

>>> from derive.model.expression import load_expression
>>> from derive.graph.expression import derive_expression
>>> g = derive_expression(load_expression("worked/expression-sigmoid.yaml"))
>>> one_path(g, g["dfd_x"], 4, 4)
[dfd_num*local_num__x, dfd_sigx*local_sigx__x, dfd_xpy*local_xpy__x]
>>> one_path_message(g, g["dfd_x"])[:62]
'Only one of the 3 paths from x was added: x is read by num, si'
>>> local_as_value(g, g["local_f__num"], 4, 4)
[val_f]
"""

from __future__ import annotations

import sympy as sp

from derive.graph.expression import local_parts


def _expression(g) -> bool:
    return g.spec.kind == "expression"


def _terms(st) -> list:
    return [sp.Mul(sp.Symbol(u), sp.Symbol(loc), evaluate=False) for u, loc in st.back]


def one_path(g, st, places, d) -> list:
    if not _expression(g) or st.kind != "dfd" or len(st.back) < 2:
        return []
    return _terms(st)


def one_path_message(g, st) -> str:
    readers = [local_parts(loc)[0] for _, loc in st.back]
    listed = ", ".join(readers[:-1]) + f" and {readers[-1]}"
    return (
        f"Only one of the {len(readers)} paths from {st.subject} was added: {st.subject} is read by {listed}, "
        "and its gradient is the sum of upstream × local over all of them."
    )


def upstream_forgotten(g, st, places, d) -> list:
    if not _expression(g) or st.kind != "dfd" or not st.back:
        return []
    if all(g[u].exact == 1 for u, _ in st.back):  # the same number: nothing to tell apart
        return []
    return [sp.Add(*[sp.Symbol(loc) for _, loc in st.back])]


def upstream_forgotten_message(g, st) -> str:
    ups = ", ".join(f"∂{g.spec.output}/∂{g[u].subject}" for u, _ in st.back)
    return f"This is the local gradient alone: multiply it by the upstream gradient ({ups}) first."


def local_as_value(g, st, places, d) -> list:
    if not _expression(g) or st.kind != "local":
        return []
    node, _ = local_parts(st.id)
    own = sp.Symbol(f"val_{node}")
    return [] if st.formula == own else [own]


def local_as_value_message(g, st) -> str:
    node, name = local_parts(st.id)
    return (
        f"This is the value of {node}, not its local gradient: differentiate {node}'s line, "
        f"{g.spec.node(node).text}, with respect to {name}."
    )
