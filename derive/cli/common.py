"""What several commands share: finding a spec (a file or a built-in example), whole-number
options, optional extras and a progress bar. Light on purpose: ``derive --help`` imports
this and nothing heavier (no SymPy, NumPy or Jinja2)."""

from __future__ import annotations

import argparse
import math
import sys
from importlib import resources
from pathlib import Path

from derive.errors import UsageError


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
        if not p.parent.is_dir():  # (a path through a file, an unreadable folder: the reader says)
            return p
        raise UsageError(
            f"{arg}: no such file, and not a built-in example (examples: {', '.join(sorted(examples))}; "
            "derive examples describes them)"
        )
    return p


def count(text: str) -> int:
    """An argparse type: a whole number from 0 to 999999."""
    if not text.isdigit() or len(text) > 6:
        raise argparse.ArgumentTypeError(f"expected a whole number from 0 to 999999, got {text!r}")
    return int(text)


def fraction(text: str) -> float:
    """An argparse type: a number from 0 to 1."""
    try:
        v = float(text)
    except ValueError:
        v = float("nan")
    if not 0 <= v <= 1:  # also refuses nan
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {text!r}")
    return v


def nonnegative(text: str) -> float:
    """An argparse type: a finite number 0 or more."""
    try:
        v = float(text)
    except ValueError:
        v = float("nan")
    if not 0 <= v < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number 0 or more, got {text!r}")
    return v


#: The most points a step kind is worth (``--points``): more says nothing a smaller scale cannot.
MAX_POINTS = 1000


def points_option(option: str | None) -> dict[str, float]:
    """``--points grad=2,new=1``: points per step kind (a number from 0 to
    :data:`MAX_POINTS` each); the kinds not named are worth 1."""
    from derive.model.names import STEP_KINDS

    points = {}
    for item in names(option):
        kind, _, val = item.partition("=")
        kind = kind.strip()
        if kind not in STEP_KINDS:
            raise UsageError(f"--points: unknown step kind {kind!r} (kinds: {', '.join(STEP_KINDS)})")
        try:
            points[kind] = nonnegative(val)
        except argparse.ArgumentTypeError:
            points[kind] = math.inf
        if points[kind] > MAX_POINTS:
            raise UsageError(f"--points: expected kind=number (from 0 to {MAX_POINTS}), got {item!r}")
    return points


def names(option: str | None) -> list[str]:
    """A comma-separated option as a list of names (empty entries dropped)."""
    return [n.strip() for n in option.split(",") if n.strip()] if option else []


def plots_available() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError("figures need matplotlib: pip install 'derive[plots]'") from None


class ProgressBar:
    """A counter on standard error for long work (epochs, PDFs, submissions), only when it is
    a terminal: quiet in scripts, logs and tests. ``update(done, total)``, with the loss for
    training."""

    def __init__(self, label: str, total: int = 0, on: bool | None = None):
        self.label, self.total = label, total
        self.on = sys.stderr.isatty() if on is None else on
        self.shown = False

    def update(self, done: int, total: int, loss: float | None = None) -> None:
        if self.on:
            bar = int(30 * done / max(total, 1))
            tail = "" if loss is None else f" loss {loss:.4f}"
            sys.stderr.write(f"\r{self.label} [{'#' * bar}{'.' * (30 - bar)}] {done}/{total}{tail}")
            sys.stderr.flush()
            self.shown = True

    def close(self) -> None:
        if self.on and self.shown:
            sys.stderr.write("\n")
