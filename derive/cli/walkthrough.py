"""``derive walkthrough SPEC``: the step-by-step walkthrough as Markdown, LaTeX, JSON or PDF."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from derive.cli.common import resolve_spec
from derive.errors import UsageError

HELP = "render the step-by-step walkthrough of a spec"


def add_arguments(w) -> None:
    w.add_argument("spec", help="a spec file, or the name of a built-in example (four, ...)")
    w.add_argument("--format", choices=("md", "tex", "json", "pdf"), default="md", help="pdf needs pdflatex and -o")
    w.add_argument("-o", "--output", help="write to this file instead of standard output")


@contextlib.contextmanager
def extreme_numbers(source: str):
    """Derive, verify and render inside this: a computation that overflows (extreme weights,
    inputs or learning rate) is bad input, named by file, not a bug."""
    import decimal
    import warnings

    from derive.model.spec import SpecError

    try:
        with warnings.catch_warnings():
            # NumPy's overflow warnings would break the one-line report; verification
            # still catches the inf/nan they leave behind.
            warnings.simplefilter("ignore", RuntimeWarning)
            yield
    except ArithmeticError as e:  # overflow, log(0), a decimal too long to round
        detail = (
            "overflow"
            if isinstance(e, OverflowError)
            else "a value too long to round"
            if isinstance(e, decimal.DecimalException)
            else str(e) or type(e).__name__
        )
        raise SpecError(
            source,
            "",
            f"cannot compute this walkthrough ({detail}); are some weights, inputs or the learning rate extreme?",
        ) from None


def run(args) -> int:
    from derive.files import write_atomic
    from derive.present.pdf import compile_pdf

    if args.format == "pdf" and not args.output:
        raise UsageError("--format pdf needs -o FILE")
    from derive.model.expression import load_any
    from derive.present.expression import walkthrough_of

    spec_path = resolve_spec(args.spec)
    spec = load_any(spec_path)  # a network, or an expression graph (kind: expression)
    with extreme_numbers(spec.source):
        wt = walkthrough_of(spec)
        text = {"md": wt.markdown, "tex": wt.latex, "json": wt.json, "pdf": wt.latex}[args.format]()
    if not args.output:
        sys.stdout.write(text)
        return 0
    write_atomic(Path(args.output), compile_pdf(text) if args.format == "pdf" else text, protect=(spec_path,))
    print(f"wrote {args.output}")  # (where to look, as derive worksheet says it)
    return 0
