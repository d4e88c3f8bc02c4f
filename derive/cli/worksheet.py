"""``derive worksheet SPEC``: variants, problem sheets, answer keys, templates, class PDFs, Moodle."""

from __future__ import annotations

import sys
from pathlib import Path

from derive.cli.common import ProgressBar, count, names, plots_available, points_option, resolve_spec
from derive.errors import UsageError

HELP = "printable worksheets: variants, sheets, answer keys, templates"
FIGURES = ("tangent", "surface", "boundary")
LAYOUTS = ("standard", "compact")  # as derive.present.worksheet (not imported: --help stays light)
KEYS = ("full", "answers", "both")
HEADER = ("school", "course", "date")


def _header(spec, args) -> tuple[tuple[str, str], ...]:
    """The header fields: the command line's, else the spec's ``sheet:``."""
    values = {f: getattr(args, f) or spec.sheet.get(f, "") for f in HEADER}
    return tuple((f.capitalize(), v) for f, v in values.items() if v)


def add_arguments(ws) -> None:
    ws.add_argument("spec", help="a spec file, or the name of a built-in example")
    ws.add_argument("--variants", type=count, default=1, help="how many random variants (0: the spec's own numbers)")
    ws.add_argument("--seed", type=count, default=0, help="seed of the variants (same seed, same files)")
    ws.add_argument("--variant", help="regenerate exactly this variant id (e.g. four-d2-s7-v03)")
    ws.add_argument("--blanks", help="groups forward,loss,backward,update or step ids (default: all steps)")
    ws.add_argument("--given", help="step ids whose values the sheet gives as well (e.g. net_o1,out_o1)")
    ws.add_argument("--pdf", action="store_true", help="also compile every sheet and key, and class PDFs")
    ws.add_argument("--moodle", action="store_true", help="also write moodle.xml (a Moodle XML question bank)")
    ws.add_argument("--derivations", help="comma-separated derivation sheets to add to each sheet (e.g. sigmoid)")
    ws.add_argument("--figures", help="figures to add to each sheet by name: " + ", ".join(FIGURES))
    ws.add_argument("--layout", choices=LAYOUTS, default="standard", help="compact: givens and questions on one page")
    ws.add_argument("--key", choices=KEYS, default="full", help="full worked keys, answers-only tables, or both")
    ws.add_argument("--points", help="points per step kind, as for check: grad=2,new=1 (default 1 each)")
    for field in HEADER:
        ws.add_argument(
            f"--{field}", help=f"the {field} printed in the sheet's header (default: the spec's sheet.{field})"
        )
    ws.add_argument("--force", action="store_true", help="overwrite existing answer files")
    ws.add_argument("-o", "--output", required=True, help="the output folder")


def run(args) -> int:
    from derive.graph.derivations import DERIVATIONS
    from derive.model.expression import load_any
    from derive.model.spec import Spec, SpecError
    from derive.present.worksheet import SheetStyle, check_destination, make_worksheet, worksheet_files, write_worksheet
    from derive.teach.story import story_warning
    from derive.teach.variants import VariantError
    from derive.teach.worksheet import variant_stem

    spec_path = resolve_spec(args.spec)
    spec = load_any(spec_path)  # a network, or an expression graph (kind: expression)
    options = {
        "variants": args.variants,
        "seed": args.seed,
        "variant": args.variant,
        "blanks": args.blanks,
        "pdf": args.pdf,
        "moodle": args.moodle,
        "derivations": args.derivations,
        "figures": args.figures,
        "layout": args.layout,
        "key": args.key,
        "points": args.points,
    }
    derivations, figures = names(args.derivations), names(args.figures)
    unknown = [d for d in derivations if d not in DERIVATIONS]
    if unknown:
        raise UsageError(f"--derivations: unknown derivation {unknown[0]!r}; known: {', '.join(DERIVATIONS)}")
    bad = [f for f in figures if f not in FIGURES]
    if bad:
        raise UsageError(f"--figures: unknown figure {bad[0]!r} (known: {', '.join(FIGURES)})")
    if figures:
        plots_available()
    try:
        ws = make_worksheet(
            spec, variant_stem(spec_path), args.variants, args.seed, args.blanks, args.variant, args.given
        )
        ws.points = points_option(args.points)
    except VariantError as e:
        raise SpecError(spec.source, "", str(e)) from None
    style = SheetStyle(args.layout, args.key, _header(spec, args))
    check_destination(Path(args.output), ws, args.force)  # refused before any work, not after
    # (an expression's story is plain text, without placeholders)
    warning = story_warning(spec, ws.variants) if isinstance(spec, Spec) else None
    if warning:
        print(f"derive: {warning}", file=sys.stderr)
    bar = ProgressBar("PDFs")
    try:
        files = worksheet_files(ws, args.pdf, args.moodle, options, derivations, figures, style, bar.update)
    finally:
        bar.close()
    write_worksheet(files, Path(args.output), ws, force=args.force)
    n = len(ws.variants)
    print(
        f"wrote {len(files)} files for {n} variant{'s' * (n != 1)} to {args.output} "
        f"({sum(ws.rejected.values())} draws rejected)"
    )
    return 0
