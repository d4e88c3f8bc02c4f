"""``derive check SPEC ANSWERS...``: marks answers step by step, for one student or a class."""

from __future__ import annotations

import sys
from pathlib import Path

from derive.cli.common import resolve_spec
from derive.errors import UsageError, one_line

HELP = "mark answers step by step (follow-through, misconceptions)"


def add_arguments(c) -> None:
    c.add_argument("spec", help="the spec the worksheet was made from (or a built-in example name)")
    c.add_argument("answers", nargs="+", help="answer files (YAML/JSON), folders of them, or a CSV class list")
    c.add_argument("--format", choices=("text", "md", "json"), default="text", help="report of one submission")
    c.add_argument("-o", "--output", help="folder for a class: summary.csv, feedback/, misconceptions.md")
    c.add_argument(
        "--follow-through-credit",
        type=float,
        default=1.0,
        metavar="F",
        help="fraction of a step's points for a follow-through answer (default 1)",
    )
    c.add_argument("--points", help="points per step kind, e.g. grad=2,new=1 (default 1 each)")
    c.add_argument("--rtol", type=float, default=0.0, help="extra relative tolerance")
    c.add_argument("--sigfigs", type=int, help="judge precision by significant figures")
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


def _points(option: str | None) -> dict[str, float]:
    points = {}
    for item in (option or "").split(","):
        if item.strip():
            kind, _, val = item.partition("=")
            try:
                points[kind.strip()] = float(val)
            except ValueError:
                raise UsageError(f"--points: expected kind=number, got {item!r}") from None
    return points


def run(args) -> int:
    import json

    from derive.model.spec import load_spec
    from derive.teach.marking import Checker, Options
    from derive.teach.reports import report_text
    from derive.teach.worksheet import variant_stem

    if not 0 <= args.follow_through_credit <= 1:
        raise UsageError("--follow-through-credit: expected a number from 0 to 1")
    points = _points(args.points)
    spec_path = resolve_spec(args.spec)
    spec = load_spec(spec_path)
    options = Options(args.follow_through_credit, points, args.rtol, args.sigfigs)
    checker = Checker(spec, variant_stem(spec_path), options)
    paths = [Path(a) for a in args.answers]
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
            sys.stdout.write(json.dumps(r.to_dict(), indent=2, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(report_text(r, spec.decimals, markdown=args.format == "md"))
        return 0
    if not args.output:
        raise UsageError("several submissions: give -o DIR for summary.csv, feedback and misconceptions.md")
    n = _write_class(checker, marked, Path(args.output), paths, args.excel, args.columns)
    print(f"marked {len(good)} of {len(marked)} submissions; wrote {n} files to {args.output}")
    return 0


def _mark_class(args, checker, paths: list[Path]) -> list:
    """Every submission in ``paths`` marked, CSV columns told apart by the questions (and
    ``--columns``); each warning about how they were read goes to stderr, one line each."""
    from derive.teach.classlist import read_columns
    from derive.teach.homework import mark_all, question_list, warnings
    from derive.teach.submissions import read_submissions

    questions = question_list(checker)
    columns = read_columns(Path(args.columns), questions) if args.columns else None
    marked = mark_all(checker, read_submissions(paths, questions, columns))
    for line in warnings(marked):
        print(f"derive: {line}", file=sys.stderr)
    return marked


def _write_class(checker, marked, out: Path, inputs: list[Path], excel=None, columns=None) -> int:
    """summary.csv, feedback/ and misconceptions.md into ``out``; returns how many files."""
    from derive.files import write_atomic
    from derive.teach.homework import class_files

    files = class_files(checker, marked, excel=excel)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder")
    protect = tuple(p.resolve() for p in inputs + ([Path(columns)] if columns else []))
    for name, text in files.items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, text, protect=protect)
    return len(files)
