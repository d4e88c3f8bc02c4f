"""``derive derivation NAME``: a derivative identity step by step, every line proven by SymPy."""

from __future__ import annotations

import sys
from pathlib import Path

from derive.errors import UsageError

HELP = "a derivative identity derived step by step, each line proven by SymPy"


def add_arguments(d) -> None:
    d.add_argument("name", help="sigmoid, tanh, relu, softplus, softmax-cross-entropy, mse, ...")
    d.add_argument("--format", choices=("md", "tex", "pdf"), default="md")
    d.add_argument("-o", "--output", help="write to this file instead of standard output")


def run(args) -> int:
    from derive.files import write_atomic
    from derive.graph.derivations import DERIVATIONS
    from derive.present.derivation import render_derivation
    from derive.present.pdf import compile_pdf

    if args.format == "pdf" and not args.output:
        raise UsageError("--format pdf needs -o FILE")
    if args.name not in DERIVATIONS:
        raise UsageError(f"derivation: unknown derivation {args.name!r}; known: {', '.join(DERIVATIONS)}")
    text = render_derivation(args.name, "tex" if args.format == "pdf" else args.format)
    data = compile_pdf(text) if args.format == "pdf" else text
    if args.output:
        write_atomic(Path(args.output), data)
    else:
        sys.stdout.write(text)
    return 0
