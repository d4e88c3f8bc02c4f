"""Exception types shared by every layer, each carrying the exit status the command line
gives it (the entry point maps them once, as Click's exceptions do).

    0 success   1 verification failed   2 bad input   3 internal error (a bug)
"""

from __future__ import annotations


class DeriveError(Exception):
    """An expected failure with a one-line message for the user (or several such lines)."""

    exit_status = 2

    def lines(self) -> list[str]:
        """The message, one line per fault (one, unless the error holds several)."""
        return [one_line(str(self))]


class UsageError(DeriveError, ValueError):
    """Bad command-line input or an unwritable output: one line, exit status 2."""


class VerificationError(DeriveError, RuntimeError):
    """Two independent computations of one quantity disagree (exit status 1)."""

    exit_status = 1


def one_line(s: str) -> str:
    """Escape line breaks and other control characters, so a message stays one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in s)


def error_line(e: DeriveError) -> str:
    """What the command line prints for ``e`` (the web page's preview shows it too): one
    line, or one line per fault when ``e`` holds several."""
    return "\n".join(f"derive: {one_line(line)}" for line in e.lines())
