"""``derive train DATA|SPEC``: train with the NumPy core; summary.json and curves.png with -o."""
from __future__ import annotations

from pathlib import Path

from derive.cli.common import ProgressBar, count, plots_available, resolve_spec
from derive.errors import UsageError

HELP = "train a network on real or synthetic data (NumPy core)"


def add_arguments(t) -> None:
    t.add_argument("data", help="digits, xor, circles, moons, blobs, or a spec file (its network is the start)")
    t.add_argument("--data", dest="dataset", help="with a spec file: the dataset to train on (default digits)")
    t.add_argument("--hidden", default="32", help="hidden layer sizes, e.g. 32 or 64,32 (default 32)")
    t.add_argument("--activation", default="sigmoid", choices=("sigmoid", "tanh", "relu", "leaky-relu", "identity"))
    t.add_argument("--loss", default="cross-entropy", choices=("cross-entropy", "mse"))
    t.add_argument("--optimizer", default="sgd", choices=("sgd", "momentum", "adam"))
    t.add_argument("--lr", type=float, default=0.1)
    t.add_argument("--epochs", type=count, default=50)
    t.add_argument("--batch", type=count, default=32)
    t.add_argument("--seed", type=count, default=0)
    t.add_argument("--dtype", default="float64", choices=("float64", "float32"))
    t.add_argument("--init", default="auto", choices=("auto", "xavier", "he"),
                   help="initial weights: auto (He for ReLU layers, Xavier otherwise), xavier or he")
    t.add_argument("--compare-losses", action="store_true", help="train with squared error and cross-entropy, one figure")
    t.add_argument("-o", "--output", help="folder for summary.json and curves.png (without it: print only)")


def run(args) -> int:
    import json

    from derive.files import write_atomic
    from derive.model.spec import load_spec
    from derive.train.core import TrainOptions, network_from_spec, train
    from derive.train.datasets import NAMES, load

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
        plots_available()
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
    data = load(name, seed=args.seed)
    if args.data not in NAMES:
        start = network_from_spec(spec, data)
    losses = ("mse", "cross-entropy") if args.compare_losses else (args.loss,)
    runs = {}
    for loss in losses:
        opts = TrainOptions(hidden=hidden, activation=args.activation, loss=loss, optimizer=args.optimizer,
                            lr=args.lr, epochs=args.epochs, batch=args.batch, seed=args.seed, dtype=args.dtype,
                            init=args.init)
        bar = ProgressBar(f"{name} {loss}", args.epochs)
        try:
            _, hist = train(data, opts, network=start, progress=bar.update)
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
