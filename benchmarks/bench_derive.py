"""Derive + verify time of the step graph against a plain reference doing the same check.

    python benchmarks/bench_derive.py [--repeat N] [--networks 4-2-1,64-16-10x32] [--naive] [--profile NET]

Networks are written ``inputs-hidden-outputs`` with an optional ``xS`` for a batch of S
samples (``64-16-10x32``). Every network has sigmoid hidden and output layers, the
half-sse loss (the batch mean with several samples), one bias per neuron, seeded random
weights with two decimals in [-0.5, 0.5], inputs and targets in [0, 1], ``steps: 1``.
One table compares, per network and in the same run:

* ours: ``derive.graph.builder.derive(spec)`` (the step graph, every step evaluated
  exactly: rationals while the arithmetic is rational, 50 digits after a transcendental
  function) and ``derive.verify.three_way.verify(graph)`` (NumPy oracle, finite
  differences, chain-rule products, loss after the update);
* reference: the same three-way check without symbolic algebra (:func:`reference`):
  every step's value by the delta recursion in 50-digit mpmath, the same recursion in
  NumPy float64 compared with it at 1e-9 (relative), and every gradient by 4-point central
  differences of the float64 loss compared at 1e-6.

Both sides run in a fresh Python process per network (SymPy's cache would otherwise
flatter every network after the first), best of ``--repeat`` runs, the networks
interleaved run by run so that load from elsewhere on the machine hits them alike.
Times are wall-clock of the calls; start-up, imports and spec loading are excluded.
A step is one value of the step graph (net, out, loss, dJ/dout, dout/dnet, delta,
gradient, update); ms/step shows whether the time grows linearly with the work.

A second table times online batches (``batch: online``: one update per sample, each
sample's forward pass reading the previous update), ``--online`` networks (default
16-8-4 with 4, 8, 16 and 32 samples): ours alone, as the reference does full batches, with
ms/step to show that the time still grows linearly with the samples.

``--adam`` adds a table of each single-sample network with ``optimizer: adam`` (one step:
its m, v, mhat, vhat and new steps) beside plain gradient descent, ours only: its ms/step
must stay flat as the network grows, as the plain one's does.

``--naive`` adds the naive SymPy approach (the expanded loss differentiated by
``sympy.diff`` for every parameter, single samples only; stopped after
``--naive-timeout`` seconds). ``--profile NET`` runs derive() and verify() for one network
under cProfile in this process and prints the top entries.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time

NETWORKS = ["4-2-1", "16-8-4", "64-32-10", "64-128-10", "64-16-10x32"]
ONLINE = ["16-8-4x4", "16-8-4x8", "16-8-4x16", "16-8-4x32"]
SEED = 20240501
REL_AGREE = 1e-9
TARGET = 2.0  # ours / reference


# --------------------------------------------------------------------------- specs


def parse_net(net: str) -> tuple[int, int, int, int]:
    """``64-16-10x32`` -> (64, 16, 10, 32); the sample count defaults to 1 (an optimizer
    suffix, ``+adam``, is read by :func:`spec_text`)."""
    shape, _, samples = net.partition("+")[0].partition("x")
    n_in, n_hid, n_out = (int(v) for v in shape.split("-"))
    return n_in, n_hid, n_out, int(samples or 1)


def spec_text(net: str, seed: int = SEED) -> str:
    """YAML spec of a sigmoid network ``net`` (see :func:`parse_net`)."""
    n_in, n_hid, n_out, n_samples = parse_net(net)
    rng = random.Random(f"{seed}:{net}")

    def num(lo: int, hi: int) -> str:  # two decimals, lo/100 .. hi/100
        return f"{rng.randint(lo, hi) / 100:.2f}"

    def matrix(rows: int, cols: int) -> str:
        return "[" + ", ".join("[" + ", ".join(num(-50, 50) for _ in range(cols)) + "]" for _ in range(rows)) + "]"

    def vector(n: int, lo: int, hi: int) -> str:
        return "[" + ", ".join(num(lo, hi) for _ in range(n)) + "]"

    weights = f"h: {matrix(n_hid, n_in)}\n    o: {matrix(n_out, n_hid)}"
    biases = f"h: {vector(n_hid, -50, 50)}\n    o: {vector(n_out, -50, 50)}"
    samples = [f"{{x: {vector(n_in, 0, 100)}, y: {vector(n_out, 0, 100)}}}" for _ in range(n_samples)]
    opt = net.partition("+")[2]
    optimizer = f"optimizer: {opt}\n" if opt else ""
    data = f"sample: {samples[0]}" if n_samples == 1 else "samples:\n" + "".join(f"  - {s}\n" for s in samples)
    return f"""\
