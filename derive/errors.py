"""Exceptions shared by the commands, in a module light enough to import at start-up."""


class VerificationError(RuntimeError):
    """Two independent computations of one quantity disagree."""
