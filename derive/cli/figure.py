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
    import json

    plots_available()
    from derive.figures import KINDS, figure

    if args.kind not in KINDS:
        raise UsageError(f"figure: unknown kind {args.kind!r} (known: {', '.join(KINDS)})")
    history: dict = {}
    if args.kind == "curves":
        if not args.summary:
            raise UsageError("figure curves needs --summary DIR/summary.json (from derive train)")
        try:
            history = json.loads(Path(args.summary).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise UsageError(f"{args.summary}: cannot read a summary ({getattr(e, 'strerror', None) or e})") from None
    if "compare_losses" in history:
        figure("curves", Path(args.output), histories=history["compare_losses"])
    else:
        figure(args.kind, Path(args.output), dataset=args.dataset, seed=args.seed, history=history or None)
    return 0
