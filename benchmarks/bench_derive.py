"""Derive + verify time of the delta-recursion step graph against the naive SymPy approach.

    python benchmarks/bench_derive.py [--naive-timeout SECONDS] [--repeat N] [--profile NET]

For sigmoid networks 4-2-1, 16-8-4, 64-8-10 and 64-32-10 (sigmoid hidden and output
layers, half-sse loss, one bias per neuron, one sample, seeded random weights with two
decimals in [-0.5, 0.5], inputs and targets in [0, 1]) this prints one table:

* ours: ``derive.symbolic.derive(spec)`` (builds the step graph by the delta recursion
  and evaluates every step exactly) and ``derive.verify.verify(graph)`` (NumPy core,
  finite differences, compiled loss history), each network in a fresh Python process
  (SymPy's cache would otherwise flatter every network after the first), best of
  ``--repeat`` runs;
* naive: the expanded loss as one SymPy expression of every weight and bias symbol
  (nested 1/(1+exp(-x)), the sample's inputs and targets substituted), ``sympy.diff``
  with respect to every parameter, ``lambdify`` of the gradient list, evaluated at the
  parameter values; in a fresh process, stopped after ``--naive-timeout`` seconds.
  Where it finishes, its gradients are checked against ours (relative 1e-9).

The naive column does the derivation only (no verification), so naive/ours understates
the gap on the same work. Timing is wall-clock of the calls themselves; interpreter
start-up, imports and spec loading are excluded on both sides.

``--profile NET`` (e.g. ``--profile 64-32-10``) instead runs derive() and verify() for
one network under cProfile in this process and prints the top entries.
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

NETWORKS = ["4-2-1", "16-8-4", "64-8-10", "64-32-10"]
SEED = 20240501
REL_AGREE = 1e-9


# --------------------------------------------------------------------------- specs


def spec_text(net: str, seed: int = SEED) -> str:
    """YAML spec of a sigmoid network ``net`` ("inputs-hidden-outputs")."""
    n_in, n_hid, n_out = (int(v) for v in net.split("-"))
    rng = random.Random(f"{seed}:{net}")

    def num(lo: int, hi: int) -> str:          # two decimals, lo/100 .. hi/100
        return f"{rng.randint(lo, hi) / 100:.2f}"

    def matrix(rows: int, cols: int) -> str:
        return "[" + ", ".join("[" + ", ".join(num(-50, 50) for _ in range(cols)) + "]" for _ in range(rows)) + "]"

    def vector(n: int, lo: int, hi: int) -> str:
        return "[" + ", ".join(num(lo, hi) for _ in range(n)) + "]"

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
    h: {matrix(n_hid, n_in)}
    o: {matrix(n_out, n_hid)}
  biases:
    h: {vector(n_hid, -50, 50)}
    o: {vector(n_out, -50, 50)}
sample: {{x: {vector(n_in, 0, 100)}, y: {vector(n_out, 0, 100)}}}
learning_rate: 0.5
"""


def load(net: str, seed: int):
    from derive.model.spec import load_spec_text
    return load_spec_text(spec_text(net, seed), f"bench-{net}.yaml")


def n_weights(spec) -> int:
    return sum(len(row) for layer in spec.layers for row in spec.weight_names[layer.name])


# --------------------------------------------------------------------------- workers (run in a fresh process)


def worker_ours(net: str, seed: int) -> dict:
    from derive.graph.builder import derive
    from derive.verify.three_way import verify

    spec = load(net, seed)
    c0, t0 = time.process_time(), time.perf_counter()
    graph = derive(spec)
    t1 = time.perf_counter()
    report = verify(graph)
    t2, c2 = time.perf_counter(), time.process_time()
    grads = {st.param: float(st.exact) for st in graph if st.kind == "grad"}   # one sample: the batch gradients
    return dict(derive=t1 - t0, verify=t2 - t1, cpu=c2 - c0, steps=len(graph), weights=n_weights(spec),
                params=len(spec.trainable()), checked=report.n_values, grads=grads)


def worker_naive(net: str, seed: int) -> dict:
    import sympy as sp

    spec = load(net, seed)
    t0 = time.perf_counter()
    sample = spec.samples[0]
    prev = list(sample.x)                       # exact rationals, as in the spec
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
    t1 = time.perf_counter()
    grads = [sp.diff(loss, p) for p in params]
    t2 = time.perf_counter()
    f = sp.lambdify(params, grads)
    t3 = time.perf_counter()
    vals = f(*values)
    t4 = time.perf_counter()
    return dict(build=t1 - t0, diff=t2 - t1, lambdify=t3 - t2, eval=t4 - t3, total=t4 - t0,
                grads={str(p): float(v) for p, v in zip(params, vals)})


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


def agree(ours: dict, naive: dict) -> tuple[bool, float]:
    worst = 0.0
    ok = set(ours) == set(naive)
    for p, a in ours.items():
        b = naive.get(p, float("nan"))
        scale = max(abs(a), abs(b))
        rel = 0.0 if scale == 0 else abs(a - b) / scale
        if not rel <= REL_AGREE:
            ok = False
        worst = max(worst, rel) if rel == rel else float("inf")
    return ok, worst


