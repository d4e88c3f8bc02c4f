"""``derive train DATA|SPEC``: train with the NumPy core; summary.json and curves.png with -o.

With a data set's name a new network is trained (32 sigmoid hidden units, cross-entropy,
learning rate 0.1 unless the options say otherwise). With a spec file the spec's network
is trained exactly: its layer sizes, activations, bias modes and starting weights, with
its loss and learning rate (and its batch reduction) as the defaults; an option given on
the command line overrides the spec (``--activation`` the hidden activations, ``--init``
draws new weights of the spec's shapes, ``--loss`` and ``--lr``). Every option that a spec
can set defaults to None here, so that "not given" and "given" can be told apart.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from derive.cli.common import ProgressBar, count, plots_available, resolve_spec
from derive.errors import UsageError
from derive.model.names import DTYPES, HIDDEN_ACTIVATIONS, INITS, LOSSES, OPTIMIZERS, learning_rate_problem

if TYPE_CHECKING:  # for annotations only: the functions import the training code when they run
    from derive.train import Network, TrainOptions
    from derive.train.datasets import Dataset

HELP = "train a network on real or synthetic data (NumPy core)"
#: Today's defaults for a new network (a data set given by name): its hidden sizes and the rest.
HIDDEN = "32"
DEFAULTS = {"activation": "sigmoid", "loss": "cross-entropy", "lr": 0.1, "init": "auto"}
#: The files -o writes.
OUTPUTS = ("summary.json", "curves.png")


def add_arguments(t) -> None:
    t.add_argument(
        "data",
        help="digits, xor, circles, moons, blobs, or a spec file (its network is trained: its "
        "sizes, activations, biases and weights, with its loss and learning rate by default)",
    )
    t.add_argument("--data", dest="dataset", help="with a spec file: the data set to train on (default digits)")
    t.add_argument(
        "--hidden", help="hidden layer sizes of a new network, e.g. 32 or 64,32 (default 32; a spec fixes its own)"
    )
    t.add_argument(
        "--activation", choices=HIDDEN_ACTIVATIONS, help="hidden activation (default sigmoid, or the spec's)"
    )
    t.add_argument("--loss", choices=LOSSES, help="loss (default cross-entropy, or the spec's)")
    t.add_argument("--optimizer", default="sgd", choices=OPTIMIZERS)
    t.add_argument("--lr", type=float, help="learning rate (default 0.1, or the spec's)")
    t.add_argument("--epochs", type=count, default=50)
    t.add_argument("--batch", type=count, default=32)
    t.add_argument("--seed", type=count, default=0)
    t.add_argument("--dtype", default="float64", choices=DTYPES)
    t.add_argument(
        "--init",
        choices=INITS,
        help="starting weights: auto (He for ReLU layers, Xavier otherwise), xavier or he "
        "(default auto; with a spec, the spec's weights unless this is given)",
    )
    t.add_argument(
        "--compare-losses", action="store_true", help="train with squared error and cross-entropy, one figure"
    )
    t.add_argument("-o", "--output", help="folder for summary.json and curves.png (without it: print only)")


@dataclass
class _Setup:
    """What to train: the data, where the network comes from, and the run's options."""

    name: str  # the data set
    data: Dataset
    spec: str | None  # the spec file the network comes from, if any
    start: Network | None  # the spec's network, or None for a new one
    init: str  # how the starting weights were made: an init scheme, or "from the spec"
    opts: TrainOptions


def run(args) -> int:
    _check_numbers(args)
    out = _output_folder(args.output)
    setup = _from_spec(args) if _is_spec(args) else _from_dataset(args)
    losses = ("mse", "cross-entropy") if args.compare_losses else (setup.opts.loss,)
    runs = {loss: _train(setup, replace(setup.opts, loss=loss)) for loss in losses}
    if out is not None:
        _write(out, setup, runs)
    return 0


def _check_numbers(args) -> None:
    if args.lr is not None and learning_rate_problem(args.lr):
        raise UsageError(f"--lr: {learning_rate_problem(args.lr)}, got {args.lr:g}")
    if args.epochs < 1 or args.batch < 1:
        raise UsageError("--epochs and --batch must be at least 1")


def _output_folder(output: str | None) -> Path | None:
    """The -o folder, refused before training when it cannot take summary.json and curves.png."""
    from derive.files import check_outputs

    if output is None:
        return None
    out = Path(output)
    check_outputs(out, OUTPUTS)
    plots_available()
    return out


def _is_spec(args) -> bool:
    from derive.train.datasets import NAMES

    if args.data in NAMES:
        if args.dataset:
            raise UsageError("--data is for a spec file; the data set is already named")
        return False
    try:
        found = resolve_spec(args.data).exists()
    except UsageError:  # (no such file, and not a built-in example)
        found = False
    if not found:
        raise UsageError(f"train: {args.data!r} is neither a data set ({', '.join(NAMES)}) nor a spec file")
    return True


def _options(args, **chosen):
    """TrainOptions from the command line's run settings and the chosen network settings."""
    from derive.train import TrainOptions

    return TrainOptions(
        optimizer=args.optimizer, epochs=args.epochs, batch=args.batch, seed=args.seed, dtype=args.dtype, **chosen
    )