title: benchmark {net}
network:
  inputs: {n_in}
  layers:
    - {{name: h, size: {n_hid}, activation: sigmoid, bias: neuron}}
    - {{name: o, size: {n_out}, activation: sigmoid, bias: neuron}}
loss: half-sse
parameters:
  weights:
    {weights}
  biases:
    {biases}
{data}
learning_rate: 0.5
{optimizer}"""


def load(net: str, seed: int, online: bool = False):
    from derive.model.spec import load_spec_text

    text = spec_text(net, seed) + ("batch: online\n" if online else "")
    return load_spec_text(text, f"bench-{net}.yaml")


def n_weights(spec) -> int:
    return sum(len(row) for layer in spec.layers for row in spec.weight_names[layer.name])


# --------------------------------------------------------------------------- the reference


def _mp_layers(spec, mp):
    """The spec's weights and biases as 50-digit mpmath numbers, with their names."""
    layers = []
    for layer in spec.layers:
        W = [[mp.mpf(v.p) / v.q for v in row] for row in spec.weights[layer.name]]
        b = [mp.mpf(v.p) / v.q for v in spec.biases[layer.name]]
        names = [list(r) for r in spec.weight_names[layer.name]], list(spec.bias_names[layer.name])
        layers.append((W, b, names))
    return layers


def _mp_sample(layers, x, y, mp):
    """One sample's steps by the delta recursion: a dict name -> 50-digit value, and the
    per-parameter gradients."""
    vals, acts, a = {}, [], x
    for li, (W, b, _) in enumerate(layers):
        net = [mp.fdot(row, a) + bj for row, bj in zip(W, b)]
        a = [1 / (1 + mp.exp(-n)) for n in net]
        vals.update({("net", li, j): v for j, v in enumerate(net)})
        vals.update({("out", li, j): v for j, v in enumerate(a)})
        acts.append(a)
    vals["loss"] = mp.fsum((yj - oj) ** 2 for yj, oj in zip(y, a)) / 2
    dout = [[o * (1 - o) for o in act] for act in acts]
    g = [oj - yj for yj, oj in zip(y, a)]
    vals.update({("dloss", j): v for j, v in enumerate(g)})
    deltas = [None] * len(layers)
    deltas[-1] = [gj * dj for gj, dj in zip(g, dout[-1])]
    for li in range(len(layers) - 2, -1, -1):
        W = layers[li + 1][0]
        deltas[li] = [
            dout[li][j] * mp.fsum(W[m][j] * deltas[li + 1][m] for m in range(len(W))) for j in range(len(dout[li]))
        ]
    grads = {}
    for li, (_W, _b, (wn, bn)) in enumerate(layers):
        inp = x if li == 0 else acts[li - 1]
        vals.update({("dout", li, j): v for j, v in enumerate(dout[li])})
        vals.update({("delta", li, j): v for j, v in enumerate(deltas[li])})
        for j, dj in enumerate(deltas[li]):
            grads.update({wn[j][k]: dj * v for k, v in enumerate(inp)})
            grads[bn[j]] = dj
    return vals, grads


def _np_sample(layers, X, Y, np):
    """The same recursion in NumPy float64 for every sample at once, in the same order."""
    vals, acts, a = [], [], X
    for W, b in layers:
        net = a @ W.T + b
        a = 1 / (1 + np.exp(-net))
        vals += [net, a]
        acts.append(a)
    loss = 0.5 * ((Y - a) ** 2).sum(axis=1)
    g = a - Y
    dout = [o * (1 - o) for o in acts]
    deltas = [g * dout[-1]]
    for li in range(len(layers) - 2, -1, -1):
        deltas.insert(0, dout[li] * (deltas[0] @ layers[li + 1][0]))
    grads = []
    for li, d in enumerate(deltas):
        inp = X if li == 0 else acts[li - 1]
        grads += [np.einsum("sj,sk->sjk", d, inp), d]
    return vals, loss, g, dout, deltas, grads


