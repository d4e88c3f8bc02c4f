"""The command line: one module per command, each with ``HELP``, ``add_arguments(parser)``
and ``run(args) -> exit status``.

Exit status: 0 on success, 1 when verification finds a disagreement, 2 for bad input
(one line on stderr naming the file, the field and the problem; nothing written), 3 for an
internal error (a bug; DERIVE_DEBUG=1 shows the traceback). Each error type carries its
status (:mod:`derive.errors`); :func:`main` maps them here, once.

Only this package and :mod:`derive.cli.common` load at start-up, so ``derive --help``
does not import SymPy, NumPy or Jinja2; each command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import os
import sys

from derive.cli import check, derivation, figure, train, verify, walkthrough, worksheet
from derive.errors import DeriveError, UsageError, one_line

#: The commands, in the order ``derive --help`` lists them.
COMMANDS = {
    "walkthrough": walkthrough,
    "verify": verify,
    "worksheet": worksheet,
    "check": check,
    "train": train,
    "figure": figure,
    "derivation": derivation,
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


def main(argv: list[str] | None = None) -> int:
    try:
        return run(argv)
    except DeriveError as e:
        print(f"derive: {one_line(str(e))}", file=sys.stderr)
        return e.exit_status
    except KeyboardInterrupt:
        print("derive: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # a bug, not bad input: one line, and the traceback on request
        if os.environ.get("DERIVE_DEBUG"):
            raise
        print(
            f"derive: internal error ({type(e).__name__}: {one_line(str(e))[:200]}); "
            "please report it, with DERIVE_DEBUG=1 for the details",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":
    sys.exit(main())
