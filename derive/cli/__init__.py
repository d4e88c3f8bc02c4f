"""The command line: one module per command, each with ``HELP``, ``add_arguments(parser)``
and ``run(args) -> exit status``.

Exit status: 0 on success, 1 when verification finds a disagreement, 2 for bad input
(one line on stderr naming the file, the field and the problem; nothing written), 3 for an
internal error (a bug; DERIVE_DEBUG=1 shows the traceback). Each error type carries its
status (:mod:`derive.errors`); :func:`main` maps them here, once. A file the system refuses
(no permission, a read-only or full disk) is the environment, not a bug: status 2 too.

SIGINT, SIGTERM and SIGHUP stop a run as an exception raised where it is, so that every
clean-up runs (temporary files and folders removed, pdflatex killed: :mod:`derive.files`,
:mod:`derive.present.pdf`), undisturbed by a second signal; the status is then 128 + the
signal's number, as a shell reports a process the signal killed (130, 143, 129).

Only this package and :mod:`derive.cli.common` load at start-up, so ``derive --help``
does not import SymPy, NumPy or Jinja2; each command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import sys
import threading

from derive.cli import (
    check,
    derivation,
    examples,
    figure,
    new,
    page,
    schema,
    steps,
    train,
    verify,
    walkthrough,
    worksheet,
)
from derive.errors import DeriveError, UsageError, error_line, one_line

#: The commands, in the order ``derive --help`` lists them.
COMMANDS = {
    "walkthrough": walkthrough,
    "verify": verify,
    "worksheet": worksheet,
    "page": page,
    "check": check,
    "train": train,
    "figure": figure,
    "derivation": derivation,
    "examples": examples,
    "new": new,
    "steps": steps,
    "schema": schema,
}


class _Parser(argparse.ArgumentParser):
    """Reports a bad command line in one line (exit status 2) instead of usage + exit."""

    def error(self, message):
        raise UsageError(f"{message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="derive", description="Verified backpropagation walkthroughs.")
    sub = p.add_subparsers(dest="command", required=True)
    for name, module in COMMANDS.items():
        module.add_arguments(sub.add_parser(name, help=module.HELP))
    return p


def run(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command].run(args)


#: The signals that stop a run (with its clean-ups), and what the message calls each.
STOP_SIGNALS = {
    getattr(signal, name): word
    for name, word in (("SIGINT", "interrupted"), ("SIGTERM", "terminated"), ("SIGHUP", "hung up"))
    if hasattr(signal, name)
}
#: What the system refuses for a file, whoever runs derive: bad input, not a bug.
REFUSED = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT}


class Stopped(BaseException):
    """A stop signal, raised in the main thread wherever it was (not an Exception: only
    ``finally`` blocks, context managers and clean-ups see it on its way to :func:`main`)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop(signum, frame):
    for s in STOP_SIGNALS:  # the clean-ups run once, to the end
        signal.signal(s, signal.SIG_IGN)
    raise Stopped(signum)


@contextlib.contextmanager
def _stop_signals():
    """Turn the stop signals into :class:`Stopped` while a command runs; a signal the caller
    ignores (nohup) stays ignored, and the handlers are put back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    for s, handler in old.items():
        if handler is not signal.SIG_IGN:
            signal.signal(s, _stop)
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)


def main(argv: list[str] | None = None) -> int:
    try:
        with _stop_signals():
            return run(argv)
    except DeriveError as e:
        print(error_line(e), file=sys.stderr)
        return e.exit_status
    except (KeyboardInterrupt, Stopped) as e:
        signum = getattr(e, "signum", signal.SIGINT)
        print(f"derive: {STOP_SIGNALS[signum]}", file=sys.stderr)
        return 128 + signum
    except BrokenPipeError:
        return 0
    except OSError as e:
        if e.errno not in REFUSED:
            return _internal(e)
        where = f"{one_line(str(e.filename))}: " if e.filename else ""
        print(f"derive: {where}{e.strerror}", file=sys.stderr)
        return 2
    except Exception as e:
        return _internal(e)


def _internal(e: Exception) -> int:
    """A bug, not bad input: one line, and the traceback on request."""
    if os.environ.get("DERIVE_DEBUG"):
        raise e
    print(
        f"derive: internal error ({type(e).__name__}: {one_line(str(e))[:200]}); "
        "please report it, with DERIVE_DEBUG=1 for the details",
        file=sys.stderr,
    )
    return 3


if __name__ == "__main__":
    sys.exit(main())
