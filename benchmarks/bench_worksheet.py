"""Time the 30-variant class set of the four example.

Prints, from one run: the whole command (md + tex; then with PDFs), and beside it the
plain approach that derives and verifies every variant from scratch instead of
re-evaluating one step graph. Targets (issue 4): md+tex under 3 s, with PDFs under 60 s.

    python benchmarks/bench_worksheet.py [--variants 30] [--no-pdf]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOUR = ROOT / "worked" / "four.yaml"


def command(n: int, pdf: bool) -> float:
    """Wall time of the real command in a fresh process (imports included)."""
    with tempfile.TemporaryDirectory() as d:
        argv = [
            sys.executable,
            "-m",
            "derive.cli",
            "worksheet",
            str(FOUR),
            "--variants",
            str(n),
            "--seed",
            "7",
            "-o",
            d,
        ]
        if pdf:
            argv.append("--pdf")
        t = time.perf_counter()
        subprocess.run(argv, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t


def from_scratch(n: int) -> float:
    """The same files, but each variant derived and verified as if it were a new spec
    (the variants' numbers are drawn beforehand and not timed)."""
    from derive.model.spec import load_spec
    from derive.present.render import render
    from derive.present.walkthrough import Walkthrough
    from derive.present.worksheet import render_sheet
    from derive.teach.worksheet import build_worksheet

    ws = build_worksheet(load_spec(FOUR), "four", variants=n, seed=7)
    questions = {sid: i + 1 for i, sid in enumerate(ws.blanks)}
    t = time.perf_counter()
    for v in ws.variants:
        wt = Walkthrough(dataclasses.replace(v.spec))  # derive + verify anew
        for f in ("md", "tex"):
            render(wt, f, questions), render_sheet(ws, v, f)
    return time.perf_counter() - t


def ours_in_process(n: int) -> float:
    from derive.model.spec import load_spec
    from derive.present.worksheet import worksheet_files
    from derive.teach.worksheet import build_worksheet

    t = time.perf_counter()
    worksheet_files(build_worksheet(load_spec(FOUR), "four", variants=n, seed=7))
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", type=int, default=30)
    ap.add_argument("--no-pdf", action="store_true")
    a = ap.parse_args()
    n = a.variants
    print(f"{n}-variant class set of worked/four.yaml, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    md = command(n, pdf=False)
    ours = ours_in_process(n)
    scratch = from_scratch(n)
    print(f"{'what':<58} {'seconds':>8}")
    print(f"{'derive worksheet (md + tex), whole command':<58} {md:8.2f}   target < 3")
    print(f"{'  in process: variants + sheets + keys (md + tex)':<58} {ours:8.2f}")
    print(
        f"{'  peer: each variant derived + verified from scratch':<58} {scratch:8.2f}   "
        f"(draws not included; ratio {scratch / ours:.1f}x)"
    )
    if not a.no_pdf:
        pdf = command(n, pdf=True)
        print(f"{'derive worksheet --pdf (62 pdflatex runs, 2 at a time)':<58} {pdf:8.2f}   target < 60")


if __name__ == "__main__":
    main()
