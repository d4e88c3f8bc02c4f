"""The step graph's side of the loss-history check: its loss before and after each of
``steps: N`` updates, and its final parameters (the NumPy oracle's training loop is the
other side).

An optimizer's ``steps: N`` worked by hand (unrolled, :func:`derive.graph.optimizers.unrolled`)
has every update in the graph already: its history is the graph's own losses. A longer run
continues from the compiled graph's gradients with the optimizer's recipes in floats
(:meth:`derive.graph.optimizers.Rule.float_update`), its state carried from step to step.

One update needs no compiling: the loss before it and the updated parameters are steps of
the graph already (rounded once to floats), and the loss after it is the graph's forward
formulas evaluated in floats at the updated parameters. More updates run the compiled
graph (:func:`derive.graph.compile.compile_graph`), which pays for itself after a few.

>>> from derive.model.spec import load_spec
>>> from derive.graph.builder import derive
>>> history, final = run_steps(derive(load_spec("worked/four.yaml")), 1)
>>> [round(v, 6) for v in history], round(final["w9"], 6)
([0.064966, 0.064506], 0.604927)
"""

from __future__ import annotations

import math

import sympy as sp

from derive.graph.arith import as_float
from derive.graph.compile import compile_graph, float_run
from derive.graph.optimizers import rule_of, settings_of
from derive.model.names import update_suffix

FORWARD = ("net", "out", "loss")


def run_steps(graph, n: int, params: list | None = None) -> tuple[list[float], dict[str, float]]:
    """``n`` updates of ``graph``. Returns the loss history (before step 1, after step 1, ...,
    after step n) and the final parameters; ``params`` receives the parameters before step 1
    and after every step (dicts of floats)."""
    if params is not None:
        params.append({st.param: as_float(graph.numbers[st.param]) for st in graph if _new(st, None)})
    if any(st.update for st in graph):
        return _unrolled(graph, n, params)
    out = one_step(graph) if n == 1 else _compiled(graph, n, params)
    if params is not None and n == 1:
        params.append(out[1])
    return out


def _new(st, update) -> bool:
    return st.kind == "new" and st.update == update


def _unrolled(graph, n: int, params: list | None) -> tuple[list[float], dict[str, float]]:
    """The history of a graph that holds all ``n`` updates: its losses, and the loss at the
    last update's parameters."""
    for u in range(n):
        final = {st.param: as_float(st.exact) for st in graph if _new(st, u or None)}
        if params is not None:
            params.append(final)
    news = {st.param: st.exact for st in graph if _new(st, (n - 1) or None)}
    losses = [as_float(graph["loss" + update_suffix(u)].exact) for u in range(n)]
    return losses + [_loss_at(graph, news)], final


def rounded_steps(graph, n: int, params: list | None = None) -> tuple[list[sp.Expr], dict[str, sp.Expr]]:
    """``n`` updates of a ``carry: rounded`` graph as a student with a calculator makes them:
    every value rounded to the spec's decimals before it is used again, the updated
    parameters too. Returns the loss before and after each update and the final parameters,
    as SymPy numbers (``params`` receives the parameters before step 1 and after each).
    The first loss and parameters are the graph's own shown values; none
    of these is compared with anything (rounding moves them from the exact chain, which
    :func:`run_steps` gives and the NumPy oracle checks)."""
    news = [st for st in graph if _new(st, None)]
    given = dict(graph.given)
    values = graph.values()
    history = [values["loss"]]
    rows = params if params is not None else []
    rows.append({st.param: graph.numbers[st.param] for st in news})
    if any(st.update for st in graph):  # every update is in the graph, its state with it
        history += [values["loss" + update_suffix(u)] for u in range(1, n)]
        rows += [{st.param: values[st.id] for st in graph if _new(st, u or None)} for u in range(n)]
        last = rows[-1]
        given.update({graph.leaves[p]: v for p, v in last.items()})
        return history + [graph.run(given=given, decimals=graph.spec.decimals)["loss"]], last
    for _ in range(n):
        given.update({graph.leaves[st.param]: values[st.id] for st in news})
        values = graph.run(given=given, decimals=graph.spec.decimals)
        history.append(values["loss"])
        rows.append({st.param: given[graph.leaves[st.param]] for st in news})
    return history, {st.param: given[graph.leaves[st.param]] for st in news}


def one_step(graph) -> tuple[list[float], dict[str, float]]:
    """The loss before and after one update, and the updated parameters."""
    news = {st.param: st.exact for st in graph if _new(st, None)}
    return [as_float(graph["loss"].exact), _loss_at(graph, news)], {p: as_float(v) for p, v in news.items()}


def _loss_at(graph, news: dict) -> float:
    """The loss (the first update's forward steps) at the parameters ``news`` (exact values)."""
    final = {p: as_float(v) for p, v in news.items()}
    env = {name: as_float(v) for name, v in graph.numbers.items()}
    env.update(final)
    try:
        after = float_run([st for st in graph if st.kind in FORWARD and st.update is None and not st.after], env)[
            "loss"
        ]
    except (OverflowError, ValueError, ZeroDivisionError):
        after = math.nan
    if not math.isfinite(after) and all(math.isfinite(v) for v in final.values()):
        # Where floats fail at a finite point (exp(1000) in a softmax, log(1 - 1.0) for a
        # saturated bce output), the graph's own exact evaluation at the same point.
        given = dict(graph.given)
        given.update({graph.leaves[p]: v for p, v in news.items()})
        after = float(graph.run(given=given)["loss"])
    return after


def _compiled(graph, n: int, params: list | None = None) -> tuple[list[float], dict[str, float]]:
    f = compile_graph(graph)
    env = {str(sym): float(v) for sym, v in graph.given.items()}
    ids = graph.ids
    i_loss = ids.index("loss")
    news = [(i, graph.steps[i].param) for i in range(len(ids)) if graph.steps[i].kind == "new"]

    def values():
        # Where float arithmetic fails at a finite point, the graph's own high-precision
        # evaluation at the same point. (Parameters that diverged to inf stay so:
        # Rational(inf) is 0.)
        try:
            vals = f(env)
        except (OverflowError, ValueError, ZeroDivisionError):
            vals = [math.nan] * len(ids)
        if all(math.isfinite(v) for v in vals) or not all(math.isfinite(v) for v in env.values()):
            return vals
        exact = graph.run(given={sym: sp.Rational(env[str(sym)]) for sym in graph.given})
        return [float(exact[i]) for i in ids]

    rule, history, state = rule_of(graph.spec), [], dict[str, dict]()
    grads = [(ids.index(f"grad_{p}"), p) for _, p in news]
    settings = {k: as_float(v) for k, v in settings_of(graph.spec).items()}
    for t in range(1, n + 1):
        vals = values()
        history.append(vals[i_loss])
        if rule is None:
            for i, p in news:
                env[p] = vals[i]
        else:  # the optimizer's state carried in floats, by the same recipes as the graph's
            for i, p in grads:
                env[p], state[p] = rule.float_update(settings, env[p], vals[i], state.get(p, {}), t)
        if params is not None:
            params.append({p: env[p] for _, p in news})
    history.append(values()[i_loss])
    return history, {p: env[p] for _, p in news}