def _np_loss(layers, X, Y, np) -> float:
    a = X
    for W, b in layers:
        a = 1 / (1 + np.exp(-(a @ W.T + b)))
    return float((0.5 * ((Y - a) ** 2).sum(axis=1)).mean())


def reference(spec) -> dict:
    """The three-way check of a sigmoid/half-sse network without symbolic algebra: the
    steps in 50-digit mpmath, again in NumPy float64 (compared at 1e-9), every gradient by
    4-point central differences (compared at 1e-6). Returns the step count, the number of
    disagreements and the batch gradients."""
    import mpmath
    import numpy as np

    mp = mpmath.mp
    mp.dps = 50
    S = len(spec.samples)
    layers = _mp_layers(spec, mp)
    per_sample, sample_grads = [], []
    for smp in spec.samples:
        vals, g = _mp_sample(layers, [mp.mpf(v.p) / v.q for v in smp.x], [mp.mpf(v.p) / v.q for v in smp.y], mp)
        per_sample.append(vals)
        sample_grads.append(g)
    grads = {p: mp.fsum(g[p] for g in sample_grads) / S for p in sample_grads[0]}
    eta = mp.mpf(spec.learning_rate.p) / spec.learning_rate.q
    params = {}
    for W, b, (wn, bn) in layers:
        params.update({n: v for rn, rv in zip(wn, W) for n, v in zip(rn, rv)})
        params.update(zip(bn, b))
    loss = mp.fsum(v["loss"] for v in per_sample) / S
    new = {p: params[p] - eta * grads[p] for p in params}
    n_steps = sum(len(v) for v in per_sample) + (S > 1) * (1 + len(grads) * S) + len(grads) + len(new)
    failures = _np_compare(spec, layers, (per_sample, sample_grads), grads, loss, new, eta, np)
    return dict(steps=n_steps, failures=failures, grads={p: float(v) for p, v in grads.items()})


def _close(a: float, b: float, rtol: float, atol: float) -> bool:
    return abs(a - b) <= rtol * max(abs(a), abs(b)) + atol


def _np_compare(spec, layers, per_sample, grads, loss, new, eta, np) -> int:
    """NumPy float64 against the mpmath values (every step), and finite differences
    against the mpmath gradients. Returns the number of disagreements."""
    fl = [(np.array([[float(v) for v in r] for r in W]), np.array([float(v) for v in b])) for W, b, _ in layers]
    X = np.array([[float(v) for v in s.x] for s in spec.samples])
    Y = np.array([[float(v) for v in s.y] for s in spec.samples])
    vals, np_loss, g, dout, deltas, np_grads = _np_sample(fl, X, Y, np)
    arrays = {
        "dloss": lambda li: g,
        "net": lambda li: vals[2 * li],
        "out": lambda li: vals[2 * li + 1],
        "dout": lambda li: dout[li],
        "delta": lambda li: deltas[li],
    }
    per_sample, sample_grads = per_sample
    bad = 0
    for s, mpv in enumerate(per_sample):
        for key, v in mpv.items():
            nv = np_loss[s] if key == "loss" else arrays[key[0]](key[1])[s, key[-1]]
            bad += not _close(float(v), float(nv), 1e-9, 1e-12)
    where = {}
    for li, (_, _, (wn, bn)) in enumerate(layers):
        where.update({n: (li, "W", (j, k)) for j, r in enumerate(wn) for k, n in enumerate(r)})
        where.update({n: (li, "b", (j,)) for j, n in enumerate(bn)})
    bad += not _close(float(loss), float(np_loss.mean()), 1e-9, 1e-12)
    multi = len(spec.samples) > 1
    for p, gv in grads.items():
        li, field, idx = where[p]
        arr = fl[li][0] if field == "W" else fl[li][1]
        per = np_grads[2 * li if field == "W" else 2 * li + 1][(slice(None),) + idx]
        nv = float(per.mean())
        bad += not _close(float(gv), nv, 1e-9, 1e-12)
        bad += not _close(float(new[p]), float(arr[idx] - float(eta) * nv), 1e-9, 1e-12)
        if multi:  # the per-sample gradients too
            bad += sum(not _close(float(sg[p]), float(b), 1e-9, 1e-12) for sg, b in zip(sample_grads, per))
        bad += not _close(float(gv), _fd(fl, X, Y, arr, idx, np), 1e-6, 1e-9)
    return bad


