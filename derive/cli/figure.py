"""``derive figure KIND -o FILE``: the pictures of gradient descent and decision boundaries."""

from __future__ import annotations

from pathlib import Path

from derive.cli.common import count, plots_available
from derive.errors import UsageError

HELP = "pictures of gradient descent and decision boundaries (matplotlib)"


def add_arguments(fg) -> None:
    fg.add_argument("kind", help="tangent, surface, boundary or curves")
    fg.add_argument("-o", "--output", required=True, help="FILE.png, .svg, .pdf (or .gif for tangent and surface)")
    fg.add_argument("--dataset", default="xor", help="boundary: xor or circles (default xor)")
    fg.add_argument("--summary", help="curves: a summary.json written by derive train")
    fg.add_argument("--seed", type=count, default=0)


def run(args) -> int:
    plots_available()
    from derive.figures import KINDS, figure
    from derive.files import check_output

    if args.kind not in KINDS:
        raise UsageError(f"figure: unknown kind {args.kind!r} (known: {', '.join(KINDS)})")
    history: dict = {}
    if args.kind == "curves":
        if not args.summary:
            raise UsageError("figure curves needs --summary DIR/summary.json (from derive train)")
        history = read_summary(Path(args.summary))
    check_output(Path(args.output))  # before drawing: a boundary figure trains networks first
    if "compare_losses" in history:
        figure("curves", Path(args.output), histories=history["compare_losses"])
    else:
        figure(args.kind, Path(args.output), dataset=args.dataset, seed=args.seed, history=history or None)
    return 0


def read_summary(path: Path) -> dict:
    """A summary.json written by ``derive train``: one run's histories, or ``compare_losses``
    (a label -> one run's); anything else is refused in one line naming the file."""
    import json

    from derive.figures import FigureError, history_series

    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as e:
        raise UsageError(f"{path}: cannot read a summary ({getattr(e, 'strerror', None) or e})") from None
    runs = summary.get("compare_losses", {"": summary}) if isinstance(summary, dict) else None
    if not isinstance(runs, dict) or not runs:
        raise UsageError(f"{path}: not a summary of derive train (a JSON object with loss_history)")
    for label, run in runs.items():
        where = f"compare_losses: {label}: " if label else ""
        if not isinstance(run, dict):
            raise UsageError(f"{path}: {where}expected a JSON object with loss_history, got {type(run).__name__}")
        try:
            history_series(run)
        except FigureError as e:
            raise UsageError(f"{path}: {where}{e}") from None
    return summary