def _from_dataset(args) -> _Setup:
    from derive.train.datasets import load

    given = {k: getattr(args, k) for k in DEFAULTS}
    chosen = {k: DEFAULTS[k] if v is None else v for k, v in given.items()}
    hidden = _hidden_sizes(HIDDEN if args.hidden is None else args.hidden)
    opts = _options(args, hidden=hidden, **chosen)
    return _Setup(args.data, load(args.data, seed=args.seed), None, None, opts.init, opts)


def _hidden_sizes(text: str) -> tuple[int, ...]:
    try:
        hidden = tuple(int(h) for h in text.split(",") if h.strip())
    except ValueError:
        raise UsageError(f"--hidden: expected sizes like 32 or 64,32, got {text!r}") from None
    if not hidden or any(not 1 <= h <= 4096 for h in hidden):
        raise UsageError(f"--hidden: each size must be from 1 to 4096, got {text!r}")
    return hidden


def _from_spec(args) -> _Setup:
    from derive.model.spec import load_spec
    from derive.train import network_from_spec, spec_defaults
    from derive.train.datasets import NAMES, load
    from derive.train.from_spec import check_trainable
    from derive.train.options import refusal

    path = resolve_spec(args.data)
    spec = load_spec(path)
    if args.hidden is not None:
        raise UsageError(
            f"--hidden: the layer sizes come from the spec {spec.source}; "
            "leave --hidden out, or name a data set to train a new network"
        )
    if args.compare_losses:
        raise UsageError(f"--compare-losses trains new networks on a data set; {spec.source} fixes its own loss")
    check_trainable(spec)
    why = refusal(spec.layers[-1].activation, args.loss) if args.loss is not None else None
    if why:
        raise UsageError(f"--loss {args.loss}: {why} (the output layer of {spec.source})")
    name = args.dataset or "digits"
    if name not in NAMES:
        raise UsageError(f"--data: unknown data set {name!r} (known: {', '.join(NAMES)})")
    data = load(name, seed=args.seed)
    start = network_from_spec(spec, data)
    if args.activation is not None:
        start = start.with_hidden_activation(args.activation)
    if args.init is not None:
        start = start.redrawn(args.init, args.seed)
    defaults = spec_defaults(spec)
    opts = _options(
        args,
        hidden=tuple(start.sizes[1:-1]),
        loss=args.loss or defaults["loss"],
        lr=defaults["lr"] if args.lr is None else args.lr,
        reduction=defaults["reduction"],
        **({"activation": args.activation} if args.activation else {}),
    )
    return _Setup(name, data, str(path), start, args.init or "from the spec", opts)


def _train(setup: _Setup, opts):
    from derive.train import train

    bar = ProgressBar(f"{setup.name} {opts.loss}", opts.epochs)
    try:
        net, hist = train(setup.data, opts, network=setup.start, progress=bar.update)
    finally:
        bar.close()
    source = f"{setup.spec} on {setup.name}" if setup.spec else setup.name
    print(
        f"{source} ({'-'.join(map(str, net.sizes))}, {'/'.join(net.activations)}, {opts.loss}, "
        f"{opts.optimizer} lr {opts.lr:g}): train accuracy {hist.train_accuracy[-1]:.4f}, "
        f"test accuracy {hist.test_accuracy[-1]:.4f}, {hist.seconds:.2f} s"
    )
    return opts, net, hist


def _write(out: Path, setup: _Setup, runs: dict) -> None:
    import json

    from derive.figures import figure
    from derive.files import make_folder, write_atomic

    summaries = {loss: _summary(setup, *run) for loss, run in runs.items()}
    summary = next(iter(summaries.values())) if len(runs) == 1 else {"compare_losses": summaries}
    make_folder(out)
    write_atomic(out / OUTPUTS[0], json.dumps(summary, indent=2, allow_nan=False) + "\n")
    if len(runs) == 1:
        figure("curves", out / OUTPUTS[1], history=next(iter(runs.values()))[2])
    else:
        figure(
            "curves",
            out / OUTPUTS[1],
            histories={"squared error": runs["mse"][2], "cross-entropy": runs["cross-entropy"][2]},
        )


def _summary(setup: _Setup, opts, net, hist) -> dict:
    """What was trained (read from the trained network and the options it ran with), and how it went."""
    settings = {
        "sgd": (),
        "momentum": ("momentum",),
        "nesterov": ("momentum",),
        "rmsprop": ("rho", "eps"),
        "adam": ("beta1", "beta2", "eps"),
    }[opts.optimizer]
    return {
        "dataset": setup.name,
        "spec": setup.spec,
        "layer_sizes": list(net.sizes),
        "activations": list(net.activations),
        "bias_modes": list(net.bias),
        "train_bias": list(net.train_bias),
        "leaky_relu_alpha": [
            a if act == "leaky-relu" else None for a, act in zip(net.alphas, net.activations, strict=True)
        ],
        "loss": opts.loss,
        "reduction": opts.reduction,
        "learning_rate": opts.lr,
        "optimizer": opts.optimizer,
        "optimizer_settings": {k: getattr(opts, k) for k in settings},
        "epochs": opts.epochs,
        "batch": opts.batch,
        "seed": opts.seed,
        "dtype": opts.dtype,
        "init": setup.init,
        "train_accuracy": hist.train_accuracy[-1],
        "test_accuracy": hist.test_accuracy[-1],
        "seconds": hist.seconds,
        "loss_history": hist.loss,
        "train_accuracy_history": hist.train_accuracy,
        "test_accuracy_history": hist.test_accuracy,
    }