def _fd(layers, X, Y, arr, idx, np, h=1e-5) -> float:
    """(8(f(x+h) - f(x-h)) - (f(x+2h) - f(x-2h))) / 12h, moving ``arr[idx]`` in place."""
    keep, f = arr[idx], []
    for step in (h, -h, 2 * h, -2 * h):
        arr[idx] = keep + step
        f.append(_np_loss(layers, X, Y, np))
    arr[idx] = keep
    return (8 * (f[0] - f[1]) - (f[2] - f[3])) / (12 * h)


# --------------------------------------------------------------------------- workers (run in a fresh process)


def worker_online(net: str, seed: int) -> dict:
    """:func:`worker_ours` on the network with ``batch: online``."""
    return worker_ours(net, seed, online=True)


def worker_ours(net: str, seed: int, online: bool = False) -> dict:
    import mpmath  # noqa: F401 (imports are not timed, on either side)
    import numpy  # noqa: F401

    from derive.graph.builder import derive
    from derive.verify.three_way import verify

    spec = load(net, seed, online)
    t0 = time.perf_counter()
    graph = derive(spec)
    t1 = time.perf_counter()
    report = verify(graph)
    t2 = time.perf_counter()
    grads = {
        st.param: float(st.exact)
        for st in graph
        if st.kind == "grad" and st.sample is None or st.kind == "grad" and len(spec.samples) == 1
    }
    return dict(
        derive=t1 - t0,
        verify=t2 - t1,
        total=t2 - t0,
        steps=len(graph),
        weights=n_weights(spec),
        checked=report.n_values,
        grads=grads,
    )


def worker_reference(net: str, seed: int) -> dict:
    import mpmath  # noqa: F401 (imports are not timed, on either side)
    import numpy  # noqa: F401

    spec = load(net, seed)
    t0 = time.perf_counter()
    out = reference(spec)
    out["total"] = time.perf_counter() - t0
    if out["failures"]:
        raise RuntimeError(f"the reference disagrees with itself {out['failures']} times on {net}")
    return out


def worker_naive(net: str, seed: int) -> dict:
    import sympy as sp

    spec = load(net, seed)
    t0 = time.perf_counter()
    sample = spec.samples[0]
    prev = list(sample.x)  # exact rationals, as in the spec
    params, values = [], []
    for layer in spec.layers:
        W = [[sp.Symbol(n) for n in row] for row in spec.weight_names[layer.name]]
        B = [sp.Symbol(n) for n in spec.bias_names[layer.name]]
        for row_s, row_v in zip(W, spec.weights[layer.name]):
            params += row_s
            values += [float(v) for v in row_v]
        params += B
        values += [float(v) for v in spec.biases[layer.name]]
        nets = [sp.Add(*[w * p for w, p in zip(W[j], prev)], B[j]) for j in range(layer.size)]
        prev = [1 / (1 + sp.exp(-n)) for n in nets]
    loss = sp.Rational(1, 2) * sp.Add(*[(y - o) ** 2 for o, y in zip(prev, sample.y)])
    grads = [sp.diff(loss, p) for p in params]
    vals = sp.lambdify(params, grads)(*values)
    return dict(total=time.perf_counter() - t0, grads={str(p): float(v) for p, v in zip(params, vals)})


WORKERS = {"ours": worker_ours, "reference": worker_reference, "naive": worker_naive, "online": worker_online}


# --------------------------------------------------------------------------- driver


