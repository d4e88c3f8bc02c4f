"""Exception types shared by every layer, each carrying the exit status the command line
gives it (the entry point maps them once, as Click's exceptions do).

    0 success   1 verification failed   2 bad input   3 internal error (a bug)
"""

from __future__ import annotations


class DeriveError(Exception):
    """An expected failure with a one-line message for the user."""

    exit_status = 2


class UsageError(DeriveError, ValueError):
    """Bad command-line input or an unwritable output: one line, exit status 2."""


class VerificationError(DeriveError, RuntimeError):
    """Two independent computations of one quantity disagree (exit status 1)."""

    exit_status = 1


def one_line(s: str) -> str:
    """Escape line breaks and other control characters, so a message stays one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in s)


def error_line(e: DeriveError) -> str:
    """The one line the command line prints for ``e`` (the web page's preview shows it too)."""
    return f"derive: {one_line(str(e))}"
