"""The code style and types hold: ruff (lint and format) and mypy, as configured in
pyproject.toml, report nothing. Run by the test command, so CI runs them too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support import need_module

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(
    "args", [["check", "derive", "tests", "benchmarks"], ["format", "--check", "derive", "tests", "benchmarks"]]
)
def test_ruff(args):
    need_module("ruff", "test")
    r = _run([sys.executable, "-m", "ruff", *args])
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]


def test_mypy():
    need_module("mypy", "test")
    r = _run([sys.executable, "-m", "mypy"])
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
