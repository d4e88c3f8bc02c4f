"""An independent float evaluator of an expression spec: forward and reverse mode.

It reads the spec's trees (:mod:`derive.model.syntax`) and nothing of the symbolic code
(no SymPy, no step graph), so that a mistake there cannot hide here: every operation's
float value and local derivative rule is written out below, once, as micrograd writes
them. :func:`run` gives the number of every step id of
:func:`derive.graph.expression.derive_expression` (``val_``, ``local_``, ``dfd_``);
:func:`output_at` the output alone at moved inputs, with the signs of every ReLU argument,
for finite differences.

>>> from derive.model.expression import load_expression_text
>>> spec = load_expression_text('''
... kind: expression
... values: {x: -2, y: 5, z: -4}
... define: {q: x + y, f: q * z}
... output: f
... ''', "cs231n.yaml")
>>> r = run(spec)
>>> r["val_f"], r["dfd_x"], r["dfd_y"], r["dfd_z"], r["local_f__q"]
(-12.0, -4.0, -4.0, 3.0, -4.0)
"""

from __future__ import annotations

import math

_NAN = float("nan")


def _div(a: float, b: float) -> float:
    """a / b in IEEE style (inf or nan for b = 0, where float64 has lost a value exact
    arithmetic keeps, such as 1 - tanh(24)): the comparison then reports the difference."""
    if b:
        return a / b
    return math.copysign(math.inf, a) * math.copysign(1.0, b) if a else _NAN


def _sigma(v: float) -> float:
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)  # never overflows for v < 0
    return e / (1.0 + e)


def _exp(v: float) -> float:
    try:
        return math.exp(v)
    except OverflowError:
        return math.inf


def _softplus(v: float) -> float:
    return v + math.log1p(math.exp(-v)) if v > 0 else math.log1p(math.exp(v))


# function -> (value of the argument, derivative from the argument a and the value v)
_CALLS = {
    "exp": (_exp, lambda a, v: v),
    "log": (lambda a: math.log(a) if a > 0 else _NAN, lambda a, v: _div(1.0, a)),
    "sqrt": (lambda a: math.sqrt(a) if a >= 0 else _NAN, lambda a, v: _div(0.5, v)),
    "tanh": (math.tanh, lambda a, v: 1.0 - v * v),
    "sigma": (_sigma, lambda a, v: v * (1.0 - v)),
    "softplus": (_softplus, lambda a, v: _sigma(a)),
    "relu": (lambda a: a if a > 0 else 0.0, lambda a, v: 1.0 if a > 0 else 0.0),
}


def _pow(a: float, p: float) -> float:
    try:
        return a**p if not (a < 0 and p != int(p)) else _NAN
    except (OverflowError, ZeroDivisionError):
        return math.inf


def _post_order(tree: tuple) -> list[tuple]:
    """The tree's nodes, children before parents (iteratively)."""
    out, todo = [], [(tree, False)]
    while todo:
        t, seen = todo.pop()
        if seen:
            out.append(t)
            continue
        todo.append((t, True))
        if t[0] in ("neg", "**"):
            todo.append((t[1], False))
        elif t[0] == "call":
            todo.append((t[2], False))
        elif t[0] not in ("num", "name"):
            todo += [(t[2], False), (t[1], False)]
    return out


def _op(t: tuple, val: dict, env: dict, signs: list) -> float:
    op = t[0]
    if op == "num":
        return float(t[1].value)
    if op == "name":
        return env[t[1]]
    if op == "neg":
        return -val[id(t[1])]
    if op == "**":
        return _pow(val[id(t[1])], float(t[2]))
    if op == "call":
        a = val[id(t[2])]
        if t[1] == "relu":
            signs.append(a > 0)
        return _CALLS[t[1]][0](a)
    a, b = val[id(t[1])], val[id(t[2])]
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    return _div(a, b)


def _forward(tree: tuple, env: dict, signs: list) -> tuple[list, dict]:
    order = _post_order(tree)
    val: dict[int, float] = {}
    for t in order:
        val[id(t)] = _op(t, val, env, signs)
    return order, val


def _backward(order: list, val: dict) -> dict[str, float]:
    """Reverse mode through one line: d line / d name for every name the line reads."""
    adj = {id(order[-1]): 1.0}
    grads: dict[str, float] = {}
    for t in reversed(order):
        g = adj.get(id(t), 0.0)
        op = t[0]
        if op == "name":
            grads[t[1]] = grads.get(t[1], 0.0) + g
        elif op == "neg":
            adj[id(t[1])] = adj.get(id(t[1]), 0.0) - g
        elif op == "**":
            a, p = val[id(t[1])], float(t[2])
            adj[id(t[1])] = adj.get(id(t[1]), 0.0) + g * p * _pow(a, p - 1)
        elif op == "call":
            a = val[id(t[2])]
            adj[id(t[2])] = adj.get(id(t[2]), 0.0) + g * _CALLS[t[1]][1](a, val[id(t)])
        elif op != "num":
            a, b = val[id(t[1])], val[id(t[2])]
            if op == "/":
                da, db = _div(1.0, b), _div(-a, b * b)
            else:
                da, db = {"+": (1.0, 1.0), "-": (1.0, -1.0), "*": (b, a)}[op]
            adj[id(t[1])] = adj.get(id(t[1]), 0.0) + g * da
            adj[id(t[2])] = adj.get(id(t[2]), 0.0) + g * db
    return grads


def _live(spec, reads: dict) -> set:
    live, todo = {spec.output}, [spec.output]
    while todo:
        for r in reads[todo.pop()]:
            if r in reads and r not in live:
                live.add(r)
                todo.append(r)
    return live


def run(spec, values: dict | None = None) -> dict[str, float]:
    """Every step's number in floats: node values, local gradients, and the output's
    gradient with respect to every live node and every input (reverse mode)."""
    env = {k: float(v) for k, v in (values or spec.values).items()}
    out: dict[str, float] = {}
    local: dict[str, dict[str, float]] = {}
    for n in spec.nodes:
        order, val = _forward(n.tree, env, [])
        env[n.name] = out[f"val_{n.name}"] = val[id(order[-1])]
        local[n.name] = _backward(order, val)
    live = _live(spec, {k: tuple(v) for k, v in local.items()})
    adj = {name: 0.0 for name in env}
    adj[spec.output] = 1.0
    for n in reversed(spec.nodes):
        if n.name not in live:
            continue
        out[f"dfd_{n.name}"] = adj[n.name]
        for name, d in local[n.name].items():
            out[f"local_{n.name}__{name}"] = d
            adj[name] += adj[n.name] * d
    for name in spec.values:
        out[f"dfd_{name}"] = adj[name]
    return out


def output_at(spec, values: dict[str, float]) -> tuple[float, tuple]:
    """The output at ``values`` (input name -> float), and the sign of every ReLU argument
    on the way (a finite difference that moves one across 0 straddles a kink)."""
    env = dict(values)
    signs: list = []
    for n in spec.nodes:
        order, val = _forward(n.tree, env, signs)
        env[n.name] = val[id(order[-1])]
    return env[spec.output], tuple(signs)
