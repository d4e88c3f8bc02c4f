"""Command line: ``derive walkthrough SPEC``, ``derive verify SPEC``.

Exit status: 0 on success, 1 when verification finds a disagreement, 2 for bad input
(one line on stderr naming the file, the field and the problem; nothing written), 3 for an
internal error (a bug; DERIVE_DEBUG=1 shows the traceback).
"""
from __future__ import annotations

import argparse
import decimal
import os
import sys
import warnings
from importlib import resources
from pathlib import Path

from derive.present.files import UsageError, write_atomic
from derive.errors import VerificationError
from derive.present.pdf import PdfError, compile_pdf
from derive.model.spec import SpecError, _one_line, load_spec


def builtin_examples() -> dict[str, Path]:
    """The example specs shipped with the package, by name (``four`` -> four.yaml)."""
    for base in (resources.files("derive") / "worked", Path(__file__).resolve().parents[2] / "worked"):
        if base.is_dir():
            return {p.name[:-5]: Path(str(p)) for p in base.iterdir() if p.name.endswith(".yaml")}
    return {}


def resolve_spec(arg: str) -> Path:
    """A spec path, or the name of a built-in example when no such file exists."""
    p = Path(arg)
    if not p.exists():
        examples = builtin_examples()
        if arg in examples:
            return examples[arg]
    return p


def _verify_table(wt) -> str:
    r = wt.report
    head = f"{'step':<22} {'SymPy':>22} {'NumPy':>22} {'rel.diff':>9} {'finite diff':>22} {'rel.diff':>9}"
    lines = [head, "-" * len(head)]
    for row in r.rows:
        fd = "" if row.fd is None else f"{row.fd:22.15g}"
        rfd = "" if row.rel_fd is None else f"{row.rel_fd:9.1e}"
        lines.append(f"{row.id:<22} {row.sympy:22.15g} {row.numpy:22.15g} {row.rel_numpy:9.1e} {fd:>22} {rfd:>9}")
    lines.append("")
    lines.append(f"{r.n_values} values: SymPy vs NumPy max rel. diff {r.max_numpy[0]:.1e} ({r.max_numpy[1]}), tolerance 1e-9")
    if r.n_gradients:
        lines.append(f"{r.n_gradients} gradients: vs finite differences max rel. diff {r.max_fd[0]:.1e} ({r.max_fd[1]}), tolerance 1e-6")
    lines.append(f"loss over {wt.spec.steps} step(s): step graph vs NumPy max rel. diff {r.max_history[0]:.1e}, tolerance 1e-9")
    lines += r.notes
    lines.append("verified: all three agree" if r.ok else f"NOT VERIFIED: {len(r.failures)} disagreement(s)")
    lines += [f"  {f}" for f in r.failures]
    return "\n".join(lines) + "\n"


