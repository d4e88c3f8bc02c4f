"""Marking a class at scale (issue 10), from one run:

1. a class of 1,000 CSV rows over the 30 variants of a four worksheet, rows sorted by
   variant and the same rows shuffled: any order of answers must cost the same (target:
   sorted within 1.2x of shuffled); each run starts from a fresh checker, so the variants'
   keys are built inside the timing;
2. 10,000 submissions marked by ``mark_all`` beside a plain reference checker in this
   script (float64 recomputation of each step from the student's own upstream answers with
   the same tolerance rule: half a unit in the last place, at most the sheet's, and credit
   by significant figures; no SymPy, no diagnosis). Both have every variant's key before
   the clock starts; the checker's one-time compiling of its formulas for diagnosis and
   follow-through is inside its time. Target: within 2x.

Submissions: 40% right to 4 places, 40% with one slip carried forward, 20% rounding every
step to 3 places and carrying the rounded values.

    python benchmarks/bench_class.py [--rows 1000] [--submissions 10000]
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import sys
import tempfile
import time
from pathlib import Path

import sympy as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FOUR = ROOT / "worked" / "four.yaml"
VARIANTS = 30


def submissions(n: int, variants: int, seed: int = 1) -> list[dict]:
    """``n`` answer sets over ``variants`` variants (index 1..variants), as typed text."""
    from derive.model.spec import load_spec
    from derive.teach.marking import Checker
    from derive.teach.variants import variant_id

    checker = Checker(load_spec(FOUR), "four")
    rng = random.Random(seed)
    out = []
    for i in range(n):
        vid = variant_id("four", 7, 1 + i % variants)
        g = checker.graph_for(vid)
        kind = rng.random()
        if kind < 0.4:
            vals, places = {s.id: s.value for s in g}, 4
        elif kind < 0.8:
            slip = rng.choice(g.ids)
            vals, places = g.run(overrides={slip: g[slip].value * sp.Rational(rng.choice([-1, 2, 3]), 2)}), 4
        else:
            vals, places = g.run(decimals=3), 3
        row = {"student": f"s{i:05d}", "variant": vid}
        row.update({k: f"{float(v):.{places}f}" for k, v in vals.items()})
        out.append(row)
    return out


def write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def mark_csv(path: Path) -> float:
    """Read and mark one CSV with a fresh checker (its variants' keys built inside)."""
    from derive.model.spec import load_spec
    from derive.teach.homework import mark_all
    from derive.teach.marking import Checker
    from derive.teach.submissions import read_submissions

    t = time.perf_counter()
    checker = Checker(load_spec(FOUR), "four")
    marked = mark_all(checker, read_submissions([path], checker.questions))
    assert all(r is not None for _, r in marked)
    return time.perf_counter() - t


class Reference:
    """The plain checker: per step, the key, or the step's formula on the student's own
    upstream answers, within half a unit in the answer's last place (at most the sheet's)."""

    def __init__(self, checker) -> None:
        from derive.graph.compile import compile_formula

        self.checker = checker
        self.fns = {s.id: (compile_formula(s.formula), s.deps) for s in checker.base}
        self.keys: dict[str, dict[str, float]] = {}
        self.d = checker.spec.decimals

    def key(self, vid: str) -> dict[str, float]:
        if vid not in self.keys:
            g = self.checker.graph_for(vid)
            env = {str(s): float(v) for s, v in g.given.items()}
            env.update({s.id: float(s.value) for s in g})
            self.keys[vid] = env
        return self.keys[vid]

    def mark(self, answers: dict) -> tuple[float, dict]:
        """(score, step -> (verdict, points)): each step recomputed from the student's own
        upstream answers (the key where there is none) and compared with the answer and the
        key, at the answer's places (at most the sheet's), with the same credit for the
        significant figures stated (3 or more: full, 2: half, fewer: none)."""
        key = self.key(answers["variant"])
        env = dict(key)
        marks = {}
        score = 0.0
        d = self.d
        for sid, (f, _deps) in self.fns.items():
            own = f(env)  # from the student's answers so far
            text = answers.get(sid)
            if not text:
                marks[sid] = ("missing", 0.0)
                continue
            try:
                v = float(text)
            except ValueError:
                marks[sid] = ("invalid", 0.0)
                continue
            places = len(text.split(".", 1)[1]) if "." in text else 0
            credit = 1.0
            if places < d:
                figures = places + math.floor(math.log10(abs(v))) + 1 if v else 0
                credit = 1.0 if figures >= 3 else 0.5 if figures == 2 else 0.0
            tol = 0.5 * 10.0 ** -min(places, d) + 1e-12
            env[sid] = v
            if abs(v - key[sid]) <= tol:
                marks[sid] = ("correct", credit)
            elif abs(v - own) <= tol:
                marks[sid] = ("follow-through", credit)
            else:
                marks[sid] = ("wrong", 0.0)
            score += marks[sid][1]
        return score, marks


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--submissions", type=int, default=10000)
    a = ap.parse_args()

    from derive.model.spec import load_spec
    from derive.teach.marking import Checker

    rows = submissions(a.rows, VARIANTS)
    by_variant = sorted(rows, key=lambda r: (r["variant"], r["student"]))
    shuffled = rows[:]
    random.Random(2).shuffle(shuffled)
    with tempfile.TemporaryDirectory() as d:
        write_csv(Path(d) / "sorted.csv", by_variant)
        write_csv(Path(d) / "shuffled.csv", shuffled)
        t_sorted = min(mark_csv(Path(d) / "sorted.csv") for _ in range(2))
        t_shuffled = min(mark_csv(Path(d) / "shuffled.csv") for _ in range(2))

    from derive.teach.answers import Submission
    from derive.teach.homework import mark_all

    many = submissions(a.submissions, VARIANTS, seed=3)
    subs = [Submission(r["student"], "bench", r) for r in many]
    checker = Checker(load_spec(FOUR), "four")
    reference = Reference(checker)
    for r in many[:VARIANTS]:  # both build their keys before the timing
        checker.key_env(r["variant"])
        reference.key(r["variant"])
    t = time.perf_counter()
    ours = [r.score for _, r in mark_all(checker, subs) if r is not None]
    t_ours = time.perf_counter() - t
    t = time.perf_counter()
    plain = [reference.mark(r)[0] for r in many]
    t_plain = time.perf_counter() - t
    same = sum(abs(x - y) < 1e-9 for x, y in zip(ours, plain, strict=True))

    print(f"worked/four.yaml, {VARIANTS} variants, 34 questions per submission")
    print(f"{'what':<64} {'seconds':>8}")
    print(f"{f'{a.rows} CSV rows sorted by variant (read + mark, keys built)':<64} {t_sorted:8.2f}")
    ratio = t_sorted / t_shuffled
    print(f"{'  the same rows shuffled':<64} {t_shuffled:8.2f}   sorted/shuffled {ratio:.2f} (target <= 1.2)")
    print(f"{f'{a.submissions} submissions: derive checker (policy, follow-through, diagnosis)':<64} {t_ours:8.2f}")
    ratio = t_ours / t_plain
    print(
        f"{'  peer: plain float64 reference checker (same tolerance rule)':<64} {t_plain:8.2f}   ours/peer {ratio:.2f}"
    )
    print(f"{'':<64} {'':8}   (target <= 2)")
    print(
        f"The two agree on the total of {same} of {len(many)} submissions; the others differ by the policy "
        "the peer leaves out: exact answers, the rounding spread of the student's own inputs, slips, and "
        "follow-through only from answers that earned something."
    )


if __name__ == "__main__":
    main()
