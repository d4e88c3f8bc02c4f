"""Shared test helpers."""
from __future__ import annotations

import os
import shutil

import pytest

IN_CI = os.environ.get("CI") == "true"


def need(tool: str) -> None:
    """A test that needs an external program fails in CI (.ci/run installs it) and is
    skipped only on a developer machine without it."""
    if shutil.which(tool) is None:
        if IN_CI:
            pytest.fail(f"{tool} is required in CI (.ci/run installs it)")
        pytest.skip(f"{tool} not installed")
