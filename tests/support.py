"""Shared test helpers."""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

import pytest
import yaml

IN_CI = os.environ.get("CI") == "true"


def unavailable(reason: str) -> None:
    """What a test needs from the machine is missing: a failure in CI (.ci/run provides
    it), a skip only on a developer machine without it."""
    if IN_CI:
        pytest.fail(f"{reason}; CI must provide it (.ci/run installs what the tests need)")
    pytest.skip(reason)


def need(tool: str) -> None:
    """A test that needs an external program (pdflatex, pdftotext)."""
    if shutil.which(tool) is None:
        unavailable(f"{tool} not installed")


def need_module(name: str, extra: str) -> None:
    """The same for a Python package from an optional extra (e.g. scikit-learn for the digits)."""
    try:
        importlib.import_module(name)
    except ImportError:
        unavailable(f"{name} not installed (pip install '.[{extra}]')")


#: A network hypothesis found: net_h2_s2 is exactly 0 (a leaky-ReLU kink) but 1.3e-17 in
#: NumPy's floats. Format with the number of steps.
KINK_SPEC = """
network:
  inputs: 2
  layers:
    - {{name: h, size: 3, activation: leaky-relu, alpha: 0.1}}
    - {{name: o, size: 1, activation: leaky-relu, bias: neuron}}
loss: mse
parameters:
  weights:
    h: [[0.79, 1], [0.4, 0.4], [0.62, 0.32]]
    o: [[0.2, 0.3, 0.3]]
  biases: {{o: [0.3]}}
samples:
  - {{x: [0.4, 0.7], y: [1]}}
  - {{x: [0.9, -0.9], y: [0.51]}}
learning_rate: 0.5
steps: {steps}
"""


WORKED = Path(__file__).resolve().parent.parent / "worked"


def is_expression_spec(path: Path) -> bool:
    """A worked example of ``kind: expression`` (a computational graph, not a network)."""
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("kind") == "expression"


#: The worked examples that describe networks (the network-only tests run on these), and
#: those that describe expression graphs (tests/test_expression.py).
NETWORK_EXAMPLES = [p for p in sorted(WORKED.glob("*.yaml")) if not is_expression_spec(p)]
EXPRESSION_EXAMPLES = [p for p in sorted(WORKED.glob("*.yaml")) if is_expression_spec(p)]