def run_worker(kind: str, net: str, seed: int, timeout: float | None):
    """The worker's result dict, or None when it ran past ``timeout``."""
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", kind, "--net", net, "--seed", str(seed)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} worker for {net} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def agree(ours: dict, other: dict) -> tuple[bool, float]:
    """Whether two sets of gradients agree to REL_AGREE, and the largest relative difference."""
    worst = 0.0
    ok = set(ours) == set(other)
    for p, a in ours.items():
        b = other.get(p, float("nan"))
        scale = max(abs(a), abs(b))
        rel = 0.0 if scale == 0 else abs(a - b) / scale
        if not rel <= REL_AGREE:
            ok = False
        worst = max(worst, rel) if rel == rel else float("inf")
    return ok, worst


def versions() -> str:
    import mpmath
    import numpy
    import sympy

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return (
        f"Python {platform.python_version()}, SymPy {sympy.__version__}, mpmath {mpmath.__version__}, "
        f"NumPy {numpy.__version__}, mpmath backend {mpmath.libmp.BACKEND}; {platform.machine()} "
        f"{platform.system()}, {os.cpu_count()} cores ({usable} usable){_load()}"
    )


def _load() -> str:
    try:
        return ", load average %.2f %.2f %.2f" % os.getloadavg()
    except (AttributeError, OSError):
        return ""


def profile(net: str, seed: int, top: int = 25) -> None:
    """cProfile derive() and verify() for one network (fresh process: run it alone)."""
    import cProfile
    import pstats

    from derive.graph.builder import derive
    from derive.verify.three_way import verify

    spec = load(net, seed)
    graph = None

    def run_derive():
        nonlocal graph
        graph = derive(spec)

    for name, fn in (("derive", run_derive), ("verify", lambda: verify(graph))):
        pr = cProfile.Profile()
        pr.runcall(fn)
        print(f"==== cProfile: {name}() for {net}")
        st = pstats.Stats(pr, stream=sys.stdout).strip_dirs()
        st.sort_stats("cumulative").print_stats(top)
        st.sort_stats("tottime").print_stats(top)


def _best(runs: list[dict]) -> dict:
    return min(runs, key=lambda r: r["total"])


def _table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells):
        return " | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    print(line(header))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def _row(net: str, ours: dict, ref: dict) -> list[str]:
    ok, worst = agree(ours["grads"], ref["grads"])
    ms, ref_ms = 1e3 * ours["total"] / ours["steps"], 1e3 * ref["total"] / ref["steps"]
    return [
        net,
        str(ours["weights"]),
        str(ours["steps"]),
        f"{ours['derive']:.3f}",
        f"{ours['verify']:.3f}",
        f"{ours['total']:.3f}",
        f"{ms:.4f}",
        f"{ref['total']:.3f}",
        f"{ref_ms:.4f}",
        f"{ours['total'] / ref['total']:.2f}x",
        f"{'agree' if ok else 'DISAGREE'} ({worst:.0e})",
    ]


def compare(nets: list[str], repeat: int, seed: int) -> list[float]:
    """Run ours and the reference ``repeat`` times each (interleaved), print the table and
    return ours/reference per network."""
    runs = {(k, n): [] for k in ("ours", "reference") for n in nets}
    for _ in range(max(1, repeat)):
        for net in nets:
            for kind in ("ours", "reference"):
                runs[(kind, net)].append(run_worker(kind, net, seed, None))
        print(f"  round done{_load()}", flush=True)
    rows, ratios = [], []
    for net in nets:
        ours, ref = _best(runs[("ours", net)]), _best(runs[("reference", net)])
        if ours["steps"] != ref["steps"]:
            raise RuntimeError(f"{net}: {ours['steps']} steps in ours, {ref['steps']} in the reference")
        rows.append(_row(net, ours, ref))
        ratios.append(ours["total"] / ref["total"])
    print()
    _table(
        [
            "network",
            "weights",
            "steps",
            "derive s",
            "verify s",
            "ours s",
            "ours ms/step",
            "reference s",
            "ref ms/step",
            "ours/ref",
            "gradients",
        ],
        rows,
    )
    return ratios


def online_table(nets: list[str], seed: int, repeat: int) -> None:
    """Ours on online batches: derive + verify time and ms/step per network."""
    rows = []
    for net in nets:
        ours = _best([run_worker("online", net, seed, None) for _ in range(max(1, repeat))])
        ms = 1e3 * ours["total"] / ours["steps"]
        rows.append([net, str(ours["steps"]), f"{ours['derive']:.3f}", f"{ours['verify']:.3f}", f"{ms:.4f}"])
    print()
    _table(["online network", "steps", "derive s", "verify s", "ms/step"], rows)


