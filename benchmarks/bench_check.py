"""Mark 1,000 submissions (one CSV) of the four example.

Prints, from one run: the whole `derive check` command, the in-process marking, and the
plain approach beside it (each step recomputed with SymPy from the student's upstream
answers, no compiled formulas). Target (issue 5): 1,000 submissions in under 2 s.

    python benchmarks/bench_check.py [--students 1000]
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sympy as sp

ROOT = Path(__file__).resolve().parent.parent
FOUR = ROOT / "worked" / "four.yaml"


def make_class(path: Path, n: int, seed: int = 1) -> None:
    """Students who are right, slip once (the error then carries forward), or round early."""
    from derive.graph.builder import derive
    from derive.model.spec import load_spec

    g = derive(load_spec(FOUR))
    ids = g.ids
    rng = random.Random(seed)
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", *ids])
        for i in range(n):
            kind = rng.random()
            if kind < 0.4:
                vals = {k: v for k, v in g.values().items()}
            elif kind < 0.8:
                slip = rng.choice(ids)
                vals = g.run(overrides={slip: g[slip].value * sp.Rational(rng.choice([-1, 2, 3]), 2)})
            else:
                vals = g.run(decimals=2)
            w.writerow([f"s{i:04d}", *[f"{float(vals[k]):.4f}" for k in ids]])


def naive(path: Path) -> float:
    """Per step: SymPy recomputation from the student's answers (the straightforward checker)."""
    from derive.graph.builder import derive
    from derive.model.spec import load_spec

    g = derive(load_spec(FOUR))
    rows = list(csv.DictReader(path.open()))
    t = time.perf_counter()
    for row in rows:
        given = {k: sp.Rational(v) for k, v in row.items() if k != "student"}
        for s in g:
            own = g.recompute(s.id, given)
            _ = abs(float(own) - float(given[s.id])) < 5e-5 or abs(float(s.value) - float(given[s.id])) < 5e-5
    return time.perf_counter() - t


def ours(path: Path) -> float:
    from derive.model.spec import load_spec
    from derive.teach.homework import mark_all
    from derive.teach.marking import Checker
    from derive.teach.submissions import read_submissions

    t = time.perf_counter()
    checker = Checker(load_spec(FOUR), "four")
    mark_all(checker, read_submissions([path]))
    return time.perf_counter() - t


def command(path: Path) -> float:
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "derive.cli", "check", str(FOUR), str(path), "-o", d],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=1000)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "class.csv"
        make_class(path, a.students)
        cmd, mine = command(path), ours(path)
        peer = naive(path)
    n = a.students
    print(
        f"{n} submissions x 34 steps of worked/four.yaml (40% right, 40% one slip carried forward, 20% rounded early)"
    )
    print(f"{'what':<62} {'seconds':>8}")
    print(f"{'derive check CLASS.csv -o DIR (whole command, imports included)':<62} {cmd:8.2f}   target < 2")
    print(f"{'  in process: read + mark (follow-through, diagnoses)':<62} {mine:8.2f}")
    print(f"{'  peer: SymPy recomputation of every step (marking only)':<62} {peer:8.2f}   ratio {peer / mine:.1f}x")


if __name__ == "__main__":
    main()
