"""``steps: N`` updates of a step graph, run by its compiled float function: the step-graph
side of the loss-history check (the NumPy oracle's training loop is the other side)."""
from __future__ import annotations

import math

import sympy as sp

from derive.graph.compile import compile_graph


def run_steps(graph, n: int) -> tuple[list[float], dict[str, float]]:
    """``n`` gradient-descent updates with the compiled graph. Returns the loss history
    (before step 1, after step 1, ..., after step n) and the final parameters."""
    f = compile_graph(graph)
    env = {str(sym): float(v) for sym, v in graph.given.items()}
    ids = graph.ids
    i_loss = ids.index("loss")
    news = [(i, graph.steps[i].param) for i in range(len(ids)) if graph.steps[i].kind == "new"]

    def values():
        # Where float arithmetic fails at a finite point, e.g. exp(1000) in a softmax or
        # log(1 - 1.0) for a saturated bce output, the graph's own high-precision evaluation
        # at the same point. (Parameters that diverged to inf stay so: Rational(inf) is 0.)
        try:
            vals = f(env)
        except (OverflowError, ValueError, ZeroDivisionError):
            vals = [math.nan] * len(ids)
        if all(math.isfinite(v) for v in vals) or not all(math.isfinite(v) for v in env.values()):
            return vals
        exact = graph.run(given={sym: sp.Rational(env[str(sym)]) for sym in graph.given})
        return [float(exact[i]) for i in ids]

    history = []
    for _ in range(n):
        vals = values()
        history.append(vals[i_loss])
        for i, p in news:
            env[p] = vals[i]
    history.append(values()[i_loss])
    return history, {p: env[p] for _, p in news}