class _Parser(argparse.ArgumentParser):
    """Reports a bad command line in one line (exit status 2) instead of usage + exit."""

    def error(self, message):
        raise UsageError(f"{message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="derive", description="Verified backpropagation walkthroughs.")
    sub = p.add_subparsers(dest="command", required=True)
    w = sub.add_parser("walkthrough", help="render the step-by-step walkthrough of a spec")
    w.add_argument("spec", help="a spec file, or the name of a built-in example (four, ...)")
    w.add_argument("--format", choices=("md", "tex", "json", "pdf"), default="md",
                   help="pdf needs pdflatex and -o")
    w.add_argument("-o", "--output", help="write to this file instead of standard output")
    v = sub.add_parser("verify", help="print the three-way comparison table; exit 1 on disagreement")
    v.add_argument("spec")
    ws = sub.add_parser("worksheet", help="printable worksheets: variants, sheets, answer keys, templates")
    ws.add_argument("spec", help="a spec file, or the name of a built-in example")
    ws.add_argument("--variants", type=_count, default=1, help="how many random variants (0: the spec's own numbers)")
    ws.add_argument("--seed", type=_count, default=0, help="seed of the variants (same seed, same files)")
    ws.add_argument("--variant", help="regenerate exactly this variant id (e.g. four-s7-v03)")
    ws.add_argument("--blanks", help="groups forward,loss,backward,update or step ids (default: all steps)")
    ws.add_argument("--pdf", action="store_true", help="also compile every sheet and key, and class PDFs")
    ws.add_argument("--moodle", action="store_true", help="also write moodle.xml (a Moodle XML question bank)")
    ws.add_argument("--derivations", help="comma-separated derivation sheets to add to each sheet (e.g. sigmoid)")
    ws.add_argument("--figures", help="figures to add to each sheet by name: tangent, surface, boundary")
    ws.add_argument("--force", action="store_true", help="overwrite existing answer files")
    ws.add_argument("-o", "--output", required=True, help="the output folder")
    c = sub.add_parser("check", help="mark answers step by step (follow-through, misconceptions)")
    c.add_argument("spec", help="the spec the worksheet was made from (or a built-in example name)")
    c.add_argument("answers", nargs="+", help="answer files (YAML/JSON), folders of them, or a CSV class list")
    c.add_argument("--format", choices=("text", "md", "json"), default="text", help="report of one submission")
    c.add_argument("-o", "--output", help="folder for a class: summary.csv, feedback/, misconceptions.md")
    c.add_argument("--follow-through-credit", type=float, default=1.0, metavar="F",
                   help="fraction of a step's points for a follow-through answer (default 1)")
    c.add_argument("--points", help="points per step kind, e.g. grad=2,new=1 (default 1 each)")
    c.add_argument("--rtol", type=float, default=0.0, help="extra relative tolerance")
    c.add_argument("--sigfigs", type=int, help="judge precision by significant figures")
    t = sub.add_parser("train", help="train a network on real or synthetic data (NumPy core)")
    t.add_argument("data", help="digits, xor, circles, moons, blobs, or a spec file (its network is the start)")
    t.add_argument("--data", dest="dataset", help="with a spec file: the dataset to train on (default digits)")
    t.add_argument("--hidden", default="32", help="hidden layer sizes, e.g. 32 or 64,32 (default 32)")
    t.add_argument("--activation", default="sigmoid", choices=("sigmoid", "tanh", "relu", "leaky-relu", "identity"))
    t.add_argument("--loss", default="cross-entropy", choices=("cross-entropy", "mse"))
    t.add_argument("--optimizer", default="sgd", choices=("sgd", "momentum", "adam"))
    t.add_argument("--lr", type=float, default=0.1)
    t.add_argument("--epochs", type=_count, default=50)
    t.add_argument("--batch", type=_count, default=32)
    t.add_argument("--seed", type=_count, default=0)
    t.add_argument("--dtype", default="float64", choices=("float64", "float32"))
    t.add_argument("--init", default="auto", choices=("auto", "xavier", "he"),
                   help="initial weights: auto (He for ReLU layers, Xavier otherwise), xavier or he")
    t.add_argument("--compare-losses", action="store_true", help="train with squared error and cross-entropy, one figure")
    t.add_argument("-o", "--output", help="folder for summary.json and curves.png (without it: print only)")
    fg = sub.add_parser("figure", help="pictures of gradient descent and decision boundaries (matplotlib)")
    fg.add_argument("kind", help="tangent, surface, boundary or curves")
    fg.add_argument("-o", "--output", required=True, help="FILE.png, .svg, .pdf (or .gif for tangent and surface)")
    fg.add_argument("--dataset", default="xor", help="boundary: xor or circles (default xor)")
    fg.add_argument("--summary", help="curves: a summary.json written by derive train")
    fg.add_argument("--seed", type=_count, default=0)
    d = sub.add_parser("derivation", help="a derivative identity derived step by step, each line proven by SymPy")
    d.add_argument("name", help="sigmoid, tanh, relu, softmax-cross-entropy, mse, ...")
    d.add_argument("--format", choices=("md", "tex", "pdf"), default="md")
    d.add_argument("-o", "--output", help="write to this file instead of standard output")
    return p


def _count(text: str) -> int:
    if not text.isdigit() or len(text) > 6:
        raise argparse.ArgumentTypeError(f"expected a whole number from 0 to 999999, got {text!r}")
    return int(text)


def run(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "derivation":
        return _derivation(args)
    if args.command == "figure":
        return _figure(args)
    if args.command == "train":
        return _train(args)
    spec_path = resolve_spec(args.spec)
    if args.command == "worksheet":
        return _worksheet(args, spec_path)
    if args.command == "check":
        return _check(args, spec_path)
    if getattr(args, "format", None) == "pdf" and not args.output:
        raise UsageError("--format pdf needs -o FILE")
    spec = load_spec(spec_path)
    from derive.present.walkthrough import Walkthrough

    try:
        with warnings.catch_warnings():
            # NumPy's overflow warnings would break the one-line report; verification
            # still catches the inf/nan they leave behind.
            warnings.simplefilter("ignore", RuntimeWarning)
            if args.command == "verify":
                wt = Walkthrough(spec, strict=False)
                sys.stdout.write(_verify_table(wt))
                return 0 if wt.report.ok else 1
            wt = Walkthrough(spec)
            text = {"md": wt.markdown, "tex": wt.latex, "json": wt.json, "pdf": wt.latex}[args.format]()
    except ArithmeticError as e:   # overflow, log(0), a decimal too long to round: extreme numbers
        detail = ("overflow" if isinstance(e, OverflowError) else
                  "a value too long to round" if isinstance(e, decimal.DecimalException) else str(e) or type(e).__name__)
        raise SpecError(spec.source, "", f"cannot compute this walkthrough ({detail}); "
                                         "are some weights, inputs or the learning rate extreme?") from None
    if args.format == "pdf":
        write_atomic(Path(args.output), compile_pdf(text), protect=(spec_path,))
    elif args.output:
        write_atomic(Path(args.output), text, protect=(spec_path,))
    else:
        sys.stdout.write(text)
    return 0


def _worksheet(args, spec_path: Path) -> int:
    from derive.teach.variants import VariantError
    from derive.present.worksheet import build_worksheet, variant_stem, worksheet_files, write_worksheet

    spec = load_spec(spec_path)
    options = {"variants": args.variants, "seed": args.seed, "variant": args.variant, "blanks": args.blanks,
               "pdf": args.pdf, "moodle": args.moodle, "derivations": args.derivations, "figures": args.figures}
    derivations = [n.strip() for n in args.derivations.split(",") if n.strip()] if args.derivations else []
    figures = [n.strip() for n in args.figures.split(",") if n.strip()] if args.figures else []
    bad = [f for f in figures if f not in ("tangent", "surface", "boundary")]
    if bad:
        raise UsageError(f"--figures: unknown figure {bad[0]!r} (known: tangent, surface, boundary)")
    if figures:
        _plots_available()
    try:
        ws = build_worksheet(spec, variant_stem(spec_path), args.variants, args.seed, args.blanks, args.variant)
        files = worksheet_files(ws, pdf=args.pdf, moodle=args.moodle, options=options, derivations=derivations,
                                figures=figures)
    except VariantError as e:
        raise SpecError(spec.source, "", str(e)) from None
    except KeyError as e:   # an unknown derivation name
        raise UsageError(f"--derivations: {e.args[0]}") from None
    write_worksheet(files, Path(args.output), force=args.force)
    n = len(ws.variants)
    print(f"wrote {len(files)} files for {n} variant{'s' * (n != 1)} to {args.output} "
          f"({sum(ws.rejected.values())} draws rejected)")
    return 0


def _check(args, spec_path: Path) -> int:
    import json

    from derive.teach.marking import Checker, Options
    from derive.teach.homework import class_files, mark_all, read_submissions, report_text
    from derive.present.worksheet import variant_stem

    if not 0 <= args.follow_through_credit <= 1:
        raise UsageError("--follow-through-credit: expected a number from 0 to 1")
    points = {}
    for item in (args.points or "").split(","):
        if item.strip():
            kind, _, val = item.partition("=")
            try:
                points[kind.strip()] = float(val)
            except ValueError:
                raise UsageError(f"--points: expected kind=number, got {item!r}") from None
    spec = load_spec(spec_path)
    checker = Checker(spec, variant_stem(spec_path),
                      Options(args.follow_through_credit, points, args.rtol, args.sigfigs))
    paths = [Path(a) for a in args.answers]
    subs = read_submissions(paths)
    marked = mark_all(checker, subs)
    good = [r for _, r in marked if r is not None]
    for sub, r in marked:
        if r is None:
            print(f"derive: {_one_line(sub.source)}: not marked: {_one_line(sub.problem or '')}", file=sys.stderr)
    if not good:
        return 2
    single = len(marked) == 1 and not args.output
    if single:
        r = good[0]
        if args.format == "json":
            sys.stdout.write(json.dumps(r.to_dict(), indent=2, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(report_text(r, spec.decimals, markdown=args.format == "md"))
        return 0
    if not args.output:
        raise UsageError("several submissions: give -o DIR for summary.csv, feedback and misconceptions.md")
    out = Path(args.output)
    files = class_files(checker, marked)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder")
    inputs = {p.resolve() for p in paths}
    for name, text in files.items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, text, protect=tuple(inputs))
    print(f"marked {len(good)} of {len(marked)} submissions; wrote {len(files)} files to {out}")
    return 0


def _plots_available() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError("figures need matplotlib: pip install 'derive[plots]'") from None


def _train(args) -> int:
    import json

    from derive.train.datasets import NAMES, DataError, load
    from derive.train.core import TrainError, TrainOptions, network_from_spec, train

    try:
        hidden = tuple(int(h) for h in args.hidden.split(",") if h.strip())
    except ValueError:
        raise UsageError(f"--hidden: expected sizes like 32 or 64,32, got {args.hidden!r}") from None
    if not hidden or any(not 1 <= h <= 4096 for h in hidden):
        raise UsageError(f"--hidden: each size must be from 1 to 4096, got {args.hidden!r}")
    if not (0 < args.lr < 1e3):
        raise UsageError(f"--lr: expected a positive learning rate, got {args.lr:g}")
    if args.epochs < 1 or args.batch < 1:
        raise UsageError("--epochs and --batch must be at least 1")
    out = Path(args.output) if args.output else None
    if out is not None:
        if out.exists() and not out.is_dir():
            raise UsageError(f"{out}: exists and is not a folder")
        if not (out.parent if str(out.parent) else Path(".")).is_dir():
            raise UsageError(f"{out}: folder {out.parent} does not exist")
        _plots_available()
    start = None
    if args.data in NAMES:
        if args.dataset:
            raise UsageError("--data is for a spec file; the dataset is already named")
        name = args.data
    else:
        path = resolve_spec(args.data)
        if not path.exists():
            raise UsageError(f"train: {args.data!r} is neither a dataset ({', '.join(NAMES)}) nor a spec file")
        spec = load_spec(path)
        name = args.dataset or "digits"
        if name not in NAMES:
            raise UsageError(f"--data: unknown dataset {name!r} (known: {', '.join(NAMES)})")
    try:
        data = load(name, seed=args.seed)
        if args.data not in NAMES:
            start = network_from_spec(spec, data)
    except (DataError, TrainError) as e:
        raise UsageError(str(e)) from None
    losses = ("mse", "cross-entropy") if args.compare_losses else (args.loss,)
    runs = {}
    for loss in losses:
        opts = TrainOptions(hidden=hidden, activation=args.activation, loss=loss, optimizer=args.optimizer,
                            lr=args.lr, epochs=args.epochs, batch=args.batch, seed=args.seed, dtype=args.dtype,
                            init=args.init)
        bar = _ProgressBar(f"{name} {loss}", args.epochs)
        try:
            _, hist = train(data, opts, network=start, progress=bar.update)
        except TrainError as e:
            raise UsageError(str(e)) from None
        finally:
            bar.close()
        runs[loss] = (opts, hist)
        print(f"{name} ({loss}, {args.optimizer}, hidden {args.hidden}): train accuracy "
              f"{hist.train_accuracy[-1]:.4f}, test accuracy {hist.test_accuracy[-1]:.4f}, {hist.seconds:.2f} s")
    if out is None:
        return 0
    summaries = {loss: _summary(name, opts, hist) for loss, (opts, hist) in runs.items()}
    summary = summaries[losses[0]] if len(losses) == 1 else {"compare_losses": summaries}
    from derive.figures import figure

    out.mkdir(exist_ok=True)
    write_atomic(out / "summary.json", json.dumps(summary, indent=2, allow_nan=False) + "\n")
    if len(losses) == 1:
        figure("curves", out / "curves.png", history=runs[losses[0]][1])
    else:
        figure("curves", out / "curves.png",
               histories={"squared error": runs["mse"][1], "cross-entropy": runs["cross-entropy"][1]})
    return 0


def _summary(name, opts, hist) -> dict:
    import dataclasses

    return {"dataset": name, "train_accuracy": hist.train_accuracy[-1], "test_accuracy": hist.test_accuracy[-1],
            "loss_history": hist.loss, "train_accuracy_history": hist.train_accuracy,
            "test_accuracy_history": hist.test_accuracy, "seconds": hist.seconds,
            "options": {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(opts).items()}}


class _ProgressBar:
    """An epoch counter on standard error, only when it is a terminal."""

    def __init__(self, label: str, total: int):
        self.label, self.total = label, total
        self.on = sys.stderr.isatty()

    def update(self, epoch: int, total: int, loss: float) -> None:
        if self.on:
            done = int(30 * epoch / max(total, 1))
            sys.stderr.write(f"\r{self.label} [{'#' * done}{'.' * (30 - done)}] {epoch}/{total} loss {loss:.4f}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.on:
            sys.stderr.write("\n")


def _figure(args) -> int:
    import json

    _plots_available()
    from derive.figures import KINDS, FigureError, figure

    if args.kind not in KINDS:
        raise UsageError(f"figure: unknown kind {args.kind!r} (known: {', '.join(KINDS)})")
    history = None
    if args.kind == "curves":
        if not args.summary:
            raise UsageError("figure curves needs --summary DIR/summary.json (from derive train)")
        try:
            history = json.loads(Path(args.summary).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise UsageError(f"{args.summary}: cannot read a summary ({getattr(e, 'strerror', None) or e})") from None
    try:
        if args.kind == "curves" and "compare_losses" in history:
            figure("curves", Path(args.output), histories=history["compare_losses"])
        else:
            figure(args.kind, Path(args.output), dataset=args.dataset, seed=args.seed, history=history)
    except FigureError as e:
        raise UsageError(str(e)) from None
    return 0


def _derivation(args) -> int:
    from derive.present.derivation import render_derivation

    if args.format == "pdf" and not args.output:
        raise UsageError("--format pdf needs -o FILE")
    try:
        text = render_derivation(args.name, "tex" if args.format == "pdf" else args.format)
    except KeyError as e:
        raise UsageError(f"derivation: {e.args[0]}") from None
    data = compile_pdf(text) if args.format == "pdf" else text
    if args.output:
        write_atomic(Path(args.output), data)
    else:
        sys.stdout.write(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        return run(argv)
    except (SpecError, UsageError, PdfError) as e:
        print(f"derive: {_one_line(str(e))}", file=sys.stderr)
        return 2
    except VerificationError as e:
        print(f"derive: {_one_line(str(e))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("derive: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:   # a bug, not bad input: one line, and the traceback on request
        if os.environ.get("DERIVE_DEBUG"):
            raise
        print(f"derive: internal error ({type(e).__name__}: {_one_line(str(e))[:200]}); "
              "please report it, with DERIVE_DEBUG=1 for the details", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