def naive_table(nets: list[str], seed: int, timeout: float) -> None:
    rows = []
    for net in nets:
        if parse_net(net)[3] != 1:
            continue
        ours = _best([run_worker("ours", net, seed, None)])
        naive = run_worker("naive", net, seed, timeout)
        if naive is None:
            rows.append([net, f"{ours['total']:.3f}", f"> {timeout:g} (stopped)", "-", "-"])
            continue
        ok, worst = agree(ours["grads"], naive["grads"])
        rows.append(
            [
                net,
                f"{ours['total']:.3f}",
                f"{naive['total']:.2f}",
                f"{naive['total'] / ours['total']:.1f}x",
                f"{'agree' if ok else 'DISAGREE'} ({worst:.0e})",
            ]
        )
    print()
    _table(["network", "ours s", "naive SymPy s", "naive/ours", "gradients"], rows)


def optimizer_table(nets: list[str], repeat: int, seed: int, opt: str = "adam") -> None:
    """Ours with plain gradient descent and with ``opt`` (its moments, bias corrections and
    update worked as steps of the graph): the time per step must stay flat as the network grows."""
    rows = []
    for net in nets:
        plain = _best([run_worker("ours", net, seed, None) for _ in range(max(1, repeat))])
        other = _best([run_worker("ours", f"{net}+{opt}", seed, None) for _ in range(max(1, repeat))])
        ms, ms_opt = (1e3 * r["total"] / r["steps"] for r in (plain, other))
        rows.append(
            [
                net,
                str(plain["weights"]),
                str(plain["steps"]),
                f"{plain['total']:.3f}",
                f"{ms:.4f}",
                str(other["steps"]),
                f"{other['total']:.3f}",
                f"{ms_opt:.4f}",
                f"{other['total'] / plain['total']:.2f}x",
            ]
        )
    print()
    _table(
        [
            "network",
            "weights",
            "steps",
            "sgd s",
            "sgd ms/step",
            f"{opt} steps",
            f"{opt} s",
            f"{opt} ms/step",
            f"{opt}/sgd",
        ],
        rows,
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        metavar="N",
        help="fresh-process runs per network and side; the best is reported (default 3)",
    )
    ap.add_argument("--networks", default=",".join(NETWORKS), help="comma-separated, e.g. 4-2-1,64-16-10x32")
    ap.add_argument("--online", default=",".join(ONLINE), help="online batches to time (empty: none)")
    ap.add_argument("--naive", action="store_true", help="also time the naive SymPy approach (single samples)")
    ap.add_argument("--naive-timeout", type=float, default=120.0, metavar="SECONDS")
    ap.add_argument("--adam", action="store_true", help="also time each single-sample network with optimizer: adam")
    ap.add_argument("--seed", type=int, default=SEED, help=argparse.SUPPRESS)
    ap.add_argument("--profile", metavar="NET", help="cProfile derive() and verify() for one network instead")
    ap.add_argument("--worker", choices=tuple(WORKERS), help=argparse.SUPPRESS)
    ap.add_argument("--net", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        print(json.dumps(WORKERS[args.worker](args.net, args.seed)))
        return 0
    if args.profile:
        profile(args.profile, args.seed)
        return 0
    nets = [n.strip() for n in args.networks.split(",") if n.strip()]
    print(versions())
    print(f"best of {args.repeat} fresh-process runs per side, networks interleaved; wall-clock of the calls\n")
    ratios = compare(nets, args.repeat, args.seed)
    worst = max(ratios)
    print(f"\nworst ours/reference: {worst:.2f}x (target <= {TARGET:g}x) -> {'met' if worst <= TARGET else 'NOT met'}")
    online = [n.strip() for n in args.online.split(",") if n.strip()]
    if online:
        online_table(online, args.seed, args.repeat)
    if args.naive:
        naive_table(nets, args.seed, args.naive_timeout)
    if args.adam:
        optimizer_table([n for n in nets if parse_net(n)[3] == 1], args.repeat, args.seed)
    print(f"machine at the end:{_load()[1:]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
