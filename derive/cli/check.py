"""``derive check SPEC ANSWERS...`` or ``derive check --worksheet DIR/worksheet.json
ANSWERS...``: marks answers step by step, for one student or a class."""

from __future__ import annotations

import sys
from pathlib import Path

from derive.cli.common import ProgressBar, fraction, points_option, resolve_spec
from derive.errors import UsageError, one_line

HELP = "mark answers step by step (follow-through, misconceptions)"


def add_arguments(c) -> None:
    c.add_argument(
        "inputs",
        nargs="+",
        metavar="[SPEC] ANSWERS",
        help="the spec the sheets were made from (or a built-in example name; not with --worksheet), then "
        "answer files (YAML/JSON), folders of them, or CSV class lists",
    )
    c.add_argument(
        "--worksheet",
        metavar="JSON",
        help="mark from the worksheet.json the sheets were made with: its questions, points and variants",
    )
    c.add_argument("--blanks", help="the questions without a manifest: groups or step ids, as for worksheet")
    c.add_argument("--format", choices=("text", "md", "json"), default="text", help="report of one submission")
    c.add_argument("-o", "--output", help="folder for a class: summary.csv, feedback/, misconceptions.md")
    c.add_argument(
        "--follow-through-credit",
        type=fraction,
        default=1.0,
        metavar="F",
        help="fraction of a step's points for a follow-through answer (default 1)",
    )
    c.add_argument(
        "--imprecise-credit",
        type=fraction,
        default=0.5,
        metavar="F",
        help="fraction of the points for a right answer with only two significant figures (default 0.5)",
    )
    c.add_argument(
        "--slip-penalty",
        type=fraction,
        default=0.1,
        metavar="F",
        help="fraction of the points a rounding slip costs: truncated or rounded too early (default 0.1)",
    )
    c.add_argument("--points", help="points per step kind, e.g. grad=2,new=1 (default 1 each)")
    c.add_argument("--rtol", type=fraction, default=0.0, help="extra relative tolerance, from 0 to 1 (1: within 100%%)")
    c.add_argument(
        "--sigfigs", type=int, choices=range(1, 16), metavar="N", help="the standard: N significant figures, not places"
    )
    c.add_argument(
        "--columns",
        metavar="FILE",
        help="YAML or CSV mapping a class list's column headers to step ids, student, variant or extra",
    )
    c.add_argument(
        "--excel",
        nargs="?",
        const="utf8",
        choices=("utf8", "semicolon"),
        help="summary.csv for Excel: UTF-8 with a byte-order mark; 'semicolon': also ; and decimal commas",
    )


def run(args) -> int:
    import json

    from derive.teach.marking import Options
    from derive.teach.reports import report_text

    options = Options(
        args.follow_through_credit,
        points_option(args.points),
        args.rtol,
        args.sigfigs,
        imprecise_credit=args.imprecise_credit,
        slip_penalty=args.slip_penalty,
    )
    checker, answers = _checker(args, options)
    spec = checker.spec
    paths = [Path(a) for a in answers]
    marked = _mark_class(args, checker, paths)
    good = [r for _, r in marked if r is not None]
    for sub, r in marked:
        if r is None:
            print(f"derive: {one_line(sub.source)}: not marked: {one_line(sub.problem or '')}", file=sys.stderr)
    if not good:
        return 2
    if len(marked) == 1 and not args.output:
        r = good[0]
        if args.format == "json":
            data = r.to_dict(checker.graph_for(r.variant))
            sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
        else:
            sys.stdout.write(report_text(r, spec.decimals, markdown=args.format == "md"))
        return 0
    if not args.output:
        raise UsageError("several submissions: give -o DIR for summary.csv, feedback and misconceptions.md")
    n = _write_class(checker, marked, Path(args.output), paths, args.excel, args.columns)
    print(f"marked {len(good)} of {len(marked)} submissions; wrote {n} files to {args.output}")
    return 0


def _checker(args, options):
    """The checker (from the manifest, or from the spec and ``--blanks``) and the answer paths."""
    from derive.model.expression import load_any
    from derive.teach.manifest import read_manifest
    from derive.teach.marking import Checker
    from derive.teach.worksheet import derive_any, select_blanks, variant_stem

    if args.worksheet:
        if args.blanks:
            raise UsageError("--blanks: the questions come from the --worksheet manifest")
        return Checker.from_handout(read_manifest(Path(args.worksheet)), options), args.inputs
    if len(args.inputs) < 2:
        raise UsageError("give the spec and at least one answers file (or --worksheet DIR/worksheet.json)")
    spec_path = resolve_spec(args.inputs[0])
    spec = load_any(spec_path)  # a network, or an expression graph (kind: expression)
    base = derive_any(spec)
    questions = select_blanks(base, args.blanks) if args.blanks else None
    return Checker(spec, variant_stem(spec_path), options, base, questions), args.inputs[1:]


def _mark_class(args, checker, paths: list[Path]) -> list:
    """Every submission in ``paths`` marked, CSV columns told apart by the questions (and
    ``--columns``); each warning about how they were read goes to stderr, one line each."""
    from derive.teach.classlist import read_columns
    from derive.teach.homework import mark_all, warnings
    from derive.teach.submissions import read_submissions

    questions = checker.questions
    columns = read_columns(Path(args.columns), questions) if args.columns else None
    bar = ProgressBar("marking")
    try:
        marked = mark_all(checker, read_submissions(paths, questions, columns), bar.update)
    finally:
        bar.close()
    for line in warnings(marked):
        print(f"derive: {line}", file=sys.stderr)
    return marked


def _write_class(checker, marked, out: Path, inputs: list[Path], excel=None, columns=None) -> int:
    """summary.csv, feedback/ and misconceptions.md into ``out``; returns how many files.
    An input of the run (a class list named summary.csv in the output folder) is never
    overwritten: the run is refused, naming it, before anything is written."""
    import os

    from derive.files import write_files
    from derive.teach.classlist import row_of
    from derive.teach.homework import class_files

    files = class_files(checker, marked, excel=excel)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder")
    read = {Path(row_of(sub.source)[0]) for sub, _ in marked} | set(inputs) | ({Path(columns)} if columns else set())
    protect = tuple(p.resolve() for p in read if p.is_file())
    for name in files:
        target = out / name
        if target.is_file() and any(os.path.samefile(target, p) for p in protect):
            raise UsageError(f"{one_line(str(target))}: an input of this run; not overwritten (give another -o folder)")
    write_files(out, files, protect)  # every name checked before the first byte is written
    return len(files)