def versions() -> str:
    import numpy
    import sympy
    cores = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cores
    return (f"Python {platform.python_version()} ({platform.python_implementation()}), SymPy {sympy.__version__}, "
            f"NumPy {numpy.__version__}, gmpy2 {'yes' if _has_gmpy2() else 'no'}; "
            f"{platform.machine()} {platform.system()}, {cores} cores ({usable} usable){_load()}")


def _load() -> str:
    try:
        return ", load average %.2f %.2f %.2f" % os.getloadavg()
    except (AttributeError, OSError):
        return ""


def _has_gmpy2() -> bool:
    try:
        import gmpy2  # noqa: F401
        return True
    except ImportError:
        return False


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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--naive-timeout", type=float, default=120.0, metavar="SECONDS",
                    help="stop the naive SymPy approach after this long per network (default 120)")
    ap.add_argument("--repeat", type=int, default=3, metavar="N",
                    help="fresh-process runs of ours per network; the best is reported (default 3)")
    ap.add_argument("--networks", default=",".join(NETWORKS), help="comma-separated, e.g. 4-2-1,16-8-4")
    ap.add_argument("--seed", type=int, default=SEED, help=argparse.SUPPRESS)
    ap.add_argument("--profile", metavar="NET", help="cProfile derive() and verify() for one network instead")
    ap.add_argument("--worker", choices=("ours", "naive"), help=argparse.SUPPRESS)
    ap.add_argument("--net", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        fn = worker_ours if args.worker == "ours" else worker_naive
        print(json.dumps(fn(args.net, args.seed)))
        return 0
    if args.profile:
        profile(args.profile, args.seed)
        return 0

    nets = [n.strip() for n in args.networks.split(",") if n.strip()]
    print(versions())
    print(f"ours: best of {args.repeat} fresh-process runs (networks interleaved); naive: one fresh-process run, "
          f"stopped after {args.naive_timeout:g} s; wall-clock of the calls, start-up and imports excluded\n")
    header = ["network", "weights", "steps", "derive s", "verify s", "ours total s", "naive s", "naive/ours", "gradients"]
    rows, totals, weights, params, notes = [], {}, {}, {}, []
    # Ours first, the networks interleaved run by run, so that a burst of load from
    # elsewhere on the machine hits every network alike rather than one of them.
    runs = {net: [] for net in nets}
    for _ in range(max(1, args.repeat)):
        for net in nets:
            runs[net].append(run_worker("ours", net, args.seed, None))
    cpu = {}
    for net in nets:
        best = min(runs[net], key=lambda r: r["derive"] + r["verify"])
        cpu[net] = min(r["cpu"] for r in runs[net])
        total = best["derive"] + best["verify"]
        totals[net], weights[net], params[net] = total, best["weights"], best["params"]
        naive = run_worker("naive", net, args.seed, args.naive_timeout)
        if naive is None:
            naive_s, ratio, check = f"> {args.naive_timeout:g} s (stopped)", "-", "-"
        else:
            ok, worst = agree(best["grads"], naive["grads"])
            naive_s = f"{naive['total']:.2f}"
            ratio = f"{naive['total'] / total:.1f}x"
            check = f"{'agree' if ok else 'DISAGREE'} (max rel {worst:.1e})"
            notes.append(f"  naive {net}: build {naive['build']:.2f} s, diff {naive['diff']:.2f} s, "
                         f"lambdify {naive['lambdify']:.2f} s, evaluate {naive['eval']:.3f} s")
        rows.append([net, str(best["weights"]), str(best["steps"]), f"{best['derive']:.2f}", f"{best['verify']:.2f}",
                     f"{total:.2f}", naive_s, ratio, check])
        each = ", ".join(f"{r['derive'] + r['verify']:.2f}" for r in runs[net])
        print(f"  done {net}: ours {total:.2f} s (runs: {each}), "
              f"naive {naive_s}", flush=True)

    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = lambda cells: " | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    print()
    print(line(header))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    print()
    for n in notes:
        print(n)
    print(f"machine at the end:{_load()[1:]}")
    if "64-8-10" in totals and "64-32-10" in totals:
        r = totals["64-32-10"] / totals["64-8-10"]
        print(f"64-32-10 / 64-8-10 time ratio: {r:.2f} (target < 4) -> {'met' if r < 4 else 'NOT met'}"
              f"  [CPU-time ratio: {cpu['64-32-10']:.2f} / {cpu['64-8-10']:.2f} s = {cpu['64-32-10'] / cpu['64-8-10']:.2f}]")
        print(f"64-32-10 / 64-8-10 weight ratio: {weights['64-32-10']} / {weights['64-8-10']} = "
              f"{weights['64-32-10'] / weights['64-8-10']:.2f} "
              f"(all parameters incl. biases: {params['64-32-10']} / {params['64-8-10']} = "
              f"{params['64-32-10'] / params['64-8-10']:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
